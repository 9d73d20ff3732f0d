/* Request ids, traces and partial availability through the running suite
 * (run_trace.sh starts it with KOLO_LOG_LEVEL=debug; every process's
 * stderr is KOLO_TRACE_LOGS/<process>.log).
 *
 * Phase "trace" (KOLO_TRACE_PHASE): a CreateGroup sent to the gateway with
 * X-Request-Id and traceparent goes gateway -> groups -> payments
 * (ProvisionAccount); each process's log lines of that call carry the same
 * request_id and trace_id, each hop names the one before as its parent,
 * the reply has the id. An invalid traceparent starts a new trace (the same
 * in every process); an invalid X-Request-Id is replaced.
 * Phase "down": creates a group, stops kolo-ledger (KOLO_TRACE_LEDGER_PID),
 * then /readyz is 200 "degraded" with ledger NOT_SERVING, a ledger route
 * 503 service_unavailable with Retry-After, a groups route 200; writes the
 * group and token to KOLO_TRACE_STATE for phase "up" (after run_trace.sh
 * restarted the ledger): the ledger route answers 200 again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#define TRACE_ID     "4bf92f3577b34da6a3ce929d0e0e4736"
#define TRACE_PARENT "00-" TRACE_ID "-00f067aa0ba902b7-01"
#define WAIT_MS	     15000

static int
setup(void **state)
{
	if (!getenv("KOLO_E2E_URL") || !getenv("KOLO_TRACE_LOGS")) {
		fprintf(stderr, "KOLO_E2E_URL/KOLO_TRACE_LOGS not set: run through run_trace.sh\n");
		return -1;
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	curl_global_cleanup();
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* The JSON log lines of process (its stderr) whose request_id is id. */
static json_t *
lines_of(const char *process, const char *id)
{
	char path[512], line[8192];
	json_t *out = json_array();
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", getenv("KOLO_TRACE_LOGS"), process);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *rid = json_string_value(json_object_get(j, "request_id"));

		if (rid && strcmp(rid, id) == 0)
			json_array_append(out, j);
		json_decref(j);
	}
	fclose(f);
	return out;
}

/* The first line of process for id whose msg is msg, waiting for it (a
 * process logs a call once it answered it); a new reference. */
static json_t *
line_of(const char *process, const char *id, const char *msg)
{
	for (long waited = 0; waited <= WAIT_MS; waited += 100) {
		json_t *lines = lines_of(process, id), *v;
		size_t i;

		json_array_foreach(lines, i, v)
		{
			if (strcmp(json_string_value(json_object_get(v, "msg")), msg) == 0) {
				json_incref(v);
				json_decref(lines);
				return v;
			}
		}
		json_decref(lines);
		sleep_ms(100);
	}
	fail_msg("%s wrote no \"%s\" line for request %s", process, msg, id);
	return NULL;
}

static const char *
field(json_t *line, const char *key)
{
	const char *v = json_string_value(json_object_get(line, key));

	return v ? v : "";
}

/* Every line of process for id carries trace_id. */
static void
all_in_trace(const char *process, const char *id, const char *trace_id)
{
	json_t *lines = lines_of(process, id), *v;
	size_t i;

	assert_true(json_array_size(lines) > 0);
	json_array_foreach(lines, i, v) assert_string_equal(field(v, "trace_id"), trace_id);
	json_decref(lines);
}

static void
create_group(e2e_reply *r, const e2e_user *owner, const char *id_header, const char *traceparent,
	     long status)
{
	char body[128];
	e2e_opts o = {.token = owner->access,
		      .body = body,
		      .header = id_header,
		      .header2 = traceparent,
		      .header3 = "tracestate: kolo=t61,vendor=x"};

	snprintf(body, sizeof(body), "{\"name\":\"Trace %d\"}", getpid());
	e2e_expect(r, "POST", "/v1/groups", &o, status, "");
}

