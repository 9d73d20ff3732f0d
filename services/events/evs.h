/* evs: kolo-events' wiring and its pure rules (DESIGN §16): where events
 * come from, who is told of one and over which channel, what a member may
 * choose, how long a failed message waits. No protobuf, no SQL here. */
#ifndef KOLO_EVS_H
#define KOLO_EVS_H

#include <stddef.h>
#include <stdint.h>

#include "events/events.h"
#include "money/money.h"
#include "rpc/rpc.h"

/* The services whose outboxes kolo-events tails, in the order it reads
 * them. */
typedef enum evs_source {
	EVS_SRC_IDENTITY,
	EVS_SRC_GROUPS,
	EVS_SRC_LEDGER,
	EVS_SRC_WITHDRAWALS,
	EVS_SRC_PAYMENTS,
	EVS_SRC_COUNT
} evs_source;

/* "identity", ... (static; the caller and table name of the source). */
const char *evs_source_name(evs_source source);

typedef struct evs_smtp {
	const char *url;  /* smtp:// or smtps://; NULL or "": the mail dir */
	const char *from; /* an address, e.g. "Kolo <no-reply@kolo.ng>" */
	const char *user; /* NULL or "": no login */
	const char *password;
	int timeout_ms;
} evs_smtp;

typedef struct evs_sms {
	int off;	 /* no SMS at all (KOLO_SMS_OFF): nobody is sent one */
	const char *url; /* the Termii-shaped send endpoint; NULL or "": the mail dir */
	const char *api_key;
	const char *sender; /* the sender id ("from") */
	double rate_per_s;  /* the budget shared by every worker of every replica */
	int timeout_ms;
} evs_sms;

typedef struct evs_deps {
	rpc_channel *sources[EVS_SRC_COUNT]; /* one channel per service */
	int ingest_interval_ms;
	int deliver_interval_ms;
	int deliver_workers;	/* delivery threads per process */
	int max_attempts;	/* of one message before it is DEAD */
	int lease_s;		/* a claimed message not marked by then is claimed again */
	const char *mail_dir;	/* where the embedded default writes messages */
	const char *public_url; /* links in messages, e.g. "http://127.0.0.1:8080" */
	evs_smtp smtp;
	evs_sms sms;
	/* WatchEvents: how often the process's poller reads the heads of the
	 * watched groups (waking the streams whose group advanced), and how
	 * often an idle stream asks groups again whether its user is still a
	 * member (it also asks before each batch it sends);
	 * <= 0: EVS_WATCH_POLL_MS, EVS_WATCH_RECHECK_MS. */
	int watch_poll_ms;
	int watch_recheck_ms;
	/* WatchEvents streams one user (or one service caller) may have open
	 * at once in this process; <= 0: EVS_WATCH_PER_USER. */
	int watch_per_user;
	/* Called (any thread) after the ingest stored new events, to wake the
	 * streams of this process (main: evs_hub_kick, the poller reads the
	 * heads now); NULL: none. */
	void (*stored)(void);
} evs_deps;

/* Whether kolo-events may start with these ways out. In production (a
 * live payment provider: provider is not "demo", as the k8s prod overlay
 * sets KOLO_PROVIDER) the mail dir is no delivery, so it needs smtp_url,
 * and sms_url unless SMS is explicitly off: else ERR_FAILED_PRECONDITION
 * "mail_not_configured" or "sms_not_configured", whose message names the
 * setting. Any provider may use real servers; development may use the mail
 * dir, and so may tests that drive a live provider against a fake
 * (allow_mail_dir: KOLO_EVENTS_ALLOW_MAIL_DIR, never in production). */
KOLO_MUST_CHECK int evs_check_delivery(const char *provider, const char *smtp_url,
				       const char *sms_url, int sms_off, int allow_mail_dir);

/* The process's wiring (main.c, tests); evs_current() borrows it. */
void evs_configure(const evs_deps *deps);
const evs_deps *evs_current(void);

/* --- preferences ----------------------------------------------------------- */

/* Every name must be a catalogue type a member may choose (audience
 * EVT_TO_MEMBERS_OPT_IN): ERR_INVALID_ARGUMENT "unknown_event_type" for a
 * name not in the catalogue, "event_type_not_optional" for one nobody
 * chooses (e.g. an email code), "duplicate_event_type" for a name twice. */
KOLO_MUST_CHECK int evs_check_choices(char *const *names, size_t n);

/* The types a group's officers are always told of (EVT_TO_OFFICERS), into
 * out (room for every type); returns how many. Static strings. */
size_t evs_officer_types(const char **out, size_t cap);

/* --- fan-out --------------------------------------------------------------- */

enum {
	EVS_CH_EMAIL = 1u << 0,
	EVS_CH_SMS = 1u << 1,
};

