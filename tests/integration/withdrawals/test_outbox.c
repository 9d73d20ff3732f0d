/* Events (DESIGN §16, docs/events.md): every service writes its events in
 * the transaction of the change, one per change, none for a replay or a
 * refusal; kolo-events alone reads them (ReadOutbox, oldest first) and
 * acks them (AckOutbox). Every service in this process over real gRPC
 * against a throwaway PostgreSQL, the demo provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "test_world.h"

#define PIN		TEST_PIN
#define GOOD_ACCOUNT	"0123456789"
#define FAILING_ACCOUNT "0000123456"
#define W_PENDING	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING
#define W_DECLINED	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_DECLINED
#define W_PAID		KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAID
#define W_PAYOUT_FAILED KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAYOUT_FAILED
#define W_CLOSED	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_CLOSED

static test_world w;

/* --- what the outboxes hold ------------------------------------------------- */

/* Events of type about group in table. */
static long
events(const char *table, const char *type, const char *group)
{
	char sql[320];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE type = '%s' AND group_id = '%s'",
		 table, type, group);
	return test_pg_long(w.admin, sql);
}

/* A column or expression (`data->>'x'`, `user_id::text`) of the newest
 * event of type about group in table (malloc'd; "" when none). */
static char *
newest(const char *table, const char *type, const char *group, const char *what)
{
	char sql[400];

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(%s, '') FROM %s WHERE type = '%s' AND group_id = '%s'"
		 " ORDER BY seq DESC LIMIT 1",
		 what, table, type, group);
	return test_pg_value(w.admin, sql);
}

static void
assert_newest(const char *table, const char *type, const char *group, const char *what,
	      const char *expected)
{
	char *got = newest(table, type, group, what);

	if (strcmp(got, expected) != 0)
		fail_msg("%s %s %s: \"%s\", expected \"%s\"", table, type, what, got, expected);
	free(got);
}

/* All events of a group in table, every type. */
static long
all_events(const char *table, const char *group)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE group_id = '%s'", table, group);
	return test_pg_long(w.admin, sql);
}

/* --- a team ------------------------------------------------------------------- */

typedef test_team team;

static int
deposit(const team *t, int64_t kobo)
{
	return test_world_deposit(&w, t->group, &t->owner, kobo);
}

static void
make_team(team *t, const char *tag, int64_t funds)
{
	test_world_team(&w, t, tag, "Events team", TEST_TEAM_PINS | TEST_TEAM_MEMBER_PIN);
	if (funds)
		assert_int_equal(deposit(t, funds), 0);
}

static int
request(const team *t, const test_user *as, int64_t kobo, const char *account, const char *pin,
	const char *key, Kolo__Withdrawals__V1__Withdrawal **out)
{
	return test_world_withdraw(&w, t->group, as, kobo, account, pin, key, out);
}

static int
act(const char *method, const char *id, const test_user *as, const char *pin,
    Kolo__Withdrawals__V1__Withdrawal **out)
{
	/* Approve, Decline and RetryPayout requests share their first fields. */
	Kolo__Withdrawals__V1__DeclineWithdrawalRequest decline =
		KOLO__WITHDRAWALS__V1__DECLINE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__ApproveWithdrawalRequest approve =
		KOLO__WITHDRAWALS__V1__APPROVE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__RetryPayoutRequest retry =
		KOLO__WITHDRAWALS__V1__RETRY_PAYOUT_REQUEST__INIT;
	Kolo__Withdrawals__V1__DeclineWithdrawalResponse *resp = NULL;
	const void *req;
	int rc;

	decline.withdrawal_id = approve.withdrawal_id = retry.withdrawal_id = (char *)id;
	decline.pin = approve.pin = retry.pin = (char *)pin;
	req = strcmp(method, "DeclineWithdrawal") == 0	 ? (const void *)&decline
	      : strcmp(method, "ApproveWithdrawal") == 0 ? (const void *)&approve
							 : (const void *)&retry;
	rc = test_world_call(&w, &w.withdrawals, method, req, &resp, as);
	if (rc == ERR_INTERNAL)
		print_message("%s: %s\n", method, err_last()->message);
	if (out)
		*out = rc == 0 ? resp->withdrawal : NULL;
	return rc;
}

