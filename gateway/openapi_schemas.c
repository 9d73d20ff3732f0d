/* `kolo-gateway --openapi-schemas`: the JSON the RPC routes write, from the
 * protobuf-c descriptors gw_pb_to_json walks, so that a check
 * (tests/openapi/check_schemas.mjs) can hold gateway/openapi.yaml to it:
 *
 *   {"messages": {"<proto full name>": {"properties": {"<field>": SCHEMA},
 *                                       "oneof": ["<field>", ...]}},
 *    "routes": [{"method", "path", "status", "message", "replayed"}]}
 *
 * SCHEMA is {"type": "string"|"integer"|"boolean"|"array"|"object", "format",
 * "enum", "items", "proto" (a message's full name), "unset"}. What pbjson
 * writes is not restated here: the enum names and what an unset field becomes
 * ("unset": "null", "absent" or "value") are read off gw_pb_to_json's output
 * for an empty message and for each enum value, so a change of its rules
 * (null or absent) reaches the check by itself. Only gw_rpc_route routes are
 * listed (the others build their JSON by hand). */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An empty message of d (message_init), malloc'd; free with free(). */
static ProtobufCMessage *
gw_schema_empty(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (m)
		d->message_init(m);
	return m;
}

/* The JSON names of f's enum values as gw_pb_to_json writes them: each value
 * set in an empty message of d, *_UNSPECIFIED (written as null) left out. */
static json_t *
gw_schema_enum_names(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCEnumDescriptor *e = f->descriptor;
	ProtobufCMessage *m = gw_schema_empty(d);
	json_t *names = json_array();
	int item = 0;

	for (unsigned i = 0; m && names && i < e->n_values; i++) {
		json_t *v;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			item = e->values[i].value;
			*(size_t *)((char *)m + f->quantifier_offset) = 1;
			*(int **)((char *)m + f->offset) = &item;
		} else {
			*(int *)((char *)m + f->offset) = e->values[i].value;
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
		}
		v = gw_pb_field_json(m, f->name);
		if (json_is_array(v))
			json_array_append(names, json_array_get(v, 0));
		else if (json_is_string(v))
			json_array_append(names, v);
		json_decref(v);
	}
	free(m); /* its repeated field pointed at `item`: nothing to free */
	if (!m) {
		json_decref(names);
		return NULL;
	}
	return names;
}

/* What gw_pb_to_json writes for each field of an empty message of d:
 * {"<field>": "null" | "absent" | "value"}. */
static json_t *
gw_schema_unset(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = gw_schema_empty(d);
	json_t *obj = m ? gw_pb_to_json(m) : NULL, *unset = json_object();

	for (unsigned i = 0; obj && unset && i < d->n_fields; i++) {
		json_t *v = json_object_get(obj, d->fields[i].name);

		json_object_set_new(unset, d->fields[i].name,
				    json_string(!v		  ? "absent"
						: json_is_null(v) ? "null"
								  : "value"));
	}
	json_decref(obj);
	free(m);
	if (!obj) {
		json_decref(unset);
		return NULL;
	}
	return unset;
}

static int gw_schema_message(json_t *messages, const ProtobufCMessageDescriptor *d);

static json_t *
gw_schema_scalar(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
		return json_pack("{s:s}", "type", "string");
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
	case PROTOBUF_C_TYPE_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case PROTOBUF_C_TYPE_ENUM:
		return json_pack("{s:s, s:o}", "type", "string", "enum",
				 gw_schema_enum_names(d, f));
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_pack("{s:s, s:s}", "type", "object", "proto",
				 ((const ProtobufCMessageDescriptor *)f->descriptor)->name);
	default:
		return json_pack("{s:s}", "type", "null"); /* not written by pbjson */
	}
}

