#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_identity.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "identity_service.h"
#include "test_pg.h"

void
test_identity_config(idn_config *cfg, const auth_keyring *ring)
{
	memset(cfg, 0, sizeof(*cfg));
	idn_config_defaults(cfg);
	cfg->pwhash_ops = crypto_pwhash_OPSLIMIT_MIN;
	cfg->pwhash_mem = crypto_pwhash_MEMLIMIT_MIN;
	cfg->keys = *ring;
}

int
test_identity_start(test_identity *out, const char *dbname)
{
	idn_config cfg;
	test_key key;
	char seed_text[64];

	memset(out, 0, sizeof(*out));
	if (test_key_seeded(&key, "test-key", seed_text, sizeof(seed_text)) < 0)
		return -1;
	test_keyring_add(&out->keys, &key);
	test_identity_config(&cfg, &out->keys);
	/* Every user of a test signs up from the loopback peer: sign-up
	 * limits are identity's own tests' business. */
	cfg.limits.rules[IDN_LIMIT_REGISTER_ADDR].max = 1000000;
	if (idn_config_set_key(&cfg, "test-key", seed_text) < 0 || idn_init(&cfg) < 0)
		return -1;
	out->conninfo = test_pg_conninfo(dbname, "kolo_identity");
	if (!out->conninfo)
		return -1;
	return test_service_start_db(&out->service, &idn_rpc_service, &out->keys, out->conninfo);
}

void
test_identity_stop(test_identity *ti)
{
	test_service_stop(&ti->service);
	free(ti->conninfo);
	ti->conninfo = NULL;
}

/* Proves u owns their email as a user does: the code of Register's
 * user.email_code event (read from identity's outbox as kolo-events would
 * get it), then VerifyEmail with u's token. */
static void
test_identity_verify(test_identity *ti, const test_user *u, mem_arena *arena)
{
	Kolo__Identity__V1__VerifyEmailRequest req = KOLO__IDENTITY__V1__VERIFY_EMAIL_REQUEST__INIT;
	Kolo__Identity__V1__VerifyEmailResponse *resp = NULL;
	test_caller who = {.access_token = u->access_token};
	PGconn *pg = test_pg_connect(ti->conninfo);
	char sql[256];
	char *code;

	snprintf(sql, sizeof(sql),
		 "SELECT data->>'code' FROM identity_outbox WHERE type = 'user.email_code'"
		 " AND user_id = '%s' ORDER BY seq DESC LIMIT 1",
		 u->id);
	code = test_pg_value(pg, sql);
	PQfinish(pg);
	req.code = code;
	if (test_call(&ti->service, "VerifyEmail", &req.base, (ProtobufCMessage **)&resp, arena,
		      &who) != 0)
		fail_msg("verify %s: %s", u->email, err_last()->message);
	free(code);
}

void
test_identity_user(test_identity *ti, test_user *out, const char *tag)
{
	mem_arena *arena = mem_arena_new(0);

	test_identity_user_unverified(ti, out, tag);
	test_identity_verify(ti, out, arena);
	mem_arena_free(arena);
}

void
test_identity_user_unverified(test_identity *ti, test_user *out, const char *tag)
{
	static atomic_int counter;
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Identity__V1__RegisterResponse *resp = NULL;
	mem_arena *arena = mem_arena_new(0);
	char name[64];

	snprintf(out->email, sizeof(out->email), "%s-%d@example.com", tag,
		 atomic_fetch_add(&counter, 1));
	snprintf(name, sizeof(name), "User %s", tag);
	req.email = out->email;
	req.password = "test password 123";
	req.name = name;
	if (test_call(&ti->service, "Register", &req.base, (ProtobufCMessage **)&resp, arena,
		      NULL) != 0)
		fail_msg("register %s: %s", out->email, err_last()->message);
	snprintf(out->id, sizeof(out->id), "%s", resp->user->id);
	snprintf(out->access_token, sizeof(out->access_token), "%s", resp->access_token);
	mem_arena_free(arena);
}
