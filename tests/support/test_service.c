#include "test_service.h"

#include <stdio.h>

#include "db/db.h"

static void test_worker_db(void *conninfo)
{
	db_thread_set_conninfo(conninfo);
}

int test_service_start_db(test_service *out, const rpc_service *svc,
			  const auth_keyring *keys, const char *conninfo)
{
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 4,
		.keys = keys,
		.internal_token = TEST_INTERNAL_TOKEN,
		.grace_ms = 5000,
		.worker_start = conninfo ? test_worker_db : NULL,
		.worker_arg = (void *)conninfo,
	};

	if (rpc_server_start(&out->server, svc, &cfg) < 0) {
		fprintf(stderr, "cannot start %s: %s\n", svc->descriptor->name,
			err_last()->message);
		return -1;
	}
	snprintf(out->target, sizeof(out->target), "127.0.0.1:%d",
		 rpc_server_port(out->server));
	return rpc_channel_open(&out->channel, out->target, svc->descriptor,
				NULL) < 0
		       ? -1
		       : 0;
}

int test_service_start(test_service *out, const rpc_service *svc,
		       const auth_keyring *keys)
{
	return test_service_start_db(out, svc, keys, NULL);
}

void test_service_stop(test_service *ts)
{
	if (ts->channel)
		rpc_channel_close(ts->channel);
	if (ts->server)
		rpc_server_stop(ts->server);
	ts->channel = NULL;
	ts->server = NULL;
}

int test_call(test_service *ts, const char *method, const ProtobufCMessage *req,
	      ProtobufCMessage **resp, mem_arena *arena, const test_caller *who)
{
	static const test_caller nobody = { 0 };
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	rpc_metadata md[4];
	rpc_call_opts opts = { .timeout_ms = 10000, .metadata = md };
	char *bearer = NULL;

	if (!who)
		who = &nobody;
	if (who->timeout_ms > 0)
		opts.timeout_ms = who->timeout_ms;
	if (who->access_token) {
		bearer = mem_arena_printf(arena, "Bearer %s", who->access_token);
		md[opts.n_metadata++] = (rpc_metadata){ "authorization", bearer };
	}
	if (who->internal)
		md[opts.n_metadata++] =
			(rpc_metadata){ RPC_INTERNAL_TOKEN_KEY, TEST_INTERNAL_TOKEN };
	if (who->user_agent)
		md[opts.n_metadata++] = (rpc_metadata){ "x-user-agent", who->user_agent };
	if (who->forwarded_for)
		md[opts.n_metadata++] =
			(rpc_metadata){ "x-forwarded-for", who->forwarded_for };
	return rpc_call(ts->channel, method, req, resp, &alloc, &opts);
}
