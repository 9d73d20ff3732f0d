/* Matching a method and path against the static route table. */
#include "gw.h"

#include <stdio.h>
#include <string.h>

#include "text/text.h"

/* Path parameters that are ids must be UUIDs; {token} is free text of
 * URL-safe base64 characters. */
static int
gw_param_valid(const char *name, const char *value)
{
	size_t n = strlen(value);

	if (strcmp(name, "token") == 0)
		return n > 0 && n <= 128 &&
		       strspn(value,
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
			       n;
	return text_is_uuid(value);
}

/* How a pattern compares with a path. */
typedef enum {
	GW_PATTERN_MISS,      /* another shape */
	GW_PATTERN_FIT,	      /* a match; req->params filled */
	GW_PATTERN_BAD_PARAM, /* the shape, with a malformed {param} (err_set) */
} gw_pattern_result;

/* Compares one pattern with a path, collecting {params}. */
static gw_pattern_result
gw_pattern_match(const char *pattern, const char *path, gw_request *req)
{
	const char *p = pattern, *s = path;
	size_t n_params = 0;
	int bad = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t seg = strcspn(s, "/");
			const char *name, *value;

			if (!close || n_params == GW_MAX_PARAMS || seg == 0)
				return GW_PATTERN_MISS;
			/* A parameter may end in a literal suffix (ledger.csv). */
			name = mem_arena_strndup(req->arena, p + 1, (size_t)(close - p - 1));
			p = close + 1;
			if (*p && *p != '/') {
				size_t suffix = strcspn(p, "/");

				if (seg <= suffix || strncmp(s + seg - suffix, p, suffix) != 0)
					return GW_PATTERN_MISS;
				value = mem_arena_strndup(req->arena, s, seg - suffix);
				p += suffix;
			} else {
				value = mem_arena_strndup(req->arena, s, seg);
			}
			s += seg;
			if (!name || !value)
				return GW_PATTERN_MISS;
			if (!gw_param_valid(name, value) && !bad) {
				bad = 1;
				err_set(ERR_INVALID_ARGUMENT, "invalid_path_parameter",
					"path parameter %.32s is malformed", name);
			}
			req->params[n_params].name = name;
			req->params[n_params++].value = value;
			continue;
		}
		if (*p != *s)
			return GW_PATTERN_MISS;
		p++;
		s++;
	}
	if (*p || *s)
		return GW_PATTERN_MISS;
	req->n_params = n_params;
	return bad ? GW_PATTERN_BAD_PARAM : GW_PATTERN_FIT;
}

int
gw_route_match(gw_request *req)
{
	int path_matched = 0, bad_param = 0;

	for (size_t i = 0; i < gw_n_routes; i++) {
		gw_pattern_result m = gw_pattern_match(gw_routes[i].pattern, req->path, req);

		if (m == GW_PATTERN_MISS)
			continue;
		if (strcmp(gw_routes[i].method, req->method) != 0) {
			path_matched = 1;
			continue;
		}
		if (m == GW_PATTERN_BAD_PARAM) {
			bad_param = 1;
			continue;
		}
		return (int)i;
	}
	if (bad_param)
		return GW_MATCH_BAD_PARAM;
	return path_matched ? GW_MATCH_OTHER_METHOD : GW_MATCH_NO_PATH;
}

#define GW_ALLOW_MAX 64

const char *
gw_route_allow(mem_arena *arena, const char *path)
{
	gw_request scratch = {.arena = arena, .path = path};
	char allow[GW_ALLOW_MAX] = "";
	size_t len = 0;

	for (size_t i = 0; i < gw_n_routes; i++) {
		const char *m = gw_routes[i].method;

		/* A malformed parameter still names the route's methods. */
		if (gw_pattern_match(gw_routes[i].pattern, path, &scratch) == GW_PATTERN_MISS ||
		    strstr(allow, m))
			continue;
		len += (size_t)snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "",
					m);
		if (len >= sizeof(allow))
			return NULL;
	}
	err_clear(); /* a malformed parameter's err_set is not this call's */
	if (len)
		snprintf(allow + len, sizeof(allow) - len, ", OPTIONS");
	return mem_arena_strdup(arena, allow);
}

/* --- Location ----------------------------------------------------------- */

/* The text value of name: a path parameter of req ("$id") or a dotted
 * field of body ("webhook.id"); NULL when there is none. */
static const char *
gw_location_value(gw_request *req, const char *name, const json_t *body)
{
	char *dot;

	if (name[0] == '$') {
		for (size_t i = 0; i < req->n_params; i++) {
			if (strcmp(req->params[i].name, name + 1) == 0)
				return req->params[i].value;
		}
		return NULL;
	}
	while (body && (dot = strchr(name, '.')) != NULL) {
		char *head = mem_arena_strndup(req->arena, name, (size_t)(dot - name));

		body = head ? json_object_get(body, head) : NULL;
		name = dot + 1;
	}
	return body ? json_string_value(json_object_get(body, name)) : NULL;
}

/* Appends value percent-encoded (RFC 3986 unreserved kept). */
static int
gw_location_append(char *out, size_t cap, size_t *len, const char *value)
{
	static const char unreserved[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

	if (!value[0])
		return -1;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		int n = strchr(unreserved, *p) ? snprintf(out + *len, cap - *len, "%c", *p)
					       : snprintf(out + *len, cap - *len, "%%%02X", *p);

		if (n < 0 || (size_t)n >= cap - *len)
			return -1;
		*len += (size_t)n;
	}
	return 0;
}

#define GW_LOCATION_MAX 512

const char *
gw_location(gw_request *req, const char *template, const json_t *body)
{
	char out[GW_LOCATION_MAX];
	size_t len = 0;

	for (const char *p = template; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		char *name;
		const char *value;

		if (!close) {
			if (len + 1 >= sizeof(out))
				return NULL;
			out[len++] = *p++;
			continue;
		}
		name = mem_arena_strndup(req->arena, p + 1, (size_t)(close - p - 1));
		value = name ? gw_location_value(req, name, body) : NULL;
		if (!value || gw_location_append(out, sizeof(out), &len, value) < 0)
			return NULL;
		p = close + 1;
	}
	out[len] = '\0';
	return mem_arena_strdup(req->arena, out);
}
