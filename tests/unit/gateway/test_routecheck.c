/* gw_routes_check: the real table passes; each kind of fault is refused
 * with bad_route_table naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gw.h"

#define RPC(svc, name, ...) (&(const gw_rpc_spec){.service = (svc), .rpc = (name), __VA_ARGS__})

/* A sound RPC route and a sound route of its own handler. */
#define GET_GROUP                                                                                  \
	RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = "id=group_id", .unwrap = "group")
#define HEALTHZ                                                                                    \
	{                                                                                          \
		"GET", "/healthz", gw_healthz_route, NULL, 0                                       \
	}

/* The table of routes fails, its message holding want. */
static void
expect_bad_table(const gw_route *routes, size_t n, const char *want)
{
	err_clear();
	if (gw_routes_check(routes, n) != ERR_INVALID_ARGUMENT)
		fail_msg("a table refused for \"%s\" was taken", want);
	assert_int_equal(err_last()->code, ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_route_table");
	if (!strstr(err_last()->message, want))
		fail_msg("\"%s\" does not say \"%s\"", err_last()->message, want);
}

static void
expect_bad(gw_route r, const char *want)
{
	expect_bad_table(&r, 1, want);
}

static void
expect_sound(gw_route r)
{
	err_clear();
	if (gw_routes_check(&r, 1) != 0)
		fail_msg("%s %s: %s", r.method, r.pattern, err_last()->message);
}

static void
test_the_real_table_is_sound(void **state)
{
	(void)state;
	if (gw_routes_check(gw_routes, gw_n_routes) != 0)
		fail_msg("%s", err_last()->message);
}

static void
test_a_sound_route_passes(void **state)
{
	(void)state;
	expect_sound((gw_route){"GET", "/v1/groups/{id}", gw_rpc_route, GET_GROUP, 0});
	expect_sound((gw_route)HEALTHZ);
	expect_sound((gw_route){"GET", "/v1/groups/{id}/ledger.csv", gw_statement_route, NULL, 0});
}

static void
test_methods_and_handlers(void **state)
{
	(void)state;
	expect_bad((gw_route){"TRACE", "/healthz", gw_healthz_route, NULL, 0}, "the method is not");
	expect_bad((gw_route){NULL, "/healthz", gw_healthz_route, NULL, 0}, "the method is not");
	expect_bad((gw_route){"get", "/healthz", gw_healthz_route, NULL, 0}, "the method is not");
	expect_bad((gw_route){"GET", "/healthz", NULL, NULL, 0}, "no handler");
	/* rpc_route.c dereferences the spec; other handlers ignore one. */
	expect_bad((gw_route){"GET", "/healthz", gw_rpc_route, NULL, 0}, "gw_rpc_route takes");
	expect_bad((gw_route){"GET", "/v1/groups/{id}", gw_healthz_route, GET_GROUP, 0},
		   "gw_rpc_route takes");
	expect_bad((gw_route){"GET", "/healthz", gw_healthz_route, NULL, 64},
		   "unknown rate-limit classes");
}

static void
test_malformed_patterns(void **state)
{
	static const struct {
		const char *pattern, *want;
	} cases[] = {
		{NULL, "starts with /"},
		{"", "starts with /"},
		{"healthz", "starts with /"},
		{"/", "an empty path segment"},
		{"/v1//me", "an empty path segment"},
		{"/v1/me/", "an empty path segment"},
		{"/v1/{id", "without its }"},
		{"/v1/{}", "a name of a-z"},
		{"/v1/{Id}", "a name of a-z"},
		{"/v1/{id}{x}", "suffix is literal"},
		{"/v1/{id}/x/{id}", "{id} twice"},
		{"/{a}/{b}/{c}/{d}/{e}", "more than"},
		{"/v1/gr{id}", "URL-safe"},
		{"/v1/me?x=1", "URL-safe"},
		{"/v1/m e", "URL-safe"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_bad((gw_route){"GET", cases[i].pattern, gw_healthz_route, NULL, 0},
			   cases[i].want);
}

static void
test_the_method_must_exist_and_be_unary(void **state)
{
	(void)state;
	expect_bad((gw_route){"GET", "/x", gw_rpc_route,
			      RPC(GW_N_UPSTREAMS, "GetGroup", .status = 200), 0},
		   "no service");
	expect_bad((gw_route){"GET", "/x", gw_rpc_route, RPC(GW_GROUPS, "GetGroups", .status = 200),
			      0},
		   "has no method GetGroups");
	expect_bad((gw_route){"GET", "/x", gw_rpc_route, RPC(GW_GROUPS, NULL, .status = 200), 0},
		   "has no method (null)");
	/* The method of another service. */
	expect_bad((gw_route){"GET", "/x", gw_rpc_route, RPC(GW_LEDGER, "GetMe", .status = 200), 0},
		   "has no method GetMe");
	expect_bad((gw_route){"GET", "/x", gw_rpc_route,
			      RPC(GW_EVENTS, "WatchEvents", .status = 200), 0},
		   "streams");
	expect_bad((gw_route){"GET", "/v1/me", gw_rpc_route,
			      RPC(GW_IDENTITY, "GetMe", .status = 302), 0},
		   "status 302");
}

static void
test_request_fields_must_exist(void **state)
{
	(void)state;
	expect_bad(
		(gw_route){"POST", "/v1/groups", gw_rpc_route,
			   RPC(GW_GROUPS, "CreateGroup", .status = 201, .required = "name,title"),
			   0},
		"required title is not a field");
	expect_bad(
		(gw_route){"POST", "/v1/groups", gw_rpc_route,
			   RPC(GW_GROUPS, "CreateGroup", .status = 201, .required = "name,,email"),
			   0},
		"required has an empty item");
	expect_bad(
		(gw_route){"POST", "/v1/groups", gw_rpc_route,
			   RPC(GW_GROUPS, "CreateGroup", .status = 201,
			       .required = "name,"
					   "a_name_longer_than_any_field_of_any_message_that_"
					   "the_gateway_sends_on_to_a_service_and_then_some_more_"
					   "and_more_and_more_and_more_and_more"),
			   0},
		"required: a route spec's list item is too long");
	expect_bad(
		(gw_route){"GET", "/v1/groups/{id}", gw_rpc_route,
			   RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = "gid=group_id"),
			   0},
		"names {gid}");
	expect_bad(
		(gw_route){"GET", "/v1/groups/{id}", gw_rpc_route,
			   RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = "id=groupid"),
			   0},
		"groupid is not a scalar field");
	/* {id} alone names the field id, which GetGroupRequest lacks. */
	expect_bad((gw_route){"GET", "/v1/groups/{id}", gw_rpc_route,
			      RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = "id"), 0},
		   "id is not a scalar field");
	/* A {param} the request never sees. */
	expect_bad((gw_route){"GET", "/v1/groups/{id}", gw_rpc_route,
			      RPC(GW_GROUPS, "GetGroup", .status = 200), 0},
		   "a {param} path_fields does not set");
	expect_bad((gw_route){"GET", "/v1/groups/{id}/ledger", gw_rpc_route,
			      RPC(GW_LEDGER, "ListEntries", .status = 200,
				  .path_fields = "id=group_id", .query_fields = "from"),
			      0},
		   "query_fields: from=");
	expect_bad((gw_route){"GET", "/v1/groups/{id}/ledger", gw_rpc_route,
			      RPC(GW_LEDGER, "ListEntries", .status = 200,
				  .path_fields = "id=group_id", .query_fields = "from=since"),
			      0},
		   "query_fields: from=since");
}

