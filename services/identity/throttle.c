#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "err/err.h"
#include "text/text.h"

#define IDN_US_PER_S	       1000000
#define IDN_LIMIT_WINDOW_MAX_S (7 * IDN_DAY_S)

static const char *const idn_limit_names[IDN_LIMIT_KINDS] = {
	[IDN_LIMIT_LOGIN_ACCOUNT] = "login_account",
	[IDN_LIMIT_LOGIN_ADDR] = "login_addr",
	[IDN_LIMIT_REGISTER_ADDR] = "register_addr",
	[IDN_LIMIT_REFRESH_ADDR] = "refresh_addr",
	[IDN_LIMIT_RESET_PIN_ACCOUNT] = "reset_pin_account",
	[IDN_LIMIT_RESET_PIN_ADDR] = "reset_pin_addr",
};

void
idn_limits_defaults(idn_limits *out)
{
	static const idn_limit rules[IDN_LIMIT_KINDS] = {
		[IDN_LIMIT_LOGIN_ACCOUNT] = {10, 900},
		/* Addresses are shared (carrier NAT is the norm on Nigerian
		 * mobile networks): generous, it stops spraying, not people. */
		[IDN_LIMIT_LOGIN_ADDR] = {100, 900},
		[IDN_LIMIT_REGISTER_ADDR] = {100, 3600},
		[IDN_LIMIT_REFRESH_ADDR] = {100, 900},
		[IDN_LIMIT_RESET_PIN_ACCOUNT] = {5, 3600},
		[IDN_LIMIT_RESET_PIN_ADDR] = {50, 3600},
	};

	memcpy(out->rules, rules, sizeof(rules));
	out->lockout_s = 900;
	out->lockout_max_s = IDN_DAY_S;
	out->pin_max_failures = 5;
	out->pin_locks_s[0] = 30 * 60;
	out->pin_locks_s[1] = 2 * 3600;
	out->pin_locks_s[2] = IDN_DAY_S;
	out->pin_daily_cap = 15;
}

const char *
idn_limit_name(idn_limit_kind kind)
{
	return kind >= 0 && kind < IDN_LIMIT_KINDS ? idn_limit_names[kind] : "?";
}

int
idn_limit_parse(idn_limit *out, const char *text)
{
	const char *slash = strchr(text, '/');
	char count[16];
	int64_t n = 0, secs = 0;

	if (!slash || (size_t)(slash - text) >= sizeof(count))
		return ERR_INVALID_ARGUMENT;
	memcpy(count, text, (size_t)(slash - text));
	count[slash - text] = '\0';
	if (cfg_parse_int(&n, count, 1, 1000000) < 0 ||
	    cfg_parse_int(&secs, slash + 1, 1, IDN_LIMIT_WINDOW_MAX_S) < 0)
		return ERR_INVALID_ARGUMENT;
	out->max = (int)n;
	out->window_s = secs;
	return 0;
}

int
idn_pin_locks_parse(int64_t out[IDN_PIN_LOCK_LEVELS], const char *text)
{
	int64_t locks[IDN_PIN_LOCK_LEVELS];
	const char *p = text;

	for (int i = 0; i < IDN_PIN_LOCK_LEVELS; i++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char part[16];

		if ((end == NULL) != (i == IDN_PIN_LOCK_LEVELS - 1) || len >= sizeof(part))
			return ERR_INVALID_ARGUMENT;
		memcpy(part, p, len);
		part[len] = '\0';
		if (cfg_parse_int(&locks[i], part, 1, IDN_LIMIT_WINDOW_MAX_S) < 0 ||
		    (i > 0 && locks[i] < locks[i - 1]))
			return ERR_INVALID_ARGUMENT;
		p = end ? end + 1 : p + len;
	}
	memcpy(out, locks, sizeof(locks));
	return 0;
}

void
idn_addr_key(char out[IDN_ADDR_KEY_MAX], const char *addr)
{
	text_addr_key(out, addr);
}

/* Whole seconds from now until at, rounded up (at > now). */
static int64_t
idn_seconds_until(int64_t at_us, int64_t now_us)
{
	return (at_us - now_us + IDN_US_PER_S - 1) / IDN_US_PER_S;
}

/* The lock after `lockouts` earlier ones: doubling, capped. */
static int64_t
idn_lock_length_s(const idn_limits *limits, int lockouts)
{
	int64_t s = limits->lockout_s;

	for (int i = 0; i < lockouts && s < limits->lockout_max_s; i++)
		s *= 2;
	return s < limits->lockout_max_s ? s : limits->lockout_max_s;
}

