/* shared/metrics over real sockets: a call moves kolo_rpc_calls_total, the
 * scrape (GET /metrics on a metrics_http listener) says so, the database
 * and queue series move, and a server with a 1 s max connection age keeps
 * answering a client across several connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "echo_service.h"
#include "grpc/health/v1/health.pb-c.h"
#include "metrics/metrics.h"
#include "test_pg.h"

#define ECHO_SERVICE "kolo.test.v1.EchoService"
#define ECHO_METHOD  "/kolo.test.v1.EchoService/Echo"

typedef struct fixture {
	rpc_server *server;
	rpc_channel *echo;
	metrics_http *http;
	mem_arena *arena;
	ProtobufCAllocator alloc;
} fixture;

static fixture fx;

static int
start_echo(int64_t max_age_ms)
{
	char target[64];
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 2,
		.grace_ms = 2000,
		.max_conn_age_ms = max_age_ms,
		.max_conn_age_grace_ms = max_age_ms,
	};

	if (rpc_server_start(&fx.server, &echo_rpc_service, &cfg) < 0)
		return -1;
	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(fx.server));
	return rpc_channel_open(&fx.echo, target, &kolo__test__v1__echo_service__descriptor, NULL);
}

static void
stop_echo(void)
{
	rpc_channel_close(fx.echo);
	rpc_server_stop(fx.server);
	fx.echo = NULL;
	fx.server = NULL;
}

static int
setup(void **state)
{
	rpc_init();
	fx.arena = mem_arena_new(0);
	fx.alloc = mem_arena_allocator(fx.arena);
	return metrics_http_start(&fx.http, "127.0.0.1:0");
}

static int
teardown(void **state)
{
	metrics_http_stop(fx.http);
	mem_arena_free(fx.arena);
	rpc_shutdown();
	return 0;
}

static int
echo(const char *text, int fail_code)
{
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	rpc_call_opts opts = {.timeout_ms = 5000};
	ProtobufCMessage *out = NULL;

	req.text = (char *)text;
	req.fail_code = fail_code;
	req.fail_reason = fail_code ? "group_not_found" : NULL;
	mem_arena_reset(fx.arena);
	return rpc_call(fx.echo, "Echo", &req.base, &out, &fx.alloc, &opts);
}

/* GET path from the metrics listener over HTTP/1.0: the whole answer
 * (status line, headers, body), owned by the caller. */
static char *
http_get(const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char req[256], *buf = calloc(1, 1 << 20);
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_non_null(buf);
	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)metrics_http_port(fx.http));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: metrics\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	return buf;
}

/* The value of the sample named exactly series ("name{labels}") in a
 * scrape; -1 when absent. */
