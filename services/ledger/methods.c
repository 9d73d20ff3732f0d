/* Every LedgerService RPC with its handler and who may call it. */
#include "ledger_service.h"

#include "handlers.h"
#include "kolo/ledger/v1/ledger.pb-c.h"

static const rpc_method ldg_methods[] = {
	{ "PostEntry", ldg_rpc_post_entry, RPC_AUTH_INTERNAL },
	{ "GetBalance", ldg_rpc_get_balance, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListEntries", ldg_rpc_list_entries, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "GetEntry", ldg_rpc_get_entry, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "PlaceHold", ldg_rpc_place_hold, RPC_AUTH_INTERNAL },
	{ "ReleaseHold", ldg_rpc_release_hold, RPC_AUTH_INTERNAL },
	{ "CaptureHold", ldg_rpc_capture_hold, RPC_AUTH_INTERNAL },
	{ "ReadOutbox", ldg_rpc_read_outbox, RPC_AUTH_INTERNAL },
	{ "AckOutbox", ldg_rpc_ack_outbox, RPC_AUTH_INTERNAL },
};

const rpc_service ldg_rpc_service = {
	.descriptor = &kolo__ledger__v1__ledger_service__descriptor,
	.methods = ldg_methods,
	.n_methods = sizeof(ldg_methods) / sizeof(ldg_methods[0]),
};
