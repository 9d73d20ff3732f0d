/* Sending one partner webhook delivery (webhook_send.h). */
#include "webhook_send.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "text/text.h"
#include "webhook_addr.h"
#include "webhook_sign.h"
#include "webhook_url.h"
#include "metrics/metrics.h"

static pthread_once_t whk_curl_once = PTHREAD_ONCE_INIT;
static int whk_curl_rc;

static void
whk_curl_init_once(void)
{
	whk_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
whk_send_global_init(void)
{
	pthread_once(&whk_curl_once, whk_curl_init_once);
	if (whk_curl_rc < 0)
		return err_set(ERR_INTERNAL, "webhook_http", "libcurl would not initialise");
	return 0;
}

int
whk_event_body(char **out, const whk_event *ev)
{
	const char *text = ev->data_json && *ev->data_json ? ev->data_json : "{}";
	json_t *data = json_loads(text, 0, NULL);
	json_t *body;

	*out = NULL;
	if (!json_is_object(data)) {
		json_decref(data);
		return err_set(ERR_INTERNAL, "bad_event_data", "an event's data is not an object");
	}
	body = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "id", ev->id, "type", ev->type,
			 "group_id", ev->group_id ? ev->group_id : "", "seq", (json_int_t)ev->seq,
			 "occurred_at", ev->occurred_at, "data", data);
	if (body)
		*out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!*out)
		return err_set(ERR_INTERNAL, "bad_event_data", "an event could not be written");
	return 0;
}

/* What the answer's body keeps: its first WHK_EXCERPT_MAX bytes. */
typedef struct whk_answer {
	char raw[WHK_EXCERPT_MAX + 1];
	size_t len;
} whk_answer;

static size_t
whk_answer_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	whk_answer *a = userdata;
	size_t n = size * nmemb, room = WHK_EXCERPT_MAX - a->len;

	memcpy(a->raw + a->len, ptr, n < room ? n : room);
	a->len += n < room ? n : room;
	a->raw[a->len] = '\0';
	return n; /* the rest is read and dropped */
}

/* CURLOPT_OPENSOCKETFUNCTION: a socket only to a public peer, whatever
 * address libcurl was led to (the pinned one, or a literal in the URL). */
static curl_socket_t
whk_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	const whk_send_opts *opts = clientp;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !whk_addr_public(&address->addr, opts->allow_http_loopback))
		return CURL_SOCKET_BAD;
	return socket(address->family, address->socktype, address->protocol);
}

static void
whk_fail(whk_outcome *out, const char *fmt, const char *detail)
{
	out->delivered = 0;
	snprintf(out->error, sizeof(out->error), fmt, detail);
}

/* The headers of m (signed now); NULL when libcurl cannot allocate. */
static struct curl_slist *
whk_headers(const whk_message *m)
{
	char sig[WHK_SIGNATURE_MAX], line[WHK_SIGNATURE_MAX + 64];
	struct curl_slist *h = NULL, *next;
	const char *fixed[] = {"Content-Type: application/json", "User-Agent: Kolo-Webhooks/1",
			       "Expect:"};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		next = curl_slist_append(h, fixed[i]);
		if (!next)
			goto fail;
		h = next;
	}
	whk_sign(sig, m->secret, m->signed_at, m->body, m->body_len);
	snprintf(line, sizeof(line), "Kolo-Signature: %s", sig);
	if (!(next = curl_slist_append(h, line)))
		goto fail;
	h = next;
	snprintf(line, sizeof(line), "Kolo-Event-Id: %s", m->event_id);
	if (!(next = curl_slist_append(h, line)))
		goto fail;
	h = next;
	snprintf(line, sizeof(line), "Kolo-Event-Type: %s", m->event_type);
	if (!(next = curl_slist_append(h, line)))
		goto fail;
	return next;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* The handle's options for m sent to the checked address. */
static void
whk_setopts(CURL *c, const whk_message *m, const whk_send_opts *opts, struct curl_slist *headers,
	    struct curl_slist *pin, whk_answer *answer)
{
	curl_easy_setopt(c, CURLOPT_URL, m->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 opts->allow_http_loopback ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)opts->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)opts->timeout_ms);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, whk_open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, (void *)opts);
	if (pin)
		curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
	if (opts->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, opts->ca_file);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->body_len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, whk_answer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
}

/* The CURLOPT_RESOLVE entry that pins host:port to the address checked;
 * NULL for a literal host (no name to resolve) or when out of memory. */
static struct curl_slist *
whk_pin(const whk_url *u, const whk_resolved *r)
{
	char entry[WHK_HOST_MAX + WHK_ADDR_TEXT_MAX + 16];

	if (u->host_is_ipv6)
		return NULL;
	snprintf(entry, sizeof(entry), r->family == AF_INET6 ? "%s:%u:[%s]" : "%s:%u:%s", u->host,
		 u->port, r->addr);
	return curl_slist_append(NULL, entry);
}

/* Runs the request and reads its outcome. */
static void
whk_perform(whk_outcome *out, CURL *c, whk_answer *answer)
{
	CURLcode rc = curl_easy_perform(c);

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	metrics_provider_call("webhook", out->status > 0, out->status);
	text_sanitize_into(out->excerpt, sizeof(out->excerpt), answer->raw);
	if (rc != CURLE_OK) {
		out->status = 0;
		whk_fail(out, "no answer: %s", curl_easy_strerror(rc));
		return;
	}
	out->delivered = out->status >= 200 && out->status < 300;
	if (!out->delivered)
		snprintf(out->error, sizeof(out->error), "answered %ld", out->status);
}

void
whk_send(whk_outcome *out, const whk_message *m, const whk_send_opts *opts)
{
	whk_url u;
	whk_resolved r;
	whk_answer answer = {.len = 0};
	struct curl_slist *headers = NULL, *pin = NULL;
	CURL *c = NULL;

	memset(out, 0, sizeof(*out));
	if (whk_url_parse(&u, m->url, opts->allow_http_loopback) < 0 ||
	    whk_addr_resolve(&r, u.host, opts->allow_http_loopback) < 0) {
		whk_fail(out, "not sent: %s", err_last()->reason);
		return;
	}
	headers = whk_headers(m);
	pin = whk_pin(&u, &r);
	c = curl_easy_init();
	if (!headers || !c || (!pin && !u.host_is_ipv6)) {
		whk_fail(out, "not sent: %s", "out of memory");
		goto out;
	}
	whk_setopts(c, m, opts, headers, pin, &answer);
	whk_perform(out, c, &answer);
out:
	curl_easy_cleanup(c);
	for (struct curl_slist *h = headers; h; h = h->next)
		sodium_memzero(h->data, strlen(h->data)); /* the signature */
	curl_slist_free_all(headers);
	curl_slist_free_all(pin);
}
