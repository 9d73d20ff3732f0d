/* shared/rpc over real sockets: a C client calling a C server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echo_service.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rpc/rpc_internal.h"
#include "grpc/health/v1/health.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "test_keys.h"

/* Each caller's own token; the server knows their hashes only. */
#define TEST_PAYMENTS_TOKEN "test-payments-token-0123456789abcdef"
#define TEST_GATEWAY_TOKEN  "test-gateway-token-0123456789abcdef0"
#define TEST_MAX_MESSAGE    (64 * 1024)
#define TEST_USER	    "7d3c1f4e-0000-4000-8000-000000000001"

typedef struct fixture {
	rpc_server *server;
	rpc_channel *echo;
	char target[64];
	test_key current, previous, stranger;
	mem_arena *arena;
	ProtobufCAllocator alloc;
} fixture;

static fixture fx;

static int
start_server(int grace_ms)
{
	static char callers[2 * (RPC_TOKEN_HASH_HEX + 16)];
	auth_keyring ring = {.n_keys = 0};
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 4,
		.max_message_bytes = TEST_MAX_MESSAGE,
		.keys = &ring,
		.caller_token_hashes = callers,
		.grace_ms = grace_ms,
	};
	char payments[RPC_TOKEN_HASH_HEX + 1], gateway[RPC_TOKEN_HASH_HEX + 1];

	rpc_token_hash_hex(payments, TEST_PAYMENTS_TOKEN);
	rpc_token_hash_hex(gateway, TEST_GATEWAY_TOKEN);
	snprintf(callers, sizeof(callers), "payments:%s,gateway:%s", payments, gateway);

	test_keyring_add(&ring, &fx.current);
	test_keyring_add(&ring, &fx.previous);
	if (rpc_server_start(&fx.server, &echo_rpc_service, &cfg) < 0)
		return -1;
	snprintf(fx.target, sizeof(fx.target), "127.0.0.1:%d", rpc_server_port(fx.server));
	return rpc_channel_open(&fx.echo, fx.target, &kolo__test__v1__echo_service__descriptor,
				NULL);
}

static int
setup(void **state)
{
	rpc_init();
	test_key_make(&fx.current, "k2");
	test_key_make(&fx.previous, "k1");
	test_key_make(&fx.stranger, "k2"); /* same kid, other key */
	fx.arena = mem_arena_new(0);
	fx.alloc = mem_arena_allocator(fx.arena);
	return start_server(5000);
}

static int
teardown(void **state)
{
	rpc_channel_close(fx.echo);
	if (fx.server)
		rpc_server_stop(fx.server);
	mem_arena_free(fx.arena);
	rpc_shutdown();
	return 0;
}

/* Calls method with req; returns the rc and the reply in *resp. */
static int
echo_call(const char *method, Kolo__Test__V1__EchoRequest *req, const rpc_metadata *md, size_t n_md,
	  int64_t timeout_ms, Kolo__Test__V1__EchoResponse **resp)
{
	rpc_call_opts opts = {.timeout_ms = timeout_ms, .metadata = md, .n_metadata = n_md};
	ProtobufCMessage *out = NULL;
	int rc;

	mem_arena_reset(fx.arena);
	rc = rpc_call(fx.echo, method, &req->base, &out, &fx.alloc, &opts);
	*resp = (Kolo__Test__V1__EchoResponse *)out;
	return rc;
}

static void
test_round_trip_echoes_text_and_metadata(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	rpc_metadata md[] = {{"x-request-id", "req-42"}};

	req.text = "ẹ ku aaro";
	req.metadata_key = "x-request-id";
	assert_int_equal(echo_call("Echo", &req, md, 1, 2000, &resp), 0);
	assert_string_equal(resp->text, "ẹ ku aaro");
	assert_string_equal(resp->metadata_value, "req-42");
	assert_string_equal(resp->user_id, "");
	assert_false(resp->internal);
	assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 2000);
}

