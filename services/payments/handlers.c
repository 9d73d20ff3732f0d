/* One function per PaymentsService RPC (the method table is at its foot). */
#include "handlers.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "beneficiary/beneficiary.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "idem/idem.h"
#include "log/log.h"
#include "membership/membership.h"
#include "money/money.h"
#include "payments.h"
#include "text/text.h"
#include "payments_service.h"

static pay_env
pay_env_of(rpc_ctx *ctx)
{
	pay_env env = {.ctx = ctx, .arena = rpc_ctx_arena(ctx)};

	return env;
}

/* --- accounts ---------------------------------------------------------------- */

static Kolo__Payments__V1__Account *
pay_account_message(rpc_ctx *ctx, const char *group_id, const pay_account *a, int pending,
		    const pay_account_wait *wait)
{
	Kolo__Payments__V1__Account *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__payments__v1__account__init(m);
	m->group_id = (char *)group_id;
	m->provider = (char *)pay_current()->provider->ops->name;
	if (pending && wait && wait->needs_kyc) {
		m->status = KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_NEEDS_KYC;
		m->reason = mem_arena_strdup(rpc_ctx_arena(ctx), wait->reason);
		return m->reason ? m : NULL;
	}
	if (pending) {
		m->status = KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_PENDING;
		return m;
	}
	m->id = a->id;
	m->virtual_account_number = a->number;
	m->bank_name = a->bank_name;
	m->provider = a->provider;
	m->status = strcmp(a->status, "active") == 0
			    ? KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE
		    : strcmp(a->status, "failed") == 0
			    ? KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_FAILED
			    : KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_PENDING;
	m->tx_ref = a->tx_ref;
	m->created_at = a->created_at;
	return m;
}

int
pay_provision_account(rpc_ctx *ctx, const Kolo__Payments__V1__ProvisionAccountRequest *in,
		      Kolo__Payments__V1__ProvisionAccountResponse *out)
{
	pay_env env = pay_env_of(ctx);
	pay_account acct;
	pay_account_wait wait;
	int pending = 0, rc = 0;

	if (!text_is_uuid(in->group_id))
		rc = err_invalid_id("group_id");
	if (rc == 0 && in->officer_user_id[0] && !text_is_uuid(in->officer_user_id))
		rc = err_invalid_id("officer_user_id");
	if (rc == 0)
		rc = pay_provision_as(&acct, &pending, &wait, &env, in->group_id, in->group_name,
				      in->officer_user_id);
	if (rc < 0)
		return rc;
	out->account = pay_account_message(ctx, in->group_id, &acct, pending, &wait);
	return out->account ? 0 : err_oom();
}

int
pay_get_account(rpc_ctx *ctx, const Kolo__Payments__V1__GetAccountRequest *in,
		Kolo__Payments__V1__GetAccountResponse *out)
{
	pay_env env = pay_env_of(ctx);
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	pay_account acct;
	pay_account_wait wait;
	int pending = 0;
	int rc = membership_check(ctx, pay_current()->groups, in->group_id, 0, &m);

	/* A group without an account gets one now (DESIGN §5), a live one in
	 * the name of the holder groups names (a service call: asked). */
	if (rc == 0)
		rc = pay_provision_as(&acct, &pending, &wait, &env, in->group_id, NULL,
				      m ? m->account_holder_user_id : NULL);
	if (rc < 0)
		return rc;
	out->account = pay_account_message(ctx, in->group_id, &acct, pending, &wait);
	return out->account ? 0 : err_oom();
}

/* --- webhooks and deposits ----------------------------------------------------- */