static void
test_one_request_id_and_trace_through_every_hop(void **state)
{
	e2e_user owner;
	char id[64], header[96];
	json_t *gw, *groups, *groups_out, *payments;
	e2e_reply r;

	e2e_register(&owner, "trace");
	snprintf(id, sizeof(id), "trace-%d-ok", getpid());
	snprintf(header, sizeof(header), "X-Request-Id: %s", id);
	create_group(&r, &owner, header, "traceparent: " TRACE_PARENT, 201);
	assert_string_equal(r.request_id, id);
	e2e_reply_free(&r);

	gw = line_of("gateway", id, "request");
	groups = line_of("groups", id, "call");
	payments = line_of("payments", id, "call");
	/* Each hop keeps the trace and names the one before as its parent. */
	assert_string_equal(field(gw, "trace_id"), TRACE_ID);
	assert_string_equal(field(gw, "parent_id"), "00f067aa0ba902b7");
	assert_string_equal(field(groups, "method"), "/kolo.groups.v1.GroupsService/CreateGroup");
	assert_string_equal(field(groups, "trace_id"), TRACE_ID);
	assert_string_equal(field(groups, "parent_id"), field(gw, "span_id"));
	assert_string_equal(field(payments, "method"),
			    "/kolo.payments.v1.PaymentsService/ProvisionAccount");
	assert_string_equal(field(payments, "trace_id"), TRACE_ID);
	assert_string_equal(field(payments, "parent_id"), field(groups, "span_id"));
	assert_string_not_equal(field(groups, "span_id"), field(payments, "span_id"));
	/* Every line written during the call, not only the access lines. */
	groups_out = line_of("groups", id, "group_created");
	assert_string_equal(field(groups_out, "span_id"), field(groups, "span_id"));
	all_in_trace("gateway", id, TRACE_ID);
	all_in_trace("groups", id, TRACE_ID);
	all_in_trace("payments", id, TRACE_ID);
	json_decref(gw);
	json_decref(groups);
	json_decref(groups_out);
	json_decref(payments);
}

static void
test_invalid_traceparent_starts_a_new_trace(void **state)
{
	e2e_user owner;
	char id[64], header[96], trace_id[40];
	json_t *gw, *refused, *groups, *payments;
	e2e_reply r;

	e2e_register(&owner, "trace-bad");
	snprintf(id, sizeof(id), "trace-%d-bad", getpid());
	snprintf(header, sizeof(header), "X-Request-Id: %s", id);
	/* Upper-case hex is not W3C's. */
	create_group(&r, &owner, header,
		     "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", 201);
	assert_string_equal(r.request_id, id);
	e2e_reply_free(&r);

	gw = line_of("gateway", id, "request");
	refused = line_of("gateway", id, "traceparent refused: a new trace begins");
	snprintf(trace_id, sizeof(trace_id), "%s", field(gw, "trace_id"));
	assert_int_equal(strlen(trace_id), 32);
	assert_string_not_equal(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_true(json_object_get(gw, "parent_id") == json_null() ||
		    !json_object_get(gw, "parent_id"));
	groups = line_of("groups", id, "call");
	payments = line_of("payments", id, "call");
	assert_string_equal(field(groups, "trace_id"), trace_id);
	assert_string_equal(field(payments, "trace_id"), trace_id);
	all_in_trace("groups", id, trace_id);
	all_in_trace("payments", id, trace_id);
	json_decref(gw);
	json_decref(refused);
	json_decref(groups);
	json_decref(payments);
}

static void
test_invalid_request_id_is_replaced(void **state)
{
	char header[256], long_id[130];
	e2e_reply r;
	e2e_opts o = {.header = header};

	memset(long_id, 'a', 129);
	long_id[129] = '\0';
	snprintf(header, sizeof(header), "X-Request-Id: %s", long_id);
	e2e_expect(&r, "GET", "/healthz", &o, 200, "");
	assert_int_equal(strlen(r.request_id), 32);
	e2e_reply_free(&r);
	/* 128 of the allowed characters, ':' included, are kept. */
	memset(long_id, 'b', 128);
	long_id[3] = ':';
	long_id[128] = '\0';
	snprintf(header, sizeof(header), "X-Request-Id: %s", long_id);
	e2e_expect(&r, "GET", "/healthz", &o, 200, "");
	assert_string_equal(r.request_id, long_id);
	e2e_reply_free(&r);
}

/* --- partial availability ------------------------------------------------ */

static json_t *
readyz_until_ledger(const char *state_word)
{
	for (long waited = 0; waited <= WAIT_MS; waited += 100) {
		e2e_reply r;
		json_t *body;

		e2e_http(&r, "GET", "/readyz", NULL);
		body = json_incref(r.json);
		e2e_reply_free(&r);
		if (body && strcmp(json_string_value(json_object_get(
					   json_object_get(body, "services"), "ledger")),
				   state_word) == 0)
			return body;
		json_decref(body);
		sleep_ms(100);
	}
	fail_msg("/readyz never said ledger %s", state_word);
	return NULL;
}

static void
test_one_service_down_leaves_the_others(void **state)
{
	e2e_user owner;
	char gid[64], path[160];
	e2e_opts o = {0};
	e2e_reply r;
	json_t *body;
	FILE *f;
	pid_t ledger = (pid_t)atoi(getenv("KOLO_TRACE_LEDGER_PID"));

	e2e_register(&owner, "partial");
	e2e_group(gid, &owner, "Partial");
	o.token = owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(NULL, "GET", path, &o, 200, "");

	assert_true(ledger > 0);
	assert_int_equal(kill(ledger, SIGTERM), 0);
	body = readyz_until_ledger("NOT_SERVING");
	e2e_http(&r, "GET", "/readyz", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(e2e_str(&r, "status"), "degraded");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "services"), "groups")),
		"SERVING");
	e2e_reply_free(&r);
	json_decref(body);

	/* The ledger's routes say so at once; bounded wait for its exit. */
	for (long waited = 0;; waited += 100) {
		e2e_http(&r, "GET", path, &o);
		if (r.status == 503 && strcmp(e2e_error_code(&r), "service_unavailable") == 0)
			break;
		assert_true(waited < WAIT_MS);
		e2e_reply_free(&r);
		sleep_ms(100);
	}
	assert_string_equal(r.retry_after, "5");
	e2e_reply_free(&r);
	e2e_expect(&r, "GET", path, &o, 503, "service_unavailable");
	assert_non_null(strstr(r.body, "ledger"));
	e2e_reply_free(&r);
	/* The other services' routes keep working. */
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	e2e_expect(NULL, "GET", path, &o, 200, "");
	e2e_expect(NULL, "GET", "/v1/me", &o, 200, "");

	f = fopen(getenv("KOLO_TRACE_STATE"), "w");
	assert_non_null(f);
	fprintf(f, "%s\n%s\n", gid, owner.access);
	fclose(f);
}

