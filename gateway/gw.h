/* kolo-gateway: the HTTP/JSON face of the suite (DESIGN §9).
 *
 * Thin and stateless: a static route table {method, pattern, handler};
 * most routes are one RPC (gw_rpc_route) whose request is decoded from the
 * JSON body, query string and path, and whose reply is written back as
 * JSON with the same field names. */
#ifndef KOLO_GW_H
#define KOLO_GW_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "err/err.h"
#include "log/trace.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

#define GW_BODY_MAX   (64 * 1024)
#define GW_MAX_PARAMS 4
/* Retry-After (seconds) of a route whose service is down. */
#define GW_UNAVAILABLE_RETRY_S 5

/* The services the gateway calls. */
typedef enum {
	GW_IDENTITY,
	GW_GROUPS,
	GW_LEDGER,
	GW_WITHDRAWALS,
	GW_PAYMENTS,
	GW_EVENTS,
	GW_N_UPSTREAMS,
} gw_upstream;

/* Rate-limit classes a route belongs to (flags). */
enum {
	GW_RATE_LOGIN = 1,   /* per IP and per account (email) */
	GW_RATE_REFRESH = 2, /* per IP */
	GW_RATE_PIN = 4,     /* per IP and per account (token's user) */
	GW_RATE_PUBLIC = 8,  /* per IP */
	GW_RATE_SIGNUP = 16, /* per IP, with the login per-IP rule */
};

typedef struct gw_param {
	const char *name;
	const char *value;
} gw_param;

/* One HTTP request, everything in its arena. */
typedef struct gw_request {
	mem_arena *arena;
	const char *method;
	const char *path;
	const char *query; /* raw query string ("" when none) */
	struct MHD_Connection *connection;
	const char *body;
	size_t body_len;
	gw_param params[GW_MAX_PARAMS]; /* path parameters */
	size_t n_params;
	const char *client_ip;
	const char *user_agent;
	const char *authorization; /* the Authorization header or NULL */
	const char *origin;	   /* the Origin header or NULL (CORS) */
	/* Request id (X-Request-Id) and W3C trace (traceparent) of this
	 * request: the caller's when valid, else new (log/trace.h). */
	trace_ctx trace;
	int route_index; /* -1 when no route matched */
} gw_request;

/* What a handler answers. body_text is owned by the response (free()). */
typedef struct gw_response {
	int status;
	char *body; /* malloc'd; NULL = empty */
	size_t body_len;
	const char *content_type;  /* static */
	int retry_after;	   /* seconds; > 0 adds Retry-After */
	int replayed;		   /* 1 adds Idempotent-Replayed: true */
	const char *cache_control; /* static; NULL = no-store */
	const char *disposition;   /* Content-Disposition or NULL */
	const char *csp;	   /* Content-Security-Policy or NULL */
	const char *location;	   /* Location (in the request's arena) or NULL */
	const char *allow;	   /* Allow (405, OPTIONS; in the arena) or NULL */
	int preflight;		   /* a CORS preflight allowed: its headers */
	/* A streamed body (instead of body): stream() fills buf with up to max
	 * bytes and returns how many, 0 at the end, -1 on failure (the
	 * connection is then closed); stream_free(stream_cls) runs after. */
	long (*stream)(void *cls, char *buf, size_t max);
	void *stream_cls;
	void (*stream_free)(void *cls);
} gw_response;

typedef struct gw_route gw_route;
typedef void (*gw_handler)(const gw_route *route, gw_request *req, gw_response *resp);

/* How a one-RPC route maps HTTP onto its RPC. */
typedef struct gw_rpc_spec {
	gw_upstream service;
	const char *rpc;	       /* RPC name in the service descriptor */
	int status;		       /* HTTP status on success (204: no body) */
	const char *required;	       /* comma list of body fields that must be set */
	const char *path_fields;       /* comma list "param=field" */
	const char *unwrap;	       /* reply field sent alone, e.g. "user" */
	const char *idempotency_field; /* Idempotency-Key header -> field; the
					* reply's `replayed` is then in the body
					* and, when true, Idempotent-Replayed */
	const char *query_fields;      /* comma list "param=field" of query names
					* that differ from their field */
	int internal;		       /* call with the service token */
	int anonymous;		       /* needs no user's token (sign-up, login,
					* refresh, logout); any other non-internal
					* route without one is 401 missing_token */
	const char *proposal;	       /* reply field that, when set, is the answer
					* instead, 202: the change was only proposed
					* (DESIGN §12); Location: /v1/proposals/{id} */
	const char *location;	       /* 201's Location: a path whose {field} is
					* the body's (dotted: {webhook.id}) and
					* {$param} the request's path parameter */
} gw_rpc_spec;

