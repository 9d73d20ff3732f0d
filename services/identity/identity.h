/* identity: the rules of accounts, tokens and PINs (no protobuf, no SQL).
 *
 * Secrets are hashed here: passwords and PINs with argon2id (slow, for
 * guessable secrets), refresh and recovery tokens with SHA-256 (they are
 * 256 random bits, so a fast hash is enough and lets us look them up). */
#ifndef KOLO_IDENTITY_H
#define KOLO_IDENTITY_H

#include <sodium.h>
#include <stdint.h>

#include "auth/auth.h"
#include "err/err.h"
#include "mem/mem.h"
#include "throttle.h"

#define IDN_PASSWORD_MIN    8
#define IDN_PASSWORD_MAX    1024
#define IDN_EMAIL_MAX	    254
#define IDN_NAME_MAX	    120
#define IDN_SECRET_HASH_MAX crypto_pwhash_STRBYTES
#define IDN_TOKEN_TEXT	    AUTH_TOKEN_TEXT
#define IDN_TOKEN_HASH_TEXT (crypto_hash_sha256_BYTES * 2 + 1)
#define IDN_DEVICE_MAX	    256
#define IDN_IP_MAX	    64

typedef struct idn_config {
	char kid[AUTH_KID_MAX]; /* kid of the signing key */
	unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
	auth_keyring keys; /* every public key to publish (current first) */
	unsigned long long pwhash_ops;
	size_t pwhash_mem;
	int64_t access_ttl_s;  /* 900 */
	int64_t refresh_ttl_s; /* 30 days */
	idn_limits limits;     /* throttles and PIN lockouts (throttle.h) */
	int64_t reuse_grace_s; /* a just-rotated token seen again: a race */
} idn_config;

/* Fills cfg's lifetimes and limits with the DESIGN defaults and the
 * interactive argon2id profile; the key fields are left alone. */
void idn_config_defaults(idn_config *cfg);

/* Makes the Ed25519 key pair of a base64url 32-byte seed under kid; the
 * public half must be in cfg->keys. ERR_INVALID_ARGUMENT otherwise. */
KOLO_MUST_CHECK int idn_config_set_key(idn_config *cfg, const char *kid, const char *seed_b64url);

/* Takes the configuration (copied) and prepares the dummy hash that keeps
 * a login for an unknown email as slow as a wrong password. */
KOLO_MUST_CHECK int idn_init(const idn_config *cfg);

/* The configuration idn_init() took (borrowed). */
const idn_config *idn_current(void);

/* Trims, lower-cases and checks an email; ERR_INVALID_ARGUMENT
 * "invalid_email". *out is in the arena. */
KOLO_MUST_CHECK int idn_normalize_email(char **out, mem_arena *arena, const char *email);

/* 8..1024 bytes: ERR_INVALID_ARGUMENT "weak_password" otherwise. */
KOLO_MUST_CHECK int idn_check_password(const char *password);

/* Trims a display name and checks it (1..120 bytes, clean UTF-8). */
KOLO_MUST_CHECK int idn_normalize_name(char **out, mem_arena *arena, const char *name);

/* 4..6 digits: ERR_INVALID_ARGUMENT "invalid_pin" otherwise; field names
 * the request field for the message. */
KOLO_MUST_CHECK int idn_check_pin(const char *pin, const char *field);

/* argon2id hash of a password or PIN into out (IDN_SECRET_HASH_MAX). */
KOLO_MUST_CHECK int idn_hash_secret(char *out, const char *secret);

/* 1 when secret matches hash, else 0. idn_burn_time() spends the same
 * time on a secret that has no hash to match (unknown email). */
int idn_verify_secret(const char *hash, const char *secret);
void idn_burn_time(const char *secret);

/* A new random token (base64url of 32 bytes) and its SHA-256 hex hash. */
void idn_new_token(char token[IDN_TOKEN_TEXT], char hash[IDN_TOKEN_HASH_TEXT]);

/* SHA-256 hex hash of a presented token. */
void idn_token_hash(char hash[IDN_TOKEN_HASH_TEXT], const char *token);

/* An access token for user_id in session_id, issued at now (Unix
 * seconds); *out is in the arena. */
KOLO_MUST_CHECK int idn_issue_access(char **out, mem_arena *arena, const char *user_id,
				     const char *session_id, int64_t now);

/* Time allowed between a session row's creation and its access token's
 * iat (the rest of the call), and for clock skew. */
#define IDN_SESSION_MARGIN_S 120

/* How long after a session row (a refresh token) was made an access token
 * naming it may still be valid, in microseconds: the access token lifetime
 * plus IDN_SESSION_MARGIN_S. A revocation of the row matters that long. */
int64_t idn_session_window_us(void);

#endif
