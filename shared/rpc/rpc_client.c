/* The client half of shared/rpc: a channel per target, synchronous unary
 * calls on a per-thread completion queue, server streams on a queue of
 * their own. */
#include "rpc.h"
#include "rpc_internal.h"

#include "config/cfg.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RPC_MAX_CALL_METADATA 16

struct rpc_channel {
	grpc_channel *grpc;
	const ProtobufCServiceDescriptor *service;
	char **paths;	/* per method; must outlive the channel */
	void **handles; /* grpc_channel_register_call's */
};

/* --- the calling thread's completion queue ------------------------------- */

static pthread_key_t rpc_cq_key;
static pthread_once_t rpc_cq_once = PTHREAD_ONCE_INIT;

static void
rpc_cq_destroy(void *cq)
{
	grpc_completion_queue_shutdown(cq);
	grpc_completion_queue_destroy(cq);
}

static void
rpc_cq_key_create(void)
{
	pthread_key_create(&rpc_cq_key, rpc_cq_destroy);
}

static grpc_completion_queue *
rpc_thread_cq(void)
{
	grpc_completion_queue *cq;

	pthread_once(&rpc_cq_once, rpc_cq_key_create);
	cq = pthread_getspecific(rpc_cq_key);
	if (!cq) {
		cq = grpc_completion_queue_create_for_pluck(NULL);
		pthread_setspecific(rpc_cq_key, cq);
	}
	return cq;
}

void
rpc_client_thread_done(void)
{
	grpc_completion_queue *cq;

	pthread_once(&rpc_cq_once, rpc_cq_key_create);
	cq = pthread_getspecific(rpc_cq_key);
	if (cq) {
		pthread_setspecific(rpc_cq_key, NULL);
		rpc_cq_destroy(cq);
	}
}

/* --- channels --------------------------------------------------------------- */

static grpc_channel_credentials *
rpc_client_creds(const rpc_client_tls *tls)
{
	char *ca = NULL, *cert = NULL, *key = NULL;
	grpc_ssl_pem_key_cert_pair pair;
	grpc_channel_credentials *creds = NULL;

	if (!tls)
		return grpc_insecure_credentials_create();
	if (rpc_read_file(&ca, tls->ca_file) < 0)
		return NULL;
	if (tls->cert_file &&
	    (rpc_read_file(&cert, tls->cert_file) < 0 || rpc_read_file(&key, tls->key_file) < 0))
		goto out;
	pair.cert_chain = cert;
	pair.private_key = key;
	creds = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
out:
	free(ca);
	free(cert);
	rpc_free_secret(key);
	return creds;
}

int
rpc_channel_open(rpc_channel **out, const char *target, const ProtobufCServiceDescriptor *service,
		 const rpc_client_tls *tls)
{
	grpc_channel_credentials *creds = rpc_client_creds(tls);
	grpc_arg args[3];
	grpc_channel_args channel_args = {.num_args = 2, .args = args};
	rpc_channel *ch;

	if (!creds)
		return err_set(ERR_INVALID_ARGUMENT, "bad_tls_config",
			       "client TLS files cannot be used");
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = RPC_DEFAULT_MAX_MESSAGE;
	/* A peer that restarts is tried again within a second, not after the
	 * core's default backoff of up to two minutes (our peers are our own
	 * services on the cluster's network). */
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
	args[1].value.integer = RPC_MAX_RECONNECT_BACKOFF_MS;
	if (tls && tls->target_name_override) {
		args[2].type = GRPC_ARG_STRING;
		args[2].key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		args[2].value.string = (char *)tls->target_name_override;
		channel_args.num_args = 3;
	}
	ch = xcalloc(1, sizeof(*ch));
	ch->service = service;
	ch->grpc = grpc_channel_create(target, creds, &channel_args);
	grpc_channel_credentials_release(creds);
	ch->paths = xcalloc(service->n_methods, sizeof(*ch->paths));
	ch->handles = xcalloc(service->n_methods, sizeof(*ch->handles));
	for (unsigned i = 0; i < service->n_methods; i++) {
		size_t len = strlen(service->name) + strlen(service->methods[i].name) + 3;

		ch->paths[i] = xmalloc(len);
		snprintf(ch->paths[i], len, "/%s/%s", service->name, service->methods[i].name);
		ch->handles[i] = grpc_channel_register_call(ch->grpc, ch->paths[i], NULL, NULL);
	}
	*out = ch;
	return 0;
}

