#include "store.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "text/text.h"

/* --- accounts ------------------------------------------------------------ */

#define PAY_ACCOUNT_COLUMNS                                                                        \
	"a.id, a.group_id, a.virtual_account_number, a.bank_name,"                                 \
	" coalesce(a.provider, ''), a.status, coalesce(v.client_ref, ''), " DB_RFC3339(            \
		"a.created_at")

static int
pay_read_account(mem_arena *a, const PGresult *res, pay_account *out)
{
	out->id = db_text(a, res, 0, 0);
	out->group_id = db_text(a, res, 0, 1);
	out->number = db_text(a, res, 0, 2);
	out->bank_name = db_text(a, res, 0, 3);
	out->provider = db_text(a, res, 0, 4);
	out->status = db_text(a, res, 0, 5);
	out->tx_ref = db_text(a, res, 0, 6);
	out->created_at = db_text(a, res, 0, 7);
	return out->created_at ? 0 : err_oom();
}

int
pay_store_account(pay_account *out, int *out_found, mem_arena *a, db_conn *c, const char *group_id)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " PAY_ACCOUNT_COLUMNS " FROM account a LEFT JOIN"
			 " va_request v ON v.group_id = a.group_id"
			 " WHERE a.group_id = $1::uuid",
			 1, &group_id);

	if (rc < 0)
		return rc;
	*out_found = PQntuples(res) == 1;
	if (*out_found)
		rc = pay_read_account(a, res, out);
	PQclear(res);
	return rc;
}

int
pay_store_va_lock(pay_va *out, mem_arena *a, db_conn *c, const char *group_id, const char *provider,
		  const char *tx_ref)
{
	const char *params[] = {group_id, provider, tx_ref};
	PGresult *res = NULL;
	int rc = db_run(c,
			"INSERT INTO va_request (group_id, provider, client_ref, status)"
			" VALUES ($1::uuid, $2, $3, 'pending') ON CONFLICT (group_id) DO NOTHING",
			3, params);

	if (rc == 0)
		rc = db_exec(c, &res,
			     "SELECT client_ref, status FROM va_request"
			     " WHERE group_id = $1::uuid FOR UPDATE",
			     1, params);
	if (rc < 0)
		return rc;
	out->tx_ref = db_text(a, res, 0, 0);
	out->status = db_text(a, res, 0, 1);
	PQclear(res);
	return out->status ? 0 : err_oom();
}

int
pay_store_va_officer(char **out_officer, mem_arena *a, db_conn *c, const char *group_id,
		     const char *provider, const char *tx_ref, const char *officer_id)
{
	const char *params[] = {group_id, provider, tx_ref,
				officer_id && officer_id[0] ? officer_id : NULL};
	PGresult *res = NULL;
	int rc = db_exec(
		c, &res,
		"INSERT INTO va_request (group_id, provider, client_ref, status, officer_id)"
		" VALUES ($1::uuid, $2, $3, 'pending', $4::uuid)"
		" ON CONFLICT (group_id) DO UPDATE SET officer_id ="
		" COALESCE(EXCLUDED.officer_id, va_request.officer_id)"
		" RETURNING officer_id",
		4, params);

	if (rc < 0)
		return rc;
	*out_officer = db_text(a, res, 0, 0);
	PQclear(res);
	return *out_officer ? 0 : err_oom();
}

int
pay_store_va_wait(db_conn *c, const char *group_id, const char *reason)
{
	const char *params[] = {group_id, reason};

	return db_run(c,
		      "UPDATE va_request SET kyc_reason = $2, updated_at = now()"
		      " WHERE group_id = $1::uuid",
		      2, params);
}

int
pay_store_kyc_waiting(char ***out_group_ids, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char lim[DB_I64_TEXT];
	const char *param = db_i64(lim, limit);

	return DB_QUERY_ROWS(
		out_group_ids, out_n, a, c,
		"SELECT r.group_id FROM va_request r WHERE r.kyc_reason IS NOT NULL"
		" AND NOT EXISTS (SELECT 1 FROM account a WHERE a.group_id = r.group_id)"
		" ORDER BY r.updated_at LIMIT $1::int",
		1, &param, db_read_text);
}

