/* Transaction PINs: SetPin, ChangePin, VerifyPin, ResetPin. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "identity.h"
#include "text/text.h"

typedef enum {
	IDN_PIN_OK,
	IDN_PIN_WRONG,
	IDN_PIN_LOCKED,
	IDN_PIN_BAD_RECOVERY,
} idn_pin_outcome;

/* What a PIN transaction needs and what it found out. */
typedef struct idn_pin_tx {
	mem_arena *arena;
	const char *user_id;
	const char *pin;	   /* to check (ChangePin, VerifyPin) */
	const char *recovery_hash; /* presented (ResetPin) */
	const char *new_pin_hash;  /* to store */
	const char *new_recovery_hash;
	const char *event; /* logged on success */
	idn_client client;
	idn_guards guards; /* ResetPin's throttles */
	idn_pin_outcome outcome;
	int attempts_left;
	int64_t locked_until_us; /* when IDN_PIN_LOCKED */
} idn_pin_tx;

static int
idn_pin_log(db_conn *c, const idn_pin_tx *t, const char *event)
{
	return idn_store_log(c, t->user_id, event, t->client.ip, t->client.device);
}

/* A wrong PIN: counts it (idn_pin_wrong() decides whether it locks); each
 * lock is an activity-log entry of its own. */
static int
idn_pin_wrong_attempt(db_conn *c, idn_pin_tx *t, idn_pin *row, int64_t now)
{
	int locks = idn_pin_wrong(&t->attempts_left, &row->lockout, &idn_current()->limits, now);
	int rc = idn_pin_log(c, t, "pin_failed");

	if (rc == 0)
		rc = idn_store_pin_lockout(c, t->user_id, &row->lockout);
	if (rc < 0 || !locks) {
		t->outcome = IDN_PIN_WRONG;
		return rc;
	}
	t->outcome = IDN_PIN_LOCKED;
	t->locked_until_us = row->lockout.locked_until_us;
	return idn_pin_log(c, t, "pin_locked");
}

/* Checks t->pin against the user's PIN under the row lock. A locked PIN
 * fails without being checked (no hash, not counted). */
static int
idn_pin_check(db_conn *c, idn_pin_tx *t)
{
	int64_t now = idn_now_us();
	idn_pin row;
	int rc = idn_store_lock_pin(&row, t->arena, c, t->user_id);

	if (rc < 0)
		return rc;
	if (row.lockout.locked_until_us > now) {
		t->outcome = IDN_PIN_LOCKED;
		t->locked_until_us = row.lockout.locked_until_us;
		return 0;
	}
	if (!idn_verify_secret(row.pin_hash, t->pin))
		return idn_pin_wrong_attempt(c, t, &row, now);
	t->outcome = IDN_PIN_OK;
	if (row.lockout.failed == 0)
		return 0;
	idn_pin_right(&row.lockout);
	return idn_store_pin_lockout(c, t->user_id, &row.lockout);
}

/* VerifyPin and ChangePin: check, then (ChangePin) store the new hash. */
static int
idn_pin_check_body(db_conn *c, void *arg)
{
	idn_pin_tx *t = arg;
	int rc = idn_pin_check(c, t);

	if (rc < 0 || t->outcome != IDN_PIN_OK || !t->new_pin_hash)
		return rc;
	rc = idn_store_set_pin(c, t->user_id, t->new_pin_hash, NULL);
	if (rc < 0)
		return rc;
	return idn_pin_log(c, t, t->event);
}