int
rpc_channel_down(rpc_channel *ch)
{
	grpc_connectivity_state state = grpc_channel_check_connectivity_state(ch->grpc, 0);

	return state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN;
}

void
rpc_channel_close(rpc_channel *ch)
{
	if (!ch)
		return;
	grpc_channel_destroy(ch->grpc);
	for (unsigned i = 0; i < ch->service->n_methods; i++)
		free(ch->paths[i]);
	free(ch->paths);
	free(ch->handles);
	free(ch);
}

/* --- calls -------------------------------------------------------------------- */

/* Everything one call owns until it is over. */
typedef struct rpc_client_call {
	grpc_call *call;
	grpc_metadata md[RPC_MAX_CALL_METADATA];
	size_t n_md;
	grpc_byte_buffer *send;
	grpc_byte_buffer *recv;
	grpc_metadata_array initial;
	grpc_metadata_array trailing;
	grpc_status_code status;
	grpc_slice details;
} rpc_client_call;

static int
rpc_set_metadata(rpc_client_call *c, const rpc_call_opts *opts)
{
	if (opts->n_metadata > RPC_MAX_CALL_METADATA)
		return err_set(ERR_INVALID_ARGUMENT, "bad_metadata", "too many metadata entries");
	for (size_t i = 0; i < opts->n_metadata; i++) {
		const rpc_metadata *m = &opts->metadata[i];

		if (!rpc_metadata_valid(m->key, m->value))
			return err_set(ERR_INVALID_ARGUMENT, "bad_metadata",
				       "metadata %.40s is not sendable", m->key);
		c->md[i].key = grpc_slice_from_static_string(m->key);
		c->md[i].value = grpc_slice_from_static_string(m->value);
	}
	c->n_md = opts->n_metadata;
	return 0;
}

static grpc_byte_buffer *
rpc_client_pack(const ProtobufCMessage *msg)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	grpc_slice slice = grpc_slice_malloc(size);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
	bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	return bb;
}

