/* HTTP replies: the status of each err_code and the JSON error body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gw.h"

static void
reply_free(gw_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* Asserts resp carries exactly {"error":{"code":code,"message":message}}. */
static void
assert_error_body(const gw_response *resp, int status, const char *code, const char *message)
{
	json_error_t error;
	json_t *body, *e;

	assert_int_equal(resp->status, status);
	assert_string_equal(resp->content_type, "application/json");
	if (!resp->body)
		fail_msg("status %d error reply has no body", status);
	assert_int_equal(resp->body_len, strlen(resp->body));
	body = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, &error);
	if (!body)
		fail_msg("body is not JSON: %s", resp->body);
	assert_true(json_is_object(body));
	assert_int_equal(json_object_size(body), 1);
	e = json_object_get(body, "error");
	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 2);
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	assert_string_equal(json_string_value(json_object_get(e, "message")), message);
	json_decref(body);
}

/* resp has a body that is a JSON error object (whatever its text). */
static void
assert_json_error(const gw_response *resp)
{
	json_t *body;

	if (!resp->body)
		fail_msg("status %d error reply has no body", resp->status);
	body = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!body)
		fail_msg("body is not JSON: %s", resp->body);
	assert_true(json_is_object(json_object_get(body, "error")));
	assert_true(json_is_string(json_object_get(json_object_get(body, "error"), "code")));
	json_decref(body);
}

static void
test_every_err_code_maps_to_its_http_status(void **state)
{
	static const struct {
		err_code code;
		int status;
	} map[] = {
		{ERR_OK, 200},
		{ERR_CANCELLED, 500},
		{ERR_UNKNOWN, 500},
		{ERR_INVALID_ARGUMENT, 400},
		{ERR_DEADLINE_EXCEEDED, 503},
		{ERR_NOT_FOUND, 404},
		{ERR_ALREADY_EXISTS, 409},
		{ERR_PERMISSION_DENIED, 403},
		{ERR_RESOURCE_EXHAUSTED, 429},
		{ERR_FAILED_PRECONDITION, 422},
		{ERR_ABORTED, 409},
		{ERR_OUT_OF_RANGE, 400},
		{ERR_UNIMPLEMENTED, 501},
		{ERR_INTERNAL, 500},
		{ERR_UNAVAILABLE, 503},
		{ERR_DATA_LOSS, 500},
		{ERR_UNAUTHENTICATED, 401},
	};

	/* Every code of the enum is in the table above. */
	assert_int_equal(sizeof(map) / sizeof(map[0]), 17);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int got = gw_http_status(map[i].code);

		if (got != map[i].status)
			fail_msg("%s -> %d, not %d", err_default_reason(map[i].code), got,
				 map[i].status);
	}
	/* A code outside the enum is a server error, not a success. */
	assert_int_equal(gw_http_status((err_code)-17), 500);
	assert_int_equal(gw_http_status((err_code)-99), 500);
	assert_int_equal(gw_http_status((err_code)5), 500);
}

static void
test_reply_error_body_is_exactly_the_error_object(void **state)
{
	gw_response resp = {0};

	gw_reply_error(&resp, 404, "group_not_found", "no such group");
	assert_error_body(&resp, 404, "group_not_found", "no such group");
	assert_string_equal(resp.body, "{\"error\":{\"code\":\"group_not_found\","
				       "\"message\":\"no such group\"}}");
	assert_int_equal(resp.retry_after, 0);
	reply_free(&resp);

	/* Characters that need escaping survive as the same text. */
	gw_reply_error(&resp, 400, "invalid_field",
		       "field \"name\" must be\ttext\n\\ caf\xc3\xa9 </script>");
	assert_error_body(&resp, 400, "invalid_field",
			  "field \"name\" must be\ttext\n\\ caf\xc3\xa9 </script>");
	reply_free(&resp);
}

static void
test_reply_error_with_a_message_that_is_not_utf8_still_has_a_json_body(void **state)
{
	gw_response resp = {0};

	/* A byte string cut in the middle of a character ("caf" + half of é).
	 */
	gw_reply_error(&resp, 400, "invalid_argument", "caf\xc3");
	assert_true(resp.status == 400 || resp.status == 500);
	assert_json_error(&resp);
	reply_free(&resp);
}

static void
test_reply_err_last_never_leaks_internal_messages(void **state)
{
	static const err_code hidden[] = {ERR_INTERNAL, ERR_UNKNOWN, ERR_DATA_LOSS};
	gw_response resp = {0};

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		err_set(hidden[i], "db_password_rejected",
			"connect to postgres://kolo:hunter2@10.0.0.7 failed");
		gw_reply_err_last(&resp);
		assert_error_body(&resp, 500, "internal", "internal error");
		assert_null(strstr(resp.body, "hunter2"));
		assert_null(strstr(resp.body, "db_password_rejected"));
		assert_null(strstr(resp.body, "10.0.0.7"));
		reply_free(&resp);
	}

	/* No error recorded at all is an internal error too, never a 200. */
	err_clear();
	gw_reply_err_last(&resp);
	assert_error_body(&resp, 500, "internal", "internal error");
	reply_free(&resp);
}

