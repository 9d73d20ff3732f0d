/* store: the SQL of governance (proposals, their votes, tiers). */
#include "store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* --- JSON of changes and tiers
 * ------------------------------------------------- */

static json_t *
grp_tiers_json(const grp_tier *tiers, int n)
{
	json_t *list = json_array();

	for (int i = 0; list && i < n; i++) {
		if (json_array_append_new(list, json_pack("{s:I, s:i}", "above_kobo",
							  (json_int_t)tiers[i].above_kobo,
							  "approvals_required",
							  tiers[i].approvals_required)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *
grp_change_json(const grp_change *ch)
{
	switch (ch->kind) {
	case GRP_KIND_RULE:
		return json_pack("{s:s, s:i, s:i}", "rule_template",
				 grp_template_text(ch->rule.template_), "approvals_required",
				 ch->rule.approvals_required, "approvals_cap",
				 ch->rule.approvals_cap);
	case GRP_KIND_TIERS:
		return json_pack("{s:o}", "approval_tiers", grp_tiers_json(ch->tiers, ch->n_tiers));
	case GRP_KIND_ADD_OFFICER:
	case GRP_KIND_PROMOTE:
	case GRP_KIND_DEMOTE:
		return json_pack("{s:s}", "role", grp_role_text(ch->role));
	default:
		return json_object();
	}
}

static int
grp_tiers_from(grp_tier *out, int *n, const json_t *list)
{
	size_t i;
	json_t *t;

	*n = 0;
	if (!json_is_array(list) || json_array_size(list) > GRP_TIERS_MAX)
		return err_set(ERR_DATA_LOSS, NULL, "stored approval tiers are not a short list");
	json_array_foreach(list, i, t)
	{
		out[i].above_kobo = json_integer_value(json_object_get(t, "above_kobo"));
		out[i].approvals_required =
			(int)json_integer_value(json_object_get(t, "approvals_required"));
	}
	*n = (int)json_array_size(list);
	return 0;
}

int
grp_store_tiers_parse(grp_tier *out, int *n, const char *json)
{
	json_t *list = json_loads(json, 0, NULL);
	int rc = grp_tiers_from(out, n, list);

	json_decref(list);
	return rc;
}

static const char *
grp_json_text(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : "";
}

static int
grp_change_parse(grp_change *out, grp_prop_kind kind, const char *json)
{
	json_t *obj = json_loads(json, 0, NULL);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!obj)
		return err_set(ERR_DATA_LOSS, NULL, "a stored proposal change is not JSON");
	out->rule.template_ = grp_template_parse(grp_json_text(obj, "rule_template"));
	out->rule.approvals_required =
		(int)json_integer_value(json_object_get(obj, "approvals_required"));
	out->rule.approvals_cap = (int)json_integer_value(json_object_get(obj, "approvals_cap"));
	out->role = grp_role_parse(grp_json_text(obj, "role"));
	if (kind == GRP_KIND_TIERS)
		rc = grp_tiers_from(out->tiers, &out->n_tiers,
				    json_object_get(obj, "approval_tiers"));
	json_decref(obj);
	return rc;
}

/* A JSON text for a parameter; freed by the caller. */
static int
grp_dump(char **out, json_t *json)
{
	*out = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(json);
	return *out ? 0 : err_oom();
}

/* --- proposals
 * ------------------------------------------------------------------ */

int
grp_store_proposal_add(char **out_id, mem_arena *a, db_conn *c, const char *group_id,
		       const grp_change *change, const char *subject, const char *proposer,
		       grp_prop_state status, int approvals_required)
{
	char required[DB_I64_TEXT], ttl[DB_I64_TEXT];
	char *json = NULL;
	PGresult *res = NULL;
	int rc = grp_dump(&json, grp_change_json(change));
	const char *params[] = {group_id,
				grp_prop_kind_text(change->kind),
				json,
				subject,
				proposer,
				grp_prop_state_text(status),
				db_i64(required, approvals_required),
				db_i64(ttl, GRP_PROPOSAL_TTL_S)};

	/* An applied (bootstrap) proposal is decided when it is made. */
	if (rc == 0)
		rc = db_exec(c, &res,
			     "WITH p AS (INSERT INTO group_proposal (group_id, "
			     "kind, change,"
			     " subject_user_id, proposed_by, status, "
			     "approvals_required,"
			     " expires_at, decided_at)"
			     " VALUES ($1::uuid, $2, $3::jsonb, $4::uuid, $5::uuid, "
			     "$6, $7::int,"
			     " localtimestamp + make_interval(secs => $8::bigint),"
			     " CASE WHEN $6 = 'APPLIED' THEN localtimestamp END) "
			     "RETURNING id)"
			     " INSERT INTO group_proposal_vote (proposal_id, "
			     "user_id, vote)"
			     " SELECT p.id, $5::uuid, 'APPROVE' FROM p RETURNING "
			     "proposal_id",
			     8, params);
	free(json);
	if (rc == 0) {
		*out_id = db_text(a, res, 0, 0);
		if (!*out_id)
			rc = err_oom();
	}
	PQclear(res);
	return rc;
}

#define GRP_PROPOSAL_COLUMNS                                                                                                                        \
	"id, group_id, kind, change::text, coalesce(subject_user_id::text, "                                                                        \
	"''), proposed_by,"                                                                                                                         \
	" status, approvals_required, passed_by_members, reason, " DB_RFC3339(                                                                      \
		"created_at") ", " DB_RFC3339("expires_at") ", coalesce(" DB_RFC3339("applies_at") ", ''),"                                         \
												   " coalesce(" DB_RFC3339(                         \
													   "decided_at") ", ''), extract(epoch "    \
															 "from "                    \
															 "created_at)::bigint,"     \
															 " extract(epoch from "     \
															 "expires_at)::bigint,"     \
															 " coalesce(extract(epoch " \
															 "from "                    \
															 "applies_at)::bigint, 0)," \
															 " extract(epoch from "     \
															 "localtimestamp)::bigint," \
															 " created_at::text"

/* One vote: (user_id, created_at, objection). */
static int
grp_read_vote(mem_arena *a, const PGresult *res, int row, grp_vote *out)
{
	out->user_id = db_text(a, res, row, 0);
	out->created_at = db_text(a, res, row, 1);
	out->objection = db_bool(res, row, 2);
	return out->user_id && out->created_at ? 0 : err_oom();
}

/* The votes of proposal p, oldest first, into p. */
static int
grp_read_votes(db_conn *c, mem_arena *a, grp_proposal *p)
{
	const char *id = p->id;
	return DB_QUERY_ROWS(
		&p->votes, &p->n_votes, a, c,
		"SELECT user_id, " DB_RFC3339("created_at") ", vote = 'OBJECT'"
							    " FROM group_proposal_vote "
							    "WHERE proposal_id = $1::uuid"
							    " ORDER BY created_at, user_id",
		1, &id, grp_read_vote);
}

/* One proposal row, without its votes (grp_read_votes). */
static int
grp_read_proposal(mem_arena *a, const PGresult *res, int row, grp_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->id = db_text(a, res, row, 0);
	out->group_id = db_text(a, res, row, 1);
	out->subject = db_text(a, res, row, 4);
	out->proposed_by = db_text(a, res, row, 5);
	out->status = (grp_prop_state)grp_prop_state_parse(PQgetvalue(res, row, 6));
	out->approvals_required = (int)db_int64(res, row, 7);
	out->passed_by_members = db_bool(res, row, 8);
	out->reason = db_text(a, res, row, 9);
	out->created_at = db_text(a, res, row, 10);
	out->expires_at = db_text(a, res, row, 11);
	out->applies_at = db_text(a, res, row, 12);
	out->decided_at = db_text(a, res, row, 13);
	out->created_s = db_int64(res, row, 14);
	out->expires_s = db_int64(res, row, 15);
	out->applies_s = db_int64(res, row, 16);
	out->now_s = db_int64(res, row, 17);
	out->page_key = db_text(a, res, row, 18);
	if (!out->page_key || !out->id)
		return err_oom();
	return grp_change_parse(&out->change, grp_prop_kind_parse(PQgetvalue(res, row, 2)),
				PQgetvalue(res, row, 3));
}

int
grp_store_proposal(grp_proposal *out, mem_arena *a, db_conn *c, const char *id, int lock)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 lock ? "SELECT " GRP_PROPOSAL_COLUMNS
				" FROM group_proposal WHERE id = $1::uuid FOR UPDATE"
			      : "SELECT " GRP_PROPOSAL_COLUMNS
				" FROM group_proposal WHERE id = $1::uuid",
			 1, &id);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "proposal_not_found", "no such proposal");
	if (rc == 0)
		rc = grp_read_proposal(a, res, 0, out);
	PQclear(res);
	if (rc == 0)
		rc = grp_read_votes(c, a, out);
	return rc;
}

