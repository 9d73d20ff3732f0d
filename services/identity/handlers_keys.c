/* GetSigningKeys: the public keys every verifier needs. */
#include "handlers.h"

#include <string.h>

#include "identity.h"

int
idn_get_signing_keys(rpc_ctx *ctx, const Kolo__Identity__V1__GetSigningKeysRequest *in,
		     Kolo__Identity__V1__GetSigningKeysResponse *out)
{
	const idn_config *cfg = idn_current();
	mem_arena *a = rpc_ctx_arena(ctx);

	out->keys = mem_arena_alloc(a, sizeof(*out->keys) * (cfg->keys.n_keys + 1));
	if (!out->keys)
		return err_oom();
	for (size_t i = 0; i < cfg->keys.n_keys; i++) {
		const auth_key *k = &cfg->keys.keys[i];
		Kolo__Identity__V1__SigningKey *m = mem_arena_alloc(a, sizeof(*m));
		char *x = mem_arena_alloc(a, auth_b64url_len(sizeof(k->public_key)) + 1);

		if (!m || !x ||
		    auth_b64url_encode(x, auth_b64url_len(sizeof(k->public_key)) + 1, k->public_key,
				       sizeof(k->public_key)) < 0)
			return err_oom();
		kolo__identity__v1__signing_key__init(m);
		m->kid = (char *)k->kid;
		m->alg = "EdDSA";
		m->crv = "Ed25519";
		m->public_key.data = (uint8_t *)k->public_key;
		m->public_key.len = sizeof(k->public_key);
		m->x = x;
		m->status =
			strcmp(k->kid, cfg->kid) == 0
				? KOLO__IDENTITY__V1__SIGNING_KEY_STATUS__SIGNING_KEY_STATUS_CURRENT
				: KOLO__IDENTITY__V1__SIGNING_KEY_STATUS__SIGNING_KEY_STATUS_PREVIOUS;
		out->keys[out->n_keys++] = m;
	}
	return 0;
}
