/* The route table's check at start: every fact gw_route_match() and
 * gw_rpc_route() take on trust, as rpc_server_start() checks a service's
 * method table against its .proto. */
#include "gw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kolo/events/v1/events.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

#define GW_CHECK_NAME_MAX 64
#define GW_RATE_ALL                                                                                \
	(GW_RATE_LOGIN | GW_RATE_REFRESH | GW_RATE_PIN | GW_RATE_PUBLIC | GW_RATE_SIGNUP)

/* What the checks of one route share: its pattern's {params} (and which
 * of them path_fields sets) and its RPC. */
typedef struct gw_route_facts {
	const gw_route *route;
	char params[GW_MAX_PARAMS][GW_CHECK_NAME_MAX];
	size_t n_params;
	unsigned params_set; /* bit i: params[i] is in path_fields */
	const ProtobufCMethodDescriptor *method;
} gw_route_facts;

/* ERR_INVALID_ARGUMENT bad_route_table naming the route and the fault. */
static int gw_bad(const gw_route *r, const char *fmt, ...) KOLO_PRINTF(2, 3);
static int
gw_bad(const gw_route *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID_ARGUMENT, "bad_route_table", "route %s %s: %s",
		       r->method ? r->method : "(null)", r->pattern ? r->pattern : "(null)", why);
}

/* --- the pattern ---------------------------------------------------------- */

static int
gw_literal(const char *text, size_t len)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

	for (size_t i = 0; i < len; i++) {
		if (!text[i] || !strchr(ok, text[i]))
			return 0;
	}
	return 1;
}

static int
gw_param_name_ok(const char *name, size_t len)
{
	return len > 0 && len < GW_CHECK_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz_") >= len;
}

/* One {param} segment (seg, len bytes): a name, then an optional literal
 * suffix ("{id}.csv"); the name is recorded in f. */
static int
gw_check_param(gw_route_facts *f, const char *seg, size_t len)
{
	const char *close = memchr(seg, '}', len);
	size_t name_len = close ? (size_t)(close - seg - 1) : 0;

	if (!close)
		return gw_bad(f->route, "a { without its }");
	if (!gw_param_name_ok(seg + 1, name_len))
		return gw_bad(f->route, "a {param} is a name of a-z and _");
	if (!gw_literal(close + 1, len - name_len - 2))
		return gw_bad(f->route, "a {param}'s suffix is literal text");
	if (f->n_params == GW_MAX_PARAMS)
		return gw_bad(f->route, "more than %d {params}", GW_MAX_PARAMS);
	for (size_t i = 0; i < f->n_params; i++) {
		if (strlen(f->params[i]) == name_len &&
		    strncmp(f->params[i], seg + 1, name_len) == 0)
			return gw_bad(f->route, "{%s} twice", f->params[i]);
	}
	memcpy(f->params[f->n_params], seg + 1, name_len);
	f->params[f->n_params++][name_len] = '\0';
	return 0;
}

/* "/seg/seg...": no empty segment (no "//", no trailing /), each segment
 * literal or a {param} (with a literal suffix). */
static int
gw_check_pattern(gw_route_facts *f)
{
	const char *p = f->route->pattern;

	if (!p || p[0] != '/')
		return gw_bad(f->route, "a pattern starts with /");
	while (*p) {
		const char *seg = p + 1;
		size_t len = strcspn(seg, "/");
		int rc = 0;

		if (len == 0)
			return gw_bad(f->route, "an empty path segment");
		if (seg[0] == '{')
			rc = gw_check_param(f, seg, len);
		else if (!gw_literal(seg, len))
			rc = gw_bad(f->route, "a segment of other than URL-safe characters");
		if (rc < 0)
			return rc;
		p = seg + len;
	}
	return 0;
}

