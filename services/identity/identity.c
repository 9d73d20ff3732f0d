#include "identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

static idn_config idn_cfg;
static char idn_dummy_hash[IDN_SECRET_HASH_MAX];

void
idn_config_defaults(idn_config *cfg)
{
	cfg->pwhash_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	cfg->pwhash_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	cfg->access_ttl_s = 15 * 60;
	cfg->refresh_ttl_s = 30 * 24 * 3600;
	idn_limits_defaults(&cfg->limits);
	cfg->reuse_grace_s = 10;
}

int
idn_config_set_key(idn_config *cfg, const char *kid, const char *seed_b64url)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t n = 0;
	int found = 0;

	if (strlen(kid) == 0 || strlen(kid) >= sizeof(cfg->kid) ||
	    auth_b64url_decode(seed, sizeof(seed), &n, seed_b64url, strlen(seed_b64url)) < 0 ||
	    n != sizeof(seed))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "the signing key must be a base64url 32-byte seed");
	crypto_sign_seed_keypair(pk, cfg->secret_key, seed);
	sodium_memzero(seed, sizeof(seed));
	for (size_t i = 0; i < cfg->keys.n_keys; i++) {
		if (strcmp(cfg->keys.keys[i].kid, kid) == 0)
			found = sodium_memcmp(cfg->keys.keys[i].public_key, pk, sizeof(pk)) == 0;
	}
	if (!found)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_JWT_PUBLIC_KEYS lacks the public key of kid %s", kid);
	memcpy(cfg->kid, kid, strlen(kid) + 1);
	return 0;
}

int
idn_init(const idn_config *cfg)
{
	idn_cfg = *cfg;
	return idn_hash_secret(idn_dummy_hash, "kolo-dummy-password");
}

const idn_config *
idn_current(void)
{
	return &idn_cfg;
}

/* A deliberately plain check: one '@', a non-empty local part of at most
 * 64 bytes, a dotted domain, and printable ASCII without spaces. */
static int
idn_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	size_t len = strlen(email);

	if (len < 3 || len > IDN_EMAIL_MAX || !at || strchr(at + 1, '@'))
		return 0;
	if (at == email || at - email > 64)
		return 0;
	if (!strchr(at + 1, '.') || at[1] == '.' || email[len - 1] == '.')
		return 0;
	for (const char *p = email; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p))
			return 0;
	}
	return 1;
}

int
idn_normalize_email(char **out, mem_arena *arena, const char *email)
{
	char *e = text_email_normal(arena, email);

	if (!e)
		return err_oom();
	if (!idn_email_valid(e))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_email",
			       "email is not a valid address");
	*out = e;
	return 0;
}

int
idn_check_password(const char *password)
{
	size_t n = strlen(password);

	if (n < IDN_PASSWORD_MIN || n > IDN_PASSWORD_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "weak_password",
			       "password must be %d to %d bytes", IDN_PASSWORD_MIN,
			       IDN_PASSWORD_MAX);
	return 0;
}

int
idn_normalize_name(char **out, mem_arena *arena, const char *name)
{
	char *n = text_trim(arena, name);

	if (!n)
		return err_oom();
	if (!n[0] || strlen(n) > IDN_NAME_MAX || !text_is_clean(n))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_name",
			       "name is required: 1 to %d characters of text", IDN_NAME_MAX);
	*out = n;
	return 0;
}

int
idn_check_pin(const char *pin, const char *field)
{
	if (!text_is_pin(pin))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_pin", "%s must be 4 to 6 digits",
			       field);
	return 0;
}

int
idn_hash_secret(char *out, const char *secret)
{
	if (crypto_pwhash_str(out, secret, strlen(secret), idn_cfg.pwhash_ops,
			      idn_cfg.pwhash_mem) != 0)
		return err_set(ERR_RESOURCE_EXHAUSTED, "hash_failed",
			       "not enough memory to hash the secret");
	return 0;
}

int
idn_verify_secret(const char *hash, const char *secret)
{
	return crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

void
idn_burn_time(const char *secret)
{
	(void)idn_verify_secret(idn_dummy_hash, secret);
}

void
idn_token_hash(char hash[IDN_TOKEN_HASH_TEXT], const char *token)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hash, IDN_TOKEN_HASH_TEXT, digest, sizeof(digest));
}

void
idn_new_token(char token[IDN_TOKEN_TEXT], char hash[IDN_TOKEN_HASH_TEXT])
{
	auth_random_token(token);
	idn_token_hash(hash, token);
}

int
idn_issue_access(char **out, mem_arena *arena, const char *user_id, const char *session_id,
		 int64_t now)
{
	auth_claims claims = {.iat = now, .exp = now + idn_cfg.access_ttl_s};
	unsigned char jti[16];
	char *token = NULL;
	int rc;

	snprintf(claims.sub, sizeof(claims.sub), "%s", user_id);
	snprintf(claims.sid, sizeof(claims.sid), "%s", session_id ? session_id : "");
	randombytes_buf(jti, sizeof(jti));
	sodium_bin2hex(claims.jti, sizeof(claims.jti), jti, sizeof(jti));
	rc = auth_jwt_sign(&token, idn_cfg.kid, idn_cfg.secret_key, &claims);
	if (rc < 0)
		return rc;
	*out = mem_arena_strdup(arena, token);
	free(token);
	return *out ? 0 : err_oom();
}

int64_t
idn_session_window_us(void)
{
	return (idn_cfg.access_ttl_s + IDN_SESSION_MARGIN_S) * 1000000;
}
