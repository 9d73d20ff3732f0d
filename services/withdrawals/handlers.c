/* CreateWithdrawal, ApproveWithdrawal, DeclineWithdrawal, GetWithdrawal,
 * ListWithdrawals, RetryPayout. */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "beneficiary/beneficiary.h"
#include "flow.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "idem/idem.h"
#include "log/log.h"
#include "membership/membership.h"
#include "money/money.h"
#include "text/text.h"
#include "withdrawals_service.h"
#include "svc/sessions.h"
#include "svc/pin.h"

static wdr_env
wdr_env_of(rpc_ctx *ctx)
{
	wdr_env env = {.ctx = ctx, .arena = rpc_ctx_arena(ctx)};

	return env;
}

/* --- the calls a request needs ---------------------------------------------- */

/* The group's balance must cover amount. */
static int
wdr_check_balance(rpc_ctx *ctx, const char *group_id, int64_t amount)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group_id;
	rc = svc_call(ctx, wdr_current()->ledger, "GetBalance", &req.base,
		      (ProtobufCMessage **)&resp, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	if (resp->balance_kobo < amount)
		return err_set(ERR_FAILED_PRECONDITION, "insufficient_funds",
			       "the group's balance (%lld kobo) is below the amount",
			       (long long)resp->balance_kobo);
	return 0;
}

/* Where the provider can name an account's holder, the name given must be
 * that name (the demo provider names no one). */
static int
wdr_check_holder(rpc_ctx *ctx, const char *group_id, const wdr_beneficiary *b)
{
	Kolo__Payments__V1__GetAccountRequest acct = KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__GetAccountResponse *account = NULL;
	Kolo__Payments__V1__ResolveBankAccountRequest req =
		KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__ResolveBankAccountResponse *resolved = NULL;
	int rc;

	acct.group_id = (char *)group_id;
	rc = svc_call(ctx, wdr_current()->payments, "GetAccount", &acct.base,
		      (ProtobufCMessage **)&account, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	if (strcmp(account->account->provider, "demo") == 0)
		return 0;
	req.bank_code = (char *)b->bank_code;
	req.account_number = (char *)b->account_number;
	req.group_id = (char *)group_id;
	/* As the requesting officer: the resolution counts against their and
	 * the group's limits, like one they asked for themselves. */
	rc = svc_call(ctx, wdr_current()->payments, "ResolveBankAccount", &req.base,
		      (ProtobufCMessage **)&resolved, SVC_CALL_INTERNAL | SVC_CALL_AS_USER);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_FAILED_PRECONDITION, "beneficiary_not_found",
			       "the bank knows no such account");
	if (rc < 0)
		return rc;
	if (!wdr_names_match(b->account_name, resolved->account_name))
		return err_set(ERR_FAILED_PRECONDITION, "beneficiary_name_mismatch",
			       "the bank names this account's holder differently");
	return 0;
}

/* --- messages ------------------------------------------------------------------ */

static int
wdr_status_enum(wdr_state state)
{
	static const int wire[WDR_STATE_COUNT] = {
		[WDR_PENDING] = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING,
		[WDR_APPROVED] = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_APPROVED,
		[WDR_PAID] = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAID,
		[WDR_DECLINED] = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_DECLINED,
		[WDR_PAYOUT_FAILED] =
			KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAYOUT_FAILED,
		[WDR_CLOSED] = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_CLOSED,
	};

	return wire[state];
}

static Kolo__Withdrawals__V1__PayoutSummary *
wdr_payout_summary(mem_arena *a, const wdr_row *w)
{
	Kolo__Withdrawals__V1__PayoutSummary *p;

	if (!w->payout_status[0])
		return NULL;
	p = mem_arena_alloc(a, sizeof(*p));
	if (!p)
		return NULL;
	kolo__withdrawals__v1__payout_summary__init(p);
	p->id = w->payout_id;
	p->status = strcmp(w->payout_status, "SUCCESS") == 0
			    ? KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS
		    : strcmp(w->payout_status, "FAILED") == 0
			    ? KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED
			    : KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_PENDING;
	p->failure_reason = w->payout_failure;
	return p;
}