idn_throttle_verdict
idn_throttle_take(int64_t *out_wait_s, idn_throttle *t, const idn_limit *rule,
		  const idn_limits *limits, int64_t now_us)
{
	int64_t lock_s;

	*out_wait_s = 0;
	if (t->locked_until_us > now_us) {
		*out_wait_s = idn_seconds_until(t->locked_until_us, now_us);
		return IDN_THROTTLE_LOCKED;
	}
	if (t->lockouts > 0 && now_us - t->locked_until_us >= limits->lockout_max_s * IDN_US_PER_S)
		t->lockouts = 0;
	if (t->window_start_us == 0 ||
	    now_us - t->window_start_us >= rule->window_s * IDN_US_PER_S) {
		t->window_start_us = now_us;
		t->attempts = 0;
	}
	if (t->attempts < rule->max) {
		t->attempts++;
		return IDN_THROTTLE_PASS;
	}
	lock_s = idn_lock_length_s(limits, t->lockouts);
	t->locked_until_us = now_us + lock_s * IDN_US_PER_S;
	t->lockouts++;
	/* After the lock a new window starts with the next attempt. */
	t->attempts = 0;
	t->window_start_us = 0;
	*out_wait_s = lock_s;
	return IDN_THROTTLE_LOCKED_NOW;
}

void
idn_throttle_refund(idn_throttle *t)
{
	if (t->attempts > 0)
		t->attempts--;
}

void
idn_throttle_clear(idn_throttle *t)
{
	t->attempts = 0;
}

void
idn_throttle_settle(idn_throttle *t, idn_limit_kind kind)
{
	switch (kind) {
	case IDN_LIMIT_LOGIN_ACCOUNT:
	case IDN_LIMIT_RESET_PIN_ACCOUNT:
		idn_throttle_clear(t);
		return;
	case IDN_LIMIT_LOGIN_ADDR:
	case IDN_LIMIT_REGISTER_ADDR:
	case IDN_LIMIT_REFRESH_ADDR:
	case IDN_LIMIT_RESET_PIN_ADDR:
	case IDN_LIMIT_KINDS:
		idn_throttle_refund(t);
		return;
	}
}

int64_t
idn_throttle_forget_at(const idn_throttle *t, const idn_limit *rule, const idn_limits *limits)
{
	int64_t at = 0;

	if (t->window_start_us)
		at = t->window_start_us + rule->window_s * IDN_US_PER_S;
	if (t->lockouts > 0 && t->locked_until_us + limits->lockout_max_s * IDN_US_PER_S > at)
		at = t->locked_until_us + limits->lockout_max_s * IDN_US_PER_S;
	return at;
}

static int64_t
idn_pin_lock_s(const idn_limits *limits, int lockouts)
{
	int level = lockouts < IDN_PIN_LOCK_LEVELS ? lockouts : IDN_PIN_LOCK_LEVELS - 1;

	return limits->pin_locks_s[level];
}

int
idn_pin_wrong(int *out_attempts_left, idn_pin_lockout *p, const idn_limits *limits, int64_t now_us)
{
	int64_t until, day_end;
	int before_lock, before_cap;

	if (p->day_start_us == 0 || now_us - p->day_start_us >= (int64_t)IDN_DAY_S * IDN_US_PER_S) {
		p->day_start_us = now_us;
		p->day_failures = 0;
		p->lockouts = 0;
	}
	p->failed++;
	p->day_failures++;
	before_lock = limits->pin_max_failures - p->failed;
	before_cap = limits->pin_daily_cap - p->day_failures;
	if (before_lock > 0 && before_cap > 0) {
		*out_attempts_left = before_lock < before_cap ? before_lock : before_cap;
		return 0;
	}
	until = now_us + idn_pin_lock_s(limits, p->lockouts) * IDN_US_PER_S;
	day_end = p->day_start_us + (int64_t)IDN_DAY_S * IDN_US_PER_S;
	if (before_cap <= 0 && day_end > until)
		until = day_end;
	p->locked_until_us = until;
	p->lockouts++;
	p->failed = 0;
	*out_attempts_left = 0;
	return 1;
}

void
idn_pin_right(idn_pin_lockout *p)
{
	p->failed = 0;
}
