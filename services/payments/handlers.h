/* handlers: one function per PaymentsService RPC (the method table is at the foot of handlers.c).
 */
#ifndef KOLO_PAY_HANDLERS_H
#define KOLO_PAY_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/payments/v1/payments.pb-c.h"

int pay_provision_account(rpc_ctx *ctx, const Kolo__Payments__V1__ProvisionAccountRequest *in,
			  Kolo__Payments__V1__ProvisionAccountResponse *out);
int pay_get_account(rpc_ctx *ctx, const Kolo__Payments__V1__GetAccountRequest *in,
		    Kolo__Payments__V1__GetAccountResponse *out);
int pay_handle_webhook(rpc_ctx *ctx, const Kolo__Payments__V1__HandleWebhookRequest *in,
		       Kolo__Payments__V1__HandleWebhookResponse *out);
int pay_simulate_deposit(rpc_ctx *ctx, const Kolo__Payments__V1__SimulateDepositRequest *in,
			 Kolo__Payments__V1__SimulateDepositResponse *out);
int pay_reverse_deposit(rpc_ctx *ctx, const Kolo__Payments__V1__ReverseDepositRequest *in,
			Kolo__Payments__V1__ReverseDepositResponse *out);
int pay_create_payout(rpc_ctx *ctx, const Kolo__Payments__V1__CreatePayoutRequest *in,
		      Kolo__Payments__V1__CreatePayoutResponse *out);
int pay_get_payout(rpc_ctx *ctx, const Kolo__Payments__V1__GetPayoutRequest *in,
		   Kolo__Payments__V1__GetPayoutResponse *out);
int pay_list_payouts(rpc_ctx *ctx, const Kolo__Payments__V1__ListPayoutsRequest *in,
		     Kolo__Payments__V1__ListPayoutsResponse *out);
int pay_list_banks(rpc_ctx *ctx, const Kolo__Payments__V1__ListBanksRequest *in,
		   Kolo__Payments__V1__ListBanksResponse *out);
int pay_resolve_bank_account(rpc_ctx *ctx, const Kolo__Payments__V1__ResolveBankAccountRequest *in,
			     Kolo__Payments__V1__ResolveBankAccountResponse *out);
int pay_start_kyc_check(rpc_ctx *ctx, const Kolo__Payments__V1__StartKycCheckRequest *in,
			Kolo__Payments__V1__StartKycCheckResponse *out);
int pay_get_kyc_check(rpc_ctx *ctx, const Kolo__Payments__V1__GetKycCheckRequest *in,
		      Kolo__Payments__V1__GetKycCheckResponse *out);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
int pay_read_outbox(rpc_ctx *ctx, const Kolo__Payments__V1__ReadOutboxRequest *in,
		    Kolo__Payments__V1__ReadOutboxResponse *out);
int pay_ack_outbox(rpc_ctx *ctx, const Kolo__Payments__V1__AckOutboxRequest *in,
		   Kolo__Payments__V1__AckOutboxResponse *out);

#endif
