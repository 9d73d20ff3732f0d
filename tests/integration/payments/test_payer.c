/* Payer accounts and attribution at credit time (DESIGN §15) with the demo
 * provider: groups' AddPayerAccount / ListPayerAccounts / RemovePayerAccount /
 * MatchPayer, and payments' SimulateDeposit with a sender account, over real
 * gRPC against a throwaway PostgreSQL (identity, groups, ledger, payments in
 * one process). After each test the ledger invariant is checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "groups_service.h"
#include "payments_service.h"
#include "test_world.h"

#define MEMBER KOLO__COMMON__V1__ROLE__ROLE_MEMBER

static test_world w;

static int
check_invariant(void **state)
{
	(void)state;
	test_pg_payments_invariant(w.admin);
	return 0;
}

static int
add_payer(const test_user *as, const char *bank, const char *number, const char *request_id,
	  Kolo__Groups__V1__PayerAccount **out)
{
	Kolo__Groups__V1__AddPayerAccountRequest req =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *resp = NULL;
	int rc;

	req.bank_code = (char *)bank;
	req.account_number = (char *)number;
	req.request_id = (char *)(request_id ? request_id : "");
	rc = test_world_call(&w, &w.groups, "AddPayerAccount", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->payer_account : NULL;
	return rc;
}

static Kolo__Groups__V1__ListPayerAccountsResponse *
list_payers(const test_user *as)
{
	Kolo__Groups__V1__ListPayerAccountsRequest req =
		KOLO__GROUPS__V1__LIST_PAYER_ACCOUNTS_REQUEST__INIT;
	Kolo__Groups__V1__ListPayerAccountsResponse *resp = NULL;

	assert_int_equal(test_world_call(&w, &w.groups, "ListPayerAccounts", &req, &resp, as), 0);
	return resp;
}

static int
remove_payer(const test_user *as, const char *id)
{
	Kolo__Groups__V1__RemovePayerAccountRequest req =
		KOLO__GROUPS__V1__REMOVE_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__RemovePayerAccountResponse *resp = NULL;

	req.payer_account_id = (char *)id;
	return test_world_call(&w, &w.groups, "RemovePayerAccount", &req, &resp, as);
}

/* MatchPayer as payments (the service token): the user id, "" for none. */
static const char *
match(const char *group, const char *number, const char *bank_code, const char *bank_name)
{
	Kolo__Groups__V1__MatchPayerRequest req = KOLO__GROUPS__V1__MATCH_PAYER_REQUEST__INIT;
	Kolo__Groups__V1__MatchPayerResponse *resp = NULL;

	req.group_id = (char *)group;
	req.account_number = (char *)number;
	req.bank_code = (char *)bank_code;
	req.bank_name = (char *)bank_name;
	assert_int_equal(test_world_call(&w, &w.groups, "MatchPayer", &req, &resp, NULL), 0);
	return resp->user_id;
}

static long
payer_rows(const char *number)
{
	return test_pg_longf(
		w.admin, "SELECT count(*) FROM payer_account WHERE account_number = '%s'", number);
}

