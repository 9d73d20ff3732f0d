#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_fake_flw.h"

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_SCRIPT KOLO_SOURCE_DIR "/tests/fake_flutterwave/fake_flutterwave.py"

static pid_t fake_pid = -1;
static int fake_stdin = -1, fake_stdout = -1;
static char base_url[64];

typedef struct fake_buf {
	char *data;
	size_t len;
} fake_buf;

static size_t
fake_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	fake_buf *b = userdata;
	size_t n = size * nmemb;

	b->data = realloc(b->data, b->len + n + 1);
	assert_non_null(b->data);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

char *
test_fake_flw_http(const char *method, const char *path, const char *body, long *status)
{
	char url[256];
	fake_buf b = {calloc(1, 1), 0};
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fake_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	return b.data;
}

void
test_fake_flw_control(const char *what, const char *body)
{
	char path[64];
	long status = 0;
	char *reply;

	snprintf(path, sizeof(path), "/_control/%s", what);
	reply = test_fake_flw_http("POST", path, body, &status);
	if (status != 200)
		fail_msg("control %s %s: %ld %s", what, body, status, reply);
	free(reply);
}

void
test_fake_flw_mode(const char *endpoint, const char *behaviour, int times)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"endpoint\":\"%s\",\"behaviour\":\"%s\",\"times\":%d}",
		 endpoint, behaviour, times);
	test_fake_flw_control("mode", body);
}

json_t *
test_fake_flw_stats(void)
{
	long status = 0;
	char *reply = test_fake_flw_http("GET", "/_control/stats", NULL, &status);
	json_t *j = json_loads(reply, 0, NULL);

	assert_int_equal(status, 200);
	assert_non_null(j);
	free(reply);
	return j;
}

/* stats[table][key] as a number (0 when absent). */
static json_int_t
fake_stat(const char *table, const char *key)
{
	json_t *s = test_fake_flw_stats();
	json_t *n = json_object_get(json_object_get(s, table), key);
	json_int_t v = json_is_integer(n) ? json_integer_value(n) : 0;

	json_decref(s);
	return v;
}

json_int_t
test_fake_flw_transfers_created(const char *reference)
{
	return fake_stat("transfers_created", reference);
}

json_int_t
test_fake_flw_accounts_created(const char *tx_ref)
{
	return fake_stat("virtual_accounts_created", tx_ref);
}

json_int_t
test_fake_flw_requests(const char *path)
{
	return fake_stat("requests", path);
}

json_int_t
test_fake_flw_counter(const char *name)
{
	json_t *s = test_fake_flw_stats();
	json_t *n = json_object_get(s, name);
	json_int_t v;

	assert_true(json_is_integer(n));
	v = json_integer_value(n);
	json_decref(s);
	return v;
}

char *
test_fake_flw_last_body(const char *path)
{
	json_t *s = test_fake_flw_stats();
	json_t *v = json_object_get(json_object_get(s, "last_body"), path);
	char *out;

	assert_true(json_is_string(v));
	out = strdup(json_string_value(v));
	json_decref(s);
	return out;
}

void
test_fake_flw_transaction_fee(const char *id, const char *tx_ref, const char *amount,
			      const char *app_fee, const char *status)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"id\":\"%s\",\"tx_ref\":\"%s\",\"amount\":%s,\"currency\":\"NGN\","
		 "\"status\":\"%s\",\"app_fee\":%s}",
		 id, tx_ref, amount, status, app_fee);
	test_fake_flw_control("transaction", body);
}

void
test_fake_flw_transaction(const char *id, const char *tx_ref, const char *amount,
			  const char *status)
{
	test_fake_flw_transaction_fee(id, tx_ref, amount, "0", status);
}

void
test_fake_flw_raw_reply(const char *id, const char *reply)
{
	json_t *j = json_pack("{s:s, s:s}", "id", id, "reply_raw", reply);
	char *body = json_dumps(j, JSON_COMPACT);

	test_fake_flw_control("transaction", body);
	free(body);
	json_decref(j);
}

void
test_fake_flw_transfer_status(const char *reference, const char *status)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"%s\"}", reference, status);
	test_fake_flw_control("transfer_status", body);
}

const char *
test_fake_flw_url(void)
{
	return base_url;
}

/* Reads the fake's first line ("listening <port>"); 0 or -1. */
static int
fake_read_port(int *port)
{
	char line[128];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		struct pollfd pfd = {.fd = fake_stdout, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 20000) <= 0) {
			fprintf(stderr, "the fake flutterwave did not start\n");
			return -1;
		}
		n = read(fake_stdout, line + len, 1);
		if (n <= 0) {
			fprintf(stderr, "the fake flutterwave exited\n");
			return -1;
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (sscanf(line, "listening %d", port) != 1 || *port <= 0) {
		fprintf(stderr, "unexpected first line from the fake: %s\n", line);
		return -1;
	}
	return 0;
}

int
test_fake_flw_start(void)
{
	return test_fake_start_script(FAKE_SCRIPT, TEST_FAKE_FLW_SECRET_KEY);
}

int
test_fake_start_script(const char *script, const char *secret_key)
{
	int out_pipe[2], in_pipe[2];
	int port = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || pipe(out_pipe) != 0)
		return -1;
	if (pipe(in_pipe) != 0) {
		close(out_pipe[0]);
		close(out_pipe[1]);
		return -1;
	}
	fake_pid = fork();
	if (fake_pid < 0) {
		fprintf(stderr, "cannot fork the fake flutterwave\n");
		return -1;
	}
	if (fake_pid == 0) {
		dup2(in_pipe[0], 0);
		dup2(out_pipe[1], 1);
		close(in_pipe[0]);
		close(in_pipe[1]);
		close(out_pipe[0]);
		close(out_pipe[1]);
		/* --watch-stdin: the fake exits with us even if we crash. */
		execl("/usr/bin/python3", "python3", script, "--port", "0", "--secret-key",
		      secret_key, "--watch-stdin", (char *)NULL);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	fake_stdin = in_pipe[1];
	fake_stdout = out_pipe[0];
	if (fake_read_port(&port) < 0)
		return -1;
	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%d", port);
	return 0;
}

void
test_fake_flw_stop(void)
{
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
		fake_pid = -1;
	}
	if (fake_stdin >= 0)
		close(fake_stdin);
	if (fake_stdout >= 0)
		close(fake_stdout);
	fake_stdin = fake_stdout = -1;
	curl_global_cleanup();
}
