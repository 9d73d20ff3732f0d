/* The ledger's decisions on members' contributions (ledger.c): replays,
 * payers, reversals and allocations, without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ledger.h"

#define G1 "11111111-1111-4111-8111-111111111111"
#define G2 "22222222-2222-4222-8222-222222222222"
#define U1 "33333333-3333-4333-8333-333333333333"
#define U2 "44444444-4444-4444-8444-444444444444"
#define E1 "55555555-5555-4555-8555-555555555555"
#define U3 "66666666-6666-4666-8666-666666666666" /* the officer */

static ldg_entry_spec
spec(ldg_type type, const char *source, int64_t amount, const char *user)
{
	return (ldg_entry_spec){.group_id = G1,
				.account_id = E1,
				.user_id = user,
				.type = type,
				.amount_kobo = amount,
				.currency = "NGN",
				.source = source,
				.reference = "ref-1",
				.client_ref = "",
				.simulated = 1,
				.payment_channel = "VA"};
}

static const char *
reason(void)
{
	return err_last()->reason;
}

/* A CREDIT replays whoever the first delivery credited it to; a DEBIT not. */
static void
test_credit_replays_ignore_the_member(void **state)
{
	ldg_entry_spec a = spec(LDG_CREDIT, "demo", 100, U1), b = spec(LDG_CREDIT, "demo", 100, "");
	ldg_entry_spec c = spec(LDG_DEBIT, "demo", 100, U1), d = spec(LDG_DEBIT, "demo", 100, U2);

	(void)state;
	assert_true(ldg_spec_same(&a, &b, 0));
	b.user_id = U2;
	assert_true(ldg_spec_same(&a, &b, 0));
	b.amount_kobo = 101;
	assert_false(ldg_spec_same(&a, &b, 0));
	assert_false(ldg_spec_same(&c, &d, 0));
}

static void
test_payers_and_reversal_fields(void **state)
{
	ldg_entry_spec credit = spec(LDG_CREDIT, "demo", 100, "");
	ldg_entry_spec debit = spec(LDG_DEBIT, "demo", 100, "");
	ldg_payer none = {"", "", ""}, ok = {"ADA OBI", "0123456789", "GTBank"};
	ldg_payer letters = {"", "01234x6789", ""};
	char long_name[202];

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(ldg_extras_check(&credit, &ok, ""), 0);
	assert_int_equal(ldg_extras_check(&debit, &none, "ref-0"), 0);
	assert_int_equal(ldg_extras_check(&debit, &ok, ""), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_payer");
	assert_int_equal(ldg_extras_check(&credit, &letters, ""), ERR_INVALID_ARGUMENT);
	assert_int_equal(ldg_extras_check(&credit, &(ldg_payer){long_name, "", ""}, ""),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(ldg_extras_check(&credit, &none, "ref-0"), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_reference");
	assert_int_equal(ldg_extras_check(&debit, &none, "has space"), ERR_INVALID_ARGUMENT);
}

static void
test_a_reversal_takes_back_one_whole_deposit(void **state)
{
	ldg_entry_spec debit = spec(LDG_DEBIT, "demo", 500, "");
	ldg_entry_spec deposit = spec(LDG_CREDIT, "provider_sandbox", 500, U1);
	ldg_entry_spec payout_back = spec(LDG_CREDIT, "payout", 500, "");
	ldg_entry_spec other = spec(LDG_DEBIT, "demo", 500, "");

	(void)state;
	assert_int_equal(ldg_reversal_decide(&debit, &deposit, 0), 0);
	assert_int_equal(ldg_reversal_decide(&debit, &payout_back, 0), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "not_a_deposit");
	assert_int_equal(ldg_reversal_decide(&debit, &other, 0), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "not_a_deposit");
	debit.amount_kobo = 499;
	assert_int_equal(ldg_reversal_decide(&debit, &deposit, 0), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "reversal_amount_mismatch");
	debit.amount_kobo = 500;
	assert_int_equal(ldg_reversal_decide(&debit, &deposit, 1), ERR_ALREADY_EXISTS);
	assert_string_equal(reason(), "deposit_already_reversed");
	deposit.group_id = G2;
	assert_int_equal(ldg_reversal_decide(&debit, &deposit, 0), ERR_NOT_FOUND);
	assert_string_equal(reason(), "entry_not_found");
}

static void
test_allocation_decisions(void **state)
{
	ldg_entry_spec deposit = spec(LDG_CREDIT, "demo", 500, "");
	ldg_entry_spec debit = spec(LDG_DEBIT, "demo", 500, "");
	ldg_alloc_state s = {.found = 1, .entry = &deposit, .current_user = ""};
	ldg_alloc_ask ask = {.group_id = G1,
			     .user_id = U1,
			     .allocated_by = U3,
			     .reason = "",
			     .expected_user_id = ""};

	(void)state;
	assert_int_equal(ldg_alloc_decide(&s, &ask), 0);
	ask.group_id = G2;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_NOT_FOUND);
	ask.group_id = G1;
	s.found = 0;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_NOT_FOUND);
	s.found = 1;
	s.entry = &debit;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "not_a_deposit");
	s.entry = &deposit;
	s.reversed = 1;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "deposit_reversed");
	s.reversed = 0;
	s.current_user = U2; /* credited at credit time or by an officer */
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_ALREADY_EXISTS);
	assert_string_equal(reason(), "entry_already_allocated");
	ask.reallocate = 1;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "reason_required");
	ask.reason = "wrong member";
	/* the officer saw it credited to another member (or to nobody): the
	 * deposit moved since, nothing is written */
	ask.expected_user_id = U1;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_ABORTED);
	assert_string_equal(reason(), "allocation_changed");
	ask.expected_user_id = "";
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_ABORTED);
	assert_string_equal(reason(), "allocation_changed");
	ask.expected_user_id = U2;
	assert_int_equal(ldg_alloc_decide(&s, &ask), 0);
	ask.user_id = U2;
	assert_int_equal(ldg_alloc_decide(&s, &ask), ERR_FAILED_PRECONDITION);
	assert_string_equal(reason(), "same_member");
}