int
pay_store_officer_waiting(int *out_n, db_conn *c, const char *officer_id)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT count(*) FROM va_request r WHERE r.officer_id = $1::uuid"
			 " AND NOT EXISTS (SELECT 1 FROM account a WHERE a.group_id = r.group_id)",
			 1, &officer_id);

	*out_n = rc == 0 ? (int)db_int64(res, 0, 0) : 0;
	PQclear(res);
	return rc;
}

int
pay_store_account_add(pay_account *out, mem_arena *a, db_conn *c, const char *group_id,
		      const char *number, const char *bank_name, const char *provider,
		      const char *provider_ref, const char *raw_json)
{
	const char *params[] = {group_id, number, bank_name, provider, provider_ref, raw_json};
	int found = 0;
	int rc = db_run(c,
			"WITH acct AS (INSERT INTO account (group_id, virtual_account_number,"
			" bank_name, provider, provider_ref, status)"
			" VALUES ($1::uuid, $2, $3, $4, NULLIF($5, ''), 'active')"
			" RETURNING id)"
			" INSERT INTO account_metadata (account_id, provider, raw_payload)"
			" SELECT id, $4, $6::jsonb FROM acct",
			6, params);

	if (rc == 0)
		rc = db_run(c,
			    "UPDATE va_request SET status = 'success', last_error = NULL,"
			    " updated_at = now() WHERE group_id = $1::uuid",
			    1, params);
	if (rc == 0)
		rc = db_run(c,
			    "UPDATE va_recovery SET status = 'done' WHERE group_id = $1::uuid"
			    " AND status = 'pending'",
			    1, params);
	if (rc == 0)
		rc = pay_store_account(out, &found, a, c, group_id);
	return rc;
}

int
pay_store_va_failed(db_conn *c, const char *group_id, const char *tx_ref, const char *provider,
		    const char *group_name, const char *error)
{
	const char *params[] = {group_id, tx_ref, provider, error, group_name};
	const char *mark[] = {group_id, error};
	int rc = db_run(c,
			"UPDATE va_request SET status = 'failed', last_error = $2,"
			" updated_at = now() WHERE group_id = $1::uuid",
			2, mark);

	if (rc < 0)
		return rc;
	return db_run(c,
		      "INSERT INTO va_recovery (tx_ref, group_id, provider, raw_payload,"
		      " error_message, last_retry_at)"
		      " VALUES ($2, $1::uuid, $3, jsonb_build_object('error', $4::text,"
		      " 'group_name', $5::text), $4, now())"
		      " ON CONFLICT (group_id) WHERE status = 'pending'"
		      " DO UPDATE SET error_message = EXCLUDED.error_message",
		      5, params);
}

int
pay_store_recovery_name(char **out_name, mem_arena *a, db_conn *c, const char *group_id)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT raw_payload->>'group_name' FROM va_recovery"
			 " WHERE group_id = $1::uuid AND status = 'pending'",
			 1, &group_id);

	if (rc < 0)
		return rc;
	*out_name = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? db_text(a, res, 0, 0) : NULL;
	PQclear(res);
	return 0;
}

int
pay_store_account_of_tx_ref(char **out_group_id, pay_account *out, int *out_found, mem_arena *a,
			    db_conn *c, const char *tx_ref)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " PAY_ACCOUNT_COLUMNS ", v.group_id, a.id IS NOT NULL"
			 " FROM va_request v LEFT JOIN account a ON a.group_id = v.group_id"
			 " WHERE v.client_ref = $1",
			 1, &tx_ref);

	if (rc < 0)
		return rc;
	*out_group_id = NULL;
	*out_found = PQntuples(res) == 1 && db_bool(res, 0, 9);
	if (PQntuples(res) == 1) {
		*out_group_id = db_text(a, res, 0, 8);
		rc = *out_group_id ? 0 : err_oom();
	}
	if (rc == 0 && *out_found)
		rc = pay_read_account(a, res, out);
	PQclear(res);
	return rc;
}

