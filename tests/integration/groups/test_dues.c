/* Dues (DESIGN §15) over real gRPC and PostgreSQL: CreateDues validation
 * (nothing stored on bad input), roles, idempotency; WaiveDues (PIN, due
 * days, repeats); GetDuesStatus and GetMemberStatement from contributions
 * the ledger credits to members; the public_dues switch. The world's
 * services run in this process; the ledger invariant is checked after
 * each test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dues.h"
#include "err/err.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "test_world.h"

static test_world w;

static int
call(const char *method, const void *req, void *resp, const test_user *as)
{
	return test_world_call(&w, &w.groups, method, req, resp, as);
}

static long
count_dues(const char *group)
{
	return test_pg_longf(w.admin, "SELECT count(*) FROM group_dues WHERE group_id = '%s'",
			     group);
}

static long
count_waivers(const char *group)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM dues_waiver v JOIN group_dues d"
			     " ON d.id = v.dues_id WHERE d.group_id = '%s'",
			     group);
}

typedef struct dues_in {
	const char *name, *kind, *period, *starts_on, *ends_on, *key;
	int64_t amount;
} dues_in;

static int
create_dues(const char *group, const test_user *as, const dues_in *d, Kolo__Groups__V1__Dues **out)
{
	Kolo__Groups__V1__CreateDuesRequest req = KOLO__GROUPS__V1__CREATE_DUES_REQUEST__INIT;
	Kolo__Groups__V1__CreateDuesResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group;
	req.name = (char *)(d->name ? d->name : "Monthly dues");
	req.kind = (char *)(d->kind ? d->kind : "");
	req.amount_kobo = d->amount;
	req.period = (char *)(d->period ? d->period : "monthly");
	req.starts_on = (char *)(d->starts_on ? d->starts_on : "2026-01-31");
	req.ends_on = (char *)(d->ends_on ? d->ends_on : "");
	req.request_id = (char *)(d->key ? d->key : "");
	rc = call("CreateDues", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->dues : NULL;
	return rc;
}

static int
waive(const char *group, const test_user *as, const char *dues_id, const test_user *who,
      const char *due_on, const char *reason, const char *pin)
{
	Kolo__Groups__V1__WaiveDuesRequest req = KOLO__GROUPS__V1__WAIVE_DUES_REQUEST__INIT;
	Kolo__Groups__V1__WaiveDuesResponse *resp = NULL;

	req.group_id = (char *)group;
	req.dues_id = (char *)dues_id;
	req.user_id = (char *)who->id;
	req.due_on = (char *)due_on;
	req.reason = (char *)reason;
	req.pin = (char *)pin;
	return call("WaiveDues", &req, &resp, as);
}

static void
expect_refused(int rc, int code, const char *reason)
{
	assert_int_equal(rc, code);
	assert_string_equal(err_last()->reason, reason);
}

static void
test_create_dues_bad_input_stores_nothing(void **state)
{
	test_team t;
	static const struct {
		dues_in in;
		const char *reason;
	} bad[] = {
		{{.amount = 0}, "invalid_dues_amount"},
		{{.amount = -5}, "invalid_dues_amount"},
		{{.amount = 25000000001LL}, "invalid_dues_amount"},
		{{.amount = 100, .period = "yearly"}, "invalid_period"},
		{{.amount = 100, .period = ""}, "invalid_period"},
		{{.amount = 100, .kind = "levy", .period = "monthly"}, "invalid_period"},
		{{.amount = 100, .kind = "fine"}, "invalid_dues_kind"},
		{{.amount = 100, .starts_on = "2026-02-30"}, "invalid_date"},
		{{.amount = 100, .starts_on = "2100-02-29"}, "invalid_date"},
		{{.amount = 100, .starts_on = "31/01/2026"}, "invalid_date"},
		{{.amount = 100, .ends_on = "2026-13-01"}, "invalid_date"},
		{{.amount = 100, .ends_on = "2026-01-30"}, "dues_period_order"},
		{{.amount = 100, .name = " "}, "invalid_name"},
	};

	(void)state;
	test_world_team(&w, &t, "dues-bad", "Dues bad input", TEST_TEAM_PINS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_refused(create_dues(t.group, &t.treasurer, &bad[i].in, NULL),
			       ERR_INVALID_ARGUMENT, bad[i].reason);
	}
	assert_int_equal(count_dues(t.group), 0);
	/* The boundary values are fine; ends_on may equal starts_on. */
	assert_int_equal(create_dues(t.group, &t.treasurer,
				     &(dues_in){.amount = 25000000000LL, .ends_on = "2026-01-31"},
				     NULL),
			 0);
	assert_int_equal(create_dues(t.group, &t.treasurer,
				     &(dues_in){.amount = 1,
						.kind = "levy",
						.period = "once",
						.name = "Hall levy"},
				     NULL),
			 0);
	assert_int_equal(count_dues(t.group), 2);
	/* Names count characters, as the column does: 120 accented letters
	 * (240 bytes) are fine, 121 are not. */
	{
		char name[2 * 121 + 1] = "";

		for (int i = 0; i < 121; i++)
			strcat(name, "\xc3\xa9");
		expect_refused(
			create_dues(t.group, &t.owner, &(dues_in){.amount = 5, .name = name}, NULL),
			ERR_INVALID_ARGUMENT, "invalid_name");
		name[2 * 120] = '\0';
		assert_int_equal(
			create_dues(t.group, &t.owner, &(dues_in){.amount = 5, .name = name}, NULL),
			0);
	}
	assert_int_equal(count_dues(t.group), 3);
}

