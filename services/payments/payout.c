/* Payouts (DESIGN §8): the ledger debit first, then the transfer with the
 * payout id as the provider's reference; a failed transfer is reversed.
 *
 * A payout is a state machine (payout_state.h has its one transition
 * table). Every money call is made only by the actor that claimed its step
 * in the database first, by a compare-and-set on the row's version:
 *   CREATED -> DEBITING -> DEBITED -> SENT -> PAID
 *                      \-> UNFUNDED         \-> FAILED -> REVERSING -> REVERSED
 * A claim left idle (a killed or stalled actor) is taken over by the worker,
 * which makes the same call again: the ledger answers a reference the same
 * way for ever (a refused debit stays refused: ledger_refusal), and the
 * provider dedupes the transfer reference. So a stale actor's late call
 * changes nothing, and its move finds another version and does nothing: no
 * money lost, none sent twice, no debit without its transfer or reversal. */
#include "payments.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "beneficiary/beneficiary.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "log/log.h"

/* The ledger references of a payout's debit and reversal. */
static const char *
pay_ref(mem_arena *a, const char *kind, const pay_payout *p)
{
	if (p->attempt <= 1)
		return mem_arena_printf(a, "%s:%s", kind, p->withdrawal_id);
	return mem_arena_printf(a, "%s:%s:%d", kind, p->withdrawal_id, p->attempt);
}

/* The group's account, which the payout's entries name. */
static int
pay_account_id(pay_env *env, const pay_payout *p, const char **out)
{
	pay_account acct;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = pay_store_account(&acct, &found, env->arena, c, p->group_id);
	if (rc == 0 && !found)
		rc = err_set(ERR_FAILED_PRECONDITION, "no_account",
			     "the group has no account to pay from");
	if (rc == 0)
		*out = acct.id;
	return rc;
}

/* The ledger's final "no" to a payout's debit: the balance, or no live hold. */
static int
pay_refusal(int rc, int *refused)
{
	if (rc == ERR_FAILED_PRECONDITION &&
	    (strcmp(err_last()->reason, "insufficient_funds") == 0 ||
	     strcmp(err_last()->reason, "hold_not_held") == 0)) {
		*refused = 1;
		return 0;
	}
	return rc;
}

/* The payout's debit as the capture of the hold its withdrawal placed
 * (DESIGN §13); *refused when there was no live hold to capture. */
static int
pay_capture(pay_env *env, const pay_payout *p, const char *account_id, const char *reference,
	    int *refused)
{
	Kolo__Ledger__V1__CaptureHoldRequest req = KOLO__LEDGER__V1__CAPTURE_HOLD_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	req.reference = p->hold_reference;
	req.group_id = p->group_id;
	req.amount_kobo = p->amount_kobo;
	req.account_id = (char *)account_id;
	req.entry_reference = (char *)reference;
	req.source = "payout";
	req.simulated = strcmp(p->provider, "demo") == 0;
	return pay_refusal(pay_call(&resp, env, pay_current()->ledger, "CaptureHold", &req.base),
			   refused);
}

/* A payout's money in the ledger: its debit (the capture of its hold, when
 * it has one) or its reversal; *refused when the ledger said no for good. */
static int
pay_post(pay_env *env, const pay_payout *p, int type, const char *reference, int *refused)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	const char *account_id = NULL;
	int rc = pay_account_id(env, p, &account_id);

	*refused = 0;
	if (rc < 0)
		return rc;
	if (type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT && p->hold_reference[0])
		return pay_capture(env, p, account_id, reference, refused);
	req.group_id = p->group_id;
	req.account_id = (char *)account_id;
	req.type = type;
	req.amount_kobo = p->amount_kobo;
	req.source = "payout";
	req.reference = (char *)reference;
	req.simulated = strcmp(p->provider, "demo") == 0;
	return pay_refusal(pay_call(&resp, env, pay_current()->ledger, "PostEntry", &req.base),
			   refused);
}

/* Applies a move of the table as a compare-and-set on the version p was
 * read at; on success p is in its new state (*moved), otherwise someone
 * else moved it first and p is stale (the caller re-reads). */
