/* wdr_names_match: the beneficiary name check a payout depends on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "withdrawals.h"

static void
test_same_words_in_any_order_and_case_match(void **state)
{
	(void)state;
	assert_true(wdr_names_match("Ada Obi", "OBI ADA"));
	assert_true(wdr_names_match("ada  obi-nwosu", "ADA OBI NWOSU"));
	assert_true(wdr_names_match("Ada Obi", "ADA CHIOMA OBI"));
}

static void
test_different_names_do_not_match(void **state)
{
	(void)state;
	assert_false(wdr_names_match("Ada Obi", "ADA EZE"));
	assert_false(wdr_names_match("Obi", "ADA OBI"));
	/* A surname said twice is still a lone surname. */
	assert_false(wdr_names_match("Obi Obi", "CHIOMA OBI"));
	assert_false(wdr_names_match("Chioma Obi", "OBI OBI"));
	assert_false(wdr_names_match("", "ADA OBI"));
	assert_false(wdr_names_match("A. O.", "ADA OBI"));
}

/* More words than are compared: no write past the word table (ASan and
 * valgrind watch), and only the first sixteen words count. */
static void
test_names_with_many_words_are_cut_safely(void **state)
{
	char many[4096] = "", long_word[200];

	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(many, i % 2 ? "AA " : "BB ");
	assert_true(wdr_names_match(many, many));
	assert_true(wdr_names_match(many, "aa bb"));
	assert_false(wdr_names_match(many, "ADA OBI"));
	/* An over-long word is cut, not written past its slot. */
	memset(long_word, 'C', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_true(wdr_names_match(long_word, long_word));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_words_in_any_order_and_case_match),
		cmocka_unit_test(test_different_names_do_not_match),
		cmocka_unit_test(test_names_with_many_words_are_cut_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