static int
rpc_start(rpc_client_call *c, grpc_completion_queue *cq, const rpc_call_opts *opts)
{
	grpc_op ops[6];
	grpc_call_error rc;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = c->n_md;
	ops[0].data.send_initial_metadata.metadata = c->md;
	if (opts->wait_for_ready)
		ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY |
			       GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = c->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &c->recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &c->trailing;
	ops[5].data.recv_status_on_client.status = &c->status;
	ops[5].data.recv_status_on_client.status_details = &c->details;
	rc = grpc_call_start_batch(c->call, ops, 6, c, NULL);
	if (rc != GRPC_CALL_OK)
		return err_set(ERR_INTERNAL, NULL, "call refused by grpc (%d)", (int)rc);
	grpc_completion_queue_pluck(cq, c, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	return 0;
}

/* The reason from the trailers, or the default of the code. */
static void
rpc_status_error(const rpc_client_call *c)
{
	err_code code = err_from_grpc((int)c->status);
	char reason[ERR_REASON_MAX], retry[16] = "";
	char *details = grpc_slice_to_c_string(c->details);
	int64_t retry_after = 0;

	snprintf(reason, sizeof(reason), "%s", err_default_reason(code));
	for (size_t i = 0; i < c->trailing.count; i++) {
		const grpc_metadata *m = &c->trailing.metadata[i];
		size_t n = GRPC_SLICE_LENGTH(m->value);

		if (grpc_slice_str_cmp(m->key, RPC_REASON_KEY) == 0 && n < sizeof(reason)) {
			memcpy(reason, GRPC_SLICE_START_PTR(m->value), n);
			reason[n] = '\0';
		}
		if (grpc_slice_str_cmp(m->key, RPC_RETRY_AFTER_KEY) == 0 && n < sizeof(retry)) {
			memcpy(retry, GRPC_SLICE_START_PTR(m->value), n);
			retry[n] = '\0';
		}
	}
	if (!rpc_reason_valid(reason))
		snprintf(reason, sizeof(reason), "%s", err_default_reason(code));
	err_set(code, reason, "%s", details[0] ? details : reason);
	/* A hint that is not a sane number of seconds is dropped. */
	if (retry[0] && cfg_parse_int(&retry_after, retry, 1, 7 * 86400) == 0)
		err_set_retry_after((int)retry_after);
	/* Metadata (attempts_left, field) travels on with a relayed error. */
	for (size_t i = 0; i < c->trailing.count; i++) {
		const grpc_metadata *m = &c->trailing.metadata[i];

		if (grpc_slice_str_cmp(m->key, RPC_STATUS_DETAILS_KEY) == 0)
			rpc_status_meta_apply(GRPC_SLICE_START_PTR(m->value),
					      GRPC_SLICE_LENGTH(m->value));
	}
	gpr_free(details);
}

static int
rpc_client_unpack(ProtobufCMessage **out, const rpc_client_call *c,
		  const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc)
{
	if (!c->recv)
		return err_set(ERR_INTERNAL, "empty_reply",
			       "the server answered OK without a message");
	*out = rpc_bb_unpack(desc, alloc, c->recv);
	if (!*out)
		return err_set(ERR_INTERNAL, "malformed_reply", "the reply is not a valid %s",
			       desc->name);
	return 0;
}

static void
rpc_client_call_free(rpc_client_call *c)
{
	if (c->call)
		grpc_call_unref(c->call);
	if (c->send)
		grpc_byte_buffer_destroy(c->send);
	if (c->recv)
		grpc_byte_buffer_destroy(c->recv);
	grpc_metadata_array_destroy(&c->initial);
	grpc_metadata_array_destroy(&c->trailing);
	grpc_slice_unref(c->details);
}

static int
rpc_method_index(const rpc_channel *ch, const char *method)
{
	for (unsigned i = 0; i < ch->service->n_methods; i++) {
		if (strcmp(ch->service->methods[i].name, method) == 0)
			return (int)i;
	}
	return -1;
}

/* The index of method in the channel's service, checking req's type. */
static int
rpc_method_check(const rpc_channel *ch, const char *method, const ProtobufCMessage *req)
{
	int idx = rpc_method_index(ch, method);

	if (idx < 0)
		return err_set(ERR_INTERNAL, NULL, "%s has no method %s", ch->service->name,
			       method);
	if (req->descriptor != ch->service->methods[idx].input)
		return err_set(ERR_INTERNAL, NULL, "wrong request type for %s", method);
	return idx;
}

static gpr_timespec
rpc_deadline(const rpc_call_opts *opts)
{
	int64_t timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : RPC_DEFAULT_TIMEOUT_MS;

	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

int
rpc_call(rpc_channel *ch, const char *method, const ProtobufCMessage *req,
	 ProtobufCMessage **resp_out, ProtobufCAllocator *alloc, const rpc_call_opts *opts)
{
	static const rpc_call_opts defaults = {.timeout_ms = 0};
	rpc_client_call c;
	grpc_completion_queue *cq = rpc_thread_cq();
	int idx = rpc_method_check(ch, method, req);
	ProtobufCMessage *ignored = NULL;
	int rc;

	if (idx < 0)
		return idx;
	if (!opts)
		opts = &defaults;
	memset(&c, 0, sizeof(c));
	grpc_metadata_array_init(&c.initial);
	grpc_metadata_array_init(&c.trailing);
	c.details = grpc_empty_slice();
	rc = rpc_set_metadata(&c, opts);
	if (rc < 0)
		goto out;
	c.call = grpc_channel_create_registered_call(ch->grpc, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
						     ch->handles[idx], rpc_deadline(opts), NULL);
	c.send = rpc_client_pack(req);
	rc = rpc_start(&c, cq, opts);
	if (rc < 0)
		goto out;
	if (c.status != GRPC_STATUS_OK) {
		rpc_status_error(&c);
		rc = err_from_grpc((int)c.status);
		goto out;
	}
	rc = rpc_client_unpack(resp_out ? resp_out : &ignored, &c, ch->service->methods[idx].output,
			       alloc);
	if (rc == 0 && !resp_out)
		protobuf_c_message_free_unpacked(ignored, alloc);
out:
	rpc_client_call_free(&c);
	return rc;
}

/* --- server streams ------------------------------------------------------- */

struct rpc_client_stream {
	rpc_client_call c;
	grpc_completion_queue *cq; /* the stream's own (pluck) */
	const ProtobufCMessageDescriptor *output;
	int initial_done; /* initial metadata asked for */
	int status_done;  /* the status arrived */
	/* The tags of the three kinds of batch. */
	char tag_send, tag_recv, tag_status;
};

static grpc_event
rpc_stream_pluck(rpc_client_stream *st, void *tag)
{
	return grpc_completion_queue_pluck(st->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

static void
rpc_client_stream_free(rpc_client_stream *st)
{
	rpc_client_call_free(&st->c);
	rpc_cq_destroy(st->cq);
	free(st);
}

/* The request out, the client's half closed; the status asked for. */
static int
rpc_stream_begin(rpc_client_stream *st, const rpc_call_opts *opts)
{
	grpc_op ops[3], status;
	grpc_call_error rc;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = st->c.n_md;
	ops[0].data.send_initial_metadata.metadata = st->c.md;
	if (opts->wait_for_ready)
		ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY |
			       GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = st->c.send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	memset(&status, 0, sizeof(status));
	status.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	status.data.recv_status_on_client.trailing_metadata = &st->c.trailing;
	status.data.recv_status_on_client.status = &st->c.status;
	status.data.recv_status_on_client.status_details = &st->c.details;
	rc = grpc_call_start_batch(st->c.call, &status, 1, &st->tag_status, NULL);
	if (rc != GRPC_CALL_OK)
		return err_set(ERR_INTERNAL, NULL, "stream refused by grpc (%d)", (int)rc);
	rc = grpc_call_start_batch(st->c.call, ops, 3, &st->tag_send, NULL);
	if (rc != GRPC_CALL_OK) {
		grpc_call_cancel(st->c.call, NULL);
		rpc_stream_pluck(st, &st->tag_status);
		st->status_done = 1;
		return err_set(ERR_INTERNAL, NULL, "stream refused by grpc (%d)", (int)rc);
	}
	if (rpc_stream_pluck(st, &st->tag_send).success)
		return 0;
	/* The call failed before the request left: its status says why. */
	rpc_stream_pluck(st, &st->tag_status);
	st->status_done = 1;
	rpc_status_error(&st->c);
	return err_from_grpc((int)st->c.status);
}

int
rpc_stream_open(rpc_client_stream **out, rpc_channel *ch, const char *method,
		const ProtobufCMessage *req, const rpc_call_opts *opts)
{
	static const rpc_call_opts defaults = {.timeout_ms = 0};
	int idx = rpc_method_check(ch, method, req);
	rpc_client_stream *st;
	int rc;

	if (idx < 0)
		return idx;
	if (!opts)
		opts = &defaults;
	st = xcalloc(1, sizeof(*st));
	grpc_metadata_array_init(&st->c.initial);
	grpc_metadata_array_init(&st->c.trailing);
	st->c.details = grpc_empty_slice();
	st->cq = grpc_completion_queue_create_for_pluck(NULL);
	st->output = ch->service->methods[idx].output;
	rc = rpc_set_metadata(&st->c, opts);
	if (rc < 0)
		goto fail;
	st->c.call =
		grpc_channel_create_registered_call(ch->grpc, NULL, GRPC_PROPAGATE_DEFAULTS, st->cq,
						    ch->handles[idx], rpc_deadline(opts), NULL);
	st->c.send = rpc_client_pack(req);
	rc = rpc_stream_begin(st, opts);
	if (rc < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	rpc_client_stream_free(st);
	return rc;
}

/* The stream is over: waits for the status; 1 for OK, else its error. */
static int
rpc_stream_status(rpc_client_stream *st)
{
	if (!st->status_done) {
		rpc_stream_pluck(st, &st->tag_status);
		st->status_done = 1;
	}
	if (st->c.status == GRPC_STATUS_OK)
		return 1;
	rpc_status_error(&st->c);
	return err_from_grpc((int)st->c.status);
}

int
rpc_stream_next(rpc_client_stream *st, ProtobufCMessage **msg_out, ProtobufCAllocator *alloc)
{
	grpc_op ops[2];
	size_t n = 0;
	int rc;

	if (st->status_done)
		return rpc_stream_status(st);
	memset(ops, 0, sizeof(ops));
	if (!st->initial_done) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n++].data.recv_initial_metadata.recv_initial_metadata = &st->c.initial;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n++].data.recv_message.recv_message = &st->c.recv;
	if (grpc_call_start_batch(st->c.call, ops, n, &st->tag_recv, NULL) != GRPC_CALL_OK)
		return err_set(ERR_INTERNAL, NULL, "stream read refused by grpc");
	st->initial_done = 1;
	rpc_stream_pluck(st, &st->tag_recv);
	if (!st->c.recv)
		return rpc_stream_status(st);
	rc = rpc_client_unpack(msg_out, &st->c, st->output, alloc);
	grpc_byte_buffer_destroy(st->c.recv);
	st->c.recv = NULL;
	return rc;
}

void
rpc_client_stream_close(rpc_client_stream *st)
{
	if (!st)
		return;
	if (!st->status_done) {
		grpc_call_cancel(st->c.call, NULL);
		rpc_stream_pluck(st, &st->tag_status);
	}
	rpc_client_stream_free(st);
}
