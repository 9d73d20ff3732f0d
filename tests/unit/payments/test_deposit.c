/* pay_charge_decide (DESIGN §15): a verified charge is credited only when
 * the verification agrees with the signed delivery on every field, the
 * amount is within the bound and the fee kept is below it. Driven over
 * every subset of the ways a verification can disagree, amounts at and
 * around the bound, fees at and around the amount, and who names the
 * payer. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "payments.h"

#define AMOUNT 500000
#define MAX    1000000

/* The ways a verification can disagree with its delivery, one bit each. */
enum {
	BAD_STATUS = 1 << 0,
	BAD_CURRENCY = 1 << 1,
	BAD_ID = 1 << 2,
	BAD_TX_REF = 1 << 3,
	BAD_ACCOUNT = 1 << 4,
	BAD_AMOUNT = 1 << 5,
	N_BAD = 6
};

static void
agreeing(pay_event *ev, pay_charge *ch, int64_t amount)
{
	memset(ev, 0, sizeof(*ev));
	memset(ch, 0, sizeof(*ch));
	ev->kind = PAY_EVENT_CHARGE;
	snprintf(ev->transaction_id, sizeof(ev->transaction_id), "tx-1");
	snprintf(ev->tx_ref, sizeof(ev->tx_ref), "kolo-ref-1");
	snprintf(ev->currency, sizeof(ev->currency), "NGN");
	snprintf(ev->account_number, sizeof(ev->account_number), "9900000001");
	ev->amount_kobo = amount;
	snprintf(ch->id, sizeof(ch->id), "tx-1");
	snprintf(ch->tx_ref, sizeof(ch->tx_ref), "kolo-ref-1");
	snprintf(ch->currency, sizeof(ch->currency), "NGN");
	snprintf(ch->account_number, sizeof(ch->account_number), "9900000001");
	ch->amount_kobo = amount;
	ch->successful = 1;
}

static void
spoil(pay_charge *ch, int bad)
{
	if (bad & BAD_STATUS)
		ch->successful = 0;
	if (bad & BAD_CURRENCY)
		snprintf(ch->currency, sizeof(ch->currency), "USD");
	if (bad & BAD_ID)
		snprintf(ch->id, sizeof(ch->id), "tx-2");
	if (bad & BAD_TX_REF)
		snprintf(ch->tx_ref, sizeof(ch->tx_ref), "kolo-ref-2");
	if (bad & BAD_ACCOUNT)
		snprintf(ch->account_number, sizeof(ch->account_number), "9900000002");
	if (bad & BAD_AMOUNT)
		ch->amount_kobo += 1;
}

static pay_charge_plan
decide(const pay_event *ev, const pay_charge *ch, int64_t fee, int64_t max)
{
	pay_charge_facts f = {.ev = ev, .charge = ch, .fee_kept = fee, .max_kobo = max};
	pay_charge_plan plan;

	memset(&plan, 0x5a, sizeof(plan));
	pay_charge_decide(&plan, &f);
	return plan;
}

/* The expected verdict, stated as the rule reads (first failing check). */
static pay_charge_verdict
expected(int bad, int64_t amount, int64_t fee, int64_t max)
{
	if (bad || amount <= 0)
		return PAY_CHARGE_MISMATCH;
	if (amount > max)
		return PAY_CHARGE_OVER_LIMIT;
	if (fee >= amount)
		return PAY_CHARGE_FEE_NOT_BELOW;
	return PAY_CHARGE_CREDIT;
}

static const char *
outcome_of(pay_charge_verdict v)
{
	switch (v) {
	case PAY_CHARGE_CREDIT:
		return NULL;
	case PAY_CHARGE_MISMATCH:
		return "verification_mismatch";
	case PAY_CHARGE_OVER_LIMIT:
		return "amount_over_limit";
	case PAY_CHARGE_FEE_NOT_BELOW:
		return "fee_not_below_amount";
	}
	return "?";
}

/* Every subset of disagreements x amounts around 0 and the bound x fees
 * around the amount. */
static void
test_every_combination(void **state)
{
	const int64_t amounts[] = {-1, 0, 1, AMOUNT, MAX - 1, MAX, MAX + 1};
	int n = 0;

	(void)state;
	for (int bad = 0; bad < (1 << N_BAD); bad++) {
		for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
			int64_t amount = amounts[i];
			const int64_t fees[] = {0, 1, amount - 1, amount, amount + 1};

			for (size_t j = 0; j < sizeof(fees) / sizeof(fees[0]); j++) {
				pay_event ev;
				pay_charge ch;
				pay_charge_plan plan;
				pay_charge_verdict want;

				agreeing(&ev, &ch, amount);
				spoil(&ch, bad);
				plan = decide(&ev, &ch, fees[j], MAX);
				want = expected(bad, amount, fees[j], MAX);
				assert_int_equal(plan.verdict, want);
				if (want == PAY_CHARGE_CREDIT)
					assert_null(plan.outcome);
				else
					assert_string_equal(plan.outcome, outcome_of(want));
				n++;
			}
		}
	}
	assert_int_equal(n, (1 << N_BAD) * 7 * 5);
}

/* The payer: the verification's when it names an account or a name, else
 * the delivery's; whatever the verdict. */
static void
test_payer_named(void **state)
{
	const char *accounts[] = {"", "0123456789"};
	const char *names[] = {"", "ADA OBI"};

	(void)state;
	for (int bad = 0; bad < 2; bad++)
		for (int a = 0; a < 2; a++)
			for (int n = 0; n < 2; n++) {
				pay_event ev;
				pay_charge ch;
				pay_charge_plan plan;

				agreeing(&ev, &ch, AMOUNT);
				spoil(&ch, bad ? BAD_ID : 0);
				snprintf(ev.payer.name, sizeof(ev.payer.name), "FROM DELIVERY");
				snprintf(ch.payer.account_number, sizeof(ch.payer.account_number),
					 "%s", accounts[a]);
				snprintf(ch.payer.name, sizeof(ch.payer.name), "%s", names[n]);
				plan = decide(&ev, &ch, 0, MAX);
				if (a || n)
					assert_ptr_equal(plan.payer, &ch.payer);
				else
					assert_ptr_equal(plan.payer, &ev.payer);
			}
}

/* A bank name alone does not name the payer (as before: account or name). */
static void
test_bank_name_alone(void **state)
{
	pay_event ev;
	pay_charge ch;
	pay_charge_plan plan;

	(void)state;
	agreeing(&ev, &ch, AMOUNT);
	snprintf(ch.payer.bank_name, sizeof(ch.payer.bank_name), "GTBank");
	plan = decide(&ev, &ch, 0, MAX);
	assert_int_equal(plan.verdict, PAY_CHARGE_CREDIT);
	assert_ptr_equal(plan.payer, &ev.payer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_payer_named),
		cmocka_unit_test(test_bank_name_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
