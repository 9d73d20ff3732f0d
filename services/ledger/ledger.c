#include "ledger.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "money/money.h"
#include "text/text.h"

const char *
ldg_type_text(ldg_type t)
{
	return t == LDG_CREDIT ? "CREDIT" : t == LDG_DEBIT ? "DEBIT" : "";
}

ldg_type
ldg_type_parse(const char *text)
{
	if (strcmp(text, "CREDIT") == 0)
		return LDG_CREDIT;
	if (strcmp(text, "DEBIT") == 0)
		return LDG_DEBIT;
	return 0;
}

static int
ldg_bad(const char *reason, const char *message)
{
	return err_set(ERR_INVALID_ARGUMENT, reason, "%s", message);
}

/* A reference: 1..200 printable ASCII characters. */
static int
ldg_ref_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	}
	return 1;
}

int64_t
ldg_amount_max(const ldg_entry_spec *spec)
{
	/* A payout's entries (its debit or capture, its reversal) follow a
	 * withdrawal the bound in force already admitted: lowering
	 * KOLO_MAX_AMOUNT_KOBO since must not strand that money. */
	return strcmp(spec->source, "payout") == 0 ? MONEY_MAX_KOBO : money_max_kobo();
}

int
ldg_spec_check(ldg_entry_spec *spec)
{
	int rc;

	if (!spec->currency[0])
		spec->currency = "NGN";
	if (!spec->payment_channel[0])
		spec->payment_channel = "VA";
	if (!text_is_uuid(spec->group_id))
		return err_invalid_id("group_id");
	if (!text_is_uuid(spec->account_id))
		return err_invalid_id("account_id");
	if (spec->user_id[0] && !text_is_uuid(spec->user_id))
		return err_invalid_id("user_id");
	if (spec->type != LDG_CREDIT && spec->type != LDG_DEBIT)
		return ldg_bad("invalid_type", "type must be CREDIT or DEBIT");
	rc = money_amount_check(spec->amount_kobo, ldg_amount_max(spec));
	if (rc < 0)
		return rc;
	if (strcmp(spec->currency, "NGN") != 0)
		return ldg_bad("invalid_currency", "only NGN is supported");
	if (strcmp(spec->source, "demo") != 0 && strcmp(spec->source, "provider_sandbox") != 0 &&
	    strcmp(spec->source, "payout") != 0)
		return ldg_bad("invalid_source", "source must be demo, provider_sandbox or payout");
	if (!ldg_ref_ok(spec->reference, LDG_REFERENCE_MAX))
		return ldg_bad("invalid_reference",
			       "reference is required: 1 to 200 printable characters");
	if (strncmp(spec->reference, LDG_FEE_PREFIX, strlen(LDG_FEE_PREFIX)) == 0)
		return ldg_bad("invalid_reference",
			       "references starting fee: are the ledger's own (fee_kobo)");
	if (spec->client_ref[0] && !ldg_ref_ok(spec->client_ref, LDG_CLIENT_REF_MAX))
		return ldg_bad("invalid_client_ref", "client_ref is 1 to 200 printable characters");
	if (!ldg_ref_ok(spec->payment_channel, 32))
		return ldg_bad("invalid_payment_channel",
			       "payment_channel is 1 to 32 printable characters");
	return 0;
}

int
ldg_fee_check(const ldg_entry_spec *credit, int64_t fee_kobo)
{
	if (fee_kobo == 0)
		return 0;
	if (fee_kobo < 0 || credit->type != LDG_CREDIT)
		return ldg_bad("invalid_fee", "fee_kobo is positive, and only on a CREDIT");
	if (fee_kobo >= credit->amount_kobo)
		return err_set(ERR_INVALID_ARGUMENT, "fee_not_below_amount",
			       "the fee (%lld kobo) must be below the amount (%lld kobo)",
			       (long long)fee_kobo, (long long)credit->amount_kobo);
	if (strlen(LDG_FEE_PREFIX) + strlen(credit->reference) > LDG_REFERENCE_MAX)
		return ldg_bad("invalid_reference",
			       "a credit with a fee has a reference of at most 196 characters");
	return 0;
}

