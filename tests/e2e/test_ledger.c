/* The ledger through the gateway: balance, pages, filters and the CSV
 * statement over HTTP. Entries are posted the way payments posts them:
 * PostEntry over gRPC with the service token, to the account payments made
 * for the group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "rpc/rpc.h"
#include "test_pg.h"

static rpc_channel *ledger;

static int
setup(void **state)
{
	if (!getenv("KOLO_LEDGER_ADDR")) {
		fprintf(stderr, "KOLO_LEDGER_ADDR is not set: run through run_e2e.sh\n");
		return -1;
	}
	if (e2e_setup_db(state) < 0)
		return -1;
	rpc_init();
	return rpc_channel_open(&ledger, getenv("KOLO_LEDGER_ADDR"),
				&kolo__ledger__v1__ledger_service__descriptor, NULL);
}

static int
teardown(void **state)
{
	rpc_channel_close(ledger);
	rpc_shutdown();
	return e2e_teardown(state);
}

/* PostEntry as caller with token (the suite's secrets, e.g.
 * KOLO_PAYMENTS_TOKEN); rpc_call()'s result. */
static int
post_as(const char *caller, const char *token, const char *group, const char *account, int type,
	int64_t kobo, const char *reference)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	ProtobufCMessage *resp = NULL;
	rpc_metadata md[] = {{RPC_CALLER_KEY, caller}, {RPC_INTERNAL_TOKEN_KEY, token}};
	rpc_call_opts opts = {.metadata = md, .n_metadata = 2};
	int rc;

	req.group_id = (char *)group;
	req.account_id = (char *)account;
	req.type = type;
	req.amount_kobo = kobo;
	req.source = "demo";
	req.reference = (char *)reference;
	req.simulated = 1;
	rc = rpc_call(ledger, "PostEntry", &req.base, &resp, &alloc, &opts);
	mem_arena_free(arena);
	return rc;
}

/* Credits and debits are posted by payments alone (the caller table). */
static void
post(const char *group, const char *account, int type, int64_t kobo, const char *reference)
{
	if (post_as("payments", getenv("KOLO_PAYMENTS_TOKEN"), group, account, type, kobo,
		    reference) != 0)
		fail_msg("PostEntry %s: %s", reference, err_last()->message);
}

static void
test_books_over_http(void **state)
{
	e2e_user owner, stranger;
	char gid[64], path[256], sql[256], *account;
	e2e_opts as_owner = {0}, as_stranger = {0};
	e2e_reply r;
	json_t *entries;

	e2e_register(&owner, "l-owner");
	e2e_register(&stranger, "l-stranger");
	as_owner.token = owner.access;
	as_stranger.token = stranger.access;
	as_owner.body = "{\"name\":\"Books\"}";
	e2e_expect(&r, "POST", "/v1/groups", &as_owner, 201, "");
	snprintf(gid, sizeof(gid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	as_owner.body = NULL;
	/* Payments made the group's account when the group was created. */
	snprintf(sql, sizeof(sql), "SELECT id FROM account WHERE group_id = '%s'", gid);
	account = test_pg_value(e2e_db(), sql);
	assert_int_equal(strlen(account), 36);

	/* The internet-facing gateway's credential makes no money, nor does a
	 * token presented under another process's name. */
	assert_int_equal(post_as("gateway", getenv("KOLO_GATEWAY_TOKEN"), gid, account,
				 KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT, 999, "forged-1"),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "caller_not_allowed");
	assert_int_equal(post_as("payments", getenv("KOLO_GATEWAY_TOKEN"), gid, account,
				 KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT, 999, "forged-2"),
			 ERR_UNAUTHENTICATED);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ledger_entry WHERE reference LIKE 'forged-%%'");
	assert_int_equal(test_pg_long(e2e_db(), sql), 0);
	post(gid, account, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT, 150075, "dep-1");
	post(gid, account, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT, 2500,
	     "ref,with\"quote");
	post(gid, account, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT, 50000, "payout:x");

	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")), 102575);
	assert_string_equal(e2e_str(&r, "currency"), "NGN");
	e2e_reply_free(&r);
	e2e_expect(NULL, "GET", path, &as_stranger, 404, "group_not_found");

	snprintf(path, sizeof(path), "/v1/groups/%s/ledger?page_size=2", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	entries = json_object_get(r.json, "entries");
	assert_int_equal(json_array_size(entries), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 0), "type")),
			    "DEBIT");
	assert_true(strlen(e2e_str(&r, "next_page_token")) > 0);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/ledger?type=credit", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 2);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path),
		 "/v1/groups/%s/ledger?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 0);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/ledger?page_size=abc", gid);
	e2e_expect(NULL, "GET", path, &as_owner, 400, "invalid_field");

	snprintf(path, sizeof(path), "/v1/groups/%s/ledger.csv", gid);
	e2e_http(&r, "GET", path, &as_owner);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/csv; charset=utf-8");
	assert_true(strncmp(r.body, "created_at,entry_id,type,reference,", 35) == 0);
	assert_non_null(
		strstr(r.body, ",CREDIT,dep-1,demo,true,1500.75,150075,1500.75,150075\r\n"));
	assert_non_null(
		strstr(r.body, ",\"ref,with\"\"quote\",demo,true,25.00,2500,1525.75,152575\r\n"));
	assert_non_null(
		strstr(r.body, ",DEBIT,payout:x,demo,true,-500.00,-50000,1025.75,102575\r\n"));
	/* Holds are not entries: one last HELD row (nothing held here). */
	assert_non_null(
		strstr(r.body, "\r\n,,HELD,held for withdrawals,,,0.00,0,1025.75,102575\r\n"));
	e2e_reply_free(&r);
	e2e_expect(NULL, "GET", path, &as_stranger, 404, "group_not_found");
	test_pg_ledger_invariant(e2e_db());
	free(account);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_books_over_http),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
