#include "withdrawals.h"

#include <ctype.h>
#include <string.h>

#include "beneficiary/beneficiary.h"
#include "events/events.h"
#include "text/text.h"

static wdr_deps wdr_wired;

void
wdr_configure(const wdr_deps *deps)
{
	wdr_wired = *deps;
}

const wdr_deps *
wdr_current(void)
{
	return &wdr_wired;
}

/* --- the state machine -------------------------------------------------------- */

static const char *const wdr_state_names[WDR_STATE_COUNT] = {
	[WDR_PENDING] = "PENDING",   [WDR_APPROVED] = "APPROVED",	    [WDR_PAID] = "PAID",
	[WDR_DECLINED] = "DECLINED", [WDR_PAYOUT_FAILED] = "PAYOUT_FAILED", [WDR_CLOSED] = "CLOSED",
};

/* The transition table: every move a request can make, who makes it, and
 * the event (events/events.h) written in the move's transaction. */
static const struct {
	wdr_state from, to;
	int who;
	const char *event;
} wdr_moves[] = {
	/* approvals reach the rule (the approval that did it tells) */
	{WDR_PENDING, WDR_APPROVED, WDR_BY_OFFICER, EVT_WITHDRAWAL_APPROVED},
	{WDR_PENDING, WDR_DECLINED, WDR_BY_OFFICER | WDR_BY_REQUESTER | WDR_BY_SYSTEM,
	 EVT_WITHDRAWAL_DECLINED},
	{WDR_APPROVED, WDR_PAID, WDR_BY_SYSTEM, EVT_WITHDRAWAL_PAID}, /* the payout succeeded */
	/* it failed, attempts left */
	{WDR_APPROVED, WDR_PAYOUT_FAILED, WDR_BY_SYSTEM, EVT_WITHDRAWAL_FAILED},
	{WDR_APPROVED, WDR_CLOSED, WDR_BY_SYSTEM, EVT_WITHDRAWAL_CLOSED}, /* it failed, none left */
	/* retry, rule still met: the retrying officer's approval tells */
	{WDR_PAYOUT_FAILED, WDR_APPROVED, WDR_BY_OFFICER, EVT_WITHDRAWAL_APPROVED},
	/* retry, approvals short: it waits for the officers again */
	{WDR_PAYOUT_FAILED, WDR_PENDING, WDR_BY_OFFICER, EVT_WITHDRAWAL_REQUESTED},
	{WDR_PAYOUT_FAILED, WDR_CLOSED, WDR_BY_OFFICER | WDR_BY_REQUESTER | WDR_BY_SYSTEM,
	 EVT_WITHDRAWAL_CLOSED},
};

const char *
wdr_state_text(wdr_state s)
{
	return s < WDR_STATE_COUNT ? wdr_state_names[s] : "";
}

int
wdr_state_parse(const char *text)
{
	for (int s = 0; s < WDR_STATE_COUNT; s++) {
		if (strcmp(wdr_state_names[s], text) == 0)
			return s;
	}
	return -1;
}

int
wdr_move_allowed(wdr_state from, wdr_state to, int actor)
{
	for (size_t i = 0; i < sizeof(wdr_moves) / sizeof(wdr_moves[0]); i++) {
		if (wdr_moves[i].from == from && wdr_moves[i].to == to)
			return (wdr_moves[i].who & actor) != 0;
	}
	return 0;
}

const char *
wdr_move_event(wdr_state from, wdr_state to)
{
	for (size_t i = 0; i < sizeof(wdr_moves) / sizeof(wdr_moves[0]); i++) {
		if (wdr_moves[i].from == from && wdr_moves[i].to == to)
			return wdr_moves[i].event;
	}
	return NULL;
}

wdr_state
wdr_after_payout(wdr_payout_word word, int attempt, int max_attempts)
{
	switch (word) {
	case WDR_WORD_SUCCESS:
		return WDR_PAID;
	case WDR_WORD_FAILED:
		return attempt >= max_attempts ? WDR_CLOSED : WDR_PAYOUT_FAILED;
	default:
		return WDR_APPROVED;
	}
}

wdr_state
wdr_after_retry(int counted_approvals, int required)
{
	return counted_approvals >= (required > 0 ? required : 1) ? WDR_APPROVED : WDR_PENDING;
}

static int
wdr_listed(const char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ids[i], id) == 0)
			return 1;
	}
	return 0;
}

/* The approvals the amount needs: the rule, raised by the highest tier
 * whose threshold the amount and the last 24 hours' together exceed. */
static int
wdr_required(const wdr_approval_facts *f)
{
	int64_t window = f->amount_kobo + (f->recent_kobo > 0 ? f->recent_kobo : 0);
	int required = f->rule_required > 0 ? f->rule_required : 1;

	for (size_t i = 0; i < f->n_tiers; i++) {
		if (window > f->tiers[i].above_kobo && f->tiers[i].approvals_required > required)
			required = f->tiers[i].approvals_required;
	}
	return required;
}

wdr_approval_decision
wdr_decide_approval(const wdr_approval_facts *f)
{
	wdr_approval_decision d = {.required = wdr_required(f)};

	for (size_t i = 0; i < f->n_approvers; i++) {
		/* once each, and only while an officer */
		if (wdr_listed(f->officers, f->n_officers, f->approvers[i]) &&
		    !wdr_listed(f->approvers, i, f->approvers[i]))
			d.counted++;
	}
	d.complete = d.counted >= d.required;
	return d;
}

int64_t
wdr_backoff_s(int tries, int base_s, int max_s)
{
	int64_t s = base_s;

	if (s <= 0)
		return 0;
	for (int i = 0; i < tries && s < max_s; i++)
		s *= 2;
	return s < max_s ? s : max_s;
}

/* --- checks ------------------------------------------------------------------------ */

static int
wdr_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

int
wdr_check_beneficiary(const wdr_beneficiary *b)
{
	if (!b->bank_code || !wdr_digits(b->bank_code, 3, 6))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.bank_code must be 3 to 6 digits");
	if (!b->account_number || !wdr_digits(b->account_number, 10, 10))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.account_number must be 10 digits");
	if (!b->account_name || !b->account_name[0] || strlen(b->account_name) > 200 ||
	    !text_is_clean(b->account_name))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.account_name is required");
	return 0;
}

int
wdr_check_reason(const char *reason)
{
	size_t n = strlen(reason);

	if (n == 0 || n > WDR_REASON_MAX || !text_is_multiline(reason))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_reason",
			       "reason is required: 1 to %d characters of text", WDR_REASON_MAX);
	return 0;
}

int
wdr_names_match(const char *given, const char *resolved)
{
	return beneficiary_names_match(given, resolved);
}