int
pay_store_tx_ref_of_account(char **out_tx_ref, mem_arena *a, db_conn *c, const char *provider,
			    const char *number)
{
	const char *params[] = {provider, number};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT v.client_ref FROM account a JOIN va_request v"
			 " ON v.group_id = a.group_id"
			 " WHERE a.virtual_account_number = $2 AND a.provider = $1",
			 2, params);

	if (rc < 0)
		return rc;
	*out_tx_ref = NULL;
	if (PQntuples(res) == 1) {
		*out_tx_ref = db_text(a, res, 0, 0);
		rc = *out_tx_ref ? 0 : err_oom();
	}
	PQclear(res);
	return rc;
}

int
pay_store_recoveries_due(char ***out_group_ids, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char limit_text[DB_I64_TEXT];
	const char *params[] = {db_i64(limit_text, limit)};

	return DB_QUERY_ROWS(out_group_ids, out_n, a, c,
			     "SELECT group_id FROM va_recovery WHERE status = 'pending'"
			     " AND (last_retry_at IS NULL OR last_retry_at +"
			     " least(power(2, retry_count), 600) * interval '1 second' <= now())"
			     " ORDER BY last_retry_at NULLS FIRST LIMIT $1::int",
			     1, params, db_read_text);
}

int
pay_store_recovery_retry(db_conn *c, const char *group_id, const char *error, int max_tries)
{
	char max_text[DB_I64_TEXT];
	const char *params[] = {group_id, error, db_i64(max_text, max_tries)};

	return db_run(c,
		      "UPDATE va_recovery SET retry_count = retry_count + 1,"
		      " last_retry_at = now(), error_message = $2,"
		      " status = CASE WHEN retry_count + 1 >= $3::int THEN 'gave_up'"
		      " ELSE status END WHERE group_id = $1::uuid AND status = 'pending'",
		      3, params);
}

/* The payload of a delivery as webhook_event keeps it: the body's text
 * when it is JSON (*is_json 1), else a text to keep as a JSON string (the
 * body, or its base64 when it is not even text): nothing a provider sends
 * is lost. In the arena. */
static int
pay_event_payload(const char **out, int *is_json, mem_arena *a, const uint8_t *body, size_t len)
{
	char *text = mem_arena_strndup(a, (const char *)body, len);
	json_t *parsed = NULL;
	char *b64;

	if (!text)
		return err_oom();
	*out = text;
	*is_json = 0;
	if (strlen(text) == len && text_is_multiline(text)) {
		parsed = json_loadb(text, len, 0, NULL);
		*is_json = parsed != NULL;
		json_decref(parsed);
		return 0;
	}
	b64 = mem_arena_alloc(a, auth_b64url_len(len) + 1);
	if (!b64 || auth_b64url_encode(b64, auth_b64url_len(len) + 1, body, len) < 0)
		return err_oom();
	*out = b64;
	return 0;
}

int
pay_store_event_add(char **out_id, mem_arena *a, db_conn *c, const char *provider, const char *type,
		    const uint8_t *body, size_t len, int signature_valid, int grace_s)
{
	char grace[DB_I64_TEXT];
	const char *params[] = {type, NULL, provider, signature_valid ? "true" : "false",
				db_i64(grace, grace_s)};
	PGresult *res = NULL;
	int is_json = 0;
	int rc = pay_event_payload(&params[1], &is_json, a, body, len);

	if (rc < 0)
		return rc;
	rc = db_exec(
		c, &res,
		is_json ? "INSERT INTO webhook_event (event_type, raw_payload, provider,"
			  " signature_valid, next_attempt_at) VALUES ($1, $2::jsonb, $3,"
			  " $4::boolean, now() + $5::int * interval '1 second') RETURNING id"
			: "INSERT INTO webhook_event (event_type, raw_payload, provider,"
			  " signature_valid, next_attempt_at) VALUES ($1, to_jsonb($2::text),"
			  " $3, $4::boolean, now() + $5::int * interval '1 second') RETURNING id",
		5, params);
	if (rc == ERR_INVALID_ARGUMENT && is_json) /* JSON PostgreSQL refuses */
		rc = db_exec(
			c, &res,
			"INSERT INTO webhook_event (event_type, raw_payload, provider,"
			" signature_valid, next_attempt_at) VALUES ($1, to_jsonb($2::text),"
			" $3, $4::boolean, now() + $5::int * interval '1 second') RETURNING id",
			5, params);
	if (rc < 0)
		return rc;
	*out_id = db_text(a, res, 0, 0);
	PQclear(res);
	return *out_id ? 0 : err_oom();
}