static void
test_each_status_carries_its_reason(void **state)
{
	static const struct {
		int code;
		const char *reason;
	} cases[] = {
		{3, "amount_out_of_range"}, {5, "group_not_found"}, {6, "email_taken"},
		{7, "not_an_officer"},	    {8, "rate_limited"},    {9, "insufficient_funds"},
		{10, "conflict_retry"},	    {13, "internal"},	    {14, "provider_down"},
		{16, "invalid_token"},
	};
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.fail_code = cases[i].code;
		req.fail_reason = (char *)cases[i].reason;
		assert_int_equal(echo_call("Echo", &req, NULL, 0, 2000, &resp), -cases[i].code);
		assert_int_equal(err_last()->code, -cases[i].code);
		assert_string_equal(err_last()->reason, cases[i].reason);
		assert_string_equal(err_last()->message, "failed as asked");
	}
}

/* grpc-status-details-bin's bytes decode as google.rpc.Status with the
 * ErrorInfo (domain kolo, metadata, retry_after_s) and RetryInfo. */
static void
test_status_details_decode(void **state)
{
	err_meta meta[1] = {{"attempts_left", "2"}};
	grpc_slice bytes;
	Google__Rpc__Status *st;
	Google__Rpc__ErrorInfo *info;
	Google__Rpc__RetryInfo *retry;

	assert_int_equal(rpc_status_details(&bytes, 7, "wrong PIN", "pin_incorrect", meta, 1, 30),
			 0);
	st = google__rpc__status__unpack(NULL, GRPC_SLICE_LENGTH(bytes),
					 GRPC_SLICE_START_PTR(bytes));
	assert_non_null(st);
	assert_int_equal(st->code, 7);
	assert_string_equal(st->message, "wrong PIN");
	assert_int_equal(st->n_details, 2);
	assert_string_equal(st->details[0]->type_url, "type.googleapis.com/google.rpc.ErrorInfo");
	info = google__rpc__error_info__unpack(NULL, st->details[0]->value.len,
					       st->details[0]->value.data);
	assert_non_null(info);
	assert_string_equal(info->reason, "pin_incorrect");
	assert_string_equal(info->domain, "kolo");
	assert_int_equal(info->n_metadata, 2);
	assert_string_equal(info->metadata[0]->key, "attempts_left");
	assert_string_equal(info->metadata[0]->value, "2");
	assert_string_equal(info->metadata[1]->key, "retry_after_s");
	assert_string_equal(info->metadata[1]->value, "30");
	assert_string_equal(st->details[1]->type_url, "type.googleapis.com/google.rpc.RetryInfo");
	retry = google__rpc__retry_info__unpack(NULL, st->details[1]->value.len,
						st->details[1]->value.data);
	assert_non_null(retry);
	assert_int_equal(retry->retry_delay->seconds, 30);
	google__rpc__retry_info__free_unpacked(retry, NULL);
	google__rpc__error_info__free_unpacked(info, NULL);
	google__rpc__status__free_unpacked(st, NULL);
	/* What a client of shared/rpc makes of them: the metadata again. */
	err_set(ERR_PERMISSION_DENIED, "pin_incorrect", "wrong PIN");
	rpc_status_meta_apply(GRPC_SLICE_START_PTR(bytes), GRPC_SLICE_LENGTH(bytes));
	assert_string_equal(err_meta_get(err_last(), "attempts_left"), "2");
	grpc_slice_unref(bytes);
}

static void
test_invalid_reason_is_replaced_by_default(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;

	req.fail_code = 9;
	req.fail_reason = "Bad Reason\nwith newline";
	assert_int_equal(echo_call("Echo", &req, NULL, 0, 2000, &resp), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "failed_precondition");
}

static void
test_deadline_exceeded(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;

	req.sleep_ms = 400;
	assert_int_equal(echo_call("Echo", &req, NULL, 0, 50, &resp), ERR_DEADLINE_EXCEEDED);
}

