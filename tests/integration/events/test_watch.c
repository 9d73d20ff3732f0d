/* WatchEvents (DESIGN §16): a group's partner-visible events as a gRPC
 * server stream from kolo-events, read over real gRPC by the C client,
 * with every service in this process against a throwaway PostgreSQL. The
 * events work (ingest) runs on the test thread as the kolo_events role; it
 * wakes the streams as the process does (evs_deps.stored kicks the streams'
 * poller, which runs here as in the process, with its own connection
 * named POLLER_APP). The poller's period is a minute unless a test says
 * otherwise, so an event that arrives within a stream's deadline was sent
 * because the ingest woke it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events_service.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "svc/call.h"
#include "test_world.h"
#include "watch_hub.h"

/* Longer than any test waits for an event: the wake does the work. */
#define SLOW_POLL_MS	   60000
#define STREAM_DEADLINE_MS 30000
/* The poller's period where a test relies on it (nothing kicks it). */
#define FAST_POLL_MS 100
/* More than one page of the stream (EVS_WATCH_PAGE, 100). */
#define MANY 150

static test_world w;
static test_service events;
static char *events_conninfo;
/* The poller's connection, told apart by its application_name. */
#define POLLER_APP "kolo-events-poller"
static char *poller_conninfo;
static evs_deps deps;
static mem_arena *arena;
static ProtobufCAllocator alloc;

/* --- the events process -----------------------------------------------------
 */

static void
poller_thread_start(void)
{
	db_thread_set_conninfo(poller_conninfo);
}

static void
as_events(void)
{
	test_world_as(&w, events_conninfo, "events");
}

static void
as_payments(void)
{
	test_world_as_payments(&w);
}

/* Stores every outbox's events (and wakes the streams). */
static void
ingest(void)
{
	as_events();
	evs_ingest_pass();
	as_payments();
}

static void
configure(int poll_ms, int recheck_ms)
{
	deps = (evs_deps){.sources = {w.to_identity, w.to_groups, w.to_ledger,
				      w.withdrawals.channel, w.to_payments},
			  .ingest_interval_ms = 100,
			  .deliver_interval_ms = 100,
			  .deliver_workers = 1,
			  .max_attempts = 3,
			  .lease_s = 60,
			  .mail_dir = "/nonexistent",
			  .public_url = "http://127.0.0.1:8080",
			  .watch_poll_ms = poll_ms,
			  .watch_recheck_ms = recheck_ms,
			  .stored = evs_hub_kick};
	evs_configure(&deps);
}

static int
setup(void **state)
{
	if (test_world_start(&w) < 0)
		return -1;
	configure(SLOW_POLL_MS, SLOW_POLL_MS);
	arena = mem_arena_new(0);
	alloc = mem_arena_allocator(arena);
	events_conninfo = test_pg_conninfo(w.dbname, "kolo_events");
	if (!events_conninfo ||
	    asprintf(&poller_conninfo, "%s application_name=" POLLER_APP, events_conninfo) < 0)
		return -1;
	if (evs_hub_start(poller_thread_start) < 0)
		return -1;
	return test_service_start_db(&events, &evs_rpc_service, &w.identity.keys, events_conninfo);
}

static int
teardown(void **state)
{
	test_service_stop(&events);
	evs_hub_stop();
	test_world_stop(&w);
	free(events_conninfo);
	free(poller_conninfo);
	mem_arena_free(arena);
	return 0;
}

/* --- a team -----------------------------------------------------------------
 */

typedef test_team team;

static void
make_team(team *t, const char *tag)
{
	test_world_team(&w, t, tag, "Watch team", TEST_TEAM_NO_TREASURER);
}

static void
deposit(const team *t, int64_t kobo)
{
	assert_int_equal(test_world_deposit(&w, t->group, &t->owner, kobo), 0);
}

/* n deposit.credited events of the group stored directly, numbered after
 * its last (amount_kobo 1..n), as if the ingest had stored them. */
