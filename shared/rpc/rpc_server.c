/* The server half of shared/rpc: registered methods served by worker
 * threads, each with its own notification queue and call queue; server
 * streams leave the workers for threads of their own (rpc_stream.c). */
#include "rpc.h"
#include "rpc_internal.h"
#include "rpc_server_internal.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "grpc/health/v1/health.pb-c.h"
#include "log/log.h"
#include "rpc_reflection.h"

#define RPC_DEFAULT_WORKERS  2
#define RPC_DEFAULT_GRACE_MS 10000
#define RPC_HEALTH_SERVICE   "grpc.health.v1.Health"
/* How often a Health/Watch stream looks again without being woken. */
#define RPC_HEALTH_WATCH_POLL_MS 60000
/* Verified access tokens remembered per server (see auth_verifier). */
#define RPC_TOKEN_CACHE_SLOTS 4096

/* --- context accessors -------------------------------------------------- */

const char *
rpc_ctx_user_id(const rpc_ctx *ctx)
{
	return ctx->user_id;
}

const auth_claims *
rpc_ctx_claims(const rpc_ctx *ctx)
{
	return ctx->user_id ? &ctx->claims : NULL;
}

int
rpc_ctx_is_internal(const rpc_ctx *ctx)
{
	return ctx->internal;
}

const char *
rpc_ctx_caller(const rpc_ctx *ctx)
{
	return rpc_caller_name(ctx->caller);
}

const char *
rpc_ctx_forwarded(rpc_ctx *ctx, const char *key)
{
	return ctx->caller == RPC_CALLER_GATEWAY ? rpc_ctx_metadata(ctx, key) : NULL;
}

mem_arena *
rpc_ctx_arena(rpc_ctx *ctx)
{
	return ctx->arena;
}

const trace_ctx *
rpc_ctx_trace(const rpc_ctx *ctx)
{
	return &ctx->pending->trace;
}

int64_t
rpc_ctx_remaining_ms(const rpc_ctx *ctx)
{
	return rpc_remaining_ms(ctx->pending->deadline);
}

const char *
rpc_ctx_metadata(rpc_ctx *ctx, const char *key)
{
	const grpc_metadata_array *md = &ctx->pending->metadata;

	for (size_t i = 0; i < md->count; i++) {
		if (grpc_slice_str_cmp(md->metadata[i].key, key) == 0)
			return mem_arena_strndup(
				ctx->arena,
				(const char *)GRPC_SLICE_START_PTR(md->metadata[i].value),
				GRPC_SLICE_LENGTH(md->metadata[i].value));
	}
	return NULL;
}

/* The host part of a core peer string: "ipv4:203.0.113.7:5123",
 * "ipv6:[::1]:5123" or its URI-escaped "ipv6:%5B::1%5D:5123". */
static char *
rpc_peer_host(mem_arena *a, const char *peer)
{
	const char *host = peer, *end = NULL;

	if (strncmp(host, "ipv4:", 5) == 0 || strncmp(host, "ipv6:", 5) == 0)
		host += 5;
	if (host[0] == '[') {
		host++;
		end = strchr(host, ']');
	} else if (strncasecmp(host, "%5B", 3) == 0) {
		host += 3;
		end = strcasestr(host, "%5D");
	} else {
		end = strrchr(host, ':');
	}
	if (!end)
		end = host + strlen(host);
	return mem_arena_strndup(a, host, (size_t)(end - host));
}

const char *
rpc_ctx_peer(rpc_ctx *ctx)
{
	char *peer = grpc_call_get_peer(ctx->pending->call);
	char *host = peer ? rpc_peer_host(ctx->arena, peer) : NULL;

	gpr_free(peer);
	return host;
}

/* --- replies -------------------------------------------------------------- */

/* Runs the reply batch of p's call and waits for it: on the worker's own
 * queue, or the stream's for a stream call. */
static void
rpc_run_batch(rpc_pending *p, const grpc_op *ops, size_t n)
{
	grpc_call_error rc;

	if (p->stream) {
		rpc_stream_batch(p->stream, ops, n);
		return;
	}
	rc = grpc_call_start_batch(p->call, ops, n, p, NULL);
	if (rc == GRPC_CALL_OK)
		grpc_completion_queue_pluck(p->call_cq, p, gpr_inf_future(GPR_CLOCK_REALTIME),
					    NULL);
	else
		log_event(LOG_LVL_ERROR, "reply batch refused", "method",
			  p->bound >= 0 ? p->worker->server->bound[p->bound].path : "?", NULL);
}

void
rpc_request_id_metadata(grpc_metadata *md, const rpc_pending *p)
{
	memset(md, 0, sizeof(*md));
	md->key = grpc_slice_from_static_string(RPC_REQUEST_ID_KEY);
	md->value = grpc_slice_from_copied_string(p->trace.request_id);
}

/* The error trailers of a reply: kolo-error, kolo-retry-after when a hint
 * exists, and grpc-status-details-bin (rpc_status.c). Returns how many of
 * trailer[3] it set; the caller unrefs their values. */
