/* kolo-withdrawals: configuration and wiring only; see svc/svc.h. */
#include <stdlib.h>

#include "config/cfg.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "svc/sessions.h"
#include "svc/svc.h"
#include "withdrawals_service.h"

static rpc_channel *channels[4];

static const char *wdr_env_text(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && v[0] ? v : fallback;
}

static int wdr_start(void)
{
	static const struct {
		const char *env, *fallback;
		const ProtobufCServiceDescriptor *descriptor;
	} peers[4] = {
		{ "KOLO_IDENTITY_ADDR", "127.0.0.1:7101", &kolo__identity__v1__identity_service__descriptor },
		{ "KOLO_GROUPS_ADDR", "127.0.0.1:7102", &kolo__groups__v1__groups_service__descriptor },
		{ "KOLO_LEDGER_ADDR", "127.0.0.1:7103", &kolo__ledger__v1__ledger_service__descriptor },
		{ "KOLO_PAYMENTS_ADDR", "127.0.0.1:7105", &kolo__payments__v1__payments_service__descriptor },
	};
	int64_t ttl = 0, interval = 0, idle = 0, attempts = 0;
	const cfg_var vars[] = {
		{ "KOLO_WITHDRAWAL_TTL_S", CFG_INT, "259200", 60, 30 * 86400, &ttl },
		{ "KOLO_WITHDRAWALS_WORKER_INTERVAL_MS", CFG_INT, "5000", 50, 600000, &interval },
		{ "KOLO_WITHDRAWALS_PAYOUT_IDLE_S", CFG_INT, "30", 0, 86400, &idle },
		{ "KOLO_PAYOUT_MAX_ATTEMPTS", CFG_INT, "5", 1, 100, &attempts },
	};
	wdr_deps deps;
	svc_sessions_config sessions;
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc == 0)
		rc = svc_sessions_config_load(&sessions);
	for (int i = 0; rc == 0 && i < 4; i++)
		rc = svc_channel_open(&channels[i], wdr_env_text(peers[i].env, peers[i].fallback),
				      peers[i].descriptor);
	/* Money acts follow identity's ended sessions (RPC_AUTH_LIVE). */
	if (rc == 0)
		rc = svc_sessions_start(channels[0], &sessions);
	if (rc < 0)
		return rc;
	deps = (wdr_deps){ .identity = channels[0], .groups = channels[1],
			   .ledger = channels[2], .payments = channels[3], .ttl_s = ttl,
			   .worker_interval_ms = (int)interval, .payout_idle_s = (int)idle,
			   .payout_max_attempts = (int)attempts };
	wdr_configure(&deps);
	return wdr_worker_start();
}

static void wdr_stop(void)
{
	wdr_worker_stop();
	svc_sessions_stop();
	for (int i = 0; i < 4; i++)
		rpc_channel_close(channels[i]);
}

static const svc_def withdrawals_service = {
	.name = "kolo-withdrawals",
	.addr_env = "KOLO_WITHDRAWALS_ADDR",
	.default_addr = "127.0.0.1:7104",
	.db_env = "KOLO_WITHDRAWALS_DATABASE_URL",
	.rpc = &wdr_rpc_service,
	.start = wdr_start,
	.stop = wdr_stop,
};

int main(int argc, char **argv)
{
	return svc_main(&withdrawals_service, argc, argv);
}
