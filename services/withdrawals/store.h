/* store: every SQL statement of kolo-withdrawals (the only libpq user).
 * Strings in out structs are allocated in the given arena. */
#ifndef KOLO_WDR_STORE_H
#define KOLO_WDR_STORE_H

#include "db/db.h"
#include "page/page.h"

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
	char *status;	   /* PENDING, APPROVED, DECLINED, PAID */
	char *requested_by;
	char *expires_at;
	int expired;	   /* expires_at has passed */
	char *executed_at;
	char *created_at;
	char *decline_reason;
	char *declined_by;
	char *client_ref;
	int approvals_required;
	int payout_attempt;
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

KOLO_MUST_CHECK int wdr_store_create(db_conn *c, mem_arena *a, const wdr_new *in,
				     char **id_out);

/* The request (and its approvals); lock takes its row FOR UPDATE. *found
 * is 0 when there is none. */
KOLO_MUST_CHECK int wdr_store_get(db_conn *c, mem_arena *a, const char *id, int lock,
				  wdr_row *out, int *found);
/* The requester's request made with client_ref, if any. */
KOLO_MUST_CHECK int wdr_store_by_client_ref(db_conn *c, mem_arena *a,
					    const char *requested_by,
					    const char *client_ref, wdr_row *out,
					    int *found);

/* Adds an approval; ERR_ALREADY_EXISTS "already_approved" for a second. */
KOLO_MUST_CHECK int wdr_store_approve(db_conn *c, const char *id, const char *user_id);

/* Status changes (the caller holds the row lock). */
KOLO_MUST_CHECK int wdr_store_set_approved(db_conn *c, const char *id, int required);
KOLO_MUST_CHECK int wdr_store_set_declined(db_conn *c, const char *id,
					   const char *declined_by, const char *reason);
/* Records what payments said of the payout of attempt (a slow answer about
 * an older attempt changes nothing); a SUCCESS makes it PAID with
 * executed_at (the payout's time, RFC 3339, or now when ""). */
KOLO_MUST_CHECK int wdr_store_set_payout(db_conn *c, const char *id, int attempt,
					 const char *payout_id,
					 const char *payout_status, const char *failure,
					 const char *executed_at);
/* Starts a new payout attempt after a failed one. */
KOLO_MUST_CHECK int wdr_store_next_attempt(db_conn *c, const char *id);

/* A group's requests, newest first, optionally of one status. */
KOLO_MUST_CHECK int wdr_store_list(db_conn *c, mem_arena *a, const char *group_id,
				   const char *status, const page_request *page,
				   wdr_row **out, int *n);

/* The sweeper: declines PENDING requests past expires_at; *n how many. */
KOLO_MUST_CHECK int wdr_store_expire(db_conn *c, int *n);
/* APPROVED requests whose payout is not settled, untouched for idle_s. */
KOLO_MUST_CHECK int wdr_store_unpaid(db_conn *c, mem_arena *a, int idle_s, int limit,
				     char ***ids, int *n);

#endif
