/* The table of the six services' addresses and gRPC services. */
#include "svc/peers.h"

#include "config/cfg.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

static const svc_peer_def svc_peers[SVC_N_PEERS] = {
	[SVC_PEER_IDENTITY] = {"identity", "KOLO_IDENTITY_ADDR", "127.0.0.1:7101",
			       &kolo__identity__v1__identity_service__descriptor},
	[SVC_PEER_GROUPS] = {"groups", "KOLO_GROUPS_ADDR", "127.0.0.1:7102",
			     &kolo__groups__v1__groups_service__descriptor},
	[SVC_PEER_LEDGER] = {"ledger", "KOLO_LEDGER_ADDR", "127.0.0.1:7103",
			     &kolo__ledger__v1__ledger_service__descriptor},
	[SVC_PEER_WITHDRAWALS] = {"withdrawals", "KOLO_WITHDRAWALS_ADDR", "127.0.0.1:7104",
				  &kolo__withdrawals__v1__withdrawals_service__descriptor},
	[SVC_PEER_PAYMENTS] = {"payments", "KOLO_PAYMENTS_ADDR", "127.0.0.1:7105",
			       &kolo__payments__v1__payments_service__descriptor},
	[SVC_PEER_EVENTS] = {"events", "KOLO_EVENTS_ADDR", "127.0.0.1:7106",
			     &kolo__events__v1__events_service__descriptor},
};

const svc_peer_def *
svc_peer_def_of(svc_peer peer)
{
	return &svc_peers[peer];
}

int
svc_peer_addr(const char **out, svc_peer peer)
{
	const cfg_var var = {
		svc_peers[peer].addr_env, CFG_ADDR, svc_peers[peer].default_addr, 0, 0, out};

	return cfg_load(&var, 1);
}
