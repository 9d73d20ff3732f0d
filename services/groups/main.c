/* kolo-groups: configuration and wiring only; see svc/svc.h. */
#include "config/cfg.h"
#include "groups_service.h"
#include "proposals.h"
#include "svc/sessions.h"
#include "svc/svc.h"

static rpc_channel *identity_channel, *payments_channel, *ledger_channel;

/* Governance settings (DESIGN §12), then the worker that applies them. */
static int
grp_governance_start(void)
{
	int64_t delay = 0, tenure = 0, interval = 0;
	const cfg_var vars[] = {
		{"KOLO_GOVERNANCE_DELAY_S", CFG_INT, "172800", 0, 90 * 86400, &delay},
		{"KOLO_GOVERNANCE_TENURE_S", CFG_INT, "604800", 0, 365 * 86400, &tenure},
		{"KOLO_GROUPS_WORKER_INTERVAL_MS", CFG_INT, "5000", 50, 600000, &interval},
	};
	grp_gov_config config;

	if (cfg_load(vars, sizeof(vars) / sizeof(vars[0])) < 0)
		return -1;
	config = (grp_gov_config){
		.delay_s = delay, .tenure_s = tenure, .worker_interval_ms = (int)interval};
	grp_gov_configure(&config);
	return grp_worker_start();
}

/* Abuse limits: groups a user may create per day (each opens a provider
 * account). */
static int
grp_limits_start(void)
{
	int64_t create_per_day = 0;
	const cfg_var vars[] = {
		{"KOLO_GROUPS_CREATE_PER_DAY", CFG_INT, "10", 0, 100000, &create_per_day},
	};

	if (cfg_load(vars, sizeof(vars) / sizeof(vars[0])) < 0)
		return -1;
	grp_limits_configure((int)create_per_day);
	return 0;
}

static int
grp_start(void)
{
	svc_sessions_config sessions;

	if (grp_limits_start() < 0 || svc_sessions_config_load(&sessions) < 0 ||
	    grp_governance_start() < 0)
		return -1;
	if (svc_peer_open(&identity_channel, SVC_PEER_IDENTITY) < 0 ||
	    svc_peer_open(&payments_channel, SVC_PEER_PAYMENTS) < 0 ||
	    svc_peer_open(&ledger_channel, SVC_PEER_LEDGER) < 0)
		return -1;
	grp_use_channels(identity_channel, payments_channel);
	grp_use_ledger(ledger_channel);
	/* Money and membership acts follow identity's ended sessions
	 * (RPC_AUTH_LIVE). */
	return svc_sessions_start(identity_channel, &sessions);
}

static void
grp_stop(void)
{
	grp_worker_stop();
	svc_sessions_stop();
	rpc_channel_close(identity_channel);
	rpc_channel_close(payments_channel);
	rpc_channel_close(ledger_channel);
}

static const svc_def groups_service = {
	.name = "kolo-groups",
	.self = SVC_PEER_GROUPS,
	.db_env = "KOLO_GROUPS_DATABASE_URL",
	.read_db_env = "KOLO_GROUPS_READ_DATABASE_URL",
	.rpc = &grp_rpc_service,
	.start = grp_start,
	.stop = grp_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&groups_service, argc, argv);
}
