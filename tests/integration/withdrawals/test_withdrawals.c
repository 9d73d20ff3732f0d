/* kolo-withdrawals: the whole money-out story over real gRPC against a
 * throwaway PostgreSQL, every service in this process, the demo provider.
 * After each test the ledger invariant is checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "money/money.h"
#include "payments.h"
#include "svc/sessions.h"
#include "test_world.h"
#include "withdrawals.h"

#define PIN		TEST_PIN
#define W_PENDING	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING
#define W_APPROVED	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_APPROVED
#define W_DECLINED	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_DECLINED
#define W_PAID		KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAID
#define W_PAYOUT_FAILED KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAYOUT_FAILED
#define W_CLOSED	KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_CLOSED
#define GOOD_ACCOUNT	"0123456789"
#define FAILING_ACCOUNT "0000123456"

static test_world w;

/* A group with two officers and a member, all with PINs, funded. */
typedef test_team team;

static int
deposit(const team *t, int64_t kobo)
{
	return test_world_deposit(&w, t->group, &t->owner, kobo);
}

static void
fund(const team *t, int64_t kobo)
{
	assert_int_equal(deposit(t, kobo), 0);
}

static void
make_team(team *t, const char *tag, int64_t funds)
{
	test_world_team(&w, t, tag, "Withdrawals team", TEST_TEAM_PINS | TEST_TEAM_MEMBER_PIN);
	if (funds)
		fund(t, funds);
}

static int64_t
balance(const team *t)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)t->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	return resp->balance_kobo;
}

static long
debits(const team *t)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ledger_entry WHERE group_id = '%s' AND type = 'DEBIT'",
		 t->group);
	return test_pg_long(w.admin, sql);
}

static int
request(const team *t, const test_user *as, int64_t kobo, const char *account, const char *pin,
	const char *key, Kolo__Withdrawals__V1__Withdrawal **out)
{
	return test_world_withdraw(&w, t->group, as, kobo, account, pin, key, out);
}