static size_t
rpc_error_trailers(grpc_metadata *trailer, grpc_status_code status, const char *message,
		   const char *reason, const err_info *e)
{
	int retry_after_s = e ? e->retry_after_s : 0;
	char retry[16];
	grpc_slice details;
	size_t n = 0;

	trailer[n].key = grpc_slice_from_static_string(RPC_REASON_KEY);
	trailer[n++].value = grpc_slice_from_copied_string(reason);
	if (retry_after_s > 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after_s);
		trailer[n].key = grpc_slice_from_static_string(RPC_RETRY_AFTER_KEY);
		trailer[n++].value = grpc_slice_from_copied_string(retry);
	}
	if (rpc_status_details(&details, (int)status, message, reason, e ? e->meta : NULL,
			       e ? e->n_meta : 0, retry_after_s) == 0) {
		trailer[n].key = grpc_slice_from_static_string(RPC_STATUS_DETAILS_KEY);
		trailer[n++].value = details;
	}
	return n;
}

/* Sends status (and msg when not NULL) and waits for the batch; a reason
 * adds the error trailers, with e's retry hint and metadata when e is not
 * NULL. A stream call has its close op running already and may have sent
 * its initial metadata. */
static void
rpc_reply_status(rpc_pending *p, grpc_status_code status, const char *message, const char *reason,
		 grpc_byte_buffer *msg, const err_info *e)
{
	grpc_op ops[4];
	grpc_metadata trailer[4], initial;
	grpc_slice details = grpc_slice_from_copied_string(message);
	int cancelled = 0;
	size_t n = 0, n_trailer = 0;

	memset(ops, 0, sizeof(ops));
	memset(trailer, 0, sizeof(trailer));
	rpc_request_id_metadata(&initial, p);
	if (!p->stream || !rpc_stream_initial_sent(p->stream)) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[n].data.send_initial_metadata.count = 1;
		ops[n++].data.send_initial_metadata.metadata = &initial;
	}
	if (msg) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = msg;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = status;
	ops[n].data.send_status_from_server.status_details = &details;
	if (reason)
		n_trailer = rpc_error_trailers(trailer, status, message, reason, e);
	/* A failed call says its request id in the trailer too (a client
	 * that reads only the status finds it there). */
	if (status != GRPC_STATUS_OK)
		rpc_request_id_metadata(&trailer[n_trailer++], p);
	ops[n].data.send_status_from_server.trailing_metadata_count = n_trailer;
	ops[n].data.send_status_from_server.trailing_metadata = trailer;
	n++;
	if (!p->stream) {
		ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		ops[n++].data.recv_close_on_server.cancelled = &cancelled;
	}
	rpc_run_batch(p, ops, n);
	grpc_slice_unref(details);
	grpc_slice_unref(initial.value);
	for (size_t i = 0; i < n_trailer; i++)
		grpc_slice_unref(trailer[i].value);
}

void
rpc_reply(rpc_pending *p, grpc_status_code status, const char *message, const char *reason,
	  grpc_byte_buffer *msg, int retry_after_s)
{
	err_info hint;

	memset(&hint, 0, sizeof(hint));
	hint.retry_after_s = retry_after_s;
	rpc_reply_status(p, status, message, reason, msg, &hint);
}

/* Sends the error recorded on this thread. */
void
rpc_reply_error(rpc_pending *p, int rc)
{
	const err_info *e = err_last();
	const char *reason =
		e->code == rc && e->reason[0] ? e->reason : err_default_reason((err_code)rc);
	const char *message =
		e->code == rc && e->message[0] ? e->message : err_default_reason((err_code)rc);

	if (!rpc_reason_valid(reason))
		reason = err_default_reason((err_code)rc);
	rpc_reply_status(p, (grpc_status_code)err_to_grpc((err_code)rc), message, reason, NULL,
			 e->code == rc ? e : NULL);
}

/* --- one call --------------------------------------------------------------- */

int
rpc_unpack(ProtobufCMessage **out, rpc_ctx *ctx)
{
	ProtobufCAllocator alloc = mem_arena_allocator(ctx->arena);

	if (!ctx->pending->payload)
		return err_set(ERR_INVALID_ARGUMENT, "missing_message",
			       "the call carried no request message");
	*out = rpc_bb_unpack(ctx->bound->desc->input, &alloc, ctx->pending->payload);
	if (!*out)
		return err_set(ERR_INVALID_ARGUMENT, "malformed_message",
			       "the request message is not a valid %s",
			       ctx->bound->desc->input->name);
	return 0;
}

int
rpc_pack(grpc_byte_buffer **out, const ProtobufCMessage *msg, size_t max_bytes)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	grpc_slice slice;

	if (size > max_bytes)
		return err_set(ERR_RESOURCE_EXHAUSTED, "reply_too_large",
			       "the reply is larger than %zu bytes", max_bytes);
	slice = grpc_slice_malloc(size);
	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
	*out = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	return 0;
}

