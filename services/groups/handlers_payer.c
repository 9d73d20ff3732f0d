/* Payer accounts (DESIGN §15): the bank accounts a user pays from
 * (AddPayerAccount, ListPayerAccounts, RemovePayerAccount) and, for
 * payments at credit time, who of a group pays from an account
 * (MatchPayer). docs/decisions.md, "Contributions: payer accounts". */
#include "groups_service.h"
#include "handlers.h"

#include <string.h>

#include "kolo/payments/v1/payments.pb-c.h"
#include "log/log.h"
#include "store_payer.h"
#include "svc/call.h"
#include "text/text.h"

/* Live payer accounts a user may hold: each was a resolution of a holder's
 * name, and a member pays from a few accounts, not dozens. */
#define GRP_PAYER_MAX 10

static int
grp_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

static int
grp_check_payer_input(const char *bank_code, const char *account_number)
{
	if (!grp_digits(account_number, 10, 10))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			       "account_number must be exactly 10 digits");
	if (!grp_digits(bank_code, 3, 6))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_bank_code",
			       "bank_code must be 3 to 6 digits");
	return 0;
}

static Kolo__Groups__V1__PayerAccount *
grp_payer_message(rpc_ctx *ctx, const grp_payer *p)
{
	Kolo__Groups__V1__PayerAccount *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__groups__v1__payer_account__init(m);
	m->id = p->id;
	m->bank_code = p->bank_code;
	m->bank_name = p->bank_name;
	m->account_number = p->account_number;
	m->account_name = p->account_name;
	m->created_at = p->created_at;
	return m;
}

/* --- AddPayerAccount ------------------------------------------------------------ */

/* The bank of code in payments' bank list (its name into *name; whether
 * the provider's resolutions name holders into *names_holder), else
 * INVALID_ARGUMENT `invalid_bank_code`. */
static int
grp_listed_bank(rpc_ctx *ctx, const char *code, char **name, int *names_holder)
{
	Kolo__Payments__V1__ListBanksRequest req = KOLO__PAYMENTS__V1__LIST_BANKS_REQUEST__INIT;
	Kolo__Payments__V1__ListBanksResponse *resp = NULL;
	int rc;

	if (!grp_payments)
		return err_set(ERR_UNAVAILABLE, "unavailable", "payments is not configured");
	rc = svc_call(ctx, grp_payments, "ListBanks", &req.base, (ProtobufCMessage **)&resp,
		      SVC_CALL_AS_USER);
	if (rc < 0)
		return rc;
	*names_holder = resp->names_holder;
	for (size_t i = 0; i < resp->n_banks; i++) {
		if (strcmp(resp->banks[i]->code, code) == 0) {
			*name = resp->banks[i]->name;
			return 0;
		}
	}
	return err_set(ERR_INVALID_ARGUMENT, "invalid_bank_code",
		       "bank_code %s is not in the bank list", code);
}

/* The caller as identity knows them, into f. */
static int
grp_holder_user(rpc_ctx *ctx, grp_holder_facts *f)
{
	Kolo__Identity__V1__User *user = NULL;
	int rc = grp_lookup_user(ctx, rpc_ctx_user_id(ctx), &user);

	if (rc < 0)
		return rc;
	f->user_found = user != NULL;
	f->kyc_verified = user && user->kyc_verified;
	f->kyc_name = user ? user->kyc_name : "";
	return 0;
}

/* The refusal a verdict of grp_holder_decide stands for, or 0. */
static int
grp_holder_refusal(grp_holder_verdict v)
{
	switch (v) {
	case GRP_HOLDER_OK:
		return 0;
	case GRP_HOLDER_KYC_REQUIRED:
		return err_set(ERR_FAILED_PRECONDITION, "kyc_required",
			       "verify your identity (BVN or NIN) before registering an account"
			       " the bank names");
	case GRP_HOLDER_KYC_NAME_MISSING:
		return err_set(ERR_FAILED_PRECONDITION, "kyc_required",
			       "verify your identity (BVN or NIN) again before registering an"
			       " account the bank names: the name it holds is not on record");
	case GRP_HOLDER_NAME_MISMATCH:
		return err_set(ERR_FAILED_PRECONDITION, "payer_name_mismatch",
			       "the bank names the holder of this account other than you");
	}
	return err_set(ERR_INTERNAL, "internal", "unknown holder verdict %d", (int)v);
}

