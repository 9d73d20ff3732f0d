/* kolo-identity's contacts over real gRPC against a throwaway PostgreSQL:
 * email ownership codes (Register, Login, VerifyEmail, SendEmailCode), the
 * phone number (SetPhone) and GetUserContacts for kolo-events (DESIGN §16).
 *
 * The realtime clock_gettime() is wrapped (-Wl,--wrap) so tests move the
 * service's clock instead of sleeping; codes are read where kolo-events
 * reads them, the identity outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "identity.h"
#include "contact.h"
#include "identity_service.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "test_clock.h"
#include "test_identity.h"
#include "test_keys.h"
#include "test_pg.h"
#include "test_service.h"

#define PASSWORD "correct horse battery staple"

/* --- fixture -----------------------------------------------------------------
 */

static char dbname[TEST_PG_NAME_MAX];
static test_service svc;
static test_key key;
static mem_arena *arena;
static PGconn *admin;

static int
setup(void **state)
{
	idn_config cfg;
	auth_keyring ring = {.n_keys = 0};
	char seed_text[64];

	(void)state;
	if (test_pg_fresh_service(dbname, sizeof(dbname), &admin, "kolo_identity") < 0)
		return -1;
	if (test_key_seeded(&key, "k-email", seed_text, sizeof(seed_text)) < 0)
		return -1;
	test_keyring_add(&ring, &key);
	test_identity_config(&cfg, &ring);
	if (idn_config_set_key(&cfg, "k-email", seed_text) < 0 || idn_init(&cfg) < 0)
		return -1;
	rpc_init();
	arena = mem_arena_new(0);
	return test_service_start(&svc, &idn_rpc_service, &ring);
}

static int
teardown(void **state)
{
	(void)state;
	test_service_stop(&svc);
	rpc_shutdown();
	mem_arena_free(arena);
	test_pg_fresh_service_end(dbname, admin);
	return 0;
}

/* --- calls and reads
 * ----------------------------------------------------------- */

static int
call(const char *method, const void *req, void *resp_out, const test_caller *who)
{
	return test_call(&svc, method, req, (ProtobufCMessage **)resp_out, arena, who);
}

typedef struct account {
	char id[64];
	char email[128];
	char access[AUTH_JWT_MAX];
	char refresh[64];
} account;

static void
register_account(account *acc, const char *email)
{
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;

	req.email = (char *)email;
	req.password = PASSWORD;
	req.name = "Ngozi Eze";
	assert_int_equal(call("Register", &req, &resp, NULL), 0);
	assert_false(resp->user->email_verified);
	snprintf(acc->id, sizeof(acc->id), "%s", resp->user->id);
	snprintf(acc->email, sizeof(acc->email), "%s", resp->user->email);
	snprintf(acc->access, sizeof(acc->access), "%s", resp->access_token);
	snprintf(acc->refresh, sizeof(acc->refresh), "%s", resp->refresh_token);
}

/* New tokens for acc after the clock moved past the access token's life. */
static void
renew(account *acc)
{
	Kolo__Identity__V1__RefreshRequest req = KOLO__IDENTITY__V1__REFRESH_REQUEST__INIT;
	Kolo__Identity__V1__RefreshResponse *resp = NULL;

	req.refresh_token = acc->refresh;
	assert_int_equal(call("Refresh", &req, &resp, NULL), 0);
	snprintf(acc->access, sizeof(acc->access), "%s", resp->access_token);
	snprintf(acc->refresh, sizeof(acc->refresh), "%s", resp->refresh_token);
}

static const test_caller *
as(const account *acc)
{
	static test_caller who;

	memset(&who, 0, sizeof(who));
	who.access_token = acc->access;
	return &who;
}

static long
sql_long(const char *fmt, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof(sql), fmt, arg);
	return test_pg_long(admin, sql);
}

/* The code of the newest event of type (user.email_code, user.phone_code)
 * of acc, as kolo-events reads it: its data in identity's outbox. */
static void
newest_code_of(const account *acc, const char *type, char code[8])
{
	char sql[512];
	char *value;

	snprintf(sql, sizeof(sql),
		 "SELECT data->>'code' FROM identity_outbox WHERE type = '%s'"
		 " AND user_id = '%s' ORDER BY seq DESC LIMIT 1",
		 type, acc->id);
	value = test_pg_value(admin, sql);
	assert_int_equal(strlen(value), 6);
	memcpy(code, value, 7);
	free(value);
}

