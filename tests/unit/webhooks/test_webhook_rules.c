/* services/events/webhooks.c: the event types an endpoint may choose, its
 * sealed secret, and what one attempt's outcome changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "webhooks.h"

static void
expect_events_refused(char *const *names, size_t n, const char *reason)
{
	err_clear();
	assert_int_equal(whk_check_events(names, n), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, reason);
}

static void
test_endpoints_choose_partner_visible_types(void **state)
{
	char *good[] = {"deposit.credited", "withdrawal.requested", "webhook.paused"};
	char *all[] = {"*"};
	char *unknown[] = {"deposit.credited", "deposit.stolen"};
	char *code[] = {"user.email_code"};
	char *kyc[] = {"kyc.result"};
	char *twice[] = {"member.added", "member.added"};
	char *star_and_more[] = {"*", "member.added"};
	char *many[WHK_MAX_EVENTS + 1];

	(void)state;
	assert_int_equal(whk_check_events(good, 3), 0);
	assert_int_equal(whk_check_events(all, 1), 0);
	expect_events_refused(good, 0, "no_event_types");
	expect_events_refused(unknown, 2, "unknown_event_type");
	/* A user's own events never go to partners. */
	expect_events_refused(code, 1, "event_type_not_for_partners");
	expect_events_refused(kyc, 1, "event_type_not_for_partners");
	expect_events_refused(twice, 2, "duplicate_event_type");
	expect_events_refused(star_and_more, 2, "unknown_event_type");
	for (size_t i = 0; i < WHK_MAX_EVENTS + 1; i++)
		many[i] = "member.added";
	expect_events_refused(many, WHK_MAX_EVENTS + 1, "too_many_event_types");
}

static void
test_partner_types_leave_out_private_ones(void **state)
{
	const char *types[64];
	size_t n_all = 0, n = whk_partner_types(types, 64);

	(void)state;
	(void)evt_types(&n_all);
	assert_true(n > 10 && n < n_all);
	for (size_t i = 0; i < n; i++) {
		assert_true(evt_type_find(types[i])->partner_visible);
		assert_string_not_equal(types[i], EVT_EMAIL_CODE);
		assert_string_not_equal(types[i], EVT_KYC_RESULT);
	}
}

static void
test_secrets_are_sealed_under_the_key(void **state)
{
	unsigned char key[crypto_secretbox_KEYBYTES], other[crypto_secretbox_KEYBYTES];
	char secret[WHK_SECRET_MAX], opened[WHK_SECRET_MAX];
	unsigned char *sealed = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(whk_key_parse(key, "000102030405060708090a0b0c0d0e0f"
					    "101112131415161718191a1b1c1d1e1f"),
			 0);
	assert_int_equal(key[31], 0x1f);
	assert_int_equal(whk_key_parse(other, "ff"), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
	assert_int_equal(whk_key_parse(other, "zz0102030405060708090a0b0c0d0e0f"
					      "101112131415161718191a1b1c1d1e1f"),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(whk_key_parse(other, "ff0102030405060708090a0b0c0d0e0f"
					      "101112131415161718191a1b1c1d1e1f"),
			 0);
	whk_secret_new(secret);
	whk_seal(&sealed, &n, key, secret);
	assert_null(memmem(sealed, n, secret, strlen(secret)));
	assert_int_equal(whk_open(opened, key, sealed, n), 0);
	assert_string_equal(opened, secret);
	assert_int_equal(whk_open(opened, other, sealed, n), ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "secret_unreadable");
	sealed[n - 1] ^= 1;
	assert_int_equal(whk_open(opened, key, sealed, n), ERR_INTERNAL);
	assert_int_equal(whk_open(opened, key, sealed, 10), ERR_INTERNAL);
	free(sealed);
}

static const whk_schedule sched = {
	.first_ms = 1000, .max_ms = 4000, .window_ms = 10000, .pause_ms = 5000};

static void
test_a_2xx_delivers_and_ends_the_failing(void **state)
{
	whk_verdict v;
	const whk_attempt a = {.delivered = 1,
			       .attempts = 3,
			       .first_at_ms = 100,
			       .now_ms = 4000,
			       .failing_since_ms = 100,
			       .endpoint_active = 1};

	(void)state;
	whk_decide(&v, &sched, &a);
	assert_int_equal(v.state, WHK_DELIVERED);
	assert_int_equal(v.failing_since_ms, 0);
	assert_false(v.pause);
}

static void
test_a_failure_retries_then_dies_and_pauses(void **state)
{
	whk_verdict v;
	whk_attempt a = {.delivered = 0,
			 .attempts = 1,
			 .first_at_ms = 100,
			 .now_ms = 100,
			 .failing_since_ms = 0,
			 .endpoint_active = 1};

	(void)state;
	/* The first failure: the endpoint starts failing now. */
	whk_decide(&v, &sched, &a);
	assert_int_equal(v.state, WHK_PENDING);
	assert_int_equal(v.next_at_ms, 1100);
	assert_int_equal(v.failing_since_ms, 100);
	assert_false(v.pause);
	/* Failing for the pause time: paused (once it is active). */
	a = (whk_attempt){.attempts = 4,
			  .first_at_ms = 100,
			  .now_ms = 5100,
			  .failing_since_ms = 100,
			  .endpoint_active = 1};
	whk_decide(&v, &sched, &a);
	assert_int_equal(v.state, WHK_PENDING);
	assert_true(v.pause);
	a.endpoint_active = 0;
	whk_decide(&v, &sched, &a);
	assert_false(v.pause);
	/* Past the window: dead. */
	a = (whk_attempt){.attempts = 6,
			  .first_at_ms = 100,
			  .now_ms = 10100,
			  .failing_since_ms = 6000,
			  .endpoint_active = 1};
	whk_decide(&v, &sched, &a);
	assert_int_equal(v.state, WHK_DEAD);
	assert_int_equal(v.failing_since_ms, 6000);
	assert_false(v.pause);
	for (int s = 0; s < WHK_DELIVERY_STATE_COUNT; s++)
		assert_int_equal(whk_delivery_state_parse(whk_delivery_state_text(s)), s);
	assert_int_equal(whk_delivery_state_parse("DEAD"), -1);
	assert_int_equal(whk_delivery_state_parse(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints_choose_partner_visible_types),
		cmocka_unit_test(test_partner_types_leave_out_private_ones),
		cmocka_unit_test(test_secrets_are_sealed_under_the_key),
		cmocka_unit_test(test_a_2xx_delivers_and_ends_the_failing),
		cmocka_unit_test(test_a_failure_retries_then_dies_and_pauses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