static int
idn_pin_reset_body(db_conn *c, void *arg)
{
	idn_pin_tx *t = arg;
	idn_pin row;
	int rc = idn_store_lock_pin(&row, t->arena, c, t->user_id);

	if (rc < 0)
		return rc;
	if (!auth_secret_equal(row.recovery_hash, strlen(row.recovery_hash), t->recovery_hash,
			       strlen(t->recovery_hash))) {
		t->outcome = IDN_PIN_BAD_RECOVERY;
		return idn_pin_log(c, t, "pin_reset_failed");
	}
	t->outcome = IDN_PIN_OK;
	rc = idn_guards_settle(c, &t->guards);
	if (rc == 0)
		rc = idn_store_set_pin(c, t->user_id, t->new_pin_hash, t->new_recovery_hash);
	if (rc < 0)
		return rc;
	return idn_pin_log(c, t, "pin_reset");
}

static int
idn_pin_set_body(db_conn *c, void *arg)
{
	idn_pin_tx *t = arg;
	int rc = idn_store_insert_pin(c, t->user_id, t->new_pin_hash, t->new_recovery_hash);

	if (rc < 0)
		return rc;
	return idn_pin_log(c, t, "pin_set");
}

/* The error of an outcome other than IDN_PIN_OK. */
static int
idn_pin_refused(const idn_pin_tx *t)
{
	switch (t->outcome) {
	case IDN_PIN_WRONG: {
		char left[16];

		snprintf(left, sizeof(left), "%d", t->attempts_left);
		err_set(ERR_PERMISSION_DENIED, "pin_incorrect",
			"wrong PIN: %d attempts left before it locks", t->attempts_left);
		return err_set_meta("attempts_left", left);
	}
	case IDN_PIN_LOCKED: {
		int64_t wait = (t->locked_until_us - idn_now_us() + 999999) / 1000000;
		int rc;

		if (wait < 1)
			wait = 1;
		rc = err_set(ERR_FAILED_PRECONDITION, "pin_locked",
			     "the PIN is locked after too many wrong attempts: "
			     "try again in %lld seconds",
			     (long long)wait);
		err_set_retry_after((int)wait);
		return rc;
	}
	case IDN_PIN_BAD_RECOVERY:
		return err_set(ERR_PERMISSION_DENIED, "invalid_recovery_token",
			       "the recovery token is not valid");
	default:
		return 0;
	}
}

static int
idn_pin_run(rpc_ctx *ctx, idn_pin_tx *t, db_tx_fn body)
{
	db_conn *c = NULL;
	int rc;

	t->arena = rpc_ctx_arena(ctx);
	if (!t->client.addr)
		idn_client_of(&t->client, ctx);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), body, t);
	if (rc < 0)
		return rc;
	return idn_pin_refused(t);
}

/* A fresh recovery token for the reply, and its hash for the row. */
static int
idn_recovery_token(rpc_ctx *ctx, char **token_out, char hash[IDN_TOKEN_HASH_TEXT])
{
	char token[IDN_TOKEN_TEXT];

	idn_new_token(token, hash);
	*token_out = mem_arena_strdup(rpc_ctx_arena(ctx), token);
	sodium_memzero(token, sizeof(token));
	return *token_out ? 0 : err_oom();
}

int
idn_set_pin(rpc_ctx *ctx, const Kolo__Identity__V1__SetPinRequest *in,
	    Kolo__Identity__V1__SetPinResponse *out)
{
	idn_pin_tx t = {.user_id = rpc_ctx_user_id(ctx)};
	char pin_hash[IDN_SECRET_HASH_MAX], recovery_hash[IDN_TOKEN_HASH_TEXT];
	int rc = idn_check_pin(in->pin, "pin");

	if (rc == 0)
		rc = idn_hash_secret(pin_hash, in->pin);
	idn_wipe(in->pin);
	if (rc == 0)
		rc = idn_recovery_token(ctx, &out->recovery_token, recovery_hash);
	if (rc < 0)
		return rc;
	t.new_pin_hash = pin_hash;
	t.new_recovery_hash = recovery_hash;
	return idn_pin_run(ctx, &t, idn_pin_set_body);
}

