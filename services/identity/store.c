#include "store.h"

#include <string.h>

#define IDN_USER_COLUMNS                                                                           \
	"u.id, u.email, u.name, " DB_RFC3339(                                                      \
		"u.created_at") ", "                                                               \
				"u.password_hash, "                                                \
				"EXISTS (SELECT 1 FROM transaction_pins p WHERE p.user_id = "      \
				"u.id), "                                                          \
				"u.email_verified_at IS NOT NULL, COALESCE(u.phone, ''), "         \
				"u.phone_verified_at IS NOT NULL, "                                \
				"EXISTS (SELECT 1 FROM user_kyc k WHERE k.user_id = u.id"          \
				" AND k.status = 'verified'), "                                    \
				"COALESCE((SELECT k.verified_name FROM user_kyc k"                 \
				" WHERE k.user_id = u.id AND k.status = 'verified'), '')"

static int
idn_read_user(mem_arena *a, const PGresult *res, idn_user *out)
{
	out->id = db_text(a, res, 0, 0);
	out->email = db_text(a, res, 0, 1);
	out->name = db_text(a, res, 0, 2);
	out->created_at = db_text(a, res, 0, 3);
	out->password_hash = db_text(a, res, 0, 4);
	out->has_pin = db_bool(res, 0, 5);
	out->email_verified = db_bool(res, 0, 6);
	out->phone = db_text(a, res, 0, 7);
	out->phone_verified = db_bool(res, 0, 8);
	out->kyc_verified = db_bool(res, 0, 9);
	out->kyc_name = db_text(a, res, 0, 10);
	if (!out->id || !out->email || !out->name || !out->created_at || !out->password_hash ||
	    !out->phone || !out->kyc_name)
		return err_oom();
	return 0;
}

/* Runs a one-row user query; ERR_NOT_FOUND when it returns none. */
static int
idn_user_query(db_conn *c, mem_arena *a, const char *sql, const char *param, idn_user *out)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, sql, 1, &param);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "user_not_found", "no such user");
	if (rc == 0)
		rc = idn_read_user(a, res, out);
	PQclear(res);
	return rc;
}

int
idn_store_user_by_email(idn_user *out, mem_arena *a, db_conn *c, const char *email)
{
	return idn_user_query(
		c, a, "SELECT " IDN_USER_COLUMNS " FROM \"user\" u WHERE u.email = $1", email, out);
}

int
idn_store_user_by_id(idn_user *out, mem_arena *a, db_conn *c, const char *id)
{
	return idn_user_query(
		c, a, "SELECT " IDN_USER_COLUMNS " FROM \"user\" u WHERE u.id = $1::uuid", id, out);
}

int
idn_store_insert_user(idn_user *out, mem_arena *a, db_conn *c, const char *email, const char *hash,
		      const char *name)
{
	const char *params[] = {email, hash, name};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "WITH u AS (INSERT INTO \"user\" (email, password_hash, name)"
			 " VALUES ($1, $2, $3) RETURNING *) SELECT " IDN_USER_COLUMNS " FROM u",
			 3, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "email_taken",
			       "an account with this email exists");
	if (rc == 0)
		rc = idn_read_user(a, res, out);
	PQclear(res);
	return rc;
}

int
idn_store_log(db_conn *c, const char *user_id, const char *event, const char *ip,
	      const char *device)
{
	const char *params[] = {user_id, event, ip, device};

	return db_run(c,
		      "INSERT INTO user_activity_log (user_id, event, ip_address,"
		      " device_info) VALUES ($1::uuid, $2, NULLIF($3, ''),"
		      " NULLIF($4, ''))",
		      4, params);
}

int
idn_store_insert_refresh(char **out_id, mem_arena *a, db_conn *c, const char *user_id,
			 const char *token_hash, const char *device, const char *ip, int64_t now,
			 int64_t expires_at)
{
	char created[DB_I64_TEXT], exp[DB_I64_TEXT];
	const char *params[] = {user_id, token_hash,	       device,
				ip,	 db_i64(created, now), db_i64(exp, expires_at)};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO refresh_tokens (user_id, token_hash,"
			 " device_info, ip_address, created_at, expires_at, revoked)"
			 " VALUES ($1::uuid, $2, NULLIF($3, ''), NULLIF($4, ''),"
			 " " DB_FROM_US("$5") ", " DB_FROM_US("$6") ", false)"
								    " RETURNING id",
			 6, params);

	if (rc == 0) {
		*out_id = db_text(a, res, 0, 0);
		if (!*out_id)
			rc = err_oom();
	}
	PQclear(res);
	return rc;
}

