/* Events end to end (DESIGN §16), the whole suite with kolo-events'
 * embedded default: each message is a file in KOLO_MAIL_DIR
 * (<unix_ms>-<event id>-<n>.eml with a To: header; .sms with "To: +234..."
 * on its first line). A withdrawal request reaches the other officer by
 * email and SMS; a deposit reaches the member who asked for it and not the
 * one who did not; a partner's WatchEvents stream (gRPC, a member's token)
 * resumes after a cut from the last id. Every wait is bounded: the test
 * waits up to E2E_WAIT_S for a file, row or event and fails without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "kolo/events/v1/events.pb-c.h"
#include "rpc/rpc.h"
#include "test_pg.h"

#define E2E_WAIT_S 30
#define PIN	   "135790"
/* Three phones as users type them, and as stored (E.164). */
#define TREASURER_PHONE "0803 123 4567"
#define TREASURER_E164	"+2348031234567"
#define MEMBER_PHONE	"+234 805 987 6543"
#define MEMBER_E164	"+2348059876543"
#define KEEN_PHONE	"08135550101"
#define KEEN_E164	"+2348135550101"

static rpc_channel *events;

static int
setup(void **state)
{
	if (!getenv("KOLO_MAIL_DIR") || !getenv("KOLO_EVENTS_ADDR")) {
		fprintf(stderr, "KOLO_MAIL_DIR/KOLO_EVENTS_ADDR are not set: run through"
				" run_e2e.sh\n");
		return -1;
	}
	if (e2e_setup_db(state) < 0)
		return -1;
	rpc_init();
	return rpc_channel_open(&events, getenv("KOLO_EVENTS_ADDR"),
				&kolo__events__v1__events_service__descriptor, NULL);
}

static int
teardown(void **state)
{
	rpc_channel_close(events);
	rpc_client_thread_done();
	rpc_shutdown();
	return e2e_teardown(state);
}

/* --- the suite over HTTP
 * ---------------------------------------------------------- */

static void
add_member(const char *gid, const e2e_user *owner, const e2e_user *who, const char *role)
{
	char path[128], body[256];
	e2e_opts o = {.token = owner->access, .body = body};

	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", who->email, role);
	e2e_expect(NULL, "POST", path, &o, 201, "");
}

static void
set_pin(const e2e_user *u)
{
	e2e_opts o = {.token = u->access, .body = "{\"pin\":\"" PIN "\"}"};

	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
}

static void
set_phone(const e2e_user *u, const char *typed, const char *e164)
{
	char body[96];
	e2e_opts o = {.token = u->access, .body = body};
	e2e_reply r;

	long long since = e2e_now_ms();

	snprintf(body, sizeof(body), "{\"phone\":\"%s\"}", typed);
	e2e_expect(&r, "PUT", "/v1/me/phone", &o, 200, "");
	assert_string_equal(e2e_str(&r, "phone"), e164);
	e2e_reply_free(&r);
	/* Only a proved number gets SMS: the code sent to it. */
	e2e_verify_phone(u, e164, since);
}

static void
deposit(const char *gid, const e2e_user *owner, int64_t kobo)
{
	char path[128], body[64];
	e2e_opts o = {.token = owner->access, .body = body};

	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	snprintf(body, sizeof(body), "{\"amount_kobo\":%lld}", (long long)kobo);
	e2e_expect(NULL, "POST", path, &o, 201, "");
}

/* --- waiting for what kolo-events did
 * ---------------------------------------------- */

static void
sleep_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* The id of the group's newest event of type, once kolo-events stored it
 * (written to id, 64). */
static void
wait_event(char *id, const char *gid, const char *type)
{
	char sql[256], *v = NULL;

	snprintf(sql, sizeof(sql),
		 "SELECT id FROM events_event WHERE group_id = '%s' AND type = "
		 "'%s'"
		 " ORDER BY group_seq DESC LIMIT 1",
		 gid, type);
	for (int i = 0; i < E2E_WAIT_S * 10; i++) {
		free(v);
		v = test_pg_value(e2e_db(), sql);
		if (v[0])
			break;
		sleep_ms(100);
	}
	if (!v[0])
		fail_msg("no %s event of group %s after %d s", type, gid, E2E_WAIT_S);
	snprintf(id, 64, "%s", v);
	free(v);
}

/* The whole file at path (malloc'd), or NULL. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *out = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0) {
		rewind(f);
		out = calloc(1, (size_t)len + 1);
		if (out && fread(out, 1, (size_t)len, f) != (size_t)len) {
			free(out);
			out = NULL;
		}
	}
	fclose(f);
	return out;
}

/* 1 when the message's headers (up to the first blank line) have a To:
 * line naming to. */