static void
test_reply_err_last_passes_client_errors_through(void **state)
{
	gw_response resp = {0};

	err_set(ERR_FAILED_PRECONDITION, "insufficient_funds", "balance is %d kobo short", 250);
	gw_reply_err_last(&resp);
	assert_error_body(&resp, 422, "insufficient_funds", "balance is 250 kobo short");
	reply_free(&resp);

	err_set(ERR_NOT_FOUND, NULL, "group not found");
	gw_reply_err_last(&resp);
	assert_error_body(&resp, 404, "not_found", "group not found");
	reply_free(&resp);

	err_set(ERR_UNAUTHENTICATED, "invalid_token", "%s", "");
	gw_reply_err_last(&resp);
	assert_error_body(&resp, 401, "invalid_token", "unauthenticated");
	reply_free(&resp);

	/* Each client-visible code keeps the status of gw_http_status. */
	for (int c = ERR_CANCELLED; c >= ERR_UNAUTHENTICATED; c--) {
		err_code code = (err_code)c;

		if (code == ERR_INTERNAL || code == ERR_UNKNOWN || code == ERR_DATA_LOSS)
			continue;
		err_set(code, "why", "what");
		gw_reply_err_last(&resp);
		assert_error_body(&resp, gw_http_status(code), "why", "what");
		reply_free(&resp);
	}
}

/* Issue 18: identity's throttles answer RESOURCE_EXHAUSTED with a retry
 * hint; the gateway says 429 with Retry-After, like its own buckets. */
static void
test_reply_err_last_keeps_an_upstream_retry_hint(void **state)
{
	gw_response resp = {0};

	err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited",
		"too many attempts: try again in %d seconds", 120);
	err_set_retry_after(120);
	gw_reply_err_last(&resp);
	assert_error_body(&resp, 429, "rate_limited",
			  "too many attempts: try again in 120 seconds");
	assert_int_equal(resp.retry_after, 120);
	reply_free(&resp);

	/* A later error without a hint has none. */
	memset(&resp, 0, sizeof(resp));
	err_set(ERR_RESOURCE_EXHAUSTED, NULL, "request too large");
	gw_reply_err_last(&resp);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.retry_after, 0);
	reply_free(&resp);
}

static void
test_reply_err_last_with_a_truncated_multibyte_message_still_has_a_json_body(void **state)
{
	gw_response resp = {0};
	char upstream[601];

	/* An upstream detail of 300 two-byte characters: err_set keeps 255
	 * bytes, which ends in the first half of a character. */
	for (size_t i = 0; i < 600; i += 2)
		memcpy(upstream + i, "\xc3\xa9", 2);
	upstream[600] = '\0';
	err_set(ERR_INVALID_ARGUMENT, "invalid_name", "%s", upstream);
	gw_reply_err_last(&resp);
	assert_true(resp.status == 400 || resp.status == 500);
	assert_json_error(&resp);
	reply_free(&resp);
}

static void
test_reply_json_takes_the_reference_and_sets_the_body(void **state)
{
	gw_response resp = {0};

	gw_reply_json(&resp, 201,
		      json_pack("{s:I, s:s}", "amount_kobo", (json_int_t)INT64_C(9007199254740993),
				"id", "w1"));
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body, "{\"amount_kobo\":9007199254740993,\"id\":\"w1\"}");
	assert_int_equal(resp.body_len, strlen(resp.body));
	reply_free(&resp);

	/* No body (204). */
	gw_reply_json(&resp, 204, NULL);
	assert_int_equal(resp.status, 204);
	assert_null(resp.body);
	assert_int_equal(resp.body_len, 0);
	reply_free(&resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_err_code_maps_to_its_http_status),
		cmocka_unit_test(test_reply_error_body_is_exactly_the_error_object),
		cmocka_unit_test(
			test_reply_error_with_a_message_that_is_not_utf8_still_has_a_json_body),
		cmocka_unit_test(test_reply_err_last_never_leaks_internal_messages),
		cmocka_unit_test(test_reply_err_last_passes_client_errors_through),
		cmocka_unit_test(test_reply_err_last_keeps_an_upstream_retry_hint),
		cmocka_unit_test(
			test_reply_err_last_with_a_truncated_multibyte_message_still_has_a_json_body),
		cmocka_unit_test(test_reply_json_takes_the_reference_and_sets_the_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