static void
seed_events(const team *t, int n)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "WITH s AS (INSERT INTO events_group_seq AS g (group_id, "
		 "last_seq)"
		 " VALUES ('%s', %d) ON CONFLICT (group_id) DO UPDATE SET "
		 "last_seq ="
		 " g.last_seq + %d RETURNING last_seq)"
		 " INSERT INTO events_event (id, source, type, group_id, "
		 "occurred_at, data,"
		 " group_seq, fanned_out) SELECT gen_random_uuid(), 'ledger', "
		 "'deposit.credited',"
		 " '%s', now(), jsonb_build_object('amount_kobo', i), "
		 "s.last_seq - %d + i, true"
		 " FROM s, generate_series(1, %d) AS i",
		 t->group, n, n, t->group, n, n);
	test_pg_ok(w.admin, sql);
}

/* The id of the group's event number seq (malloc'd). */
static char *
event_id_at(const team *t, long seq)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT id FROM events_event WHERE group_id = '%s' AND "
		 "group_seq = %ld",
		 t->group, seq);
	return test_pg_value(w.admin, sql);
}

/* --- the stream's client
 * ------------------------------------------------------ */

typedef struct watcher {
	const test_user *user; /* NULL: a service caller */
	const char *caller;    /* with user NULL: "gateway", "ledger", ... */
} watcher;

static rpc_client_stream *
watch_on(rpc_channel *ch, const char *group, const char *after, const watcher *who)
{
	Kolo__Events__V1__WatchEventsRequest req = KOLO__EVENTS__V1__WATCH_EVENTS_REQUEST__INIT;
	rpc_metadata md[2];
	rpc_call_opts opts = {.timeout_ms = STREAM_DEADLINE_MS, .metadata = md};
	rpc_client_stream *st = NULL;

	if (who && who->user)
		md[opts.n_metadata++] =
			(rpc_metadata){"authorization", mem_arena_printf(arena, "Bearer %s",
									 who->user->access_token)};
	else if (who) {
		md[opts.n_metadata++] = (rpc_metadata){RPC_CALLER_KEY, who->caller};
		md[opts.n_metadata++] =
			(rpc_metadata){RPC_INTERNAL_TOKEN_KEY, test_caller_token(who->caller)};
	}
	req.group_id = (char *)group;
	req.after = (char *)after;
	assert_int_equal(rpc_stream_open(&st, ch, "WatchEvents", &req.base, &opts), 0);
	return st;
}

static rpc_client_stream *
watch(const char *group, const char *after, const test_user *as)
{
	watcher who = {.user = as};

	return watch_on(events.channel, group, after, as ? &who : NULL);
}

/* The next event (in the arena), or NULL with *rc the stream's end. */
static Kolo__Events__V1__Event *
next_event(rpc_client_stream *st, int *rc)
{
	ProtobufCMessage *msg = NULL;

	*rc = rpc_stream_next(st, &msg, &alloc);
	return *rc == 0 ? ((Kolo__Events__V1__WatchEventsResponse *)msg)->event : NULL;
}

static Kolo__Events__V1__Event *
must_next(rpc_client_stream *st)
{
	int rc = 0;
	Kolo__Events__V1__Event *e = next_event(st, &rc);

	if (!e)
		fail_msg("stream ended: %d %s", rc, err_last()->reason);
	return e;
}

/* The stream ends before any event with code and reason. */
static void
refused(rpc_client_stream *st, int code, const char *reason)
{
	int rc = 0;

	assert_null(next_event(st, &rc));
	assert_int_equal(rc, code);
	assert_string_equal(err_last()->reason, reason);
	rpc_client_stream_close(st);
}

/* Reads the group's events from seq first to last (every one partner
 * visible here) and checks each against the stored row. */
static void
expect_seqs(rpc_client_stream *st, const team *t, long first, long last)
{
	for (long seq = first; seq <= last; seq++) {
		Kolo__Events__V1__Event *e = must_next(st);
		char *id = event_id_at(t, seq);

		assert_int_equal(e->seq, seq);
		assert_string_equal(e->id, id);
		assert_string_equal(e->group_id, t->group);
		free(id);
	}
}

