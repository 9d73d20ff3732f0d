#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err/err.h"

static void
test_codes_map_one_to_one_to_grpc(void **state)
{
	for (int status = 0; status <= 16; status++)
		assert_int_equal(err_to_grpc(err_from_grpc(status)), status);
	assert_int_equal(err_to_grpc(ERR_FAILED_PRECONDITION), 9);
	assert_int_equal(err_from_grpc(99), ERR_UNKNOWN);
	assert_int_equal(err_to_grpc((err_code)-40), 2);
}

static void
test_set_records_reason_and_message(void **state)
{
	int rc = err_set(ERR_FAILED_PRECONDITION, "insufficient_funds", "balance is %d kobo short",
			 250);

	assert_int_equal(rc, ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_string_equal(err_last()->message, "balance is 250 kobo short");
	err_set(ERR_NOT_FOUND, NULL, "x");
	assert_string_equal(err_last()->reason, "not_found");
	err_clear();
	assert_int_equal(err_last()->code, ERR_OK);
	assert_string_equal(err_last()->reason, "");
}

static void
test_long_message_is_truncated_not_overflowed(void **state)
{
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(ERR_INTERNAL, big, "%s", big);
	assert_int_equal(strlen(err_last()->message), ERR_MESSAGE_MAX - 1);
	assert_int_equal(strlen(err_last()->reason), ERR_REASON_MAX - 1);
}

static void
test_truncated_message_stays_valid_utf8(void **state)
{
	char text[1200] = "";

	/* 300 two-byte characters: the cut must not split one. */
	for (int i = 0; i < 300; i++)
		strcat(text, "\xc3\xa9");
	err_set(ERR_INVALID_ARGUMENT, NULL, "%s", text);
	assert_int_equal(strlen(err_last()->message) % 2, 0);
	assert_memory_equal(err_last()->message + strlen(err_last()->message) - 2, "\xc3\xa9", 2);
	/* Three-byte characters after one ASCII byte. */
	strcpy(text, "x");
	for (int i = 0; i < 300; i++)
		strcat(text, "\xe2\x82\xa6");
	err_set(ERR_INVALID_ARGUMENT, NULL, "%s", text);
	assert_int_equal((strlen(err_last()->message) - 1) % 3, 0);
}

/* err_set_meta: bounded pairs, a key set again replaced, cleared by err_set. */
static void
test_meta_is_bounded_and_cleared(void **state)
{
	char key[8];

	err_set(ERR_PERMISSION_DENIED, "pin_incorrect", "wrong PIN");
	assert_int_equal(err_set_meta("attempts_left", "3"), ERR_PERMISSION_DENIED);
	err_set_meta("attempts_left", "2");
	assert_int_equal(err_last()->n_meta, 1);
	assert_string_equal(err_meta_get(err_last(), "attempts_left"), "2");
	for (int i = 0; i < ERR_META_MAX + 2; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		err_set_meta(key, "v");
	}
	assert_int_equal(err_last()->n_meta, ERR_META_MAX);
	err_set_meta("key_of_far_more_than_thirty_two_characters", "v");
	assert_null(err_meta_get(err_last(), "key_of_far_more_than_thirty_two_characters"));
	err_set(ERR_NOT_FOUND, "group_not_found", "no group");
	assert_int_equal(err_last()->n_meta, 0);
	assert_null(err_meta_get(err_last(), "attempts_left"));
}

/* The catalogue (reasons.h): the defaults of every code are in it, with
 * their own code; a made-up reason is not. */
static void
test_catalogue_has_the_defaults(void **state)
{
	err_code code;
	int http;
	const char *meaning;

	for (int c = 1; c <= 16; c++) {
		assert_true(
			err_reason_find(err_default_reason((err_code)-c), &code, &http, &meaning));
		assert_int_equal(code, (err_code)-c);
		assert_true(meaning[0] != '\0');
	}
	assert_true(err_reason_find("invalid_id", &code, NULL, NULL));
	assert_int_equal(code, ERR_INVALID_ARGUMENT);
	assert_true(err_reason_find("body_too_large", NULL, &http, NULL));
	assert_int_equal(http, 413);
	assert_false(err_reason_find("invalid_group_id", NULL, NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_map_one_to_one_to_grpc),
		cmocka_unit_test(test_set_records_reason_and_message),
		cmocka_unit_test(test_long_message_is_truncated_not_overflowed),
		cmocka_unit_test(test_truncated_message_stays_valid_utf8),
		cmocka_unit_test(test_meta_is_bounded_and_cleared),
		cmocka_unit_test(test_catalogue_has_the_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
