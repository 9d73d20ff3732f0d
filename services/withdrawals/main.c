/* kolo-withdrawals: configuration and wiring only; see svc/svc.h. */
#include "config/cfg.h"
#include "svc/sessions.h"
#include "svc/svc.h"
#include "withdrawals_service.h"

static rpc_channel *channels[4];

static int
wdr_start(void)
{
	static const svc_peer peers[4] = {SVC_PEER_IDENTITY, SVC_PEER_GROUPS, SVC_PEER_LEDGER,
					  SVC_PEER_PAYMENTS};
	int64_t ttl = 0, interval = 0, idle = 0, attempts = 0;
	const cfg_var vars[] = {
		{"KOLO_WITHDRAWAL_TTL_S", CFG_INT, "259200", 60, 30 * 86400, &ttl},
		{"KOLO_WITHDRAWALS_WORKER_INTERVAL_MS", CFG_INT, "5000", 50, 600000, &interval},
		{"KOLO_WITHDRAWALS_PAYOUT_IDLE_S", CFG_INT, "30", 0, 86400, &idle},
		{"KOLO_PAYOUT_MAX_ATTEMPTS", CFG_INT, "5", 1, 100, &attempts},
	};
	wdr_deps deps;
	svc_sessions_config sessions;
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc == 0)
		rc = svc_sessions_config_load(&sessions);
	for (int i = 0; rc == 0 && i < 4; i++)
		rc = svc_peer_open(&channels[i], peers[i]);
	/* Money acts follow identity's ended sessions (RPC_AUTH_LIVE). */
	if (rc == 0)
		rc = svc_sessions_start(channels[0], &sessions);
	if (rc < 0)
		return rc;
	deps = (wdr_deps){.identity = channels[0],
			  .groups = channels[1],
			  .ledger = channels[2],
			  .payments = channels[3],
			  .ttl_s = ttl,
			  .worker_interval_ms = (int)interval,
			  .payout_idle_s = (int)idle,
			  .payout_max_attempts = (int)attempts};
	wdr_configure(&deps);
	return wdr_worker_start();
}

static void
wdr_stop(void)
{
	wdr_worker_stop();
	svc_sessions_stop();
	for (int i = 0; i < 4; i++)
		rpc_channel_close(channels[i]);
}

static const svc_def withdrawals_service = {
	.name = "kolo-withdrawals",
	.self = SVC_PEER_WITHDRAWALS,
	.db_env = "KOLO_WITHDRAWALS_DATABASE_URL",
	.read_db_env = "KOLO_WITHDRAWALS_READ_DATABASE_URL",
	.rpc = &wdr_rpc_service,
	.start = wdr_start,
	.stop = wdr_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&withdrawals_service, argc, argv);
}