static Kolo__Withdrawals__V1__Withdrawal *
wdr_message(rpc_ctx *ctx, const wdr_row *w)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Withdrawals__V1__Withdrawal *m = mem_arena_alloc(a, sizeof(*m));
	Kolo__Common__V1__Beneficiary *b = mem_arena_alloc(a, sizeof(*b));

	if (!m || !b || beneficiary_parse(b, a, w->beneficiary) < 0)
		return NULL;
	kolo__withdrawals__v1__withdrawal__init(m);
	m->id = w->id;
	m->group_id = w->group_id;
	m->amount_kobo = w->amount_kobo;
	m->status = wdr_status_enum(w->state);
	m->reason = w->reason;
	m->decline_reason = w->decline_reason;
	m->requested_by = w->requested_by;
	m->approvals_required = w->approvals_required;
	m->expires_at = w->expires_at;
	m->executed_at = w->executed_at;
	m->created_at = w->created_at;
	m->beneficiary = b;
	m->client_ref = w->client_ref;
	m->declined_by = w->declined_by;
	m->payout = wdr_payout_summary(a, w);
	m->approvals = mem_arena_alloc(a, sizeof(*m->approvals) * (w->n_approvals + 1));
	if (!m->approvals)
		return NULL;
	for (size_t i = 0; i < w->n_approvals; i++) {
		Kolo__Withdrawals__V1__Approval *ap = mem_arena_alloc(a, sizeof(*ap));

		if (!ap)
			return NULL;
		kolo__withdrawals__v1__approval__init(ap);
		ap->user_id = w->approvals[i].user_id;
		ap->created_at = w->approvals[i].created_at;
		m->approvals[m->n_approvals++] = ap;
	}
	return m;
}

/* The request as it stands now, for a reply. */
static int
wdr_reply(rpc_ctx *ctx, const char *id, Kolo__Withdrawals__V1__Withdrawal **out)
{
	wdr_row row;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = wdr_store_get(&row, &found, rpc_ctx_arena(ctx), c, id, 0);
	if (rc == 0 && !found)
		rc = err_set(ERR_INTERNAL, NULL, "withdrawal %s vanished", id);
	if (rc < 0)
		return rc;
	*out = wdr_message(ctx, &row);
	return *out ? 0 : err_oom();
}

/* Pays an APPROVED request now; a failure to reach payments leaves it to
 * the worker (the request is APPROVED either way). */
static void
wdr_pay_now(rpc_ctx *ctx, const char *id)
{
	wdr_env env = wdr_env_of(ctx);

	if (wdr_pay(&env, id) < 0)
		log_event(LOG_LVL_WARN, "payout left to the worker", "withdrawal_id", id, "reason",
			  err_last()->reason, NULL);
	err_clear();
}

/* The approval tiers of a membership answer, as the decision reads them. */
static int
wdr_tiers_of(mem_arena *a, const Kolo__Groups__V1__GetMembershipResponse *m, wdr_approval_facts *f)
{
	wdr_tier *tiers = mem_arena_alloc(a, sizeof(*tiers) * (m->n_approval_tiers + 1));

	if (!tiers)
		return err_oom();
	for (size_t i = 0; i < m->n_approval_tiers; i++)
		tiers[i] = (wdr_tier){m->approval_tiers[i]->above_kobo,
				      m->approval_tiers[i]->approvals_required};
	f->tiers = tiers;
	f->n_tiers = m->n_approval_tiers;
	return 0;
}

/* --- CreateWithdrawal ------------------------------------------------------------ */

static int wdr_approve_move(db_conn *c, mem_arena *a, const char *id, const char *actor,
			    const wdr_approval_decision *d, int *approved);

typedef struct wdr_create_tx {
	wdr_env env;
	wdr_new row;
	wdr_approval_facts group; /* the rule now; the requester as officer and approver */
	char *id;
	char *expires_at;
	const char *hold; /* the request's hold in the ledger */
	int approved;
} wdr_create_tx;

/* withdrawal.requested of the request just made. */
static int
wdr_create_notify(db_conn *c, const wdr_create_tx *t)
{
	wdr_row w = {.id = t->id,
		     .group_id = (char *)t->row.group_id,
		     .amount_kobo = t->row.amount_kobo,
		     .beneficiary = (char *)t->row.beneficiary,
		     .reason = (char *)t->row.reason,
		     .requested_by = (char *)t->row.requested_by,
		     .expires_at = t->expires_at,
		     .approvals_required = t->row.approvals_required,
		     .payout_attempt = 1};

	return wdr_notify_requested(c, t->env.arena, &w, t->row.requested_by);
}

