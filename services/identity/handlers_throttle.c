/* The throttles of Login, Register, Refresh and ResetPin (throttle.h):
 * charged before the argon2id hash, in the database so that every replica
 * counts the same attempts. */
#include "handlers.h"

#include <assert.h>
#include <stdio.h>

static int
idn_limit_is_addr(idn_limit_kind kind)
{
	return kind == IDN_LIMIT_LOGIN_ADDR || kind == IDN_LIMIT_REGISTER_ADDR ||
	       kind == IDN_LIMIT_REFRESH_ADDR || kind == IDN_LIMIT_RESET_PIN_ADDR;
}

void
idn_guard_add(idn_guards *gs, idn_limit_kind kind, const char *key, const char *user_id)
{
	idn_guard *g = &gs->g[gs->n++];
	char addr[IDN_ADDR_KEY_MAX];

	assert(gs->n <= IDN_GUARDS_MAX);
	g->kind = kind;
	g->user_id = user_id;
	if (idn_limit_is_addr(kind)) {
		idn_addr_key(addr, key);
		key = addr;
	}
	/* Keys are kept hashed: emails typed by anyone, addresses. */
	idn_token_hash(g->key_hash, key);
}

/* The event a user's activity log shows for a lockout of kind. */
static const char *
idn_lockout_event(idn_limit_kind kind)
{
	return kind == IDN_LIMIT_LOGIN_ACCOUNT ? "login_locked" : "pin_reset_locked";
}

static int
idn_guard_save(db_conn *c, const idn_guard *g)
{
	const idn_limits *limits = &idn_current()->limits;

	return idn_store_save_throttle(
		c, idn_limit_name(g->kind), g->key_hash, &g->row,
		idn_throttle_forget_at(&g->row, &limits->rules[g->kind], limits));
}

/* Decides every throttle, then applies: all charges when every one
 * passes, else only the locks that start now. */
static int
idn_guards_take_body(db_conn *c, void *arg)
{
	idn_guards *gs = arg;
	const idn_limits *limits = &idn_current()->limits;
	int64_t now = idn_now_us();
	int refused = 0;
	int rc = idn_store_sweep_throttles(c, now);

	gs->wait_s = 0;
	for (int i = 0; rc == 0 && i < gs->n; i++) {
		idn_guard *g = &gs->g[i];
		int64_t wait = 0;

		rc = idn_store_lock_throttle(&g->row, c, idn_limit_name(g->kind), g->key_hash);
		if (rc < 0)
			break;
		g->verdict =
			idn_throttle_take(&wait, &g->row, &limits->rules[g->kind], limits, now);
		refused |= g->verdict != IDN_THROTTLE_PASS;
		if (wait > gs->wait_s)
			gs->wait_s = wait;
	}
	for (int i = 0; rc == 0 && i < gs->n; i++) {
		const idn_guard *g = &gs->g[i];

		if (g->verdict == IDN_THROTTLE_LOCKED ||
		    (refused && g->verdict == IDN_THROTTLE_PASS))
			continue;
		rc = idn_guard_save(c, g);
		if (rc == 0 && g->verdict == IDN_THROTTLE_LOCKED_NOW && g->user_id)
			rc = idn_store_log(c, g->user_id, idn_lockout_event(g->kind),
					   gs->client->ip, gs->client->device);
	}
	return rc;
}

int
idn_guards_take(rpc_ctx *ctx, db_conn *c, idn_guards *gs)
{
	int rc = db_tx(c, svc_tx_timeout(ctx), idn_guards_take_body, gs);

	if (rc < 0 || gs->wait_s == 0)
		return rc;
	rc = err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited",
		     "too many attempts: try again in %lld seconds", (long long)gs->wait_s);
	err_set_retry_after((int)gs->wait_s);
	return rc;
}

int
idn_guards_settle(db_conn *c, idn_guards *gs)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < gs->n; i++) {
		idn_guard *g = &gs->g[i];

		rc = idn_store_lock_throttle(&g->row, c, idn_limit_name(g->kind), g->key_hash);
		if (rc < 0)
			break;
		idn_throttle_settle(&g->row, g->kind);
		rc = idn_guard_save(c, g);
	}
	return rc;
}
