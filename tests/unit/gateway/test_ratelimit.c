/* Token buckets: parsing rules, taking tokens at explicit times, and the
 * per-class check of a route. The bucket table is process-wide, so every
 * test uses keys of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

static gw_rate_rule
rule_of(const char *text)
{
	gw_rate_rule r = {0};

	if (gw_rate_parse(&r, text) != 0)
		fail_msg("rule %s does not parse", text);
	return r;
}

static void
test_parse_reads_count_per_seconds(void **state)
{
	gw_rate_rule r = {0};

	assert_int_equal(gw_rate_parse(&r, "20/60"), 0);
	assert_true(r.burst == 20.0);
	assert_true(fabs(r.per_second - 20.0 / 60.0) < 1e-12);
	assert_int_equal(gw_rate_parse(&r, "1/1"), 0);
	assert_true(r.burst == 1.0 && r.per_second == 1.0);
	assert_int_equal(gw_rate_parse(&r, "1000000/86400"), 0);
	assert_true(r.burst == 1000000.0);
}

static void
test_parse_refuses_malformed_rules(void **state)
{
	static const char *const bad[] = {
		"0/60",	   "20/0",    "x",	    "20/60x",	"-1/5",
		"",	   "20",      "20/",	    "/60",	"20/60 ",
		"20.5/60", "20/60/1", "1000001/60", "20/86401", "twenty/60",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gw_rate_rule r = {.burst = 7, .per_second = 7};

		if (gw_rate_parse(&r, bad[i]) != ERR_INVALID_ARGUMENT)
			fail_msg("rule '%s' was accepted", bad[i]);
		assert_true(r.burst == 7 && r.per_second == 7); /* untouched */
	}
}

static void
test_parse_refuses_out_of_range_numbers_instead_of_wrapping(void **state)
{
	/* 4294967316 = 2^32 + 20 and -4294967276 = -(2^32) + 20: neither is 20.
	 */
	static const char *const bad[] = {"4294967316/60", "-4294967276/60", "20/4294967356"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gw_rate_rule r = {0};

		if (gw_rate_parse(&r, bad[i]) != ERR_INVALID_ARGUMENT)
			fail_msg("rule '%s' was accepted as %g/%g s", bad[i], r.burst,
				 r.per_second > 0 ? r.burst / r.per_second : 0);
	}
}

static void
test_burst_passes_then_the_next_waits(void **state)
{
	static const struct {
		const char *rule;
		int wait; /* seconds until the next token */
	} cases[] = {
		{"20/60", 3}, {"10/60", 6}, {"60/60", 1}, {"120/60", 1},
		{"1/60", 60}, {"5/1", 1},   {"3/7", 3},	  {"1/86400", 86400},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gw_rate_rule r = rule_of(cases[i].rule);
		char key[64];
		int w;

		snprintf(key, sizeof(key), "burst:%s", cases[i].rule);
		for (int n = 0; n < (int)r.burst; n++) {
			if (gw_rate_take(&r, key, 1000.0) != 0)
				fail_msg("%s: request %d of the burst refused", cases[i].rule,
					 n + 1);
		}
		w = gw_rate_take(&r, key, 1000.0);
		if (w != cases[i].wait)
			fail_msg("%s: waits %d s, not %d", cases[i].rule, w, cases[i].wait);
		/* Asking again at once does not shorten nor lengthen the wait.
		 */
		assert_int_equal(gw_rate_take(&r, key, 1000.0), cases[i].wait);
	}
}

static void
test_tokens_refill_over_time_up_to_the_burst(void **state)
{
	/* One token every 2 s: halves are exact in binary, so these waits
	 * test the refill, not rounding (see the tests below for that). */
	gw_rate_rule r = rule_of("30/60");
	const char *key = "refill:203.0.113.9";

	for (int n = 0; n < 30; n++)
		assert_int_equal(gw_rate_take(&r, key, 100.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 100.0), 2);
	assert_int_equal(gw_rate_take(&r, key, 101.0), 1);
	assert_int_equal(gw_rate_take(&r, key, 101.5), 1);
	assert_int_equal(gw_rate_take(&r, key, 102.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 102.0), 2);
	/* 6 s later: three tokens. */
	assert_int_equal(gw_rate_take(&r, key, 108.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 108.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 108.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 108.0), 2);

	/* A long idle time refills the bucket to the burst, not beyond. */
	for (int n = 0; n < 30; n++)
		assert_int_equal(gw_rate_take(&r, key, 10000.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 10000.0), 2);
}

/* Every rule n/secs for n <= 30, secs <= 300, exhausted at an integer time:
 * calls check(rule text, told wait, exact wait, allowed after told wait)
 * and stops at its first complaint. */
typedef const char *(*wait_check)(int told, int exact, int allowed_after);

