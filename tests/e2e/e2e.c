#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e.h"
#include "test_pg.h"

#include <curl/curl.h>
#include <dirent.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static PGconn *e2e_admin; /* e2e_setup_db's */

int
e2e_setup(void **state)
{
	(void)state;
	if (!getenv("KOLO_E2E_URL")) {
		fprintf(stderr, "KOLO_E2E_URL is not set: run through run_e2e.sh\n");
		return -1;
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
e2e_setup_db(void **state)
{
	const char *db = getenv("KOLO_E2E_DB");
	char *conninfo;

	if (!db) {
		fprintf(stderr, "KOLO_E2E_DB is not set: run through run_e2e.sh\n");
		return -1;
	}
	conninfo = test_pg_conninfo(db, NULL);
	e2e_admin = conninfo ? PQconnectdb(conninfo) : NULL;
	free(conninfo);
	if (!e2e_admin || PQstatus(e2e_admin) != CONNECTION_OK)
		return -1;
	return e2e_setup(state);
}

int
e2e_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	if (e2e_admin)
		PQfinish(e2e_admin);
	e2e_admin = NULL;
	return 0;
}

PGconn *
e2e_db(void)
{
	return e2e_admin;
}

static size_t
e2e_write(char *data, size_t size, size_t n, void *arg)
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

static void
e2e_copy_header(char *dst, size_t cap, const char *line, size_t len, const char *name)
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

static size_t
e2e_on_header(char *data, size_t size, size_t n, void *arg)
{
	e2e_reply *r = arg;
	size_t len = size * n, used = strlen(r->headers);

	if (used + len < sizeof(r->headers)) {
		memcpy(r->headers + used, data, len);
		r->headers[used + len] = '\0';
	}

	e2e_copy_header(r->request_id, sizeof(r->request_id), data, len, "X-Request-Id:");
	e2e_copy_header(r->retry_after, sizeof(r->retry_after), data, len, "Retry-After:");
	e2e_copy_header(r->content_type, sizeof(r->content_type), data, len, "Content-Type:");
	e2e_copy_header(r->csp, sizeof(r->csp), data, len, "Content-Security-Policy:");
	e2e_copy_header(r->replayed, sizeof(r->replayed), data, len, "Idempotent-Replayed:");
	e2e_copy_header(r->www_authenticate, sizeof(r->www_authenticate), data, len,
			"WWW-Authenticate:");
	return len;
}

/* Appends one line of JSON, {method, path, status, content_type, body}, to
 * the file KOLO_E2E_RECORD names (when set): check_responses.mjs validates
 * every body against the OpenAPI document after the suite. */
static void
e2e_record(const e2e_reply *r, const char *method, const char *path)
{
	const char *file = getenv("KOLO_E2E_RECORD");
	json_t *line;
	FILE *f;

	if (!file || !file[0])
		return;
	line = json_pack("{s:s, s:s, s:I, s:s, s:s%}", "method", method, "path", path, "status",
			 (json_int_t)r->status, "content_type", r->content_type, "body", r->body,
			 r->body_len);
	if (!line) /* not UTF-8: recorded without its body (the validator says so) */
		line = json_pack("{s:s, s:s, s:I, s:s, s:b}", "method", method, "path", path,
				 "status", (json_int_t)r->status, "content_type", r->content_type,
				 "body_not_utf8", 1);
	f = fopen(file, "a");
	if (!line || !f)
		fail_msg("cannot record the reply of %s %s in %s", method, path, file);
	if (json_dumpf(line, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF)
		fail_msg("cannot write %s", file);
	fclose(f);
	json_decref(line);
}

void
e2e_http(e2e_reply *r, const char *method, const char *path, const e2e_opts *opts)
{
	static const e2e_opts none = {0};
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
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, e2e_on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (opts->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", opts->token);
		headers = curl_slist_append(headers, auth);
	}
	if (opts->header)
		headers = curl_slist_append(headers, opts->header);
	if (opts->header2)
		headers = curl_slist_append(headers, opts->header2);
	if (opts->header3)
		headers = curl_slist_append(headers, opts->header3);
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
	e2e_record(r, method, path);
}

void
e2e_reply_free(e2e_reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
e2e_header(const e2e_reply *r, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);

	for (const char *line = r->headers; *line;) {
		size_t len = strcspn(line, "\n");

		if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			size_t vlen = len - n - 1;

			while (vlen && *v == ' ') {
				v++;
				vlen--;
			}
			while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
				vlen--;
			snprintf(out, cap, "%.*s", (int)vlen, v);
			return out;
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return NULL;
}

const char *
e2e_error_code(const e2e_reply *r)
{
	const char *code =
		json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));

	return code ? code : "";
}

const char *
e2e_str(const e2e_reply *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->json, key));

	return v ? v : "";
}

