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
	{ "AllocateEntry", ldg_rpc_allocate_entry, RPC_AUTH_INTERNAL },
	{ "ListAllocations", ldg_rpc_list_allocations, RPC_AUTH_INTERNAL },
	{ "ListUnallocated", ldg_rpc_list_unallocated, RPC_AUTH_INTERNAL },
	{ "ListContributions", ldg_rpc_list_contributions, RPC_AUTH_INTERNAL },
};

const rpc_service ldg_rpc_service = {
	.descriptor = &kolo__ledger__v1__ledger_service__descriptor,
	.methods = ldg_methods,
	.n_methods = sizeof(ldg_methods) / sizeof(ldg_methods[0]),
};