/* One transaction, run once (it calls the ledger): the request, its hold of
 * the money (refused when the available balance is short: then nothing is
 * made) for WDR_HOLD_GRACE_S until renewed after COMMIT, and the decision. */
static int
wdr_create_body(db_conn *c, void *arg)
{
	wdr_create_tx *t = arg;
	mem_arena *a = t->env.arena;
	wdr_approval_decision d;
	int rc = wdr_store_recent_kobo(&t->group.recent_kobo, c, t->row.group_id, "");

	/* The request is the requester's approval: one may be enough. */
	if (rc < 0)
		return rc;
	t->group.amount_kobo = t->row.amount_kobo;
	d = wdr_decide_approval(&t->group);
	t->row.approvals_required = d.required;
	rc = wdr_store_create(&t->id, &t->expires_at, a, c, &t->row);
	if (rc == 0)
		rc = wdr_create_notify(c, t);
	if (rc == 0) {
		t->hold = wdr_hold_ref(a, t->id, 1);
		rc = wdr_hold(&t->env, t->row.group_id, t->row.amount_kobo, t->hold,
			      wdr_time_in(a, WDR_HOLD_GRACE_S));
	}
	if (rc == 0)
		rc = wdr_store_set_hold(c, t->id, t->hold);
	if (rc == 0 && d.complete)
		rc = wdr_approve_move(c, a, t->id, t->row.requested_by, &d, &t->approved);
	return rc;
}

/* PENDING -> APPROVED: actor's approval made d complete. */
static int
wdr_approve_move(db_conn *c, mem_arena *a, const char *id, const char *actor,
		 const wdr_approval_decision *d, int *approved)
{
	wdr_move m = {.id = id,
		      .from = WDR_PENDING,
		      .to = WDR_APPROVED,
		      .actor = actor,
		      .approvals_required = d->required,
		      .approvals = d->counted};

	return wdr_notify_move_apply(approved, c, a, &m);
}

/* 1 when the stored request is the one asked for again: same group,
 * amount, beneficiary and reason. */
static int
wdr_same_request(mem_arena *a, const wdr_row *row,
		 const Kolo__Withdrawals__V1__CreateWithdrawalRequest *in)
{
	Kolo__Common__V1__Beneficiary b;

	if (beneficiary_parse(&b, a, row->beneficiary) < 0)
		return 0;
	return row->amount_kobo == in->amount_kobo &&
	       strcasecmp(row->group_id, in->group_id) == 0 &&
	       strcmp(row->reason, in->reason) == 0 &&
	       strcmp(b.bank_code, in->beneficiary->bank_code) == 0 &&
	       strcmp(b.account_number, in->beneficiary->account_number) == 0 &&
	       strcmp(b.account_name, in->beneficiary->account_name) == 0;
}

/* A retried create with the same Idempotency-Key returns the original
 * (replayed); the key on another request is idempotency_key_used. */
static int
wdr_replay(rpc_ctx *ctx, const Kolo__Withdrawals__V1__CreateWithdrawalRequest *in,
	   Kolo__Withdrawals__V1__CreateWithdrawalResponse *out, int *replayed)
{
	wdr_row row;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	*replayed = 0;
	if (rc == 0)
		rc = wdr_store_by_client_ref(&row, &found, rpc_ctx_arena(ctx), c,
					     rpc_ctx_user_id(ctx), in->client_ref);
	if (rc < 0 || !found)
		return rc;
	if (!wdr_same_request(rpc_ctx_arena(ctx), &row, in))
		return err_set(ERR_ALREADY_EXISTS, "idempotency_key_used",
			       "this Idempotency-Key was used for another request");
	/* The row found may be a commit the standby never confirmed. */
	rc = db_fence(c);
	if (rc < 0)
		return rc;
	*replayed = 1;
	out->replayed = 1;
	out->withdrawal = wdr_message(ctx, &row);
	return out->withdrawal ? 0 : err_oom();
}