static void
test_oversized_request_is_refused(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	size_t n = TEST_MAX_MESSAGE + 1024;
	uint8_t *blob = calloc(1, n);

	req.blob.data = blob;
	req.blob.len = n;
	assert_int_equal(echo_call("Echo", &req, NULL, 0, 2000, &resp), ERR_RESOURCE_EXHAUSTED);
	/* Just under the limit still works. */
	req.blob.len = TEST_MAX_MESSAGE - 64;
	assert_int_equal(echo_call("Echo", &req, NULL, 0, 2000, &resp), 0);
	assert_int_equal(resp->blob.len, TEST_MAX_MESSAGE - 64);
	free(blob);
}

static void
test_method_without_handler_is_unimplemented(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;

	assert_int_equal(echo_call("Unhandled", &req, NULL, 0, 2000, &resp), ERR_UNIMPLEMENTED);
	assert_string_equal(err_last()->reason, "unimplemented");
}

static void
test_unknown_service_is_unimplemented(void **state)
{
	rpc_channel *ledger = NULL;
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	assert_int_equal(rpc_channel_open(&ledger, fx.target,
					  &kolo__ledger__v1__ledger_service__descriptor, NULL),
			 0);
	assert_int_equal(rpc_call(ledger, "GetBalance", &req.base, &resp, &fx.alloc, NULL),
			 ERR_UNIMPLEMENTED);
	rpc_channel_close(ledger);
}

static void
test_health_check(void **state)
{
	rpc_channel *health = NULL;
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	assert_int_equal(
		rpc_channel_open(&health, fx.target, &grpc__health__v1__health__descriptor, NULL),
		0);
	assert_int_equal(rpc_call(health, "Check", &req.base, &resp, &fx.alloc, NULL), 0);
	assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)resp)->status,
			 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	req.service = "kolo.test.v1.EchoService";
	assert_int_equal(rpc_call(health, "Check", &req.base, &resp, &fx.alloc, NULL), 0);
	req.service = "kolo.nope.v1.Nope";
	assert_int_equal(rpc_call(health, "Check", &req.base, &resp, &fx.alloc, NULL),
			 ERR_NOT_FOUND);
	rpc_channel_close(health);
}

static int
call_with_scheme(const char *method, const char *scheme, const char *token)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	char header[AUTH_JWT_MAX + 16];
	rpc_metadata md[] = {{"authorization", header}};
	int rc;

	snprintf(header, sizeof(header), "%s %s", scheme, token);
	rc = echo_call(method, &req, md, token ? 1 : 0, 2000, &resp);
	if (rc == 0)
		assert_string_equal(resp->user_id, TEST_USER);
	return rc;
}

static int
call_with_token(const char *method, const char *token)
{
	return call_with_scheme(method, "Bearer", token);
}

/* RFC 7235: any case of Bearer; another scheme is named (issue 21). */
static void
test_bearer_scheme_any_case_other_scheme_named(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char *cur = test_token(&fx.current, TEST_USER, now, now + 900);

	assert_int_equal(call_with_scheme("WhoAmI", "bearer", cur), 0);
	assert_int_equal(call_with_scheme("WhoAmI", "BEARER", cur), 0);
	assert_int_equal(call_with_scheme("WhoAmI", "Basic", "eHl6OmFiYw=="), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "unsupported_auth_scheme");
	assert_int_equal(call_with_scheme("WhoAmI", "Token", cur), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "unsupported_auth_scheme");
	free(cur);
}

static void
test_valid_tokens_of_both_keys_are_accepted(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char *cur = test_token(&fx.current, TEST_USER, now, now + 900);
	char *prev = test_token(&fx.previous, TEST_USER, now, now + 900);

	assert_int_equal(call_with_token("WhoAmI", cur), 0);
	assert_int_equal(call_with_token("WhoAmI", prev), 0);
	assert_int_equal(call_with_token("Either", cur), 0);
	free(cur);
	free(prev);
}