static int
rpc_check_user(rpc_ctx *ctx)
{
	rpc_server *s = ctx->server;
	const char *token;
	int rc = auth_bearer_token(&token, rpc_ctx_metadata(ctx, "authorization"));

	if (rc < 0)
		return rc;
	if (!s->verifier)
		return err_set(ERR_UNAUTHENTICATED, "invalid_token",
			       "this service verifies no access tokens");
	rc = auth_verifier_check(s->verifier, &ctx->claims, token, (int64_t)time(NULL));
	if (rc < 0)
		return rc;
	ctx->user_id = ctx->claims.sub;
	return 0;
}

/* Who made the call: a call that names a caller (kolo-caller) must carry
 * that caller's own token, whatever the method; one that names none is
 * anonymous (a user, a partner). */
static int
rpc_check_caller(rpc_ctx *ctx)
{
	rpc_server *s = ctx->server;
	const char *name = rpc_ctx_metadata(ctx, RPC_CALLER_KEY);
	const char *token;

	if (!name)
		return 0;
	token = rpc_ctx_metadata(ctx, RPC_INTERNAL_TOKEN_KEY);
	ctx->caller = rpc_caller_keys_check(&s->callers, name, token);
	if (!ctx->caller)
		return err_set(ERR_UNAUTHENTICATED, "invalid_service_token",
			       "the caller's service token is not valid here");
	return 0;
}

/* A service call: a known caller the table allows for this method. */
static int
rpc_check_internal(rpc_ctx *ctx)
{
	if (!ctx->caller)
		return err_set(ERR_UNAUTHENTICATED, "service_token_required",
			       "this method is internal");
	if (!(ctx->bound->callers & ctx->caller))
		return err_set(ERR_PERMISSION_DENIED, "caller_not_allowed", "%s may not call %s",
			       rpc_caller_name(ctx->caller), ctx->bound->path);
	ctx->internal = 1;
	return 0;
}

/* RPC_AUTH_LIVE: the verified token's session must still be live. Fails
 * closed: a token naming no session, or a service that cannot tell. */
static int
rpc_check_session(rpc_ctx *ctx)
{
	rpc_server *s = ctx->server;

	if (!ctx->claims.sid[0])
		return err_set(ERR_UNAUTHENTICATED, "session_required",
			       "this act needs the token of a signed-in session");
	if (!s->session_check)
		return err_set(ERR_UNAVAILABLE, "sessions_unknown",
			       "this service cannot tell live sessions");
	return s->session_check(&ctx->claims);
}

/* Runs the checks of the method's auth flags. A call carrying a user's
 * token is that user's call: on a method users may call, the token must
 * verify (an allowed caller then also counts as internal, naming the
 * user); it never falls back to the caller's own right. A call without
 * one is a service call where the method allows that. */
int
rpc_authenticate(rpc_ctx *ctx)
{
	unsigned auth = ctx->bound->auth;
	int rc = rpc_check_caller(ctx);

	if (rc < 0 || auth == RPC_AUTH_NONE)
		return rc;
	if ((auth & RPC_AUTH_USER) && rpc_ctx_metadata(ctx, "authorization")) {
		if ((rc = rpc_check_user(ctx)) < 0)
			return rc;
		if (auth & RPC_AUTH_INTERNAL)
			ctx->internal = ctx->caller && (ctx->bound->callers & ctx->caller);
		/* A service acting for the user checked at its own door. */
		return (auth & RPC_AUTH_LIVE) && !ctx->internal ? rpc_check_session(ctx) : 0;
	}
	if (auth & RPC_AUTH_INTERNAL) {
		rc = rpc_check_internal(ctx);
		if (rc == 0 || !(auth & RPC_AUTH_USER) || ctx->caller)
			return rc;
	}
	return rpc_check_user(ctx);
}

/* One debug line per call: method, status, reason, duration, request id;
 * and the call counted in the metrics. */
void
rpc_log_call(rpc_ctx *ctx, int rc, const struct timespec *start)
{
	struct timespec end;
	char code[8], micros[24];
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &end);
	us = (int64_t)(end.tv_sec - start->tv_sec) * 1000000 +
	     (end.tv_nsec - start->tv_nsec) / 1000;
	rpc_metrics_call(ctx->bound->path, err_to_grpc((err_code)rc), us);
	if (!log_enabled(LOG_LVL_DEBUG))
		return;
	snprintf(code, sizeof(code), "%d", err_to_grpc((err_code)rc));
	snprintf(micros, sizeof(micros), "%lld", (long long)us);
	log_event(LOG_LVL_DEBUG, "call", "method", ctx->bound->path, "code", code, "reason",
		  rc ? err_last()->reason : NULL, "us", micros, "caller",
		  rpc_caller_name(ctx->caller), "parent_id",
		  ctx->pending->trace.parent_id[0] ? ctx->pending->trace.parent_id : NULL, NULL);
}

/* The worker this thread is: its arena serves whichever slot's call it
 * takes from the shared queue. */
static _Thread_local rpc_worker *rpc_thread_worker;

/* The call rpc_serve() is running a handler for on this thread. */
static _Thread_local const rpc_ctx *rpc_thread_call;

const rpc_ctx *
rpc_current_call(void)
{
	return rpc_thread_call;
}