static void
test_dues_roles_and_idempotency(void **state)
{
	test_team t;
	test_user stranger;
	Kolo__Groups__V1__Dues *d = NULL, *again = NULL;
	Kolo__Groups__V1__ListDuesRequest list = KOLO__GROUPS__V1__LIST_DUES_REQUEST__INIT;
	Kolo__Groups__V1__ListDuesResponse *listed = NULL;
	dues_in in = {.amount = 500000,
		      .period = "weekly",
		      .starts_on = "2026-12-31",
		      .key = "dues-key-1"};

	(void)state;
	test_world_team(&w, &t, "dues-roles", "Dues roles", TEST_TEAM_PINS);
	test_identity_user(&w.identity, &stranger, "dues-stranger");
	expect_refused(create_dues(t.group, &t.member, &in, NULL), ERR_PERMISSION_DENIED,
		       "officer_only");
	expect_refused(create_dues(t.group, &stranger, &in, NULL), ERR_NOT_FOUND,
		       "group_not_found");
	assert_int_equal(count_dues(t.group), 0);
	assert_int_equal(create_dues(t.group, &t.treasurer, &in, &d), 0);
	assert_string_equal(d->period, "weekly");
	assert_string_equal(d->kind, "dues");
	assert_string_equal(d->starts_on, "2026-12-31");
	assert_string_equal(d->ends_on, "");
	assert_string_equal(d->created_by, t.treasurer.id);
	/* The same key and request: the same dues, stored once. */
	assert_int_equal(create_dues(t.group, &t.treasurer, &in, &again), 0);
	assert_string_equal(again->id, d->id);
	assert_int_equal(count_dues(t.group), 1);
	in.amount = 1;
	expect_refused(create_dues(t.group, &t.treasurer, &in, NULL), ERR_ALREADY_EXISTS,
		       "request_id_reused");
	list.group_id = t.group;
	assert_int_equal(call("ListDues", &list, &listed, &t.member), 0);
	assert_int_equal(listed->n_dues, 1);
	assert_string_equal(listed->dues[0]->id, d->id);
	assert_int_equal(listed->dues[0]->amount_kobo, 500000);
	expect_refused(call("ListDues", &list, &listed, &stranger), ERR_NOT_FOUND,
		       "group_not_found");
}

