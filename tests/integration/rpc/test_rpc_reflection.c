/* shared/rpc server reflection: the index of a descriptor set (hand-made
 * sets, malformed ones), a server's view of the build's set, and
 * ServerReflectionInfo over a real socket read by a raw gRPC core client
 * (the bidirectional stream the rpc client layer does not speak): answers,
 * a request that is no request, and a server that stops while a stream is
 * open (the stream is cancelled with UNAVAILABLE, not left to the grace
 * period). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <string.h>

#include "grpc/reflection/v1/reflection.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "rpc/rpc.h"
#include "rpc/rpc_reflection.h"

#define V1	 "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
#define V1ALPHA	 "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
#define IDENTITY "kolo.identity.v1.IdentityService"

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp;

/* --- hand-made descriptor sets ---------------------------------------- */

/* Appends field (length-delimited, under 128 bytes) to buf at *n. */
static void
put(uint8_t *buf, size_t *n, int field, const void *data, size_t len)
{
	assert_true(len < 128);
	buf[(*n)++] = (uint8_t)(field << 3 | 2);
	buf[(*n)++] = (uint8_t)len;
	memcpy(buf + *n, data, len);
	*n += len;
}

static void
put_str(uint8_t *buf, size_t *n, int field, const char *s)
{
	put(buf, n, field, s, strlen(s));
}

/* A declaration: name (field 1) plus one child under child_field. */
static size_t
decl(uint8_t *out, const char *name, int child_field, const uint8_t *child, size_t child_len)
{
	size_t n = 0;

	put_str(out, &n, 1, name);
	if (child)
		put(out, &n, child_field, child, child_len);
	return n;
}

/* A set of two files: a.proto (package p: message M { message N; enum
 * E }, service S { rpc Do }) importing b.proto (package q: message B), or
 * importing `import` instead when given. */
static size_t
make_set(uint8_t *set, const char *import)
{
	uint8_t n_msg[16], e_enum[16], m_msg[64], do_m[16], s_svc[32], file_a[192], file_b[64],
		b_msg[16];
	size_t n = 0, l_n, l_e, l_m = 0, l_do, l_s, l_a = 0, l_b = 0, l_bm;

	l_n = decl(n_msg, "N", 0, NULL, 0);
	l_e = decl(e_enum, "E", 0, NULL, 0);
	put_str(m_msg, &l_m, 1, "M");
	put(m_msg, &l_m, 3, n_msg, l_n);
	put(m_msg, &l_m, 4, e_enum, l_e);
	l_do = decl(do_m, "Do", 0, NULL, 0);
	l_s = decl(s_svc, "S", 2, do_m, l_do);
	put_str(file_a, &l_a, 1, "a.proto");
	put_str(file_a, &l_a, 2, "p");
	put_str(file_a, &l_a, 3, import ? import : "b.proto");
	put(file_a, &l_a, 4, m_msg, l_m);
	put(file_a, &l_a, 6, s_svc, l_s);
	l_bm = decl(b_msg, "B", 0, NULL, 0);
	put_str(file_b, &l_b, 1, "b.proto");
	put_str(file_b, &l_b, 2, "q");
	put(file_b, &l_b, 4, b_msg, l_bm);
	put(set, &n, 1, file_a, l_a);
	put(set, &n, 1, file_b, l_b);
	return n;
}

static refl_resp
ask(const rpc_reflection *view, refl_req *req, mem_arena *a)
{
	refl_resp resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;

	assert_int_equal(rpc_reflection_answer(&resp, view, req, a), 0);
	return resp;
}

/* The name of the file the answer to a symbol starts with; NULL when the
 * answer is an error (its code in *code). */
static const char *
file_of(const rpc_reflection *view, const char *symbol, mem_arena *a, size_t *n_files, int *code)
{
	refl_req req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	refl_resp resp;
	const ProtobufCBinaryData *f;

	req.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
	req.file_containing_symbol = (char *)symbol;
	resp = ask(view, &req, a);
	if (resp.message_response_case ==
	    GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE) {
		*code = resp.error_response->error_code;
		return NULL;
	}
	*n_files = resp.file_descriptor_response->n_file_descriptor_proto;
	f = &resp.file_descriptor_response->file_descriptor_proto[0];
	/* Every file here starts with its name (field 1). */
	return mem_arena_strndup(a, (const char *)f->data + 2, f->data[1]);
}