int
pay_handle_webhook(rpc_ctx *ctx, const Kolo__Payments__V1__HandleWebhookRequest *in,
		   Kolo__Payments__V1__HandleWebhookResponse *out)
{
	pay_env env = pay_env_of(ctx);
	pay_header *headers = mem_arena_alloc(env.arena, sizeof(*headers) * (in->n_headers + 1));
	pay_webhook_result result = {0};
	const char *addr;
	int rc;

	if (!headers)
		return err_oom();
	for (size_t i = 0; i < in->n_headers; i++)
		headers[i] = (pay_header){in->headers[i]->name, in->headers[i]->value};
	/* The gateway names the client (internal-only RPC: its word is taken). */
	addr = rpc_ctx_metadata(ctx, "x-forwarded-for");
	rc = pay_webhook(&result, &env, in->raw_body.data ? in->raw_body.data : (const uint8_t *)"",
			 in->raw_body.len, headers, in->n_headers, in->provider, addr ? addr : "");
	if (rc < 0)
		return rc;
	out->event_id = result.event_id;
	out->processed = result.processed;
	out->status = (char *)result.status;
	return 0;
}

/* A demo deposit's ledger keys: the Idempotency-Key is scoped to the group
 * (two groups may use the same key) by its canonical id. */
static void
pay_demo_refs(mem_arena *a, const char *group_id, const char *key, char **reference,
	      char **client_ref)
{
	char id[AUTH_TOKEN_TEXT];

	if (key[0]) {
		*reference = mem_arena_printf(a, "demo:%s:%s", group_id, key);
		*client_ref = mem_arena_printf(a, "%s:%s", group_id, key);
		return;
	}
	auth_random_token(id);
	*reference = mem_arena_printf(a, "demo:%s", id);
	*client_ref = "";
}

static int pay_bank_list(mem_arena *a, pay_bank **out, size_t *n);

/* The sender of a demo deposit: an optional 10-digit account at a bank of
 * the list (both or neither), and a name. */
static int
pay_demo_sender(mem_arena *a, const Kolo__Payments__V1__SimulateDepositRequest *in, pay_payer *out)
{
	pay_bank *banks = NULL;
	size_t n = 0, acct = strlen(in->sender_account_number);
	int rc;

	memset(out, 0, sizeof(*out));
	text_sanitize_into(out->name, sizeof(out->name), in->sender_name);
	if (!acct && !in->sender_bank_code[0])
		return 0;
	if (acct != 10 || strspn(in->sender_account_number, "0123456789") != 10)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			       "sender_account_number must be exactly 10 digits");
	rc = pay_bank_list(a, &banks, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (strcmp(banks[i].code, in->sender_bank_code) == 0) {
			memcpy(out->account_number, in->sender_account_number, 11);
			text_sanitize_into(out->bank_name, sizeof(out->bank_name), banks[i].name);
			return 0;
		}
	}
	return rc < 0 ? rc
		      : err_set(ERR_INVALID_ARGUMENT, "invalid_bank_code",
				"sender_bank_code is required with sender_account_number and"
				" must be a bank of the list");
}

static int
pay_check_deposit(const Kolo__Payments__V1__SimulateDepositRequest *in)
{
	int rc;

	if (strcmp(pay_current()->provider->ops->name, "demo") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "demo_only",
			       "simulated deposits exist only with the demo provider");
	rc = money_check_amount(in->amount_kobo);
	if (rc < 0)
		return rc;
	return idem_key_check(in->client_ref, IDEM_KEY_CLIENT_REF);
}