static void
test_waive_dues_pin_days_and_repeats(void **state)
{
	test_team t;
	test_user stranger;
	Kolo__Groups__V1__Dues *d = NULL;

	(void)state;
	test_world_team(&w, &t, "dues-waive", "Dues waivers",
			TEST_TEAM_PINS | TEST_TEAM_MEMBER_PIN);
	test_identity_user(&w.identity, &stranger, "dues-waive-stranger");
	assert_int_equal(create_dues(t.group, &t.owner,
				     &(dues_in){.amount = 1000, .starts_on = "2026-01-31"}, &d),
			 0);
	expect_refused(
		waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-28", "sick", "999999"),
		ERR_PERMISSION_DENIED, "pin_incorrect");
	expect_refused(waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-28", "sick", ""),
		       ERR_INVALID_ARGUMENT, "missing_pin");
	expect_refused(waive(t.group, &t.member, d->id, &t.member, "2026-02-28", "sick", TEST_PIN),
		       ERR_PERMISSION_DENIED, "officer_only");
	expect_refused(
		waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-27", "sick", TEST_PIN),
		ERR_INVALID_ARGUMENT, "not_a_due_day");
	expect_refused(
		waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-29", "sick", TEST_PIN),
		ERR_INVALID_ARGUMENT, "invalid_date");
	expect_refused(waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-28", "", TEST_PIN),
		       ERR_INVALID_ARGUMENT, "invalid_reason");
	expect_refused(
		waive(t.group, &t.treasurer, d->id, &stranger, "2026-02-28", "sick", TEST_PIN),
		ERR_NOT_FOUND, "member_not_found");
	expect_refused(
		waive(t.group, &t.treasurer, t.group, &t.member, "2026-02-28", "sick", TEST_PIN),
		ERR_NOT_FOUND, "dues_not_found");
	assert_int_equal(count_waivers(t.group), 0);
	/* The month's last day is the due day of a dues on the 31st. */
	assert_int_equal(waive(t.group, &t.treasurer, d->id, &t.member, "2026-02-28", "in hospital",
			       TEST_PIN),
			 0);
	expect_refused(waive(t.group, &t.owner, d->id, &t.member, "2026-02-28", "again", TEST_PIN),
		       ERR_ALREADY_EXISTS, "already_waived");
	assert_int_equal(
		waive(t.group, &t.owner, d->id, &t.member, "", "founding member", TEST_PIN), 0);
	expect_refused(waive(t.group, &t.owner, d->id, &t.member, "", "again", TEST_PIN),
		       ERR_ALREADY_EXISTS, "already_waived");
	assert_int_equal(count_waivers(t.group), 2);
	/* With a request_id a retry replays the waiver; the key with another
	 * request is refused; nothing more is stored. */
	{
		Kolo__Groups__V1__WaiveDuesRequest req = KOLO__GROUPS__V1__WAIVE_DUES_REQUEST__INIT;
		Kolo__Groups__V1__WaiveDuesResponse *first = NULL, *again = NULL;

		req.group_id = t.group;
		req.dues_id = d->id;
		req.user_id = t.treasurer.id;
		req.due_on = "2026-03-31";
		req.reason = "away";
		req.pin = TEST_PIN;
		req.request_id = "waive-key-1";
		assert_int_equal(call("WaiveDues", &req, &first, &t.owner), 0);
		assert_int_equal(call("WaiveDues", &req, &again, &t.owner), 0);
		assert_string_equal(again->waiver->id, first->waiver->id);
		assert_string_equal(first->waiver->due_on, "2026-03-31");
		req.due_on = "2026-04-30";
		expect_refused(call("WaiveDues", &req, &again, &t.owner), ERR_ALREADY_EXISTS,
			       "request_id_reused");
		assert_int_equal(count_waivers(t.group), 3);
	}
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM dues_waiver WHERE user_id = '%s'"
				       " AND waived_by = '%s' AND due_on = '2026-02-28'"
				       " AND reason = 'in hospital'",
				       t.member.id, t.treasurer.id),
			 1);
}

/* A CREDIT of kobo into group, credited to member who (NULL: nobody);
 * with reverses, the DEBIT reversing that deposit (a chargeback). */
static void
post(const char *group, const test_user *who, int64_t kobo, const char *ref, const char *reverses)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	char account[64];

	test_world_account(&w, group, account);
	req.group_id = (char *)group;
	req.account_id = account;
	req.user_id = (char *)(who ? who->id : "");
	req.type = reverses ? KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT
			    : KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	req.amount_kobo = kobo;
	req.source = "demo";
	req.reference = (char *)ref;
	req.reverses_reference = (char *)(reverses ? reverses : "");
	req.simulated = 1;
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL), 0);
}

static void
deposit(const char *group, const test_user *who, int64_t kobo, const char *ref)
{
	post(group, who, kobo, ref, NULL);
}

