/* kolo-events (DESIGN §16): every service in this process over real gRPC
 * against a throwaway PostgreSQL; the events work runs on the test thread
 * as the kolo_events role and the events caller. Mail goes to a temporary
 * mail dir, then to a real SMTP server (tests/fake_smtp, aiosmtpd); SMS to
 * a fake Termii (tests/fake_sms) over real HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "events_service.h"
#include "render.h"
#include "send.h"
#include "store.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "svc/call.h"
#include "test_world.h"

#define PIN TEST_PIN

static test_world w;
static test_service events;
static char *events_conninfo;
static char mail_dir[64] = "/tmp/kolo-events-mail.XXXXXX";
static evs_deps deps;

/* --- the events process on the test thread --------------------------------- */

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

/* Ingest and fan out everything, then deliver what is due. */
static void
events_run(void)
{
	as_events();
	evs_ingest_pass();
	evs_deliver_pass();
	as_payments();
}

static int
setup(void **state)
{
	if (test_world_start(&w) < 0 || !mkdtemp(mail_dir))
		return -1;
	deps = (evs_deps){.sources = {w.to_identity, w.to_groups, w.to_ledger,
				      w.withdrawals.channel, w.to_payments},
			  .ingest_interval_ms = 100,
			  .deliver_interval_ms = 100,
			  .deliver_workers = 1,
			  .max_attempts = 3,
			  .lease_s = 60,
			  .mail_dir = mail_dir,
			  .public_url = "http://127.0.0.1:8080",
			  .smtp = {.from = "Kolo <no-reply@kolo.test>", .timeout_ms = 5000},
			  .sms = {.sender = "Kolo", .rate_per_s = 1000, .timeout_ms = 5000}};
	evs_configure(&deps);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	events_conninfo = test_pg_conninfo(w.dbname, "kolo_events");
	return test_service_start_db(&events, &evs_rpc_service, &w.identity.keys, events_conninfo);
}