static int
wdr_check_create(const Kolo__Withdrawals__V1__CreateWithdrawalRequest *in, wdr_beneficiary *b)
{
	int rc = money_check_amount(in->amount_kobo);

	if (rc < 0)
		return rc;
	if (!in->beneficiary)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary is required");
	*b = (wdr_beneficiary){in->beneficiary->bank_code, in->beneficiary->account_number,
			       in->beneficiary->account_name};
	if (idem_key_check(in->client_ref, IDEM_KEY_CLIENT_REF) < 0)
		return ERR_INVALID_ARGUMENT;
	if (wdr_check_beneficiary(b) < 0)
		return ERR_INVALID_ARGUMENT;
	return wdr_check_reason(in->reason);
}

int
wdr_create_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__CreateWithdrawalRequest *in,
		      Kolo__Withdrawals__V1__CreateWithdrawalResponse *out)
{
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	wdr_create_tx t = {.env = wdr_env_of(ctx)};
	wdr_beneficiary b;
	char *beneficiary = NULL;
	db_conn *c = NULL;
	int replayed = 0;
	int rc = wdr_check_create(in, &b);

	if (rc == 0)
		rc = membership_check(ctx, wdr_current()->groups, in->group_id, 1, &m);
	if (rc == 0 && in->client_ref[0])
		rc = wdr_replay(ctx, in, out, &replayed);
	if (rc < 0 || replayed)
		return rc;
	/* The PIN first: the holder check asks the provider with the
	 * merchant's key, which a session without the PIN may not spend. */
	rc = svc_verify_pin(ctx, wdr_current()->identity, in->pin);
	if (rc == 0)
		rc = wdr_check_holder(ctx, in->group_id, &b);
	if (rc == 0)
		rc = beneficiary_json(&beneficiary, b.bank_code, b.account_number, b.account_name);
	if (rc < 0)
		return rc;
	t.row = (wdr_new){.group_id = in->group_id,
			  .amount_kobo = in->amount_kobo,
			  .beneficiary = beneficiary,
			  .reason = in->reason,
			  .requested_by = rpc_ctx_user_id(ctx),
			  .client_ref = in->client_ref,
			  .ttl_s = wdr_current()->ttl_s};
	t.group = (wdr_approval_facts){.rule_required = m->approvals_required,
				       .officers = (const char *const *)m->officer_user_ids,
				       .n_officers = m->n_officer_user_ids,
				       .approvers = &t.row.requested_by,
				       .n_approvers = 1};
	rc = wdr_tiers_of(t.env.arena, m, &t.group);
	if (rc < 0) {
		free(beneficiary);
		return rc;
	}
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx_single(c, svc_tx_timeout(ctx), wdr_create_body, &t);
	free(beneficiary);
	if (rc < 0 && t.hold) /* not made: its hold goes (or lapses in the grace) */
		wdr_release_quietly(&t.env, t.hold);
	if (rc == ERR_ALREADY_EXISTS && in->client_ref[0]) /* a concurrent retry won */
		return wdr_replay(ctx, in, out, &replayed);
	if (rc < 0)
		return rc;
	/* Made: the hold lives as long as the request waits (an approved one's
	 * is renewed for good by its payout, wdr_pay). */
	if (!t.approved && wdr_hold(&t.env, in->group_id, in->amount_kobo, t.hold,
				    wdr_time_in(t.env.arena, wdr_current()->ttl_s)) < 0)
		log_event(LOG_LVL_WARN, "hold not renewed", "withdrawal_id", t.id, "reason",
			  err_last()->reason, NULL);
	log_event(LOG_LVL_INFO, "withdrawal_requested", "withdrawal_id", t.id, "group_id",
		  in->group_id, "actor", rpc_ctx_user_id(ctx), NULL);
	if (t.approved)
		wdr_pay_now(ctx, t.id);
	return wdr_reply(ctx, t.id, &out->withdrawal);
}

/* --- Approve, Decline, RetryPayout ---------------------------------------------------- */

typedef struct wdr_act_tx {
	mem_arena *arena;
	const char *id, *actor, *reason;
	wdr_approval_facts group; /* the group now: rule, tiers, officers */
	int approved;		  /* this approval completed the request */
	int who;		  /* WDR_BY_OFFICER and/or WDR_BY_REQUESTER */
	wdr_state retried_to;	  /* RetryPayout: APPROVED or PENDING */
	const char *hold;	  /* RetryPayout: the next attempt's hold */
} wdr_act_tx;

