/* kolo-payments: configuration and wiring only; see svc/svc.h. */
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "handlers.h"
#include "payments_service.h"
#include "svc/svc.h"

static rpc_channel *ledger_channel, *groups_channel, *identity_channel;
static pay_provider *provider;

/* KOLO_PROVIDER=paystack: its key and the mailbox its customers are
 * addressed under are required. */
static int
pay_open_paystack(void)
{
	const char *base = NULL, *key = NULL, *ca = NULL, *email = NULL, *bank = NULL;
	int64_t timeout_ms = 0;
	const cfg_var vars[] = {
		{"KOLO_PAYSTACK_BASE_URL", CFG_STRING, "https://api.paystack.co", 0, 0, &base},
		{"KOLO_PAYSTACK_TIMEOUT_MS", CFG_INT, "30000", 100, 120000, &timeout_ms},
		{"KOLO_PAYSTACK_CA_FILE", CFG_FILE, "", 0, 0, &ca},
		{"KOLO_PAYSTACK_PREFERRED_BANK", CFG_STRING, "wema-bank", 0, 0, &bank},
		{"KOLO_PAYSTACK_SECRET_KEY", CFG_STRING, NULL, 0, 0, &key},
		{"KOLO_PAYSTACK_ACCOUNT_EMAIL", CFG_STRING, NULL, 0, 0, &email},
	};
	pay_paystack_config cfg;
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0)
		return rc;
	cfg = (pay_paystack_config){.base_url = base,
				    .secret_key = key,
				    .ca_file = ca,
				    .account_email = email,
				    .preferred_bank = bank,
				    .timeout_ms = timeout_ms};
	return pay_paystack_new(&provider, &cfg);
}

/* KOLO_PROVIDER: demo (default), flutterwave or paystack with its keys. */
static int
pay_open_provider(void)
{
	const char *name = NULL, *base = NULL, *key = NULL, *hash = NULL, *ca = NULL;
	const char *email = NULL, *kyc_redirect = NULL;
	int64_t timeout_ms = 0;
	const cfg_var vars[] = {
		{"KOLO_PROVIDER", CFG_STRING, "demo", 0, 0, &name},
		{"KOLO_FLW_BASE_URL", CFG_STRING, "https://api.flutterwave.com", 0, 0, &base},
		{"KOLO_FLW_TIMEOUT_MS", CFG_INT, "30000", 100, 120000, &timeout_ms},
		{"KOLO_FLW_CA_FILE", CFG_FILE, "", 0, 0, &ca},
		{"KOLO_FLW_ACCOUNT_EMAIL", CFG_STRING, "", 0, 0, &email},
		{"KOLO_FLW_KYC_REDIRECT_URL", CFG_STRING, "", 0, 0, &kyc_redirect},
	};
	pay_flutterwave_config flw;
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0)
		return rc;
	if (strcmp(name, "demo") == 0)
		return pay_demo_new(&provider);
	if (strcmp(name, "paystack") == 0)
		return pay_open_paystack();
	if (strcmp(name, "flutterwave") != 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_PROVIDER must be demo, flutterwave or paystack");
	{
		const cfg_var keys[] = {
			{"KOLO_FLW_SECRET_KEY", CFG_STRING, NULL, 0, 0, &key},
			{"KOLO_FLW_SECRET_HASH", CFG_STRING, NULL, 0, 0, &hash},
		};

		rc = cfg_load(keys, 2);
		if (rc < 0)
			return rc;
	}
	flw = (pay_flutterwave_config){.base_url = base,
				       .secret_key = key,
				       .secret_hash = hash,
				       .ca_file = ca,
				       .account_email = email,
				       .timeout_ms = timeout_ms,
				       .kyc_redirect_url = kyc_redirect};
	return pay_flutterwave_new(&provider, &flw);
}

/* KOLO_FEE_BEARER: who pays the provider's fee on a deposit. merchant
 * (default): it is taken from the amount, and the ledger debits it. */