int
pay_simulate_deposit(rpc_ctx *ctx, const Kolo__Payments__V1__SimulateDepositRequest *in,
		     Kolo__Payments__V1__SimulateDepositResponse *out)
{
	Kolo__Ledger__V1__PostEntryRequest post = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	pay_env env = pay_env_of(ctx);
	/* The id as typed may be upper case; the key's scope is the group. */
	const char *group_id = text_uuid_canonical(env.arena, in->group_id);
	pay_account acct;
	pay_payer payer;
	const char *member = NULL;
	int pending = 0;
	int rc = group_id ? pay_check_deposit(in) : err_oom();

	if (rc == 0)
		rc = pay_demo_sender(env.arena, in, &payer);
	if (rc == 0)
		rc = membership_check(ctx, pay_current()->groups, group_id, 0, NULL);
	/* From a named account: its member (or unallocated), as a real
	 * deposit; without one, the demo stands in for the caller's own. */
	if (rc == 0 && payer.account_number[0])
		rc = pay_match_payer(&member, &env, group_id, &payer, in->sender_bank_code);
	if (rc == 0)
		rc = pay_provision(&acct, &pending, &env, group_id, NULL);
	if (rc == 0 && pending)
		rc = err_set(ERR_UNAVAILABLE, "account_pending",
			     "the group's account is not ready yet");
	if (rc < 0)
		return rc;
	post.group_id = (char *)group_id;
	post.account_id = acct.id;
	post.user_id = (char *)(member ? member : rpc_ctx_user_id(ctx) ? rpc_ctx_user_id(ctx) : "");
	pay_post_payer(&post, &payer);
	post.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	post.amount_kobo = in->amount_kobo;
	post.source = "demo";
	post.simulated = 1;
	pay_demo_refs(env.arena, group_id, in->client_ref, &post.reference, &post.client_ref);
	if (!post.reference || !post.client_ref)
		return err_oom();
	rc = pay_call((ProtobufCMessage **)&posted, &env, pay_current()->ledger, "PostEntry",
		      &post.base);
	if (rc == ERR_ALREADY_EXISTS && in->client_ref[0]) /* the key's refs are taken */
		return err_set(ERR_ALREADY_EXISTS, "idempotency_key_used",
			       "this Idempotency-Key was used for another deposit");
	if (rc < 0)
		return rc;
	out->entry = posted->entry;
	out->replayed = posted->replayed;
	return 0;
}

/* --- deposit reversals (DESIGN §15) ------------------------------------------------ */

/* A reversal's request: ids, and why (1..500 characters). Officers of a
 * group on the demo provider only: a live provider's chargeback is to come
 * from its refund webhook (docs/decisions.md, "Contributions"). */
static int
pay_check_reversal(const Kolo__Payments__V1__ReverseDepositRequest *in)
{
	size_t n = strlen(in->reason);

	if (!text_is_uuid(in->group_id))
		return err_invalid_id("group_id");
	if (!text_is_uuid(in->entry_id))
		return err_invalid_id("entry_id");
	if (n == 0)
		return err_set(ERR_INVALID_ARGUMENT, "reason_required",
			       "a reversal needs a reason (1 to 500 characters)");
	if (n > 500)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_reason",
			       "reason is at most 500 characters");
	if (strcmp(pay_current()->provider->ops->name, "demo") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "demo_only",
			       "deposit reversals exist only with the demo provider");
	return 0;
}

/* The deposit to reverse: an entry of the group (else entry_not_found). */
static int
pay_reversal_deposit(pay_env *env, const char *group_id, const char *entry_id,
		     Kolo__Common__V1__LedgerEntry **out)
{
	Kolo__Ledger__V1__GetEntryRequest req = KOLO__LEDGER__V1__GET_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__GetEntryResponse *resp = NULL;
	int rc;

	req.key_case = KOLO__LEDGER__V1__GET_ENTRY_REQUEST__KEY_ENTRY_ID;
	req.entry_id = (char *)entry_id;
	rc = pay_call((ProtobufCMessage **)&resp, env, pay_current()->ledger, "GetEntry",
		      &req.base);
	if (rc == 0 && strcasecmp(resp->entry->group_id, group_id) != 0)
		rc = err_set(ERR_NOT_FOUND, "entry_not_found", "the group has no such entry");
	if (rc == 0)
		*out = resp->entry;
	return rc;
}