static int
teardown(void **state)
{
	char cmd[128];

	test_service_stop(&events);
	test_world_stop(&w);
	free(events_conninfo);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", mail_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- a team ------------------------------------------------------------------- */

typedef test_team team;

/* Sets u's phone, unverified (a code waits in identity's outbox). */
static void
set_phone_unverified(const test_user *u, const char *phone)
{
	Kolo__Identity__V1__SetPhoneRequest req = KOLO__IDENTITY__V1__SET_PHONE_REQUEST__INIT;
	Kolo__Identity__V1__SetPhoneResponse *resp = NULL;

	req.phone = (char *)phone;
	assert_int_equal(test_world_call(&w, &w.identity.service, "SetPhone", &req, &resp, u), 0);
}

/* Sets u's phone and proves it as a user does, with the code of the
 * user.phone_code event (read from identity's outbox before kolo-events
 * takes it). */
static void
set_phone(const test_user *u, const char *phone)
{
	Kolo__Identity__V1__VerifyPhoneRequest req = KOLO__IDENTITY__V1__VERIFY_PHONE_REQUEST__INIT;
	Kolo__Identity__V1__VerifyPhoneResponse *resp = NULL;
	char *code;

	set_phone_unverified(u, phone);
	code = test_pg_valuef(
		w.admin,
		"SELECT data->>'code' FROM identity_outbox WHERE type = 'user.phone_code'"
		" AND user_id = '%s' ORDER BY seq DESC LIMIT 1",
		u->id);
	req.code = code;
	assert_int_equal(test_world_call(&w, &w.identity.service, "VerifyPhone", &req, &resp, u),
			 0);
	free(code);
}

static void
deposit(const team *t, int64_t kobo)
{
	assert_int_equal(test_world_deposit(&w, t->group, &t->owner, kobo), 0);
}

static void
make_team(team *t, const char *tag)
{
	test_world_team(&w, t, tag, "Events team", TEST_TEAM_PINS);
}

static void
request_withdrawal(const team *t, int64_t kobo)
{
	assert_int_equal(
		test_world_withdraw(&w, t->group, &t->owner, kobo, "0123456789", PIN, NULL, NULL),
		0);
}

static int
choose(const test_user *u, char **email, size_t n_email, char **sms, size_t n_sms)
{
	Kolo__Events__V1__UpdateNotificationPreferencesRequest req =
		KOLO__EVENTS__V1__UPDATE_NOTIFICATION_PREFERENCES_REQUEST__INIT;
	Kolo__Events__V1__UpdateNotificationPreferencesResponse *resp = NULL;

	req.email = email;
	req.n_email = n_email;
	req.sms = sms;
	req.n_sms = n_sms;
	return test_world_call(&w, &events, "UpdateNotificationPreferences", &req, &resp, u);
}

/* --- reading the database ----------------------------------------------------- */

/* Messages of the group's latest event of type to user over channel. */
static long
messages(const team *t, const char *type, const test_user *u, const char *channel)
{
	return test_pg_longf(
		w.admin,
		"SELECT count(*) FROM events_delivery d WHERE d.event_id = (SELECT id FROM"
		" events_event WHERE group_id = '%s' AND type = '%s' ORDER BY group_seq DESC"
		" LIMIT 1) AND d.user_id = '%s' AND d.channel = '%s'",
		t->group, type, u->id, channel);
}

static long
all_messages(const team *t, const char *type)
{
	return test_pg_longf(
		w.admin,
		"SELECT count(*) FROM events_delivery d WHERE d.event_id = (SELECT id FROM"
		" events_event WHERE group_id = '%s' AND type = '%s' ORDER BY group_seq DESC"
		" LIMIT 1)",
		t->group, type);
}

/* The mail dir file whose name has event id, read whole (malloc'd); NULL when none. */
static char *
mail_file(const char *dir, const char *needle, const char *ext)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *out = NULL;

	while (d && !out && (e = readdir(d))) {
		char path[512];
		FILE *f;
		long len;

		if (e->d_name[0] == '.' || !strstr(e->d_name, ext))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		out = calloc(1, (size_t)len + 1);
		if (fread(out, 1, (size_t)len, f) != (size_t)len || !strstr(out, needle)) {
			free(out);
			out = NULL;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return out;
}

/* --- ingest ---------------------------------------------------------------------- */

static void
test_ingest_stores_each_event_once_across_a_lost_ack(void **state)
{
	team t;
	int read = 0, stored = 0, again = 0, stored_again = 0;
	long outbox, kept;

	make_team(&t, "ingest");
	deposit(&t, 150000);
	outbox = test_pg_longf(w.admin, "SELECT count(*) FROM groups_outbox");
	assert_true(outbox >= 2); /* the two members added */
	as_events();
	/* Stored and committed, then killed before the ack. */
	assert_int_equal(evs_ingest_batch(&read, &stored, EVS_SRC_GROUPS, 0), 0);
	assert_int_equal(read, outbox);
	assert_int_equal(stored, outbox);
	kept = test_pg_longf(w.admin, "SELECT count(*) FROM events_event WHERE source = 'groups'");
	assert_int_equal(kept, outbox);
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM groups_outbox"), outbox);
	/* Read again after the restart: nothing stored twice, then acked. */
	assert_int_equal(evs_ingest_batch(&again, &stored_again, EVS_SRC_GROUPS, 1), 0);
	assert_int_equal(again, outbox);
	assert_int_equal(stored_again, 0);
	assert_int_equal(
		test_pg_longf(w.admin, "SELECT count(*) FROM events_event WHERE source = 'groups'"),
		kept);
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM groups_outbox"), 0);
	assert_int_equal(evs_ingest_batch(&again, &stored_again, EVS_SRC_GROUPS, 1), 0);
	assert_int_equal(again, 0);
	/* The ledger's deposit too, through the whole pass. */
	evs_ingest_pass();
	as_payments();
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM ledger_outbox"), 0);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_event WHERE group_id = '%s' AND"
				       " type = 'deposit.credited'",
				       t.group),
			 1);
	/* A group's events are numbered 1..n in the order they were stored. */
	assert_int_equal(
		test_pg_longf(w.admin, "SELECT count(*) FROM events_event WHERE group_id = '%s'",
			      t.group),
		test_pg_longf(w.admin,
			      "SELECT max(group_seq) FROM events_event WHERE group_id = '%s'",
			      t.group));
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT min(group_seq) FROM events_event WHERE group_id = '%s'",
			      t.group),
		1);
}

/* --- the email code ---------------------------------------------------------------- */

static void
test_email_code_is_one_mail_dir_file_then_blanked(void **state)
{
	test_user u;
	char *file, *code, needle[200];
	long n;

	test_identity_user_unverified(&w.identity, &u, "code");
	events_run();
	snprintf(needle, sizeof(needle), "To: %s\r\n", u.email);
	file = mail_file(mail_dir, needle, ".eml");
	assert_non_null(file);
	code = strstr(file, "Your code: ");
	assert_non_null(code);
	for (int i = 0; i < 6; i++)
		assert_true(code[11 + i] >= '0' && code[11 + i] <= '9');
	assert_true(code[17] == '\r' || code[17] == '\n');
	assert_non_null(strstr(file, "Content-Type: multipart/alternative"));
	assert_non_null(strstr(file, "Content-Type: text/html"));
	free(file);
	/* Sent once, and no copy of the code stays with kolo-events. */
	n = test_pg_longf(
		w.admin,
		"SELECT count(*) FROM events_delivery d JOIN events_event e ON e.id = d.event_id"
		" WHERE e.type = 'user.email_code' AND e.user_id = '%s' AND d.status = 'SENT'",
		u.id);
	assert_int_equal(n, 1);
	code = test_pg_valuef(w.admin,
			      "SELECT string_agg(data->>'code', ',') FROM events_event WHERE"
			      " type = 'user.email_code' AND user_id = '%s'",
			      u.id);
	for (char *p = code; *p; p++)
		assert_true(*p == ',');
	free(code);
	/* A second pass sends nothing again. */
	events_run();
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e ON"
			      " e.id = d.event_id WHERE e.user_id = '%s'",
			      u.id),
		n);
}