/* A random (version 4) uuid as text. */
static void
pay_new_uuid(char out[PAY_UUID_TEXT])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, PAY_UUID_TEXT,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

/* The columns of the batch as array literals: ids (made here), types,
 * payloads, is_json. */
static int
pay_events_columns(const char **cols, mem_arena *a, pay_event_new *const *evs, size_t n)
{
	const char **ids = mem_arena_alloc(a, sizeof(*ids) * n);
	const char **types = mem_arena_alloc(a, sizeof(*types) * n);
	const char **payloads = mem_arena_alloc(a, sizeof(*payloads) * n);
	const char **json = mem_arena_alloc(a, sizeof(*json) * n);

	if (!ids || !types || !payloads || !json)
		return err_oom();
	for (size_t i = 0; i < n; i++) {
		int is_json = 0;
		int rc = pay_event_payload(&payloads[i], &is_json, a, evs[i]->body, evs[i]->len);

		if (rc < 0)
			return rc;
		pay_new_uuid(evs[i]->id);
		ids[i] = evs[i]->id;
		types[i] = evs[i]->type;
		json[i] = is_json ? "t" : "f";
	}
	cols[0] = db_text_array(a, ids, n);
	cols[1] = db_text_array(a, types, n);
	cols[2] = db_text_array(a, payloads, n);
	cols[3] = db_text_array(a, json, n);
	return cols[0] && cols[1] && cols[2] && cols[3] ? 0 : err_oom();
}

int
pay_store_events_add(mem_arena *a, db_conn *c, pay_event_new *const *evs, size_t n,
		     const char *provider, int grace_s)
{
	char grace[DB_I64_TEXT];
	const char *params[6] = {NULL, NULL, NULL, NULL, provider, db_i64(grace, grace_s)};
	int rc = pay_events_columns(params, a, evs, n);

	if (rc < 0)
		return rc;
	/* One statement, one commit for all of them; a body PostgreSQL
	 * refuses as JSON fails the whole of it (the callers then store each
	 * alone, which keeps such a body as a JSON string). */
	return db_run(c,
		      "INSERT INTO webhook_event (id, event_type, raw_payload, provider,"
		      " signature_valid, next_attempt_at) SELECT e.id, e.type, CASE WHEN"
		      " e.is_json THEN e.payload::jsonb ELSE to_jsonb(e.payload) END, $5,"
		      " true, now() + $6::int * interval '1 second' FROM unnest($1::uuid[],"
		      " $2::text[], $3::text[], $4::boolean[]) WITH ORDINALITY"
		      " AS e(id, type, payload, is_json, i) ORDER BY e.i",
		      6, params);
}

int
pay_store_events_finish(mem_arena *a, db_conn *c, pay_event_outcome *const *evs, size_t n)
{
	const char **ids = mem_arena_alloc(a, sizeof(*ids) * n);
	const char **done = mem_arena_alloc(a, sizeof(*done) * n);
	const char **outcomes = mem_arena_alloc(a, sizeof(*outcomes) * n);
	const char *params[3];

	if (!ids || !done || !outcomes)
		return err_oom();
	for (size_t i = 0; i < n; i++) {
		ids[i] = evs[i]->id;
		done[i] = evs[i]->done ? "t" : "f";
		outcomes[i] = evs[i]->outcome;
	}
	params[0] = db_text_array(a, ids, n);
	params[1] = db_text_array(a, done, n);
	params[2] = db_text_array(a, outcomes, n);
	if (!params[0] || !params[1] || !params[2])
		return err_oom();
	/* pay_store_event_done and pay_store_event_retry, row by row. */
	return db_run(c,
		      "UPDATE webhook_event w SET attempts = w.attempts + 1, outcome = u.outcome,"
		      " processed = w.processed OR u.done, processed_at = CASE WHEN u.done"
		      " THEN now() ELSE w.processed_at END, next_attempt_at = CASE WHEN u.done"
		      " THEN w.next_attempt_at ELSE now() + least(power(2, w.attempts), 600)"
		      " * interval '1 second' END FROM unnest($1::uuid[], $2::boolean[],"
		      " $3::text[]) AS u(id, done, outcome) WHERE w.id = u.id",
		      3, params);
}