/* A demo deposit with a sender account: the entry, or NULL on error (*rc). */
static int
deposit_from(const char *group, const test_user *as, int64_t kobo, const char *number,
	     const char *bank, const char *key, Kolo__Payments__V1__SimulateDepositResponse **out)
{
	Kolo__Payments__V1__SimulateDepositRequest req =
		KOLO__PAYMENTS__V1__SIMULATE_DEPOSIT_REQUEST__INIT;
	Kolo__Payments__V1__SimulateDepositResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group;
	req.amount_kobo = kobo;
	req.sender_name = "ADA OBI";
	req.sender_account_number = (char *)(number ? number : "");
	req.sender_bank_code = (char *)(bank ? bank : "");
	req.client_ref = (char *)(key ? key : "");
	rc = test_world_call(&w, &w.payments, "SimulateDeposit", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp : NULL;
	return rc;
}

/* The user id the ledger entry is credited with, "" for NULL. */
static char *
entry_user(const char *entry_id)
{
	return test_pg_valuef(
		w.admin, "SELECT coalesce(user_id::text, '') FROM ledger_entry WHERE id = '%s'",
		entry_id);
}

static void
assert_entry_user(const char *entry_id, const char *user_id)
{
	char *got = entry_user(entry_id);

	assert_string_equal(got, user_id);
	free(got);
}

static void
assert_reason(const char *reason)
{
	assert_string_equal(err_last()->reason, reason);
}

/* --- AddPayerAccount: every bad input, nothing stored --------------------------- */

static void
test_bad_payer_accounts_store_nothing(void **state)
{
	static const char *const bad_numbers[] = {"",		"123456789",   "12345678901",
						  "12345abcde", " 1234567890", "1234567890 ",
						  "١٢٣٤٥٦٧٨٩٠"};
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "payer-bad");
	for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++) {
		assert_int_equal(add_payer(&u, "058", bad_numbers[i], NULL, NULL),
				 ERR_INVALID_ARGUMENT);
		assert_reason("invalid_account_number");
	}
	/* Not a code, or not a bank of the list. */
	assert_int_equal(add_payer(&u, "", "3000000001", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_reason("invalid_bank_code");
	assert_int_equal(add_payer(&u, "58", "3000000001", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_reason("invalid_bank_code");
	assert_int_equal(add_payer(&u, "999", "3000000001", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_reason("invalid_bank_code");
	assert_int_equal(add_payer(&u, "058", "3000000001", "bad\nkey", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_request_id");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM payer_account WHERE user_id = '%s'",
				       u.id),
			 0);
	assert_int_equal(list_payers(&u)->n_payer_accounts, 0);
	/* No token: no account. */
	assert_int_equal(add_payer(NULL, "058", "3000000001", NULL, NULL), ERR_UNAUTHENTICATED);
	assert_int_equal(payer_rows("3000000001"), 0);
}

/* --- register, again, list, remove ---------------------------------------------- */

static void
test_add_list_remove_payer_account(void **state)
{
	Kolo__Groups__V1__PayerAccount *first = NULL, *again = NULL, *keyed = NULL, *replay = NULL;
	Kolo__Groups__V1__ListPayerAccountsResponse *list;
	test_user u, other;

	(void)state;
	test_identity_user(&w.identity, &u, "payer-crud");
	test_identity_user(&w.identity, &other, "payer-crud-other");
	assert_int_equal(add_payer(&u, "058", "3000000101", NULL, &first), 0);
	assert_string_equal(first->bank_code, "058");
	assert_string_equal(first->bank_name, "GTBank");
	assert_string_equal(first->account_number, "3000000101");
	/* The demo provider names no holder. */
	assert_string_equal(first->account_name, "");
	assert_true(strlen(first->created_at) > 0);
	/* The same account again is the same registration. */
	assert_int_equal(add_payer(&u, "058", "3000000101", NULL, &again), 0);
	assert_string_equal(again->id, first->id);
	assert_int_equal(payer_rows("3000000101"), 1);
	/* The same number at another bank is another account. */
	assert_int_equal(add_payer(&u, "044", "3000000101", "key-1", &keyed), 0);
	assert_string_not_equal(keyed->id, first->id);
	assert_string_equal(keyed->bank_name, "Access Bank");
	assert_int_equal(add_payer(&u, "044", "3000000101", "key-1", &replay), 0);
	assert_string_equal(replay->id, keyed->id);
	/* The key on another request. */
	assert_int_equal(add_payer(&u, "057", "3000000101", "key-1", NULL), ERR_ALREADY_EXISTS);
	assert_reason("request_id_reused");
	list = list_payers(&u);
	assert_int_equal(list->n_payer_accounts, 2);
	assert_string_equal(list->payer_accounts[0]->id, first->id);
	assert_string_equal(list->payer_accounts[1]->id, keyed->id);
	/* Another user's, a malformed id, then the caller's own. */
	assert_int_equal(remove_payer(&other, first->id), ERR_NOT_FOUND);
	assert_reason("payer_account_not_found");
	assert_int_equal(remove_payer(&u, "not-a-uuid"), ERR_INVALID_ARGUMENT);
	assert_reason("invalid_id");
	assert_int_equal(remove_payer(&u, first->id), 0);
	assert_int_equal(remove_payer(&u, first->id), ERR_NOT_FOUND);
	assert_reason("payer_account_not_found");
	list = list_payers(&u);
	assert_int_equal(list->n_payer_accounts, 1);
	assert_string_equal(list->payer_accounts[0]->id, keyed->id);
	/* The removed row stays (the trail); registering again is a new one. */
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM payer_account WHERE id = '%s'"
				       " AND removed_at IS NOT NULL",
				       first->id),
			 1);
	assert_int_equal(add_payer(&u, "058", "3000000101", NULL, &again), 0);
	assert_string_not_equal(again->id, first->id);
}

/* --- at most 10 live accounts a user --------------------------------------------- */

static long
live_payers(const test_user *u)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM payer_account WHERE user_id = '%s'"
			     " AND removed_at IS NULL",
			     u->id);
}

static void
test_a_user_holds_ten_payer_accounts_at_most(void **state)
{
	Kolo__Groups__V1__PayerAccount *first = NULL, *again = NULL;
	test_user u;
	char number[16];

	(void)state;
	test_identity_user(&w.identity, &u, "payer-cap");
	for (int i = 0; i < 10; i++) {
		snprintf(number, sizeof(number), "30000008%02d", i);
		assert_int_equal(add_payer(&u, "058", number, NULL, i == 0 ? &first : NULL), 0);
	}
	/* The eleventh is refused, nothing stored. */
	assert_int_equal(add_payer(&u, "058", "3000000810", NULL, NULL), ERR_FAILED_PRECONDITION);
	assert_reason("too_many_payer_accounts");
	assert_int_equal(live_payers(&u), 10);
	assert_int_equal(payer_rows("3000000810"), 0);
	/* One of the ten again is the same registration, not an eleventh. */
	assert_int_equal(add_payer(&u, "058", "3000000800", NULL, &again), 0);
	assert_string_equal(again->id, first->id);
	/* Once one is removed, another fits. */
	assert_int_equal(remove_payer(&u, first->id), 0);
	assert_int_equal(add_payer(&u, "058", "3000000810", NULL, NULL), 0);
	assert_int_equal(live_payers(&u), 10);
}

/* --- resolutions for payer accounts are counted per user ------------------------ */

static void
test_payer_registrations_are_rate_limited_per_user(void **state)
{
	const pay_deps saved = *pay_current();
	pay_deps limited = saved;
	Kolo__Groups__V1__PayerAccount *first = NULL, *again = NULL;
	test_user u, other;

	(void)state;
	test_identity_user(&w.identity, &u, "payer-rate");
	test_identity_user(&w.identity, &other, "payer-rate-other");
	limited.resolve_per_user = 3;
	limited.resolve_window_s = 3600;
	pay_configure(&limited);
	for (int i = 0; i < 3; i++) {
		char number[16];

		snprintf(number, sizeof(number), "30000009%02d", i);
		assert_int_equal(
			add_payer(&u, "058", number, i ? NULL : "payer-rate-0", i ? NULL : &first),
			0);
	}
	/* A retry of the first is its replay, past the limit too, and spends
	 * no resolution. */
	assert_int_equal(add_payer(&u, "058", "3000000900", "payer-rate-0", &again), 0);
	assert_string_equal(again->id, first->id);
	/* The fourth within the hour: refused with a hint, nothing stored. */
	assert_int_equal(add_payer(&u, "058", "3000000903", NULL, NULL), ERR_RESOURCE_EXHAUSTED);
	assert_reason("rate_limited");
	assert_true(err_last()->retry_after_s > 0 && err_last()->retry_after_s <= 3600);
	assert_int_equal(payer_rows("3000000903"), 0);
	assert_int_equal(live_payers(&u), 3);
	/* Another user's count is their own. */
	assert_int_equal(add_payer(&other, "058", "3000000903", NULL, NULL), 0);
	/* The count is payments' (resolve_payer), kept in PostgreSQL. */
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT hits FROM payments_rate_window"
				       " WHERE kind = 'resolve_payer' AND key = '%s'",
				       u.id),
			 4);
	pay_configure(&saved);
}

