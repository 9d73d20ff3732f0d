/* shared/rpc server streaming over real sockets: the echo service's Count
 * streams and grpc.health.v1.Health/Watch, read by the C client. */
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
#include "grpc/health/v1/health.pb-c.h"
#include "test_keys.h"

#define TEST_MAX_MESSAGE (64 * 1024)
#define TEST_MAX_STREAMS 4
#define TEST_USER	 "7d3c1f4e-0000-4000-8000-000000000001"
/* Flow control: replies far beyond what sockets and windows hold. */
#define FLOOD_COUNT 400
#define FLOOD_BYTES 60000

#define SERVING		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING	GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define SERVICE_UNKNOWN GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

typedef struct fixture {
	rpc_server *server;
	rpc_channel *echo;
	test_key key;
	mem_arena *arena;
	ProtobufCAllocator alloc;
} fixture;

static fixture fx;

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Waits (up to 20 s, then fails) until *v reaches at least target. */
static void
wait_for(atomic_int *v, int target)
{
	for (int i = 0; i < 20000 && atomic_load(v) < target; i++)
		sleep_ms(1);
	assert_true(atomic_load(v) >= target);
}

static int
start_server(rpc_server **server, rpc_channel **echo, int grace_ms, int max_streams)
{
	auth_keyring ring = {.n_keys = 0};
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 2,
		.max_message_bytes = TEST_MAX_MESSAGE,
		.keys = &ring,
		.grace_ms = grace_ms,
		.max_streams = max_streams,
	};
	char target[64];

	test_keyring_add(&ring, &fx.key);
	if (rpc_server_start(server, &echo_rpc_service, &cfg) < 0)
		return -1;
	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(*server));
	return rpc_channel_open(echo, target, &kolo__test__v1__echo_service__descriptor, NULL);
}

static int
setup(void **state)
{
	rpc_init();
	test_key_make(&fx.key, "k1");
	fx.arena = mem_arena_new(0);
	fx.alloc = mem_arena_allocator(fx.arena);
	return start_server(&fx.server, &fx.echo, 5000, TEST_MAX_STREAMS);
}

static int
teardown(void **state)
{
	rpc_channel_close(fx.echo);
	rpc_server_stop(fx.server);
	mem_arena_free(fx.arena);
	rpc_shutdown();
	return 0;
}

static int
reset_counters(void **state)
{
	echo_count_reset();
	mem_arena_reset(fx.arena);
	return 0;
}

static rpc_client_stream *
count_open(rpc_channel *ch, const char *method, Kolo__Test__V1__CountRequest *req,
	   int64_t timeout_ms, const rpc_metadata *md, size_t n_md)
{
	rpc_call_opts opts = {.timeout_ms = timeout_ms, .metadata = md, .n_metadata = n_md};
	rpc_client_stream *st = NULL;

	assert_int_equal(rpc_stream_open(&st, ch, method, &req->base, &opts), 0);
	return st;
}

/* The next Count reply: rc, and its number in *n (0 when none). */
static int
count_next(rpc_client_stream *st, int *n)
{
	ProtobufCMessage *msg = NULL;
	int rc = rpc_stream_next(st, &msg, &fx.alloc);

	*n = rc == 0 ? ((Kolo__Test__V1__CountReply *)msg)->n : 0;
	return rc;
}

static void
test_replies_arrive_in_order_then_ok(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.count = 5;
	st = count_open(fx.echo, "Count", &req, 5000, NULL, 0);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(count_next(st, &n), 0);
		assert_int_equal(n, i);
	}
	assert_int_equal(count_next(st, &n), 1);
	assert_int_equal(count_next(st, &n), 1); /* the same again */
	rpc_client_stream_close(st);
	wait_for(&echo_count_ended, 1);
	assert_int_equal(atomic_load(&echo_count_last_rc), 0);
	assert_int_equal(atomic_load(&echo_count_sent), 5);
}

