/* The ledger's rules of entries (ledger.c), every public function: types,
 * the amount bound, an entry's checks field by field at each boundary,
 * fees, holds, replays, payers and the reversal and allocation decisions
 * over every combination of their inputs. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ledger.h"
#include "money/money.h"

#define G1    "abcdef01-2345-4678-89ab-cdef01234567"
#define G1_UP "ABCDEF01-2345-4678-89AB-CDEF01234567"
#define G2    "22222222-2222-4222-8222-222222222222"
#define A1    "55555555-5555-4555-8555-555555555555"
#define U1    "33333333-3333-4333-8333-333333333333"
#define U2    "44444444-4444-4444-8444-444444444444"
#define U3    "66666666-6666-4666-8666-666666666666" /* the officer */
#define U1_UP "3333AAAA-3333-4333-8333-333333333333"
#define U1_LO "3333aaaa-3333-4333-8333-333333333333"

/* Asserts that expr fails with code and reason (recorded by this call). */
#define assert_fails(expr, want_code, want_reason)                                                 \
	do {                                                                                       \
		err_clear();                                                                       \
		assert_int_equal((expr), (want_code));                                             \
		assert_int_equal(err_last()->code, (want_code));                                   \
		assert_string_equal(err_last()->reason, (want_reason));                            \
	} while (0)

/* Asserts an invalid_id failure naming field. */
#define assert_bad_id(expr, field)                                                                 \
	do {                                                                                       \
		assert_fails((expr), ERR_INVALID_ARGUMENT, "invalid_id");                          \
		assert_string_equal(err_meta_get(err_last(), "field"), (field));                   \
	} while (0)

