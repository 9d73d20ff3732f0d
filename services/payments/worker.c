/* The recovery worker: one thread that keeps finishing what requests left
 * unfinished — virtual accounts the provider failed to make (exponential
 * backoff, a cap), webhook events that failed to process, and payouts
 * that stopped between two steps (crash, timeout, pending transfer). */
#include "payments.h"

#include <string.h>

#include "log/log.h"
#include "svc/worker.h"

#define PAY_WORKER_BATCH 32

/* The worker has nobody to return an error to: it logs and tries again on
 * its next pass. */
static void
pay_worker_note(int rc, const char *what)
{
	if (rc < 0)
		log_event(LOG_LVL_WARN, what, "reason", err_last()->reason, NULL);
}

static void
pay_retry_accounts(pay_env *env)
{
	db_conn *c = NULL;
	char **groups = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 ||
	    pay_store_recoveries_due(&groups, &n, env->arena, c, PAY_WORKER_BATCH) < 0)
		return;
	for (int i = 0; i < n; i++) {
		pay_account acct;
		int pending = 0;

		if (pay_provision(&acct, &pending, env, groups[i], NULL) < 0 || pending)
			pay_worker_note(pay_store_recovery_retry(c, groups[i],
								 pending ? "provider failed again"
									 : err_last()->message,
								 pay_current()->recovery_max_tries),
					"cannot record a provisioning retry");
	}
}

/* Live accounts waiting for a KYC-verified officer: asked again each
 * pass, so an officer's verification opens them by itself. */
static void
pay_retry_kyc_waits(pay_env *env)
{
	db_conn *c = NULL;
	char **groups = NULL;
	int n = 0;

	if (!pay_current()->accounts_need_kyc || db_thread_conn(&c) < 0 ||
	    pay_store_kyc_waiting(&groups, &n, env->arena, c, PAY_WORKER_BATCH) < 0)
		return;
	for (int i = 0; i < n; i++) {
		pay_account acct;
		pay_account_wait wait;
		int pending = 0;

		pay_worker_note(
			pay_provision_as(&acct, &pending, &wait, env, groups[i], NULL, NULL),
			"cannot provision an account waiting for kyc");
	}
}

static void
pay_retry_events(pay_env *env)
{
	db_conn *c = NULL;
	pay_event_row *rows = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 ||
	    pay_store_events_due(&rows, &n, env->arena, c, PAY_WORKER_BATCH) < 0)
		return;
	for (int i = 0; i < n; i++)
		pay_worker_note(pay_process_event(env, rows[i].id, (const uint8_t *)rows[i].body,
						  strlen(rows[i].body)),
				"cannot record a webhook outcome");
}

static void
pay_finish_payouts(pay_env *env)
{
	db_conn *c = NULL;
	pay_payout *rows = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 ||
	    pay_store_payouts_due(&rows, &n, env->arena, c, pay_current()->payout_stale_s,
				  PAY_WORKER_BATCH) < 0)
		return;
	for (int i = 0; i < n; i++) {
		if (pay_payout_advance(env, &rows[i]) < 0)
			log_event(LOG_LVL_WARN, "payout not advanced", "payout_id", rows[i].id,
				  "reason", err_last()->reason, NULL);
	}
}

/* Ended rate-limit windows are forgotten. */
static void
pay_sweep_rate_windows(void)
{
	db_conn *c = NULL;

	if (db_thread_conn(&c) == 0)
		pay_worker_note(pay_store_rate_sweep(c), "cannot sweep rate windows");
}

void
pay_worker_pass(void)
{
	mem_arena *arena = mem_arena_new(0);
	pay_env env = {.arena = arena};

	pay_sweep_rate_windows();
	/* Deposits read the bank list only from the cache (a sender's bank
	 * name to its code): after a restart the worker fills it, within
	 * the fetch's backoff, rather than the first ListBanks call. */
	pay_banks_warm();

	pay_retry_accounts(&env);
	mem_arena_reset(arena);
	pay_retry_kyc_waits(&env);
	mem_arena_reset(arena);
	pay_retry_events(&env);
	mem_arena_reset(arena);
	pay_finish_payouts(&env);
	mem_arena_free(arena);
}

static svc_worker *pay_worker;

int
pay_worker_start(void)
{
	return svc_worker_start(&pay_worker, pay_worker_pass, pay_current()->worker_interval_ms);
}

void
pay_worker_stop(void)
{
	svc_worker_stop(pay_worker);
	pay_worker = NULL;
}
