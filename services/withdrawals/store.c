#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "text/text.h"

#define WDR_COLUMNS                                                                                \
	"w.id, w.group_id, w.amount_kobo, w.beneficiary::text,"                                    \
	" coalesce(w.reason, ''), w.status, w.requested_by,"                                       \
	" " DB_RFC3339(                                                                            \
		"w.expires_at") ", coalesce(w.expires_at <= now() AT TIME ZONE 'UTC', false),"     \
				" coalesce(" DB_RFC3339("w.executed_at") ", ''), " DB_RFC3339(     \
					"w.created_at") ","                                        \
							" coalesce(w.decline_reason, ''), "        \
							"coalesce(w.declined_by::text, ''),"       \
							" coalesce(w.client_ref, ''), "            \
							"coalesce(w.approvals_required, 0),"       \
							" w.payout_attempt, "                      \
							"coalesce(w.payout_id::text, ''),"         \
							" coalesce(w.payout_status, ''), "         \
							"coalesce(w.payout_failure, ''),"          \
							" w.created_at::text, w.payout_tries, "    \
							"coalesce(w.hold_reference, '')"

static int
wdr_read(mem_arena *a, const PGresult *res, int row, wdr_row *out)
{
	int state;

	memset(out, 0, sizeof(*out));
	out->id = db_text(a, res, row, 0);
	out->group_id = db_text(a, res, row, 1);
	out->amount_kobo = db_int64(res, row, 2);
	out->beneficiary = db_text(a, res, row, 3);
	out->reason = db_text(a, res, row, 4);
	out->status = db_text(a, res, row, 5);
	out->requested_by = db_text(a, res, row, 6);
	out->expires_at = db_text(a, res, row, 7);
	out->expired = db_bool(res, row, 8);
	out->executed_at = db_text(a, res, row, 9);
	out->created_at = db_text(a, res, row, 10);
	out->decline_reason = db_text(a, res, row, 11);
	out->declined_by = db_text(a, res, row, 12);
	out->client_ref = db_text(a, res, row, 13);
	out->approvals_required = (int)db_int64(res, row, 14);
	out->payout_attempt = (int)db_int64(res, row, 15);
	out->payout_id = db_text(a, res, row, 16);
	out->payout_status = db_text(a, res, row, 17);
	out->payout_failure = db_text(a, res, row, 18);
	out->page_key = db_text(a, res, row, 19);
	out->payout_tries = (int)db_int64(res, row, 20);
	out->hold_reference = db_text(a, res, row, 21);
	if (!out->page_key || !out->hold_reference)
		return err_oom();
	state = wdr_state_parse(out->status);
	if (state < 0)
		return err_set(ERR_INTERNAL, NULL, "withdrawal %s has an unknown status %s",
			       out->id, out->status);
	out->state = (wdr_state)state;
	return 0;
}

/* One approval: (approver_user_id, created_at). */
static int
wdr_read_approval(mem_arena *a, const PGresult *res, int row, wdr_approval *out)
{
	out->user_id = db_text(a, res, row, 0);
	out->created_at = db_text(a, res, row, 1);
	return out->user_id && out->created_at ? 0 : err_oom();
}

/* The approvals of a request, oldest first. */
static int
wdr_read_approvals(db_conn *c, mem_arena *a, wdr_row *w)
{
	int n = 0;
	int rc = DB_QUERY_ROWS(
		&w->approvals, &n, a, c,
		"SELECT approver_user_id, " DB_RFC3339(
			"created_at") " FROM approval"
				      " WHERE withdrawal_id = $1::uuid ORDER BY created_at, id",
		1, (const char *const *)&w->id, wdr_read_approval);

	w->n_approvals = (size_t)n;
	return rc;
}

/* The index in rows of the request id (n is at most a page). */
static int
wdr_row_of(const wdr_row *rows, int n, const char *id)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(rows[i].id, id) == 0)
			return i;
	}
	return -1;
}