/* How many events of type acc was sent. */
static long
codes_of(const account *acc, const char *type)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM identity_outbox WHERE type = '%s'"
		 " AND user_id = '%s'",
		 type, acc->id);
	return test_pg_long(admin, sql);
}

/* The newest email code sent to acc. */
static void
newest_code(const account *acc, char code[8])
{
	newest_code_of(acc, "user.email_code", code);
}

static long
codes_sent(const account *acc)
{
	return codes_of(acc, "user.email_code");
}

static int
verify(const account *acc, const char *code)
{
	Kolo__Identity__V1__VerifyEmailRequest req = KOLO__IDENTITY__V1__VERIFY_EMAIL_REQUEST__INIT;
	Kolo__Identity__V1__VerifyEmailResponse *resp = NULL;
	int rc;

	req.code = (char *)code;
	rc = call("VerifyEmail", &req, &resp, as(acc));
	if (rc == 0)
		assert_true(resp->user->email_verified);
	return rc;
}

static int
send_code(const account *acc)
{
	Kolo__Identity__V1__SendEmailCodeRequest req =
		KOLO__IDENTITY__V1__SEND_EMAIL_CODE_REQUEST__INIT;
	Kolo__Identity__V1__SendEmailCodeResponse *resp = NULL;
	int rc = call("SendEmailCode", &req, &resp, as(acc));

	if (rc == 0) {
		assert_string_equal(resp->email, acc->email);
		assert_true(strlen(resp->expires_at) > 0);
	}
	return rc;
}

static int
me_verified(const account *acc)
{
	Kolo__Identity__V1__GetMeRequest req = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *resp = NULL;

	assert_int_equal(call("GetMe", &req, &resp, as(acc)), 0);
	return resp->user->email_verified;
}

/* A code that is not code (the next one round). */
static void
other_code(char out[8], const char *code)
{
	snprintf(out, 8, "%06ld", (strtol(code, NULL, 10) + 1) % 1000000);
}

static void
assert_refused(int rc, int code, const char *reason)
{
	assert_int_equal(rc, code);
	assert_string_equal(err_last()->reason, reason);
}

/* --- Register's code
 * ----------------------------------------------------------- */

/* Register writes the code's row (its keyed hash, never the code) and the
 * user.email_code event with the code, in its transaction: a refused
 * Register writes neither. */
static void
test_register_sends_a_code_and_stores_only_its_hash(void **state)
{
	account acc;
	char code[8], sql[512];
	char *data, *hash;
	Kolo__Identity__V1__RegisterRequest again = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	long events = test_pg_long(admin, "SELECT count(*) FROM identity_outbox");
	long rows = test_pg_long(admin, "SELECT count(*) FROM email_code");

	(void)state;
	register_account(&acc, "ngozi@example.com");
	assert_int_equal(codes_sent(&acc), 1);
	assert_int_equal(sql_long("SELECT count(*) FROM email_code WHERE user_id = '%s'", acc.id),
			 1);
	newest_code(&acc, code);
	snprintf(sql, sizeof(sql),
		 "SELECT (data->>'email') || '|' || (actor_id = user_id)::text"
		 " || '|' || (group_id IS NULL)::text || '|' ||"
		 " ((data->>'expires_at')::timestamptz - occurred_at"
		 " BETWEEN interval '29 minutes' AND interval '31 "
		 "minutes')::text"
		 " FROM identity_outbox WHERE user_id = '%s'",
		 acc.id);
	data = test_pg_value(admin, sql);
	assert_string_equal(data, "ngozi@example.com|true|true|true");
	free(data);
	snprintf(sql, sizeof(sql),
		 "SELECT code_hash || '|' || email || '|' || attempts FROM "
		 "email_code"
		 " WHERE user_id = '%s'",
		 acc.id);
	hash = test_pg_value(admin, sql);
	assert_int_equal(strlen(hash), 64 + strlen("|ngozi@example.com|0"));
	assert_null(strstr(hash, code));
	free(hash);
	/* A plain SHA-256 of the code is not what is stored either. */
	assert_int_equal(sql_long("SELECT count(*) FROM email_code WHERE code_hash IN"
				  " (encode(sha256('%1$s'), 'hex'), '%1$s')",
				  code),
			 0);
	assert_false(me_verified(&acc));
	/* Refused (email_taken): no code, no event. */
	again.email = "ngozi@example.com";
	again.password = PASSWORD;
	again.name = "Someone Else";
	assert_refused(call("Register", &again, &resp, NULL), ERR_ALREADY_EXISTS, "email_taken");
	assert_int_equal(test_pg_long(admin, "SELECT count(*) FROM identity_outbox"), events + 1);
	assert_int_equal(test_pg_long(admin, "SELECT count(*) FROM email_code"), rows + 1);
}

