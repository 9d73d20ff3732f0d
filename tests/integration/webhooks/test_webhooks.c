/* Partner webhooks end to end inside kolo-events: EventsService's webhook
 * RPCs over real gRPC (officers only, bad input refused with nothing
 * stored), the worker against a partner's receiver on loopback
 * (tests/fake_webhook_receiver/receiver.py, which verifies signatures as
 * docs/webhooks.md says), retries, order per endpoint, the dead letter and
 * its re-send, and the pause that tells the group's officers. Events are
 * stored as kolo-events' ingest stores them (evs_store_event). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "events_service.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/events/v1/webhooks.pb-c.h"
#include "store.h"
#include "svc/call.h"
#include "test_fake_flw.h"
#include "test_world.h"
#include "webhook_work.h"
#include "webhooks.h"

#define RECEIVER KOLO_SOURCE_DIR "/tests/fake_webhook_receiver/receiver.py"
#define KEY_HEX	 "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

static test_world w;
static test_service events;
static char *events_conninfo;
static test_user owner, treasurer, member, stranger;
static char group_id[64];

/* A short schedule: retries 50 ms apart, dead after 600 ms; no pause
 * unless a test asks. */
static void
configure(int64_t window_ms, int64_t pause_ms)
{
	whk_config cfg = {
		.schedule = {.first_ms = 50,
			     .max_ms = 100,
			     .window_ms = window_ms,
			     .pause_ms = pause_ms},
		.send = {.timeout_ms = 2000, .allow_http_loopback = 1},
		.has_key = 1,
		.interval_ms = 100,
		.batch = 32,
	};

	assert_int_equal(whk_key_parse(cfg.key, KEY_HEX), 0);
	whk_configure(&cfg);
}

static int
setup(void **state)
{
	evs_deps deps = {0};

	(void)state;
	if (test_world_start(&w) < 0 || test_fake_start_script(RECEIVER, "unused") < 0 ||
	    whk_send_global_init() < 0)
		return -1;
	deps.sources[EVS_SRC_IDENTITY] = w.to_identity;
	deps.sources[EVS_SRC_GROUPS] = w.to_groups;
	deps.sources[EVS_SRC_LEDGER] = w.to_ledger;
	deps.sources[EVS_SRC_PAYMENTS] = w.to_payments;
	evs_configure(&deps);
	configure(600, 3600 * 1000);
	events_conninfo = test_pg_conninfo(w.dbname, "kolo_events");
	if (test_service_start_db(&events, &evs_rpc_service, &w.identity.keys, events_conninfo) < 0)
		return -1;
	test_identity_user(&w.identity, &owner, "hooks-owner");
	test_identity_user(&w.identity, &treasurer, "hooks-treasurer");
	test_identity_user(&w.identity, &member, "hooks-member");
	test_identity_user(&w.identity, &stranger, "hooks-stranger");
	test_world_group(&w, &owner, "Webhook Union", group_id);
	test_world_member(&w, group_id, &owner, &treasurer, KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	test_world_member(&w, group_id, &owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	/* This thread runs kolo-events' work, as its role. */
	test_world_as(&w, events_conninfo, "events");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	svc_calls_thread_caller(NULL, NULL);
	db_thread_close();
	test_service_stop(&events);
	test_fake_flw_stop();
	test_world_stop(&w);
	free(events_conninfo);
	return 0;
}

/* --- helpers -----------------------------------------------------------------
 */

static int
call(const char *method, const void *req, void *resp, const test_user *as)
{
	return test_world_call(&w, &events, method, req, resp, as);
}

static char *
url_of(const char *path)
{
	static char url[256];

	snprintf(url, sizeof(url), "%s%s", test_fake_flw_url(), path);
	return url;
}

/* Creates an endpoint of the group at the receiver's path for types; its
 * id into id (64), its secret registered with the receiver. */
static void
create_endpoint(const char *path, char **types, size_t n, char *id)
{
	Kolo__Events__V1__CreateWebhookRequest req = KOLO__EVENTS__V1__CREATE_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__CreateWebhookResponse *resp = NULL;
	char body[256];

	req.group_id = group_id;
	req.url = url_of(path);
	req.events = types;
	req.n_events = n;
	assert_int_equal(call("CreateWebhook", &req, &resp, &owner), 0);
	assert_non_null(resp->webhook);
	strcpy(id, resp->webhook->id);
	snprintf(body, sizeof(body), "{\"path\":\"%s\",\"secret\":\"%s\"}", path, resp->secret);
	test_fake_flw_control("secret", body);
}

/* Stores an event of the group as kolo-events' ingest does; its id into
 * id (64). */
static void
store_event(const char *type, const char *data_json, char *id)
{
	db_conn *c = NULL;
	PGresult *res = PQexec(w.admin, "SELECT gen_random_uuid()::text");
	int stored = 0;

	strcpy(id, PQgetvalue(res, 0, 0));
	PQclear(res);
	const evs_event e = {.id = id,
			     .type = type,
			     .group_id = group_id,
			     .user_id = "",
			     .actor_id = owner.id,
			     .occurred_at = "2026-12-06T12:00:00Z",
			     .data_json = data_json};
	assert_int_equal(db_thread_conn(&c), 0);
	assert_int_equal(db_run(c, "BEGIN", 0, NULL), 0);
	assert_int_equal(evs_store_event(&stored, c, "ledger", &e), 0);
	assert_int_equal(db_run(c, "COMMIT", 0, NULL), 0);
	assert_int_equal(stored, 1);
}

static int
work(void)
{
	int attempts = 0;

	assert_int_equal(whk_work_once(&attempts), 0);
	return attempts;
}

/* A value of the first row of sql with one parameter (the caller frees). */
static char *
sql_value(const char *sql, const char *param)
{
	PGresult *res = PQexecParams(w.admin, sql, 1, NULL, &param, NULL, NULL, 0);
	char *v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		fail_msg("%s: %s", sql, PQerrorMessage(w.admin));
	}
	v = strdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "(none)");
	PQclear(res);
	return v;
}