static void
test_the_ledger_back(void **state)
{
	char gid[64], access[2048], path[160];
	e2e_opts o = {.token = access};
	FILE *f = fopen(getenv("KOLO_TRACE_STATE"), "r");
	json_t *body;

	assert_non_null(f);
	assert_non_null(fgets(gid, sizeof(gid), f));
	assert_non_null(fgets(access, sizeof(access), f));
	fclose(f);
	gid[strcspn(gid, "\n")] = '\0';
	access[strcspn(access, "\n")] = '\0';
	body = readyz_until_ledger("SERVING");
	assert_string_equal(json_string_value(json_object_get(body, "status")), "ready");
	json_decref(body);
	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	/* The channel reconnects within its backoff (a second at most). */
	for (long waited = 0;; waited += 100) {
		e2e_reply r;

		e2e_http(&r, "GET", path, &o);
		if (r.status == 200) {
			e2e_reply_free(&r);
			break;
		}
		assert_int_equal(r.status, 503);
		assert_true(waited < WAIT_MS);
		e2e_reply_free(&r);
		sleep_ms(100);
	}
	e2e_expect(NULL, "GET", path, &o, 200, "");
}

int
main(void)
{
	const char *phase = getenv("KOLO_TRACE_PHASE");
	const struct CMUnitTest trace[] = {
		cmocka_unit_test(test_one_request_id_and_trace_through_every_hop),
		cmocka_unit_test(test_invalid_traceparent_starts_a_new_trace),
		cmocka_unit_test(test_invalid_request_id_is_replaced),
	};
	const struct CMUnitTest down[] = {
		cmocka_unit_test(test_one_service_down_leaves_the_others),
	};
	const struct CMUnitTest up[] = {
		cmocka_unit_test(test_the_ledger_back),
	};

	if (phase && strcmp(phase, "down") == 0)
		return cmocka_run_group_tests(down, setup, teardown);
	if (phase && strcmp(phase, "up") == 0)
		return cmocka_run_group_tests(up, setup, teardown);
	return cmocka_run_group_tests(trace, setup, teardown);
}
