/* Server streams of shared/rpc: one thread per stream.
 *
 * A stream method's calls are bound to the server's stream queue (not a
 * worker's): a worker authenticates and unpacks the request as for a unary
 * call, then moves the call into an rpc_stream with its own arena and
 * starts a thread for the handler. Each stream keeps one
 * RECV_CLOSE_ON_SERVER op running from the start, so it learns at once when
 * the client goes away, plus at most one batch of its own (a message, the
 * status). One pump thread per server takes the stream queue's events and
 * wakes the stream whose op finished; handlers block on their stream's
 * condition variable, never on the core. */
#include "rpc.h"
#include "rpc_internal.h"
#include "rpc_server_internal.h"

#include <errno.h>
#include <grpc/byte_buffer_reader.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

#define RPC_DEFAULT_MAX_STREAMS 256
/* Client-streaming calls (server reflection, which anyone may open) take
 * at most this many of the places, so tokenless clients cannot crowd out
 * the streams of users and services (WatchEvents). */
#define RPC_MAX_BIDI_STREAMS 8

/* One op of a stream's call; done and success are under the stream's mu. */
typedef struct rpc_stream_op {
	struct rpc_stream *stream;
	int done;
	int success;
} rpc_stream_op;

struct rpc_stream {
	rpc_server *server;
	rpc_pending pending; /* the call, moved off the worker's slot */
	rpc_ctx ctx;
	mem_arena *arena; /* the call's, for the stream's whole life */
	ProtobufCMessage *req;
	struct timespec start;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	rpc_stream_op close_op;		/* done: the call is over (cancelled if early) */
	rpc_stream_op batch_op;		/* the stream's own batch in flight */
	int cancelled;			/* RECV_CLOSE_ON_SERVER's */
	int notified;			/* rpc_server_notify() since the last wait */
	int initial_sent;		/* only the stream's thread touches it */
	struct rpc_stream *prev, *next; /* in server->streams or ->ended */
};

/* --- the pump ----------------------------------------------------------- */