/* --- one member per group and account -------------------------------------------- */

static void
test_payer_account_in_use_within_shared_groups(void **state)
{
	test_team t;
	test_user loner;
	Kolo__Groups__V1__PayerAccount *mine = NULL, *theirs = NULL;
	char other_group[64];

	(void)state;
	test_world_team(&w, &t, "payer-use", "Payer club", 0);
	test_identity_user(&w.identity, &loner, "payer-use-loner");
	assert_int_equal(add_payer(&t.member, "058", "3000000201", NULL, &mine), 0);
	/* The owner shares the group with the member: refused, nothing stored. */
	assert_int_equal(add_payer(&t.owner, "058", "3000000201", NULL, NULL), ERR_ALREADY_EXISTS);
	assert_reason("payer_account_in_use");
	assert_int_equal(payer_rows("3000000201"), 1);
	assert_string_equal(match(t.group, "3000000201", "058", ""), t.member.id);
	/* A bank name with no code: the one member's registered bank must
	 * agree with it (GTBank: "GTBANK PLC" does, Zenith Bank does not). */
	assert_string_equal(match(t.group, "3000000201", "", "GTBANK PLC"), t.member.id);
	assert_string_equal(match(t.group, "3000000201", "", "Zenith Bank"), "");
	/* A user in no group with the member may register it. */
	assert_int_equal(add_payer(&loner, "058", "3000000201", NULL, &theirs), 0);
	assert_int_equal(payer_rows("3000000201"), 2);
	/* In the loner's own group, the loner pays from it. */
	test_world_group(&w, &loner, "Loner club", other_group);
	assert_string_equal(match(other_group, "3000000201", "058", ""), loner.id);
	/* Once the loner joins the member's group, the account is two
	 * members': deposits from it are unallocated there. */
	test_world_member(&w, t.group, &t.owner, &loner, MEMBER);
	assert_string_equal(match(t.group, "3000000201", "058", ""), "");
	assert_string_equal(match(t.group, "3000000201", "", "GTBank"), "");
	/* ... and in the loner's group it is still the loner's (the member is
	 * not in it). */
	assert_string_equal(match(other_group, "3000000201", "", ""), loner.id);
	/* Once one of them removes it, the other's again. */
	assert_int_equal(remove_payer(&loner, theirs->id), 0);
	assert_string_equal(match(t.group, "3000000201", "058", ""), t.member.id);
	/* Removed: nobody in the loner's group pays from it now. */
	assert_string_equal(match(other_group, "3000000201", "", ""), "");
}

