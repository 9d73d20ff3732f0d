#include "auth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem/mem.h"

#define AUTH_IAT_LEEWAY 60

int
auth_init(void)
{
	if (sodium_init() < 0)
		return err_set(ERR_INTERNAL, "crypto_init", "libsodium failed");
	return 0;
}

size_t
auth_b64url_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

int
auth_b64url_encode(char *out, size_t cap, const unsigned char *bin, size_t n)
{
	if (cap < auth_b64url_len(n) + 1)
		return ERR_INVALID_ARGUMENT;
	sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int
auth_b64url_decode(unsigned char *out, size_t cap, size_t *out_len, const char *text,
		   size_t text_len)
{
	const char *end = NULL;

	if (sodium_base642bin(out, cap, text, text_len, NULL, out_len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return ERR_INVALID_ARGUMENT;
	if (end != text + text_len)
		return ERR_INVALID_ARGUMENT;
	return 0;
}

void
auth_random_token(char out[AUTH_TOKEN_TEXT])
{
	unsigned char raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, AUTH_TOKEN_TEXT, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

int
auth_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
	if (a_len != b_len || a_len == 0)
		return 0;
	return sodium_memcmp(a, b, a_len) == 0;
}

static int
auth_key_parse(auth_key *out, const char *entry, size_t len)
{
	const char *colon = memchr(entry, ':', len);
	size_t kid_len, pk_len = 0;

	if (!colon)
		return ERR_INVALID_ARGUMENT;
	kid_len = (size_t)(colon - entry);
	if (kid_len == 0 || kid_len >= AUTH_KID_MAX)
		return ERR_INVALID_ARGUMENT;
	memcpy(out->kid, entry, kid_len);
	out->kid[kid_len] = '\0';
	if (auth_b64url_decode(out->public_key, sizeof(out->public_key), &pk_len, colon + 1,
			       len - kid_len - 1) < 0 ||
	    pk_len != crypto_sign_PUBLICKEYBYTES)
		return ERR_INVALID_ARGUMENT;
	return 0;
}

static const auth_key *
auth_keyring_find(const auth_keyring *ring, const char *kid)
{
	for (size_t i = 0; i < ring->n_keys; i++) {
		if (strcmp(ring->keys[i].kid, kid) == 0)
			return &ring->keys[i];
	}
	return NULL;
}

int
auth_keyring_parse(auth_keyring *out, const char *spec)
{
	auth_keyring ring = {.n_keys = 0};
	const char *p = spec;

	while (*p) {
		size_t len = strcspn(p, ",");
		auth_key key;

		if (ring.n_keys == AUTH_MAX_KEYS || auth_key_parse(&key, p, len) < 0 ||
		    auth_keyring_find(&ring, key.kid))
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "malformed public key entry %zu", ring.n_keys + 1);
		ring.keys[ring.n_keys++] = key;
		p += len;
		if (*p == ',')
			p++;
	}
	if (ring.n_keys == 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config", "no public keys");
	*out = ring;
	return 0;
}

/* Decodes one base64url segment of a token into a parsed JSON object.
 * The result is owned by the caller (json_decref). */
static int
auth_segment_json(json_t **out, const char *seg, size_t len)
{
	unsigned char buf[AUTH_JWT_MAX];
	size_t n = 0;
	json_t *obj;

	if (auth_b64url_decode(buf, sizeof(buf), &n, seg, len) < 0)
		return ERR_UNAUTHENTICATED;
	obj = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!obj)
		return ERR_UNAUTHENTICATED;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return ERR_UNAUTHENTICATED;
	}
	*out = obj;
	return 0;
}

static const auth_key *
auth_header_key(const auth_keyring *ring, const json_t *header)
{
	const char *alg = json_string_value(json_object_get(header, "alg"));
	const char *kid = json_string_value(json_object_get(header, "kid"));

	if (!alg || strcmp(alg, "EdDSA") != 0 || !kid)
		return NULL;
	return auth_keyring_find(ring, kid);
}

static int
auth_copy_claim(char *dst, size_t cap, const json_t *claims, const char *name)
{
	const char *v = json_string_value(json_object_get(claims, name));

	if (!v || !*v || strlen(v) >= cap)
		return ERR_UNAUTHENTICATED;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
auth_claims_read(auth_claims *out, const json_t *claims)
{
	const json_t *iat = json_object_get(claims, "iat");
	const json_t *exp = json_object_get(claims, "exp");

	if (!json_is_integer(iat) || !json_is_integer(exp))
		return ERR_UNAUTHENTICATED;
	out->iat = json_integer_value(iat);
	out->exp = json_integer_value(exp);
	if (auth_copy_claim(out->sub, sizeof(out->sub), claims, "sub") < 0 ||
	    auth_copy_claim(out->jti, sizeof(out->jti), claims, "jti") < 0)
		return ERR_UNAUTHENTICATED;
	out->sid[0] = '\0';
	if (json_object_get(claims, "sid") &&
	    auth_copy_claim(out->sid, sizeof(out->sid), claims, "sid") < 0)
		return ERR_UNAUTHENTICATED;
	return 0;
}

static int
auth_invalid(void)
{
	return err_set(ERR_UNAUTHENTICATED, "invalid_token", "access token is invalid");
}

int
auth_jwt_verify(auth_claims *out, const auth_keyring *ring, const char *token, int64_t now)
{
	size_t len = strnlen(token, AUTH_JWT_MAX + 1);
	const char *dot1, *dot2;
	unsigned char sig[crypto_sign_BYTES + 1];
	size_t sig_len = 0;
	json_t *header = NULL, *claims = NULL;
	const auth_key *key;
	auth_claims parsed;
	int expired = 0;
	int rc = ERR_UNAUTHENTICATED;

	if (len > AUTH_JWT_MAX)
		return auth_invalid();
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot2)
		return auth_invalid();
	if (auth_segment_json(&header, token, (size_t)(dot1 - token)) < 0)
		goto out;
	key = auth_header_key(ring, header);
	if (!key)
		goto out;
	if (auth_b64url_decode(sig, sizeof(sig), &sig_len, dot2 + 1,
			       len - (size_t)(dot2 + 1 - token)) < 0 ||
	    sig_len != crypto_sign_BYTES)
		goto out;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(dot2 - token),
					key->public_key) != 0)
		goto out;
	if (auth_segment_json(&claims, dot1 + 1, (size_t)(dot2 - dot1 - 1)) < 0)
		goto out;
	if (auth_claims_read(&parsed, claims) < 0 || parsed.iat > now + AUTH_IAT_LEEWAY)
		goto out;
	expired = now >= parsed.exp;
	if (!expired) {
		*out = parsed;
		rc = 0;
	}
