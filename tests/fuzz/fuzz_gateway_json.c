/* fuzz_gateway_json: the input is a JSON request body. For every route
 * that is one RPC, it is decoded into that RPC's request message as
 * gw_rpc_route does (gw_pb_from_json); a message that decodes is written
 * back (gw_pb_to_json) and must survive a round trip through its own
 * text: to_json -> text -> from_json -> to_json gives the same text. A
 * difference is a gateway bug, reported by abort(). */
#include "fuzz.h"

#include "gw.h"

/* The request descriptor of every route (NULL for routes without an RPC). */
static const ProtobufCMessageDescriptor **fuzz_inputs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_inputs = calloc(gw_n_routes, sizeof(*fuzz_inputs));
	if (!fuzz_inputs)
		abort();
	for (size_t i = 0; i < gw_n_routes; i++) {
		const gw_rpc_spec *spec = gw_routes[i].rpc;
		const ProtobufCMethodDescriptor *m;

		if (!spec)
			continue;
		m = protobuf_c_service_descriptor_get_method_by_name(
			gw_upstream_descriptor(spec->service), spec->rpc);
		if (!m) {
			fprintf(stderr,
				"fuzz: route %s %s names rpc %s its service "
				"lacks\n",
				gw_routes[i].method, gw_routes[i].pattern, spec->rpc);
			abort();
		}
		fuzz_inputs[i] = m->input;
	}
	return 0;
}

/* The JSON text of msg, keys sorted (free()). */
static char *
fuzz_json_text(const ProtobufCMessage *msg)
{
	json_t *obj = gw_pb_to_json(msg);
	char *text;

	FUZZ_CHECK(obj != NULL);
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	FUZZ_CHECK(text != NULL);
	return text;
}

static ProtobufCMessage *
fuzz_message_new(const ProtobufCMessageDescriptor *d, mem_arena *arena)
{
	ProtobufCMessage *msg = mem_arena_alloc(arena, d->sizeof_message);

	FUZZ_CHECK(msg != NULL);
	d->message_init(msg);
	return msg;
}

static void
fuzz_round_trip_failed(size_t route, const char *why, const char *first, const char *second)
{
	fprintf(stderr,
		"fuzz: round trip of %s %s (%s) failed: %s\n"
		"fuzz:   first:  %s\nfuzz:   second: %s\n",
		gw_routes[route].method, gw_routes[route].pattern, fuzz_inputs[route]->name, why,
		first, second ? second : "-");
	abort();
}

static void
fuzz_route(size_t route, const json_t *body)
{
	const ProtobufCMessageDescriptor *d = fuzz_inputs[route];
	mem_arena *arena = mem_arena_new(8 * 1024 * 1024);
	ProtobufCMessage *msg = fuzz_message_new(d, arena), *again;
	char *first, *second;
	json_t *reread;
	json_error_t error;

	if (gw_pb_from_json(msg, body, arena) < 0) {
		FUZZ_CHECK(err_last()->code != ERR_OK);
		mem_arena_free(arena);
		return;
	}
	first = fuzz_json_text(msg);
	/* Read back as a client's body would be (rpc_route.c's flags). */
	reread = json_loads(first, JSON_REJECT_DUPLICATES, &error);
	if (!reread)
		fuzz_round_trip_failed(route, error.text, first, NULL);
	again = fuzz_message_new(d, arena);
	if (gw_pb_from_json(again, reread, arena) < 0)
		fuzz_round_trip_failed(route, err_last()->message, first, NULL);
	json_decref(reread);
	second = fuzz_json_text(again);
	if (strcmp(first, second) != 0)
		fuzz_round_trip_failed(route, "the texts differ", first, second);
	free(first);
	free(second);
	mem_arena_free(arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body;

	/* As gw_body_json reads a body: none is {}, it must be an object. */
	if (size == 0)
		body = json_object();
	else
		body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	if (json_is_object(body)) {
		for (size_t i = 0; i < gw_n_routes; i++) {
			if (fuzz_inputs[i])
				fuzz_route(i, body);
		}
	}
	json_decref(body);
	return 0;
}
