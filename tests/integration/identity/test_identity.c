/* kolo-identity over real gRPC against a throwaway PostgreSQL.
 *
 * The service runs in this process (its method table on a loopback port,
 * connected as the kolo_identity role). time() and the realtime
 * clock_gettime() are wrapped (-Wl,--wrap) so tests move the clock instead
 * of sleeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "identity.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "identity_service.h"
#include "test_clock.h"
#include "test_identity.h"
#include "test_keys.h"
#include "test_pg.h"
#include "test_service.h"

#define PASSWORD  "correct horse battery staple"
#define PIN	  "482915"
#define PIN2	  "730641"
#define WRONG_PIN "111999"

/* --- fixture ---------------------------------------------------------------- */

static char dbname[TEST_PG_NAME_MAX];
static test_service svc;
static test_key current_key, previous_key;
static mem_arena *arena;
static PGconn *admin;
/* The configuration setup() started with; tests that need small limits
 * change a copy (calls are synchronous, so no worker reads it meanwhile). */
static idn_config started_cfg;
/* Every secret the tests handled, to look for in the tables at the end. */
static char *secrets[512];
static size_t n_secrets;

static void
remember(const char *secret)
{
	if (n_secrets < sizeof(secrets) / sizeof(secrets[0]))
		secrets[n_secrets++] = strdup(secret);
}

static int
setup(void **state)
{
	idn_config cfg;
	auth_keyring ring = {.n_keys = 0};
	char seed_text[64];

	if (test_pg_fresh_service(dbname, sizeof(dbname), &admin, "kolo_identity") < 0)
		return -1;
	/* The current key from a seed (as production loads it). */
	if (test_key_seeded(&current_key, "k-current", seed_text, sizeof(seed_text)) < 0)
		return -1;
	test_key_make(&previous_key, "k-previous");
	test_keyring_add(&ring, &current_key);
	test_keyring_add(&ring, &previous_key);
	test_identity_config(&cfg, &ring);
	if (idn_config_set_key(&cfg, "k-current", seed_text) < 0 || idn_init(&cfg) < 0)
		return -1;
	started_cfg = cfg;
	rpc_init();
	arena = mem_arena_new(0);
	return test_service_start(&svc, &idn_rpc_service, &ring);
}

static int
teardown(void **state)
{
	test_service_stop(&svc);
	rpc_shutdown();
	mem_arena_free(arena);
	test_pg_fresh_service_end(dbname, admin);
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	return 0;
}

/* --- calls ------------------------------------------------------------------ */

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
keep_tokens(account *acc, const char *access, const char *refresh)
{
	snprintf(acc->access, sizeof(acc->access), "%s", access);
	snprintf(acc->refresh, sizeof(acc->refresh), "%s", refresh);
	remember(access);
	remember(refresh);
}

static void
register_account(account *acc, const char *email)
{
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	/* As the gateway does: its credential vouches for what it forwards. */
	test_caller who = {.caller = "gateway",
			   .user_agent = "KoloTest/1.0",
			   .forwarded_for = "203.0.113.7, 10.0.0.1"};

	req.email = (char *)email;
	req.password = PASSWORD;
	req.name = "Adaeze Okafor";
	assert_int_equal(call("Register", &req, &resp, &who), 0);
	snprintf(acc->id, sizeof(acc->id), "%s", resp->user->id);
	snprintf(acc->email, sizeof(acc->email), "%s", resp->user->email);
	assert_string_equal(resp->token_type, "Bearer");
	assert_int_equal(resp->expires_in, 900);
	keep_tokens(acc, resp->access_token, resp->refresh_token);
}

static const test_caller *
as(const account *acc)
{
	static test_caller who;

	memset(&who, 0, sizeof(who));
	who.access_token = acc->access;
	return &who;
}

static const test_caller internal = {.internal = 1};

static long
count_sql(const char *fmt, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof(sql), fmt, arg);
	return test_pg_long(admin, sql);
}

static long
events_of(const account *acc, const char *event)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_activity_log WHERE user_id = '%s'"
		 " AND event = '%s'",
		 acc->id, event);
	return test_pg_long(admin, sql);
}

/* --- accounts ----------------------------------------------------------------- */

static void
test_register_returns_user_and_working_tokens(void **state)
{
	account acc;
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *resp = NULL;
	char sql[256];
	char *ip;

	register_account(&acc, "  Ada.Okafor@Example.COM ");
	assert_string_equal(acc.email, "ada.okafor@example.com");
	assert_int_equal(call("GetMe", &me, &resp, as(&acc)), 0);
	assert_string_equal(resp->user->id, acc.id);
	assert_string_equal(resp->user->email, "ada.okafor@example.com");
	assert_string_equal(resp->user->name, "Adaeze Okafor");
	assert_false(resp->user->has_pin);
	assert_int_equal(events_of(&acc, "register"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT ip_address || '|' || device_info FROM user_activity_log"
		 " WHERE user_id = '%s'",
		 acc.id);
	ip = test_pg_value(admin, sql);
	if (strcmp(ip, "203.0.113.7|KoloTest/1.0") != 0) {
		fprintf(stderr, "logged %s\n", ip);
		free(ip);
		fail();
	}
	free(ip);
}

/* The address and device a direct caller claims (x-forwarded-for,
 * x-user-agent) are ignored: only the gateway's credential vouches for
 * them; another service's does not either. */
static void
test_forwarded_address_is_trusted_only_from_the_gateway(void **state)
{
	static const struct {
		const char *email, *caller;
	} cases[] = {
		{"forged-direct@example.com", NULL},
		{"forged-service@example.com", "payments"},
	};
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	char sql[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_caller who = {.caller = cases[i].caller,
				   .user_agent = "Forged/1.0",
				   .forwarded_for = "198.51.100.9"};
		char *ip, *device;

		req.email = (char *)cases[i].email;
		req.password = PASSWORD;
		req.name = "Forger";
		assert_int_equal(call("Register", &req, &resp, &who), 0);
		snprintf(sql, sizeof(sql),
			 "SELECT ip_address FROM user_activity_log WHERE user_id = '%s'",
			 resp->user->id);
		ip = test_pg_value(admin, sql);
		snprintf(sql, sizeof(sql),
			 "SELECT device_info FROM user_activity_log WHERE user_id = '%s'",
			 resp->user->id);
		device = test_pg_value(admin, sql);
		assert_string_equal(ip, "127.0.0.1");
		assert_string_not_equal(device, "Forged/1.0");
		free(ip);
		free(device);
	}
}

static void
test_register_refuses_bad_input_and_changes_nothing(void **state)
{
	static const struct {
		const char *email, *password, *name, *reason;
	} cases[] = {
		{"not-an-email", PASSWORD, "A", "invalid_email"},
		{"a@b", PASSWORD, "A", "invalid_email"},
		{"two@@example.com", PASSWORD, "A", "invalid_email"},
		{"ok@example.com", "short", "A", "weak_password"},
		{"ok@example.com", PASSWORD, "   ", "invalid_name"},
		{"ok@example.com", PASSWORD, "bad\nname", "invalid_name"},
	};
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	long users = test_pg_long(admin, "SELECT count(*) FROM \"user\"");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.email = (char *)cases[i].email;
		req.password = (char *)cases[i].password;
		req.name = (char *)cases[i].name;
		assert_int_equal(call("Register", &req, &resp, NULL), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, cases[i].reason);
	}
	assert_int_equal(test_pg_long(admin, "SELECT count(*) FROM \"user\""), users);
}