static void
test_allocation_requests(void **state)
{
	ldg_alloc_ask ask = {.group_id = G1,
			     .user_id = U1,
			     .allocated_by = U3,
			     .reason = "",
			     .expected_user_id = ""};

	(void)state;
	assert_int_equal(ldg_alloc_check(E1, &ask), 0);
	assert_int_equal(ldg_alloc_check("nope", &ask), ERR_INVALID_ARGUMENT);
	ask.allocated_by = "";
	assert_int_equal(ldg_alloc_check(E1, &ask), ERR_INVALID_ARGUMENT);
	/* nobody credits a deposit to themselves, first nor again */
	ask.allocated_by = U1;
	assert_int_equal(ldg_alloc_check(E1, &ask), ERR_PERMISSION_DENIED);
	assert_string_equal(reason(), "self_allocation");
	ask.allocated_by = U3;
	/* a reallocation names who the officer saw */
	ask.reallocate = 1;
	ask.reason = "wrong member";
	assert_int_equal(ldg_alloc_check(E1, &ask), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "missing_field");
	ask.expected_user_id = "not-a-user";
	assert_int_equal(ldg_alloc_check(E1, &ask), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_id");
	ask.expected_user_id = U2;
	assert_int_equal(ldg_alloc_check(E1, &ask), 0);
	ask.user_id = U3;
	assert_int_equal(ldg_alloc_check(E1, &ask), ERR_PERMISSION_DENIED);
	assert_string_equal(reason(), "self_allocation");
}

/* A reversal's who and why go with a reversal only. */
static void
test_reversal_audit_fields(void **state)
{
	char longer[502];

	(void)state;
	assert_int_equal(ldg_reversal_audit_check("dep-1", "the bank recalled it", U3), 0);
	assert_int_equal(ldg_reversal_audit_check("dep-1", "", ""), 0);
	assert_int_equal(ldg_reversal_audit_check("", "", ""), 0);
	assert_int_equal(ldg_reversal_audit_check("", "why", ""), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_reference");
	assert_int_equal(ldg_reversal_audit_check("", "", U3), ERR_INVALID_ARGUMENT);
	assert_int_equal(ldg_reversal_audit_check("dep-1", "why", "officer"), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_id");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	assert_int_equal(ldg_reversal_audit_check("dep-1", longer, U3), ERR_INVALID_ARGUMENT);
	assert_string_equal(reason(), "invalid_reason");
	longer[500] = 0;
	assert_int_equal(ldg_reversal_audit_check("dep-1", longer, U3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credit_replays_ignore_the_member),
		cmocka_unit_test(test_payers_and_reversal_fields),
		cmocka_unit_test(test_a_reversal_takes_back_one_whole_deposit),
		cmocka_unit_test(test_allocation_decisions),
		cmocka_unit_test(test_allocation_requests),
		cmocka_unit_test(test_reversal_audit_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