/* The group as an approval decision needs it, from the actor's membership
 * m (one answer of groups): its rule, its tiers and its officers now (roles
 * in force, not proposed ones). */
static int
wdr_gather_group(const Kolo__Groups__V1__GetMembershipResponse *m, wdr_act_tx *t)
{
	t->group.rule_required = m->approvals_required;
	t->group.officers = (const char *const *)m->officer_user_ids;
	t->group.n_officers = m->n_officer_user_ids;
	return wdr_tiers_of(t->arena, m, &t->group);
}

/* Decides, under the request's row lock, whether its approvals (plus the
 * actor's, when `with_actor`) complete it: the facts gathered before, the
 * request's amount, and what the group paid out or approved in the 24
 * hours before. */
static int
wdr_decide(db_conn *c, wdr_act_tx *t, const wdr_row *w, int with_actor, wdr_approval_decision *out)
{
	const char **approvers =
		mem_arena_alloc(t->arena, sizeof(*approvers) * (w->n_approvals + 1));
	wdr_approval_facts f = t->group;
	int rc;

	if (!approvers)
		return err_oom();
	for (size_t i = 0; i < w->n_approvals; i++)
		approvers[f.n_approvers++] = w->approvals[i].user_id;
	if (with_actor)
		approvers[f.n_approvers++] = t->actor;
	f.approvers = approvers;
	f.amount_kobo = w->amount_kobo;
	rc = wdr_store_recent_kobo(&f.recent_kobo, c, w->group_id, w->id);
	if (rc == 0)
		*out = wdr_decide_approval(&f);
	return rc;
}

/* A request that can still be acted on: PENDING and not expired. */
static int
wdr_actionable(const wdr_row *w)
{
	if (strcmp(w->status, "PENDING") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "not_pending",
			       "the withdrawal is %s, no longer PENDING", w->status);
	if (w->expired)
		return err_set(ERR_FAILED_PRECONDITION, "expired",
			       "the withdrawal expired before it was approved");
	return 0;
}

static int
wdr_approve_body(db_conn *c, void *arg)
{
	wdr_act_tx *t = arg;
	wdr_approval_decision d;
	wdr_row w;
	int found = 0;
	int rc = wdr_store_get(&w, &found, t->arena, c, t->id, 1);

	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "withdrawal_not_found", "no such withdrawal");
	if (rc == 0)
		rc = wdr_actionable(&w);
	if (rc == 0)
		rc = wdr_store_approve(c, t->id, t->actor);
	if (rc == 0)
		rc = wdr_decide(c, t, &w, 1, &d);
	if (rc == 0 && d.complete)
		rc = wdr_approve_move(c, t->arena, t->id, t->actor, &d, &t->approved);
	else if (rc == 0)
		rc = wdr_notify_approval(c, &w, t->actor, d.counted, d.required);
	return rc;
}

/* Declining a PENDING request ends it DECLINED; one whose payout failed
 * is closed (its money is already back). */
static int
wdr_decline_body(db_conn *c, void *arg)
{
	wdr_act_tx *t = arg;
	wdr_row w;
	wdr_move m = {.id = t->id, .actor = t->actor, .reason = t->reason};
	int found = 0, moved = 0;
	int rc = wdr_store_get(&w, &found, t->arena, c, t->id, 1);

	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "withdrawal_not_found", "no such withdrawal");
	if (rc < 0)
		return rc;
	m.from = w.state;
	m.to = w.state == WDR_PAYOUT_FAILED ? WDR_CLOSED : WDR_DECLINED;
	if (!wdr_move_allowed(m.from, m.to, t->who))
		return err_set(ERR_FAILED_PRECONDITION, "not_pending",
			       "the withdrawal is %s: only a PENDING one is declined, or one"
			       " whose payout failed closed",
			       w.status);
	rc = wdr_notify_move_apply(&moved, c, t->arena, &m);
	if (rc == 0 && !moved)
		rc = err_set(ERR_ABORTED, NULL, "the withdrawal changed meanwhile");
	return rc;
}

/* Loads a request for an actor: the actor must be an officer of its group
 * (need_officer), or at least a member; a stranger gets NOT_FOUND. */
