/* jsonnum: numbers found in JSON documents as the text they are written in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonnum/jsonnum.h"
#include "money/money.h"

/* The raw text at path, or NULL with *rc set on failure. */
static char *
number_at(const char *json, const char *const *path, size_t depth, int *rc)
{
	const char *start = NULL;
	size_t n = 0;
	char *out;

	*rc = jsonnum_find(&start, &n, json, strlen(json), path, depth);
	if (*rc != 0)
		return NULL;
	assert_non_null(start);
	assert_true(start >= json && start + n <= json + strlen(json));
	out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, start, n);
	out[n] = '\0';
	return out;
}

static void
assert_number(const char *json, const char *const *path, size_t depth, const char *want)
{
	int rc;
	char *got = number_at(json, path, depth, &rc);

	if (!got)
		fail_msg("%s: rc %d (%s)", json, rc, err_last()->reason);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", json, got, want);
	free(got);
}

static void
assert_number_fails(const char *json, const char *const *path, size_t depth, int want_rc,
		    const char *reason)
{
	int rc;
	char *got = number_at(json, path, depth, &rc);

	if (got)
		fail_msg("%s: found %s", json, got);
	if (rc != want_rc || strcmp(err_last()->reason, reason) != 0)
		fail_msg("%s: rc %d reason %s, want %d %s", json, rc, err_last()->reason, want_rc,
			 reason);
}

static const char *const data_amount[] = {"data", "amount"};

static void
test_finds_raw_text(void **state)
{
	static const char *const amount[] = {"amount"};
	static const char *const deep[] = {"a", "b", "c"};

	assert_number("{\"data\":{\"amount\":1500.75}}", data_amount, 2, "1500.75");
	assert_number(" {\n \"status\" : \"success\", \"data\" : { \"id\": 9, "
		      "\"amount\" : 26.875 , \"currency\":\"NGN\"} } \n",
		      data_amount, 2, "26.875");
	assert_number("{\"data\":{\"amount\":-0.5e+10}}", data_amount, 2, "-0.5e+10");
	assert_number("{\"data\":{\"amount\":12345678901234567890123}}", data_amount, 2,
		      "12345678901234567890123");
	/* Same-named keys elsewhere, nested deeper or in arrays, are not it. */
	assert_number("{\"amount\":1,\"x\":{\"data\":{\"amount\":2}},"
		      "\"list\":[{\"amount\":3},[[],{}]],\"data\":{\"meta\":"
		      "{\"amount\":4},\"amount\":5}}",
		      data_amount, 2, "5");
	assert_number("{\"amount\":0}", amount, 1, "0");
	assert_number("42", NULL, 0, "42");
	assert_number("{\"a\":{\"b\":{\"c\":-7}}}", deep, 3, "-7");
}

static void
test_decodes_keys(void **state)
{
	static const char *const path[] = {"d\xc3\xa9j\xc3\xa0", "am\"t"};
	static const char *const emoji[] = {"\xf0\x9f\x98\x80"};

	/* Escaped and raw spellings of the same key are the same key. */
	assert_number("{\"d\\u00e9j\\u00E0\":{\"am\\\"t\":1.5}}", path, 2, "1.5");
	assert_number("{\"d\xc3\xa9j\xc3\xa0\":{\"am\\u0022t\":1.5}}", path, 2, "1.5");
	assert_number("{\"\\ud83d\\ude00\":3}", emoji, 1, "3");
	assert_number("{\"\\\"data\\\\\":{\"amount\":1},\"data\":{\"amount\":2}}", data_amount, 2,
		      "2");
	assert_number("{\"dat\":{\"amount\":1},\"datax\":{\"amount\":3},"
		      "\"data\":{\"amount\":2}}",
		      data_amount, 2, "2");
	/* Strings holding look-alike text are skipped whole. */
	assert_number("{\"s\":\"},\\\"data\\\":{\\\"amount\\\":9}\",\"data\":"
		      "{\"amount\":2}}",
		      data_amount, 2, "2");
}

static void
test_missing_or_not_a_number(void **state)
{
	assert_number_fails("{\"data\":{\"amt\":1}}", data_amount, 2, ERR_NOT_FOUND,
			    "no_such_field");
	assert_number_fails("{\"data\":null}", data_amount, 2, ERR_NOT_FOUND, "no_such_field");
	assert_number_fails("{\"data\":[{\"amount\":1}]}", data_amount, 2, ERR_NOT_FOUND,
			    "no_such_field");
	assert_number_fails("{\"data\":{}}", data_amount, 2, ERR_NOT_FOUND, "no_such_field");
	assert_number_fails("[1]", data_amount, 2, ERR_NOT_FOUND, "no_such_field");
	assert_number_fails("{\"data\":{\"amount\":\"1500.75\"}}", data_amount, 2,
			    ERR_INVALID_ARGUMENT, "not_a_number");
	assert_number_fails("{\"data\":{\"amount\":null}}", data_amount, 2, ERR_INVALID_ARGUMENT,
			    "not_a_number");
	assert_number_fails("{\"data\":{\"amount\":{\"v\":1}}}", data_amount, 2,
			    ERR_INVALID_ARGUMENT, "not_a_number");
}

