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

#define PAY_HTTP_MESSAGE_MAX 160 /* a provider's message quoted in an error */

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

/* The headers every request carries: the key, then JSON in and out. NULL
 * when out of memory (what was made is wiped and freed). */
static struct curl_slist *
pay_http_auth_headers(const char *secret_key)
{
	static const char *const fixed[] = {"Content-Type: application/json",
					    "Accept: application/json"};
	char auth[PAY_HTTP_KEY_MAX + 32];
	struct curl_slist *h, *next;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", secret_key);
	h = curl_slist_append(NULL, auth);
	sodium_memzero(auth, sizeof(auth));
	for (size_t i = 0; h && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		next = curl_slist_append(h, fixed[i]);
		if (!next)
			pay_http_headers_free(h);
		h = next;
	}
	return h;
}

int
pay_http_client_init(pay_http_client *cl, const char *provider, const char *base_url,
		     const char *ca_file, const char *secret_key, long timeout_ms,
		     int (*refused)(json_t *status))
{
	size_t n;

	memset(cl, 0, sizeof(*cl));
	pay_http_pool_init(&cl->pool);
	cl->provider = provider;
	cl->refused = refused;
	cl->base_url = xstrdup(base_url);
	n = strlen(cl->base_url);
	while (n > 0 && cl->base_url[n - 1] == '/')
		cl->base_url[--n] = '\0';
	cl->ca_file = ca_file && ca_file[0] ? xstrdup(ca_file) : NULL;
	cl->timeout_ms = timeout_ms;
	cl->headers = pay_http_auth_headers(secret_key);
	if (!cl->headers)
		return err_set(ERR_INTERNAL, "provider_http", "out of memory for headers");
	return 0;
}

void
pay_http_client_destroy(pay_http_client *cl)
{
	pay_http_pool_destroy(&cl->pool);
	pay_http_headers_free(cl->headers);
	free(cl->base_url);
	free(cl->ca_file);
	cl->headers = NULL;
	cl->base_url = NULL;
	cl->ca_file = NULL;
}

static void
pay_http_set_options(const pay_http_client *cl, CURL *c, pay_http_kind kind, const char *url,
		     const char *body, pay_http_reply *r)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, pay_http_traced(r, cl->headers));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kolo-payments");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cl->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cl->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cl->ca_file);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PAY_HTTP_REPLY_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pay_http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (kind == PAY_HTTP_POST_CREATE) {
		/* Never re-sent by libcurl on another connection (see http.h). */
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	if (kind != PAY_HTTP_GET) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
}

/* The error of a request that did not complete (cc != CURLE_OK, or a
 * reply too large). */
static int
pay_http_curl_error(const pay_http_client *cl, const pay_http_reply *r, CURLcode cc,
		    const char *what)
{
	const char *who = cl->provider;

	if (cc == CURLE_OPERATION_TIMEDOUT)
		return err_set(ERR_DEADLINE_EXCEEDED, "provider_timeout",
			       "%s did not answer %s in %ld ms", who, what, cl->timeout_ms);
	if (r->too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return err_set(ERR_INTERNAL, "provider_reply_too_large",
			       "%s's reply to %s is too large", who, what);
	if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL)
		return err_set(ERR_INTERNAL, "provider_config", "the %s base url is unusable (%s)",
			       who, curl_easy_strerror(cc));
	return err_set(ERR_UNAVAILABLE, "provider_unavailable",
		       "%s could not be reached for %s (%s)", who, what, curl_easy_strerror(cc));
}

/* The error of a non-2xx answer (see pay_http_call). */
static int
pay_http_status_error(const pay_http_client *cl, const pay_http_reply *r, const char *what)
{
	const char *who = cl->provider;
	char message[PAY_HTTP_MESSAGE_MAX];

	pay_http_reply_message(message, sizeof(message), r);
	if (r->status >= 500 || r->status == 408 || r->status == 429)
		return err_set(ERR_UNAVAILABLE, "provider_unavailable",
			       "%s answered %s with http %ld", who, what, r->status);
	if (r->status == 401 || r->status == 403)
		return err_set(ERR_UNAVAILABLE, "provider_auth",
			       "%s refused our credentials for %s (http %ld): %s", who, what,
			       r->status, message[0] ? message : "no reason given");
	if (r->status == 404)
		return err_set(ERR_NOT_FOUND, "provider_not_found", "%s does not know it (%s): %s",
			       who, what, message[0] ? message : "not found");
	if (r->status >= 400)
		return err_set(ERR_INVALID_ARGUMENT, "provider_refused", "%s refused %s: %s", who,
			       what, message[0] ? message : "no reason given");
	return err_set(ERR_INTERNAL, "provider_bad_reply", "%s answered %s with http %ld", who,
		       what, r->status);
}