static void
rpc_serve(rpc_pending *p)
{
	rpc_server *s = p->worker->server;
	const rpc_bound *b = &s->bound[p->bound];
	rpc_ctx ctx = {.pending = p, .server = s, .bound = b, .arena = rpc_thread_worker->arena};
	ProtobufCMessage *req = NULL, *resp = NULL;
	grpc_byte_buffer *out = NULL;
	struct timespec start;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	err_clear();
	rc = rpc_authenticate(&ctx);
	if (rc == 0)
		rc = rpc_unpack(&req, &ctx);
	if (rc == 0 && rpc_ctx_remaining_ms(&ctx) <= 0)
		rc = err_set(ERR_DEADLINE_EXCEEDED, NULL,
			     "deadline passed before the call started");
	if (rc == 0) {
		resp = mem_arena_alloc(ctx.arena, b->desc->output->sizeof_message);
		if (!resp)
			rc = err_set(ERR_RESOURCE_EXHAUSTED, "too_large",
				     "the call needs too much memory");
	}
	if (rc == 0) {
		b->desc->output->message_init(resp);
		rpc_thread_call = &ctx;
		rc = b->handler(&ctx, req, resp);
		rpc_thread_call = NULL;
	}
	if (rc == 0)
		rc = rpc_pack(&out, resp, s->max_message);
	if (rc > 0)
		rc = err_set(ERR_INTERNAL, NULL, "handler returned %d", rc);
	if (rc == ERR_INTERNAL || rc == ERR_UNKNOWN)
		log_event(LOG_LVL_ERROR, "call failed", "method", b->path, "reason",
			  err_last()->reason, "error", err_last()->message, NULL);
	if (rc == 0) {
		rpc_reply(p, GRPC_STATUS_OK, "", NULL, out, 0);
		grpc_byte_buffer_destroy(out);
	} else {
		rpc_reply_error(p, rc);
	}
	rpc_log_call(&ctx, rc, &start);
}

static void
rpc_serve_unknown(rpc_pending *p)
{
	char *method = grpc_slice_to_c_string(p->details.method);

	err_set(ERR_UNIMPLEMENTED, "unimplemented", "method %.200s is not implemented", method);
	gpr_free(method);
	rpc_reply_error(p, ERR_UNIMPLEMENTED);
}

/* --- health ----------------------------------------------------------------- */

/* The status of service ("" is the whole server): SERVICE_UNKNOWN for a
 * name this server does not serve. */
static Grpc__Health__V1__HealthCheckResponse__ServingStatus
rpc_health_status(const rpc_server *s, const char *service)
{
	if (service[0] && strcmp(service, s->service_name) != 0 &&
	    strcmp(service, RPC_HEALTH_SERVICE) != 0)
		return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
	return atomic_load(&s->stopping)
		       ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
		       : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
}

static int
rpc_health_check(rpc_ctx *ctx, const ProtobufCMessage *req_msg, ProtobufCMessage *resp_msg)
{
	const Grpc__Health__V1__HealthCheckRequest *req =
		(const Grpc__Health__V1__HealthCheckRequest *)req_msg;
	Grpc__Health__V1__HealthCheckResponse *resp =
		(Grpc__Health__V1__HealthCheckResponse *)resp_msg;

	resp->status = rpc_health_status(ctx->server, req->service);
	if (resp->status ==
	    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN)
		return err_set(ERR_NOT_FOUND, "unknown_service", "no health status for %.100s",
			       req->service);
	return 0;
}

/* Health/Watch (grpc's health.proto): the status at once, again whenever
 * it changes (NOT_SERVING when the server starts stopping, said even
 * then), until the stream must end. An unknown name gets SERVICE_UNKNOWN
 * and the stream stays open, as the protocol says. */
static int
rpc_health_watch(rpc_ctx *ctx, const ProtobufCMessage *req_msg, rpc_stream *stream)
{
	const Grpc__Health__V1__HealthCheckRequest *req =
		(const Grpc__Health__V1__HealthCheckRequest *)req_msg;
	Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	int sent = -1, end = 0, rc;

	for (;;) {
		resp.status = rpc_health_status(ctx->server, req->service);
		if ((int)resp.status != sent) {
			rc = rpc_stream_push(stream, &resp.base, 1);
			if (rc < 0)
				return rc;
			sent = (int)resp.status;
		}
		if (end < 0)
			return end;
		end = rpc_stream_wait(stream, RPC_HEALTH_WATCH_POLL_MS);
	}
}

/* --- workers ------------------------------------------------------------------ */

void
rpc_pending_reset(rpc_pending *p)
{
	grpc_metadata_array_destroy(&p->metadata);
	if (p->payload)
		grpc_byte_buffer_destroy(p->payload);
	if (p->bound < 0)
		grpc_call_details_destroy(&p->details);
	if (p->call)
		grpc_call_unref(p->call);
	p->call = NULL;
	p->payload = NULL;
}

