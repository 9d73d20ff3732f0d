/* Members' contributions over HTTP (DESIGN §15), the officers' book: the
 * unallocated deposits, an allocation with a PIN and its trail, a demo
 * deposit's reversal. Rows are looked at in the suite's database. */
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
#include "test_pg.h"

/* A deposit no payer account matched, as the ledger's posting function
 * writes one (its balance row too), with the payer the provider named. */
static void
unallocated_deposit(const char *gid, const char *reference, char *id)
{
	char sql[768];
	char *v;

	snprintf(sql, sizeof(sql),
		 "SELECT id FROM ledger_post_credit('%s', (SELECT id FROM account WHERE"
		 " group_id = '%s' LIMIT 1), NULL, 250000, 'NGN', 'demo', '%s', NULL, true,"
		 " 'VA', 0, '', 1000)",
		 gid, gid, reference);
	v = test_pg_value(e2e_db(), sql);
	snprintf(id, 64, "%s", v);
	free(v);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO ledger_deposit_payer VALUES ('%s', 'EMEKA NWOSU', '0123456789',"
		 " 'Access Bank')",
		 id);
	test_pg_ok(e2e_db(), sql);
}

static void
test_officers_book_over_http(void **state)
{
	e2e_user owner, member, stranger;
	char gid[64], sgid[64], entry[64], path[256], body[256], alloc_id[64];
	e2e_opts as_owner = {0}, as_member = {0};
	e2e_reply r;
	json_t *d;

	e2e_register(&owner, "c-owner");
	e2e_register(&member, "c-member");
	e2e_register(&stranger, "c-stranger");
	as_owner.token = owner.access;
	as_member.token = member.access;
	e2e_group(gid, &owner, "Contributions");
	e2e_group(sgid, &stranger, "Elsewhere");
	e2e_add_member(gid, &owner, &member, "MEMBER");
	e2e_set_pin(&owner, "135790");
	snprintf(path, sizeof(path), "/v1/groups/%s/account", gid);
	e2e_expect(NULL, "GET", path, &as_owner, 200, "");
	snprintf(body, sizeof(body), "e2e-unalloc-%d", (int)getpid());
	unallocated_deposit(gid, body, entry);

	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/unallocated", gid);
	e2e_expect(NULL, "GET", path, &as_member, 403, "officer_only");
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "deposits")), 1);
	d = json_array_get(json_object_get(r.json, "deposits"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "sender_account_number")),
			    "******6789");
	assert_string_equal(json_string_value(json_object_get(d, "sender_name")), "EMEKA NWOSU");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "entry"), "id")),
			    entry);
	assert_int_equal(json_integer_value(json_object_get(r.json, "unallocated_kobo")), 250000);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocation", gid, entry);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"000000\"}", member.id);
	as_owner.body = body;
	e2e_expect(NULL, "POST", path, &as_owner, 403, "pin_incorrect");
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"135790\"}", stranger.id);
	e2e_expect(NULL, "POST", path, &as_owner, 422, "not_a_member");
	assert_int_equal(test_pg_longf(e2e_db(),
				       "SELECT count(*) FROM ledger_allocation WHERE"
				       " entry_id = '%s'",
				       entry),
			 0);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"135790\"}", member.id);
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_string_equal(e2e_str(&r, "user_id"), member.id);
	assert_string_equal(e2e_str(&r, "allocated_by"), owner.id);
	assert_string_equal(e2e_str(&r, "method"), "officer");
	snprintf(alloc_id, sizeof(alloc_id), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	e2e_expect(NULL, "POST", path, &as_owner, 409, "entry_already_allocated");
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"135790\",\"reallocate\":true}",
		 owner.id);
	e2e_expect(NULL, "POST", path, &as_owner, 400, "reason_required");
	/* a reallocation says who the officer saw; a stale view, or the
	 * officer's own name, writes nothing */
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"pin\":\"135790\","
		 "\"reallocate\":true,\"reason\":\"mine\"}",
		 owner.id);
	e2e_expect(NULL, "POST", path, &as_owner, 400, "missing_field");
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"pin\":\"135790\","
		 "\"reallocate\":true,\"reason\":\"mine\",\"expected_user_id\":\"%s\"}",
		 owner.id, member.id);
	e2e_expect(NULL, "POST", path, &as_owner, 403, "self_allocation");
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"pin\":\"135790\","
		 "\"reallocate\":true,\"reason\":\"stale\",\"expected_user_id\":\"%s\"}",
		 member.id, owner.id);
	e2e_expect(NULL, "POST", path, &as_owner, 409, "allocation_changed");
	assert_int_equal(test_pg_longf(e2e_db(),
				       "SELECT count(*) FROM ledger_allocation WHERE"
				       " entry_id = '%s'",
				       entry),
			 1);

	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocations", gid, entry);
	e2e_expect(&r, "GET", path, &as_member, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "allocations")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r.json, "allocations"), 0), "id")),
		alloc_id);
	e2e_reply_free(&r);

	/* an officer reverses it: a chargeback of all of it, once */
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits/%s/reversal", gid, entry);
	as_member.body = "{\"reason\":\"recalled\"}";
	e2e_expect(NULL, "POST", path, &as_member, 403, "officer_only");
	as_owner.body = "{}";
	e2e_expect(NULL, "POST", path, &as_owner, 400, "missing_field");
	as_owner.body = "{\"reason\":\"the bank recalled it\"}";
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	d = json_object_get(r.json, "entry");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "DEBIT");
	assert_int_equal(json_integer_value(json_object_get(d, "amount_kobo")), 250000);
	assert_int_equal(strncmp(json_string_value(json_object_get(d, "reference")),
				 "chargeback:e2e-unalloc-", 23),
			 0);
	assert_false(json_is_true(json_object_get(r.json, "replayed")));
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_true(json_is_true(json_object_get(r.json, "replayed")));
	e2e_reply_free(&r);
	assert_int_equal(test_pg_longf(e2e_db(),
				       "SELECT count(*) FROM ledger_reversal WHERE"
				       " group_id = '%s' AND reason = 'the bank recalled it' AND"
				       " reversed_by = '%s'",
				       gid, owner.id),
			 1);
	test_pg_ledger_invariant(e2e_db());
	assert_int_equal(test_pg_invariant_count(e2e_db(), "contributions_sum"), 0);
	assert_int_equal(test_pg_invariant_count(e2e_db(), "reversal_mismatch"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_officers_book_over_http),
	};

	return cmocka_run_group_tests(tests, e2e_setup_db, e2e_teardown);
}
