/* The one-RPC route: HTTP request -> RPC request -> RPC reply -> JSON. */
#include "gw.h"

#include <microhttpd.h>
#include <string.h>

int
gw_list_each(const char *list, gw_list_fn fn, void *arg)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		char item[GW_LIST_ITEM_MAX];
		char *eq;
		int rc;

		if (len >= sizeof(item))
			return err_set(ERR_INVALID_ARGUMENT, "bad_route_table",
				       "a route spec's list item is too long: %.32s...", p);
		memcpy(item, p, len);
		item[len] = '\0';
		eq = strchr(item, '=');
		if (eq)
			*eq = '\0';
		rc = fn(item, eq ? eq + 1 : NULL, arg);
		if (rc != 0)
			return rc;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
gw_require(const char *name, const char *unused, void *arg)
{
	const json_t *v = json_object_get(arg, name);

	(void)unused;
	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
		return err_set(ERR_INVALID_ARGUMENT, "missing_field", "field %s is required", name);
	return 0;
}

/* The JSON body as an object ({} when there is none). */
static int
gw_body_json(json_t **out, const gw_request *req)
{
	json_error_t error;

	if (req->body_len == 0) {
		*out = json_object();
		return 0;
	}
	*out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
	if (!*out)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_json",
			       "the body is not valid JSON (line %d column %d)", error.line,
			       error.column);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(ERR_INVALID_ARGUMENT, "invalid_json",
			       "the body must be a JSON object");
	}
	return 0;
}

typedef struct gw_fill {
	gw_request *req;
	ProtobufCMessage *msg;
	const gw_rpc_spec *spec;
} gw_fill;

#define GW_FIELD_NAME_MAX 64

typedef struct gw_alias {
	const char *key;
	char *field; /* GW_FIELD_NAME_MAX bytes */
} gw_alias;

/* 1 (found, a->field filled) when the item "param=field" is a->key's. */
static int
gw_alias_of(const char *param, const char *field, void *arg)
{
	gw_alias *a = arg;
	size_t len = field ? strlen(field) : 0;

	if (!field || strcmp(param, a->key) != 0 || len >= GW_FIELD_NAME_MAX)
		return 0;
	memcpy(a->field, field, len + 1);
	return 1;
}

/* The field a query parameter sets: its alias in the spec, or itself. */
static const char *
gw_query_field(const gw_rpc_spec *spec, const char *key, char buf[GW_FIELD_NAME_MAX])
{
	gw_alias a = {.key = key, .field = buf};

	return gw_list_each(spec->query_fields, gw_alias_of, &a) == 1 ? buf : key;
}

static const char *
gw_param_value(const gw_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_params; i++) {
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	}
	return NULL;
}

static int
gw_fill_path(const char *param, const char *field, void *arg)
{
	gw_fill *f = arg;
	const char *value = gw_param_value(f->req, param);

	if (!value)
		return err_set(ERR_INTERNAL, NULL, "route lacks {%s}", param);
	return gw_pb_set_text(f->msg, field ? field : param, value, f->req->arena, 1);
}

static enum MHD_Result
gw_fill_query(void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	gw_fill *f = arg;
	char field[GW_FIELD_NAME_MAX];

	(void)kind;
	if (!value)
		return MHD_YES;
	if (gw_pb_set_text(f->msg, gw_query_field(f->spec, key, field), value, f->req->arena, 0) <
	    0) {
		f->req = NULL; /* remembers the failure; err_last() has it */
		return MHD_NO;
	}
	return MHD_YES;
}

/* Builds the RPC request of route from req. */
static int
gw_build_request(ProtobufCMessage **out, const gw_rpc_spec *spec, gw_request *req)
{
	const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
		gw_upstream_descriptor(spec->service), spec->rpc);
	gw_fill fill = {.req = req, .spec = spec};
	json_t *body = NULL;
	int rc;

	fill.msg = mem_arena_alloc(req->arena, m->input->sizeof_message);
	if (!fill.msg)
		return err_set(ERR_RESOURCE_EXHAUSTED, NULL, "out of memory");
	m->input->message_init(fill.msg);
	rc = gw_body_json(&body, req);
	if (rc == 0)
		rc = gw_list_each(spec->required, gw_require, body);
	if (rc == 0)
		rc = gw_pb_from_json(fill.msg, body, req->arena);
	json_decref(body);
	/* Query parameters fill GET and DELETE requests only: a POST's fields
	 * come from its body. */
	if (rc == 0 && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "DELETE") == 0)) {
		MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, gw_fill_query,
					  &fill);
		if (!fill.req)
			rc = err_last()->code;
		fill.req = req;
	}
	if (rc == 0)
		rc = gw_list_each(spec->path_fields, gw_fill_path, &fill);
	/* Idempotency-Key: the route's field (client_ref), or else the
	 * request's request_id where it has one (creates; shared/idem). */
	if (rc == 0) {
		const char *key = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
							      "Idempotency-Key");

		if (key)
			rc = gw_pb_set_text(fill.msg,
					    spec->idempotency_field ? spec->idempotency_field
								    : "request_id",
					    key, req->arena, spec->idempotency_field != NULL);
	}
	*out = fill.msg;
	return rc;
}

/* 1 when a create's reply says it repeats an earlier one (`replayed`). */
static int
gw_replayed(const ProtobufCMessage *out)
{
	json_t *v = gw_pb_field_json(out, "replayed");
	int replayed = json_is_true(v);

	json_decref(v);
	return replayed;
}

void
gw_rpc_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	const gw_rpc_spec *spec = route->rpc;
	ProtobufCMessage *in = NULL, *out = NULL;
	json_t *body;

	/* A user route without a user's token is refused here: upstream it
	 * would be a call with the gateway's own credential alone, which the
	 * caller table lets read any group for the public pages. */
	if (!spec->internal && !spec->anonymous && !gw_has_user_token(req)) {
		gw_reply_no_user_token(req, resp);
		return;
	}
	if (gw_build_request(&in, spec, req) < 0 ||
	    gw_call(req, spec->service, spec->rpc, in, &out, spec->internal) < 0) {
		gw_reply_err_last(resp);
		return;
	}
	/* A sensitive change answers with its proposal, 202 (DESIGN §12). */
	if (spec->proposal) {
		body = gw_pb_field_json(out, spec->proposal);
		if (json_is_object(body) && json_object_size(body) > 0) {
			resp->location = gw_location(req, "/v1/proposals/{id}", body);
			gw_reply_json(resp, 202, body);
			return;
		}
		json_decref(body);
	}
	if (spec->status == 204) {
		resp->status = 204;
		return;
	}
	body = spec->unwrap ? gw_pb_field_json(out, spec->unwrap) : gw_pb_to_json(out);
	if (!body) /* an unwrapped sub-message the reply left unset */
		body = json_object();
	/* A create that takes a key says whether this answer is a replay,
	 * also when the body is one field of the reply. */
	if (spec->idempotency_field) {
		resp->replayed = gw_replayed(out);
		json_object_set_new(body, "replayed", json_boolean(resp->replayed));
	}
	if (spec->status == 201 && spec->location)
		resp->location = gw_location(req, spec->location, body);
	gw_reply_json(resp, spec->status, body);
}