int
grp_store_proposals(grp_proposal **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id,
		    const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[] = {group_id, page->key, page->after_id,
				db_i64(limit, page_fetch_rows(page))};
	int rc = DB_QUERY_ROWS(out, out_n, a, c,
			       "SELECT " GRP_PROPOSAL_COLUMNS " FROM group_proposal"
			       " WHERE group_id = $1::uuid AND ($2::timestamp IS NULL OR"
			       " (created_at, id) < ($2::timestamp, $3::uuid))"
			       " ORDER BY created_at DESC, id DESC LIMIT $4::int",
			       4, params, grp_read_proposal);

	for (int i = 0; rc == 0 && i < *out_n; i++)
		rc = grp_read_votes(c, a, &(*out)[i]);
	return rc;
}

int
grp_store_vote(db_conn *c, const char *proposal_id, const char *user_id, int objection)
{
	const char *params[] = {proposal_id, user_id, objection ? "OBJECT" : "APPROVE"};

	return db_run(c,
		      "INSERT INTO group_proposal_vote (proposal_id, user_id, vote)"
		      " VALUES ($1::uuid, $2::uuid, $3)",
		      3, params);
}

int
grp_store_proposal_move(db_conn *c, const char *id, grp_prop_state from, grp_prop_state to,
			int64_t delay_s, int passed_by_members, const char *reason)
{
	char delay[DB_I64_TEXT];
	const char *params[] = {id,
				grp_prop_state_text(from),
				grp_prop_state_text(to),
				db_i64(delay, delay_s),
				passed_by_members ? "true" : "false",
				reason ? reason : ""};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "UPDATE group_proposal SET status = $3,"
			 " applies_at = CASE WHEN $3 = 'PASSED'"
			 " THEN localtimestamp + make_interval(secs => $4::bigint) ELSE "
			 "applies_at END,"
			 " passed_by_members = CASE WHEN $3 = 'PASSED' THEN $5::boolean"
			 " ELSE passed_by_members END,"
			 " decided_at = CASE WHEN $3 = 'PASSED' THEN NULL ELSE "
			 "localtimestamp END,"
			 " reason = $6 WHERE id = $1::uuid AND status = $2",
			 6, params);

	if (rc == 0 && db_affected(res) != 1)
		rc = err_set(ERR_ABORTED, "proposal_not_pending", "the proposal is no longer %s",
			     grp_prop_state_text(from));
	PQclear(res);
	return rc;
}