int
pay_store_refused_uncommitted(db_conn *c)
{
	PGconn *pg = db_pg(c);

	return strcmp(err_last()->reason, "commit_outcome_unknown") != 0 &&
	       PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) == PQTRANS_IDLE;
}

int
pay_store_event_add_unsigned(char **out_id, mem_arena *a, db_conn *c, const pay_unsigned_event *ev)
{
	char bytes[DB_I64_TEXT];
	const char *params[] = {ev->type,
				ev->kept_json,
				ev->provider,
				ev->client_addr,
				db_i64(bytes, (int64_t)ev->body_bytes),
				ev->sha256_hex};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO webhook_event (event_type, raw_payload, provider,"
			 " signature_valid, client_addr, body_bytes, body_sha256)"
			 " VALUES ($1, $2::jsonb, $3, false, NULLIF($4, ''), $5::int, $6)"
			 " RETURNING id",
			 6, params);

	if (rc < 0)
		return rc;
	*out_id = db_text(a, res, 0, 0);
	PQclear(res);
	return *out_id ? 0 : err_oom();
}

int
pay_store_event_done(db_conn *c, const char *id, const char *outcome)
{
	const char *params[] = {id, outcome};

	return db_run(c,
		      "UPDATE webhook_event SET processed = true, processed_at = now(),"
		      " outcome = $2, attempts = attempts + 1 WHERE id = $1::uuid",
		      2, params);
}

int
pay_store_event_retry(db_conn *c, const char *id, const char *error)
{
	const char *params[] = {id, error};

	return db_run(c,
		      "UPDATE webhook_event SET attempts = attempts + 1, outcome = $2,"
		      " next_attempt_at = now() + least(power(2, attempts), 600)"
		      " * interval '1 second' WHERE id = $1::uuid",
		      2, params);
}

/* One webhook event due: (id, provider or "", raw body). */
static int
pay_read_event(mem_arena *a, const PGresult *res, int row, pay_event_row *out)
{
	out->id = db_text(a, res, row, 0);
	out->provider = db_text(a, res, row, 1);
	out->body = db_text(a, res, row, 2);
	return out->body ? 0 : err_oom();
}

int
pay_store_events_due(pay_event_row **out, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char limit_text[DB_I64_TEXT];
	const char *params[] = {db_i64(limit_text, limit)};

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"SELECT id, coalesce(provider, ''), CASE WHEN jsonb_typeof(raw_payload)"
		" = 'string' THEN raw_payload #>> '{}' ELSE raw_payload::text END"
		" FROM webhook_event WHERE processed = false AND signature_valid"
		" AND next_attempt_at <= now() AND attempts < 50"
		" ORDER BY next_attempt_at LIMIT $1::int",
		1, params, pay_read_event);
}