int
pay_reverse_deposit(rpc_ctx *ctx, const Kolo__Payments__V1__ReverseDepositRequest *in,
		    Kolo__Payments__V1__ReverseDepositResponse *out)
{
	Kolo__Ledger__V1__PostEntryRequest post = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	Kolo__Common__V1__LedgerEntry *deposit = NULL;
	pay_env env = pay_env_of(ctx);
	int rc = pay_check_reversal(in);

	if (rc == 0)
		rc = membership_check(ctx, pay_current()->groups, in->group_id, 1, NULL);
	if (rc == 0)
		rc = pay_reversal_deposit(&env, in->group_id, in->entry_id, &deposit);
	if (rc < 0)
		return rc;
	/* The ledger checks the rest under the deposit's reference: a deposit
	 * CREDIT, whole, once, and the balance. */
	post.group_id = deposit->group_id;
	post.account_id = deposit->account_id;
	post.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	post.amount_kobo = deposit->amount_kobo;
	post.source = deposit->source;
	post.simulated = deposit->simulated;
	post.payment_channel = deposit->payment_channel;
	post.reverses_reference = deposit->reference;
	/* who and why, on the reversal's row (a replay keeps the first's) */
	post.reversal_reason = (char *)in->reason;
	post.actor_id = (char *)rpc_ctx_user_id(ctx);
	post.reference = mem_arena_printf(env.arena, "chargeback:%s", deposit->reference);
	if (!post.reference)
		return err_oom();
	rc = pay_call((ProtobufCMessage **)&posted, &env, pay_current()->ledger, "PostEntry",
		      &post.base);
	if (rc < 0)
		return rc;
	log_event(LOG_LVL_INFO, "deposit_reversed", "group_id", in->group_id, "entry_id",
		  in->entry_id, "reversal_id", posted->entry->id, "reason", in->reason, NULL);
	out->entry = posted->entry;
	out->replayed = posted->replayed;
	return 0;
}

/* --- payouts --------------------------------------------------------------------- */

static Kolo__Payments__V1__Payout *
pay_payout_message(rpc_ctx *ctx, const pay_payout *p)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Payments__V1__Payout *m = mem_arena_alloc(a, sizeof(*m));
	Kolo__Common__V1__Beneficiary *b = mem_arena_alloc(a, sizeof(*b));

	if (!m || !b || beneficiary_parse(b, a, p->beneficiary) < 0)
		return NULL;
	kolo__payments__v1__payout__init(m);
	m->id = p->id;
	m->withdrawal_id = p->withdrawal_id;
	m->group_id = p->group_id;
	m->amount_kobo = p->amount_kobo;
	m->status = strcmp(p->status, "SUCCESS") == 0
			    ? KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS
		    : strcmp(p->status, "FAILED") == 0
			    ? KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED
			    : KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_PENDING;
	m->provider = p->provider;
	m->provider_reference = p->provider_reference;
	m->failure_reason = p->failure_reason;
	m->created_at = p->created_at;
	m->executed_at = p->executed_at;
	m->beneficiary = b;
	m->attempt = p->attempt;
	m->finished = pay_state_final(p->state);
	return m;
}

/* The beneficiary as the JSON kept on the payout row (malloc'd text). */
static int
pay_beneficiary_json(char **out, const Kolo__Common__V1__Beneficiary *b)
{
	if (!b || strlen(b->bank_code) == 0 || strlen(b->bank_code) > 16 ||
	    strspn(b->bank_code, "0123456789") != strlen(b->bank_code))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.bank_code is required (digits)");
	if (strlen(b->account_number) != 10 || strspn(b->account_number, "0123456789") != 10)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.account_number is 10 digits");
	if (!b->account_name[0] || strlen(b->account_name) > 200 || !text_is_clean(b->account_name))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_beneficiary",
			       "beneficiary.account_name is required");
	return beneficiary_json(out, b->bank_code, b->account_number, b->account_name);
}

