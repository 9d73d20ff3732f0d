/* services/events/webhook_backoff.c: the retry schedule, the dead letter
 * and the pause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "webhook_backoff.h"

#define S   1000LL
#define H   (3600 * S)
#define DAY (24 * H)

static void
test_waits_double_from_30s_to_6h_with_half_jittered(void **state)
{
	const whk_schedule s = WHK_SCHEDULE_DEFAULT;
	const int64_t t0 = 1700000000 * S;

	(void)state;
	/* No jitter: the whole wait. */
	assert_int_equal(whk_next_attempt(&s, 1, t0, t0, 0), t0 + 30 * S);
	assert_int_equal(whk_next_attempt(&s, 2, t0, t0, 0), t0 + 60 * S);
	assert_int_equal(whk_next_attempt(&s, 3, t0, t0, 0), t0 + 120 * S);
	assert_int_equal(whk_next_attempt(&s, 10, t0, t0, 0), t0 + 30 * S * 512);
	assert_int_equal(whk_next_attempt(&s, 11, t0, t0, 0), t0 + 6 * H);
	assert_int_equal(whk_next_attempt(&s, 60, t0, t0, 0), t0 + 6 * H);
	assert_int_equal(whk_next_attempt(&s, 1000000, t0, t0, 0), t0 + 6 * H);
	/* Jitter takes away at most half the wait. */
	for (uint32_t j = 0; j < 100000; j += 997) {
		int64_t next = whk_next_attempt(&s, 1, t0, t0, j * 7919u);

		assert_true(next >= t0 + 15 * S && next <= t0 + 30 * S);
	}
	assert_int_equal(whk_next_attempt(&s, 1, t0, t0, 15000), t0 + 15 * S);
	assert_int_equal(whk_next_attempt(&s, 1, t0, t0, 15001), t0 + 30 * S);
	assert_int_equal(whk_next_attempt(&s, 1, t0, t0, UINT32_MAX) >= t0 + 15 * S, 1);
}

static void
test_three_days_then_dead(void **state)
{
	const whk_schedule s = WHK_SCHEDULE_DEFAULT;
	const int64_t t0 = 1700000000 * S;
	int64_t now = t0;
	int attempt = 1, n_attempts = 1;

	(void)state;
	/* The last attempt is at the window's end, never past it. */
	assert_int_equal(whk_next_attempt(&s, 30, t0, t0 + 3 * DAY - H, 0), t0 + 3 * DAY);
	assert_int_equal(whk_next_attempt(&s, 30, t0, t0 + 3 * DAY, 0), 0);
	assert_int_equal(whk_next_attempt(&s, 30, t0, t0 + 4 * DAY, 0), 0);
	/* Failing every time: a bounded number of attempts over 3 days. */
	for (;;) {
		int64_t next = whk_next_attempt(&s, attempt, t0, now, 0x9e3779b9u * attempt);

		if (next == 0)
			break;
		assert_true(next > now);
		assert_true(next <= t0 + 3 * DAY);
		now = next;
		attempt++;
		n_attempts++;
	}
	assert_int_equal(now, t0 + 3 * DAY);
	assert_true(n_attempts > 15 && n_attempts < 40);
}

static void
test_a_short_schedule_for_tests(void **state)
{
	const whk_schedule s = {.first_ms = 50, .max_ms = 100, .window_ms = 300, .pause_ms = 200};

	(void)state;
	assert_int_equal(whk_next_attempt(&s, 1, 1000, 1000, 0), 1050);
	assert_int_equal(whk_next_attempt(&s, 2, 1000, 1050, 0), 1150);
	assert_int_equal(whk_next_attempt(&s, 3, 1000, 1150, 0), 1250);
	assert_int_equal(whk_next_attempt(&s, 4, 1000, 1250, 0), 1300);
	assert_int_equal(whk_next_attempt(&s, 5, 1000, 1300, 0), 0);
	/* A zero first wait still moves time forward. */
	{
		const whk_schedule z = {.first_ms = 0, .max_ms = 0, .window_ms = 10};

		assert_int_equal(whk_next_attempt(&z, 1, 0, 0, 0), 1);
	}
}

static void
test_pause_after_failing_for_the_pause_time(void **state)
{
	const whk_schedule s = WHK_SCHEDULE_DEFAULT;
	const int64_t t0 = 1700000000 * S;

	(void)state;
	assert_false(whk_should_pause(&s, 0, t0));
	assert_false(whk_should_pause(&s, t0, t0 + DAY - 1));
	assert_true(whk_should_pause(&s, t0, t0 + DAY));
	assert_true(whk_should_pause(&s, t0, t0 + 2 * DAY));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_double_from_30s_to_6h_with_half_jittered),
		cmocka_unit_test(test_three_days_then_dead),
		cmocka_unit_test(test_a_short_schedule_for_tests),
		cmocka_unit_test(test_pause_after_failing_for_the_pause_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