static int
pay_move(pay_payout *p, pay_state to, int actor, const char *provider_ref, const char *reason,
	 int executed, int *moved)
{
	db_conn *c = NULL;
	int rc;

	*moved = 0;
	if (!pay_move_allowed(p->state, to, actor))
		return err_set(ERR_INTERNAL, NULL, "payout %s: no move from %s/%s to %s/%s", p->id,
			       p->stage, p->status, pay_state_stage(to), pay_state_status(to));
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_payout_move(moved, c, p->id, p->version, to, provider_ref, reason,
					   executed);
	if (rc == 0 && *moved) {
		p->state = to;
		p->version++;
		p->stage = (char *)pay_state_stage(to);
		p->status = (char *)pay_state_status(to);
	}
	return rc;
}

/* Claims a step (-> claimed) for actor: a fresh claim, or the worker's
 * take-over of one left idle past payout_stale_s; *moved 0 when someone
 * holds it and may still be at it. */
static int
pay_claim(pay_payout *p, pay_state claimed, int actor, int *moved)
{
	*moved = 0;
	if (p->state == claimed &&
	    (!(actor & PAY_BY_WORKER) || p->idle_s < pay_current()->payout_stale_s))
		return 0; /* someone holds it and may still be at it */
	return pay_move(p, claimed, actor, NULL, NULL, 0, moved);
}

static int pay_check_same_provider(pay_env *env, const char *group_id);

/* CREATED or DEBITING: claim the debit, then take the money from the
 * group. Whoever posts the reference, the ledger gives one answer: the
 * debit (a replay for a second poster) or its refusal. A group that cannot
 * pay this way (no account, another provider's) is refused before a first
 * claim posts anything. */
static int
pay_step_debit(pay_env *env, pay_payout *p, int actor, int *moved)
{
	int refused = 0;
	int rc = pay_claim(p, PAY_DEBITING, actor, moved);

	if (rc < 0 || !*moved)
		return rc;
	/* Every claimant checks before it posts, and a group's account never
	 * changes provider: a mismatch means nobody posted. */
	rc = pay_check_same_provider(env, p->group_id);
	if (rc == ERR_FAILED_PRECONDITION)
		return pay_move(p, PAY_UNFUNDED, PAY_BY_CLAIMER, NULL,
				mem_arena_printf(env->arena, "%s", err_last()->reason), 0, moved);
	if (rc == 0)
		rc = pay_post(env, p, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT,
			      pay_ref(env->arena, "payout", p), &refused);
	if (rc < 0)
		return rc; /* unknown: the claim idles until the worker asks again */
	if (refused)
		return pay_move(p, PAY_UNFUNDED, PAY_BY_CLAIMER, NULL,
				mem_arena_printf(env->arena, "%s", err_last()->reason), 0, moved);
	return pay_move(p, PAY_DEBITED, PAY_BY_CLAIMER, NULL, NULL, 0, moved);
}

/* Where a transfer result takes a SENT payout. */
static int
pay_apply_transfer(pay_payout *p, const pay_transfer_result *r, int *moved)
{
	const char *ref = r->provider_id[0] ? r->provider_id : NULL;

	switch (r->status) {
	case PAY_TRANSFER_SUCCESS:
		return pay_move(p, PAY_PAID, PAY_BY_ANYONE, ref, NULL, 1, moved);
	case PAY_TRANSFER_FAILED:
		return pay_move(p, PAY_FAILED, PAY_BY_ANYONE, ref,
				r->message[0] ? r->message : "the transfer failed", 0, moved);
	default:
		/* Still pending: noted, so the worker's queue moves on. */
		return pay_move(p, PAY_SENT, PAY_BY_ANYONE, ref, NULL, 0, moved);
	}
}

static int
pay_transfer_request_of(pay_env *env, const pay_payout *p, pay_transfer_request *out)
{
	Kolo__Common__V1__Beneficiary b;
	int rc = beneficiary_parse(&b, env->arena, p->beneficiary);

	if (rc < 0)
		return rc;
	*out = (pay_transfer_request){.reference = p->id,
				      .amount_kobo = p->amount_kobo,
				      .bank_code = b.bank_code,
				      .account_number = b.account_number,
				      .account_name = b.account_name,
				      .narration = "Kolo payout"};
	return 0;
}

/* DEBITED: claim the send (a compare-and-set only one handler, worker or
 * replica wins), then ask the provider to send it. From SENT we only ever
 * ask, never send again unless the provider says it never saw the
 * transfer; an unknown outcome (timeout, 5xx) stays SENT. */