int
pay_create_payout(rpc_ctx *ctx, const Kolo__Payments__V1__CreatePayoutRequest *in,
		  Kolo__Payments__V1__CreatePayoutResponse *out)
{
	pay_env env = pay_env_of(ctx);
	pay_payout spec = {.withdrawal_id = in->withdrawal_id,
			   .group_id = in->group_id,
			   .amount_kobo = in->amount_kobo,
			   .provider = (char *)pay_current()->provider->ops->name,
			   .attempt = in->attempt ? in->attempt : 1,
			   .hold_reference = in->hold_reference};
	pay_payout payout;
	char *beneficiary = NULL;
	int replayed = 0, rc = 0;

	if (!text_is_uuid(in->withdrawal_id) || !text_is_uuid(in->group_id))
		rc = err_invalid_id(text_is_uuid(in->withdrawal_id) ? "group_id" : "withdrawal_id");
	else if (in->attempt < 0 || in->attempt > 100)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_attempt", "attempt must be 1 to 100");
	else if (strlen(in->hold_reference) > 200 || !text_is_clean(in->hold_reference))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_hold_reference",
			     "hold_reference is at most 200 characters of text");
	/* The withdrawal's amount passed the bound in force when it was asked
	 * for; only the hard maximum bounds its payout (docs/decisions.md,
	 * "Amounts"). */
	if (rc == 0)
		rc = money_check_admitted(in->amount_kobo);
	if (rc == 0)
		rc = pay_beneficiary_json(&beneficiary, in->beneficiary);
	if (rc < 0)
		return rc;
	spec.beneficiary = beneficiary;
	rc = pay_payout_start(&payout, &replayed, &env, &spec);
	free(beneficiary);
	if (rc < 0)
		return rc;
	out->payout = pay_payout_message(ctx, &payout);
	out->replayed = replayed;
	return out->payout ? 0 : err_oom();
}

int
pay_get_payout(rpc_ctx *ctx, const Kolo__Payments__V1__GetPayoutRequest *in,
	       Kolo__Payments__V1__GetPayoutResponse *out)
{
	pay_env env = pay_env_of(ctx);
	int by_id = in->key_case == KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_PAYOUT_ID;
	const char *key = by_id ? in->payout_id : in->withdrawal_id;
	pay_payout payout;
	db_conn *c = NULL;
	int found = 0, rc = 0;

	if (in->key_case == KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY__NOT_SET ||
	    !text_is_uuid(key))
		rc = err_invalid_id(
			in->key_case == KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_WITHDRAWAL_ID
				? "withdrawal_id"
				: "payout_id");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_payout(&payout, &found, env.arena, c, by_id ? "id" : "withdrawal",
				      key);
	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "payout_not_found", "no such payout");
	if (rc == 0)
		rc = membership_check_reader(ctx, pay_current()->groups, payout.group_id);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "payout_not_found", "no such payout");
	if (rc < 0)
		return rc;
	out->payout = pay_payout_message(ctx, &payout);
	return out->payout ? 0 : err_oom();
}

