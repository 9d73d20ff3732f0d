/* kolo-payments with the demo provider over real gRPC against a throwaway
 * PostgreSQL, with identity, groups and ledger in the same process. The
 * worker runs only when a test calls pay_worker_pass(). After each test
 * the ledger invariant is checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "groups_service.h"
#include "payments_service.h"
#include "test_world.h"

#define SUCCESS KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS
#define FAILED	KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED
#define PENDING KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_PENDING

static test_world w;

static int
check_invariant(void **state)
{
	test_pg_payments_invariant(w.admin);
	return 0;
}

typedef struct club {
	test_user owner;
	char group[64];
} club;

static void
open_club(club *c, const char *tag)
{
	test_identity_user(&w.identity, &c->owner, tag);
	test_world_group(&w, &c->owner, "Payments club", c->group);
}

static long
count(const char *fmt, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof(sql), fmt, arg);
	return test_pg_long(w.admin, sql);
}

static int64_t
balance(const club *c)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)c->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	return resp->balance_kobo;
}

static int
deposit(const club *c, int64_t kobo, const char *key,
	Kolo__Payments__V1__SimulateDepositResponse **out)
{
	Kolo__Payments__V1__SimulateDepositRequest req =
		KOLO__PAYMENTS__V1__SIMULATE_DEPOSIT_REQUEST__INIT;
	Kolo__Payments__V1__SimulateDepositResponse *resp = NULL;
	int rc;

	req.group_id = (char *)c->group;
	req.amount_kobo = kobo;
	req.client_ref = (char *)(key ? key : "");
	rc = test_world_call(&w, &w.payments, "SimulateDeposit", &req, &resp, &c->owner);
	if (out)
		*out = resp;
	return rc;
}

/* A withdrawal row for payouts to hang from (the withdrawals service's
 * table; that service is not part of this test). */
static void
withdrawal_row(const club *c, int64_t kobo, char *id)
{
	char sql[512], *v;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO withdrawal_request (group_id, amount_kobo, beneficiary,"
		 " status, requested_by) VALUES ('%s', %lld, '{}', 'APPROVED', '%s')"
		 " RETURNING id",
		 c->group, (long long)kobo, c->owner.id);
	v = test_pg_value(w.admin, sql);
	snprintf(id, 64, "%s", v);
	free(v);
}

static int
payout(const club *c, const char *wid, int64_t kobo, const char *account, int attempt,
       Kolo__Payments__V1__CreatePayoutResponse **out)
{
	Kolo__Payments__V1__CreatePayoutRequest req =
		KOLO__PAYMENTS__V1__CREATE_PAYOUT_REQUEST__INIT;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;

	b.bank_code = "058";
	b.account_number = (char *)account;
	b.account_name = "Ngozi Eze";
	req.withdrawal_id = (char *)wid;
	req.group_id = (char *)c->group;
	req.amount_kobo = kobo;
	req.beneficiary = &b;
	req.attempt = attempt;
	return test_world_call(&w, &w.payments, "CreatePayout", &req, out, NULL);
}

static void
test_new_group_gets_an_active_account(void **state)
{
	club c;
	test_user stranger;
	Kolo__Payments__V1__GetAccountRequest req = KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__GetAccountResponse *resp = NULL;
	char first[32];

	open_club(&c, "pay-account");
	test_identity_user(&w.identity, &stranger, "pay-account-stranger");
	req.group_id = c.group;
	assert_int_equal(test_world_call(&w, &w.payments, "GetAccount", &req, &resp, &c.owner), 0);
	assert_int_equal(resp->account->status,
			 KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE);
	assert_int_equal(strlen(resp->account->virtual_account_number), 10);
	assert_string_equal(resp->account->bank_name, "Wema Bank");
	assert_string_equal(resp->account->provider, "demo");
	snprintf(first, sizeof(first), "%s", resp->account->virtual_account_number);
	/* Asking again changes nothing: one account per group. */
	assert_int_equal(test_world_call(&w, &w.payments, "GetAccount", &req, &resp, &c.owner), 0);
	assert_string_equal(resp->account->virtual_account_number, first);
	assert_int_equal(count("SELECT count(*) FROM account WHERE group_id = '%s'", c.group), 1);
	assert_int_equal(count("SELECT count(*) FROM account_metadata m JOIN account a"
			       " ON a.id = m.account_id WHERE a.group_id = '%s'",
			       c.group),
			 1);
	assert_int_equal(count("SELECT count(*) FROM va_request WHERE group_id = '%s'"
			       " AND status = 'success'",
			       c.group),
			 1);
	assert_int_equal(test_world_call(&w, &w.payments, "GetAccount", &req, &resp, &stranger),
			 ERR_NOT_FOUND);
}

