/* webhook_send: one delivery of an event to a partner endpoint over HTTP
 * (DESIGN §16).
 *
 * POST <url> with the JSON body
 *   {"id", "type", "group_id", "seq", "occurred_at", "data": {...}}
 * and the headers Content-Type: application/json, Kolo-Event-Id,
 * Kolo-Event-Type and Kolo-Signature (webhook_sign.h). The host is
 * resolved and checked again at each send (webhook_addr.h) and libcurl
 * connects only to the checked address; no redirect is followed, no proxy
 * is used. A 2xx answer is delivered; any other status, or no answer
 * within the timeout, is a failure to retry. */
#ifndef KOLO_WEBHOOK_SEND_H
#define KOLO_WEBHOOK_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

/* The most of an answer's body kept for the deliveries list. */
#define WHK_EXCERPT_MAX 512
#define WHK_ERROR_MAX	256

/* An event as partners see it (borrowed strings). */
typedef struct whk_event {
	const char *id;
	const char *type;
	const char *group_id;
	int64_t seq; /* the group's event number */
	const char *occurred_at;
	const char *data_json; /* a JSON object's text; NULL or "": {} */
} whk_event;

/* The body of ev into *out (malloc'd, NUL-terminated; the caller frees
 * it). ERR_INTERNAL "bad_event_data" when data_json is not an object. */
KOLO_MUST_CHECK int whk_event_body(char **out, const whk_event *ev);

typedef struct whk_message {
	const char *url;    /* checked with whk_url_parse at creation */
	const char *secret; /* the endpoint's, in clear */
	const char *event_id;
	const char *event_type;
	const char *body;
	size_t body_len;
	int64_t signed_at; /* Unix seconds, the signature's t */
} whk_message;

typedef struct whk_send_opts {
	int64_t timeout_ms;
	int allow_http_loopback; /* KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK */
	const char *ca_file;	 /* NULL: the system's roots */
} whk_send_opts;

typedef struct whk_outcome {
	int delivered;			   /* 1: a 2xx answer */
	long status;			   /* the HTTP status; 0: no answer */
	char error[WHK_ERROR_MAX];	   /* why not delivered; "" when it was */
	char excerpt[WHK_EXCERPT_MAX + 1]; /* the answer's start, cleaned */
} whk_outcome;

/* curl_global_init, once per process; ERR_INTERNAL when libcurl cannot. */
KOLO_MUST_CHECK int whk_send_global_init(void);

/* Sends m once and fills *out; never fails otherwise (a failure is an
 * outcome). */
void whk_send(whk_outcome *out, const whk_message *m, const whk_send_opts *opts);

#endif