int
pay_list_payouts(rpc_ctx *ctx, const Kolo__Payments__V1__ListPayoutsRequest *in,
		 Kolo__Payments__V1__ListPayoutsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	static const char *const statuses[] = {"", "PENDING", "SUCCESS", "FAILED"};
	page_request page;
	pay_payout *rows = NULL;
	db_conn *c = NULL;
	int n = 0;
	int rc = membership_check_reader(ctx, pay_current()->groups, in->group_id);

	if (rc == 0 && (in->status < 0 || in->status > 3))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_status", "unknown payout status");
	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_payouts_of_group(&rows, &n, a, c, in->group_id, statuses[in->status],
						&page);
	if (rc < 0)
		return rc;
	out->payouts = page_items(&out->n_payouts, a, &page, n, sizeof(*out->payouts));
	if (!out->payouts)
		return err_oom();
	for (size_t i = 0; i < out->n_payouts; i++) {
		out->payouts[i] = pay_payout_message(ctx, &rows[i]);
		if (!out->payouts[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(pay_payout, page_key, id));
}

/* --- banks ------------------------------------------------------------------------ */

#define PAY_BANKS_TTL_S	  3600
#define PAY_BANKS_RETRY_S 60 /* after a failed fetch, a list held or not */

/* The cached bank list, under pay_banks_lock (held briefly, never over
 * HTTP); fetches run one at a time under pay_banks_fetch_lock. */
static pthread_mutex_t pay_banks_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pay_banks_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static pay_bank *pay_banks;
static size_t pay_n_banks;
static time_t pay_banks_at;	  /* when the list was fetched; 0: none held */
static time_t pay_banks_retry_at; /* no fetch before this, after a failure */

/* 1 when the list is to be fetched: none held or past its TTL, and not
 * within a minute of a failed fetch (each call would wait out the provider
 * otherwise). Under pay_banks_lock. */
static int
pay_banks_due(time_t now)
{
	if (now < pay_banks_retry_at)
		return 0;
	return !pay_banks_at || now - pay_banks_at > PAY_BANKS_TTL_S;
}

/* Fetches the list from the provider when due: the provider's error when
 * that fetch failed, else 0. */
static int
pay_banks_refresh(void)
{
	pay_provider *p = pay_current()->provider;
	pay_bank *fresh = NULL;
	size_t n_fresh = 0;
	int due, rc = 0;

	pthread_mutex_lock(&pay_banks_fetch_lock);
	pthread_mutex_lock(&pay_banks_lock);
	due = pay_banks_due(time(NULL));
	pthread_mutex_unlock(&pay_banks_lock);
	if (due) {
		rc = p->ops->list_banks(p, &fresh, &n_fresh);
		pthread_mutex_lock(&pay_banks_lock);
		if (rc == 0) {
			free(pay_banks);
			pay_banks = fresh;
			pay_n_banks = n_fresh;
			pay_banks_at = time(NULL);
		} else {
			pay_banks_retry_at = time(NULL) + PAY_BANKS_RETRY_S;
		}
		pthread_mutex_unlock(&pay_banks_lock);
	}
	pthread_mutex_unlock(&pay_banks_fetch_lock);
	return rc;
}

void
pay_banks_warm(void)
{
	if (pay_banks_refresh() < 0)
		log_event(LOG_LVL_WARN, "bank list not fetched", "reason", err_last()->reason,
			  NULL);
}

/* A copy of the cached bank list in the arena, refreshed past its TTL; a
 * stale list beats none when the provider is down. None: the fetch's
 * error, or UNAVAILABLE `provider_unavailable` within the minute after. */
static int
pay_bank_list(mem_arena *a, pay_bank **out, size_t *n)
{
	int rc = pay_banks_refresh();

	pthread_mutex_lock(&pay_banks_lock);
	if (pay_banks_at) {
		*out = mem_arena_alloc(a, sizeof(pay_bank) * (pay_n_banks + 1));
		if (*out && pay_n_banks)
			memcpy(*out, pay_banks, sizeof(pay_bank) * pay_n_banks);
		*n = pay_n_banks;
		rc = *out ? 0 : err_oom();
	} else if (rc == 0) {
		rc = err_set(
			ERR_UNAVAILABLE, "provider_unavailable",
			"the provider's bank list could not be fetched: try again in a minute");
	}
	pthread_mutex_unlock(&pay_banks_lock);
	return rc;
}

/* s without its leading and trailing white space: *len bytes from the
 * returned position. */
static const char *
pay_trimmed(const char *s, size_t *len)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	*len = n;
	return s;
}

/* 1 when a and b are one name once trimmed, whatever the case. */
static int
pay_bank_name_is(const char *a, const char *b)
{
	size_t na, nb;

	a = pay_trimmed(a, &na);
	b = pay_trimmed(b, &nb);
	return na > 0 && na == nb && strncasecmp(a, b, na) == 0;
}

int
pay_bank_code_of(const char **out_code, mem_arena *a, const char *name)
{
	const char *found = "";
	int rc = 0, two = 0;

	*out_code = "";
	if (!name[0])
		return 0;
	pthread_mutex_lock(&pay_banks_lock);
	if (!pay_banks_at)
		rc = err_set(ERR_UNAVAILABLE, "provider_unavailable",
			     "no bank list of the provider's is cached");
	for (size_t i = 0; i < pay_n_banks && !two; i++) {
		if (!pay_bank_name_is(name, pay_banks[i].name))
			continue;
		if (found[0] && strcmp(found, pay_banks[i].code) != 0)
			two = 1; /* two banks of one name: neither */
		found = pay_banks[i].code;
	}
	if (found[0] && !two) {
		*out_code = mem_arena_strdup(a, found);
		if (!*out_code) {
			*out_code = "";
			rc = err_oom();
		}
	}
	pthread_mutex_unlock(&pay_banks_lock);
	return rc;
}

/* 1 when the provider's resolutions name the holder (the demo's are made up). */
static int
pay_names_holder(void)
{
	return strcmp(pay_current()->provider->ops->name, "demo") != 0;
}

int
pay_list_banks(rpc_ctx *ctx, const Kolo__Payments__V1__ListBanksRequest *in,
	       Kolo__Payments__V1__ListBanksResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	pay_bank *banks = NULL;
	size_t n = 0;
	int rc = pay_bank_list(a, &banks, &n);

	(void)in;
	if (rc < 0)
		return rc;
	out->names_holder = pay_names_holder();
	out->banks = mem_arena_alloc(a, sizeof(*out->banks) * (n + 1));
	if (!out->banks)
		return err_oom();
	for (size_t i = 0; i < n; i++) {
		Kolo__Payments__V1__Bank *b = mem_arena_alloc(a, sizeof(*b));

		if (!b)
			return err_oom();
		kolo__payments__v1__bank__init(b);
		b->code = banks[i].code;
		b->name = banks[i].name;
		out->banks[out->n_banks++] = b;
	}
	return 0;
}

/* A service-token resolution for payer_user_id (groups' AddPayerAccount)
 * is counted against that user, in a bucket of its own; one without (a
 * withdrawal's beneficiary check) is not counted. */
static int
pay_check_internal_resolver(const char *payer_user_id)
{
	const pay_deps *d = pay_current();

	if (!payer_user_id[0])
		return 0;
	if (!text_is_uuid(payer_user_id))
		return err_invalid_id("payer_user_id");
	return pay_rate_take("resolve_payer", payer_user_id, d->resolve_per_user,
			     d->resolve_window_s, "payer account registrations by this user");
}

/* A resolution names an account's holder with the merchant's provider
 * key: only an officer of a group may ask, within the limits per user and
 * per group (the service token: pay_check_internal_resolver). */
static int
pay_check_resolver(rpc_ctx *ctx, const char *group_id, const char *payer_user_id)
{
	const pay_deps *d = pay_current();
	const char *user = rpc_ctx_user_id(ctx);
	int rc;

	if (!user && rpc_ctx_is_internal(ctx))
		return pay_check_internal_resolver(payer_user_id);
	if (!group_id[0])
		return err_invalid_id("group_id");
	rc = membership_check(ctx, d->groups, group_id, 1, NULL);
	/* The group's key is its canonical id, whatever the case typed. */
	if (rc == 0 && !(group_id = text_uuid_canonical(rpc_ctx_arena(ctx), group_id)))
		rc = err_oom();
	if (rc == 0)
		rc = pay_rate_take("resolve_user", user, d->resolve_per_user, d->resolve_window_s,
				   "account resolutions by this user");
	if (rc == 0)
		rc = pay_rate_take("resolve_group", group_id, d->resolve_per_group,
				   d->resolve_window_s, "account resolutions for this group");
	return rc;
}

int
pay_resolve_bank_account(rpc_ctx *ctx, const Kolo__Payments__V1__ResolveBankAccountRequest *in,
			 Kolo__Payments__V1__ResolveBankAccountResponse *out)
{
	pay_provider *p = pay_current()->provider;
	char name[PAY_TEXT_MAX];
	int rc;

	if (strlen(in->account_number) != 10 || strspn(in->account_number, "0123456789") != 10 ||
	    !in->bank_code[0] || strlen(in->bank_code) > 16 ||
	    strspn(in->bank_code, "0123456789") != strlen(in->bank_code))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			       "account_number is 10 digits and bank_code digits");
	rc = pay_check_resolver(ctx, in->group_id, in->payer_user_id);
	if (rc == 0)
		rc = p->ops->resolve_account(p, in->bank_code, in->account_number, name,
					     sizeof(name));
	if (rc < 0)
		return rc;
	out->account_name = mem_arena_strdup(rpc_ctx_arena(ctx), name);
	out->account_number = in->account_number;
	out->bank_code = in->bank_code;
	out->names_holder = pay_names_holder();
	return out->account_name ? 0 : err_oom();
}