void
ldg_fee_spec(ldg_entry_spec *out, const ldg_entry_spec *credit, int64_t fee_kobo,
	     const char *fee_reference)
{
	*out = *credit;
	out->type = LDG_DEBIT;
	out->amount_kobo = fee_kobo;
	out->reference = fee_reference;
	out->client_ref = "";
}

int
ldg_spec_same(const ldg_entry_spec *a, const ldg_entry_spec *b, int by_client_ref)
{
	/* Ids compare without case: a UUID may be written either way. */
	return strcasecmp(a->group_id, b->group_id) == 0 &&
	       strcasecmp(a->account_id, b->account_id) == 0 &&
	       (a->type == LDG_CREDIT || strcasecmp(a->user_id, b->user_id) == 0) &&
	       a->type == b->type && a->amount_kobo == b->amount_kobo &&
	       strcmp(a->currency, b->currency) == 0 && strcmp(a->source, b->source) == 0 &&
	       (by_client_ref || strcmp(a->reference, b->reference) == 0) &&
	       strcmp(a->client_ref, b->client_ref) == 0 && !a->simulated == !b->simulated &&
	       strcmp(a->payment_channel, b->payment_channel) == 0;
}

int
ldg_hold_check(const char *group_id, int64_t amount_kobo, const char *reference)
{
	int rc;

	if (!text_is_uuid(group_id))
		return err_invalid_id("group_id");
	rc = money_check_amount(amount_kobo);
	if (rc < 0)
		return rc;
	return ldg_hold_ref_check(reference);
}

int
ldg_hold_ref_check(const char *reference)
{
	if (!ldg_ref_ok(reference, LDG_REFERENCE_MAX))
		return ldg_bad("invalid_reference",
			       "reference is required: 1 to 200 printable characters");
	return 0;
}

/* --- members' contributions ---------------------------------------------------- */

int
ldg_payer_present(const ldg_payer *p)
{
	return p->name[0] || p->account_number[0] || p->bank_name[0];
}

static int
ldg_digits_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return 0;
	}
	return 1;
}

int
ldg_extras_check(const ldg_entry_spec *spec, const ldg_payer *p, const char *reverses_reference)
{
	if (ldg_payer_present(p) && spec->type != LDG_CREDIT)
		return ldg_bad("invalid_payer", "payer_* are a CREDIT's only");
	if (strlen(p->name) > 200 || strlen(p->bank_name) > 200 ||
	    !ldg_digits_ok(p->account_number, 20))
		return ldg_bad("invalid_payer",
			       "payer_name and payer_bank_name are at most 200 characters,"
			       " payer_account_number at most 20 digits");
	if (reverses_reference[0] && spec->type != LDG_DEBIT)
		return ldg_bad("invalid_reference", "reverses_reference is a DEBIT's only");
	if (reverses_reference[0] && !ldg_ref_ok(reverses_reference, LDG_REFERENCE_MAX))
		return ldg_bad("invalid_reference",
			       "reverses_reference is 1 to 200 printable characters");
	return 0;
}

int
ldg_reversal_audit_check(const char *reverses_reference, const char *reason, const char *actor_id)
{
	if ((reason[0] || actor_id[0]) && !reverses_reference[0])
		return ldg_bad("invalid_reference",
			       "reversal_reason and actor_id go with a reverses_reference only");
	if (strlen(reason) > 500)
		return ldg_bad("invalid_reason", "reversal_reason is at most 500 characters");
	if (actor_id[0] && !text_is_uuid(actor_id))
		return err_invalid_id("actor_id");
	return 0;
}