void
e2e_keep_tokens(e2e_user *u, const e2e_reply *r)
{
	snprintf(u->access, sizeof(u->access), "%s", e2e_str(r, "access_token"));
	snprintf(u->refresh, sizeof(u->refresh), "%s", e2e_str(r, "refresh_token"));
	assert_true(strlen(u->access) > 20);
	assert_true(strlen(u->refresh) > 20);
}

/* The code of one mail file when it is addressed to email ("" when not):
 * its To: header names the address, its text says "Your code: NNNNNN". */
static void
e2e_mail_file_code(char code[8], const char *path, const char *email)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int to_us = 0, in_headers = 1;

	code[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *c = strstr(line, "Your code: ");

		if (in_headers && (line[0] == '\r' || line[0] == '\n'))
			in_headers = 0;
		if (in_headers && strncasecmp(line, "To:", 3) == 0 && strcasestr(line, email))
			to_us = 1;
		if (!in_headers && c && !code[0] && sscanf(c, "Your code: %6[0-9]", code) != 1)
			code[0] = '\0';
	}
	fclose(f);
	if (!to_us || strlen(code) != 6)
		code[0] = '\0';
}

/* The newest code sent to email (or phone) in a file ending ext (".eml",
 * ".sms"; file names start with the Unix ms of writing, so the greatest
 * name is the newest) written at since_ms or later, or "" when none. */
static void
e2e_mail_newest(char code[8], const char *dir, const char *email, const char *ext,
		long long since_ms)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char newest[256] = "", path[1024], found[8];

	code[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ext) != 0 ||
		    atoll(e->d_name) < since_ms || strcmp(e->d_name, newest) <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		e2e_mail_file_code(found, path, email);
		if (found[0]) {
			snprintf(newest, sizeof(newest), "%s", e->d_name);
			memcpy(code, found, sizeof(found));
		}
	}
	closedir(d);
}

/* The newest code for `to` in files ending ext written at since_ms or
 * later; waits up to 15 s. */
static void
e2e_wait_code(char code[8], const char *to, const char *ext, const char *not_this,
	      long long since_ms)
{
	const char *dir = getenv("KOLO_MAIL_DIR");

	if (!dir || !dir[0])
		fail_msg("KOLO_MAIL_DIR is not set: where kolo-events writes mail");
	/* kolo-events tails identity's outbox: give it a moment. */
	for (int i = 0; i < 300; i++) {
		e2e_mail_newest(code, dir, to, ext, since_ms);
		if (code[0] && (!not_this || strcmp(code, not_this) != 0))
			return;
		usleep(50 * 1000);
	}
	fail_msg("no code for %s in %s (%s) after 15 s", to, dir, ext);
}

void
e2e_mail_code(char code[8], const char *email, const char *not_this)
{
	e2e_wait_code(code, email, ".eml", not_this, 0);
}

long long
e2e_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
e2e_sms_code(char code[8], const char *phone, long long since_ms)
{
	e2e_wait_code(code, phone, ".sms", NULL, since_ms);
}

void
e2e_verify_phone(const e2e_user *u, const char *phone, long long since_ms)
{
	char code[8], body[64];
	e2e_opts o = {.token = u->access, .body = body};
	e2e_reply r;

	e2e_sms_code(code, phone, since_ms);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	e2e_expect(&r, "POST", "/v1/me/phone/verify", &o, 200, "");
	assert_true(json_is_true(json_object_get(r.json, "phone_verified")));
	e2e_reply_free(&r);
}

void
e2e_verify_email(const e2e_user *u)
{
	char code[8], body[64];
	e2e_opts o = {.token = u->access, .body = body};
	e2e_reply r;

	e2e_mail_code(code, u->email, NULL);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	e2e_expect(&r, "POST", "/v1/me/email/verify", &o, 200, "");
	assert_true(json_is_true(json_object_get(r.json, "email_verified")));
	e2e_reply_free(&r);
}