/* What decides one person's messages about one event. */
typedef struct evs_recipient {
	int is_actor;	 /* they did it: never told of their own act */
	int is_officer;	 /* OWNER or TREASURER of the event's group */
	int is_member;	 /* in the event's group at fan-out time */
	int is_subject;	 /* the event's user_id */
	int is_previous; /* the event's data.previous_user_id */
	int chose_email; /* the type is in their email choices */
	int chose_sms;
	int email_verified; /* they have a verified email address */
	int has_phone;
} evs_recipient;

/* A group's member as fan-out needs it. */
typedef struct evs_member {
	const char *user_id;
	int is_officer;
} evs_member;

/* The people an event's audience is drawn from: ids[i] is who[i] (is_member,
 * is_officer, is_subject, is_previous and is_actor set; choices and
 * contacts not yet). */
typedef struct evs_people {
	char **ids;
	evs_recipient *who;
	size_t n;
} evs_people;

/* The candidates of an event, in this order: the group's members (as
 * listed), then the subject when not one of them (a member removed hears
 * of it), then previous when neither (one no longer in the group is still
 * told); each marked the subject, the previous member, the actor ("" names
 * nobody; ids compared exactly). *out in a (the ids point into the
 * inputs). Pure: no I/O. ERR_RESOURCE_EXHAUSTED on memory. */
KOLO_MUST_CHECK int evs_people_build(evs_people *out, mem_arena *a, const evs_member *members,
				     size_t n_members, const char *subject, const char *previous,
				     const char *actor);

/* 1 when r would be told of t on some channel if they could be reached on
 * every channel: only such people's contacts are looked up. */
int evs_wants(const evt_type *t, const evs_recipient *r);

/* The channels (EVS_CH_*) person r gets event type t on: officers of an
 * EVT_TO_OFFICERS type, the subject of an EVT_TO_SUBJECT type and the
 * previous member of an EVT_TO_PREVIOUS type on every channel they can
 * receive; members of the group on the channels they
 * chose for an EVT_TO_MEMBERS_OPT_IN type. Email only to a verified
 * address, SMS only with a phone. (The email code is not fanned out here:
 * it goes to the address in its data.) */
unsigned evs_channels(const evt_type *t, const evs_recipient *r);

/* Fan-out tries of one event that fail for a reason of its own before it
 * is set aside (fanout_failed), so the events behind it go on. */
#define EVS_FANOUT_MAX_FAILURES 10

/* 1 when a fan-out failure with err (an err_code) says a peer or the
 * database cannot be asked now (unavailable, deadline, aborted,
 * cancelled): every event would fail alike, so the pass stops and nothing
 * is counted against the event. 0: the event's own failure, counted. */
int evs_fanout_retry_later(int err);

/* --- streams (WatchEvents) ------------------------------------------------- */

/* Defaults of evs_deps.watch_poll_ms, watch_recheck_ms, watch_per_user. */
#define EVS_WATCH_POLL_MS    1000
#define EVS_WATCH_RECHECK_MS 30000
#define EVS_WATCH_PER_USER   4

/* 1 when partners (the gRPC stream, webhooks) may see an event of type: a
 * catalogue type marked partner_visible. Never a private type (an email
 * code, a KYC result) nor a type not in the catalogue (a newer service's,
 * whose privacy is unknown here). */
int evs_partner_sees(const char *type);

/* 1 when a member's stream must ask groups again whether its user is
 * still a member: before it sends anything (sending), or once recheck_ms
 * passed since the last answer (checked_ms; times in ms of one clock). */
int evs_watch_recheck_due(int sending, int64_t now_ms, int64_t checked_ms, int64_t recheck_ms);

/* How long an idle stream waits before it must ask groups again (checked_ms
 * the last answer, times in ms of one clock; 0 when it is due now). */
int64_t evs_watch_idle_ms(int64_t now_ms, int64_t checked_ms, int64_t recheck_ms);

/* 1 when one more stream may open for a user (or service caller) with
 * open of them open already, at most per_user (<= 0: EVS_WATCH_PER_USER). */
int evs_watch_may_open(int open, int per_user);

/* 1 when a poller that read head (the group's last event number) must
 * wake a stream that looked at every event up to after_seq. */
int evs_watch_has_news(int64_t head, int64_t after_seq);

/* --- delivery -------------------------------------------------------------- */

/* Seconds a message waits after its attempts-th failed attempt (1..):
 * 30 s doubling, at most an hour. */
int64_t evs_backoff_s(int attempts);

/* "₦1,234.56" (a "-" first when negative); out holds EVS_NAIRA_MAX. */
#define EVS_NAIRA_MAX 48
void evs_naira(char out[EVS_NAIRA_MAX], int64_t kobo);

#endif