/* The approvals of a page of requests in one query (not one per row). */
static int
wdr_read_page_approvals(db_conn *c, mem_arena *a, wdr_row *rows, int n)
{
	char *ids = mem_arena_alloc(a, (size_t)n * (TEXT_UUID_LEN + 1) + 3);
	size_t len = 0;
	PGresult *res = NULL;
	int rc, i, k;

	if (!ids)
		return err_oom();
	ids[len++] = '{';
	for (i = 0; i < n; i++) { /* ids read from the table: UUID text */
		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, rows[i].id, strlen(rows[i].id));
		len += strlen(rows[i].id);
	}
	memcpy(ids + len, "}", 2);
	rc = db_exec(c, &res,
		     "SELECT withdrawal_id, approver_user_id, " DB_RFC3339(
			     "created_at") " FROM approval WHERE withdrawal_id = ANY ($1::uuid[])"
					   " ORDER BY created_at, id",
		     1, (const char *const *)&ids);
	if (rc < 0)
		return rc;
	for (k = 0; k < PQntuples(res); k++) {
		i = wdr_row_of(rows, n, PQgetvalue(res, k, 0));
		if (i >= 0)
			rows[i].n_approvals++;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		rows[i].approvals =
			mem_arena_alloc(a, sizeof(*rows[i].approvals) * (rows[i].n_approvals + 1));
		if (!rows[i].approvals)
			rc = err_oom();
		rows[i].n_approvals = 0; /* filled again below */
	}
	for (k = 0; rc == 0 && k < PQntuples(res); k++) {
		wdr_row *w;

		i = wdr_row_of(rows, n, PQgetvalue(res, k, 0));
		if (i < 0)
			continue;
		w = &rows[i];
		w->approvals[w->n_approvals].user_id = db_text(a, res, k, 1);
		w->approvals[w->n_approvals].created_at = db_text(a, res, k, 2);
		if (!w->approvals[w->n_approvals].created_at)
			rc = err_oom();
		w->n_approvals++;
	}
	PQclear(res);
	return rc;
}

static int
wdr_one(db_conn *c, mem_arena *a, const char *sql, int n, const char *const *params, wdr_row *out,
	int *found)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, n, params);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	if (*found)
		rc = wdr_read(a, res, 0, out);
	PQclear(res);
	if (rc == 0 && *found)
		rc = wdr_read_approvals(c, a, out);
	return rc;
}

int
wdr_store_create(char **out_id, char **out_expires_at, mem_arena *a, db_conn *c, const wdr_new *in)
{
	char amount[DB_I64_TEXT], required[DB_I64_TEXT], ttl[DB_I64_TEXT];
	const char *params[] = {in->group_id,
				db_i64(amount, in->amount_kobo),
				in->beneficiary,
				in->reason,
				in->requested_by,
				in->client_ref,
				db_i64(required, in->approvals_required),
				db_i64(ttl, in->ttl_s)};
	PGresult *res = NULL;
	int rc = db_exec(
		c, &res,
		"WITH w AS (INSERT INTO withdrawal_request (group_id, amount_kobo,"
		" beneficiary, reason, status, requested_by, expires_at, client_ref,"
		" approvals_required) VALUES ($1::uuid, $2::bigint, $3::jsonb, $4,"
		" 'PENDING', $5::uuid, (now() + $8::bigint * interval '1 second')"
		" AT TIME ZONE 'UTC', NULLIF($6, ''), $7::int)"
		" RETURNING id, " DB_RFC3339(
			"expires_at") " AS expires_text)"
				      " INSERT INTO approval (withdrawal_id, approver_user_id)"
				      " SELECT id, $5::uuid FROM w RETURNING withdrawal_id,"
				      " (SELECT expires_text FROM w)",
		8, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "idempotency_key_used",
			       "this Idempotency-Key was used for another request");
	if (rc < 0)
		return rc;
	*out_id = db_text(a, res, 0, 0);
	*out_expires_at = db_text(a, res, 0, 1);
	PQclear(res);
	return *out_id && *out_expires_at ? 0 : err_oom();
}

int
wdr_store_get(wdr_row *out, int *out_found, mem_arena *a, db_conn *c, const char *id, int lock)
{
	return wdr_one(c, a,
		       lock ? "SELECT " WDR_COLUMNS " FROM withdrawal_request w"
			      " WHERE w.id = $1::uuid FOR UPDATE"
			    : "SELECT " WDR_COLUMNS " FROM withdrawal_request w"
			      " WHERE w.id = $1::uuid",
		       1, &id, out, out_found);
}

int
wdr_store_by_client_ref(wdr_row *out, int *out_found, mem_arena *a, db_conn *c,
			const char *requested_by, const char *client_ref)
{
	const char *params[] = {requested_by, client_ref};

	return wdr_one(c, a,
		       "SELECT " WDR_COLUMNS " FROM withdrawal_request w"
		       " WHERE w.requested_by = $1::uuid AND w.client_ref = $2",
		       2, params, out, out_found);
}

int
wdr_store_approve(db_conn *c, const char *id, const char *user_id)
{
	const char *params[] = {id, user_id};
	int rc = db_run(c,
			"INSERT INTO approval (withdrawal_id, approver_user_id)"
			" VALUES ($1::uuid, $2::uuid)",
			2, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "already_approved",
			       "you have already approved this withdrawal");
	return rc;
}

