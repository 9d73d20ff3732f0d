#include "store.h"

#include <stdlib.h>
#include <string.h>

/* The columns of a grp_view: the group, the viewer's membership ($2, may be
 * NULL) and the officer and member counts. */
#define GRP_VIEW_SELECT                                                                            \
	"SELECT g.id, g.name, coalesce(g.description, ''),"                                        \
	" coalesce(g.rule_template, 'two_officer'),"                                               \
	" coalesce(g.approvals_required, 2), coalesce(g.approvals_cap, 3),"                        \
	" g.created_by, " DB_RFC3339(                                                              \
		"g.created_at") ","                                                                \
				" coalesce(g.public_read_token, ''), coalesce(m.role_in_group, "   \
				"''),"                                                             \
				" c.officers, c.members, m.joined_at::text, m.id,"                 \
				" g.constituted, g.approval_tiers::text,"                          \
				" coalesce((SELECT h.user_id::text FROM group_membership h"        \
				" WHERE h.group_id = g.id AND h.user_id = g.account_holder_id"     \
				" AND h.role_in_group <> 'MEMBER'), (SELECT o.user_id::text"       \
				" FROM group_membership o WHERE o.group_id = g.id"                 \
				" AND o.role_in_group = 'OWNER'"                                   \
				" ORDER BY o.user_id = g.created_by DESC, o.joined_at, o.id"       \
				" LIMIT 1), ''), g.public_dues"                                    \
				" FROM \"group\" g"                                                \
				" LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE "               \
				"x.role_in_group"                                                  \
				" <> 'MEMBER') AS officers, count(*) AS members"                   \
				" FROM group_membership x WHERE x.group_id = g.id) c ON true"

static int
grp_read_view(mem_arena *a, const PGresult *res, int row, grp_view *out)
{
	out->id = db_text(a, res, row, 0);
	out->name = db_text(a, res, row, 1);
	out->description = db_text(a, res, row, 2);
	out->rule.template_ = grp_template_parse(PQgetvalue(res, row, 3));
	out->rule.approvals_required = (int)db_int64(res, row, 4);
	out->rule.approvals_cap = (int)db_int64(res, row, 5);
	out->created_by = db_text(a, res, row, 6);
	out->created_at = db_text(a, res, row, 7);
	out->public_token = db_text(a, res, row, 8);
	out->my_role = grp_role_parse(PQgetvalue(res, row, 9));
	out->officers = (int)db_int64(res, row, 10);
	out->members = (int)db_int64(res, row, 11);
	out->page_key = db_text(a, res, row, 12);
	out->membership_id = db_text(a, res, row, 13);
	out->constituted = db_bool(res, row, 14);
	out->account_holder = db_text(a, res, row, 16);
	out->public_dues = db_bool(res, row, 17);
	if (!out->membership_id || !out->account_holder)
		return err_oom();
	return grp_store_tiers_parse(out->tiers, &out->n_tiers, PQgetvalue(res, row, 15));
}