static void
test_demo_deposits_credit_once_per_key(void **state)
{
	club c;
	Kolo__Payments__V1__SimulateDepositResponse *first = NULL, *again = NULL;

	open_club(&c, "pay-deposit");
	assert_int_equal(deposit(&c, 150000, NULL, &first), 0);
	assert_false(first->replayed);
	assert_string_equal(first->entry->source, "demo");
	assert_true(first->entry->simulated);
	assert_int_equal(deposit(&c, 25000, "key-1", &first), 0);
	assert_int_equal(deposit(&c, 25000, "key-1", &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, first->entry->id);
	assert_int_equal(deposit(&c, 26000, "key-1", NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "idempotency_key_used");
	assert_int_equal(deposit(&c, 0, NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_int_equal(deposit(&c, 1, "bad key with spaces", NULL), ERR_INVALID_ARGUMENT);
	assert_int_equal(balance(&c), 175000);
}

/* An Idempotency-Key is scoped by the group, whatever the case the id was
 * typed in: the upper-case id is the same group, so the same deposit. */
static void
test_deposit_key_is_scoped_by_the_canonical_group_id(void **state)
{
	club c, upper;
	Kolo__Payments__V1__SimulateDepositResponse *first = NULL, *again = NULL;

	open_club(&c, "pay-deposit-case");
	upper = c;
	for (char *p = upper.group; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_int_equal(deposit(&c, 42000, "case-key", &first), 0);
	assert_false(first->replayed);
	assert_int_equal(deposit(&upper, 42000, "case-key", &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, first->entry->id);
	assert_int_equal(balance(&c), 42000);
	assert_int_equal(count("SELECT count(*) FROM ledger_entry WHERE group_id = '%s'", c.group),
			 1);
	assert_int_equal(count("SELECT count(*) FROM ledger_entry WHERE client_ref = '%s:case-key'",
			       c.group),
			 1);
}

static void
test_payout_success_debits_once(void **state)
{
	club c;
	char wid[64];
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL, *again = NULL;

	open_club(&c, "pay-out");
	assert_int_equal(deposit(&c, 100000, NULL, NULL), 0);
	withdrawal_row(&c, 40000, wid);
	assert_int_equal(payout(&c, wid, 40000, "0123456789", 1, &r), 0);
	assert_int_equal(r->payout->status, SUCCESS);
	assert_true(r->payout->executed_at[0]);
	assert_string_equal(r->payout->beneficiary->account_number, "0123456789");
	assert_int_equal(balance(&c), 60000);
	assert_int_equal(payout(&c, wid, 40000, "0123456789", 1, &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->payout->id, r->payout->id);
	assert_int_equal(balance(&c), 60000);
	assert_int_equal(
		count("SELECT count(*) FROM ledger_entry WHERE reference = 'payout:%s'", wid), 1);
	/* The same attempt with other content is refused. */
	assert_int_equal(payout(&c, wid, 40001, "0123456789", 1, NULL), ERR_ALREADY_EXISTS);
}

static void
test_failed_transfer_is_reversed(void **state)
{
	club c;
	char wid[64];
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	open_club(&c, "pay-fail");
	assert_int_equal(deposit(&c, 50000, NULL, NULL), 0);
	withdrawal_row(&c, 30000, wid);
	assert_int_equal(payout(&c, wid, 30000, "0000123456", 1, &r), 0);
	assert_int_equal(r->payout->status, FAILED);
	assert_true(r->payout->failure_reason[0]);
	assert_int_equal(balance(&c), 50000);
	assert_int_equal(count("SELECT count(*) FROM ledger_entry WHERE reference = 'reversal:%s'"
			       " AND type = 'CREDIT'",
			       wid),
			 1);
	assert_int_equal(
		count("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'", wid), 1);
	/* A second attempt is a new payout with its own references. */
	assert_int_equal(payout(&c, wid, 30000, "0123456789", 2, &r), 0);
	assert_int_equal(r->payout->status, SUCCESS);
	assert_int_equal(r->payout->attempt, 2);
	assert_int_equal(balance(&c), 20000);
}

static void
test_pending_transfer_is_settled_by_the_worker(void **state)
{
	club c;
	char wid[64];
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;
	Kolo__Payments__V1__GetPayoutRequest get = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__INIT;
	Kolo__Payments__V1__GetPayoutResponse *got = NULL;

	open_club(&c, "pay-pending");
	assert_int_equal(deposit(&c, 10000, NULL, NULL), 0);
	withdrawal_row(&c, 7000, wid);
	assert_int_equal(payout(&c, wid, 7000, "9999000001", 1, &r), 0);
	assert_int_equal(r->payout->status, PENDING);
	assert_int_equal(balance(&c), 3000);
	pay_worker_pass();
	get.key_case = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_WITHDRAWAL_ID;
	get.withdrawal_id = wid;
	assert_int_equal(test_world_call(&w, &w.payments, "GetPayout", &get, &got, &c.owner), 0);
	assert_int_equal(got->payout->status, SUCCESS);
	assert_int_equal(balance(&c), 3000);
}

static void
test_unfunded_payout_fails_without_moving_money(void **state)
{
	club c;
	char wid[64];
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	open_club(&c, "pay-unfunded");
	assert_int_equal(deposit(&c, 1000, NULL, NULL), 0);
	withdrawal_row(&c, 5000, wid);
	assert_int_equal(payout(&c, wid, 5000, "0123456789", 1, &r), 0);
	assert_int_equal(r->payout->status, FAILED);
	assert_string_equal(r->payout->failure_reason, "insufficient_funds");
	assert_int_equal(balance(&c), 1000);
	assert_int_equal(
		count("SELECT count(*) FROM ledger_entry WHERE reference LIKE 'reversal:%s%%'",
		      wid),
		0);
}

static int
demo_send(pay_provider *bank, const char *reference, const char *account, pay_transfer_result *out)
{
	pay_transfer_request req = {.reference = reference,
				    .amount_kobo = 7000,
				    .bank_code = "058",
				    .account_number = account,
				    .account_name = "Ngozi Eze",
				    .narration = "Kolo payout"};
	int rc = bank->ops->create_transfer(bank, &req, out);

	pay_free_raw(&out->raw_json);
	return rc;
}

/* The demo bank keeps its transfers in the payments database: a pending
 * transfer is still known after a restart (a new provider object), and
 * the same reference never makes a second transfer. */
static void
test_demo_transfers_outlive_a_restart(void **state)
{
	pay_provider *bank = NULL;
	pay_transfer_result res;
	char *ref = test_pg_value(w.admin, "SELECT gen_random_uuid()");
	char *refused = test_pg_value(w.admin, "SELECT gen_random_uuid()");

	assert_int_equal(pay_demo_new(&bank), 0);
	assert_int_equal(demo_send(bank, ref, "9999000002", &res), 0);
	assert_int_equal(res.status, PAY_TRANSFER_PENDING);
	bank->ops->destroy(bank); /* the service restarts */
	assert_int_equal(pay_demo_new(&bank), 0);
	/* Sent again with other content: the stored transfer, not a new one. */
	assert_int_equal(demo_send(bank, ref, "0000123456", &res), 0);
	assert_int_equal(res.status, PAY_TRANSFER_PENDING);
	assert_int_equal(res.amount_kobo, 7000);
	assert_int_equal(bank->ops->get_transfer(bank, ref, NULL, &res), 0);
	pay_free_raw(&res.raw_json);
	assert_int_equal(res.status, PAY_TRANSFER_SUCCESS); /* settles when asked about */
	assert_int_equal(count("SELECT count(*) FROM demo_transfer WHERE reference = '%s'", ref),
			 1);
	assert_int_equal(count("SELECT count(*) FROM demo_transfer WHERE reference = '%s'"
			       " AND status = 'SUCCESS'",
			       ref),
			 1);
	/* The documented way to fail a transfer still works. */
	assert_int_equal(demo_send(bank, refused, "0000123456", &res), 0);
	assert_int_equal(res.status, PAY_TRANSFER_FAILED);
	assert_int_equal(bank->ops->get_transfer(bank, "never-sent", NULL, &res), ERR_NOT_FOUND);
	bank->ops->destroy(bank);
	/* These transfers were sent for no payout: the demo bank forgets them
	 * so the money invariants (every demo transfer is a payout's) hold. */
	test_pg_ok(w.admin, mem_arena_printf(w.arena,
					     "DELETE FROM demo_transfer"
					     " WHERE reference IN ('%s', '%s')",
					     ref, refused));
	free(ref);
	free(refused);
}

/* A crash between any two steps leaves a payout at some stage; the worker
 * finishes each exactly once. */
static void
test_worker_finishes_payouts_left_at_any_stage(void **state)
{
	club c;
	char wid_created[64], wid_debited[64], sql[1024], *id;
	Kolo__Payments__V1__GetPayoutRequest get = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__INIT;
	Kolo__Payments__V1__GetPayoutResponse *got = NULL;
	Kolo__Ledger__V1__PostEntryRequest debit = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	char account[64];

	open_club(&c, "pay-crash");
	assert_int_equal(deposit(&c, 100000, NULL, NULL), 0);
	test_world_account(&w, c.group, account);
	/* Crashed right after the payout row was made. */
	withdrawal_row(&c, 10000, wid_created);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO payout (withdrawal_id, group_id, amount_kobo, beneficiary,"
		 " provider, status, stage) VALUES ('%s', '%s', 10000,"
		 " '{\"bank_code\":\"058\",\"account_number\":\"0123456789\",\"account_name\":"
		 "\"A\"}',"
		 " 'demo', 'PENDING', 'created') RETURNING id",
		 wid_created, c.group);
	free(test_pg_value(w.admin, sql));
	/* Crashed after the debit, before the transfer. */
	withdrawal_row(&c, 20000, wid_debited);
	debit.group_id = c.group;
	debit.account_id = account;
	debit.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	debit.amount_kobo = 20000;
	debit.source = "payout";
	debit.reference = mem_arena_printf(w.arena, "payout:%s", wid_debited);
	debit.simulated = 1;
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &debit, &posted, NULL), 0);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO payout (withdrawal_id, group_id, amount_kobo, beneficiary,"
		 " provider, status, stage) VALUES ('%s', '%s', 20000,"
		 " '{\"bank_code\":\"058\",\"account_number\":\"0123456789\",\"account_name\":"
		 "\"A\"}',"
		 " 'demo', 'PENDING', 'debited') RETURNING id",
		 wid_debited, c.group);
	id = test_pg_value(w.admin, sql);
	assert_int_equal(balance(&c), 80000);
	pay_worker_pass();
	pay_worker_pass();
	get.key_case = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_PAYOUT_ID;
	get.payout_id = id;
	assert_int_equal(test_world_call(&w, &w.payments, "GetPayout", &get, &got, NULL), 0);
	assert_int_equal(got->payout->status, SUCCESS);
	get.key_case = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_WITHDRAWAL_ID;
	get.withdrawal_id = wid_created;
	assert_int_equal(test_world_call(&w, &w.payments, "GetPayout", &get, &got, NULL), 0);
	assert_int_equal(got->payout->status, SUCCESS);
	/* Each debited exactly once. */
	assert_int_equal(balance(&c), 70000);
	assert_int_equal(count("SELECT count(*) FROM ledger_entry WHERE group_id = '%s'"
			       " AND type = 'DEBIT'",
			       c.group),
			 2);
	free(id);
}

/* Claims whose claimant died: a debit claim whose debit landed after its
 * claimant was gone is taken over (the same reference: a replay) and paid
 * once, never left; one whose debit never landed is debited once; a
 * reversal claim is finished once, on record. */
static void
test_worker_takes_over_idle_claims(void **state)
{
	club c;
	char landed[64], lost[64], reversing[64], account[64], sql[1024];
	Kolo__Ledger__V1__PostEntryRequest debit = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	const char *rows[] = {landed, lost, reversing};
	const char *stages[] = {"debiting', 'PENDING", "debiting', 'PENDING",
				"reversing', 'FAILED"};

	open_club(&c, "pay-claims");
	assert_int_equal(deposit(&c, 100000, NULL, NULL), 0);
	test_world_account(&w, c.group, account);
	withdrawal_row(&c, 10000, landed);
	withdrawal_row(&c, 10000, lost);
	withdrawal_row(&c, 10000, reversing);
	debit.group_id = c.group;
	debit.account_id = account;
	debit.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	debit.amount_kobo = 10000;
	debit.source = "payout";
	debit.simulated = 1;
	debit.reference = mem_arena_printf(w.arena, "payout:%s", landed);
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &debit, &posted, NULL), 0);
	debit.reference = mem_arena_printf(w.arena, "payout:%s", reversing);
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &debit, &posted, NULL), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO payout (withdrawal_id, group_id, amount_kobo, beneficiary,"
			 " provider, stage, status, failure_reason) VALUES ('%s', '%s', 10000,"
			 " '{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
			 "\"account_name\":\"A\"}', 'demo', '%s', 'the bank said no')",
			 rows[i], c.group, stages[i]);
		test_pg_ok(w.admin, sql);
	}
	assert_int_equal(balance(&c), 80000);
	pay_worker_pass();
	pay_worker_pass();
	assert_int_equal(count("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'"
			       " AND stage = 'settled' AND status = 'SUCCESS'",
			       landed),
			 1);
	assert_int_equal(count("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'"
			       " AND stage = 'settled' AND status = 'SUCCESS'",
			       lost),
			 1);
	assert_int_equal(count("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'"
			       " AND stage = 'reversed'",
			       reversing),
			 1);
	assert_int_equal(
		count("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'", reversing),
		1);
	assert_int_equal(count("SELECT count(*) FROM ledger_entry WHERE type = 'CREDIT'"
			       " AND reference = 'reversal:%s'",
			       reversing),
			 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(count("SELECT count(*) FROM ledger_entry"
				       " WHERE reference = 'payout:%s'",
				       rows[i]),
				 1);
	assert_int_equal(balance(&c), 80000); /* two paid, one given back */
}

static void
test_webhooks_the_demo_provider_never_signs_are_kept_and_refused(void **state)
{
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;
	long before = test_pg_long(w.admin, "SELECT count(*) FROM webhook_event");
	static const char body[] = "{\"event\":\"charge.completed\",\"data\":{\"id\":1}}";

	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = sizeof(body) - 1;
	assert_int_equal(test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "bad_signature");
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event"), before + 1);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event WHERE"
					       " processed = false AND NOT signature_valid"),
			 before + 1);
	/* Not even JSON: still stored. */
	req.raw_body.data = (uint8_t *)"\xff\xfe not json";
	req.raw_body.len = 11;
	assert_int_equal(test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL),
			 ERR_UNAUTHENTICATED);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event"), before + 2);
}