struct gw_route {
	const char *method;
	const char *pattern; /* "/v1/groups/{id}"; {id}/{user_id} are UUIDs */
	gw_handler handler;
	const gw_rpc_spec *rpc;
	unsigned rate; /* GW_RATE_* */
};

/* --- openapi_schemas.c -------------------------------------------------- */
/* `kolo-gateway --openapi-schemas`: prints, as JSON, the schema of every
 * message the RPC routes reply with (as gw_pb_to_json writes it) and which
 * message each route answers with (tests/openapi/check_schemas.mjs). */
int gw_print_openapi_schemas(void);
/* The same JSON (caller frees), NULL with err_set on failure. */
json_t *gw_openapi_schemas(void);

/* --- routes.c: the table ------------------------------------------------ */
extern const gw_route gw_routes[];
extern const size_t gw_n_routes;
/* The most routes a table may hold (the metrics keep a slot for each). */
#define GW_MAX_ROUTES 128

/* --- routecheck.c ------------------------------------------------------- */
/* Checks a route table against what gw_route_match() and gw_rpc_route()
 * take on trust: known methods; patterns "/seg/..." without empty
 * segments, each {param} a whole segment (with a literal suffix at most)
 * named once, at most GW_MAX_PARAMS; no two routes of one method and path;
 * gw_rpc_route exactly on the routes with an RPC spec; and for those, a
 * unary method of the service, a success status, and every field the spec
 * names (required, path_fields covering every {param}, query_fields,
 * idempotency_field with a bool `replayed` reply, unwrap and proposal
 * sub-messages, a 201's location) in the request or reply. 0, or
 * ERR_INVALID_ARGUMENT "bad_route_table" naming the route and the fault. */
KOLO_MUST_CHECK int gw_routes_check(const gw_route *routes, size_t n);

/* --- router.c ----------------------------------------------------------- */
/* What gw_route_match() returns when no route takes the request (a
 * route's index is >= 0). */
typedef enum {
	GW_MATCH_NO_PATH = -1,	    /* no route has the path: 404 */
	GW_MATCH_OTHER_METHOD = -2, /* only routes of other methods: 405 */
	GW_MATCH_BAD_PARAM = -3,    /* a malformed path parameter: 400, with
				     * err_set naming it */
} gw_match_miss;
/* Finds the route for method + path, filling req->params. Returns its
 * index, or a gw_match_miss. */
int gw_route_match(gw_request *req);
/* The methods of the routes whose pattern matches path, then OPTIONS
 * ("GET, POST, OPTIONS"), for Allow and preflights; "" when no route's
 * pattern does (in arena; NULL when it is full). */
const char *gw_route_allow(mem_arena *arena, const char *path);
/* The path of template (gw_rpc_spec.location) for req and the JSON body
 * of its reply, each value percent-encoded; NULL when a value is missing
 * or not text (no Location then). In req's arena. */
const char *gw_location(gw_request *req, const char *template, const json_t *body);

/* --- response.c --------------------------------------------------------- */
/* A JSON body (the reference is stolen). */
void gw_reply_json(gw_response *resp, int status, json_t *body);
/* {"error":{"code":reason,"message":message}} with status. */
void gw_reply_error(gw_response *resp, int status, const char *reason, const char *message);
/* The error recorded with err_set(), with the HTTP status of its code. */
void gw_reply_err_last(gw_response *resp);
/* HTTP status for an err_code. */
int gw_http_status(err_code code);

/* --- pbjson.c ----------------------------------------------------------- */
/* Fills msg from a JSON object (unknown keys are ignored). A value of the
 * wrong type is ERR_INVALID_ARGUMENT "invalid_field" naming the field. */
KOLO_MUST_CHECK int gw_pb_from_json(ProtobufCMessage *msg, const json_t *obj, mem_arena *arena);
/* Sets the scalar field name from text (path or query parameter);
 * ERR_INVALID_ARGUMENT naming it when the text does not fit the type; an
 * unknown name is ignored (returns 0) unless strict. */