static int
wdr_load_for(rpc_ctx *ctx, const char *id, int need_officer, wdr_row *out,
	     Kolo__Groups__V1__GetMembershipResponse **m)
{
	db_conn *c = NULL;
	int found = 0, rc = 0;

	if (!text_is_uuid(id))
		return err_invalid_id("withdrawal_id");
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = wdr_store_get(out, &found, rpc_ctx_arena(ctx), c, id, 0);
	if (rc == 0 && !found)
		rc = ERR_NOT_FOUND;
	if (rc == 0)
		rc = membership_check(ctx, wdr_current()->groups, out->group_id, need_officer, m);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "withdrawal_not_found", "no such withdrawal");
	return rc;
}

/* A refusal that reports the withdrawal's state (already approved by the
 * caller, no longer pending) may have read a commit the synchronous
 * standby never confirmed (a retry of a call that answered
 * commit_outcome_unknown): answered only once a commit of its own has been
 * confirmed, as a replay is (db_fence). Any other rc is returned as is. */
static int
wdr_refusal_fenced(int rc)
{
	err_info refusal;
	db_conn *c = NULL;

	if (rc != ERR_ALREADY_EXISTS && rc != ERR_FAILED_PRECONDITION)
		return rc;
	refusal = *err_last();
	if (db_thread_conn(&c) < 0 || db_fence(c) < 0)
		return err_last()->code;
	return err_restore(&refusal);
}

int
wdr_approve_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ApproveWithdrawalRequest *in,
		       Kolo__Withdrawals__V1__ApproveWithdrawalResponse *out)
{
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	wdr_act_tx t = {.arena = rpc_ctx_arena(ctx),
			.id = in->withdrawal_id,
			.actor = rpc_ctx_user_id(ctx)};
	wdr_row w;
	db_conn *c = NULL;
	int rc = wdr_load_for(ctx, in->withdrawal_id, 1, &w, &m);

	if (rc == 0)
		rc = wdr_actionable(&w);
	if (rc == 0)
		rc = svc_verify_pin(ctx, wdr_current()->identity, in->pin);
	if (rc == 0)
		rc = wdr_check_balance(ctx, w.group_id, w.amount_kobo);
	if (rc == 0)
		rc = wdr_gather_group(m, &t);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), wdr_approve_body, &t);
	if (rc < 0)
		return wdr_refusal_fenced(rc);
	log_event(LOG_LVL_INFO, "withdrawal_approved", "withdrawal_id", t.id, "actor", t.actor,
		  "complete", t.approved ? "true" : "false", NULL);
	if (t.approved)
		wdr_pay_now(ctx, t.id);
	return wdr_reply(ctx, t.id, &out->withdrawal);
}

int
wdr_decline_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__DeclineWithdrawalRequest *in,
		       Kolo__Withdrawals__V1__DeclineWithdrawalResponse *out)
{
	wdr_act_tx t = {.arena = rpc_ctx_arena(ctx),
			.id = in->withdrawal_id,
			.actor = rpc_ctx_user_id(ctx)};
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	wdr_row w = {0};
	db_conn *c = NULL;
	int rc = wdr_load_for(ctx, in->withdrawal_id, 0, &w, &m);

	if (rc < 0)
		return rc;
	/* Any officer declines; the requester may always cancel. */
	t.who = (m->is_officer ? WDR_BY_OFFICER : 0) |
		(strcmp(w.requested_by, t.actor) == 0 ? WDR_BY_REQUESTER : 0);
	if (!t.who)
		rc = membership_require_officer(m);
	if (rc == 0 && in->reason[0]) /* optional, but text like a request's */
		rc = wdr_check_reason(in->reason);
	if (rc == 0)
		rc = svc_verify_pin(ctx, wdr_current()->identity, in->pin);
	t.reason = in->reason[0]			  ? in->reason
		   : strcmp(w.requested_by, t.actor) == 0 ? "cancelled by the requester"
							  : "declined";
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), wdr_decline_body, &t);
	if (rc < 0)
		return wdr_refusal_fenced(rc);
	log_event(LOG_LVL_INFO, "withdrawal_declined", "withdrawal_id", t.id, "actor", t.actor,
		  NULL);
	/* Its money is free again (the worker finishes this after a crash). */
	{
		wdr_env env = wdr_env_of(ctx);

		if (wdr_release(&env, w.id, w.hold_reference) < 0)
			log_event(LOG_LVL_WARN, "hold release left to the worker", "withdrawal_id",
				  w.id, "reason", err_last()->reason, NULL);
		err_clear();
	}
	return wdr_reply(ctx, t.id, &out->withdrawal);
}

