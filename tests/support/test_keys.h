/* Ed25519 key pairs and tokens for tests. */
#ifndef KOLO_TEST_KEYS_H
#define KOLO_TEST_KEYS_H

#include <sodium.h>
#include <stdint.h>

#include "auth/auth.h"

typedef struct test_key {
	char kid[AUTH_KID_MAX];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
} test_key;

/* A fresh key pair named kid. */
void test_key_make(test_key *out, const char *kid);

/* A fresh key pair named kid made from a random seed, as production loads
 * its signing key: the seed's base64url text is written to seed_text (cap
 * bytes; 64 is enough). 0 or -1. */
KOLO_MUST_CHECK int test_key_seeded(test_key *out, const char *kid, char *seed_text, size_t cap);

/* Adds the key's public half to ring. */
void test_keyring_add(auth_keyring *ring, const test_key *key);

/* A signed token for sub, issued at iat and expiring at exp. The result
 * is owned by the caller (free()). */
char *test_token(const test_key *key, const char *sub, int64_t iat, int64_t exp);

/* test_token() naming session sid (the `sid` claim). */
char *test_token_sid(const test_key *key, const char *sub, const char *sid, int64_t iat,
		     int64_t exp);

#endif
