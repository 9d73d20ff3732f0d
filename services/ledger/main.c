/* kolo-ledger: configuration and wiring only; see svc/svc.h. */
#include "config/cfg.h"
#include "ledger_service.h"
#include "svc/svc.h"

static rpc_channel *groups_channel;

/* A number macro as the text cfg_var takes for a default. */
#define LDG_TEXT_OF(x) #x
#define LDG_TEXT(x)    LDG_TEXT_OF(x)

static int
ldg_start(void)
{
	int64_t lock_wait_ms = 0, interval_ms = 0;
	int coalesce = 1;
	const cfg_var vars[] = {
		{"KOLO_LEDGER_LOCK_WAIT_MS", CFG_INT, LDG_TEXT(LDG_LOCK_WAIT_DEFAULT_MS), 1, 600000,
		 &lock_wait_ms},
		{"KOLO_LEDGER_WORKER_INTERVAL_MS", CFG_INT, "5000", 50, 600000, &interval_ms},
		{"KOLO_LEDGER_COALESCE", CFG_BOOL, "true", 0, 0, &coalesce},
	};

	if (cfg_load(vars, sizeof(vars) / sizeof(vars[0])) < 0)
		return -1;
	ldg_set_lock_wait_ms(lock_wait_ms);
	ldg_set_coalesce(coalesce);
	if (svc_peer_open(&groups_channel, SVC_PEER_GROUPS) < 0)
		return -1;
	ldg_use_channels(groups_channel);
	return ldg_worker_start((int)interval_ms);
}

static void
ldg_stop(void)
{
	ldg_worker_stop();
	rpc_channel_close(groups_channel);
}

static const svc_def ledger_service = {
	.name = "kolo-ledger",
	.self = SVC_PEER_LEDGER,
	.db_env = "KOLO_LEDGER_DATABASE_URL",
	.read_db_env = "KOLO_LEDGER_READ_DATABASE_URL",
	.rpc = &ldg_rpc_service,
	.start = ldg_start,
	.stop = ldg_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&ledger_service, argc, argv);
}