static void
rpc_request(rpc_pending *p)
{
	rpc_worker *w = p->worker;
	rpc_server *s = w->server;
	grpc_call_error rc;

	grpc_metadata_array_init(&p->metadata);
	p->payload = NULL;
	p->call = NULL;
	if (p->bound < 0) {
		grpc_call_details_init(&p->details);
		rc = grpc_server_request_call(s->grpc, &p->call, &p->details, &p->metadata,
					      p->call_cq, w->cq, p);
	} else {
		/* A stream's batches complete on the stream queue: its
		 * thread, not this worker, waits for them. */
		rc = grpc_server_request_registered_call(
			s->grpc, s->bound[p->bound].handle, &p->call, &p->deadline, &p->metadata,
			s->bound[p->bound].bidi ? NULL : &p->payload,
			s->bound[p->bound].stream_handler ? s->stream_cq : p->call_cq, w->cq, p);
	}
	if (rc != GRPC_CALL_OK) {
		log_event(LOG_LVL_ERROR, "cannot request calls", NULL);
		rpc_pending_reset(p);
	}
}

/* rpc_request() unless the server is past taking calls. */
static void
rpc_request_next(rpc_pending *p)
{
	rpc_server *s = p->worker->server;

	pthread_mutex_lock(&s->request_mu);
	if (!s->requests_closed)
		rpc_request(p);
	pthread_mutex_unlock(&s->request_mu);
}

/* The value of key in md copied into buf; NULL when absent, "" when it
 * does not fit (no valid value is that long). */
static const char *
rpc_md_value(const grpc_metadata_array *md, const char *key, char *buf, size_t cap)
{
	for (size_t i = 0; i < md->count; i++) {
		size_t len = GRPC_SLICE_LENGTH(md->metadata[i].value);

		if (grpc_slice_str_cmp(md->metadata[i].key, key) != 0)
			continue;
		if (len >= cap)
			len = 0;
		memcpy(buf, GRPC_SLICE_START_PTR(md->metadata[i].value), len);
		buf[len] = '\0';
		return buf;
	}
	return NULL;
}

void
rpc_trace_begin(rpc_pending *p)
{
	/* A later traceparent version may be longer than 00's 55. */
	char id[TRACE_REQUEST_ID_MAX + 1], parent[256];
	char state[TRACE_STATE_MAX + 1];
	unsigned refused = trace_begin(
		&p->trace, rpc_md_value(&p->metadata, RPC_REQUEST_ID_KEY, id, sizeof(id)),
		rpc_md_value(&p->metadata, RPC_TRACEPARENT_KEY, parent, sizeof(parent)),
		rpc_md_value(&p->metadata, RPC_TRACESTATE_KEY, state, sizeof(state)));

	log_context_set(&p->trace);
	if (refused & TRACE_REFUSED_REQUEST_ID)
		log_event(LOG_LVL_INFO, "request id refused: a new one is used", "rule",
			  "1..128 of [A-Za-z0-9._:-]", NULL);
	if (refused & TRACE_REFUSED_TRACEPARENT)
		log_event(LOG_LVL_INFO, "traceparent refused: a new trace begins", NULL);
}

static void
rpc_handle(rpc_pending *p)
{
	mem_arena_reset(rpc_thread_worker->arena);
	rpc_metrics_peer(p->worker->server, p->call);
	rpc_trace_begin(p);
	if (p->bound < 0) {
		p->deadline = p->details.deadline;
		rpc_serve_unknown(p);
	} else if (p->worker->server->bound[p->bound].stream_handler) {
		rpc_stream_serve(p);
	} else {
		rpc_serve(p);
	}
	log_context_clear();
}

static void *
rpc_worker_main(void *arg)
{
	rpc_worker *w = arg;
	rpc_server *s = w->server;
	grpc_event ev;

	rpc_thread_worker = w;
	if (s->worker_start)
		s->worker_start(s->worker_arg);
	for (size_t i = 0; i <= s->n_bound; i++)
		rpc_request_next(&w->pending[i]);
	for (;;) {
		ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		rpc_pending *p = ev.tag;

		if (ev.success)
			rpc_handle(p);
		rpc_pending_reset(p);
		if (ev.success && !atomic_load(&s->stopping))
			rpc_request_next(p);
	}
	return NULL;
}

/* --- set-up and tear-down --------------------------------------------------- */

static const rpc_method *
rpc_find_method(const rpc_service *svc, const char *name)
{
	for (size_t i = 0; i < svc->n_methods; i++) {
		if (strcmp(svc->methods[i].name, name) == 0)
			return &svc->methods[i];
	}
	return NULL;
}

static const rpc_stream_method *
rpc_find_stream_method(const rpc_service *svc, const char *name)
{
	for (size_t i = 0; i < svc->n_stream_methods; i++) {
		if (strcmp(svc->stream_methods[i].name, name) == 0)
			return &svc->stream_methods[i];
	}
	return NULL;
}

/* 1 when the service's .proto declares name server streaming. */
static int
rpc_declared_streaming(const rpc_service *svc, const char *name)
{
	for (const char *const *p = svc->server_streaming; p && *p; p++) {
		if (strcmp(*p, name) == 0)
			return 1;
	}
	return 0;
}

/* The checks every row needs: the method exists, an internal one has a
 * caller rule, RPC_AUTH_LIVE only qualifies RPC_AUTH_USER. */
