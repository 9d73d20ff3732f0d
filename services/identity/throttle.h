/* throttle: how identity refuses guessing (pure rules: no SQL, no protobuf).
 *
 * Throttles: per (kind, key) a count of attempts in a window. An attempt
 * is charged before the argon2id hash it would cost; past the limit the
 * key locks, for lockout_s doubling with each lockout up to lockout_max_s
 * (a key quiet for lockout_max_s after its last lock starts again at
 * lockout_s). A caller refused costs no hash.
 *
 * PINs: every pin_max_failures wrong PINs in a row lock the PIN, the n-th
 * lock of a day for pin_locks_s[n] (30 min, 2 h, 24 h, then 24 h); and at
 * most pin_daily_cap wrong PINs count in a day (24 h from the first wrong
 * one): the cap locks the PIN until that day ends. */
#ifndef KOLO_IDN_THROTTLE_H
#define KOLO_IDN_THROTTLE_H

#include <stdint.h>

#include "text/text.h"

/* What a throttle counts, and by what key. */
typedef enum {
	IDN_LIMIT_LOGIN_ACCOUNT,     /* wrong passwords per email */
	IDN_LIMIT_LOGIN_ADDR,	     /* wrong passwords per client address */
	IDN_LIMIT_REGISTER_ADDR,     /* every sign-up per client address */
	IDN_LIMIT_REFRESH_ADDR,	     /* refused refresh tokens per address */
	IDN_LIMIT_RESET_PIN_ACCOUNT, /* wrong recovery tokens per user */
	IDN_LIMIT_RESET_PIN_ADDR,    /* wrong recovery tokens per address */
	IDN_LIMIT_KINDS
} idn_limit_kind;

#define IDN_PIN_LOCK_LEVELS 3
#define IDN_DAY_S	    (24 * 3600)

typedef struct idn_limit {
	int max;	  /* attempts allowed per window */
	int64_t window_s; /* length of the window */
} idn_limit;

typedef struct idn_limits {
	idn_limit rules[IDN_LIMIT_KINDS];
	int64_t lockout_s;     /* first lock of a throttle */
	int64_t lockout_max_s; /* longest lock, and the quiet time that forgives */
	int pin_max_failures;  /* wrong PINs in a row before a lock */
	int64_t pin_locks_s[IDN_PIN_LOCK_LEVELS];
	int pin_daily_cap; /* wrong PINs per day */
} idn_limits;

/* The production defaults (see README). */
void idn_limits_defaults(idn_limits *out);

/* The kind's name as stored and configured ("login_account", ...). */
const char *idn_limit_name(idn_limit_kind kind);

/* Parses "N/SECONDS" (1..1000000 per 1..604800 s); ERR_INVALID_ARGUMENT. */
int idn_limit_parse(idn_limit *out, const char *text);

/* Parses "S1,S2,S3": the PIN lock of each level, 1..604800 s each, not
 * decreasing; ERR_INVALID_ARGUMENT. */
int idn_pin_locks_parse(int64_t out[IDN_PIN_LOCK_LEVELS], const char *text);

/* The key an address is limited by: text_addr_key() (an IPv6 address by
 * its /64, an IPv4-mapped one as IPv4). */
#define IDN_ADDR_KEY_MAX TEXT_ADDR_KEY_MAX
void idn_addr_key(char out[IDN_ADDR_KEY_MAX], const char *addr);

/* One throttle row. Times are Unix microseconds, 0 for none. */
typedef struct idn_throttle {
	int64_t window_start_us;
	int attempts;
	int64_t locked_until_us;
	int lockouts;
} idn_throttle;

typedef enum {
	IDN_THROTTLE_PASS,	/* charged: go on */
	IDN_THROTTLE_LOCKED,	/* still locked from before */
	IDN_THROTTLE_LOCKED_NOW /* this attempt went past the limit */
} idn_throttle_verdict;

/* Charges one attempt of rule at now to t, or refuses it. *out_wait_s is the
 * time left of the lock when refused (at least 1), else 0. */
idn_throttle_verdict idn_throttle_take(int64_t *out_wait_s, idn_throttle *t, const idn_limit *rule,
				       const idn_limits *limits, int64_t now_us);

/* Gives back an attempt that turned out right (within its window). */
void idn_throttle_refund(idn_throttle *t);

/* The right secret for this key: its run of wrong attempts is forgotten
 * (the lockout count stays until the key has been quiet, so a next lock
 * still grows). */
void idn_throttle_clear(idn_throttle *t);

/* An attempt that turned out right: an account's run of wrong attempts is
 * forgotten (idn_throttle_clear), an address gets its attempt back
 * (idn_throttle_refund: one right login does not excuse others). */
void idn_throttle_settle(idn_throttle *t, idn_limit_kind kind);

/* When a row no longer matters (its window, its lock and its lockout
 * memory are all over): it may be deleted then. */
int64_t idn_throttle_forget_at(const idn_throttle *t, const idn_limit *rule,
			       const idn_limits *limits);

/* The lockout state of a PIN (Unix microseconds, 0 for none). */
typedef struct idn_pin_lockout {
	int failed;   /* wrong in a row since the last right PIN or lock */
	int lockouts; /* locks in the current day */
	int day_failures;
	int64_t day_start_us;
	int64_t locked_until_us;
} idn_pin_lockout;

/* A wrong PIN at now: 1 when it locks the PIN (then locked_until_us is
 * set), else 0 with *out_attempts_left before the next lock. */
int idn_pin_wrong(int *out_attempts_left, idn_pin_lockout *p, const idn_limits *limits,
		  int64_t now_us);

/* A right PIN: the run of wrong ones is over (the day's count stays). */
void idn_pin_right(idn_pin_lockout *p);

#endif