#define WO "withdrawals_outbox"

/* --- withdrawals ------------------------------------------------------------------- */

static void
test_withdrawal_requested_approved_paid_once_each(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	char id[64];

	make_team(&t, "evt-story", 100000);
	assert_int_equal(all_events(WO, t.group), 0);
	assert_int_equal(request(&t, &t.owner, 40000, GOOD_ACCOUNT, PIN, "evt-story-1", &wd), 0);
	snprintf(id, sizeof(id), "%s", wd->id);
	assert_int_equal(events(WO, "withdrawal.requested", t.group), 1);
	assert_newest(WO, "withdrawal.requested", t.group, "user_id::text", t.owner.id);
	assert_newest(WO, "withdrawal.requested", t.group, "actor_id::text", t.owner.id);
	assert_newest(WO, "withdrawal.requested", t.group, "data->>'withdrawal_id'", id);
	assert_newest(WO, "withdrawal.requested", t.group, "data->>'amount_kobo'", "40000");
	assert_newest(WO, "withdrawal.requested", t.group, "data->>'reason'",
		      "Hall rent for December");
	assert_newest(WO, "withdrawal.requested", t.group, "data->'beneficiary'->>'account_last4'",
		      "6789");
	assert_newest(WO, "withdrawal.requested", t.group, "data->'beneficiary'->>'bank_code'",
		      "058");
	/* Never the whole account number. */
	assert_newest(WO, "withdrawal.requested", t.group, "(data::text LIKE '%0123456789%')::text",
		      "false");
	assert_newest(WO, "withdrawal.requested", t.group, "data->>'approvals_required'", "2");
	assert_newest(WO, "withdrawal.requested", t.group, "(data->>'expires_at' <> '')::text",
		      "true");
	/* The same key again: the original, and no second event. */
	assert_int_equal(request(&t, &t.owner, 40000, GOOD_ACCOUNT, PIN, "evt-story-1", NULL), 0);
	assert_int_equal(events(WO, "withdrawal.requested", t.group), 1);
	/* A wrong PIN or a member's request: refused, nothing written. */
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, "999999", NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(request(&t, &t.member, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(all_events(WO, t.group), 1);
	/* The second officer's approval completes it and it is paid. */
	assert_int_equal(act("ApproveWithdrawal", id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_int_equal(events(WO, "withdrawal.approved", t.group), 1);
	assert_newest(WO, "withdrawal.approved", t.group, "actor_id::text", t.treasurer.id);
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'approver'", t.treasurer.id);
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'approvals'", "2");
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'approvals_required'", "2");
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'complete'", "true");
	assert_int_equal(events(WO, "withdrawal.paid", t.group), 1);
	assert_newest(WO, "withdrawal.paid", t.group, "data->>'withdrawal_id'", id);
	assert_newest(WO, "withdrawal.paid", t.group, "data->>'payout_id'", done->payout->id);
	assert_newest(WO, "withdrawal.paid", t.group, "user_id::text", t.owner.id);
	/* Nothing more happens to it, and nothing more is told. */
	assert_int_equal(act("ApproveWithdrawal", id, &t.owner, PIN, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_int_equal(act("DeclineWithdrawal", id, &t.owner, PIN, NULL),
			 ERR_FAILED_PRECONDITION);
	test_world_withdrawals_pass(&w);
	assert_int_equal(all_events(WO, t.group), 3);
	/* In the order they happened. */
	assert_newest(WO, "withdrawal.paid", t.group,
		      "(seq > (SELECT max(seq) FROM " WO
		      " WHERE type = 'withdrawal.approved'))::text",
		      "true");
}

/* An approval short of the rule is told too (not complete); a second
 * approval by the same officer is refused and writes nothing. */
static void
test_withdrawal_approval_short_of_the_rule(void **state)
{
	team t;
	test_user third;
	Kolo__Groups__V1__UpdateGroupRequest up = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	Kolo__Groups__V1__AddMemberRequest add = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *added = NULL;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	const test_user *const officers[] = {&t.treasurer};
	const test_user *const two[] = {&t.treasurer, &third};

	make_team(&t, "evt-short", 100000);
	test_identity_user(&w.identity, &third, "evt-short-third");
	test_world_set_pin(&w, &third, PIN);
	add.group_id = t.group;
	add.email = third.email;
	add.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.owner), 0);
	test_world_pass(&w, added->proposal, officers, 1, PIN);
	/* Three of three. */
	up.group_id = t.group;
	up.optional_rule_template_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
	up.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM;
	up.optional_approvals_required_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_REQUIRED_APPROVALS_REQUIRED;
	up.approvals_required = 3;
	assert_int_equal(test_world_call(&w, &w.groups, "UpdateGroup", &up, &upd, &t.owner), 0);
	test_world_pass(&w, upd->proposal, two, 2, PIN);
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_newest(WO, "withdrawal.requested", t.group, "data->>'approvals_required'", "3");
	assert_int_equal(act("ApproveWithdrawal", wd->id, &t.treasurer, PIN, &wd), 0);
	assert_int_equal(wd->status, W_PENDING);
	assert_int_equal(events(WO, "withdrawal.approved", t.group), 1);
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'complete'", "false");
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'approvals'", "2");
	assert_int_equal(act("ApproveWithdrawal", wd->id, &t.treasurer, PIN, NULL),
			 ERR_ALREADY_EXISTS);
	assert_int_equal(events(WO, "withdrawal.approved", t.group), 1);
	assert_int_equal(act("ApproveWithdrawal", wd->id, &third, PIN, &wd), 0);
	assert_int_equal(wd->status, W_PAID);
	assert_int_equal(events(WO, "withdrawal.approved", t.group), 2);
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'complete'", "true");
	assert_int_equal(events(WO, "withdrawal.paid", t.group), 1);
}

static void
test_withdrawal_declined_cancelled_and_expired(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *a = NULL, *b = NULL, *c = NULL;

	make_team(&t, "evt-decline", 100000);
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, &a), 0);
	assert_int_equal(act("DeclineWithdrawal", a->id, &t.treasurer, "999999", NULL),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 0);
	assert_int_equal(act("DeclineWithdrawal", a->id, &t.treasurer, PIN, &a), 0);
	assert_int_equal(a->status, W_DECLINED);
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 1);
	assert_newest(WO, "withdrawal.declined", t.group, "actor_id::text", t.treasurer.id);
	assert_newest(WO, "withdrawal.declined", t.group, "data->>'by'", t.treasurer.id);
	assert_newest(WO, "withdrawal.declined", t.group, "data->>'reason'", "declined");
	/* A second decline is refused and tells nothing. */
	assert_int_equal(act("DeclineWithdrawal", a->id, &t.owner, PIN, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 1);
	/* The requester cancels. */
	assert_int_equal(request(&t, &t.owner, 2000, GOOD_ACCOUNT, PIN, NULL, &b), 0);
	assert_int_equal(act("DeclineWithdrawal", b->id, &t.owner, PIN, NULL), 0);
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 2);
	assert_newest(WO, "withdrawal.declined", t.group, "data->>'reason'",
		      "cancelled by the requester");
	/* Expiry: the sweeper declines it, once. */
	assert_int_equal(request(&t, &t.owner, 3000, GOOD_ACCOUNT, PIN, NULL, &c), 0);
	test_world_expire_withdrawal(&w, c->id);
	test_world_withdrawals_pass(&w);
	test_world_withdrawals_pass(&w);
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 3);
	assert_newest(WO, "withdrawal.declined", t.group, "data->>'withdrawal_id'", c->id);
	assert_newest(WO, "withdrawal.declined", t.group, "data->>'reason'", "expired");
	assert_newest(WO, "withdrawal.declined", t.group, "coalesce(actor_id::text, 'none')",
		      "none");
	assert_int_equal(events(WO, "withdrawal.closed", t.group), 0);
}

