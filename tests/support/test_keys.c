#include "test_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
test_key_make(test_key *out, const char *kid)
{
	if (sodium_init() < 0)
		abort();
	snprintf(out->kid, sizeof(out->kid), "%s", kid);
	crypto_sign_keypair(out->pk, out->sk);
}

int
test_key_seeded(test_key *out, const char *kid, char *seed_text, size_t cap)
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	snprintf(out->kid, sizeof(out->kid), "%s", kid);
	crypto_sign_seed_keypair(out->pk, out->sk, seed);
	return auth_b64url_encode(seed_text, cap, seed, sizeof(seed)) < 0 ? -1 : 0;
}

void
test_keyring_add(auth_keyring *ring, const test_key *key)
{
	auth_key *k = &ring->keys[ring->n_keys++];

	snprintf(k->kid, sizeof(k->kid), "%s", key->kid);
	memcpy(k->public_key, key->pk, sizeof(k->public_key));
}

char *
test_token(const test_key *key, const char *sub, int64_t iat, int64_t exp)
{
	return test_token_sid(key, sub, "", iat, exp);
}

char *
test_token_sid(const test_key *key, const char *sub, const char *sid, int64_t iat, int64_t exp)
{
	auth_claims claims = {.iat = iat, .exp = exp};
	char *token = NULL;

	snprintf(claims.sub, sizeof(claims.sub), "%s", sub);
	snprintf(claims.sid, sizeof(claims.sid), "%s", sid);
	snprintf(claims.jti, sizeof(claims.jti), "jti-%lld", (long long)iat);
	if (auth_jwt_sign(&token, key->kid, key->sk, &claims) < 0)
		abort();
	return token;
}