static void
expect_sql(const char *sql, const char *param, const char *want)
{
	char *got = sql_value(sql, param);

	if (strcmp(got, want) != 0)
		fail_msg("%s [%s]: %s, not %s", sql, param, got, want);
	free(got);
}

/* Works until the delivery of event to endpoint is in state (bounded). */
static void
work_until(const char *endpoint_id, const char *event_id, const char *state)
{
	const char *params[2] = {endpoint_id, event_id};

	for (int i = 0; i < 200; i++) {
		PGresult *res;
		int done;

		(void)work();
		res = PQexecParams(w.admin,
				   "SELECT status FROM webhook_delivery WHERE "
				   "endpoint_id = $1::uuid"
				   " AND event_id = $2::uuid",
				   2, NULL, params, NULL, NULL, 0);
		done = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), state) == 0;
		PQclear(res);
		if (done)
			return;
		usleep(25 * 1000);
	}
	fail_msg("the delivery of %s never became %s", event_id, state);
}

/* The ids of the receiver's deliveries to path, in arrival order, and how
 * many of them had a bad signature. */
static size_t
received(const char *path, char ids[][64], size_t cap, int *bad_signatures)
{
	json_t *stats = test_fake_flw_stats(), *d;
	size_t i, n = 0;

	*bad_signatures = 0;
	json_array_foreach(json_object_get(stats, "deliveries"), i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "path")), path) != 0)
			continue;
		if (!json_is_true(json_object_get(d, "signature_ok")))
			(*bad_signatures)++;
		if (n < cap)
			snprintf(ids[n], 64, "%s", json_string_value(json_object_get(d, "id")));
		n++;
	}
	json_decref(stats);
	return n;
}

static long
count_rows(const char *table)
{
	char sql[128];
	char *v;
	long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE $1 = $1", table);
	v = sql_value(sql, "x");
	n = atol(v);
	free(v);
	return n;
}

/* --- tests -------------------------------------------------------------------
 */