static int
approve(const char *id, const test_user *as, const char *pin,
	Kolo__Withdrawals__V1__Withdrawal **out)
{
	Kolo__Withdrawals__V1__ApproveWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__APPROVE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__ApproveWithdrawalResponse *resp = NULL;
	int rc;

	req.withdrawal_id = (char *)id;
	req.pin = (char *)pin;
	rc = test_world_call(&w, &w.withdrawals, "ApproveWithdrawal", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->withdrawal : NULL;
	return rc;
}

static int
decline(const char *id, const test_user *as, Kolo__Withdrawals__V1__Withdrawal **out)
{
	Kolo__Withdrawals__V1__DeclineWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__DECLINE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__DeclineWithdrawalResponse *resp = NULL;
	int rc;

	req.withdrawal_id = (char *)id;
	req.pin = PIN;
	req.reason = "not this month";
	rc = test_world_call(&w, &w.withdrawals, "DeclineWithdrawal", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->withdrawal : NULL;
	return rc;
}

static Kolo__Withdrawals__V1__Withdrawal *
get(const char *id, const test_user *as)
{
	Kolo__Withdrawals__V1__GetWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__GET_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__GetWithdrawalResponse *resp = NULL;

	req.withdrawal_id = (char *)id;
	assert_int_equal(test_world_call(&w, &w.withdrawals, "GetWithdrawal", &req, &resp, as), 0);
	return resp->withdrawal;
}

/* --- the story ------------------------------------------------------------------- */

static void
test_request_approve_paid_once(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd, *done;
	char id[64];

	make_team(&t, "story", 100000);
	assert_int_equal(request(&t, &t.owner, 40000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(id, sizeof(id), "%s", wd->id);
	assert_int_equal(wd->status, W_PENDING);
	assert_int_equal(wd->n_approvals, 1);
	assert_string_equal(wd->approvals[0]->user_id, t.owner.id);
	assert_int_equal(wd->approvals_required, 2);
	assert_true(wd->expires_at[0]);
	assert_int_equal(balance(&t), 100000);
	assert_int_equal(approve(id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_true(done->executed_at[0]);
	assert_non_null(done->payout);
	assert_int_equal(done->payout->status,
			 KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS);
	assert_int_equal(done->n_approvals, 2);
	assert_int_equal(balance(&t), 60000);
	assert_int_equal(debits(&t), 1);
	/* Nothing more can happen to it. */
	assert_int_equal(approve(id, &t.owner, PIN, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_pending");
	assert_int_equal(decline(id, &t.owner, NULL), ERR_FAILED_PRECONDITION);
	assert_int_equal(balance(&t), 60000);
}

/* Adds who as TREASURER: a proposal the treasurer passes. */
static void
add_officer(const team *t, const test_user *who)
{
	Kolo__Groups__V1__AddMemberRequest req = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *resp = NULL;
	const test_user *const officers[] = {&t->treasurer};

	req.group_id = (char *)t->group;
	req.email = (char *)who->email;
	req.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &req, &resp, &t->owner), 0);
	test_world_pass(&w, resp->proposal, officers, 1, PIN);
}

/* Changes who's role; in a constituted group the change is a proposal
 * (DESIGN §12) that approvers pass. */
static void
set_role_passed_by(const team *t, const test_user *who, int role, const test_user *const *approvers,
		   size_t n)
{
	Kolo__Groups__V1__UpdateMemberRoleRequest req =
		KOLO__GROUPS__V1__UPDATE_MEMBER_ROLE_REQUEST__INIT;
	Kolo__Groups__V1__UpdateMemberRoleResponse *resp = NULL;

	req.group_id = (char *)t->group;
	req.user_id = (char *)who->id;
	req.role = role;
	assert_int_equal(test_world_call(&w, &w.groups, "UpdateMemberRole", &req, &resp, &t->owner),
			 0);
	test_world_pass(&w, resp->proposal, approvers, n, PIN);
}

static void
set_role(const team *t, const test_user *who, int role)
{
	const test_user *const officers[] = {&t->treasurer, &t->member};

	set_role_passed_by(t, who, role, officers, 2);
}

/* An approval counts while its officer is one: the requester demoted to
 * member, a second officer's approval does not complete the request. */
static void
test_approvals_of_demoted_officers_do_not_count(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;

	(void)state;
	make_team(&t, "demoted", 100000);
	set_role(&t, &t.member, KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	assert_int_equal(request(&t, &t.treasurer, 30000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(wd->status, W_PENDING);
	set_role(&t, &t.treasurer, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	/* Two approvals on the request, one of them no longer an officer's. */
	assert_int_equal(approve(wd->id, &t.member, PIN, &wd), 0);
	assert_int_equal(wd->status, W_PENDING);
	assert_int_equal(balance(&t), 100000);
	/* A second current officer completes it. */
	assert_int_equal(approve(wd->id, &t.owner, PIN, &wd), 0);
	assert_int_equal(get(wd->id, &t.owner)->status, W_PAID);
	assert_int_equal(balance(&t), 70000);
}

/* Declining what does not exist, without a reason: an error, not a crash. */
static void
test_declining_an_unknown_withdrawal_is_not_found(void **state)
{
	static const char *const ids[] = {"9b2f4e0c-0000-4000-8000-000000000000", "x"};
	team t;

	(void)state;
	make_team(&t, "decl-unknown", 0);
	for (size_t i = 0; i < 2; i++) {
		Kolo__Withdrawals__V1__DeclineWithdrawalRequest req =
			KOLO__WITHDRAWALS__V1__DECLINE_WITHDRAWAL_REQUEST__INIT;
		Kolo__Withdrawals__V1__DeclineWithdrawalResponse *resp = NULL;
		int rc;

		req.withdrawal_id = (char *)ids[i];
		req.pin = PIN;
		rc = test_world_call(&w, &w.withdrawals, "DeclineWithdrawal", &req, &resp,
				     &t.owner);
		assert_true(rc == ERR_NOT_FOUND || rc == ERR_INVALID_ARGUMENT);
	}
	/* The service still answers. */
	assert_int_equal(balance(&t), 0);
}

static void
test_members_and_strangers_may_not_act(void **state)
{
	team t;
	test_user stranger;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;

	make_team(&t, "perm", 100000);
	test_identity_user(&w.identity, &stranger, "perm-stranger");
	assert_int_equal(request(&t, &t.member, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "officer_only");
	assert_int_equal(request(&t, &stranger, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_NOT_FOUND);
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(approve(wd->id, &t.member, PIN, NULL), ERR_PERMISSION_DENIED);
	assert_int_equal(approve(wd->id, &stranger, PIN, NULL), ERR_NOT_FOUND);
	/* The requester's approval is already counted. */
	assert_int_equal(approve(wd->id, &t.owner, PIN, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "already_approved");
	assert_int_equal(get(wd->id, &t.member)->status, W_PENDING);
	assert_int_equal(balance(&t), 100000);
}

static void
test_wrong_pin_is_refused_and_counted(void **state)
{
	team t;
	char sql[256];
	long before = test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request");

	make_team(&t, "pin", 50000);
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, "999999", NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "pin_incorrect");
	/* identity's ErrorInfo metadata is relayed by withdrawals (issue 21). */
	assert_non_null(err_meta_get(err_last(), "attempts_left"));
	assert_string_equal(err_meta_get(err_last(), "attempts_left"), "4");
	snprintf(sql, sizeof(sql),
		 "SELECT failed_attempts FROM transaction_pins WHERE user_id = '%s'", t.owner.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request"), before);
}

/* The beneficiary check names an account's holder with the merchant's
 * provider key (issue 18 finding 3): it runs only after the PIN, and it
 * counts against the requesting officer's resolution limit, so
 * CreateWithdrawal is no way around ResolveBankAccount's limits. */
static void
test_beneficiary_check_needs_the_pin_and_counts_against_resolve_limits(void **state)
{
	team t;
	char sql[256];
	pay_deps saved = *pay_current(), limited = saved;
	long before = test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request");

	make_team(&t, "resolve-limit", 50000);
	/* A provider that names holders (the demo one is never asked). */
	snprintf(sql, sizeof(sql),
		 "UPDATE account SET provider = 'flutterwave'"
		 " WHERE group_id = '%s'",
		 t.group);
	test_pg_ok(w.admin, sql);
	limited.resolve_per_user = 2;
	limited.resolve_window_s = 3600;
	pay_configure(&limited);
	/* A wrong PIN: refused before the provider is asked, nothing counted. */
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, "999999", NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "pin_incorrect");
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(sum(hits), 0) FROM payments_rate_window"
		 " WHERE kind = 'resolve_user' AND key = '%s'",
		 t.owner.id);
	assert_int_equal(test_pg_long(w.admin, sql), 0);
	/* The demo provider names "DEMO ACCOUNT 6789", not "Ngozi Eze". */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
				 ERR_FAILED_PRECONDITION);
		assert_string_equal(err_last()->reason, "beneficiary_name_mismatch");
	}
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	assert_in_range(err_last()->retry_after_s, 1, 3600);
	assert_int_equal(test_pg_long(w.admin, sql), 3);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request"), before);
	pay_configure(&saved);
}

static void
test_bad_requests_are_refused(void **state)
{
	team t;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalResponse *resp = NULL;

	make_team(&t, "bad", 50000);
	assert_int_equal(request(&t, &t.owner, 50001, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(request(&t, &t.owner, 0, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(request(&t, &t.owner, 100, "12345", PIN, NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_beneficiary");
	req.group_id = t.group;
	req.amount_kobo = 100;
	req.pin = PIN;
	req.reason = "x";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner),
		ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_beneficiary");
}

static void
test_idempotency_key_returns_the_same_request(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *first = NULL, *again = NULL;

	make_team(&t, "idem", 50000);
	assert_int_equal(request(&t, &t.owner, 2000, GOOD_ACCOUNT, PIN, "rent-dec", &first), 0);
	assert_int_equal(request(&t, &t.owner, 2000, GOOD_ACCOUNT, PIN, "rent-dec", &again), 0);
	assert_string_equal(again->id, first->id);
	assert_string_equal(again->client_ref, "rent-dec");
	assert_int_equal(request(&t, &t.owner, 2001, GOOD_ACCOUNT, PIN, "rent-dec", NULL),
			 ERR_ALREADY_EXISTS);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request"
					       " WHERE client_ref = 'rent-dec'"),
			 1);
}

/* A request with the key of an earlier one is a replay only when it is the
 * same request: another beneficiary or reason is refused, not answered
 * with the original; a true replay says so. */
static void
test_idempotency_key_replays_only_the_same_request(void **state)
{
	team t;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalResponse *resp = NULL;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;
	char id[64];

	make_team(&t, "idem-same", 50000);
	b.bank_code = "058";
	b.account_number = GOOD_ACCOUNT;
	b.account_name = "Ngozi Eze";
	req.group_id = t.group;
	req.amount_kobo = 3000;
	req.beneficiary = &b;
	req.reason = "Hall rent for December";
	req.pin = PIN;
	req.client_ref = "rent-same";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner), 0);
	assert_false(resp->replayed);
	snprintf(id, sizeof(id), "%s", resp->withdrawal->id);
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner), 0);
	assert_true(resp->replayed);
	assert_string_equal(resp->withdrawal->id, id);
	b.account_number = "0123456780";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "idempotency_key_used");
	b.account_number = GOOD_ACCOUNT;
	b.account_name = "Someone Else";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "idempotency_key_used");
	b.account_name = "Ngozi Eze";
	b.bank_code = "044";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "idempotency_key_used");
	b.bank_code = "058";
	req.reason = "Something else";
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "CreateWithdrawal", &req, &resp, &t.owner),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "idempotency_key_used");
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM withdrawal_request"
					       " WHERE client_ref = 'rent-same'"),
			 1);
	assert_int_equal(balance(&t), 50000);
}

#define RACERS 2

typedef struct racer_arg {
	const char *id;
	const test_user *as;
	int approve;
	int rc;
} racer_arg;

static void *
racer(void *arg)
{
	racer_arg *r = arg;
	mem_arena *a = mem_arena_new(0);
	test_caller who = {.access_token = r->as->access_token};
	ProtobufCMessage *resp = NULL;

	if (r->approve) {
		Kolo__Withdrawals__V1__ApproveWithdrawalRequest req =
			KOLO__WITHDRAWALS__V1__APPROVE_WITHDRAWAL_REQUEST__INIT;

		req.withdrawal_id = (char *)r->id;
		req.pin = PIN;
		r->rc = test_call(&w.withdrawals, "ApproveWithdrawal", &req.base, &resp, a, &who);
	} else {
		Kolo__Withdrawals__V1__DeclineWithdrawalRequest req =
			KOLO__WITHDRAWALS__V1__DECLINE_WITHDRAWAL_REQUEST__INIT;

		req.withdrawal_id = (char *)r->id;
		req.pin = PIN;
		r->rc = test_call(&w.withdrawals, "DeclineWithdrawal", &req.base, &resp, a, &who);
	}
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

static void
race(racer_arg *args, int n)
{
	pthread_t threads[4];

	for (int i = 0; i < n; i++)
		pthread_create(&threads[i], NULL, racer, &args[i]);
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}

typedef struct creator_arg {
	const team *t;
	int64_t amount; /* 30000 when 0 */
	int rc;
	int status;
	char reason[64];
} creator_arg;

static void *
creator(void *arg)
{
	creator_arg *r = arg;
	mem_arena *a = mem_arena_new(0);
	test_caller who = {.access_token = r->t->owner.access_token};
	Kolo__Withdrawals__V1__CreateWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalResponse *resp = NULL;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;

	b.bank_code = "058";
	b.account_number = GOOD_ACCOUNT;
	b.account_name = "Ngozi Eze";
	req.group_id = (char *)r->t->group;
	req.amount_kobo = r->amount ? r->amount : 30000;
	req.beneficiary = &b;
	req.reason = "Split to dodge the tier";
	req.pin = PIN;
	r->rc = test_call(&w.withdrawals, "CreateWithdrawal", &req.base, (ProtobufCMessage **)&resp,
			  a, &who);
	r->status = r->rc == 0 ? resp->withdrawal->status : 0;
	snprintf(r->reason, sizeof(r->reason), "%s", r->rc == 0 ? "" : err_last()->reason);
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

/* held and available of the team's group, as GetBalance answers them. */
static void
held_available(const team *t, int64_t *held, int64_t *available)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)t->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	*held = resp->held_kobo;
	*available = resp->available_kobo;
}

static void
assert_held(const team *t, int64_t held)
{
	int64_t h, av;

	held_available(t, &h, &av);
	assert_int_equal(h, held);
	assert_int_equal(av, balance(t) - held);
}

/* DESIGN §13: a request holds its money from the moment it is made; decline,
 * cancel, expiry and a failed payout give it back exactly once; a payout
 * captures it as its debit. */
static void
test_holds_follow_the_request(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	char sql[512];

	make_team(&t, "holds", 50000);
	/* Declined. */
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_held(&t, 20000);
	assert_int_equal(request(&t, &t.owner, 30001, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(decline(wd->id, &t.treasurer, NULL), 0);
	assert_held(&t, 0);
	/* Cancelled by the requester. */
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(decline(wd->id, &t.owner, NULL), 0);
	assert_held(&t, 0);
	/* Expired: the request and its hold lapse together; the sweeper ends
	 * both on record. */
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(sql, sizeof(sql),
		 "WITH r AS (UPDATE withdrawal_request SET expires_at = now() AT TIME ZONE 'UTC'"
		 " - interval '1 minute' WHERE id = '%s' RETURNING id)"
		 " UPDATE ledger_hold SET expires_at = now() - interval '1 minute'"
		 " WHERE reference = 'withdrawal:%s'",
		 wd->id, wd->id);
	test_pg_ok(w.admin, sql);
	assert_held(&t, 0);
	test_world_withdrawals_pass(&w);
	assert_int_equal(get(wd->id, &t.owner)->status, W_DECLINED);
	/* A failed payout: captured, reversed, nothing held; a retry holds anew. */
	assert_int_equal(request(&t, &t.owner, 20000, FAILING_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(approve(wd->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	assert_held(&t, 0);
	assert_int_equal(balance(&t), 50000);
	/* Paid: the capture is the debit, once. */
	assert_int_equal(request(&t, &t.owner, 15000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_held(&t, 15000);
	assert_int_equal(approve(wd->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_held(&t, 0);
	assert_int_equal(balance(&t), 35000);
	snprintf(sql, sizeof(sql),
		 "SELECT string_agg(coalesce(closed_reason, status), ',' ORDER BY created_at)"
		 " FROM ledger_hold WHERE group_id = '%s'",
		 t.group);
	{
		char *ends = test_pg_value(w.admin, sql);

		assert_string_equal(ends, "released,released,expired,captured,captured");
		free(ends);
	}
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM withdrawal_request WHERE group_id = '%s'"
		 " AND hold_reference IS NOT NULL",
		 t.group);
	assert_int_equal(test_pg_long(w.admin, sql), 0);
}

/* DESIGN §13: two requests whose sum exceeds the balance, made at the same
 * moment: the first holds its money, the other is refused at request time;
 * the one made pays once. */
static void
test_two_withdrawals_racing_for_one_balance_pay_at_most_once(void **state)
{
	team t;
	creator_arg args[2];
	pthread_t threads[2];
	Kolo__Withdrawals__V1__ListWithdrawalsRequest list =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *listed = NULL;
	int made = 0, refused = 0;

	make_team(&t, "race-balance", 50000);
	for (int i = 0; i < 2; i++) {
		args[i] = (creator_arg){.t = &t, .amount = 40000};
		pthread_create(&threads[i], NULL, creator, &args[i]);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		made += args[i].rc == 0;
		refused += args[i].rc == ERR_FAILED_PRECONDITION &&
			   strcmp(args[i].reason, "insufficient_funds") == 0;
	}
	assert_int_equal(made, 1);
	assert_int_equal(refused, 1);
	list.group_id = t.group;
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &list, &listed, &t.owner),
		0);
	assert_int_equal(listed->n_withdrawals, 1);
	/* No read replica here: the primary's page, without as_of. */
	assert_string_equal(listed->as_of, "");
	assert_int_equal(approve(listed->withdrawals[0]->id, &t.treasurer, PIN, NULL), 0);
	assert_int_equal(get(listed->withdrawals[0]->id, &t.owner)->status, W_PAID);
	assert_int_equal(debits(&t), 1);
	assert_int_equal(balance(&t), 10000);
}

static void
test_approve_racing_decline_has_one_outcome(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *now;
	racer_arg args[2];

	make_team(&t, "race-decline", 50000);
	assert_int_equal(request(&t, &t.owner, 10000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	args[0] = (racer_arg){.id = wd->id, .as = &t.treasurer, .approve = 1};
	args[1] = (racer_arg){.id = wd->id, .as = &t.owner, .approve = 0};
	race(args, 2);
	now = get(wd->id, &t.owner);
	assert_int_equal((args[0].rc == 0) + (args[1].rc == 0), 1);
	if (args[0].rc == 0) {
		assert_int_equal(now->status, W_PAID);
		assert_int_equal(balance(&t), 40000);
	} else {
		assert_int_equal(now->status, W_DECLINED);
		assert_int_equal(balance(&t), 50000);
		assert_int_equal(debits(&t), 0);
	}
}

static void
test_expired_requests_cannot_be_approved_and_are_swept(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *now;

	make_team(&t, "expiry", 50000);
	assert_int_equal(request(&t, &t.owner, 10000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	test_world_expire_withdrawal(&w, wd->id);
	assert_int_equal(approve(wd->id, &t.treasurer, PIN, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "expired");
	test_world_withdrawals_pass(&w);
	now = get(wd->id, &t.owner);
	assert_int_equal(now->status, W_DECLINED);
	assert_string_equal(now->decline_reason, "expired");
	assert_int_equal(balance(&t), 50000);
}

static int
retry(const char *id, const test_user *as, Kolo__Withdrawals__V1__Withdrawal **out)
{
	Kolo__Withdrawals__V1__RetryPayoutRequest req =
		KOLO__WITHDRAWALS__V1__RETRY_PAYOUT_REQUEST__INIT;
	Kolo__Withdrawals__V1__RetryPayoutResponse *resp = NULL;
	int rc;

	req.withdrawal_id = (char *)id;
	req.pin = PIN;
	rc = test_world_call(&w, &w.withdrawals, "RetryPayout", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->withdrawal : NULL;
	return rc;
}

/* Entries of the group of type whose reference is LIKE pattern. */
static long
entries_like(const team *t, const char *type, const char *pattern)
{
	char sql[320];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ledger_entry WHERE group_id = '%s' AND type = '%s'"
		 " AND reference LIKE '%s'",
		 t->group, type, pattern);
	return test_pg_long(w.admin, sql);
}

/* A team holding 30000 kobo whose request of 20000 was approved and whose
 * payout failed (the demo provider fails that account): PAYOUT_FAILED. */
static Kolo__Withdrawals__V1__Withdrawal *
failed_payout(team *t, const char *tag)
{
	Kolo__Withdrawals__V1__Withdrawal *wd, *done;

	make_team(t, tag, 30000);
	assert_int_equal(request(t, &t->owner, 20000, FAILING_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(approve(wd->id, &t->treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	return done;
}

static void
test_failed_payout_keeps_the_money_in_the_group(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd, *done = NULL, *retried = NULL;

	/* Its own state, the money back: not APPROVED for ever. */
	wd = done = failed_payout(&t, "payout-fail");
	assert_non_null(done->payout);
	assert_int_equal(done->payout->status,
			 KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED);
	assert_true(done->payout->failure_reason[0]);
	assert_int_equal(balance(&t), 30000);
	/* A retry is a new payout attempt (it fails again for this account). */
	assert_int_equal(retry(wd->id, &t.treasurer, &retried), 0);
	assert_int_equal(retried->status, W_PAYOUT_FAILED);
	assert_int_equal(balance(&t), 30000);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM payout_recovery"
					       " WHERE attempted_payload ->> 'attempt' = '2'") >= 1,
			 1);
	/* Any officer closes it; nothing more can happen to it then. */
	assert_int_equal(decline(wd->id, &t.treasurer, &done), 0);
	assert_int_equal(done->status, W_CLOSED);
	assert_string_equal(done->declined_by, t.treasurer.id);
	assert_int_equal(retry(wd->id, &t.owner, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "nothing_to_retry");
	assert_int_equal(decline(wd->id, &t.owner, NULL), ERR_FAILED_PRECONDITION);
	assert_int_equal(balance(&t), 30000);
}

/* Finding 2: a failed payout expires like a pending request. */
static void
test_failed_payout_expires_closed(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd, *done;

	wd = done = failed_payout(&t, "payout-expiry");
	test_world_expire_withdrawal(&w, wd->id);
	assert_int_equal(retry(wd->id, &t.treasurer, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "expired");
	test_world_withdrawals_pass(&w);
	done = get(wd->id, &t.owner);
	assert_int_equal(done->status, W_CLOSED);
	assert_string_equal(done->decline_reason, "expired");
	assert_int_equal(balance(&t), 30000);
	assert_int_equal(entries_like(&t, "DEBIT", "payout:%"),
			 entries_like(&t, "CREDIT", "reversal:%"));
}

/* Finding 2: a retry counts the approvals of today's officers against
 * today's rule; an approver demoted since no longer counts, so one
 * officer alone cannot pay out with money deposited since. */
static void
test_retry_needs_todays_officers(void **state)
{
	team t;
	test_user newcomer;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	const test_user *const newcomers[] = {&newcomer};
	char sql[256];

	wd = done = failed_payout(&t, "retry-rule");
	test_identity_user(&w.identity, &newcomer, "retry-rule-newcomer");
	add_officer(&t, &newcomer);
	test_world_set_pin(&w, &newcomer, PIN);
	set_role_passed_by(&t, &t.treasurer, KOLO__COMMON__V1__ROLE__ROLE_MEMBER, newcomers, 1);
	assert_int_equal(retry(wd->id, &t.owner, &done), 0);
	assert_int_equal(done->status, W_PENDING);
	assert_true(done->expires_at[0]);
	assert_null(done->payout); /* a new attempt, not asked for yet */
	snprintf(sql, sizeof(sql), "SELECT payout_attempt FROM withdrawal_request WHERE id = '%s'",
		 wd->id);
	assert_int_equal(test_pg_long(w.admin, sql), 2);
	assert_int_equal(entries_like(&t, "DEBIT", "payout:%"), 1); /* attempt 1, reversed */
	/* Today's other officer's approval completes it again. */
	assert_int_equal(approve(wd->id, &newcomer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAYOUT_FAILED); /* paid again: failed again */
	assert_int_equal(balance(&t), 30000);
}

/* Finding 3: payout attempts are capped; after the last one the request
 * is CLOSED, its money back and on record. */
static void
test_payout_attempts_are_capped(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	int max = wdr_current()->payout_max_attempts;

	wd = done = failed_payout(&t, "capped");
	for (int attempt = 2; attempt <= max; attempt++) {
		assert_int_equal(done->status, W_PAYOUT_FAILED);
		assert_int_equal(retry(wd->id, &t.treasurer, &done), 0);
	}
	assert_int_equal(done->status, W_CLOSED);
	assert_string_equal(done->decline_reason, "payout attempts exhausted");
	assert_int_equal(retry(wd->id, &t.treasurer, NULL), ERR_FAILED_PRECONDITION);
	{
		char sql[160];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'", wd->id);
		assert_int_equal(test_pg_long(w.admin, sql), max);
	}
	assert_int_equal(balance(&t), 30000);
}

/* Finding 3: a payout payments can never make (the group's account is with
 * another provider) ends PAYOUT_FAILED with the reason, not APPROVED and
 * asked for again every few seconds for ever. */
static void
test_unpayable_withdrawal_does_not_stay_approved(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	char sql[256];

	make_team(&t, "unpayable", 30000);
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE account SET provider = 'flutterwave' WHERE group_id = '%s'", t.group);
	test_pg_ok(w.admin, sql);
	assert_int_equal(approve(wd->id, &t.treasurer, PIN, &done), 0);
	test_world_withdrawals_pass(&w);
	done = get(wd->id, &t.owner);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	assert_non_null(done->payout);
	assert_string_equal(done->payout->failure_reason, "provider_mismatch");
	assert_int_equal(balance(&t), 30000);
	snprintf(sql, sizeof(sql), "UPDATE account SET provider = 'demo' WHERE group_id = '%s'",
		 t.group);
	test_pg_ok(w.admin, sql);
}

/* Finding 3: a request payments cannot be asked about is asked again
 * later and later (doubling from KOLO_WITHDRAWALS_PAYOUT_IDLE_S), not on
 * every pass: such rows do not fill the worker's batch. */
static void
test_unanswered_payout_asks_back_off(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	wdr_deps deps = *wdr_current();
	char sql[320];

	make_team(&t, "backoff", 30000);
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	/* Approved behind payments' back, with a beneficiary payments refuses
	 * (so CreatePayout answers an error and creates nothing). */
	snprintf(sql, sizeof(sql),
		 "UPDATE withdrawal_request SET status = 'APPROVED', beneficiary ="
		 " jsonb_set(beneficiary, '{bank_code}', '\"x\"'),"
		 " updated_at = now() - interval '1 hour' WHERE id = '%s'",
		 wd->id);
	test_pg_ok(w.admin, sql);
	deps.payout_idle_s = 30;
	wdr_configure(&deps);
	test_world_withdrawals_pass(&w);
	test_world_withdrawals_pass(&w);
	test_world_withdrawals_pass(&w);
	deps.payout_idle_s = 0;
	wdr_configure(&deps);
	snprintf(sql, sizeof(sql),
		 "SELECT payout_tries || '/' || (next_payout_at > now() + interval '20 seconds')"
		 " FROM withdrawal_request WHERE id = '%s'",
		 wd->id);
	{
		char *tries = test_pg_value(w.admin, sql);

		assert_string_equal(tries, "1/true"); /* asked once, next in 30 s */
		free(tries);
	}
	snprintf(sql, sizeof(sql),
		 "UPDATE withdrawal_request SET status = 'DECLINED' WHERE id = '%s'", wd->id);
	test_pg_ok(w.admin, sql);
	test_world_withdrawals_pass(&w); /* closes the ended request's hold */
	assert_int_equal(balance(&t), 30000);
}

/* Finding 1, the interleaving that lost money: a payout left `created`
 * (its CreatePayout cut off), the group drained by another withdrawal, the
 * payments worker holding a stale copy while the withdrawals worker's
 * CreatePayout finds no money and fails it, then a deposit, then the stale
 * copy advanced. No debit may land for the failed attempt; a retry pays
 * once. */
static void
test_stale_payout_copy_cannot_debit_a_failed_attempt(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *w1 = NULL, *w2 = NULL, *done = NULL;
	pay_env env = {.arena = w.arena};
	pay_payout *rows = NULL, *stale = NULL;
	db_conn *c = NULL;
	char sql[1024], ref[128];
	int n = 0;

	make_team(&t, "stale", 10000);
	assert_int_equal(request(&t, &t.owner, 10000, GOOD_ACCOUNT, PIN, NULL, &w1), 0);
	/* 1. w1 approved; its payout created, nothing debited (the call that
	 * made it was cut off before the debit). */
	snprintf(sql, sizeof(sql),
		 "WITH a AS (INSERT INTO approval (withdrawal_id, approver_user_id)"
		 " VALUES ('%s', '%s')), u AS (UPDATE withdrawal_request SET status = 'APPROVED',"
		 " approvals_required = 2 WHERE id = '%s')"
		 " INSERT INTO payout (withdrawal_id, group_id, amount_kobo, beneficiary,"
		 " provider, attempt, status) SELECT id, group_id, amount_kobo, beneficiary,"
		 " 'demo', 1, 'PENDING' FROM withdrawal_request WHERE id = '%s'",
		 w1->id, t.treasurer.id, w1->id, w1->id);
	test_pg_ok(w.admin, sql);
	/* ... and its hold lapsed (DESIGN §13 holds would otherwise keep the
	 * money from the next request). */
	{
		Kolo__Ledger__V1__ReleaseHoldRequest rel =
			KOLO__LEDGER__V1__RELEASE_HOLD_REQUEST__INIT;
		Kolo__Ledger__V1__ReleaseHoldResponse *released = NULL;

		rel.reference = mem_arena_printf(w.arena, "withdrawal:%s", w1->id);
		assert_int_equal(
			test_world_call(&w, &w.ledger, "ReleaseHold", &rel, &released, NULL), 0);
	}
	/* 2. Another withdrawal drains the group. */
	assert_int_equal(request(&t, &t.owner, 10000, GOOD_ACCOUNT, PIN, NULL, &w2), 0);
	assert_int_equal(approve(w2->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_int_equal(balance(&t), 0);
	/* 3. The payments worker reads its batch: a copy of w1's payout. */
	assert_int_equal(db_thread_conn(&c), 0);
	assert_int_equal(pay_store_payouts_due(&rows, &n, w.arena, c, 0, 100), 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(rows[i].withdrawal_id, w1->id) == 0)
			stale = &rows[i];
	}
	assert_non_null(stale);
	/* 4. The withdrawals worker asks for w1's payout: no money, it fails. */
	test_world_withdrawals_pass(&w);
	done = get(w1->id, &t.owner);
	assert_int_equal(done->payout->status,
			 KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED);
	assert_string_equal(done->payout->failure_reason, "insufficient_funds");
	/* 5. Money comes in. */
	fund(&t, 10000);
	/* 6. The stale copy is advanced: it must not debit. */
	assert_int_equal(pay_payout_advance(&env, stale), 0);
	snprintf(ref, sizeof(ref), "payout:%s", w1->id);
	assert_int_equal(entries_like(&t, "DEBIT", ref), 0);
	assert_int_equal(balance(&t), 10000);
	snprintf(sql, sizeof(sql), "SELECT stage || '/' || status FROM payout WHERE id = '%s'",
		 stale->id);
	{
		char *now = test_pg_value(w.admin, sql);

		assert_string_equal(now, "settled/FAILED");
		free(now);
	}
	/* A retry (both officers still approve) pays once, from the deposit. */
	done = get(w1->id, &t.owner);
	assert_int_equal(done->status, W_PAYOUT_FAILED);
	assert_int_equal(retry(w1->id, &t.owner, &done), 0);
	assert_int_equal(done->status, W_PAID);
	snprintf(ref, sizeof(ref), "payout:%s%%", w1->id);
	assert_int_equal(entries_like(&t, "DEBIT", ref), 1);
	assert_int_equal(balance(&t), 0);
}

static void
test_single_officer_rule_pays_on_request(void **state)
{
	team t;
	Kolo__Groups__V1__UpdateGroupRequest up = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	const test_user *const officers[] = {&t.treasurer};

	make_team(&t, "single", 20000);
	up.group_id = t.group;
	up.optional_rule_template_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
	up.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER;
	assert_int_equal(test_world_call(&w, &w.groups, "UpdateGroup", &up, &upd, &t.owner), 0);
	/* The owner alone cannot: the treasurer passes the proposal. */
	assert_int_equal(upd->group->approvals_required, 2);
	test_world_pass(&w, upd->proposal, officers, 1, PIN);
	assert_int_equal(request(&t, &t.treasurer, 5000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(wd->status, W_PAID);
	assert_int_equal(balance(&t), 15000);
}

/* Proposes a group change (UpdateGroup) that the treasurer passes. */
static void
change_group(const team *t, Kolo__Groups__V1__UpdateGroupRequest *up)
{
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	const test_user *const officers[] = {&t->treasurer};

	up->group_id = (char *)t->group;
	assert_int_equal(test_world_call(&w, &w.groups, "UpdateGroup", up, &upd, &t->owner), 0);
	test_world_pass(&w, upd->proposal, officers, 1, PIN);
}

/* A funded team whose rule is one officer, and whose one tier asks two
 * approvals above above_kobo (both passed as proposals). */
static void
tiered_team(team *t, const char *tag, int64_t funds, int64_t above_kobo)
{
	Kolo__Groups__V1__UpdateGroupRequest rule = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupRequest tiers = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__ApprovalTier tier = KOLO__GROUPS__V1__APPROVAL_TIER__INIT;
	Kolo__Groups__V1__ApprovalTier *tier_list[] = {&tier};

	make_team(t, tag, funds);
	rule.optional_rule_template_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
	rule.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER;
	change_group(t, &rule);
	tier.above_kobo = above_kobo;
	tier.approvals_required = 2;
	tiers.n_approval_tiers = 1;
	tiers.approval_tiers = tier_list;
	change_group(t, &tiers);
}

/* DESIGN §12 tiers: under a single-officer rule, a withdrawal above the
 * tier's threshold needs two approvals, and so does one that only crosses
 * it with what the group paid out in the 24 hours before (a split). An
 * officer who is only proposed does not count. */
static void
test_tiers_need_more_approvals_and_splitting_does_not_dodge_them(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;

	tiered_team(&t, "tiers", 100000, 30000);
	/* Below the tier: one approval pays. */
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(wd->status, W_PAID);
	/* Below the tier alone, above it with today's 20000: two approvals. */
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(wd->status, W_PENDING);
	assert_int_equal(wd->approvals_required, 2);
	assert_int_equal(approve(wd->id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_int_equal(balance(&t), 60000);
}

/* Splitting in parallel does not dodge a tier either: a decision waits for
 * the group's decision in flight and then counts it. Another decision holds
 * the group's decision lock with an approved 30000 not yet committed; a
 * request of 30000 made meanwhile waits, then needs the tier's two
 * approvals (it would be paid at once if it had not waited). */
static void
test_parallel_splits_do_not_dodge_a_tier(void **state)
{
	team t;
	creator_arg arg;
	pthread_t thread;
	char sql[1024], *conninfo;
	PGconn *other;

	tiered_team(&t, "split-race", 200000, 50000);
	conninfo = test_pg_conninfo(w.dbname, NULL);
	other = test_pg_connect(conninfo);
	free(conninfo);
	snprintf(sql, sizeof(sql),
		 "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('%s', 15));"
		 " INSERT INTO withdrawal_request (group_id, amount_kobo, beneficiary, reason,"
		 " status, requested_by, approved_at) VALUES ('%s', 30000, '{}', 'in flight',"
		 " 'APPROVED', '%s', now())",
		 t.group, t.group, t.owner.id);
	test_pg_ok(other, sql);
	arg = (creator_arg){.t = &t};
	pthread_create(&thread, NULL, creator, &arg);
	for (int i = 0;
	     i < 6000 && test_pg_long(w.admin, "SELECT count(*) FROM pg_locks"
					       " WHERE locktype = 'advisory' AND NOT granted") == 0;
	     i++)
		usleep(5000); /* until the request waits on the decision in flight */
	test_pg_ok(other, "COMMIT");
	pthread_join(thread, NULL);
	PQfinish(other);
	assert_int_equal(arg.rc, 0);
	assert_int_equal(arg.status, W_PENDING);
	assert_int_equal(balance(&t), 200000);
	snprintf(sql, sizeof(sql),
		 "UPDATE withdrawal_request SET status = 'DECLINED' WHERE group_id = '%s'"
		 " AND reason = 'in flight'",
		 t.group);
	test_pg_ok(w.admin, sql);
}

/* DESIGN §12: an officer whose role is only proposed is not an officer:
 * their approval is refused and the request waits. */
static void
test_a_proposed_officer_does_not_approve(void **state)
{
	team t;
	test_user proposed;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *done = NULL;
	Kolo__Groups__V1__AddMemberRequest add = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *added = NULL;
	Kolo__Groups__V1__UpdateMemberRoleRequest promote =
		KOLO__GROUPS__V1__UPDATE_MEMBER_ROLE_REQUEST__INIT;
	Kolo__Groups__V1__UpdateMemberRoleResponse *promoted = NULL;

	make_team(&t, "proposed", 50000);
	assert_int_equal(request(&t, &t.owner, 20000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	test_identity_user(&w.identity, &proposed, "proposed-officer");
	test_world_set_pin(&w, &proposed, PIN);
	add.group_id = t.group;
	add.email = proposed.email;
	add.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	assert_int_equal(test_world_call(&w, &w.groups, "AddMember", &add, &added, &t.owner), 0);
	assert_non_null(added->proposal); /* waits for the treasurer */
	assert_int_equal(approve(wd->id, &proposed, PIN, NULL), ERR_NOT_FOUND); /* not even in */
	promote.group_id = t.group;
	promote.user_id = t.member.id;
	promote.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	assert_int_equal(
		test_world_call(&w, &w.groups, "UpdateMemberRole", &promote, &promoted, &t.owner),
		0);
	assert_non_null(promoted->proposal);
	assert_int_equal(approve(wd->id, &t.member, PIN, NULL), ERR_PERMISSION_DENIED);
	done = get(wd->id, &t.owner);
	assert_int_equal(done->status, W_PENDING);
	assert_int_equal(done->n_approvals, 1);
	assert_int_equal(balance(&t), 50000);
}

/* --- the property of DESIGN §12 ------------------------------------------------ */

#define COALITION_FRESH 4
#define COALITION_STEPS 45

typedef struct coalition {
	team t;
	test_user fresh[COALITION_FRESH];
	int n_fresh;
	char proposals[COALITION_STEPS][64];
	int n_proposals;
	char withdrawals[COALITION_STEPS][64];
	int n_withdrawals;
	unsigned seed;
} coalition;

static unsigned
coalition_rand(coalition *k, unsigned n)
{
	k->seed = k->seed * 1103515245u + 12345u;
	return (k->seed >> 16) % n;
}

/* Someone of the coalition: the owner or a member it added. */
static const test_user *
coalition_someone(coalition *k)
{
	unsigned i = coalition_rand(k, (unsigned)k->n_fresh + 1);

	return i == 0 ? &k->t.owner : &k->fresh[i - 1];
}

static void
coalition_keep_proposal(coalition *k, const Kolo__Groups__V1__Proposal *p)
{
	if (p && k->n_proposals < COALITION_STEPS)
		snprintf(k->proposals[k->n_proposals++], 64, "%s", p->id);
}

/* The owner adds a fresh member (a plain member: immediate). */
static void
coalition_recruit(coalition *k, int step)
{
	char tag[64];
	test_user *u;

	if (k->n_fresh == COALITION_FRESH)
		return;
	u = &k->fresh[k->n_fresh++];
	snprintf(tag, sizeof(tag), "coalition-%u-%d", k->seed, step);
	test_identity_user(&w.identity, u, tag);
	test_world_set_pin(&w, u, PIN);
	test_world_member(&w, k->t.group, &k->t.owner, u, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
}

/* The owner proposes what would let the coalition pay alone: one officer,
 * a fresh officer, or the honest treasurer out. */
static void
coalition_propose(coalition *k)
{
	Kolo__Groups__V1__UpdateGroupRequest up = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	Kolo__Groups__V1__UpdateMemberRoleRequest role =
		KOLO__GROUPS__V1__UPDATE_MEMBER_ROLE_REQUEST__INIT;
	Kolo__Groups__V1__UpdateMemberRoleResponse *roled = NULL;
	Kolo__Groups__V1__RemoveMemberRequest rm = KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *removed = NULL;

	switch (coalition_rand(k, 4)) {
	case 0:
		up.group_id = k->t.group;
		up.optional_rule_template_case =
			KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
		up.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER;
		if (test_world_call(&w, &w.groups, "UpdateGroup", &up, &upd, &k->t.owner) == 0)
			coalition_keep_proposal(k, upd->proposal);
		break;
	case 1:
		if (!k->n_fresh)
			break;
		role.group_id = k->t.group;
		role.user_id = k->fresh[coalition_rand(k, (unsigned)k->n_fresh)].id;
		role.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
		if (test_world_call(&w, &w.groups, "UpdateMemberRole", &role, &roled,
				    &k->t.owner) == 0)
			coalition_keep_proposal(k, roled->proposal);
		break;
	case 2:
		role.group_id = k->t.group;
		role.user_id = k->t.treasurer.id;
		role.role = KOLO__COMMON__V1__ROLE__ROLE_MEMBER;
		if (test_world_call(&w, &w.groups, "UpdateMemberRole", &role, &roled,
				    &k->t.owner) == 0)
			coalition_keep_proposal(k, roled->proposal);
		break;
	default:
		rm.group_id = k->t.group;
		rm.user_id = k->t.treasurer.id;
		if (test_world_call(&w, &w.groups, "RemoveMember", &rm, &removed, &k->t.owner) == 0)
			coalition_keep_proposal(k, removed->proposal);
		break;
	}
}

/* Someone of the coalition approves (or objects to) one of its proposals. */
static void
coalition_vote(coalition *k, const char *method)
{
	Kolo__Groups__V1__ApproveProposalRequest req =
		KOLO__GROUPS__V1__APPROVE_PROPOSAL_REQUEST__INIT;
	Kolo__Groups__V1__ApproveProposalResponse *resp = NULL;

	if (!k->n_proposals)
		return;
	req.proposal_id = k->proposals[coalition_rand(k, (unsigned)k->n_proposals)];
	req.pin = PIN;
	(void)test_world_call(&w, &w.groups, method, &req, &resp, coalition_someone(k));
}

/* The owner asks for money, or someone of the coalition approves or
 * retries one of its requests. */
static void
coalition_withdraw(coalition *k, unsigned what)
{
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	const char *id;

	if (what == 0 || !k->n_withdrawals) {
		if (request(&k->t, &k->t.owner, 1000 + coalition_rand(k, 40000), GOOD_ACCOUNT, PIN,
			    NULL, &wd) == 0)
			snprintf(k->withdrawals[k->n_withdrawals++], 64, "%s", wd->id);
		return;
	}
	id = k->withdrawals[coalition_rand(k, (unsigned)k->n_withdrawals)];
	if (what == 1)
		(void)approve(id, coalition_someone(k), PIN, NULL);
	else
		(void)retry(id, coalition_someone(k), NULL);
}

/* Random sequences of recruiting, proposals (one officer, fresh officers,
 * the honest treasurer demoted or removed), approvals and objections of
 * proposals, withdrawals, their approvals and retries, by the owner and any
 * number of members it added for the occasion: a coalition short of the
 * rule's two officers. Whatever it does, no money leaves and the honest
 * treasurer keeps their role. */
static void
test_a_coalition_short_of_the_rule_never_pays_out(void **state)
{
	static const unsigned seeds[] = {7, 1234, 99991};

	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		coalition *k = calloc(1, sizeof(*k));
		char sql[320], tag[32];

		assert_non_null(k);
		k->seed = seeds[s];
		snprintf(tag, sizeof(tag), "coalition-%u", k->seed);
		make_team(&k->t, tag, 100000);
		for (int step = 0; step < COALITION_STEPS; step++) {
			switch (coalition_rand(k, 7)) {
			case 0:
				coalition_recruit(k, step);
				break;
			case 1:
				coalition_propose(k);
				break;
			case 2:
				coalition_vote(k, "ApproveProposal");
				break;
			case 3:
				coalition_vote(k, "ObjectProposal");
				break;
			default:
				coalition_withdraw(k, coalition_rand(k, 3));
				break;
			}
			if (step % 10 == 9)
				test_world_withdrawals_pass(&w);
		}
		/* It did try: members, proposals and requests were made. */
		assert_true(k->n_fresh > 0 && k->n_proposals > 0 && k->n_withdrawals > 0);
		assert_int_equal(balance(&k->t), 100000);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM withdrawal_request WHERE group_id = '%s'"
			 " AND status IN ('APPROVED', 'PAID')",
			 k->t.group);
		assert_int_equal(test_pg_long(w.admin, sql), 0);
		snprintf(sql, sizeof(sql),
			 "SELECT string_agg(role_in_group, ',' ORDER BY role_in_group)"
			 " FROM group_membership WHERE group_id = '%s'"
			 " AND role_in_group <> 'MEMBER'",
			 k->t.group);
		{
			char *officers = test_pg_value(w.admin, sql);

			assert_string_equal(officers, "OWNER,TREASURER");
			free(officers);
		}
		snprintf(sql, sizeof(sql), "SELECT rule_template FROM \"group\" WHERE id = '%s'",
			 k->t.group);
		{
			char *rule = test_pg_value(w.admin, sql);

			assert_string_equal(rule, "two_officer");
			free(rule);
		}
		free(k);
	}
}

static void
test_requester_cancels_and_lists_filter(void **state)
{
	team t;
	test_user stranger;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL, *gone = NULL;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest list =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *listed = NULL;

	make_team(&t, "cancel", 20000);
	test_identity_user(&w.identity, &stranger, "cancel-stranger");
	assert_int_equal(request(&t, &t.treasurer, 5000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	assert_int_equal(decline(wd->id, &t.member, NULL), ERR_PERMISSION_DENIED);
	{
		/* A reason that is not text is refused and changes nothing. */
		Kolo__Withdrawals__V1__DeclineWithdrawalRequest req =
			KOLO__WITHDRAWALS__V1__DECLINE_WITHDRAWAL_REQUEST__INIT;
		Kolo__Withdrawals__V1__DeclineWithdrawalResponse *resp = NULL;

		req.withdrawal_id = wd->id;
		req.pin = PIN;
		req.reason = "no\x01way";
		assert_int_equal(test_world_call(&w, &w.withdrawals, "DeclineWithdrawal", &req,
						 &resp, &t.treasurer),
				 ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "invalid_reason");
		assert_int_equal(get(wd->id, &t.owner)->status, W_PENDING);
	}
	assert_int_equal(decline(wd->id, &t.treasurer, &gone), 0);
	assert_int_equal(gone->status, W_DECLINED);
	assert_string_equal(gone->declined_by, t.treasurer.id);
	assert_int_equal(approve(wd->id, &t.owner, PIN, NULL), ERR_FAILED_PRECONDITION);
	assert_int_equal(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, NULL), 0);
	list.group_id = t.group;
	list.status = W_DECLINED;
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &list, &listed, &t.member),
		0);
	assert_int_equal(listed->n_withdrawals, 1);
	list.status = 0;
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &list, &listed, &t.member),
		0);
	assert_int_equal(listed->n_withdrawals, 2);
	/* Each listed request carries its own approvals (its requester's). */
	assert_int_equal(listed->withdrawals[0]->n_approvals, 1);
	assert_string_equal(listed->withdrawals[0]->approvals[0]->user_id, t.owner.id);
	assert_int_equal(listed->withdrawals[1]->n_approvals, 1);
	assert_string_equal(listed->withdrawals[1]->approvals[0]->user_id, t.treasurer.id);
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &list, &listed, &stranger),
		ERR_NOT_FOUND);
	assert_int_equal(balance(&t), 20000);
}

/* Back to the default amount bound after a test that lowered it. */
static int
restore_amount_bound(void **state)
{
	assert_int_equal(money_set_max_kobo(MONEY_MAX_KOBO), 0);
	return test_world_check_ledger(state);
}

/* SELECT <what> FROM <table> WHERE group_id = t's group, as a long. */
static long
of_team(const team *t, const char *what_from)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s WHERE group_id = '%s'", what_from, t->group);
	return test_pg_long(w.admin, sql);
}

/* ₦250,000,000.00 (25,000,000,000 kobo, DESIGN §14) comes in, is asked
 * for, approved and paid out; one kobo more is refused at the deposit and
 * at the request, naming the maximum, and nothing is stored or held. */
static void
test_250_million_naira_in_and_out(void **state)
{
	const int64_t max = 25000000000LL;
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd, *done;
	char id[64];

	(void)state;
	make_team(&t, "large", max);
	fund(&t, max);
	assert_int_equal(balance(&t), 2 * max);
	assert_int_equal(deposit(&t, max + 1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_non_null(strstr(err_last()->message, "25000000000"));
	assert_int_equal(request(&t, &t.owner, max + 1, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(of_team(&t, "count(*) FROM withdrawal_request"), 0);
	assert_held(&t, 0);

	assert_int_equal(request(&t, &t.owner, max, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(id, sizeof(id), "%s", wd->id);
	assert_int_equal(wd->amount_kobo, max);
	assert_held(&t, max);
	assert_int_equal(approve(id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_int_equal(done->amount_kobo, max);
	assert_int_equal(balance(&t), max);
	assert_held(&t, 0);
	assert_int_equal(of_team(&t, "sum(amount_kobo) FROM withdrawal_request"), max);
	assert_int_equal(of_team(&t, "sum(amount_kobo) FROM payout"), max);
	assert_int_equal(debits(&t), 1);
	assert_int_equal(of_team(&t, "sum(amount_kobo) FILTER (WHERE type = 'DEBIT')"
				     " FROM ledger_entry"),
			 max);
}

/* KOLO_MAX_AMOUNT_KOBO lowers the bound for new deposits and requests; a
 * request admitted before it was lowered is still approved and paid. */
static void
test_a_lowered_bound_refuses_new_requests_only(void **state)
{
	team t;
	Kolo__Withdrawals__V1__Withdrawal *wd, *done;
	char id[64];

	(void)state;
	make_team(&t, "lowered", 5000000);
	assert_int_equal(request(&t, &t.owner, 2000000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(id, sizeof(id), "%s", wd->id);
	assert_int_equal(money_set_max_kobo(1000000), 0);
	assert_int_equal(deposit(&t, 1000001), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_string_equal(err_last()->message,
			    "amount_kobo must be at most 1000000 (NGN 10000.00)");
	assert_int_equal(request(&t, &t.owner, 1000001, GOOD_ACCOUNT, PIN, NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(of_team(&t, "count(*) FROM withdrawal_request"), 1);
	assert_int_equal(approve(id, &t.treasurer, PIN, &done), 0);
	assert_int_equal(done->status, W_PAID);
	assert_int_equal(balance(&t), 3000000);
	assert_held(&t, 0);
}

/* --- ended sessions (issue 18.7) --------------------------------------------------- */

/* Signs who in again: *out is who with the new access token; the refresh
 * token goes to refresh (64). */
static void
sign_in(const test_user *who, test_user *out, char *refresh)
{
	Kolo__Identity__V1__LoginRequest req = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Kolo__Identity__V1__LoginResponse *resp = NULL;

	req.email = (char *)who->email;
	req.password = "test password 123";
	assert_int_equal(test_world_call(&w, &w.identity.service, "Login", &req, &resp, NULL), 0);
	*out = *who;
	snprintf(out->access_token, sizeof(out->access_token), "%s", resp->access_token);
	snprintf(refresh, 64, "%s", resp->refresh_token);
}

static void
sign_out_everywhere(const char *refresh)
{
	Kolo__Identity__V1__LogoutRequest req = KOLO__IDENTITY__V1__LOGOUT_REQUEST__INIT;
	Kolo__Identity__V1__LogoutResponse *resp = NULL;

	req.refresh_token = (char *)refresh;
	req.all_devices = 1;
	assert_int_equal(test_world_call(&w, &w.identity.service, "Logout", &req, &resp, NULL), 0);
}

static int
create_group_as(const test_user *as)
{
	Kolo__Groups__V1__CreateGroupRequest req = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;

	req.name = "After the logout";
	return test_world_call(&w, &w.groups, "CreateGroup", &req, &resp, as);
}

static void
assert_refused(int rc, int code, const char *reason)
{
	assert_int_equal(rc, code);
	assert_string_equal(err_last()->reason, reason);
}

static long
withdrawals_of(const team *t)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM withdrawal_request WHERE group_id = '%s'",
		 t->group);
	return test_pg_long(w.admin, sql);
}

static long
groups_named(const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"group\" WHERE name = '%s'", name);
	return test_pg_long(w.admin, sql);
}

/* After "log out on all devices" the old access token requests, approves
 * and declines nothing and creates no group (within the services' poll of
 * identity: the test waits for the state), but still reads. Signed in
 * again, the officer acts. */
static void
test_logged_out_officers_move_no_money(void **state)
{
	team t;
	test_user again;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	Kolo__Groups__V1__GetGroupRequest get_group = KOLO__GROUPS__V1__GET_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__GetGroupResponse *group = NULL;
	char refresh[64], id[64];
	int rc = 0;

	make_team(&t, "gone", 100000);
	assert_int_equal(request(&t, &t.treasurer, 40000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	snprintf(id, sizeof(id), "%s", wd->id);
	sign_in(&t.owner, &again, refresh);
	sign_out_everywhere(refresh);
	/* t.owner's token (from Register) is of an ended session now. Wait
	 * for the services to learn it with an act that changes nothing when
	 * let in (declining no withdrawal at all: NOT_FOUND). */
	for (int i = 0; i < 250; i++) {
		rc = decline("00000000-0000-4000-8000-000000000000", &t.owner, NULL);
		if (rc != ERR_NOT_FOUND)
			break;
		usleep(20 * 1000);
	}
	assert_refused(rc, ERR_UNAUTHENTICATED, "session_revoked");
	assert_refused(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, NULL),
		       ERR_UNAUTHENTICATED, "session_revoked");
	assert_refused(approve(id, &t.owner, PIN, NULL), ERR_UNAUTHENTICATED, "session_revoked");
	assert_refused(approve(id, &again, PIN, NULL), ERR_UNAUTHENTICATED, "session_revoked");
	assert_refused(decline(id, &t.owner, NULL), ERR_UNAUTHENTICATED, "session_revoked");
	assert_refused(create_group_as(&t.owner), ERR_UNAUTHENTICATED, "session_revoked");
	{
		Kolo__Groups__V1__AddMemberRequest req = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
		Kolo__Groups__V1__AddMemberResponse *resp = NULL;
		test_user newcomer;

		test_identity_user(&w.identity, &newcomer, "gone-newcomer");
		req.group_id = t.group;
		req.email = newcomer.email;
		req.role = KOLO__COMMON__V1__ROLE__ROLE_MEMBER;
		assert_refused(test_world_call(&w, &w.groups, "AddMember", &req, &resp, &t.owner),
			       ERR_UNAUTHENTICATED, "session_revoked");
	}
	/* Reads go on; nothing changed. */
	get_group.group_id = t.group;
	assert_int_equal(test_world_call(&w, &w.groups, "GetGroup", &get_group, &group, &t.owner),
			 0);
	wd = get(id, &t.owner);
	assert_int_equal(wd->status, W_PENDING);
	assert_int_equal(wd->n_approvals, 1);
	assert_int_equal(withdrawals_of(&t), 1);
	assert_int_equal(groups_named("After the logout"), 0);
	assert_int_equal(balance(&t), 100000);
	/* Signed in again, the owner approves: paid. */
	sign_in(&t.owner, &again, refresh);
	assert_int_equal(approve(id, &again, PIN, &wd), 0);
	assert_int_equal(wd->status, W_PAID);
	assert_int_equal(balance(&t), 60000);
}

/* While identity cannot be asked, money acts fail closed (UNAVAILABLE
 * sessions_unknown) and change nothing; reads go on. */
static void
test_money_acts_fail_closed_while_identity_is_unreachable(void **state)
{
	team t;
	rpc_channel *nowhere = NULL;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest list =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *listed = NULL;
	const svc_sessions_config blind = {.poll_ms = 50, .max_stale_ms = 300};
	const svc_sessions_config normal = {.poll_ms = TEST_SESSIONS_POLL_MS,
					    .max_stale_ms = TEST_SESSIONS_MAX_STALE_MS,
					    .caller = "withdrawals",
					    .token = test_caller_token("withdrawals")};

	make_team(&t, "blind", 50000);
	assert_int_equal(request(&t, &t.treasurer, 10000, GOOD_ACCOUNT, PIN, NULL, &wd), 0);
	/* This process now follows an identity nothing answers for. */
	assert_int_equal(rpc_channel_open(&nowhere, "127.0.0.1:1",
					  &kolo__identity__v1__identity_service__descriptor, NULL),
			 0);
	svc_sessions_stop();
	assert_int_equal(svc_sessions_start(nowhere, &blind), 0);
	assert_refused(request(&t, &t.owner, 1000, GOOD_ACCOUNT, PIN, NULL, NULL), ERR_UNAVAILABLE,
		       "sessions_unknown");
	assert_refused(approve(wd->id, &t.owner, PIN, NULL), ERR_UNAVAILABLE, "sessions_unknown");
	assert_refused(create_group_as(&t.owner), ERR_UNAVAILABLE, "sessions_unknown");
	list.group_id = t.group;
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &list, &listed, &t.owner),
		0);
	assert_int_equal(listed->n_withdrawals, 1);
	assert_int_equal(get(wd->id, &t.owner)->n_approvals, 1);
	assert_int_equal(balance(&t), 50000);
	/* Identity back: the same act goes through. */
	svc_sessions_stop();
	rpc_channel_close(nowhere);
	assert_int_equal(svc_sessions_start(w.to_identity, &normal), 0);
	assert_int_equal(approve(wd->id, &t.owner, PIN, &wd), 0);
	assert_int_equal(wd->status, W_PAID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_request_approve_paid_once, test_world_check_ledger),
		cmocka_unit_test_teardown(test_250_million_naira_in_and_out,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_lowered_bound_refuses_new_requests_only,
					  restore_amount_bound),
		cmocka_unit_test_teardown(test_declining_an_unknown_withdrawal_is_not_found,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_members_and_strangers_may_not_act,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_approvals_of_demoted_officers_do_not_count,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_wrong_pin_is_refused_and_counted,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_bad_requests_are_refused, test_world_check_ledger),
		cmocka_unit_test_teardown(
			test_beneficiary_check_needs_the_pin_and_counts_against_resolve_limits,
			test_world_check_ledger),
		cmocka_unit_test_teardown(test_idempotency_key_returns_the_same_request,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_idempotency_key_replays_only_the_same_request,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(
			test_two_withdrawals_racing_for_one_balance_pay_at_most_once,
			test_world_check_ledger),
		cmocka_unit_test_teardown(test_holds_follow_the_request, test_world_check_ledger),
		cmocka_unit_test_teardown(test_approve_racing_decline_has_one_outcome,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_expired_requests_cannot_be_approved_and_are_swept,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_failed_payout_keeps_the_money_in_the_group,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_failed_payout_expires_closed,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_retry_needs_todays_officers,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_payout_attempts_are_capped, test_world_check_ledger),
		cmocka_unit_test_teardown(test_unpayable_withdrawal_does_not_stay_approved,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_unanswered_payout_asks_back_off,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_stale_payout_copy_cannot_debit_a_failed_attempt,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_single_officer_rule_pays_on_request,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(
			test_tiers_need_more_approvals_and_splitting_does_not_dodge_them,
			test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_proposed_officer_does_not_approve,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_parallel_splits_do_not_dodge_a_tier,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_coalition_short_of_the_rule_never_pays_out,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_requester_cancels_and_lists_filter,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_logged_out_officers_move_no_money,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_money_acts_fail_closed_while_identity_is_unreachable,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
