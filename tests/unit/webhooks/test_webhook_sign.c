/* services/events/webhook_sign.c: Kolo-Signature, made and checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webhook_sign.h"

#define BODY "{\"id\":\"e1\"}"
/* python3: hmac.new(b"whsec_test", b"1700000000." + BODY, sha256).hexdigest()
 */
#define MAC "6a85cb117c993612a34c72b4cfb5a16baed25a80d26e298ce0e6671320fd07c8"

static void
test_the_signature_is_hmac_sha256_of_t_dot_body(void **state)
{
	char sig[WHK_SIGNATURE_MAX];

	(void)state;
	whk_sign(sig, "whsec_test", 1700000000, BODY, strlen(BODY));
	assert_string_equal(sig, "t=1700000000,v1=" MAC);
}

static void
test_verify_takes_only_the_right_body_key_and_time(void **state)
{
	const char *good = "t=1700000000,v1=" MAC;

	(void)state;
	assert_true(whk_verify(good, "whsec_test", BODY, strlen(BODY), 1700000000, 300));
	assert_true(whk_verify(good, "whsec_test", BODY, strlen(BODY), 1700000300, 300));
	assert_true(whk_verify(good, "whsec_test", BODY, strlen(BODY), 1699999700, 300));
	/* Too old, or from the future: a replay or a wrong clock. */
	assert_false(whk_verify(good, "whsec_test", BODY, strlen(BODY), 1700000301, 300));
	assert_false(whk_verify(good, "whsec_test", BODY, strlen(BODY), 1699999699, 300));
	/* Another key, another body, the body cut short. */
	assert_false(whk_verify(good, "whsec_other", BODY, strlen(BODY), 1700000000, 300));
	assert_false(
		whk_verify(good, "whsec_test", "{\"id\":\"e2\"}", strlen(BODY), 1700000000, 300));
	assert_false(whk_verify(good, "whsec_test", BODY, strlen(BODY) - 1, 1700000000, 300));
	/* Another t with the same mac. */
	assert_false(whk_verify("t=1700000001,v1=" MAC, "whsec_test", BODY, strlen(BODY),
				1700000000, 300));
}

static void
test_verify_reads_the_header_strictly(void **state)
{
	(void)state;
	/* Any of several v1 may match (a partner rotating keys sees two). */
	assert_true(whk_verify("t=1700000000,v1=00,v1=" MAC, "whsec_test", BODY, strlen(BODY),
			       1700000000, 300));
	assert_true(whk_verify("v1=" MAC ",t=1700000000", "whsec_test", BODY, strlen(BODY),
			       1700000000, 300));
	assert_false(whk_verify("v1=" MAC, "whsec_test", BODY, strlen(BODY), 1700000000, 300));
	assert_false(whk_verify("t=,v1=" MAC, "whsec_test", BODY, strlen(BODY), 1700000000, 300));
	assert_false(
		whk_verify("t=17x,v1=" MAC, "whsec_test", BODY, strlen(BODY), 1700000000, 300));
	assert_false(whk_verify("t=1700000000,v0=" MAC, "whsec_test", BODY, strlen(BODY),
				1700000000, 300));
	assert_false(whk_verify("t=1700000000,v1=" MAC "0", "whsec_test", BODY, strlen(BODY),
				1700000000, 300));
	assert_false(whk_verify("", "whsec_test", BODY, strlen(BODY), 1700000000, 300));
	assert_false(whk_verify(NULL, "whsec_test", BODY, strlen(BODY), 1700000000, 300));
}

static void
test_secrets_are_random_and_shaped(void **state)
{
	char a[WHK_SECRET_MAX], b[WHK_SECRET_MAX], sig[WHK_SIGNATURE_MAX];

	(void)state;
	whk_secret_new(a);
	whk_secret_new(b);
	assert_int_equal(strlen(a), WHK_SECRET_LEN);
	assert_memory_equal(a, WHK_SECRET_PREFIX, strlen(WHK_SECRET_PREFIX));
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_"),
			 43);
	whk_sign(sig, a, 1800000000, "{}", 2);
	assert_true(whk_verify(sig, a, "{}", 2, 1800000000, WHK_TOLERANCE_S));
	assert_false(whk_verify(sig, b, "{}", 2, 1800000000, WHK_TOLERANCE_S));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_signature_is_hmac_sha256_of_t_dot_body),
		cmocka_unit_test(test_verify_takes_only_the_right_body_key_and_time),
		cmocka_unit_test(test_verify_reads_the_header_strictly),
		cmocka_unit_test(test_secrets_are_random_and_shaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
