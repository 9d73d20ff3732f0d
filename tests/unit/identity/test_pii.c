/* pii.c and kyc.c: sealing identity numbers, the keyed hash, key rings
 * for rotation, and the KYC rules (input, the provider's answer against
 * the account's name). No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kyc.h"
#include "pii.h"

#define K1    "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2    "k2:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e10"
#define HASH  "8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8"
#define USER  "0c6f3d52-3a55-4e0e-9d2e-1f3c5a7b9d11"
#define OTHER "5b1e9a0c-7d44-4f6a-8e2b-3c9d1a7f6e22"

static void
test_pii_seal_opens_only_for_its_user(void **state)
{
	idn_pii_keyring ring;
	idn_pii_sealed sealed;
	char plain[IDN_PII_PLAIN_MAX];

	(void)state;
	assert_int_equal(idn_pii_keyring_parse(&ring, K1, "", HASH), 0);
	assert_int_equal(idn_pii_seal(&sealed, &ring, USER, "22123456789"), 0);
	assert_string_equal(sealed.kid, "k1");
	assert_null(memmem(sealed.cipher, sealed.cipher_len, "22123456789", 11));
	assert_int_equal(idn_pii_open(plain, sizeof(plain), &ring, USER, &sealed), 0);
	assert_string_equal(plain, "22123456789");
	/* Copied to another user's row, it does not open. */
	assert_int_equal(idn_pii_open(plain, sizeof(plain), &ring, OTHER, &sealed), ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "pii_corrupt");
	sealed.cipher[0] ^= 1;
	assert_int_equal(idn_pii_open(plain, sizeof(plain), &ring, USER, &sealed), ERR_INTERNAL);
	idn_pii_keyring_wipe(&ring);
}

static void
test_pii_old_keys_open_what_they_sealed(void **state)
{
	idn_pii_keyring old_ring, new_ring, without;
	idn_pii_sealed sealed;
	char plain[IDN_PII_PLAIN_MAX];

	(void)state;
	assert_int_equal(idn_pii_keyring_parse(&old_ring, K1, NULL, HASH), 0);
	assert_int_equal(idn_pii_keyring_parse(&new_ring, K2, K1, HASH), 0);
	assert_int_equal(idn_pii_keyring_parse(&without, K2, "", HASH), 0);
	assert_int_equal(idn_pii_seal(&sealed, &old_ring, USER, "12345678901"), 0);
	assert_int_equal(idn_pii_open(plain, sizeof(plain), &new_ring, USER, &sealed), 0);
	assert_string_equal(plain, "12345678901");
	assert_int_equal(idn_pii_open(plain, sizeof(plain), &without, USER, &sealed),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "pii_key_unknown");
	/* New seals use the current key. */
	assert_int_equal(idn_pii_seal(&sealed, &new_ring, USER, "12345678901"), 0);
	assert_string_equal(sealed.kid, "k2");
}

static void
test_pii_keyring_refuses_bad_keys(void **state)
{
	idn_pii_keyring ring;

	(void)state;
	assert_int_equal(idn_pii_keyring_parse(&ring, "nokid", "", HASH), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_pii_keyring_parse(&ring, "k1:c2hvcnQ=", "", HASH),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_pii_keyring_parse(&ring, K1, K1, HASH), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_pii_keyring_parse(&ring, K1, "", "short"), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
}

static void
test_pii_hash_is_keyed_and_stable_across_rotation(void **state)
{
	idn_pii_keyring a, b;
	char h1[IDN_PII_HASH_TEXT], h2[IDN_PII_HASH_TEXT], h3[IDN_PII_HASH_TEXT];

	(void)state;
	assert_int_equal(idn_pii_keyring_parse(&a, K1, "", HASH), 0);
	assert_int_equal(idn_pii_keyring_parse(&b, K2, K1, HASH), 0);
	idn_pii_hash(h1, &a, "bvn", "12345678901");
	idn_pii_hash(h2, &b, "bvn", "12345678901");
	idn_pii_hash(h3, &a, "nin", "12345678901");
	assert_string_equal(h1, h2);
	assert_string_not_equal(h1, h3);
	assert_null(strstr(h1, "12345678901"));
}

static void
test_kyc_input_is_an_id_type_and_11_digits(void **state)
{
	(void)state;
	assert_int_equal(idn_kyc_check_input("bvn", "12345678901"), 0);
	assert_int_equal(idn_kyc_check_input("nin", "00000000000"), 0);
	assert_int_equal(idn_kyc_check_input("bvn", "1234567890"), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id_number");
	assert_null(strstr(err_last()->message, "1234567890"));
	assert_int_equal(idn_kyc_check_input("bvn", "123456789012"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_kyc_check_input("bvn", "1234567890x"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_kyc_check_input("bvn", " 2345678901"), ERR_INVALID_ARGUMENT);
	assert_int_equal(idn_kyc_check_input("tin", "12345678901"), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id_type");
	assert_int_equal(idn_kyc_check_input(NULL, NULL), ERR_INVALID_ARGUMENT);
}

static void
test_kyc_decide_uses_the_beneficiary_name_rule(void **state)
{
	const char *reason = NULL;

	(void)state;
	assert_int_equal(idn_kyc_decide(&reason, "verified", "EZE NGOZI A.", "Ngozi Eze"),
			 IDN_KYC_VERIFIED);
	assert_null(reason);
	assert_int_equal(idn_kyc_decide(&reason, "verified", "Chidi Okafor", "Ngozi Eze"),
			 IDN_KYC_FAILED);
	assert_string_equal(reason, "kyc_name_mismatch");
	assert_int_equal(idn_kyc_decide(&reason, "verified", "", "Ngozi Eze"), IDN_KYC_FAILED);
	assert_int_equal(idn_kyc_decide(&reason, "failed", "", "Ngozi Eze"), IDN_KYC_FAILED);
	assert_string_equal(reason, "kyc_rejected");
	assert_int_equal(idn_kyc_decide(&reason, "pending", "", "Ngozi Eze"), IDN_KYC_PENDING);
	assert_null(reason);
	assert_int_equal(idn_kyc_decide(&reason, "odd", "", "Ngozi Eze"), IDN_KYC_PENDING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pii_seal_opens_only_for_its_user),
		cmocka_unit_test(test_pii_old_keys_open_what_they_sealed),
		cmocka_unit_test(test_pii_keyring_refuses_bad_keys),
		cmocka_unit_test(test_pii_hash_is_keyed_and_stable_across_rotation),
		cmocka_unit_test(test_kyc_input_is_an_id_type_and_11_digits),
		cmocka_unit_test(test_kyc_decide_uses_the_beneficiary_name_rule),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