int
pay_store_customer_event(char *out_reason, size_t cap, int *out_found, db_conn *c,
			 const char *provider, const char *event_type, const char *customer_code,
			 int64_t since_ms)
{
	char since[DB_I64_TEXT];
	const char *params[] = {provider, event_type, customer_code, db_i64(since, since_ms)};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT coalesce(raw_payload #>> '{data,reason}', '')"
			 " FROM webhook_event WHERE provider = $1 AND event_type = $2"
			 " AND signature_valid AND jsonb_typeof(raw_payload) = 'object'"
			 " AND raw_payload #>> '{data,customer_code}' = $3"
			 " AND created_at >= (to_timestamp($4::bigint / 1000.0))::timestamp"
			 " ORDER BY created_at DESC LIMIT 1",
			 4, params);

	*out_found = 0;
	if (cap > 0)
		out_reason[0] = '\0';
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 1) {
		*out_found = 1;
		text_sanitize_into(out_reason, cap, PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return 0;
}

/* --- payouts ---------------------------------------------------------------------- */

#define PAY_PAYOUT_COLUMNS                                                                         \
	"id, withdrawal_id, coalesce(group_id::text, ''), amount_kobo,"                            \
	" beneficiary::text, status, stage, provider,"                                             \
	" coalesce(provider_reference, ''), coalesce(failure_reason, ''), " DB_RFC3339(            \
		"created_at") ", coalesce(" DB_RFC3339("executed_at") ", ''),"                     \
								      " attempt, "                 \
								      "created_at::text,"          \
								      " floor(extract(epoch FROM " \
								      "now() - "                   \
								      "updated_at))::bigint, "     \
								      "version, hold_reference"

static int
pay_read_payout(mem_arena *a, const PGresult *res, int row, pay_payout *out)
{
	int rc;

	out->id = db_text(a, res, row, 0);
	out->withdrawal_id = db_text(a, res, row, 1);
	out->group_id = db_text(a, res, row, 2);
	out->amount_kobo = db_int64(res, row, 3);
	out->beneficiary = db_text(a, res, row, 4);
	out->status = db_text(a, res, row, 5);
	out->stage = db_text(a, res, row, 6);
	out->provider = db_text(a, res, row, 7);
	out->provider_reference = db_text(a, res, row, 8);
	out->failure_reason = db_text(a, res, row, 9);
	out->created_at = db_text(a, res, row, 10);
	out->executed_at = db_text(a, res, row, 11);
	out->attempt = (int)db_int64(res, row, 12);
	out->page_key = db_text(a, res, row, 13);
	out->idle_s = db_int64(res, row, 14);
	out->version = (int)db_int64(res, row, 15);
	out->hold_reference = db_text(a, res, row, 16);
	if (!out->page_key || !out->hold_reference)
		return err_oom();
	rc = pay_state_parse(out->stage, out->status);
	if (rc < 0)
		return err_set(ERR_INTERNAL, NULL, "payout %s is in no known state (%s, %s)",
			       out->id, out->stage, out->status);
	out->state = (pay_state)rc;
	return 0;
}

static int
pay_payout_query(db_conn *c, mem_arena *a, const char *sql, int n, const char *const *params,
		 pay_payout *out, int *found)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, n, params);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) >= 1;
	if (*found)
		rc = pay_read_payout(a, res, 0, out);
	PQclear(res);
	return rc;
}

int
pay_store_payout_add(pay_payout *out, int *out_created, mem_arena *a, db_conn *c,
		     const pay_payout *in)
{
	char amount[DB_I64_TEXT], attempt[DB_I64_TEXT];
	const char *params[] = {in->withdrawal_id,
				in->group_id,
				db_i64(amount, in->amount_kobo),
				in->beneficiary,
				in->provider,
				db_i64(attempt, in->attempt),
				in->hold_reference ? in->hold_reference : ""};
	int found = 0;
	int rc = pay_payout_query(c, a,
				  "INSERT INTO payout (withdrawal_id, group_id, amount_kobo,"
				  " beneficiary, provider, attempt, status, hold_reference)"
				  " SELECT $1::uuid, $2::uuid, $3::bigint, $4::jsonb, $5, $6::int,"
				  " 'PENDING', $7 WHERE NOT EXISTS (SELECT 1 FROM payout"
				  " WHERE withdrawal_id = $1::uuid AND attempt < $6::int"
				  " AND stage <> 'reversed'"
				  " AND NOT (stage = 'settled' AND status = 'FAILED'))"
				  " ON CONFLICT (withdrawal_id, attempt) DO NOTHING"
				  " RETURNING " PAY_PAYOUT_COLUMNS,
				  7, params, out, out_created);

	if (rc < 0 || *out_created)
		return rc;
	params[1] = params[5];
	rc = pay_payout_query(c, a,
			      "SELECT " PAY_PAYOUT_COLUMNS " FROM payout"
			      " WHERE withdrawal_id = $1::uuid AND attempt = $2::int",
			      2, params, out, &found);
	if (rc == 0 && !found)
		rc = err_set(ERR_FAILED_PRECONDITION, "payout_in_progress",
			     "an earlier payout of this withdrawal is not finished");
	return rc;
}

