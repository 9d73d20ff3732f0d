/* gw_cors_parse and gw_cors_decide: KOLO_CORS_ORIGINS and the answer to an
 * Origin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw.h"

static gw_cors cors;

static void
test_origins_parse_and_normalise(void **state)
{
	(void)state;
	assert_int_equal(gw_cors_parse(&cors, ""), 0);
	assert_int_equal(cors.n, 0);
	assert_int_equal(gw_cors_parse(&cors, NULL), 0);
	assert_int_equal(cors.n, 0);
	assert_int_equal(gw_cors_parse(&cors, " https://App.Kolo.ng , http://localhost:5173,"
					      "http://127.0.0.1:9000,https://[::1]:8443"),
			 0);
	assert_int_equal(cors.n, 4);
	assert_string_equal(cors.origins[0], "https://app.kolo.ng");
	assert_string_equal(cors.origins[1], "http://localhost:5173");
	assert_string_equal(cors.origins[2], "http://127.0.0.1:9000");
	assert_string_equal(cors.origins[3], "https://[::1]:8443");
}

static void
test_bad_origins_are_refused(void **state)
{
	static const char *const bad[] = {
		"*", /* credentials never go to any origin */
		"https://app.kolo.ng,*",
		"app.kolo.ng", /* no scheme */
		"ftp://app.kolo.ng",
		"https://app.kolo.ng/", /* a path */
		"https://app.kolo.ng/app",
		"https://app.kolo.ng?x=1",
		"https://app.kolo.ng:443", /* a browser drops a default port */
		"http://app.kolo.ng:80",
		"https://app.kolo.ng:0",
		"https://app.kolo.ng:99999",
		"https://app.kolo.ng:",
		"https://",
		"https://user@app.kolo.ng",
		"https://.kolo.ng",
		"https://[::1",
		"null",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		assert_int_equal(gw_cors_parse(&cors, bad[i]), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "bad_config");
		assert_non_null(strstr(err_last()->message, "KOLO_CORS_ORIGINS"));
	}
}

static void
test_listed_origin_gets_itself_with_credentials(void **state)
{
	gw_cors_answer a;

	(void)state;
	assert_int_equal(gw_cors_parse(&cors, "https://app.kolo.ng"), 0);
	a = gw_cors_decide(&cors, "https://app.kolo.ng", 0);
	assert_string_equal(a.allow_origin, "https://app.kolo.ng");
	assert_true(a.credentials);
	assert_true(a.vary);
	/* Public routes too: the app may fetch them with its cookies. */
	a = gw_cors_decide(&cors, "https://app.kolo.ng", 1);
	assert_string_equal(a.allow_origin, "https://app.kolo.ng");
	assert_true(a.credentials);
}

static void
test_other_origins_get_star_on_public_routes_only(void **state)
{
	gw_cors_answer a;

	(void)state;
	assert_int_equal(gw_cors_parse(&cors, "https://app.kolo.ng"), 0);
	a = gw_cors_decide(&cors, "https://evil.example", 0);
	assert_null(a.allow_origin);
	assert_false(a.credentials);
	assert_true(a.vary);
	/* Exact match: no prefix, suffix, scheme or port games. */
	assert_null(gw_cors_decide(&cors, "https://app.kolo.ng.evil.example", 0).allow_origin);
	assert_null(gw_cors_decide(&cors, "http://app.kolo.ng", 0).allow_origin);
	assert_null(gw_cors_decide(&cors, "https://app.kolo.ng:8443", 0).allow_origin);
	assert_null(gw_cors_decide(&cors, "null", 0).allow_origin);
	a = gw_cors_decide(&cors, "https://evil.example", 1);
	assert_string_equal(a.allow_origin, "*");
	assert_false(a.credentials);
	/* No Origin: not a cross-origin browser call, no CORS headers; but
	 * Vary: Origin, so a cache keeps it apart from a browser's reply. */
	a = gw_cors_decide(&cors, NULL, 1);
	assert_null(a.allow_origin);
	assert_true(a.vary);
	/* Nothing configured: only the public routes, to everyone. */
	assert_int_equal(gw_cors_parse(&cors, ""), 0);
	assert_null(gw_cors_decide(&cors, "https://app.kolo.ng", 0).allow_origin);
	assert_string_equal(gw_cors_decide(&cors, "https://app.kolo.ng", 1).allow_origin, "*");
}

static void
test_public_routes_are_the_public_token_routes(void **state)
{
	size_t n = 0;

	(void)state;
	assert_false(gw_route_is_public(-1));
	for (size_t i = 0; i < gw_n_routes; i++) {
		int is_public = gw_route_is_public((int)i);

		n += (size_t)is_public;
		assert_int_equal(is_public, strstr(gw_routes[i].pattern, "{token}") != NULL);
	}
	assert_int_equal(n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origins_parse_and_normalise),
		cmocka_unit_test(test_bad_origins_are_refused),
		cmocka_unit_test(test_listed_origin_gets_itself_with_credentials),
		cmocka_unit_test(test_other_origins_get_star_on_public_routes_only),
		cmocka_unit_test(test_public_routes_are_the_public_token_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