int
pay_http_call(pay_http_client *cl, pay_http_kind kind, const char *path, const char *body,
	      pay_http_reply *r, const char *what)
{
	char *url = NULL;
	CURL *c;
	CURLcode cc;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->body = xmalloc(1);
	r->body[0] = '\0';
	r->cap = 1;
	c = pay_http_pool_take(&cl->pool);
	if (!c) {
		rc = err_set(ERR_INTERNAL, "provider_http", "cannot start an http request");
		goto out;
	}
	url = xmalloc(strlen(cl->base_url) + strlen(path) + 1);
	strcpy(url, cl->base_url);
	strcat(url, path);
	pay_http_set_options(cl, c, kind, url, body ? body : "{}", r);
	cc = curl_easy_perform(c);
	pay_count_provider_call(c, cl->provider);
	if (cc != CURLE_OK || r->too_large) {
		rc = pay_http_curl_error(cl, r, cc, what);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status < 200 || r->status > 299)
		rc = pay_http_status_error(cl, r, what);
out:
	if (rc < 0) {
		long status = r->status;

		/* The status stays for callers that tell refusals apart. */
		pay_http_reply_free(r);
		r->status = status;
	}
	pay_http_pool_give(&cl->pool, c);
	free(url);
	return rc;
}

int
pay_http_end(int rc, void *out, size_t size, json_t *root, pay_http_reply *r)
{
	if (rc < 0 && out)
		memset(out, 0, size);
	json_decref(root);
	pay_http_reply_free(r);
	return rc;
}

int
pay_http_bad_reply(const char *provider, const char *what)
{
	return err_set(ERR_INTERNAL, "provider_bad_reply", "%s sent an unreadable reply to %s",
		       provider, what);
}

int
pay_http_open(json_t **root, json_t **data, const pay_http_client *cl, const pay_http_reply *r,
	      const char *what)
{
	char message[PAY_HTTP_MESSAGE_MAX];

	*data = NULL;
	*root = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return pay_http_bad_reply(cl->provider, what);
	}
	if (cl->refused(json_object_get(*root, "status"))) {
		pay_http_reply_message(message, sizeof(message), r);
		json_decref(*root);
		*root = NULL;
		return err_set(ERR_INVALID_ARGUMENT, "provider_refused", "%s refused %s: %s",
			       cl->provider, what, message[0] ? message : "no reason given");
	}
	*data = json_object_get(*root, "data");
	return 0;
}

int
pay_http_account_name(char *name, size_t cap, const pay_http_client *cl, json_t *data,
		      const char *what)
{
	json_t *v = json_is_object(data) ? json_object_get(data, "account_name") : NULL;

	if (!json_is_string(v))
		return pay_http_bad_reply(cl->provider, what);
	text_sanitize_into(name, cap, json_string_value(v));
	if (!name[0])
		return err_set(ERR_NOT_FOUND, "account_not_found",
			       "%s has no name for this account", cl->provider);
	return 0;
}

/* The usable entries of a bank list (an array) into banks. */
static size_t
pay_http_banks_fill(pay_bank *banks, json_t *list)
{
	size_t i, count = 0;
	json_t *b;

	json_array_foreach(list, i, b)
	{
		json_t *name = json_object_get(b, "name");

		if (count == PAY_HTTP_BANKS_MAX)
			break;
		/* An entry we cannot use is left out, not the whole list. */
		if (pay_http_get_id(banks[count].code, sizeof(banks[count].code), b, "code") < 0 ||
		    !pay_http_is_token(banks[count].code, sizeof(banks[count].code) - 1) ||
		    !json_is_string(name) || !json_string_value(name)[0])
			continue;
		text_sanitize_into(banks[count].name, sizeof(banks[count].name),
				   json_string_value(name));
		count++;
	}
	return count;
}

int
pay_http_list_banks(pay_bank **out, size_t *n, pay_http_client *cl, const char *path)
{
	static const char *const what = "the bank list";
	json_t *root = NULL, *data = NULL;
	pay_bank *banks;
	pay_http_reply r;
	int rc;

	*out = NULL;
	*n = 0;
	rc = pay_http_call(cl, PAY_HTTP_GET, path, NULL, &r, what);
	if (rc == 0)
		rc = pay_http_open(&root, &data, cl, &r, what);
	if (rc == 0 && !json_is_array(data))
		rc = pay_http_bad_reply(cl->provider, what);
	if (rc == 0) {
		banks = xcalloc(json_array_size(data) ? json_array_size(data) : 1, sizeof(*banks));
		*n = pay_http_banks_fill(banks, data);
		*out = banks;
	}
	json_decref(root);
	pay_http_reply_free(&r);
	return rc;
}
