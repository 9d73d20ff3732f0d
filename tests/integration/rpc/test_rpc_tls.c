/* shared/rpc with TLS and mutual TLS, certificates made by openssl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo_service.h"
#include "grpc/health/v1/health.pb-c.h"

static char dir[] = "/tmp/kolo-tls-XXXXXX";
static char paths[10][256];
static mem_arena *arena;
static ProtobufCAllocator alloc;

enum { CA, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY, STRANGER_CERT, STRANGER_KEY };

static const char *
path(int which)
{
	static const char *const names[] = {"ca.pem",	   "server.pem", "server.key",
					    "client.pem",  "client.key", "stranger.pem",
					    "stranger.key"};

	snprintf(paths[which], sizeof(paths[which]), "%s/%s", dir, names[which]);
	return paths[which];
}

static int
setup(void **state)
{
	char cmd[512];

	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash %s/make_certs.sh %s", KOLO_TEST_DIR, dir);
	if (system(cmd) != 0)
		return -1;
	rpc_init();
	arena = mem_arena_new(0);
	alloc = mem_arena_allocator(arena);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	mem_arena_free(arena);
	rpc_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static rpc_server *
start(int mutual)
{
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 1,
		.tls_cert_file = path(SERVER_CERT),
		.tls_key_file = path(SERVER_KEY),
		.tls_client_ca_file = mutual ? path(CA) : NULL,
	};
	rpc_server *server = NULL;

	assert_int_equal(rpc_server_start(&server, &echo_rpc_service, &cfg), 0);
	return server;
}

/* Calls Echo on the server with the given client TLS (NULL: plaintext). */
static int
call(rpc_server *server, const rpc_client_tls *tls)
{
	char target[64];
	rpc_channel *ch = NULL;
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 15000}; /* TLS under valgrind on a busy machine */
	int rc;

	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(server));
	assert_int_equal(
		rpc_channel_open(&ch, target, &kolo__test__v1__echo_service__descriptor, tls), 0);
	req.text = "secure";
	rc = rpc_call(ch, "Echo", &req.base, &resp, &alloc, &opts);
	if (rc == 0)
		assert_string_equal(((Kolo__Test__V1__EchoResponse *)resp)->text, "secure");
	rpc_channel_close(ch);
	return rc;
}

static void
test_tls_server_answers_tls_clients_only(void **state)
{
	rpc_server *server = start(0);
	rpc_client_tls tls = {.ca_file = path(CA)};

	assert_int_equal(call(server, &tls), 0);
	assert_int_equal(call(server, NULL), ERR_UNAVAILABLE);
	rpc_server_stop(server);
}

static void
test_mutual_tls_requires_a_client_certificate_of_the_ca(void **state)
{
	rpc_server *server = start(1);
	rpc_client_tls with_cert = {
		.ca_file = path(CA), .cert_file = path(CLIENT_CERT), .key_file = path(CLIENT_KEY)};
	rpc_client_tls no_cert = {.ca_file = path(CA)};
	rpc_client_tls stranger = {.ca_file = path(CA),
				   .cert_file = path(STRANGER_CERT),
				   .key_file = path(STRANGER_KEY)};

	assert_int_equal(call(server, &with_cert), 0);
	assert_int_equal(call(server, &no_cert), ERR_UNAVAILABLE);
	assert_int_equal(call(server, &stranger), ERR_UNAVAILABLE);
	assert_int_equal(call(server, NULL), ERR_UNAVAILABLE);
	rpc_server_stop(server);
}

/* Health/Check on a server, plaintext; the serving status or the error. */
static int
check_health(int port, int *serving)
{
	char target[64];
	rpc_channel *ch = NULL;
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 15000}; /* TLS under valgrind on a busy machine */
	int rc;

	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	assert_int_equal(rpc_channel_open(&ch, target, &grpc__health__v1__health__descriptor, NULL),
			 0);
	rc = rpc_call(ch, "Check", &req.base, &resp, &alloc, &opts);
	*serving =
		rc == 0 && ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
				   GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	rpc_channel_close(ch);
	return rc;
}

/* Beside a mutual-TLS server, a plaintext health-only one answers probes
 * that speak no TLS, and serves nothing else. */
static void
test_health_server_answers_plaintext_probes_beside_mutual_tls(void **state)
{
	rpc_server *server = start(1);
	rpc_server *health = NULL;
	int serving = 0;
	char target[64];
	rpc_channel *ch = NULL;
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 15000}; /* TLS under valgrind on a busy machine */

	assert_int_equal(rpc_health_server_start(&health, "127.0.0.1:0"), 0);
	assert_int_equal(check_health(rpc_server_port(health), &serving), 0);
	assert_true(serving);
	assert_int_equal(check_health(rpc_server_port(server), &serving), ERR_UNAVAILABLE);
	/* The health port serves Health alone. */
	snprintf(target, sizeof(target), "127.0.0.1:%d", rpc_server_port(health));
	assert_int_equal(
		rpc_channel_open(&ch, target, &kolo__test__v1__echo_service__descriptor, NULL), 0);
	req.text = "x";
	assert_int_equal(rpc_call(ch, "Echo", &req.base, &resp, &alloc, &opts), ERR_UNIMPLEMENTED);
	rpc_channel_close(ch);
	rpc_server_stop(health);
	rpc_server_stop(server);
}

static void
test_unreadable_tls_files_refuse_to_start(void **state)
{
	rpc_server_config cfg = {.addr = "127.0.0.1:0",
				 .tls_cert_file = "/nonexistent/cert.pem",
				 .tls_key_file = "/nonexistent/key.pem"};
	rpc_server *server = NULL;

	assert_int_equal(rpc_server_start(&server, &echo_rpc_service, &cfg), ERR_INVALID_ARGUMENT);
	assert_null(server);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_server_answers_tls_clients_only),
		cmocka_unit_test(test_mutual_tls_requires_a_client_certificate_of_the_ca),
		cmocka_unit_test(test_health_server_answers_plaintext_probes_beside_mutual_tls),
		cmocka_unit_test(test_unreadable_tls_files_refuse_to_start),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
