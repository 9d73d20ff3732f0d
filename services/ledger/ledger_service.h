/* kolo-ledger as other code sees it: its method table and wiring. */
#ifndef KOLO_LEDGER_SERVICE_H
#define KOLO_LEDGER_SERVICE_H

#include <stdint.h>

#include "rpc/rpc.h"

extern const rpc_service ldg_rpc_service;

/* The service ledger calls: groups (membership of readers). Borrowed; it
 * must outlive the server. */
void ldg_use_channels(rpc_channel *groups);

/* How long a posting waits for its group's balance row, held by another
 * posting, before it answers UNAVAILABLE "group_busy" (nothing posted, the
 * caller retries): KOLO_LEDGER_LOCK_WAIT_MS. Never longer than the
 * caller's deadline. Set at start-up (tests may change it between calls). */
#define LDG_LOCK_WAIT_DEFAULT_MS 3000
void ldg_set_lock_wait_ms(int64_t ms);

/* Whether plain debits of one group arriving together are posted together
 * (coalesce.c; KOLO_LEDGER_COALESCE, default on). Set at start-up. */
void ldg_set_coalesce(int on);

/* Coalesced debits so far (coalesce.c): "batches" of more than one debit
 * posted in one statement, the "debits" they carried, batches that "failed"
 * (their debits then posted each alone); "waiting": debits queued now. */
int64_t ldg_coalesced(const char *what);

/* The hold sweeper (worker.c): one pass, and the thread that loops it. */
void ldg_worker_pass(void);
KOLO_MUST_CHECK int ldg_worker_start(int interval_ms);
void ldg_worker_stop(void);

#endif
