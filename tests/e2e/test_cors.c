/* CORS through the gateway (KOLO_CORS_ORIGINS; run_e2e.sh allows
 * KOLO_E2E_CORS_ALLOWED and https://app.kolo.test, not KOLO_E2E_CORS_OTHER):
 * the headers of preflights and replies, then a real browser: headless
 * Chromium loads tests/e2e/cors/page.html from each origin and fetch()es the
 * gateway with credentials and a bearer token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e2e.h"

static const char *allowed_origin, *other_origin;

static int
setup(void **state)
{
	(void)state;
	allowed_origin = getenv("KOLO_E2E_CORS_ALLOWED");
	other_origin = getenv("KOLO_E2E_CORS_OTHER");
	if (!getenv("KOLO_E2E_URL") || !getenv("KOLO_E2E_OUT") || !allowed_origin ||
	    !other_origin) {
		fprintf(stderr, "KOLO_E2E_URL/OUT/CORS_ALLOWED/CORS_OTHER are not set: "
				"run through run_e2e.sh\n");
		return -1;
	}
	return e2e_setup(state);
}

static char scratch[1024];

/* The header's value, or NULL. */
static const char *
hdr(const e2e_reply *r, const char *name)
{
	return e2e_header(r, name, scratch, sizeof(scratch));
}

static void
assert_header(const e2e_reply *r, const char *name, const char *want)
{
	const char *got = hdr(r, name);

	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s; headers:\n%s", name, got ? got : "(none)", want,
			 r->headers);
}

static void
assert_header_has(const e2e_reply *r, const char *name, const char *part)
{
	const char *got = hdr(r, name);

	if (!got || !strstr(got, part))
		fail_msg("%s: %s lacks %s", name, got ? got : "(none)", part);
}

static void
assert_no_cors(const e2e_reply *r)
{
	assert_null(hdr(r, "Access-Control-Allow-Origin"));
	assert_null(hdr(r, "Access-Control-Allow-Credentials"));
	assert_null(hdr(r, "Access-Control-Allow-Methods"));
}

/* A preflight: OPTIONS path from origin for method with the headers a
 * fetch() with a token and a JSON body asks for. */
static void
preflight(e2e_reply *r, const char *path, const char *origin, const char *method)
{
	char o_line[320], m_line[96];
	e2e_opts o = {.header = o_line, .header2 = m_line};

	snprintf(o_line, sizeof(o_line), "Origin: %s", origin);
	snprintf(m_line, sizeof(m_line), "Access-Control-Request-Method: %s", method);
	e2e_http(r, "OPTIONS", path, &o);
}