static void
for_each_exhausted_rule(const char *tag, wait_check check)
{
	for (unsigned n = 1; n <= 30; n++) {
		for (unsigned secs = 1; secs <= 300; secs++) {
			char text[32], key[64];
			const char *complaint;
			gw_rate_rule r;
			int told, exact = (int)((secs + n - 1) / n);

			snprintf(text, sizeof(text), "%u/%u", n, secs);
			r = rule_of(text);
			snprintf(key, sizeof(key), "%s:%s", tag, text);
			for (unsigned i = 0; i < n; i++)
				assert_int_equal(gw_rate_take(&r, key, 5000.0), 0);
			told = gw_rate_take(&r, key, 5000.0);
			complaint = check(told, exact, gw_rate_take(&r, key, 5000.0 + told) == 0);
			if (complaint)
				fail_msg("rule %s: told to wait %d s, the next "
					 "token is in %d s: %s",
					 text, told, exact, complaint);
		}
	}
}

static const char *
check_enough(int told, int exact, int allowed_after)
{
	return allowed_after ? NULL : "refused again after waiting as told";
}

static const char *
check_not_longer(int told, int exact, int allowed_after)
{
	return told <= exact ? NULL : "told to wait longer than needed";
}

static void
test_waiting_the_advertised_time_is_enough(void **state)
{
	for_each_exhausted_rule("enough", check_enough);
}

static void
test_the_advertised_wait_is_not_longer_than_needed(void **state)
{
	for_each_exhausted_rule("longer", check_not_longer);
}

static void
test_different_keys_are_independent(void **state)
{
	gw_rate_rule r = rule_of("2/60");

	assert_int_equal(gw_rate_take(&r, "indep:login-ip:198.51.100.1", 50.0), 0);
	assert_int_equal(gw_rate_take(&r, "indep:login-ip:198.51.100.1", 50.0), 0);
	assert_true(gw_rate_take(&r, "indep:login-ip:198.51.100.1", 50.0) >= 1);
	/* Another IP, and the same text under another class, are fresh. */
	assert_int_equal(gw_rate_take(&r, "indep:login-ip:198.51.100.2", 50.0), 0);
	assert_int_equal(gw_rate_take(&r, "indep:login-ip:198.51.100.2", 50.0), 0);
	assert_int_equal(gw_rate_take(&r, "indep:pin-ip:198.51.100.1", 50.0), 0);
	/* The first is still limited. */
	assert_int_equal(gw_rate_take(&r, "indep:login-ip:198.51.100.1", 50.0), 30);
}

static void
test_many_distinct_keys_never_refuse_a_fresh_key(void **state)
{
	gw_rate_rule r = rule_of("1/3600");
	char key[64];

	/* Three times the table: every probe run overflows, many times. */
	for (int i = 0; i < 3 * 8192; i++) {
		snprintf(key, sizeof(key), "flood:%d", i);
		if (gw_rate_take(&r, key, 200.0 + i * 0.001) != 0)
			fail_msg("fresh key %s refused", key);
	}
	/* A key taken just now is remembered: the newest bucket is not evicted.
	 */
	snprintf(key, sizeof(key), "flood:%d", 3 * 8192 - 1);
	assert_int_equal(gw_rate_take(&r, key, 200.0 + (3 * 8192 - 1) * 0.001), 3600);
}

static void
test_long_keys_are_limited_like_short_ones(void **state)
{
	gw_rate_rule r = rule_of("1/60");
	char key[200];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(gw_rate_take(&r, key, 300.0), 0);
	assert_int_equal(gw_rate_take(&r, key, 300.0), 60);
}

