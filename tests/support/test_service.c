#include "test_service.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "svc/call.h"

const char *
test_caller_token(const char *caller)
{
	static const char *const tokens[RPC_N_CALLERS] = {
		TEST_INTERNAL_TOKEN "identity", TEST_INTERNAL_TOKEN "groups",
		TEST_INTERNAL_TOKEN "ledger",	TEST_INTERNAL_TOKEN "withdrawals",
		TEST_INTERNAL_TOKEN "payments", TEST_INTERNAL_TOKEN "gateway",
		TEST_INTERNAL_TOKEN "events",
	};
	unsigned flag = rpc_caller_from_name(caller);

	for (int i = 0; i < RPC_N_CALLERS; i++) {
		if (flag == 1u << i)
			return tokens[i];
	}
	return TEST_INTERNAL_TOKEN "nobody";
}

void
test_calls_configure(const char *caller)
{
	svc_calls_configure(caller, test_caller_token(caller));
	svc_calls_thread_caller(NULL, NULL);
}

/* "name:hash,..." of every caller's test token (static). */
static const char *
test_caller_hashes(void)
{
	static char spec[RPC_N_CALLERS * (RPC_TOKEN_HASH_HEX + 16)];
	char hex[RPC_TOKEN_HASH_HEX + 1];
	size_t len = 0;

	for (int i = 0; i < RPC_N_CALLERS; i++) {
		const char *name = rpc_caller_name(1u << i);

		rpc_token_hash_hex(hex, test_caller_token(name));
		len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s%s:%s", i ? "," : "",
					name, hex);
	}
	return spec;
}

/* "kolo.ledger.v1.LedgerService" -> "ledger" when that is a caller. */
static const char *
test_caller_of(const char *service_name)
{
	for (int i = 0; i < RPC_N_CALLERS; i++) {
		const char *name = rpc_caller_name(1u << i);
		size_t len = strlen(name);

		if (strncmp(service_name, "kolo.", 5) == 0 &&
		    strncmp(service_name + 5, name, len) == 0 && service_name[5 + len] == '.')
			return name;
	}
	return NULL;
}

static void
test_worker_start(void *arg)
{
	const test_service *ts = arg;

	if (ts->conninfo)
		db_thread_set_conninfo(ts->conninfo);
	db_replica_thread_set_conninfo(ts->read_conninfo);
	/* Several services share this process: each one's workers call as it. */
	if (ts->caller)
		svc_calls_thread_caller(ts->caller, test_caller_token(ts->caller));
}

int
test_service_start_db(test_service *out, const rpc_service *svc, const auth_keyring *keys,
		      const char *conninfo)
{
	rpc_server_config cfg = {
		.addr = "127.0.0.1:0",
		.workers = 4,
		.keys = keys,
		.caller_token_hashes = test_caller_hashes(),
		.grace_ms = 5000,
		.worker_start = test_worker_start,
		.worker_arg = out,
	};

	out->service_name = svc->descriptor->name;
	out->caller = test_caller_of(svc->descriptor->name);
	out->conninfo = conninfo;

	if (rpc_server_start(&out->server, svc, &cfg) < 0) {
		fprintf(stderr, "cannot start %s: %s\n", svc->descriptor->name,
			err_last()->message);
		return -1;
	}
	snprintf(out->target, sizeof(out->target), "127.0.0.1:%d", rpc_server_port(out->server));
	return rpc_channel_open(&out->channel, out->target, svc->descriptor, NULL) < 0 ? -1 : 0;
}

int
test_service_start(test_service *out, const rpc_service *svc, const auth_keyring *keys)
{
	return test_service_start_db(out, svc, keys, NULL);
}

void
test_service_stop(test_service *ts)
{
	if (ts->channel)
		rpc_channel_close(ts->channel);
	if (ts->server)
		rpc_server_stop(ts->server);
	ts->channel = NULL;
	ts->server = NULL;
}

/* A caller the caller table allows for ts's method; "gateway" when none. */
static const char *
test_allowed_caller(const test_service *ts, const char *method)
{
	unsigned callers = 0;

	if (ts->service_name &&
	    rpc_callers_allowed(&callers, NULL, 0, ts->service_name, method) == 0) {
		for (int i = 0; i < RPC_N_CALLERS; i++) {
			if (callers & (1u << i))
				return rpc_caller_name(1u << i);
		}
	}
	return "gateway";
}

int
test_call(test_service *ts, const char *method, const ProtobufCMessage *req,
	  ProtobufCMessage **resp, mem_arena *arena, const test_caller *who)
{
	static const test_caller nobody = {0};
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	rpc_metadata md[5];
	rpc_call_opts opts = {.timeout_ms = 10000, .metadata = md};
	char *bearer = NULL;
	const char *caller;

	if (!who)
		who = &nobody;
	if (who->timeout_ms > 0)
		opts.timeout_ms = who->timeout_ms;
	if (who->access_token) {
		bearer = mem_arena_printf(arena, "Bearer %s", who->access_token);
		md[opts.n_metadata++] = (rpc_metadata){"authorization", bearer};
	}
	caller = who->caller ? who->caller : who->internal ? test_allowed_caller(ts, method) : NULL;
	if (caller) {
		md[opts.n_metadata++] = (rpc_metadata){RPC_CALLER_KEY, caller};
		md[opts.n_metadata++] =
			(rpc_metadata){RPC_INTERNAL_TOKEN_KEY, test_caller_token(caller)};
	}
	if (who->user_agent)
		md[opts.n_metadata++] = (rpc_metadata){"x-user-agent", who->user_agent};
	if (who->forwarded_for)
		md[opts.n_metadata++] = (rpc_metadata){"x-forwarded-for", who->forwarded_for};
	return rpc_call(ts->channel, method, req, resp, &alloc, &opts);
}