/* A user waiting for their code is not kept behind a backlog of group
 * events (a burst of deposits): one pass fans the code out first. */
static void
test_a_code_is_not_kept_behind_a_backlog_of_group_events(void **state)
{
	team t;
	test_user u;
	long last;

	make_team(&t, "backlog");
	events_run();
	last = test_pg_longf(w.admin, "SELECT last_seq FROM events_group_seq WHERE group_id = '%s'",
			     t.group);
	/* More stored, not yet fanned-out deposits than a pass's batches hold. */
	test_pg_longf(w.admin,
		      "WITH e AS (INSERT INTO events_event (id, source, type, group_id,"
		      " occurred_at, data, group_seq) SELECT gen_random_uuid(), 'ledger',"
		      " 'deposit.credited', '%s', now(), '{\"amount_kobo\": 100}', %ld + i"
		      " FROM generate_series(1, %d) i RETURNING 1) SELECT count(*) FROM e",
		      t.group, last, EVS_FANOUT_BATCH * EVS_FANOUT_ROUNDS + 50);
	test_pg_longf(w.admin,
		      "WITH s AS (UPDATE events_group_seq SET last_seq = %ld WHERE"
		      " group_id = '%s' RETURNING 1) SELECT count(*) FROM s",
		      last + EVS_FANOUT_BATCH * EVS_FANOUT_ROUNDS + 50, t.group);
	test_identity_user_unverified(&w.identity, &u, "waiting");
	as_events();
	evs_ingest_pass();
	as_payments();
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_event WHERE"
			      " type = 'user.email_code' AND user_id = '%s' AND fanned_out",
			      u.id),
		1);
	/* The backlog drains over the next passes. */
	for (int i = 0; i < 5; i++)
		events_run();
	assert_int_equal(
		test_pg_longf(w.admin, "SELECT count(*) FROM events_event WHERE NOT fanned_out"),
		0);
}

/* A phone code goes by SMS to the number it proves, then is blanked; an
 * unverified number gets nothing else. */
static void
test_phone_code_is_one_sms_file_then_blanked(void **state)
{
	team t;
	char *file, *code, needle[64];

	make_team(&t, "phonecode");
	set_phone_unverified(&t.treasurer, "+2348031234571");
	deposit(&t, 500000);
	request_withdrawal(&t, 100000);
	events_run();
	snprintf(needle, sizeof(needle), "To: +2348031234571\n\n");
	file = mail_file(mail_dir, needle, ".sms");
	assert_non_null(file);
	code = strstr(file, "Your code: ");
	assert_non_null(code);
	for (int i = 0; i < 6; i++)
		assert_true(code[11 + i] >= '0' && code[11 + i] <= '9');
	free(file);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e ON"
			      " e.id = d.event_id WHERE e.type = 'user.phone_code' AND"
			      " d.user_id = '%s' AND d.channel = 'sms' AND d.status = 'SENT'",
			      t.treasurer.id),
		1);
	code = test_pg_valuef(
		w.admin,
		"SELECT data->>'code' FROM events_event WHERE type = 'user.phone_code'"
		" AND user_id = '%s'",
		t.treasurer.id);
	assert_string_equal(code, "");
	free(code);
	/* The officer's number is not proved: the withdrawal waits for them by
	 * email only. */
	assert_int_equal(messages(&t, "withdrawal.requested", &t.treasurer, "email"), 1);
	assert_int_equal(messages(&t, "withdrawal.requested", &t.treasurer, "sms"), 0);
}

/* --- fan-out --------------------------------------------------------------------- */