/* n copies of c in buf (n + 1 bytes). */
static const char *
rep(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static ldg_entry_spec
spec(ldg_type type, const char *source, int64_t amount)
{
	return (ldg_entry_spec){.group_id = G1,
				.account_id = A1,
				.user_id = "",
				.type = type,
				.amount_kobo = amount,
				.currency = "NGN",
				.source = source,
				.reference = "ref-1",
				.client_ref = "",
				.simulated = 0,
				.payment_channel = "VA"};
}

static int
restore_bound(void **state)
{
	(void)state;
	return money_set_max_kobo(MONEY_MAX_KOBO) == 0 ? 0 : -1;
}

/* --- types and the amount bound ------------------------------------------- */

static void
test_type_text_and_parse(void **state)
{
	(void)state;
	assert_string_equal(ldg_type_text(LDG_CREDIT), "CREDIT");
	assert_string_equal(ldg_type_text(LDG_DEBIT), "DEBIT");
	assert_string_equal(ldg_type_text((ldg_type)0), "");
	assert_string_equal(ldg_type_text((ldg_type)3), "");
	assert_int_equal(ldg_type_parse("CREDIT"), LDG_CREDIT);
	assert_int_equal(ldg_type_parse("DEBIT"), LDG_DEBIT);
	assert_int_equal(ldg_type_parse("credit"), 0);
	assert_int_equal(ldg_type_parse("CREDITS"), 0);
	assert_int_equal(ldg_type_parse(""), 0);
}

/* A payout's entries keep the hard maximum when the bound is lowered. */
static void
test_amount_max_follows_the_bound_except_payouts(void **state)
{
	ldg_entry_spec demo = spec(LDG_CREDIT, "demo", 1);
	ldg_entry_spec sandbox = spec(LDG_CREDIT, "provider_sandbox", 1);
	ldg_entry_spec payout = spec(LDG_DEBIT, "payout", 1);

	(void)state;
	assert_true(ldg_amount_max(&demo) == MONEY_MAX_KOBO);
	assert_true(ldg_amount_max(&payout) == MONEY_MAX_KOBO);
	assert_int_equal(money_set_max_kobo(1000), 0);
	assert_true(ldg_amount_max(&demo) == 1000);
	assert_true(ldg_amount_max(&sandbox) == 1000);
	assert_true(ldg_amount_max(&payout) == MONEY_MAX_KOBO);
}

/* --- an entry's checks ------------------------------------------------------ */

static void
test_spec_check_fills_defaults(void **state)
{
	ldg_entry_spec s = spec(LDG_CREDIT, "demo", 100);

	(void)state;
	s.currency = "";
	s.payment_channel = "";
	assert_int_equal(ldg_spec_check(&s), 0);
	assert_string_equal(s.currency, "NGN");
	assert_string_equal(s.payment_channel, "VA");
	s.payment_channel = "CARD";
	assert_int_equal(ldg_spec_check(&s), 0);
	assert_string_equal(s.payment_channel, "CARD");
	/* every source and type, upper-case ids, a user and a client_ref */
	s = spec(LDG_DEBIT, "provider_sandbox", 1);
	s.group_id = G1_UP;
	s.user_id = U1;
	s.client_ref = "client-1";
	assert_int_equal(ldg_spec_check(&s), 0);
	s.source = "payout";
	assert_int_equal(ldg_spec_check(&s), 0);
}

static void
test_spec_check_ids(void **state)
{
	ldg_entry_spec s = spec(LDG_CREDIT, "demo", 100);

	(void)state;
	s.group_id = "";
	assert_bad_id(ldg_spec_check(&s), "group_id");
	s.group_id = G1 "0";
	assert_bad_id(ldg_spec_check(&s), "group_id");
	s.group_id = "abcdef01-2345-4678-89ab-cdef0123456";
	assert_bad_id(ldg_spec_check(&s), "group_id");
	s.group_id = "abcdef01x2345-4678-89ab-cdef01234567";
	assert_bad_id(ldg_spec_check(&s), "group_id");
	s.group_id = G1;
	s.account_id = "account-1";
	assert_bad_id(ldg_spec_check(&s), "account_id");
	s.account_id = A1;
	s.user_id = "u1";
	assert_bad_id(ldg_spec_check(&s), "user_id");
	/* the first bad field is named */
	s.group_id = "g";
	s.account_id = "a";
	assert_bad_id(ldg_spec_check(&s), "group_id");
}

static void
test_spec_check_type_and_currency_and_source(void **state)
{
	static const char *const sources[] = {"demo", "provider_sandbox", "payout"};
	static const char *const bad_sources[] = {"", "Demo", "provider", "payouts", "payout "};
	ldg_entry_spec s = spec(LDG_CREDIT, "demo", 100);

	(void)state;
	for (int t = -1; t <= 4; t++) {
		s.type = (ldg_type)t;
		if (t == LDG_CREDIT || t == LDG_DEBIT)
			assert_int_equal(ldg_spec_check(&s), 0);
		else
			assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_type");
	}
	s.type = LDG_CREDIT;
	s.currency = "USD";
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_currency");
	s.currency = "ngn";
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_currency");
	s.currency = "NGN";
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		s.source = sources[i];
		assert_int_equal(ldg_spec_check(&s), 0);
	}
	for (size_t i = 0; i < sizeof(bad_sources) / sizeof(bad_sources[0]); i++) {
		s.source = bad_sources[i];
		assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_source");
	}
}

/* 1..bound for new money, 1..MONEY_MAX_KOBO for a payout's entries. */
static void
test_spec_check_amounts(void **state)
{
	ldg_entry_spec s = spec(LDG_CREDIT, "demo", 1);
	ldg_entry_spec p = spec(LDG_DEBIT, "payout", 1);

	(void)state;
	assert_int_equal(ldg_spec_check(&s), 0);
	s.amount_kobo = MONEY_MAX_KOBO;
	assert_int_equal(ldg_spec_check(&s), 0);
	s.amount_kobo = MONEY_MAX_KOBO + 1;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "amount_too_large");
	s.amount_kobo = INT64_MAX;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "amount_too_large");
	s.amount_kobo = 0;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_amount");
	s.amount_kobo = -1;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_amount");
	s.amount_kobo = INT64_MIN;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_amount");

	assert_int_equal(money_set_max_kobo(1000), 0);
	s.amount_kobo = 1000;
	assert_int_equal(ldg_spec_check(&s), 0);
	s.amount_kobo = 1001;
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "amount_too_large");
	assert_non_null(strstr(err_last()->message, "1000"));
	p.amount_kobo = 1001;
	assert_int_equal(ldg_spec_check(&p), 0);
	p.amount_kobo = MONEY_MAX_KOBO;
	assert_int_equal(ldg_spec_check(&p), 0);
	p.amount_kobo = MONEY_MAX_KOBO + 1;
	assert_fails(ldg_spec_check(&p), ERR_INVALID_ARGUMENT, "amount_too_large");
	p.amount_kobo = 0;
	assert_fails(ldg_spec_check(&p), ERR_INVALID_ARGUMENT, "invalid_amount");
}

