/* Signing partner webhook deliveries (webhook_sign.h). HMAC-SHA256 is
 * libsodium's, as for Paystack's signatures in payments: the same
 * function OpenSSL's HMAC computes, without a second crypto library. */
#include "webhook_sign.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHK_MAC_HEX (crypto_auth_hmacsha256_BYTES * 2)

void
whk_secret_new(char out[WHK_SECRET_MAX])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, WHK_SECRET_PREFIX, sizeof(WHK_SECRET_PREFIX) - 1);
	sodium_bin2base64(out + sizeof(WHK_SECRET_PREFIX) - 1,
			  WHK_SECRET_MAX - (sizeof(WHK_SECRET_PREFIX) - 1), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* The hex HMAC of "<t>.<body>" into hex. */
static void
whk_mac_hex(char hex[WHK_MAC_HEX + 1], const char *secret, int64_t t, const char *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char stamp[32];
	int n = snprintf(stamp, sizeof(stamp), "%" PRId64 ".", t);

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)(body ? body : ""), len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, WHK_MAC_HEX + 1, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
}

void
whk_sign(char out[WHK_SIGNATURE_MAX], const char *secret, int64_t t, const char *body, size_t len)
{
	char hex[WHK_MAC_HEX + 1];

	whk_mac_hex(hex, secret, t, body, len);
	snprintf(out, WHK_SIGNATURE_MAX, "t=%" PRId64 ",v1=%s", t, hex);
	sodium_memzero(hex, sizeof(hex));
}

/* The t= of header: 0 and *t, or -1 when absent or malformed. */
static int
whk_header_t(int64_t *t, const char *header)
{
	const char *p = header;

	while (p && *p) {
		if (strncmp(p, "t=", 2) == 0) {
			char *end;
			long long v = strtoll(p + 2, &end, 10);

			if (end == p + 2 || (*end != ',' && *end != '\0') || v <= 0)
				return -1;
			*t = v;
			return 0;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

int
whk_verify(const char *header, const char *secret, const char *body, size_t len, int64_t now,
	   int64_t tolerance_s)
{
	char want[WHK_MAC_HEX + 1];
	int64_t t = 0;
	int ok = 0;

	if (!header || !secret || whk_header_t(&t, header) < 0)
		return 0;
	if (t < now - tolerance_s || t > now + tolerance_s)
		return 0;
	whk_mac_hex(want, secret, t, body, len);
	for (const char *p = header; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 3 + WHK_MAC_HEX && strncmp(p, "v1=", 3) == 0 &&
		    sodium_memcmp(p + 3, want, WHK_MAC_HEX) == 0)
			ok = 1;
		p = end ? end + 1 : NULL;
	}
	sodium_memzero(want, sizeof(want));
	return ok;
}