/* Runs a query expected to give one view row. */
static int
grp_view_query(db_conn *c, mem_arena *a, const char *sql, int n, const char *const *params,
	       grp_view *out)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, n, params);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "group_not_found", "no such group");
	if (rc == 0)
		rc = grp_read_view(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_recent_groups(int *out_n, int *out_retry_s, db_conn *c, const char *user, int window_s)
{
	char window[DB_I64_TEXT];
	const char *params[] = {user, db_i64(window, window_s)};
	PGresult *res = NULL;
	/* Two creations by one user at once count each other. created_at is
	 * local time without a zone (seed schema): compare it with local time. */
	int rc = db_run(c,
			"SELECT pg_advisory_xact_lock(hashtext('kolo_create_group'),"
			" hashtext($1))",
			1, params);

	if (rc == 0)
		rc = db_exec(c, &res,
			     "SELECT count(*), coalesce(greatest(1, ceil(extract(epoch FROM"
			     " min(created_at) + $2::int * interval '1 second'"
			     " - localtimestamp)))::int, 0) FROM \"group\""
			     " WHERE created_by = $1::uuid"
			     " AND created_at > localtimestamp - $2::int * interval '1 second'",
			     2, params);
	if (rc < 0)
		return rc;
	*out_n = (int)db_int64(res, 0, 0);
	*out_retry_s = (int)db_int64(res, 0, 1);
	PQclear(res);
	return 0;
}

int
grp_store_create(grp_view *out, mem_arena *a, db_conn *c, const char *name, const char *description,
		 const grp_rule *rule, const char *owner)
{
	char required[DB_I64_TEXT], cap[DB_I64_TEXT];
	const char *params[] = {name,
				description,
				grp_template_text(rule->template_),
				db_i64(required, rule->approvals_required),
				db_i64(cap, rule->approvals_cap),
				owner};
	PGresult *res = NULL;
	const char *id;
	int rc = db_exec(c, &res,
			 "WITH g AS (INSERT INTO \"group\" (name, description,"
			 " rule_template, approvals_required, approvals_cap, created_by)"
			 " VALUES ($1, NULLIF($2, ''), $3, $4::int, $5::int, $6::uuid)"
			 " RETURNING id)"
			 " INSERT INTO group_membership (group_id, user_id, role_in_group)"
			 " SELECT g.id, $6::uuid, 'OWNER' FROM g RETURNING group_id",
			 6, params);

	if (rc < 0)
		return rc;
	id = db_text(a, res, 0, 0);
	PQclear(res);
	if (!id)
		return err_oom();
	return grp_store_view(out, a, c, id, owner, 0);
}

int
grp_store_view(grp_view *out, mem_arena *a, db_conn *c, const char *group_id, const char *viewer,
	       int lock)
{
	const char *params[] = {group_id, viewer};

	if (lock) {
		/* The group row is the lock every membership change takes. */
		int rc = db_run(c, "SELECT 1 FROM \"group\" WHERE id = $1::uuid FOR UPDATE", 1,
				params);

		if (rc < 0)
			return rc;
	}
	return grp_view_query(c, a,
			      GRP_VIEW_SELECT " LEFT JOIN group_membership m ON"
					      " m.group_id = g.id AND m.user_id = $2::uuid"
					      " WHERE g.id = $1::uuid",
			      2, params, out);
}

int
grp_store_my_groups(grp_view **out, int *out_n, mem_arena *a, db_conn *c, const char *user,
		    const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[] = {user, page->key, page->after_id,
				db_i64(limit, page_fetch_rows(page))};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     GRP_VIEW_SELECT
			     " JOIN group_membership m ON m.group_id = g.id"
			     " WHERE m.user_id = $1::uuid AND ($2::timestamp IS NULL OR"
			     " (m.joined_at, m.id) < ($2::timestamp, $3::uuid))"
			     " ORDER BY m.joined_at DESC, m.id DESC LIMIT $4::int",
			     4, params, grp_read_view);
}

int
grp_store_update(db_conn *c, const char *group_id, const char *name, const char *description,
		 const grp_rule *rule)
{
	char required[DB_I64_TEXT], cap[DB_I64_TEXT];
	const char *params[] = {group_id,
				name,
				description,
				grp_template_text(rule->template_),
				db_i64(required, rule->approvals_required),
				db_i64(cap, rule->approvals_cap)};

	return db_run(c,
		      "UPDATE \"group\" SET name = $2, description = NULLIF($3, ''),"
		      " rule_template = $4, approvals_required = $5::int,"
		      " approvals_cap = $6::int WHERE id = $1::uuid",
		      6, params);
}

static int
grp_read_member(mem_arena *a, const PGresult *res, int row, grp_member *out)
{
	out->user_id = db_text(a, res, row, 0);
	out->role = grp_role_parse(PQgetvalue(res, row, 1));
	out->joined_at = db_text(a, res, row, 2);
	out->page_key = db_text(a, res, row, 3);
	out->id = db_text(a, res, row, 4);
	return out->id ? 0 : err_oom();
}

#define GRP_MEMBER_COLUMNS                                                                         \
	"user_id, role_in_group, " DB_RFC3339("joined_at") ", joined_at::text, id"

