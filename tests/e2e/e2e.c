#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t e2e_write(char *data, size_t size, size_t n, void *arg)
{
	e2e_reply *r = arg;
	size_t len = size * n;
	char *grown = realloc(r->body, r->body_len + len + 1);

	if (!grown)
		return 0;
	r->body = grown;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static void e2e_copy_header(char *dst, size_t cap, const char *line,
			    size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0)
		return;
	line += n;
	len -= n;
	while (len && (*line == ' ')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	snprintf(dst, cap, "%.*s", (int)len, line);
}

static size_t e2e_header(char *data, size_t size, size_t n, void *arg)
{
	e2e_reply *r = arg;
	size_t len = size * n;

	e2e_copy_header(r->request_id, sizeof(r->request_id), data, len, "X-Request-Id:");
	e2e_copy_header(r->retry_after, sizeof(r->retry_after), data, len, "Retry-After:");
	e2e_copy_header(r->content_type, sizeof(r->content_type), data, len, "Content-Type:");
	return len;
}

void e2e_http(e2e_reply *r, const char *method, const char *path,
	      const e2e_opts *opts)
{
	static const e2e_opts none = { 0 };
	const char *base = getenv("KOLO_E2E_URL");
	struct curl_slist *headers = NULL;
	char url[1024], auth[4096];
	CURL *curl = curl_easy_init();
	CURLcode rc;

	if (!opts)
		opts = &none;
	memset(r, 0, sizeof(*r));
	assert_non_null(base);
	assert_non_null(curl);
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, e2e_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, e2e_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (opts->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", opts->token);
		headers = curl_slist_append(headers, auth);
	}
	if (opts->header)
		headers = curl_slist_append(headers, opts->header);
	if (opts->body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, opts->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
				 (long)(opts->body_len ? opts->body_len : strlen(opts->body)));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	if (!r->body)
		r->body = calloc(1, 1);
	r->json = json_loadb(r->body, r->body_len, 0, NULL);
}

void e2e_reply_free(e2e_reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *e2e_error_code(const e2e_reply *r)
{
	const char *code = json_string_value(
		json_object_get(json_object_get(r->json, "error"), "code"));

	return code ? code : "";
}

const char *e2e_str(const e2e_reply *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->json, key));

	return v ? v : "";
}