static void
test_an_officer_creates_an_endpoint_and_sees_its_secret_once(void **state)
{
	Kolo__Events__V1__CreateWebhookRequest req = KOLO__EVENTS__V1__CREATE_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__CreateWebhookResponse *resp = NULL;
	Kolo__Events__V1__ListWebhooksRequest lreq = KOLO__EVENTS__V1__LIST_WEBHOOKS_REQUEST__INIT;
	Kolo__Events__V1__ListWebhooksResponse *lresp = NULL;
	char *types[] = {"deposit.credited", "withdrawal.requested"};
	char *sealed;

	(void)state;
	req.group_id = group_id;
	req.url = url_of("/create");
	req.events = types;
	req.n_events = 2;
	assert_int_equal(call("CreateWebhook", &req, &resp, &treasurer), 0);
	assert_int_equal(strlen(resp->secret), WHK_SECRET_LEN);
	assert_memory_equal(resp->secret, "whsec_", 6);
	assert_string_equal(resp->webhook->status, "active");
	assert_string_equal(resp->webhook->url, req.url);
	assert_string_equal(resp->webhook->created_by, treasurer.id);
	assert_int_equal(resp->webhook->n_events, 2);
	assert_string_equal(resp->webhook->events[1], "withdrawal.requested");
	/* Stored sealed: the secret's text is nowhere in the row. */
	sealed = sql_value("SELECT encode(secret_sealed, 'escape') FROM webhook_endpoint"
			   " WHERE id = $1::uuid",
			   resp->webhook->id);
	assert_null(strstr(sealed, resp->secret + 6));
	free(sealed);
	/* Listed, by any officer, never with its secret. */
	lreq.group_id = group_id;
	assert_int_equal(call("ListWebhooks", &lreq, &lresp, &owner), 0);
	assert_int_equal(lresp->n_webhooks, 1);
	assert_string_equal(lresp->webhooks[0]->id, resp->webhook->id);
	/* Deleted: gone from the list, and a second delete is not found. */
	{
		Kolo__Events__V1__DeleteWebhookRequest dreq =
			KOLO__EVENTS__V1__DELETE_WEBHOOK_REQUEST__INIT;
		Kolo__Events__V1__DeleteWebhookResponse *dresp = NULL;

		dreq.group_id = group_id;
		dreq.webhook_id = resp->webhook->id;
		assert_int_equal(call("DeleteWebhook", &dreq, &dresp, &owner), 0);
		assert_int_equal(call("DeleteWebhook", &dreq, &dresp, &owner), ERR_NOT_FOUND);
		assert_string_equal(err_last()->reason, "webhook_not_found");
		assert_int_equal(call("ListWebhooks", &lreq, &lresp, &owner), 0);
		assert_int_equal(lresp->n_webhooks, 0);
	}
}

static void
expect_create_refused(const char *url, char **types, size_t n, const test_user *as, int code,
		      const char *reason)
{
	Kolo__Events__V1__CreateWebhookRequest req = KOLO__EVENTS__V1__CREATE_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__CreateWebhookResponse *resp = NULL;
	long before = count_rows("webhook_endpoint");

	req.group_id = group_id;
	req.url = (char *)url;
	req.events = types;
	req.n_events = n;
	if (call("CreateWebhook", &req, &resp, as) != code)
		fail_msg("%s: not refused with %d", url, code);
	if (strcmp(err_last()->reason, reason) != 0)
		fail_msg("%s: %s, not %s", url, err_last()->reason, reason);
	assert_int_equal(count_rows("webhook_endpoint"), before);
}