out:
	json_decref(header);
	json_decref(claims);
	if (rc == 0)
		return 0;
	if (expired)
		return err_set(ERR_UNAUTHENTICATED, "token_expired", "access token has expired");
	return auth_invalid();
}

/* --- verifier with a cache ---------------------------------------------- */

typedef struct auth_cached {
	unsigned char digest[crypto_generichash_BYTES];
	auth_claims claims;
	int used;
} auth_cached;

struct auth_verifier {
	auth_keyring ring;
	pthread_mutex_t lock;
	size_t n_slots;
	auth_cached *slots;
};

auth_verifier *
auth_verifier_new(const auth_keyring *ring, size_t cache_slots)
{
	auth_verifier *v = xcalloc(1, sizeof(*v));

	v->ring = *ring;
	pthread_mutex_init(&v->lock, NULL);
	v->n_slots = cache_slots;
	v->slots = cache_slots ? xcalloc(cache_slots, sizeof(*v->slots)) : NULL;
	return v;
}

void
auth_verifier_free(auth_verifier *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->slots);
	free(v);
}

size_t
auth_verifier_keys(const auth_verifier *v)
{
	return v->ring.n_keys;
}

static auth_cached *
auth_cache_slot(auth_verifier *v, const unsigned char *digest)
{
	size_t h = digest[0] | (size_t)digest[1] << 8 | (size_t)digest[2] << 16 |
		   (size_t)digest[3] << 24;

	return &v->slots[h % v->n_slots];
}

/* The claims cached for digest, if any (lock held). */
static int
auth_cache_get(auth_verifier *v, const unsigned char *digest, auth_claims *out)
{
	auth_cached *slot = auth_cache_slot(v, digest);
	if (!slot->used || sodium_memcmp(slot->digest, digest, sizeof(slot->digest)) != 0)
		return 0;
	*out = slot->claims;
	return 1;
}