static int
pay_step_send(pay_env *env, pay_payout *p, int *moved)
{
	pay_provider *prov = pay_current()->provider;
	pay_transfer_request req;
	pay_transfer_result res;
	int rc = pay_move(p, PAY_SENT, PAY_BY_ANYONE, NULL, NULL, 0, moved);

	if (rc < 0 || !*moved)
		return rc; /* another actor is sending it */
	/* A beneficiary that cannot be read is never sent: the money goes back. */
	if (pay_transfer_request_of(env, p, &req) < 0)
		return pay_move(p, PAY_FAILED, PAY_BY_ANYONE, NULL, "unreadable beneficiary", 0,
				moved);
	memset(&res, 0, sizeof(res));
	rc = prov->ops->create_transfer(prov, &req, &res);
	if (rc == ERR_INVALID_ARGUMENT || rc == ERR_NOT_FOUND || rc == ERR_FAILED_PRECONDITION) {
		char reason[ERR_MESSAGE_MAX];

		snprintf(reason, sizeof(reason), "%s", err_last()->message);
		return pay_move(p, PAY_FAILED, PAY_BY_ANYONE, NULL, reason, 0, moved);
	}
	if (rc < 0) {
		log_event(LOG_LVL_WARN, "transfer outcome unknown", "payout_id", p->id, "error",
			  err_last()->message, NULL);
		return 0;
	}
	rc = pay_apply_transfer(p, &res, moved);
	pay_free_raw(&res.raw_json);
	return rc;
}

/* SENT: ask the provider how the transfer went. */
static int
pay_step_poll(pay_payout *p, int actor, int *moved)
{
	pay_provider *prov = pay_current()->provider;
	pay_transfer_result res;
	int rc;

	*moved = 0;
	memset(&res, 0, sizeof(res));
	rc = prov->ops->get_transfer(prov, p->id, p->provider_reference, &res);
	if (rc == ERR_NOT_FOUND) {
		/* Not heard of this long after we asked (resend_after_s): it
		 * never reached the provider, and only then is it sent again
		 * (same reference), by the worker. Sooner, the provider may
		 * not have it yet. */
		if (!(actor & PAY_BY_WORKER) || p->idle_s < pay_current()->resend_after_s)
			return 0;
		return pay_move(p, PAY_DEBITED, PAY_BY_WORKER, NULL, NULL, 0, moved);
	}
	if (rc < 0)
		return rc;
	rc = pay_apply_transfer(p, &res, moved);
	pay_free_raw(&res.raw_json);
	return rc;
}

typedef struct pay_reverse_tx {
	pay_payout *p;
	const char *payload;
	int moved;
} pay_reverse_tx;

/* REVERSING -> REVERSED and its payout_recovery row, together. */
static int
pay_reverse_body(db_conn *c, void *arg)
{
	pay_reverse_tx *t = arg;
	int rc = pay_store_payout_move(&t->moved, c, t->p->id, t->p->version, PAY_REVERSED, NULL,
				       NULL, 0);

	if (rc < 0 || !t->moved)
		return rc;
	return pay_store_payout_recovery(c, t->p->withdrawal_id, t->payload, t->p->failure_reason);
}

/* FAILED (or REVERSING left idle): claim the reversal, give the money back,
 * and keep the failure in payout_recovery for people to look at. */
static int
pay_step_reverse(pay_env *env, pay_payout *p, int actor, int *moved)
{
	int refused = 0;
	db_conn *c = NULL;
	json_t *payload;
	char *text = NULL;
	pay_reverse_tx t = {.p = p};
	int rc = pay_claim(p, PAY_REVERSING, actor, moved);

	if (rc < 0 || !*moved)
		return rc;
	*moved = 0;
	rc = pay_post(env, p, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT,
		      pay_ref(env->arena, "reversal", p), &refused);
	if (rc < 0)
		return rc;
	payload = json_pack("{s:s, s:I, s:i}", "payout_id", p->id, "amount_kobo",
			    (json_int_t)p->amount_kobo, "attempt", p->attempt);
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	t.payload = text ? text : "{}";
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_env_timeout(env), pay_reverse_body, &t);
	free(text);
	*moved = t.moved;
	if (rc == 0 && t.moved) {
		p->state = PAY_REVERSED;
		p->version++;
		log_event(LOG_LVL_WARN, "payout failed and reversed", "payout_id", p->id,
			  "withdrawal_id", p->withdrawal_id, "reason", p->failure_reason, NULL);
	}
	return rc;
}

