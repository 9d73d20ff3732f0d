#include "store.h"

#include <stdio.h>
#include <string.h>

#include "events/events.h"

#define LDG_COLUMNS                                                            \
	"id, group_id, account_id, coalesce(user_id::text, ''), type,"         \
	" amount_kobo, currency, coalesce(source, ''), reference,"             \
	" coalesce(client_ref, ''), coalesce(simulated, false),"               \
	" coalesce(payment_channel, ''), coalesce(rule_status, ''), "          \
	DB_RFC3339("created_at") ", created_at::text"

/* A posting is one statement calling ledger_post_credit or
 * ledger_post_debit (migrations 0010, 0012): its own transaction, so the group's
 * balance row is held only while PostgreSQL runs it. The debit locks that
 * row first and then reads the reference's outcome, so a refused reference
 * stays refused (ledger_refusal) and concurrent debits cannot overdraw. */
/* A credit that is money arriving (any source but "payout": a payout's
 * reversal gives back what a withdrawal took) writes deposit.credited into
 * ledger_outbox in the same statement: once, with the entry (a replay
 * fails on its reference and writes nothing), after the balance row's lock,
 * so a group's deposits are in the outbox in their commit order. */
static const char ldg_credit_sql[] =
	"WITH e AS (SELECT * FROM ledger_post_credit($1::uuid, $2::uuid,"
	" NULLIF($3, '')::uuid, $4::bigint, $5, $6, $7, NULLIF($8, ''),"
	" $9::boolean, $10, $11::bigint, $12, $13::int)),"
	" o AS (INSERT INTO public.ledger_outbox (type, group_id, user_id, data)"
	" SELECT '" EVT_DEPOSIT_CREDITED "', e.group_id, e.user_id,"
	" jsonb_strip_nulls(jsonb_build_object('entry_id', e.id,"
	" 'amount_kobo', e.amount_kobo, 'fee_kobo', NULLIF($11::bigint, 0),"
	" 'reference', e.reference, 'source', e.source,"
	" 'payment_channel', e.payment_channel, 'simulated', e.simulated,"
	" 'created_at', " DB_RFC3339("e.created_at") "))"
	" FROM e WHERE e.type = 'CREDIT' AND e.source IS DISTINCT FROM 'payout')"
	" SELECT " LDG_COLUMNS " FROM e ORDER BY e.type = 'DEBIT'";

static const char ldg_debit_sql[] =
	"SELECT " LDG_COLUMNS " FROM ledger_post_debit($1::uuid, $2::uuid,"
	" NULLIF($3, '')::uuid, $4::bigint, $5, $6, $7, NULLIF($8, ''),"
	" $9::boolean, $10, $13::int) WHERE $11::bigint = 0 AND $12 = ''";

static int ldg_read_entry(mem_arena *a, const PGresult *res, int row, ldg_entry *out)
{
	out->id = db_text(a, res, row, 0);
	out->spec.group_id = db_text(a, res, row, 1);
	out->spec.account_id = db_text(a, res, row, 2);
	out->spec.user_id = db_text(a, res, row, 3);
	out->spec.type = ldg_type_parse(PQgetvalue(res, row, 4));
	out->spec.amount_kobo = db_int64(res, row, 5);
	out->spec.currency = db_text(a, res, row, 6);
	out->spec.source = db_text(a, res, row, 7);
	out->spec.reference = db_text(a, res, row, 8);
	out->spec.client_ref = db_text(a, res, row, 9);
	out->spec.simulated = db_bool(res, row, 10);
	out->spec.payment_channel = db_text(a, res, row, 11);
	out->rule_status = db_text(a, res, row, 12);
	out->created_at = db_text(a, res, row, 13);
	out->page_key = db_text(a, res, row, 14);
	return out->page_key ? 0 : err_oom();
}

int ldg_store_post(db_conn *c, mem_arena *a, const ldg_posting *p, ldg_entry *out,
		   ldg_entry *fee_out, int *posted)
{
	const ldg_entry_spec *s = p->spec;
	char amount[DB_I64_TEXT], fee[DB_I64_TEXT], wait[DB_I64_TEXT];
	const char *params[] = { s->group_id, s->account_id, s->user_id,
				 db_i64(amount, s->amount_kobo), s->currency, s->source,
				 s->reference, s->client_ref, s->simulated ? "true" : "false",
				 s->payment_channel, db_i64(fee, p->fee ? p->fee->amount_kobo : 0),
				 p->fee ? p->fee->reference : "", db_i64(wait, p->lock_wait_ms) };
	PGresult *res = NULL;
	int rc = db_exec(c, &res, s->type == LDG_CREDIT ? ldg_credit_sql : ldg_debit_sql,
			 13, params);

	if (rc < 0)
		return rc;
	*posted = PQntuples(res) >= 1;
	if (*posted)
		rc = ldg_read_entry(a, res, 0, out);
	if (rc == 0 && p->fee)
		rc = PQntuples(res) == 2 ? ldg_read_entry(a, res, 1, fee_out)
					 : err_set(ERR_INTERNAL, NULL, "a fee was not posted");
	PQclear(res);
	return rc;
}