/* --- MatchPayer: bank code narrows, a bank name breaks ties, ambiguity is "" ----- */

static void
test_match_payer_narrows_and_breaks_ties(void **state)
{
	test_team t;
	test_user joiner;

	(void)state;
	test_world_team(&w, &t, "payer-match", "Match club", 0);
	test_identity_user(&w.identity, &joiner, "payer-match-joiner");
	/* The same number at two banks: two accounts of two members. */
	assert_int_equal(add_payer(&t.member, "058", "3000000301", NULL, NULL), 0);
	assert_int_equal(add_payer(&joiner, "044", "3000000301", NULL, NULL), 0);
	test_world_member(&w, t.group, &t.owner, &joiner, MEMBER);
	assert_string_equal(match(t.group, "3000000301", "058", ""), t.member.id);
	assert_string_equal(match(t.group, "3000000301", "044", ""), joiner.id);
	assert_string_equal(match(t.group, "3000000301", "057", ""), "");
	/* No bank at all: two members, none chosen. */
	assert_string_equal(match(t.group, "3000000301", "", ""), "");
	/* A provider's bank name (spelt its own way) breaks the tie. */
	assert_string_equal(match(t.group, "3000000301", "", "GTBANK PLC"), t.member.id);
	assert_string_equal(match(t.group, "3000000301", "", "ACCESS BANK NIGERIA"), joiner.id);
	assert_string_equal(match(t.group, "3000000301", "", "Zenith Bank"), "");
	/* A bank name never overrides a single match. */
	assert_string_equal(match(t.group, "3000000301", "058", "Access Bank"), t.member.id);
	/* Unknown account, a stranger's group, bad input. */
	assert_string_equal(match(t.group, "3000000399", "", ""), "");
	{
		Kolo__Groups__V1__MatchPayerRequest req =
			KOLO__GROUPS__V1__MATCH_PAYER_REQUEST__INIT;
		Kolo__Groups__V1__MatchPayerResponse *resp = NULL;

		req.group_id = t.group;
		req.account_number = "12345";
		assert_int_equal(test_world_call(&w, &w.groups, "MatchPayer", &req, &resp, NULL),
				 ERR_INVALID_ARGUMENT);
		assert_reason("invalid_account_number");
		/* Users may not ask. */
		req.account_number = "3000000301";
		assert_int_equal(
			test_world_call(&w, &w.groups, "MatchPayer", &req, &resp, &t.owner),
			ERR_UNAUTHENTICATED);
	}
}