/* --- tests
 * -------------------------------------------------------------------- */

static void
test_a_reader_gets_the_stored_events_in_order(void **state)
{
	team t;
	rpc_client_stream *st;
	Kolo__Events__V1__Event *e;
	long stored;

	make_team(&t, "order");
	deposit(&t, 150000);
	deposit(&t, 275000);
	ingest();
	stored = test_pg_longf(w.admin, "SELECT count(*) FROM events_event WHERE group_id = '%s'",
			       t.group);
	assert_int_equal(stored, 3); /* member.added, two deposits */
	st = watch(t.group, "", &t.member);
	e = must_next(st);
	assert_int_equal(e->seq, 1);
	assert_string_equal(e->type, "member.added");
	assert_string_equal(e->user_id, t.member.id);
	assert_string_equal(e->actor_id, t.owner.id);
	assert_non_null(strstr(e->data_json, "\"role\""));
	e = must_next(st);
	assert_int_equal(e->seq, 2);
	assert_string_equal(e->type, "deposit.credited");
	assert_non_null(strstr(e->data_json, "150000"));
	assert_true(strlen(e->occurred_at) >= 20 &&
		    e->occurred_at[strlen(e->occurred_at) - 1] == 'Z');
	e = must_next(st);
	assert_int_equal(e->seq, 3);
	assert_non_null(strstr(e->data_json, "275000"));
	rpc_client_stream_close(st);
	/* From the middle: after the first, the rest. */
	{
		char *first = event_id_at(&t, 1);

		st = watch(t.group, first, &t.owner);
		expect_seqs(st, &t, 2, 3);
		rpc_client_stream_close(st);
		free(first);
	}
}

static void
test_new_events_arrive_as_the_ingest_stores_them(void **state)
{
	team t;
	rpc_client_stream *st;
	Kolo__Events__V1__Event *e;

	make_team(&t, "live");
	ingest();
	st = watch(t.group, "", &t.member);
	expect_seqs(st, &t, 1, 1);
	/* The stream now waits (a minute between polls); the ingest wakes it.
	 */
	deposit(&t, 990000);
	ingest();
	e = must_next(st);
	assert_int_equal(e->seq, 2);
	assert_string_equal(e->type, "deposit.credited");
	assert_non_null(strstr(e->data_json, "990000"));
	deposit(&t, 120000);
	ingest();
	e = must_next(st);
	assert_int_equal(e->seq, 3);
	assert_non_null(strstr(e->data_json, "120000"));
	rpc_client_stream_close(st);
}

static void
test_a_resumed_reader_gets_exactly_the_rest(void **state)
{
	team t;
	rpc_client_stream *st;
	Kolo__Events__V1__Event *e;
	char *last;
	long total;

	make_team(&t, "resume");
	ingest();
	seed_events(&t, MANY); /* 2 .. MANY + 1: more than a page */
	total = MANY + 1;
	st = watch(t.group, "", &t.member);
	expect_seqs(st, &t, 1, 120);
	rpc_client_stream_close(st); /* cut */
	/* Stored while nobody watched. */
	deposit(&t, 313000);
	ingest();
	total++;
	last = event_id_at(&t, 120);
	st = watch(t.group, last, &t.member);
	free(last);
	expect_seqs(st, &t, 121, total);
	/* Nothing more, nothing twice: the next is the next new event. */
	deposit(&t, 414000);
	ingest();
	e = must_next(st);
	assert_int_equal(e->seq, total + 1);
	assert_non_null(strstr(e->data_json, "414000"));
	rpc_client_stream_close(st);
}

