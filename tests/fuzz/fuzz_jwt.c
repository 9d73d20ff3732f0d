/* fuzz_jwt: auth_jwt_verify against a fixed keyring, two ways per input:
 *
 * 1. the input is the whole token (header, base64url, signature checks);
 *    the seed corpus holds tokens the ring accepts (made by fuzz_jwt_seed);
 * 2. the input is the claims JSON of a token this target signs with the
 *    ring's current key: a mutated token never carries a valid signature,
 *    so only this way do mutations reach the claims parser.
 *
 * Each token also goes through a fresh auth_verifier (what services call)
 * twice, a cache miss then a hit; both must answer as auth_jwt_verify. */
#include "fuzz.h"

#include <sodium.h>

#include "auth/auth.h"
#include "fuzz_jwt_key.h"

static auth_keyring fuzz_ring;
static unsigned char fuzz_current_sk[crypto_sign_SECRETKEYBYTES];

/* "kid:base64url(public key)" of one seed, appended to spec; its secret
 * key in sk. */
static void
fuzz_ring_entry(char *spec, size_t cap, unsigned char *sk, const char *kid, const char *seed_text)
{
	unsigned char seed[crypto_sign_SEEDBYTES] = {0};
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	char pk_text[64];
	size_t len = strlen(spec);

	memcpy(seed, seed_text, strlen(seed_text));
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    auth_b64url_encode(pk_text, sizeof(pk_text), pk, sizeof(pk)) < 0)
		abort();
	snprintf(spec + len, cap - len, "%s%s:%s", len ? "," : "", kid, pk_text);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char spec[256] = "";
	unsigned char previous_sk[crypto_sign_SECRETKEYBYTES];

	(void)argc;
	(void)argv;
	if (auth_init() < 0)
		abort();
	/* Through the parser services use, so the ring is the real thing. */
	fuzz_ring_entry(spec, sizeof(spec), fuzz_current_sk, FUZZ_JWT_KID_CURRENT,
			FUZZ_JWT_SEED_CURRENT);
	fuzz_ring_entry(spec, sizeof(spec), previous_sk, FUZZ_JWT_KID_PREVIOUS,
			FUZZ_JWT_SEED_PREVIOUS);
	sodium_memzero(previous_sk, sizeof(previous_sk));
	if (auth_keyring_parse(&fuzz_ring, spec) < 0 || fuzz_ring.n_keys != 2)
		abort();
	return 0;
}

static int
fuzz_claims_equal(const auth_claims *a, const auth_claims *b)
{
	return strcmp(a->sub, b->sub) == 0 && strcmp(a->jti, b->jti) == 0 &&
	       strcmp(a->sid, b->sid) == 0 && a->iat == b->iat && a->exp == b->exp;
}

/* Verifies token; checks what the result promises its caller and that the
 * cached verifier agrees, on its miss and on its hit. */
static void
fuzz_verify(const char *token)
{
	auth_claims claims, cached;
	char reason[ERR_REASON_MAX];
	auth_verifier *verifier;
	int rc;

	memset(&claims, 0xa5, sizeof(claims));
	rc = auth_jwt_verify(&claims, &fuzz_ring, token, FUZZ_JWT_NOW);
	if (rc == 0) {
		FUZZ_CHECK(strnlen(claims.sub, sizeof(claims.sub)) > 0);
		FUZZ_CHECK(strnlen(claims.sub, sizeof(claims.sub)) < sizeof(claims.sub));
		FUZZ_CHECK(strnlen(claims.jti, sizeof(claims.jti)) > 0);
		FUZZ_CHECK(strnlen(claims.jti, sizeof(claims.jti)) < sizeof(claims.jti));
		FUZZ_CHECK(strnlen(claims.sid, sizeof(claims.sid)) < sizeof(claims.sid));
		FUZZ_CHECK(claims.exp > FUZZ_JWT_NOW);
		FUZZ_CHECK(claims.iat <= FUZZ_JWT_NOW + 60);
	} else {
		FUZZ_CHECK(rc == ERR_UNAUTHENTICATED);
		FUZZ_CHECK(err_last()->code == ERR_UNAUTHENTICATED);
		snprintf(reason, sizeof(reason), "%s", err_last()->reason);
	}
	verifier = auth_verifier_new(&fuzz_ring, 4);
	for (int pass = 0; pass < 2; pass++) {
		memset(&cached, 0x5a, sizeof(cached));
		FUZZ_CHECK(auth_verifier_check(verifier, &cached, token, FUZZ_JWT_NOW) == rc);
		if (rc == 0)
			FUZZ_CHECK(fuzz_claims_equal(&cached, &claims));
		else
			FUZZ_CHECK(strcmp(err_last()->reason, reason) == 0);
	}
	auth_verifier_free(verifier);
}

/* header.base64url(claims).signature under the current key; 0 when the
 * claims are too long for a token. */
static int
fuzz_sign_claims(char *out, size_t cap, const uint8_t *claims, size_t size)
{
	static const char header[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\","
				     "\"kid\":\"" FUZZ_JWT_KID_CURRENT "\"}";
	unsigned char sig[crypto_sign_BYTES];
	size_t len;

	if (auth_b64url_len(sizeof(header) - 1) + auth_b64url_len(size) +
		    auth_b64url_len(sizeof(sig)) + 3 >
	    cap)
		return 0;
	if (auth_b64url_encode(out, cap, (const unsigned char *)header, sizeof(header) - 1) < 0)
		abort();
	len = strlen(out);
	out[len++] = '.';
	if (auth_b64url_encode(out + len, cap - len, claims, size) < 0)
		abort();
	len += strlen(out + len);
	crypto_sign_detached(sig, NULL, (const unsigned char *)out, len, fuzz_current_sk);
	out[len++] = '.';
	if (auth_b64url_encode(out + len, cap - len, sig, sizeof(sig)) < 0)
		abort();
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = fuzz_text(data, size);
	char signed_token[AUTH_JWT_MAX + 1];

	fuzz_verify(token);
	free(token);
	if (fuzz_sign_claims(signed_token, sizeof(signed_token), data, size))
		fuzz_verify(signed_token);
	return 0;
}
