/* services/events/webhook_send.c against a partner's receiver on loopback
 * (tests/fake_webhook_receiver/receiver.py), which verifies each
 * signature the way docs/webhooks.md tells partners to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_fake_flw.h"
#include "webhook_send.h"
#include "webhook_sign.h"

#define RECEIVER KOLO_SOURCE_DIR "/tests/fake_webhook_receiver/receiver.py"
#define SECRET	 "whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
#define EVENT_ID "5f0c3f7e-8a44-4c1e-9d2e-0a8f3f1b2c3d"
#define GROUP_ID "7d6f0b1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static const whk_send_opts opts = {.timeout_ms = 1500, .allow_http_loopback = 1};

static int
setup(void **state)
{
	(void)state;
	return test_fake_start_script(RECEIVER, "unused") == 0 && whk_send_global_init() == 0 ? 0
											      : -1;
}

static int
teardown(void **state)
{
	(void)state;
	test_fake_flw_stop();
	return 0;
}

static void
receiver_secret(const char *path, const char *secret)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"path\":\"%s\",\"secret\":\"%s\"}", path, secret);
	test_fake_flw_control("secret", body);
}

/* The receiver's deliveries to path (the caller json_decref()s them). */
static json_t *
deliveries_to(const char *path)
{
	json_t *stats = test_fake_flw_stats();
	json_t *all = json_object_get(stats, "deliveries"), *out = json_array(), *d;
	size_t i;

	json_array_foreach(all, i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0)
			json_array_append(out, d);
	}
	json_decref(stats);
	return out;
}

/* Sends the event to the receiver's path; the body in *body_out. */
static void
send_to(whk_outcome *out, const char *path, char **body_out)
{
	const whk_event ev = {.id = EVENT_ID,
			      .type = "deposit.credited",
			      .group_id = GROUP_ID,
			      .seq = 7,
			      .occurred_at = "2026-12-06T12:00:00.000000Z",
			      .data_json = "{\"amount_kobo\": 150000, \"reference\": \"FLW-1\"}"};
	char url[256];
	char *body = NULL;

	assert_int_equal(whk_event_body(&body, &ev), 0);
	snprintf(url, sizeof(url), "%s%s", test_fake_flw_url(), path);
	whk_message m = {.url = url,
			 .secret = SECRET,
			 .event_id = ev.id,
			 .event_type = ev.type,
			 .body = body,
			 .body_len = strlen(body),
			 .signed_at = (int64_t)time(NULL)};
	whk_send(out, &m, &opts);
	if (body_out)
		*body_out = body;
	else
		free(body);
}

static void
test_a_2xx_is_delivered_signed_as_documented(void **state)
{
	whk_outcome out;
	char *body;
	json_t *got, *d, *parsed;

	(void)state;
	receiver_secret("/hooks/ok", SECRET);
	send_to(&out, "/hooks/ok", &body);
	assert_true(out.delivered);
	assert_int_equal(out.status, 200);
	assert_string_equal(out.error, "");
	assert_string_equal(out.excerpt, "{\"ok\": true}");
	got = deliveries_to("/hooks/ok");
	assert_int_equal(json_array_size(got), 1);
	d = json_array_get(got, 0);
	assert_true(json_is_true(json_object_get(d, "signature_ok")));
	assert_string_equal(json_string_value(json_object_get(d, "id")), EVENT_ID);
	assert_string_equal(json_string_value(json_object_get(d, "type")), "deposit.credited");
	assert_string_equal(json_string_value(json_object_get(d, "content_type")),
			    "application/json");
	assert_string_equal(json_string_value(json_object_get(d, "body")), body);
	/* Our own verify agrees with the partner's. */
	assert_true(whk_verify(json_string_value(json_object_get(d, "signature")), SECRET, body,
			       strlen(body), (int64_t)time(NULL), WHK_TOLERANCE_S));
	parsed = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(parsed, "id")), EVENT_ID);
	assert_string_equal(json_string_value(json_object_get(parsed, "group_id")), GROUP_ID);
	assert_int_equal(json_integer_value(json_object_get(parsed, "seq")), 7);
	assert_string_equal(json_string_value(json_object_get(parsed, "occurred_at")),
			    "2026-12-06T12:00:00.000000Z");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(parsed, "data"), "amount_kobo")),
		150000);
	json_decref(parsed);
	json_decref(got);
	free(body);
}