/* A payout that fails: withdrawal.failed; a retry that fails again: a
 * second approval (the rule is met) and a second failure; closing it:
 * withdrawal.closed; and one left failed expires closed. */
static void
test_withdrawal_failed_retried_and_closed(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL, *other = NULL;

	make_team(&t, "evt-fail", 30000);
	assert_int_equal(request(&t, &t.owner, 20000, FAILING_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(act("ApproveWithdrawal", wd->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	assert_int_equal(events(WO, "withdrawal.failed", t.group), 1);
	assert_newest(WO, "withdrawal.failed", t.group, "data->>'withdrawal_id'", wd->id);
	assert_newest(WO, "withdrawal.failed", t.group, "data->>'attempt'", "1");
	assert_newest(WO, "withdrawal.failed", t.group, "(data->>'failure_reason' <> '')::text",
		      "true");
	assert_int_equal(events(WO, "withdrawal.paid", t.group), 0);
	test_world_withdrawals_pass(&w);
	assert_int_equal(events(WO, "withdrawal.failed", t.group), 1);
	/* Retried: approved again (attempt 2), failed again. */
	assert_int_equal(act("RetryPayout", wd->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	assert_int_equal(events(WO, "withdrawal.approved", t.group), 2);
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'attempt'", "2");
	assert_newest(WO, "withdrawal.approved", t.group, "data->>'approver'", t.treasurer.id);
	assert_int_equal(events(WO, "withdrawal.failed", t.group), 2);
	assert_newest(WO, "withdrawal.failed", t.group, "data->>'attempt'", "2");
	/* Closed by an officer. */
	assert_int_equal(act("DeclineWithdrawal", wd->id, &t.owner, PIN, &done), 0);
	assert_int_equal(done->status, W_CLOSED);
	assert_int_equal(events(WO, "withdrawal.closed", t.group), 1);
	assert_newest(WO, "withdrawal.closed", t.group, "actor_id::text", t.owner.id);
	assert_int_equal(act("RetryPayout", wd->id, &t.owner, PIN, NULL), ERR_FAILED_PRECONDITION);
	assert_int_equal(events(WO, "withdrawal.closed", t.group), 1);
	/* Another one left failed until it expires: closed by the sweeper. */
	assert_int_equal(request(&t, &t.owner, 5000, FAILING_ACCOUNT, PIN, NULL, &other), 0);
	assert_int_equal(act("ApproveWithdrawal", other->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	test_world_expire_withdrawal(&w, other->id);
	test_world_withdrawals_pass(&w);
	assert_int_equal(events(WO, "withdrawal.closed", t.group), 2);
	assert_newest(WO, "withdrawal.closed", t.group, "data->>'withdrawal_id'", other->id);
	assert_newest(WO, "withdrawal.closed", t.group, "data->>'reason'", "expired");
	assert_int_equal(events(WO, "withdrawal.declined", t.group), 0);
	/* The money that came back is no deposit: only the funding one. */
	assert_int_equal(events("ledger_outbox", "deposit.credited", t.group), 1);
}

/* --- ledger ----------------------------------------------------------------------- */

#define LO "ledger_outbox"

static int
post_credit(const char *group, const char *account, int64_t kobo, int64_t fee, const char *source,
	    const char *reference)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;

	req.group_id = (char *)group;
	req.account_id = (char *)account;
	req.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	req.amount_kobo = kobo;
	req.fee_kobo = fee;
	req.currency = "NGN";
	req.source = (char *)source;
	req.reference = (char *)reference;
	req.payment_channel = "VA";
	return test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL);
}

static void
test_deposit_credited_once_and_not_for_payout_credits(void **state)
{
	team t;
	char account[64], ref[96], *entry;

	make_team(&t, "evt-deposit", 0);
	test_world_account(&w, t.group, account);
	/* A simulated deposit through payments. */
	assert_int_equal(deposit(&t, 25000), 0);
	assert_int_equal(events(LO, "deposit.credited", t.group), 1);
	assert_newest(LO, "deposit.credited", t.group, "data->>'amount_kobo'", "25000");
	assert_newest(LO, "deposit.credited", t.group, "data->>'source'", "demo");
	assert_newest(LO, "deposit.credited", t.group, "(data ? 'fee_kobo')::text", "false");
	entry = newest(LO, "deposit.credited", t.group, "data->>'entry_id'");
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM ledger_entry WHERE id = '%s' AND amount_kobo = 25000"
			 " AND type = 'CREDIT'",
			 entry);
		assert_int_equal(test_pg_long(w.admin, sql), 1);
	}
	free(entry);
	/* A provider's deposit with its fee, posted twice: one event. */
	snprintf(ref, sizeof(ref), "flw:evt-%s", t.group);
	assert_int_equal(post_credit(t.group, account, 10000, 150, "demo", ref), 0);
	assert_int_equal(post_credit(t.group, account, 10000, 150, "demo", ref), 0);
	assert_int_equal(events(LO, "deposit.credited", t.group), 2);
	assert_newest(LO, "deposit.credited", t.group, "data->>'reference'", ref);
	assert_newest(LO, "deposit.credited", t.group, "data->>'fee_kobo'", "150");
	assert_newest(LO, "deposit.credited", t.group, "data->>'payment_channel'", "VA");
	assert_newest(LO, "deposit.credited", t.group, "(data->>'created_at' <> '')::text", "true");
	/* The same reference with other content: refused, nothing told. */
	assert_int_equal(post_credit(t.group, account, 999, 0, "demo", ref), ERR_ALREADY_EXISTS);
	/* A payout's reversal credit gives back, it is no deposit. */
	snprintf(ref, sizeof(ref), "payout-reversal:evt-%s", t.group);
	assert_int_equal(post_credit(t.group, account, 500, 0, "payout", ref), 0);
	assert_int_equal(events(LO, "deposit.credited", t.group), 2);
	assert_int_equal(all_events(LO, t.group), 2);
}

/* --- groups ----------------------------------------------------------------------- */

#define GO "groups_outbox"

static void
test_members_added_and_removed(void **state)
{
	team t;
	test_user joiner;
	Kolo__Groups__V1__AddMemberRequest add = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *added = NULL;
	Kolo__Groups__V1__RemoveMemberRequest rm = KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *removed = NULL;

	make_team(&t, "evt-members", 0);
	/* The treasurer (applied at once before the group was constituted)
	 * and the member. */
	assert_int_equal(events(GO, "member.added", t.group), 2);
	assert_newest(GO, "member.added", t.group, "user_id::text", t.member.id);
	assert_newest(GO, "member.added", t.group, "actor_id::text", t.owner.id);
	assert_newest(GO, "member.added", t.group, "data->>'role'", "MEMBER");
	test_identity_user(&w.identity, &joiner, "evt-members-joiner");
	add.group_id = t.group;
	add.email = joiner.email;
	add.role = KOLO__COMMON__V1__ROLE__ROLE_MEMBER;
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.owner), 0);
	assert_int_equal(events(GO, "member.added", t.group), 3);
	assert_newest(GO, "member.added", t.group, "user_id::text", joiner.id);
	assert_newest(GO, "member.added", t.group, "(data->>'name' <> '')::text", "true");
	/* Again: already a member, nothing told. A member may not add. */
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.owner),
			 ERR_ALREADY_EXISTS);
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.member),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(events(GO, "member.added", t.group), 3);
	/* The joiner leaves. */
	rm.group_id = t.group;
	rm.user_id = joiner.id;
	assert_int_equal(test_world_call(&w, &w.groups, "RemoveMember", &rm, &removed, &joiner), 0);
	assert_int_equal(events(GO, "member.removed", t.group), 1);
	assert_newest(GO, "member.removed", t.group, "user_id::text", joiner.id);
	assert_newest(GO, "member.removed", t.group, "data->>'role'", "MEMBER");
	assert_int_equal(test_world_call(&w, &w.groups, "RemoveMember", &rm, &removed, &t.owner),
			 ERR_NOT_FOUND);
	assert_int_equal(events(GO, "member.removed", t.group), 1);
}