static void
test_index_of_a_hand_made_set(void **state)
{
	uint8_t set[512];
	size_t len = make_set(set, NULL), n_files = 0;
	rpc_refl_index *ix = NULL;
	rpc_reflection *view;
	mem_arena *a = mem_arena_new(0);
	int code = 0;

	assert_int_equal(rpc_refl_index_parse(&ix, set, len), 0);
	view = rpc_reflection_new(ix, "p.S");
	assert_non_null(view);
	const char *found[] = {"p.S", "p.S.Do", "p.M", "p.M.N", "p.M.E", ".p.M"};
	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		assert_string_equal(file_of(view, found[i], a, &n_files, &code), "a.proto");
		assert_int_equal(n_files, 2); /* a.proto, then its import */
	}
	assert_string_equal(file_of(view, "q.B", a, &n_files, &code), "b.proto");
	assert_int_equal(n_files, 1);
	const char *missing[] = {"p", "p.M.X", "p.S.Undo", "p.N", "", "q"};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		code = 0;
		assert_null(file_of(view, missing[i], a, &n_files, &code));
		assert_int_equal(code, 5);
	}
	rpc_reflection_free(view);
	/* A server of another service sees none of p's files. */
	view = rpc_reflection_new(ix, "r.Other");
	code = 0;
	assert_null(file_of(view, "p.M", a, &n_files, &code));
	assert_int_equal(code, 5);
	rpc_reflection_free(view);
	rpc_refl_index_free(ix);
	mem_arena_free(a);
}

