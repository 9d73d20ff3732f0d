/* The events of withdrawals: one per move of the table (withdrawals.c
 * names each move's event), and one per approval short of the rule. */
#include "notify.h"

#include <jansson.h>
#include <string.h>

#include "beneficiary/beneficiary.h"
#include "events/events.h"
#include "outbox/outbox.h"

static const char *
wdr_notify_id(const char *id)
{
	return id && id[0] ? id : NULL;
}

static outbox_event
wdr_notify_about(const char *type, const wdr_row *w, const char *actor)
{
	return (outbox_event){.type = type,
			      .group_id = w->group_id,
			      .user_id = w->requested_by,
			      .actor_id = wdr_notify_id(actor)};
}

/* The last 4 digits of an account number ("" when shorter). */
static const char *
wdr_notify_last4(const char *account_number)
{
	size_t n = strlen(account_number);

	return n >= 4 ? account_number + n - 4 : "";
}

int
wdr_notify_requested(db_conn *c, mem_arena *a, const wdr_row *w, const char *actor)
{
	Kolo__Common__V1__Beneficiary b;
	outbox_event e = wdr_notify_about(EVT_WITHDRAWAL_REQUESTED, w, actor);
	int rc = beneficiary_parse(&b, a, w->beneficiary);

	if (rc < 0)
		return rc;
	return outbox_add(
		c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:I, s:s, s:{s:s, s:s, s:s}, s:i, s:s, s:i}",
		"withdrawal_id", w->id, "amount_kobo", (json_int_t)w->amount_kobo, "reason",
		w->reason, "beneficiary", "bank_code", b.bank_code, "account_name", b.account_name,
		"account_last4", wdr_notify_last4(b.account_number), "approvals_required",
		w->approvals_required, "expires_at", w->expires_at, "attempt", w->payout_attempt);
}

int
wdr_notify_approval(db_conn *c, const wdr_row *w, const char *approver, int approvals, int required)
{
	outbox_event e = wdr_notify_about(EVT_WITHDRAWAL_APPROVED, w, approver);

	return outbox_add(c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:i, s:i, s:s, s:b}", "withdrawal_id",
			  w->id, "approvals", approvals, "approvals_required", required, "approver",
			  approver, "complete", approvals >= required);
}

/* withdrawal.approved of the approval that completed the request. */
static int
wdr_notify_approved(db_conn *c, const wdr_move *m, const wdr_row *w)
{
	outbox_event e = wdr_notify_about(EVT_WITHDRAWAL_APPROVED, w, m->actor);

	return outbox_add(c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:i, s:i, s:s?, s:b, s:i}",
			  "withdrawal_id", w->id, "approvals", m->approvals, "approvals_required",
			  w->approvals_required, "approver", wdr_notify_id(m->actor), "complete", 1,
			  "attempt", w->payout_attempt);
}

/* withdrawal.declined and withdrawal.closed: who ended it, and why. */
static int
wdr_notify_ended(db_conn *c, const char *type, const wdr_move *m, const wdr_row *w)
{
	outbox_event e = wdr_notify_about(type, w, m->actor);

	return outbox_add(c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:I, s:s, s:s?, s:i}", "withdrawal_id",
			  w->id, "amount_kobo", (json_int_t)w->amount_kobo, "reason",
			  w->decline_reason, "by", wdr_notify_id(m->actor), "attempt",
			  w->payout_attempt);
}

static int
wdr_notify_paid(db_conn *c, mem_arena *a, const wdr_row *w)
{
	Kolo__Common__V1__Beneficiary b;
	outbox_event e = wdr_notify_about(EVT_WITHDRAWAL_PAID, w, NULL);
	int rc = beneficiary_parse(&b, a, w->beneficiary);

	if (rc < 0)
		return rc;
	return outbox_add(c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:I, s:s, s:s, s:{s:s, s:s, s:s}, s:i}",
			  "withdrawal_id", w->id, "amount_kobo", (json_int_t)w->amount_kobo,
			  "payout_id", w->payout_id, "executed_at", w->executed_at, "beneficiary",
			  "bank_code", b.bank_code, "account_name", b.account_name, "account_last4",
			  wdr_notify_last4(b.account_number), "attempt", w->payout_attempt);
}

static int
wdr_notify_failed(db_conn *c, const wdr_row *w)
{
	outbox_event e = wdr_notify_about(EVT_WITHDRAWAL_FAILED, w, NULL);

	return outbox_add(c, OUTBOX_WITHDRAWALS, &e, "{s:s, s:I, s:s, s:s, s:i, s:s}",
			  "withdrawal_id", w->id, "amount_kobo", (json_int_t)w->amount_kobo,
			  "payout_id", w->payout_id, "failure_reason", w->payout_failure, "attempt",
			  w->payout_attempt, "expires_at", w->expires_at);
}

int
wdr_notify_move(db_conn *c, mem_arena *a, const wdr_move *m, const wdr_row *w)
{
	const char *type = wdr_move_event(m->from, m->to);

	if (!type)
		return err_set(ERR_INTERNAL, NULL, "no event for a move from %s to %s",
			       wdr_state_text(m->from), wdr_state_text(m->to));
	if (strcmp(type, EVT_WITHDRAWAL_APPROVED) == 0)
		return wdr_notify_approved(c, m, w);
	if (strcmp(type, EVT_WITHDRAWAL_REQUESTED) == 0)
		return wdr_notify_requested(c, a, w, m->actor);
	if (strcmp(type, EVT_WITHDRAWAL_PAID) == 0)
		return wdr_notify_paid(c, a, w);
	if (strcmp(type, EVT_WITHDRAWAL_FAILED) == 0)
		return wdr_notify_failed(c, w);
	return wdr_notify_ended(c, type, m, w);
}

int
wdr_notify_move_apply(int *out_moved, db_conn *c, mem_arena *a, const wdr_move *m)
{
	wdr_row after;
	int rc = wdr_store_move(out_moved, &after, a, c, m);

	if (rc < 0 || !*out_moved)
		return rc;
	return wdr_notify_move(c, a, m, &after);
}