int
idn_store_lock_refresh(idn_refresh_row *out, mem_arena *a, db_conn *c, const char *token_hash,
		       int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *params[] = {token_hash, db_i64(now_text, now)};
	PGresult *res = NULL;
	int rc = db_exec(
		c, &res,
		"SELECT r.id, r.user_id, r.revoked IS NOT FALSE,"
		" r.expires_at <= " DB_FROM_US(
			"$2") ","
			      " r.replaced_by IS NOT NULL,"
			      " COALESCE(floor(1000000 * extract(epoch FROM " DB_FROM_US(
				      "$2") " - n.created_at))::bigint, 0)"
					    " FROM refresh_tokens r LEFT JOIN refresh_tokens n"
					    " ON n.id = r.replaced_by WHERE r.token_hash = $1 FOR "
					    "UPDATE OF r",
		2, params);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "refresh_token_unknown", "no such refresh token");
	if (rc == 0) {
		out->id = db_text(a, res, 0, 0);
		out->user_id = db_text(a, res, 0, 1);
		out->revoked = db_bool(res, 0, 2);
		out->expired = db_bool(res, 0, 3);
		out->replaced = db_bool(res, 0, 4);
		out->revoked_age_us = db_int64(res, 0, 5);
		if (!out->id || !out->user_id)
			rc = err_oom();
	}
	PQclear(res);
	return rc;
}

int
idn_store_replace_refresh(db_conn *c, const char *old_id, const char *new_id)
{
	const char *params[] = {old_id, new_id};

	return db_run(c,
		      "UPDATE refresh_tokens SET revoked = true, replaced_by = $2::uuid"
		      " WHERE id = $1::uuid",
		      2, params);
}

int
idn_store_revoke_refresh(int *out_count, db_conn *c, const char *id, const char *user_id)
{
	const char *params[] = {id, user_id};

	return db_run_count(out_count, c,
			    "UPDATE refresh_tokens SET revoked = true"
			    " WHERE id = $1::uuid AND user_id = $2::uuid"
			    " AND revoked = false",
			    2, params);
}

int
idn_store_revoke_all(int *out_count, db_conn *c, const char *user_id)
{
	return db_run_count(out_count, c,
			    "UPDATE refresh_tokens SET revoked = true"
			    " WHERE user_id = $1::uuid AND revoked = false",
			    1, &user_id);
}

/* One session: (id, device_info, ip_address, created_at, expires_at,
 * page key). */
static int
idn_read_session(mem_arena *a, const PGresult *res, int row, idn_session *out)
{
	out->id = db_text(a, res, row, 0);
	out->device_info = db_text(a, res, row, 1);
	out->ip_address = db_text(a, res, row, 2);
	out->created_at = db_text(a, res, row, 3);
	out->expires_at = db_text(a, res, row, 4);
	out->page_key = db_text(a, res, row, 5);
	return out->page_key ? 0 : err_oom();
}

int
idn_store_sessions(idn_session **out, int *out_n, mem_arena *a, db_conn *c, const char *user_id,
		   int64_t now, const page_request *page)
{
	char now_text[DB_I64_TEXT], limit_text[DB_I64_TEXT];
	const char *params[] = {user_id, db_i64(now_text, now), page->key, page->after_id,
				db_i64(limit_text, page_fetch_rows(page))};

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"SELECT id, device_info, ip_address, " DB_RFC3339("created_at") ", " DB_RFC3339(
			"expires_at") ", created_at::text"
				      " FROM refresh_tokens WHERE user_id = $1::uuid AND revoked = "
				      "false"
				      " AND expires_at > " DB_FROM_US(
					      "$2") " AND ($3::timestamptz IS NULL OR"
						    " (created_at, id) < ($3::timestamptz, "
						    "$4::uuid))"
						    " ORDER BY created_at DESC, id DESC LIMIT "
						    "$5::int",
		5, params, idn_read_session);
}

