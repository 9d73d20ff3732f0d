/* The email code and phone rules of contact.c; no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "contact.h"
#include "identity.h"

static idn_code_state
fresh(void)
{
	idn_code_state s = {.found = 1,
			    .email = "a@example.com",
			    .code_hash = "abcd",
			    .age_s = 10,
			    .sent_today = 1,
			    .oldest_today_age_s = 10};

	return s;
}

static void
test_send_once_a_minute_and_five_a_day(void **state)
{
	idn_code_state s = fresh();
	idn_code_state none = {.found = 0};
	int wait = 0;

	(void)state;
	assert_int_equal(idn_code_send_verdict(&wait, &none), IDN_SEND_OK);
	assert_int_equal(idn_code_send_verdict(&wait, &s), IDN_SEND_TOO_SOON);
	assert_int_equal(wait, 50);
	s.age_s = 60;
	assert_int_equal(idn_code_send_verdict(&wait, &s), IDN_SEND_OK);
	s.sent_today = 5;
	s.oldest_today_age_s = 3600;
	assert_int_equal(idn_code_send_verdict(&wait, &s), IDN_SEND_DAY_CAP);
	assert_int_equal(wait, 24 * 3600 - 3600);
}

static void
test_verify_verdicts(void **state)
{
	idn_code_state s = fresh();

	(void)state;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_RIGHT);
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abce"), IDN_VERIFY_WRONG);
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abc"), IDN_VERIFY_WRONG);
	assert_int_equal(idn_code_verify_verdict(&s, "b@example.com", "abcd"), IDN_VERIFY_NO_CODE);
	s.attempts = 4;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abce"),
			 IDN_VERIFY_WRONG_LAST);
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_RIGHT);
	s.attempts = 5;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_LOCKED);
	assert_false(idn_code_live(&s, "a@example.com"));
	s.attempts = 0;
	s.expired = 1;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_EXPIRED);
	assert_false(idn_code_live(&s, "a@example.com"));
	s.expired = 0;
	s.consumed = 1;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_NO_CODE);
	s.found = 0;
	assert_int_equal(idn_code_verify_verdict(&s, "a@example.com", "abcd"), IDN_VERIFY_NO_CODE);
}

static void
test_codes_are_six_digits(void **state)
{
	char code[IDN_CODE_TEXT];

	(void)state;
	for (int i = 0; i < 200; i++) {
		idn_code_new(code);
		assert_int_equal(strlen(code), 6);
		assert_int_equal(idn_code_check(code), 0);
	}
	assert_int_equal(idn_code_check("12345"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_code_check("1234567"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_code_check("12345x"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_code_check(""), ERR_INVALID_ARGUMENT);
}

static void
test_phones(void **state)
{
	static const char *const good[][2] = {
		{"+2348031234567", "+2348031234567"},	   {"08031234567", "+2348031234567"},
		{"0701-234-5678", "+2347012345678"},	   {"234 911 234 5678", "+2349112345678"},
		{"08101234567", "+2348101234567"},	   {"09081234567", "+2349081234567"},
		{" +234 803 123 4567 ", "+2348031234567"},
	};
	static const char *const bad[] = {
		"08001234567",
		"+2347112345678",
		"+2348231234567",
		"0803123456",
		"+2340803123456",
		"+23480312345678",
		"+1 202 555 0100",
		"",
		"+",
		"0803123456789012345678",
		"0803_123_4567",
		"+-",
	};
	mem_arena *a = mem_arena_new(0);
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(idn_normalize_phone(&out, a, good[i][0]), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (idn_normalize_phone(&out, a, bad[i]) != ERR_INVALID_ARGUMENT)
			fail_msg("accepted %s", bad[i]);
		assert_string_equal(err_last()->reason, "invalid_phone");
	}
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_once_a_minute_and_five_a_day),
		cmocka_unit_test(test_verify_verdicts),
		cmocka_unit_test(test_codes_are_six_digits),
		cmocka_unit_test(test_phones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