/* --- VerifyEmail
 * ----------------------------------------------------------------- */

static void
test_right_code_verifies_once_and_for_all(void **state)
{
	account acc;
	char code[8], wrong[8];

	(void)state;
	register_account(&acc, "verify-right@example.com");
	newest_code(&acc, code);
	other_code(wrong, code);
	assert_refused(verify(&acc, wrong), ERR_PERMISSION_DENIED, "code_invalid");
	assert_non_null(strstr(err_last()->message, "4 tries left"));
	assert_int_equal(sql_long("SELECT attempts FROM email_code WHERE user_id = '%s'", acc.id),
			 1);
	assert_false(me_verified(&acc));
	assert_int_equal(verify(&acc, code), 0);
	assert_true(me_verified(&acc));
	assert_int_equal(sql_long("SELECT count(*) FROM \"user\" WHERE id = '%s'"
				  " AND email_verified_at IS NOT NULL",
				  acc.id),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM email_code WHERE user_id = '%s'"
				  " AND consumed_at IS NOT NULL",
				  acc.id),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM user_activity_log "
				  "WHERE user_id = '%s'"
				  " AND event = 'email_verified'",
				  acc.id),
			 1);
	/* Again, with the same code or any other: verified, nothing new. */
	assert_int_equal(verify(&acc, code), 0);
	assert_int_equal(verify(&acc, wrong), 0);
	assert_int_equal(sql_long("SELECT count(*) FROM user_activity_log "
				  "WHERE user_id = '%s'"
				  " AND event = 'email_verified'",
				  acc.id),
			 1);
	/* A verified address gets no more codes. */
	test_clock_offset += 120;
	assert_refused(send_code(&acc), ERR_FAILED_PRECONDITION, "email_already_verified");
	assert_int_equal(codes_sent(&acc), 1);
}

static void
test_five_wrong_codes_lock_the_code(void **state)
{
	account acc;
	char code[8], wrong[8];

	(void)state;
	register_account(&acc, "verify-locked@example.com");
	newest_code(&acc, code);
	other_code(wrong, code);
	for (int i = 1; i <= 4; i++) {
		char left[32];

		assert_refused(verify(&acc, wrong), ERR_PERMISSION_DENIED, "code_invalid");
		snprintf(left, sizeof(left), "%d tries left", 5 - i);
		assert_non_null(strstr(err_last()->message, left));
	}
	assert_refused(verify(&acc, wrong), ERR_FAILED_PRECONDITION, "code_locked");
	/* Locked: the right code no longer counts, and no try is counted. */
	assert_refused(verify(&acc, code), ERR_FAILED_PRECONDITION, "code_locked");
	assert_int_equal(sql_long("SELECT attempts FROM email_code WHERE user_id = '%s'", acc.id),
			 5);
	assert_false(me_verified(&acc));
	/* A new code (a minute later) works. */
	test_clock_offset += 61;
	assert_int_equal(send_code(&acc), 0);
	newest_code(&acc, wrong);
	assert_int_equal(verify(&acc, wrong), 0);
}

static void
test_expired_code_is_refused(void **state)
{
	account acc;
	char code[8];

	(void)state;
	register_account(&acc, "verify-expired@example.com");
	newest_code(&acc, code);
	test_clock_offset += 30 * 60 + 1;
	renew(&acc);
	assert_refused(verify(&acc, code), ERR_FAILED_PRECONDITION, "code_expired");
	assert_false(me_verified(&acc));
	assert_int_equal(send_code(&acc), 0);
	newest_code(&acc, code);
	assert_int_equal(verify(&acc, code), 0);
}

/* Not 6 digits: bad input, no try counted. A user with no code (made
 * before codes existed) is told to ask for one. */