static void
test_missing_token_is_unauthenticated(void **state)
{
	assert_int_equal(call_with_token("WhoAmI", NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "missing_token");
}

static void
test_expired_token_is_unauthenticated(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char *tok = test_token(&fx.current, TEST_USER, now - 1000, now - 100);

	assert_int_equal(call_with_token("WhoAmI", tok), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "token_expired");
	free(tok);
}

static void
test_tampered_token_is_unauthenticated(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char *tok = test_token(&fx.current, TEST_USER, now, now + 900);
	char *payload = strchr(tok, '.') + 1;

	payload[3] = payload[3] == 'A' ? 'B' : 'A';
	assert_int_equal(call_with_token("WhoAmI", tok), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_token");
	free(tok);
}

static void
test_wrong_key_token_is_unauthenticated(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char *tok = test_token(&fx.stranger, TEST_USER, now, now + 900);

	assert_int_equal(call_with_token("WhoAmI", tok), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_token");
	free(tok);
	assert_int_equal(call_with_token("WhoAmI", "not.a.jwt"), ERR_UNAUTHENTICATED);
}

static void
test_internal_method_needs_service_token(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	rpc_metadata wrong[] = {{RPC_CALLER_KEY, "payments"},
				{RPC_INTERNAL_TOKEN_KEY, "test-payments-token-0123456789abcdeX"}};
	rpc_metadata right[] = {{RPC_CALLER_KEY, "payments"},
				{RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};
	int64_t now = (int64_t)time(NULL);
	char *tok = test_token(&fx.current, TEST_USER, now, now + 900);

	assert_int_equal(echo_call("Internal", &req, NULL, 0, 2000, &resp), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "service_token_required");
	assert_int_equal(echo_call("Internal", &req, wrong, 2, 2000, &resp), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_service_token");
	/* A user token does not open an internal method. */
	assert_int_equal(call_with_token("Internal", tok), ERR_UNAUTHENTICATED);
	assert_int_equal(echo_call("Internal", &req, right, 2, 2000, &resp), 0);
	assert_true(resp->internal);
	assert_int_equal(echo_call("Either", &req, right, 2, 2000, &resp), 0);
	free(tok);
}

static void
test_caller_not_in_the_table_is_permission_denied(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	rpc_metadata gateway[] = {{RPC_CALLER_KEY, "gateway"},
				  {RPC_INTERNAL_TOKEN_KEY, TEST_GATEWAY_TOKEN}};

	(void)state;
	/* A valid credential of a caller the table does not list. */
	assert_int_equal(echo_call("Internal", &req, gateway, 2, 2000, &resp),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	assert_int_equal(echo_call("Either", &req, gateway, 2, 2000, &resp), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	/* It still authenticates the gateway on a public method. */
	assert_int_equal(echo_call("Echo", &req, gateway, 2, 2000, &resp), 0);
	assert_false(resp->internal);
}

static void
test_a_token_is_good_only_for_its_own_caller(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	/* The gateway's token presented as payments, a caller the server has
	 * no hash for, an unknown name, a name without a token. */
	rpc_metadata as_payments[] = {{RPC_CALLER_KEY, "payments"},
				      {RPC_INTERNAL_TOKEN_KEY, TEST_GATEWAY_TOKEN}};
	rpc_metadata as_ledger[] = {{RPC_CALLER_KEY, "ledger"},
				    {RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};
	rpc_metadata as_stranger[] = {{RPC_CALLER_KEY, "bench"},
				      {RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};
	rpc_metadata no_token[] = {{RPC_CALLER_KEY, "payments"}};
	/* The old shared-token form: a token and no name is no caller. */
	rpc_metadata no_name[] = {{RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};

	(void)state;
	assert_int_equal(echo_call("Internal", &req, as_payments, 2, 2000, &resp),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_service_token");
	assert_int_equal(echo_call("Internal", &req, as_ledger, 2, 2000, &resp),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "invalid_service_token");
	assert_int_equal(echo_call("Internal", &req, as_stranger, 2, 2000, &resp),
			 ERR_UNAUTHENTICATED);
	assert_int_equal(echo_call("Internal", &req, no_token, 1, 2000, &resp),
			 ERR_UNAUTHENTICATED);
	/* A bad credential is refused even where none is needed. */
	assert_int_equal(echo_call("Echo", &req, as_payments, 2, 2000, &resp), ERR_UNAUTHENTICATED);
	assert_int_equal(echo_call("Internal", &req, no_name, 1, 2000, &resp), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "service_token_required");
}

static void
test_a_bad_user_token_never_falls_back_to_the_service(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	int64_t now = (int64_t)time(NULL);
	char *expired = test_token(&fx.current, TEST_USER, now - 1000, now - 100);
	char bearer[2048];
	rpc_metadata md[3] = {{RPC_CALLER_KEY, "payments"},
			      {RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};

	(void)state;
	snprintf(bearer, sizeof(bearer), "Bearer %s", expired);
	md[2] = (rpc_metadata){"authorization", bearer};
	/* Forwarding a user's expired token must not read as "for nobody". */
	assert_int_equal(echo_call("Either", &req, md, 3, 2000, &resp), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "token_expired");
	free(expired);
}

static void
test_internal_method_without_a_caller_rule_refuses_to_start(void **state)
{
	rpc_server *server = NULL;
	rpc_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1};

	(void)state;
	assert_int_equal(rpc_server_start(&server, &echo_rpc_service_uncovered, &cfg),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	assert_null(server);
}

/* gRPC core would bind with SO_REUSEPORT and let a second server share
 * the first one's port (calls then split between two processes). */
static void
test_a_taken_address_refuses_to_start(void **state)
{
	rpc_server *server = NULL;
	char addr[64];
	rpc_server_config cfg = {.addr = addr, .workers = 1};

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", rpc_server_port(fx.server));
	assert_true(rpc_server_start(&server, &echo_rpc_service, &cfg) < 0);
	assert_null(server);
}

static void
test_callers_sharing_one_token_refuse_to_start(void **state)
{
	rpc_server *server = NULL;
	char hash[RPC_TOKEN_HASH_HEX + 1], spec[2 * (RPC_TOKEN_HASH_HEX + 16)];
	rpc_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1, .caller_token_hashes = spec};

	(void)state;
	rpc_token_hash_hex(hash, TEST_PAYMENTS_TOKEN);
	snprintf(spec, sizeof(spec), "payments:%s,gateway:%s", hash, hash);
	assert_int_equal(rpc_server_start(&server, &echo_rpc_service, &cfg), ERR_INVALID_ARGUMENT);
	assert_null(server);
}

/* Issue 18.7: a money or credential act (RPC_AUTH_LIVE) needs a token
 * whose session the service's check calls live; the service token skips
 * the check; a table cannot ask for it without user tokens. */
static void
test_live_methods_need_a_live_session(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	rpc_metadata right[] = {{RPC_CALLER_KEY, "payments"},
				{RPC_INTERNAL_TOKEN_KEY, TEST_PAYMENTS_TOKEN}};
	int64_t now = (int64_t)time(NULL);
	char *none = test_token(&fx.current, TEST_USER, now, now + 900);
	char *live = test_token_sid(&fx.current, TEST_USER, "live-session", now, now + 900);
	char *ended = test_token_sid(&fx.current, TEST_USER, ECHO_ENDED_SESSION, now, now + 900);
	char *unknown =
		test_token_sid(&fx.current, TEST_USER, ECHO_UNKNOWN_SESSION, now, now + 900);
	static const rpc_method bad_methods[] = {
		{.name = "Echo", .handler = NULL, .auth = RPC_AUTH_LIVE},
	};
	const rpc_service bad = {.descriptor = &kolo__test__v1__echo_service__descriptor,
				 .methods = bad_methods,
				 .n_methods = 1};
	const rpc_server_config cfg = {.addr = "127.0.0.1:0"};
	rpc_server *server = NULL;

	assert_int_equal(call_with_token("Live", live), 0);
	assert_int_equal(call_with_token("Live", none), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_required");
	assert_int_equal(call_with_token("Live", ended), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(call_with_token("Live", unknown), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "sessions_unknown");
	/* Reads of the same token go on. */
	assert_int_equal(call_with_token("WhoAmI", ended), 0);
	assert_int_equal(echo_call("Live", &req, right, 2, 2000, &resp), 0);
	assert_true(resp->internal);
	assert_int_equal(rpc_server_start(&server, &bad, &cfg), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	free(none);
	free(live);
	free(ended);
	free(unknown);
}

static void
test_unsendable_metadata_is_refused_locally(void **state)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;
	rpc_metadata bad_key[] = {{"X-Upper", "v"}};
	rpc_metadata bad_value[] = {{"x-ok", "line\nbreak"}};

	assert_int_equal(echo_call("Echo", &req, bad_key, 1, 2000, &resp), ERR_INVALID_ARGUMENT);
	assert_int_equal(echo_call("Echo", &req, bad_value, 1, 2000, &resp), ERR_INVALID_ARGUMENT);
}

#define CONCURRENT_THREADS 16
#define CALLS_PER_THREAD   200

static void *
concurrent_caller(void *arg)
{
	intptr_t id = (intptr_t)arg;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	char text[32];
	intptr_t ok = 0;

	for (int i = 0; i < CALLS_PER_THREAD; i++) {
		Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
		ProtobufCMessage *resp = NULL;

		snprintf(text, sizeof(text), "t%ld-%d", (long)id, i);
		req.text = text;
		mem_arena_reset(arena);
		if (rpc_call(fx.echo, "Echo", &req.base, &resp, &alloc, NULL) == 0 &&
		    strcmp(((Kolo__Test__V1__EchoResponse *)resp)->text, text) == 0)
			ok++;
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return (void *)ok;
}

static void
test_sixteen_threads_of_concurrent_calls(void **state)
{
	pthread_t threads[CONCURRENT_THREADS];
	intptr_t total = 0;

	for (intptr_t i = 0; i < CONCURRENT_THREADS; i++)
		pthread_create(&threads[i], NULL, concurrent_caller, (void *)i);
	for (int i = 0; i < CONCURRENT_THREADS; i++) {
		void *ok = NULL;

		pthread_join(threads[i], &ok);
		total += (intptr_t)ok;
	}
	assert_int_equal(total, CONCURRENT_THREADS * CALLS_PER_THREAD);
}

static void *
slow_caller(void *arg)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 10000};
	intptr_t rc;

	req.text = "in flight";
	req.sleep_ms = 300;
	rc = rpc_call(fx.echo, "Echo", &req.base, &resp, &alloc, &opts);
	if (rc == 0 && strcmp(((Kolo__Test__V1__EchoResponse *)resp)->text, "in flight") != 0)
		rc = -100;
	mem_arena_free(arena);
	rpc_client_thread_done();
	return (void *)rc;
}

/* Runs last: stops the fixture's server while a call is in its handler. */
static void
test_shutdown_finishes_calls_in_flight(void **state)
{
	pthread_t thread;
	void *rc = NULL;
	struct timespec tick = {.tv_nsec = 1000000};
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	Kolo__Test__V1__EchoResponse *resp = NULL;

	pthread_create(&thread, NULL, slow_caller, NULL);
	while (atomic_load(&echo_in_handler) == 0)
		nanosleep(&tick, NULL);
	rpc_server_stop(fx.server);
	fx.server = NULL;
	pthread_join(thread, &rc);
	assert_int_equal((intptr_t)rc, 0);
	/* The server is gone: a new call cannot be served. */
	assert_int_equal(echo_call("Echo", &req, NULL, 0, 500, &resp), ERR_UNAVAILABLE);
}

/* RPC_METHOD's row carries its handler's struct sizes: a row whose
 * handler reads another message than the .proto's is refused at start. */
static void
test_a_handler_of_other_message_types_refuses_to_start(void **state)
{
	static const rpc_method wrong_req[] = {
		{.name = "Echo",
		 .auth = RPC_AUTH_NONE,
		 .req_size = sizeof(Kolo__Test__V1__CountRequest)},
	};
	static const rpc_method wrong_resp[] = {
		{.name = "Echo",
		 .auth = RPC_AUTH_NONE,
		 .req_size = sizeof(Kolo__Test__V1__EchoRequest),
		 .resp_size = sizeof(Kolo__Test__V1__CountReply)},
	};
	static const rpc_method right[] = {
		{.name = "Echo",
		 .auth = RPC_AUTH_NONE,
		 .req_size = sizeof(Kolo__Test__V1__EchoRequest),
		 .resp_size = sizeof(Kolo__Test__V1__EchoResponse)},
	};
	const rpc_server_config cfg = {.addr = "127.0.0.1:0"};
	rpc_service svc = {.descriptor = &kolo__test__v1__echo_service__descriptor, .n_methods = 1};
	rpc_server *server = NULL;

	(void)state;
	assert_int_not_equal(sizeof(Kolo__Test__V1__CountRequest),
			     sizeof(Kolo__Test__V1__EchoRequest));
	assert_int_not_equal(sizeof(Kolo__Test__V1__CountReply),
			     sizeof(Kolo__Test__V1__EchoResponse));
	svc.methods = wrong_req;
	assert_int_equal(rpc_server_start(&server, &svc, &cfg), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	svc.methods = wrong_resp;
	assert_int_equal(rpc_server_start(&server, &svc, &cfg), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	svc.methods = right;
	assert_int_equal(rpc_server_start(&server, &svc, &cfg), 0);
	rpc_server_stop(server);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_echoes_text_and_metadata),
		cmocka_unit_test(test_each_status_carries_its_reason),
		cmocka_unit_test(test_invalid_reason_is_replaced_by_default),
		cmocka_unit_test(test_status_details_decode),
		cmocka_unit_test(test_deadline_exceeded),
		cmocka_unit_test(test_oversized_request_is_refused),
		cmocka_unit_test(test_method_without_handler_is_unimplemented),
		cmocka_unit_test(test_unknown_service_is_unimplemented),
		cmocka_unit_test(test_health_check),
		cmocka_unit_test(test_valid_tokens_of_both_keys_are_accepted),
		cmocka_unit_test(test_bearer_scheme_any_case_other_scheme_named),
		cmocka_unit_test(test_missing_token_is_unauthenticated),
		cmocka_unit_test(test_expired_token_is_unauthenticated),
		cmocka_unit_test(test_tampered_token_is_unauthenticated),
		cmocka_unit_test(test_wrong_key_token_is_unauthenticated),
		cmocka_unit_test(test_internal_method_needs_service_token),
		cmocka_unit_test(test_caller_not_in_the_table_is_permission_denied),
		cmocka_unit_test(test_a_token_is_good_only_for_its_own_caller),
		cmocka_unit_test(test_a_bad_user_token_never_falls_back_to_the_service),
		cmocka_unit_test(test_internal_method_without_a_caller_rule_refuses_to_start),
		cmocka_unit_test(test_a_taken_address_refuses_to_start),
		cmocka_unit_test(test_callers_sharing_one_token_refuse_to_start),
		cmocka_unit_test(test_live_methods_need_a_live_session),
		cmocka_unit_test(test_a_handler_of_other_message_types_refuses_to_start),
		cmocka_unit_test(test_unsendable_metadata_is_refused_locally),
		cmocka_unit_test(test_sixteen_threads_of_concurrent_calls),
		cmocka_unit_test(test_shutdown_finishes_calls_in_flight),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