/* The holder's name as the bank resolves it ("" when the provider names no
 * holder), kept only when grp_holder_decide allows it: where the provider
 * names one, the caller's identity check (KYC, DESIGN §14) must be verified
 * with the provider's name for the holder kept (User.kyc_name), else
 * FAILED_PRECONDITION `kyc_required` (a check verified before that name was
 * kept is verified again), and the bank's holder must be that name, else
 * FAILED_PRECONDITION `payer_name_mismatch`. The resolution is counted
 * against the caller by payments (payer_user_id: RESOURCE_EXHAUSTED
 * `rate_limited` past the limit). */
static int
grp_resolve_payer(rpc_ctx *ctx, const char *bank_code, const char *number, char **account_name)
{
	Kolo__Payments__V1__ResolveBankAccountRequest req =
		KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__ResolveBankAccountResponse *resolved = NULL;
	grp_holder_facts f = {0};
	int rc;

	req.bank_code = (char *)bank_code;
	req.account_number = (char *)number;
	req.payer_user_id = (char *)rpc_ctx_user_id(ctx);
	/* With the service token: no group to count it against. */
	rc = svc_call(ctx, grp_payments, "ResolveBankAccount", &req.base,
		      (ProtobufCMessage **)&resolved, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	f.names_holder = resolved->names_holder;
	f.holder_name = resolved->account_name;
	if (f.names_holder)
		rc = grp_holder_user(ctx, &f);
	if (rc == 0)
		rc = grp_holder_refusal(grp_holder_decide(&f));
	if (rc < 0)
		return rc;
	*account_name = f.names_holder
				? text_sanitize(rpc_ctx_arena(ctx), resolved->account_name, 200)
				: "";
	return *account_name ? 0 : err_oom();
}

/* Before resolving where the provider names holders: the caller's
 * identity check verified, else FAILED_PRECONDITION `kyc_required` (no
 * provider request spent on it). */
static int
grp_payer_kyc_first(rpc_ctx *ctx)
{
	grp_holder_facts f = {.names_holder = 1};
	int rc = grp_holder_user(ctx, &f);

	return rc < 0 ? rc : grp_holder_refusal(grp_holder_decide(&f));
}

typedef struct grp_payer_tx {
	rpc_ctx *ctx;
	idem_key key;
	grp_payer want;
	Kolo__Groups__V1__AddPayerAccountResponse *out;
} grp_payer_tx;

/* Under the user's lock: FAILED_PRECONDITION `too_many_payer_accounts` when
 * the user has GRP_PAYER_MAX live accounts already. */
static int
grp_payer_check_cap(db_conn *c, const char *user_id)
{
	int n = 0;
	int rc = grp_store_payer_count(&n, c, user_id);

	if (rc < 0 || n < GRP_PAYER_MAX)
		return rc;
	return err_set(ERR_FAILED_PRECONDITION, "too_many_payer_accounts",
		       "a user registers %d payer accounts at most: remove one first",
		       GRP_PAYER_MAX);
}

/* Under the user's lock, then the account's: the caller's own live
 * registration again (the same one), the cap, another member's in a shared
 * group (`payer_account_in_use`), else a new row. */
static int
grp_payer_register(db_conn *c, grp_payer_tx *t, grp_payer *row)
{
	mem_arena *a = rpc_ctx_arena(t->ctx);
	int found = 0, in_use = 0;
	int rc = grp_store_payer_user_lock(c, t->want.user_id);

	if (rc == 0)
		rc = grp_store_payer_lock(c, t->want.bank_code, t->want.account_number);
	if (rc == 0)
		rc = grp_store_payer_own(row, &found, a, c, t->want.user_id, t->want.bank_code,
					 t->want.account_number);
	if (rc < 0 || found)
		return rc;
	rc = grp_payer_check_cap(c, t->want.user_id);
	if (rc == 0)
		rc = grp_store_payer_in_use(&in_use, c, t->want.user_id, t->want.bank_code,
					    t->want.account_number);
	if (rc == 0 && in_use)
		return err_set(ERR_ALREADY_EXISTS, "payer_account_in_use",
			       "another member of a group you are in pays from this account");
	if (rc == 0)
		rc = grp_store_payer_add(row, a, c, &t->want);
	return rc;
}

static int
grp_payer_add_body(db_conn *c, void *arg)
{
	grp_payer_tx *t = arg;
	grp_payer row;
	int rc = grp_payer_register(c, t, &row);

	if (rc == 0) {
		t->out->payer_account = grp_payer_message(t->ctx, &row);
		rc = t->out->payer_account ? 0 : err_oom();
	}
	return rc;
}

int
grp_add_payer_account(rpc_ctx *ctx, const Kolo__Groups__V1__AddPayerAccountRequest *in,
		      Kolo__Groups__V1__AddPayerAccountResponse *out)
{
	grp_payer_tx t = {.ctx = ctx, .out = out};
	idem_tx it = {.key = &t.key,
		      .arena = rpc_ctx_arena(ctx),
		      .resp = &out->base,
		      .body = grp_payer_add_body,
		      .arg = &t};
	db_conn *c = NULL;
	int names_holder = 0;
	int rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, NULL);

	t.want.user_id = (char *)rpc_ctx_user_id(ctx);
	t.want.bank_code = in->bank_code;
	t.want.account_number = in->account_number;
	if (rc == 0)
		rc = grp_check_payer_input(in->bank_code, in->account_number);
	if (rc == 0)
		rc = db_thread_conn(&c);
	/* A retry is answered before any provider request is spent on it. */
	if (rc == 0)
		rc = idem_replayed(c, &t.key, rpc_ctx_arena(ctx), &t.out->base);
	if (rc == 1)
		return 0;
	if (rc == 0)
		rc = grp_listed_bank(ctx, in->bank_code, &t.want.bank_name, &names_holder);
	if (rc == 0 && names_holder)
		rc = grp_payer_kyc_first(ctx);
	if (rc == 0)
		rc = grp_resolve_payer(ctx, in->bank_code, in->account_number,
				       &t.want.account_name);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0)
		return rc;
	if (!it.replayed)
		grp_log_change(ctx, "payer_account_added", "", t.out->payer_account->id);
	return 0;
}