static void
test_check_limits_a_public_route_per_ip(void **state)
{
	gw_rate_config cfg = {
		.login_ip = rule_of("100/60"),
		.login_account = rule_of("100/60"),
		.refresh_ip = rule_of("100/60"),
		.pin_ip = rule_of("100/60"),
		.pin_account = rule_of("100/60"),
		.public_ip = rule_of("2/60"),
	};
	gw_route route = {"GET", "/p/{token}", NULL, NULL, GW_RATE_PUBLIC};
	gw_route open = {"GET", "/healthz", NULL, NULL, 0};
	gw_request req = {.query = "", .route_index = -1};
	gw_response resp = {0};
	json_t *body;

	gw_rate_configure(&cfg);
	req.arena = mem_arena_new(0);
	req.client_ip = "check-public:192.0.2.10";
	assert_int_equal(gw_rate_check(&route, &req, &resp), 0);
	assert_int_equal(gw_rate_check(&route, &req, &resp), 0);
	assert_null(resp.body);
	assert_int_equal(gw_rate_check(&route, &req, &resp), 429);
	assert_int_equal(resp.status, 429);
	assert_true(resp.retry_after >= 1 && resp.retry_after <= 30);
	body = json_loadb(resp.body, resp.body_len, 0, NULL);
	assert_non_null(body);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(body, "error"), "code")),
		"rate_limited");
	json_decref(body);
	free(resp.body);
	memset(&resp, 0, sizeof(resp));

	/* A route without classes is never limited; another IP is fresh. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(gw_rate_check(&open, &req, &resp), 0);
	req.client_ip = "check-public:192.0.2.11";
	assert_int_equal(gw_rate_check(&route, &req, &resp), 0);
	assert_null(resp.body);
	mem_arena_free(req.arena);
}

static void
test_check_limits_a_login_per_account_whatever_the_case(void **state)
{
	gw_rate_config cfg = {
		.login_ip = rule_of("100/60"),
		.login_account = rule_of("1/60"),
		.refresh_ip = rule_of("100/60"),
		.pin_ip = rule_of("100/60"),
		.pin_account = rule_of("100/60"),
		.public_ip = rule_of("100/60"),
	};
	gw_route route = {"POST", "/v1/auth/login", NULL, NULL, GW_RATE_LOGIN};
	gw_request req = {.query = "", .route_index = -1};
	gw_response resp = {0};
	const char *first = "{\"email\":\"Check.Login@Example.NG\",\"password\":\"x\"}";
	const char *second = "{\"email\":\"check.login@example.ng\",\"password\":\"y\"}";

	gw_rate_configure(&cfg);
	req.arena = mem_arena_new(0);
	req.client_ip = "check-login:192.0.2.20";
	req.body = first;
	req.body_len = strlen(first);
	assert_int_equal(gw_rate_check(&route, &req, &resp), 0);
	/* The same account from another IP, spelt in another case. */
	req.client_ip = "check-login:192.0.2.21";
	req.body = second;
	req.body_len = strlen(second);
	assert_int_equal(gw_rate_check(&route, &req, &resp), 429);
	assert_true(resp.retry_after >= 59 && resp.retry_after <= 60);
	free(resp.body);
	mem_arena_free(req.arena);
}

/* Issue 18 finding 2: " v@x", "v@x " and "\tv@x" are one account (identity
 * trims and lower-cases an email), so they share one bucket. */
static void
test_check_limits_a_login_per_account_whatever_the_spacing(void **state)
{
	gw_rate_config cfg = {
		.login_ip = rule_of("100/60"),
		.login_account = rule_of("1/60"),
		.refresh_ip = rule_of("100/60"),
		.pin_ip = rule_of("100/60"),
		.pin_account = rule_of("100/60"),
		.public_ip = rule_of("100/60"),
	};
	gw_route route = {"POST", "/v1/auth/login", NULL, NULL, GW_RATE_LOGIN};
	gw_request req = {.query = "", .route_index = -1};
	gw_response resp = {0};
	static const char *const spellings[] = {
		"{\"email\":\"spaced.login@example.ng\",\"password\":\"x\"}",
		"{\"email\":\" spaced.login@example.ng\",\"password\":\"x\"}",
		"{\"email\":\"spaced.login@example.ng \",\"password\":\"x\"}",
		"{\"email\":\"\\tSpaced.Login@example.ng\",\"password\":\"x\"}",
		"{\"email\":\"\\n spaced.login@EXAMPLE.ng\\r\",\"password\":\"x\"}",
	};

	gw_rate_configure(&cfg);
	req.arena = mem_arena_new(0);
	req.client_ip = "check-spacing:192.0.2.30";
	req.body = spellings[0];
	req.body_len = strlen(spellings[0]);
	assert_int_equal(gw_rate_check(&route, &req, &resp), 0);
	for (size_t i = 1; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		req.body = spellings[i];
		req.body_len = strlen(spellings[i]);
		if (gw_rate_check(&route, &req, &resp) != 429)
			fail_msg("%s got a bucket of its own", spellings[i]);
		assert_true(resp.retry_after >= 59 && resp.retry_after <= 60);
		free(resp.body);
		memset(&resp, 0, sizeof(resp));
	}
	mem_arena_free(req.arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_count_per_seconds),
		cmocka_unit_test(test_parse_refuses_malformed_rules),
		cmocka_unit_test(test_parse_refuses_out_of_range_numbers_instead_of_wrapping),
		cmocka_unit_test(test_burst_passes_then_the_next_waits),
		cmocka_unit_test(test_tokens_refill_over_time_up_to_the_burst),
		cmocka_unit_test(test_waiting_the_advertised_time_is_enough),
		cmocka_unit_test(test_the_advertised_wait_is_not_longer_than_needed),
		cmocka_unit_test(test_different_keys_are_independent),
		cmocka_unit_test(test_many_distinct_keys_never_refuse_a_fresh_key),
		cmocka_unit_test(test_long_keys_are_limited_like_short_ones),
		cmocka_unit_test(test_check_limits_a_public_route_per_ip),
		cmocka_unit_test(test_check_limits_a_login_per_account_whatever_the_case),
		cmocka_unit_test(test_check_limits_a_login_per_account_whatever_the_spacing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
