/* The gateway over real HTTP against the running suite (run_e2e.sh starts
 * it): the auth flow, each error mapping, limits, request ids, readiness,
 * and the operational routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

#define PASSWORD E2E_PASSWORD

typedef e2e_user user;

static void
test_register_login_me_refresh_logout(void **state)
{
	user u;
	e2e_reply r;
	char body[512];
	e2e_opts o = {.body = body};
	e2e_opts me = {0};

	e2e_register(&u, "flow");
	snprintf(body, sizeof(body), "{\"email\":\" %s \",\"password\":\"" PASSWORD "\"}", u.email);
	e2e_http(&r, "POST", "/v1/auth/login", &o);
	assert_int_equal(r.status, 200);
	e2e_keep_tokens(&u, &r);
	assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 900);
	e2e_reply_free(&r);

	me.token = u.access;
	e2e_http(&r, "GET", "/v1/me", &me);
	assert_int_equal(r.status, 200);
	assert_string_equal(e2e_str(&r, "email"), u.email);
	assert_false(json_is_true(json_object_get(r.json, "has_pin")));
	assert_non_null(json_object_get(r.json, "created_at"));
	e2e_reply_free(&r);

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", u.refresh);
	e2e_http(&r, "POST", "/v1/auth/refresh", &o);
	assert_int_equal(r.status, 200);
	e2e_keep_tokens(&u, &r);
	e2e_reply_free(&r);

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", u.refresh);
	e2e_http(&r, "POST", "/v1/auth/logout", &o);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	e2e_reply_free(&r);
	/* The logged-out token no longer refreshes. */
	e2e_expect(NULL, "POST", "/v1/auth/refresh", &o, 401, "refresh_token_reused");
}

/* Sends method path as `as` until the reply's error code is `code` (the
 * services learn of a logout within KOLO_SESSION_MAX_STALE_MS); fails the
 * test after 10 s showing the last reply. */
static void
expect_eventually(const char *method, const char *path, const e2e_opts *o, long status,
		  const char *code)
{
	e2e_reply r;

	for (int i = 0; i < 100; i++) {
		if (i)
			usleep(100 * 1000);
		e2e_http(&r, method, path, o);
		if (r.status == status && strcmp(e2e_error_code(&r), code) == 0) {
			e2e_reply_free(&r);
			return;
		}
		if (i < 99)
			e2e_reply_free(&r);
	}
	fail_msg("%s %s: %ld %s, want %ld %s", method, path, r.status, r.body, status, code);
}

/* Issue 18.7: after "log out on all devices" the old access token can no
 * longer set a PIN or create a group (401 session_revoked), but reads go
 * on until it expires. */
static void
test_logged_out_token_stops_acting(void **state)
{
	user u;
	char body[256];
	e2e_opts o = {.body = body};
	e2e_opts old = {0};

	e2e_register(&u, "logout-all");
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\",\"all_devices\":true}", u.refresh);
	e2e_expect(NULL, "POST", "/v1/auth/logout", &o, 204, "");
	old.token = u.access;
	old.body = "{\"pin\":\"135790\"}";
	/* Identity checks its own table: at once. */
	e2e_expect(NULL, "POST", "/v1/me/pin", &old, 401, "session_revoked");
	old.body = "{\"name\":\"After logout\"}";
	expect_eventually("POST", "/v1/groups", &old, 401, "session_revoked");
	old.body = NULL;
	e2e_expect(NULL, "GET", "/v1/me", &old, 200, "");
}