static void
test_fanout_tells_who_the_catalogue_says(void **state)
{
	team t;
	char *deposits[] = {"deposit.credited"};

	make_team(&t, "fanout");
	set_phone(&t.treasurer, "+2348031234567");
	assert_int_equal(choose(&t.member, deposits, 1, NULL, 0), 0);
	deposit(&t, 250000);
	events_run();
	/* Deposits: only members who chose them. */
	assert_int_equal(messages(&t, "deposit.credited", &t.member, "email"), 1);
	assert_int_equal(all_messages(&t, "deposit.credited"), 1);
	/* A withdrawal request: the other officers always, on every channel they
	 * have; not its requester; not a member who did not choose it. */
	request_withdrawal(&t, 100000);
	events_run();
	assert_int_equal(messages(&t, "withdrawal.requested", &t.treasurer, "email"), 1);
	assert_int_equal(messages(&t, "withdrawal.requested", &t.treasurer, "sms"), 1);
	assert_int_equal(all_messages(&t, "withdrawal.requested"), 2);
	/* Fanned out again (a crash before the mark): no second row. */
	test_pg_ok(w.admin, "UPDATE events_event SET fanned_out = false");
	events_run();
	assert_int_equal(all_messages(&t, "withdrawal.requested"), 2);
	assert_int_equal(all_messages(&t, "deposit.credited"), 1);
	/* Without SMTP or an SMS API, both went to the mail dir. */
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e ON"
			      " e.id = d.event_id WHERE d.user_id = '%s' AND d.status = 'SENT' AND"
			      " e.type = 'withdrawal.requested'",
			      t.treasurer.id),
		2);
	{
		char *sms = mail_file(mail_dir,
				      "\xE2\x82\xA6"
				      "1,000.00",
				      ".sms");

		assert_non_null(sms);
		assert_memory_equal(sms, "To: +2348031234567\n\nKolo: ", 26);
		free(sms);
	}
}

/* An event whose fan-out always fails (here PostgreSQL refuses its
 * message) no longer holds up the events behind it: each failure is
 * counted, and after the last try it is set aside. */
static void
test_an_event_whose_fanout_always_fails_is_set_aside(void **state)
{
	const char *bad = "6a1f0c8e-0000-4000-8000-00000000bad1";
	const char *good = "6a1f0c8e-0000-4000-8000-0000000000d2";
	int passes = 0;

	test_pg_ok(w.admin, "CREATE FUNCTION test_refuse_message() RETURNS trigger"
			    " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test';"
			    " END $$");
	test_pg_ok(w.admin, "CREATE TRIGGER test_refuse_message BEFORE INSERT ON events_delivery"
			    " FOR EACH ROW WHEN (NEW.address = 'bad@fanout.test')"
			    " EXECUTE FUNCTION test_refuse_message()");
	test_pg_ok(w.admin,
		   "INSERT INTO events_event (id, source, type, user_id, occurred_at,"
		   " data, stored_at) VALUES"
		   " ('6a1f0c8e-0000-4000-8000-00000000bad1', 'identity', 'user.email_code',"
		   " gen_random_uuid(), now(), '{\"email\": \"bad@fanout.test\","
		   " \"code\": \"111111\"}', now() - interval '1 minute'),"
		   " ('6a1f0c8e-0000-4000-8000-0000000000d2', 'identity', 'user.email_code',"
		   " gen_random_uuid(), now(), '{\"email\": \"good@fanout.test\","
		   " \"code\": \"222222\"}', now())");
	as_events();
	evs_ingest_pass();
	/* The event behind it went on; the failure is counted with its reason. */
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_delivery WHERE event_id = '%s'",
				       good),
			 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT fanout_failures FROM events_event WHERE id = '%s'",
				       bad),
			 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_event WHERE id = '%s' AND"
				       " fanout_error LIKE '%%P0001%%'",
				       bad),
			 1);
	for (passes = 1; passes < 2 * EVS_FANOUT_MAX_FAILURES; passes++)
		evs_ingest_pass();
	as_payments();
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT fanout_failures FROM events_event WHERE id = '%s'",
				       bad),
			 EVS_FANOUT_MAX_FAILURES);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_event WHERE id = '%s' AND"
				       " fanout_failed AND fanned_out",
				       bad),
			 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_delivery WHERE event_id = '%s'",
				       bad),
			 0);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_event WHERE id = '%s' AND"
				       " NOT fanout_failed AND fanout_failures = 0",
				       good),
			 1);
	test_pg_ok(w.admin, "DROP TRIGGER test_refuse_message ON events_delivery");
	test_pg_ok(w.admin, "DROP FUNCTION test_refuse_message()");
}

/* An officer moves a deposit from one member to another: both members
 * are told, always (no choice needed), and the officer is not. */
static void
test_an_allocation_tells_both_members_not_the_officer(void **state)
{
	team t;
	char account[64];
	Kolo__Ledger__V1__PostEntryRequest post = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	Kolo__Ledger__V1__AllocateEntryRequest req = KOLO__LEDGER__V1__ALLOCATE_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__AllocateEntryResponse *resp = NULL;
	char *eml;

	(void)state;
	make_team(&t, "allocated");
	test_world_account(&w, t.group, account);
	post.group_id = t.group;
	post.account_id = account;
	post.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	post.amount_kobo = 730000;
	post.source = "demo";
	post.reference = "evt-alloc-1";
	post.user_id = t.owner.id;
	post.simulated = 1;
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &post, &posted, NULL), 0);
	req.group_id = t.group;
	req.entry_id = posted->entry->id;
	req.user_id = t.member.id;
	req.allocated_by = t.treasurer.id;
	req.reason = "paid for the member";
	req.reallocate = 1;
	req.expected_user_id = t.owner.id;
	assert_int_equal(test_world_call(&w, &w.ledger, "AllocateEntry", &req, &resp, NULL), 0);
	events_run();
	assert_int_equal(messages(&t, "deposit.allocated", &t.member, "email"), 1);
	assert_int_equal(messages(&t, "deposit.allocated", &t.owner, "email"), 1);
	assert_int_equal(messages(&t, "deposit.allocated", &t.treasurer, "email"), 0);
	assert_int_equal(all_messages(&t, "deposit.allocated"), 2);
	eml = mail_file(mail_dir,
			"\xE2\x82\xA6"
			"7,300.00 in Events team to a member",
			".eml");
	assert_non_null(eml);
	free(eml);
}

