/* payments: accounts, deposits and payouts (DESIGN §8), shared by the RPC
 * handlers and the recovery worker. No protobuf here beyond the ledger
 * and groups calls it makes. */
#ifndef KOLO_PAYMENTS_H
#define KOLO_PAYMENTS_H

#include "provider.h"
#include "rpc/rpc.h"
#include "store.h"
#include "svc/call.h"

/* What payments works with; borrowed, set once at start-up. */
typedef struct pay_deps {
	pay_provider *provider;
	rpc_channel *ledger;
	rpc_channel *groups;
	rpc_channel *identity;	/* KYC numbers of account holders (accounts_need_kyc) */
	int accounts_need_kyc;	/* a live provider: accounts open in a KYC-verified
				 * officer's name (needs_kyc until there is one) */
	int worker_interval_ms; /* how often the worker looks for work */
	int payout_stale_s;	/* a payout untouched this long is the worker's */
	int event_grace_s;	/* a stored webhook event is the handler's this long */
	int resend_after_s;	/* a sent transfer the provider never heard of this
				 * long after is sent again (same reference) */
	int recovery_max_tries; /* provisioning retries before giving up */
	int customer_bears_fee; /* KOLO_FEE_BEARER=customer: the provider's fee
				 * came on top of the amount, none is debited */
	/* Limits counted in PostgreSQL (every replica shares them); a limit
	 * of 0 is no limit. Windows are in seconds. */
	int resolve_per_user;  /* ResolveBankAccount calls per user per window */
	int resolve_per_group; /* ... per group per window */
	int resolve_window_s;
	int webhook_unsigned_per_addr; /* deliveries whose signature fails,
					* kept per client address per window */
	int webhook_unsigned_window_s;
} pay_deps;

void pay_configure(const pay_deps *deps);

/* Frees what the handlers cache (the bank list) and forgets a failed fetch
 * of it (handlers.c): at shutdown, and for tests. */
void pay_handlers_cleanup(void);
/* Fetches the provider's bank list into the cache when it is due (past its
 * TTL, outside a failed fetch's backoff); a failure is logged. */
void pay_banks_warm(void);
const pay_deps *pay_current(void);

/* Who payments is working for: an RPC or the worker (see svc/call.h). */
typedef svc_env pay_env;

/* An internal call to another service for env. */
KOLO_MUST_CHECK int pay_call(ProtobufCMessage **out, pay_env *env, rpc_channel *ch,
			     const char *method, const ProtobufCMessage *req);

/* --- deposit.c: who paid (DESIGN §15) ------------------------------------ */
/* The member of group_id who pays from payer's account (groups' MatchPayer;
 * bank_code narrows it when known, else payer's bank name breaks a tie):
 * *out_user_id is theirs, or "" (no 10-digit account, no member, or several).
 * Groups not answering is ERR_UNAVAILABLE `payer_match_unavailable`: the
 * deposit waits rather than being credited unattributed. */
KOLO_MUST_CHECK int pay_match_payer(const char **out_user_id, pay_env *env, const char *group_id,
				    const pay_payer *payer, const char *bank_code);

/* The code of the bank whose name in the provider's bank list is name,
 * trimmed and whatever the case; "" when none is, or banks of two codes
 * are. Reads the cached list only (handlers.c; ListBanks fetches it), never
 * the provider: UNAVAILABLE `provider_unavailable` when none is cached. */
KOLO_MUST_CHECK int pay_bank_code_of(const char **out_code, mem_arena *a, const char *name);

/* Sets a credit's payer_* fields (borrowing payer's texts). */
struct Kolo__Ledger__V1__PostEntryRequest;
void pay_post_payer(struct Kolo__Ledger__V1__PostEntryRequest *req, const pay_payer *payer);

/* --- limits.c ------------------------------------------------------------- */
/* Counts one hit of (kind, key) against limit hits per window_s seconds;
 * past it ERR_RESOURCE_EXHAUSTED "rate_limited" (what names the limit in
 * the message) with the seconds until the window ends as the retry hint.
 * A limit of 0 passes without counting. */
KOLO_MUST_CHECK int pay_rate_take(const char *kind, const char *key, int limit, int window_s,
				  const char *what);

/* --- account.c ------------------------------------------------------------ */
/* The group's account, asking the provider for it when there is none yet.
 * Idempotent and serialised per group: never a second account. When the
 * provider fails, a recovery is recorded (the worker retries) and *out is
 * not filled: *out_pending is set. */
KOLO_MUST_CHECK int pay_provision(pay_account *out, int *out_pending, pay_env *env,
				  const char *group_id, const char *group_name);

/* What the account of a group that has none waits for (see
 * pay_provision_as): nothing ("" reason), or KYC. */
typedef struct pay_account_wait {
	int needs_kyc;		     /* no KYC-verified officer yet */
	char reason[ERR_REASON_MAX]; /* kyc_required, kyc_pending, ... */
} pay_account_wait;