static void
test_malformed_code_and_no_code(void **state)
{
	static const char *const bad[] = {"", "12345", "1234567", "12345a", " 12345"};
	account acc;

	(void)state;
	register_account(&acc, "verify-bad@example.com");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(verify(&acc, bad[i]), ERR_INVALID_ARGUMENT, "invalid_code");
	assert_int_equal(sql_long("SELECT attempts FROM email_code WHERE user_id = '%s'", acc.id),
			 0);
	sql_long("WITH d AS (DELETE FROM email_code WHERE user_id = '%s' "
		 "RETURNING 1)"
		 " SELECT count(*) FROM d",
		 acc.id);
	assert_refused(verify(&acc, "123456"), ERR_FAILED_PRECONDITION, "no_code");
	assert_false(me_verified(&acc));
}

/* --- SendEmailCode
 * ---------------------------------------------------------------- */

/* One a minute, five a day (Register's counts); a new code ends the old. */
static void
test_codes_are_sent_at_most_once_a_minute_and_five_a_day(void **state)
{
	account acc;
	char first[8], second[8];
	int64_t start = test_clock_offset;

	(void)state;
	register_account(&acc, "resend@example.com");
	newest_code(&acc, first);
	assert_refused(send_code(&acc), ERR_RESOURCE_EXHAUSTED, "rate_limited");
	assert_true(err_last()->retry_after_s > 0 && err_last()->retry_after_s <= 60);
	assert_int_equal(codes_sent(&acc), 1);
	test_clock_offset += 61;
	assert_int_equal(send_code(&acc), 0);
	newest_code(&acc, second);
	/* The first code is dead now. */
	if (strcmp(first, second) != 0)
		assert_refused(verify(&acc, first), ERR_PERMISSION_DENIED, "code_invalid");
	for (int i = 0; i < 3; i++) {
		test_clock_offset += 61;
		assert_int_equal(send_code(&acc), 0);
	}
	assert_int_equal(codes_sent(&acc), 5);
	test_clock_offset += 61;
	assert_refused(send_code(&acc), ERR_RESOURCE_EXHAUSTED, "rate_limited");
	/* Until the first of the day's five is a day old. */
	assert_true(err_last()->retry_after_s > 24 * 3600 - 5 * 61 - 5 &&
		    err_last()->retry_after_s <= 24 * 3600 - 5 * 61 + 5);
	assert_int_equal(codes_sent(&acc), 5);
	test_clock_offset = start + 24 * 3600 + 1;
	renew(&acc);
	assert_int_equal(send_code(&acc), 0);
	assert_int_equal(codes_sent(&acc), 6);
	/* The rows of more than a day ago are gone. */
	assert_int_equal(sql_long("SELECT count(*) FROM email_code WHERE user_id = '%s'", acc.id),
			 5);
	newest_code(&acc, second);
	assert_int_equal(verify(&acc, second), 0);
}

/* --- Login
 * ------------------------------------------------------------------------ */

static int
login(account *acc, int *code_sent, int *verified)
{
	Kolo__Identity__V1__LoginRequest req = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Kolo__Identity__V1__LoginResponse *resp = NULL;
	int rc;

	req.email = (char *)acc->email;
	req.password = PASSWORD;
	rc = call("Login", &req, &resp, NULL);
	if (rc == 0) {
		*code_sent = resp->email_code_sent;
		*verified = resp->user->email_verified;
		snprintf(acc->access, sizeof(acc->access), "%s", resp->access_token);
	}
	return rc;
}

/* An unverified user's sign-in sends a code when none waits (an older
 * user who never had one, an expired or locked code), within the send
 * limits; it always succeeds and says email_verified false. */
static void
test_login_sends_a_code_to_an_unverified_user(void **state)
{
	account acc;
	char code[8], wrong[8];
	int sent = -1, verified = -1;

	(void)state;
	register_account(&acc, "login-code@example.com");
	/* Register's code waits: none sent. */
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_false(sent);
	assert_false(verified);
	assert_int_equal(codes_sent(&acc), 1);
	/* A user from before codes: sent at once. */
	sql_long("WITH d AS (DELETE FROM email_code WHERE user_id = '%s' "
		 "RETURNING 1)"
		 " SELECT count(*) FROM d",
		 acc.id);
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_true(sent);
	assert_int_equal(codes_sent(&acc), 2);
	/* Locked within the minute: the limit holds, the login works. */
	newest_code(&acc, code);
	other_code(wrong, code);
	for (int i = 0; i < 5; i++)
		assert_int_not_equal(verify(&acc, wrong), 0);
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_false(sent);
	assert_int_equal(codes_sent(&acc), 2);
	/* Later: a new code. */
	test_clock_offset += 61;
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_true(sent);
	assert_int_equal(codes_sent(&acc), 3);
	/* Expired: a new one. */
	test_clock_offset += 31 * 60;
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_true(sent);
	newest_code(&acc, code);
	assert_int_equal(verify(&acc, code), 0);
	/* Verified: no more codes. */
	test_clock_offset += 31 * 60;
	assert_int_equal(login(&acc, &sent, &verified), 0);
	assert_false(sent);
	assert_true(verified);
	assert_int_equal(codes_sent(&acc), 4);
}