static void
test_a_wrong_secret_fails_the_partners_check(void **state)
{
	whk_outcome out;
	json_t *got;

	(void)state;
	receiver_secret("/hooks/other-secret", "whsec_not_the_one_we_sign_with");
	send_to(&out, "/hooks/other-secret", NULL);
	got = deliveries_to("/hooks/other-secret");
	assert_int_equal(json_array_size(got), 1);
	assert_true(json_is_false(json_object_get(json_array_get(got, 0), "signature_ok")));
	json_decref(got);
}

static void
test_a_500_fails_with_its_body_cut_short(void **state)
{
	whk_outcome out;

	(void)state;
	test_fake_flw_mode("/hooks/500", "status:500", 1);
	send_to(&out, "/hooks/500", NULL);
	assert_false(out.delivered);
	assert_int_equal(out.status, 500);
	assert_string_equal(out.error, "answered 500");
	assert_int_equal(strlen(out.excerpt), WHK_EXCERPT_MAX);
	assert_memory_equal(out.excerpt, "error error ", 12);
	/* The mode was for one delivery: the next is taken. */
	send_to(&out, "/hooks/500", NULL);
	assert_true(out.delivered);
}

static void
test_a_redirect_is_not_followed(void **state)
{
	whk_outcome out;
	json_t *stats;

	(void)state;
	test_fake_flw_mode("/hooks/redirect", "redirect", 1);
	send_to(&out, "/hooks/redirect", NULL);
	assert_false(out.delivered);
	assert_int_equal(out.status, 302);
	stats = test_fake_flw_stats();
	assert_null(json_object_get(json_object_get(stats, "requests"), "/hooks/redirect/moved"));
	json_decref(stats);
}

static void
test_no_answer_within_the_timeout_fails(void **state)
{
	whk_outcome out;

	(void)state;
	test_fake_flw_mode("/hooks/slow", "timeout", 1);
	send_to(&out, "/hooks/slow", NULL);
	assert_false(out.delivered);
	assert_int_equal(out.status, 0);
	assert_memory_equal(out.error, "no answer", 9);
}

static void
test_private_and_loopback_addresses_are_not_sent_to(void **state)
{
	const whk_send_opts strict = {.timeout_ms = 1500, .allow_http_loopback = 0};
	char url[256];
	whk_outcome out;
	json_t *stats;
	const char *port = strrchr(test_fake_flw_url(), ':');
	const char *private_urls[] = {"https://10.0.0.1/x", "https://169.254.169.254/latest",
				      "https://[fd00::1]/x", "https://[::ffff:10.0.0.1]/x",
				      "https://0.0.0.0/x"};
	whk_message m = {.secret = SECRET,
			 .event_id = EVENT_ID,
			 .event_type = "x.y",
			 .body = "{}",
			 .body_len = 2,
			 .signed_at = 1};

	(void)state;
	for (size_t i = 0; i < sizeof(private_urls) / sizeof(private_urls[0]); i++) {
		m.url = private_urls[i];
		whk_send(&out, &m, &opts);
		assert_false(out.delivered);
		assert_int_equal(out.status, 0);
		assert_string_equal(out.error, "not sent: url_not_public");
	}
	/* Without the test flag, this machine is not public either: neither
	 * by address nor by a name that resolves to it. */
	snprintf(url, sizeof(url), "https://localhost%s/hooks/strict", port);
	m.url = url;
	whk_send(&out, &m, &strict);
	assert_string_equal(out.error, "not sent: url_not_public");
	snprintf(url, sizeof(url), "https://127.0.0.1%s/hooks/strict", port);
	whk_send(&out, &m, &strict);
	assert_string_equal(out.error, "not sent: url_not_public");
	snprintf(url, sizeof(url), "https://[::ffff:127.0.0.1]%s/hooks/strict", port);
	whk_send(&out, &m, &strict);
	assert_string_equal(out.error, "not sent: url_not_public");
	stats = test_fake_flw_stats();
	assert_null(json_object_get(json_object_get(stats, "requests"), "/hooks/strict"));
	json_decref(stats);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_2xx_is_delivered_signed_as_documented),
		cmocka_unit_test(test_a_wrong_secret_fails_the_partners_check),
		cmocka_unit_test(test_a_500_fails_with_its_body_cut_short),
		cmocka_unit_test(test_a_redirect_is_not_followed),
		cmocka_unit_test(test_no_answer_within_the_timeout_fails),
		cmocka_unit_test(test_private_and_loopback_addresses_are_not_sent_to),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