int
wdr_store_move(int *out_moved, wdr_row *out_after, mem_arena *a, db_conn *c, const wdr_move *m)
{
	char attempt[DB_I64_TEXT], required[DB_I64_TEXT], ttl[DB_I64_TEXT];
	const char *params[] = {m->id,
				wdr_state_text(m->from),
				wdr_state_text(m->to),
				db_i64(attempt, m->attempt),
				m->actor ? m->actor : "",
				m->reason ? m->reason : "",
				db_i64(required, m->approvals_required),
				db_i64(ttl, m->ttl_s),
				m->payout_id ? m->payout_id : "",
				m->payout_status ? m->payout_status : "",
				m->payout_failure ? m->payout_failure : "",
				m->executed_at ? m->executed_at : ""};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "WITH m AS (SELECT id, ($2 = 'PAYOUT_FAILED' AND"
			 " $3 IN ('APPROVED', 'PENDING')) AS next_try,"
			 " $3 IN ('DECLINED', 'CLOSED') AS ends FROM withdrawal_request"
			 " WHERE id = $1::uuid AND status = $2"
			 " AND ($4::int = 0 OR payout_attempt = $4::int))"
			 " UPDATE withdrawal_request w SET status = $3,"
			 " declined_by = CASE WHEN m.ends THEN NULLIF($5, '')::uuid"
			 " ELSE w.declined_by END,"
			 " decline_reason = CASE WHEN m.ends THEN NULLIF($6, '')"
			 " ELSE w.decline_reason END,"
			 " approvals_required = CASE WHEN $7::int > 0 THEN $7::int"
			 " ELSE w.approvals_required END,"
			 " expires_at = CASE WHEN $8::bigint > 0 THEN (now() + $8::bigint"
			 " * interval '1 second') AT TIME ZONE 'UTC' ELSE w.expires_at END,"
			 " payout_attempt = w.payout_attempt + CASE WHEN m.next_try THEN 1"
			 " ELSE 0 END,"
			 " payout_id = CASE WHEN m.next_try THEN NULL"
			 " ELSE coalesce(NULLIF($9, '')::uuid, w.payout_id) END,"
			 " payout_status = CASE WHEN m.next_try THEN NULL"
			 " ELSE coalesce(NULLIF($10, ''), w.payout_status) END,"
			 " payout_failure = CASE WHEN m.next_try THEN NULL"
			 " ELSE coalesce(NULLIF($11, ''), w.payout_failure) END,"
			 " payout_tries = CASE WHEN $3 = 'APPROVED' THEN 0 ELSE w.payout_tries END,"
			 " next_payout_at = CASE WHEN $3 = 'APPROVED' THEN NULL"
			 " ELSE w.next_payout_at END,"
			 " approved_at = CASE WHEN $3 = 'APPROVED' THEN now()"
			 " ELSE w.approved_at END,"
			 /* paid: its hold was captured, nothing left to release */
			 " hold_reference = CASE WHEN $3 = 'PAID' THEN NULL"
			 " ELSE w.hold_reference END,"
			 " executed_at = CASE WHEN $3 = 'PAID' THEN"
			 " coalesce(NULLIF($12, '')::timestamptz, now()) ELSE w.executed_at END,"
			 " updated_at = now() FROM m WHERE w.id = m.id"
			 " RETURNING " WDR_COLUMNS,
			 12, params);

	if (rc < 0)
		return rc;
	*out_moved = PQntuples(res) == 1;
	if (*out_moved)
		rc = wdr_read(a, res, 0, out_after);
	PQclear(res);
	return rc;
}

