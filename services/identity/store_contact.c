/* Contacts, email codes and phones: the SQL of store.h's last section. */
#include "store.h"

#include <string.h>

#include "text/text.h"

/* ids (UUID text, checked by the caller) as a PostgreSQL array literal. */
static int
idn_uuid_array(char **out, mem_arena *a, char *const *ids, size_t n)
{
	char *text = mem_arena_alloc(a, n * (TEXT_UUID_LEN + 1) + 3);
	size_t len = 0;

	if (!text)
		return err_oom();
	text[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			text[len++] = ',';
		memcpy(text + len, ids[i], TEXT_UUID_LEN);
		len += TEXT_UUID_LEN;
	}
	memcpy(text + len, "}", 2);
	*out = text;
	return 0;
}

/* One contact: (id, name, email, email verified, verified phone or ""). */
static int
idn_read_contact(mem_arena *a, const PGresult *res, int row, idn_contact *out)
{
	out->user_id = db_text(a, res, row, 0);
	out->name = db_text(a, res, row, 1);
	out->email = db_text(a, res, row, 2);
	out->email_verified = db_bool(res, row, 3);
	out->phone = db_text(a, res, row, 4);
	return out->user_id && out->name && out->email && out->phone ? 0 : err_oom();
}

int
idn_store_contacts(idn_contact **out, int *out_n, mem_arena *a, db_conn *c, char *const *ids,
		   size_t n_ids)
{
	char *array = NULL;
	int rc = idn_uuid_array(&array, a, ids, n_ids);

	if (rc < 0)
		return rc;
	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT id, name, email, email_verified_at IS NOT NULL,"
			     " CASE WHEN phone_verified_at IS NOT NULL THEN phone"
			     " ELSE '' END FROM \"user\""
			     " WHERE id = ANY ($1::uuid[])",
			     1, (const char *const *)&array, idn_read_contact);
}

int
idn_store_lock_user(char **email, int *out_verified, mem_arena *a, db_conn *c, const char *user_id,
		    idn_code_channel ch)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 ch == IDN_CODE_PHONE ? "SELECT COALESCE(phone, ''), phone_verified_at IS "
						"NOT NULL"
						" FROM \"user\" WHERE id = $1::uuid FOR UPDATE"
					      : "SELECT email, email_verified_at IS NOT NULL FROM "
						"\"user\""
						" WHERE id = $1::uuid FOR UPDATE",
			 1, &user_id);

	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "user_not_found", "no such user");
	if (rc == 0) {
		*email = db_text(a, res, 0, 0);
		*out_verified = db_bool(res, 0, 1);
		if (!*email)
			rc = err_oom();
	}
	PQclear(res);
	return rc;
}