static void
auth_cache_put(auth_verifier *v, const unsigned char *digest, const auth_claims *claims)
{
	auth_cached *slot = auth_cache_slot(v, digest);

	memcpy(slot->digest, digest, sizeof(slot->digest));
	slot->claims = *claims;
	slot->used = 1;
}

int
auth_verifier_check(auth_verifier *v, auth_claims *out, const char *token, int64_t now)
{
	unsigned char digest[crypto_generichash_BYTES];
	auth_claims claims;
	size_t len = strnlen(token, AUTH_JWT_MAX + 1);
	int hit, rc;

	if (!v->n_slots || len > AUTH_JWT_MAX)
		return auth_jwt_verify(out, &v->ring, token, now);
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)token, len, NULL, 0);
	pthread_mutex_lock(&v->lock);
	hit = auth_cache_get(v, digest, &claims);
	pthread_mutex_unlock(&v->lock);
	if (hit) {
		if (now >= claims.exp)
			return err_set(ERR_UNAUTHENTICATED, "token_expired",
				       "access token has expired");
		if (claims.iat > now + AUTH_IAT_LEEWAY)
			return auth_invalid();
		*out = claims;
		return 0;
	}
	rc = auth_jwt_verify(&claims, &v->ring, token, now);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&v->lock);
	auth_cache_put(v, digest, &claims);
	pthread_mutex_unlock(&v->lock);
	*out = claims;
	return 0;
}

/* base64url of a JSON object's compact text, appended at out. */
static int
auth_append_segment(char *out, size_t cap, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	int rc;

	if (!text)
		return err_set(ERR_INTERNAL, NULL, "cannot encode token");
	rc = auth_b64url_encode(out, cap, (const unsigned char *)text, strlen(text));
	free(text);
	return rc;
}

int
auth_jwt_sign(char **out, const char *kid, const unsigned char *secret_key,
	      const auth_claims *claims)
{
	char buf[AUTH_JWT_MAX + 1];
	unsigned char sig[crypto_sign_BYTES];
	json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "EdDSA", "typ", "JWT", "kid", kid);
	json_t *body = json_pack("{s:s, s:I, s:I, s:s}", "sub", claims->sub, "iat",
				 (json_int_t)claims->iat, "exp", (json_int_t)claims->exp, "jti",
				 claims->jti);
	size_t len;
	int rc = ERR_INTERNAL;

	if (!header || !body)
		goto out;
	if (claims->sid[0] && json_object_set_new(body, "sid", json_string(claims->sid)) < 0)
		goto out;
	if (auth_append_segment(buf, sizeof(buf), header) < 0)
		goto out;
	len = strlen(buf);
	buf[len++] = '.';
	if (auth_append_segment(buf + len, sizeof(buf) - len, body) < 0)
		goto out;
	len += strlen(buf + len);
	crypto_sign_detached(sig, NULL, (const unsigned char *)buf, len, secret_key);
	if (len + 1 >= sizeof(buf))
		goto out;
	buf[len++] = '.';
	if (auth_b64url_encode(buf + len, sizeof(buf) - len, sig, sizeof(sig)) < 0)
		goto out;
	*out = xstrdup(buf);
	rc = 0;
out:
	json_decref(header);
	json_decref(body);
	return rc == 0 ? 0 : err_set(ERR_INTERNAL, NULL, "cannot sign token");
}

int
auth_bearer_token(const char **token, const char *header)
{
	size_t scheme = header ? strcspn(header, " ") : 0;
	const char *cred = header ? header + scheme : NULL;

	*token = NULL;
	if (!header || scheme == 0)
		return err_set(ERR_UNAUTHENTICATED, "missing_token", "an access token is required");
	if (scheme != 6 || strncasecmp(header, "Bearer", 6) != 0)
		return err_set(ERR_UNAUTHENTICATED, "unsupported_auth_scheme",
			       "the Authorization scheme must be Bearer");
	while (*cred == ' ')
		cred++;
	if (!*cred)
		return err_set(ERR_UNAUTHENTICATED, "missing_token", "an access token is required");
	*token = cred;
	return 0;
}
