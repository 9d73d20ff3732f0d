/* withdrawals: the rules of requests (no protobuf, no SQL), and the
 * wiring handlers and the worker share. */
#ifndef KOLO_WITHDRAWALS_H
#define KOLO_WITHDRAWALS_H

#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

#define WDR_REASON_MAX 500

typedef struct wdr_beneficiary {
	const char *bank_code;
	const char *account_number;
	const char *account_name;
} wdr_beneficiary;

/* The services withdrawals calls, and its settings; borrowed, set once. */
typedef struct wdr_deps {
	rpc_channel *identity, *groups, *ledger, *payments;
	int64_t ttl_s; /* how long a request may wait for approvals */
	int worker_interval_ms;
	int payout_idle_s;	 /* an unpaid APPROVED request this idle is retried */
	int payout_max_attempts; /* payouts of one request before it is closed */
} wdr_deps;

/* --- the withdrawal state machine (docs/decisions.md has it as a table) --- */

typedef enum wdr_state {
	WDR_PENDING,	   /* waiting for approvals */
	WDR_APPROVED,	   /* approved: its payout is asked for */
	WDR_PAID,	   /* the end: paid once */
	WDR_DECLINED,	   /* the end: declined, cancelled or expired unapproved */
	WDR_PAYOUT_FAILED, /* its payout failed, the money is back: retry or close */
	WDR_CLOSED,	   /* the end: approved but never paid, the money back */
	WDR_STATE_COUNT
} wdr_state;

/* Who makes a move (a set of these). */
enum {
	WDR_BY_OFFICER = 1,   /* an officer of the group, with their PIN */
	WDR_BY_REQUESTER = 2, /* the requester, with their PIN */
	WDR_BY_SYSTEM = 4,    /* payments' word, or the sweeper */
};

/* The status text of a state, and back (-1 when unknown). */
const char *wdr_state_text(wdr_state s);
int wdr_state_parse(const char *text);

/* 1 when from -> to is a move of the table for actor (WDR_BY_*). */
int wdr_move_allowed(wdr_state from, wdr_state to, int actor);
/* The event (an EVT_* name) a move of the table writes; NULL for none. */
const char *wdr_move_event(wdr_state from, wdr_state to);

/* What payments said of the payout of the request's current attempt. */
typedef enum wdr_payout_word {
	WDR_WORD_PENDING, /* not finished (or not known yet) */
	WDR_WORD_SUCCESS, /* paid */
	WDR_WORD_FAILED,  /* failed and finished: nothing left the group */
} wdr_payout_word;

/* Where that word takes an APPROVED request: APPROVED (nothing yet), PAID,
 * PAYOUT_FAILED while attempts are left, CLOSED after the last one. */
wdr_state wdr_after_payout(wdr_payout_word word, int attempt, int max_attempts);

/* Where RetryPayout takes a PAYOUT_FAILED request: APPROVED when the
 * approvals of current officers meet what the group requires now, else
 * back to PENDING for approvals. */
wdr_state wdr_after_retry(int counted_approvals, int required);

/* --- the approval decision (DESIGN §12: rule, tiers, today's officers) --- */

/* An approval tier of the group: a withdrawal above above_kobo (with what
 * the group paid out or approved in the 24 hours before) needs at least
 * approvals_required. */
typedef struct wdr_tier {
	int64_t above_kobo;
	int approvals_required;
} wdr_tier;

/* What an approval decision needs, gathered before it is taken. */
typedef struct wdr_approval_facts {
	int rule_required;     /* the group's rule now */
	const wdr_tier *tiers; /* the group's tiers now */
	size_t n_tiers;
	int64_t amount_kobo;	     /* the request's */
	int64_t recent_kobo;	     /* paid out or approved by the group in the 24 h before */
	const char *const *officers; /* user ids of the group's officers now */
	size_t n_officers;
	const char *const *approvers; /* who approved the request (the new one included) */
	size_t n_approvers;
} wdr_approval_facts;

typedef struct wdr_approval_decision {
	int required; /* the rule, or the highest tier the amount reaches: never fewer */
	int counted;  /* distinct approvers who are officers now */
	int complete; /* counted >= required */
} wdr_approval_decision;

/* Decides whether a request's approvals complete it. Pure: no I/O. An
 * approver who is not an officer now (demoted, removed, or only proposed)
 * does not count. */
wdr_approval_decision wdr_decide_approval(const wdr_approval_facts *f);

/* Seconds before asking payments again after `tries` unanswered asks:
 * base_s doubled each time, at most max_s (0 when base_s is 0). */
int64_t wdr_backoff_s(int tries, int base_s, int max_s);

void wdr_configure(const wdr_deps *deps);
const wdr_deps *wdr_current(void);

/* Checks a beneficiary (bank code digits, 10-digit account number, a
 * name) and a reason (1..500 bytes of text): ERR_INVALID_ARGUMENT. */
KOLO_MUST_CHECK int wdr_check_beneficiary(const wdr_beneficiary *b);
KOLO_MUST_CHECK int wdr_check_reason(const char *reason);

/* 1 when the name a bank resolved is the name given: case, spacing and
 * punctuation aside, and in any word order, the words of the shorter name
 * all appear in the other ("NGOZI A. EZE" matches "Eze Ngozi"). */
int wdr_names_match(const char *given, const char *resolved);

/* (The row keeps the beneficiary as beneficiary/beneficiary.h's JSON.) */

#endif
