/* Matching a method and path against the static route table. */
#include "gw.h"

#include <string.h>

#include "text/text.h"

/* Path parameters that are ids must be UUIDs; {token} is free text of
 * URL-safe base64 characters. */
static int gw_param_valid(const char *name, const char *value)
{
	size_t n = strlen(value);

	if (strcmp(name, "token") == 0)
		return n > 0 && n <= 128 &&
		       strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
	return text_is_uuid(value);
}

/* Compares one pattern with a path, collecting {params}. 1 on a match,
 * 0 when it does not match, -1 for a matching shape with a bad param. */
static int gw_pattern_match(const char *pattern, const char *path,
			    gw_request *req)
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
				return 0;
			/* A parameter may end in a literal suffix (ledger.csv). */
			name = mem_arena_strndup(req->arena, p + 1, (size_t)(close - p - 1));
			p = close + 1;
			if (*p && *p != '/') {
				size_t suffix = strcspn(p, "/");

				if (seg <= suffix || strncmp(s + seg - suffix, p, suffix) != 0)
					return 0;
				value = mem_arena_strndup(req->arena, s, seg - suffix);
				p += suffix;
			} else {
				value = mem_arena_strndup(req->arena, s, seg);
			}
			s += seg;
			if (!name || !value)
				return 0;
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
			return 0;
		p++;
		s++;
	}
	if (*p || *s)
		return 0;
	req->n_params = n_params;
	return bad ? -1 : 1;
}

int gw_route_match(gw_request *req)
{
	int path_matched = 0, bad_param = 0;

	for (size_t i = 0; i < gw_n_routes; i++) {
		int m = gw_pattern_match(gw_routes[i].pattern, req->path, req);

		if (m == 0)
			continue;
		if (strcmp(gw_routes[i].method, req->method) != 0) {
			path_matched = 1;
			continue;
		}
		if (m < 0) {
			bad_param = 1;
			continue;
		}
		return (int)i;
	}
	if (bad_param)
		return -3;
	return path_matched ? -2 : -1;
}
