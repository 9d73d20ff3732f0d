/* throttle.c: the decisions of identity's throttles and PIN lockouts, at
 * explicit times (issue 18 findings 1 and 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "throttle.h"

#define S(x) ((int64_t)(x)*1000000)

static idn_limits
small(void)
{
	idn_limits l;

	idn_limits_defaults(&l);
	l.lockout_s = 60;
	l.lockout_max_s = 240;
	return l;
}

static void
test_limits_parse(void **state)
{
	idn_limit r = {0};
	int64_t locks[IDN_PIN_LOCK_LEVELS] = {7, 7, 7};
	static const char *const bad[] = {"0/60",  "3/0",      "3",	"/60",
					  "3/60x", "3/604801", "-1/60", ""};
	static const char *const bad_locks[] = {"1,2",	 "1,2,3,4", "3,2,1", "1,,3",
						"0,1,2", "a,b,c",   ""};

	assert_int_equal(idn_limit_parse(&r, "10/900"), 0);
	assert_int_equal(r.max, 10);
	assert_int_equal(r.window_s, 900);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (idn_limit_parse(&r, bad[i]) == 0)
			fail_msg("limit '%s' was accepted", bad[i]);
	assert_int_equal(idn_pin_locks_parse(locks, "60,120,600"), 0);
	assert_int_equal(locks[2], 600);
	for (size_t i = 0; i < sizeof(bad_locks) / sizeof(bad_locks[0]); i++) {
		if (idn_pin_locks_parse(locks, bad_locks[i]) == 0)
			fail_msg("locks '%s' were accepted", bad_locks[i]);
		assert_int_equal(locks[0], 60); /* untouched */
	}
}

static void
test_throttle_locks_past_the_limit_and_grows(void **state)
{
	idn_limits l = small();
	idn_limit rule = {3, 600};
	idn_throttle t = {0};
	int64_t wait = -1, now = S(1000);
	static const int64_t locks[] = {60, 120, 240, 240};

	for (size_t round = 0; round < 4; round++) {
		for (int i = 0; i < 3; i++)
			assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, now),
					 IDN_THROTTLE_PASS);
		assert_int_equal(wait, 0);
		assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, now),
				 IDN_THROTTLE_LOCKED_NOW);
		assert_int_equal(wait, locks[round]);
		now += S(1);
		assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, now), IDN_THROTTLE_LOCKED);
		assert_int_equal(wait, locks[round] - 1);
		now += S(locks[round]);
	}
	/* Quiet for the longest lock after the last one: forgiven. */
	now += S(240);
	for (int i = 0; i < 3; i++)
		(void)idn_throttle_take(&wait, &t, &rule, &l, now);
	assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, now), IDN_THROTTLE_LOCKED_NOW);
	assert_int_equal(wait, 60);
}

static void
test_throttle_window_and_settling(void **state)
{
	idn_limits l = small();
	idn_limit rule = {2, 600};
	idn_throttle t = {0};
	int64_t wait = 0;

	assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, S(10)), IDN_THROTTLE_PASS);
	assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, S(20)), IDN_THROTTLE_PASS);
	/* A new window forgets the old attempts. */
	assert_int_equal(idn_throttle_take(&wait, &t, &rule, &l, S(610)), IDN_THROTTLE_PASS);
	assert_int_equal(t.attempts, 1);
	/* An address gets one attempt back, an account forgets its run. */
	idn_throttle_settle(&t, IDN_LIMIT_LOGIN_ADDR);
	assert_int_equal(t.attempts, 0);
	idn_throttle_settle(&t, IDN_LIMIT_LOGIN_ADDR);
	assert_int_equal(t.attempts, 0);
	t.attempts = 2;
	idn_throttle_settle(&t, IDN_LIMIT_LOGIN_ACCOUNT);
	assert_int_equal(t.attempts, 0);
	assert_int_equal(idn_throttle_forget_at(&t, &rule, &l), S(610 + 600));
}

static void
test_addresses_key_ipv6_by_slash_64(void **state)
{
	char key[IDN_ADDR_KEY_MAX];

	idn_addr_key(key, "203.0.113.7");
	assert_string_equal(key, "203.0.113.7");
	idn_addr_key(key, "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
	assert_string_equal(key, "2001:db8:1:2::/64");
	idn_addr_key(key, "2001:db8:1:2::9");
	assert_string_equal(key, "2001:db8:1:2::/64");
	idn_addr_key(key, "::ffff:198.51.100.4");
	assert_string_equal(key, "198.51.100.4");
	idn_addr_key(key, "");
	assert_string_equal(key, "");
}

static void
test_pin_locks_grow_within_a_day(void **state)
{
	idn_limits l;
	idn_pin_lockout p = {0};
	int64_t now = S(5000);
	int left = -1;
	static const int64_t locks[] = {1800, 7200, 86400};

	idn_limits_defaults(&l);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++) {
			assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 0);
			assert_int_equal(left, 4 - i);
		}
		assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 1);
		assert_int_equal(p.locked_until_us, now + S(locks[round]));
		now = p.locked_until_us + S(1);
	}
	/* 24 h after the day's first wrong PIN: level one again. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 0);
	assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 1);
	assert_int_equal(p.locked_until_us, now + S(1800));
}

static void
test_pin_daily_cap(void **state)
{
	idn_limits l;
	idn_pin_lockout p = {0};
	int64_t start = S(100000), now = start;
	int left = -1;

	idn_limits_defaults(&l);
	for (int i = 0; i < 14; i++) {
		assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 0);
		if (i % 4 == 3)
			idn_pin_right(&p);
		now += S(60);
	}
	assert_int_equal(left, 1);
	assert_int_equal(idn_pin_wrong(&left, &p, &l, now), 1);
	assert_int_equal(p.locked_until_us, start + S(IDN_DAY_S));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_parse),
		cmocka_unit_test(test_throttle_locks_past_the_limit_and_grows),
		cmocka_unit_test(test_throttle_window_and_settling),
		cmocka_unit_test(test_addresses_key_ipv6_by_slash_64),
		cmocka_unit_test(test_pin_locks_grow_within_a_day),
		cmocka_unit_test(test_pin_daily_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
