/* The Idempotency-Key rule (shared/idem: idem_key_check), both fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "idem/idem.h"

/* A key of n copies of c. */
static const char *
key_of(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
assert_refused(const char *key, idem_key_field field, const char *reason)
{
	assert_int_equal(idem_key_check(key, field), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, reason);
}

/* request_id: 1..128 printable ASCII, space and punctuation too; "" is no
 * key. */
static void
test_request_id(void **state)
{
	char buf[IDEM_KEY_MAX + 2];

	(void)state;
	assert_int_equal(idem_key_check("", IDEM_KEY_REQUEST_ID), 0);
	assert_int_equal(idem_key_check(NULL, IDEM_KEY_REQUEST_ID), 0);
	assert_int_equal(idem_key_check("a b~!/\"{}", IDEM_KEY_REQUEST_ID), 0);
	assert_int_equal(idem_key_check(key_of(buf, IDEM_KEY_MAX, 'x'), IDEM_KEY_REQUEST_ID), 0);
	assert_refused(key_of(buf, IDEM_KEY_MAX + 1, 'x'), IDEM_KEY_REQUEST_ID,
		       "invalid_request_id");
	assert_string_equal(err_last()->message,
			    "request_id must be 1..128 printable ASCII characters");
	assert_refused("tab\there", IDEM_KEY_REQUEST_ID, "invalid_request_id");
	assert_refused("caf\xc3\xa9", IDEM_KEY_REQUEST_ID, "invalid_request_id");
	assert_refused("\x7f", IDEM_KEY_REQUEST_ID, "invalid_request_id");
}

/* client_ref: 1..100 of A-Z a-z 0-9 - _ . : (it becomes part of a ledger
 * reference); "" is no key. */
static void
test_client_ref(void **state)
{
	char buf[IDEM_CLIENT_REF_MAX + 2];

	(void)state;
	assert_int_equal(idem_key_check("", IDEM_KEY_CLIENT_REF), 0);
	assert_int_equal(idem_key_check(IDEM_CLIENT_REF_CHARS, IDEM_KEY_CLIENT_REF), 0);
	assert_int_equal(
		idem_key_check("0b7e6f0a-2c1d-4e8f-9a3b-5c6d7e8f9a0b", IDEM_KEY_CLIENT_REF), 0);
	assert_int_equal(idem_key_check(key_of(buf, IDEM_CLIENT_REF_MAX, 'k'), IDEM_KEY_CLIENT_REF),
			 0);
	assert_refused(key_of(buf, IDEM_CLIENT_REF_MAX + 1, 'k'), IDEM_KEY_CLIENT_REF,
		       "invalid_idempotency_key");
	assert_string_equal(err_last()->message,
			    "the Idempotency-Key is 1 to 100 of A-Z a-z 0-9 - _ . :");
	assert_refused("a b", IDEM_KEY_CLIENT_REF, "invalid_idempotency_key");
	assert_refused("a/b", IDEM_KEY_CLIENT_REF, "invalid_idempotency_key");
	assert_refused("caf\xc3\xa9", IDEM_KEY_CLIENT_REF, "invalid_idempotency_key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_client_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