int
pay_store_payout(pay_payout *out, int *out_found, mem_arena *a, db_conn *c, const char *by,
		 const char *value)
{
	return pay_payout_query(
		c, a,
		strcmp(by, "id") == 0
			? "SELECT " PAY_PAYOUT_COLUMNS " FROM payout WHERE id = $1::uuid"
			: "SELECT " PAY_PAYOUT_COLUMNS " FROM payout"
			  " WHERE withdrawal_id = $1::uuid ORDER BY attempt DESC LIMIT 1",
		1, &value, out, out_found);
}

int
pay_store_payout_move(int *out_moved, db_conn *c, const char *id, int from_version, pay_state to,
		      const char *provider_reference, const char *failure_reason, int executed)
{
	char version[DB_I64_TEXT];
	const char *params[] = {id,
				pay_state_stage(to),
				pay_state_status(to),
				provider_reference,
				failure_reason,
				executed ? "true" : "false",
				db_i64(version, from_version)};
	int n = 0;
	int rc =
		db_run_count(&n, c,
			     "UPDATE payout SET stage = $2, status = $3,"
			     " provider_reference = coalesce($4::text, provider_reference),"
			     " failure_reason = coalesce($5::text, failure_reason),"
			     " executed_at = CASE WHEN $6::boolean THEN now() ELSE executed_at END,"
			     " version = version + 1, updated_at = now()"
			     " WHERE id = $1::uuid AND version = $7::int",
			     7, params);

	*out_moved = n == 1;
	return rc;
}

/* The payouts a query returns, in the arena. */
static int
pay_payout_rows(db_conn *c, mem_arena *a, const char *sql, int n_params, const char *const *params,
		pay_payout **out, int *n)
{

	return DB_QUERY_ROWS(out, n, a, c, sql, n_params, params, pay_read_payout);
}

int
pay_store_payouts_due(pay_payout **out, int *out_n, mem_arena *a, db_conn *c, int older_than_s,
		      int limit)
{
	char older[DB_I64_TEXT], limit_text[DB_I64_TEXT];
	const char *params[] = {db_i64(older, older_than_s), db_i64(limit_text, limit)};

	return pay_payout_rows(c, a,
			       "SELECT " PAY_PAYOUT_COLUMNS " FROM payout"
			       " WHERE stage <> 'settled' AND stage <> 'reversed'"
			       " AND updated_at <= now() - $1::int * interval '1 second'"
			       " ORDER BY updated_at LIMIT $2::int",
			       2, params, out, out_n);
}

int
pay_store_payout_recovery(db_conn *c, const char *withdrawal_id, const char *payload,
			  const char *error)
{
	const char *params[] = {withdrawal_id, payload, error};

	return db_run(c,
		      "INSERT INTO payout_recovery (withdrawal_id, attempted_payload,"
		      " error_message) VALUES ($1::uuid, $2::jsonb, $3)",
		      3, params);
}

int
pay_store_payouts_of_group(pay_payout **out, int *out_n, mem_arena *a, db_conn *c,
			   const char *group_id, const char *status, const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[] = {group_id, status, page->key, page->after_id,
				db_i64(limit, page_fetch_rows(page))};

	return pay_payout_rows(c, a,
			       "SELECT " PAY_PAYOUT_COLUMNS " FROM payout WHERE group_id = $1::uuid"
			       " AND ($2 = '' OR status = $2) AND ($3::timestamp IS NULL OR"
			       " (created_at, id) < ($3::timestamp, $4::uuid))"
			       " ORDER BY created_at DESC, id DESC LIMIT $5::int",
			       5, params, out, out_n);
}