static int
rpc_check_row(const rpc_service *svc, const char *name, unsigned auth)
{
	const ProtobufCServiceDescriptor *d = svc->descriptor;
	unsigned callers;

	if (!protobuf_c_service_descriptor_get_method_by_name(d, name))
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table", "%s has no method %s",
			       d->name, name);
	if ((auth & RPC_AUTH_INTERNAL) &&
	    rpc_callers_allowed(&callers, svc->caller_rules, svc->n_caller_rules, d->name, name) <
		    0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s/%s is internal but no caller rule lists who may call it",
			       d->name, name);
	if ((auth & RPC_AUTH_LIVE) && !(auth & RPC_AUTH_USER))
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s: RPC_AUTH_LIVE needs RPC_AUTH_USER", name);
	return 0;
}

/* A row's request/reply struct sizes (0: unchecked) are the .proto's. */
static int
rpc_check_sizes(const rpc_service *svc, const char *name, size_t req_size, size_t resp_size)
{
	const ProtobufCMethodDescriptor *md =
		protobuf_c_service_descriptor_get_method_by_name(svc->descriptor, name);

	if ((req_size && req_size != md->input->sizeof_message) ||
	    (resp_size && resp_size != md->output->sizeof_message))
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s: the handler's message types are not the .proto's", name);
	return 0;
}

/* A unary row must not name a method the .proto streams. */
static int
rpc_check_unary(const rpc_service *svc, const rpc_method *m)
{
	int rc = rpc_check_row(svc, m->name, m->auth);

	if (rc == 0)
		rc = rpc_check_sizes(svc, m->name, m->req_size, m->resp_size);
	if (rc == 0 && m->handler && rpc_declared_streaming(svc, m->name))
		rc = err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			     "%s streams: it needs a stream handler", m->name);
	return rc;
}

/* A stream row must name a method the .proto streams, and only once. */
static int
rpc_check_stream(const rpc_service *svc, const rpc_stream_method *m)
{
	int rc = rpc_check_row(svc, m->name, m->auth);

	if (rc == 0)
		rc = rpc_check_sizes(svc, m->name, m->req_size, 0);
	if (rc < 0)
		return rc;
	if (!svc->server_streaming)
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s: a stream method needs the service's server_streaming list",
			       m->name);
	if (!rpc_declared_streaming(svc, m->name))
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s is unary: it needs a unary handler", m->name);
	if (rpc_find_method(svc, m->name))
		return err_set(ERR_INVALID_ARGUMENT, "bad_method_table",
			       "%s is in both method tables", m->name);
	return 0;
}

/* Every row of both tables is sound and of the kind the .proto says. */
static int
rpc_check_table(const rpc_service *svc)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < svc->n_methods; i++)
		rc = rpc_check_unary(svc, &svc->methods[i]);
	for (size_t i = 0; rc == 0 && i < svc->n_stream_methods; i++)
		rc = rpc_check_stream(svc, &svc->stream_methods[i]);
	return rc;
}

/* Binds path /service_name/<desc's name>; a bidi method's requests are
 * read by its handler (rpc_stream_recv), not before it. */
static rpc_bound *
rpc_bind_as(rpc_server *s, const char *service_name, const ProtobufCMethodDescriptor *desc,
	    rpc_handler handler, rpc_stream_handler stream_handler, unsigned auth, unsigned callers,
	    int bidi)
{
	rpc_bound *b = &s->bound[s->n_bound++];
	size_t len = strlen(service_name) + strlen(desc->name) + 3;

	b->path = xmalloc(len);
	snprintf(b->path, len, "/%s/%s", service_name, desc->name);
	b->desc = desc;
	b->handler = handler;
	b->stream_handler = stream_handler;
	b->auth = auth;
	b->callers = callers;
	b->bidi = bidi;
	b->handle = grpc_server_register_method(
		s->grpc, b->path, NULL,
		bidi ? GRPC_SRM_PAYLOAD_NONE : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
	return b;
}

static void
rpc_bind(rpc_server *s, const char *service_name, const ProtobufCMethodDescriptor *desc,
	 rpc_handler handler, rpc_stream_handler stream_handler, unsigned auth, unsigned callers)
{
	rpc_bind_as(s, service_name, desc, handler, stream_handler, auth, callers, 0);
}

/* Server reflection, v1 and v1alpha (wire-identical: both are served with
 * v1's types), anonymous like Health. */
static void
rpc_bind_reflection(rpc_server *s)
{
	const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
		&grpc__reflection__v1__server_reflection__descriptor, "ServerReflectionInfo");

	rpc_bind_as(s, RPC_REFLECTION_V1, m, NULL, rpc_reflection_info, RPC_AUTH_NONE,
		    RPC_CALLERS_NONE, 1);
	rpc_bind_as(s, RPC_REFLECTION_V1ALPHA, m, NULL, rpc_reflection_info, RPC_AUTH_NONE,
		    RPC_CALLERS_NONE, 1);
}

