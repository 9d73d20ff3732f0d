/* gw_route_match against the real route table (gateway/routes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

#define GROUP_ID "3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a11"
#define USER_ID	 "a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d"
#define TOKEN	 "Zk3_pQ-9xY"

static int
setup(void **state)
{
	*state = mem_arena_new(0);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	mem_arena_free(*state);
	return 0;
}

static int
match(mem_arena *arena, gw_request *req, const char *method, const char *path)
{
	memset(req, 0, sizeof(*req));
	req->arena = arena;
	req->method = method;
	req->path = path;
	req->query = "";
	req->route_index = -1;
	err_clear();
	return gw_route_match(req);
}

/* The value this test puts in for the parameter called name. */
static const char *
value_for(const char *name)
{
	if (strcmp(name, "token") == 0)
		return TOKEN;
	if (strcmp(name, "user_id") == 0)
		return USER_ID;
	return GROUP_ID;
}

/* The concrete path of a pattern: ids become UUIDs, {token} a token. */
static char *
path_of(mem_arena *arena, const char *pattern)
{
	char *out = mem_arena_alloc(arena, strlen(pattern) + 64 * GW_MAX_PARAMS + 1);
	char *o = out;

	for (const char *p = pattern; *p;) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			char *name = mem_arena_strndup(arena, p + 1, (size_t)(close - p - 1));

			o += sprintf(o, "%s", value_for(name));
			p = close + 1;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static size_t
params_in(const char *pattern)
{
	size_t n = 0;

	for (const char *p = pattern; *p; p++)
		n += *p == '{';
	return n;
}

static void
test_every_route_matches_its_own_path_and_fills_params(void **state)
{
	mem_arena *arena = *state;
	gw_request req;

	assert_true(gw_n_routes > 0);
	for (size_t i = 0; i < gw_n_routes; i++) {
		const gw_route *r = &gw_routes[i];
		char *path = path_of(arena, r->pattern);
		int rc = match(arena, &req, r->method, path);

		if (rc != (int)i)
			fail_msg("%s %s (%s) matched %d, not %zu", r->method, r->pattern, path, rc,
				 i);
		assert_int_equal(req.n_params, params_in(r->pattern));
		for (size_t k = 0; k < req.n_params; k++) {
			const char *name = req.params[k].name;
			const char *want = value_for(name);
			char *brace = mem_arena_printf(arena, "{%s}", name);

			assert_non_null(strstr(r->pattern, brace));
			assert_string_equal(req.params[k].value, want);
		}
	}
}

static void
test_ledger_csv_matches_the_csv_route_not_the_ledger_route(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	int rc = match(arena, &req, "GET", "/v1/groups/" GROUP_ID "/ledger.csv");

	assert_true(rc >= 0);
	assert_string_equal(gw_routes[rc].pattern, "/v1/groups/{id}/ledger.csv");
	assert_int_equal(req.n_params, 1);
	assert_string_equal(req.params[0].name, "id");
	assert_string_equal(req.params[0].value, GROUP_ID);

	rc = match(arena, &req, "GET", "/v1/groups/" GROUP_ID "/ledger");
	assert_true(rc >= 0);
	assert_string_equal(gw_routes[rc].pattern, "/v1/groups/{id}/ledger");

	/* Near misses of the suffix are neither route. */
	assert_int_equal(match(arena, &req, "GET", "/v1/groups/" GROUP_ID "/ledger.cs"),
			 GW_MATCH_NO_PATH);
	assert_int_equal(match(arena, &req, "GET", "/v1/groups/" GROUP_ID "/ledger.csvx"),
			 GW_MATCH_NO_PATH);
	assert_int_equal(match(arena, &req, "GET", "/v1/groups/" GROUP_ID "/ledgercsv"),
			 GW_MATCH_NO_PATH);
}

static void
test_known_path_with_another_method_is_method_not_allowed(void **state)
{
	mem_arena *arena = *state;
	gw_request req;

	for (size_t i = 0; i < gw_n_routes; i++) {
		char *path = path_of(arena, gw_routes[i].pattern);

		assert_int_equal(match(arena, &req, "TRACE", path), GW_MATCH_OTHER_METHOD);
	}
	assert_int_equal(match(arena, &req, "PUT", "/v1/groups"), GW_MATCH_OTHER_METHOD);
	assert_int_equal(match(arena, &req, "DELETE", "/v1/me"), GW_MATCH_OTHER_METHOD);
	assert_int_equal(match(arena, &req, "GET", "/v1/auth/login"), GW_MATCH_OTHER_METHOD);
	/* Methods are case-sensitive tokens (RFC 9110). */
	assert_int_equal(match(arena, &req, "get", "/v1/me"), GW_MATCH_OTHER_METHOD);
	/* A bad id on a shape no route of this method has is still a 405. */
	assert_int_equal(match(arena, &req, "PUT", "/v1/groups/not-a-uuid"), GW_MATCH_OTHER_METHOD);
}

static void
test_unknown_path_is_not_found(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	static const char *const paths[] = {
		"/",
		"/v1",
		"/v2/me",
		"/v1/mee",
		"/v1/m",
		"/V1/ME",
		"/v1/groups/" GROUP_ID "/nothing",
		"/v1/groups/" GROUP_ID "/members/" USER_ID "/extra",
		"/healthz/x",
		"/.well-known/jwks",
		"/openapi.yml",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int rc = match(arena, &req, "GET", paths[i]);

		if (rc != GW_MATCH_NO_PATH)
			fail_msg("GET %s gave %d, not GW_MATCH_NO_PATH", paths[i], rc);
	}
}

static void
assert_bad_param(mem_arena *arena, const char *method, const char *path, const char *param)
{
	gw_request req;
	int rc = match(arena, &req, method, path);

	if (rc != GW_MATCH_BAD_PARAM)
		fail_msg("%s %s gave %d, not GW_MATCH_BAD_PARAM", method, path, rc);
	assert_int_equal(err_last()->code, ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_path_parameter");
	assert_non_null(strstr(err_last()->message, param));
}

static void
test_malformed_id_is_invalid_path_parameter(void **state)
{
	mem_arena *arena = *state;

	assert_bad_param(arena, "GET", "/v1/groups/not-a-uuid", "id");
	/* One character short, one too many, a non-hex digit, no dashes. */
	assert_bad_param(arena, "GET", "/v1/groups/3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a1", "id");
	assert_bad_param(arena, "GET", "/v1/groups/" GROUP_ID "0", "id");
	assert_bad_param(arena, "GET", "/v1/groups/3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a1g", "id");
	assert_bad_param(arena, "GET", "/v1/groups/3f2b8c1e9a4d4e6f8b2a1c5d7e9f0a11", "id");
	assert_bad_param(arena, "GET", "/v1/groups/3f2b8c1e-9a4d-4e6f-8b2a_1c5d7e9f0a11", "id");
	assert_bad_param(arena, "GET", "/v1/withdrawals/123", "id");
	assert_bad_param(arena, "POST", "/v1/withdrawals/x/approve", "id");
	assert_bad_param(arena, "DELETE", "/v1/me/sessions/%7Bid%7D", "id");
	assert_bad_param(arena, "GET", "/v1/groups/not-a-uuid/ledger.csv", "id");
	/* The second parameter is checked too, and named. */
	assert_bad_param(arena, "PATCH", "/v1/groups/" GROUP_ID "/members/nobody", "user_id");
	assert_bad_param(arena, "DELETE", "/v1/groups/" GROUP_ID "/members/" USER_ID "z",
			 "user_id");
	/* Tokens: URL-safe base64 only, 1..128 characters. */
	assert_bad_param(arena, "GET", "/p/tok.en", "token");
	assert_bad_param(arena, "GET", "/p/tok%2Fen", "token");
	assert_bad_param(arena, "GET", "/v1/public/tok+en=", "token");
}

static void
test_odd_paths_never_falsely_match(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	static const struct {
		const char *method, *path;
		int want;
	} cases[] = {
		{"GET", "", GW_MATCH_NO_PATH},
		{"GET", "v1/me", GW_MATCH_NO_PATH},
		{"GET", "/v1/me/", GW_MATCH_NO_PATH},
		{"GET", "/v1/groups/", GW_MATCH_NO_PATH},
		{"GET", "/v1/groups/" GROUP_ID "/", GW_MATCH_NO_PATH},
		{"GET", "//v1/me", GW_MATCH_NO_PATH},
		{"GET", "/v1//me", GW_MATCH_NO_PATH},
		{"GET", "/v1/me//sessions", GW_MATCH_NO_PATH},
		{"GET", "/v1/groups//members", GW_MATCH_NO_PATH},
		{"GET", "/v1/groups/" GROUP_ID "//members", GW_MATCH_NO_PATH},
		{"PATCH", "/v1/groups/" GROUP_ID "/members/", GW_MATCH_NO_PATH},
		{"PATCH", "/v1/groups//members/" USER_ID, GW_MATCH_NO_PATH},
		{"GET", "/p/", GW_MATCH_NO_PATH},
		{"GET", "/p//statement.csv", GW_MATCH_NO_PATH},
		{"GET", "/v1/me%2Fsessions", GW_MATCH_NO_PATH},
		{"GET", "/v1%2fme", GW_MATCH_NO_PATH},
		{"GET", "/%", GW_MATCH_NO_PATH},
		{"GET", "/v1/me%00", GW_MATCH_NO_PATH},
		{"GET", "/v1/me?x=1", GW_MATCH_NO_PATH},
		{"GET", "/v1/me#x", GW_MATCH_NO_PATH},
		{"GET", "/v1/./me", GW_MATCH_NO_PATH},
		{"GET", "/v1/../v1/me", GW_MATCH_NO_PATH},
		{"GET", "/v1/groups/%2e%2e", GW_MATCH_BAD_PARAM},
		{"GET", "/v1/groups/{id}", GW_MATCH_BAD_PARAM},
		{"GET", "/v1/groups/%3" GROUP_ID, GW_MATCH_BAD_PARAM},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = match(arena, &req, cases[i].method, cases[i].path);

		if (rc != cases[i].want)
			fail_msg("%s '%s' gave %d, not %d", cases[i].method, cases[i].path, rc,
				 cases[i].want);
	}
}

static char *
repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static void
test_very_long_paths_never_falsely_match(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	char *path;

	path = repeat("/", 'a', 100000, "");
	assert_int_equal(match(arena, &req, "GET", path), GW_MATCH_NO_PATH);
	free(path);

	path = repeat("/v1/groups/", 'a', 100000, "");
	assert_int_equal(match(arena, &req, "GET", path), GW_MATCH_BAD_PARAM);
	free(path);

	path = repeat("/v1/groups/" GROUP_ID "/members/", 'f', 100000, "");
	assert_int_equal(match(arena, &req, "PATCH", path), GW_MATCH_BAD_PARAM);
	free(path);

	/* 129 token characters: one more than a token may have. */
	path = repeat("/p/", 'a', 129, "");
	assert_int_equal(match(arena, &req, "GET", path), GW_MATCH_BAD_PARAM);
	free(path);
	path = repeat("/p/", 'a', 128, "");
	assert_true(match(arena, &req, "GET", path) >= 0);
	assert_int_equal(strlen(req.params[0].value), 128);
	free(path);

	path = repeat("/v1/me", '/', 100000, "");
	assert_int_equal(match(arena, &req, "GET", path), GW_MATCH_NO_PATH);
	free(path);

	path = repeat("/v1/groups/" GROUP_ID, '/', 50000, "members");
	assert_int_equal(match(arena, &req, "GET", path), GW_MATCH_NO_PATH);
	free(path);
}

static void
test_path_params_are_exactly_the_substrings(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	const char *path = "/v1/groups/" GROUP_ID "/members/" USER_ID;
	int rc = match(arena, &req, "DELETE", path);

	assert_true(rc >= 0);
	assert_string_equal(gw_routes[rc].pattern, "/v1/groups/{id}/members/{user_id}");
	assert_int_equal(req.n_params, 2);
	assert_string_equal(req.params[0].name, "id");
	assert_string_equal(req.params[0].value, GROUP_ID);
	assert_string_equal(req.params[1].name, "user_id");
	assert_string_equal(req.params[1].value, USER_ID);
	/* Copies, not views into the path: the path stays intact. */
	assert_ptr_not_equal(req.params[0].value, path + strlen("/v1/groups/"));
	assert_string_equal(path, "/v1/groups/" GROUP_ID "/members/" USER_ID);

	rc = match(arena, &req, "GET", "/p/" TOKEN "/statement.csv");
	assert_true(rc >= 0);
	assert_string_equal(gw_routes[rc].pattern, "/p/{token}/statement.csv");
	assert_int_equal(req.n_params, 1);
	assert_string_equal(req.params[0].name, "token");
	assert_string_equal(req.params[0].value, TOKEN);

	rc = match(arena, &req, "GET", "/v1/me");
	assert_true(rc >= 0);
	assert_int_equal(req.n_params, 0);
}

static void
test_allow_lists_the_methods_of_a_path(void **state)
{
	mem_arena *arena = *state;

	assert_string_equal(gw_route_allow(arena, "/v1/groups"), "POST, GET, OPTIONS");
	assert_string_equal(gw_route_allow(arena, "/v1/groups/" GROUP_ID), "GET, PATCH, OPTIONS");
	assert_string_equal(gw_route_allow(arena, "/v1/groups/" GROUP_ID "/members/" USER_ID),
			    "PATCH, DELETE, OPTIONS");
	assert_string_equal(gw_route_allow(arena, "/v1/me/phone"), "PUT, DELETE, OPTIONS");
	/* A malformed id still names its route's methods; no error is left. */
	assert_string_equal(gw_route_allow(arena, "/v1/groups/not-a-uuid"), "GET, PATCH, OPTIONS");
	assert_int_equal(err_last()->code, ERR_OK);
	assert_string_equal(gw_route_allow(arena, "/v1/nowhere"), "");
	/* Every route's path allows at least its own method. */
	for (size_t i = 0; i < gw_n_routes; i++) {
		const char *allow = gw_route_allow(arena, path_of(arena, gw_routes[i].pattern));

		assert_non_null(strstr(allow, gw_routes[i].method));
	}
}

static void
test_location_fills_body_fields_and_path_params(void **state)
{
	mem_arena *arena = *state;
	gw_request req;
	json_t *body = json_pack("{s:s, s:{s:s}, s:s, s:i}", "id", "g-1", "webhook", "id", "w/1 x",
				 "user_id", USER_ID, "n", 3);

	assert_true(match(arena, &req, "POST", "/v1/groups/" GROUP_ID "/members") >= 0);
	assert_string_equal(gw_location(&req, "/v1/groups/{id}", body), "/v1/groups/g-1");
	assert_string_equal(gw_location(&req, "/v1/groups/{$id}/members/{user_id}", body),
			    "/v1/groups/" GROUP_ID "/members/" USER_ID);
	/* Values are percent-encoded. */
	assert_string_equal(gw_location(&req, "/x/{webhook.id}", body), "/x/w%2F1%20x");
	assert_string_equal(gw_location(&req, "/v1/me", body), "/v1/me");
	/* A missing, empty or non-text value: no Location. */
	assert_null(gw_location(&req, "/v1/x/{nope}", body));
	assert_null(gw_location(&req, "/v1/x/{n}", body));
	assert_null(gw_location(&req, "/v1/x/{webhook.nope}", body));
	assert_null(gw_location(&req, "/v1/x/{$nope}", body));
	assert_null(gw_location(&req, "/v1/x/{id}", NULL));
	json_decref(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allow_lists_the_methods_of_a_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_location_fills_body_fields_and_path_params,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_every_route_matches_its_own_path_and_fills_params, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ledger_csv_matches_the_csv_route_not_the_ledger_route, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_known_path_with_another_method_is_method_not_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_path_is_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_id_is_invalid_path_parameter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_odd_paths_never_falsely_match, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_very_long_paths_never_falsely_match, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_params_are_exactly_the_substrings, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