KOLO_MUST_CHECK int gw_pb_set_text(ProtobufCMessage *msg, const char *name, const char *text,
				   mem_arena *arena, int strict);
/* The JSON object of msg (new reference). A singular field without a
 * value (sub-message not set, "" time, unspecified enum, another oneof
 * member set) is absent; proto3 scalars ("" text, 0, false) are present. */
json_t *gw_pb_to_json(const ProtobufCMessage *msg);
/* The JSON of one field of msg by name (new reference; NULL if none or
 * without a value, as above). */
json_t *gw_pb_field_json(const ProtobufCMessage *msg, const char *name);

/* --- upstream.c --------------------------------------------------------- */
/* Opens the channels to the five services (addresses from the
 * environment, DESIGN §1 defaults); over TLS when tls is not NULL. Every
 * call presents the gateway's own service token (internal_token, copied). */
KOLO_MUST_CHECK int gw_upstreams_open(int64_t timeout_ms, const char *internal_token,
				      const rpc_client_tls *tls);
void gw_upstreams_close(void);
/* The descriptor of a service. */
const ProtobufCServiceDescriptor *gw_upstream_descriptor(gw_upstream up);
/* 1 when req carries a user's token gw_call() forwards (a clean
 * "Bearer ..." Authorization). */
int gw_has_user_token(const gw_request *req);
/* 401 for a request without such a token: `missing_token`, or
 * `unsupported_auth_scheme` for an Authorization of another scheme. */
void gw_reply_no_user_token(const gw_request *req, gw_response *resp);
/* Calls rpc on up for req's caller (authorization, client IP, user agent
 * and request id forwarded; the gateway's caller name and token always;
 * internal: without the user's token, as a service call). The reply
 * is in req's arena. Failures are recorded with err_set() and counted in
 * the metrics. */
KOLO_MUST_CHECK int gw_call(gw_request *req, gw_upstream up, const char *rpc,
			    const ProtobufCMessage *in, ProtobufCMessage **out, int internal);
/* Health/Check of a service within timeout_ms: 1 when SERVING. */
int gw_upstream_serving(gw_upstream up, int64_t timeout_ms);
/* The service's name for readyz ("identity"). */
const char *gw_upstream_name(gw_upstream up);

/* --- rpc_route.c -------------------------------------------------------- */
/* The handler of every one-RPC route (route->rpc says how). */
void gw_rpc_route(const gw_route *route, gw_request *req, gw_response *resp);
/* The longest item (with its NUL) of a route spec's comma list. */
#define GW_LIST_ITEM_MAX 128
typedef int (*gw_list_fn)(const char *name, const char *value, void *arg);
/* Calls fn(name, value, arg) for each item of a route spec's comma list
 * "a,b" or "a=x,b=y" (value NULL without '='; NULL list: none), stopping
 * at fn's first nonzero return, which it returns; 0 after the last. An
 * item of GW_LIST_ITEM_MAX bytes or more is ERR_INVALID_ARGUMENT
 * "bad_route_table" (gw_routes_check refuses such a table). */
int gw_list_each(const char *list, gw_list_fn fn, void *arg);

/* --- ratelimit.c -------------------------------------------------------- */
typedef struct gw_rate_rule {
	double burst;	   /* bucket size */
	double per_second; /* refill rate */
} gw_rate_rule;

/* Parses "N/S" (N requests per S seconds) into a rule. */
KOLO_MUST_CHECK int gw_rate_parse(gw_rate_rule *out, const char *text);
/* Takes one token for key under rule at now (seconds). 0 when allowed;
 * otherwise the seconds to wait (>= 1). */
int gw_rate_take(const gw_rate_rule *rule, const char *key, double now);
/* Checks the route's rate-limit classes for req; 0 or 429 filled in resp. */
int gw_rate_check(const gw_route *route, gw_request *req, gw_response *resp);
/* The configured rules of each class (set at start). */
typedef struct gw_rate_config {
	gw_rate_rule login_ip, login_account, refresh_ip, pin_ip, pin_account, public_ip;
} gw_rate_config;
void gw_rate_configure(const gw_rate_config *cfg);