/* No writer puts the group's name in an event: kolo-events asks groups
 * (GetGroup as the events caller) when it renders. */
static void
test_messages_name_the_group(void **state)
{
	team t;
	char *eml, *sms;

	make_team(&t, "named");
	set_phone(&t.treasurer, "+2348031234568");
	deposit(&t, 500000);
	request_withdrawal(&t, 120000);
	events_run();
	eml = mail_file(mail_dir,
			"\xE2\x82\xA6"
			"1,200.00 out of Events team.",
			".eml");
	assert_non_null(eml);
	assert_null(strstr(eml, "your group"));
	free(eml);
	sms = mail_file(mail_dir,
			"\xE2\x82\xA6"
			"1,200.00 from Events team waits",
			".sms");
	assert_non_null(sms);
	assert_memory_equal(sms, "To: +2348031234568\n", 19);
	free(sms);
}

/* --- preferences --------------------------------------------------------------- */

static void
test_preferences_refuse_unknown_types_and_store_nothing(void **state)
{
	test_user u;
	char *bad[] = {"deposit.credited", "deposit.stolen"};
	char *code[] = {"user.email_code"};
	char *good_email[] = {"withdrawal.paid", "deposit.credited"};
	char *good_sms[] = {"deposit.credited"};
	Kolo__Events__V1__GetNotificationPreferencesRequest get =
		KOLO__EVENTS__V1__GET_NOTIFICATION_PREFERENCES_REQUEST__INIT;
	Kolo__Events__V1__GetNotificationPreferencesResponse *resp = NULL;
	int always = 0;

	test_identity_user(&w.identity, &u, "prefs");
	assert_int_equal(choose(&u, bad, 2, NULL, 0), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "unknown_event_type");
	assert_int_equal(choose(&u, NULL, 0, code, 1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "event_type_not_optional");
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_preference WHERE user_id = '%s'", u.id),
		0);
	assert_int_equal(choose(&u, good_email, 2, good_sms, 1), 0);
	assert_int_equal(
		test_world_call(&w, &events, "GetNotificationPreferences", &get, &resp, &u), 0);
	assert_int_equal(resp->preferences->n_email, 2);
	assert_string_equal(resp->preferences->email[0], "deposit.credited");
	assert_string_equal(resp->preferences->email[1], "withdrawal.paid");
	assert_int_equal(resp->preferences->n_sms, 1);
	for (size_t i = 0; i < resp->preferences->n_officers_always; i++)
		always |=
			strcmp(resp->preferences->officers_always[i], "withdrawal.requested") == 0;
	assert_true(always);
	/* Replaced whole: an empty choice clears them. */
	assert_int_equal(choose(&u, NULL, 0, NULL, 0), 0);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_preference WHERE user_id = '%s'", u.id),
		0);
	/* Users only. */
	assert_int_equal(
		test_world_call(&w, &events, "GetNotificationPreferences", &get, &resp, NULL),
		ERR_UNAUTHENTICATED);
}

/* --- fakes: SMTP and SMS ------------------------------------------------------------ */

typedef struct fake {
	pid_t pid;
	int stdin_fd;
	int port;
} fake;

