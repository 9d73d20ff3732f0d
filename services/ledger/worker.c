/* The ledger's worker: holds past their expiry have already stopped
 * counting; the sweeper closes them, on record (DESIGN §13). It also folds
 * captured holds into quiet groups' balance rows (0017). */
#include "ledger_service.h"

#include "db/db.h"
#include "log/log.h"
#include "store.h"
#include "svc/worker.h"

#define LDG_SWEEP_BATCH 500

static void
ldg_sweep(db_conn *c)
{
	int n = 0;

	if (ldg_store_sweep_holds(&n, c, LDG_SWEEP_BATCH) < 0)
		log_event(LOG_LVL_WARN, "expired holds not swept", "reason", err_last()->reason,
			  NULL);
	else if (n > 0)
		log_event(LOG_LVL_INFO, "expired holds released", NULL);
}

/* Captures are folded into their group's balance row by the group's next
 * posting; this folds those of groups that went quiet. */
static void
ldg_fold(db_conn *c)
{
	int n = 0;

	if (ldg_store_fold_captures(&n, c, LDG_SWEEP_BATCH) < 0)
		log_event(LOG_LVL_WARN, "captures not folded", "reason", err_last()->reason, NULL);
}

void
ldg_worker_pass(void)
{
	db_conn *c = NULL;

	if (db_thread_conn(&c) < 0) {
		log_event(LOG_LVL_WARN, "ledger worker has no database", "reason",
			  err_last()->reason, NULL);
		return;
	}
	ldg_sweep(c);
	ldg_fold(c);
}

static svc_worker *ldg_worker;

int
ldg_worker_start(int interval_ms)
{
	return svc_worker_start(&ldg_worker, ldg_worker_pass, interval_ms);
}

void
ldg_worker_stop(void)
{
	svc_worker_stop(ldg_worker);
	ldg_worker = NULL;
}