static void
test_reply_fields_must_exist(void **state)
{
	(void)state;
	expect_bad((gw_route){"GET", "/v1/groups/{id}", gw_rpc_route,
			      RPC(GW_GROUPS, "GetGroup", .status = 200,
				  .path_fields = "id=group_id", .unwrap = "groups"),
			      0},
		   "unwrap groups is not a message field");
	expect_bad((gw_route){"DELETE", "/v1/groups/{id}/public-token", gw_rpc_route,
			      RPC(GW_GROUPS, "RevokePublicToken", .status = 204,
				  .path_fields = "id=group_id", .unwrap = "proposal"),
			      0},
		   "(or 204)");
	expect_bad((gw_route){"PATCH", "/v1/groups/{id}", gw_rpc_route,
			      RPC(GW_GROUPS, "UpdateGroup", .status = 200,
				  .path_fields = "id=group_id", .proposal = "proposals"),
			      0},
		   "proposal proposals is not");
	expect_bad((gw_route){"POST", "/v1/groups/{id}/withdrawals", gw_rpc_route,
			      RPC(GW_WITHDRAWALS, "CreateWithdrawal", .status = 201,
				  .path_fields = "id=group_id", .idempotency_field = "client_key"),
			      0},
		   "idempotency_field client_key");
	/* A reply without `replayed`. */
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201,
				  .idempotency_field = "name"),
			      0},
		   "idempotency_field name");
}