/* --- attribution at credit time (SimulateDeposit) -------------------------------- */

static void
test_demo_deposits_are_attributed_at_credit_time(void **state)
{
	Kolo__Payments__V1__SimulateDepositResponse *known = NULL, *unknown = NULL, *none = NULL,
						    *replay = NULL, *later = NULL;
	Kolo__Groups__V1__PayerAccount *payer = NULL;
	test_team t;

	(void)state;
	test_world_team(&w, &t, "payer-credit", "Credit club", 0);
	assert_int_equal(add_payer(&t.member, "058", "3000000401", NULL, &payer), 0);
	/* From the member's account (the owner simulates the bank). */
	assert_int_equal(
		deposit_from(t.group, &t.owner, 500000, "3000000401", "058", "k-known", &known), 0);
	assert_entry_user(known->entry->id, t.member.id);
	assert_string_equal(known->entry->user_id, t.member.id);
	/* From an account no member registered: unallocated. */
	assert_int_equal(
		deposit_from(t.group, &t.owner, 300000, "3000000499", "058", NULL, &unknown), 0);
	assert_entry_user(unknown->entry->id, "");
	/* No sender account: the demo stands in for the caller's own transfer. */
	assert_int_equal(deposit_from(t.group, &t.member, 100000, NULL, NULL, NULL, &none), 0);
	assert_entry_user(none->entry->id, t.member.id);
	/* The same deposit again: one entry, still the member's. */
	assert_int_equal(
		deposit_from(t.group, &t.owner, 500000, "3000000401", "058", "k-known", &replay),
		0);
	assert_true(replay->replayed);
	assert_string_equal(replay->entry->id, known->entry->id);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_entry WHERE group_id = '%s'"
				       " AND user_id = '%s' AND amount_kobo = 500000",
				       t.group, t.member.id),
			 1);
	/* Once removed, later deposits from the account are unallocated; the
	 * one credited stays the member's. */
	assert_int_equal(remove_payer(&t.member, payer->id), 0);
	assert_int_equal(deposit_from(t.group, &t.owner, 200000, "3000000401", "058", NULL, &later),
			 0);
	assert_entry_user(later->entry->id, "");
	assert_entry_user(known->entry->id, t.member.id);
}

