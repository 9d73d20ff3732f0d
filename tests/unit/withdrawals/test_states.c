/* The withdrawal and payout state machines: their transition tables and
 * the pure decisions taken on them. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "payout_state.h"
#include "withdrawals.h"

static void
test_withdrawal_moves_and_who_makes_them(void **state)
{
	(void)state;
	assert_true(wdr_move_allowed(WDR_PENDING, WDR_APPROVED, WDR_BY_OFFICER));
	assert_false(wdr_move_allowed(WDR_PENDING, WDR_APPROVED, WDR_BY_SYSTEM));
	assert_true(wdr_move_allowed(WDR_PENDING, WDR_DECLINED, WDR_BY_REQUESTER));
	assert_true(wdr_move_allowed(WDR_APPROVED, WDR_PAYOUT_FAILED, WDR_BY_SYSTEM));
	/* Nobody declines an approved request or re-opens an ended one. */
	assert_false(wdr_move_allowed(WDR_APPROVED, WDR_DECLINED, WDR_BY_OFFICER));
	assert_false(wdr_move_allowed(WDR_PAID, WDR_APPROVED, WDR_BY_OFFICER | WDR_BY_SYSTEM));
	assert_false(wdr_move_allowed(WDR_CLOSED, WDR_APPROVED, WDR_BY_OFFICER));
	assert_false(wdr_move_allowed(WDR_DECLINED, WDR_PENDING, WDR_BY_OFFICER));
	/* Only an officer retries; anyone concerned may close. */
	assert_true(wdr_move_allowed(WDR_PAYOUT_FAILED, WDR_APPROVED, WDR_BY_OFFICER));
	assert_false(wdr_move_allowed(WDR_PAYOUT_FAILED, WDR_APPROVED, WDR_BY_REQUESTER));
	assert_false(wdr_move_allowed(WDR_PAYOUT_FAILED, WDR_APPROVED, WDR_BY_SYSTEM));
	assert_true(wdr_move_allowed(WDR_PAYOUT_FAILED, WDR_CLOSED, WDR_BY_REQUESTER));
	assert_true(wdr_move_allowed(WDR_PAYOUT_FAILED, WDR_CLOSED, WDR_BY_SYSTEM));
	for (int s = 0; s < WDR_STATE_COUNT; s++)
		assert_int_equal(wdr_state_parse(wdr_state_text((wdr_state)s)), s);
	assert_int_equal(wdr_state_parse("approved"), -1);
}

static void
test_payout_word_and_the_attempt_cap(void **state)
{
	(void)state;
	assert_int_equal(wdr_after_payout(WDR_WORD_PENDING, 1, 5), WDR_APPROVED);
	assert_int_equal(wdr_after_payout(WDR_WORD_SUCCESS, 5, 5), WDR_PAID);
	assert_int_equal(wdr_after_payout(WDR_WORD_FAILED, 1, 5), WDR_PAYOUT_FAILED);
	assert_int_equal(wdr_after_payout(WDR_WORD_FAILED, 4, 5), WDR_PAYOUT_FAILED);
	assert_int_equal(wdr_after_payout(WDR_WORD_FAILED, 5, 5), WDR_CLOSED);
	assert_int_equal(wdr_after_payout(WDR_WORD_FAILED, 1, 1), WDR_CLOSED);
}

static void
test_retry_counts_against_the_rule_now(void **state)
{
	(void)state;
	assert_int_equal(wdr_after_retry(2, 2), WDR_APPROVED);
	assert_int_equal(wdr_after_retry(1, 2), WDR_PENDING);
	assert_int_equal(wdr_after_retry(3, 2), WDR_APPROVED);
	assert_int_equal(wdr_after_retry(0, 0), WDR_PENDING);
	assert_int_equal(wdr_after_retry(1, 0), WDR_APPROVED);
}

static void
test_backoff_doubles_to_a_ceiling(void **state)
{
	(void)state;
	assert_int_equal(wdr_backoff_s(0, 30, 3600), 30);
	assert_int_equal(wdr_backoff_s(1, 30, 3600), 60);
	assert_int_equal(wdr_backoff_s(3, 30, 3600), 240);
	assert_int_equal(wdr_backoff_s(20, 30, 3600), 3600);
	assert_int_equal(wdr_backoff_s(1000000, 30, 3600), 3600);
	assert_int_equal(wdr_backoff_s(5, 0, 3600), 0); /* no idle time: ask every pass */
}