static void
test_only_members_and_the_allowed_service_watch(void **state)
{
	team t;
	test_user outsider;
	watcher gateway = {.caller = "gateway"}, ledger = {.caller = "ledger"};
	rpc_client_stream *st;

	make_team(&t, "who");
	test_identity_user(&w.identity, &outsider, "who-outsider");
	ingest();
	refused(watch(t.group, "", &outsider), ERR_PERMISSION_DENIED, "not_a_member");
	/* A group that does not exist looks the same to a user. */
	refused(watch("6f1d7a52-3b7e-4c55-9a0e-000000000099", "", &outsider), ERR_PERMISSION_DENIED,
		"not_a_member");
	refused(watch(t.group, "", NULL), ERR_UNAUTHENTICATED, "missing_token");
	refused(watch_on(events.channel, t.group, "", &ledger), ERR_PERMISSION_DENIED,
		"caller_not_allowed");
	refused(watch_on(events.channel, "6f1d7a52-3b7e-4c55-9a0e-000000000099", "", &gateway),
		ERR_NOT_FOUND, "group_not_found");
	st = watch_on(events.channel, t.group, "", &gateway);
	expect_seqs(st, &t, 1, 1);
	rpc_client_stream_close(st);
}

static void
test_bad_requests_are_refused(void **state)
{
	team t, other;
	char *theirs;

	make_team(&t, "bad");
	make_team(&other, "bad-other");
	ingest();
	theirs = event_id_at(&other, 1);
	refused(watch(t.group, "1c9e8f0a-2222-4bbb-8ccc-000000000001", &t.member), ERR_NOT_FOUND,
		"event_not_found");
	refused(watch(t.group, theirs, &t.member), ERR_NOT_FOUND, "event_not_found");
	refused(watch(t.group, "last-one", &t.member), ERR_INVALID_ARGUMENT, "invalid_id");
	assert_string_equal(err_meta_get(err_last(), "field"), "after");
	refused(watch("not-a-group", "", &t.member), ERR_INVALID_ARGUMENT, "invalid_id");
	assert_string_equal(err_meta_get(err_last(), "field"), "group_id");
	free(theirs);
}

static void
test_private_and_unknown_types_are_never_streamed(void **state)
{
	team t;
	rpc_client_stream *st;
	Kolo__Events__V1__Event *e;
	char sql[1024];

	make_team(&t, "private");
	ingest();
	/* Identity's private events, here even with the group's id, and a
	 * type no catalogue knows, then a deposit. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO identity_outbox (type, group_id, user_id, data) "
		 "VALUES"
		 " ('user.email_code', '%s', '%s', '{\"email\": "
		 "\"m@example.com\", \"code\":"
		 " \"424242\"}'), ('kyc.result', '%s', '%s', '{\"status\": "
		 "\"VERIFIED\"}'),"
		 " ('future.thing', '%s', '%s', '{}')",
		 t.group, t.member.id, t.group, t.member.id, t.group, t.member.id);
	test_pg_ok(w.admin, sql);
	ingest();
	deposit(&t, 555000);
	ingest();
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_event WHERE "
				       "group_id = '%s'",
				       t.group),
			 5);
	st = watch(t.group, "", &t.member);
	e = must_next(st);
	assert_int_equal(e->seq, 1);
	assert_string_equal(e->type, "member.added");
	/* Numbers 2..4 are not for partners: the next is the deposit, 5. */
	e = must_next(st);
	assert_int_equal(e->seq, 5);
	assert_string_equal(e->type, "deposit.credited");
	rpc_client_stream_close(st);
	/* Resuming from a private event's id still skips the private ones. */
	{
		char *id = event_id_at(&t, 2);

		st = watch(t.group, id, &t.member);
		free(id);
		e = must_next(st);
		assert_int_equal(e->seq, 5);
		rpc_client_stream_close(st);
	}
}

static void
remove_member(const team *t)
{
	Kolo__Groups__V1__RemoveMemberRequest req = KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *resp = NULL;

	req.group_id = (char *)t->group;
	req.user_id = (char *)t->member.id;
	assert_int_equal(test_world_call(&w, &w.groups, "RemoveMember", &req, &resp, &t->owner), 0);
}