static void
test_bad_demo_senders_change_nothing(void **state)
{
	test_team t;
	long before;

	(void)state;
	test_world_team(&w, &t, "payer-demo-bad", "Demo bad club", 0);
	before = test_pg_longf(w.admin, "SELECT count(*) FROM ledger_entry WHERE group_id = '%s'",
			       t.group);
	assert_int_equal(deposit_from(t.group, &t.owner, 1000, "300000050", "058", NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_account_number");
	assert_int_equal(deposit_from(t.group, &t.owner, 1000, "30000005x1", "058", NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_account_number");
	/* A bank without an account, an account without a bank, a bank not listed. */
	assert_int_equal(deposit_from(t.group, &t.owner, 1000, NULL, "058", NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_account_number");
	assert_int_equal(deposit_from(t.group, &t.owner, 1000, "3000000501", NULL, NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_bank_code");
	assert_int_equal(deposit_from(t.group, &t.owner, 1000, "3000000501", "999", NULL, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_reason("invalid_bank_code");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_entry WHERE group_id = '%s'",
				       t.group),
			 before);
}

/* --- two users registering one account at once: one wins ------------------------- */

typedef struct race_arg {
	const test_user *user;
	const char *number;
	pthread_barrier_t *start;
	int rc;
	char reason[64];
} race_arg;

static void *
race_add(void *p)
{
	race_arg *r = p;
	Kolo__Groups__V1__AddPayerAccountRequest req =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *resp = NULL;
	test_caller who = {.access_token = r->user->access_token};
	mem_arena *a = mem_arena_new(0);

	req.bank_code = "058";
	req.account_number = (char *)r->number;
	pthread_barrier_wait(r->start);
	r->rc = test_call(&w.groups, "AddPayerAccount", &req.base, (ProtobufCMessage **)&resp, a,
			  &who);
	snprintf(r->reason, sizeof(r->reason), "%s", r->rc < 0 ? err_last()->reason : "");
	mem_arena_free(a);
	return NULL;
}

static void
test_concurrent_registrations_of_one_account_let_one_win(void **state)
{
	test_team t;

	(void)state;
	test_world_team(&w, &t, "payer-race", "Race club", 0);
	for (int round = 0; round < 8; round++) {
		char number[16];
		pthread_barrier_t start;
		pthread_t th[2];
		race_arg args[2] = {{.user = &t.owner, .number = number, .start = &start},
				    {.user = &t.member, .number = number, .start = &start}};

		snprintf(number, sizeof(number), "30000007%02d", round);
		pthread_barrier_init(&start, NULL, 2);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&th[i], NULL, race_add, &args[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&start);
		/* Exactly one registered it; the other was told who. */
		assert_int_equal((args[0].rc == 0) + (args[1].rc == 0), 1);
		assert_string_equal(args[args[0].rc == 0 ? 1 : 0].reason, "payer_account_in_use");
		assert_int_equal(payer_rows(number), 1);
		assert_string_equal(match(t.group, number, "058", ""),
				    args[0].rc == 0 ? t.owner.id : t.member.id);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_payer_accounts_store_nothing, check_invariant),
		cmocka_unit_test_teardown(test_add_list_remove_payer_account, check_invariant),
		cmocka_unit_test_teardown(test_a_user_holds_ten_payer_accounts_at_most,
					  check_invariant),
		cmocka_unit_test_teardown(test_payer_registrations_are_rate_limited_per_user,
					  check_invariant),
		cmocka_unit_test_teardown(test_payer_account_in_use_within_shared_groups,
					  check_invariant),
		cmocka_unit_test_teardown(test_match_payer_narrows_and_breaks_ties,
					  check_invariant),
		cmocka_unit_test_teardown(test_demo_deposits_are_attributed_at_credit_time,
					  check_invariant),
		cmocka_unit_test_teardown(test_bad_demo_senders_change_nothing, check_invariant),
		cmocka_unit_test_teardown(test_concurrent_registrations_of_one_account_let_one_win,
					  check_invariant),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
