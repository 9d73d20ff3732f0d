/* Mail dir files, SMTP and the SMS API. */
#include "send.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "metrics/metrics.h"

/* --- the mail dir -------------------------------------------------------------- */

static long long
evs_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
evs_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
evs_send_file(const char *dir, const char *event_id, long long n, const char *ext,
	      const char *content, size_t len)
{
	/* Two sends of one message (a worker whose lease ran out and the one
	 * that claimed it since, in this process or another) each write their
	 * own temporary file: the pid and a counter tell them apart, and
	 * O_EXCL refuses a name that is somehow taken rather than truncating
	 * another writer's file. */
	static atomic_uint counter;
	char name[512], tmp[600];
	int fd, ok;

	snprintf(name, sizeof(name), "%s/%lld-%s-%lld.%s", dir, evs_unix_ms(), event_id, n, ext);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u-%s-%lld.%s", dir, (long)getpid(),
		 atomic_fetch_add(&counter, 1), event_id, n, ext);
	(void)mkdir(dir, 0750);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_set(ERR_UNAVAILABLE, "mail_dir", "cannot write in %s: %s", dir,
			       strerror(errno));
	ok = evs_write_all(fd, content, len) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, name) != 0) {
		(void)unlink(tmp);
		return err_set(ERR_UNAVAILABLE, "mail_dir", "cannot write %s", name);
	}
	return 0;
}

/* --- SMTP ------------------------------------------------------------------------ */

typedef struct evs_upload {
	const char *p;
	size_t left;
} evs_upload;

static size_t
evs_upload_read(char *buf, size_t size, size_t n, void *arg)
{
	evs_upload *u = arg;
	size_t take = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

/* The bare address of "Name <a@b>" or "a@b", into out. */
static void
evs_bare_address(char *out, size_t cap, const char *from)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt && gt)
		snprintf(out, cap, "<%.*s>", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, cap, "<%s>", from);
}

/* Counts the exchange c just had with provider (its last reply code's
 * class, or transport_error when none came). */
static void
evs_count_provider_call(CURL *c, const char *provider)
{
	long code = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	metrics_provider_call(provider, code > 0, code);
}

int
evs_send_smtp(const evs_smtp *smtp, const char *to, const char *message, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	evs_upload up = {message, len};
	char from[320], rcpt_addr[320];
	CURLcode res;

	if (!c)
		return err_set(ERR_UNAVAILABLE, "smtp", "no curl handle");
	evs_bare_address(from, sizeof(from), smtp->from);
	snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	rcpt = curl_slist_append(NULL, rcpt_addr);
	curl_easy_setopt(c, CURLOPT_URL, smtp->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, evs_upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)smtp->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (smtp->user && smtp->user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, smtp->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password ? smtp->password : "");
		/* A password never crosses the network in clear. */
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	}
	res = curl_easy_perform(c);
	evs_count_provider_call(c, "smtp");
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (res != CURLE_OK)
		return err_set(ERR_UNAVAILABLE, "smtp", "the mail server did not take it: %s",
			       curl_easy_strerror(res));
	return 0;
}

/* --- SMS ------------------------------------------------------------------------- */

static size_t
evs_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The request body; NULL when out of memory. Free with free(). */
static char *
evs_sms_body(const evs_sms *sms, const char *to, const char *text)
{
	/* Termii takes the number in international form without the "+". */
	json_t *body =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "to", to[0] == '+' ? to + 1 : to,
			  "from", sms->sender ? sms->sender : "Kolo", "sms", text, "type", "plain",
			  "channel", "generic", "api_key", sms->api_key ? sms->api_key : "");
	char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return out;
}

int
evs_send_sms(const evs_sms *sms, const char *to, const char *text)
{
	CURL *c = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	char *body = evs_sms_body(sms, to, text);
	long status = 0;
	CURLcode res = CURLE_OUT_OF_MEMORY;

	if (c && body && headers) {
		curl_easy_setopt(c, CURLOPT_URL, sms->url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, evs_discard);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)sms->timeout_ms);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		res = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		metrics_provider_call("sms", status > 0, status);
	}
	if (body) {
		/* The body carries the API key. */
		memset(body, 0, strlen(body));
		free(body);
	}
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	if (res != CURLE_OK)
		return err_set(ERR_UNAVAILABLE, "sms", "the SMS API did not answer: %s",
			       curl_easy_strerror(res));
	if (status < 200 || status > 299)
		return err_set(ERR_UNAVAILABLE, "sms", "the SMS API answered %ld", status);
	return 0;
}
