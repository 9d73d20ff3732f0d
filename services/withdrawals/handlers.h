/* handlers: one function per WithdrawalsService RPC (the method table is at the foot of
 * handlers.c). */
#ifndef KOLO_WDR_HANDLERS_H
#define KOLO_WDR_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

int wdr_create_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__CreateWithdrawalRequest *in,
			  Kolo__Withdrawals__V1__CreateWithdrawalResponse *out);
int wdr_approve_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ApproveWithdrawalRequest *in,
			   Kolo__Withdrawals__V1__ApproveWithdrawalResponse *out);
int wdr_decline_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__DeclineWithdrawalRequest *in,
			   Kolo__Withdrawals__V1__DeclineWithdrawalResponse *out);
int wdr_get_withdrawal(rpc_ctx *ctx, const Kolo__Withdrawals__V1__GetWithdrawalRequest *in,
		       Kolo__Withdrawals__V1__GetWithdrawalResponse *out);
int wdr_list_withdrawals(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ListWithdrawalsRequest *in,
			 Kolo__Withdrawals__V1__ListWithdrawalsResponse *out);
int wdr_retry_payout(rpc_ctx *ctx, const Kolo__Withdrawals__V1__RetryPayoutRequest *in,
		     Kolo__Withdrawals__V1__RetryPayoutResponse *out);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
int wdr_read_outbox(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ReadOutboxRequest *in,
		    Kolo__Withdrawals__V1__ReadOutboxResponse *out);
int wdr_ack_outbox(rpc_ctx *ctx, const Kolo__Withdrawals__V1__AckOutboxRequest *in,
		   Kolo__Withdrawals__V1__AckOutboxResponse *out);

#endif