static int
addressed_to(const char *msg, const char *to)
{
	const char *line = msg;

	while (*line && *line != '\r' && *line != '\n') {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (strncasecmp(line, "To:", 3) == 0 && memmem(line, len, to, strlen(to)))
			return 1;
		if (!end)
			break;
		line = end + 1;
	}
	return 0;
}

/* The mail dir file of event_id with extension ext (".eml", ".sms")
 * addressed to `to`, read whole (malloc'd); NULL when there is none yet. */
static char *
mail_file(const char *event_id, const char *ext, const char *to)
{
	const char *dir = getenv("KOLO_MAIL_DIR");
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && !found && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[1024];
		char *msg;

		/* Files are written under ".tmp-..." and renamed whole. */
		if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 4, ext) != 0 ||
		    !strstr(e->d_name, event_id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		msg = read_file(path);
		if (msg && addressed_to(msg, to))
			found = msg;
		else
			free(msg);
	}
	if (d)
		closedir(d);
	return found;
}

static char *
wait_mail_file(const char *event_id, const char *ext, const char *to)
{
	char *msg = NULL;

	for (int i = 0; i < E2E_WAIT_S * 10 && !msg; i++) {
		msg = mail_file(event_id, ext, to);
		if (!msg)
			sleep_ms(100);
	}
	if (!msg)
		fail_msg("no %s of event %s to %s in %s after %d s", ext, event_id, to,
			 getenv("KOLO_MAIL_DIR"), E2E_WAIT_S);
	return msg;
}

/* Messages of event_id (rows kolo-events made when it fanned the event
 * out, all in one transaction) to user, or to anyone but user when
 * others. */
static long
deliveries(const char *event_id, const e2e_user *user, int others)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM events_delivery WHERE event_id = '%s' "
		 "AND user_id %s '%s'",
		 event_id, others ? "<>" : "=", user->id);
	return test_pg_long(e2e_db(), sql);
}

/* --- tests
 * ----------------------------------------------------------------------- */

static void
test_a_withdrawal_request_reaches_the_other_officer_by_email_and_sms(void **state)
{
	e2e_user owner, treasurer, member;
	char gid[64], path[128], body[512], event_id[64], *mail, *sms;
	e2e_opts o = {0};

	e2e_register(&owner, "ev-owner");
	e2e_register(&treasurer, "ev-treasurer");
	e2e_register(&member, "ev-member");
	e2e_group(gid, &owner, "Ev Alumni");
	add_member(gid, &owner, &treasurer, "TREASURER");
	add_member(gid, &owner, &member, "MEMBER");
	set_pin(&owner);
	set_pin(&treasurer);
	set_phone(&treasurer, TREASURER_PHONE, TREASURER_E164);
	set_phone(&member, MEMBER_PHONE, MEMBER_E164); /* no choice: told of nothing here */
	deposit(gid, &owner, 500000);

	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", gid);
	snprintf(body, sizeof(body),
		 "{\"amount_kobo\":120000,\"reason\":\"Reunion "
		 "venue\",\"pin\":\"" PIN "\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":"
		 "\"0123456789\","
		 "\"account_name\":\"Tunde Bakare\"}}");
	o.token = owner.access;
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 201, "");

	wait_event(event_id, gid, "withdrawal.requested");
	/* The other officer: an email to their verified address ... */
	mail = wait_mail_file(event_id, ".eml", treasurer.email);
	assert_non_null(strstr(mail, "\xE2\x82\xA6"
				     "1,200.00")); /* ₦1,200.00 */
	assert_non_null(strstr(mail, "approve"));
	free(mail);
	/* ... and an SMS to their phone. */
	sms = wait_mail_file(event_id, ".sms", TREASURER_E164);
	assert_memory_equal(sms, "To: " TREASURER_E164 "\n\n",
			    strlen("To: " TREASURER_E164 "\n\n"));
	assert_non_null(strstr(sms, "\xE2\x82\xA6"
				    "1,200.00"));
	free(sms);
	/* Nobody else: not the requester, not a member who did not ask. */
	assert_int_equal(deliveries(event_id, &treasurer, 0), 2);
	assert_int_equal(deliveries(event_id, &treasurer, 1), 0);
	assert_null(mail_file(event_id, ".eml", owner.email));
	assert_null(mail_file(event_id, ".eml", member.email));
	assert_null(mail_file(event_id, ".sms", MEMBER_E164));
}