/* --- metrics.c ---------------------------------------------------------- */
void gw_metrics_request(int route_index, int status, int64_t micros);
void gw_metrics_upstream_error(gw_upstream up, int grpc_status);
void gw_metrics_route(const gw_route *route, gw_request *req, gw_response *resp);
/* Why a webhook delivery was refused, for kolo_gateway_webhook_refused_total. */
typedef enum {
	GW_WEBHOOK_BAD_SIGNATURE,
	GW_WEBHOOK_RATE_LIMITED,
	GW_WEBHOOK_ADDRESS_NOT_ALLOWED,
	GW_WEBHOOK_OTHER, /* any other refusal (too large, payments down, ...) */
	GW_N_WEBHOOK_REFUSALS,
} gw_webhook_refusal;
void gw_metrics_webhook_refused(gw_webhook_refusal why);

/* --- jwks.c ------------------------------------------------------------- */
void gw_jwks_configure(int64_t ttl_s);
void gw_jwks_route(const gw_route *route, gw_request *req, gw_response *resp);
/* The user id of req's bearer token, verified against the cached keys;
 * NULL when there is none or it does not verify. */
const char *gw_verified_user(gw_request *req);

/* --- csv.c ------------------------------------------------------------- */
/* Appends field to out (cap bytes, *len used) as an RFC 4180 field: quoted
 * when it holds a comma, quote, CR or LF (quotes doubled). 0, or -1 when
 * it does not fit. */
int gw_csv_field(char *out, size_t cap, size_t *len, const char *field);

/* --- statement.c -------------------------------------------------------- */
/* GET /v1/groups/{id}/ledger.csv: the whole ledger, oldest first, with a
 * running balance, streamed page by page. */
void gw_statement_route(const gw_route *route, gw_request *req, gw_response *resp);
/* --- dues.c: GET .../dues/arrears.csv and .../members/{user_id}/statement.csv
 * (DESIGN §15), from groups' GetDuesStatus and GetMemberStatement. */
void gw_arrears_csv_route(const gw_route *route, gw_request *req, gw_response *resp);
void gw_member_statement_csv_route(const gw_route *route, gw_request *req, gw_response *resp);
/* The statement of group_id into resp (internal: read with the service
 * token, for a public statement whose caller has no account). */
void gw_statement_stream(gw_request *req, gw_response *resp, const char *group_id, int internal);

/* --- public.c ----------------------------------------------------------- */
/* GET /v1/public/{token}, GET /p/{token} (HTML), GET /p/{token}/statement.csv:
 * a group's books for anyone holding its public read token. */
void gw_public_json_route(const gw_route *route, gw_request *req, gw_response *resp);
void gw_public_page_route(const gw_route *route, gw_request *req, gw_response *resp);
void gw_public_csv_route(const gw_route *route, gw_request *req, gw_response *resp);

/* --- html.c ------------------------------------------------------------- */
/* The longest page (with its NUL) a gw_html holds. */
#define GW_HTML_MAX (8 * 1024 * 1024)
/* A page being written ({0} to start): raw, escaped (& < > " ') or
 * formatted text appended to a growing buffer of at most GW_HTML_MAX.
 * Past the cap, or out of memory, nothing more is appended and failed
 * stays set: gw_html_reply() then answers 500, never a truncated page. */
typedef struct gw_html {
	char *text; /* malloc'd; NULL until the first append */
	size_t len, cap;
	int failed;
} gw_html;
void gw_html_raw(gw_html *h, const char *text);
void gw_html_text(gw_html *h, const char *text);
void gw_html_printf(gw_html *h, const char *fmt, ...) KOLO_PRINTF(2, 3);
/* Gives h's text to resp as an HTML body with status, or, when h failed
 * (or holds nothing), frees it and answers 500 "internal". h is left
 * empty either way. */
void gw_html_reply(gw_html *h, gw_response *resp, int status);
/* Kobo as "₦1,234,567.89" (negative with a minus). out holds 48. */
void gw_naira_display(char out[48], int64_t kobo);
/* An RFC 3339 UTC time as Lagos time (WAT, UTC+1): "26 Nov 2026, 10:12". */
void gw_lagos_time(char out[40], const char *rfc3339);

/* --- addrlist.c -------------------------------------------------------- */
#define GW_ADDRLIST_MAX 64
typedef struct gw_addr_block {
	unsigned char addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	int prefix_bits;	/* of the 128 */
} gw_addr_block;
typedef struct gw_addrlist {
	gw_addr_block blocks[GW_ADDRLIST_MAX];
	size_t n; /* 0: every address is allowed */
} gw_addrlist;
/* Parses a comma list of IPs and CIDR blocks ("" or NULL: empty list);
 * ERR_INVALID_ARGUMENT "bad_config" naming a bad entry. */