/* id in upper case (the same uuid to PostgreSQL). */
static char *
upper(const char *id, char out[64])
{
	size_t i = 0;

	for (; id[i] && i < 63; i++)
		out[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
	out[i] = '\0';
	return out;
}

static void
day_text(grp_day d, char out[11])
{
	grp_day_format(d, out);
}

static const Kolo__Groups__V1__MemberDuesStatus *
status_of(const Kolo__Groups__V1__GetDuesStatusResponse *r, const test_user *u)
{
	for (size_t i = 0; i < r->n_members; i++) {
		if (strcmp(r->members[i]->user_id, u->id) == 0)
			return r->members[i];
	}
	fail_msg("no status for %s", u->id);
	return NULL;
}

static void
test_status_and_statement_from_contributions(void **state)
{
	test_team t;
	test_user stranger;
	grp_day today = grp_day_wat((int64_t)time(NULL));
	char starts[11], middle[11], now[11], before[11], ahead[11], too_far[11], loud[64];
	Kolo__Groups__V1__Dues *d = NULL;
	Kolo__Groups__V1__GetDuesStatusRequest sreq =
		KOLO__GROUPS__V1__GET_DUES_STATUS_REQUEST__INIT;
	Kolo__Groups__V1__GetDuesStatusResponse *st = NULL;
	Kolo__Groups__V1__GetMemberStatementRequest mreq =
		KOLO__GROUPS__V1__GET_MEMBER_STATEMENT_REQUEST__INIT;
	Kolo__Groups__V1__GetMemberStatementResponse *stmt = NULL;

	(void)state;
	test_world_team(&w, &t, "dues-status", "Dues status", TEST_TEAM_PINS);
	test_identity_user(&w.identity, &stranger, "dues-status-stranger");
	/* Everyone joined a month ago (WAT), the weekly dues started two
	 * weeks ago: three periods are due today. */
	test_pg_ok(w.admin, "SET TIME ZONE 'UTC'");
	free(test_pg_valuef(w.admin,
			    "UPDATE group_membership SET joined_at = now() AT TIME ZONE "
			    "'UTC'"
			    " - interval '30 days' WHERE group_id = '%s' RETURNING 1",
			    t.group));
	day_text(today - 14, starts);
	day_text(today - 7, middle);
	day_text(today, now);
	day_text(today - 8, before);
	day_text(today + 366, ahead);
	day_text(today + 367, too_far);
	assert_int_equal(
		create_dues(t.group, &t.owner,
			    &(dues_in){.amount = 1000, .period = "weekly", .starts_on = starts},
			    &d),
		0);
	assert_int_equal(waive(t.group, &t.owner, d->id, &t.member, middle, "travelling", TEST_PIN),
			 0);
	deposit(t.group, &t.owner, 3000, "dues-status-owner");
	deposit(t.group, &t.treasurer, 1000, "dues-status-treasurer");
	deposit(t.group, NULL, 700, "dues-status-unknown");

	sreq.group_id = t.group;
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.treasurer), 0);
	assert_string_equal(st->as_of, now);
	assert_int_equal(st->n_members, 3);
	assert_int_equal(st->attributed_kobo, 4000);
	assert_int_equal(st->unallocated_kobo, 700);
	assert_int_equal(status_of(st, &t.owner)->owed_kobo, 3000);
	assert_int_equal(status_of(st, &t.owner)->arrears_kobo, 0);
	assert_int_equal(status_of(st, &t.owner)->paid_kobo, 3000);
	assert_string_not_equal(status_of(st, &t.owner)->last_paid_at, "");
	assert_int_equal(status_of(st, &t.treasurer)->arrears_kobo, 2000);
	assert_int_equal(status_of(st, &t.member)->owed_kobo, 2000);
	assert_int_equal(status_of(st, &t.member)->waived_kobo, 1000);
	assert_int_equal(status_of(st, &t.member)->arrears_kobo, 2000);
	assert_string_equal(status_of(st, &t.member)->last_paid_at, "");
	assert_string_not_equal(status_of(st, &t.member)->name, "");
	/* A MEMBER sees their own standing only, and the group's totals. */
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.member), 0);
	assert_int_equal(st->n_members, 1);
	assert_string_equal(st->members[0]->user_id, t.member.id);
	assert_int_equal(st->members[0]->arrears_kobo, 2000);
	assert_int_equal(st->attributed_kobo, 4000);
	assert_int_equal(st->unallocated_kobo, 700);
	/* The arrears CSV's call: officers only. */
	sreq.officers_only = 1;
	expect_refused(call("GetDuesStatus", &sreq, &st, &t.member), ERR_PERMISSION_DENIED,
		       "officer_only");
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.treasurer), 0);
	assert_int_equal(st->n_members, 3);
	sreq.officers_only = 0;
	/* As of a day before the second period: one due, nothing paid yet. */
	sreq.as_of = before;
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.owner), 0);
	assert_int_equal(status_of(st, &t.owner)->owed_kobo, 1000);
	assert_int_equal(status_of(st, &t.owner)->paid_kobo, 0);
	assert_int_equal(status_of(st, &t.owner)->arrears_kobo, 1000);
	assert_int_equal(st->attributed_kobo, 0);
	sreq.as_of = "2026-02-30";
	expect_refused(call("GetDuesStatus", &sreq, &st, &t.member), ERR_INVALID_ARGUMENT,
		       "invalid_date");
	/* At most a year ahead: every member's periods are counted to it. */
	sreq.as_of = ahead;
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.owner), 0);
	assert_string_equal(st->as_of, ahead);
	sreq.as_of = too_far;
	expect_refused(call("GetDuesStatus", &sreq, &st, &t.owner), ERR_INVALID_ARGUMENT,
		       "as_of_too_late");
	assert_string_equal(err_meta_get(err_last(), "field"), "as_of");
	sreq.as_of = "9999-12-31";
	expect_refused(call("GetDuesStatus", &sreq, &st, NULL), ERR_INVALID_ARGUMENT,
		       "as_of_too_late");
	sreq.as_of = "";
	expect_refused(call("GetDuesStatus", &sreq, &st, &stranger), ERR_NOT_FOUND,
		       "group_not_found");
	/* The gateway's public page: the service token reads any group's. */
	assert_int_equal(call("GetDuesStatus", &sreq, &st, NULL), 0);
	assert_int_equal(st->n_members, 3);

	/* The treasurer's statement: three dues, then today's deposit; the
	 * oldest period is settled today. */
	mreq.group_id = t.group;
	mreq.user_id = t.treasurer.id;
	assert_int_equal(call("GetMemberStatement", &mreq, &stmt, &t.treasurer), 0);
	assert_int_equal(stmt->n_lines, 4);
	assert_string_equal(stmt->lines[0]->kind, "due");
	assert_string_equal(stmt->lines[0]->date, starts);
	assert_string_equal(stmt->lines[0]->dues_id, d->id);
	assert_string_equal(stmt->lines[0]->settled_on, now);
	assert_string_equal(stmt->lines[1]->settled_on, "");
	assert_int_equal(stmt->lines[2]->balance_kobo, 3000);
	assert_string_equal(stmt->lines[3]->kind, "contribution");
	assert_int_equal(stmt->lines[3]->amount_kobo, -1000);
	assert_int_equal(stmt->lines[3]->balance_kobo, 2000);
	assert_int_equal(stmt->status->arrears_kobo, 2000);
	/* The member's: the waived period shows as a due and its waiver. */
	mreq.user_id = t.member.id;
	assert_int_equal(call("GetMemberStatement", &mreq, &stmt, &t.owner), 0);
	assert_int_equal(stmt->n_lines, 4);
	assert_string_equal(stmt->lines[2]->kind, "waiver");
	assert_int_equal(stmt->lines[2]->amount_kobo, -1000);
	assert_int_equal(stmt->lines[3]->balance_kobo, 2000);
	/* A member reads only their own; a stranger is told of no group. */
	mreq.user_id = t.owner.id;
	expect_refused(call("GetMemberStatement", &mreq, &stmt, &t.member), ERR_PERMISSION_DENIED,
		       "officer_only");
	expect_refused(call("GetMemberStatement", &mreq, &stmt, &stranger), ERR_NOT_FOUND,
		       "group_not_found");
	mreq.user_id = stranger.id;
	expect_refused(call("GetMemberStatement", &mreq, &stmt, &t.owner), ERR_NOT_FOUND,
		       "member_not_found");
	/* An id in upper case is the same user: the member's own, and an
	 * officer's read of it with the member's waiver. */
	mreq.user_id = upper(t.member.id, loud);
	assert_string_not_equal(loud, t.member.id);
	assert_int_equal(call("GetMemberStatement", &mreq, &stmt, &t.member), 0);
	assert_string_equal(stmt->status->user_id, t.member.id);
	assert_int_equal(call("GetMemberStatement", &mreq, &stmt, &t.owner), 0);
	assert_int_equal(stmt->n_lines, 4);
	assert_string_equal(stmt->lines[2]->kind, "waiver");
	assert_int_equal(stmt->status->waived_kobo, 1000);
	mreq.as_of = "9999-12-31";
	expect_refused(call("GetMemberStatement", &mreq, &stmt, &t.owner), ERR_INVALID_ARGUMENT,
		       "as_of_too_late");
	mreq.as_of = "";

	/* A deposit reversed (a chargeback) is no payment: the member's
	 * last_paid_at stays empty. */
	deposit(t.group, &t.member, 1000, "dues-status-member");
	post(t.group, NULL, 1000, "chargeback:dues-status-member", "dues-status-member");
	sreq.as_of = "";
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.member), 0);
	assert_int_equal(st->members[0]->paid_kobo, 0);
	assert_string_equal(st->members[0]->last_paid_at, "");
	mreq.user_id = t.member.id;
	assert_int_equal(call("GetMemberStatement", &mreq, &stmt, &t.member), 0);
	assert_int_equal(stmt->n_lines, 6);
	assert_string_equal(stmt->lines[5]->kind, "reversal");
	assert_string_equal(stmt->status->last_paid_at, "");
	/* The owner's deposit stands: their last payment is it. */
	assert_int_equal(call("GetDuesStatus", &sreq, &st, &t.owner), 0);
	assert_string_not_equal(status_of(st, &t.owner)->last_paid_at, "");
}

