#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "log/log.h"

static void
test_json_string_escapes_quotes_and_controls(void **state)
{
	char buf[128];
	size_t len = 0;
	json_t *parsed;

	buf[0] = '\0';
	log_json_string(buf, sizeof(buf), &len, "a\"b\\c\nd\x01");
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u000ad\\u0001\"");
	parsed = json_loads(buf, JSON_DECODE_ANY, NULL);
	assert_non_null(parsed);
	assert_string_equal(json_string_value(parsed), "a\"b\\c\nd\x01");
	json_decref(parsed);
}

static void
test_json_string_stops_at_capacity(void **state)
{
	char buf[8];
	size_t len = 0;

	buf[0] = '\0';
	log_json_string(buf, sizeof(buf), &len, "0123456789");
	assert_int_equal(len, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void
test_level_parse(void **state)
{
	assert_int_equal(log_level_parse("warn"), LOG_LVL_WARN);
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("loud"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_string_escapes_quotes_and_controls),
		cmocka_unit_test(test_json_string_stops_at_capacity),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