/* --- SetPhone
 * ----------------------------------------------------------------------- */

static int
set_phone(const account *acc, const char *phone, char **stored)
{
	Kolo__Identity__V1__SetPhoneRequest req = KOLO__IDENTITY__V1__SET_PHONE_REQUEST__INIT;
	Kolo__Identity__V1__SetPhoneResponse *resp = NULL;
	int rc;

	req.phone = (char *)phone;
	rc = call("SetPhone", &req, &resp, as(acc));
	if (rc == 0 && stored)
		*stored = resp->user->phone;
	return rc;
}

/* The code of the newest user.phone_code event of acc. */
static void
newest_phone_code(const account *acc, char code[8])
{
	newest_code_of(acc, "user.phone_code", code);
}

/* Forgets acc's phone codes (the send limits' count), as a day would. */
static void
forget_phone_codes(const account *acc)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM email_code WHERE user_id = '%s' AND channel = "
		 "'phone'",
		 acc->id);
	test_pg_ok(admin, sql);
}

static long
phone_codes_sent(const account *acc)
{
	return codes_of(acc, "user.phone_code");
}

static int
verify_phone(const account *acc, const char *code)
{
	Kolo__Identity__V1__VerifyPhoneRequest req = KOLO__IDENTITY__V1__VERIFY_PHONE_REQUEST__INIT;
	Kolo__Identity__V1__VerifyPhoneResponse *resp = NULL;
	char copy[16];

	snprintf(copy, sizeof(copy), "%s", code);
	req.code = copy;
	return call("VerifyPhone", &req, &resp, as(acc));
}

/* The contact kolo-events gets for acc: its phone ("" when none). */
static void
contact_phone(const account *acc, char out[32])
{
	static const test_caller events = {.caller = "events"};
	Kolo__Identity__V1__GetUserContactsRequest req =
		KOLO__IDENTITY__V1__GET_USER_CONTACTS_REQUEST__INIT;
	Kolo__Identity__V1__GetUserContactsResponse *resp = NULL;
	char *ids[1] = {(char *)acc->id};

	req.user_ids = ids;
	req.n_user_ids = 1;
	assert_int_equal(call("GetUserContacts", &req, &resp, &events), 0);
	assert_int_equal(resp->n_contacts, 1);
	snprintf(out, 32, "%s", resp->contacts[0]->phone);
}

static void
test_a_phone_gets_messages_only_once_its_code_is_entered(void **state)
{
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *got = NULL;
	account acc;
	char code[8], wrong[8], phone[32];
	char *value, sql[256];

	(void)state;
	register_account(&acc, "phone-code@example.com");
	assert_int_equal(set_phone(&acc, "08031234567", NULL), 0);
	/* Stored unverified; the code goes to that number only, in identity's
	 * outbox (kolo-events sends it by SMS), and only its hash is kept. */
	assert_int_equal(call("GetMe", &me, &got, as(&acc)), 0);
	assert_string_equal(got->user->phone, "+2348031234567");
	assert_false(got->user->phone_verified);
	snprintf(sql, sizeof(sql),
		 "SELECT data->>'phone' FROM identity_outbox WHERE type ="
		 " 'user.phone_code' AND user_id = '%s'",
		 acc.id);
	value = test_pg_value(admin, sql);
	assert_string_equal(value, "+2348031234567");
	free(value);
	newest_phone_code(&acc, code);
	assert_int_equal(sql_long("SELECT count(*) FROM email_code WHERE user_id = '%s'"
				  " AND channel = 'phone' AND email = '+2348031234567'"
				  " AND code_hash <> ''",
				  acc.id),
			 1);
	contact_phone(&acc, phone);
	assert_string_equal(phone, "");
	/* The email's code proves nothing about the phone, and back. */
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(code) + 1) % 1000000);
	assert_refused(verify_phone(&acc, wrong), ERR_PERMISSION_DENIED, "code_invalid");
	assert_refused(verify(&acc, code), ERR_PERMISSION_DENIED, "code_invalid");
	assert_int_equal(verify_phone(&acc, code), 0);
	assert_int_equal(call("GetMe", &me, &got, as(&acc)), 0);
	assert_true(got->user->phone_verified);
	assert_false(got->user->email_verified);
	contact_phone(&acc, phone);
	assert_string_equal(phone, "+2348031234567");
	assert_int_equal(sql_long("SELECT count(*) FROM user_activity_log WHERE"
				  " user_id = '%s' AND event = 'phone_verified'",
				  acc.id),
			 1);
	/* The same number again: already proved, no code sent. */
	test_clock_offset += 61;
	assert_int_equal(set_phone(&acc, "+234 803 123 4567", NULL), 0);
	assert_int_equal(phone_codes_sent(&acc), 1);
	contact_phone(&acc, phone);
	assert_string_equal(phone, "+2348031234567");
	/* Another number: unverified again until its own code is entered; the
	 * old code proves nothing now. */
	assert_int_equal(set_phone(&acc, "09051234567", NULL), 0);
	assert_int_equal(phone_codes_sent(&acc), 2);
	contact_phone(&acc, phone);
	assert_string_equal(phone, "");
	assert_refused(verify_phone(&acc, code), ERR_PERMISSION_DENIED, "code_invalid");
	newest_phone_code(&acc, code);
	assert_int_equal(verify_phone(&acc, code), 0);
	contact_phone(&acc, phone);
	assert_string_equal(phone, "+2349051234567");
}