static void
test_public_dues_switch_is_owner_only(void **state)
{
	test_team t;
	Kolo__Groups__V1__UpdateGroupRequest req = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *resp = NULL;
	Kolo__Groups__V1__RotatePublicTokenRequest rot =
		KOLO__GROUPS__V1__ROTATE_PUBLIC_TOKEN_REQUEST__INIT;
	Kolo__Groups__V1__RotatePublicTokenResponse *token = NULL;
	Kolo__Groups__V1__ResolvePublicTokenRequest res =
		KOLO__GROUPS__V1__RESOLVE_PUBLIC_TOKEN_REQUEST__INIT;
	Kolo__Groups__V1__ResolvePublicTokenResponse *resolved = NULL;

	(void)state;
	test_world_team(&w, &t, "dues-public", "Dues public", TEST_TEAM_PINS);
	req.group_id = t.group;
	req.optional_public_dues_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_PUBLIC_DUES_PUBLIC_DUES;
	req.public_dues = 1;
	expect_refused(call("UpdateGroup", &req, &resp, &t.treasurer), ERR_PERMISSION_DENIED,
		       "owner_only");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM \"group\" WHERE id = '%s'"
				       " AND public_dues",
				       t.group),
			 0);
	assert_int_equal(call("UpdateGroup", &req, &resp, &t.owner), 0);
	assert_true(resp->group->public_dues);
	assert_null(resp->proposal);
	rot.group_id = t.group;
	assert_int_equal(call("RotatePublicToken", &rot, &token, &t.owner), 0);
	res.token = token->public_read_token;
	assert_int_equal(call("ResolvePublicToken", &res, &resolved, NULL), 0);
	assert_true(resolved->public_dues);
	req.public_dues = 0;
	assert_int_equal(call("UpdateGroup", &req, &resp, &t.owner), 0);
	assert_false(resp->group->public_dues);
	assert_int_equal(call("ResolvePublicToken", &res, &resolved, NULL), 0);
	assert_false(resolved->public_dues);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_dues_bad_input_stores_nothing,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_dues_roles_and_idempotency, test_world_check_ledger),
		cmocka_unit_test_teardown(test_waive_dues_pin_days_and_repeats,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_status_and_statement_from_contributions,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_public_dues_switch_is_owner_only,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