int
idn_change_pin(rpc_ctx *ctx, const Kolo__Identity__V1__ChangePinRequest *in,
	       Kolo__Identity__V1__ChangePinResponse *out)
{
	idn_pin_tx t = {
		.user_id = rpc_ctx_user_id(ctx), .pin = in->old_pin, .event = "pin_changed"};
	char pin_hash[IDN_SECRET_HASH_MAX];
	int rc = idn_check_pin(in->old_pin, "old_pin");

	if (rc == 0)
		rc = idn_check_pin(in->new_pin, "new_pin");
	if (rc == 0)
		rc = idn_hash_secret(pin_hash, in->new_pin);
	idn_wipe(in->new_pin);
	if (rc == 0) {
		t.new_pin_hash = pin_hash;
		rc = idn_pin_run(ctx, &t, idn_pin_check_body);
	}
	idn_wipe(in->old_pin);
	return rc;
}

/* Whose PIN a VerifyPin call checks: the service token may name anyone;
 * a user may check only their own. */
static int
idn_pin_subject(rpc_ctx *ctx, const char *requested, const char **out)
{
	const char *caller = rpc_ctx_user_id(ctx);

	if (requested[0] && !text_is_uuid(requested))
		return err_invalid_id("user_id");
	if (rpc_ctx_is_internal(ctx) && requested[0]) {
		*out = requested;
		return 0;
	}
	if (!caller)
		return err_invalid_id("user_id");
	if (requested[0] && strcmp(requested, caller) != 0)
		return err_set(ERR_PERMISSION_DENIED, "not_your_pin",
			       "you may verify only your own PIN");
	*out = caller;
	return 0;
}

int
idn_verify_pin(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyPinRequest *in,
	       Kolo__Identity__V1__VerifyPinResponse *out)
{
	idn_pin_tx t = {.pin = in->pin};
	int rc = idn_pin_subject(ctx, in->user_id, &t.user_id);

	if (rc == 0)
		rc = idn_check_pin(in->pin, "pin");
	if (rc == 0)
		rc = idn_pin_run(ctx, &t, idn_pin_check_body);
	idn_wipe(in->pin);
	return rc;
}

int
idn_reset_pin(rpc_ctx *ctx, const Kolo__Identity__V1__ResetPinRequest *in,
	      Kolo__Identity__V1__ResetPinResponse *out)
{
	idn_pin_tx t = {.user_id = rpc_ctx_user_id(ctx)};
	char pin_hash[IDN_SECRET_HASH_MAX], presented[IDN_TOKEN_HASH_TEXT];
	char recovery_hash[IDN_TOKEN_HASH_TEXT];
	db_conn *c = NULL;
	int rc = idn_check_pin(in->new_pin, "new_pin");

	if (rc == 0 && !in->recovery_token[0])
		rc = err_set(ERR_INVALID_ARGUMENT, "missing_recovery_token",
			     "recovery_token is required");
	idn_client_of(&t.client, ctx);
	t.guards.client = &t.client;
	idn_guard_add(&t.guards, IDN_LIMIT_RESET_PIN_ACCOUNT, t.user_id, t.user_id);
	idn_guard_add(&t.guards, IDN_LIMIT_RESET_PIN_ADDR, t.client.addr, NULL);
	if (rc == 0)
		rc = db_thread_conn(&c);
	/* Charged before the new PIN's hash; a right token gives it back. */
	if (rc == 0)
		rc = idn_guards_take(ctx, c, &t.guards);
	if (rc == 0)
		rc = idn_hash_secret(pin_hash, in->new_pin);
	idn_wipe(in->new_pin);
	idn_token_hash(presented, in->recovery_token);
	idn_wipe(in->recovery_token);
	if (rc == 0)
		rc = idn_recovery_token(ctx, &out->recovery_token, recovery_hash);
	if (rc < 0)
		return rc;
	t.recovery_hash = presented;
	t.new_pin_hash = pin_hash;
	t.new_recovery_hash = recovery_hash;
	return idn_pin_run(ctx, &t, idn_pin_reset_body);
}