int ldg_store_find(db_conn *c, mem_arena *a, const char *column,
		   const char *value, ldg_entry *out, int *found)
{
	static const char by_id[] = "SELECT " LDG_COLUMNS " FROM ledger_entry WHERE id = $1::uuid";
	static const char by_reference[] = "SELECT " LDG_COLUMNS " FROM ledger_entry WHERE reference = $1";
	static const char by_client_ref[] = "SELECT " LDG_COLUMNS " FROM ledger_entry WHERE client_ref = $1";
	const char *sql = strcmp(column, "id") == 0	   ? by_id
			  : strcmp(column, "reference") == 0 ? by_reference
							     : by_client_ref;
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, 1, &value);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	if (*found)
		rc = ldg_read_entry(a, res, 0, out);
	PQclear(res);
	return rc;
}

int ldg_store_balance(db_conn *c, const char *group_id, int64_t *balance, int64_t *held)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 /* ledger_posted and ledger_held (0017) in one scan,
			  * written out: a function call costs this read ~10 % */
			 "SELECT b.balance_kobo - coalesce(sum(h.amount_kobo)"
			 " FILTER (WHERE h.status = 'captured'), 0),"
			 " coalesce(sum(h.amount_kobo) FILTER (WHERE h.status = 'held' AND"
			 " (h.expires_at IS NULL OR h.expires_at > clock_timestamp())), 0)"
			 " FROM ledger_balance b LEFT JOIN ledger_hold h ON h.group_id = b.group_id"
			 " AND (h.status = 'held' OR (h.status = 'captured' AND h.folded_at IS NULL))"
			 " WHERE b.group_id = $1::uuid GROUP BY b.balance_kobo",
			 1, &group_id);

	if (rc < 0)
		return rc;
	*balance = PQntuples(res) == 1 ? db_int64(res, 0, 0) : 0;
	*held = PQntuples(res) == 1 ? db_int64(res, 0, 1) : 0;
	PQclear(res);
	return 0;
}

#define LDG_LIST_WHERE                                                         \
	" FROM ledger_entry WHERE group_id = $1::uuid"                         \
	" AND ($2 = '' OR type = $2)"                                          \
	" AND (NULLIF($3, '')::timestamptz IS NULL OR"                         \
	" created_at >= (NULLIF($3, '')::timestamptz AT TIME ZONE 'UTC'))"     \
	" AND (NULLIF($4, '')::timestamptz IS NULL OR"                         \
	" created_at < (NULLIF($4, '')::timestamptz AT TIME ZONE 'UTC'))"

static const char ldg_list_newest[] =
	"SELECT " LDG_COLUMNS LDG_LIST_WHERE
	" AND ($5::timestamp IS NULL OR (created_at, id) < ($5::timestamp, $6::uuid))"
	" ORDER BY created_at DESC, id DESC LIMIT $7::int";

static const char ldg_list_oldest[] =
	"SELECT " LDG_COLUMNS LDG_LIST_WHERE
	" AND ($5::timestamp IS NULL OR (created_at, id) > ($5::timestamp, $6::uuid))"
	" ORDER BY created_at, id LIMIT $7::int";

int ldg_store_list(db_conn *c, mem_arena *a, const char *group_id,
		   const ldg_filter *f, const page_request *page, ldg_entry **out,
		   int *n)
{
	char limit[DB_I64_TEXT];
	const char *params[] = { group_id, ldg_type_text(f->type), f->from, f->to,
				 page->key, page->after_id,
				 db_i64(limit, page->limit + 1) };
	PGresult *res = NULL;
	ldg_entry *rows;
	int rc = db_exec(c, &res, f->oldest_first ? ldg_list_oldest : ldg_list_newest,
			 7, params);

	if (rc == ERR_INVALID_ARGUMENT)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_time",
			       "from and to must be RFC 3339 times");
	if (rc < 0)
		return rc;
	*n = PQntuples(res);
	rows = mem_arena_alloc(a, sizeof(*rows) * (size_t)(*n ? *n : 1));
	for (int i = 0; rows && i < *n; i++) {
		if (ldg_read_entry(a, res, i, &rows[i]) < 0)
			rows = NULL;
	}
	PQclear(res);
	*out = rows;
	return rows ? 0 : err_oom();
}

int ldg_store_refusal(db_conn *c, const char *reference, ldg_refusal *out, int *found)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT group_id, amount_kobo, balance_kobo FROM ledger_refusal"
			 " WHERE reference = $1",
			 1, &reference);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	if (*found) {
		snprintf(out->group_id, sizeof(out->group_id), "%s", PQgetvalue(res, 0, 0));
		out->amount_kobo = db_int64(res, 0, 1);
		out->balance_kobo = db_int64(res, 0, 2);
	}
	PQclear(res);
	return 0;
}

/* --- holds -------------------------------------------------------------------- */