/* Binds the method of descriptor entry i if a table gives it a handler. */
static void
rpc_bind_method(rpc_server *s, const rpc_service *svc, unsigned i)
{
	const ProtobufCServiceDescriptor *d = svc->descriptor;
	const char *name = d->methods[i].name;
	const rpc_method *m = rpc_find_method(svc, name);
	const rpc_stream_method *sm = rpc_find_stream_method(svc, name);
	unsigned auth = m ? m->auth : sm ? sm->auth : 0;
	unsigned callers = RPC_CALLERS_NONE;

	if ((auth & RPC_AUTH_INTERNAL) &&
	    rpc_callers_allowed(&callers, svc->caller_rules, svc->n_caller_rules, d->name, name) <
		    0)
		callers = RPC_CALLERS_NONE; /* rpc_check_table refused it */
	if (m && m->handler)
		rpc_bind(s, d->name, &d->methods[i], m->handler, NULL, auth, callers);
	else if (sm && sm->stream_handler)
		rpc_bind(s, d->name, &d->methods[i], NULL, sm->stream_handler, auth, callers);
}

/* Registers every method that has a handler, plus Health/Check,
 * Health/Watch and reflection. */
static void
rpc_bind_all(rpc_server *s, const rpc_service *svc)
{
	const ProtobufCServiceDescriptor *d = svc->descriptor;
	const ProtobufCServiceDescriptor *h = &grpc__health__v1__health__descriptor;

	s->bound = xcalloc(d->n_methods + 4, sizeof(*s->bound));
	for (unsigned i = 0; i < d->n_methods; i++)
		rpc_bind_method(s, svc, i);
	rpc_bind(s, h->name, protobuf_c_service_descriptor_get_method_by_name(h, "Check"),
		 rpc_health_check, NULL, RPC_AUTH_NONE, RPC_CALLERS_NONE);
	rpc_bind(s, h->name, protobuf_c_service_descriptor_get_method_by_name(h, "Watch"), NULL,
		 rpc_health_watch, RPC_AUTH_NONE, RPC_CALLERS_NONE);
	rpc_bind_reflection(s);
}

static grpc_server_credentials *
rpc_server_creds(const rpc_server_config *c)
{
	char *cert = NULL, *key = NULL, *ca = NULL;
	grpc_ssl_pem_key_cert_pair pair;
	grpc_server_credentials *creds = NULL;

	if (!c->tls_cert_file)
		return grpc_insecure_server_credentials_create();
	if (rpc_read_file(&cert, c->tls_cert_file) < 0 ||
	    rpc_read_file(&key, c->tls_key_file) < 0 ||
	    (c->tls_client_ca_file && rpc_read_file(&ca, c->tls_client_ca_file) < 0))
		goto out;
	pair.private_key = key;
	pair.cert_chain = cert;
	creds = grpc_ssl_server_credentials_create_ex(
		ca, &pair, 1,
		ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
		   : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
		NULL);
out:
	rpc_free_secret(key);
	free(cert);
	free(ca);
	return creds;
}

static void
rpc_int_arg(grpc_arg *arg, const char *key, int64_t value)
{
	arg->type = GRPC_ARG_INTEGER;
	arg->key = (char *)key;
	arg->value.integer = value > INT_MAX ? INT_MAX : (int)value;
}

static grpc_server *
rpc_grpc_server_create(size_t max_message, const rpc_server_config *config)
{
	grpc_arg args[5];
	grpc_channel_args channel_args = {.num_args = 3, .args = args};

	rpc_int_arg(&args[0], GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, (int64_t)max_message);
	rpc_int_arg(&args[1], GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, (int64_t)max_message);
	/* gRPC core binds with SO_REUSEPORT by default: a second server on a
	 * taken address would start and split the calls with the first. A
	 * Kolo server owns its port or does not start. */
	rpc_int_arg(&args[2], GRPC_ARG_ALLOW_REUSEPORT, 0);
	if (config->max_conn_age_ms > 0) {
		rpc_int_arg(&args[channel_args.num_args++], GRPC_ARG_MAX_CONNECTION_AGE_MS,
			    config->max_conn_age_ms);
		if (config->max_conn_age_grace_ms > 0)
			rpc_int_arg(&args[channel_args.num_args++],
				    GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
				    config->max_conn_age_grace_ms);
	}
	return grpc_server_create(&channel_args, NULL);
}

static void
rpc_workers_create(rpc_server *s, int n)
{
	s->n_workers = n;
	s->workers = xcalloc((size_t)n, sizeof(*s->workers));
	for (int i = 0; i < n; i++) {
		rpc_worker *w = &s->workers[i];

		w->server = s;
		/* One notification queue for all workers: a new call is
		 * taken by whichever worker is free, often the very thread
		 * that read it from the socket, instead of waking the one
		 * whose slot it matched (issue 25). */
		w->cq = i == 0 ? grpc_completion_queue_create_for_next(NULL) : s->workers[0].cq;
		w->arena = mem_arena_new(0);
		w->pending = xcalloc(s->n_bound + 1, sizeof(*w->pending));
		for (size_t j = 0; j <= s->n_bound; j++) {
			w->pending[j].worker = w;
			w->pending[j].bound = j < s->n_bound ? (int)j : -1;
			w->pending[j].call_cq = grpc_completion_queue_create_for_pluck(NULL);
		}
		if (i == 0)
			grpc_server_register_completion_queue(s->grpc, w->cq, NULL);
	}
}