static double
sample(const char *scrape, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = strstr(scrape, series); p; p = strstr(p + 1, series)) {
		if ((p == scrape || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return -1;
}

/* The server counts a call after its status is sent, so the client may see
 * the reply first: wait (a bounded wait, not a timed assertion) until the
 * counter has reached want; the histogram is observed before it. */
static void
wait_calls(const char *code, int64_t want)
{
	struct timespec tick = {0, 5 * 1000 * 1000};

	for (int i = 0; i < 2000 && rpc_metrics_calls(ECHO_METHOD, code) < want; i++)
		nanosleep(&tick, NULL);
}

static void
test_a_call_moves_its_counter_and_the_scrape_shows_it(void **state)
{
	char *before, *after;
	double ok, not_found;

	assert_int_equal(start_echo(0), 0);
	assert_int_equal(echo("warm", 0), 0);
	wait_calls("OK", 1);
	before = http_get("/metrics");
	ok = sample(before, "kolo_rpc_calls_total{method=\"" ECHO_METHOD "\",code=\"OK\"}");
	assert_true(ok >= 1);
	assert_int_equal(rpc_metrics_calls(ECHO_METHOD, "OK"), (int64_t)ok);
	not_found = rpc_metrics_calls(ECHO_METHOD, "NOT_FOUND");

	assert_int_equal(echo("one", 0), 0);
	assert_int_equal(echo("two", 5), ERR_NOT_FOUND);
	wait_calls("OK", (int64_t)ok + 1);
	wait_calls("NOT_FOUND", (int64_t)not_found + 1);
	after = http_get("/metrics");
	assert_non_null(strstr(after, "HTTP/1.0 200") ? after : strstr(after, "HTTP/1.1 200"));
	assert_non_null(strstr(after, "text/plain; version=0.0.4"));
	assert_true(sample(after, "kolo_rpc_calls_total{method=\"" ECHO_METHOD "\",code=\"OK\"}") ==
		    ok + 1);
	assert_true(sample(after, "kolo_rpc_calls_total{method=\"" ECHO_METHOD
				  "\",code=\"NOT_FOUND\"}") == not_found + 1);
	assert_true(sample(after, "kolo_rpc_call_duration_seconds_count{method=\"" ECHO_METHOD
				  "\"}") == ok + not_found + 2);
	assert_true(sample(after, "kolo_rpc_call_duration_seconds_bucket{method=\"" ECHO_METHOD
				  "\",le=\"+Inf\"}") == ok + not_found + 2);
	assert_true(sample(after, "process_open_fds") > 0);
	assert_true(sample(after, "process_resident_memory_bytes") > 0);
	assert_true(sample(after, "process_start_time_seconds") > 1.6e9);
	assert_true(sample(after, "process_cpu_seconds_total") >= 0);
	free(before);
	free(after);
	stop_echo();
}

static void
test_other_paths_are_not_found(void **state)
{
	char *reply = http_get("/");

	assert_non_null(strstr(reply, " 404 "));
	assert_null(strstr(reply, "kolo_rpc_calls_total"));
	free(reply);
}

static int queue_measured;

static int
measure_queue(void *arg, int64_t *depth, double *oldest_age_s)
{
	queue_measured++;
	*depth = *(int64_t *)arg;
	*oldest_age_s = 12.5;
	return 0;
}

static int
failing_measure(void *arg, int64_t *depth, double *oldest_age_s)
{
	return err_set(ERR_UNAVAILABLE, "database_unavailable", "down");
}

static void
test_a_queue_is_measured_at_most_once_per_cache_interval(void **state)
{
	int64_t depth = 7;
	metrics_queue q = {
		.worker = "test_queue", .measure = measure_queue, .arg = &depth, .cache_ms = 60000};
	metrics_queue down = {.worker = "down_queue", .measure = failing_measure};
	char *first, *second, *gone;

	queue_measured = 0;
	metrics_queue_register(&q);
	metrics_queue_register(&q); /* twice is once */
	metrics_queue_register(&down);
	first = http_get("/metrics");
	depth = 9;
	second = http_get("/metrics");
	metrics_queue_unregister(&q);
	metrics_queue_unregister(&down);
	gone = http_get("/metrics");

	assert_int_equal(queue_measured, 1);
	assert_true(sample(first, "kolo_worker_queue_depth{worker=\"test_queue\"}") == 7);
	assert_true(sample(second, "kolo_worker_queue_depth{worker=\"test_queue\"}") == 7);
	assert_true(sample(first, "kolo_worker_queue_oldest_age_seconds{worker=\"test_queue\"}") ==
		    12.5);
	assert_null(strstr(first, "down_queue"));
	assert_null(strstr(gone, "test_queue"));
	free(first);
	free(second);
	free(gone);
}

static void
test_provider_calls_are_counted_by_outcome(void **state)
{
	char *before, *after;
	double ok, down, refused;

	before = http_get("/metrics");
	metrics_provider_call("paystack", 1, 200);
	metrics_provider_call("paystack", 0, 0);
	metrics_provider_call("paystack", 1, 503);
	metrics_provider_call("paystack", 1, 503);
	after = http_get("/metrics");
	ok = sample(before, "kolo_provider_calls_total{provider=\"paystack\",outcome=\"2xx\"}");
	down = sample(
		before,
		"kolo_provider_calls_total{provider=\"paystack\",outcome=\"transport_error\"}");
	refused =
		sample(before, "kolo_provider_calls_total{provider=\"paystack\",outcome=\"5xx\"}");
	assert_true(
		sample(after, "kolo_provider_calls_total{provider=\"paystack\",outcome=\"2xx\"}") ==
		(ok < 0 ? 0 : ok) + 1);
	assert_true(sample(after, "kolo_provider_calls_total{provider=\"paystack\",outcome="
				  "\"transport_error\"}") == (down < 0 ? 0 : down) + 1);
	assert_true(
		sample(after, "kolo_provider_calls_total{provider=\"paystack\",outcome=\"5xx\"}") ==
		(refused < 0 ? 0 : refused) + 2);
	free(before);
	free(after);
}

static int
tx_select(db_conn *c, void *arg)
{
	return db_run(c, "SELECT 1", 0, NULL);
}

static int
tx_fail(db_conn *c, void *arg)
{
	return db_run(c, "SELECT 1/0", 0, NULL);
}

static double
scrape_sample(const char *series)
{
	char *text = http_get("/metrics");
	double v = sample(text, series);

	free(text);
	return v < 0 ? 0 : v;
}

static void
test_transactions_and_connections_are_counted(void **state)
{
	char name[TEST_PG_NAME_MAX], *conninfo;
	db_conn *c = NULL;
	double committed, failed, idle;

	assert_int_equal(test_pg_create_db(name, sizeof(name)), 0);
	conninfo = test_pg_conninfo(name, NULL);
	assert_non_null(conninfo);
	committed = scrape_sample("kolo_db_transactions_total{outcome=\"committed\"}");
	failed = scrape_sample("kolo_db_transactions_total{outcome=\"failed\"}");
	idle = scrape_sample("kolo_db_connections{state=\"idle\"}");

	assert_int_equal(db_connect(&c, conninfo), 0);
	assert_true(scrape_sample("kolo_db_connections{state=\"idle\"}") == idle + 1);
	assert_int_equal(db_tx(c, 5000, tx_select, NULL), 0);
	assert_int_equal(db_tx(c, 5000, tx_fail, NULL), ERR_INVALID_ARGUMENT);
	assert_true(scrape_sample("kolo_db_transactions_total{outcome=\"committed\"}") ==
		    committed + 1);
	assert_true(scrape_sample("kolo_db_transactions_total{outcome=\"failed\"}") == failed + 1);
	assert_true(scrape_sample("kolo_db_connections{state=\"in_use\"}") == 0);
	assert_true(scrape_sample("kolo_db_connects_total{outcome=\"ok\"}") >= 1);
	db_close(c);
	assert_true(scrape_sample("kolo_db_connections{state=\"idle\"}") == idle);
	free(conninfo);
	test_pg_drop_db(name);
}

/* The server asks every connection to go away after about 1 s; the one
 * channel keeps calling for 3 s and every call succeeds, over more than
 * one connection. */
static void
test_calls_go_on_across_max_connection_age(void **state)
{
	struct timespec pause = {.tv_nsec = 100 * 1000000}, start, now;
	int64_t before = rpc_metrics_connections(ECHO_SERVICE);
	int calls = 0;

	assert_int_equal(start_echo(1000), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		assert_int_equal(echo("again", 0), 0);
		calls++;
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 3);
	assert_true(calls > 10);
	assert_true(rpc_metrics_connections(ECHO_SERVICE) - before > 1);
	stop_echo();
}

static rpc_client_stream *
watch_open(rpc_channel *health)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	rpc_call_opts opts = {.timeout_ms = 60000};
	rpc_client_stream *st = NULL;

	req.service = "";
	assert_int_equal(rpc_stream_open(&st, health, "Watch", &req.base, &opts), 0);
	return st;
}

/* A long stream (Health/Watch) on a connection past its max age ends
 * after the grace with UNAVAILABLE, long before its own 60 s deadline,
 * and a new one on the same channel is answered (a new connection). */
static void
test_a_long_stream_ends_after_the_age_and_grace(void **state)
{
	rpc_channel *health = NULL;
	rpc_client_stream *st;
	ProtobufCMessage *msg = NULL;
	char target[64];
	int rc;

	assert_int_equal(start_echo(1000), 0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(fx.server));
	assert_int_equal(
		rpc_channel_open(&health, target, &grpc__health__v1__health__descriptor, NULL), 0);
	st = watch_open(health);
	assert_int_equal(rpc_stream_next(st, &msg, &fx.alloc), 0); /* SERVING */
	rc = rpc_stream_next(st, &msg, &fx.alloc);
	assert_int_equal(rc, ERR_UNAVAILABLE);
	rpc_client_stream_close(st);

	st = watch_open(health);
	msg = NULL;
	assert_int_equal(rpc_stream_next(st, &msg, &fx.alloc), 0);
	assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)msg)->status,
			 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	rpc_client_stream_close(st);
	rpc_channel_close(health);
	stop_echo();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_call_moves_its_counter_and_the_scrape_shows_it),
		cmocka_unit_test(test_other_paths_are_not_found),
		cmocka_unit_test(test_a_queue_is_measured_at_most_once_per_cache_interval),
		cmocka_unit_test(test_provider_calls_are_counted_by_outcome),
		cmocka_unit_test(test_transactions_and_connections_are_counted),
		cmocka_unit_test(test_calls_go_on_across_max_connection_age),
		cmocka_unit_test(test_a_long_stream_ends_after_the_age_and_grace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