static void
test_proposal_opened_applied_and_rejected(void **state)
{
	team t;
	test_user officer;
	Kolo__Groups__V1__AddMemberRequest add = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *added = NULL;
	Kolo__Groups__V1__CancelProposalRequest cancel =
		KOLO__GROUPS__V1__CANCEL_PROPOSAL_REQUEST__INIT;
	Kolo__Groups__V1__CancelProposalResponse *cancelled = NULL;
	Kolo__Groups__V1__UpdateGroupRequest up = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	const test_user *const officers[] = {&t.treasurer};
	long opened, applied;

	make_team(&t, "evt-proposal", 0);
	opened = events(GO, "proposal.opened", t.group);
	applied = events(GO, "proposal.applied", t.group);
	/* Adding an officer to the constituted group: a proposal. */
	test_identity_user(&w.identity, &officer, "evt-proposal-officer");
	add.group_id = t.group;
	add.email = officer.email;
	add.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.owner), 0);
	assert_non_null(added->proposal);
	assert_int_equal(events(GO, "proposal.opened", t.group), opened + 1);
	assert_newest(GO, "proposal.opened", t.group, "data->>'proposal_id'", added->proposal->id);
	assert_newest(GO, "proposal.opened", t.group, "data->>'kind'", "add_officer");
	assert_newest(GO, "proposal.opened", t.group, "data->'change'->>'role'", "TREASURER");
	assert_newest(GO, "proposal.opened", t.group, "data->'votes'->>'approvals'", "1");
	assert_newest(GO, "proposal.opened", t.group, "data->>'votes_required'", "2");
	assert_newest(GO, "proposal.opened", t.group, "user_id::text", officer.id);
	assert_newest(GO, "proposal.opened", t.group, "actor_id::text", t.owner.id);
	assert_int_equal(events(GO, "member.added", t.group), 2);
	/* Passed (no time-lock in the world) and applied: the member too. */
	test_world_pass(&w, added->proposal, officers, 1, PIN);
	assert_int_equal(events(GO, "proposal.passed", t.group), 1);
	assert_int_equal(events(GO, "proposal.applied", t.group), applied + 1);
	assert_newest(GO, "proposal.applied", t.group, "data->>'proposal_id'", added->proposal->id);
	assert_newest(GO, "proposal.applied", t.group, "data->'votes'->>'approvals'", "2");
	assert_int_equal(events(GO, "member.added", t.group), 3);
	assert_newest(GO, "member.added", t.group, "user_id::text", officer.id);
	assert_newest(GO, "member.added", t.group, "data->>'role'", "TREASURER");
	/* A rule change its proposer cancels: rejected, once. */
	up.group_id = t.group;
	up.optional_rule_template_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
	up.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER;
	assert_int_equal(test_world_call(&w, &w.groups, "UpdateGroup", &up, &upd, &t.owner), 0);
	assert_non_null(upd->proposal);
	assert_newest(GO, "proposal.opened", t.group, "data->>'kind'", "rule");
	cancel.proposal_id = upd->proposal->id;
	assert_int_equal(
		test_world_call(&w, &w.groups, "CancelProposal", &cancel, &cancelled, &t.treasurer),
		ERR_PERMISSION_DENIED);
	assert_int_equal(events(GO, "proposal.rejected", t.group), 0);
	assert_int_equal(
		test_world_call(&w, &w.groups, "CancelProposal", &cancel, &cancelled, &t.owner), 0);
	assert_int_equal(events(GO, "proposal.rejected", t.group), 1);
	assert_newest(GO, "proposal.rejected", t.group, "data->>'status'", "CANCELLED");
	assert_newest(GO, "proposal.rejected", t.group, "data->>'reason'", "cancelled");
	assert_newest(GO, "proposal.rejected", t.group, "actor_id::text", t.owner.id);
}

