/* store: every SQL statement of kolo-payments (the only libpq user).
 * Strings in out structs are allocated in the given arena. */
#ifndef KOLO_PAY_STORE_H
#define KOLO_PAY_STORE_H

#include "db/db.h"
#include "payout_state.h"
#include "page/page.h"

typedef struct pay_account {
	char *id;
	char *group_id;
	char *number;
	char *bank_name;
	char *provider;
	char *status;
	char *tx_ref;
	char *created_at;
} pay_account;

typedef struct pay_va {
	char *tx_ref;
	char *status; /* pending, success, failed */
} pay_va;

typedef struct pay_payout {
	char *id;
	char *withdrawal_id;
	char *group_id;
	int64_t amount_kobo;
	char *beneficiary;    /* JSON text */
	char *status;	      /* PENDING, SUCCESS, FAILED */
	char *stage;	      /* created, debiting, debited, sent, settled, ... */
	pay_state state;      /* the pair above (payout_state.h) */
	int version;	      /* bumped by every move: a move names the one it read */
	char *hold_reference; /* the hold its debit captures; "" for a plain DEBIT */
	char *provider;
	char *provider_reference;
	char *failure_reason;
	char *created_at;
	char *executed_at;
	int attempt;
	int64_t idle_s; /* seconds since it last moved */
	char *page_key;
} pay_payout;

/* A transfer of the demo provider's bank (migrations/0009). */
typedef struct pay_demo_transfer {
	char *reference; /* our payout id */
	int64_t amount_kobo;
	char *status; /* PENDING, SUCCESS, FAILED */
} pay_demo_transfer;

typedef struct pay_event_row {
	char *id;
	char *provider;
	char *body; /* the stored raw payload as text */
} pay_event_row;

/* --- accounts ------------------------------------------------------------ */
/* The group's account; *out_found 0 when it has none yet. */
KOLO_MUST_CHECK int pay_store_account(pay_account *out, int *out_found, mem_arena *a, db_conn *c,
				      const char *group_id);
/* The group's provisioning request, made if missing, locked FOR UPDATE for
 * the rest of the transaction (provisioning of a group is serialised). */
KOLO_MUST_CHECK int pay_store_va_lock(pay_va *out, mem_arena *a, db_conn *c, const char *group_id,
				      const char *provider, const char *tx_ref);
/* Records the provider's account: the account row (active), its raw reply
 * in account_metadata, the request done, any recovery finished. */
KOLO_MUST_CHECK int pay_store_account_add(pay_account *out, mem_arena *a, db_conn *c,
					  const char *group_id, const char *number,
					  const char *bank_name, const char *provider,
					  const char *provider_ref, const char *raw_json);
/* Records a failed attempt: the request failed, a pending recovery that
 * keeps the group's name for the retry. */
KOLO_MUST_CHECK int pay_store_va_failed(db_conn *c, const char *group_id, const char *tx_ref,
					const char *provider, const char *group_name,
					const char *error);
/* The group name kept by a pending recovery (NULL when none). */
KOLO_MUST_CHECK int pay_store_recovery_name(char **out_name, mem_arena *a, db_conn *c,
					    const char *group_id);
/* The group of a tx_ref (*out_group_id NULL when unknown) and, in one read,
 * its account (*out_found 0 while it is not recorded yet). */
KOLO_MUST_CHECK int pay_store_account_of_tx_ref(char **out_group_id, pay_account *out,
						int *out_found, mem_arena *a, db_conn *c,
						const char *tx_ref);
/* The out_tx_ref of the group whose account is number at provider (*out_tx_ref
 * NULL when no such account): deposits of providers that name the
 * receiving account (paystack) are matched through it. */
KOLO_MUST_CHECK int pay_store_tx_ref_of_account(char **out_tx_ref, mem_arena *a, db_conn *c,
						const char *provider, const char *number);
/* Groups whose provisioning is due for another try (exponential backoff,
 * capped at max_tries after which a recovery is given up). */