/* POST /v1/auth/register as "<tag>-<pid>-<n>@example.com" named name. */
static void
e2e_register_as(e2e_user *u, const char *tag, const char *name)
{
	static int counter;
	char body[512];
	e2e_reply r;
	e2e_opts o = {.body = body};
	json_t *user;

	snprintf(u->email, sizeof(u->email), "%s-%d-%d@example.com", tag, (int)getpid(), counter++);
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"" E2E_PASSWORD "\",\"name\":\"%s\"}", u->email,
		 name);
	e2e_http(&r, "POST", "/v1/auth/register", &o);
	assert_int_equal(r.status, 201);
	user = json_object_get(r.json, "user");
	assert_string_equal(json_string_value(json_object_get(user, "email")), u->email);
	snprintf(u->id, sizeof(u->id), "%s", json_string_value(json_object_get(user, "id")));
	assert_string_equal(e2e_str(&r, "token_type"), "Bearer");
	e2e_keep_tokens(u, &r);
	e2e_reply_free(&r);
}

void
e2e_register(e2e_user *u, const char *tag)
{
	e2e_register_unverified(u, tag);
	e2e_verify_email(u);
}

void
e2e_register_unverified(e2e_user *u, const char *tag)
{
	char name[128];

	snprintf(name, sizeof(name), "E2E %s", tag);
	e2e_register_as(u, tag, name);
}

void
e2e_register_named(e2e_user *u, const char *tag, const char *name)
{
	e2e_register_as(u, tag, name);
	e2e_verify_email(u);
}

void
e2e_group(char *id, const e2e_user *owner, const char *name)
{
	char body[256];
	e2e_opts o = {.token = owner->access, .body = body};
	e2e_reply r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(id, 64, "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
}

void
e2e_add_member(const char *gid, const e2e_user *by, const e2e_user *who, const char *role)
{
	char path[128], body[256];
	e2e_opts o = {.token = by->access, .body = body};

	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", who->email, role);
	e2e_expect(NULL, "POST", path, &o, 201, "");
}

void
e2e_set_pin(const e2e_user *u, const char *pin)
{
	char body[64];
	e2e_opts o = {.token = u->access, .body = body};

	snprintf(body, sizeof(body), "{\"pin\":\"%s\"}", pin);
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
}

static int
e2e_days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

void
e2e_wat_day(char out[11], int months, int days)
{
	time_t now = time(NULL) + 3600;
	struct tm t;
	int y, m, d;

	gmtime_r(&now, &t);
	y = t.tm_year + 1900;
	m = t.tm_mon + 1 - months;
	while (m < 1) {
		m += 12;
		y--;
	}
	d = t.tm_mday < e2e_days_in_month(y, m) ? t.tm_mday : e2e_days_in_month(y, m);
	memset(&t, 0, sizeof(t));
	t.tm_year = y - 1900;
	t.tm_mon = m - 1;
	t.tm_mday = d + days;
	t.tm_hour = 12;
	now = timegm(&t);
	gmtime_r(&now, &t);
	strftime(out, 11, "%Y-%m-%d", &t);
}

void
e2e_wait_proposal(const char *id, const e2e_user *as, const char *status)
{
	char path[128], seen[32] = "";
	e2e_opts o = {.token = as->access};
	e2e_reply r;

	snprintf(path, sizeof(path), "/v1/proposals/%s", id);
	for (int i = 0; i < 150 && strcmp(seen, status) != 0; i++) {
		if (i)
			usleep(100 * 1000);
		e2e_expect(&r, "GET", path, &o, 200, "");
		snprintf(seen, sizeof(seen), "%s", e2e_str(&r, "status"));
		e2e_reply_free(&r);
	}
	if (strcmp(seen, status) != 0)
		fail_msg("proposal %s is %s, want %s", id, seen, status);
}

void
e2e_expect(e2e_reply *out, const char *method, const char *path, const e2e_opts *o, long status,
	   const char *code)
{
	e2e_reply r;

	e2e_http(&r, method, path, o);
	if (r.status != status || strcmp(e2e_error_code(&r), code) != 0)
		fail_msg("%s %s: got %ld %s, want %ld %s (%s)", method, path, r.status,
			 e2e_error_code(&r), status, code, r.body);
	if (r.body_len)
		assert_string_equal(r.content_type, "application/json");
	if (out)
		*out = r;
	else
		e2e_reply_free(&r);
}