static void
test_a_removed_member_is_cut_off_before_the_next_batch(void **state)
{
	team t;
	rpc_client_stream *st;
	int rc = 0;

	make_team(&t, "removed");
	ingest();
	st = watch(t.group, "", &t.member);
	expect_seqs(st, &t, 1, 1);
	remove_member(&t);
	ingest(); /* member.removed: groups is asked again before it is sent */
	assert_null(next_event(st, &rc));
	assert_int_equal(rc, ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_member");
	rpc_client_stream_close(st);
}

static void
test_a_removed_member_is_cut_off_while_nothing_happens(void **state)
{
	team t;
	rpc_client_stream *st;
	int rc = 0;

	/* Polls and re-checks often; nothing is stored after the removal. */
	configure(50, 100);
	make_team(&t, "quiet");
	ingest();
	st = watch(t.group, "", &t.member);
	expect_seqs(st, &t, 1, 1);
	remove_member(&t);
	assert_null(next_event(st, &rc));
	assert_int_equal(rc, ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_member");
	rpc_client_stream_close(st);
	configure(SLOW_POLL_MS, SLOW_POLL_MS);
}

static void
test_a_stopping_server_ends_the_stream(void **state)
{
	test_service extra = {0};
	watcher who;
	rpc_client_stream *st;
	team t;
	int rc = 0;

	make_team(&t, "stop");
	ingest();
	assert_int_equal(
		test_service_start_db(&extra, &evs_rpc_service, &w.identity.keys, events_conninfo),
		0);
	who = (watcher){.user = &t.member};
	st = watch_on(extra.channel, t.group, "", &who);
	expect_seqs(st, &t, 1, 1);
	rpc_server_stop(extra.server);
	extra.server = NULL;
	assert_null(next_event(st, &rc));
	assert_int_equal(rc, ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "shutting_down");
	rpc_client_stream_close(st);
	test_service_stop(&extra);
}

/* --- what one member can take, what an idle stream holds -------------------
 */

/* Opens as's stream of the group and reads its first event, trying again
 * (at most 10 s) while the server still counts a stream of as that the
 * client just closed (the server learns of it a moment later). */
static rpc_client_stream *
watch_when_a_stream_ended(const team *t, const test_user *as)
{
	for (int i = 0; i < 200; i++) {
		rpc_client_stream *st = watch(t->group, "", as);
		int rc = 0;
		Kolo__Events__V1__Event *e = next_event(st, &rc);

		if (e) {
			assert_int_equal(e->seq, 1);
			return st;
		}
		assert_int_equal(rc, ERR_RESOURCE_EXHAUSTED);
		assert_string_equal(err_last()->reason, "too_many_streams");
		rpc_client_stream_close(st);
		usleep(50 * 1000);
	}
	fail_msg("the closed stream was never counted out");
	return NULL;
}

static void
test_one_user_cannot_take_every_stream(void **state)
{
	watcher gateway = {.caller = "gateway"};
	rpc_client_stream *mine[EVS_WATCH_PER_USER], *theirs, *service[EVS_WATCH_PER_USER];
	team t;

	make_team(&t, "cap");
	ingest();
	for (int i = 0; i < EVS_WATCH_PER_USER; i++) {
		mine[i] = watch(t.group, "", &t.member);
		expect_seqs(mine[i], &t, 1, 1);
	}
	/* Refused before any other work: an after that is no event of the
	 * group is not even looked up. */
	refused(watch(t.group, "", &t.member), ERR_RESOURCE_EXHAUSTED, "too_many_streams");
	refused(watch(t.group, "1c9e8f0a-2222-4bbb-8ccc-000000000001", &t.member),
		ERR_RESOURCE_EXHAUSTED, "too_many_streams");
	/* Another user of the same group still can. */
	theirs = watch(t.group, "", &t.owner);
	expect_seqs(theirs, &t, 1, 1);
	/* A service caller counts under its name, with the same cap. */
	for (int i = 0; i < EVS_WATCH_PER_USER; i++) {
		service[i] = watch_on(events.channel, t.group, "", &gateway);
		expect_seqs(service[i], &t, 1, 1);
	}
	refused(watch_on(events.channel, t.group, "", &gateway), ERR_RESOURCE_EXHAUSTED,
		"too_many_streams");
	/* One of the member's streams ends: the member may open one again. */
	rpc_client_stream_close(mine[0]);
	mine[0] = watch_when_a_stream_ended(&t, &t.member);
	refused(watch(t.group, "", &t.member), ERR_RESOURCE_EXHAUSTED, "too_many_streams");
	for (int i = 0; i < EVS_WATCH_PER_USER; i++) {
		rpc_client_stream_close(mine[i]);
		rpc_client_stream_close(service[i]);
	}
	rpc_client_stream_close(theirs);
}

/* Connections of kolo_events to this test's database: the poller's
 * (poller 1), or every other (the streams', the workers'). */
static long
events_connections(int poller)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM pg_stat_activity"
			     " WHERE usename = 'kolo_events' AND datname = '%s'"
			     " AND application_name %s '" POLLER_APP "'",
			     w.dbname, poller ? "=" : "<>");
}

