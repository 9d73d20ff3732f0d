/* events: the catalogue of Kolo's events (DESIGN §16), stated once.
 *
 * A service writes an event with outbox_add() (outbox/outbox.h) in the
 * transaction of the change it tells of; kolo-events stores, streams and
 * delivers it. Each type says who must be told and whether partners
 * (webhooks, WatchEvents) may see it. The fields of each type's data are
 * in docs/events.md. */
#ifndef KOLO_EVENTS_H
#define KOLO_EVENTS_H

#include <stddef.h>

/* Money in and out (ledger, withdrawals). */
#define EVT_DEPOSIT_CREDITED	 "deposit.credited"
#define EVT_DEPOSIT_ALLOCATED	 "deposit.allocated" /* an officer credited it to a member */
#define EVT_WITHDRAWAL_REQUESTED "withdrawal.requested"
#define EVT_WITHDRAWAL_APPROVED	 "withdrawal.approved" /* one officer's approval */
#define EVT_WITHDRAWAL_DECLINED	 "withdrawal.declined"
#define EVT_WITHDRAWAL_PAID	 "withdrawal.paid"
#define EVT_WITHDRAWAL_FAILED	 "withdrawal.failed" /* its payout failed; money back */
#define EVT_WITHDRAWAL_CLOSED	 "withdrawal.closed" /* never paid: expired, closed */
/* Governance (groups). */
#define EVT_PROPOSAL_OPENED   "proposal.opened"
#define EVT_PROPOSAL_PASSED   "proposal.passed"
#define EVT_PROPOSAL_APPLIED  "proposal.applied"
#define EVT_PROPOSAL_REJECTED "proposal.rejected"
#define EVT_MEMBER_ADDED      "member.added"
#define EVT_MEMBER_REMOVED    "member.removed"
/* A user's own (identity). */
#define EVT_KYC_RESULT "kyc.result"
#define EVT_EMAIL_CODE "user.email_code"
#define EVT_PHONE_CODE "user.phone_code"
/* kolo-events' own: a partner endpoint stopped answering. */
#define EVT_WEBHOOK_PAUSED "webhook.paused"

/* Who is told of an event (flags). */
enum {
	/* The group's officers, always: something waits for their act. */
	EVT_TO_OFFICERS = 1u << 0,
	/* The group's members who chose this type (GET/PUT /v1/me/notifications). */
	EVT_TO_MEMBERS_OPT_IN = 1u << 1,
	/* The user the event concerns (user_id), always. */
	EVT_TO_SUBJECT = 1u << 2,
	/* The user the data's previous_user_id names, always (a deposit
	 * reallocated away from them). */
	EVT_TO_PREVIOUS = 1u << 3,
};

typedef struct evt_type {
	const char *name;
	unsigned audience; /* EVT_TO_* */
	/* 1: on the group's stream and partner webhooks; 0: private to
	 * its user (an email code, a KYC result). */
	int partner_visible;
	const char *summary; /* one line, for documents and subscribers */
} evt_type;

/* The type named name; NULL when unknown. */
const evt_type *evt_type_find(const char *name);

/* Every type (static); *n_out gets how many. */
const evt_type *evt_types(size_t *n_out);

#endif