/* --- ListPayerAccounts, RemovePayerAccount -------------------------------------- */

int
grp_list_payer_accounts(rpc_ctx *ctx, const Kolo__Groups__V1__ListPayerAccountsRequest *in,
			Kolo__Groups__V1__ListPayerAccountsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	grp_payer *rows = NULL;
	db_conn *c = NULL;
	int n = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = grp_store_payer_list(&rows, &n, a, c, rpc_ctx_user_id(ctx));
	if (rc < 0)
		return rc;
	out->payer_accounts = mem_arena_alloc(a, sizeof(*out->payer_accounts) * (size_t)(n + 1));
	if (!out->payer_accounts)
		return err_oom();
	for (int i = 0; i < n; i++) {
		out->payer_accounts[i] = grp_payer_message(ctx, &rows[i]);
		if (!out->payer_accounts[i])
			return err_oom();
	}
	out->n_payer_accounts = (size_t)n;
	return 0;
}

int
grp_remove_payer_account(rpc_ctx *ctx, const Kolo__Groups__V1__RemovePayerAccountRequest *in,
			 Kolo__Groups__V1__RemovePayerAccountResponse *out)
{
	db_conn *c = NULL;
	int found = 0;
	int rc = grp_check_id(in->payer_account_id, "payer_account_id");

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_payer_remove(&found, c, rpc_ctx_user_id(ctx), in->payer_account_id);
	if (rc < 0)
		return rc;
	if (!found)
		return err_set(ERR_NOT_FOUND, "payer_account_not_found",
			       "no such payer account of yours");
	grp_log_change(ctx, "payer_account_removed", "", in->payer_account_id);
	return 0;
}

/* --- MatchPayer (internal: payments) -------------------------------------------- */

int
grp_match_payer(rpc_ctx *ctx, const Kolo__Groups__V1__MatchPayerRequest *in,
		Kolo__Groups__V1__MatchPayerResponse *out)
{
	grp_payer *rows = NULL;
	db_conn *c = NULL;
	const char *user;
	int n = 0;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0 && !grp_digits(in->account_number, 10, 10))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			     "account_number must be exactly 10 digits");
	if (rc == 0 && in->bank_code[0] && !grp_digits(in->bank_code, 3, 6))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_bank_code",
			     "bank_code must be 3 to 6 digits");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_payer_candidates(&rows, &n, rpc_ctx_arena(ctx), c, in->group_id,
						in->account_number);
	if (rc < 0)
		return rc;
	user = grp_payer_pick(rows, n, in->bank_code, in->bank_name);
	out->user_id = (char *)(user ? user : "");
	return 0;
}
