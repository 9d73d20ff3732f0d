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

/* Counts the request c just made to provider (kolo_provider_calls_total:
 * its HTTP status class, or transport_error when none came). */
void pay_count_provider_call(CURL *c, const char *provider);

#endif
