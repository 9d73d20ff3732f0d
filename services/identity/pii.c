/* pii: sealing identity numbers (see pii.h). */
#include "pii.h"

#include <stdio.h>
#include <string.h>

static int
pii_bad(const char *var)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_config",
		       "%s must be kid:key with a 32-byte key in base64 or hex", var);
}

/* 32 bytes from base64, base64url (padded or not) or hex text. */
static int
pii_key_bytes(unsigned char out[IDN_PII_KEY_BYTES], const char *text, size_t len)
{
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	size_t n = 0;

	if (len == IDN_PII_KEY_BYTES * 2 &&
	    sodium_hex2bin(out, IDN_PII_KEY_BYTES, text, len, NULL, &n, NULL) == 0 &&
	    n == IDN_PII_KEY_BYTES)
		return 0;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (sodium_base642bin(out, IDN_PII_KEY_BYTES, text, len, NULL, &n, NULL,
				      variants[i]) == 0 &&
		    n == IDN_PII_KEY_BYTES)
			return 0;
	}
	sodium_memzero(out, IDN_PII_KEY_BYTES);
	return -1;
}

/* One "kid:key" of len bytes at text. */
static int
pii_key_parse(idn_pii_key *out, const char *text, size_t len, const char *var)
{
	const char *colon = memchr(text, ':', len);
	size_t kid_len = colon ? (size_t)(colon - text) : 0;

	if (!colon || kid_len == 0 || kid_len >= IDN_PII_KID_MAX)
		return pii_bad(var);
	memcpy(out->kid, text, kid_len);
	out->kid[kid_len] = '\0';
	if (pii_key_bytes(out->key, colon + 1, len - kid_len - 1) < 0)
		return pii_bad(var);
	return 0;
}

static int
pii_ring_add(idn_pii_keyring *ring, const char *text, size_t len, const char *var)
{
	int rc;

	if (ring->n == IDN_PII_KEYS_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config", "%s: at most %d keys", var,
			       IDN_PII_KEYS_MAX);
	rc = pii_key_parse(&ring->keys[ring->n], text, len, var);
	if (rc < 0)
		return rc;
	for (int i = 0; i < ring->n; i++) {
		if (strcmp(ring->keys[i].kid, ring->keys[ring->n].kid) == 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "%s: key id %s appears twice", var, ring->keys[i].kid);
	}
	ring->n++;
	return 0;
}

int
idn_pii_keyring_parse(idn_pii_keyring *out, const char *current, const char *old,
		      const char *hash_key)
{
	int rc;

	sodium_memzero(out, sizeof(*out));
	rc = pii_ring_add(out, current, strlen(current), "KOLO_PII_KEY");
	while (rc == 0 && old && *old) {
		size_t len = strcspn(old, ",");

		if (len > 0)
			rc = pii_ring_add(out, old, len, "KOLO_PII_OLD_KEYS");
		old += len + (old[len] == ',');
	}
	if (rc == 0 && pii_key_bytes(out->hash_key, hash_key, strlen(hash_key)) < 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "bad_config",
			     "KOLO_PII_HASH_KEY must be a 32-byte key in "
			     "base64 or hex");
	if (rc < 0)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

void
idn_pii_keyring_wipe(idn_pii_keyring *ring)
{
	sodium_memzero(ring, sizeof(*ring));
}

int
idn_pii_seal(idn_pii_sealed *out, const idn_pii_keyring *ring, const char *user_id,
	     const char *plain)
{
	size_t len = strlen(plain);
	unsigned long long clen = 0;

	if (ring->n < 1 || len >= IDN_PII_PLAIN_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_id_number", "id number is too long");
	memset(out, 0, sizeof(*out));
	snprintf(out->kid, sizeof(out->kid), "%s", ring->keys[0].kid);
	randombytes_buf(out->nonce, sizeof(out->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->cipher, &clen, (const unsigned char *)plain,
						   len, (const unsigned char *)user_id,
						   strlen(user_id), NULL, out->nonce,
						   ring->keys[0].key);
	out->cipher_len = (size_t)clen;
	return 0;
}

int
idn_pii_open(char *plain, size_t cap, const idn_pii_keyring *ring, const char *user_id,
	     const idn_pii_sealed *in)
{
	const idn_pii_key *key = NULL;
	unsigned long long len = 0;

	for (int i = 0; i < ring->n && !key; i++) {
		if (strcmp(ring->keys[i].kid, in->kid) == 0)
			key = &ring->keys[i];
	}
	if (!key)
		return err_set(ERR_FAILED_PRECONDITION, "pii_key_unknown",
			       "the number is sealed under key %s, which is "
			       "not configured",
			       in->kid);
	if (in->cipher_len < IDN_PII_TAG_BYTES || in->cipher_len > IDN_PII_CIPHER_MAX ||
	    cap < IDN_PII_PLAIN_MAX ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(
		    (unsigned char *)plain, &len, NULL, in->cipher, in->cipher_len,
		    (const unsigned char *)user_id, strlen(user_id), in->nonce, key->key) != 0) {
		sodium_memzero(plain, cap);
		return err_set(ERR_INTERNAL, "pii_corrupt", "a sealed number does not open");
	}
	plain[len] = '\0';
	return 0;
}

void
idn_pii_hash(char out[IDN_PII_HASH_TEXT], const idn_pii_keyring *ring, const char *id_type,
	     const char *number)
{
	unsigned char hash[IDN_PII_HASH_BYTES];
	crypto_generichash_state st;

	crypto_generichash_init(&st, ring->hash_key, sizeof(ring->hash_key), sizeof(hash));
	crypto_generichash_update(&st, (const unsigned char *)id_type, strlen(id_type));
	crypto_generichash_update(&st, (const unsigned char *)":", 1);
	crypto_generichash_update(&st, (const unsigned char *)number, strlen(number));
	crypto_generichash_final(&st, hash, sizeof(hash));
	sodium_bin2hex(out, IDN_PII_HASH_TEXT, hash, sizeof(hash));
	sodium_memzero(&st, sizeof(st));
}
