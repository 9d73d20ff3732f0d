/* The signing keys: identity's GetSigningKeys, cached with a TTL, served
 * as a JWKS and used to verify tokens where the gateway needs the caller's
 * account (per-account rate limits). */
#include "gw.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "kolo/identity/v1/identity.pb-c.h"

static pthread_mutex_t gw_jwks_lock = PTHREAD_MUTEX_INITIALIZER;
static auth_keyring gw_jwks_ring;
static char *gw_jwks_json; /* malloc'd JWKS document */
static time_t gw_jwks_fetched;
static int64_t gw_jwks_ttl_s = 300;

void
gw_jwks_configure(int64_t ttl_s)
{
	gw_jwks_ttl_s = ttl_s;
}

static json_t *
gw_jwk(const Kolo__Identity__V1__SigningKey *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "kid",
			 k->kid, "x", k->x, "alg", "EdDSA", "use", "sig");
}

/* Fetches the keys (lock held). */
static int
gw_jwks_fetch(gw_request *req)
{
	Kolo__Identity__V1__GetSigningKeysRequest in =
		KOLO__IDENTITY__V1__GET_SIGNING_KEYS_REQUEST__INIT;
	Kolo__Identity__V1__GetSigningKeysResponse *out = NULL;
	auth_keyring ring = {.n_keys = 0};
	json_t *keys = json_array(), *set;
	char *doc = NULL;
	int rc =
		gw_call(req, GW_IDENTITY, "GetSigningKeys", &in.base, (ProtobufCMessage **)&out, 0);

	for (size_t i = 0; rc == 0 && i < out->n_keys && ring.n_keys < AUTH_MAX_KEYS; i++) {
		const Kolo__Identity__V1__SigningKey *k = out->keys[i];

		if (k->public_key.len != sizeof(ring.keys[0].public_key) ||
		    strlen(k->kid) >= AUTH_KID_MAX)
			continue;
		strcpy(ring.keys[ring.n_keys].kid, k->kid);
		memcpy(ring.keys[ring.n_keys++].public_key, k->public_key.data, k->public_key.len);
		json_array_append_new(keys, gw_jwk(k));
	}
	set = json_pack("{s:o}", "keys", keys); /* takes keys */
	if (rc == 0 && set)
		doc = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	if (!doc)
		return rc < 0 ? rc : err_set(ERR_INTERNAL, NULL, "cannot encode keys");
	free(gw_jwks_json);
	gw_jwks_json = doc;
	gw_jwks_ring = ring;
	gw_jwks_fetched = time(NULL);
	return 0;
}

/* How long to keep the keys already held before asking identity again,
 * after a refresh failed. */
#define GW_JWKS_RETRY_S 10

/* Refreshes the cache when it is older than the TTL (lock held). When
 * identity cannot be asked, the keys already held stay in use and the next
 * try waits GW_JWKS_RETRY_S, so requests neither lose their verified user
 * (and its per-account limits) nor queue on one failing call each. */
static int
gw_jwks_fresh(gw_request *req)
{
	int rc;

	if (gw_jwks_json && time(NULL) - gw_jwks_fetched < gw_jwks_ttl_s)
		return 0;
	rc = gw_jwks_fetch(req);
	if (rc == 0 || !gw_jwks_json)
		return rc;
	gw_jwks_fetched = time(NULL) - gw_jwks_ttl_s + GW_JWKS_RETRY_S;
	return 0;
}

void
gw_jwks_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	int rc;

	(void)route;
	pthread_mutex_lock(&gw_jwks_lock);
	rc = gw_jwks_fresh(req);
	if (rc == 0) {
		resp->status = 200;
		resp->body = strdup(gw_jwks_json);
		resp->body_len = resp->body ? strlen(resp->body) : 0;
		resp->content_type = "application/jwk-set+json";
		resp->cache_control = "public, max-age=300";
	}
	pthread_mutex_unlock(&gw_jwks_lock);
	if (rc < 0)
		gw_reply_err_last(resp);
}

const char *
gw_verified_user(gw_request *req)
{
	auth_keyring ring;
	auth_claims claims;
	int rc;

	const char *token;

	if (auth_bearer_token(&token, req->authorization) < 0)
		return NULL;
	pthread_mutex_lock(&gw_jwks_lock);
	rc = gw_jwks_fresh(req);
	ring = gw_jwks_ring;
	pthread_mutex_unlock(&gw_jwks_lock);
	if (rc < 0 || auth_jwt_verify(&claims, &ring, token, (int64_t)time(NULL)) < 0)
		return NULL;
	return mem_arena_strdup(req->arena, claims.sub);
}
