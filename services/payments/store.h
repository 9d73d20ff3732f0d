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
	char *beneficiary; /* JSON text */
	char *status;	   /* PENDING, SUCCESS, FAILED */
	char *stage;	   /* created, debiting, debited, sent, settled, ... */
	pay_state state;   /* the pair above (payout_state.h) */
	int version;	   /* bumped by every move: a move names the one it read */
	char *hold_reference; /* the hold its debit captures; "" for a plain DEBIT */
	char *provider;
	char *provider_reference;
	char *failure_reason;
	char *created_at;
	char *executed_at;
	int attempt;
	int64_t idle_s;	   /* seconds since it last moved */
	char *page_key;
} pay_payout;

/* A transfer of the demo provider's bank (migrations/0009). */
typedef struct pay_demo_transfer {
	char *reference; /* our payout id */
	int64_t amount_kobo;
	char *status;	 /* PENDING, SUCCESS, FAILED */
} pay_demo_transfer;

typedef struct pay_event_row {
	char *id;
	char *provider;
	char *body; /* the stored raw payload as text */
} pay_event_row;

/* --- accounts ------------------------------------------------------------ */
/* The group's account; *found 0 when it has none yet. */
KOLO_MUST_CHECK int pay_store_account(db_conn *c, mem_arena *a, const char *group_id,
				      pay_account *out, int *found);
/* The group's provisioning request, made if missing, locked FOR UPDATE for
 * the rest of the transaction (provisioning of a group is serialised). */
KOLO_MUST_CHECK int pay_store_va_lock(db_conn *c, mem_arena *a, const char *group_id,
				      const char *provider, const char *tx_ref,
				      pay_va *out);
/* Records the provider's account: the account row (active), its raw reply
 * in account_metadata, the request done, any recovery finished. */
KOLO_MUST_CHECK int pay_store_account_add(db_conn *c, mem_arena *a, const char *group_id,
					  const char *number, const char *bank_name,
					  const char *provider, const char *provider_ref,
					  const char *raw_json, pay_account *out);
/* Records a failed attempt: the request failed, a pending recovery that
 * keeps the group's name for the retry. */
KOLO_MUST_CHECK int pay_store_va_failed(db_conn *c, const char *group_id,
					const char *tx_ref, const char *provider,
					const char *group_name, const char *error);
/* The group name kept by a pending recovery (NULL when none). */
KOLO_MUST_CHECK int pay_store_recovery_name(db_conn *c, mem_arena *a,
					    const char *group_id, char **name);
/* The group of a tx_ref (*group_id NULL when unknown) and, in one read,
 * its account (*found 0 while it is not recorded yet). */
KOLO_MUST_CHECK int pay_store_account_of_tx_ref(db_conn *c, mem_arena *a,
						const char *tx_ref, char **group_id,
						pay_account *out, int *found);
/* The tx_ref of the group whose account is number at provider (*tx_ref
 * NULL when no such account): deposits of providers that name the
 * receiving account (paystack) are matched through it. */
KOLO_MUST_CHECK int pay_store_tx_ref_of_account(db_conn *c, mem_arena *a,
						const char *provider, const char *number,
						char **tx_ref);
/* Groups whose provisioning is due for another try (exponential backoff,
 * capped at max_tries after which a recovery is given up). */
KOLO_MUST_CHECK int pay_store_recoveries_due(db_conn *c, mem_arena *a, int limit,
					     char ***group_ids, int *n);
KOLO_MUST_CHECK int pay_store_recovery_retry(db_conn *c, const char *group_id,
					     const char *error, int max_tries);

/* Live accounts waiting for KYC (va_request.officer_id, kyc_reason).
 * officer records the officer a group's account opens in the name of
 * (made with the request if missing; officer_id NULL/"" keeps the one
 * recorded) and gives the recorded one (*officer "" when none). */
KOLO_MUST_CHECK int pay_store_va_officer(db_conn *c, mem_arena *a, const char *group_id,
					 const char *provider, const char *tx_ref,
					 const char *officer_id, char **officer);
/* Sets why the group's account waits (NULL: it no longer does). */
KOLO_MUST_CHECK int pay_store_va_wait(db_conn *c, const char *group_id, const char *reason);
/* Groups without an account that wait for KYC, least recently tried
 * first. */
KOLO_MUST_CHECK int pay_store_kyc_waiting(db_conn *c, mem_arena *a, int limit,
					  char ***group_ids, int *n);
/* How many groups without an account still wait for officer_id. */
KOLO_MUST_CHECK int pay_store_officer_waiting(db_conn *c, const char *officer_id, int *n);

