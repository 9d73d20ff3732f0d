/* What the live providers' HTTP clients share (provider_flutterwave.c,
 * provider_paystack.c): the reply buffer libcurl writes into, a pool of
 * idle handles that keeps connections open, and the checks and helpers
 * every provider reply and configuration goes through. */
#ifndef KOLO_PAYMENTS_HTTP_H
#define KOLO_PAYMENTS_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "err/err.h"
#include "provider.h"
#include "log/trace.h"

/* The largest reply body read; a larger one fails the request. */
#define PAY_HTTP_REPLY_MAX    (1024 * 1024)
#define PAY_HTTP_IDLE_HANDLES 16 /* idle handles kept for reuse, at most */

typedef struct pay_http_reply {
	char *body; /* NUL-terminated; malloc'd */
	size_t len;
	size_t cap;
	int too_large;
	long status;
	/* The traceparent line sent before the provider's fixed headers
	 * (pay_http_traced): a list node of its own, nothing to free. */
	char trace_line[TRACE_PARENT_LEN + 16];
	struct curl_slist trace_node;
} pay_http_reply;

typedef struct pay_http_pool {
	pthread_mutex_t lock;
	CURL *idle[PAY_HTTP_IDLE_HANDLES]; /* owned; each may hold an open connection */
	size_t n_idle;
} pay_http_pool;

/* What a request does, which decides how it goes out: a read reuses an
 * open connection; a create goes alone on a fresh one that is then closed
 * (libcurl re-sends a request on a new connection when a reused one turns
 * out dead, and a create must never go out twice). */
typedef enum pay_http_kind {
	PAY_HTTP_GET,	      /* a read */
	PAY_HTTP_POST_READ,   /* a post that is harmless twice */
	PAY_HTTP_POST_CREATE, /* makes something: alone, on a fresh connection */
} pay_http_kind;

/* One live provider's connection to its API: read-only after
 * pay_http_client_init() but for the pool, so any number of threads may
 * call at once. */
typedef struct pay_http_client {
	const char *provider;	    /* "flutterwave", "paystack": messages and metrics */
	char *base_url;		    /* without a trailing '/'; owned */
	char *ca_file;		    /* extra CA bundle; NULL = system; owned */
	long timeout_ms;	    /* per request */
	struct curl_slist *headers; /* Authorization and JSON, built once; owned */
	pay_http_pool pool;
	/* 1 when a 2xx reply's "status" member says the provider refused. */
	int (*refused)(json_t *status);
} pay_http_client;

/* curl_global_init, once per process. ERR_INTERNAL "provider_http" when
 * libcurl cannot start. */
KOLO_MUST_CHECK int pay_http_global_init(void);

void pay_http_reply_free(pay_http_reply *r);
/* Hands the body over (the caller frees it) and frees the rest. */
char *pay_http_reply_take(pay_http_reply *r);
/* The headers of r's request: headers (the provider's fixed list, not
 * copied) with the traceparent of the call this thread serves in front,
 * so the provider's logs can name the trace; headers alone when the
 * thread serves none. Valid while r and headers are. */
struct curl_slist *pay_http_traced(pay_http_reply *r, struct curl_slist *headers);
/* CURLOPT_WRITEFUNCTION for a pay_http_reply (CURLOPT_WRITEDATA). */
size_t pay_http_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Provider words made fit for an error message: one line, bounded, and
 * any long run of digits (an account number) masked but its last four. */
void pay_http_clean_text(char *out, size_t cap, const char *s);
/* The "message" of a reply body, cleaned; "" when there is none. */
void pay_http_reply_message(char *out, size_t cap, const pay_http_reply *r);
/* Copies a string member that must fit; -1 when absent, not a string,
 * empty or too long. */
int pay_http_get_text(char *out, size_t cap, json_t *obj, const char *key);
/* The payer of a deposit from obj's members account_key, name_key and
 * bank_key (see pay_payer): each taken alone, an odd one left "". out is
 * zeroed first; obj may be NULL or not an object (no payer). */
void pay_http_get_payer(pay_payer *out, json_t *obj, const char *account_key, const char *name_key,
			const char *bank_key);
/* An id member, integer or string, as text; -1 when unusable. */
int pay_http_get_id(char *out, size_t cap, json_t *obj, const char *key);
/* 1 when s is 1..max characters from [A-Za-z0-9_.-] (safe in a URL path
 * or query as it is). */
int pay_http_is_token(const char *s, size_t max);

