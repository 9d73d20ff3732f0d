/* e2e: the routes no other e2e program reaches, called once each so that
 * their replies go through the OpenAPI response validation too
 * (tests/openapi/check_responses.mjs, run by run_e2e.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "e2e.h"

static void
test_sessions_and_activity_of_a_new_user(void **state)
{
	e2e_user u;
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&u, "tour");
	o.token = u.access;
	e2e_expect(&r, "GET", "/v1/me/sessions", &o, 200, "");
	assert_true(json_array_size(json_object_get(r.json, "sessions")) >= 1);
	e2e_reply_free(&r);
	e2e_expect(&r, "GET", "/v1/me/activity", &o, 200, "");
	assert_true(json_array_size(json_object_get(r.json, "events")) >= 1); /* the sign-up */
	e2e_reply_free(&r);
}

static void
test_a_partner_endpoint_is_added_listed_and_removed(void **state)
{
	e2e_user owner;
	char gid[64], path[256], wid[64];
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&owner, "tour-hooks");
	e2e_group(gid, &owner, "Tour hooks");
	o.token = owner.access;
	/* Port 9 (discard) on this machine: run_e2e.sh allows loopback HTTP. */
	o.body = "{\"url\":\"http://127.0.0.1:9/kolo/events\","
		 "\"events\":[\"deposit.credited\"]}";
	snprintf(path, sizeof(path), "/v1/groups/%s/webhooks", gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(wid, sizeof(wid), "%s", e2e_str(&r, "id"));
	assert_true(strlen(e2e_str(&r, "secret")) > 0);
	e2e_reply_free(&r);
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "webhooks")), 1);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/webhooks/%s/deliveries", gid, wid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_true(json_is_array(json_object_get(r.json, "deliveries")));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/webhooks/%s", gid, wid);
	e2e_expect(NULL, "DELETE", path, &o, 204, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_and_activity_of_a_new_user),
		cmocka_unit_test(test_a_partner_endpoint_is_added_listed_and_removed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
