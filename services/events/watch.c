/* WatchEvents: a group's partner-visible events as a server stream. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evs.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "store.h"
#include "svc/call.h"
#include "text/text.h"
#include "watch_hub.h"

/* Events read from the database at once: a stream's memory is one page. */
#define EVS_WATCH_PAGE 100

/* One stream's state between pages. */
typedef struct evs_watch {
	rpc_ctx *ctx;
	rpc_stream *stream;
	const char *group_id;
	const char *user_id; /* NULL: a service caller, never asked again */
	int64_t after_seq;   /* the last event looked at (sent or not visible) */
	int64_t checked_ms;  /* when groups last said the user is a member */
	evs_hub_entry hub;   /* counted in (the cap) and woken by the poller */
} evs_watch;

static int64_t
evs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
evs_watch_recheck_ms(void)
{
	int ms = evs_current()->watch_recheck_ms;

	return ms > 0 ? ms : EVS_WATCH_RECHECK_MS;
}

static int
evs_watch_check_request(const Kolo__Events__V1__WatchEventsRequest *in)
{
	if (!text_is_uuid(in->group_id))
		return err_invalid_id("group_id");
	if (in->after[0] && !text_is_uuid(in->after))
		return err_invalid_id("after");
	return 0;
}

/* Asks groups whether the stream's user is (still) a member; for a
 * service caller, whether the group exists. Its reply goes into a scratch
 * arena: a stream's own arena is never reset. */
static int
evs_watch_membership(evs_watch *w)
{
	Kolo__Groups__V1__GetMembershipRequest req = KOLO__GROUPS__V1__GET_MEMBERSHIP_REQUEST__INIT;
	Kolo__Groups__V1__GetMembershipResponse *resp = NULL;
	mem_arena *a = mem_arena_new(0);
	int64_t left = rpc_ctx_remaining_ms(w->ctx);
	int rc;

	req.group_id = (char *)w->group_id;
	req.user_id = (char *)(w->user_id ? w->user_id : "");
	rc = svc_call_background(evs_current()->sources[EVS_SRC_GROUPS], "GetMembership", &req.base,
				 (ProtobufCMessage **)&resp, a,
				 left < SVC_CALL_TIMEOUT_MS ? (left > 0 ? left : 1)
							    : SVC_CALL_TIMEOUT_MS,
				 SVC_CALL_INTERNAL);
	/* A user who is not a member cannot tell a group that does not exist
	 * from one they are not in. */
	if (w->user_id && (rc == ERR_NOT_FOUND || (rc == 0 && !resp->is_member)))
		rc = err_set(ERR_PERMISSION_DENIED, "not_a_member",
			     "only a member of the group may watch its events");
	if (rc == 0)
		w->checked_ms = evs_now_ms();
	mem_arena_free(a);
	return rc;
}

/* The stream starts after the event named after ("": before the first).
 * Like every read of a stream, it lets its connection go at once. */
static int
evs_watch_start_at(evs_watch *w, const char *after)
{
	db_conn *c = NULL;
	int rc;

	w->after_seq = 0;
	if (!after[0])
		return 0;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = evs_store_group_seq_of(&w->after_seq, c, w->group_id, after);
	db_thread_close();
	if (rc == 0 && w->after_seq == 0)
		rc = err_set(ERR_NOT_FOUND, "event_not_found", "after is no event of the group");
	if (rc == 0)
		evs_hub_seen(&w->hub, w->after_seq);
	return rc;
}

static int
evs_watch_send(evs_watch *w, const evs_event *e)
{
	Kolo__Events__V1__Event ev = KOLO__EVENTS__V1__EVENT__INIT;
	Kolo__Events__V1__WatchEventsResponse out = KOLO__EVENTS__V1__WATCH_EVENTS_RESPONSE__INIT;

	ev.id = (char *)e->id;
	ev.seq = e->group_seq;
	ev.type = (char *)e->type;
	ev.group_id = (char *)e->group_id;
	ev.occurred_at = (char *)e->occurred_at;
	ev.data_json = (char *)e->data_json;
	ev.actor_id = (char *)e->actor_id;
	ev.user_id = (char *)e->user_id;
	out.event = &ev;
	return rpc_stream_send(w->stream, &out.base);
}

