#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "text/text.h"

static void
test_uuid(void **state)
{
	assert_true(text_is_uuid("7d3c1f4e-0000-4000-8000-00000000000a"));
	assert_true(text_is_uuid("7D3C1F4E-0000-4000-8000-00000000000A"));
	assert_false(text_is_uuid("7d3c1f4e-0000-4000-8000-00000000000"));
	assert_false(text_is_uuid("7d3c1f4e-0000-4000-8000-00000000000ab"));
	assert_false(text_is_uuid("7d3c1f4e00000-4000-8000-00000000000a"));
	assert_false(text_is_uuid("7d3c1f4e-0000-4000-8000-00000000000g"));
	assert_false(text_is_uuid("' OR 1=1 --"));
	assert_false(text_is_uuid(""));
}

static void
test_uuid_canonical_is_lower_case(void **state)
{
	mem_arena *a = mem_arena_new(0);

	assert_string_equal(text_uuid_canonical(a, "7D3C1F4E-0000-4000-8000-00000000000A"),
			    "7d3c1f4e-0000-4000-8000-00000000000a");
	assert_string_equal(text_uuid_canonical(a, "7d3c1f4e-0000-4000-8000-00000000000a"),
			    "7d3c1f4e-0000-4000-8000-00000000000a");
	mem_arena_free(a);
}

static void
test_clean_text(void **state)
{
	assert_true(text_is_clean("Ẹgbẹ́ Ajo ₦"));
	assert_false(text_is_clean("tab\there"));
	assert_false(text_is_clean("line\nbreak"));
	assert_false(text_is_clean("bad \xc3\x28 utf8"));
	assert_false(text_is_clean("overlong \xe0\x80\xaf"));
	assert_false(text_is_clean("surrogate \xed\xa0\x80"));
}

static void
test_multiline(void **state)
{
	assert_true(text_is_multiline("line one\nline two\ttab\r\n"));
	assert_false(text_is_multiline("bell \a"));
	assert_false(text_is_multiline("bad \xc3\x28"));
}

static void
test_trim_and_sanitize(void **state)
{
	mem_arena *a = mem_arena_new(0);

	assert_string_equal(text_trim(a, "  x y \t\n"), "x y");
	assert_string_equal(text_trim(a, "   "), "");
	assert_string_equal(text_sanitize(a, "ok\r\nagent", 64), "ok??agent");
	assert_string_equal(text_sanitize(a, NULL, 8), "");
	/* Cut at a character boundary: "₦" is three bytes. */
	assert_string_equal(text_sanitize(a, "ab₦", 4), "ab");
	assert_string_equal(text_sanitize(a, "abcdef", 3), "abc");
	mem_arena_free(a);
}

static void
test_email_normal_form(void **state)
{
	mem_arena *a = mem_arena_new(0);

	assert_string_equal(text_email_normal(a, " V@x.NG"), "v@x.ng");
	assert_string_equal(text_email_normal(a, "v@x.ng \r\n"), "v@x.ng");
	assert_string_equal(text_email_normal(a, "\tV@X.ng"), "v@x.ng");
	/* Only ASCII letters change; inner text is kept as typed. */
	assert_string_equal(text_email_normal(a, "Ádá b@x"), "Ádá b@x");
	assert_string_equal(text_email_normal(a, "  "), "");
	mem_arena_free(a);
}

static void
test_pin(void **state)
{
	assert_true(text_is_pin("0000"));
	assert_true(text_is_pin("123456"));
	assert_false(text_is_pin("123"));
	assert_false(text_is_pin("1234567"));
	assert_false(text_is_pin("12 4"));
	assert_false(text_is_pin("١٢٣٤")); /* Arabic-Indic digits */
}

static void
test_rfc3339(void **state)
{
	(void)state;
	assert_true(text_is_rfc3339("2026-12-06T10:23:00Z"));
	assert_true(text_is_rfc3339("2026-12-06t10:23:00.123456z"));
	assert_true(text_is_rfc3339("2026-12-06T10:23:00+01:00"));
	assert_true(text_is_rfc3339("2024-02-29T23:59:60-05:30"));
	assert_true(text_is_rfc3339("2026-12-06T10:23:00.123456789Z"));
	assert_false(text_is_rfc3339("yesterday"));
	assert_false(text_is_rfc3339("now"));
	assert_false(text_is_rfc3339("epoch"));
	assert_false(text_is_rfc3339(""));
	/* PostgreSQL has no year 0: it would fail the query, not the input. */
	assert_false(text_is_rfc3339("0000-01-01T00:00:00Z"));
	assert_true(text_is_rfc3339("0001-01-01T00:00:00Z"));
	assert_false(text_is_rfc3339("2026-12-06"));
	assert_false(text_is_rfc3339("2026-12-06T10:23:00"));	    /* no offset */
	assert_false(text_is_rfc3339("2026-12-06 10:23:00Z"));	    /* space */
	assert_false(text_is_rfc3339("2026-12-06T10:23:00 01:00")); /* '+' lost in a query */
	assert_false(text_is_rfc3339("2025-02-29T00:00:00Z"));	    /* not a leap year */
	assert_false(text_is_rfc3339("1900-02-29T00:00:00Z"));
	assert_false(text_is_rfc3339("2026-13-01T00:00:00Z"));
	assert_false(text_is_rfc3339("2026-04-31T00:00:00Z"));
	assert_false(text_is_rfc3339("2026-12-06T24:00:00Z"));
	assert_false(text_is_rfc3339("2026-12-06T10:23:00.Z"));
	assert_false(text_is_rfc3339("2026-12-06T10:23:00.1234567890Z"));
	assert_false(text_is_rfc3339("2026-12-06T10:23:00Zjunk"));
	assert_false(text_is_rfc3339("2026-12-06T10:23:00+0100"));
	assert_false(text_is_rfc3339("+2026-12-06T10:23:00Z"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_uuid_canonical_is_lower_case),
		cmocka_unit_test(test_clean_text),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_trim_and_sanitize),
		cmocka_unit_test(test_email_normal_form),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