static void
test_each_error_maps_to_its_status(void **state)
{
	user u;
	char body[256];
	e2e_opts o = {.body = body};
	e2e_opts authed = {0};

	e2e_register(&u, "errors");
	authed.token = u.access;
	/* 400: malformed JSON, a missing field, a wrong type, a bad UUID. */
	snprintf(body, sizeof(body), "{\"email\": ");
	e2e_expect(NULL, "POST", "/v1/auth/login", &o, 400, "invalid_json");
	snprintf(body, sizeof(body), "[1, 2]");
	e2e_expect(NULL, "POST", "/v1/auth/login", &o, 400, "invalid_json");
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", u.email);
	e2e_expect(NULL, "POST", "/v1/auth/login", &o, 400, "missing_field");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":42}", u.email);
	e2e_expect(NULL, "POST", "/v1/auth/login", &o, 400, "invalid_field");
	e2e_expect(NULL, "DELETE", "/v1/me/sessions/not-a-uuid", &authed, 400,
		   "invalid_path_parameter");
	/* 401: no token, a forged one, a wrong password. */
	e2e_expect(NULL, "GET", "/v1/me", NULL, 401, "missing_token");
	authed.token = "eyJhbGciOiJFZERTQSJ9.e30.AAAA";
	e2e_expect(NULL, "GET", "/v1/me", &authed, 401, "invalid_token");
	authed.token = u.access;
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"not it at all\"}", u.email);
	e2e_expect(NULL, "POST", "/v1/auth/login", &o, 401, "invalid_credentials");
	/* 404: no such route, no such session. */
	e2e_expect(NULL, "GET", "/v1/nothing-here", NULL, 404, "not_found");
	e2e_expect(NULL, "DELETE", "/v1/me/sessions/00000000-0000-4000-8000-000000000000", &authed,
		   404, "session_not_found");
	/* 405, 409, 422, 403. */
	e2e_expect(NULL, "PUT", "/v1/me", &authed, 405, "method_not_allowed");
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"" PASSWORD "\",\"name\":\"x\"}", u.email);
	e2e_expect(NULL, "POST", "/v1/auth/register", &o, 409, "email_taken");
	snprintf(body, sizeof(body), "{\"old_pin\":\"1234\",\"new_pin\":\"5678\"}");
	authed.body = body;
	e2e_expect(NULL, "PUT", "/v1/me/pin", &authed, 422, "pin_not_set");
	snprintf(body, sizeof(body), "{\"pin\":\"2468\"}");
	{
		e2e_reply r;

		e2e_http(&r, "POST", "/v1/me/pin", &authed);
		assert_int_equal(r.status, 201);
		assert_true(strlen(e2e_str(&r, "recovery_token")) > 20);
		e2e_reply_free(&r);
	}
	snprintf(body, sizeof(body), "{\"old_pin\":\"1357\",\"new_pin\":\"5678\"}");
	e2e_expect(NULL, "PUT", "/v1/me/pin", &authed, 403, "pin_incorrect");
	snprintf(body, sizeof(body), "{\"pin\":\"12\"}");
	e2e_expect(NULL, "POST", "/v1/me/pin", &authed, 400, "invalid_pin");
}

/* The gateway presents its own credential on every call, and the caller
 * table lets it read balances, ledgers, withdrawals and proposals for the
 * public pages. A user route without a user's token must not turn into
 * such a read for nobody: no token, a token of another scheme, or a
 * non-Bearer header are all 401 (the scheme named: unsupported_auth_scheme),
 * and nothing about the group comes back. */
static void
test_user_routes_without_a_token_read_nothing(void **state)
{
	static const char *const reads[] = {"balance",	   "ledger",	"ledger.csv",
					    "withdrawals", "proposals", "account"};
	e2e_user owner;
	e2e_opts basic = {.header = "Authorization: Basic a29sbzprb2xv"};
	char gid[64], path[160];

	e2e_register(&owner, "no-token");
	e2e_group(gid, &owner, "No token club");
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		snprintf(path, sizeof(path), "/v1/groups/%s/%s", gid, reads[i]);
		e2e_expect(NULL, "GET", path, NULL, 401, "missing_token");
		e2e_expect(NULL, "GET", path, &basic, 401, "unsupported_auth_scheme");
	}
}

/* RFC 7235 (issue 21): the scheme is matched in any case; another scheme
 * is named, and every 401 says which scheme to use. */