static void
test_setting_a_phone_is_rate_limited_like_email_codes(void **state)
{
	account acc;
	char *value, sql[256];

	(void)state;
	register_account(&acc, "phone-limit@example.com");
	assert_int_equal(set_phone(&acc, "08031234567", NULL), 0);
	/* A second number within the minute: refused, nothing changed, no
	 * code sent. */
	assert_refused(set_phone(&acc, "08031234568", NULL), ERR_RESOURCE_EXHAUSTED,
		       "rate_limited");
	assert_true(err_last()->retry_after_s > 0 && err_last()->retry_after_s <= 60);
	snprintf(sql, sizeof(sql), "SELECT phone FROM \"user\" WHERE id = '%s'", acc.id);
	value = test_pg_value(admin, sql);
	assert_string_equal(value, "+2348031234567");
	free(value);
	assert_int_equal(phone_codes_sent(&acc), 1);
	/* Five a day. */
	for (int i = 0; i < 4; i++) {
		test_clock_offset += 61;
		assert_int_equal(set_phone(&acc, i % 2 ? "08031234567" : "08031234568", NULL), 0);
	}
	test_clock_offset += 61;
	assert_refused(set_phone(&acc, "08031234569", NULL), ERR_RESOURCE_EXHAUSTED,
		       "rate_limited");
	assert_int_equal(phone_codes_sent(&acc), 5);
	/* Email codes have their own count: the phone's used none of it. */
	assert_int_equal(codes_sent(&acc), 1);
}

/* One number gets the day's cap of codes whoever names it: new accounts
 * cannot flood someone's phone at our cost. */
static void
test_one_number_gets_the_day_cap_whoever_asks(void **state)
{
	account acc[IDN_CODE_DAY_CAP + 1];
	char email[64], sql[256], *value;

	(void)state;
	for (int i = 0; i <= IDN_CODE_DAY_CAP; i++) {
		snprintf(email, sizeof(email), "flood-%d@example.com", i);
		register_account(&acc[i], email);
	}
	for (int i = 0; i < IDN_CODE_DAY_CAP; i++)
		assert_int_equal(set_phone(&acc[i], "09012345678", NULL), 0);
	assert_refused(set_phone(&acc[IDN_CODE_DAY_CAP], "09012345678", NULL),
		       ERR_RESOURCE_EXHAUSTED, "rate_limited");
	snprintf(sql, sizeof(sql), "SELECT coalesce(phone, '') FROM \"user\" WHERE id = '%s'",
		 acc[IDN_CODE_DAY_CAP].id);
	value = test_pg_value(admin, sql);
	assert_string_equal(value, "");
	free(value);
	assert_int_equal(phone_codes_sent(&acc[IDN_CODE_DAY_CAP]), 0);
}

