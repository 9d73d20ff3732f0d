#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "money/money.h"

static int
parse(const char *text, int64_t *kobo)
{
	return money_parse_naira(text, strlen(text), kobo);
}

static void
assert_parses(const char *text, int64_t want)
{
	int64_t kobo = 0x5a5a;

	if (parse(text, &kobo) != 0)
		fail_msg("\"%s\" refused: %s", text, err_last()->reason);
	if (kobo != want)
		fail_msg("\"%s\" -> %lld, want %lld", text, (long long)kobo, (long long)want);
}

static void
assert_refused(const char *text, const char *reason)
{
	int64_t kobo = 0x5a5a;

	if (parse(text, &kobo) != ERR_INVALID_ARGUMENT)
		fail_msg("\"%s\" accepted as %lld", text, (long long)kobo);
	assert_int_equal(kobo, 0x5a5a);
	if (strcmp(err_last()->reason, reason) != 0)
		fail_msg("\"%s\": reason %s, want %s", text, err_last()->reason, reason);
}

static void
test_parse_naira_exact(void **state)
{
	assert_parses("0", 0);
	assert_parses("-0", 0);
	assert_parses("-0.00", 0);
	assert_parses("20", 2000);
	assert_parses("20.00", 2000);
	assert_parses("1500.75", 150075);
	assert_parses("1500.7", 150070);
	assert_parses("0.05", 5);
	assert_parses("0.5", 50);
	assert_parses("26.870", 2687);
	assert_parses("26.87000000000000000000000000", 2687);
	assert_parses("-1234.05", -123405);
	assert_parses("007.10", 710);
	/* 0.1 + 0.2 in a double is 0.30000000000000004. */
	assert_parses("0.30", 30);
	assert_parses("92233720368547758.07", INT64_MAX);
	assert_parses("-92233720368547758.07", -INT64_MAX);
	assert_parses("92233720368547758", 9223372036854775800);
}

static void
test_parse_naira_refuses_fractions_of_kobo(void **state)
{
	assert_refused("26.875", "not_whole_kobo");
	assert_refused("0.001", "not_whole_kobo");
	assert_refused("1.0000000000000000000001", "not_whole_kobo");
	assert_refused("-0.009", "not_whole_kobo");
}

static void
test_parse_naira_refuses_other_shapes(void **state)
{
	static const char *const bad[] = {
		"",	 "-",	".",   "1.",  ".5",    "-.5",	   "+1",
		" 1",	 "1 ",	"1e3", "1E3", "1.5e2", "0x10",	   "1,000",
		"1.2.3", "--1", "NaN", "inf", "12a",   "\xd9\xa1", /* ARABIC-INDIC DIGIT ONE */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i], "bad_amount");
}

static void
test_parse_naira_refuses_overflow(void **state)
{
	assert_refused("92233720368547758.08", "amount_too_large");
	assert_refused("-92233720368547758.08", "amount_too_large");
	assert_refused("92233720368547759", "amount_too_large");
	assert_refused("18446744073709551616", "amount_too_large");
	assert_refused("99999999999999999999999999999999999999", "amount_too_large");
}

static void
test_parse_naira_reads_only_len_bytes(void **state)
{
	int64_t kobo = 0;

	assert_int_equal(money_parse_naira("12.34xyz", 5, &kobo), 0);
	assert_int_equal(kobo, 1234);
	assert_int_equal(money_parse_naira("12.34xyz", 4, &kobo), 0);
	assert_int_equal(kobo, 1230);
	assert_int_equal(money_parse_naira(NULL, 0, &kobo), ERR_INVALID_ARGUMENT);
}

static void
test_kobo_text_round_trips(void **state)
{
	static const int64_t cases[] = {0, 1, 5, 50, 99, 100, 2000, 150075, 123456789, INT64_MAX};
	char text[MONEY_TEXT_MAX];

	assert_int_equal(money_kobo_text(text, 150075), 0);
	assert_string_equal(text, "1500.75");
	assert_int_equal(money_kobo_text(text, 2000), 0);
	assert_string_equal(text, "20.00");
	assert_int_equal(money_kobo_text(text, 5), 0);
	assert_string_equal(text, "0.05");
	assert_int_equal(money_kobo_text(text, INT64_MAX), 0);
	assert_string_equal(text, "92233720368547758.07");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t back = -1;

		assert_int_equal(money_kobo_text(text, cases[i]), 0);
		assert_int_equal(parse(text, &back), 0);
		assert_int_equal(back, cases[i]);
	}
	assert_int_equal(money_kobo_text(text, -1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "negative_amount");
	assert_int_equal(money_kobo_text(text, INT64_MIN), ERR_INVALID_ARGUMENT);
}

static void
assert_amount_refused(int64_t kobo, int64_t max, const char *reason, const char *message)
{
	assert_int_equal(money_amount_check(kobo, max), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, reason);
	if (message)
		assert_string_equal(err_last()->message, message);
}

/* 1..25,000,000,000 kobo (₦250 m, DESIGN §14), the old integer bound far
 * inside it; past it a reason that says so and names the maximum. */
