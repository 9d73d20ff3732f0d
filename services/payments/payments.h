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
	int worker_interval_ms; /* how often the worker looks for work */
	int payout_stale_s;	/* a payout untouched this long is the worker's */
	int event_grace_s;	/* a stored webhook event is the handler's this long */
	int resend_after_s;	/* a sent transfer the provider never heard of this
				 * long after is sent again (same reference) */
	int recovery_max_tries; /* provisioning retries before giving up */
	int customer_bears_fee; /* KOLO_FEE_BEARER=customer: the provider's fee
				 * came on top of the amount, none is debited */
} pay_deps;

void pay_configure(const pay_deps *deps);
const pay_deps *pay_current(void);

/* Who payments is working for: an RPC or the worker (see svc/call.h). */
typedef svc_env pay_env;

/* An internal call to another service for env. */
KOLO_MUST_CHECK int pay_call(pay_env *env, rpc_channel *ch, const char *method,
			     const ProtobufCMessage *req, ProtobufCMessage **resp);

/* The calling thread's database connection. */
KOLO_MUST_CHECK int pay_db(db_conn **out);

/* --- account.c ------------------------------------------------------------ */
/* The group's account, asking the provider for it when there is none yet.
 * Idempotent and serialised per group: never a second account. When the
 * provider fails, a recovery is recorded (the worker retries) and *out is
 * not filled: *pending is set. */
KOLO_MUST_CHECK int pay_provision(pay_env *env, const char *group_id,
				  const char *group_name, pay_account *out,
				  int *pending);

/* --- deposit.c ------------------------------------------------------------ */
typedef struct pay_webhook_result {
	char *event_id;
	int processed;
	const char *status; /* processed, duplicate, ignored, queued */
} pay_webhook_result;

/* Stores a webhook delivery first, then checks its signature (refusing
 * it, stored, with ERR_UNAUTHENTICATED "bad_signature"), then processes
 * it; a processing failure leaves it queued for the worker. */
KOLO_MUST_CHECK int pay_webhook(pay_env *env, const uint8_t *body, size_t len,
				const pay_header *headers, size_t n_headers,
				pay_webhook_result *out);

/* Processes a stored, signed event and records how it went: done, with
 * its outcome, or queued again with the error. Returns what recording
 * returned. */
KOLO_MUST_CHECK int pay_process_event(pay_env *env, const char *event_id,
				      const uint8_t *body, size_t len);

/* --- payout.c --------------------------------------------------------------- */
/* Makes (or finds) the payout of a withdrawal attempt and drives it as far
 * as it goes now: ledger debit, then the transfer. *replayed when it
 * existed already. Never debits or transfers twice. */
KOLO_MUST_CHECK int pay_payout_start(pay_env *env, const pay_payout *spec,
				     pay_payout *out, int *replayed);

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