static void
test_remove_phone_clears_it_whatever_it_is_sent(void **state)
{
	Kolo__Identity__V1__RemovePhoneRequest req = KOLO__IDENTITY__V1__REMOVE_PHONE_REQUEST__INIT;
	Kolo__Identity__V1__RemovePhoneResponse *resp = NULL;
	account acc;
	char code[8];

	(void)state;
	register_account(&acc, "phone-remove@example.com");
	assert_int_equal(set_phone(&acc, "08031234567", NULL), 0);
	newest_phone_code(&acc, code);
	assert_int_equal(verify_phone(&acc, code), 0);
	assert_int_equal(call("RemovePhone", &req, &resp, as(&acc)), 0);
	assert_string_equal(resp->user->phone, "");
	assert_false(resp->user->phone_verified);
	assert_int_equal(sql_long("SELECT count(*) FROM \"user\" WHERE id = '%s'"
				  " AND phone IS NULL AND phone_verified_at IS NULL",
				  acc.id),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM user_activity_log WHERE"
				  " user_id = '%s' AND event = 'phone_removed'",
				  acc.id),
			 1);
	/* No phone: no code waits. */
	assert_refused(verify_phone(&acc, code), ERR_FAILED_PRECONDITION, "no_code");
}

static void
test_phone_must_be_a_nigerian_mobile_number(void **state)
{
	static const struct {
		const char *given, *stored;
	} good[] = {
		{"+2348031234567", "+2348031234567"}, {"08031234567", "+2348031234567"},
		{"0803 123 4567", "+2348031234567"},  {"+234 703-123-4567", "+2347031234567"},
		{"2349051234567", "+2349051234567"},  {"09151234567", "+2349151234567"},
		{"08101234567", "+2348101234567"},
	};
	static const char *const bad[] = {
		"+2348001234567",		    /* 0800: toll-free */
		"+2347131234567",		    /* 071: not a mobile range */
		"+2346031234567",  "+234803123456", /* short */
		"+23480312345678",		    /* long */
		"+23408031234567",		    /* the trunk 0 after +234 */
		"+447700900123",   "8031234567",    "+2348031234567x",
		"+234+8031234567", "0803.123.4567", " ",
	};
	Kolo__Identity__V1__GetUserRequest get = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *got = NULL;
	static const test_caller groups = {.caller = "groups"};
	account acc;
	char *stored = NULL, *value, sql[256];

	(void)state;
	register_account(&acc, "phone@example.com");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		forget_phone_codes(&acc); /* past the code send limits */
		assert_int_equal(set_phone(&acc, good[i].given, &stored), 0);
		assert_string_equal(stored, good[i].stored);
		snprintf(sql, sizeof(sql), "SELECT phone FROM \"user\" WHERE id = '%s'", acc.id);
		value = test_pg_value(admin, sql);
		assert_string_equal(value, good[i].stored);
		free(value);
	}
	forget_phone_codes(&acc);
	assert_int_equal(set_phone(&acc, "08031234567", NULL), 0);
	forget_phone_codes(&acc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(set_phone(&acc, bad[i], NULL), ERR_INVALID_ARGUMENT,
			       "invalid_phone");
		/* Nothing changed. */
		assert_int_equal(sql_long("SELECT count(*) FROM \"user\" WHERE id = '%s'"
					  " AND phone = '+2348031234567'",
					  acc.id),
				 1);
	}
	/* Only the user's own replies carry it. */
	get.user_id = acc.id;
	assert_int_equal(call("GetUser", &get, &got, &groups), 0);
	assert_string_equal(got->user->phone, "");
	assert_int_equal(sql_long("SELECT count(*) FROM user_activity_log "
				  "WHERE user_id = '%s'"
				  " AND event = 'phone_set'",
				  acc.id),
			 (long)(sizeof(good) / sizeof(good[0])) + 1);
	/* "" is no number (RemovePhone clears it). */
	assert_refused(set_phone(&acc, "", NULL), ERR_INVALID_ARGUMENT, "invalid_phone");
	/* The database holds the same rule. */
	value = test_pg_sqlstate(admin, "UPDATE \"user\" SET phone = '+2347131234567'");
	assert_string_equal(value, "23514");
	free(value);
}

/* --- GetUserContacts
 * ------------------------------------------------------------------ */

