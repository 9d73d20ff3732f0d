/* store: every SQL statement of kolo-events; the only libpq user. */
#ifndef KOLO_EVS_STORE_H
#define KOLO_EVS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "mem/mem.h"

/* An event as stored (every text "" when unset; in the arena). */
typedef struct evs_event {
	const char *id, *type, *group_id, *user_id, *actor_id;
	const char *occurred_at; /* RFC 3339 UTC */
	const char *data_json;	 /* a JSON object */
	int64_t group_seq;	 /* 0 without a group */
} evs_event;

/* --- ingest ------------------------------------------------------------------ */

/* 1 in *out_leader when this connection holds (or just took) the ingest lock:
 * a session advisory lock, so one replica at a time ingests; it is let go
 * when the connection closes. */
KOLO_MUST_CHECK int evs_store_lead(int *out_leader, db_conn *c);

/* Stores e from source unless its id is stored already (*out_stored 0), giving
 * an event with a group the next number of that group. Inside a tx. */
KOLO_MUST_CHECK int evs_store_event(int *out_stored, db_conn *c, const char *source,
				    const evs_event *e);

/* Up to limit stored events not yet fanned out, oldest first. */
KOLO_MUST_CHECK int evs_store_unfanned(evs_event **out, int *out_n, mem_arena *a, db_conn *c,
				       int limit);

/* --- fan-out ------------------------------------------------------------------ */

/* Which of users (n of them) chose type, per channel: out_chose_email[i] and
 * out_chose_sms[i] are set to 1 for users[i] that did (arrays of n). */
KOLO_MUST_CHECK int evs_store_choices_of(int *out_chose_email, int *out_chose_sms, db_conn *c,
					 const char *type, char *const *users, size_t n);

/* One message of an event (fan-out's output). */
typedef struct evs_message {
	const char *user_id;
	const char *channel; /* "email" or "sms" */
	const char *address; /* the email address or E.164 phone number */
} evs_message;

/* Adds the messages of event_id (none twice: a row already there stays)
 * and marks the event fanned out. Inside a tx. */
KOLO_MUST_CHECK int evs_store_fanned(db_conn *c, const char *event_id, const evs_message *msgs,
				     size_t n);

/* Counts a failed fan-out of event_id (error: why); after max_failures
 * of them the event is set aside (fanned out, fanout_failed: no message)
 * and *out_gave_up is 1. */
KOLO_MUST_CHECK int evs_store_fanout_failed(int *out_gave_up, db_conn *c, const char *event_id,
					    const char *error, int max_failures);

/* --- delivery ---------------------------------------------------------------- */

/* A claimed message with its event. */
typedef struct evs_delivery {
	int64_t id;
	const char *user_id, *channel, *address;
	int attempts; /* counting this one */
	evs_event event;
} evs_delivery;

/* Claims up to limit due PENDING messages (SKIP LOCKED: workers never
 * share one) for lease_s seconds, counting an attempt on each. */
KOLO_MUST_CHECK int evs_store_claim(evs_delivery **out, int *out_n, mem_arena *a, db_conn *c,
				    int limit, int lease_s);

/* The marks below apply only while d is still this worker's claim (its
 * attempt count unchanged, still PENDING): after the lease ran out and
 * another worker claimed it, they change nothing (the newer claim's outcome
 * stands). */

/* The message was sent; an email or phone code's code is blanked in the
 * event. Inside a tx (both or neither). */
KOLO_MUST_CHECK int evs_store_sent(db_conn *c, const evs_delivery *d);

/* The attempt failed: DEAD when dead, else due again in wait_s. */
KOLO_MUST_CHECK int evs_store_failed(db_conn *c, const evs_delivery *d, int dead, int64_t wait_s,
				     const char *error);

/* Gives a claimed message back uncounted, due in wait_ms (no SMS budget). */
KOLO_MUST_CHECK int evs_store_unclaim(db_conn *c, const evs_delivery *d, int64_t wait_ms);

/* Takes one SMS from the shared budget (a token bucket of rate_per_s,
 * holding at most max(1, rate_per_s)): *out_got 1, or 0 when it is empty. */
KOLO_MUST_CHECK int evs_store_sms_token(int *out_got, db_conn *c, double rate_per_s);

/* --- streams (WatchEvents) --------------------------------------------------- */

/* *out_seq = the number of event_id among group_id's events, or 0 when it is
 * not an event of that group (unknown, another group's, or none). */
KOLO_MUST_CHECK int evs_store_group_seq_of(int64_t *out_seq, db_conn *c, const char *group_id,
					   const char *event_id);

/* Up to limit of group_id's events numbered above after_seq, in number
 * order, in the arena (every type: the caller filters). */
KOLO_MUST_CHECK int evs_store_group_events(evs_event **out, int *out_n, mem_arena *a, db_conn *c,
					   const char *group_id, int64_t after_seq, int limit);

/* --- preferences ------------------------------------------------------------- */

/* The user's choices per channel, sorted, in the arena. */
KOLO_MUST_CHECK int evs_store_choices(char ***out_email, size_t *out_n_email, char ***out_sms,
				      size_t *out_n_sms, mem_arena *a, db_conn *c,
				      const char *user_id);

/* Replaces the user's choices. Inside a tx. */
KOLO_MUST_CHECK int evs_store_choices_set(db_conn *c, const char *user_id, char *const *email,
					  size_t n_email, char *const *sms, size_t n_sms);

/* --- the streams' poller (WatchEvents) --------------------------------------- */

/* out_heads[i] = the number of the last event stored for groups[i] (n of
 * them, UUIDs), 0 when it has none yet: one statement for every group. */
KOLO_MUST_CHECK int evs_store_group_heads(int64_t *out_heads, db_conn *c, char *const *groups,
					  size_t n);

/* For the gauges (metrics_queue): pending deliveries (email, SMS) and the
 * time the longest-due one has waited past its next_at. */
int evs_store_delivery_queue(void *arg, int64_t *depth, double *oldest_age_s);

#endif
