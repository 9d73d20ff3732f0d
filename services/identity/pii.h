/* pii: identity numbers (BVN, NIN) at rest (DESIGN §14).
 *
 * A number is sealed with XChaCha20-Poly1305 (libsodium AEAD) under the
 * current key of a keyring, the user id as associated data (a sealed
 * number copied to another user's row does not open), and a fresh random
 * nonce; the key's id is kept beside it so that older keys still open
 * what they sealed until kolo-pii-rotate re-seals it. A keyed BLAKE2b hash
 * (its own key: it must outlive rotations) finds a number used by another
 * user without opening anything. Keys and plaintexts are wiped after use.
 * No protobuf, no SQL. */
#ifndef KOLO_IDN_PII_H
#define KOLO_IDN_PII_H

#include <sodium.h>
#include <stddef.h>

#include "err/err.h"

#define IDN_PII_KEY_BYTES   crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define IDN_PII_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define IDN_PII_TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define IDN_PII_KID_MAX	    32
#define IDN_PII_KEYS_MAX    8
#define IDN_PII_PLAIN_MAX   32 /* an 11-digit number and then some */
#define IDN_PII_CIPHER_MAX  (IDN_PII_PLAIN_MAX + IDN_PII_TAG_BYTES)
#define IDN_PII_HASH_BYTES  32
#define IDN_PII_HASH_TEXT   (IDN_PII_HASH_BYTES * 2 + 1)

typedef struct idn_pii_key {
	char kid[IDN_PII_KID_MAX];
	unsigned char key[IDN_PII_KEY_BYTES];
} idn_pii_key;

/* keys[0] seals; every key opens what it sealed. */
typedef struct idn_pii_keyring {
	idn_pii_key keys[IDN_PII_KEYS_MAX];
	int n;
	unsigned char hash_key[crypto_generichash_KEYBYTES];
} idn_pii_keyring;

/* A sealed number: what the store keeps. */
typedef struct idn_pii_sealed {
	char kid[IDN_PII_KID_MAX];
	unsigned char nonce[IDN_PII_NONCE_BYTES];
	unsigned char cipher[IDN_PII_CIPHER_MAX];
	size_t cipher_len;
} idn_pii_sealed;

/* Builds a keyring from current ("kid:key"), old (a comma list of
 * "kid:key", may be NULL or "") and hash_key ("key"); a key is 32 bytes in
 * base64, base64url or hex. ERR_INVALID_ARGUMENT "bad_config" naming the
 * variable when one is malformed, a kid repeats or is empty. out is wiped
 * first; wipe it with idn_pii_keyring_wipe(). */
KOLO_MUST_CHECK int idn_pii_keyring_parse(idn_pii_keyring *out, const char *current,
					  const char *old, const char *hash_key);
void idn_pii_keyring_wipe(idn_pii_keyring *ring);

/* Seals plain (NUL-terminated, < IDN_PII_PLAIN_MAX) for user_id under the
 * current key. ERR_INVALID_ARGUMENT when plain is too long. */
KOLO_MUST_CHECK int idn_pii_seal(idn_pii_sealed *out, const idn_pii_keyring *ring,
				 const char *user_id, const char *plain);

/* Opens a sealed number of user_id into plain (cap >= IDN_PII_PLAIN_MAX);
 * ERR_FAILED_PRECONDITION "pii_key_unknown" when no key has its kid,
 * ERR_INTERNAL "pii_corrupt" when it does not open. Wipe plain after use. */
KOLO_MUST_CHECK int idn_pii_open(char *plain, size_t cap, const idn_pii_keyring *ring,
				 const char *user_id, const idn_pii_sealed *in);

/* The keyed hash of (id_type, number) as lower-case hex. */
void idn_pii_hash(char out[IDN_PII_HASH_TEXT], const idn_pii_keyring *ring, const char *id_type,
		  const char *number);

#endif