/* --- ReadOutbox and AckOutbox ---------------------------------------------------------- */

typedef struct outbox_rpc {
	test_service *svc;
	const char *table;
	const ProtobufCMessageDescriptor *read_req, *ack_req;
} outbox_rpc;

/* A request of descriptor d (each service has its own ReadOutboxRequest
 * and AckOutboxRequest, alike field for field), in the world's arena. */
static ProtobufCMessage *
outbox_request(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = mem_arena_alloc(w.arena, d->sizeof_message);

	assert_non_null(m);
	protobuf_c_message_init(d, m);
	return m;
}

static void *
outbox_field(ProtobufCMessage *m, const char *name, int quantifier)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	assert_non_null(f);
	return (char *)m + (quantifier ? f->quantifier_offset : f->offset);
}

/* ReadOutbox of svc as caller ("events"; NULL: a user's token as). */
static int
read_outbox(const outbox_rpc *o, int32_t limit, const char *caller, const test_user *as,
	    Kolo__Common__V1__OutboxEvent ***events_out, size_t *n)
{
	ProtobufCMessage *req = outbox_request(o->read_req);
	/* Every service's reply is laid out as the withdrawals one. */
	Kolo__Withdrawals__V1__ReadOutboxResponse *resp = NULL;
	test_caller who = {.access_token = as ? as->access_token : NULL,
			   .internal = caller != NULL,
			   .caller = caller};
	int rc;

	*(int32_t *)outbox_field(req, "limit", 0) = limit;
	rc = test_call(o->svc, "ReadOutbox", req, (ProtobufCMessage **)&resp, w.arena, &who);
	if (rc == ERR_INTERNAL)
		print_message("ReadOutbox of %s: %s\n", o->table, err_last()->message);
	if (rc == 0) {
		*events_out = resp->events;
		*n = resp->n_events;
	}
	return rc;
}