static void
test_amount_bound_is_250_million_naira(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(MONEY_MAX_KOBO, 25000000000LL);
	assert_int_equal(cfg_parse_int(&v, MONEY_MAX_KOBO_TEXT, 1, INT64_MAX), 0);
	assert_int_equal(v, MONEY_MAX_KOBO);
	assert_int_equal(money_max_kobo(), MONEY_MAX_KOBO);
	assert_int_equal(money_amount_check(1, money_max_kobo()), 0);
	assert_int_equal(money_amount_check(2147483648LL, money_max_kobo()), 0);
	assert_int_equal(money_amount_check(25000000000LL, money_max_kobo()), 0);
	assert_amount_refused(25000000001LL, money_max_kobo(), "amount_too_large",
			      "amount_kobo must be at most 25000000000 (NGN 250000000.00)");
	assert_amount_refused(INT64_MAX, money_max_kobo(), "amount_too_large", NULL);
	assert_amount_refused(0, money_max_kobo(), "invalid_amount",
			      "amount_kobo must be at least 1");
	assert_amount_refused(-1, money_max_kobo(), "invalid_amount", NULL);
	assert_amount_refused(INT64_MIN, money_max_kobo(), "invalid_amount", NULL);
}

/* The largest amount, and sums of many, as naira text and back. */
static void
test_large_amounts_as_naira(void **state)
{
	char text[MONEY_TEXT_MAX];

	(void)state;
	money_naira(text, MONEY_MAX_KOBO);
	assert_string_equal(text, "250000000.00");
	money_naira(text, -400 * MONEY_MAX_KOBO - 1);
	assert_string_equal(text, "-100000000000.01");
	money_naira(text, INT64_MIN);
	assert_string_equal(text, "-92233720368547758.08");
	assert_int_equal(money_kobo_text(text, MONEY_MAX_KOBO + 1), 0);
	assert_string_equal(text, "250000000.01");
	assert_parses("250000000.01", MONEY_MAX_KOBO + 1);
	assert_parses("250000000", MONEY_MAX_KOBO);
}

/* KOLO_MAX_AMOUNT_KOBO only lowers the bound; anything else is refused and
 * leaves the bound as it was. */
static void
test_amount_bound_only_lowers(void **state)
{
	(void)state;
	assert_int_equal(money_set_max_kobo(MONEY_MAX_KOBO + 1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
	assert_int_equal(money_set_max_kobo(0), ERR_INVALID_ARGUMENT);
	assert_int_equal(money_set_max_kobo(-5), ERR_INVALID_ARGUMENT);
	assert_int_equal(money_max_kobo(), MONEY_MAX_KOBO);
	assert_int_equal(money_set_max_kobo(100000), 0);
	assert_int_equal(money_max_kobo(), 100000);
	assert_int_equal(money_amount_check(100000, money_max_kobo()), 0);
	assert_amount_refused(100001, money_max_kobo(), "amount_too_large",
			      "amount_kobo must be at most 100000 (NGN 1000.00)");
	/* New money meets the lowered bound; money admitted before, only the
	 * hard maximum. */
	assert_int_equal(money_check_amount(100000), 0);
	assert_int_equal(money_check_amount(100001), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(money_check_admitted(100001), 0);
	assert_int_equal(money_check_admitted(MONEY_MAX_KOBO), 0);
	assert_int_equal(money_check_admitted(MONEY_MAX_KOBO + 1), ERR_INVALID_ARGUMENT);
	assert_int_equal(money_check_admitted(0), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_amount");
	assert_int_equal(money_set_max_kobo(MONEY_MAX_KOBO), 0);
	assert_int_equal(money_max_kobo(), MONEY_MAX_KOBO);
}

/* KOLO_MAX_AMOUNT_KOBO at start-up: unset is the maximum, a lower whole
 * number lowers the bound, anything else is refused naming the variable
 * and changes nothing. */
static void
test_amount_bound_from_the_environment(void **state)
{
	static const char *const refused[] = {"25000000001", "0", "-1", "1e9", "abc"};

	(void)state;
	assert_int_equal(unsetenv("KOLO_MAX_AMOUNT_KOBO"), 0);
	assert_int_equal(money_configure(), 0);
	assert_int_equal(money_max_kobo(), MONEY_MAX_KOBO);
	assert_int_equal(setenv("KOLO_MAX_AMOUNT_KOBO", "500000000", 1), 0);
	assert_int_equal(money_configure(), 0);
	assert_int_equal(money_max_kobo(), 500000000);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(setenv("KOLO_MAX_AMOUNT_KOBO", refused[i], 1), 0);
		assert_int_equal(money_configure(), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "bad_config");
		assert_non_null(strstr(err_last()->message, "KOLO_MAX_AMOUNT_KOBO"));
		assert_int_equal(money_max_kobo(), 500000000);
	}
	assert_int_equal(setenv("KOLO_MAX_AMOUNT_KOBO", "25000000000", 1), 0);
	assert_int_equal(money_configure(), 0);
	assert_int_equal(money_max_kobo(), MONEY_MAX_KOBO);
	assert_int_equal(unsetenv("KOLO_MAX_AMOUNT_KOBO"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_naira_exact),
		cmocka_unit_test(test_parse_naira_refuses_fractions_of_kobo),
		cmocka_unit_test(test_parse_naira_refuses_other_shapes),
		cmocka_unit_test(test_parse_naira_refuses_overflow),
		cmocka_unit_test(test_parse_naira_reads_only_len_bytes),
		cmocka_unit_test(test_kobo_text_round_trips),
		cmocka_unit_test(test_amount_bound_is_250_million_naira),
		cmocka_unit_test(test_amount_bound_only_lowers),
		cmocka_unit_test(test_large_amounts_as_naira),
		cmocka_unit_test(test_amount_bound_from_the_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