/* The count once it is at most most (a closed connection's backend ends a
 * moment later), or the count after 10 s. */
static long
connections_at_most(int poller, long most)
{
	long n = events_connections(poller);

	for (int i = 0; n > most && i < 200; i++) {
		usleep(50 * 1000);
		n = events_connections(poller);
	}
	return n;
}

/* The count once it is at least least, or the count after 10 s. */
static long
connections_at_least(int poller, long least)
{
	long n = events_connections(poller);

	for (int i = 0; n < least && i < 200; i++) {
		usleep(50 * 1000);
		n = events_connections(poller);
	}
	return n;
}

#define IDLE_STREAMS 6

static void
test_idle_streams_hold_no_connection_and_the_poller_wakes_them(void **state)
{
	team a, b;
	const team *of[IDLE_STREAMS] = {&a, &a, &a, &b, &b, &b};
	const test_user *as[IDLE_STREAMS] = {&a.member, &a.member, &a.owner,
					     &b.member, &b.owner,  &b.owner};
	rpc_client_stream *st[IDLE_STREAMS];
	long before;

	configure(FAST_POLL_MS, SLOW_POLL_MS);
	evs_hub_kick(); /* out of its minute's wait, into the short one */
	make_team(&a, "idle-a");
	make_team(&b, "idle-b");
	ingest();
	before = connections_at_most(0, 0);
	for (int i = 0; i < IDLE_STREAMS; i++) {
		st[i] = watch(of[i]->group, "", as[i]);
		expect_seqs(st[i], of[i], 1, 1);
	}
	/* Every stream read and now waits: none holds a connection; the
	 * process has one for the poller, whatever the number of streams. */
	assert_int_equal(connections_at_most(0, before), before);
	assert_int_equal(connections_at_least(1, 1), 1);
	/* Stored by another path than this process's ingest (no kick): the
	 * poller sees the groups' heads move and wakes their streams. */
	seed_events(&a, 2);
	seed_events(&b, 1);
	for (int i = 0; i < IDLE_STREAMS; i++)
		expect_seqs(st[i], of[i], 2, of[i] == &a ? 3 : 2);
	assert_int_equal(connections_at_most(0, before), before);
	assert_int_equal(events_connections(1), 1);
	for (int i = 0; i < IDLE_STREAMS; i++)
		rpc_client_stream_close(st[i]);
	configure(SLOW_POLL_MS, SLOW_POLL_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_reader_gets_the_stored_events_in_order),
		cmocka_unit_test(test_new_events_arrive_as_the_ingest_stores_them),
		cmocka_unit_test(test_a_resumed_reader_gets_exactly_the_rest),
		cmocka_unit_test(test_only_members_and_the_allowed_service_watch),
		cmocka_unit_test(test_bad_requests_are_refused),
		cmocka_unit_test(test_private_and_unknown_types_are_never_streamed),
		cmocka_unit_test(test_a_removed_member_is_cut_off_before_the_next_batch),
		cmocka_unit_test(test_a_removed_member_is_cut_off_while_nothing_happens),
		cmocka_unit_test(test_a_stopping_server_ends_the_stream),
		cmocka_unit_test(test_one_user_cannot_take_every_stream),
		cmocka_unit_test(test_idle_streams_hold_no_connection_and_the_poller_wakes_them),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