/* reference 1..200, client_ref 0..200, payment_channel 1..32 printable
 * ASCII characters; fee: is the ledger's own prefix. */
static void
test_spec_check_references(void **state)
{
	char buf[256];
	ldg_entry_spec s = spec(LDG_CREDIT, "demo", 100);
	static const char *const unprintable[] = {"a b", "a\tb", "a\x7f", "a\x01", "caf\xc3\xa9"};

	(void)state;
	s.reference = rep(buf, 'r', LDG_REFERENCE_MAX);
	assert_int_equal(ldg_spec_check(&s), 0);
	s.reference = rep(buf, 'r', LDG_REFERENCE_MAX + 1);
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_reference");
	s.reference = "";
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_reference");
	s.reference = "x";
	assert_int_equal(ldg_spec_check(&s), 0);
	s.reference = "!~";
	assert_int_equal(ldg_spec_check(&s), 0);
	for (size_t i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++) {
		s.reference = unprintable[i];
		assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_reference");
	}
	s.reference = LDG_FEE_PREFIX "ref-1";
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_non_null(strstr(err_last()->message, "fee:"));
	s.reference = "fee";
	assert_int_equal(ldg_spec_check(&s), 0);
	s.reference = "FEE:ref-1"; /* the prefix is case-sensitive */
	assert_int_equal(ldg_spec_check(&s), 0);
	s.reference = "ref-1";

	s.client_ref = rep(buf, 'c', LDG_CLIENT_REF_MAX);
	assert_int_equal(ldg_spec_check(&s), 0);
	s.client_ref = rep(buf, 'c', LDG_CLIENT_REF_MAX + 1);
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_client_ref");
	for (size_t i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++) {
		s.client_ref = unprintable[i];
		assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_client_ref");
	}
	s.client_ref = "fee:1"; /* only the reference is reserved */
	assert_int_equal(ldg_spec_check(&s), 0);
	s.client_ref = "";

	s.payment_channel = rep(buf, 'p', 32);
	assert_int_equal(ldg_spec_check(&s), 0);
	s.payment_channel = rep(buf, 'p', 33);
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_payment_channel");
	s.payment_channel = "V A";
	assert_fails(ldg_spec_check(&s), ERR_INVALID_ARGUMENT, "invalid_payment_channel");
}

/* --- fees ------------------------------------------------------------------------ */

