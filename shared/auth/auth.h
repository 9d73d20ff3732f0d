/* auth: Ed25519 JWTs (alg EdDSA), signing keyrings and service tokens.
 *
 * Every service verifies a user's access token itself against the public
 * keys it is configured with (several at once, picked by `kid`, so keys
 * can rotate). Only identity signs. */
#ifndef KOLO_AUTH_H
#define KOLO_AUTH_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

#define AUTH_KID_MAX  64
#define AUTH_MAX_KEYS 8
#define AUTH_ID_MAX   64
#define AUTH_JWT_MAX  2048

typedef struct auth_key {
	char kid[AUTH_KID_MAX];
	unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
} auth_key;

/* The public keys a verifier accepts. Plain data: copy it freely. */
typedef struct auth_keyring {
	auth_key keys[AUTH_MAX_KEYS];
	size_t n_keys;
} auth_keyring;

typedef struct auth_claims {
	char sub[AUTH_ID_MAX]; /* user id */
	char jti[AUTH_ID_MAX];
	char sid[AUTH_ID_MAX]; /* session (refresh token) id; "" when absent */
	int64_t iat;
	int64_t exp;
} auth_claims;

/* Initialises libsodium once; ERR_INTERNAL if it cannot. */
KOLO_MUST_CHECK int auth_init(void);

/* Parses "kid:base64url(public key),kid2:..." (the format of
 * KOLO_JWT_PUBLIC_KEYS) into out. ERR_INVALID_ARGUMENT on a malformed
 * entry, a duplicate kid or more than AUTH_MAX_KEYS keys. */
KOLO_MUST_CHECK int auth_keyring_parse(auth_keyring *out, const char *spec);

/* Verifies a compact JWS: header alg EdDSA with a known kid, a valid
 * signature, claims sub/jti/iat/exp present, now < exp and iat not in the
 * future (60 s leeway); `sid` is optional. ERR_UNAUTHENTICATED (reason "invalid_token" or
 * "token_expired") on any failure; out is filled only on success. */
KOLO_MUST_CHECK int auth_jwt_verify(auth_claims *out, const auth_keyring *ring, const char *token,
				    int64_t now);

/* A verifier: a keyring plus a cache of tokens it has verified, so a
 * token's Ed25519 signature is checked once per process, not per call.
 * The cache maps the BLAKE2b-256 of the whole token to its claims; every
 * hit is still checked against exp and iat. Thread-safe. */
typedef struct auth_verifier auth_verifier;

/* A verifier of ring (copied) with room for cache_slots tokens (0: no
 * cache). Owned by the caller: auth_verifier_free(). */
auth_verifier *auth_verifier_new(const auth_keyring *ring, size_t cache_slots);
void auth_verifier_free(auth_verifier *v);

/* auth_jwt_verify() through the cache. */
KOLO_MUST_CHECK int auth_verifier_check(auth_verifier *v, auth_claims *out, const char *token,
					int64_t now);

/* The number of keys the verifier holds. */
size_t auth_verifier_keys(const auth_verifier *v);

/* Signs claims with secret_key (libsodium's 64-byte Ed25519 secret key)
 * under kid. *out is a NUL-terminated token owned by the caller (free()). */
KOLO_MUST_CHECK int auth_jwt_sign(char **out, const char *kid, const unsigned char *secret_key,
				  const auth_claims *claims);

/* base64url without padding. auth_b64url_encode writes a NUL-terminated
 * string into out (cap >= auth_b64url_len(n) + 1). auth_b64url_decode
 * returns 0 and the byte count in *out_len, or ERR_INVALID_ARGUMENT. */
size_t auth_b64url_len(size_t n);
KOLO_MUST_CHECK int auth_b64url_encode(char *out, size_t cap, const unsigned char *bin, size_t n);
KOLO_MUST_CHECK int auth_b64url_decode(unsigned char *out, size_t cap, size_t *out_len,
				       const char *text, size_t text_len);

/* Room for a token of AUTH_TOKEN_BYTES random bytes in base64url. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_TEXT	 44

/* A new random token: 32 bytes from the system CSPRNG, base64url. */
void auth_random_token(char out[AUTH_TOKEN_TEXT]);

/* 1 when the secrets are equal: lengths first, then a constant-time
 * compare of the bytes. */
int auth_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* *token: the credential of an Authorization header value of the Bearer
 * scheme (RFC 6750), the scheme matched in any case (RFC 7235). Fails
 * UNAUTHENTICATED `missing_token` for no header or no credential,
 * `unsupported_auth_scheme` for another scheme (Basic, Token...). */
int auth_bearer_token(const char **token, const char *header) KOLO_MUST_CHECK;

#endif