/* --- webhook events -------------------------------------------------------------- */
/* Stores a delivery as received (raw JSON, or a JSON string when the body
 * is not JSON); *id is the new row. The worker may take it grace_s
 * seconds later, when the handler that stored it has not finished it. */
KOLO_MUST_CHECK int pay_store_event_add(db_conn *c, mem_arena *a, const char *provider,
					const char *type, const uint8_t *body, size_t len,
					int signature_valid, int grace_s, char **id);
/* Stores a delivery whose signature failed: kept (JSON text: headers and
 * a prefix), never the body itself, with the body's length and SHA-256
 * (hex) and the client's address. Never processed. */
typedef struct pay_unsigned_event {
	const char *provider, *type, *kept_json, *client_addr, *sha256_hex;
	size_t body_bytes;
} pay_unsigned_event;
KOLO_MUST_CHECK int pay_store_event_add_unsigned(db_conn *c, mem_arena *a,
						 const pay_unsigned_event *ev, char **id);
KOLO_MUST_CHECK int pay_store_event_done(db_conn *c, const char *id, const char *outcome);
KOLO_MUST_CHECK int pay_store_event_retry(db_conn *c, const char *id, const char *error);
KOLO_MUST_CHECK int pay_store_events_due(db_conn *c, mem_arena *a, int limit,
					 pay_event_row **out, int *n);
/* The newest signed delivery of provider's event_type about a customer
 * (its data.customer_code) received at or after since_ms (Unix ms):
 * *found, and its data.reason (sanitised, "" when none) into reason. */
KOLO_MUST_CHECK int pay_store_customer_event(db_conn *c, const char *provider,
					     const char *event_type,
					     const char *customer_code, int64_t since_ms,
					     char *reason, size_t cap, int *found);

/* --- payouts ---------------------------------------------------------------------- */
/* Makes the payout of (withdrawal, attempt) if it is new; *created 0 and
 * out the existing one otherwise. A new attempt while an earlier one is
 * unfinished or paid: ERR_FAILED_PRECONDITION (payout_in_progress). */
KOLO_MUST_CHECK int pay_store_payout_add(db_conn *c, mem_arena *a, const pay_payout *in,
					 pay_payout *out, int *created);
/* By "id" or by "withdrawal" (its latest attempt); *found 0 if none. */
KOLO_MUST_CHECK int pay_store_payout(db_conn *c, mem_arena *a, const char *by,
				     const char *value, pay_payout *out, int *found);
/* Moves a payout to state `to` when its version is still from_version (a
 * compare-and-set: the caller checked the move against the transition
 * table), and when not NULL sets the provider's reference and a failure
 * reason; executed stamps executed_at. *moved is 0 when someone else moved
 * it since the caller read it (re-read). */
KOLO_MUST_CHECK int pay_store_payout_move(db_conn *c, const char *id, int from_version,
					  pay_state to, const char *provider_reference,
					  const char *failure_reason, int executed, int *moved);
/* Payouts not finished and untouched for older_than_s seconds. */
KOLO_MUST_CHECK int pay_store_payouts_due(db_conn *c, mem_arena *a, int older_than_s,
					  int limit, pay_payout **out, int *n);
KOLO_MUST_CHECK int pay_store_payout_recovery(db_conn *c, const char *withdrawal_id,
					      const char *payload, const char *error);
KOLO_MUST_CHECK int pay_store_payouts_of_group(db_conn *c, mem_arena *a,
					       const char *group_id, const char *status,
					       const page_request *page, pay_payout **out,
					       int *n);

/* --- rate windows ---------------------------------------------------------------- */
/* Counts one hit of (kind, key) in its window: the open one, or a new one
 * of window_s seconds from now when none is open. *hits is the count with
 * this hit, *retry_s the seconds until the window ends (>= 1). One
 * statement, so concurrent hits from any replica are all counted. */
KOLO_MUST_CHECK int pay_store_rate_hit(db_conn *c, const char *kind, const char *key,
				       int window_s, int *hits, int *retry_s);
/* Deletes the windows that have ended. */
KOLO_MUST_CHECK int pay_store_rate_sweep(db_conn *c);

/* --- the demo provider's bank ----------------------------------------------------- */
/* Records in's transfer unless its reference has one; out is the stored
 * transfer either way (the first one made wins, a repeat never makes a
 * second). */
KOLO_MUST_CHECK int pay_store_demo_transfer_add(db_conn *c, mem_arena *a,
						const pay_demo_transfer *in,
						pay_demo_transfer *out);
/* The transfer of reference, settled first when it was PENDING (the demo
 * bank settles a transfer when asked about it); *found 0 if none. */
KOLO_MUST_CHECK int pay_store_demo_transfer_settle(db_conn *c, mem_arena *a,
						   const char *reference,
						   pay_demo_transfer *out, int *found);

#endif