int
grp_store_add_member(grp_member *out, mem_arena *a, db_conn *c, const char *group_id,
		     const char *user_id, grp_role role)
{
	const char *params[] = {group_id, user_id, grp_role_text(role)};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO group_membership (group_id, user_id, role_in_group)"
			 " VALUES ($1::uuid, $2::uuid, $3) RETURNING " GRP_MEMBER_COLUMNS,
			 3, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "already_member",
			       "the user is already a member of the group");
	if (rc == 0)
		rc = grp_read_member(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_member(grp_member *out, mem_arena *a, db_conn *c, const char *group_id,
		 const char *user_id)
{
	const char *params[] = {group_id, user_id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " GRP_MEMBER_COLUMNS " FROM group_membership"
			 " WHERE group_id = $1::uuid AND user_id = $2::uuid",
			 2, params);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "member_not_found", "no such member in the group");
	if (rc == 0)
		rc = grp_read_member(a, res, 0, out);
	PQclear(res);
	return rc;
}

/* An officer who stops being one is no longer the named account holder:
 * the OWNER is again (docs/decisions.md, "The account holder"). */
static int
grp_store_unname_holder(db_conn *c, const char *group_id, const char *user_id)
{
	const char *params[] = {group_id, user_id};

	return db_run(c,
		      "UPDATE \"group\" SET account_holder_id = NULL"
		      " WHERE id = $1::uuid AND account_holder_id = $2::uuid",
		      2, params);
}

int
grp_store_set_role(db_conn *c, const char *group_id, const char *user_id, grp_role role)
{
	const char *params[] = {group_id, user_id, grp_role_text(role)};
	int rc = db_run(c,
			"UPDATE group_membership SET role_in_group = $3"
			" WHERE group_id = $1::uuid AND user_id = $2::uuid",
			3, params);

	if (rc == 0 && !grp_is_officer(role))
		rc = grp_store_unname_holder(c, group_id, user_id);
	return rc;
}

int
grp_store_remove_member(db_conn *c, const char *group_id, const char *user_id)
{
	const char *params[] = {group_id, user_id};

	int rc = db_run(c,
			"DELETE FROM group_membership"
			" WHERE group_id = $1::uuid AND user_id = $2::uuid",
			2, params);

	if (rc == 0)
		rc = grp_store_unname_holder(c, group_id, user_id);
	return rc;
}

int
grp_store_set_holder(db_conn *c, const char *group_id, const char *user_id)
{
	const char *params[] = {group_id, user_id};

	return db_run(c,
		      "UPDATE \"group\" SET account_holder_id = $2::uuid"
		      " WHERE id = $1::uuid",
		      2, params);
}

int
grp_store_members(grp_member **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id,
		  const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[] = {group_id, page->key, page->after_id,
				db_i64(limit, page_fetch_rows(page))};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " GRP_MEMBER_COLUMNS " FROM group_membership"
			     " WHERE group_id = $1::uuid AND ($2::timestamp IS NULL OR"
			     " (joined_at, id) > ($2::timestamp, $3::uuid))"
			     " ORDER BY joined_at, id LIMIT $4::int",
			     4, params, grp_read_member);
}

int
grp_store_count_owners(int *out, db_conn *c, const char *group_id)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT count(*) FROM group_membership WHERE group_id = $1::uuid"
			 " AND role_in_group = 'OWNER'",
			 1, &group_id);

	if (rc == 0)
		*out = (int)db_int64(res, 0, 0);
	PQclear(res);
	return rc;
}

int
grp_store_set_token(db_conn *c, const char *group_id, const char *token)
{
	const char *params[] = {group_id, token};

	return db_run(c, "UPDATE \"group\" SET public_read_token = $2 WHERE id = $1::uuid", 2,
		      params);
}

int
grp_store_resolve_token(grp_view *out, mem_arena *a, db_conn *c, const char *token)
{
	const char *params[] = {token, NULL};

	return grp_view_query(c, a,
			      GRP_VIEW_SELECT " LEFT JOIN group_membership m ON"
					      " m.group_id = g.id AND m.user_id = $2::uuid"
					      " WHERE g.public_read_token = $1",
			      2, params, out);
}