static void
test_handler_error_ends_the_stream_with_its_reason(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.count = 2;
	req.fail_code = 9;
	req.fail_reason = "insufficient_funds";
	st = count_open(fx.echo, "Count", &req, 5000, NULL, 0);
	assert_int_equal(count_next(st, &n), 0);
	assert_int_equal(count_next(st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(count_next(st, &n), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_string_equal(err_last()->message, "failed as asked");
	rpc_client_stream_close(st);
}

static void
test_a_reply_above_the_cap_fails_the_stream(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.count = 1;
	req.blob_bytes = TEST_MAX_MESSAGE + 1;
	st = count_open(fx.echo, "Count", &req, 5000, NULL, 0);
	assert_int_equal(count_next(st, &n), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "reply_too_large");
	rpc_client_stream_close(st);
	assert_int_equal(atomic_load(&echo_count_sent), 0);
}

static void
test_client_cancel_ends_the_handler(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.count = 1;
	req.hold = 1;
	st = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	assert_int_equal(count_next(st, &n), 0);
	assert_int_equal(atomic_load(&echo_count_ended), 0);
	rpc_client_stream_close(st);
	/* The handler's wait saw the client go and its thread ended. */
	wait_for(&echo_count_ended, 1);
	assert_int_equal(atomic_load(&echo_count_last_rc), ERR_CANCELLED);
}

static void
test_deadline_ends_the_stream(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.hold = 1;
	st = count_open(fx.echo, "Count", &req, 1000, NULL, 0);
	wait_for(&echo_count_started, 1);
	assert_int_equal(count_next(st, &n), ERR_DEADLINE_EXCEEDED);
	rpc_client_stream_close(st);
	wait_for(&echo_count_ended, 1);
	/* Whichever the server saw first: its own deadline or the client
	 * dropping the call at the client's. */
	n = atomic_load(&echo_count_last_rc);
	assert_true(n == ERR_DEADLINE_EXCEEDED || n == ERR_CANCELLED);
}

/* rpc_server_notify wakes a handler's wait early (returns 0); a notice
 * given before the handler waits is kept for its next wait. */
static void
test_notify_wakes_a_waiting_stream(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n;

	req.count = 2;
	req.wait_ms = 600000; /* each reply waits for a notice */
	st = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	wait_for(&echo_count_started, 1);
	rpc_server_notify(fx.server);
	assert_int_equal(count_next(st, &n), 0);
	assert_int_equal(n, 1);
	rpc_server_notify(fx.server);
	assert_int_equal(count_next(st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(count_next(st, &n), 1);
	rpc_client_stream_close(st);
}

/* rpc_stream_notify wakes the one stream it names, not the others. */
static void
test_notify_one_wakes_that_stream_alone(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *first, *second;
	int n;

	req.count = 1;
	req.wait_ms = 600000; /* the reply waits for a notice */
	first = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	wait_for(&echo_count_started, 1);
	second = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	wait_for(&echo_count_started, 2);
	rpc_stream_notify(atomic_load(&echo_count_streams[1]));
	assert_int_equal(count_next(second, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_next(second, &n), 1);
	assert_int_equal(atomic_load(&echo_count_sent), 1); /* first waits on */
	rpc_stream_notify(atomic_load(&echo_count_streams[0]));
	assert_int_equal(count_next(first, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_next(first, &n), 1);
	rpc_client_stream_close(first);
	rpc_client_stream_close(second);
}

static void
test_stream_auth_is_the_methods(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	int64_t now = (int64_t)time(NULL);
	char *tok = test_token(&fx.key, TEST_USER, now, now + 900);
	char bearer[2048];
	rpc_metadata md[] = {{"authorization", bearer}};
	rpc_client_stream *st;
	ProtobufCMessage *msg = NULL;

	req.count = 1;
	st = count_open(fx.echo, "CountWho", &req, 5000, NULL, 0);
	assert_int_equal(rpc_stream_next(st, &msg, &fx.alloc), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "missing_token");
	rpc_client_stream_close(st);
	assert_int_equal(atomic_load(&echo_count_started), 0);

	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	st = count_open(fx.echo, "CountWho", &req, 5000, md, 1);
	assert_int_equal(rpc_stream_next(st, &msg, &fx.alloc), 0);
	assert_string_equal(((Kolo__Test__V1__CountReply *)msg)->user_id, TEST_USER);
	assert_int_equal(rpc_stream_next(st, &msg, &fx.alloc), 1);
	rpc_client_stream_close(st);
	free(tok);
}

static void
test_streams_beyond_the_cap_are_refused(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	Kolo__Test__V1__EchoRequest echo = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	rpc_client_stream *open[TEST_MAX_STREAMS], *extra;
	ProtobufCMessage *resp = NULL;
	int n, rc = -1;

	req.count = 1;
	req.hold = 1;
	for (int i = 0; i < TEST_MAX_STREAMS; i++) {
		open[i] = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
		assert_int_equal(count_next(open[i], &n), 0);
	}
	extra = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	assert_int_equal(count_next(extra, &n), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "too_many_streams");
	rpc_client_stream_close(extra);
	/* Open streams hold no worker: unary calls go on (2 workers). */
	echo.text = "still here";
	for (int i = 0; i < 4; i++)
		assert_int_equal(rpc_call(fx.echo, "Echo", &echo.base, &resp, &fx.alloc, NULL), 0);
	for (int i = 0; i < TEST_MAX_STREAMS; i++)
		rpc_client_stream_close(open[i]);
	wait_for(&echo_count_ended, TEST_MAX_STREAMS);
	/* The places come back once the streams' threads are done. */
	req.hold = 0;
	for (int i = 0; i < 2000 && rc != 0; i++) {
		extra = count_open(fx.echo, "Count", &req, 5000, NULL, 0);
		rc = count_next(extra, &n);
		if (rc == 0) /* to its end: the handler has returned */
			assert_int_equal(count_next(extra, &n), 1);
		rpc_client_stream_close(extra);
		if (rc != 0)
			sleep_ms(5);
	}
	assert_int_equal(rc, 0);
}

/* The client reads nothing while the handler sends replies far beyond
 * what the sockets and HTTP/2 windows can hold: the handler must be held
 * in rpc_stream_send, not buffer them; then every reply arrives in order. */
static void
test_a_client_that_does_not_read_holds_the_sender(void **state)
{
	Kolo__Test__V1__CountRequest req = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_client_stream *st;
	int n, sent;

	req.count = FLOOD_COUNT;
	req.blob_bytes = FLOOD_BYTES;
	st = count_open(fx.echo, "Count", &req, 60000, NULL, 0);
	wait_for(&echo_count_sent, 1);
	sleep_ms(500); /* room to run ahead, were nothing holding it */
	sent = atomic_load(&echo_count_sent);
	print_message("flow control: %d of %d replies sent before any read\n", sent, FLOOD_COUNT);
	assert_true(sent < FLOOD_COUNT / 2);
	assert_int_equal(atomic_load(&echo_count_ended), 0);
	for (int i = 1; i <= FLOOD_COUNT; i++) {
		mem_arena_reset(fx.arena);
		assert_int_equal(count_next(st, &n), 0);
		assert_int_equal(n, i);
	}
	assert_int_equal(count_next(st, &n), 1);
	rpc_client_stream_close(st);
}

static rpc_client_stream *
watch_open(rpc_channel *health, const char *service, int64_t timeout_ms)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	rpc_call_opts opts = {.timeout_ms = timeout_ms};
	rpc_client_stream *st = NULL;

	req.service = (char *)service;
	assert_int_equal(rpc_stream_open(&st, health, "Watch", &req.base, &opts), 0);
	return st;
}

static int
watch_next(rpc_client_stream *st, int *status)
{
	ProtobufCMessage *msg = NULL;
	int rc = rpc_stream_next(st, &msg, &fx.alloc);

	*status = rc == 0 ? (int)((Grpc__Health__V1__HealthCheckResponse *)msg)->status : -1;
	return rc;
}

static rpc_channel *
health_channel(rpc_server *server)
{
	rpc_channel *ch = NULL;
	char target[64];

	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(server));
	assert_int_equal(rpc_channel_open(&ch, target, &grpc__health__v1__health__descriptor, NULL),
			 0);
	return ch;
}

/* Upstream: an unknown name is answered SERVICE_UNKNOWN, and the call is
 * not ended (here it runs into its deadline). */
static void
test_health_watch_of_an_unknown_service(void **state)
{
	rpc_channel *health = health_channel(fx.server);
	rpc_client_stream *st = watch_open(health, "kolo.nope.v1.Nope", 1500);
	int status;

	assert_int_equal(watch_next(st, &status), 0);
	assert_int_equal(status, SERVICE_UNKNOWN);
	assert_int_equal(watch_next(st, &status), ERR_DEADLINE_EXCEEDED);
	rpc_client_stream_close(st);
	rpc_channel_close(health);
}

/* Stop with open streams: holding ones, a Health/Watch, one blocked on a
 * client that reads nothing; every client gets an end status, stop
 * returns, every handler thread ended. */
static void
test_stop_ends_every_open_stream(void **state)
{
	Kolo__Test__V1__CountRequest hold = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	Kolo__Test__V1__CountRequest flood = KOLO__TEST__V1__COUNT_REQUEST__INIT;
	rpc_server *server = NULL;
	rpc_channel *echo = NULL, *health;
	rpc_client_stream *held[2], *flooded, *watch, *service_watch;
	int n, status, rc;

	assert_int_equal(start_server(&server, &echo, 1000, 8), 0);
	health = health_channel(server);
	hold.count = 1;
	hold.hold = 1;
	for (int i = 0; i < 2; i++) {
		held[i] = count_open(echo, "Count", &hold, 60000, NULL, 0);
		assert_int_equal(count_next(held[i], &n), 0);
	}
	flood.count = FLOOD_COUNT;
	flood.blob_bytes = FLOOD_BYTES;
	flooded = count_open(echo, "Count", &flood, 60000, NULL, 0);
	watch = watch_open(health, "", 60000);
	assert_int_equal(watch_next(watch, &status), 0);
	assert_int_equal(status, SERVING);
	service_watch = watch_open(health, "kolo.test.v1.EchoService", 60000);
	assert_int_equal(watch_next(service_watch, &status), 0);
	assert_int_equal(status, SERVING);
	wait_for(&echo_count_sent, 3);

	/* The flooded stream is held in send: stop cancels it after the
	 * grace period; the others end at once. */
	rpc_server_stop(server);
	assert_int_equal(atomic_load(&echo_count_ended), 3);

	for (int i = 0; i < 2; i++) {
		assert_int_equal(count_next(held[i], &n), ERR_UNAVAILABLE);
		assert_string_equal(err_last()->reason, "shutting_down");
		rpc_client_stream_close(held[i]);
	}
	assert_int_equal(watch_next(watch, &status), 0);
	assert_int_equal(status, NOT_SERVING);
	assert_int_equal(watch_next(watch, &status), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "shutting_down");
	assert_int_equal(watch_next(service_watch, &status), 0);
	assert_int_equal(status, NOT_SERVING);
	assert_int_equal(watch_next(service_watch, &status), ERR_UNAVAILABLE);
	do {
		mem_arena_reset(fx.arena);
		rc = count_next(flooded, &n);
	} while (rc == 0);
	assert_true(rc < 0);
	rpc_client_stream_close(flooded);
	rpc_client_stream_close(watch);
	rpc_client_stream_close(service_watch);
	rpc_channel_close(health);
	rpc_channel_close(echo);
}

/* The health-only probe server serves Watch too. */
static void
test_health_server_watch(void **state)
{
	rpc_server *server = NULL;
	rpc_channel *health;
	rpc_client_stream *st;
	int status;

	assert_int_equal(rpc_health_server_start(&server, "127.0.0.1:0"), 0);
	health = health_channel(server);
	st = watch_open(health, "", 60000);
	assert_int_equal(watch_next(st, &status), 0);
	assert_int_equal(status, SERVING);
	rpc_server_stop(server);
	assert_int_equal(watch_next(st, &status), 0);
	assert_int_equal(status, NOT_SERVING);
	assert_int_equal(watch_next(st, &status), ERR_UNAVAILABLE);
	rpc_client_stream_close(st);
	rpc_channel_close(health);
}

static int
unary_stub(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *resp)
{
	return 0;
}

static int
stream_stub(rpc_ctx *ctx, const ProtobufCMessage *req, rpc_stream *stream)
{
	return 0;
}

static int
start_table(const rpc_method *unary, size_t n_unary, const rpc_stream_method *streams,
	    size_t n_streams, const char *const *declared)
{
	const rpc_service svc = {
		.descriptor = &kolo__test__v1__echo_service__descriptor,
		.methods = unary,
		.n_methods = n_unary,
		.stream_methods = streams,
		.n_stream_methods = n_streams,
		.server_streaming = declared,
	};
	const rpc_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1};
	rpc_server *server = NULL;
	int rc = rpc_server_start(&server, &svc, &cfg);

	if (rc == 0)
		rpc_server_stop(server);
	return rc;
}

/* The .proto says which methods stream (the generated list); a table
 * that serves one the other way refuses to start. */
static void
test_tables_must_match_the_protos_streaming(void **state)
{
	static const rpc_method count_unary[] = {
		{.name = "Count", .handler = unary_stub, .auth = 0}};
	static const rpc_stream_method echo_stream[] = {
		{.name = "Echo", .stream_handler = stream_stub, .auth = 0}};
	static const rpc_stream_method count_stream[] = {
		{.name = "Count", .stream_handler = stream_stub, .auth = 0}};
	static const rpc_method echo_unary[] = {{.name = "Echo", .handler = unary_stub, .auth = 0}};
	const char *const *declared = KOLO__TEST__V1__ECHO_SERVICE__SERVER_STREAMING;

	assert_string_equal(declared[0], "Count");
	assert_string_equal(declared[1], "CountWho");
	assert_null(declared[2]);
	assert_int_equal(start_table(count_unary, 1, NULL, 0, declared), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	assert_int_equal(start_table(NULL, 0, echo_stream, 1, declared), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_method_table");
	/* A stream table without the .proto's list. */
	assert_int_equal(start_table(NULL, 0, count_stream, 1, NULL), ERR_INVALID_ARGUMENT);
	/* Both tables naming one method. */
	assert_int_equal(
		start_table((const rpc_method[]){{.name = "Count"}}, 1, count_stream, 1, declared),
		ERR_INVALID_ARGUMENT);
	/* The right way round starts. */
	assert_int_equal(start_table(echo_unary, 1, count_stream, 1, declared), 0);
	assert_int_equal(start_table(echo_unary, 1, NULL, 0, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_replies_arrive_in_order_then_ok, reset_counters),
		cmocka_unit_test_setup(test_handler_error_ends_the_stream_with_its_reason,
				       reset_counters),
		cmocka_unit_test_setup(test_a_reply_above_the_cap_fails_the_stream, reset_counters),
		cmocka_unit_test_setup(test_client_cancel_ends_the_handler, reset_counters),
		cmocka_unit_test_setup(test_deadline_ends_the_stream, reset_counters),
		cmocka_unit_test_setup(test_notify_wakes_a_waiting_stream, reset_counters),
		cmocka_unit_test_setup(test_notify_one_wakes_that_stream_alone, reset_counters),
		cmocka_unit_test_setup(test_stream_auth_is_the_methods, reset_counters),
		cmocka_unit_test_setup(test_streams_beyond_the_cap_are_refused, reset_counters),
		cmocka_unit_test_setup(test_a_client_that_does_not_read_holds_the_sender,
				       reset_counters),
		cmocka_unit_test_setup(test_health_watch_of_an_unknown_service, reset_counters),
		cmocka_unit_test_setup(test_stop_ends_every_open_stream, reset_counters),
		cmocka_unit_test_setup(test_health_server_watch, reset_counters),
		cmocka_unit_test(test_tables_must_match_the_protos_streaming),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