/* Runs python3 script args... and reads "listening <port>". */
static void
fake_start(fake *f, const char *script, const char *arg1, const char *arg2)
{
	int in[2], out[2];
	char line[64] = "";
	FILE *r;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl("/usr/bin/python3", "python3", script, "--port", "0", arg1, arg2,
		      "--watch-stdin", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->stdin_fd = in[1];
	r = fdopen(out[0], "r");
	assert_non_null(fgets(line, sizeof(line), r));
	fclose(r);
	assert_int_equal(sscanf(line, "listening %d", &f->port), 1);
}

static void
fake_stop(fake *f)
{
	close(f->stdin_fd);
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
}

static void
test_smtp_delivers_to_a_real_server_and_retries_a_refusal(void **state)
{
	fake smtp;
	char sink[64] = "/tmp/kolo-smtp-sink.XXXXXX", url[128], needle[200], *mail;
	test_user u, v;

	assert_non_null(mkdtemp(sink));
	fake_start(&smtp, KOLO_SOURCE_DIR "/tests/fake_smtp/smtp_sink.py", "--dir", sink);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", smtp.port);
	deps.smtp.url = url;
	evs_configure(&deps);
	test_identity_user_unverified(&w.identity, &u, "smtp");
	events_run();
	snprintf(needle, sizeof(needle), "X-Rcpt-To: %s\r\n", u.email);
	mail = mail_file(sink, needle, ".eml");
	assert_non_null(mail);
	assert_non_null(strstr(mail, "Your code: "));
	assert_non_null(strstr(mail, "From: Kolo <no-reply@kolo.test>"));
	snprintf(needle, sizeof(needle), ".%s@events.kolo>", u.id);
	assert_non_null(strstr(mail, needle)); /* Message-ID: <event id.user id@events.kolo> */
	free(mail);
	/* A server that is gone: the message waits for a retry, not lost. */
	fake_stop(&smtp);
	test_identity_user_unverified(&w.identity, &v, "smtp-down");
	events_run();
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery WHERE user_id = '%s' AND"
			      " status = 'PENDING' AND attempts = 1 AND next_at > now() AND"
			      " last_error IS NOT NULL",
			      v.id),
		1);
	deps.smtp.url = "";
	evs_configure(&deps);
	test_pg_ok(w.admin, "UPDATE events_delivery SET next_at = now() WHERE status = 'PENDING'");
	events_run();
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery WHERE user_id = '%s' AND"
			      " status = 'SENT' AND attempts = 2",
			      v.id),
		1);
	snprintf(url, sizeof(url), "rm -rf %s", sink);
	assert_int_equal(system(url), 0);
}

static long
sms_requests(const fake *f, const char *needle)
{
	char url[128];
	CURL *c = curl_easy_init();
	FILE *mem;
	char *buf = NULL;
	size_t len = 0;
	long found;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control/requests", f->port);
	mem = open_memstream(&buf, &len);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	fclose(mem);
	found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

static void
sms_fail_once(const fake *f)
{
	char url[128];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control/fail", f->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"times\": 1, \"status\": 503}");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
}

static void
test_sms_goes_through_the_api_and_retries_a_failure(void **state)
{
	fake sms;
	char url[96];
	team t;

	fake_start(&sms, KOLO_SOURCE_DIR "/tests/fake_sms/fake_termii.py", "--api-key",
		   "termii-test-key");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/sms/send", sms.port);
	deps.sms.url = url;
	deps.sms.api_key = "termii-test-key";
	evs_configure(&deps);
	make_team(&t, "sms");
	set_phone(&t.treasurer, "+2348059876543");
	deposit(&t, 500000);
	events_run();
	sms_fail_once(&sms);
	request_withdrawal(&t, 123456);
	events_run();
	/* The API said 503: due again later, not sent, not dead. */
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e ON"
			      " e.id = d.event_id WHERE d.user_id = '%s' AND d.channel = 'sms' AND"
			      " d.status = 'PENDING' AND d.attempts = 1 AND e.type ="
			      " 'withdrawal.requested'",
			      t.treasurer.id),
		1);
	test_pg_ok(w.admin, "UPDATE events_delivery SET next_at = now() WHERE status = 'PENDING'");
	events_run();
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e ON"
			      " e.id = d.event_id WHERE d.user_id = '%s' AND d.channel = 'sms' AND"
			      " d.status = 'SENT' AND e.type = 'withdrawal.requested'",
			      t.treasurer.id),
		1);
	assert_true(sms_requests(&sms, "\"to\": \"2348059876543\""));
	assert_true(sms_requests(&sms, "\\u20a6"
				       "1,234.56")); /* ₦, as the fake's JSON writes it */
	assert_true(sms_requests(&sms, "\"api_key\": \"termii-test-key\""));
	fake_stop(&sms);
	deps.sms.url = "";
	evs_configure(&deps);
}

/* --- leases ---------------------------------------------------------------------- */

/* A worker whose lease ran out (a slow send) while another worker claimed the
 * message again and sent it records nothing: the message stays SENT, not
 * PENDING again (sent twice more) nor DEAD. */