static void
test_bad_input_and_non_officers_are_refused_with_nothing_stored(void **state)
{
	char *ok[] = {"deposit.credited"};
	char *unknown[] = {"deposit.credited", "deposit.stolen"};
	char *code[] = {"user.email_code"};
	char good_url[256];

	(void)state;
	snprintf(good_url, sizeof(good_url), "%s", url_of("/refused"));
	expect_create_refused("ftp://example.com/hook", ok, 1, &owner, ERR_INVALID_ARGUMENT,
			      "url_not_https");
	expect_create_refused("http://example.com/hook", ok, 1, &owner, ERR_INVALID_ARGUMENT,
			      "url_not_https");
	expect_create_refused("https://user:pw@example.com/hook", ok, 1, &owner,
			      ERR_INVALID_ARGUMENT, "invalid_url");
	expect_create_refused("not a url", ok, 1, &owner, ERR_INVALID_ARGUMENT, "invalid_url");
	expect_create_refused("https://10.1.2.3/hook", ok, 1, &owner, ERR_INVALID_ARGUMENT,
			      "url_not_public");
	expect_create_refused("https://169.254.169.254/latest/meta-data", ok, 1, &owner,
			      ERR_INVALID_ARGUMENT, "url_not_public");
	expect_create_refused("https://[fd00::1]/hook", ok, 1, &owner, ERR_INVALID_ARGUMENT,
			      "url_not_public");
	expect_create_refused("https://name.invalid/hook", ok, 1, &owner, ERR_INVALID_ARGUMENT,
			      "url_unresolvable");
	expect_create_refused(good_url, unknown, 2, &owner, ERR_INVALID_ARGUMENT,
			      "unknown_event_type");
	expect_create_refused(good_url, code, 1, &owner, ERR_INVALID_ARGUMENT,
			      "event_type_not_for_partners");
	expect_create_refused(good_url, ok, 0, &owner, ERR_INVALID_ARGUMENT, "no_event_types");
	expect_create_refused(good_url, ok, 1, &member, ERR_PERMISSION_DENIED, "officer_only");
	expect_create_refused(good_url, ok, 1, &stranger, ERR_NOT_FOUND, "group_not_found");
	/* Without the test flag, loopback is not public either. */
	{
		whk_config cfg = *whk_current();

		cfg.send.allow_http_loopback = 0;
		whk_configure(&cfg);
		snprintf(good_url, sizeof(good_url), "https://localhost%s/x",
			 strrchr(test_fake_flw_url(), ':'));
		expect_create_refused(good_url, ok, 1, &owner, ERR_INVALID_ARGUMENT,
				      "url_not_public");
		configure(600, 3600 * 1000);
	}
	{
		Kolo__Events__V1__ListWebhooksRequest lreq =
			KOLO__EVENTS__V1__LIST_WEBHOOKS_REQUEST__INIT;
		Kolo__Events__V1__ListWebhooksResponse *lresp = NULL;

		lreq.group_id = group_id;
		assert_int_equal(call("ListWebhooks", &lreq, &lresp, &member),
				 ERR_PERMISSION_DENIED);
	}
}

static void
test_a_500_is_retried_then_delivered_signed(void **state)
{
	char *types[] = {"deposit.credited"};
	char endpoint[64], event[64], other[64], ids[8][64];
	int bad = 0;

	(void)state;
	create_endpoint("/retry", types, 1, endpoint);
	test_fake_flw_mode("/retry", "status:500", 1);
	store_event("deposit.credited", "{\"amount_kobo\": 150000}", event);
	store_event("member.added", "{}", other); /* not chosen: never sent */
	assert_int_equal(work(), 1);
	expect_sql("SELECT status || ' ' || attempts || ' ' || last_status_code"
		   " || ' ' || left(last_response, 6) FROM webhook_delivery "
		   "WHERE event_id = $1::uuid",
		   event, "pending 1 500 error ");
	expect_sql("SELECT failing_since IS NOT NULL FROM webhook_endpoint "
		   "WHERE id = $1::uuid",
		   endpoint, "t");
	work_until(endpoint, event, "delivered");
	expect_sql("SELECT status || ' ' || attempts || ' ' || last_status_code"
		   " || ' ' || (delivered_at IS NOT NULL) FROM webhook_delivery"
		   " WHERE event_id = $1::uuid",
		   event, "delivered 2 200 true");
	expect_sql("SELECT failing_since IS NULL FROM webhook_endpoint WHERE "
		   "id = $1::uuid",
		   endpoint, "t");
	expect_sql("SELECT count(*) FROM webhook_delivery WHERE event_id = "
		   "$1::uuid",
		   other, "0");
	assert_int_equal(received("/retry", ids, 8, &bad), 2);
	assert_int_equal(bad, 0);
	assert_string_equal(ids[0], event);
	assert_string_equal(ids[1], event);
}

static void
test_an_endpoint_gets_its_events_in_order(void **state)
{
	char *types[] = {"*"};
	char endpoint[64], e1[64], e2[64], e3[64], ids[8][64];
	int bad = 0;

	(void)state;
	create_endpoint("/order", types, 1, endpoint);
	test_fake_flw_mode("/order", "status:503", 2);
	store_event("withdrawal.requested", "{}", e1);
	store_event("withdrawal.approved", "{}", e2);
	store_event("withdrawal.paid", "{}", e3);
	/* While the first fails, the later ones wait. */
	assert_int_equal(work(), 1);
	assert_int_equal(received("/order", ids, 8, &bad), 1);
	work_until(endpoint, e3, "delivered");
	assert_int_equal(received("/order", ids, 8, &bad), 5);
	assert_int_equal(bad, 0);
	assert_string_equal(ids[0], e1);
	assert_string_equal(ids[1], e1);
	assert_string_equal(ids[2], e1);
	assert_string_equal(ids[3], e2);
	assert_string_equal(ids[4], e3);
}