KOLO_MUST_CHECK int gw_addrlist_parse(gw_addrlist *out, const char *text);
/* 1 when ip (text) is in the list, or the list is empty; 0 otherwise
 * (also for text that is not an address). */
int gw_addrlist_allows(const gw_addrlist *list, const char *ip);

/* --- webhook.c --------------------------------------------------------- */
/* The addresses webhooks are accepted from (KOLO_WEBHOOK_ALLOWED_IPS; set
 * once at start; an empty list allows all). */
void gw_webhook_configure(const gw_addrlist *allowed);
void gw_webhook_route(const gw_route *route, gw_request *req, gw_response *resp);

/* --- cors.c ------------------------------------------------------------- */
#define GW_CORS_MAX	   16
#define GW_CORS_ORIGIN_MAX 256
/* The web origins (KOLO_CORS_ORIGINS) a browser may call every route from,
 * with credentials. */
typedef struct gw_cors {
	char origins[GW_CORS_MAX][GW_CORS_ORIGIN_MAX]; /* lower case */
	size_t n;
} gw_cors;
/* Parses a comma list of origins, scheme://host[:port] (http or https, no
 * path, no default port; lower-cased); "*" is refused (every route but
 * the public ones takes credentials). ERR_INVALID_ARGUMENT "bad_config"
 * naming a bad entry. "" or NULL: none. */
KOLO_MUST_CHECK int gw_cors_parse(gw_cors *out, const char *text);
void gw_cors_configure(const gw_cors *cors); /* once, at start */
const gw_cors *gw_cors_config(void);
/* What to answer a request with Origin origin (NULL: none). */
typedef struct gw_cors_answer {
	const char *allow_origin; /* Access-Control-Allow-Origin, or NULL: none */
	int credentials;	  /* Access-Control-Allow-Credentials: true */
	int vary;		  /* Vary: Origin */
} gw_cors_answer;
/* A listed origin: itself, with credentials; any other origin on a public
 * route: "*" without; else nothing (the browser keeps the reply from the
 * page). */
gw_cors_answer gw_cors_decide(const gw_cors *cors, const char *origin, int public_route);
/* 1 for the routes of a group's public read token (GW_RATE_PUBLIC): their
 * replies may be read from any origin. */
int gw_route_is_public(int route_index);
/* OPTIONS on any path: 204 with Allow; with Origin, a CORS preflight for
 * Access-Control-Request-Method: 204 with the preflight headers for an
 * origin gw_cors_decide() allows, else 403 origin_not_allowed (no CORS
 * headers: the browser refuses the call). 404 for a path of no route. */
void gw_options(gw_request *req, gw_response *resp);
/* Headers every CORS preflight allows, and the replies' headers a page
 * may read. */
#define GW_CORS_ALLOW_HEADERS                                                                      \
	"Authorization, Content-Type, Idempotency-Key, X-Request-Id, traceparent, tracestate"
#define GW_CORS_EXPOSE_HEADERS                                                                     \
	"X-Request-Id, Location, Retry-After, ETag, Idempotent-Replayed, Content-Disposition, "    \
	"traceparent"
#define GW_CORS_MAX_AGE "600"

/* --- health.c ----------------------------------------------------------- */
void gw_healthz_route(const gw_route *route, gw_request *req, gw_response *resp);
void gw_readyz_route(const gw_route *route, gw_request *req, gw_response *resp);
/* /readyz's status word: "ready", "degraded" or "not_ready" (pure). */
const char *gw_readiness(int n_serving, int n_services);
void gw_openapi_route(const gw_route *route, gw_request *req, gw_response *resp);
/* The OpenAPI document, embedded at build time (openapi_doc.c). */
extern const char gw_openapi_yaml[];
extern const size_t gw_openapi_yaml_len;

/* --- server.c ----------------------------------------------------------- */
typedef struct gw_server gw_server;
typedef struct gw_server_config {
	const char *addr; /* host:port */
	int threads;
	int64_t grace_ms;
	int trust_forwarded; /* believe X-Forwarded-For's first hop */
} gw_server_config;
KOLO_MUST_CHECK int gw_server_start(gw_server **out, const gw_server_config *cfg);
int gw_server_port(const gw_server *srv);
/* Stops accepting, lets in-flight requests finish (grace), stops. */
void gw_server_stop(gw_server *srv);

#endif
