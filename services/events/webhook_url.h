/* webhook_url: the shape of a partner webhook's URL (DESIGN §16).
 *
 * https only, with no user name or password in it; plain http only for a
 * loopback host when the process allows it (KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK,
 * the tests' receivers). Where the host's name leads is webhook_addr's
 * question. Pure: no I/O. */
#ifndef KOLO_WEBHOOK_URL_H
#define KOLO_WEBHOOK_URL_H

#include "err/err.h"

/* The longest URL an endpoint may have, in bytes. */
#define WHK_URL_MAX 2048
/* Room for a host name (253 characters) or an IPv6 literal, with its NUL. */
#define WHK_HOST_MAX 256

typedef struct whk_url {
	int https;		 /* 0: plain http to a loopback host */
	char host[WHK_HOST_MAX]; /* lower case; an IPv6 literal without [] */
	int host_is_ipv6;	 /* the host was written [IPv6] */
	unsigned port;		 /* as written, or 443 / 80 */
} whk_url;

/* Checks url and fills *out. ERR_INVALID_ARGUMENT with reason
 * "url_not_https" for another scheme (or http to a host that is not
 * loopback, or any http unless allow_http_loopback), "invalid_url" for
 * anything else that is not an absolute https URL of at most WHK_URL_MAX
 * bytes: NULL or empty, spaces or control characters, a user name or
 * password, a fragment, a bad host or port. */
KOLO_MUST_CHECK int whk_url_parse(whk_url *out, const char *url, int allow_http_loopback);

/* 1 when host (as whk_url keeps it) names this machine by itself:
 * "localhost", 127.0.0.0/8 written as four decimal numbers, or ::1. */
int whk_url_host_is_loopback(const char *host);

#endif