static int
ack_outbox(const outbox_rpc *o, char **ids, size_t n, const char *caller, int32_t *acked)
{
	ProtobufCMessage *req = outbox_request(o->ack_req);
	Kolo__Withdrawals__V1__AckOutboxResponse *resp = NULL;
	test_caller who = {.internal = 1, .caller = caller};
	int rc;

	*(char ***)outbox_field(req, "ids", 0) = ids;
	*(size_t *)outbox_field(req, "ids", 1) = n;
	rc = test_call(o->svc, "AckOutbox", req, (ProtobufCMessage **)&resp, w.arena, &who);
	if (rc == 0)
		*acked = resp->acked;
	return rc;
}

/* Three events straight into table (its role's grants aside: the
 * admin), of a made-up group. */
static void
seed_three(const char *table, const char *group)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (type, group_id, data) SELECT 'member.added', '%s',"
		 " jsonb_build_object('n', n) FROM generate_series(1, 3) n",
		 table, group);
	test_pg_ok(w.admin, sql);
}

static void
check_read_and_ack(const outbox_rpc *o, const test_user *user)
{
	static const char group[] = "7d1f0c2e-9a4b-4c1d-8e2f-0a1b2c3d4e5f";
	Kolo__Common__V1__OutboxEvent **ev = NULL;
	char *ids[3], *bad[] = {"not-a-uuid"};
	char sql[256];
	size_t n = 0;
	int32_t acked = -1;
	long before;

	/* What the services wrote so far is read and acked first. */
	for (;;) {
		char **all;

		assert_int_equal(read_outbox(o, 500, "events", NULL, &ev, &n), 0);
		if (n == 0)
			break;
		all = test_malloc(sizeof(*all) * n);
		for (size_t i = 0; i < n; i++)
			all[i] = ev[i]->id;
		assert_int_equal(ack_outbox(o, all, n, "events", &acked), 0);
		assert_int_equal(acked, (int32_t)n);
		test_free(all);
	}
	seed_three(o->table, group);
	/* Oldest first, limited. */
	assert_int_equal(read_outbox(o, 2, "events", NULL, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_true(ev[0]->seq < ev[1]->seq);
	assert_string_equal(ev[0]->type, "member.added");
	assert_string_equal(ev[0]->group_id, group);
	assert_string_equal(ev[0]->data_json, "{\"n\": 1}");
	assert_string_equal(ev[1]->data_json, "{\"n\": 2}");
	assert_true(ev[0]->occurred_at[0]);
	ids[0] = ev[0]->id;
	ids[1] = ev[1]->id;
	/* Reading again gives the same (nothing is gone before an ack). */
	assert_int_equal(read_outbox(o, 0, "events", NULL, &ev, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0]->id, ids[0]);
	ids[2] = ev[2]->id;
	/* A bad id: refused, nothing deleted. */
	assert_int_equal(ack_outbox(o, bad, 1, "events", &acked), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", o->table);
	before = test_pg_long(w.admin, sql);
	assert_int_equal(before, 3);
	/* Ack two: exactly those go; again: 0. */
	assert_int_equal(ack_outbox(o, ids, 2, "events", &acked), 0);
	assert_int_equal(acked, 2);
	assert_int_equal(ack_outbox(o, ids, 2, "events", &acked), 0);
	assert_int_equal(acked, 0);
	assert_int_equal(read_outbox(o, 10, "events", NULL, &ev, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0]->id, ids[2]);
	assert_string_equal(ev[0]->data_json, "{\"n\": 3}");
	/* Nobody else: another process, a user. */
	assert_int_equal(read_outbox(o, 10, "gateway", NULL, &ev, &n), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	assert_int_equal(read_outbox(o, 10, "payments", NULL, &ev, &n), ERR_PERMISSION_DENIED);
	assert_int_equal(ack_outbox(o, &ids[2], 1, "gateway", &acked), ERR_PERMISSION_DENIED);
	/* A user's token is no service's. */
	assert_int_equal(read_outbox(o, 10, NULL, user, &ev, &n), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "service_token_required");
	assert_int_equal(test_pg_long(w.admin, sql), 1);
	assert_int_equal(ack_outbox(o, &ids[2], 1, "events", &acked), 0);
	assert_int_equal(acked, 1);
	assert_int_equal(test_pg_long(w.admin, sql), 0);
}

static void
test_read_and_ack_every_outbox(void **state)
{
	test_user user;
	const outbox_rpc outboxes[] = {
		{&w.identity.service, "identity_outbox",
		 &kolo__identity__v1__read_outbox_request__descriptor,
		 &kolo__identity__v1__ack_outbox_request__descriptor},
		{&w.groups, "groups_outbox", &kolo__groups__v1__read_outbox_request__descriptor,
		 &kolo__groups__v1__ack_outbox_request__descriptor},
		{&w.ledger, "ledger_outbox", &kolo__ledger__v1__read_outbox_request__descriptor,
		 &kolo__ledger__v1__ack_outbox_request__descriptor},
		{&w.withdrawals, "withdrawals_outbox",
		 &kolo__withdrawals__v1__read_outbox_request__descriptor,
		 &kolo__withdrawals__v1__ack_outbox_request__descriptor},
		{&w.payments, "payments_outbox",
		 &kolo__payments__v1__read_outbox_request__descriptor,
		 &kolo__payments__v1__ack_outbox_request__descriptor},
	};

	test_identity_user(&w.identity, &user, "evt-reader");
	for (size_t i = 0; i < sizeof(outboxes) / sizeof(outboxes[0]); i++)
		check_read_and_ack(&outboxes[i], &user);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_withdrawal_requested_approved_paid_once_each,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_withdrawal_approval_short_of_the_rule,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_withdrawal_declined_cancelled_and_expired,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_withdrawal_failed_retried_and_closed,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_deposit_credited_once_and_not_for_payout_credits,
					  test_world_check_ledger),
		cmocka_unit_test(test_members_added_and_removed),
		cmocka_unit_test(test_proposal_opened_applied_and_rejected),
		/* last: it acks everything the tests before wrote */
		cmocka_unit_test(test_read_and_ack_every_outbox),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