static void
test_a_stale_worker_does_not_undo_a_sent_message(void **state)
{
	team t;
	char *deposits[] = {"deposit.credited"};
	mem_arena *a = mem_arena_new(0);
	evs_delivery *first = NULL, *second = NULL, *third = NULL;
	db_conn *c = NULL;
	int n = 0;

	make_team(&t, "stale");
	assert_int_equal(choose(&t.member, deposits, 1, NULL, 0), 0);
	events_run(); /* the team's own mail out of the way */
	deposit(&t, 310000);
	as_events();
	evs_ingest_pass();
	assert_int_equal(db_thread_conn(&c), 0);
	assert_int_equal(evs_store_claim(&first, &n, a, c, 20, 60), 0);
	assert_int_equal(n, 1);
	assert_string_equal(first[0].user_id, t.member.id);
	/* The first worker's lease runs out; a second worker claims it and sends. */
	test_pg_ok(w.admin, "UPDATE events_delivery SET lease_until = now() - interval '1 s'"
			    " WHERE status = 'PENDING'");
	assert_int_equal(evs_store_claim(&second, &n, a, c, 20, 60), 0);
	assert_int_equal(n, 1);
	assert_int_equal(second[0].id, first[0].id);
	assert_int_equal(second[0].attempts, 2);
	assert_int_equal(evs_store_sent(c, &second[0]), 0);
	/* The first worker's send failed late: it changes nothing. */
	assert_int_equal(evs_store_failed(c, &first[0], 0, 30, "timed out"), 0);
	assert_int_equal(evs_store_unclaim(c, &first[0], 0), 0);
	assert_int_equal(evs_store_failed(c, &first[0], 1, 30, "timed out"), 0);
	as_payments();
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM events_delivery WHERE id = %lld AND"
				       " status = 'SENT' AND attempts = 2 AND last_error IS NULL",
				       (long long)first[0].id),
			 1);
	/* Nothing is due again. */
	as_events();
	assert_int_equal(db_thread_conn(&c), 0);
	assert_int_equal(evs_store_claim(&third, &n, a, c, 20, 60), 0);
	assert_int_equal(n, 0);
	as_payments();
	mem_arena_free(a);
}

/* A mail server that never answers holds a worker for the whole timeout of
 * each message: the claims of its batch that its lease no longer covers are
 * given back unsent (any worker may take them now, their attempt not
 * counted) rather than sent after the lease ran out, when another worker
 * may have claimed and sent them already. */
static void
test_a_slow_batch_gives_back_what_its_lease_cannot_cover(void **state)
{
	team t;
	char *deposits[] = {"deposit.credited"};
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int silent = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	evs_deps saved = deps;

	make_team(&t, "slow");
	assert_int_equal(choose(&t.owner, deposits, 1, NULL, 0), 0);
	assert_int_equal(choose(&t.treasurer, deposits, 1, NULL, 0), 0);
	assert_int_equal(choose(&t.member, deposits, 1, NULL, 0), 0);
	events_run(); /* the team's own mail out of the way */
	/* A server that takes connections and never says a word. */
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(silent, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(silent, 16), 0);
	assert_int_equal(getsockname(silent, (struct sockaddr *)&addr, &len), 0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(addr.sin_port));
	deps.smtp.url = url;
	deps.smtp.timeout_ms = 1200;
	deps.sms.timeout_ms = 1200;
	deps.lease_s = 5;
	evs_configure(&deps);
	deposit(&t, 420000);	       /* three members chose it */
	request_withdrawal(&t, 10000); /* the treasurer is told */
	events_run();
	/* Lease 5 s, sends of 1.2 s and 2 s of slack: two fit, two go back. */
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e"
			      " ON e.id = d.event_id WHERE e.group_id = '%s' AND d.status ="
			      " 'PENDING' AND d.attempts = 1 AND d.last_error IS NOT NULL",
			      t.group),
		2);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM events_delivery d JOIN events_event e"
			      " ON e.id = d.event_id WHERE e.group_id = '%s' AND d.status ="
			      " 'PENDING' AND d.attempts = 0 AND d.lease_until IS NULL AND"
			      " d.next_at <= now()",
			      t.group),
		2);
	deps = saved;
	evs_configure(&deps);
	close(silent);
	test_pg_ok(w.admin, "UPDATE events_delivery SET status = 'DEAD' WHERE status = 'PENDING'");
}

/* A line that is "." reaches an SMTP reader as "." (libcurl stuffs it on
 * the wire and the server unstuffs it; stuffing it ourselves too made it
 * ".."). */
static void
test_a_dot_line_reaches_an_smtp_reader_as_written(void **state)
{
	fake smtp;
	char sink[64] = "/tmp/kolo-smtp-dot.XXXXXX", url[128], *mail, *message = NULL;
	evs_rendered r = {.subject = "Dots",
			  .text = "Before\n.\n..\n.x\nAfter\n",
			  .html = "<p>x</p>",
			  .sms = "x"};
	evs_smtp conf = {.from = "Kolo <no-reply@kolo.test>", .timeout_ms = 5000};
	mem_arena *a = mem_arena_new(0);
	size_t len = 0;

	assert_non_null(mkdtemp(sink));
	fake_start(&smtp, KOLO_SOURCE_DIR "/tests/fake_smtp/smtp_sink.py", "--dir", sink);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", smtp.port);
	conf.url = url;
	assert_int_equal(evs_email_message(&message, &len, a, &r, conf.from, "dots@example.com",
					   "e-dot", "u-dot"),
			 0);
	assert_int_equal(evs_send_smtp(&conf, "dots@example.com", message, len), 0);
	mail = mail_file(sink, "X-Rcpt-To: <dots@example.com>", ".eml");
	if (!mail)
		mail = mail_file(sink, "X-Rcpt-To: dots@example.com", ".eml");
	assert_non_null(mail);
	assert_non_null(strstr(mail, "\r\nBefore\r\n.\r\n..\r\n.x\r\nAfter\r\n"));
	free(mail);
	fake_stop(&smtp);
	mem_arena_free(a);
	snprintf(url, sizeof(url), "rm -rf %s", sink);
	assert_int_equal(system(url), 0);
}