KOLO_MUST_CHECK int pay_store_recoveries_due(char ***out_group_ids, int *out_n, mem_arena *a,
					     db_conn *c, int limit);
KOLO_MUST_CHECK int pay_store_recovery_retry(db_conn *c, const char *group_id, const char *error,
					     int max_tries);

/* Live accounts waiting for KYC (va_request.officer_id, kyc_reason).
 * officer records the officer a group's account opens in the name of
 * (made with the request if missing; officer_id NULL/"" keeps the one
 * recorded) and gives the recorded one (*out_officer "" when none). */
KOLO_MUST_CHECK int pay_store_va_officer(char **out_officer, mem_arena *a, db_conn *c,
					 const char *group_id, const char *provider,
					 const char *tx_ref, const char *officer_id);
/* Sets why the group's account waits (NULL: it no longer does). */
KOLO_MUST_CHECK int pay_store_va_wait(db_conn *c, const char *group_id, const char *reason);
/* Groups without an account that wait for KYC, least recently tried
 * first. */
KOLO_MUST_CHECK int pay_store_kyc_waiting(char ***out_group_ids, int *out_n, mem_arena *a,
					  db_conn *c, int limit);
/* How many groups without an account still wait for officer_id. */
KOLO_MUST_CHECK int pay_store_officer_waiting(int *out_n, db_conn *c, const char *officer_id);

/* --- webhook events -------------------------------------------------------------- */
/* Stores a delivery as received (raw JSON, or a JSON string when the body
 * is not JSON); *out_id is the new row. The worker may take it grace_s
 * seconds later, when the handler that stored it has not finished it. */
KOLO_MUST_CHECK int pay_store_event_add(char **out_id, mem_arena *a, db_conn *c,
					const char *provider, const char *type, const uint8_t *body,
					size_t len, int signature_valid, int grace_s);
/* A signed delivery to store in a batch; id is answered. */
#define PAY_UUID_TEXT 37
typedef struct pay_event_new {
	const char *type;
	const uint8_t *body;
	size_t len;
	char id[PAY_UUID_TEXT]; /* the new row's id (made before the INSERT) */
} pay_event_new;
/* Stores n (>= 1) signed deliveries of provider as pay_store_event_add
 * does, in one INSERT and one commit (autocommit), and gives each its id.
 * All or none: a body PostgreSQL refuses as JSON fails all of them
 * (pay_store_event_add keeps such a body as a JSON string). */
KOLO_MUST_CHECK int pay_store_events_add(mem_arena *a, db_conn *c, pay_event_new *const *evs,
					 size_t n, const char *provider, int grace_s);
/* The outcome of a stored delivery: done (processed, with outcome) or to
 * be tried again (outcome is the error's reason). */
typedef struct pay_event_outcome {
	const char *id;
	int done;
	const char *outcome;
} pay_event_outcome;
/* pay_store_event_done or pay_store_event_retry of n (>= 1) events in one
 * UPDATE and one commit (autocommit). */
KOLO_MUST_CHECK int pay_store_events_finish(mem_arena *a, db_conn *c, pay_event_outcome *const *evs,
					    size_t n);
/* After a failed autocommit write on c: 1 when the database refused it
 * (nothing of it committed, c is usable), 0 when its outcome is unknown
 * (the connection was lost, or the standby did not confirm the commit). */
int pay_store_refused_uncommitted(db_conn *c);
/* Stores a delivery whose signature failed: kept (JSON text: headers and
 * a prefix), never the body itself, with the body's length and SHA-256
 * (hex) and the client's address. Never processed. */
typedef struct pay_unsigned_event {
	const char *provider, *type, *kept_json, *client_addr, *sha256_hex;
	size_t body_bytes;
} pay_unsigned_event;
KOLO_MUST_CHECK int pay_store_event_add_unsigned(char **out_id, mem_arena *a, db_conn *c,
						 const pay_unsigned_event *ev);
