/* log/trace.h: request ids, W3C traceparent, and log lines carrying the
 * thread's call context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "log/trace.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void
test_request_id_rule(void **state)
{
	char id[130];

	assert_true(trace_request_id_valid("req-42"));
	assert_true(trace_request_id_valid("a.b_c:d-E9"));
	assert_false(trace_request_id_valid(""));
	assert_false(trace_request_id_valid(NULL));
	assert_false(trace_request_id_valid("bad id"));
	assert_false(trace_request_id_valid("quote\""));
	assert_false(trace_request_id_valid("caf\xc3\xa9"));
	memset(id, 'x', 128);
	id[128] = '\0';
	assert_true(trace_request_id_valid(id));
	id[128] = 'x';
	id[129] = '\0';
	assert_false(trace_request_id_valid(id));
}

static void
test_traceparent_valid(void **state)
{
	trace_ctx t = {0};

	assert_int_equal(trace_parse_traceparent(&t, TP), 0);
	assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(t.parent_id, "00f067aa0ba902b7");
	assert_string_equal(t.flags, "01");
	/* A later version may carry more fields after a '-'. */
	assert_int_equal(
		trace_parse_traceparent(
			&t, "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what"),
		0);
	assert_string_equal(t.flags, "00");
}

static void
test_traceparent_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"00",
		/* upper case */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		/* version ff */
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		/* all-zero trace id, all-zero parent id */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		/* 00 with more after it */
		TP "-extra",
		/* a later version with more not after a '-' */
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x",
		/* short fields, wrong separators, non-hex */
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
		"0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	};
	trace_ctx t = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (trace_parse_traceparent(&t, bad[i]) != -1)
			fail_msg("accepted %s", bad[i]);
	}
	assert_string_equal(t.trace_id, "");
}

static void
test_begin_keeps_what_is_valid(void **state)
{
	trace_ctx t;
	char out[TRACE_PARENT_LEN + 1];

	assert_int_equal(trace_begin(&t, "req-1", TP, "kolo=1,x=y"), 0);
	assert_string_equal(t.request_id, "req-1");
	assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(t.parent_id, "00f067aa0ba902b7");
	assert_string_equal(t.tracestate, "kolo=1,x=y");
	assert_int_equal(strlen(t.span_id), 16);
	assert_string_not_equal(t.span_id, "00f067aa0ba902b7");
	trace_format_traceparent(&t, out);
	assert_int_equal(strlen(out), TRACE_PARENT_LEN);
	assert_memory_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36);
	assert_memory_equal(out + 36, t.span_id, 16);
	assert_string_equal(out + 52, "-01");
}

static void
test_begin_makes_what_is_missing_or_refused(void **state)
{
	trace_ctx t, u;

	assert_int_equal(trace_begin(&t, NULL, NULL, "kolo=1"), 0);
	assert_int_equal(strlen(t.request_id), 32);
	assert_int_equal(strlen(t.trace_id), 32);
	assert_string_equal(t.parent_id, "");
	assert_string_equal(t.flags, "00");
	/* No tracestate without a traceparent. */
	assert_string_equal(t.tracestate, "");
	assert_int_equal(trace_begin(&u, "bad id", "00-nope", NULL),
			 TRACE_REFUSED_REQUEST_ID | TRACE_REFUSED_TRACEPARENT);
	assert_int_equal(strlen(u.request_id), 32);
	assert_string_not_equal(u.request_id, t.request_id);
	assert_string_not_equal(u.trace_id, t.trace_id);
	assert_string_equal(u.parent_id, "");
	/* A tracestate with control characters is dropped. */
	assert_int_equal(trace_begin(&u, "r", TP, "a=b\nc"), 0);
	assert_string_equal(u.tracestate, "");
}

/* New ids come from a per-thread pool of random bytes (issue 25): across
 * many refills of the pool every id is new, hex, of its length, and no
 * id's bytes are another's (a byte handed out twice would repeat ids). */
#define N_IDS 300

static int
test_seen(char (*seen)[33], size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(seen[i], id) == 0)
			return 1;
	}
	return 0;
}

static void
test_begin_ids_are_never_repeated(void **state)
{
	static char seen[3 * N_IDS][33];
	size_t n = 0;
	trace_ctx t;

	(void)state;
	for (int i = 0; i < N_IDS; i++) {
		const char *ids[3];

		trace_begin(&t, NULL, NULL, NULL);
		ids[0] = t.request_id;
		ids[1] = t.trace_id;
		ids[2] = t.span_id;
		assert_int_equal(strlen(t.request_id), 32);
		assert_int_equal(strlen(t.trace_id), 32);
		assert_int_equal(strlen(t.span_id), 16);
		for (int k = 0; k < 3; k++) {
			assert_int_equal(strspn(ids[k], "0123456789abcdef"), strlen(ids[k]));
			/* A span id is 8 bytes: compared as its own 16 digits. */
			assert_false(test_seen(seen, n, ids[k]));
			snprintf(seen[n++], sizeof(seen[0]), "%s", ids[k]);
		}
	}
}

/* The lines log_event writes to stderr while fn runs. */
static void
capture(char *out, size_t cap, void (*fn)(void))
{
	int fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, cap - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
}

static void
log_in_and_out_of_a_call(void)
{
	trace_ctx t;

	trace_begin(&t, "req-ctx", TP, NULL);
	log_context_set(&t);
	log_event(LOG_LVL_WARN, "inside", "k", "v", NULL);
	log_context_clear();
	log_event(LOG_LVL_WARN, "outside", NULL);
}

static void
test_log_lines_carry_the_call(void **state)
{
	char buf[4096], *nl;
	json_t *in, *out;

	capture(buf, sizeof(buf), log_in_and_out_of_a_call);
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	in = json_loads(buf, 0, NULL);
	out = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(in);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(in, "request_id")), "req-ctx");
	assert_string_equal(json_string_value(json_object_get(in, "trace_id")),
			    "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_int_equal(strlen(json_string_value(json_object_get(in, "span_id"))), 16);
	assert_string_equal(json_string_value(json_object_get(in, "k")), "v");
	assert_null(json_object_get(out, "request_id"));
	assert_null(json_object_get(out, "trace_id"));
	json_decref(in);
	json_decref(out);
}

static void
test_http_header_only_inside_a_call(void **state)
{
	char line[96] = "";
	trace_ctx t;

	log_context_clear();
	assert_int_equal(trace_http_header(line, sizeof(line)), 0);
	assert_string_equal(line, "");
	trace_begin(&t, NULL, TP, NULL);
	log_context_set(&t);
	assert_int_equal(trace_http_header(line, sizeof(line)), 1);
	assert_memory_equal(line, "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-", 49);
	log_context_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_id_rule),
		cmocka_unit_test(test_traceparent_valid),
		cmocka_unit_test(test_traceparent_invalid),
		cmocka_unit_test(test_begin_keeps_what_is_valid),
		cmocka_unit_test(test_begin_makes_what_is_missing_or_refused),
		cmocka_unit_test(test_begin_ids_are_never_repeated),
		cmocka_unit_test(test_log_lines_carry_the_call),
		cmocka_unit_test(test_http_header_only_inside_a_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