static void
test_locations(void **state)
{
	(void)state;
	expect_sound((gw_route){"POST", "/v1/demo/groups/{id}/deposits", gw_rpc_route,
				RPC(GW_PAYMENTS, "SimulateDeposit", .status = 201,
				    .path_fields = "id=group_id",
				    .location = "/v1/groups/{$id}/entries/{entry.id}"),
				0});
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 200, .unwrap = "group",
				  .location = "/v1/groups/{id}"),
			      0},
		   "a location needs status 201");
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201, .unwrap = "group",
				  .location = "/v1/groups/{$id}"),
			      0},
		   "location's {$id}: no such {param}");
	/* Without the unwrap, id is not a field of the reply. */
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201,
				  .location = "/v1/groups/{id}"),
			      0},
		   "location's {id} is not a text field");
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201,
				  .location = "/v1/groups/{group.id.x}"),
			      0},
		   "location's {group.id.x}");
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201,
				  .location = "/v1/groups/{group}"),
			      0},
		   "location's {group}");
	expect_bad((gw_route){"POST", "/v1/groups", gw_rpc_route,
			      RPC(GW_GROUPS, "CreateGroup", .status = 201,
				  .location = "/v1/groups/{group.id"),
			      0},
		   "location has a bad {name}");
}

static void
test_two_routes_of_one_method_and_path(void **state)
{
	const gw_route same[] = {
		{"GET", "/v1/groups/{id}", gw_rpc_route, GET_GROUP, 0},
		HEALTHZ,
		/* The parameter's name does not tell them apart. */
		{"GET", "/v1/groups/{group_id}", gw_rpc_route,
		 RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = "group_id"), 0},
	};
	const gw_route other_method[] = {
		{"GET", "/v1/groups/{id}", gw_rpc_route, GET_GROUP, 0},
		{"DELETE", "/v1/groups/{id}", gw_rpc_route, GET_GROUP, 0},
	};

	(void)state;
	expect_bad_table(same, 3, "the same method and path as /v1/groups/{id}");
	err_clear();
	assert_int_equal(gw_routes_check(other_method, 2), 0);
}

static void
test_more_routes_than_the_metrics_count(void **state)
{
	static gw_route many[GW_MAX_ROUTES + 1];

	(void)state;
	for (size_t i = 0; i < GW_MAX_ROUTES + 1; i++)
		many[i] = (gw_route)HEALTHZ;
	expect_bad_table(many, GW_MAX_ROUTES + 1, "the metrics count at most");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_real_table_is_sound),
		cmocka_unit_test(test_a_sound_route_passes),
		cmocka_unit_test(test_methods_and_handlers),
		cmocka_unit_test(test_malformed_patterns),
		cmocka_unit_test(test_the_method_must_exist_and_be_unary),
		cmocka_unit_test(test_request_fields_must_exist),
		cmocka_unit_test(test_reply_fields_must_exist),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_two_routes_of_one_method_and_path),
		cmocka_unit_test(test_more_routes_than_the_metrics_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
