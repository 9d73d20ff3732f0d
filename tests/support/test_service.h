/* test_service: a service's method table served in-process over real gRPC
 * on a loopback port, and calls to it with the metadata tests need. */
#ifndef KOLO_TEST_SERVICE_H
#define KOLO_TEST_SERVICE_H

#include "rpc/rpc.h"

/* Every caller's service token in tests is this with its name appended
 * (test_caller_token): each process its own, as in production. */
#define TEST_INTERNAL_TOKEN "test-internal-token-0123456789abcdef-"

typedef struct test_service {
	rpc_server *server;
	rpc_channel *channel;
	char target[64];
	const char *service_name; /* the descriptor's full name */
	const char *caller;	  /* its caller name ("ledger"); NULL: none */
	const char *conninfo;	  /* its workers' database; NULL: none */
	/* Its workers' read replica (db_read); NULL: none. Set before
	 * test_service_start_db (borrowed; it must outlive the server). */
	const char *read_conninfo;
} test_service;

/* The test service token of caller ("payments"): static. */
const char *test_caller_token(const char *caller);

/* svc_calls_configure() as caller with its test token: the calling
 * process's (and thread's) internal calls present it. */
void test_calls_configure(const char *caller);

/* Starts svc on 127.0.0.1:<any> with 4 workers, the given public keys and
 * every caller's test token hash, and opens a channel to it. Its worker
 * threads call other services as svc's own caller name. 0 or -1. */
int test_service_start(test_service *out, const rpc_service *svc, const auth_keyring *keys);

/* test_service_start() whose worker threads connect to the database with
 * conninfo (borrowed; it must outlive the server): several services, each
 * as its own role, in one test process. */
int test_service_start_db(test_service *out, const rpc_service *svc, const auth_keyring *keys,
			  const char *conninfo);

/* Closes the channel and stops the server. */
void test_service_stop(test_service *ts);

/* How a test call presents itself. */
typedef struct test_caller {
	const char *access_token; /* sent as "authorization: Bearer ..." */
	int internal;		  /* a service call, as a caller the table allows */
	const char *caller;	  /* a service call as this caller ("gateway") */
	const char *user_agent;
	const char *forwarded_for;
	int64_t timeout_ms; /* the call's deadline; 0: 10000 */
} test_caller;

/* Calls method; the reply is allocated in arena. Returns rpc_call()'s
 * result (err_last() holds the reason of a failure). */
int test_call(test_service *ts, const char *method, const ProtobufCMessage *req,
	      ProtobufCMessage **resp, mem_arena *arena, const test_caller *who);

#endif
