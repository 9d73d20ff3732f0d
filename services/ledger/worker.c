/* The ledger's worker: holds past their expiry have already stopped
 * counting; the sweeper closes them, on record (DESIGN §13). */
#include "ledger_service.h"

#include "db/db.h"
#include "log/log.h"
#include "store.h"
#include "svc/worker.h"

#define LDG_SWEEP_BATCH 500

void ldg_worker_pass(void)
{
	db_conn *c = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 || ldg_store_sweep_holds(c, LDG_SWEEP_BATCH, &n) < 0)
		log_event(LOG_LVL_WARN, "expired holds not swept", "reason", err_last()->reason,
			  NULL);
	else if (n > 0)
		log_event(LOG_LVL_INFO, "expired holds released", NULL);
}

static svc_worker *ldg_worker;

int ldg_worker_start(int interval_ms)
{
	return svc_worker_start(&ldg_worker, ldg_worker_pass, interval_ms);
}

void ldg_worker_stop(void)
{
	svc_worker_stop(ldg_worker);
	ldg_worker = NULL;
}