/* --- the demo provider's bank ----------------------------------------------------- */

static int
pay_demo_transfer_read(db_conn *c, mem_arena *a, const char *reference, pay_demo_transfer *out,
		       int *found)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT reference, amount_kobo, status FROM demo_transfer"
			 " WHERE reference = $1",
			 1, &reference);

	if (rc < 0)
		return rc;
	*found = PQntuples(res) == 1;
	if (*found) {
		out->reference = db_text(a, res, 0, 0);
		out->amount_kobo = db_int64(res, 0, 1);
		out->status = db_text(a, res, 0, 2);
		rc = out->reference && out->status ? 0 : err_oom();
	}
	PQclear(res);
	return rc;
}

int
pay_store_demo_transfer_add(pay_demo_transfer *out, mem_arena *a, db_conn *c,
			    const pay_demo_transfer *in)
{
	char amount[DB_I64_TEXT];
	const char *params[] = {in->reference, db_i64(amount, in->amount_kobo), in->status};
	int found = 0;
	int rc = db_run(c,
			"INSERT INTO demo_transfer (reference, amount_kobo, status, settled_at)"
			" VALUES ($1, $2::bigint, $3::text,"
			" CASE WHEN $3::text = 'PENDING' THEN NULL ELSE now() END)"
			" ON CONFLICT (reference) DO NOTHING",
			3, params);

	if (rc == 0)
		rc = pay_demo_transfer_read(c, a, in->reference, out, &found);
	if (rc == 0 && !found)
		rc = err_set(ERR_INTERNAL, NULL, "demo transfer %.64s vanished", in->reference);
	return rc;
}

int
pay_store_demo_transfer_settle(pay_demo_transfer *out, int *out_found, mem_arena *a, db_conn *c,
			       const char *reference)
{
	int rc = db_run(c,
			"UPDATE demo_transfer SET status = 'SUCCESS', settled_at = now()"
			" WHERE reference = $1 AND status = 'PENDING'",
			1, &reference);

	if (rc < 0)
		return rc;
	return pay_demo_transfer_read(c, a, reference, out, out_found);
}

int
pay_store_rate_hit(int *out_hits, int *out_retry_s, db_conn *c, const char *kind, const char *key,
		   int window_s)
{
	char window[DB_I64_TEXT];
	const char *params[] = {kind, key, db_i64(window, window_s)};
	PGresult *res = NULL;
	/* ON CONFLICT's SET reads the old row throughout: an ended window is
	 * reopened now with this hit as its first. */
	int rc = db_exec(c, &res,
			 "INSERT INTO payments_rate_window AS w (kind, key, window_start,"
			 " window_s, hits) VALUES ($1, $2, now(), $3::int, 1)"
			 " ON CONFLICT (kind, key) DO UPDATE SET"
			 " hits = CASE WHEN w.window_start + w.window_s * interval '1 second'"
			 " <= now() THEN 1 ELSE least(w.hits + 1, 2000000000) END,"
			 " window_start = CASE WHEN w.window_start + w.window_s"
			 " * interval '1 second' <= now() THEN now() ELSE w.window_start END,"
			 " window_s = CASE WHEN w.window_start + w.window_s * interval '1 second'"
			 " <= now() THEN EXCLUDED.window_s ELSE w.window_s END"
			 " RETURNING hits, greatest(1, ceil(extract(epoch FROM window_start"
			 " + window_s * interval '1 second' - now())))::int",
			 3, params);

	if (rc < 0)
		return rc;
	*out_hits = (int)db_int64(res, 0, 0);
	*out_retry_s = (int)db_int64(res, 0, 1);
	PQclear(res);
	return 0;
}

int
pay_store_rate_sweep(db_conn *c)
{
	return db_run(c,
		      "DELETE FROM payments_rate_window"
		      " WHERE window_start + window_s * interval '1 second' < now()",
		      0, NULL);
}
