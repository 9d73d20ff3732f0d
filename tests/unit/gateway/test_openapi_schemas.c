#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw.h"

/* The row of routes for method path status, or NULL. */
static json_t *
route_row(json_t *all, const char *method, const char *path, int status)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(all, "routes"), i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "method")), method) == 0 &&
		    strcmp(json_string_value(json_object_get(row, "path")), path) == 0 &&
		    json_integer_value(json_object_get(row, "status")) == status)
			return row;
	}
	return NULL;
}

static json_t *
field(json_t *all, const char *message, const char *name)
{
	return json_object_get(
		json_object_get(json_object_get(json_object_get(all, "messages"), message),
				"properties"),
		name);
}

static const char *
route_message(json_t *all, const char *method, const char *path, int status)
{
	json_t *row = route_row(all, method, path, status);

	return row ? json_string_value(json_object_get(row, "message")) : "(none)";
}

static void
test_routes_name_the_message_they_write(void **state)
{
	json_t *all = gw_openapi_schemas();

	assert_non_null(all);
	assert_string_equal(route_message(all, "GET", "/v1/withdrawals/{id}", 200),
			    "kolo.withdrawals.v1.Withdrawal");
	/* unwrap: GET /v1/me is the user alone. */
	assert_string_equal(route_message(all, "GET", "/v1/me", 200), "kolo.identity.v1.User");
	/* A sensitive change may answer 202 with its proposal. */
	assert_string_equal(route_message(all, "PATCH", "/v1/groups/{id}", 202),
			    "kolo.groups.v1.Proposal");
	/* A keyed create writes `replayed`; a 204 route writes nothing. */
	assert_true(json_is_true(json_object_get(
		route_row(all, "POST", "/v1/groups/{id}/withdrawals", 201), "replayed")));
	assert_null(route_row(all, "POST", "/v1/auth/logout", 204));
	json_decref(all);
}

static void
test_fields_are_described_as_pbjson_writes_them(void **state)
{
	json_t *all = gw_openapi_schemas(), *status, *names, *approvals;

	assert_non_null(all);
	/* Enums without their prefix, UNSPECIFIED left out and absent when unset. */
	status = field(all, "kolo.withdrawals.v1.Withdrawal", "status");
	names = json_object_get(status, "enum");
	assert_string_equal(json_string_value(json_array_get(names, 0)), "PENDING");
	assert_int_equal(json_array_size(names), 6);
	assert_string_equal(json_string_value(json_object_get(status, "unset")), "absent");
	/* AccountStatus is lower case. */
	names = json_object_get(field(all, "kolo.payments.v1.Account", "status"), "enum");
	assert_string_equal(json_string_value(json_array_get(names, 0)), "pending");
	/* An empty *_at is absent, another empty string is "", int64 is an integer. */
	assert_string_equal(
		json_string_value(json_object_get(
			field(all, "kolo.withdrawals.v1.Withdrawal", "executed_at"), "unset")),
		"absent");
	assert_string_equal(
		json_string_value(json_object_get(
			field(all, "kolo.withdrawals.v1.Withdrawal", "reason"), "unset")),
		"value");
	assert_string_equal(
		json_string_value(json_object_get(
			field(all, "kolo.withdrawals.v1.Withdrawal", "amount_kobo"), "format")),
		"int64");
	/* Lists hold their element, sub-messages name theirs. */
	approvals = field(all, "kolo.withdrawals.v1.Withdrawal", "approvals");
	assert_string_equal(json_string_value(json_object_get(approvals, "type")), "array");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(approvals, "items"), "proto")),
		"kolo.withdrawals.v1.Approval");
	assert_non_null(
		json_object_get(json_object_get(all, "messages"), "kolo.withdrawals.v1.Approval"));
	json_decref(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_name_the_message_they_write),
		cmocka_unit_test(test_fields_are_described_as_pbjson_writes_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