/* One activity event: (id, event, ip_address, device_info, created_at,
 * page key). */
static int
idn_read_event(mem_arena *a, const PGresult *res, int row, idn_event *out)
{
	out->id = db_text(a, res, row, 0);
	out->event = db_text(a, res, row, 1);
	out->ip_address = db_text(a, res, row, 2);
	out->device_info = db_text(a, res, row, 3);
	out->created_at = db_text(a, res, row, 4);
	out->page_key = db_text(a, res, row, 5);
	return out->page_key ? 0 : err_oom();
}

int
idn_store_events(idn_event **out, int *out_n, mem_arena *a, db_conn *c, const char *user_id,
		 const page_request *page)
{
	char limit_text[DB_I64_TEXT];
	const char *params[] = {user_id, page->key, page->after_id,
				db_i64(limit_text, page_fetch_rows(page))};

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"SELECT id, event, ip_address, device_info, " DB_RFC3339(
			"created_at") ", created_at::text"
				      " FROM user_activity_log WHERE user_id = $1::uuid"
				      " AND ($2::timestamp IS NULL OR"
				      " (created_at, id) < ($2::timestamp, $3::uuid))"
				      " ORDER BY created_at DESC, id DESC LIMIT $4::int",
		4, params, idn_read_event);
}

/* Unix microseconds of a timestamptz expression, 0 for NULL. */
#define IDN_US_OF(expr) "COALESCE(floor(extract(epoch FROM " expr ") * 1000000)::bigint, 0)"
/* A timestamptz from a Unix-microseconds parameter, NULL for 0. */
#define IDN_US_OR_NULL(param) "CASE WHEN " param "::bigint > 0 THEN " DB_FROM_US(param) " END"

int
idn_store_lock_throttle(idn_throttle *out, db_conn *c, const char *kind, const char *key_hash)
{
	const char *params[] = {kind, key_hash};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO identity_throttle (kind, key_hash) VALUES ($1, $2)"
			 " ON CONFLICT (kind, key_hash) DO UPDATE SET kind = EXCLUDED.kind"
			 " RETURNING " IDN_US_OF("window_started_at") ", attempts, " IDN_US_OF(
				 "locked_until") ", lockouts",
			 2, params);

	if (rc == 0) {
		out->window_start_us = db_int64(res, 0, 0);
		out->attempts = (int)db_int64(res, 0, 1);
		out->locked_until_us = db_int64(res, 0, 2);
		out->lockouts = (int)db_int64(res, 0, 3);
	}
	PQclear(res);
	return rc;
}

int
idn_store_save_throttle(db_conn *c, const char *kind, const char *key_hash, const idn_throttle *t,
			int64_t forget_after)
{
	char window[DB_I64_TEXT], attempts[DB_I64_TEXT], until[DB_I64_TEXT];
	char lockouts[DB_I64_TEXT], forget[DB_I64_TEXT];
	const char *params[] = {kind,
				key_hash,
				db_i64(window, t->window_start_us),
				db_i64(attempts, t->attempts),
				db_i64(until, t->locked_until_us),
				db_i64(lockouts, t->lockouts),
				db_i64(forget, forget_after)};

	return db_run(
		c,
		"UPDATE identity_throttle SET window_started_at = " IDN_US_OR_NULL(
			"$3") ", attempts = $4::int, locked_until = " IDN_US_OR_NULL("$5") ", "
											   "lockout"
											   "s = "
											   "$6::"
											   "int, "
											   "forget_"
											   "after "
											   "="
											   " " DB_FROM_US(
												   "$7") " WHERE kind = $1 AND key_hash = $2",
		7, params);
}

int
idn_store_sweep_throttles(db_conn *c, int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *param = db_i64(now_text, now);

	return db_run(c,
		      "DELETE FROM identity_throttle WHERE ctid IN (SELECT ctid"
		      " FROM identity_throttle WHERE forget_after < " DB_FROM_US(
			      "$1") " LIMIT 64 FOR UPDATE SKIP LOCKED)",
		      1, &param);
}

