/* kolo-pii-rotate: re-seals every stored BVN/NIN under the current PII key.
 *
 * Rotation: generate a new key, set KOLO_PII_KEY to it and move the old
 * one into KOLO_PII_OLD_KEYS (identity then seals with the new key and
 * still opens the old rows), run this command, then drop the old key.
 * KOLO_PII_HASH_KEY never rotates (the "already used" hash depends on it).
 *
 * Environment: KOLO_PII_KEY, KOLO_PII_OLD_KEYS, KOLO_PII_HASH_KEY as for
 * kolo-identity, and KOLO_IDENTITY_DATABASE_URL (the identity role).
 * Exit 0 when done, 1 on failure, 2 on bad configuration. Never prints a
 * number or a key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "rotate.h"

static const char *
main_env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

int
main(int argc, char **argv)
{
	const char *key = main_env("KOLO_PII_KEY"), *hash = main_env("KOLO_PII_HASH_KEY");
	const char *url = main_env("KOLO_IDENTITY_DATABASE_URL");
	idn_pii_keyring ring;
	char kid[IDN_PII_KID_MAX];
	db_conn *c = NULL;
	long resealed = 0;
	int rc;

	(void)argv;
	if (argc != 1 || !key || !hash || !url) {
		fputs("usage: kolo-pii-rotate (environment: KOLO_PII_KEY, "
		      "KOLO_PII_OLD_KEYS,"
		      " KOLO_PII_HASH_KEY, KOLO_IDENTITY_DATABASE_URL)\n",
		      stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (idn_pii_keyring_parse(&ring, key, getenv("KOLO_PII_OLD_KEYS"), hash) < 0) {
		fprintf(stderr, "kolo-pii-rotate: %s\n", err_last()->message);
		return 2;
	}
	snprintf(kid, sizeof(kid), "%s", ring.keys[0].kid);
	rc = db_connect(&c, url);
	if (rc == 0)
		rc = idn_pii_rotate(&resealed, c, &ring);
	idn_pii_keyring_wipe(&ring);
	db_close(c);
	if (rc < 0) {
		fprintf(stderr, "kolo-pii-rotate: %s [%s] after %ld re-sealed\n",
			err_last()->message, err_last()->reason, resealed);
		return 1;
	}
	printf("kolo-pii-rotate: %ld numbers re-sealed under %s\n", resealed, kid);
	return 0;
}