int
idn_store_codes_to_address(int *out_n, db_conn *c, idn_code_channel ch, const char *address,
			   int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *params[] = {idn_code_channel_name(ch), address, db_i64(now_text, now)};
	PGresult *res = NULL;
	// clang-format off
	int rc = db_exec(c, &res,
			 "SELECT count(*) FROM email_code WHERE channel = $1 AND email = $2"
			 " AND sent_at > " DB_FROM_US("$3") " - interval '1 day'",
			 3, params);
	// clang-format on

	if (rc < 0)
		return rc;
	*out_n = (int)db_int64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
idn_store_code_state(idn_code_state *out, mem_arena *a, db_conn *c, const char *user_id,
		     idn_code_channel ch, int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *params[] = {user_id, db_i64(now_text, now), idn_code_channel_name(ch)};
	PGresult *res = NULL;
	/* The day's count in the same statement (rows of the newest's user
	 * and channel). Unformatted: clang-format cuts SQL around DB_FROM_US
	 * into pieces. */
	// clang-format off
	int rc = db_exec(
		c, &res,
		"WITH day AS (SELECT count(*) AS n, min(sent_at) AS oldest"
		" FROM email_code WHERE user_id = $1::uuid AND channel = $3"
		" AND sent_at > " DB_FROM_US("$2") " - interval '1 day')"
		" SELECT k.id, k.email, k.code_hash, k.attempts,"
		" k.expires_at <= " DB_FROM_US("$2") ","
		" k.consumed_at IS NOT NULL,"
		" floor(extract(epoch FROM " DB_FROM_US("$2") " - k.sent_at))::bigint,"
		" day.n,"
		" COALESCE(floor(extract(epoch FROM " DB_FROM_US("$2") " - day.oldest))::bigint, 0)"
		" FROM day LEFT JOIN LATERAL (SELECT * FROM email_code e"
		" WHERE e.user_id = $1::uuid AND e.channel = $3"
		" ORDER BY e.sent_at DESC, e.id DESC LIMIT 1 FOR UPDATE) k ON true",
		3, params);
	// clang-format on

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->found = !PQgetisnull(res, 0, 0);
	out->id = db_text(a, res, 0, 0);
	out->email = db_text(a, res, 0, 1);
	out->code_hash = db_text(a, res, 0, 2);
	out->attempts = (int)db_int64(res, 0, 3);
	out->expired = db_bool(res, 0, 4);
	out->consumed = db_bool(res, 0, 5);
	out->age_s = db_int64(res, 0, 6);
	out->sent_today = (int)db_int64(res, 0, 7);
	out->oldest_today_age_s = db_int64(res, 0, 8);
	if (!out->id || !out->email || !out->code_hash)
		rc = err_oom();
	PQclear(res);
	return rc;
}

int
idn_store_insert_code(db_conn *c, const char *user_id, idn_code_channel ch, const char *address,
		      const char *code_hash, int64_t now, int64_t expires)
{
	char now_text[DB_I64_TEXT], exp_text[DB_I64_TEXT];
	const char *channel = idn_code_channel_name(ch);
	const char *params[] = {
		user_id, address, code_hash, db_i64(now_text, now), db_i64(exp_text, expires),
		channel};
	int rc = db_run(c,
			"DELETE FROM email_code WHERE user_id = $1::uuid AND channel = "
			"$3"
			" AND sent_at <= " DB_FROM_US("$2") " - interval '1 day'",
			3, (const char *const[]){user_id, now_text, channel});

	if (rc < 0)
		return rc;
	return db_run(c,
		      "INSERT INTO email_code (user_id, email, code_hash, sent_at,"
		      " expires_at, channel) VALUES ($1::uuid, $2, $3, " DB_FROM_US(
			      "$4") ", " DB_FROM_US("$5") ", $6)",
		      6, params);
}

int
idn_store_code_attempt(db_conn *c, const char *id)
{
	return db_run(c,
		      "UPDATE email_code SET attempts = attempts + 1 WHERE id "
		      "= $1::uuid",
		      1, &id);
}

int
idn_store_code_consume(db_conn *c, const char *id, const char *user_id, idn_code_channel ch,
		       int64_t now)
{
	char now_text[DB_I64_TEXT];
	const char *params[] = {id, db_i64(now_text, now)};
	const char *user_params[] = {user_id, now_text, id};
	int rc = db_run(
		c, "UPDATE email_code SET consumed_at = " DB_FROM_US("$2") " WHERE id = $1::uuid",
		2, params);

	if (rc < 0)
		return rc;
	if (ch == IDN_CODE_PHONE)
		return db_run(c,
			      "UPDATE \"user\" SET phone_verified_at = " DB_FROM_US(
				      "$2") " WHERE id = $1::uuid AND "
					    "phone_verified_at IS NULL"
					    " AND phone = (SELECT email FROM "
					    "email_code WHERE id = $3::uuid)",
			      3, user_params);
	return db_run(c,
		      "UPDATE \"user\" SET email_verified_at = " DB_FROM_US(
			      "$2") " WHERE id = $1::uuid AND "
				    "email_verified_at IS NULL",
		      2, user_params);
}

int
idn_store_set_phone(db_conn *c, const char *user_id, const char *phone)
{
	const char *params[] = {user_id, phone};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "UPDATE \"user\" SET phone = $2, phone_verified_at = NULL"
			 " WHERE id = $1::uuid",
			 2, params);

	if (rc == 0 && db_affected(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "user_not_found", "no such user");
	PQclear(res);
	return rc;
}