/* Frees the cached bank list and forgets a failed fetch (at shutdown; tests). */
void
pay_handlers_cleanup(void)
{
	pthread_mutex_lock(&pay_banks_lock);
	free(pay_banks);
	pay_banks = NULL;
	pay_n_banks = 0;
	pay_banks_at = 0;
	pay_banks_retry_at = 0;
	pthread_mutex_unlock(&pay_banks_lock);
}

/* --- identity checks (identity asks; the number is never kept here) --------- */

static Kolo__Payments__V1__KycCheck *
pay_kyc_message(rpc_ctx *ctx, const pay_kyc_result *r)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Payments__V1__KycCheck *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__payments__v1__kyc_check__init(m);
	m->status = (char *)(r->status == PAY_KYC_VERIFIED ? "verified"
			     : r->status == PAY_KYC_FAILED ? "failed"
							   : "pending");
	m->reference = mem_arena_strdup(a, r->reference);
	m->consent_url = mem_arena_strdup(a, r->consent_url);
	m->name = mem_arena_strdup(a, r->name);
	m->reason = mem_arena_strdup(a, r->message);
	m->provider = (char *)pay_current()->provider->ops->name;
	return m->reference && m->consent_url && m->name && m->reason ? m : NULL;
}

int
pay_start_kyc_check(rpc_ctx *ctx, const Kolo__Payments__V1__StartKycCheckRequest *in,
		    Kolo__Payments__V1__StartKycCheckResponse *out)
{
	pay_kyc_request kyc = {.id_type = in->id_type,
			       .id_number = in->id_number,
			       .name = in->name,
			       .user_id = in->user_id,
			       .bank_code = in->bank_code,
			       .account_number = in->account_number};
	pay_kyc_result result;
	int rc = pay_kyc_start(&result, &kyc);

	sodium_memzero(in->id_number, strlen(in->id_number));
	if (rc < 0)
		return rc;
	out->check = pay_kyc_message(ctx, &result);
	return out->check ? 0 : err_oom();
}

