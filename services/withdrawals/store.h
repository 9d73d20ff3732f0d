/* store: every SQL statement of kolo-withdrawals (the only libpq user).
 * Strings in out structs are allocated in the given arena. */
#ifndef KOLO_WDR_STORE_H
#define KOLO_WDR_STORE_H

#include "db/db.h"
#include "page/page.h"
#include "withdrawals.h"

typedef struct wdr_approval {
	char *user_id;
	char *created_at;
} wdr_approval;

typedef struct wdr_row {
	char *id;
	char *group_id;
	int64_t amount_kobo;
	char *beneficiary; /* JSON text */
	char *reason;
	char *status; /* the state's text */
	wdr_state state;
	char *requested_by;
	char *expires_at;
	int expired; /* expires_at has passed */
	char *executed_at;
	char *created_at;
	char *decline_reason;
	char *declined_by;
	char *client_ref;
	int approvals_required;
	int payout_attempt;
	int payout_tries;     /* asks of payments about this attempt that settled nothing */
	char *hold_reference; /* the ledger hold of the current attempt, "" when none open */
	char *payout_id;
	char *payout_status; /* "" until a payout exists */
	char *payout_failure;
	char *page_key;
	wdr_approval *approvals; /* oldest first */
	size_t n_approvals;
} wdr_row;

/* A new PENDING request with the requester's approval; ERR_ALREADY_EXISTS
 * "idempotency_key_used" when the requester used client_ref before. */
typedef struct wdr_new {
	const char *group_id;
	int64_t amount_kobo;
	const char *beneficiary;
	const char *reason;
	const char *requested_by;
	const char *client_ref; /* "" for none */
	int approvals_required;
	int64_t ttl_s;
} wdr_new;

KOLO_MUST_CHECK int wdr_store_create(char **out_id, char **out_expires_at, mem_arena *a, db_conn *c,
				     const wdr_new *in);

/* The request (and its approvals); lock takes its row FOR UPDATE. *out_found
 * is 0 when there is none. */
KOLO_MUST_CHECK int wdr_store_get(wdr_row *out, int *out_found, mem_arena *a, db_conn *c,
				  const char *id, int lock);
/* The requester's request made with client_ref, if any. */
KOLO_MUST_CHECK int wdr_store_by_client_ref(wdr_row *out, int *out_found, mem_arena *a, db_conn *c,
					    const char *requested_by, const char *client_ref);

/* Adds an approval; ERR_ALREADY_EXISTS "already_approved" for a second. */
KOLO_MUST_CHECK int wdr_store_approve(db_conn *c, const char *id, const char *user_id);

/* A move of the state machine, applied as a compare-and-set on the status
 * the caller read (the caller checked it against the transition table
 * with wdr_move_allowed). Leaving PAYOUT_FAILED for APPROVED or PENDING
 * starts the next payout attempt. */
typedef struct wdr_move {
	const char *id;
	wdr_state from, to;
	int attempt;		/* out of APPROVED: the payout attempt it is about */
	const char *actor;	/* -> DECLINED, CLOSED: who ("" the system) */
	const char *reason;	/* -> DECLINED, CLOSED: why */
	int approvals_required; /* -> APPROVED: the requirement met */
	int approvals;		/* -> APPROVED: the approvals counted (its event) */
	int64_t ttl_s;		/* -> PENDING, PAYOUT_FAILED: expires_at = now + ttl_s */
	const char *payout_id;	/* out of APPROVED: what payments said */
	const char *payout_status;
	const char *payout_failure;
	const char *executed_at; /* -> PAID: the payout's time, or "" for now */
} wdr_move;

/* *out_moved is 0 when the request was no longer in m->from (or its attempt);
 * else *out_after is the request after the move (without its approvals). */
KOLO_MUST_CHECK int wdr_store_move(int *out_moved, wdr_row *out_after, mem_arena *a, db_conn *c,
				   const wdr_move *m);

/* What the group paid out or approved in the last 24 hours (APPROVED and
 * PAID requests by when they were approved), the request except_id aside
 * ("" for none): approval tiers look back that far. Takes the group's
 * decision lock for the rest of the transaction first, so concurrent
 * decisions of one group see each other. */
KOLO_MUST_CHECK int wdr_store_recent_kobo(int64_t *out, db_conn *c, const char *group_id,
					  const char *except_id);

/* Notes on an APPROVED request of attempt what payments said that settled
 * nothing (payout_id may be "" when payments could not be asked), and
 * when to ask again: next_in_s from now, one more unanswered try. */
KOLO_MUST_CHECK int wdr_store_payout_asked(db_conn *c, const char *id, int attempt,
					   const char *payout_id, int64_t next_in_s);

/* A group's requests, newest first, optionally of one status. */
KOLO_MUST_CHECK int wdr_store_list(wdr_row **out, int *out_n, mem_arena *a, db_conn *c,
				   const char *group_id, const char *status,
				   const page_request *page);

/* The sweeper: declines PENDING requests and closes PAYOUT_FAILED ones
 * past expires_at (both moves of the table, by the system), at most limit,
 * the longest expired first; *out the requests after it (*out_n of them). */
KOLO_MUST_CHECK int wdr_store_expire(wdr_row **out, int *out_n, mem_arena *a, db_conn *c,
				     int limit);
/* APPROVED requests whose payout is not settled and whose next ask is
 * due (idle_s after approval, then as wdr_store_payout_asked set it),
 * the longest waiting first. */
/* For the payouts gauge (metrics_queue): approved withdrawals whose
 * payout is not settled, and the age of the oldest approval. */
int wdr_store_payout_queue(void *arg, int64_t *depth, double *oldest_age_s);

KOLO_MUST_CHECK int wdr_store_unpaid(char ***out_ids, int *out_n, mem_arena *a, db_conn *c,
				     int idle_s, int limit);

/* Notes the ledger hold of the current attempt ("" once it is closed). */
KOLO_MUST_CHECK int wdr_store_set_hold(db_conn *c, const char *id, const char *hold_reference);
/* Requests that ended (or whose attempt ended) with a hold still noted open:
 * the worker closes them (a release a crash interrupted). */
KOLO_MUST_CHECK int wdr_store_open_holds(char ***out_ids, char ***out_refs, int *out_n,
					 mem_arena *a, db_conn *c, int limit);

#endif
