/* webhook_sign: the signature of partner webhook deliveries (DESIGN §16;
 * docs/webhooks.md tells partners how to check it).
 *
 *   Kolo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The key is the endpoint's secret exactly as shown once at creation
 * ("whsec_" and 43 base64url characters). A partner recomputes the HMAC
 * over the raw body, compares in constant time, and refuses a t too far
 * from its clock (replays). Pure apart from whk_secret_new's randomness. */
#ifndef KOLO_WEBHOOK_SIGN_H
#define KOLO_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

#define WHK_SECRET_PREFIX "whsec_"
/* "whsec_" + base64url (no padding) of 32 random bytes, with its NUL. */
#define WHK_SECRET_LEN (6 + 43)
#define WHK_SECRET_MAX (WHK_SECRET_LEN + 1)
/* "t=" 20 digits ",v1=" 64 hex digits and a NUL, with room to spare. */
#define WHK_SIGNATURE_MAX 128
/* How far a signature's t may be from the verifier's clock by default. */
#define WHK_TOLERANCE_S 300

/* A new secret from libsodium's randomness into out. */
void whk_secret_new(char out[WHK_SECRET_MAX]);

/* The Kolo-Signature value of body (len bytes) signed at t under secret
 * into out. */
void whk_sign(char out[WHK_SIGNATURE_MAX], const char *secret, int64_t t, const char *body,
	      size_t len);

/* 1 when header (a Kolo-Signature value) has a t within tolerance_s of now
 * and a v1 (of possibly several) that is the HMAC of "<t>.<body>" under
 * secret; 0 otherwise. Compares in constant time. */
int whk_verify(const char *header, const char *secret, const char *body, size_t len, int64_t now,
	       int64_t tolerance_s);

#endif