static void
test_fee_check(void **state)
{
	char buf[256];
	ldg_entry_spec credit = spec(LDG_CREDIT, "provider_sandbox", 1000);
	ldg_entry_spec debit = spec(LDG_DEBIT, "demo", 1000);

	(void)state;
	assert_int_equal(ldg_fee_check(&credit, 0), 0);
	assert_int_equal(ldg_fee_check(&debit, 0), 0); /* no fee: any entry */
	assert_int_equal(ldg_fee_check(&credit, 1), 0);
	assert_int_equal(ldg_fee_check(&credit, 999), 0);
	assert_fails(ldg_fee_check(&credit, 1000), ERR_INVALID_ARGUMENT, "fee_not_below_amount");
	assert_non_null(strstr(err_last()->message, "1000"));
	assert_fails(ldg_fee_check(&credit, 1001), ERR_INVALID_ARGUMENT, "fee_not_below_amount");
	assert_fails(ldg_fee_check(&credit, INT64_MAX), ERR_INVALID_ARGUMENT,
		     "fee_not_below_amount");
	assert_fails(ldg_fee_check(&credit, -1), ERR_INVALID_ARGUMENT, "invalid_fee");
	assert_fails(ldg_fee_check(&credit, INT64_MIN), ERR_INVALID_ARGUMENT, "invalid_fee");
	assert_fails(ldg_fee_check(&debit, 1), ERR_INVALID_ARGUMENT, "invalid_fee");
	credit.amount_kobo = 1;
	assert_fails(ldg_fee_check(&credit, 1), ERR_INVALID_ARGUMENT, "fee_not_below_amount");
	/* the fee's reference is "fee:" + the credit's: at most 200 */
	credit.amount_kobo = 1000;
	credit.reference = rep(buf, 'r', LDG_REFERENCE_MAX - strlen(LDG_FEE_PREFIX));
	assert_int_equal(ldg_fee_check(&credit, 1), 0);
	credit.reference = rep(buf, 'r', LDG_REFERENCE_MAX - strlen(LDG_FEE_PREFIX) + 1);
	assert_fails(ldg_fee_check(&credit, 1), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_int_equal(ldg_fee_check(&credit, 0), 0);
}

static void
test_fee_spec_is_the_credit_as_a_debit(void **state)
{
	ldg_entry_spec credit = spec(LDG_CREDIT, "provider_sandbox", 1000);
	ldg_entry_spec fee;

	(void)state;
	credit.user_id = U1;
	credit.client_ref = "client-1";
	credit.simulated = 1;
	credit.payment_channel = "CARD";
	memset(&fee, 0xa5, sizeof(fee));
	ldg_fee_spec(&fee, &credit, 15, "fee:ref-1");
	assert_int_equal(fee.type, LDG_DEBIT);
	assert_true(fee.amount_kobo == 15);
	assert_string_equal(fee.reference, "fee:ref-1");
	assert_string_equal(fee.client_ref, "");
	assert_ptr_equal(fee.group_id, credit.group_id);
	assert_ptr_equal(fee.account_id, credit.account_id);
	assert_ptr_equal(fee.user_id, credit.user_id);
	assert_ptr_equal(fee.currency, credit.currency);
	assert_ptr_equal(fee.source, credit.source);
	assert_ptr_equal(fee.payment_channel, credit.payment_channel);
	assert_int_equal(fee.simulated, 1);
	/* the credit is untouched */
	assert_int_equal(credit.type, LDG_CREDIT);
	assert_true(credit.amount_kobo == 1000);
	assert_string_equal(credit.client_ref, "client-1");
}

/* --- holds ------------------------------------------------------------------------ */

static void
test_hold_check(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(ldg_hold_check(G1, 1, "hold-1"), 0);
	assert_int_equal(ldg_hold_check(G1_UP, MONEY_MAX_KOBO, "hold-1"), 0);
	assert_bad_id(ldg_hold_check("", 1, "hold-1"), "group_id");
	assert_bad_id(ldg_hold_check("g1", 0, ""), "group_id"); /* the id first */
	assert_fails(ldg_hold_check(G1, 0, "hold-1"), ERR_INVALID_ARGUMENT, "invalid_amount");
	assert_fails(ldg_hold_check(G1, -1, "hold-1"), ERR_INVALID_ARGUMENT, "invalid_amount");
	assert_fails(ldg_hold_check(G1, MONEY_MAX_KOBO + 1, "hold-1"), ERR_INVALID_ARGUMENT,
		     "amount_too_large");
	assert_fails(ldg_hold_check(G1, 0, ""), ERR_INVALID_ARGUMENT, "invalid_amount");
	assert_fails(ldg_hold_check(G1, 1, ""), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_int_equal(ldg_hold_check(G1, 1, rep(buf, 'h', LDG_REFERENCE_MAX)), 0);
	assert_fails(ldg_hold_check(G1, 1, rep(buf, 'h', LDG_REFERENCE_MAX + 1)),
		     ERR_INVALID_ARGUMENT, "invalid_reference");
	/* a hold is new money: the lowered bound applies */
	assert_int_equal(money_set_max_kobo(1000), 0);
	assert_int_equal(ldg_hold_check(G1, 1000, "hold-1"), 0);
	assert_fails(ldg_hold_check(G1, 1001, "hold-1"), ERR_INVALID_ARGUMENT, "amount_too_large");
}

static void
test_hold_ref_check(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(ldg_hold_ref_check("h"), 0);
	assert_int_equal(ldg_hold_ref_check(rep(buf, 'h', LDG_REFERENCE_MAX)), 0);
	assert_fails(ldg_hold_ref_check(rep(buf, 'h', LDG_REFERENCE_MAX + 1)), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	assert_fails(ldg_hold_ref_check(""), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_fails(ldg_hold_ref_check("h 1"), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_fails(ldg_hold_ref_check("h\n"), ERR_INVALID_ARGUMENT, "invalid_reference");
	assert_fails(ldg_hold_ref_check("h\x80"), ERR_INVALID_ARGUMENT, "invalid_reference");
}

/* --- replays ------------------------------------------------------------------------ */

/* Each field but a CREDIT's member (and the reference under a client key)
 * makes another entry. */
static void
test_spec_same_field_by_field(void **state)
{
	ldg_entry_spec a = spec(LDG_DEBIT, "demo", 100), b;

	(void)state;
	a.user_id = U1_LO;
	a.client_ref = "c-1";
	a.simulated = 1;
	b = a;
	assert_true(ldg_spec_same(&a, &b, 0));
	assert_true(ldg_spec_same(&a, &b, 1));
	/* ids compare without case */
	b.group_id = G1_UP;
	b.user_id = U1_UP;
	assert_true(ldg_spec_same(&a, &b, 0));
	b = a;
	b.simulated = 7; /* a flag: any true value */
	assert_true(ldg_spec_same(&a, &b, 0));

#define DIFFERS(field, value)                                                                      \
	do {                                                                                       \
		b = a;                                                                             \
		b.field = (value);                                                                 \
		assert_false(ldg_spec_same(&a, &b, 0));                                            \
		assert_false(ldg_spec_same(&a, &b, 1));                                            \
	} while (0)
	DIFFERS(group_id, G2);
	DIFFERS(account_id, G2);
	DIFFERS(user_id, U2);
	DIFFERS(user_id, "");
	DIFFERS(type, LDG_CREDIT);
	DIFFERS(amount_kobo, 101);
	DIFFERS(currency, "USD");
	DIFFERS(source, "provider_sandbox");
	DIFFERS(client_ref, "c-2");
	DIFFERS(client_ref, "");
	DIFFERS(simulated, 0);
	DIFFERS(payment_channel, "CARD");
#undef DIFFERS
	/* the reference only when it is the key */
	b = a;
	b.reference = "ref-2";
	assert_false(ldg_spec_same(&a, &b, 0));
	assert_true(ldg_spec_same(&a, &b, 1));
	/* a CREDIT's member is the first delivery's */
	a.type = LDG_CREDIT;
	b = a;
	b.user_id = U2;
	assert_true(ldg_spec_same(&a, &b, 0));
	b.user_id = "";
	assert_true(ldg_spec_same(&a, &b, 0));
}

/* --- payers and reversals -------------------------------------------------------- */

static void
test_payer_present(void **state)
{
	(void)state;
	assert_false(ldg_payer_present(&(ldg_payer){"", "", ""}));
	assert_true(ldg_payer_present(&(ldg_payer){"A", "", ""}));
	assert_true(ldg_payer_present(&(ldg_payer){"", "0", ""}));
	assert_true(ldg_payer_present(&(ldg_payer){"", "", "GTBank"}));
}

static void
test_extras_check_boundaries(void **state)
{
	char big[256], digits[32], ref[256];
	ldg_entry_spec credit = spec(LDG_CREDIT, "demo", 100);
	ldg_entry_spec debit = spec(LDG_DEBIT, "demo", 100);
	ldg_payer none = {"", "", ""};

	(void)state;
	assert_int_equal(ldg_extras_check(&credit, &none, ""), 0);
	assert_int_equal(ldg_extras_check(&debit, &none, ""), 0);
	assert_int_equal(ldg_extras_check(&credit, &(ldg_payer){rep(big, 'n', 200), "", ""}, ""),
			 0);
	assert_fails(ldg_extras_check(&credit, &(ldg_payer){rep(big, 'n', 201), "", ""}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	assert_int_equal(ldg_extras_check(&credit, &(ldg_payer){"", "", rep(big, 'b', 200)}, ""),
			 0);
	assert_fails(ldg_extras_check(&credit, &(ldg_payer){"", "", rep(big, 'b', 201)}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	assert_int_equal(ldg_extras_check(&credit, &(ldg_payer){"", rep(digits, '9', 20), ""}, ""),
			 0);
	assert_fails(ldg_extras_check(&credit, &(ldg_payer){"", rep(digits, '9', 21), ""}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	assert_int_equal(ldg_extras_check(&credit, &(ldg_payer){"", "0", ""}, ""), 0);
	assert_fails(ldg_extras_check(&credit, &(ldg_payer){"", "012 345", ""}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	assert_fails(ldg_extras_check(&credit, &(ldg_payer){"", "-1", ""}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	/* any payer field on a DEBIT */
	assert_fails(ldg_extras_check(&debit, &(ldg_payer){"", "", "GTBank"}, ""),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
	assert_fails(ldg_extras_check(&debit, &(ldg_payer){"", "1", ""}, ""), ERR_INVALID_ARGUMENT,
		     "invalid_payer");
	/* reverses_reference: a DEBIT's, 1..200 printable */
	assert_int_equal(ldg_extras_check(&debit, &none, rep(ref, 'r', 200)), 0);
	assert_fails(ldg_extras_check(&debit, &none, rep(ref, 'r', 201)), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	assert_fails(ldg_extras_check(&debit, &none, "r\x7f"), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	assert_fails(ldg_extras_check(&credit, &none, "r"), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	/* the payer is checked first */
	assert_fails(ldg_extras_check(&debit, &(ldg_payer){"A", "", ""}, "r 1"),
		     ERR_INVALID_ARGUMENT, "invalid_payer");
}

static void
test_reversal_audit_check_boundaries(void **state)
{
	char why[512];

	(void)state;
	assert_int_equal(ldg_reversal_audit_check("dep-1", rep(why, 'w', 500), ""), 0);
	assert_fails(ldg_reversal_audit_check("dep-1", rep(why, 'w', 501), ""),
		     ERR_INVALID_ARGUMENT, "invalid_reason");
	assert_int_equal(ldg_reversal_audit_check("dep-1", "", U1_UP), 0);
	assert_fails(ldg_reversal_audit_check("", "", U3), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	assert_fails(ldg_reversal_audit_check("", "why", U3), ERR_INVALID_ARGUMENT,
		     "invalid_reference");
	assert_bad_id(ldg_reversal_audit_check("dep-1", "", "u1"), "actor_id");
	/* a long reason is named before a bad actor */
	assert_fails(ldg_reversal_audit_check("dep-1", rep(why, 'w', 501), "u1"),
		     ERR_INVALID_ARGUMENT, "invalid_reason");
}

static void
test_is_deposit_table(void **state)
{
	static const char *const sources[] = {"demo", "provider_sandbox", "payout"};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		ldg_entry_spec c = spec(LDG_CREDIT, sources[i], 1);
		ldg_entry_spec d = spec(LDG_DEBIT, sources[i], 1);

		assert_int_equal(ldg_is_deposit(&c), i != 2);
		assert_false(ldg_is_deposit(&d));
	}
}

/* The entry kinds the decisions meet. */
typedef enum { K_DEMO, K_SANDBOX, K_PAYOUT_CREDIT, K_DEBIT, K_COUNT } kind;

static ldg_entry_spec
entry_of(kind k, const char *group_id, int64_t amount)
{
	static const char *const sources[] = {"demo", "provider_sandbox", "payout", "demo"};
	ldg_entry_spec e = spec(k == K_DEBIT ? LDG_DEBIT : LDG_CREDIT, sources[k], amount);

	e.group_id = group_id;
	return e;
}

/* Every group x kind x amount x reversed: the first failing rule in the
 * documented order, else 0. */
static void
test_reversal_decide_table(void **state)
{
	static const char *const groups[] = {G1, G1_UP, G2};
	static const int64_t amounts[] = {499, 500, 501};

	(void)state;
	for (size_t g = 0; g < 3; g++)
		for (int k = 0; k < K_COUNT; k++)
			for (size_t a = 0; a < 3; a++)
				for (int rev = 0; rev <= 1; rev++) {
					ldg_entry_spec debit = spec(LDG_DEBIT, "demo", amounts[a]);
					ldg_entry_spec dep = entry_of((kind)k, groups[g], 500);
					int rc = ldg_reversal_decide(&debit, &dep, rev);

					if (g == 2) {
						assert_int_equal(rc, ERR_NOT_FOUND);
						assert_string_equal(err_last()->reason,
								    "entry_not_found");
					} else if (k == K_PAYOUT_CREDIT || k == K_DEBIT) {
						assert_int_equal(rc, ERR_FAILED_PRECONDITION);
						assert_string_equal(err_last()->reason,
								    "not_a_deposit");
					} else if (amounts[a] != 500) {
						assert_int_equal(rc, ERR_FAILED_PRECONDITION);
						assert_string_equal(err_last()->reason,
								    "reversal_amount_mismatch");
					} else if (rev) {
						assert_int_equal(rc, ERR_ALREADY_EXISTS);
						assert_string_equal(err_last()->reason,
								    "deposit_already_reversed");
					} else {
						assert_int_equal(rc, 0);
					}
				}
}

/* --- allocations --------------------------------------------------------------- */

static void
test_alloc_check_fields(void **state)
{
	char why[512];
	ldg_alloc_ask ok = {.group_id = G1,
			    .user_id = U1,
			    .allocated_by = U3,
			    .reason = "",
			    .expected_user_id = ""};
	ldg_alloc_ask ask;

	(void)state;
	assert_int_equal(ldg_alloc_check(A1, &ok), 0);
	ask = ok;
	ask.group_id = "g";
	assert_bad_id(ldg_alloc_check(A1, &ask), "group_id");
	assert_bad_id(ldg_alloc_check("e", &ok), "entry_id");
	ask = ok;
	ask.user_id = "";
	assert_bad_id(ldg_alloc_check(A1, &ask), "user_id");
	ask = ok;
	ask.allocated_by = "x";
	assert_bad_id(ldg_alloc_check(A1, &ask), "allocated_by");
	ask = ok;
	ask.expected_user_id = "x"; /* checked even without reallocate */
	assert_bad_id(ldg_alloc_check(A1, &ask), "expected_user_id");
	ask.expected_user_id = U2;
	assert_int_equal(ldg_alloc_check(A1, &ask), 0);
	ask = ok;
	ask.reallocate = 1;
	assert_fails(ldg_alloc_check(A1, &ask), ERR_INVALID_ARGUMENT, "missing_field");
	ask.expected_user_id = U2;
	assert_int_equal(ldg_alloc_check(A1, &ask), 0);
	ask.reason = rep(why, 'w', 500);
	assert_int_equal(ldg_alloc_check(A1, &ask), 0);
	ask.reason = rep(why, 'w', 501);
	assert_fails(ldg_alloc_check(A1, &ask), ERR_INVALID_ARGUMENT, "invalid_reason");
	/* self-allocation, in either case */
	ask = ok;
	ask.user_id = U1_LO;
	ask.allocated_by = U1_UP;
	assert_fails(ldg_alloc_check(A1, &ask), ERR_PERMISSION_DENIED, "self_allocation");
	/* the malformed request is named before the self-allocation */
	ask.reason = rep(why, 'w', 501);
	assert_fails(ldg_alloc_check(A1, &ask), ERR_INVALID_ARGUMENT, "invalid_reason");
}

/* Expected verdict of ldg_alloc_decide, from the header's order of rules. */
static int
alloc_oracle(const char **why, int found, int other_group, kind k, int reversed,
	     const char *current, const ldg_alloc_ask *ask)
{
	if (!found || other_group)
		return *why = "entry_not_found", ERR_NOT_FOUND;
	if (k == K_PAYOUT_CREDIT || k == K_DEBIT)
		return *why = "not_a_deposit", ERR_FAILED_PRECONDITION;
	if (reversed)
		return *why = "deposit_reversed", ERR_FAILED_PRECONDITION;
	if (current[0] && !ask->reallocate)
		return *why = "entry_already_allocated", ERR_ALREADY_EXISTS;
	if (ask->reallocate && !ask->reason[0])
		return *why = "reason_required", ERR_INVALID_ARGUMENT;
	if (ask->reallocate && strcmp(current, ask->expected_user_id) != 0)
		return *why = "allocation_changed", ERR_ABORTED;
	if (ask->reallocate && strcmp(current, ask->user_id) == 0)
		return *why = "same_member", ERR_FAILED_PRECONDITION;
	return *why = "", 0;
}

/* Every combination of what AllocateEntry finds and what is asked. */
static void
test_alloc_decide_table(void **state)
{
	static const char *const groups[] = {G1, G1_UP, G2};
	static const char *const users[] = {"", U1, U2};
	static const char *const reasons[] = {"", "wrong member"};
	enum { ROWS = 2 * 3 * K_COUNT * 2 * 3 * 2 * 2 * 3 * 2 };
	int allowed = 0;

	(void)state;
	for (int row = 0; row < ROWS; row++) {
		/* row as mixed-radix digits: one per input */
		int r = row;
		int to = 1 + r % 2, exp = (r /= 2) % 3, why = (r /= 3) % 2;
		int re = (r /= 2) % 2, cur = (r /= 2) % 3, rev = (r /= 3) % 2;
		int k = (r /= 2) % K_COUNT, g = (r /= K_COUNT) % 3, found = (r /= 3) % 2;
		ldg_entry_spec e = entry_of((kind)k, groups[g], 500);
		ldg_alloc_state s = {.found = found,
				     .entry = &e,
				     .reversed = rev,
				     .current_user = users[cur],
				     .has_allocation = cur != 0};
		ldg_alloc_ask ask = {.group_id = G1,
				     .user_id = users[to],
				     .allocated_by = U3,
				     .reason = reasons[why],
				     .reallocate = re,
				     .expected_user_id = users[exp]};
		const char *want_reason;
		int want =
			alloc_oracle(&want_reason, found, g == 2, (kind)k, rev, users[cur], &ask);

		err_clear();
		assert_int_equal(ldg_alloc_decide(&s, &ask), want);
		if (want) {
			assert_string_equal(err_last()->reason, want_reason);
		} else {
			assert_int_equal(err_last()->code, ERR_OK);
			allowed++;
		}
	}
	/* allowed: found, same group, a deposit, not reversed, and either
	 * first allocation (nobody in force) or a reasoned reallocation
	 * from the expected member to another: 2 groups x 2 kinds x
	 * (nobody: 2 targets x (not reallocate: 2 reasons x 3 expected +
	 * reallocate with a reason, expected nobody: 1) + in force (2):
	 * reallocate, reason, expected = in force, the other target: 1) */
	assert_int_equal(allowed, 2 * 2 * (2 * (2 * 3 + 1) + 2 * 1));
}

/* Ids of the member in force compare without case. */
static void
test_alloc_decide_ids_without_case(void **state)
{
	ldg_entry_spec e = entry_of(K_DEMO, G1_UP, 500);
	ldg_alloc_state s = {.found = 1, .entry = &e, .current_user = U1_LO};
	ldg_alloc_ask ask = {.group_id = G1,
			     .user_id = U2,
			     .allocated_by = U3,
			     .reason = "wrong member",
			     .reallocate = 1,
			     .expected_user_id = U1_UP};

	(void)state;
	assert_int_equal(ldg_alloc_decide(&s, &ask), 0);
	ask.user_id = U1_UP;
	assert_fails(ldg_alloc_decide(&s, &ask), ERR_FAILED_PRECONDITION, "same_member");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_text_and_parse),
		cmocka_unit_test_teardown(test_amount_max_follows_the_bound_except_payouts,
					  restore_bound),
		cmocka_unit_test(test_spec_check_fills_defaults),
		cmocka_unit_test(test_spec_check_ids),
		cmocka_unit_test(test_spec_check_type_and_currency_and_source),
		cmocka_unit_test_teardown(test_spec_check_amounts, restore_bound),
		cmocka_unit_test(test_spec_check_references),
		cmocka_unit_test(test_fee_check),
		cmocka_unit_test(test_fee_spec_is_the_credit_as_a_debit),
		cmocka_unit_test_teardown(test_hold_check, restore_bound),
		cmocka_unit_test(test_hold_ref_check),
		cmocka_unit_test(test_spec_same_field_by_field),
		cmocka_unit_test(test_payer_present),
		cmocka_unit_test(test_extras_check_boundaries),
		cmocka_unit_test(test_reversal_audit_check_boundaries),
		cmocka_unit_test(test_is_deposit_table),
		cmocka_unit_test(test_reversal_decide_table),
		cmocka_unit_test(test_alloc_check_fields),
		cmocka_unit_test(test_alloc_decide_table),
		cmocka_unit_test(test_alloc_decide_ids_without_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
