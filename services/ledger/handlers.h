/* handlers: one function per LedgerService RPC (the method table is at the foot of handlers.c). */
#ifndef KOLO_LDG_HANDLERS_H
#define KOLO_LDG_HANDLERS_H

#include "kolo/common/v1/common.pb-c.h"
#include "rpc/rpc.h"
#include "kolo/ledger/v1/ledger.pb-c.h"

int ldg_post_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__PostEntryRequest *in,
		   Kolo__Ledger__V1__PostEntryResponse *out);
/* PostEntries (batch.c): each entry as PostEntry would answer it, the posted
 * ones in one transaction. */
int ldg_post_entries(rpc_ctx *ctx, const Kolo__Ledger__V1__PostEntriesRequest *in,
		     Kolo__Ledger__V1__PostEntriesResponse *out);
int ldg_get_balance(rpc_ctx *ctx, const Kolo__Ledger__V1__GetBalanceRequest *in,
		    Kolo__Ledger__V1__GetBalanceResponse *out);
int ldg_list_entries(rpc_ctx *ctx, const Kolo__Ledger__V1__ListEntriesRequest *in,
		     Kolo__Ledger__V1__ListEntriesResponse *out);
int ldg_get_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__GetEntryRequest *in,
		  Kolo__Ledger__V1__GetEntryResponse *out);
int ldg_place_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__PlaceHoldRequest *in,
		   Kolo__Ledger__V1__PlaceHoldResponse *out);
int ldg_release_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__ReleaseHoldRequest *in,
		     Kolo__Ledger__V1__ReleaseHoldResponse *out);
int ldg_capture_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__CaptureHoldRequest *in,
		     Kolo__Ledger__V1__CaptureHoldResponse *out);

/* Members' contributions (handlers_alloc.c, DESIGN §15). */
int ldg_allocate_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__AllocateEntryRequest *in,
		       Kolo__Ledger__V1__AllocateEntryResponse *out);
int ldg_list_allocations(rpc_ctx *ctx, const Kolo__Ledger__V1__ListAllocationsRequest *in,
			 Kolo__Ledger__V1__ListAllocationsResponse *out);
int ldg_list_unallocated(rpc_ctx *ctx, const Kolo__Ledger__V1__ListUnallocatedRequest *in,
			 Kolo__Ledger__V1__ListUnallocatedResponse *out);
int ldg_list_contributions(rpc_ctx *ctx, const Kolo__Ledger__V1__ListContributionsRequest *in,
			   Kolo__Ledger__V1__ListContributionsResponse *out);

/* Shared by the handlers' files: an entry as its message (in the call's
 * arena), and how long a call waits for its group's balance row. */
struct ldg_entry;
Kolo__Common__V1__LedgerEntry *ldg_entry_message(rpc_ctx *ctx, const struct ldg_entry *e);
int64_t ldg_wait_ms(rpc_ctx *ctx);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
int ldg_read_outbox(rpc_ctx *ctx, const Kolo__Ledger__V1__ReadOutboxRequest *in,
		    Kolo__Ledger__V1__ReadOutboxResponse *out);
int ldg_ack_outbox(rpc_ctx *ctx, const Kolo__Ledger__V1__AckOutboxRequest *in,
		   Kolo__Ledger__V1__AckOutboxResponse *out);

#endif
