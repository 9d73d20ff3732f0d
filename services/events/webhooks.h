/* webhooks: kolo-events' partner webhooks (DESIGN §16), their settings and
 * their pure rules: which event types an endpoint may choose, how its
 * secret is sealed, and what one attempt's outcome changes. No protobuf,
 * no SQL. docs/webhooks.md is the partners' guide; docs/decisions.md,
 * "Partner webhooks", the choices made here. */
#ifndef KOLO_WEBHOOKS_H
#define KOLO_WEBHOOKS_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "err/err.h"
#include "webhook_backoff.h"
#include "webhook_send.h"
#include "webhook_sign.h"

/* The most endpoints one group may have (not deleted). */
#define WHK_MAX_PER_GROUP 10
/* The most event types one endpoint may choose. */
#define WHK_MAX_EVENTS 64
/* The choice of every type partners may see. */
#define WHK_ALL_EVENTS "*"

typedef struct whk_config {
	whk_schedule schedule;
	whk_send_opts send;
	int has_key; /* 0: KOLO_WEBHOOK_SECRET_KEY unset, webhooks refused */
	unsigned char key[crypto_secretbox_KEYBYTES];
	int interval_ms; /* how often the worker looks for work */
	int batch;	 /* deliveries one pass sends at most */
} whk_config;

/* The process's settings (copied; main.c, tests); whk_current borrows. */
void whk_configure(const whk_config *config);
const whk_config *whk_current(void);

/* KOLO_WEBHOOK_SECRET_KEY: 64 hex digits (32 bytes) into key.
 * ERR_INVALID_ARGUMENT "bad_config" otherwise. */
KOLO_MUST_CHECK int whk_key_parse(unsigned char key[crypto_secretbox_KEYBYTES], const char *hex);

/* ERR_FAILED_PRECONDITION "webhooks_unavailable" unless a key is set. */
KOLO_MUST_CHECK int whk_require_key(void);

/* The event types an endpoint chose: 1..WHK_MAX_EVENTS names, each a
 * catalogue type partners may see, or "*" alone. ERR_INVALID_ARGUMENT
 * "no_event_types", "too_many_event_types", "unknown_event_type",
 * "event_type_not_for_partners", "duplicate_event_type". */
KOLO_MUST_CHECK int whk_check_events(char *const *names, size_t n);

/* The names of every type partners may see, into out (room for every
 * catalogue type); returns how many. Static strings. */
size_t whk_partner_types(const char **out, size_t cap);

/* The sealed form of secret (nonce then box) under key: *out malloc'd
 * (the caller frees), *n_out its length. */
void whk_seal(unsigned char **out, size_t *n_out,
	      const unsigned char key[crypto_secretbox_KEYBYTES], const char *secret);

/* Opens what whk_seal made into out. ERR_INTERNAL "secret_unreadable"
 * when it was sealed under another key or damaged. */
KOLO_MUST_CHECK int whk_open(char out[WHK_SECRET_MAX],
			     const unsigned char key[crypto_secretbox_KEYBYTES],
			     const unsigned char *sealed, size_t n);

/* What kolo-events knows when an attempt ends. */
typedef struct whk_attempt {
	int delivered;	     /* a 2xx answer */
	int attempts;	     /* counting this one */
	int64_t first_at_ms; /* the first attempt of the window */
	int64_t now_ms;
	int64_t failing_since_ms; /* the endpoint's; 0: it was not failing */
	int endpoint_active;	  /* not paused or deleted meanwhile */
	uint32_t jitter;	  /* random bits */
} whk_attempt;

typedef enum whk_delivery_state {
	WHK_PENDING,
	WHK_DELIVERED,
	WHK_DEAD,
	WHK_DELIVERY_STATE_COUNT
} whk_delivery_state;

/* "pending", "delivered", "dead" (static); parse: -1 when unknown. */
const char *whk_delivery_state_text(whk_delivery_state s);
int whk_delivery_state_parse(const char *text);

typedef struct whk_verdict {
	whk_delivery_state state;
	int64_t next_at_ms;	  /* WHK_PENDING: when to try again */
	int64_t failing_since_ms; /* the endpoint's now (0: not failing) */
	int pause;		  /* pause the endpoint and tell officers */
} whk_verdict;

/* The outcome of one attempt: delivered; or pending again on the schedule;
 * or dead when the window has passed. The endpoint stops failing on a
 * 2xx, starts failing on a first failure, and is paused when it has failed
 * for the schedule's pause time. */
void whk_decide(whk_verdict *out, const whk_schedule *s, const whk_attempt *a);

#endif