KOLO_MUST_CHECK int pay_store_event_done(db_conn *c, const char *id, const char *outcome);
KOLO_MUST_CHECK int pay_store_event_retry(db_conn *c, const char *id, const char *error);
KOLO_MUST_CHECK int pay_store_events_due(pay_event_row **out, int *out_n, mem_arena *a, db_conn *c,
					 int limit);
/* The newest signed delivery of provider's event_type about a customer
 * (its data.customer_code) received at or after since_ms (Unix ms):
 * *out_found, and its data.reason (sanitised, "" when none) into out_reason. */
KOLO_MUST_CHECK int pay_store_customer_event(char *out_reason, size_t cap, int *out_found,
					     db_conn *c, const char *provider,
					     const char *event_type, const char *customer_code,
					     int64_t since_ms);

/* --- payouts ---------------------------------------------------------------------- */
/* Makes the payout of (withdrawal, attempt) if it is new; *out_created 0 and
 * out the existing one otherwise. A new attempt while an earlier one is
 * unfinished or paid: ERR_FAILED_PRECONDITION (payout_in_progress). */
KOLO_MUST_CHECK int pay_store_payout_add(pay_payout *out, int *out_created, mem_arena *a,
					 db_conn *c, const pay_payout *in);
/* By "id" or by "withdrawal" (its latest attempt); *out_found 0 if none. */
KOLO_MUST_CHECK int pay_store_payout(pay_payout *out, int *out_found, mem_arena *a, db_conn *c,
				     const char *by, const char *value);
/* Moves a payout to state `to` when its version is still from_version (a
 * compare-and-set: the caller checked the move against the transition
 * table), and when not NULL sets the provider's reference and a failure
 * reason; executed stamps executed_at. *out_moved is 0 when someone else moved
 * it since the caller read it (re-read). */
KOLO_MUST_CHECK int pay_store_payout_move(int *out_moved, db_conn *c, const char *id,
					  int from_version, pay_state to,
					  const char *provider_reference,
					  const char *failure_reason, int executed);
/* Payouts not finished and untouched for older_than_s seconds. */
KOLO_MUST_CHECK int pay_store_payouts_due(pay_payout **out, int *out_n, mem_arena *a, db_conn *c,
					  int older_than_s, int limit);
KOLO_MUST_CHECK int pay_store_payout_recovery(db_conn *c, const char *withdrawal_id,
					      const char *payload, const char *error);
KOLO_MUST_CHECK int pay_store_payouts_of_group(pay_payout **out, int *out_n, mem_arena *a,
					       db_conn *c, const char *group_id, const char *status,
					       const page_request *page);

/* --- rate windows ---------------------------------------------------------------- */
/* Counts one hit of (kind, key) in its window: the open one, or a new one
 * of window_s seconds from now when none is open. *out_hits is the count with
 * this hit, *out_retry_s the seconds until the window ends (>= 1). One
 * statement, so concurrent hits from any replica are all counted. */
KOLO_MUST_CHECK int pay_store_rate_hit(int *out_hits, int *out_retry_s, db_conn *c,
				       const char *kind, const char *key, int window_s);
/* Deletes the windows that have ended. */
KOLO_MUST_CHECK int pay_store_rate_sweep(db_conn *c);

/* --- the demo provider's bank ----------------------------------------------------- */
/* Records in's transfer unless its reference has one; out is the stored
 * transfer either way (the first one made wins, a repeat never makes a
 * second). */
KOLO_MUST_CHECK int pay_store_demo_transfer_add(pay_demo_transfer *out, mem_arena *a, db_conn *c,
						const pay_demo_transfer *in);
/* The transfer of reference, settled first when it was PENDING (the demo
 * bank settles a transfer when asked about it); *out_found 0 if none. */
KOLO_MUST_CHECK int pay_store_demo_transfer_settle(pay_demo_transfer *out, int *out_found,
						   mem_arena *a, db_conn *c, const char *reference);

#endif
