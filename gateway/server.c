/* libmicrohttpd glue: one gw_request per HTTP request, body limits,
 * dispatch through the route table, replies, access log and metrics. */
#include "gw.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "log/log.h"
#include "text/text.h"

#define GW_ARENA_CAP (8 * 1024 * 1024)
#define GW_UA_MAX    256

struct gw_server {
	struct MHD_Daemon *daemon;
	gw_server_config cfg;
	atomic_int in_flight;
	int port;
};

/* Per-request state, MHD's con_cls. */
typedef struct gw_conn {
	gw_request req;
	char *body;
	size_t body_len;
	int too_large;
	unsigned trace_refused; /* TRACE_REFUSED_* of the request's headers */
	struct timespec start;
} gw_conn;

static int64_t
gw_elapsed_us(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
	       (now.tv_nsec - start->tv_nsec) / 1000;
}

/* --- who is calling --------------------------------------------------------- */

static const char *
gw_peer_ip(struct MHD_Connection *c, mem_arena *arena)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char buf[INET6_ADDRSTRLEN] = "";

	if (!info || !info->client_addr)
		return "";
	if (info->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)info->client_addr)->sin_addr, buf,
			  sizeof(buf));
	else if (info->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)info->client_addr)->sin6_addr,
			  buf, sizeof(buf));
	return mem_arena_strdup(arena, buf);
}

/* The first X-Forwarded-For hop when the proxy in front is trusted, else
 * the peer address. */
static const char *
gw_client_ip(const gw_server *s, struct MHD_Connection *c, mem_arena *arena)
{
	const char *fwd = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
	char *first;

	if (!s->cfg.trust_forwarded || !fwd || !fwd[0])
		return gw_peer_ip(c, arena);
	first = text_sanitize(arena, fwd, 64);
	if (!first)
		return "";
	first[strcspn(first, ",")] = '\0';
	return text_trim(arena, first);
}

/* The request id and trace: X-Request-Id and traceparent when valid
 * (log/trace.h), else new; a refused one is logged once the request's log
 * context is set (gw_trace_refused). */
static unsigned
gw_request_trace(gw_request *req, struct MHD_Connection *c)
{
	return trace_begin(&req->trace,
			   MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id"),
			   MHD_lookup_connection_value(c, MHD_HEADER_KIND, "traceparent"),
			   MHD_lookup_connection_value(c, MHD_HEADER_KIND, "tracestate"));
}

static void
gw_trace_refused(unsigned refused)
{
	if (refused & TRACE_REFUSED_REQUEST_ID)
		log_event(LOG_LVL_INFO, "request id refused: a new one is used", "rule",
			  "1..128 of [A-Za-z0-9._:-]", NULL);
	if (refused & TRACE_REFUSED_TRACEPARENT)
		log_event(LOG_LVL_INFO, "traceparent refused: a new trace begins", NULL);
}

/* --- request arenas --------------------------------------------------------- */

/* Each MHD thread keeps the arena of its last finished request, emptied,
 * for its next one: a request then allocates nothing from malloc for its
 * first block (16 KiB; its malloc and free with the heap's consolidation
 * were ~10 % of the gateway's CPU on a balance read, issue 25). Only the
 * first block is kept (mem_arena_reset). */
static pthread_key_t gw_spare_key;
static pthread_once_t gw_spare_once = PTHREAD_ONCE_INIT;

static void
gw_spare_free(void *arena)
{
	mem_arena_free(arena);
}

static void
gw_spare_key_create(void)
{
	if (pthread_key_create(&gw_spare_key, gw_spare_free) != 0)
		abort();
}

static mem_arena *
gw_arena_take(void)
{
	mem_arena *a;

	pthread_once(&gw_spare_once, gw_spare_key_create);
	a = pthread_getspecific(gw_spare_key);
	if (!a)
		return mem_arena_new(GW_ARENA_CAP);
	pthread_setspecific(gw_spare_key, NULL);
	return a;
}

/* Keeps a as this thread's spare if it has none, else frees it. */
static void
gw_arena_give(mem_arena *a)
{
	pthread_once(&gw_spare_once, gw_spare_key_create);
	if (pthread_getspecific(gw_spare_key) || pthread_setspecific(gw_spare_key, a) != 0) {
		mem_arena_free(a);
		return;
	}
	mem_arena_reset(a);
}

/* Frees the calling thread's spare (the main thread's key destructor
 * does not run at exit). */
static void
gw_arena_drop_spare(void)
{
	pthread_once(&gw_spare_once, gw_spare_key_create);
	mem_arena_free(pthread_getspecific(gw_spare_key));
	pthread_setspecific(gw_spare_key, NULL);
}