int
grp_store_proposal_required(db_conn *c, const char *id, int required)
{
	char n[DB_I64_TEXT];
	const char *params[] = {id, db_i64(n, required)};

	return db_run(c,
		      "UPDATE group_proposal SET approvals_required = $2::int "
		      "WHERE id = $1::uuid",
		      2, params);
}

/* One voter: (user_id, role_in_group, joined_at in Unix seconds). */
static int
grp_read_voter(mem_arena *a, const PGresult *res, int row, grp_voter *out)
{
	out->user_id = db_text(a, res, row, 0);
	out->role = grp_role_parse(PQgetvalue(res, row, 1));
	out->joined_s = db_int64(res, row, 2);
	return out->user_id ? 0 : err_oom();
}

int
grp_store_voters(grp_voter **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id)
{

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT user_id, role_in_group, extract(epoch from "
			     "joined_at)::bigint"
			     " FROM group_membership WHERE group_id = $1::uuid "
			     "ORDER BY joined_at, id",
			     1, &group_id, grp_read_voter);
}

int
grp_store_set_rule(db_conn *c, const char *group_id, const grp_rule *rule)
{
	char required[DB_I64_TEXT], cap[DB_I64_TEXT];
	const char *params[] = {group_id, grp_template_text(rule->template_),
				db_i64(required, rule->approvals_required),
				db_i64(cap, rule->approvals_cap)};

	return db_run(c,
		      "UPDATE \"group\" SET rule_template = $2, "
		      "approvals_required = $3::int,"
		      " approvals_cap = $4::int WHERE id = $1::uuid",
		      4, params);
}

int
grp_store_set_tiers(db_conn *c, const char *group_id, const grp_tier *tiers, int n)
{
	char *json = NULL;
	int rc = grp_dump(&json, grp_tiers_json(tiers, n));
	const char *params[] = {group_id, json};

	if (rc == 0)
		rc = db_run(c,
			    "UPDATE \"group\" SET approval_tiers = $2::jsonb "
			    "WHERE id = $1::uuid",
			    2, params);
	free(json);
	return rc;
}

int
grp_store_constitute(db_conn *c, const char *group_id)
{
	return db_run(c,
		      "UPDATE \"group\" SET constituted = true WHERE id = $1::uuid"
		      " AND NOT constituted",
		      1, &group_id);
}

int
grp_store_proposals_due(char ***out, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char lim[DB_I64_TEXT];
	const char *params[] = {db_i64(lim, limit)};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "(SELECT id FROM group_proposal WHERE status = 'PASSED'"
			     " AND applies_at <= localtimestamp ORDER BY applies_at "
			     "LIMIT $1::int)"
			     " UNION ALL (SELECT id FROM group_proposal WHERE "
			     "status = 'PENDING'"
			     " AND expires_at <= localtimestamp ORDER BY expires_at "
			     "LIMIT $1::int)",
			     1, params, db_read_text);
}