/* RetryPayout: a withdrawal whose payout failed goes again only as the
 * group decides now: the approvals of people who are officers now (the
 * retrying officer's included) against the rule in force now. Short of
 * that it is PENDING again, waiting for approvals like a new request. */
static int
wdr_retry_body(db_conn *c, void *arg)
{
	wdr_act_tx *t = arg;
	wdr_row w;
	int found = 0, moved = 0, mine = 0;
	wdr_approval_decision d;
	wdr_move m = {.id = t->id, .from = WDR_PAYOUT_FAILED, .actor = t->actor};
	int rc = wdr_store_get(&w, &found, t->arena, c, t->id, 1);

	if (rc == 0 && (!found || w.state != WDR_PAYOUT_FAILED))
		rc = err_set(ERR_FAILED_PRECONDITION, "nothing_to_retry",
			     "only a withdrawal whose payout failed is retried");
	if (rc == 0 && w.expired)
		rc = err_set(ERR_FAILED_PRECONDITION, "expired",
			     "the withdrawal expired before it was retried");
	for (size_t i = 0; rc == 0 && i < w.n_approvals; i++)
		mine |= strcmp(w.approvals[i].user_id, t->actor) == 0;
	if (rc == 0 && !mine)
		rc = wdr_store_approve(c, t->id, t->actor);
	if (rc == 0)
		rc = wdr_decide(c, t, &w, !mine, &d);
	if (rc < 0)
		return rc;
	m.to = wdr_after_retry(d.counted, d.required);
	if (m.to == WDR_APPROVED) {
		m.approvals_required = d.required;
		m.approvals = d.counted;
	} else {
		m.ttl_s = wdr_current()->ttl_s;
	}
	if (!wdr_move_allowed(m.from, m.to, WDR_BY_OFFICER))
		return err_set(ERR_INTERNAL, NULL, "no retry move to %s", wdr_state_text(m.to));
	rc = wdr_notify_move_apply(&moved, c, t->arena, &m);
	if (rc == 0)
		rc = wdr_store_set_hold(c, t->id, t->hold);
	t->retried_to = m.to;
	return rc;
}

int
wdr_retry_payout(rpc_ctx *ctx, const Kolo__Withdrawals__V1__RetryPayoutRequest *in,
		 Kolo__Withdrawals__V1__RetryPayoutResponse *out)
{
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	wdr_act_tx t = {.arena = rpc_ctx_arena(ctx),
			.id = in->withdrawal_id,
			.actor = rpc_ctx_user_id(ctx)};
	wdr_env env = wdr_env_of(ctx);
	wdr_row w;
	db_conn *c = NULL;
	int rc = wdr_load_for(ctx, in->withdrawal_id, 1, &w, &m);

	if (rc == 0 && w.state != WDR_PAYOUT_FAILED)
		rc = err_set(ERR_FAILED_PRECONDITION, "nothing_to_retry",
			     "only a withdrawal whose payout failed is retried");
	if (rc == 0)
		rc = svc_verify_pin(ctx, wdr_current()->identity, in->pin);
	if (rc == 0)
		rc = wdr_gather_group(m, &t);
	/* The failed attempt's hold is closed; the next attempt's money is
	 * held first (insufficient_funds when the available balance is short). */
	if (rc == 0)
		rc = wdr_release(&env, w.id, w.hold_reference);
	if (rc == 0) {
		t.hold = wdr_hold_ref(t.arena, w.id, w.payout_attempt + 1);
		rc = wdr_hold(&env, w.group_id, w.amount_kobo, t.hold,
			      wdr_time_in(t.arena, WDR_HOLD_GRACE_S));
		if (rc < 0 && strcmp(err_last()->reason, "insufficient_funds") != 0)
			wdr_release_quietly(&env, t.hold);
	}
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0) {
		rc = db_tx(c, svc_tx_timeout(ctx), wdr_retry_body, &t);
		if (rc < 0)
			wdr_release_quietly(&env, t.hold);
	}
	if (rc < 0)
		return rc;
	if (wdr_hold(&env, w.group_id, w.amount_kobo, t.hold,
		     t.retried_to == WDR_APPROVED ? ""
						  : wdr_time_in(t.arena, wdr_current()->ttl_s)) < 0)
		log_event(LOG_LVL_WARN, "hold not renewed", "withdrawal_id", t.id, "reason",
			  err_last()->reason, NULL);
	log_event(LOG_LVL_INFO, "withdrawal_payout_retried", "withdrawal_id", t.id, "actor",
		  t.actor, "status", wdr_state_text(t.retried_to), NULL);
	if (t.retried_to == WDR_APPROVED)
		wdr_pay_now(ctx, t.id);
	return wdr_reply(ctx, t.id, &out->withdrawal);
}