static void
test_banks_and_account_resolution(void **state)
{
	club c;
	Kolo__Payments__V1__ListBanksRequest banks = KOLO__PAYMENTS__V1__LIST_BANKS_REQUEST__INIT;
	Kolo__Payments__V1__ListBanksResponse *list = NULL;
	Kolo__Payments__V1__ResolveBankAccountRequest res =
		KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__ResolveBankAccountResponse *resolved = NULL;
	int wema = 0;

	open_club(&c, "pay-banks");
	assert_int_equal(test_world_call(&w, &w.payments, "ListBanks", &banks, &list, &c.owner), 0);
	for (size_t i = 0; i < list->n_banks; i++)
		wema += strcmp(list->banks[i]->code, "035") == 0;
	assert_int_equal(wema, 1);
	assert_false(list->names_holder); /* the demo's holders are made up */
	res.bank_code = "058";
	res.account_number = "0123456789";
	res.group_id = c.group;
	assert_int_equal(
		test_world_call(&w, &w.payments, "ResolveBankAccount", &res, &resolved, &c.owner),
		0);
	assert_true(resolved->account_name[0]);
	res.account_number = "12345";
	assert_int_equal(
		test_world_call(&w, &w.payments, "ResolveBankAccount", &res, &resolved, &c.owner),
		ERR_INVALID_ARGUMENT);
}

