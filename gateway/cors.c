/* CORS (KOLO_CORS_ORIGINS): which web origins may call the gateway from a
 * browser, and the headers that say so (docs/decisions.md, "CORS"). */
#include "gw.h"

#include <ctype.h>
#include <microhttpd.h>
#include <string.h>

#include "config/cfg.h"

static gw_cors gw_cors_current; /* set once at start, before serving */

/* 1 when s[0..n) is a host: DNS letters, digits, '-' and '.', or an IPv6
 * literal in brackets. */
static int
gw_cors_host_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] == '[')
		return n > 2 && s[n - 1] == ']' && strspn(s + 1, "0123456789abcdef:.") == n - 2;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n && s[0] != '.' &&
	       s[0] != '-';
}

/* Checks one origin "scheme://host[:port]" (already lower case). */
static int
gw_cors_origin_ok(const char *o)
{
	const char *host, *after, *colon;
	size_t host_len;
	int64_t port;
	int https = strncmp(o, "https://", 8) == 0;

	if (!https && strncmp(o, "http://", 7) != 0)
		return 0;
	host = o + (https ? 8 : 7);
	/* The port's colon: after an IPv6 literal's closing bracket. */
	after = host[0] == '[' ? strchr(host, ']') : host;
	if (!after)
		return 0;
	colon = strchr(after, ':');
	host_len = colon ? (size_t)(colon - host) : strlen(host);
	if (!gw_cors_host_ok(host, host_len))
		return 0;
	if (!colon)
		return 1;
	/* A browser leaves a default port out of its Origin header. */
	if (cfg_parse_int(&port, colon + 1, 1, 65535) < 0 || (https && port == 443) ||
	    (!https && port == 80))
		return 0;
	return 1;
}

static int
gw_cors_add(gw_cors *out, const char *item, size_t len)
{
	char *o;

	if (len == 1 && item[0] == '*')
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CORS_ORIGINS: \"*\" is refused: the API's routes take "
			       "credentials (the public JSON is open to every origin anyway)");
	if (out->n == GW_CORS_MAX || len >= GW_CORS_ORIGIN_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CORS_ORIGINS: at most %d origins of %d characters",
			       GW_CORS_MAX, GW_CORS_ORIGIN_MAX - 1);
	o = out->origins[out->n];
	for (size_t i = 0; i < len; i++)
		o[i] = (char)tolower((unsigned char)item[i]);
	o[len] = '\0';
	if (!gw_cors_origin_ok(o))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CORS_ORIGINS: %.*s is not an origin "
			       "(scheme://host[:port], http or https, no path, no default port)",
			       (int)(len > 80 ? 80 : len), item);
	out->n++;
	return 0;
}

int
gw_cors_parse(gw_cors *out, const char *text)
{
	const char *p = text ? text : "";

	memset(out, 0, sizeof(*out));
	while (*p) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0 && gw_cors_add(out, p, len) < 0)
			return ERR_INVALID_ARGUMENT;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

void
gw_cors_configure(const gw_cors *cors)
{
	gw_cors_current = *cors;
}

const gw_cors *
gw_cors_config(void)
{
	return &gw_cors_current;
}

static int
gw_cors_listed(const gw_cors *cors, const char *origin)
{
	for (size_t i = 0; i < cors->n; i++) {
		if (strcmp(cors->origins[i], origin) == 0)
			return 1;
	}
	return 0;
}

gw_cors_answer
gw_cors_decide(const gw_cors *cors, const char *origin, int public_route)
{
	/* Every answer depends on Origin, the one without it too: a shared
	 * cache must not give a browser the reply stored for a request
	 * without Origin (public JSON is cacheable). */
	gw_cors_answer a = {.vary = 1};

	if (!origin || !origin[0])
		return a; /* not a cross-origin browser request */
	if (gw_cors_listed(cors, origin)) {
		a.allow_origin = origin;
		a.credentials = 1;
	} else if (public_route) {
		a.allow_origin = "*"; /* never with credentials */
	}
	return a;
}

int
gw_route_is_public(int route_index)
{
	return route_index >= 0 && (gw_routes[route_index].rate & GW_RATE_PUBLIC);
}

/* The route the preflight asks for (its method in
 * Access-Control-Request-Method), for the public check, metrics and log. */
static void
gw_preflight_route(gw_request *req)
{
	const char *asked = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
							"Access-Control-Request-Method");
	const char *method = req->method;
	int idx;

	req->method = asked ? asked : "GET";
	idx = gw_route_match(req);
	req->method = method;
	req->route_index = idx >= 0 ? idx : -1;
	err_clear();
}

void
gw_options(gw_request *req, gw_response *resp)
{
	const char *allow = gw_route_allow(req->arena, req->path);
	gw_cors_answer a;

	if (!allow) {
		gw_reply_error(resp, 500, "internal", "out of memory");
		return;
	}
	if (!allow[0]) {
		gw_reply_error(resp, 404, "not_found", "no such route");
		return;
	}
	resp->allow = allow;
	if (req->origin) {
		gw_preflight_route(req);
		a = gw_cors_decide(gw_cors_config(), req->origin,
				   gw_route_is_public(req->route_index));
		if (!a.allow_origin) {
			gw_reply_error(resp, 403, "origin_not_allowed",
				       "this origin may not call the API from a browser "
				       "(KOLO_CORS_ORIGINS)");
			return;
		}
		resp->preflight = 1;
	}
	resp->status = 204;
}