static void
test_dead_after_the_window_then_redelivered(void **state)
{
	Kolo__Events__V1__ListWebhookDeliveriesRequest lreq =
		KOLO__EVENTS__V1__LIST_WEBHOOK_DELIVERIES_REQUEST__INIT;
	Kolo__Events__V1__ListWebhookDeliveriesResponse *lresp = NULL;
	Kolo__Events__V1__RedeliverWebhookDeliveryRequest rreq =
		KOLO__EVENTS__V1__REDELIVER_WEBHOOK_DELIVERY_REQUEST__INIT;
	Kolo__Events__V1__RedeliverWebhookDeliveryResponse *rresp = NULL;
	char *types[] = {"proposal.opened"};
	char endpoint[64], event[64], later[64], ids[32][64];
	int bad = 0;

	(void)state;
	create_endpoint("/dead", types, 1, endpoint);
	test_fake_flw_mode("/dead", "status:500", 0);
	store_event("proposal.opened", "{}", event);
	work_until(endpoint, event, "dead");
	lreq.group_id = group_id;
	lreq.webhook_id = endpoint;
	lreq.status = "dead";
	assert_int_equal(call("ListWebhookDeliveries", &lreq, &lresp, &treasurer), 0);
	assert_int_equal(lresp->n_deliveries, 1);
	assert_string_equal(lresp->deliveries[0]->event_id, event);
	assert_string_equal(lresp->deliveries[0]->event_type, "proposal.opened");
	assert_string_equal(lresp->deliveries[0]->status, "dead");
	assert_true(lresp->deliveries[0]->attempts >= 3);
	assert_int_equal(lresp->deliveries[0]->last_status_code, 500);
	assert_string_equal(lresp->deliveries[0]->last_error, "answered 500");
	/* A dead delivery no longer holds back the next event. */
	test_fake_flw_mode("/dead", "ok", 0);
	store_event("proposal.opened", "{}", later);
	work_until(endpoint, later, "delivered");
	/* Re-sent on an officer's word: pending, then delivered. */
	rreq.group_id = group_id;
	rreq.webhook_id = endpoint;
	rreq.delivery_id = lresp->deliveries[0]->id;
	assert_int_equal(call("RedeliverWebhookDelivery", &rreq, &rresp, &owner), 0);
	assert_string_equal(rresp->delivery->status, "pending");
	work_until(endpoint, event, "delivered");
	assert_int_equal(call("RedeliverWebhookDelivery", &rreq, &rresp, &owner),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "delivery_not_dead");
	assert_int_equal(call("RedeliverWebhookDelivery", &rreq, &rresp, &member),
			 ERR_PERMISSION_DENIED);
	rreq.delivery_id = "00000000-0000-4000-8000-000000000000";
	assert_int_equal(call("RedeliverWebhookDelivery", &rreq, &rresp, &owner), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "delivery_not_found");
	{
		size_t n = received("/dead", ids, 32, &bad);

		assert_int_equal(bad, 0);
		assert_string_equal(ids[n - 1], event);
	}
}