static void
test_a_deposit_reaches_the_member_who_asked_and_not_the_other(void **state)
{
	e2e_user owner, keen, quiet;
	char gid[64], event_id[64], *mail, *sms;
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&owner, "dep-owner");
	e2e_register(&keen, "dep-keen");
	e2e_register(&quiet, "dep-quiet");
	e2e_group(gid, &owner, "Ev Cooperative");
	add_member(gid, &owner, &keen, "MEMBER");
	add_member(gid, &owner, &quiet, "MEMBER");
	set_phone(&keen, KEEN_PHONE, KEEN_E164);
	o.token = keen.access;
	o.body = "{\"email\":[\"deposit.credited\"],\"sms\":[\"deposit."
		 "credited\"]}";
	e2e_expect(&r, "PUT", "/v1/me/notifications", &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "email")), 1);
	e2e_reply_free(&r);
	o.body = NULL;
	e2e_expect(&r, "GET", "/v1/me/notifications", &o, 200, "");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "sms"), 0)),
			    "deposit.credited");
	e2e_reply_free(&r);

	deposit(gid, &owner, 250000);
	wait_event(event_id, gid, "deposit.credited");
	mail = wait_mail_file(event_id, ".eml", keen.email);
	assert_non_null(strstr(mail, "\xE2\x82\xA6"
				     "2,500.00"));
	free(mail);
	sms = wait_mail_file(event_id, ".sms", KEEN_E164);
	assert_non_null(strstr(sms, "\xE2\x82\xA6"
				    "2,500.00"));
	free(sms);
	/* The member who did not ask is told nothing, nor is the owner. */
	assert_int_equal(deliveries(event_id, &quiet, 0), 0);
	assert_int_equal(deliveries(event_id, &keen, 1), 0);
	assert_null(mail_file(event_id, ".eml", quiet.email));
}

/* --- a partner's stream
 * ------------------------------------------------------------ */

static rpc_client_stream *
watch(const char *gid, const char *after, const e2e_user *as, mem_arena *a)
{
	Kolo__Events__V1__WatchEventsRequest req = KOLO__EVENTS__V1__WATCH_EVENTS_REQUEST__INIT;
	rpc_metadata md[1] = {{"authorization", mem_arena_printf(a, "Bearer %s", as->access)}};
	rpc_call_opts opts = {.timeout_ms = E2E_WAIT_S * 1000, .metadata = md, .n_metadata = 1};
	rpc_client_stream *st = NULL;

	req.group_id = (char *)gid;
	req.after = (char *)after;
	assert_int_equal(rpc_stream_open(&st, events, "WatchEvents", &req.base, &opts), 0);
	return st;
}

/* The next deposit's amount on the stream (other types skipped unless
 * strict: then the next event must be a deposit); the event's id written
 * to id (64). */
static int64_t
next_deposit(rpc_client_stream *st, mem_arena *a, char *id, int strict)
{
	ProtobufCAllocator alloc = mem_arena_allocator(a);

	for (;;) {
		ProtobufCMessage *msg = NULL;
		Kolo__Events__V1__Event *e;
		json_t *data;
		int64_t kobo;
		int rc = rpc_stream_next(st, &msg, &alloc);

		if (rc != 0)
			fail_msg("stream ended: %d %s", rc, err_last()->reason);
		e = ((Kolo__Events__V1__WatchEventsResponse *)msg)->event;
		snprintf(id, 64, "%s", e->id);
		if (strict)
			assert_string_equal(e->type, "deposit.credited");
		if (strcmp(e->type, "deposit.credited") != 0)
			continue;
		data = json_loads(e->data_json, 0, NULL);
		kobo = json_integer_value(json_object_get(data, "amount_kobo"));
		json_decref(data);
		return kobo;
	}
}

static void
test_a_stream_reader_resumes_after_a_cut(void **state)
{
	e2e_user owner, member;
	char gid[64], last[64], id[64];
	mem_arena *a = mem_arena_new(0);
	rpc_client_stream *st;

	e2e_register(&owner, "st-owner");
	e2e_register(&member, "st-member");
	e2e_group(gid, &owner, "Ev Stream");
	add_member(gid, &owner, &member, "MEMBER");
	deposit(gid, &owner, 110000);
	deposit(gid, &owner, 220000);
	st = watch(gid, "", &member, a);
	assert_int_equal(next_deposit(st, a, last, 0), 110000);
	rpc_client_stream_close(st); /* cut after the first deposit */
	deposit(gid, &owner, 330000);
	st = watch(gid, last, &member, a);
	/* Exactly the rest, in order: no gap, no repeat. */
	assert_int_equal(next_deposit(st, a, id, 1), 220000);
	assert_int_equal(next_deposit(st, a, id, 1), 330000);
	rpc_client_stream_close(st);
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_a_withdrawal_request_reaches_the_other_officer_by_email_and_sms),
		cmocka_unit_test(test_a_deposit_reaches_the_member_who_asked_and_not_the_other),
		cmocka_unit_test(test_a_stream_reader_resumes_after_a_cut),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