/* https://, or plain http to this machine only (the tests' fakes): a
 * secret key never crosses a network in clear. */
int pay_http_base_url_ok(const char *url);
/* 1 when s has no control character (fit for a header value). */
int pay_http_header_safe(const char *s);
/* Zeroes a secret string, then frees it (NULL: nothing). */
void pay_http_wipe_free(char *s);
/* Zeroes every header (they carry the key), then frees the list. */
void pay_http_headers_free(struct curl_slist *headers);

/* The pool: init aborts when the mutex cannot be made; take returns an
 * idle handle (its connection kept) or a new one, NULL only when libcurl
 * cannot allocate; give resets a handle's options and keeps it, or frees
 * it when the pool is full (NULL: nothing); destroy frees the idle ones. */
void pay_http_pool_init(pay_http_pool *pool);
CURL *pay_http_pool_take(pay_http_pool *pool);
void pay_http_pool_give(pay_http_pool *pool, CURL *c);
void pay_http_pool_destroy(pay_http_pool *pool);

/* Sets cl up (provider and refused are kept, the strings copied; base_url
 * loses its trailing '/'s; ca_file NULL or "" is none) with the headers
 * "Authorization: Bearer <secret_key>" (secret_key at most
 * PAY_HTTP_KEY_MAX bytes) and JSON in and out. ERR_INTERNAL provider_http
 * when the headers cannot be made: cl is then still to be destroyed. */
#define PAY_HTTP_KEY_MAX 512
KOLO_MUST_CHECK int pay_http_client_init(pay_http_client *cl, const char *provider,
					 const char *base_url, const char *ca_file,
					 const char *secret_key, long timeout_ms,
					 int (*refused)(json_t *status));
/* Frees what pay_http_client_init made (headers wiped). */
void pay_http_client_destroy(pay_http_client *cl);

/* One request to cl's base_url + path (body: a POST's JSON, NULL = "{}").
 * 0 with *r holding a 2xx reply; otherwise the mapped error, r freed but
 * its status kept: no answer, 5xx, 408 or 429 -> ERR_UNAVAILABLE
 * provider_unavailable; timeout -> ERR_DEADLINE_EXCEEDED; 401/403 ->
 * ERR_UNAVAILABLE provider_auth; 404 -> ERR_NOT_FOUND; other 4xx ->
 * ERR_INVALID_ARGUMENT provider_refused with the provider's message;
 * anything else ERR_INTERNAL. what names the request in messages. */
KOLO_MUST_CHECK int pay_http_call(pay_http_client *cl, pay_http_kind kind, const char *path,
				  const char *body, pay_http_reply *r, const char *what);
/* Parses a 2xx reply: *root the document (json_decref), *data its "data"
 * (borrowed, may be NULL). A reply whose "status" cl->refused() is a
 * refusal (ERR_INVALID_ARGUMENT provider_refused); one that is not a JSON
 * object, ERR_INTERNAL provider_bad_reply. */
KOLO_MUST_CHECK int pay_http_open(json_t **root, json_t **data, const pay_http_client *cl,
				  const pay_http_reply *r, const char *what);
/* The end of a provider call: on a failure (rc < 0) zeroes size bytes of
 * out (NULL: nothing); releases root (may be NULL) and r. Returns rc. */
int pay_http_end(int rc, void *out, size_t size, json_t *root, pay_http_reply *r);
/* ERR_INTERNAL provider_bad_reply: provider's reply to what is unreadable. */
int pay_http_bad_reply(const char *provider, const char *what);
/* The holder's name of a resolved account, data's "account_name"
 * sanitised into name: ERR_INTERNAL when it is not a string,
 * ERR_NOT_FOUND account_not_found when it is empty. */
KOLO_MUST_CHECK int pay_http_account_name(char *name, size_t cap, const pay_http_client *cl,
					  json_t *data, const char *what);
/* GET path: the provider's bank list ("data": [{code, name}], at most
 * PAY_HTTP_BANKS_MAX; an unusable entry left out). *out malloc'd (free()). */
#define PAY_HTTP_BANKS_MAX 4096
KOLO_MUST_CHECK int pay_http_list_banks(pay_bank **out, size_t *n, pay_http_client *cl,
					const char *path);

/* Counts the request c just made to provider (kolo_provider_calls_total:
 * its HTTP status class, or transport_error when none came). */
void pay_count_provider_call(CURL *c, const char *provider);

#endif
