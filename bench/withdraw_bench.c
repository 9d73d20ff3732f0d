/* withdraw_bench URL THREADS SECS: full withdrawals per second through
 * kolo-gateway with the demo provider (a running suite at URL).
 *
 * Set-up, not timed: for each thread, an OWNER and a TREASURER (registered,
 * PINs set), a two_officer group, and a demo deposit of 1,000,000,000 kobo;
 * with KOLO_BENCH_FUND_HASH set (payments on bench/fake_flw), 100 signed
 * deposit webhooks of NGN 100.00 instead.
 * Timed: each call is one whole withdrawal of 100 kobo on the thread's own
 * group: POST /v1/groups/{id}/withdrawals (the owner's PIN: PENDING, one
 * approval), then POST /v1/withdrawals/{id}/approve (the treasurer's PIN:
 * APPROVED, payout, PAID). A call that does not end PAID is an error.
 * Prints one bench_run line (load.h); exit 1 when any call failed. */
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/cfg.h"
#include "load.h"

#define MAX_THREADS   64
#define PIN	      "135790"
#define FUND_DEPOSITS 100 /* webhooks of NGN 100.00: 10,000 withdrawals of 100 kobo */

typedef struct buf {
	char *data;
	size_t len;
} buf;

typedef struct slot {
	CURL *curl;
	char owner[1024], treasurer[1024];
	char group[64];
} slot;

static const char *base;
static slot slots[MAX_THREADS];
static atomic_int next_slot;
static _Thread_local int my_slot = -1;

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	buf *b = arg;
	char *d = realloc(b->data, b->len + size * n + 1);

	if (!d)
		return 0;
	memcpy(d + b->len, p, size * n);
	b->len += size * n;
	d[b->len] = 0;
	b->data = d;
	return size * n;
}

/* One request with one extra header line (or none); the parsed JSON reply
 * (or NULL) in *out, the status returned. */
static long
http_with(CURL *c, const char *method, const char *path, const char *header, const char *body,
	  json_t **out)
{
	char url[512];
	struct curl_slist *h = NULL;
	buf b = {0};
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (header)
		h = curl_slist_append(h, header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (out)
		*out = b.data ? json_loads(b.data, 0, NULL) : NULL;
	if ((status < 200 || status > 299) && b.data) {
		static atomic_int reported;

		if (atomic_fetch_add(&reported, 1) < 3)
			fprintf(stderr, "%s %s: %ld %s\n", method, path, status, b.data);
	}
	free(b.data);
	return status;
}

/* http_with() as the user whose access token is token (NULL: nobody). */
static long
http(CURL *c, const char *method, const char *path, const char *token, const char *body,
     json_t **out)
{
	char auth[1100];

	if (!token)
		return http_with(c, method, path, NULL, body, out);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	return http_with(c, method, path, auth, body, out);
}

static const char *
jstr(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

/* The email code in one mail file addressed to email, or "" (kolo-events'
 * embedded default: a To: header, "Your code: NNNNNN" in the text). */
static void
mail_file_code(char code[8], const char *path, const char *email)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int to_us = 0;

	code[0] = '\0';
	/* The text part comes first; the HTML part's "Your code: <b>" is not
	 * read (it would clear the code). */
	while (f && !code[0] && fgets(line, sizeof(line), f)) {
		const char *at = strstr(line, "Your code: ");

		if (strncasecmp(line, "To:", 3) == 0 && strstr(line, email))
			to_us = 1;
		if (at && sscanf(at, "Your code: %6[0-9]", code) != 1)
			code[0] = '\0';
	}
	if (f)
		fclose(f);
	if (!to_us)
		code[0] = '\0';
}

/* Waits (120 s at most: kolo-events may first work through the events of
 * the workloads before) for the code mailed to email in KOLO_MAIL_DIR. */
static int
mail_code(char code[8], const char *email)
{
	const char *dir = getenv("KOLO_MAIL_DIR");

	for (int tries = 0; dir && tries < 2400; tries++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		char path[1024];

		while (d && (e = readdir(d)) != NULL) {
			/* (not kolo-events' ".tmp-" files: still being written) */
			if (!strstr(e->d_name, ".eml") || e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			mail_file_code(code, path, email);
			if (code[0])
				break;
		}
		if (d)
			closedir(d);
		if (code[0])
			return 0;
		usleep(50 * 1000);
	}
	fprintf(stderr, "withdraw_bench: no email code for %s in KOLO_MAIL_DIR\n", email);
	return -1;
}

/* Groups add only verified emails: verified as its owner would. */
static int
verify_email(CURL *c, const char *token, const char *email)
{
	char code[8], body[64];

	if (mail_code(code, email) < 0)
		return -1;
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	return http(c, "POST", "/v1/me/email/verify", token, body, NULL) == 200 ? 0 : -1;
}

static int
register_user(CURL *c, const char *who, int i, char *token, size_t cap, char *email, size_t ecap)
{
	char body[512];
	json_t *j = NULL;
	long st;

	snprintf(email, ecap, "wb-%d-%s-%d@example.com", (int)getpid(), who, i);
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"bench password\",\"name\":\"Bench %s\"}", email,
		 who);
	st = http(c, "POST", "/v1/auth/register", NULL, body, &j);
	snprintf(token, cap, "%s", jstr(j, "access_token"));
	json_decref(j);
	if (st != 201 || !token[0] || verify_email(c, token, email) < 0)
		return -1;
	return http(c, "POST", "/v1/me/pin", token, "{\"pin\":\"" PIN "\"}", NULL) == 201 ? 0 : -1;
}

/* The group's balance in kobo, or -1. */
static long long
balance_of(slot *s)
{
	char path[160];
	json_t *j = NULL;
	long long kobo = -1;

	snprintf(path, sizeof(path), "/v1/groups/%s/balance", s->group);
	if (http(s->curl, "GET", path, s->owner, NULL, &j) == 200)
		kobo = json_integer_value(json_object_get(j, "balance_kobo"));
	json_decref(j);
	return kobo;
}

/* With the Flutterwave stand-in (KOLO_BENCH_FUND_HASH, the webhook secret
 * hash): FUND_DEPOSITS signed deposit webhooks of NGN 100.00 (bench/fake_flw
 * verifies any "GROUP.N"), waited for until all are credited. Otherwise
 * one demo deposit. */
static int
fund(slot *s, int i)
{
	const char *hash = getenv("KOLO_BENCH_FUND_HASH");
	char path[160], header[256], body[512];

	if (!hash || !hash[0]) {
		snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", s->group);
		return http(s->curl, "POST", path, s->owner, "{\"amount_kobo\":1000000000}",
			    NULL) == 201
			       ? 0
			       : -1;
	}
	snprintf(header, sizeof(header), "verif-hash: %s", hash);
	for (int n = 0; n < FUND_DEPOSITS; n++) {
		snprintf(body, sizeof(body),
			 "{\"event\":\"charge.completed\",\"data\":{\"id\":\"%s.fund-%d-%d-%d\","
			 "\"tx_ref\":\"kolo-%s\",\"amount\":100,\"currency\":\"NGN\","
			 "\"status\":\"successful\",\"payment_type\":\"bank_transfer\"}}",
			 s->group, (int)getpid(), i, n, s->group);
		if (http_with(s->curl, "POST", "/v1/webhooks/flutterwave", header, body, NULL) !=
		    200)
			return -1;
	}
	/* A deposit that came before the account was recorded is queued and
	 * credited by the payments worker a little later. */
	for (int tries = 0; tries < 600; tries++) {
		if (balance_of(s) == (long long)FUND_DEPOSITS * 10000)
			return 0;
		usleep(100000);
	}
	return -1;
}

static int
setup(int i)
{
	slot *s = &slots[i];
	char email[128], temail[128], path[160], body[256];
	json_t *j = NULL;

	s->curl = curl_easy_init();
	if (register_user(s->curl, "owner", i, s->owner, sizeof(s->owner), email, sizeof(email)) <
		    0 ||
	    register_user(s->curl, "treasurer", i, s->treasurer, sizeof(s->treasurer), temail,
			  sizeof(temail)) < 0)
		return -1;
	if (http(s->curl, "POST", "/v1/groups", s->owner,
		 "{\"name\":\"Withdrawal bench\",\"rule_template\":\"two_officer\"}", &j) != 201) {
		json_decref(j);
		return -1;
	}
	snprintf(s->group, sizeof(s->group), "%s", jstr(j, "id"));
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/groups/%s/members", s->group);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"TREASURER\"}", temail);
	if (http(s->curl, "POST", path, s->owner, body, NULL) != 201)
		return -1;
	return fund(s, i);
}

