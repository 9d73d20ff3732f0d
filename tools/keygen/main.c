/* kolo-keygen: makes an Ed25519 signing key for access tokens.
 *
 * Prints environment assignments: the key id, the private seed (identity
 * only) and the public key in the KOLO_JWT_PUBLIC_KEYS format (every
 * service). Used by scripts/run for a development key and by tests. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"

int
main(int argc, char **argv)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	char seed_text[64], pk_text[64], kid[AUTH_KID_MAX];
	int rc = 1;

	if (argc > 2 || (argc == 2 && strlen(argv[1]) >= sizeof(kid))) {
		fprintf(stderr, "usage: kolo-keygen [KID]\n");
		return 2;
	}
	if (auth_init() < 0)
		return 1;
	if (argc == 2)
		snprintf(kid, sizeof(kid), "%s", argv[1]);
	else
		snprintf(kid, sizeof(kid), "k%lld", (long long)time(NULL));
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	if (auth_b64url_encode(seed_text, sizeof(seed_text), seed, sizeof(seed)) < 0 ||
	    auth_b64url_encode(pk_text, sizeof(pk_text), pk, sizeof(pk)) < 0)
		goto out;
	printf("KOLO_JWT_KID=%s\n", kid);
	printf("KOLO_JWT_PRIVATE_KEY=%s\n", seed_text);
	printf("KOLO_JWT_PUBLIC_KEYS=%s:%s\n", kid, pk_text);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed_text, sizeof(seed_text));
	return rc;
}