static void
test_payout_moves(void **state)
{
	(void)state;
	/* Money calls only after a claim; claims taken over only by the worker. */
	assert_true(pay_move_allowed(PAY_CREATED, PAY_DEBITING, PAY_BY_ANYONE));
	assert_false(pay_move_allowed(PAY_CREATED, PAY_DEBITED, PAY_BY_ANYONE | PAY_BY_WORKER));
	assert_false(pay_move_allowed(PAY_CREATED, PAY_UNFUNDED, PAY_BY_ANYONE | PAY_BY_WORKER));
	assert_true(pay_move_allowed(PAY_DEBITING, PAY_DEBITED, PAY_BY_CLAIMER));
	assert_false(pay_move_allowed(PAY_DEBITING, PAY_DEBITED, PAY_BY_ANYONE));
	assert_true(pay_move_allowed(PAY_DEBITING, PAY_DEBITING, PAY_BY_WORKER));
	assert_false(pay_move_allowed(PAY_DEBITING, PAY_DEBITING, PAY_BY_ANYONE));
	assert_true(pay_move_allowed(PAY_SENT, PAY_DEBITED, PAY_BY_WORKER));
	assert_false(pay_move_allowed(PAY_SENT, PAY_DEBITED, PAY_BY_ANYONE));
	assert_true(pay_move_allowed(PAY_FAILED, PAY_REVERSING, PAY_BY_ANYONE));
	assert_false(pay_move_allowed(PAY_FAILED, PAY_REVERSED, PAY_BY_ANYONE | PAY_BY_WORKER));
	/* The ends are ends. */
	for (int to = 0; to < PAY_STATE_COUNT; to++) {
		assert_false(pay_move_allowed(PAY_PAID, (pay_state)to, ~0));
		assert_false(pay_move_allowed(PAY_UNFUNDED, (pay_state)to, ~0));
		assert_false(pay_move_allowed(PAY_REVERSED, (pay_state)to, ~0));
	}
	for (int s = 0; s < PAY_STATE_COUNT; s++) {
		assert_int_equal(pay_state_parse(pay_state_stage((pay_state)s),
						 pay_state_status((pay_state)s)),
				 s);
		assert_int_equal(pay_state_final((pay_state)s),
				 s == PAY_PAID || s == PAY_UNFUNDED || s == PAY_REVERSED);
	}
	assert_int_equal(pay_state_parse("sent", "SUCCESS"), -1);
}

/* Every group of 1-5 officers and 0-5 plain members, every rule, every
 * set of approvers: a request completes exactly when the approvers who
 * are officers reach the rule; members never count, however many. */
static void
test_approval_decision_over_small_groups(void **state)
{
	static const char *const people[] = {"o1", "o2", "o3", "o4", "o5",
					     "m1", "m2", "m3", "m4", "m5"};
	const char *approvers[10];

	(void)state;
	for (size_t n_off = 1; n_off <= 5; n_off++) {
		for (size_t n_mem = 0; n_mem <= 5; n_mem++) {
			for (int rule = 1; rule <= (int)n_off; rule++) {
				unsigned everyone = 1u << (n_off + n_mem);

				for (unsigned set = 0; set < everyone; set++) {
					wdr_approval_facts f = {.rule_required = rule,
								.amount_kobo = 100,
								.officers = people,
								.n_officers = n_off,
								.approvers = approvers};
					wdr_approval_decision d;
					int officers_in = 0;

					for (size_t i = 0; i < n_off + n_mem; i++) {
						if (!(set & (1u << i)))
							continue;
						/* members are people[5..] */
						approvers[f.n_approvers++] =
							i < n_off ? people[i]
								  : people[5 + i - n_off];
						officers_in += i < n_off;
					}
					d = wdr_decide_approval(&f);
					assert_int_equal(d.required, rule);
					assert_int_equal(d.counted, officers_in);
					assert_int_equal(d.complete, officers_in >= rule);
				}
			}
		}
	}
}

static void
test_approval_counts_each_officer_once(void **state)
{
	const char *officers[] = {"a", "b"};
	const char *approvers[] = {"a", "a", "a"};
	wdr_approval_facts f = {.rule_required = 2,
				.amount_kobo = 1,
				.officers = officers,
				.n_officers = 2,
				.approvers = approvers,
				.n_approvers = 3};

	(void)state;
	assert_int_equal(wdr_decide_approval(&f).counted, 1);
	assert_false(wdr_decide_approval(&f).complete);
}

/* Tiers raise the requirement by the amount plus the last 24 hours, so
 * splitting a large withdrawal does not dodge a tier; never below the rule. */
static void
test_tiers_and_the_look_back(void **state)
{
	const wdr_tier tiers[] = {{100000, 2}, {1000000, 3}};
	const char *officers[] = {"a", "b", "c"};
	const char *approvers[] = {"a", "b"};
	wdr_approval_facts f = {.rule_required = 1,
				.tiers = tiers,
				.n_tiers = 2,
				.officers = officers,
				.n_officers = 3,
				.approvers = approvers,
				.n_approvers = 2};

	(void)state;
	f.amount_kobo = 100000; /* not above the first threshold */
	assert_int_equal(wdr_decide_approval(&f).required, 1);
	f.amount_kobo = 100001;
	assert_int_equal(wdr_decide_approval(&f).required, 2);
	assert_true(wdr_decide_approval(&f).complete);
	f.amount_kobo = 60000; /* a split: the other half went out today */
	f.recent_kobo = 60000;
	assert_int_equal(wdr_decide_approval(&f).required, 2);
	f.recent_kobo = 950000;
	assert_int_equal(wdr_decide_approval(&f).required, 3);
	assert_false(wdr_decide_approval(&f).complete);
	f.rule_required = 3; /* a tier never lowers the rule */
	f.amount_kobo = 1;
	f.recent_kobo = 0;
	assert_int_equal(wdr_decide_approval(&f).required, 3);
	f.rule_required = 0; /* no rule read: one approval at least */
	f.n_tiers = 0;
	assert_int_equal(wdr_decide_approval(&f).required, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_withdrawal_moves_and_who_makes_them),
		cmocka_unit_test(test_payout_word_and_the_attempt_cap),
		cmocka_unit_test(test_retry_counts_against_the_rule_now),
		cmocka_unit_test(test_backoff_doubles_to_a_ceiling),
		cmocka_unit_test(test_payout_moves),
		cmocka_unit_test(test_approval_decision_over_small_groups),
		cmocka_unit_test(test_approval_counts_each_officer_once),
		cmocka_unit_test(test_tiers_and_the_look_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