static void
test_failing_for_the_pause_time_pauses_and_tells_officers(void **state)
{
	Kolo__Events__V1__ResumeWebhookRequest req = KOLO__EVENTS__V1__RESUME_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__ResumeWebhookResponse *resp = NULL;
	char *types[] = {"member.added"};
	char endpoint[64], event[64];
	int attempts_paused;
	char *v;

	(void)state;
	configure(60 * 1000, 300); /* paused after 300 ms of failures */
	create_endpoint("/pause", types, 1, endpoint);
	test_fake_flw_mode("/pause", "timeout", 0);
	store_event("member.added", "{}", event);
	for (int i = 0; i < 100; i++) {
		v = sql_value("SELECT status FROM webhook_endpoint WHERE id = "
			      "$1::uuid",
			      endpoint);
		if (strcmp(v, "paused") == 0) {
			free(v);
			break;
		}
		free(v);
		(void)work();
		usleep(25 * 1000);
	}
	expect_sql("SELECT status || ' ' || (paused_at IS NOT NULL) FROM "
		   "webhook_endpoint"
		   " WHERE id = $1::uuid",
		   endpoint, "paused true");
	/* The officers are told through kolo-events' own event. */
	expect_sql("SELECT source || ' ' || (group_id = (SELECT group_id FROM "
		   "webhook_endpoint"
		   " WHERE id = $1::uuid)) FROM events_event WHERE type = "
		   "'webhook.paused'"
		   " AND data->>'webhook_id' = $1::text",
		   endpoint, "events true");
	expect_sql("SELECT count(*) FROM events_event WHERE type = "
		   "'webhook.paused'"
		   " AND data->>'webhook_id' = $1",
		   endpoint, "1");
	/* It names the endpoint's host only: its path (or query) may hold the
	 * partner's own secret, and the officers get it by email and SMS. */
	expect_sql("SELECT (data->>'host') || ' ' || (data ? 'url') || ' ' ||"
		   " (strpos(data::text, '/pause') > 0) FROM events_event WHERE"
		   " type = 'webhook.paused' AND data->>'webhook_id' = $1",
		   endpoint, "127.0.0.1 false false");
	/* Nothing is sent while paused. */
	v = sql_value("SELECT attempts FROM webhook_delivery WHERE event_id = "
		      "$1::uuid",
		      event);
	attempts_paused = atoi(v);
	free(v);
	for (int i = 0; i < 4; i++) {
		(void)work();
		usleep(30 * 1000);
	}
	v = sql_value("SELECT attempts FROM webhook_delivery WHERE event_id = "
		      "$1::uuid",
		      event);
	assert_int_equal(atoi(v), attempts_paused);
	free(v);
	/* Resumed, it sends what waited. */
	configure(60 * 1000, 3600 * 1000);
	test_fake_flw_mode("/pause", "ok", 0);
	req.group_id = group_id;
	req.webhook_id = endpoint;
	assert_int_equal(call("ResumeWebhook", &req, &resp, &treasurer), 0);
	assert_string_equal(resp->webhook->status, "active");
	assert_string_equal(resp->webhook->failing_since, "");
	work_until(endpoint, event, "delivered");
}

/* Endpoints that never answer hold a worker for the whole timeout each: the
 * claims of its batch that its lease no longer covers are given back
 * unsent (free for any worker now, their attempt not counted) rather than
 * sent after their lease ran out, when another worker may have claimed and
 * sent them, and their endpoint's later events, already. */
static void
test_a_slow_batch_gives_back_what_its_lease_cannot_cover(void **state)
{
	char *types[] = {"*"};
	char endpoints[4][64], path[32], event[64];
	int attempts = 0;

	(void)state;
	/* The group's other endpoints out of the way (at most 10). */
	PQclear(PQexec(w.admin, "UPDATE webhook_endpoint SET status = 'deleted'"));
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/slow%d", i);
		create_endpoint(path, types, 1, endpoints[i]);
		test_fake_flw_mode(path, "timeout", 1);
	}
	store_event("deposit.credited", "{\"amount_kobo\": 100}", event);
	/* Timeout 2 s, lease 7 s: two sends fit, the rest go back. */
	assert_int_equal(whk_work_once(&attempts), 0);
	assert_int_equal(attempts, 2);
	expect_sql("SELECT count(*) FROM webhook_delivery WHERE event_id = $1::uuid"
		   " AND attempts = 1 AND status = 'pending'",
		   event, "2");
	expect_sql("SELECT count(*) FROM webhook_delivery WHERE event_id = $1::uuid"
		   " AND attempts = 0 AND lease_until IS NULL"
		   " AND first_attempt_at IS NULL AND status = 'pending'",
		   event, "2");
	PQclear(PQexec(w.admin, "UPDATE webhook_endpoint SET status = 'deleted'"));
}

/* A retried CreateWebhook with its key: the same endpoint and secret, one
 * row; the secret is in no idempotency row; another request under the
 * key is refused. */