/* --- the mail dir under two writers ------------------------------------------- */

typedef struct writer {
	const char *dir;
	const char *content;
	int failures;
} writer;

static void *
write_many(void *arg)
{
	writer *wr = arg;

	for (int i = 0; i < 200; i++) {
		if (evs_send_file(wr->dir, "00000000-0000-4000-8000-0000000000aa", 7, "eml",
				  wr->content, strlen(wr->content)) != 0)
			wr->failures++;
	}
	return NULL;
}

/* Two sends of one message at once (a worker whose lease ran out and the
 * one that claimed it since) each write a whole file: neither truncates
 * nor renames away the other's temporary file. */
static void
test_two_writers_of_one_message_each_write_a_whole_file(void **state)
{
	char dir[64] = "/tmp/kolo-mail-race.XXXXXX", cmd[128];
	writer one = {.content = "short\n"},
	       two = {.content = "a much longer message that the short one would cut\n"};
	pthread_t t1, t2;
	DIR *d;
	struct dirent *e;
	int files = 0;

	assert_non_null(mkdtemp(dir));
	one.dir = two.dir = dir;
	assert_int_equal(pthread_create(&t1, NULL, write_many, &one), 0);
	assert_int_equal(pthread_create(&t2, NULL, write_many, &two), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(one.failures, 0);
	assert_int_equal(two.failures, 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], body[128] = "";
		FILE *f;
		size_t n;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		assert_true(e->d_name[0] != '.'); /* no temporary file left */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(body, 1, sizeof(body) - 1, f);
		fclose(f);
		body[n] = '\0';
		assert_true(strcmp(body, one.content) == 0 || strcmp(body, two.content) == 0);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* --- the ingest lock ------------------------------------------------------------ */

/* The ingest lock is one bigint key (objsubid 1). The same numbers held as
 * the two-int4 form (objsubid 2) are another lock: holding that one does
 * not make this connection the leader while another holds the real one. */
static void
test_only_the_bigint_lock_makes_a_leader(void **state)
{
	db_conn *c = NULL;
	int leader = -1;

	as_events();
	assert_int_equal(db_thread_conn(&c), 0);
	/* Another replica leads. */
	test_pg_ok(w.admin, "SELECT pg_advisory_lock(7695845530017830950)");
	assert_int_equal(db_run(c, "SELECT pg_advisory_lock(1791828668, 922589222)", 0, NULL), 0);
	assert_int_equal(evs_store_lead(&leader, c), 0);
	assert_int_equal(leader, 0);
	/* It lets go: this one leads. */
	test_pg_ok(w.admin, "SELECT pg_advisory_unlock(7695845530017830950)");
	assert_int_equal(evs_store_lead(&leader, c), 0);
	assert_int_equal(leader, 1);
	assert_int_equal(db_run(c, "SELECT pg_advisory_unlock(1791828668, 922589222)", 0, NULL), 0);
	as_payments();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_stores_each_event_once_across_a_lost_ack),
		cmocka_unit_test(test_email_code_is_one_mail_dir_file_then_blanked),
		cmocka_unit_test(test_a_code_is_not_kept_behind_a_backlog_of_group_events),
		cmocka_unit_test(test_phone_code_is_one_sms_file_then_blanked),
		cmocka_unit_test(test_fanout_tells_who_the_catalogue_says),
		cmocka_unit_test(test_an_event_whose_fanout_always_fails_is_set_aside),
		cmocka_unit_test(test_messages_name_the_group),
		cmocka_unit_test(test_an_allocation_tells_both_members_not_the_officer),
		cmocka_unit_test(test_preferences_refuse_unknown_types_and_store_nothing),
		cmocka_unit_test(test_smtp_delivers_to_a_real_server_and_retries_a_refusal),
		cmocka_unit_test(test_sms_goes_through_the_api_and_retries_a_failure),
		cmocka_unit_test(test_a_stale_worker_does_not_undo_a_sent_message),
		cmocka_unit_test(test_a_slow_batch_gives_back_what_its_lease_cannot_cover),
		cmocka_unit_test(test_a_dot_line_reaches_an_smtp_reader_as_written),
		cmocka_unit_test(test_two_writers_of_one_message_each_write_a_whole_file),
		cmocka_unit_test(test_only_the_bigint_lock_makes_a_leader),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