static int
withdraw(void *arg, mem_arena *arena)
{
	static const char body[] =
		"{\"amount_kobo\":100,\"reason\":\"bench\",\"pin\":\"" PIN "\","
		"\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		"\"account_name\":\"Tunde Bakare\"}}";
	slot *s;
	char path[160], wid[64];
	json_t *j = NULL;
	long st;
	int ok;

	(void)arg;
	(void)arena;
	if (my_slot < 0)
		my_slot = atomic_fetch_add(&next_slot, 1);
	s = &slots[my_slot];
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", s->group);
	st = http(s->curl, "POST", path, s->owner, body, &j);
	snprintf(wid, sizeof(wid), "%s", jstr(j, "id"));
	json_decref(j);
	if (st != 201 || !wid[0])
		return -1;
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/approve", wid);
	st = http(s->curl, "POST", path, s->treasurer, "{\"pin\":\"" PIN "\"}", &j);
	ok = st == 200 && strcmp(jstr(j, "status"), "PAID") == 0;
	if (st == 200 && !ok)
		fprintf(stderr, "withdrawal %s ended %s\n", wid, jstr(j, "status"));
	json_decref(j);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int64_t threads = 0, secs = 0;
	long errors;

	if (argc != 4 || cfg_parse_int(&threads, argv[2], 1, MAX_THREADS) < 0 ||
	    cfg_parse_int(&secs, argv[3], 1, 600) < 0) {
		fprintf(stderr, "usage: withdraw_bench URL THREADS SECS\n");
		return 2;
	}
	base = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int i = 0; i < threads; i++) {
		if (setup(i) < 0) {
			fprintf(stderr, "withdraw_bench: set-up of group %d failed\n", i);
			return 1;
		}
	}
	errors = bench_run("withdrawal", (int)threads, (double)secs, withdraw, NULL);
	for (int i = 0; i < threads; i++)
		curl_easy_cleanup(slots[i].curl);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