/* Sends the visible events of one page (after a membership check when
 * there is any) and moves past every event of it. */
static int
evs_watch_send_page(evs_watch *w, const evs_event *events, int n)
{
	int rc = 0, visible = 0;

	for (int i = 0; i < n; i++)
		visible |= evs_partner_sees(events[i].type);
	if (w->user_id &&
	    evs_watch_recheck_due(visible, evs_now_ms(), w->checked_ms, evs_watch_recheck_ms()))
		rc = evs_watch_membership(w);
	for (int i = 0; rc == 0 && i < n; i++) {
		if (evs_partner_sees(events[i].type))
			rc = evs_watch_send(w, &events[i]);
		if (rc == 0)
			w->after_seq = events[i].group_seq;
	}
	return rc;
}

/* One page read and sent (*n events looked at). The connection goes
 * before anything that can block (groups' answer, a client that does not
 * read): a stream holds one only while a statement runs. */
static int
evs_watch_page(evs_watch *w, int *n)
{
	mem_arena *a = mem_arena_new(0);
	evs_event *events = NULL;
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	*n = 0;
	if (rc == 0)
		rc = evs_store_group_events(&events, n, a, c, w->group_id, w->after_seq,
					    EVS_WATCH_PAGE);
	db_thread_close();
	if (rc == 0)
		rc = evs_watch_send_page(w, events, *n);
	if (rc == 0)
		evs_hub_seen(&w->hub, w->after_seq);
	mem_arena_free(a);
	return rc;
}

/* Every event stored so far, page by page (a full page is followed by the
 * next at once). */
static int
evs_watch_catch_up(evs_watch *w)
{
	int n = 0, rc;

	do
		rc = evs_watch_page(w, &n);
	while (rc == 0 && n == EVS_WATCH_PAGE);
	return rc;
}

/* How long an idle stream sleeps: until its user's next re-check (a
 * service caller's stream is never asked again: a whole period). */
static int64_t
evs_watch_wait_ms(const evs_watch *w, int64_t recheck)
{
	if (!w->user_id)
		return recheck;
	return evs_watch_idle_ms(evs_now_ms(), w->checked_ms, recheck);
}

/* Waits, holding no connection, until the poller finds the group past what
 * the stream saw (the ingest kicks it); meanwhile asks groups again every
 * re-check period whether the user is still a member. */
static int
evs_watch_idle(evs_watch *w)
{
	int64_t recheck = evs_watch_recheck_ms();
	int rc = 0;

	while (rc == 0 && !evs_hub_take_news(&w->hub)) {
		rc = rpc_stream_wait(w->stream, evs_watch_wait_ms(w, recheck));
		if (rc == 0 && w->user_id &&
		    evs_watch_recheck_due(0, evs_now_ms(), w->checked_ms, recheck))
			rc = evs_watch_membership(w);
	}
	return rc;
}

/* Counts the stream in for its user (a service caller: its name) before
 * any other work: past the cap it is refused at once. */
static int
evs_watch_join(evs_watch *w)
{
	char key[EVS_HUB_KEY_MAX];
	const char *caller = rpc_ctx_caller(w->ctx);

	if (w->user_id)
		snprintf(key, sizeof(key), "%s", w->user_id);
	else
		snprintf(key, sizeof(key), "caller:%s", caller ? caller : "");
	return evs_hub_join(&w->hub, w->stream, key, w->group_id, 0);
}

int
evs_watch_events(rpc_ctx *ctx, const Kolo__Events__V1__WatchEventsRequest *in, rpc_stream *stream)
{
	evs_watch w = {.ctx = ctx,
		       .stream = stream,
		       .group_id = in->group_id,
		       .user_id = rpc_ctx_user_id(ctx)};
	int rc = evs_watch_check_request(in);

	if (rc == 0)
		rc = evs_watch_join(&w);
	if (rc < 0)
		return rc;
	rc = evs_watch_membership(&w);
	if (rc == 0)
		rc = evs_watch_start_at(&w, in->after);
	while (rc == 0) {
		rc = evs_watch_catch_up(&w);
		if (rc == 0)
			rc = evs_watch_idle(&w);
	}
	evs_hub_leave(&w.hub);
	return rc;
}