/* --- reads ---------------------------------------------------------------------------- */

int
wdr_get_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__GetWithdrawalRequest *in,
		   Kolo__Withdrawals__V1__GetWithdrawalResponse *out)
{
	wdr_row w;
	int rc = wdr_load_for(ctx, in->withdrawal_id, 0, &w, NULL);

	if (rc < 0)
		return rc;
	out->withdrawal = wdr_message(ctx, &w);
	return out->withdrawal ? 0 : err_oom();
}

/* ListWithdrawals' page, read by db_read (a replica when one is set). */
typedef struct wdr_list_read {
	mem_arena *arena;
	const char *group_id;
	const char *status;
	const page_request *page;
	wdr_row *rows; /* out */
	int n;	       /* out */
} wdr_list_read;

static int
wdr_list_read_run(db_conn *c, void *arg)
{
	wdr_list_read *r = arg;

	return wdr_store_list(&r->rows, &r->n, r->arena, c, r->group_id, r->status, r->page);
}

/* A list for reading, never for deciding: it may come from the read
 * replica, and then says how fresh it is (as_of). */
int
wdr_list_withdrawals(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ListWithdrawalsRequest *in,
		     Kolo__Withdrawals__V1__ListWithdrawalsResponse *out)
{
	static const char *const statuses[] = {"",     "PENDING",	"APPROVED", "DECLINED",
					       "PAID", "PAYOUT_FAILED", "CLOSED"};
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	wdr_list_read r = {.arena = a, .group_id = in->group_id, .page = &page};
	const char *as_of = NULL;
	wdr_row *rows;
	int n;
	int rc = membership_check_reader(ctx, wdr_current()->groups, in->group_id);

	if (rc == 0 && (in->status < 0 || in->status > 6))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_status", "unknown status");
	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0) {
		r.status = statuses[in->status];
		rc = db_read(&as_of, a, wdr_list_read_run, &r);
	}
	if (rc < 0)
		return rc;
	rows = r.rows;
	n = r.n;
	out->as_of = (char *)(as_of ? as_of : "");
	out->withdrawals = page_items(&out->n_withdrawals, a, &page, n, sizeof(*out->withdrawals));
	if (!out->withdrawals)
		return err_oom();
	for (size_t i = 0; i < out->n_withdrawals; i++) {
		out->withdrawals[i] = wdr_message(ctx, &rows[i]);
		if (!out->withdrawals[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(wdr_row, page_key, id));
}

/* --- the method table: every WithdrawalsService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: money and membership acts, refused to a token whose
 * session ended (the process's follower of identity, svc/sessions.h). */
static const rpc_method wdr_methods[] = {
	RPC_METHOD(Kolo__Withdrawals__V1__, CreateWithdrawal, wdr_create_withdrawal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Withdrawals__V1__, ApproveWithdrawal, wdr_approve_withdrawal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Withdrawals__V1__, DeclineWithdrawal, wdr_decline_withdrawal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Withdrawals__V1__, GetWithdrawal, wdr_get_withdrawal,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Withdrawals__V1__, ListWithdrawals, wdr_list_withdrawals,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Withdrawals__V1__, RetryPayout, wdr_retry_payout,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Withdrawals__V1__, ReadOutbox, wdr_read_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Withdrawals__V1__, AckOutbox, wdr_ack_outbox, RPC_AUTH_INTERNAL),
};

const rpc_service wdr_rpc_service = {
	.descriptor = &kolo__withdrawals__v1__withdrawals_service__descriptor,
	.methods = wdr_methods,
	.n_methods = sizeof(wdr_methods) / sizeof(wdr_methods[0]),
	.session_check = svc_sessions_check,
};
