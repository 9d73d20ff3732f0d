#include "echo_service.h"

#include <string.h>
#include <time.h>

atomic_int echo_in_handler;
atomic_int echo_count_started;
atomic_int echo_count_ended;
atomic_int echo_count_sent;
atomic_int echo_count_last_rc;
rpc_stream *_Atomic echo_count_streams[ECHO_STREAMS_KEPT];
static atomic_int echo_count_kept;

void
echo_count_reset(void)
{
	atomic_store(&echo_count_started, 0);
	atomic_store(&echo_count_ended, 0);
	atomic_store(&echo_count_sent, 0);
	atomic_store(&echo_count_last_rc, 0);
	atomic_store(&echo_count_kept, 0);
	for (int i = 0; i < ECHO_STREAMS_KEPT; i++)
		atomic_store(&echo_count_streams[i], NULL);
}

static void
echo_sleep(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int
echo_handler(rpc_ctx *ctx, const ProtobufCMessage *req_msg, ProtobufCMessage *resp_msg)
{
	const Kolo__Test__V1__EchoRequest *req = (const Kolo__Test__V1__EchoRequest *)req_msg;
	Kolo__Test__V1__EchoResponse *resp = (Kolo__Test__V1__EchoResponse *)resp_msg;
	const char *value = NULL;
	int rc = 0;

	atomic_fetch_add(&echo_in_handler, 1);
	if (req->sleep_ms > 0)
		echo_sleep(req->sleep_ms);
	if (req->fail_code > 0) {
		rc = err_set((err_code)-req->fail_code, req->fail_reason, "failed as asked");
		goto out;
	}
	resp->text = mem_arena_strdup(rpc_ctx_arena(ctx), req->text);
	resp->user_id = (char *)(rpc_ctx_user_id(ctx) ? rpc_ctx_user_id(ctx) : "");
	resp->internal = rpc_ctx_is_internal(ctx);
	if (req->metadata_key[0])
		value = rpc_ctx_metadata(ctx, req->metadata_key);
	resp->metadata_value = (char *)(value ? value : "");
	resp->remaining_ms = rpc_ctx_remaining_ms(ctx);
	resp->blob = req->blob;
out:
	atomic_fetch_sub(&echo_in_handler, 1);
	return rc;
}

/* Sends replies 1..count as asked; the blob is the call's arena's, once. */
static int
echo_count_send(const Kolo__Test__V1__CountRequest *req, rpc_ctx *ctx, rpc_stream *stream)
{
	Kolo__Test__V1__CountReply reply = KOLO__TEST__V1__COUNT_REPLY__INIT;
	int rc = 0;

	reply.user_id = (char *)(rpc_ctx_user_id(ctx) ? rpc_ctx_user_id(ctx) : "");
	if (req->blob_bytes > 0) {
		reply.blob.len = (size_t)req->blob_bytes;
		reply.blob.data = mem_arena_alloc(rpc_ctx_arena(ctx), reply.blob.len);
		if (!reply.blob.data)
			return err_oom();
		memset(reply.blob.data, 'k', reply.blob.len);
	}
	for (int i = 1; rc == 0 && i <= req->count; i++) {
		if (req->wait_ms > 0)
			rc = rpc_stream_wait(stream, req->wait_ms);
		reply.n = i;
		if (rc == 0)
			rc = rpc_stream_send(stream, &reply.base);
		if (rc == 0)
			atomic_fetch_add(&echo_count_sent, 1);
	}
	return rc;
}

/* Count: replies 1..count, then (hold) waits until the stream must end,
 * then (fail_code) fails as asked. */
static int
echo_count_handler(rpc_ctx *ctx, const ProtobufCMessage *req_msg, rpc_stream *stream)
{
	const Kolo__Test__V1__CountRequest *req = (const Kolo__Test__V1__CountRequest *)req_msg;
	int rc, at = atomic_fetch_add(&echo_count_kept, 1);

	if (at < ECHO_STREAMS_KEPT)
		atomic_store(&echo_count_streams[at], stream);
	atomic_fetch_add(&echo_count_started, 1);
	rc = echo_count_send(req, ctx, stream);
	while (rc == 0 && req->hold)
		rc = rpc_stream_wait(stream, 60000);
	if (rc == 0 && req->fail_code > 0)
		rc = err_set((err_code)-req->fail_code, req->fail_reason, "failed as asked");
	atomic_store(&echo_count_last_rc, rc);
	atomic_fetch_add(&echo_count_ended, 1);
	return rc;
}

/* Session "ended-session" has ended; identity cannot be asked about
 * "unknown-session"; every other session is live. */
static int
echo_session_check(const auth_claims *claims)
{
	if (strcmp(claims->sid, ECHO_ENDED_SESSION) == 0)
		return err_set(ERR_UNAUTHENTICATED, "session_revoked", "this session has ended");
	if (strcmp(claims->sid, ECHO_UNKNOWN_SESSION) == 0)
		return err_set(ERR_UNAVAILABLE, "sessions_unknown", "cannot tell");
	return 0;
}

static const rpc_method echo_methods[] = {
	{.name = "Echo", .handler = echo_handler, .auth = RPC_AUTH_NONE},
	{.name = "WhoAmI", .handler = echo_handler, .auth = RPC_AUTH_USER},
	{.name = "Internal", .handler = echo_handler, .auth = RPC_AUTH_INTERNAL},
	{.name = "Either", .handler = echo_handler, .auth = RPC_AUTH_USER | RPC_AUTH_INTERNAL},
	{.name = "Unhandled", .handler = NULL, .auth = RPC_AUTH_NONE},
	{.name = "Live",
	 .handler = echo_handler,
	 .auth = RPC_AUTH_USER | RPC_AUTH_LIVE | RPC_AUTH_INTERNAL},
};

static const rpc_stream_method echo_stream_methods[] = {
	{.name = "Count", .stream_handler = echo_count_handler, .auth = RPC_AUTH_NONE},
	{.name = "CountWho", .stream_handler = echo_count_handler, .auth = RPC_AUTH_USER},
};

/* The test's own caller table: payments may call the internal methods. */
static const rpc_caller_rule echo_callers[] = {
	{"kolo.test.v1.EchoService", "Internal", RPC_CALLER_PAYMENTS},
	{"kolo.test.v1.EchoService", "Either", RPC_CALLER_PAYMENTS},
	{"kolo.test.v1.EchoService", "Live", RPC_CALLER_PAYMENTS},
};

const rpc_service echo_rpc_service = {
	.descriptor = &kolo__test__v1__echo_service__descriptor,
	.methods = echo_methods,
	.n_methods = sizeof(echo_methods) / sizeof(echo_methods[0]),
	.caller_rules = echo_callers,
	.n_caller_rules = sizeof(echo_callers) / sizeof(echo_callers[0]),
	.session_check = echo_session_check,
	.stream_methods = echo_stream_methods,
	.n_stream_methods = sizeof(echo_stream_methods) / sizeof(echo_stream_methods[0]),
	.server_streaming = KOLO__TEST__V1__ECHO_SERVICE__SERVER_STREAMING,
};

/* The same table without a row for Either: a server must refuse it. */
const rpc_service echo_rpc_service_uncovered = {
	.descriptor = &kolo__test__v1__echo_service__descriptor,
	.methods = echo_methods,
	.n_methods = sizeof(echo_methods) / sizeof(echo_methods[0]),
	.caller_rules = echo_callers,
	.n_caller_rules = 1,
	.session_check = echo_session_check,
};