static void
test_user_contacts_for_events(void **state)
{
	static const test_caller events = {.caller = "events"};
	static const char *const others[] = {"gateway",	    "groups",	"ledger",
					     "withdrawals", "payments", "identity"};
	Kolo__Identity__V1__GetUserContactsRequest req =
		KOLO__IDENTITY__V1__GET_USER_CONTACTS_REQUEST__INIT;
	Kolo__Identity__V1__GetUserContactsResponse *resp = NULL;
	account a, b;
	char code[8];
	char *ids[3], *many[501];
	char unknown[] = "00000000-0000-4000-8000-000000000001";
	char bad_id[] = "not-a-uuid";
	int seen = 0;

	(void)state;
	register_account(&a, "contact-a@example.com");
	register_account(&b, "contact-b@example.com");
	newest_code(&a, code);
	assert_int_equal(verify(&a, code), 0);
	assert_int_equal(set_phone(&a, "08035550101", NULL), 0);
	newest_phone_code(&a, code);
	assert_int_equal(verify_phone(&a, code), 0);
	/* b's number is not verified: kolo-events never sees it. */
	assert_int_equal(set_phone(&b, "08031234599", NULL), 0);
	ids[0] = a.id;
	ids[1] = unknown;
	ids[2] = b.id;
	req.user_ids = ids;
	req.n_user_ids = 3;
	assert_int_equal(call("GetUserContacts", &req, &resp, &events), 0);
	assert_int_equal(resp->n_contacts, 2);
	for (size_t i = 0; i < resp->n_contacts; i++) {
		Kolo__Identity__V1__UserContact *ct = resp->contacts[i];

		assert_string_equal(ct->name, "Ngozi Eze");
		if (strcmp(ct->user_id, a.id) == 0) {
			seen |= 1;
			assert_string_equal(ct->email, "contact-a@example.com");
			assert_true(ct->email_verified);
			assert_string_equal(ct->phone, "+2348035550101");
		} else {
			seen |= 2;
			assert_string_equal(ct->user_id, b.id);
			assert_string_equal(ct->email, "contact-b@example.com");
			assert_false(ct->email_verified);
			assert_string_equal(ct->phone, "");
		}
	}
	assert_int_equal(seen, 3);
	/* None asked: none given. */
	req.n_user_ids = 0;
	assert_int_equal(call("GetUserContacts", &req, &resp, &events), 0);
	assert_int_equal(resp->n_contacts, 0);
	/* Bad input. */
	ids[1] = bad_id;
	req.n_user_ids = 3;
	assert_refused(call("GetUserContacts", &req, &resp, &events), ERR_INVALID_ARGUMENT,
		       "invalid_id");
	assert_string_equal(err_meta_get(err_last(), "field"), "user_ids");
	for (size_t i = 0; i < 501; i++)
		many[i] = a.id;
	req.user_ids = many;
	req.n_user_ids = 501;
	assert_refused(call("GetUserContacts", &req, &resp, &events), ERR_INVALID_ARGUMENT,
		       "too_many_user_ids");
	req.n_user_ids = 500;
	assert_int_equal(call("GetUserContacts", &req, &resp, &events), 0);
	assert_int_equal(resp->n_contacts, 1);
	/* Only kolo-events may ask; a user's token is no service's. */
	req.n_user_ids = 1;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		test_caller who = {.caller = others[i]};

		assert_refused(call("GetUserContacts", &req, &resp, &who), ERR_PERMISSION_DENIED,
			       "caller_not_allowed");
	}
	assert_int_not_equal(call("GetUserContacts", &req, &resp, as(&a)), 0);
	assert_int_not_equal(call("GetUserContacts", &req, &resp, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_sends_a_code_and_stores_only_its_hash),
		cmocka_unit_test(test_right_code_verifies_once_and_for_all),
		cmocka_unit_test(test_five_wrong_codes_lock_the_code),
		cmocka_unit_test(test_expired_code_is_refused),
		cmocka_unit_test(test_malformed_code_and_no_code),
		cmocka_unit_test(test_codes_are_sent_at_most_once_a_minute_and_five_a_day),
		cmocka_unit_test(test_login_sends_a_code_to_an_unverified_user),
		cmocka_unit_test(test_phone_must_be_a_nigerian_mobile_number),
		cmocka_unit_test(test_a_phone_gets_messages_only_once_its_code_is_entered),
		cmocka_unit_test(test_setting_a_phone_is_rate_limited_like_email_codes),
		cmocka_unit_test(test_one_number_gets_the_day_cap_whoever_asks),
		cmocka_unit_test(test_remove_phone_clears_it_whatever_it_is_sent),
		cmocka_unit_test(test_user_contacts_for_events),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