static void
test_malformed_sets_are_refused(void **state)
{
	uint8_t set[512];
	size_t len = make_set(set, "missing.proto");
	rpc_refl_index *ix = NULL;
	const uint8_t truncated[] = {0x0a, 0x05, 0x0a, 0x01};
	const uint8_t group[] = {0x0b};
	const uint8_t endless[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	const uint8_t nameless[] = {0x0a, 0x02, 0x12, 0x00};

	assert_int_equal(rpc_refl_index_parse(&ix, set, len), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_descriptor_set");
	assert_int_equal(rpc_refl_index_parse(&ix, truncated, sizeof(truncated)),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(rpc_refl_index_parse(&ix, group, sizeof(group)), ERR_INVALID_ARGUMENT);
	assert_int_equal(rpc_refl_index_parse(&ix, endless, sizeof(endless)), ERR_INVALID_ARGUMENT);
	assert_int_equal(rpc_refl_index_parse(&ix, nameless, sizeof(nameless)),
			 ERR_INVALID_ARGUMENT);
	/* An empty set is a set with nothing in it. */
	assert_int_equal(rpc_refl_index_parse(&ix, set, 0), 0);
	rpc_refl_index_free(ix);
}

/* --- over a socket ---------------------------------------------------- */

typedef struct refl_client {
	grpc_channel *channel;
	grpc_completion_queue *cq;
	grpc_call *call;
	grpc_metadata_array initial, trailing;
	grpc_status_code status;
	grpc_slice details;
	int got_initial;
} refl_client;

static rpc_server *
start_identity_server(int grace_ms)
{
	const rpc_service svc = {.descriptor = &kolo__identity__v1__identity_service__descriptor};
	const rpc_server_config cfg = {.addr = "127.0.0.1:0", .workers = 1, .grace_ms = grace_ms};
	rpc_server *server = NULL;

	assert_int_equal(rpc_server_start(&server, &svc, &cfg), 0);
	return server;
}

static int
client_batch(refl_client *c, const grpc_op *ops, size_t n)
{
	grpc_event ev;

	assert_int_equal(grpc_call_start_batch(c->call, ops, n, c, NULL), GRPC_CALL_OK);
	ev = grpc_completion_queue_pluck(
		c->cq, c,
		gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(30, GPR_TIMESPAN)),
		NULL);
	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	return ev.success;
}

static void
client_open(refl_client *c, int port, const char *path)
{
	char target[64];
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_slice method = grpc_slice_from_static_string(path);
	grpc_op op;

	memset(c, 0, sizeof(*c));
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	c->channel = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	c->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, method,
					   NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_metadata_array_init(&c->initial);
	grpc_metadata_array_init(&c->trailing);
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_INITIAL_METADATA;
	assert_true(client_batch(c, &op, 1));
}

static void
client_send_bytes(refl_client *c, const uint8_t *data, size_t len)
{
	grpc_slice slice = grpc_slice_from_copied_buffer((const char *)data, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	assert_true(client_batch(c, &op, 1));
	grpc_byte_buffer_destroy(bb);
	grpc_slice_unref(slice);
}

static void
client_send(refl_client *c, const refl_req *req)
{
	uint8_t buf[1024];
	size_t len = protobuf_c_message_pack(&req->base, buf);

	client_send_bytes(c, buf, len);
}

/* The next answer, unpacked in a; NULL when the stream ended. */
static refl_resp *
client_recv(refl_client *c, mem_arena *a)
{
	ProtobufCAllocator alloc = mem_arena_allocator(a);
	grpc_byte_buffer *bb = NULL;
	grpc_byte_buffer_reader reader;
	grpc_slice slice;
	grpc_op ops[2];
	size_t n = 0;
	ProtobufCMessage *msg;

	memset(ops, 0, sizeof(ops));
	if (!c->got_initial) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n++].data.recv_initial_metadata.recv_initial_metadata = &c->initial;
		c->got_initial = 1;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n++].data.recv_message.recv_message = &bb;
	client_batch(c, ops, n);
	if (!bb)
		return NULL;
	assert_true(grpc_byte_buffer_reader_init(&reader, bb));
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	msg = protobuf_c_message_unpack(
		&grpc__reflection__v1__server_reflection_response__descriptor, &alloc,
		GRPC_SLICE_LENGTH(slice), GRPC_SLICE_START_PTR(slice));
	grpc_slice_unref(slice);
	grpc_byte_buffer_destroy(bb);
	assert_non_null(msg);
	return (refl_resp *)msg;
}

/* Half-closes, reads the status; frees the client. *details_out (in a):
 * the status message. */
static grpc_status_code
client_close(refl_client *c, mem_arena *a, char **details_out)
{
	grpc_op ops[2];
	grpc_status_code status;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[1].data.recv_status_on_client.trailing_metadata = &c->trailing;
	ops[1].data.recv_status_on_client.status = &c->status;
	ops[1].data.recv_status_on_client.status_details = &c->details;
	client_batch(c, ops, 2);
	status = c->status;
	if (details_out)
		*details_out = mem_arena_strndup(a, (const char *)GRPC_SLICE_START_PTR(c->details),
						 GRPC_SLICE_LENGTH(c->details));
	grpc_slice_unref(c->details);
	grpc_metadata_array_destroy(&c->initial);
	grpc_metadata_array_destroy(&c->trailing);
	grpc_call_unref(c->call);
	grpc_channel_destroy(c->channel);
	grpc_completion_queue_shutdown(c->cq);
	grpc_completion_queue_destroy(c->cq);
	return status;
}

static void
list_services(refl_client *c, mem_arena *a)
{
	refl_req req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	refl_resp *resp;
	const char *want[] = {IDENTITY, "grpc.health.v1.Health", RPC_REFLECTION_V1,
			      RPC_REFLECTION_V1ALPHA};

	req.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
	req.list_services = "";
	client_send(c, &req);
	resp = client_recv(c, a);
	assert_non_null(resp);
	assert_int_equal(
		resp->message_response_case,
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
	assert_int_equal(resp->list_services_response->n_service, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(resp->list_services_response->service[i]->name, want[i]);
}

static void
test_a_stream_answers_each_request(void **state)
{
	rpc_server *server = start_identity_server(5000);
	mem_arena *a = mem_arena_new(0);
	refl_req req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	refl_resp *resp;
	refl_client c;

	for (int v = 0; v < 2; v++) {
		client_open(&c, rpc_server_port(server), v ? V1ALPHA : V1);
		list_services(&c, a);
		req.message_request_case =
			GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
		req.file_containing_symbol = IDENTITY ".Register";
		client_send(&c, &req);
		resp = client_recv(&c, a);
		assert_int_equal(resp->file_descriptor_response->n_file_descriptor_proto, 2);
		req.file_containing_symbol = "kolo.groups.v1.GroupsService";
		client_send(&c, &req);
		resp = client_recv(&c, a);
		assert_int_equal(resp->error_response->error_code, 5);
		assert_string_equal(resp->original_request->file_containing_symbol,
				    "kolo.groups.v1.GroupsService");
		list_services(&c, a);
		assert_int_equal(client_close(&c, a, NULL), GRPC_STATUS_OK);
	}
	rpc_server_stop(server);
	mem_arena_free(a);
}

static void
test_bytes_that_are_no_request_end_the_stream(void **state)
{
	rpc_server *server = start_identity_server(5000);
	mem_arena *a = mem_arena_new(0);
	const uint8_t junk[] = {0x22, 0x7f, 0x01};
	refl_client c;

	client_open(&c, rpc_server_port(server), V1);
	list_services(&c, a);
	client_send_bytes(&c, junk, sizeof(junk));
	assert_null(client_recv(&c, a));
	assert_int_equal(client_close(&c, a, NULL), GRPC_STATUS_INVALID_ARGUMENT);
	/* The server goes on. */
	client_open(&c, rpc_server_port(server), V1);
	list_services(&c, a);
	assert_int_equal(client_close(&c, a, NULL), GRPC_STATUS_OK);
	rpc_server_stop(server);
	mem_arena_free(a);
}

/* Reflection is open to anyone: its streams take at most 8 of a
 * server's places, so idle ones cannot crowd out users' streams. */
static void
test_reflection_streams_have_their_own_cap(void **state)
{
	rpc_server *server = start_identity_server(5000);
	mem_arena *a = mem_arena_new(0);
	refl_client c[8], extra;

	for (int i = 0; i < 8; i++) {
		client_open(&c[i], rpc_server_port(server), i % 2 ? V1ALPHA : V1);
		list_services(&c[i], a); /* its thread now waits for more */
	}
	client_open(&extra, rpc_server_port(server), V1);
	assert_null(client_recv(&extra, a));
	assert_int_equal(client_close(&extra, a, NULL), GRPC_STATUS_RESOURCE_EXHAUSTED);
	for (int i = 0; i < 8; i++)
		assert_int_equal(client_close(&c[i], a, NULL), GRPC_STATUS_OK);
	rpc_server_stop(server);
	mem_arena_free(a);
}

static void
test_stop_cancels_a_waiting_stream(void **state)
{
	/* A grace far longer than ctest's timeout: only the cancel ends it. */
	rpc_server *server = start_identity_server(3600 * 1000);
	mem_arena *a = mem_arena_new(0);
	refl_client c;
	char *details = NULL;

	client_open(&c, rpc_server_port(server), V1);
	list_services(&c, a); /* the stream's thread now waits for more */
	rpc_server_stop(server);
	/* UNAVAILABLE either way; the status's own words arrive unless the
	 * server's transport closed first (a loaded machine): then the client's
	 * core reports the closed socket. Both mean the stop ended the stream. */
	assert_int_equal(client_close(&c, a, &details), GRPC_STATUS_UNAVAILABLE);
	assert_true(strcmp(details, "the server is stopping") == 0 ||
		    strcmp(details, "Socket closed") == 0);
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_of_a_hand_made_set),
		cmocka_unit_test(test_malformed_sets_are_refused),
		cmocka_unit_test(test_a_stream_answers_each_request),
		cmocka_unit_test(test_bytes_that_are_no_request_end_the_stream),
		cmocka_unit_test(test_reflection_streams_have_their_own_cap),
		cmocka_unit_test(test_stop_cancels_a_waiting_stream),
	};
	int rc;

	rpc_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rpc_shutdown();
	return rc;
}
