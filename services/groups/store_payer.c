/* store_payer: the SQL of payer accounts (see store_payer.h). */
#include "store_payer.h"

#include <string.h>

#define GRP_PAYER_COLUMNS                                                                          \
	"id, user_id, bank_code, bank_name, account_number, account_name, " DB_RFC3339("created_"  \
										       "at")

static int
grp_read_payer(mem_arena *a, const PGresult *res, int row, grp_payer *out)
{
	out->id = db_text(a, res, row, 0);
	out->user_id = db_text(a, res, row, 1);
	out->bank_code = db_text(a, res, row, 2);
	out->bank_name = db_text(a, res, row, 3);
	out->account_number = db_text(a, res, row, 4);
	out->account_name = db_text(a, res, row, 5);
	out->created_at = db_text(a, res, row, 6);
	return out->created_at ? 0 : err_oom();
}

int
grp_store_payer_lock(db_conn *c, const char *bank_code, const char *account_number)
{
	const char *params[] = {bank_code, account_number};

	return db_run(c,
		      "SELECT pg_advisory_xact_lock(hashtextextended("
		      "'payer_account:' || $1 || ':' || $2, 0))",
		      2, params);
}

int
grp_store_payer_user_lock(db_conn *c, const char *user_id)
{
	const char *params[] = {user_id};

	return db_run(c,
		      "SELECT pg_advisory_xact_lock(hashtextextended("
		      "'payer_user:' || $1, 0))",
		      1, params);
}

int
grp_store_payer_count(int *out_n, db_conn *c, const char *user_id)
{
	const char *params[] = {user_id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT count(*) FROM payer_account"
			 " WHERE user_id = $1::uuid AND removed_at IS NULL",
			 1, params);

	*out_n = rc == 0 ? (int)db_int64(res, 0, 0) : 0;
	PQclear(res);
	return rc;
}

int
grp_store_payer_own(grp_payer *out, int *out_found, mem_arena *a, db_conn *c, const char *user_id,
		    const char *bank_code, const char *account_number)
{
	const char *params[] = {user_id, bank_code, account_number};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " GRP_PAYER_COLUMNS " FROM payer_account"
			 " WHERE user_id = $1::uuid AND bank_code = $2 AND account_number = $3"
			 " AND removed_at IS NULL",
			 3, params);

	*out_found = rc == 0 && PQntuples(res) > 0;
	if (*out_found)
		rc = grp_read_payer(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_payer_in_use(int *out_in_use, db_conn *c, const char *user_id, const char *bank_code,
		       const char *account_number)
{
	const char *params[] = {user_id, bank_code, account_number};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT EXISTS (SELECT 1 FROM payer_account p"
			 " JOIN group_membership theirs ON theirs.user_id = p.user_id"
			 " JOIN group_membership mine ON mine.group_id = theirs.group_id"
			 " AND mine.user_id = $1::uuid"
			 " WHERE p.bank_code = $2 AND p.account_number = $3"
			 " AND p.removed_at IS NULL AND p.user_id <> $1::uuid)",
			 3, params);

	*out_in_use = rc == 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

int
grp_store_payer_add(grp_payer *out, mem_arena *a, db_conn *c, const grp_payer *in)
{
	const char *params[] = {in->user_id, in->bank_code, in->bank_name, in->account_number,
				in->account_name};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO payer_account (user_id, bank_code, bank_name,"
			 " account_number, account_name) VALUES ($1::uuid, $2, $3, $4, $5)"
			 " RETURNING " GRP_PAYER_COLUMNS,
			 5, params);

	if (rc == 0)
		rc = grp_read_payer(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
grp_store_payer_list(grp_payer **out, int *out_n, mem_arena *a, db_conn *c, const char *user_id)
{
	const char *params[] = {user_id};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " GRP_PAYER_COLUMNS " FROM payer_account"
			     " WHERE user_id = $1::uuid AND removed_at IS NULL"
			     " ORDER BY created_at, id",
			     1, params, grp_read_payer);
}

int
grp_store_payer_remove(int *out_found, db_conn *c, const char *user_id, const char *id)
{
	const char *params[] = {user_id, id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "UPDATE payer_account SET removed_at = now()"
			 " WHERE user_id = $1::uuid AND id = $2::uuid AND removed_at IS NULL"
			 " RETURNING id",
			 2, params);

	*out_found = rc == 0 && PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

int
grp_store_payer_candidates(grp_payer **out, int *out_n, mem_arena *a, db_conn *c,
			   const char *group_id, const char *account_number)
{
	const char *params[] = {group_id, account_number};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " GRP_PAYER_COLUMNS " FROM payer_account p"
			     " WHERE p.account_number = $2 AND p.removed_at IS NULL"
			     " AND EXISTS (SELECT 1 FROM group_membership m"
			     " WHERE m.group_id = $1::uuid AND m.user_id = p.user_id)"
			     " ORDER BY p.user_id, p.created_at, p.id",
			     2, params, grp_read_payer);
}
