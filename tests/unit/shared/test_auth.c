#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "test_keys.h"

#define NOW  1800000000LL
#define USER "0b6f3c7a-1111-4222-8333-444455556666"

static test_key k1, k2;

static int
setup(void **state)
{
	test_key_make(&k1, "2026-11a");
	test_key_make(&k2, "2026-11b");
	return auth_init();
}

static void
ring_of(auth_keyring *ring, const test_key *a, const test_key *b)
{
	ring->n_keys = 0;
	test_keyring_add(ring, a);
	if (b)
		test_keyring_add(ring, b);
}

static void
test_b64url_round_trip(void **state)
{
	unsigned char bin[40], back[40];
	char text[64];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 250);
	assert_int_equal(auth_b64url_encode(text, sizeof(text), bin, 40), 0);
	assert_null(strchr(text, '='));
	assert_null(strchr(text, '+'));
	assert_int_equal(auth_b64url_decode(back, sizeof(back), &n, text, strlen(text)), 0);
	assert_int_equal(n, 40);
	assert_memory_equal(bin, back, 40);
	assert_int_equal(auth_b64url_decode(back, sizeof(back), &n, "a+b/", 4),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(auth_b64url_encode(text, 10, bin, 40), ERR_INVALID_ARGUMENT);
}

static void
test_keyring_parse(void **state)
{
	char pk1[64], pk2[64], spec[256];
	auth_keyring ring;

	assert_int_equal(auth_b64url_encode(pk1, sizeof(pk1), k1.pk, 32), 0);
	assert_int_equal(auth_b64url_encode(pk2, sizeof(pk2), k2.pk, 32), 0);
	snprintf(spec, sizeof(spec), "a:%s,b:%s", pk1, pk2);
	assert_int_equal(auth_keyring_parse(&ring, spec), 0);
	assert_int_equal(ring.n_keys, 2);
	assert_string_equal(ring.keys[1].kid, "b");
	assert_memory_equal(ring.keys[1].public_key, k2.pk, 32);
	snprintf(spec, sizeof(spec), "a:%s,a:%s", pk1, pk2);
	assert_int_equal(auth_keyring_parse(&ring, spec), ERR_INVALID_ARGUMENT);
	assert_int_equal(auth_keyring_parse(&ring, "nokey"), ERR_INVALID_ARGUMENT);
	assert_int_equal(auth_keyring_parse(&ring, "a:short"), ERR_INVALID_ARGUMENT);
	assert_int_equal(auth_keyring_parse(&ring, ""), ERR_INVALID_ARGUMENT);
}

static void
test_sign_and_verify(void **state)
{
	auth_keyring ring;
	auth_claims claims;
	char *tok = test_token(&k2, USER, NOW, NOW + 900);

	ring_of(&ring, &k1, &k2);
	assert_int_equal(auth_jwt_verify(&claims, &ring, tok, NOW + 10), 0);
	assert_string_equal(claims.sub, USER);
	assert_int_equal(claims.exp, NOW + 900);
	/* exp is exclusive. */
	assert_int_equal(auth_jwt_verify(&claims, &ring, tok, NOW + 900), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "token_expired");
	/* Issued in the future beyond the leeway. */
	assert_int_equal(auth_jwt_verify(&claims, &ring, tok, NOW - 120), ERR_UNAUTHENTICATED);
	/* A ring without the signing key. */
	ring_of(&ring, &k1, NULL);
	assert_int_equal(auth_jwt_verify(&claims, &ring, tok, NOW + 10), ERR_UNAUTHENTICATED);
	free(tok);
}

static void
test_alg_none_and_garbage_are_refused(void **state)
{
	auth_keyring ring;
	auth_claims claims;
	char *tok = test_token(&k1, USER, NOW, NOW + 900);
	char forged[AUTH_JWT_MAX];
	/* {"alg":"none","kid":"2026-11a"} */
	const char *none_header = "eyJhbGciOiJub25lIiwia2lkIjoiMjAyNi0xMWEifQ";
	const char *bad[] = {"", ".", "..", "a.b.c", "a.b", "....", "eyJ9.eyJ9.AAAA"};

	ring_of(&ring, &k1, NULL);
	snprintf(forged, sizeof(forged), "%s%s", none_header, strchr(tok, '.'));
	assert_int_equal(auth_jwt_verify(&claims, &ring, forged, NOW), ERR_UNAUTHENTICATED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_jwt_verify(&claims, &ring, bad[i], NOW), ERR_UNAUTHENTICATED);
	free(tok);
}

static void
test_verifier_cache_still_enforces_expiry(void **state)
{
	auth_keyring ring;
	auth_claims claims;
	auth_verifier *v;
	char *tok = test_token(&k1, USER, NOW, NOW + 900);
	char *other = test_token(&k2, USER, NOW, NOW + 900);

	ring_of(&ring, &k1, NULL);
	v = auth_verifier_new(&ring, 8);
	assert_int_equal(auth_verifier_keys(v), 1);
	assert_int_equal(auth_verifier_check(v, &claims, tok, NOW + 1), 0);
	assert_string_equal(claims.sub, USER);
	/* The second time comes from the cache, with the same claims. */
	memset(&claims, 0, sizeof(claims));
	assert_int_equal(auth_verifier_check(v, &claims, tok, NOW + 2), 0);
	assert_string_equal(claims.sub, USER);
	assert_int_equal(auth_verifier_check(v, &claims, tok, NOW + 900), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "token_expired");
	/* A token of a key the ring lacks is never cached as good. */
	assert_int_equal(auth_verifier_check(v, &claims, other, NOW + 1), ERR_UNAUTHENTICATED);
	assert_int_equal(auth_verifier_check(v, &claims, other, NOW + 1), ERR_UNAUTHENTICATED);
	auth_verifier_free(v);
	free(tok);
	free(other);
}

static void
test_secret_equal(void **state)
{
	assert_true(auth_secret_equal("abc", 3, "abc", 3));
	assert_false(auth_secret_equal("abc", 3, "abd", 3));
	assert_false(auth_secret_equal("abc", 3, "abcd", 4));
	assert_false(auth_secret_equal("", 0, "", 0));
}

/* RFC 7235: the scheme is case-insensitive; another scheme says so. */
static void
test_bearer_scheme(void **state)
{
	const char *tok;

	assert_int_equal(auth_bearer_token(&tok, "Bearer abc"), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(auth_bearer_token(&tok, "bearer abc"), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(auth_bearer_token(&tok, "BEARER  abc"), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(auth_bearer_token(&tok, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "missing_token");
	assert_null(tok);
	assert_int_equal(auth_bearer_token(&tok, "Bearer "), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "missing_token");
	assert_int_equal(auth_bearer_token(&tok, ""), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "missing_token");
	assert_int_equal(auth_bearer_token(&tok, "Basic eHl6"), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "unsupported_auth_scheme");
	assert_int_equal(auth_bearer_token(&tok, "Token abc"), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "unsupported_auth_scheme");
	assert_int_equal(auth_bearer_token(&tok, "Bearerabc"), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "unsupported_auth_scheme");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_round_trip),
		cmocka_unit_test(test_keyring_parse),
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_alg_none_and_garbage_are_refused),
		cmocka_unit_test(test_verifier_cache_still_enforces_expiry),
		cmocka_unit_test(test_secret_equal),
		cmocka_unit_test(test_bearer_scheme),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