int
idn_store_lock_pin(idn_pin *out, mem_arena *a, db_conn *c, const char *user_id)
{
	PGresult *res = NULL;
	int rc = db_exec(
		c, &res,
		"SELECT pin_hash, recovery_token_hash, failed_attempts,"
		" lockouts, day_failures, " IDN_US_OF(
			"day_started_at AT TIME ZONE "
			"'UTC'") ", " IDN_US_OF("locked_until AT TIME ZONE 'UTC'") " FROM "
										   "transaction_"
										   "pins "
										   "WHERE user_id "
										   "= $1::uuid "
										   "FOR UPDATE",
		1, &user_id);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_FAILED_PRECONDITION, "pin_not_set", "no transaction PIN is set");
	if (rc == 0) {
		out->pin_hash = db_text(a, res, 0, 0);
		out->recovery_hash = db_text(a, res, 0, 1);
		out->lockout.failed = (int)db_int64(res, 0, 2);
		out->lockout.lockouts = (int)db_int64(res, 0, 3);
		out->lockout.day_failures = (int)db_int64(res, 0, 4);
		out->lockout.day_start_us = db_int64(res, 0, 5);
		out->lockout.locked_until_us = db_int64(res, 0, 6);
		if (!out->pin_hash || !out->recovery_hash)
			rc = err_oom();
	}
	PQclear(res);
	return rc;
}

int
idn_store_insert_pin(db_conn *c, const char *user_id, const char *pin_hash,
		     const char *recovery_hash)
{
	const char *params[] = {user_id, pin_hash, recovery_hash};
	int rc = db_run(c,
			"INSERT INTO transaction_pins (user_id, pin_hash,"
			" recovery_token_hash) VALUES ($1::uuid, $2, $3)",
			3, params);

	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "pin_already_set",
			       "a PIN is already set: change or reset it");
	return rc;
}

int
idn_store_pin_lockout(db_conn *c, const char *user_id, const idn_pin_lockout *lockout)
{
	char failed[DB_I64_TEXT], lockouts[DB_I64_TEXT], day[DB_I64_TEXT];
	char day_start[DB_I64_TEXT], until[DB_I64_TEXT];
	const char *params[] = {user_id,
				db_i64(failed, lockout->failed),
				db_i64(lockouts, lockout->lockouts),
				db_i64(day, lockout->day_failures),
				db_i64(day_start, lockout->day_start_us),
				db_i64(until, lockout->locked_until_us)};

	return db_run(c,
		      "UPDATE transaction_pins SET failed_attempts = $2::int,"
		      " lockouts = $3::int, day_failures = $4::int,"
		      " day_started_at = (" IDN_US_OR_NULL(
			      "$5") ") AT TIME ZONE 'UTC',"
				    " locked_until = (" IDN_US_OR_NULL(
					    "$6") ") AT TIME ZONE 'UTC',"
						  " updated_at = now() WHERE user_id = $1::uuid",
		      6, params);
}

int
idn_store_set_pin(db_conn *c, const char *user_id, const char *pin_hash, const char *recovery_hash)
{
	const char *params[] = {user_id, pin_hash, recovery_hash};

	return db_run(c,
		      "UPDATE transaction_pins SET pin_hash = $2,"
		      " recovery_token_hash = COALESCE($3, recovery_token_hash),"
		      " failed_attempts = 0, locked_until = NULL, lockouts = 0,"
		      " day_failures = 0, day_started_at = NULL, updated_at = now()"
		      " WHERE user_id = $1::uuid",
		      3, params);
}

/* The advisory lock every writer of session_revocation holds from before
 * it draws a seq to its commit (migration 0018). */
#define IDN_REVOCATION_LOCK "180007"

/* Takes the revocation lock and, while it is held (so no other sweep
 * runs), sweeps a few revocations that expired long ago. */
static int
idn_revocation_lock(db_conn *c, int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *param = db_i64(now_text, now);
	int rc = db_run(c, "SELECT pg_advisory_xact_lock(" IDN_REVOCATION_LOCK ")", 0, NULL);

	if (rc < 0)
		return rc;
	return db_run(c,
		      "DELETE FROM session_revocation WHERE seq IN (SELECT seq"
		      " FROM session_revocation WHERE valid_until < " DB_FROM_US(
			      "$1") " - interval '1 hour'"
				    " ORDER BY valid_until LIMIT 64)",
		      1, &param);
}

