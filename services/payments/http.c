/* The live providers' shared HTTP plumbing (http.h). */
#include "http.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "mem/mem.h"
#include "text/text.h"
#include "metrics/metrics.h"

static pthread_once_t pay_http_once = PTHREAD_ONCE_INIT;
static int pay_http_rc;

static void
pay_http_once_init(void)
{
	pay_http_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
pay_http_global_init(void)
{
	pthread_once(&pay_http_once, pay_http_once_init);
	if (pay_http_rc < 0)
		return err_set(ERR_INTERNAL, "provider_http", "libcurl would not initialise");
	return 0;
}

void
pay_http_reply_free(pay_http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

char *
pay_http_reply_take(pay_http_reply *r)
{
	char *body = r->body;

	r->body = NULL;
	pay_http_reply_free(r);
	return body;
}

size_t
pay_http_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	pay_http_reply *r = userdata;
	size_t n = size * nmemb;

	if (n > PAY_HTTP_REPLY_MAX - r->len) {
		r->too_large = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap < 4096 ? 4096 : r->cap;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > PAY_HTTP_REPLY_MAX + 1)
			cap = PAY_HTTP_REPLY_MAX + 1;
		r->body = xrealloc(r->body, cap);
		r->cap = cap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

void
pay_http_clean_text(char *out, size_t cap, const char *s)
{
	size_t i = 0;

	text_sanitize_into(out, cap, s);
	while (out[i]) {
		size_t run = 0;

		while (isdigit((unsigned char)out[i + run]))
			run++;
		if (run >= 6)
			memset(out + i, '*', run - 4);
		i += run ? run : 1;
	}
}

void
pay_http_reply_message(char *out, size_t cap, const pay_http_reply *r)
{
	json_t *root = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *msg = json_is_object(root) ? json_object_get(root, "message") : NULL;

	pay_http_clean_text(out, cap, json_is_string(msg) ? json_string_value(msg) : "");
	json_decref(root);
}

int
pay_http_get_text(char *out, size_t cap, json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

/* A name member as sanitised text of at most cap - 1 bytes; "" when absent
 * or not a string. */
static void
pay_http_get_name(char *out, size_t cap, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	out[0] = '\0';
	if (json_is_string(v))
		text_sanitize_into(out, cap, json_string_value(v));
}

void
pay_http_get_payer(pay_payer *out, json_t *obj, const char *account_key, const char *name_key,
		   const char *bank_key)
{
	const char *number;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return;
	number = json_string_value(json_object_get(obj, account_key));
	if (number && strlen(number) == 10 && strspn(number, "0123456789") == 10)
		memcpy(out->account_number, number, 11);
	pay_http_get_name(out->name, sizeof(out->name), obj, name_key);
	pay_http_get_name(out->bank_name, sizeof(out->bank_name), obj, bank_key);
}

int
pay_http_get_id(char *out, size_t cap, json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	int n;

	if (json_is_integer(v)) {
		n = snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return n > 0 && (size_t)n < cap ? 0 : -1;
	}
	return pay_http_get_text(out, cap, obj, key);
}

int
pay_http_is_token(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

int
pay_http_base_url_ok(const char *url)
{
	static const char *const local[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};

	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t n = strlen(local[i]);

		if (strncmp(url, local[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
			return 1;
	}
	return 0;
}

struct curl_slist *
pay_http_traced(pay_http_reply *r, struct curl_slist *headers)
{
	if (!trace_http_header(r->trace_line, sizeof(r->trace_line)))
		return headers;
	r->trace_node.data = r->trace_line;
	r->trace_node.next = headers;
	return &r->trace_node;
}

int
pay_http_header_safe(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

void
pay_http_wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void
pay_http_headers_free(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h; h = h->next)
		sodium_memzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

void
pay_http_pool_init(pay_http_pool *pool)
{
	pool->n_idle = 0;
	if (pthread_mutex_init(&pool->lock, NULL) != 0)
		abort();
}

CURL *
pay_http_pool_take(pay_http_pool *pool)
{
	CURL *c = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->n_idle > 0)
		c = pool->idle[--pool->n_idle];
	pthread_mutex_unlock(&pool->lock);
	return c ? c : curl_easy_init();
}

void
pay_http_pool_give(pay_http_pool *pool, CURL *c)
{
	if (!c)
		return;
	curl_easy_reset(c);
	pthread_mutex_lock(&pool->lock);
	if (pool->n_idle < PAY_HTTP_IDLE_HANDLES) {
		pool->idle[pool->n_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	if (c)
		curl_easy_cleanup(c);
}

void
pay_http_pool_destroy(pay_http_pool *pool)
{
	while (pool->n_idle > 0)
		curl_easy_cleanup(pool->idle[--pool->n_idle]);
	pthread_mutex_destroy(&pool->lock);
}

void
pay_count_provider_call(CURL *c, const char *provider)
{
	long status = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	metrics_provider_call(provider, status > 0, status);
}