static void
test_bearer_in_any_case_and_other_schemes_named(void **state)
{
	e2e_user u;
	char lower[2200], upper[2200];
	e2e_opts o = {.header = lower};
	e2e_reply r;

	e2e_register(&u, "scheme");
	snprintf(lower, sizeof(lower), "Authorization: bearer %s", u.access);
	snprintf(upper, sizeof(upper), "Authorization: BEARER %s", u.access);
	e2e_http(&r, "GET", "/v1/me", &o);
	assert_int_equal(r.status, 200);
	e2e_reply_free(&r);
	o.header = upper;
	e2e_http(&r, "GET", "/v1/me", &o);
	assert_int_equal(r.status, 200);
	e2e_reply_free(&r);
	o.header = "Authorization: Token abc";
	e2e_http(&r, "GET", "/v1/me", &o);
	assert_int_equal(r.status, 401);
	assert_string_equal(e2e_error_code(&r), "unsupported_auth_scheme");
	assert_string_equal(r.www_authenticate, "Bearer");
	e2e_reply_free(&r);
	e2e_http(&r, "GET", "/v1/me", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(e2e_error_code(&r), "missing_token");
	assert_string_equal(r.www_authenticate, "Bearer");
	e2e_reply_free(&r);
}

static void
test_oversized_body_is_413(void **state)
{
	size_t n = 70 * 1024;
	char *big = malloc(n + 1);
	e2e_opts o = {.body = big, .body_len = n};
	e2e_reply r;

	memset(big, 'x', n);
	big[n] = '\0';
	e2e_http(&r, "POST", "/v1/auth/login", &o);
	assert_int_equal(r.status, 413);
	assert_string_equal(e2e_error_code(&r), "body_too_large");
	e2e_reply_free(&r);
	free(big);
}

static void
test_login_rate_limit_answers_429(void **state)
{
	user u;
	char body[256];
	e2e_opts o = {.body = body};
	e2e_reply r;
	long statuses[8];

	e2e_register(&u, "limited");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"wrong wrong\"}", u.email);
	/* run_e2e.sh allows 3 logins per account a minute. */
	for (int i = 0; i < 4; i++) {
		e2e_http(&r, "POST", "/v1/auth/login", &o);
		statuses[i] = r.status;
		if (i == 3) {
			assert_string_equal(e2e_error_code(&r), "rate_limited");
			assert_true(atoi(r.retry_after) >= 1);
		}
		e2e_reply_free(&r);
	}
	assert_int_equal(statuses[0], 401);
	assert_int_equal(statuses[2], 401);
	assert_int_equal(statuses[3], 429);
}

static void
test_request_id_is_kept_or_made(void **state)
{
	e2e_opts o = {.header = "X-Request-Id: e2e-req-42"};
	e2e_reply r;

	e2e_http(&r, "GET", "/healthz", &o);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.request_id, "e2e-req-42");
	e2e_reply_free(&r);
	o.header = "X-Request-Id: bad id with spaces";
	e2e_http(&r, "GET", "/healthz", &o);
	assert_int_equal(strlen(r.request_id), 32);
	e2e_reply_free(&r);
}

static void
wait_ready(long want)
{
	e2e_reply r;

	e2e_http(&r, "GET", "/readyz", NULL);
	if (r.status != want)
		fail_msg("readyz %ld, want %ld: %s", r.status, want, r.body);
	e2e_reply_free(&r);
}

static void
test_readyz_follows_the_services(void **state)
{
	const char *pid_text = getenv("KOLO_E2E_GROUPS_PID");
	pid_t pid = pid_text ? (pid_t)atoi(pid_text) : 0;
	e2e_reply r;

	assert_true(pid > 0);
	wait_ready(200);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	e2e_http(&r, "GET", "/readyz", NULL);
	assert_int_equal(kill(pid, SIGCONT), 0);
	/* One service down leaves the gateway ready (its other routes work). */
	assert_int_equal(r.status, 200);
	assert_string_equal(e2e_str(&r, "status"), "degraded");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "services"), "groups")),
		"NOT_SERVING");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "services"), "identity")),
		"SERVING");
	e2e_reply_free(&r);
	wait_ready(200);
}

static void
test_operational_routes(void **state)
{
	const char *kid = getenv("KOLO_JWT_KID");
	e2e_reply r;
	json_t *key;

	e2e_http(&r, "GET", "/.well-known/jwks.json", NULL);
	assert_int_equal(r.status, 200);
	key = json_array_get(json_object_get(r.json, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(key, "kid")), kid);
	assert_string_equal(json_string_value(json_object_get(key, "crv")), "Ed25519");
	e2e_reply_free(&r);

	e2e_http(&r, "GET", "/openapi.yaml", NULL);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.body, "openapi: 3", 10) == 0);
	e2e_reply_free(&r);

	e2e_http(&r, "GET", "/metrics", NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "kolo_gateway_requests_total{route=\"/v1/auth/register\","
				       "method=\"POST\",status=\"201\"}"));
	assert_non_null(strstr(r.body, "kolo_gateway_request_duration_seconds_bucket"));
	e2e_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_login_me_refresh_logout),
		cmocka_unit_test(test_logged_out_token_stops_acting),
		cmocka_unit_test(test_each_error_maps_to_its_status),
		cmocka_unit_test(test_user_routes_without_a_token_read_nothing),
		cmocka_unit_test(test_bearer_in_any_case_and_other_schemes_named),
		cmocka_unit_test(test_oversized_body_is_413),
		cmocka_unit_test(test_login_rate_limit_answers_429),
		cmocka_unit_test(test_request_id_is_kept_or_made),
		cmocka_unit_test(test_readyz_follows_the_services),
		cmocka_unit_test(test_operational_routes),
	};

	return cmocka_run_group_tests(tests, e2e_setup, e2e_teardown);
}