static json_t *
gw_schema_field(json_t *messages, const ProtobufCMessageDescriptor *d,
		const ProtobufCFieldDescriptor *f, const char *unset)
{
	json_t *s = gw_schema_scalar(d, f);

	if (!s)
		return NULL;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE && gw_schema_message(messages, f->descriptor) < 0) {
		json_decref(s);
		return NULL;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return json_pack("{s:s, s:o, s:s}", "type", "array", "items", s, "unset", unset);
	json_object_set_new(s, "unset", json_string(unset));
	return s;
}

/* Adds d (and every message it holds) to messages, once. */
static int
gw_schema_message(json_t *messages, const ProtobufCMessageDescriptor *d)
{
	json_t *props, *oneof, *msg, *unset;

	if (json_object_get(messages, d->name))
		return 0;
	props = json_object();
	oneof = json_array();
	msg = json_pack("{s:o, s:o}", "properties", props, "oneof", oneof);
	if (!msg || json_object_set_new(messages, d->name, msg) < 0)
		return -1;
	unset = gw_schema_unset(d);
	for (unsigned i = 0; unset && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *s = gw_schema_field(messages, d, f,
					    json_string_value(json_object_get(unset, f->name)));

		if (!s || json_object_set_new(props, f->name, s) < 0 ||
		    ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		     json_array_append_new(oneof, json_string(f->name)) < 0)) {
			json_decref(unset);
			return -1;
		}
	}
	if (!unset)
		return -1;
	json_decref(unset);
	return 0;
}

/* The message a reply field holds (unwrap, proposal), or NULL. */
static const ProtobufCMessageDescriptor *
gw_schema_field_message(const ProtobufCMessageDescriptor *d, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(d, name);

	return f && f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
}

static int
gw_schema_route(json_t *messages, json_t *routes, const gw_route *r, int status,
		const ProtobufCMessageDescriptor *d, int replayed)
{
	json_t *row;

	if (!d || gw_schema_message(messages, d) < 0)
		return -1;
	row = json_pack("{s:s, s:s, s:i, s:s, s:b}", "method", r->method, "path", r->pattern,
			"status", status, "message", d->name, "replayed", replayed);
	return json_array_append_new(routes, row);
}

/* One route's replies: its status with the reply (or its unwrapped field),
 * and 202 with the proposal when a change may only be proposed. */
static int
gw_schema_rpc_route(json_t *messages, json_t *routes, const gw_route *r)
{
	const gw_rpc_spec *spec = r->rpc;
	const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
		gw_upstream_descriptor(spec->service), spec->rpc);
	const ProtobufCMessageDescriptor *out;

	if (!m)
		return -1;
	out = m->output;
	if (spec->proposal && gw_schema_route(messages, routes, r, 202,
					      gw_schema_field_message(out, spec->proposal), 0) < 0)
		return -1;
	if (spec->status == 204)
		return 0;
	return gw_schema_route(messages, routes, r, spec->status,
			       spec->unwrap ? gw_schema_field_message(out, spec->unwrap) : out,
			       spec->idempotency_field != NULL);
}

json_t *
gw_openapi_schemas(void)
{
	json_t *messages = json_object(), *routes = json_array();
	json_t *all = json_pack("{s:o, s:o}", "messages", messages, "routes", routes);

	for (size_t i = 0; all && i < gw_n_routes; i++) {
		if (gw_routes[i].handler == gw_rpc_route && gw_routes[i].rpc &&
		    gw_schema_rpc_route(messages, routes, &gw_routes[i]) < 0) {
			json_decref(all);
			err_set(ERR_INTERNAL, NULL, "cannot describe %s %s", gw_routes[i].method,
				gw_routes[i].pattern);
			return NULL;
		}
	}
	return all;
}

int
gw_print_openapi_schemas(void)
{
	json_t *all = gw_openapi_schemas();
	int rc = 0;

	if (!all) {
		fprintf(stderr, "kolo-gateway: %s\n", err_last()->message);
		return -1;
	}
	if (json_dumpf(all, stdout, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 || putchar('\n') == EOF)
		rc = -1;
	json_decref(all);
	return rc;
}