static void *
rpc_stream_pump(void *arg)
{
	rpc_server *s = arg;
	grpc_event ev;

	for (;;) {
		ev = grpc_completion_queue_next(s->stream_cq, gpr_inf_future(GPR_CLOCK_REALTIME),
						NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		rpc_stream_op *op = ev.tag;
		rpc_stream *st = op->stream;

		pthread_mutex_lock(&st->mu);
		op->done = 1;
		op->success = ev.success;
		pthread_cond_broadcast(&st->cond);
		pthread_mutex_unlock(&st->mu);
	}
	return NULL;
}

void
rpc_streams_init(rpc_server *s, int max_streams)
{
	s->max_streams = max_streams > 0 ? max_streams : RPC_DEFAULT_MAX_STREAMS;
	s->stream_cq = grpc_completion_queue_create_for_next(NULL);
	pthread_mutex_init(&s->streams_mu, NULL);
	pthread_cond_init(&s->streams_cond, NULL);
}

void
rpc_streams_start(rpc_server *s)
{
	pthread_create(&s->stream_pump, NULL, rpc_stream_pump, s);
	s->pump_started = 1;
}

void
rpc_streams_destroy(rpc_server *s)
{
	grpc_event ev;

	grpc_completion_queue_shutdown(s->stream_cq);
	if (s->pump_started) {
		pthread_join(s->stream_pump, NULL);
	} else {
		do {
			ev = grpc_completion_queue_next(s->stream_cq,
							gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	}
	grpc_completion_queue_destroy(s->stream_cq);
	pthread_cond_destroy(&s->streams_cond);
	pthread_mutex_destroy(&s->streams_mu);
}

/* --- a stream's life --------------------------------------------------- */

static int
rpc_stream_start_op(rpc_stream *st, rpc_stream_op *op, const grpc_op *ops, size_t n)
{
	grpc_call_error rc;

	op->done = 0;
	op->success = 0;
	rc = grpc_call_start_batch(st->pending.call, ops, n, op, NULL);
	if (rc == GRPC_CALL_OK)
		return 0;
	log_event(LOG_LVL_ERROR, "stream batch refused", "method", st->ctx.bound->path, NULL);
	op->done = 1;
	return -1;
}

static void
rpc_stream_await(rpc_stream *st, rpc_stream_op *op)
{
	pthread_mutex_lock(&st->mu);
	while (!op->done)
		pthread_cond_wait(&st->cond, &st->mu);
	pthread_mutex_unlock(&st->mu);
}

/* Takes the call of the worker's slot p; starts the close op. */
static rpc_stream *
rpc_stream_new(rpc_pending *p)
{
	rpc_stream *st = xcalloc(1, sizeof(*st));
	pthread_condattr_t attr;
	grpc_op close;

	st->server = p->worker->server;
	st->pending = *p;
	st->pending.stream = st;
	p->call = NULL;
	p->payload = NULL;
	grpc_metadata_array_init(&p->metadata);
	st->arena = mem_arena_new(0);
	st->ctx = (rpc_ctx){.pending = &st->pending,
			    .server = st->server,
			    .bound = &st->server->bound[p->bound],
			    .arena = st->arena};
	pthread_mutex_init(&st->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cond, &attr);
	pthread_condattr_destroy(&attr);
	st->close_op.stream = st;
	st->batch_op.stream = st;
	memset(&close, 0, sizeof(close));
	close.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	close.data.recv_close_on_server.cancelled = &st->cancelled;
	rpc_stream_start_op(st, &st->close_op, &close, 1);
	return st;
}

/* Waits until the call is over and frees what the stream holds of it; the
 * struct itself stays until its thread is joined. */
static void
rpc_stream_release(rpc_stream *st)
{
	rpc_stream_await(st, &st->close_op);
	rpc_pending_reset(&st->pending);
	mem_arena_free(st->arena);
	st->arena = NULL;
}

static void
rpc_stream_free(rpc_stream *st)
{
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* Joins the threads of the streams that ended; the caller holds no lock. */
static void
rpc_streams_reap(rpc_server *s)
{
	rpc_stream *st, *next;

	pthread_mutex_lock(&s->streams_mu);
	st = s->ended;
	s->ended = NULL;
	pthread_mutex_unlock(&s->streams_mu);
	for (; st; st = next) {
		next = st->next;
		pthread_join(st->thread, NULL);
		rpc_stream_free(st);
	}
}

static void
rpc_list_push(rpc_stream **head, rpc_stream *st)
{
	st->prev = NULL;
	st->next = *head;
	if (*head)
		(*head)->prev = st;
	*head = st;
}

static void
rpc_list_remove(rpc_stream **head, rpc_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		*head = st->next;
	if (st->next)
		st->next->prev = st->prev;
}

/* Counts the stream in, unless max_streams (or RPC_MAX_BIDI_STREAMS of
 * its kind) are open already. */
static int
rpc_stream_register(rpc_stream *st)
{
	rpc_server *s = st->server;
	int bidi = st->ctx.bound->bidi != 0;
	int rc = 0;

	rpc_streams_reap(s);
	pthread_mutex_lock(&s->streams_mu);
	if (s->n_streams >= s->max_streams || (bidi && s->n_bidi_streams >= RPC_MAX_BIDI_STREAMS)) {
		rc = err_set(ERR_RESOURCE_EXHAUSTED, "too_many_streams",
			     "this server has %d streams open", s->n_streams);
	} else {
		s->n_streams++;
		s->n_bidi_streams += bidi;
		rpc_list_push(&s->streams, st);
	}
	pthread_mutex_unlock(&s->streams_mu);
	return rc;
}

/* Takes the stream off the open list and its counts (under streams_mu). */
static void
rpc_stream_uncount(rpc_stream *st)
{
	rpc_server *s = st->server;

	rpc_list_remove(&s->streams, st);
	s->n_streams--;
	s->n_bidi_streams -= st->ctx.bound->bidi != 0;
}

/* Moves the stream from the open list to the ended one (thread: to be
 * joined). */
static void
rpc_stream_retire(rpc_stream *st)
{
	rpc_server *s = st->server;

	pthread_mutex_lock(&s->streams_mu);
	rpc_stream_uncount(st);
	rpc_list_push(&s->ended, st);
	pthread_cond_broadcast(&s->streams_cond);
	pthread_mutex_unlock(&s->streams_mu);
}

/* Sends the handler's outcome as the call's status. */
static void
rpc_stream_finish(rpc_stream *st, int rc)
{
	if (rc > 0)
		rc = err_set(ERR_INTERNAL, NULL, "stream handler returned %d", rc);
	if (rc == ERR_INTERNAL || rc == ERR_UNKNOWN)
		log_event(LOG_LVL_ERROR, "stream failed", "method", st->ctx.bound->path, "reason",
			  err_last()->reason, "error", err_last()->message, NULL);
	if (rc == 0)
		rpc_reply(&st->pending, GRPC_STATUS_OK, "", NULL, NULL, 0);
	else
		rpc_reply_error(&st->pending, rc);
	rpc_log_call(&st->ctx, rc, &st->start);
}

static void *
rpc_stream_main(void *arg)
{
	rpc_stream *st = arg;
	rpc_server *s = st->server;
	int rc;

	if (s->worker_start)
		s->worker_start(s->worker_arg);
	log_context_set(&st->pending.trace);
	err_clear();
	rc = st->ctx.bound->stream_handler(&st->ctx, st->req, st);
	rpc_stream_finish(st, rc);
	log_context_clear();
	rpc_stream_release(st);
	rpc_stream_retire(st);
	return NULL;
}

/* The checks of a unary call, then a place among the open streams. */
static int
rpc_stream_admit(rpc_stream *st)
{
	int rc = rpc_authenticate(&st->ctx);

	if (rc == 0 && !st->ctx.bound->bidi)
		rc = rpc_unpack(&st->req, &st->ctx);
	if (rc == 0 && rpc_ctx_remaining_ms(&st->ctx) <= 0)
		rc = err_set(ERR_DEADLINE_EXCEEDED, NULL,
			     "deadline passed before the stream started");
	if (rc == 0)
		rc = rpc_stream_register(st);
	return rc;
}

static int
rpc_stream_spawn(rpc_stream *st)
{
	rpc_server *s = st->server;

	if (pthread_create(&st->thread, NULL, rpc_stream_main, st) == 0)
		return 0;
	pthread_mutex_lock(&s->streams_mu);
	rpc_stream_uncount(st);
	pthread_mutex_unlock(&s->streams_mu);
	return err_set(ERR_RESOURCE_EXHAUSTED, "too_many_streams", "no thread for another stream");
}

void
rpc_stream_serve(rpc_pending *p)
{
	rpc_stream *st = rpc_stream_new(p);
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &st->start);
	err_clear();
	rc = rpc_stream_admit(st);
	if (rc == 0)
		rc = rpc_stream_spawn(st);
	if (rc == 0)
		return;
	rpc_reply_error(&st->pending, rc);
	rpc_log_call(&st->ctx, rc, &st->start);
	rpc_stream_release(st);
	rpc_stream_free(st);
}

void
rpc_streams_join(rpc_server *s)
{
	pthread_mutex_lock(&s->streams_mu);
	while (s->streams)
		pthread_cond_wait(&s->streams_cond, &s->streams_mu);
	pthread_mutex_unlock(&s->streams_mu);
	rpc_streams_reap(s);
}

/* --- sending and waiting ----------------------------------------------- */

int
rpc_stream_batch(rpc_stream *st, const grpc_op *ops, size_t n)
{
	if (rpc_stream_start_op(st, &st->batch_op, ops, n) < 0)
		return 0;
	rpc_stream_await(st, &st->batch_op);
	return st->batch_op.success;
}

int
rpc_stream_initial_sent(const rpc_stream *st)
{
	return st->initial_sent;
}

/* 0 while the stream may go on; else why it must end (recorded). */
static int
rpc_stream_state(rpc_stream *st, int while_stopping)
{
	int over;

	pthread_mutex_lock(&st->mu);
	over = st->close_op.done;
	pthread_mutex_unlock(&st->mu);
	if (rpc_ctx_remaining_ms(&st->ctx) <= 0)
		return err_set(ERR_DEADLINE_EXCEEDED, NULL, "the stream's deadline passed");
	if (!while_stopping && atomic_load(&st->server->stopping))
		return err_set(ERR_UNAVAILABLE, "shutting_down", "the server is stopping");
	if (over)
		return err_set(ERR_CANCELLED, "stream_cancelled", "the client went away");
	return 0;
}

int
rpc_stream_push(rpc_stream *st, const ProtobufCMessage *msg, int while_stopping)
{
	grpc_byte_buffer *bb = NULL;
	grpc_op ops[2];
	grpc_metadata initial;
	size_t n = 0;
	int rc = rpc_stream_state(st, while_stopping);

	if (rc < 0)
		return rc;
	if (msg->descriptor != st->ctx.bound->desc->output)
		return err_set(ERR_INTERNAL, NULL, "%s streams %s, not %s", st->ctx.bound->path,
			       st->ctx.bound->desc->output->name, msg->descriptor->name);
	rc = rpc_pack(&bb, msg, st->server->max_message);
	if (rc < 0)
		return rc;
	memset(ops, 0, sizeof(ops));
	rpc_request_id_metadata(&initial, &st->pending);
	if (!st->initial_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[n].data.send_initial_metadata.count = 1;
		ops[n++].data.send_initial_metadata.metadata = &initial;
	}
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n++].data.send_message.send_message = bb;
	if (rpc_stream_batch(st, ops, n)) {
		st->initial_sent = 1;
		rc = 0;
	} else {
		rc = rpc_stream_state(st, while_stopping);
		if (rc == 0)
			rc = err_set(ERR_CANCELLED, "stream_cancelled",
				     "the message could not be sent");
	}
	grpc_byte_buffer_destroy(bb);
	grpc_slice_unref(initial.value);
	return rc;
}

int
rpc_stream_send(rpc_stream *st, const ProtobufCMessage *msg)
{
	return rpc_stream_push(st, msg, 0);
}

/* CLOCK_MONOTONIC now + ms (now for ms <= 0). */
static struct timespec
rpc_mono_after(int64_t ms)
{
	struct timespec t;

	if (ms < 0)
		ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* 1 when the stream must end now (under st->mu). */
static int
rpc_stream_must_end(rpc_stream *st)
{
	return st->close_op.done || atomic_load(&st->server->stopping) ||
	       rpc_ctx_remaining_ms(&st->ctx) <= 0;
}

int
rpc_stream_wait(rpc_stream *st, int64_t ms)
{
	int64_t left = rpc_ctx_remaining_ms(&st->ctx);
	int by_deadline = left <= ms;
	struct timespec until = rpc_mono_after(by_deadline ? left : ms);
	int timed_out = 0;

	pthread_mutex_lock(&st->mu);
	while (!rpc_stream_must_end(st) && !st->notified && !timed_out) {
		if (pthread_cond_timedwait(&st->cond, &st->mu, &until) == ETIMEDOUT)
			timed_out = !by_deadline;
	}
	st->notified = 0;
	pthread_mutex_unlock(&st->mu);
	return rpc_stream_state(st, 0);
}

/* Wakes every open stream; notify: their waits return 0 (else they only
 * look at the server's and their call's state again). */
static void
rpc_streams_signal(rpc_server *s, int notify)
{
	pthread_mutex_lock(&s->streams_mu);
	for (rpc_stream *st = s->streams; st; st = st->next) {
		pthread_mutex_lock(&st->mu);
		st->notified |= notify;
		pthread_cond_broadcast(&st->cond);
		pthread_mutex_unlock(&st->mu);
	}
	pthread_mutex_unlock(&s->streams_mu);
}

void
rpc_stream_notify(rpc_stream *st)
{
	pthread_mutex_lock(&st->mu);
	st->notified = 1;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
}

void
rpc_streams_wake(rpc_server *s)
{
	rpc_streams_signal(s, 0);
}

void
rpc_server_notify(rpc_server *server)
{
	rpc_streams_signal(server, 1);
}

void
rpc_ctx_notify_streams(rpc_ctx *ctx)
{
	rpc_streams_signal(ctx->server, 1);
}

/* --- reading a bidirectional stream -------------------------------------- */

/* Waits for the stream's batch (a RECV_MESSAGE). The call is cancelled,
 * which ends the batch, when the server starts stopping or nothing came
 * within idle_ms (*idle then set). */
static void
rpc_stream_await_recv(rpc_stream *st, int64_t idle_ms, int *idle)
{
	struct timespec until = rpc_mono_after(idle_ms);
	grpc_status_code cancel = GRPC_STATUS_OK;
	int cancelled = 0;

	pthread_mutex_lock(&st->mu);
	while (!st->batch_op.done) {
		if (cancel != GRPC_STATUS_OK && !cancelled) {
			cancelled = 1;
			pthread_mutex_unlock(&st->mu);
			grpc_call_cancel_with_status(st->pending.call, cancel,
						     cancel == GRPC_STATUS_UNAVAILABLE
							     ? "the server is stopping"
							     : "the stream sat idle too long",
						     NULL);
			pthread_mutex_lock(&st->mu);
		} else if (cancelled) {
			pthread_cond_wait(&st->cond, &st->mu);
		} else if (atomic_load(&st->server->stopping)) {
			cancel = GRPC_STATUS_UNAVAILABLE;
		} else if (pthread_cond_timedwait(&st->cond, &st->mu, &until) == ETIMEDOUT) {
			*idle = 1;
			cancel = GRPC_STATUS_DEADLINE_EXCEEDED;
		}
	}
	pthread_mutex_unlock(&st->mu);
}

/* Unpacks bb (not above max_bytes) as the method's request type. */
static int
rpc_stream_unpack(rpc_stream *st, ProtobufCMessage **out, mem_arena *arena, grpc_byte_buffer *bb,
		  size_t max_bytes)
{
	const ProtobufCMessageDescriptor *type = st->ctx.bound->desc->input;
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	grpc_byte_buffer_reader reader;
	grpc_slice slice;

	if (grpc_byte_buffer_length(bb) > max_bytes)
		return err_set(ERR_INVALID_ARGUMENT, "request_too_large",
			       "a request of this stream holds at most %zu bytes", max_bytes);
	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return err_set(ERR_INVALID_ARGUMENT, "malformed_message",
			       "the request message cannot be read");
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	*out = protobuf_c_message_unpack(type, &alloc, GRPC_SLICE_LENGTH(slice),
					 GRPC_SLICE_START_PTR(slice));
	grpc_slice_unref(slice);
	if (!*out)
		return err_set(ERR_INVALID_ARGUMENT, "malformed_message",
			       "the request message is not a valid %s", type->name);
	return 0;
}

int
rpc_stream_recv(rpc_stream *st, ProtobufCMessage **out, mem_arena *arena, size_t max_bytes,
		int64_t idle_ms)
{
	grpc_byte_buffer *bb = NULL;
	grpc_op op;
	int idle = 0, rc = rpc_stream_state(st, 0);

	if (rc < 0)
		return rc;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &bb;
	if (rpc_stream_start_op(st, &st->batch_op, &op, 1) < 0)
		return err_set(ERR_INTERNAL, NULL, "cannot read the stream");
	rpc_stream_await_recv(st, idle_ms, &idle);
	if (!st->batch_op.success || idle) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		if (idle)
			return err_set(ERR_DEADLINE_EXCEEDED, "stream_idle",
				       "no request for %lld ms", (long long)idle_ms);
		rc = rpc_stream_state(st, 0);
		return rc < 0 ? rc
			      : err_set(ERR_CANCELLED, "stream_cancelled",
					"the request could not be read");
	}
	if (!bb)
		return 1;
	rc = rpc_stream_unpack(st, out, arena, bb, max_bytes);
	grpc_byte_buffer_destroy(bb);
	return rc;
}