/* The pattern with its {params} as {}, for comparing routes. */
static void
gw_pattern_shape(char *out, size_t cap, const char *pattern)
{
	size_t len = 0;

	for (const char *p = pattern; *p && len + 3 < cap;) {
		if (*p == '{') {
			const char *close = strchr(p, '}');

			memcpy(out + len, "{}", 2);
			len += 2;
			p = close ? close + 1 : p + strlen(p);
			continue;
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
}

static int
gw_param_index(const gw_route_facts *f, const char *name)
{
	for (size_t i = 0; i < f->n_params; i++) {
		if (strcmp(f->params[i], name) == 0)
			return (int)i;
	}
	return -1;
}

/* --- the RPC spec ----------------------------------------------------------- */

static const ProtobufCFieldDescriptor *
gw_field(const ProtobufCMessageDescriptor *d, const char *name)
{
	return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

/* A field gw_pb_set_text() can set from text: singular, not a message. */
static int
gw_settable(const ProtobufCMessageDescriptor *d, const char *name)
{
	const ProtobufCFieldDescriptor *fd = gw_field(d, name);

	return fd && fd->label != PROTOBUF_C_LABEL_REPEATED && fd->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* A singular sub-message field (unwrap, proposal): its JSON is an object. */
static const ProtobufCMessageDescriptor *
gw_sub_message(const ProtobufCMessageDescriptor *d, const char *name)
{
	const ProtobufCFieldDescriptor *fd = gw_field(d, name);

	if (!fd || fd->label == PROTOBUF_C_LABEL_REPEATED || fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return fd->descriptor;
}

typedef int (*gw_item_check)(gw_route_facts *f, const char *name, const char *value);

typedef struct gw_item_walk {
	gw_route_facts *f;
	gw_item_check check;
	const char *what;
	int failed; /* an item was refused (err_set names the route) */
} gw_item_walk;

static int
gw_check_item(const char *name, const char *value, void *arg)
{
	gw_item_walk *w = arg;
	int rc = name[0] ? w->check(w->f, name, value)
			 : gw_bad(w->f->route, "%s has an empty item", w->what);

	w->failed = rc < 0;
	return rc;
}

/* Calls check(f, name, value) for each item of a comma list (what names
 * the list in faults). */
static int
gw_check_items(gw_route_facts *f, const char *what, const char *list, gw_item_check check)
{
	gw_item_walk w = {.f = f, .check = check, .what = what};
	int rc = gw_list_each(list, gw_check_item, &w);

	if (rc < 0 && !w.failed) /* an overlong item */
		return gw_bad(f->route, "%s: %s", what, err_last()->message);
	return rc;
}

static int
gw_check_required(gw_route_facts *f, const char *name, const char *value)
{
	if (value || !gw_field(f->method->input, name))
		return gw_bad(f->route, "required %s is not a field of %s", name,
			      f->method->input->name);
	return 0;
}

static int
gw_check_path_field(gw_route_facts *f, const char *param, const char *field)
{
	int i = gw_param_index(f, param);

	if (i < 0)
		return gw_bad(f->route, "path_fields names {%s}, not in the pattern", param);
	if (!gw_settable(f->method->input, field ? field : param))
		return gw_bad(f->route, "path_fields: %s is not a scalar field of %s",
			      field ? field : param, f->method->input->name);
	f->params_set |= 1u << i;
	return 0;
}

static int
gw_check_query_field(gw_route_facts *f, const char *param, const char *field)
{
	if (!field || !gw_settable(f->method->input, field))
		return gw_bad(f->route, "query_fields: %s=%s is not param=scalar field of %s",
			      param, field ? field : "", f->method->input->name);
	return 0;
}

/* A Location's {name}: "$param" of the pattern, or a dotted path to a text
 * field of the body (the reply or its unwrapped field). */
static int
gw_check_location_name(gw_route_facts *f, const ProtobufCMessageDescriptor *body, const char *name)
{
	const ProtobufCFieldDescriptor *fd = NULL;
	const char *p = name;
	char part[GW_CHECK_NAME_MAX];

	if (name[0] == '$')
		return gw_param_index(f, name + 1) < 0
			       ? gw_bad(f->route, "location's {%s}: no such {param}", name)
			       : 0;
	/* Each part but the last names a sub-message. */
	while (body && *p) {
		size_t len = strcspn(p, ".");

		if (len == 0 || len >= sizeof(part))
			break;
		memcpy(part, p, len);
		part[len] = '\0';
		p += len + (p[len] == '.');
		fd = gw_field(body, part);
		body = fd && *p ? gw_sub_message(body, part) : NULL;
	}
	if (*p || !fd || fd->label == PROTOBUF_C_LABEL_REPEATED ||
	    fd->type != PROTOBUF_C_TYPE_STRING)
		return gw_bad(f->route, "location's {%s} is not a text field of the reply", name);
	return 0;
}

static int
gw_check_location(gw_route_facts *f, const ProtobufCMessageDescriptor *body)
{
	const gw_rpc_spec *spec = f->route->rpc;

	if (spec->status != 201)
		return gw_bad(f->route, "a location needs status 201");
	for (const char *p = strchr(spec->location, '{'); p; p = strchr(p, '{')) {
		const char *close = strchr(p, '}');
		char name[GW_CHECK_NAME_MAX];
		size_t len = close ? (size_t)(close - p - 1) : 0;
		int rc;

		if (len == 0 || len >= sizeof(name))
			return gw_bad(f->route, "location has a bad {name}");
		memcpy(name, p + 1, len);
		name[len] = '\0';
		rc = gw_check_location_name(f, body, name);
		if (rc < 0)
			return rc;
		p = close + 1;
	}
	return 0;
}

/* 1 when the service's .proto streams rpc's replies (gw_call is unary). */
static int
gw_streams(gw_upstream up, const char *rpc)
{
	const char *const *lists[GW_N_UPSTREAMS] = {
		[GW_IDENTITY] = KOLO__IDENTITY__V1__IDENTITY_SERVICE__SERVER_STREAMING,
		[GW_GROUPS] = KOLO__GROUPS__V1__GROUPS_SERVICE__SERVER_STREAMING,
		[GW_LEDGER] = KOLO__LEDGER__V1__LEDGER_SERVICE__SERVER_STREAMING,
		[GW_WITHDRAWALS] = KOLO__WITHDRAWALS__V1__WITHDRAWALS_SERVICE__SERVER_STREAMING,
		[GW_PAYMENTS] = KOLO__PAYMENTS__V1__PAYMENTS_SERVICE__SERVER_STREAMING,
		[GW_EVENTS] = KOLO__EVENTS__V1__EVENTS_SERVICE__SERVER_STREAMING,
	};

	for (const char *const *name = lists[up]; name && *name; name++) {
		if (strcmp(*name, rpc) == 0)
			return 1;
	}
	return 0;
}

/* The service and method exist, and the method is unary. */
static int
gw_check_method(gw_route_facts *f)
{
	const gw_rpc_spec *spec = f->route->rpc;
	const ProtobufCServiceDescriptor *d;

	if ((int)spec->service < 0 || spec->service >= GW_N_UPSTREAMS)
		return gw_bad(f->route, "no service %d", (int)spec->service);
	d = gw_upstream_descriptor(spec->service);
	f->method =
		spec->rpc ? protobuf_c_service_descriptor_get_method_by_name(d, spec->rpc) : NULL;
	if (!f->method)
		return gw_bad(f->route, "%s has no method %s", d->name,
			      spec->rpc ? spec->rpc : "(null)");
	if (gw_streams(spec->service, spec->rpc))
		return gw_bad(f->route, "%s/%s streams: a route calls unary methods", d->name,
			      spec->rpc);
	return 0;
}

/* The reply's fields the spec names: unwrap and proposal (sub-messages),
 * replayed (with idempotency_field), the Location's. */
static int
gw_check_reply(gw_route_facts *f)
{
	const gw_rpc_spec *spec = f->route->rpc;
	const ProtobufCMessageDescriptor *out = f->method->output, *body = out;
	const ProtobufCFieldDescriptor *replayed;

	if (spec->unwrap && (spec->status == 204 || !(body = gw_sub_message(out, spec->unwrap))))
		return gw_bad(f->route, "unwrap %s is not a message field of %s (or 204)",
			      spec->unwrap, out->name);
	if (spec->proposal && !gw_sub_message(out, spec->proposal))
		return gw_bad(f->route, "proposal %s is not a message field of %s", spec->proposal,
			      out->name);
	if (spec->idempotency_field) {
		replayed = gw_field(out, "replayed");
		if (!gw_settable(f->method->input, spec->idempotency_field) || !replayed ||
		    replayed->type != PROTOBUF_C_TYPE_BOOL || spec->status == 204)
			return gw_bad(f->route,
				      "idempotency_field %s needs a scalar field of %s, a bool "
				      "`replayed` in %s and a body",
				      spec->idempotency_field, f->method->input->name, out->name);
	}
	return spec->location ? gw_check_location(f, body) : 0;
}

static int
gw_check_rpc(gw_route_facts *f)
{
	const gw_rpc_spec *spec = f->route->rpc;
	int rc = gw_check_method(f);

	if (rc == 0 && spec->status != 200 && spec->status != 201 && spec->status != 202 &&
	    spec->status != 204)
		rc = gw_bad(f->route, "status %d is not 200, 201, 202 or 204", spec->status);
	if (rc == 0)
		rc = gw_check_items(f, "required", spec->required, gw_check_required);
	if (rc == 0)
		rc = gw_check_items(f, "path_fields", spec->path_fields, gw_check_path_field);
	if (rc == 0 && f->params_set != (1u << f->n_params) - 1)
		rc = gw_bad(f->route, "a {param} path_fields does not set");
	if (rc == 0)
		rc = gw_check_items(f, "query_fields", spec->query_fields, gw_check_query_field);
	if (rc == 0)
		rc = gw_check_reply(f);
	return rc;
}

/* --- the table -------------------------------------------------------------- */

static int
gw_check_route(const gw_route *r)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	gw_route_facts f = {.route = r};
	int known = 0, rc;

	for (size_t i = 0; r->method && i < sizeof(methods) / sizeof(methods[0]); i++)
		known |= strcmp(r->method, methods[i]) == 0;
	if (!known)
		return gw_bad(r, "the method is not GET, POST, PUT, PATCH or DELETE");
	rc = gw_check_pattern(&f);
	if (rc < 0)
		return rc;
	if (!r->handler)
		return gw_bad(r, "no handler");
	if ((r->handler == gw_rpc_route) != (r->rpc != NULL))
		return gw_bad(r, "gw_rpc_route takes an RPC spec, other handlers none");
	if (r->rate & ~(unsigned)GW_RATE_ALL)
		return gw_bad(r, "unknown rate-limit classes %#x", r->rate);
	return r->rpc ? gw_check_rpc(&f) : 0;
}

int
gw_routes_check(const gw_route *routes, size_t n)
{
	char shape_i[512], shape_j[512];

	if (n > GW_MAX_ROUTES)
		return err_set(ERR_INVALID_ARGUMENT, "bad_route_table",
			       "%zu routes: the metrics count at most %d", n, GW_MAX_ROUTES);
	for (size_t i = 0; i < n; i++) {
		int rc = gw_check_route(&routes[i]);

		if (rc < 0)
			return rc;
		gw_pattern_shape(shape_i, sizeof(shape_i), routes[i].pattern);
		for (size_t j = 0; j < i; j++) {
			gw_pattern_shape(shape_j, sizeof(shape_j), routes[j].pattern);
			if (strcmp(routes[i].method, routes[j].method) == 0 &&
			    strcmp(shape_i, shape_j) == 0)
				return gw_bad(&routes[i], "the same method and path as %s",
					      routes[j].pattern);
		}
	}
	return 0;
}