int
pay_get_kyc_check(rpc_ctx *ctx, const Kolo__Payments__V1__GetKycCheckRequest *in,
		  Kolo__Payments__V1__GetKycCheckResponse *out)
{
	pay_kyc_result result;
	int rc = pay_kyc_get(&result, in->id_type, in->reference);

	if (rc < 0)
		return rc;
	out->check = pay_kyc_message(ctx, &result);
	return out->check ? 0 : err_oom();
}

/* --- the method table: every PaymentsService RPC with its handler and who may call it. */
static const rpc_method pay_methods[] = {
	RPC_METHOD(Kolo__Payments__V1__, ProvisionAccount, pay_provision_account,
		   RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, GetAccount, pay_get_account,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, HandleWebhook, pay_handle_webhook, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, SimulateDeposit, pay_simulate_deposit, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Payments__V1__, ReverseDeposit, pay_reverse_deposit, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Payments__V1__, CreatePayout, pay_create_payout, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, GetPayout, pay_get_payout,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, ListPayouts, pay_list_payouts,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, ListBanks, pay_list_banks, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Payments__V1__, ResolveBankAccount, pay_resolve_bank_account,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, StartKycCheck, pay_start_kyc_check, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, GetKycCheck, pay_get_kyc_check, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, ReadOutbox, pay_read_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Payments__V1__, AckOutbox, pay_ack_outbox, RPC_AUTH_INTERNAL),
};

const rpc_service pay_rpc_service = {
	.descriptor = &kolo__payments__v1__payments_service__descriptor,
	.methods = pay_methods,
	.n_methods = sizeof(pay_methods) / sizeof(pay_methods[0]),
};
