/* Token-bucket rate limits per IP and per account.
 *
 * Buckets live in a fixed open-addressed table (no growth, no allocation
 * per request); when a probe run is full the stalest bucket is reused,
 * which can only forgive, never wrongly refuse. */
#include "gw.h"

#include "config/cfg.h"
#include "text/text.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define GW_RATE_SLOTS	8192
#define GW_RATE_PROBE	16
#define GW_RATE_KEY_MAX 96

typedef struct gw_bucket {
	char key[GW_RATE_KEY_MAX];
	double tokens;
	double last; /* seconds */
} gw_bucket;

static gw_bucket gw_buckets[GW_RATE_SLOTS];
static pthread_mutex_t gw_rate_lock = PTHREAD_MUTEX_INITIALIZER;
static gw_rate_config gw_rates;

void
gw_rate_configure(const gw_rate_config *cfg)
{
	gw_rates = *cfg;
}

int
gw_rate_parse(gw_rate_rule *out, const char *text)
{
	const char *slash = strchr(text, '/');
	char count[16];
	int64_t n = 0, secs = 0;

	if (!slash || (size_t)(slash - text) >= sizeof(count))
		return ERR_INVALID_ARGUMENT;
	memcpy(count, text, (size_t)(slash - text));
	count[slash - text] = '\0';
	if (cfg_parse_int(&n, count, 1, 1000000) < 0 ||
	    cfg_parse_int(&secs, slash + 1, 1, 86400) < 0)
		return ERR_INVALID_ARGUMENT;
	out->burst = (double)n;
	out->per_second = (double)n / (double)secs;
	return 0;
}

static uint64_t
gw_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Refill arithmetic is in floating point: a bucket this close to a whole
 * token has it (so the advertised wait is always enough). */
#define GW_RATE_EPSILON 1e-6

/* The bucket of key (a fresh full one if it was not there); key is at most
 * GW_RATE_KEY_MAX - 1 bytes. */
static gw_bucket *
gw_bucket_of(const gw_rate_rule *rule, const char *key, double now)
{
	uint64_t h = gw_hash(key);
	gw_bucket *stalest = NULL;

	for (int i = 0; i < GW_RATE_PROBE; i++) {
		gw_bucket *b = &gw_buckets[(h + (uint64_t)i) % GW_RATE_SLOTS];

		if (strcmp(b->key, key) == 0)
			return b;
		if (!stalest || b->last < stalest->last)
			stalest = b;
	}
	snprintf(stalest->key, sizeof(stalest->key), "%s", key);
	stalest->tokens = rule->burst;
	stalest->last = now;
	return stalest;
}

int
gw_rate_take(const gw_rate_rule *rule, const char *key, double now)
{
	char bounded[GW_RATE_KEY_MAX];
	gw_bucket *b;
	int wait = 0;

	/* Long keys are cut the same way for lookup and storage. */
	snprintf(bounded, sizeof(bounded), "%s", key);
	pthread_mutex_lock(&gw_rate_lock);
	b = gw_bucket_of(rule, bounded, now);
	b->tokens = fmin(rule->burst, b->tokens + (now - b->last) * rule->per_second);
	b->last = now;
	if (b->tokens >= 1.0 - GW_RATE_EPSILON)
		b->tokens = fmax(0.0, b->tokens - 1.0);
	else
		wait = (int)ceil((1.0 - b->tokens) / rule->per_second - GW_RATE_EPSILON);
	pthread_mutex_unlock(&gw_rate_lock);
	return wait;
}

static double
gw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes a token of rule for "<class>:<what>"; the longest wait wins. */
static void
gw_rate_one(int *wait, const gw_rate_rule *rule, const char *cls, const char *what, gw_request *req)
{
	char *key;
	int w;

	if (!what || !what[0])
		return;
	key = mem_arena_printf(req->arena, "%s:%.80s", cls, what);
	if (!key)
		return;
	w = gw_rate_take(rule, key, gw_now());
	if (w > *wait)
		*wait = w;
}

/* The account a login names: the email in its body, in the normal form
 * identity gives it (so " v@x" and "V@x\t" share the bucket of v@x). */
static const char *
gw_login_account(gw_request *req)
{
	json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
	const char *email = json_string_value(json_object_get(body, "email"));
	char *key = email ? text_email_normal(req->arena, email) : NULL;

	json_decref(body);
	return key;
}

int
gw_rate_check(const gw_route *route, gw_request *req, gw_response *resp)
{
	int wait = 0;

	if (route->rate & GW_RATE_LOGIN) {
		gw_rate_one(&wait, &gw_rates.login_ip, "login-ip", req->client_ip, req);
		gw_rate_one(&wait, &gw_rates.login_account, "login-account", gw_login_account(req),
			    req);
	}
	if (route->rate & GW_RATE_SIGNUP)
		gw_rate_one(&wait, &gw_rates.login_ip, "signup-ip", req->client_ip, req);
	if (route->rate & GW_RATE_REFRESH)
		gw_rate_one(&wait, &gw_rates.refresh_ip, "refresh-ip", req->client_ip, req);
	if (route->rate & GW_RATE_PIN) {
		gw_rate_one(&wait, &gw_rates.pin_ip, "pin-ip", req->client_ip, req);
		gw_rate_one(&wait, &gw_rates.pin_account, "pin-account", gw_verified_user(req),
			    req);
	}
	if (route->rate & GW_RATE_PUBLIC)
		gw_rate_one(&wait, &gw_rates.public_ip, "public-ip", req->client_ip, req);
	if (wait == 0)
		return 0;
	gw_reply_error(resp, 429, "rate_limited", "too many requests: try again later");
	resp->retry_after = wait;
	return 429;
}