static int
pay_fee_bearer(int *customer_bears_fee)
{
	const char *bearer = NULL;
	const cfg_var vars[] = {
		{"KOLO_FEE_BEARER", CFG_STRING, "merchant", 0, 0, &bearer},
	};
	int rc = cfg_load(vars, 1);

	if (rc < 0)
		return rc;
	*customer_bears_fee = strcmp(bearer, "customer") == 0;
	if (!*customer_bears_fee && strcmp(bearer, "merchant") != 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_FEE_BEARER must be merchant or customer");
	return 0;
}

/* Limits counted in PostgreSQL (0 turns one off). */
static int
pay_limits(pay_deps *deps)
{
	int64_t per_user = 0, per_group = 0, window = 0, per_addr = 0, addr_window = 0;
	const cfg_var vars[] = {
		{"KOLO_RESOLVE_PER_USER", CFG_INT, "20", 0, 1000000, &per_user},
		{"KOLO_RESOLVE_PER_GROUP", CFG_INT, "50", 0, 1000000, &per_group},
		{"KOLO_RESOLVE_WINDOW_S", CFG_INT, "3600", 1, 86400, &window},
		{"KOLO_WEBHOOK_UNSIGNED_PER_ADDR", CFG_INT, "20", 0, 1000000, &per_addr},
		{"KOLO_WEBHOOK_UNSIGNED_WINDOW_S", CFG_INT, "3600", 1, 86400, &addr_window},
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0)
		return rc;
	deps->resolve_per_user = (int)per_user;
	deps->resolve_per_group = (int)per_group;
	deps->resolve_window_s = (int)window;
	deps->webhook_unsigned_per_addr = (int)per_addr;
	deps->webhook_unsigned_window_s = (int)addr_window;
	return 0;
}

/* KOLO_ACCOUNT_KYC: required (default for a live provider: accounts open
 * in a KYC-verified officer's name) or off (a sandbox that opens accounts
 * without a BVN). The demo provider never needs it. */
static int
pay_account_kyc(int *out)
{
	const char *text = NULL;
	const cfg_var vars[] = {
		{"KOLO_ACCOUNT_KYC", CFG_STRING, "required", 0, 0, &text},
	};
	int rc = cfg_load(vars, 1);

	if (rc < 0)
		return rc;
	if (strcmp(text, "required") != 0 && strcmp(text, "off") != 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_ACCOUNT_KYC must be required or off");
	*out = provider->ops->live && strcmp(text, "required") == 0;
	return 0;
}

static int
pay_start(void)
{
	int64_t interval = 0, stale = 0, grace = 0, resend = 0, tries = 0;
	int customer_bears_fee = 0, accounts_need_kyc = 0;
	const cfg_var vars[] = {
		{"KOLO_PAYMENTS_WORKER_INTERVAL_MS", CFG_INT, "2000", 50, 600000, &interval},
		{"KOLO_PAYMENTS_PAYOUT_STALE_S", CFG_INT, "30", 0, 86400, &stale},
		{"KOLO_PAYMENTS_EVENT_GRACE_S", CFG_INT, "60", 0, 3600, &grace},
		{"KOLO_PAYMENTS_RESEND_AFTER_S", CFG_INT, "300", 1, 86400, &resend},
		{"KOLO_PAYMENTS_RECOVERY_MAX_TRIES", CFG_INT, "20", 1, 1000, &tries},
	};
	pay_deps deps, limits = {0};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc == 0)
		rc = pay_limits(&limits);
	if (rc == 0)
		rc = pay_fee_bearer(&customer_bears_fee);
	if (rc == 0)
		rc = pay_open_provider();
	if (rc == 0)
		rc = svc_peer_open(&ledger_channel, SVC_PEER_LEDGER);
	if (rc == 0)
		rc = svc_peer_open(&groups_channel, SVC_PEER_GROUPS);
	if (rc == 0)
		rc = pay_account_kyc(&accounts_need_kyc);
	if (rc == 0 && accounts_need_kyc)
		rc = svc_peer_open(&identity_channel, SVC_PEER_IDENTITY);
	if (rc < 0)
		return rc;
	deps = (pay_deps){.provider = provider,
			  .ledger = ledger_channel,
			  .groups = groups_channel,
			  .identity = identity_channel,
			  .accounts_need_kyc = accounts_need_kyc,
			  .worker_interval_ms = (int)interval,
			  .payout_stale_s = (int)stale,
			  .event_grace_s = (int)grace,
			  .resend_after_s = (int)resend,
			  .recovery_max_tries = (int)tries,
			  .customer_bears_fee = customer_bears_fee,
			  .resolve_per_user = limits.resolve_per_user,
			  .resolve_per_group = limits.resolve_per_group,
			  .resolve_window_s = limits.resolve_window_s,
			  .webhook_unsigned_per_addr = limits.webhook_unsigned_per_addr,
			  .webhook_unsigned_window_s = limits.webhook_unsigned_window_s};
	pay_configure(&deps);
	return pay_worker_start();
}

static void
pay_stop(void)
{
	pay_worker_stop();
	pay_handlers_cleanup();
	rpc_channel_close(ledger_channel);
	rpc_channel_close(groups_channel);
	rpc_channel_close(identity_channel);
	if (provider)
		provider->ops->destroy(provider);
}

static const svc_def payments_service = {
	.name = "kolo-payments",
	.self = SVC_PEER_PAYMENTS,
	.db_env = "KOLO_PAYMENTS_DATABASE_URL",
	.rpc = &pay_rpc_service,
	.start = pay_start,
	.stop = pay_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&payments_service, argc, argv);
}