static void
gw_request_init(gw_conn *gc, const gw_server *s, struct MHD_Connection *c, const char *url,
		const char *method)
{
	gw_request *req = &gc->req;

	clock_gettime(CLOCK_MONOTONIC, &gc->start);
	req->arena = gw_arena_take();
	req->connection = c;
	req->method = mem_arena_strdup(req->arena, method);
	req->path = mem_arena_strdup(req->arena, url);
	req->route_index = -1;
	req->client_ip = gw_client_ip(s, c, req->arena);
	req->user_agent = text_sanitize(
		req->arena, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent"),
		GW_UA_MAX);
	req->authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	req->origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	gc->trace_refused = gw_request_trace(req, c);
}

/* --- replies ------------------------------------------------------------------ */

/* A streamed body: MHD pulls it through the response's callback. */
typedef struct gw_stream {
	long (*fill)(void *cls, char *buf, size_t max);
	void *cls;
	void (*release)(void *cls);
} gw_stream;

static ssize_t
gw_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	gw_stream *s = cls;
	long n = s->fill(s->cls, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void
gw_stream_done(void *cls)
{
	gw_stream *s = cls;

	if (s->release)
		s->release(s->cls);
	free(s);
}

static struct MHD_Response *
gw_response_of(gw_response *resp)
{
	struct MHD_Response *r;
	gw_stream *s;

	if (!resp->stream) {
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
						    MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(resp->body);
		resp->body = NULL;
		return r;
	}
	s = xcalloc(1, sizeof(*s));
	*s = (gw_stream){resp->stream, resp->stream_cls, resp->stream_free};
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, gw_stream_read, s,
					      gw_stream_done);
	if (!r)
		gw_stream_done(s);
	return r;
}

/* CORS headers of every reply (cors.c decides); a preflight's own. */
static void
gw_add_cors(struct MHD_Response *r, const gw_request *req, const gw_response *resp)
{
	gw_cors_answer a =
		gw_cors_decide(gw_cors_config(), req->origin, gw_route_is_public(req->route_index));

	if (a.vary)
		MHD_add_response_header(r, "Vary", "Origin");
	if (!a.allow_origin)
		return;
	MHD_add_response_header(r, "Access-Control-Allow-Origin", a.allow_origin);
	if (a.credentials)
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
	if (!resp->preflight) {
		MHD_add_response_header(r, "Access-Control-Expose-Headers", GW_CORS_EXPOSE_HEADERS);
		return;
	}
	MHD_add_response_header(r, "Access-Control-Allow-Methods", resp->allow);
	MHD_add_response_header(r, "Access-Control-Allow-Headers", GW_CORS_ALLOW_HEADERS);
	MHD_add_response_header(r, "Access-Control-Max-Age", GW_CORS_MAX_AGE);
}

static enum MHD_Result
gw_send(struct MHD_Connection *c, const gw_request *req, gw_response *resp)
{
	struct MHD_Response *r = gw_response_of(resp);
	enum MHD_Result rc;
	char retry[16];

	if (!r)
		return MHD_NO;
	if (resp->content_type && resp->status != 204)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	MHD_add_response_header(r, "Cache-Control",
				resp->cache_control ? resp->cache_control : "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Request-Id", req->trace.request_id);
	if (resp->disposition)
		MHD_add_response_header(r, "Content-Disposition", resp->disposition);
	if (resp->csp) {
		MHD_add_response_header(r, "Content-Security-Policy", resp->csp);
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	}
	if (resp->replayed)
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
	if (resp->location)
		MHD_add_response_header(r, "Location", resp->location);
	if (resp->allow)
		MHD_add_response_header(r, "Allow", resp->allow);
	gw_add_cors(r, req, resp);
	if (resp->status == 401) /* RFC 7235 §3.1 */
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	if (resp->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", resp->retry_after);
		MHD_add_response_header(r, "Retry-After", retry);
	}
	rc = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return rc;
}

static void
gw_log_request(const gw_conn *gc, int status)
{
	char code[8], micros[24];
	const gw_request *req = &gc->req;

	if (!log_enabled(LOG_LVL_INFO))
		return;
	snprintf(code, sizeof(code), "%d", status);
	snprintf(micros, sizeof(micros), "%lld", (long long)gw_elapsed_us(&gc->start));
	log_event(LOG_LVL_INFO, "request", "method", req->method, "route",
		  req->route_index >= 0 ? gw_routes[req->route_index].pattern : "unmatched",
		  "status", code, "us", micros, "parent_id",
		  req->trace.parent_id[0] ? req->trace.parent_id : NULL, NULL);
}

/* --- dispatch ------------------------------------------------------------------ */