int
idn_store_end_session(db_conn *c, const char *id, const char *user_id, int64_t now,
		      int64_t window_us)
{
	char now_text[DB_I64_TEXT], window[DB_I64_TEXT];
	const char *params[] = {id, user_id, db_i64(now_text, now), db_i64(window, window_us)};
	int rc = idn_revocation_lock(c, now);

	if (rc < 0)
		return rc;
	/* Earlier rows are older: the walk stops at the first one whose
	 * tokens have all expired. */
	return db_run(
		c,
		"WITH RECURSIVE chain (id, created_at) AS ("
		" SELECT id, created_at FROM refresh_tokens"
		" WHERE id = $1::uuid AND user_id = $2::uuid"
		" UNION ALL"
		" SELECT p.id, p.created_at FROM refresh_tokens p"
		" JOIN chain ON p.replaced_by = chain.id"
		" WHERE p.created_at > " DB_FROM_US(
			"$3") " - $4::bigint * interval '1 microsecond')"
			      " INSERT INTO session_revocation (session_id, user_id, valid_until)"
			      " SELECT id, $2::uuid,"
			      " created_at + $4::bigint * interval '1 microsecond' FROM chain"
			      " WHERE created_at > " DB_FROM_US(
				      "$3") " - $4::bigint * interval '1 microsecond'"
					    " ON CONFLICT (session_id) DO NOTHING",
		4, params);
}

int
idn_store_end_sessions_of(db_conn *c, const char *user_id, int64_t now, int64_t window_us)
{
	char now_text[DB_I64_TEXT], window[DB_I64_TEXT];
	const char *params[] = {user_id, db_i64(now_text, now), db_i64(window, window_us)};
	int rc = idn_revocation_lock(c, now);

	if (rc < 0)
		return rc;
	return db_run(
		c,
		"INSERT INTO session_revocation (session_id, user_id, valid_until)"
		" SELECT id, user_id,"
		" created_at + $3::bigint * interval '1 microsecond'"
		" FROM refresh_tokens WHERE user_id = $1::uuid"
		" AND created_at > " DB_FROM_US("$2") " - $3::bigint * interval '1 microsecond'"
						      " ON CONFLICT (session_id) DO NOTHING",
		3, params);
}

int
idn_store_session_ended(int *out_ended, db_conn *c, const char *session_id)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT EXISTS (SELECT 1 FROM session_revocation"
			 " WHERE session_id = $1::uuid)",
			 1, &session_id);

	if (rc == 0)
		*out_ended = db_bool(res, 0, 0);
	PQclear(res);
	return rc;
}

int
idn_store_revocations(idn_revocation **out, int *out_n, int64_t *out_head, mem_arena *a, db_conn *c,
		      int64_t after, int64_t now, int limit)
{
	char after_text[DB_I64_TEXT], now_text[DB_I64_TEXT], limit_text[DB_I64_TEXT];
	const char *params[] = {db_i64(after_text, after), db_i64(now_text, now),
				db_i64(limit_text, limit + 1)};
	PGresult *res = NULL;
	idn_revocation *rows;
	int rc = db_exec(
		c, &res,
		"SELECT h.head, r.seq, r.session_id, " DB_RFC3339(
			"r.valid_until") " FROM (SELECT COALESCE(max(seq), 0) AS head FROM "
					 "session_revocation) h"
					 " LEFT JOIN LATERAL (SELECT seq, session_id, valid_until"
					 " FROM session_revocation WHERE seq > $1::bigint"
					 " AND valid_until > " DB_FROM_US(
						 "$2") " ORDER BY seq LIMIT $3::int) r ON true "
						       "ORDER BY r.seq",
		3, params);

	if (rc < 0)
		return rc;
	*out_head = db_int64(res, 0, 0);
	*out_n = PQgetisnull(res, 0, 1) ? 0 : PQntuples(res);
	rows = mem_arena_alloc(a, sizeof(*rows) * (size_t)(*out_n ? *out_n : 1));
	for (int i = 0; rows && i < *out_n; i++) {
		rows[i].seq = db_int64(res, i, 1);
		rows[i].session_id = db_text(a, res, i, 2);
		rows[i].valid_until = db_text(a, res, i, 3);
		if (!rows[i].session_id || !rows[i].valid_until)
			rows = NULL;
	}
	PQclear(res);
	*out = rows;
	return rows ? 0 : err_oom();
}
