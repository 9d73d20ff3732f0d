/* fuzz_jwt_seed: prints a token fuzz_jwt's keyring accepts, signed by
 * the current key (or the previous one with argument "previous"; with
 * "sid" it carries a session id). Regenerates corpus/fuzz_jwt/ seeds:
 *
 *   build-fuzz/tests/fuzz/fuzz_jwt_seed > tests/fuzz/corpus/fuzz_jwt/valid */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "fuzz_jwt_key.h"

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int previous = strcmp(mode, "previous") == 0;
	unsigned char seed[crypto_sign_SEEDBYTES] = {0};
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	const char *seed_text = previous ? FUZZ_JWT_SEED_PREVIOUS : FUZZ_JWT_SEED_CURRENT;
	auth_claims claims = {
		.sub = "0b6f7d8e-1c2a-4b3c-9d4e-5f6a7b8c9d0e",
		.jti = "5e0c9a1b-2d3e-4f50-8a6b-7c8d9e0f1a2b",
		.iat = FUZZ_JWT_NOW - 60,
		.exp = FUZZ_JWT_NOW + 900,
	};
	char *token = NULL;

	if (strcmp(mode, "sid") == 0)
		snprintf(claims.sid, sizeof(claims.sid), "%s",
			 "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
	memcpy(seed, seed_text, strlen(seed_text));
	if (auth_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    auth_jwt_sign(&token, previous ? FUZZ_JWT_KID_PREVIOUS : FUZZ_JWT_KID_CURRENT, sk,
			  &claims) < 0) {
		fprintf(stderr, "fuzz_jwt_seed: cannot sign\n");
		return 1;
	}
	sodium_memzero(sk, sizeof(sk));
	fputs(token, stdout);
	free(token);
	return 0;
}