static void
gw_dispatch(gw_conn *gc, gw_response *resp)
{
	gw_request *req = &gc->req;
	const gw_route *route;
	int idx;

	req->body = gc->body;
	req->body_len = gc->body_len;
	err_clear();
	if (!req->method || !req->path || !req->client_ip || !req->user_agent) {
		gw_reply_error(resp, 500, "internal", "out of memory");
		return;
	}
	if (gc->too_large) {
		gw_reply_error(resp, 413, "body_too_large", "the body is larger than 64 KiB");
		return;
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		gw_options(req, resp);
		return;
	}
	idx = gw_route_match(req);
	if (idx == GW_MATCH_NO_PATH) {
		gw_reply_error(resp, 404, "not_found", "no such route");
		return;
	}
	if (idx == GW_MATCH_OTHER_METHOD) {
		gw_reply_error(resp, 405, "method_not_allowed",
			       "this route does not take that method");
		resp->allow = gw_route_allow(req->arena, req->path);
		return;
	}
	if (idx == GW_MATCH_BAD_PARAM) {
		gw_reply_err_last(resp);
		return;
	}
	req->route_index = idx;
	route = &gw_routes[idx];
	if (gw_rate_check(route, req, resp) != 0)
		return;
	route->handler(route, req, resp);
}

/* A Content-Length over the limit is refused before any byte is read. */
static int
gw_declared_too_large(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	int64_t n = 0;

	return len && (cfg_parse_int(&n, len, 0, INT64_MAX) < 0 || n > GW_BODY_MAX);
}

static void
gw_take_body(gw_conn *gc, const char *data, size_t size)
{
	if (gc->too_large)
		return;
	if (gc->body_len + size > GW_BODY_MAX) {
		gc->too_large = 1;
		return;
	}
	if (!gc->body)
		gc->body = xmalloc(GW_BODY_MAX + 1);
	memcpy(gc->body + gc->body_len, data, size);
	gc->body_len += size;
	gc->body[gc->body_len] = '\0';
}

static enum MHD_Result
gw_finish(gw_conn *gc, struct MHD_Connection *c)
{
	gw_response resp = {.status = 500};
	enum MHD_Result rc;

	log_context_set(&gc->req.trace);
	gw_trace_refused(gc->trace_refused);
	gw_dispatch(gc, &resp);
	if (resp.status == 0)
		resp.status = 500;
	rc = gw_send(c, &gc->req, &resp);
	gw_metrics_request(gc->req.route_index, resp.status, gw_elapsed_us(&gc->start));
	gw_log_request(gc, resp.status);
	log_context_clear();
	return rc;
}

static enum MHD_Result
gw_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	gw_server *s = cls;
	gw_conn *gc = *con_cls;

	(void)version;
	if (!gc) {
		gc = xcalloc(1, sizeof(*gc));
		gw_request_init(gc, s, c, url, method);
		*con_cls = gc;
		atomic_fetch_add(&s->in_flight, 1);
		if (gw_declared_too_large(c)) {
			gc->too_large = 1;
			return gw_finish(gc, c);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		gw_take_body(gc, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return gw_finish(gc, c);
}

static void
gw_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	gw_server *s = cls;
	gw_conn *gc = *con_cls;

	(void)c;
	(void)toe;
	if (!gc)
		return;
	gw_arena_give(gc->req.arena);
	free(gc->body);
	free(gc);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

/* --- life ------------------------------------------------------------------------- */

static int
gw_parse_addr(struct sockaddr_in *out, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	char host[64];
	int64_t port;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
	    cfg_parse_int(&port, colon + 1, 0, 65535) < 0)
		return ERR_INVALID_ARGUMENT;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
		      &out->sin_addr) != 1)
		return ERR_INVALID_ARGUMENT;
	return 0;
}

int
gw_server_start(gw_server **out, const gw_server_config *cfg)
{
	struct sockaddr_in sa;
	gw_server *s;
	const union MHD_DaemonInfo *info;

	if (gw_parse_addr(&sa, cfg->addr) < 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_GATEWAY_ADDR must be IPv4-host:port");
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC,
				     0, NULL, NULL, gw_access, s, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
				     (unsigned)cfg->threads, MHD_OPTION_NOTIFY_COMPLETED,
				     gw_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_END);
	if (!s->daemon) {
		free(s);
		return err_set(ERR_UNAVAILABLE, "bind_failed", "cannot listen on %s", cfg->addr);
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	*out = s;
	return 0;
}

int
gw_server_port(const gw_server *srv)
{
	return srv->port;
}

void
gw_server_stop(gw_server *s)
{
	MHD_socket listener = MHD_quiesce_daemon(s->daemon);
	struct timespec tick = {.tv_nsec = 10 * 1000000};
	int64_t waited_ms = 0;

	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	while (atomic_load(&s->in_flight) > 0 && waited_ms < s->cfg.grace_ms) {
		nanosleep(&tick, NULL);
		waited_ms += 10;
	}
	MHD_stop_daemon(s->daemon);
	gw_arena_drop_spare();
	free(s);
}
