#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

static void
test_loads_values_and_fallbacks(void **state)
{
	const char *addr = NULL, *name = NULL;
	int64_t workers = 0;
	int flag = -1;
	const cfg_var vars[] = {
		{"KOLO_T_ADDR", CFG_ADDR, NULL, 0, 0, &addr},
		{"KOLO_T_NAME", CFG_STRING, "fallback", 0, 0, &name},
		{"KOLO_T_WORKERS", CFG_INT, "4", 1, 64, &workers},
		{"KOLO_T_FLAG", CFG_BOOL, "no", 0, 0, &flag},
	};

	setenv("KOLO_T_ADDR", "127.0.0.1:7103", 1);
	unsetenv("KOLO_T_NAME");
	setenv("KOLO_T_WORKERS", "16", 1);
	setenv("KOLO_T_FLAG", "true", 1);
	assert_int_equal(cfg_load(vars, 4), 0);
	assert_string_equal(addr, "127.0.0.1:7103");
	assert_string_equal(name, "fallback");
	assert_int_equal(workers, 16);
	assert_int_equal(flag, 1);
}

static void
expect_refused(const cfg_var *var, const char *value)
{
	setenv(var->name, value, 1);
	assert_int_equal(cfg_load(var, 1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
	assert_non_null(strstr(err_last()->message, var->name));
}

static void
test_malformed_values_name_the_variable(void **state)
{
	const char *addr = NULL;
	int64_t n = 0;
	int flag = 0;
	const cfg_var a = {"KOLO_T_ADDR", CFG_ADDR, NULL, 0, 0, &addr};
	const cfg_var i = {"KOLO_T_WORKERS", CFG_INT, NULL, 1, 64, &n};
	const cfg_var b = {"KOLO_T_FLAG", CFG_BOOL, NULL, 0, 0, &flag};
	const cfg_var f = {"KOLO_T_FILE", CFG_FILE, "", 0, 0, &addr};

	expect_refused(&a, "no-port");
	expect_refused(&a, "host:99999");
	expect_refused(&i, "65");
	expect_refused(&i, "12abc");
	expect_refused(&i, "");
	expect_refused(&b, "maybe");
	expect_refused(&f, "/nonexistent/kolo.pem");
}

static void
test_missing_required_variable_is_named(void **state)
{
	const char *url = NULL;
	const cfg_var v = {"KOLO_T_DATABASE_URL", CFG_STRING, NULL, 0, 0, &url};

	unsetenv("KOLO_T_DATABASE_URL");
	assert_int_equal(cfg_load(&v, 1), ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(err_last()->message, "KOLO_T_DATABASE_URL"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_values_and_fallbacks),
		cmocka_unit_test(test_malformed_values_name_the_variable),
		cmocka_unit_test(test_missing_required_variable_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
