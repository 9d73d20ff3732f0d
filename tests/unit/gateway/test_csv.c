#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw.h"

static void
expect_field(const char *in, const char *want)
{
	char out[128];
	size_t len = 0;

	out[0] = '\0';
	assert_int_equal(gw_csv_field(out, sizeof(out), &len, in), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
}

static void
test_fields_are_quoted_only_when_needed(void **state)
{
	expect_field("plain", "plain");
	expect_field("", "");
	expect_field("a,b", "\"a,b\"");
	expect_field("say \"hi\"", "\"say \"\"hi\"\"\"");
	expect_field("two\nlines", "\"two\nlines\"");
	expect_field("cr\rhere", "\"cr\rhere\"");
	expect_field("Ẹgbẹ́ ₦", "Ẹgbẹ́ ₦");
}

static void
test_a_field_that_does_not_fit_is_refused_whole(void **state)
{
	char out[8];
	size_t len = 0;

	out[0] = '\0';
	assert_int_equal(gw_csv_field(out, sizeof(out), &len, "abc"), 0);
	assert_int_equal(gw_csv_field(out, sizeof(out), &len, "a\"b\"c"), -1);
	assert_int_equal(len, 3);
	assert_string_equal(out, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_are_quoted_only_when_needed),
		cmocka_unit_test(test_a_field_that_does_not_fit_is_refused_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