/* A public read token of a new group of owner; its id in gid. */
static void
public_group(const e2e_user *owner, char *gid, char *token)
{
	char path[160];
	e2e_opts o = {.token = owner->access};
	e2e_reply r;

	e2e_group(gid, owner, "CORS group");
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(token, 64, "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
}

static void
test_preflights(void **state)
{
	e2e_reply r;

	(void)state;
	/* An allowed origin: 204 with what it may send, for how long. */
	preflight(&r, "/v1/groups", allowed_origin, "POST");
	assert_int_equal(r.status, 204);
	assert_header(&r, "Access-Control-Allow-Origin", allowed_origin);
	assert_header(&r, "Access-Control-Allow-Credentials", "true");
	assert_header(&r, "Vary", "Origin");
	assert_header(&r, "Access-Control-Allow-Methods", "POST, GET, OPTIONS");
	assert_header_has(&r, "Access-Control-Allow-Headers", "Authorization");
	assert_header_has(&r, "Access-Control-Allow-Headers", "Content-Type");
	assert_header_has(&r, "Access-Control-Allow-Headers", "Idempotency-Key");
	assert_header_has(&r, "Access-Control-Allow-Headers", "X-Request-Id");
	assert_header_has(&r, "Access-Control-Allow-Headers", "traceparent");
	assert_header(&r, "Access-Control-Max-Age", "600");
	e2e_reply_free(&r);
	/* The second configured origin too, on a route with path parameters. */
	preflight(&r, "/v1/groups/3f2b8c1e-9a4d-4e6f-8b2a-1c5d7e9f0a11/members",
		  "https://app.kolo.test", "POST");
	assert_int_equal(r.status, 204);
	assert_header(&r, "Access-Control-Allow-Origin", "https://app.kolo.test");
	assert_header(&r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	e2e_reply_free(&r);
	/* Another origin: 403, no CORS headers (the browser refuses the call). */
	preflight(&r, "/v1/groups", other_origin, "POST");
	assert_int_equal(r.status, 403);
	assert_string_equal(e2e_error_code(&r), "origin_not_allowed");
	assert_no_cors(&r);
	assert_header(&r, "Vary", "Origin");
	e2e_reply_free(&r);
	/* Lookalikes of an allowed origin are other origins. */
	preflight(&r, "/v1/groups", "https://app.kolo.test.evil.example", "POST");
	assert_int_equal(r.status, 403);
	e2e_reply_free(&r);
	preflight(&r, "/v1/groups", "http://app.kolo.test", "POST");
	assert_int_equal(r.status, 403);
	e2e_reply_free(&r);
	/* The public JSON: any origin, without credentials. */
	preflight(&r, "/v1/public/abc", other_origin, "GET");
	assert_int_equal(r.status, 204);
	assert_header(&r, "Access-Control-Allow-Origin", "*");
	assert_null(hdr(&r, "Access-Control-Allow-Credentials"));
	assert_header(&r, "Access-Control-Allow-Methods", "GET, OPTIONS");
	e2e_reply_free(&r);
	/* A path of no route: 404, no CORS. */
	preflight(&r, "/v1/nowhere", allowed_origin, "GET");
	assert_int_equal(r.status, 404);
	e2e_reply_free(&r);
}

static void
test_reply_headers(void **state)
{
	e2e_user u;
	char gid[64], token[64], path[160], origin_line[320];
	e2e_opts o = {.header = origin_line};
	e2e_reply r;

	(void)state;
	e2e_register(&u, "cors-headers");
	public_group(&u, gid, token);
	o.token = u.access;
	/* An allowed origin reads the reply and the headers it needs. */
	snprintf(origin_line, sizeof(origin_line), "Origin: %s", allowed_origin);
	o.body = "{\"name\":\"CORS create\"}";
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	assert_header(&r, "Access-Control-Allow-Origin", allowed_origin);
	assert_header(&r, "Access-Control-Allow-Credentials", "true");
	assert_header(&r, "Vary", "Origin");
	assert_header_has(&r, "Access-Control-Expose-Headers", "X-Request-Id");
	assert_header_has(&r, "Access-Control-Expose-Headers", "Location");
	assert_header_has(&r, "Access-Control-Expose-Headers", "Retry-After");
	assert_header_has(&r, "Access-Control-Expose-Headers", "ETag");
	assert_null(hdr(&r, "Access-Control-Allow-Methods")); /* a preflight's only */
	e2e_reply_free(&r);
	o.body = NULL;
	/* ... errors too, so a page can show them. */
	o.token = NULL;
	e2e_expect(&r, "GET", "/v1/me", &o, 401, "missing_token");
	assert_header(&r, "Access-Control-Allow-Origin", allowed_origin);
	e2e_reply_free(&r);
	/* Another origin: the gateway answers, without CORS headers. */
	o.token = u.access;
	snprintf(origin_line, sizeof(origin_line), "Origin: %s", other_origin);
	e2e_expect(&r, "GET", "/v1/me", &o, 200, "");
	assert_no_cors(&r);
	assert_header(&r, "Vary", "Origin");
	e2e_reply_free(&r);
	/* The public JSON: "*" for another origin, no credentials ... */
	o.token = NULL;
	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_header(&r, "Access-Control-Allow-Origin", "*");
	assert_null(hdr(&r, "Access-Control-Allow-Credentials"));
	assert_header(&r, "Vary", "Origin");
	e2e_reply_free(&r);
	/* ... the origin itself for an allowed one. */
	snprintf(origin_line, sizeof(origin_line), "Origin: %s", allowed_origin);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_header(&r, "Access-Control-Allow-Origin", allowed_origin);
	e2e_reply_free(&r);
	/* No Origin: no CORS headers, but Vary: Origin (this public reply
	 * is cacheable: a cache must not hand it to a browser). */
	o.header = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_no_cors(&r);
	assert_header(&r, "Vary", "Origin");
	e2e_reply_free(&r);
}

/* --- a real browser --------------------------------------------------------------- */

/* Loads the page from origin in headless Chromium and returns what its
 * fetch() calls got (the JSON array it writes into #out). */
static json_t *
browse(const char *origin, const char *tag, const e2e_user *u, const char *gid, const char *token)
{
	const char *out = getenv("KOLO_E2E_OUT");
	char cmd[8192], dom[1 << 16], *start, *end;
	FILE *p;
	size_t n;
	json_t *results;

	mkdir(out, 0755);
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic"
		 " --no-first-run --disable-background-networking --disable-component-update"
		 " --disable-sync --user-data-dir=%s/chromium-cors-%s --virtual-time-budget=20000"
		 " --dump-dom '%s/page.html#gw=%s&token=%s&gid=%s&public=%s' 2>/dev/null",
		 out, tag, origin, getenv("KOLO_E2E_URL"), u->access, gid, token);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(dom, 1, sizeof(dom) - 1, p);
	dom[n] = '\0';
	assert_int_equal(pclose(p), 0);
	start = strstr(dom, "<pre id=\"out\">");
	end = start ? strstr(start, "</pre>") : NULL;
	if (!start || !end)
		fail_msg("no #out in the page from %s:\n%s", origin, dom);
	start += strlen("<pre id=\"out\">");
	*end = '\0';
	results = json_loads(start, 0, NULL);
	if (!json_is_array(results))
		fail_msg("the page from %s wrote: %s", origin, start);
	return results;
}

static json_t *
result(json_t *results, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(results, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
			return v;
	}
	fail_msg("no result %s", name);
	return NULL;
}

static long
status_of(json_t *results, const char *name)
{
	return (long)json_integer_value(json_object_get(result(results, name), "status"));
}

static size_t
my_groups(const e2e_user *u)
{
	e2e_opts o = {.token = u->access};
	e2e_reply r;
	size_t n;

	e2e_expect(&r, "GET", "/v1/groups", &o, 200, "");
	n = json_array_size(json_object_get(r.json, "groups"));
	e2e_reply_free(&r);
	return n;
}

static void
test_chromium_on_an_allowed_origin_calls_with_credentials(void **state)
{
	e2e_user u;
	char gid[64], token[64], location[128];
	json_t *res, *v;

	(void)state;
	e2e_register(&u, "cors-browser-ok");
	public_group(&u, gid, token);
	res = browse(allowed_origin, "allowed", &u, gid, token);
	v = result(res, "get_group");
	assert_int_equal(status_of(res, "get_group"), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "body"), "id")),
			    gid);
	/* An exposed header the page could read. */
	assert_string_equal(json_string_value(json_object_get(v, "request_id")), "cors-page-1");
	v = result(res, "create_group");
	assert_int_equal(status_of(res, "create_group"), 201);
	snprintf(location, sizeof(location), "/v1/groups/%s",
		 json_string_value(json_object_get(json_object_get(v, "body"), "id")));
	assert_string_equal(json_string_value(json_object_get(v, "location")), location);
	assert_int_equal(status_of(res, "public"), 200);
	assert_int_equal(my_groups(&u), 2);
	json_decref(res);
}