/* pay_provision() for a live provider: the account opens in the name of
 * officer_id (NULL or "": the holder groups names now, asked with
 * GetMembership; "" there too: the one recorded earlier), read from identity
 * (ReadKycNumber, logged there). Without a verified number nothing is
 * asked of the provider: *out_pending and out_wait->needs_kyc are set with the
 * reason, and the worker tries again (pay_worker_pass). The number is
 * erased at identity once no other account waits for that officer. */
KOLO_MUST_CHECK int pay_provision_as(pay_account *out, int *out_pending, pay_account_wait *out_wait,
				     pay_env *env, const char *group_id, const char *group_name,
				     const char *officer_id);

/* --- kyc.c ------------------------------------------------------------------ */
/* Identity checks through the provider (the number is never stored here).
 * ERR_FAILED_PRECONDITION "kyc_unsupported" when the provider has none. */
KOLO_MUST_CHECK int pay_kyc_start(pay_kyc_result *out, const pay_kyc_request *req);
KOLO_MUST_CHECK int pay_kyc_get(pay_kyc_result *out, const char *id_type, const char *reference);

/* --- deposit.c ------------------------------------------------------------ */
typedef struct pay_webhook_result {
	char *event_id;
	int processed;
	const char *status; /* processed, duplicate, ignored, queued */
} pay_webhook_result;

/* Stores a webhook delivery first, then checks its signature, then
 * processes it; a processing failure leaves it queued for the worker. A
 * delivery whose signature fails is kept only as its headers, length,
 * SHA-256 and a short prefix, then refused ERR_UNAUTHENTICATED
 * "bad_signature"; past the per-address limit (client_addr, "" when
 * unknown) it is refused "rate_limited" and not kept. route_provider is
 * the provider the delivery was addressed to ("" when not said): a
 * delivery to another provider than the active one is never taken as
 * signed. */
KOLO_MUST_CHECK int pay_webhook(pay_webhook_result *out, pay_env *env, const uint8_t *body,
				size_t len, const pay_header *headers, size_t n_headers,
				const char *route_provider, const char *client_addr);

/* How many signed deliveries wait to be stored by the batch being
 * written now: for tests. */
size_t pay_webhook_store_queued(void);
/* The same for the outcomes of handled deliveries. */
size_t pay_webhook_outcome_queued(void);
/* The same for the credits of verified deposits. */
size_t pay_credit_queued(void);

/* A charge event, decided before anything is written (DESIGN §15): the
 * facts are the signed delivery and the provider's verification of it. */
typedef enum pay_charge_verdict {
	PAY_CHARGE_CREDIT,	  /* credit it to the group of its tx_ref */
	PAY_CHARGE_MISMATCH,	  /* "verification_mismatch": not as the delivery said */
	PAY_CHARGE_OVER_LIMIT,	  /* "amount_over_limit": above the most one entry moves */
	PAY_CHARGE_FEE_NOT_BELOW, /* "fee_not_below_amount": nothing arrived */
} pay_charge_verdict;

typedef struct pay_charge_facts {
	const pay_event *ev;	  /* the signed delivery */
	const pay_charge *charge; /* the provider's verification of it */
	int64_t fee_kept;	  /* what the provider kept of it (0: the customer paid it) */
	int64_t max_kobo;	  /* the most one entry moves (money_max_kobo()) */
} pay_charge_facts;

typedef struct pay_charge_plan {
	pay_charge_verdict verdict;
	const char *outcome;	/* the event's outcome; NULL with PAY_CHARGE_CREDIT */
	const pay_payer *payer; /* who paid: the verification's, else the delivery's */
} pay_charge_plan;

/* What to do with a verified charge: credit it only when it is successful,
 * NGN, positive and the delivery's id, tx_ref, receiving account and
 * amount; at most max_kobo; and the fee kept below its amount. Pure: no
 * I/O, *out borrows from f. */
void pay_charge_decide(pay_charge_plan *out, const pay_charge_facts *f);

/* Processes a stored, signed event and records how it went: done, with
 * its outcome, or queued again with the error. Returns what recording
 * returned. */
KOLO_MUST_CHECK int pay_process_event(pay_env *env, const char *event_id, const uint8_t *body,
				      size_t len);

/* --- payout.c --------------------------------------------------------------- */
/* Makes (or finds) the payout of a withdrawal attempt and drives it as far
 * as it goes now: ledger debit, then the transfer. *out_replayed when it
 * existed already. Never debits or transfers twice. */
KOLO_MUST_CHECK int pay_payout_start(pay_payout *out, int *out_replayed, pay_env *env,
				     const pay_payout *spec);

/* Drives an existing payout on (worker, webhook): debit, transfer, poll,
 * reversal, whatever its stage needs. *p is re-read at the end. */
KOLO_MUST_CHECK int pay_payout_advance(pay_env *env, pay_payout *p);

/* --- worker.c --------------------------------------------------------------- */
/* The recovery worker: provisioning retries, queued webhooks, unfinished
 * payouts. One thread; stops on pay_worker_stop(). */
KOLO_MUST_CHECK int pay_worker_start(void);
void pay_worker_stop(void);
/* One pass of the worker's work (tests call it directly). */
void pay_worker_pass(void);

#endif