static int
pay_reread(pay_env *env, pay_payout *p)
{
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = pay_store_payout(p, &found, env->arena, c, "id", p->id);
	if (rc == 0 && !found)
		rc = err_set(ERR_INTERNAL, NULL, "payout %s vanished", p->id);
	return rc;
}

/* One step for the payout's state; *done when there is nothing more to do
 * now: finished, held by another actor, or waiting on the provider (a
 * transfer it accepted but has not finished is left to its webhook or the
 * worker). A move lost to another actor re-reads and goes on from there. */
static int
pay_step(pay_env *env, pay_payout *p, int actor, int *done)
{
	int moved = 0, rc = 0, version = p->version;

	*done = 0;
	switch (p->state) {
	case PAY_CREATED:
	case PAY_DEBITING:
		rc = pay_step_debit(env, p, actor, &moved);
		break;
	case PAY_DEBITED:
		rc = pay_step_send(env, p, &moved);
		*done = 1; /* sent: a pending transfer is asked about later */
		break;
	case PAY_SENT:
		rc = pay_step_poll(p, actor, &moved);
		*done = 1; /* asked once: a pending transfer is left as it is */
		break;
	case PAY_FAILED:
	case PAY_REVERSING:
		rc = pay_step_reverse(env, p, actor, &moved);
		break;
	default:
		*done = 1; /* PAID, UNFUNDED, REVERSED: the end */
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = pay_reread(env, p); /* what the move wrote, or who else moved it */
	if (rc < 0)
		return rc;
	if (moved)
		*done = *done && p->state == PAY_SENT;
	else
		*done = p->version == version; /* nothing to do now */
	return 0;
}

#define PAY_MAX_STEPS 8

int
pay_payout_advance(pay_env *env, pay_payout *p)
{
	int actor = env->ctx ? PAY_BY_ANYONE : PAY_BY_WORKER;
	int done = 0, rc = 0;

	for (int i = 0; i < PAY_MAX_STEPS && rc == 0 && !done; i++)
		rc = pay_step(env, p, actor, &done);
	return rc;
}

typedef struct pay_start_tx {
	mem_arena *arena;
	const pay_payout *spec;
	pay_payout *out;
	int created;
} pay_start_tx;

static int
pay_start_body(db_conn *c, void *arg)
{
	pay_start_tx *t = arg;
	int rc = pay_store_payout_add(t->out, &t->created, t->arena, c, t->spec);

	/* A payout found started may be a commit the standby never confirmed:
	 * this transaction's commit then waits for it. */
	if (rc == 0 && !t->created)
		rc = db_fence(c);
	return rc;
}

/* Money leaves only through the provider that took it in: a group whose
 * account the demo provider made holds simulated credits, never paid out
 * for real (and the reverse). */
static int
pay_check_same_provider(pay_env *env, const char *group_id)
{
	pay_account acct;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = pay_store_account(&acct, &found, env->arena, c, group_id);
	if (rc < 0)
		return rc;
	if (!found)
		return err_set(ERR_FAILED_PRECONDITION, "no_account",
			       "the group has no account to pay from");
	if (strcmp(acct.provider, pay_current()->provider->ops->name) != 0)
		return err_set(ERR_FAILED_PRECONDITION, "provider_mismatch",
			       "the group's account is with %s, payouts go through %s",
			       acct.provider, pay_current()->provider->ops->name);
	return 0;
}

int
pay_payout_start(pay_payout *out, int *out_replayed, pay_env *env, const pay_payout *spec)
{
	pay_start_tx t = {.arena = env->arena, .spec = spec, .out = out};
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = db_tx(c, svc_env_timeout(env), pay_start_body, &t);
	if (rc < 0)
		return rc;
	*out_replayed = !t.created;
	if (!t.created && (out->amount_kobo != spec->amount_kobo ||
			   strcasecmp(out->group_id, spec->group_id) != 0))
		return err_set(ERR_ALREADY_EXISTS, "payout_conflict",
			       "this withdrawal attempt already has a different payout");
	return pay_payout_advance(env, out);
}