static void
test_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"{\"data\":{\"amount\":1}",
		"{\"data\":{\"amount\":1}}}",
		"{\"data\":{\"amount\":1}} x",
		"{\"data\":{\"amount\":01}}",
		"{\"data\":{\"amount\":1.}}",
		"{\"data\":{\"amount\":.5}}",
		"{\"data\":{\"amount\":+1}}",
		"{\"data\":{\"amount\":1e}}",
		"{\"data\":{\"amount\":-}}",
		"{\"data\":{\"amount\":1,}}",
		"{\"data\":{\"amount\" 1}}",
		"{\"data\":{amount:1}}",
		"{\"data\":{'amount':1}}",
		"{\"data\":{\"amount\":1 2}}",
		"{\"data\":{\"amount\":NaN}}",
		"{\"data\":{\"amount\":Infinity}}",
		"{\"data\":{\"amount\":tru}}",
		"{\"data\":{\"amount\":1]}",
		"{\"data\":[1,]}",
		"{\"data\":[1 2]}",
		"{\"data\":\"unterminated}}",
		"{\"data\":\"bad \\x escape\",\"x\":1}",
		"{\"data\":\"bad \\u12g4\"}",
		"{\"data\":\"lone \\udc00\"}",
		"{\"data\":\"lone \\ud800 x\"}",
		"{\"data\":\"raw\ttab\"}",
		"{\"data\":\"trailing backslash\\",
		/* A repeated key on the path: readers disagree on which wins. */
		"{\"data\":{\"amount\":1,\"amount\":2}}",
		"{\"data\":{\"amount\":1},\"data\":{\"amount\":2}}",
		"{\"data\":{\"amount\":1},\"d\\u0061ta\":{}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_number_fails(bad[i], data_amount, 2, ERR_INVALID_ARGUMENT, "bad_json");
}

static void
test_embedded_nul_is_malformed(void **state)
{
	const char json[] = "{\"data\":{\"amount\":1}}\0";
	const char in_string[] = "{\"data\":{\"a\0\":1}}";
	const char *start;
	size_t n;

	assert_int_equal(jsonnum_find(&start, &n, json, sizeof(json) - 1, data_amount, 2),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(jsonnum_find(&start, &n, in_string, sizeof(in_string) - 1, data_amount, 2),
			 ERR_INVALID_ARGUMENT);
	/* Only len bytes are read: a document cut short is malformed. */
	assert_int_equal(jsonnum_find(&start, &n, "{\"data\":{\"amount\":12}}", 21, data_amount, 2),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(jsonnum_find(&start, &n, "123456", 3, NULL, 0), 0);
	assert_int_equal(n, 3);
}

/* depth levels of {"data": ... } around an amount, or arrays. */
static char *
nested(size_t depth, int arrays)
{
	size_t cap = depth * 16 + 64, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (size_t i = 0; i < depth; i++)
		len += (size_t)snprintf(s + len, cap - len, arrays ? "[" : "{\"data\":");
	len += (size_t)snprintf(s + len, cap - len, "{\"amount\":1}");
	for (size_t i = 0; i < depth; i++)
		s[len++] = arrays ? ']' : '}';
	s[len] = '\0';
	return s;
}

static void
test_nesting_is_capped(void **state)
{
	static const char *path[JSONNUM_MAX_DEPTH + 2];
	char *ok = nested(JSONNUM_MAX_DEPTH - 1, 0);
	char *too_deep = nested(JSONNUM_MAX_DEPTH, 0);
	char *deep_arrays = nested(100000, 1);
	char *ok_arrays = nested(JSONNUM_MAX_DEPTH - 1, 1);
	const char *start;
	size_t n;

	for (size_t i = 0; i < JSONNUM_MAX_DEPTH - 1; i++)
		path[i] = "data";
	path[JSONNUM_MAX_DEPTH - 1] = "amount";
	assert_int_equal(jsonnum_find(&start, &n, ok, strlen(ok), path, JSONNUM_MAX_DEPTH), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
		jsonnum_find(&start, &n, too_deep, strlen(too_deep), path, JSONNUM_MAX_DEPTH),
		ERR_INVALID_ARGUMENT);
	assert_int_equal(jsonnum_find(&start, &n, deep_arrays, strlen(deep_arrays), data_amount, 2),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(jsonnum_find(&start, &n, ok_arrays, strlen(ok_arrays), data_amount, 2),
			 ERR_NOT_FOUND);
	free(ok);
	free(too_deep);
	free(deep_arrays);
	free(ok_arrays);
}

static void
test_found_text_parses_as_naira(void **state)
{
	static const char *const json =
		"{\"status\":\"success\",\"data\":{\"id\":1,\"amount\":1500.75}}";
	const char *start;
	size_t n;
	int64_t kobo;

	assert_int_equal(jsonnum_find(&start, &n, json, strlen(json), data_amount, 2), 0);
	assert_int_equal(money_parse_naira(start, n, &kobo), 0);
	assert_int_equal(kobo, 150075);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_raw_text),
		cmocka_unit_test(test_decodes_keys),
		cmocka_unit_test(test_missing_or_not_a_number),
		cmocka_unit_test(test_refuses_malformed),
		cmocka_unit_test(test_embedded_nul_is_malformed),
		cmocka_unit_test(test_nesting_is_capped),
		cmocka_unit_test(test_found_text_parses_as_naira),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