static void
test_chromium_on_another_origin_is_refused_but_reads_public_json(void **state)
{
	e2e_user u;
	char gid[64], token[64];
	json_t *res, *v;

	(void)state;
	e2e_register(&u, "cors-browser-no");
	public_group(&u, gid, token);
	res = browse(other_origin, "other", &u, gid, token);
	/* The browser kept both replies from the page ... */
	v = result(res, "get_group");
	assert_non_null(strstr(json_string_value(json_object_get(v, "error")), "Failed to fetch"));
	assert_null(json_object_get(v, "status"));
	v = result(res, "create_group");
	assert_non_null(strstr(json_string_value(json_object_get(v, "error")), "Failed to fetch"));
	/* ... and the create was never sent: its preflight was refused. */
	assert_int_equal(my_groups(&u), 1);
	/* The public JSON is readable from anywhere. */
	v = result(res, "public");
	assert_int_equal(status_of(res, "public"), 200);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(v, "body"), "group"), "name")),
			    "CORS group");
	json_decref(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preflights),
		cmocka_unit_test(test_reply_headers),
		cmocka_unit_test(test_chromium_on_an_allowed_origin_calls_with_credentials),
		cmocka_unit_test(test_chromium_on_another_origin_is_refused_but_reads_public_json),
	};

	return cmocka_run_group_tests(tests, setup, e2e_teardown);
}