/* Sets payments' PostgreSQL-counted limits (0 = none, as the world starts). */
static void
set_limits(int per_user, int per_group, int webhook_per_addr)
{
	pay_deps d = *pay_current();

	d.resolve_per_user = per_user;
	d.resolve_per_group = per_group;
	d.resolve_window_s = 3600;
	d.webhook_unsigned_per_addr = webhook_per_addr;
	d.webhook_unsigned_window_s = 3600;
	pay_configure(&d);
}

static int
resolve(const char *group_id, const test_user *as)
{
	Kolo__Payments__V1__ResolveBankAccountRequest res =
		KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__ResolveBankAccountResponse *resolved = NULL;

	res.bank_code = "058";
	res.account_number = "0123456789";
	res.group_id = (char *)group_id;
	return test_world_call(&w, &w.payments, "ResolveBankAccount", &res, &resolved, as);
}

/* Resolving names an account's holder with the merchant's key: only a
 * group's officers may ask; members, strangers and a call without a group
 * are refused before the provider is asked. */
static void
test_resolve_is_for_a_groups_officers_only(void **state)
{
	club c;
	test_user member, stranger;

	open_club(&c, "pay-resolve-who");
	test_identity_user(&w.identity, &member, "pay-resolve-member");
	test_identity_user(&w.identity, &stranger, "pay-resolve-stranger");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	assert_int_equal(resolve(c.group, &c.owner), 0);
	assert_int_equal(resolve(c.group, &member), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "officer_only");
	assert_int_equal(resolve(c.group, &stranger), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "group_not_found");
	assert_int_equal(resolve("", &stranger), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id");
	assert_string_equal(err_meta_get(err_last(), "field"), "group_id");
	/* The withdrawals service's beneficiary check (service token). */
	assert_int_equal(resolve("", NULL), 0);
}

/* Past the per-user limit an officer is refused with a retry hint; the
 * group's own limit then stops its other officers too; another group and
 * the service token go on. Counted in PostgreSQL, not in the process. */
static void
test_resolve_is_limited_per_user_and_per_group(void **state)
{
	club c, other;
	test_user treasurer;

	open_club(&c, "pay-resolve-limit");
	open_club(&other, "pay-resolve-other");
	test_identity_user(&w.identity, &treasurer, "pay-resolve-treasurer");
	test_world_member(&w, c.group, &c.owner, &treasurer,
			  KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	set_limits(3, 5, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(resolve(c.group, &c.owner), 0);
	assert_int_equal(resolve(c.group, &c.owner), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	assert_in_range(err_last()->retry_after_s, 1, 3600);
	/* The owner's refused call did not count for the group: 2 more. */
	assert_int_equal(resolve(c.group, &treasurer), 0);
	assert_int_equal(resolve(c.group, &treasurer), 0);
	assert_int_equal(resolve(c.group, &treasurer), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	assert_in_range(err_last()->retry_after_s, 1, 3600);
	assert_int_equal(resolve(other.group, &other.owner), 0);
	assert_int_equal(resolve("", NULL), 0);
	assert_int_equal(count("SELECT hits FROM payments_rate_window WHERE kind = 'resolve_group'"
			       " AND key = '%s'",
			       c.group),
			 6);
	set_limits(0, 0, 0);
}

/* The group's limit is the group's whatever the case its id is typed in:
 * an upper- or mixed-case id is the same group, not a fresh window. */
static void
test_resolve_group_limit_is_the_group_in_any_case(void **state)
{
	club c;
	char upper[64], mixed[64];

	open_club(&c, "pay-resolve-case");
	for (size_t i = 0; i <= strlen(c.group); i++) {
		upper[i] = (char)toupper((unsigned char)c.group[i]);
		mixed[i] = i % 2 ? upper[i] : c.group[i];
	}
	set_limits(0, 2, 0);
	assert_int_equal(resolve(c.group, &c.owner), 0);
	assert_int_equal(resolve(upper, &c.owner), 0);
	assert_int_equal(resolve(mixed, &c.owner), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	set_limits(0, 0, 0);
	assert_int_equal(
		count("SELECT count(*) FROM payments_rate_window WHERE kind = 'resolve_group'"
		      " AND lower(key) = '%s'",
		      c.group),
		1);
}

/* A user creates at most KOLO_GROUPS_CREATE_PER_DAY groups a day: the
 * next is refused with a retry hint and makes nothing — no group, no
 * provider account. */
static void
test_create_group_is_limited_per_user(void **state)
{
	test_user founder, other;
	Kolo__Groups__V1__CreateGroupRequest req = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;
	char id[64];

	test_identity_user(&w.identity, &founder, "pay-create-limit");
	test_identity_user(&w.identity, &other, "pay-create-other");
	grp_limits_configure(2);
	test_world_group(&w, &founder, "First club", id);
	test_world_group(&w, &founder, "Second club", id);
	req.name = "Third club";
	assert_int_equal(test_world_call(&w, &w.groups, "CreateGroup", &req, &resp, &founder),
			 ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	assert_in_range(err_last()->retry_after_s, 1, 86400);
	assert_int_equal(
		count("SELECT count(*) FROM \"group\" WHERE created_by = '%s'", founder.id), 2);
	assert_int_equal(count("SELECT count(*) FROM account a JOIN \"group\" g"
			       " ON g.id = a.group_id WHERE g.created_by = '%s'",
			       founder.id),
			 2);
	assert_int_equal(count("SELECT count(*) FROM va_request v JOIN \"group\" g"
			       " ON g.id = v.group_id WHERE g.created_by = '%s'",
			       founder.id),
			 2);
	/* The limit is the founder's, not everyone's. */
	test_world_group(&w, &other, "Other club", id);
	grp_limits_configure(0);
}

/* Unsigned deliveries keep no body (headers, length, SHA-256 and a 256-byte
 * prefix only) and, past the per-address limit, are refused and not kept. */
static void
test_unsigned_webhooks_keep_no_body_and_are_limited(void **state)
{
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;
	Kolo__Payments__V1__Header hash = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header *headers[] = {&hash};
	long before = test_pg_long(w.admin, "SELECT count(*) FROM webhook_event");
	static const char start[] = "{\"event\":\"charge.completed\",\"pad\":\"";
	size_t len = 60000;
	char *body = malloc(len);
	int refused = 0, kept = 0;

	assert_non_null(body);
	memset(body, 'x', len);
	memcpy(body, start, strlen(start));
	memcpy(body + len - 2, "\"}", 2);
	hash.name = "verif-hash";
	hash.value = "a-guess-at-the-secret";
	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = len;
	req.headers = headers;
	req.n_headers = 1;
	set_limits(0, 0, 10);
	for (int i = 0; i < 21; i++) {
		int rc = test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL);

		if (rc == ERR_UNAUTHENTICATED) {
			assert_string_equal(err_last()->reason, "bad_signature");
			kept++;
		} else {
			assert_int_equal(rc, ERR_RESOURCE_EXHAUSTED);
			assert_string_equal(err_last()->reason, "rate_limited");
			assert_in_range(err_last()->retry_after_s, 1, 3600);
			refused++;
		}
	}
	set_limits(0, 0, 0);
	free(body);
	assert_int_equal(kept, 10);
	assert_int_equal(refused, 11);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event"), before + 10);
	/* What is kept is small, says how big the body was and what it hashed to. */
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event"
					       " WHERE NOT signature_valid AND body_bytes = 60000"
					       " AND length(body_sha256) = 64"
					       " AND octet_length(raw_payload::text) < 1024"),
			 10);
	/* The guessed secret is not kept, only a fingerprint of it. */
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event WHERE"
					       " raw_payload::text LIKE '%a-guess-at-the-secret%'"),
			 0);
}

/* One unsigned delivery from an address of the world's webhook caller. */
static int
unsigned_from(const char *addr)
{
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;
	test_caller gateway = {.caller = "gateway", .forwarded_for = addr};

	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)"{}";
	req.raw_body.len = 2;
	return test_call(&w.payments, "HandleWebhook", &req.base, (ProtobufCMessage **)&resp,
			 w.arena, &gateway);
}

/* The per-address limit of unsigned deliveries is per subscriber: every
 * address of an IPv6 /64 counts as one (a subscriber gets 2^64 of them),
 * an IPv4-mapped address as its IPv4 one. */
static void
test_unsigned_webhook_limit_holds_across_an_ipv6_block(void **state)
{
	long before = test_pg_long(w.admin, "SELECT count(*) FROM webhook_event");

	set_limits(0, 0, 2);
	assert_int_equal(unsigned_from("2001:db8:77:1::1"), ERR_UNAUTHENTICATED);
	assert_int_equal(unsigned_from("2001:db8:77:1:abcd::2"), ERR_UNAUTHENTICATED);
	assert_int_equal(unsigned_from("2001:db8:77:1:ffff:ffff:ffff:fffe"),
			 ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "rate_limited");
	/* The next /64 is someone else. */
	assert_int_equal(unsigned_from("2001:db8:77:2::1"), ERR_UNAUTHENTICATED);
	assert_int_equal(unsigned_from("203.0.113.77"), ERR_UNAUTHENTICATED);
	assert_int_equal(unsigned_from("::ffff:203.0.113.77"), ERR_UNAUTHENTICATED);
	assert_int_equal(unsigned_from("203.0.113.77"), ERR_RESOURCE_EXHAUSTED);
	set_limits(0, 0, 0);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event"), before + 5);
}

static void
test_payout_reads_are_for_members(void **state)
{
	club c;
	test_user stranger;
	char wid[64];
	Kolo__Payments__V1__ListPayoutsRequest list =
		KOLO__PAYMENTS__V1__LIST_PAYOUTS_REQUEST__INIT;
	Kolo__Payments__V1__ListPayoutsResponse *payouts = NULL;

	open_club(&c, "pay-list");
	test_identity_user(&w.identity, &stranger, "pay-list-stranger");
	assert_int_equal(deposit(&c, 5000, NULL, NULL), 0);
	withdrawal_row(&c, 1000, wid);
	assert_int_equal(payout(&c, wid, 1000, "0123456789", 1, NULL), 0);
	list.group_id = c.group;
	assert_int_equal(test_world_call(&w, &w.payments, "ListPayouts", &list, &payouts, &c.owner),
			 0);
	assert_int_equal(payouts->n_payouts, 1);
	assert_int_equal(
		test_world_call(&w, &w.payments, "ListPayouts", &list, &payouts, &stranger),
		ERR_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_new_group_gets_an_active_account, check_invariant),
		cmocka_unit_test_teardown(test_demo_deposits_credit_once_per_key, check_invariant),
		cmocka_unit_test_teardown(test_deposit_key_is_scoped_by_the_canonical_group_id,
					  check_invariant),
		cmocka_unit_test_teardown(test_payout_success_debits_once, check_invariant),
		cmocka_unit_test_teardown(test_failed_transfer_is_reversed, check_invariant),
		cmocka_unit_test_teardown(test_pending_transfer_is_settled_by_the_worker,
					  check_invariant),
		cmocka_unit_test_teardown(test_unfunded_payout_fails_without_moving_money,
					  check_invariant),
		cmocka_unit_test_teardown(test_demo_transfers_outlive_a_restart, check_invariant),
		cmocka_unit_test_teardown(test_worker_finishes_payouts_left_at_any_stage,
					  check_invariant),
		cmocka_unit_test_teardown(test_worker_takes_over_idle_claims, check_invariant),
		cmocka_unit_test_teardown(
			test_webhooks_the_demo_provider_never_signs_are_kept_and_refused,
			check_invariant),
		cmocka_unit_test_teardown(test_banks_and_account_resolution, check_invariant),
		cmocka_unit_test_teardown(test_resolve_is_for_a_groups_officers_only,
					  check_invariant),
		cmocka_unit_test_teardown(test_resolve_is_limited_per_user_and_per_group,
					  check_invariant),
		cmocka_unit_test_teardown(test_create_group_is_limited_per_user, check_invariant),
		cmocka_unit_test_teardown(test_unsigned_webhooks_keep_no_body_and_are_limited,
					  check_invariant),
		cmocka_unit_test_teardown(test_unsigned_webhook_limit_holds_across_an_ipv6_block,
					  check_invariant),
		cmocka_unit_test_teardown(test_resolve_group_limit_is_the_group_in_any_case,
					  check_invariant),
		cmocka_unit_test_teardown(test_payout_reads_are_for_members, check_invariant),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