#define LDG_HOLD_COLUMNS                                                       \
	"id, group_id, reference, amount_kobo, status,"                        \
	" coalesce(" DB_RFC3339("expires_at") ", ''),"                         \
	" coalesce(entry_id::text, ''), " DB_RFC3339("created_at") ","         \
	" coalesce(closed_reason, '')"

static int ldg_read_hold(mem_arena *a, const PGresult *res, ldg_hold *out)
{
	out->id = db_text(a, res, 0, 0);
	out->group_id = db_text(a, res, 0, 1);
	out->reference = db_text(a, res, 0, 2);
	out->amount_kobo = db_int64(res, 0, 3);
	out->status = db_text(a, res, 0, 4);
	out->expires_at = db_text(a, res, 0, 5);
	out->entry_id = db_text(a, res, 0, 6);
	out->created_at = db_text(a, res, 0, 7);
	out->closed_reason = db_text(a, res, 0, 8);
	return out->closed_reason ? 0 : err_oom();
}

/* One hold from a statement returning LDG_HOLD_COLUMNS; *found 0 for none. */
static int ldg_hold_query(db_conn *c, mem_arena *a, const char *sql, int n,
			  const char *const *params, ldg_hold *out, int *found)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, n, params);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	if (*found)
		rc = ldg_read_hold(a, res, out);
	PQclear(res);
	return rc;
}

int ldg_store_place_hold(db_conn *c, mem_arena *a, const char *group_id, int64_t amount_kobo,
			 const char *reference, const char *expires_at, int64_t lock_wait_ms,
			 ldg_hold *out, int *found, int *existed)
{
	char amount[DB_I64_TEXT], wait[DB_I64_TEXT];
	const char *params[] = { group_id, db_i64(amount, amount_kobo), reference, expires_at,
				 db_i64(wait, lock_wait_ms) };
	PGresult *res = NULL;
	/* A hold this statement wrote was created now (its transaction's
	 * time); one the reference already named, earlier. */
	int rc = db_exec(c, &res,
			 "SELECT " LDG_HOLD_COLUMNS ", created_at <> now() FROM ledger_place_hold("
			 "$1::uuid, $2::bigint, $3, NULLIF($4, '')::timestamptz, $5::int)",
			 5, params);

	if (rc == ERR_INVALID_ARGUMENT) /* the only text PostgreSQL reads here */
		return err_set(ERR_INVALID_ARGUMENT, "invalid_time",
			       "expires_at must be an RFC 3339 time");
	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	*existed = *found && strcmp(PQgetvalue(res, 0, 9), "t") == 0;
	if (*found)
		rc = ldg_read_hold(a, res, out);
	PQclear(res);
	return rc;
}

int ldg_store_release_hold(db_conn *c, mem_arena *a, const char *reference,
			   int64_t lock_wait_ms, ldg_hold *out, int *found)
{
	char wait[DB_I64_TEXT];
	const char *params[] = { reference, db_i64(wait, lock_wait_ms) };

	return ldg_hold_query(c, a,
			      "SELECT " LDG_HOLD_COLUMNS " FROM ledger_release_hold($1, $2::int)",
			      2, params, out, found);
}

int ldg_store_capture_hold(db_conn *c, mem_arena *a, const char *reference,
			   const ldg_entry_spec *spec, int64_t lock_wait_ms, ldg_entry *out,
			   int *posted)
{
	char wait[DB_I64_TEXT];
	char amount[DB_I64_TEXT];
	const char *params[] = { reference, spec->group_id, db_i64(amount, spec->amount_kobo),
				 spec->account_id, spec->source, spec->reference,
				 spec->simulated ? "true" : "false", spec->payment_channel,
				 db_i64(wait, lock_wait_ms) };
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " LDG_COLUMNS " FROM ledger_capture_hold($1, $2::uuid, $3::bigint,"
			 " $4::uuid, $5, $6, $7::boolean, $8, $9::int)",
			 9, params);

	if (rc < 0)
		return rc;
	*posted = PQntuples(res) == 1;
	if (*posted)
		rc = ldg_read_entry(a, res, 0, out);
	PQclear(res);
	return rc;
}

int ldg_store_sweep_holds(db_conn *c, int limit, int *n)
{
	char limit_text[DB_I64_TEXT];
	const char *param = db_i64(limit_text, limit);
	PGresult *res = NULL;
	int rc = db_exec(c, &res, "SELECT ledger_sweep_holds($1::int)", 1, &param);

	if (rc < 0)
		return rc;
	*n = (int)db_int64(res, 0, 0);
	PQclear(res);
	return 0;
}

int ldg_store_fold_captures(db_conn *c, int limit, int *n)
{
	char limit_text[DB_I64_TEXT];
	const char *param = db_i64(limit_text, limit);
	PGresult *res = NULL;
	int rc = db_exec(c, &res, "SELECT ledger_fold_captures($1::int)", 1, &param);

	if (rc < 0)
		return rc;
	*n = (int)db_int64(res, 0, 0);
	PQclear(res);
	return 0;
}