int
ldg_is_deposit(const ldg_entry_spec *e)
{
	return e->type == LDG_CREDIT && strcmp(e->source, "payout") != 0;
}

int
ldg_reversal_decide(const ldg_entry_spec *debit, const ldg_entry_spec *deposit,
		    int reversed_by_other)
{
	if (strcasecmp(debit->group_id, deposit->group_id) != 0)
		return err_set(ERR_NOT_FOUND, "entry_not_found",
			       "the group has no entry %.64s to reverse", deposit->reference);
	if (!ldg_is_deposit(deposit))
		return err_set(ERR_FAILED_PRECONDITION, "not_a_deposit",
			       "%.64s is not a deposit (a debit, or a payout's reversal)",
			       deposit->reference);
	if (debit->amount_kobo != deposit->amount_kobo)
		return err_set(ERR_FAILED_PRECONDITION, "reversal_amount_mismatch",
			       "a reversal takes back the whole deposit: %lld kobo",
			       (long long)deposit->amount_kobo);
	if (reversed_by_other)
		return err_set(ERR_ALREADY_EXISTS, "deposit_already_reversed",
			       "the deposit %.64s was reversed already", deposit->reference);
	return 0;
}

int
ldg_alloc_check(const char *entry_id, const ldg_alloc_ask *ask)
{
	if (!text_is_uuid(ask->group_id))
		return err_invalid_id("group_id");
	if (!text_is_uuid(entry_id))
		return err_invalid_id("entry_id");
	if (!text_is_uuid(ask->user_id))
		return err_invalid_id("user_id");
	if (!text_is_uuid(ask->allocated_by))
		return err_invalid_id("allocated_by");
	if (ask->reallocate && !ask->expected_user_id[0])
		return err_set(ERR_INVALID_ARGUMENT, "missing_field",
			       "a reallocation names the member it is credited to now"
			       " (expected_user_id)");
	if (ask->expected_user_id[0] && !text_is_uuid(ask->expected_user_id))
		return err_invalid_id("expected_user_id");
	if (strlen(ask->reason) > 500)
		return ldg_bad("invalid_reason", "reason is at most 500 characters");
	if (strcasecmp(ask->user_id, ask->allocated_by) == 0)
		return err_set(ERR_PERMISSION_DENIED, "self_allocation",
			       "an officer does not credit a deposit to themselves: another"
			       " officer must");
	return 0;
}

int
ldg_alloc_decide(const ldg_alloc_state *s, const ldg_alloc_ask *ask)
{
	if (!s->found || strcasecmp(s->entry->group_id, ask->group_id) != 0)
		return err_set(ERR_NOT_FOUND, "entry_not_found", "the group has no such entry");
	if (!ldg_is_deposit(s->entry))
		return err_set(ERR_FAILED_PRECONDITION, "not_a_deposit",
			       "only a deposit is credited to a member (not a debit, nor a"
			       " payout's reversal)");
	if (s->reversed)
		return err_set(ERR_FAILED_PRECONDITION, "deposit_reversed",
			       "the deposit was reversed: there is nothing to credit");
	if (s->current_user[0] && !ask->reallocate)
		return err_set(ERR_ALREADY_EXISTS, "entry_already_allocated",
			       "the deposit is credited to a member already (reallocate, with a"
			       " reason, to change it)");
	if (ask->reallocate && !ask->reason[0])
		return err_set(ERR_INVALID_ARGUMENT, "reason_required",
			       "a reallocation needs a reason");
	if (ask->reallocate && strcasecmp(s->current_user, ask->expected_user_id) != 0)
		return err_set(ERR_ABORTED, "allocation_changed",
			       "the deposit's member changed since you looked: nothing was done,"
			       " look again");
	if (ask->reallocate && strcasecmp(s->current_user, ask->user_id) == 0)
		return err_set(ERR_FAILED_PRECONDITION, "same_member",
			       "the deposit is credited to that member already");
	return 0;
}