static void
rpc_server_free(rpc_server *s)
{
	for (int i = 0; i < s->n_workers; i++) {
		rpc_worker *w = &s->workers[i];

		if (i == 0 && w->cq)
			grpc_completion_queue_destroy(w->cq);
		for (size_t j = 0; w->pending && j <= s->n_bound; j++) {
			grpc_completion_queue_shutdown(w->pending[j].call_cq);
			grpc_completion_queue_destroy(w->pending[j].call_cq);
		}
		mem_arena_free(w->arena);
		free(w->pending);
	}
	free(s->workers);
	for (size_t i = 0; i < s->n_bound; i++)
		free(s->bound[i].path);
	free(s->bound);
	auth_verifier_free(s->verifier);
	rpc_reflection_free(s->reflection);
	pthread_mutex_destroy(&s->request_mu);
	free(s);
}

static void
rpc_drain_and_destroy(grpc_completion_queue *cq)
{
	grpc_event ev;

	grpc_completion_queue_shutdown(cq);
	do {
		ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(cq);
}

int
rpc_server_start(rpc_server **out, const rpc_service *service, const rpc_server_config *config)
{
	rpc_server *s;
	grpc_server_credentials *creds;
	rpc_caller_keys callers;
	int rc, n_workers = config->workers > 0 ? config->workers : RPC_DEFAULT_WORKERS;

	rc = rpc_check_table(service);
	if (rc < 0)
		return rc;
	rc = rpc_caller_keys_parse(&callers, config->caller_token_hashes);
	if (rc < 0)
		return rc;
	creds = rpc_server_creds(config);
	if (!creds)
		return err_set(ERR_INVALID_ARGUMENT, "bad_tls_config",
			       "the TLS certificate or key cannot be used");
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->request_mu, NULL);
	s->service_name = service->descriptor->name;
	s->session_check = service->session_check;
	s->max_message =
		config->max_message_bytes ? config->max_message_bytes : RPC_DEFAULT_MAX_MESSAGE;
	s->grace_ms = config->grace_ms > 0 ? config->grace_ms : RPC_DEFAULT_GRACE_MS;
	if (config->keys && config->keys->n_keys)
		s->verifier = auth_verifier_new(config->keys, RPC_TOKEN_CACHE_SLOTS);
	s->callers = callers;
	s->worker_start = config->worker_start;
	s->worker_arg = config->worker_arg;
	s->grpc = rpc_grpc_server_create(s->max_message, config);
	s->reflection = rpc_reflection_new(NULL, s->service_name);
	rpc_bind_all(s, service);
	rpc_streams_init(s, config->max_streams);
	rpc_workers_create(s, n_workers);
	s->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->grpc, s->shutdown_cq, NULL);
	s->port = grpc_server_add_http2_port(s->grpc, config->addr, creds);
	grpc_server_credentials_release(creds);
	if (s->port == 0) {
		grpc_server_destroy(s->grpc);
		rpc_drain_and_destroy(s->shutdown_cq);
		rpc_drain_and_destroy(s->workers[0].cq);
		for (int i = 0; i < s->n_workers; i++)
			s->workers[i].cq = NULL;
		rpc_streams_destroy(s);
		rpc_server_free(s);
		return err_set(ERR_UNAVAILABLE, "bind_failed", "cannot listen on %s", config->addr);
	}
	grpc_server_start(s->grpc);
	rpc_streams_start(s);
	for (int i = 0; i < s->n_workers; i++)
		pthread_create(&s->workers[i].thread, NULL, rpc_worker_main, &s->workers[i]);
	*out = s;
	return 0;
}

int
rpc_health_server_start(rpc_server **out, const char *addr)
{
	const rpc_service health = {.descriptor = &grpc__health__v1__health__descriptor};
	const rpc_server_config config = {.addr = addr, .workers = 1};

	return rpc_server_start(out, &health, &config);
}

int
rpc_server_port(const rpc_server *server)
{
	return server->port;
}

void
rpc_server_stop(rpc_server *s)
{
	grpc_event ev;
	gpr_timespec grace = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					  gpr_time_from_millis(s->grace_ms, GPR_TIMESPAN));

	atomic_store(&s->stopping, 1);
	rpc_streams_wake(s);
	grpc_server_shutdown_and_notify(s->grpc, s->shutdown_cq, s);
	ev = grpc_completion_queue_next(s->shutdown_cq, grace, NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		log_event(LOG_LVL_WARN, "grace period over: cancelling calls", NULL);
		grpc_server_cancel_all_calls(s->grpc);
		grpc_completion_queue_next(s->shutdown_cq, gpr_inf_future(GPR_CLOCK_REALTIME),
					   NULL);
	}
	/* Every call is over: the streams' threads are ending. */
	rpc_streams_join(s);
	pthread_mutex_lock(&s->request_mu);
	s->requests_closed = 1;
	pthread_mutex_unlock(&s->request_mu);
	grpc_server_destroy(s->grpc);
	rpc_drain_and_destroy(s->shutdown_cq);
	grpc_completion_queue_shutdown(s->workers[0].cq);
	for (int i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i].thread, NULL);
	rpc_streams_destroy(s);
	rpc_server_free(s);
}
