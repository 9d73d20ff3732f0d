/* The metrics listener: GET /metrics over plain HTTP (libmicrohttpd, one
 * thread; a scrape is small and rare). */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "mem/mem.h"

struct metrics_http {
	struct MHD_Daemon *daemon;
	int port;
};

static enum MHD_Result
metrics_reply(struct MHD_Connection *c, unsigned status, char *body, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
metrics_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	       const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)cls;
	(void)version;
	(void)upload;
	if (!*con_cls) { /* headers only: wait for the end of the request */
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(c, 404, NULL, 0, "text/plain");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metrics_reply(c, 405, NULL, 0, "text/plain");
	f = open_memstream(&text, &len);
	if (!f)
		return metrics_reply(c, 500, NULL, 0, "text/plain");
	metrics_write(f);
	fclose(f);
	return metrics_reply(c, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

static int
metrics_parse_addr(struct sockaddr_in *out, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	char host[64];
	int64_t port;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
	    cfg_parse_int(&port, colon + 1, 0, 65535) < 0)
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
		      &out->sin_addr) != 1)
		return -1;
	return 0;
}

int
metrics_http_start(metrics_http **out, const char *addr)
{
	struct sockaddr_in sa;
	metrics_http *h;
	const union MHD_DaemonInfo *info;

	if (metrics_parse_addr(&sa, addr) < 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_METRICS_ADDR must be IPv4-host:port");
	h = xcalloc(1, sizeof(*h));
	h->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC, 0, NULL, NULL, metrics_access, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_END);
	if (!h->daemon) {
		free(h);
		return err_set(ERR_UNAVAILABLE, "bind_failed", "cannot listen on %s", addr);
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	*out = h;
	return 0;
}

int
metrics_http_port(const metrics_http *h)
{
	return h->port;
}

void
metrics_http_stop(metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
