/* store_dues: see store_dues.h. */
#include "store_dues.h"

#include <string.h>

#define DUES_COLUMNS                                                                               \
	"id, group_id, name, kind, amount_kobo, period, starts_on::text,"                          \
	" coalesce(ends_on::text, ''), created_by, " DB_RFC3339("created_at")

#define WAIVER_COLUMNS                                                                             \
	"w.id, w.dues_id, w.user_id, coalesce(w.due_on::text, ''), w.reason,"                      \
	" w.waived_by, " DB_RFC3339("w.created_at")

static int
dues_read(mem_arena *a, const PGresult *res, int row, grp_dues_row *out)
{
	out->id = db_text(a, res, row, 0);
	out->group_id = db_text(a, res, row, 1);
	out->name = db_text(a, res, row, 2);
	out->kind = db_text(a, res, row, 3);
	out->amount_kobo = db_int64(res, row, 4);
	out->period = db_text(a, res, row, 5);
	out->starts_on = db_text(a, res, row, 6);
	out->ends_on = db_text(a, res, row, 7);
	out->created_by = db_text(a, res, row, 8);
	out->created_at = db_text(a, res, row, 9);
	return out->created_at ? 0 : err_oom();
}

static int
waiver_read(mem_arena *a, const PGresult *res, int row, grp_waiver_row *out)
{
	out->id = db_text(a, res, row, 0);
	out->dues_id = db_text(a, res, row, 1);
	out->user_id = db_text(a, res, row, 2);
	out->due_on = db_text(a, res, row, 3);
	out->reason = db_text(a, res, row, 4);
	out->waived_by = db_text(a, res, row, 5);
	out->created_at = db_text(a, res, row, 6);
	return out->created_at ? 0 : err_oom();
}

int
grp_store_dues_add(grp_dues_row *out, mem_arena *a, db_conn *c, const grp_dues_row *in)
{
	char amount[DB_I64_TEXT];
	const char *params[] = {
		in->group_id, in->name,	     in->kind,	  db_i64(amount, in->amount_kobo),
		in->period,   in->starts_on, in->ends_on, in->created_by};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO group_dues (group_id, name, kind,"
			 " amount_kobo, period, starts_on, ends_on, created_by)"
			 " VALUES ($1::uuid, $2, $3, $4::bigint, $5, $6::date,"
			 " NULLIF($7, '')::date, $8::uuid) RETURNING " DUES_COLUMNS,
			 8, params);

	if (rc < 0)
		return rc;
	rc = dues_read(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_dues_list(grp_dues_row **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id)
{

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " DUES_COLUMNS " FROM group_dues"
			     " WHERE group_id = $1::uuid ORDER BY created_at, id",
			     1, &group_id, dues_read);
}

int
grp_store_dues_get(grp_dues_row *out, mem_arena *a, db_conn *c, const char *group_id,
		   const char *id)
{
	const char *params[] = {group_id, id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " DUES_COLUMNS " FROM group_dues"
			 " WHERE group_id = $1::uuid AND id = $2::uuid",
			 2, params);

	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "dues_not_found", "the group has no such dues");
	else
		rc = dues_read(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_waiver_add(grp_waiver_row *out, mem_arena *a, db_conn *c, const grp_waiver_row *in)
{
	const char *params[] = {in->dues_id, in->user_id, in->due_on, in->reason, in->waived_by};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO dues_waiver AS w (dues_id, user_id, due_on,"
			 " reason, waived_by) VALUES ($1::uuid, $2::uuid,"
			 " NULLIF($3, '')::date, $4, $5::uuid)"
			 " RETURNING " WAIVER_COLUMNS,
			 5, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "already_waived",
			       "the member is already let off that");
	if (rc < 0)
		return rc;
	rc = waiver_read(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_waivers(grp_waiver_row **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id,
		  const char *user_id)
{
	const char *params[] = {group_id, user_id};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " WAIVER_COLUMNS " FROM dues_waiver w"
			     " JOIN group_dues d ON d.id = w.dues_id"
			     " WHERE d.group_id = $1::uuid"
			     " AND ($2::uuid IS NULL OR w.user_id = $2::uuid)"
			     " ORDER BY w.created_at, w.id",
			     2, params, waiver_read);
}

int
grp_store_set_public_dues(db_conn *c, const char *group_id, int on)
{
	const char *params[] = {group_id, on ? "true" : "false"};

	return db_run(c,
		      "UPDATE \"group\" SET public_dues = $2::boolean"
		      " WHERE id = $1::uuid",
		      2, params);
}