static void
test_create_with_a_key_twice_makes_one_endpoint(void **state)
{
	Kolo__Events__V1__CreateWebhookRequest req = KOLO__EVENTS__V1__CREATE_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__CreateWebhookResponse *first = NULL, *again = NULL;
	char *types[] = {"deposit.credited"};
	char first_secret[WHK_SECRET_MAX];
	long endpoints = count_rows("webhook_endpoint");
	char *stored;

	(void)state;
	req.group_id = group_id;
	req.url = url_of("/keyed");
	req.events = types;
	req.n_events = 1;
	req.request_id = "hook-1";
	assert_int_equal(call("CreateWebhook", &req, &first, &owner), 0);
	snprintf(first_secret, sizeof(first_secret), "%s", first->secret);
	assert_int_equal(call("CreateWebhook", &req, &again, &owner), 0);
	assert_string_equal(again->id, first->id);
	assert_string_equal(again->webhook->id, first->webhook->id);
	assert_string_equal(again->secret, first_secret);
	assert_int_equal(count_rows("webhook_endpoint"), endpoints + 1);
	assert_int_equal(count_rows("events_idempotency"), 1);
	stored = sql_value("SELECT encode(response, 'escape') FROM events_idempotency"
			   " WHERE request_id = $1",
			   "hook-1");
	assert_null(strstr(stored, first_secret + 6));
	free(stored);

	/* The key with another URL: refused, nothing stored. */
	req.url = url_of("/keyed-other");
	assert_int_equal(call("CreateWebhook", &req, &again, &owner), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "request_id_reused");
	assert_int_equal(count_rows("webhook_endpoint"), endpoints + 1);
	req.request_id = "\x7f";
	assert_int_equal(call("CreateWebhook", &req, &again, &owner), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_request_id");
	assert_int_equal(count_rows("webhook_endpoint"), endpoints + 1);
}

#define HOOK_RACERS 5

typedef struct hook_race {
	int rc;
	char id[64];
} hook_race;

static void *
hook_racer(void *arg)
{
	hook_race *r = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Events__V1__CreateWebhookRequest req = KOLO__EVENTS__V1__CREATE_WEBHOOK_REQUEST__INIT;
	Kolo__Events__V1__CreateWebhookResponse *resp = NULL;
	char *types[] = {"deposit.credited"};
	test_caller who = {.access_token = owner.access_token};

	req.group_id = group_id;
	req.url = url_of("/raced");
	req.events = types;
	req.n_events = 1;
	req.request_id = "hook-race";
	r->rc = test_call(&events, "CreateWebhook", &req.base, (ProtobufCMessage **)&resp, a, &who);
	if (r->rc == 0)
		snprintf(r->id, sizeof(r->id), "%s", resp->id);
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

/* Concurrent first calls with one key: one endpoint, every caller gets it. */
static void
test_concurrent_creates_with_one_key_make_one_endpoint(void **state)
{
	pthread_t threads[HOOK_RACERS];
	hook_race races[HOOK_RACERS];
	long endpoints = count_rows("webhook_endpoint");

	(void)state;
	for (int i = 0; i < HOOK_RACERS; i++) {
		races[i] = (hook_race){.rc = -1};
		pthread_create(&threads[i], NULL, hook_racer, &races[i]);
	}
	for (int i = 0; i < HOOK_RACERS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < HOOK_RACERS; i++) {
		assert_int_equal(races[i].rc, 0);
		assert_string_equal(races[i].id, races[0].id);
	}
	assert_int_equal(count_rows("webhook_endpoint"), endpoints + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_officer_creates_an_endpoint_and_sees_its_secret_once),
		cmocka_unit_test(test_bad_input_and_non_officers_are_refused_with_nothing_stored),
		cmocka_unit_test(test_a_500_is_retried_then_delivered_signed),
		cmocka_unit_test(test_an_endpoint_gets_its_events_in_order),
		cmocka_unit_test(test_dead_after_the_window_then_redelivered),
		cmocka_unit_test(test_failing_for_the_pause_time_pauses_and_tells_officers),
		cmocka_unit_test(test_a_slow_batch_gives_back_what_its_lease_cannot_cover),
		cmocka_unit_test(test_create_with_a_key_twice_makes_one_endpoint),
		cmocka_unit_test(test_concurrent_creates_with_one_key_make_one_endpoint),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
