/* The governance worker: applies PASSED proposals whose time-lock is over
 * and expires PENDING ones past their 7 days, each in its own transaction
 * (the step is a compare-and-set, so a crash between "due" and "applied"
 * applies it once, on the next pass). */
#include "proposals.h"

#include "log/log.h"
#include "svc/worker.h"

#define GRP_WORKER_BATCH 32
#define GRP_WORKER_TX_MS 10000

typedef struct grp_worker_step {
	mem_arena *arena;
	const char *id;
} grp_worker_step;

static int
grp_worker_step_body(db_conn *c, void *arg)
{
	grp_worker_step *s = arg;
	grp_proposal p;

	return grp_proposal_step(&p, s->arena, c, s->id);
}

void
grp_worker_pass(void)
{
	mem_arena *arena = mem_arena_new(0);
	db_conn *c = NULL;
	char **ids = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 ||
	    grp_store_proposals_due(&ids, &n, arena, c, GRP_WORKER_BATCH) < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		grp_worker_step s = {.arena = arena, .id = ids[i]};

		/* Nobody to answer: log, and the next pass tries again. */
		if (db_tx(c, GRP_WORKER_TX_MS, grp_worker_step_body, &s) < 0)
			log_event(LOG_LVL_WARN, "proposal not stepped", "proposal_id", ids[i],
				  "reason", err_last()->reason, NULL);
	}
	mem_arena_free(arena);
}

static svc_worker *grp_worker;

int
grp_worker_start(void)
{
	return svc_worker_start(&grp_worker, grp_worker_pass,
				grp_gov_current()->worker_interval_ms);
}

void
grp_worker_stop(void)
{
	svc_worker_stop(grp_worker);
	grp_worker = NULL;
}