static void
test_duplicate_email_is_taken(void **state)
{
	account acc;
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;

	register_account(&acc, "chidi@example.com");
	req.email = " CHIDI@example.com";
	req.password = PASSWORD;
	req.name = "Chidi";
	assert_int_equal(call("Register", &req, &resp, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "email_taken");
	assert_int_equal(
		count_sql("SELECT count(*) FROM \"user\" WHERE email = '%s'", "chidi@example.com"),
		1);
}

static int
login(const char *email, const char *password, account *acc)
{
	Kolo__Identity__V1__LoginRequest req = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Kolo__Identity__V1__LoginResponse *resp = NULL;
	int rc;

	req.email = (char *)email;
	req.password = (char *)password;
	rc = call("Login", &req, &resp, NULL);
	if (rc == 0 && acc)
		keep_tokens(acc, resp->access_token, resp->refresh_token);
	return rc;
}

static void
test_login_and_failures_look_the_same(void **state)
{
	account acc, again;
	char wrong_msg[ERR_MESSAGE_MAX];

	register_account(&acc, "bola@example.com");
	assert_int_equal(login("Bola@Example.com", PASSWORD, &again), 0);
	assert_int_equal(login("bola@example.com", "wrong password!", NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_credentials");
	snprintf(wrong_msg, sizeof(wrong_msg), "%s", err_last()->message);
	assert_int_equal(login("nobody@example.com", PASSWORD, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_credentials");
	assert_string_equal(err_last()->message, wrong_msg);
	assert_int_equal(events_of(&acc, "login"), 1);
	assert_int_equal(events_of(&acc, "login_failed"), 1);
}

static void
test_expired_access_token_is_refused(void **state)
{
	account acc;
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *resp = NULL;

	register_account(&acc, "expiry@example.com");
	test_clock_offset += 15 * 60 + 1;
	assert_int_equal(call("GetMe", &me, &resp, as(&acc)), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "token_expired");
}

static int
refresh(const char *token, account *acc)
{
	Kolo__Identity__V1__RefreshRequest req = KOLO__IDENTITY__V1__REFRESH_REQUEST__INIT;
	Kolo__Identity__V1__RefreshResponse *resp = NULL;
	int rc;

	req.refresh_token = (char *)token;
	rc = call("Refresh", &req, &resp, NULL);
	if (rc == 0 && acc)
		keep_tokens(acc, resp->access_token, resp->refresh_token);
	return rc;
}

static long
live_sessions(const account *acc)
{
	return count_sql("SELECT count(*) FROM refresh_tokens WHERE user_id = '%s'"
			 " AND revoked = false",
			 acc->id);
}

static void
test_refresh_rotates(void **state)
{
	account acc;
	char old[64], sql[512];
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *resp = NULL;

	register_account(&acc, "rotate@example.com");
	snprintf(old, sizeof(old), "%s", acc.refresh);
	assert_int_equal(refresh(old, &acc), 0);
	assert_string_not_equal(acc.refresh, old);
	assert_int_equal(call("GetMe", &me, &resp, as(&acc)), 0);
	/* The old row is revoked and points at the new one. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM refresh_tokens o JOIN refresh_tokens n"
		 " ON o.replaced_by = n.id WHERE o.user_id = '%s' AND o.revoked"
		 " AND NOT n.revoked",
		 acc.id);
	assert_int_equal(test_pg_long(admin, sql), 1);
	assert_int_equal(live_sessions(&acc), 1);
	assert_int_equal(events_of(&acc, "refresh"), 1);
	assert_int_equal(refresh("not-a-token-we-made", NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_refresh_token");
}

static void
test_reused_refresh_token_revokes_the_family(void **state)
{
	account acc, phone;
	char stolen[64];

	register_account(&acc, "reuse@example.com");
	assert_int_equal(login("reuse@example.com", PASSWORD, &phone), 0);
	snprintf(stolen, sizeof(stolen), "%s", acc.refresh);
	assert_int_equal(refresh(stolen, &acc), 0);
	test_clock_offset += 60; /* well past the race grace */
	assert_int_equal(refresh(stolen, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "refresh_token_reused");
	assert_int_equal(live_sessions(&acc), 0);
	assert_int_equal(events_of(&acc, "refresh_token_reuse"), 1);
	/* Every token of the family is dead, the newest and the phone's too. */
	assert_int_equal(refresh(acc.refresh, NULL), ERR_UNAUTHENTICATED);
	assert_int_equal(refresh(phone.refresh, NULL), ERR_UNAUTHENTICATED);
}

static void
test_refresh_expires_after_thirty_days(void **state)
{
	account acc;

	register_account(&acc, "old@example.com");
	test_clock_offset += 30 * 24 * 3600 + 1;
	assert_int_equal(refresh(acc.refresh, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "refresh_token_expired");
}

#define RACERS 8

static void *
racer(void *arg)
{
	const char *token = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Identity__V1__RefreshRequest req = KOLO__IDENTITY__V1__REFRESH_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	intptr_t rc;

	req.refresh_token = (char *)token;
	rc = test_call(&svc, "Refresh", &req.base, &resp, a, NULL);
	mem_arena_free(a);
	rpc_client_thread_done();
	return (void *)rc;
}

static void
test_concurrent_refresh_has_one_winner(void **state)
{
	account acc;
	pthread_t threads[RACERS];
	int winners = 0;

	register_account(&acc, "race@example.com");
	for (int i = 0; i < RACERS; i++)
		pthread_create(&threads[i], NULL, racer, acc.refresh);
	for (int i = 0; i < RACERS; i++) {
		void *rc = NULL;

		pthread_join(threads[i], &rc);
		winners += (intptr_t)rc == 0;
	}
	assert_int_equal(winners, 1);
	/* The race was no theft: the winner's new session lives. */
	assert_int_equal(live_sessions(&acc), 1);
	assert_int_equal(events_of(&acc, "refresh_token_reuse"), 0);
}

static int
logout(const char *token, int all_devices, int32_t *revoked)
{
	Kolo__Identity__V1__LogoutRequest req = KOLO__IDENTITY__V1__LOGOUT_REQUEST__INIT;
	Kolo__Identity__V1__LogoutResponse *resp = NULL;
	int rc;

	req.refresh_token = (char *)token;
	req.all_devices = all_devices;
	rc = call("Logout", &req, &resp, NULL);
	if (rc == 0)
		*revoked = resp->sessions_revoked;
	return rc;
}

static void
test_logout_one_session_or_all(void **state)
{
	account acc, second, third;
	int32_t revoked = -1;
	Kolo__Identity__V1__ListSessionsRequest list =
		KOLO__IDENTITY__V1__LIST_SESSIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionsResponse *sessions = NULL;

	register_account(&acc, "logout@example.com");
	assert_int_equal(login("logout@example.com", PASSWORD, &second), 0);
	assert_int_equal(login("logout@example.com", PASSWORD, &third), 0);
	assert_int_equal(logout(acc.refresh, 0, &revoked), 0);
	assert_int_equal(revoked, 1);
	assert_int_equal(live_sessions(&acc), 2);
	/* Logging out again with a dead token revokes nothing more. */
	assert_int_equal(logout(acc.refresh, 0, &revoked), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(logout(second.refresh, 1, &revoked), 0);
	assert_int_equal(revoked, 2);
	assert_int_equal(live_sessions(&acc), 0);
	assert_int_equal(events_of(&acc, "logout"), 3);
	/* The access token outlives the sessions; the list is empty. */
	assert_int_equal(call("ListSessions", &list, &sessions, as(&acc)), 0);
	assert_int_equal(sessions->n_sessions, 0);
	assert_string_equal(sessions->next_page_token, "");
	/* A logged-out token presented to Refresh is a revoked token seen
	 * again: DESIGN §4 treats it as theft. */
	assert_int_equal(refresh(third.refresh, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "refresh_token_reused");
}

static void
test_sessions_list_and_revoke_only_your_own(void **state)
{
	account acc, other, second;
	Kolo__Identity__V1__ListSessionsRequest list =
		KOLO__IDENTITY__V1__LIST_SESSIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionsResponse *sessions = NULL;
	Kolo__Identity__V1__RevokeSessionRequest revoke =
		KOLO__IDENTITY__V1__REVOKE_SESSION_REQUEST__INIT;
	Kolo__Identity__V1__RevokeSessionResponse *done = NULL;
	char other_session[64];
	int current = 0;

	register_account(&acc, "sessions@example.com");
	register_account(&other, "sessions-other@example.com");
	assert_int_equal(login("sessions@example.com", PASSWORD, &second), 0);
	assert_int_equal(call("ListSessions", &list, &sessions, as(&second)), 0);
	assert_int_equal(sessions->n_sessions, 2);
	for (size_t i = 0; i < sessions->n_sessions; i++)
		current += sessions->sessions[i]->current;
	assert_int_equal(current, 1);
	/* A direct caller is described by its own connection. */
	assert_string_equal(sessions->sessions[0]->ip_address, "127.0.0.1");
	/* Another user's session: not found, and still alive. */
	assert_int_equal(call("ListSessions", &list, &sessions, as(&other)), 0);
	snprintf(other_session, sizeof(other_session), "%s", sessions->sessions[0]->id);
	revoke.session_id = other_session;
	assert_int_equal(call("RevokeSession", &revoke, &done, as(&acc)), ERR_NOT_FOUND);
	assert_int_equal(live_sessions(&other), 1);
	revoke.session_id = "not-a-uuid";
	assert_int_equal(call("RevokeSession", &revoke, &done, as(&acc)), ERR_INVALID_ARGUMENT);
	/* One's own. */
	assert_int_equal(call("ListSessions", &list, &sessions, as(&acc)), 0);
	revoke.session_id = sessions->sessions[1]->id;
	assert_int_equal(call("RevokeSession", &revoke, &done, as(&acc)), 0);
	assert_int_equal(live_sessions(&acc), 1);
	assert_int_equal(events_of(&acc, "session_revoked"), 1);
}

/* --- ended sessions (ListSessionRevocations) ---------------------------------- */

static Kolo__Identity__V1__ListSessionRevocationsResponse *
revocations(const char *cursor, int32_t page_size)
{
	Kolo__Identity__V1__ListSessionRevocationsRequest req =
		KOLO__IDENTITY__V1__LIST_SESSION_REVOCATIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionRevocationsResponse *resp = NULL;

	req.cursor = (char *)cursor;
	req.page_size = page_size;
	assert_int_equal(call("ListSessionRevocations", &req, &resp, &internal), 0);
	return resp;
}

/* How many of the listed revocations name a session row of acc. */
static long
listed_rows_of(const account *acc, const Kolo__Identity__V1__ListSessionRevocationsResponse *r)
{
	char sql[256];
	long n = 0;

	for (size_t i = 0; i < r->n_revocations; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM refresh_tokens WHERE id = '%s'"
			 " AND user_id = '%s'",
			 r->revocations[i]->session_id, acc->id);
		n += test_pg_long(admin, sql);
	}
	return n;
}

static void
test_ended_sessions_are_listed_once_in_order(void **state)
{
	account acc, rotated, phone, old, stolen;
	Kolo__Identity__V1__ListSessionRevocationsResponse *r;
	Kolo__Identity__V1__ListSessionRevocationsRequest req =
		KOLO__IDENTITY__V1__LIST_SESSION_REVOCATIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionRevocationsResponse *resp = NULL;
	char start[64], mid[64], theft[64];
	int32_t revoked = 0;

	/* Internal only, and bad cursors and sizes are refused. */
	assert_int_equal(call("ListSessionRevocations", &req, &resp, NULL), ERR_UNAUTHENTICATED);
	req.cursor = "12x";
	assert_int_equal(call("ListSessionRevocations", &req, &resp, &internal),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_cursor");
	req.cursor = "";
	req.page_size = 1001;
	assert_int_equal(call("ListSessionRevocations", &req, &resp, &internal),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_page_size");
	r = revocations("", 0);
	assert_false(r->more);
	snprintf(start, sizeof(start), "%s", r->next_cursor);

	/* A session rotated once, then logged out: both of its rows. */
	register_account(&acc, "ended@example.com");
	assert_int_equal(login("ended@example.com", PASSWORD, &phone), 0);
	rotated = acc;
	assert_int_equal(refresh(acc.refresh, &rotated), 0);
	assert_int_equal(logout(rotated.refresh, 0, &revoked), 0);
	r = revocations(start, 0);
	assert_int_equal(r->n_revocations, 2);
	assert_int_equal(listed_rows_of(&acc, r), 2);
	assert_false(r->more);
	assert_non_null(strchr(r->revocations[0]->valid_until, 'T'));
	/* Page by page: the same two, then nothing new. */
	r = revocations(start, 1);
	assert_int_equal(r->n_revocations, 1);
	assert_true(r->more);
	r = revocations(r->next_cursor, 1);
	assert_int_equal(r->n_revocations, 1);
	assert_false(r->more);
	snprintf(mid, sizeof(mid), "%s", r->next_cursor);
	assert_int_equal(revocations(mid, 0)->n_revocations, 0);
	/* Logout everywhere adds the phone's row only. */
	assert_int_equal(logout(phone.refresh, 1, &revoked), 0);
	r = revocations(mid, 0);
	assert_int_equal(r->n_revocations, 1);
	assert_int_equal(listed_rows_of(&acc, r), 1);
	snprintf(mid, sizeof(mid), "%s", r->next_cursor);

	/* A reused refresh token ends every session of its user. */
	register_account(&stolen, "ended-theft@example.com");
	snprintf(theft, sizeof(theft), "%s", stolen.refresh);
	assert_int_equal(refresh(theft, &stolen), 0);
	test_clock_offset += 60;
	assert_int_equal(refresh(theft, NULL), ERR_UNAUTHENTICATED);
	r = revocations(mid, 0);
	assert_int_equal(listed_rows_of(&stolen, r), 2);

	/* A row made longer ago than a token lives is not listed: its
	 * tokens have all expired. */
	register_account(&old, "ended-old@example.com");
	test_clock_offset += 15 * 60 + IDN_SESSION_MARGIN_S + 1;
	assert_int_equal(refresh(old.refresh, &old), 0);
	assert_int_equal(logout(old.refresh, 0, &revoked), 0);
	r = revocations(mid, 0);
	assert_int_equal(listed_rows_of(&old, r), 1);
	/* Once their tokens have expired, the earlier ones are not listed
	 * either. */
	assert_int_equal(listed_rows_of(&acc, r), 0);
	assert_int_equal(listed_rows_of(&stolen, r), 0);
	assert_int_equal(listed_rows_of(&acc, revocations("", 0)), 0);
}

static void
test_activity_pages_newest_first(void **state)
{
	account acc;
	Kolo__Identity__V1__ListActivityRequest req =
		KOLO__IDENTITY__V1__LIST_ACTIVITY_REQUEST__INIT;
	Kolo__Identity__V1__ListActivityResponse *resp = NULL;
	char seen[16][64], token[256] = "";
	size_t n = 0;

	register_account(&acc, "activity@example.com");
	for (int i = 0; i < 4; i++)
		assert_int_equal(login("activity@example.com", PASSWORD, NULL), 0);
	assert_int_equal(login("activity@example.com", "wrong password", NULL),
			 ERR_UNAUTHENTICATED);
	req.page_size = 2;
	do {
		req.page_token = token;
		assert_int_equal(call("ListActivity", &req, &resp, as(&acc)), 0);
		assert_true(resp->n_events <= 2);
		for (size_t i = 0; i < resp->n_events && n < 16; i++)
			snprintf(seen[n++], sizeof(seen[0]), "%s", resp->events[i]->event);
		snprintf(token, sizeof(token), "%s", resp->next_page_token);
	} while (token[0]);
	assert_int_equal(n, 6);
	assert_string_equal(seen[0], "login_failed");
	assert_string_equal(seen[5], "register");
	req.page_token = "garbage!";
	assert_int_equal(call("ListActivity", &req, &resp, as(&acc)), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_page_token");
}

static void
test_internal_lookups_need_the_service_token(void **state)
{
	account acc;
	Kolo__Identity__V1__GetUserRequest get = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *got = NULL;
	Kolo__Identity__V1__FindUserByEmailRequest find =
		KOLO__IDENTITY__V1__FIND_USER_BY_EMAIL_REQUEST__INIT;
	Kolo__Identity__V1__FindUserByEmailResponse *found = NULL;

	register_account(&acc, "lookup@example.com");
	get.user_id = acc.id;
	assert_int_equal(call("GetUser", &get, &got, as(&acc)), ERR_UNAUTHENTICATED);
	assert_int_equal(call("GetUser", &get, &got, &internal), 0);
	assert_string_equal(got->user->email, "lookup@example.com");
	get.user_id = "00000000-0000-4000-8000-000000000000";
	assert_int_equal(call("GetUser", &get, &got, &internal), ERR_NOT_FOUND);
	find.email = " LOOKUP@example.com";
	assert_int_equal(call("FindUserByEmail", &find, &found, &internal), 0);
	assert_string_equal(found->user->id, acc.id);
	find.email = "missing@example.com";
	assert_int_equal(call("FindUserByEmail", &find, &found, &internal), ERR_NOT_FOUND);
}

/* Each internal method answers only the processes the caller table names:
 * the internet-facing gateway finds no user by email and checks no PIN. */
static void
test_internal_lookups_answer_only_their_callers(void **state)
{
	static const test_caller gateway = {.caller = "gateway"};
	static const test_caller ledger = {.caller = "ledger"};
	account acc;
	Kolo__Identity__V1__GetUserRequest get = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *got = NULL;
	Kolo__Identity__V1__FindUserByEmailRequest find =
		KOLO__IDENTITY__V1__FIND_USER_BY_EMAIL_REQUEST__INIT;
	Kolo__Identity__V1__FindUserByEmailResponse *found = NULL;
	Kolo__Identity__V1__VerifyPinRequest pin = KOLO__IDENTITY__V1__VERIFY_PIN_REQUEST__INIT;
	Kolo__Identity__V1__VerifyPinResponse *verified = NULL;

	(void)state;
	register_account(&acc, "callers@example.com");
	get.user_id = acc.id;
	assert_int_equal(call("GetUser", &get, &got, &gateway), 0);
	assert_int_equal(call("GetUser", &get, &got, &ledger), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	find.email = "callers@example.com";
	assert_int_equal(call("FindUserByEmail", &find, &found, &gateway), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	pin.user_id = acc.id;
	pin.pin = "1234";
	assert_int_equal(call("VerifyPin", &pin, &verified, &gateway), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
}

/* --- PINs ---------------------------------------------------------------------- */

static int
set_pin(const account *acc, const char *pin, char *recovery)
{
	Kolo__Identity__V1__SetPinRequest req = KOLO__IDENTITY__V1__SET_PIN_REQUEST__INIT;
	Kolo__Identity__V1__SetPinResponse *resp = NULL;
	int rc;

	req.pin = (char *)pin;
	rc = call("SetPin", &req, &resp, as(acc));
	if (rc == 0) {
		snprintf(recovery, 64, "%s", resp->recovery_token);
		remember(recovery);
	}
	return rc;
}

static int
verify_pin(const account *acc, const char *pin)
{
	Kolo__Identity__V1__VerifyPinRequest req = KOLO__IDENTITY__V1__VERIFY_PIN_REQUEST__INIT;
	Kolo__Identity__V1__VerifyPinResponse *resp = NULL;

	req.user_id = (char *)acc->id;
	req.pin = (char *)pin;
	return call("VerifyPin", &req, &resp, &internal);
}

static void
test_pin_rules(void **state)
{
	account acc, other;
	char recovery[64];
	Kolo__Identity__V1__VerifyPinRequest req = KOLO__IDENTITY__V1__VERIFY_PIN_REQUEST__INIT;
	Kolo__Identity__V1__VerifyPinResponse *resp = NULL;
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *who = NULL;
	static const char *const bad[] = {"123", "1234567", "12a4", "", " 1234"};

	register_account(&acc, "pin@example.com");
	register_account(&other, "pin-other@example.com");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(set_pin(&acc, bad[i], recovery), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "invalid_pin");
	}
	assert_int_equal(verify_pin(&acc, PIN), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "pin_not_set");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	assert_int_equal(set_pin(&acc, PIN2, recovery), ERR_ALREADY_EXISTS);
	assert_int_equal(call("GetMe", &me, &who, as(&acc)), 0);
	assert_true(who->user->has_pin);
	assert_int_equal(verify_pin(&acc, PIN), 0);
	/* A user checks their own PIN only. */
	req.pin = PIN;
	assert_int_equal(call("VerifyPin", &req, &resp, as(&acc)), 0);
	req.user_id = acc.id;
	assert_int_equal(call("VerifyPin", &req, &resp, as(&other)), ERR_PERMISSION_DENIED);
	assert_int_equal(events_of(&acc, "pin_set"), 1);
}

static void
test_five_wrong_pins_lock_for_thirty_minutes(void **state)
{
	account acc;
	char recovery[64];

	register_account(&acc, "lock@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	/* A right PIN resets the count. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "pin_incorrect");
	/* grpc-status-details-bin's ErrorInfo carries the count (issue 21). */
	assert_non_null(err_meta_get(err_last(), "attempts_left"));
	assert_string_equal(err_meta_get(err_last(), "attempts_left"), "1");
	assert_int_equal(verify_pin(&acc, PIN), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
	assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "pin_locked");
	assert_int_equal(events_of(&acc, "pin_locked"), 1);
	/* Locked: even the right PIN fails, and is not even counted. */
	assert_int_equal(verify_pin(&acc, PIN), ERR_FAILED_PRECONDITION);
	assert_int_equal(events_of(&acc, "pin_failed"), 9);
	test_clock_offset += 29 * 60;
	assert_int_equal(verify_pin(&acc, PIN), ERR_FAILED_PRECONDITION);
	test_clock_offset += 61;
	assert_int_equal(verify_pin(&acc, PIN), 0);
}

static void
test_change_pin_needs_the_old_one(void **state)
{
	account acc;
	char recovery[64];
	Kolo__Identity__V1__ChangePinRequest req = KOLO__IDENTITY__V1__CHANGE_PIN_REQUEST__INIT;
	Kolo__Identity__V1__ChangePinResponse *resp = NULL;

	register_account(&acc, "change@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	req.old_pin = WRONG_PIN;
	req.new_pin = PIN2;
	assert_int_equal(call("ChangePin", &req, &resp, as(&acc)), ERR_PERMISSION_DENIED);
	assert_int_equal(verify_pin(&acc, PIN), 0);
	req.old_pin = PIN;
	assert_int_equal(call("ChangePin", &req, &resp, as(&acc)), 0);
	assert_int_equal(verify_pin(&acc, PIN2), 0);
	assert_int_equal(verify_pin(&acc, PIN), ERR_PERMISSION_DENIED);
	assert_int_equal(events_of(&acc, "pin_changed"), 1);
}

static int
reset_pin(const account *acc, const char *recovery, const char *pin, char *new_recovery)
{
	Kolo__Identity__V1__ResetPinRequest req = KOLO__IDENTITY__V1__RESET_PIN_REQUEST__INIT;
	Kolo__Identity__V1__ResetPinResponse *resp = NULL;
	int rc;

	req.recovery_token = (char *)recovery;
	req.new_pin = (char *)pin;
	rc = call("ResetPin", &req, &resp, as(acc));
	if (rc == 0) {
		snprintf(new_recovery, 64, "%s", resp->recovery_token);
		remember(new_recovery);
	}
	return rc;
}

/* Issue 18.7: a logged-out session's access token may still read, but sets,
 * changes and resets no PIN and revokes no session: identity checks the
 * token's session in its own table, at once. Logging out the newest token
 * of a rotated session ends the tokens of the earlier ones too. */
static void
test_logged_out_tokens_change_no_credentials(void **state)
{
	account acc, rotated, phone;
	char recovery[64], again[64];
	int32_t revoked = 0;
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *who = NULL;
	Kolo__Identity__V1__ChangePinRequest change = KOLO__IDENTITY__V1__CHANGE_PIN_REQUEST__INIT;
	Kolo__Identity__V1__ChangePinResponse *changed = NULL;
	Kolo__Identity__V1__ListSessionsRequest list =
		KOLO__IDENTITY__V1__LIST_SESSIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionsResponse *sessions = NULL;
	Kolo__Identity__V1__RevokeSessionRequest revoke =
		KOLO__IDENTITY__V1__REVOKE_SESSION_REQUEST__INIT;
	Kolo__Identity__V1__RevokeSessionResponse *done = NULL;

	register_account(&acc, "gone@example.com");
	assert_int_equal(login("gone@example.com", PASSWORD, &phone), 0);
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	/* acc's session is rotated once, then logged out by its newest
	 * token: the first access token (the rotated row's) dies as well. */
	rotated = acc;
	assert_int_equal(refresh(acc.refresh, &rotated), 0);
	assert_int_equal(logout(rotated.refresh, 0, &revoked), 0);
	assert_int_equal(revoked, 1);
	change.old_pin = PIN;
	change.new_pin = PIN2;
	assert_int_equal(call("ChangePin", &change, &changed, as(&acc)), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(call("ChangePin", &change, &changed, as(&rotated)), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(reset_pin(&rotated, recovery, PIN2, again), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(call("ListSessions", &list, &sessions, as(&rotated)), 0);
	assert_int_equal(sessions->n_sessions, 1);
	revoke.session_id = sessions->sessions[0]->id;
	assert_int_equal(call("RevokeSession", &revoke, &done, as(&rotated)), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	/* Reads go on; the other device acts; nothing changed. */
	assert_int_equal(call("GetMe", &me, &who, as(&acc)), 0);
	assert_int_equal(verify_pin(&acc, PIN), 0);
	assert_int_equal(events_of(&acc, "pin_changed"), 0);
	assert_int_equal(call("ChangePin", &change, &changed, as(&phone)), 0);
	/* Logged out everywhere: the phone's token sets nothing either. */
	assert_int_equal(logout(phone.refresh, 1, &revoked), 0);
	assert_int_equal(reset_pin(&phone, recovery, PIN, again), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(verify_pin(&acc, PIN2), 0);
}

static void
test_recovery_resets_a_locked_pin(void **state)
{
	account acc;
	char recovery[64], second[64], third[64];

	register_account(&acc, "recover@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	for (int i = 0; i < 5; i++)
		(void)verify_pin(&acc, WRONG_PIN);
	assert_int_equal(verify_pin(&acc, PIN), ERR_FAILED_PRECONDITION);
	assert_int_equal(reset_pin(&acc, "wrong-recovery-token", PIN2, second),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "invalid_recovery_token");
	assert_int_equal(reset_pin(&acc, recovery, PIN2, second), 0);
	assert_string_not_equal(second, recovery);
	assert_int_equal(verify_pin(&acc, PIN2), 0);
	/* The old recovery token is spent. */
	assert_int_equal(reset_pin(&acc, recovery, PIN, third), ERR_PERMISSION_DENIED);
	assert_int_equal(events_of(&acc, "pin_reset"), 1);
}

/* --- throttles and lockouts (issue 18) ------------------------------------------- */

/* Runs the service with these limits and forgets every throttle row. */
static void
use_limits(const idn_limits *limits)
{
	idn_config cfg = started_cfg;

	cfg.limits = *limits;
	assert_int_equal(idn_init(&cfg), 0);
	test_pg_ok(admin, "DELETE FROM identity_throttle");
}

static void
default_limits(void)
{
	use_limits(&started_cfg.limits);
}

/* Production limits except the ones a test names. */
static idn_limits
limits_with(idn_limit_kind kind, int max, int64_t window_s)
{
	idn_limits l = started_cfg.limits;

	l.rules[kind].max = max;
	l.rules[kind].window_s = window_s;
	l.lockout_s = 60;
	l.lockout_max_s = 240;
	return l;
}

static void
assert_rate_limited(int rc, int retry_after_s)
{
	char words[64];

	assert_int_equal(rc, ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	assert_int_equal(err_last()->retry_after_s, retry_after_s);
	snprintf(words, sizeof(words), "try again in %d seconds", retry_after_s);
	if (!strstr(err_last()->message, words))
		fail_msg("message '%s' lacks '%s'", err_last()->message, words);
}

/* Rows of identity_throttle of kind whose key is text (hashed). */
static long
throttle_rows(const char *kind, const char *text, const char *where)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM identity_throttle WHERE kind = '%s' AND"
		 " key_hash = encode(sha256(convert_to('%s', 'UTF8')), 'hex')"
		 " AND %s",
		 kind, text, where);
	return test_pg_long(admin, sql);
}

/* Issue 18 finding 1: wrong passwords for one account lock it before any
 * hash, for 60 s, then 120 s, 240 s (the cap); a quiet spell forgives. */
static void
test_wrong_logins_lock_the_account_with_growing_lockouts(void **state)
{
	static const int locks[] = {60, 120, 240, 240};
	idn_limits l = limits_with(IDN_LIMIT_LOGIN_ACCOUNT, 3, 600);
	account acc;

	use_limits(&l);
	register_account(&acc, "guessed@example.com");
	for (size_t round = 0; round < sizeof(locks) / sizeof(locks[0]); round++) {
		for (int i = 0; i < 3; i++)
			assert_int_equal(login("guessed@example.com", "wrong guess!", NULL),
					 ERR_UNAUTHENTICATED);
		assert_rate_limited(login("guessed@example.com", "wrong guess!", NULL),
				    locks[round]);
		/* Locked: the right password is refused too, however the
		 * email is spelt, and no password is checked. */
		assert_rate_limited(login(" Guessed@EXAMPLE.com\t", PASSWORD, NULL), locks[round]);
		assert_int_equal(events_of(&acc, "login_failed"), 3 * (long)(round + 1));
		assert_int_equal(events_of(&acc, "login_locked"), (long)round + 1);
		test_clock_offset += locks[round] + 1;
	}
	assert_int_equal(throttle_rows("login_account", "guessed@example.com", "lockouts = 4"), 1);
	/* The right password after the lock works and forgets the run. */
	assert_int_equal(login("guessed@example.com", PASSWORD, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(login("guessed@example.com", "wrong guess!", NULL),
				 ERR_UNAUTHENTICATED);
	assert_int_equal(login("guessed@example.com", PASSWORD, NULL), 0);
	/* Quiet for the longest lock: the next lock is the first again. */
	test_clock_offset += 240;
	for (int i = 0; i < 3; i++)
		assert_int_equal(login("guessed@example.com", "wrong guess!", NULL),
				 ERR_UNAUTHENTICATED);
	assert_rate_limited(login("guessed@example.com", "wrong guess!", NULL), 60);
	/* An email without an account is limited the same way. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(login("nobody-here@example.com", "wrong guess!", NULL),
				 ERR_UNAUTHENTICATED);
	assert_rate_limited(login("nobody-here@example.com", PASSWORD, NULL), 60);
	test_clock_offset += 61;
	default_limits();
}

static void *
wrong_login_racer(void *arg)
{
	mem_arena *a = mem_arena_new(0);
	Kolo__Identity__V1__LoginRequest req = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	intptr_t rc;

	req.email = arg;
	req.password = "wrong guess!";
	rc = test_call(&svc, "Login", &req.base, &resp, a, NULL);
	mem_arena_free(a);
	rpc_client_thread_done();
	return (void *)rc;
}

/* Issue 18 finding 1 ("25 wrong gRPC logins in 2.2 s, all answered"): a
 * burst at once gets exactly the limit's answers; the rest are refused
 * before any password is checked. */
static void
test_a_burst_of_wrong_logins_gets_only_the_limit(void **state)
{
	idn_limits l = limits_with(IDN_LIMIT_LOGIN_ACCOUNT, 3, 600);
	pthread_t threads[RACERS];
	account acc;
	int wrong = 0, limited = 0;

	use_limits(&l);
	register_account(&acc, "burst@example.com");
	for (int i = 0; i < RACERS; i++)
		pthread_create(&threads[i], NULL, wrong_login_racer, "burst@example.com");
	for (int i = 0; i < RACERS; i++) {
		void *rc = NULL;

		pthread_join(threads[i], &rc);
		wrong += (intptr_t)rc == ERR_UNAUTHENTICATED;
		limited += (intptr_t)rc == ERR_RESOURCE_EXHAUSTED;
	}
	assert_int_equal(wrong, 3);
	assert_int_equal(limited, RACERS - 3);
	assert_int_equal(events_of(&acc, "login_failed"), 3);
	test_clock_offset += 61;
	default_limits();
}

/* Issue 18 finding 1: wrong passwords from one address (here the gRPC
 * peer: the call names no forwarded address) lock that address for every
 * account. */
static void
test_wrong_logins_from_one_address_are_limited(void **state)
{
	idn_limits l = limits_with(IDN_LIMIT_LOGIN_ADDR, 3, 600);
	account acc;
	char email[64];

	register_account(&acc, "sprayed@example.com");
	use_limits(&l);
	for (int i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "spray-%d@example.com", i);
		assert_int_equal(login(email, "summer2026!", NULL), ERR_UNAUTHENTICATED);
	}
	assert_rate_limited(login("sprayed@example.com", PASSWORD, NULL), 60);
	assert_int_equal(throttle_rows("login_addr", "127.0.0.1", "locked_until IS NOT NULL"), 1);
	assert_int_equal(events_of(&acc, "login"), 0);
	test_clock_offset += 61;
	/* Right logins give their attempt back: they never lock. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(login("sprayed@example.com", PASSWORD, NULL), 0);
	default_limits();
}

static int
register_as(const char *email, const char *password)
{
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;

	req.email = (char *)email;
	req.password = (char *)password;
	req.name = "Signup";
	return call("Register", &req, &resp, NULL);
}

/* Issue 18 finding 1: sign-ups from one address are limited (each costs a
 * hash); refused ones make no account, bad input is not counted. */
static void
test_sign_ups_from_one_address_are_limited(void **state)
{
	idn_limits l = limits_with(IDN_LIMIT_REGISTER_ADDR, 3, 3600);
	long users;
	char email[64];

	use_limits(&l);
	for (int i = 0; i < 5; i++)
		assert_int_equal(register_as("not-an-email", PASSWORD), ERR_INVALID_ARGUMENT);
	for (int i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "signup-%d@example.com", i);
		assert_int_equal(register_as(email, PASSWORD), 0);
	}
	users = test_pg_long(admin, "SELECT count(*) FROM \"user\"");
	assert_rate_limited(register_as("signup-3@example.com", PASSWORD), 60);
	assert_rate_limited(register_as("signup-4@example.com", PASSWORD), 60);
	assert_int_equal(test_pg_long(admin, "SELECT count(*) FROM \"user\""), users);
	assert_int_equal(throttle_rows("register_addr", "127.0.0.1", "lockouts = 1"), 1);
	test_clock_offset += 61;
	assert_int_equal(register_as("signup-3@example.com", PASSWORD), 0);
	default_limits();
}

/* Issue 18 finding 1: refused refresh tokens from one address lock it;
 * good refreshes are not counted against it. */
static void
test_refused_refreshes_from_one_address_are_limited(void **state)
{
	idn_limits l = limits_with(IDN_LIMIT_REFRESH_ADDR, 3, 600);
	account acc;

	register_account(&acc, "refresher@example.com");
	use_limits(&l);
	for (int i = 0; i < 5; i++)
		assert_int_equal(refresh(acc.refresh, &acc), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(refresh("forged-token", NULL), ERR_UNAUTHENTICATED);
	assert_rate_limited(refresh(acc.refresh, NULL), 60);
	test_clock_offset += 61;
	/* The refused call did not spend the token. */
	assert_int_equal(refresh(acc.refresh, &acc), 0);
	default_limits();
}

/* Issue 18 finding 1: wrong recovery tokens for one user lock ResetPin,
 * the right one too, and the lockout is in the user's activity log. */
static void
test_wrong_recovery_tokens_lock_reset_pin(void **state)
{
	idn_limits l = limits_with(IDN_LIMIT_RESET_PIN_ACCOUNT, 2, 3600);
	account acc;
	char recovery[64], next[64];

	register_account(&acc, "resetter@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	use_limits(&l);
	for (int i = 0; i < 2; i++)
		assert_int_equal(reset_pin(&acc, "guessed-token", PIN2, next),
				 ERR_PERMISSION_DENIED);
	assert_rate_limited(reset_pin(&acc, recovery, PIN2, next), 60);
	assert_int_equal(events_of(&acc, "pin_reset_failed"), 2);
	assert_int_equal(events_of(&acc, "pin_reset_locked"), 1);
	test_clock_offset += 61;
	assert_int_equal(reset_pin(&acc, recovery, PIN2, next), 0);
	assert_int_equal(verify_pin(&acc, PIN2), 0);
	default_limits();
}

static void
assert_pin_locked(int rc, int64_t min_s, int64_t max_s)
{
	assert_int_equal(rc, ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "pin_locked");
	if (err_last()->retry_after_s < min_s || err_last()->retry_after_s > max_s)
		fail_msg("locked for %d s, not %lld..%lld s", err_last()->retry_after_s,
			 (long long)min_s, (long long)max_s);
}

/* Issue 18 finding 8: five wrong PINs in a row lock the PIN for 30 min,
 * the next five for 2 h, the next for 24 h; each lock is logged. A new day
 * starts again at 30 min. */
static void
test_pin_lockouts_grow_30_minutes_2_hours_24_hours(void **state)
{
	static const int64_t locks[] = {1800, 7200, 86400};
	account acc;
	char recovery[64];

	register_account(&acc, "pin-growth@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++)
			assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
		assert_pin_locked(verify_pin(&acc, WRONG_PIN), locks[round], locks[round]);
		assert_pin_locked(verify_pin(&acc, PIN), locks[round] - 5, locks[round]);
		assert_int_equal(events_of(&acc, "pin_locked"), round + 1);
		test_clock_offset += locks[round] - 60;
		assert_pin_locked(verify_pin(&acc, PIN), 1, 60);
		test_clock_offset += 61;
	}
	assert_int_equal(events_of(&acc, "pin_failed"), 15);
	assert_int_equal(count_sql("SELECT lockouts FROM transaction_pins"
				   " WHERE user_id = '%s'",
				   acc.id),
			 3);
	/* The day of the first wrong PIN is over: 30 minutes again. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
	assert_pin_locked(verify_pin(&acc, WRONG_PIN), 1800, 1800);
	test_clock_offset += 1801;
	assert_int_equal(verify_pin(&acc, PIN), 0);
}

/* Issue 18 finding 8: right PINs between wrong ones do not buy more
 * guesses: the 15th wrong PIN of a day locks it until the day is over. */
static void
test_pin_daily_cap_holds_between_right_pins(void **state)
{
	account acc;
	char recovery[64];

	register_account(&acc, "pin-cap@example.com");
	assert_int_equal(set_pin(&acc, PIN, recovery), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++)
			assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
		assert_int_equal(verify_pin(&acc, PIN), 0);
		test_clock_offset += 3600;
	}
	assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->message, "wrong PIN: 2 attempts left before it locks");
	assert_int_equal(verify_pin(&acc, WRONG_PIN), ERR_PERMISSION_DENIED);
	/* 15th of the day: locked until 24 h after the first (3 h ago). */
	assert_pin_locked(verify_pin(&acc, WRONG_PIN), 21 * 3600 - 5, 21 * 3600);
	assert_pin_locked(verify_pin(&acc, PIN), 21 * 3600 - 5, 21 * 3600);
	assert_int_equal(events_of(&acc, "pin_locked"), 1);
	test_clock_offset += 21 * 3600 + 1;
	assert_int_equal(verify_pin(&acc, PIN), 0);
}

/* --- keys and secrets -------------------------------------------------------------- */

static void
test_signing_keys_publish_current_and_previous(void **state)
{
	Kolo__Identity__V1__GetSigningKeysRequest req =
		KOLO__IDENTITY__V1__GET_SIGNING_KEYS_REQUEST__INIT;
	Kolo__Identity__V1__GetSigningKeysResponse *resp = NULL;

	assert_int_equal(call("GetSigningKeys", &req, &resp, NULL), 0);
	assert_int_equal(resp->n_keys, 2);
	assert_string_equal(resp->keys[0]->kid, "k-current");
	assert_int_equal(resp->keys[0]->status,
			 KOLO__IDENTITY__V1__SIGNING_KEY_STATUS__SIGNING_KEY_STATUS_CURRENT);
	assert_int_equal(resp->keys[1]->status,
			 KOLO__IDENTITY__V1__SIGNING_KEY_STATUS__SIGNING_KEY_STATUS_PREVIOUS);
	assert_int_equal(resp->keys[0]->public_key.len, 32);
	assert_memory_equal(resp->keys[0]->public_key.data, current_key.pk, 32);
	assert_string_equal(resp->keys[0]->alg, "EdDSA");
}

/* --- idempotency keys (request_id) -------------------------------------------- */

static int
register_keyed(const char *email, const char *password, const char *name, const char *key,
	       Kolo__Identity__V1__RegisterResponse **out)
{
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	test_caller who = {.caller = "gateway"};
	int rc;

	req.email = (char *)email;
	req.password = (char *)password;
	req.name = (char *)name;
	req.request_id = (char *)key;
	rc = call("Register", &req, &resp, &who);
	if (rc == 0) {
		remember(resp->access_token);
		remember(resp->refresh_token);
		if (out)
			*out = resp;
	}
	return rc;
}

/* A retried Register with its key: the same user, a new session (the
 * first tokens are never stored); another request under the key is
 * refused, and one that differs only in the password is a failed Login
 * (charged to the account's login limit and logged), never a free guess. */
static void
test_register_with_a_key_twice_makes_one_user(void **state)
{
	Kolo__Identity__V1__RegisterResponse *first = NULL, *again = NULL;
	account acc;

	(void)state;
	assert_int_equal(register_keyed("keyed@example.com", PASSWORD, "Keyed", "reg-1", &first),
			 0);
	assert_int_equal(register_keyed("keyed@example.com", PASSWORD, "Keyed", "reg-1", &again),
			 0);
	assert_string_equal(again->user->id, first->user->id);
	assert_string_equal(again->user->email, "keyed@example.com");
	assert_string_not_equal(again->refresh_token, first->refresh_token);
	assert_string_not_equal(again->access_token, "");
	snprintf(acc.id, sizeof(acc.id), "%s", first->user->id);
	snprintf(acc.access, sizeof(acc.access), "%s", again->access_token);
	assert_int_equal(
		count_sql("SELECT count(*) FROM \"user\" WHERE email = '%s'", "keyed@example.com"),
		1);
	assert_int_equal(
		count_sql("SELECT count(*) FROM refresh_tokens WHERE user_id = '%s'", acc.id), 2);
	assert_int_equal(events_of(&acc, "register"), 1);
	assert_int_equal(count_sql("SELECT count(*) FROM identity_idempotency"
				   " WHERE request_id = '%s' AND caller = 'internal:gateway'",
				   "reg-1"),
			 1);

	/* Another password or name under the key: refused, no new session. */
	assert_int_equal(events_of(&acc, "login_failed"), 0);
	assert_int_equal(register_keyed("keyed@example.com", "another long password", "Keyed",
					"reg-1", NULL),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_credentials");
	assert_int_equal(events_of(&acc, "login_failed"), 1);
	assert_int_equal(register_keyed("keyed@example.com", PASSWORD, "Other", "reg-1", NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "request_id_reused");
	assert_int_equal(
		count_sql("SELECT count(*) FROM refresh_tokens WHERE user_id = '%s'", acc.id), 2);

	/* Without the key the email is taken, as before; bad keys refused. */
	assert_int_equal(register_keyed("keyed@example.com", PASSWORD, "Keyed", "", NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "email_taken");
	assert_int_equal(register_keyed("keyed2@example.com", PASSWORD, "Keyed", "bad\nkey", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_request_id");
	assert_int_equal(
		count_sql("SELECT count(*) FROM \"user\" WHERE email = '%s'", "keyed2@example.com"),
		0);
}

typedef struct register_race {
	int rc;
	char id[64];
} register_race;

static void *
register_racer(void *arg)
{
	register_race *r = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	test_caller who = {.caller = "gateway"};

	req.email = "raced-keyed@example.com";
	req.password = PASSWORD;
	req.name = "Raced";
	req.request_id = "reg-race";
	r->rc = test_call(&svc, "Register", &req.base, (ProtobufCMessage **)&resp, a, &who);
	if (r->rc == 0)
		snprintf(r->id, sizeof(r->id), "%s", resp->user->id);
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

/* Concurrent first Registers with one key: one user, every caller gets it
 * (not email_taken). */
static void
test_concurrent_registers_with_one_key_make_one_user(void **state)
{
	pthread_t threads[RACERS];
	register_race races[RACERS];

	(void)state;
	for (int i = 0; i < RACERS; i++) {
		races[i] = (register_race){.rc = -1};
		pthread_create(&threads[i], NULL, register_racer, &races[i]);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(races[i].rc, 0);
		assert_string_equal(races[i].id, races[0].id);
	}
	assert_int_equal(count_sql("SELECT count(*) FROM \"user\" WHERE email = '%s'",
				   "raced-keyed@example.com"),
			 1);
	assert_int_equal(
		count_sql("SELECT count(*) FROM refresh_tokens WHERE user_id = '%s'", races[0].id),
		RACERS);
}

/* Runs last: every table of identity, as text, holds no secret in the
 * clear (passwords, PINs, refresh, recovery and access tokens). */
static void
test_no_secret_is_stored_in_the_clear(void **state)
{
	static const char *const tables[] = {"\"user\"", "refresh_tokens", "user_activity_log",
					     "transaction_pins", "identity_throttle"};
	char sql[256];

	remember(PASSWORD);
	remember(PIN);
	remember(PIN2);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		char *dump;

		snprintf(sql, sizeof(sql),
			 "SELECT coalesce(string_agg(x::text, '\n'), '') FROM %s x", tables[t]);
		dump = test_pg_value(admin, sql);
		assert_true(strlen(dump) > 0);
		for (size_t i = 0; i < n_secrets; i++) {
			if (strstr(dump, secrets[i]))
				fail_msg("%s holds a secret in the clear", tables[t]);
		}
		free(dump);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_returns_user_and_working_tokens),
		cmocka_unit_test(test_forwarded_address_is_trusted_only_from_the_gateway),
		cmocka_unit_test(test_register_refuses_bad_input_and_changes_nothing),
		cmocka_unit_test(test_duplicate_email_is_taken),
		cmocka_unit_test(test_login_and_failures_look_the_same),
		cmocka_unit_test(test_expired_access_token_is_refused),
		cmocka_unit_test(test_refresh_rotates),
		cmocka_unit_test(test_reused_refresh_token_revokes_the_family),
		cmocka_unit_test(test_refresh_expires_after_thirty_days),
		cmocka_unit_test(test_concurrent_refresh_has_one_winner),
		cmocka_unit_test(test_logout_one_session_or_all),
		cmocka_unit_test(test_sessions_list_and_revoke_only_your_own),
		cmocka_unit_test(test_logged_out_tokens_change_no_credentials),
		cmocka_unit_test(test_ended_sessions_are_listed_once_in_order),
		cmocka_unit_test(test_activity_pages_newest_first),
		cmocka_unit_test(test_internal_lookups_need_the_service_token),
		cmocka_unit_test(test_internal_lookups_answer_only_their_callers),
		cmocka_unit_test(test_pin_rules),
		cmocka_unit_test(test_five_wrong_pins_lock_for_thirty_minutes),
		cmocka_unit_test(test_change_pin_needs_the_old_one),
		cmocka_unit_test(test_recovery_resets_a_locked_pin),
		cmocka_unit_test(test_wrong_logins_lock_the_account_with_growing_lockouts),
		cmocka_unit_test(test_a_burst_of_wrong_logins_gets_only_the_limit),
		cmocka_unit_test(test_wrong_logins_from_one_address_are_limited),
		cmocka_unit_test(test_sign_ups_from_one_address_are_limited),
		cmocka_unit_test(test_refused_refreshes_from_one_address_are_limited),
		cmocka_unit_test(test_wrong_recovery_tokens_lock_reset_pin),
		cmocka_unit_test(test_pin_lockouts_grow_30_minutes_2_hours_24_hours),
		cmocka_unit_test(test_pin_daily_cap_holds_between_right_pins),
		cmocka_unit_test(test_signing_keys_publish_current_and_previous),
		cmocka_unit_test(test_register_with_a_key_twice_makes_one_user),
		cmocka_unit_test(test_concurrent_registers_with_one_key_make_one_user),
		cmocka_unit_test(test_no_secret_is_stored_in_the_clear),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