int
wdr_store_recent_kobo(int64_t *out, db_conn *c, const char *group_id, const char *except_id)
{
	const char *params[] = {group_id, except_id};
	PGresult *res = NULL;
	/* The group's decisions take turns (a transaction-scoped advisory lock),
	 * so two requests decided at once each see the other's approval: a
	 * split cannot slip under a tier in parallel. */
	int rc = db_run(c, "SELECT pg_advisory_xact_lock(hashtextextended($1, 15))", 1, &group_id);

	if (rc < 0)
		return rc;
	rc = db_exec(c, &res,
		     "SELECT coalesce(sum(amount_kobo), 0)::bigint FROM withdrawal_request"
		     " WHERE group_id = $1::uuid AND status IN ('APPROVED', 'PAID')"
		     " AND approved_at > now() - interval '24 hours'"
		     " AND id::text <> $2",
		     2, params);

	if (rc < 0)
		return rc;
	*out = db_int64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
wdr_store_payout_asked(db_conn *c, const char *id, int attempt, const char *payout_id,
		       int64_t next_in_s)
{
	char attempt_text[DB_I64_TEXT], next[DB_I64_TEXT];
	const char *params[] = {id, db_i64(attempt_text, attempt), payout_id,
				db_i64(next, next_in_s)};

	return db_run(c,
		      "UPDATE withdrawal_request SET"
		      " payout_id = coalesce(NULLIF($3, '')::uuid, payout_id),"
		      " payout_status = CASE WHEN $3 = '' THEN payout_status ELSE 'PENDING' END,"
		      " payout_tries = payout_tries + 1,"
		      " next_payout_at = now() + $4::bigint * interval '1 second',"
		      " updated_at = now()"
		      " WHERE id = $1::uuid AND status = 'APPROVED' AND payout_attempt = $2::int",
		      4, params);
}

int
wdr_store_list(wdr_row **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id,
	       const char *status, const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[] = {group_id, status, page->key, page->after_id,
				db_i64(limit, page_fetch_rows(page))};
	int rc = DB_QUERY_ROWS(out, out_n, a, c,
			       "SELECT " WDR_COLUMNS " FROM withdrawal_request w"
			       " WHERE w.group_id = $1::uuid AND ($2 = '' OR w.status = $2)"
			       " AND ($3::timestamp IS NULL OR (w.created_at, w.id) <"
			       " ($3::timestamp, $4::uuid))"
			       " ORDER BY w.created_at DESC, w.id DESC LIMIT $5::int",
			       5, params, wdr_read);

	if (rc == 0 && *out_n > 0)
		rc = wdr_read_page_approvals(c, a, *out, *out_n);
	return rc;
}

int
wdr_store_expire(wdr_row **out, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char limit_text[DB_I64_TEXT];
	const char *param = db_i64(limit_text, limit);

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"UPDATE withdrawal_request w SET"
		" status = CASE w.status WHEN 'PENDING' THEN 'DECLINED' ELSE 'CLOSED' END,"
		" declined_by = NULL, decline_reason = 'expired', updated_at = now()"
		" WHERE w.id IN (SELECT id FROM withdrawal_request"
		" WHERE status IN ('PENDING', 'PAYOUT_FAILED')"
		" AND expires_at <= now() AT TIME ZONE 'UTC'"
		" ORDER BY expires_at LIMIT $1::int FOR UPDATE SKIP LOCKED)"
		" AND w.status IN ('PENDING', 'PAYOUT_FAILED')"
		" RETURNING " WDR_COLUMNS,
		1, &param, wdr_read);
}

int
wdr_store_payout_queue(void *arg, int64_t *depth, double *oldest_age_s)
{
	(void)arg;
	return db_measure_queue("SELECT count(*), extract(epoch FROM now() - "
				"min(coalesce(approved_at, updated_at)))::float8"
				" FROM withdrawal_request WHERE status = 'APPROVED'"
				" AND (payout_status IS NULL OR payout_status = 'PENDING')",
				depth, oldest_age_s);
}

int
wdr_store_unpaid(char ***out_ids, int *out_n, mem_arena *a, db_conn *c, int idle_s, int limit)
{
	char idle[DB_I64_TEXT], limit_text[DB_I64_TEXT];
	const char *params[] = {db_i64(idle, idle_s), db_i64(limit_text, limit)};

	return DB_QUERY_ROWS(
		out_ids, out_n, a, c,
		"SELECT id FROM withdrawal_request WHERE status = 'APPROVED'"
		" AND (payout_status IS NULL OR payout_status = 'PENDING')"
		" AND coalesce(next_payout_at, updated_at + $1::int * interval '1 second')"
		" <= now()"
		" ORDER BY coalesce(next_payout_at, updated_at) LIMIT $2::int",
		2, params, db_read_text);
}

int
wdr_store_set_hold(db_conn *c, const char *id, const char *hold_reference)
{
	const char *params[] = {id, hold_reference};

	return db_run(c,
		      "UPDATE withdrawal_request SET hold_reference = NULLIF($2, '')"
		      " WHERE id = $1::uuid",
		      2, params);
}

int
wdr_store_open_holds(char ***out_ids, char ***out_refs, int *out_n, mem_arena *a, db_conn *c,
		     int limit)
{
	char limit_text[DB_I64_TEXT];
	const char *param = db_i64(limit_text, limit);
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT id, hold_reference FROM withdrawal_request"
			 " WHERE hold_reference IS NOT NULL"
			 " AND status IN ('DECLINED', 'CLOSED', 'PAYOUT_FAILED', 'PAID')"
			 " ORDER BY updated_at LIMIT $1::int",
			 1, &param);

	if (rc < 0)
		return rc;
	*out_n = PQntuples(res);
	*out_ids = mem_arena_alloc(a, sizeof(char *) * (size_t)(*out_n + 1));
	*out_refs = mem_arena_alloc(a, sizeof(char *) * (size_t)(*out_n + 1));
	for (int i = 0; *out_ids && *out_refs && i < *out_n; i++) {
		(*out_ids)[i] = db_text(a, res, i, 0);
		(*out_refs)[i] = db_text(a, res, i, 1);
	}
	PQclear(res);
	return *out_ids && *out_refs ? 0 : err_oom();
}
