/* Groups through the gateway: every rule and permission over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

/* POSTs a group as owner and returns its id in id (64 bytes). */
static void
create_group(const e2e_user *owner, const char *body, char *id)
{
	e2e_opts o = {.token = owner->access, .body = body};
	e2e_reply r;

	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(id, 64, "%s", e2e_str(&r, "id"));
	assert_string_equal(e2e_str(&r, "my_role"), "OWNER");
	e2e_reply_free(&r);
}

static void
add(const char *gid, const e2e_user *actor, const e2e_user *who, const char *role, long status,
    const char *code)
{
	char path[128], body[256];
	e2e_opts o = {.token = actor->access, .body = body};

	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", who->email, role);
	e2e_expect(NULL, "POST", path, &o, status, code);
}

static void
test_group_life_over_http(void **state)
{
	e2e_user owner, treasurer, member, stranger;
	char gid[64], path[160], body[256];
	e2e_opts as_owner = {0}, as_member = {0}, as_stranger = {0};
	e2e_reply r;

	e2e_register(&owner, "g-owner");
	e2e_register(&treasurer, "g-treasurer");
	e2e_register(&member, "g-member");
	e2e_register(&stranger, "g-stranger");
	as_owner.token = owner.access;
	as_member.token = member.access;
	as_stranger.token = stranger.access;
	create_group(&owner, "{\"name\":\"Esusu Ladies\",\"rule_template\":\"two_officer\"}", gid);

	add(gid, &owner, &treasurer, "TREASURER", 201, "");
	add(gid, &owner, &member, "member", 201, "");
	add(gid, &owner, &member, "MEMBER", 409, "already_member");
	add(gid, &member, &stranger, "MEMBER", 403, "officer_only");
	add(gid, &owner, &stranger, "CHIEF", 400, "invalid_field");

	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	e2e_expect(&r, "GET", path, &as_member, 200, "");
	assert_string_equal(e2e_str(&r, "rule_template"), "two_officer");
	assert_string_equal(e2e_str(&r, "my_role"), "MEMBER");
	assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 3);
	e2e_reply_free(&r);
	e2e_expect(NULL, "GET", path, &as_stranger, 404, "group_not_found");

	snprintf(path, sizeof(path), "/v1/groups/%s/members?page_size=10", gid);
	e2e_expect(&r, "GET", path, &as_member, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "members")), 3);
	e2e_reply_free(&r);

	/* Rules: a MEMBER may not; an unsatisfiable one is refused. */
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	snprintf(body, sizeof(body), "{\"rule_template\":\"single_officer\"}");
	as_member.body = body;
	e2e_expect(NULL, "PATCH", path, &as_member, 403, "owner_only");
	as_member.body = NULL;
	snprintf(body, sizeof(body), "{\"rule_template\":\"custom\",\"approvals_required\":3}");
	as_owner.body = body;
	e2e_expect(NULL, "PATCH", path, &as_owner, 422, "rule_unsatisfiable");
	snprintf(body, sizeof(body), "{\"approvals_cap\":99}");
	e2e_expect(NULL, "PATCH", path, &as_owner, 400, "invalid_rule");
	snprintf(body, sizeof(body), "{\"name\":\"Esusu Sisters\"}");
	e2e_expect(&r, "PATCH", path, &as_owner, 200, "");
	assert_string_equal(e2e_str(&r, "name"), "Esusu Sisters");
	assert_string_equal(e2e_str(&r, "account_holder_user_id"), owner.id);
	e2e_reply_free(&r);
	/* The account holder: an officer, named by a proposal (DESIGN §14). */
	snprintf(body, sizeof(body), "{\"account_holder_user_id\":\"%s\"}", member.id);
	e2e_expect(NULL, "PATCH", path, &as_owner, 422, "holder_not_officer");
	snprintf(body, sizeof(body), "{\"account_holder_user_id\":\"%s\"}", treasurer.id);
	e2e_expect(&r, "PATCH", path, &as_owner, 202, "");
	assert_string_equal(e2e_str(&r, "kind"), "account_holder");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	assert_string_equal(e2e_str(&r, "subject_user_id"), treasurer.id);
	e2e_reply_free(&r);
	as_owner.body = NULL;
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_string_equal(e2e_str(&r, "account_holder_user_id"), owner.id);
	e2e_reply_free(&r);

	/* The last OWNER stays; a member leaves. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s", gid, owner.id);
	e2e_expect(NULL, "DELETE", path, &as_owner, 422, "last_owner");
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s", gid, member.id);
	e2e_expect(NULL, "DELETE", path, &as_member, 204, "");
	e2e_expect(NULL, "DELETE", path, &as_owner, 404, "member_not_found");
}

/* The story over HTTP: an OWNER with a treasurer and a member
 * switches the rule to single_officer. The answer is 202 with a PENDING
 * proposal and the rule stays, until the treasurer approves (PIN) and the
 * time-lock is over. */
static void
test_rule_change_is_a_proposal_over_http(void **state)
{
	e2e_user owner, treasurer, member;
	char gid[64], pid[64], path[160];
	e2e_opts as_owner = {0}, as_treasurer = {0};
	e2e_reply r;

	e2e_register(&owner, "gov-owner");
	e2e_register(&treasurer, "gov-treasurer");
	e2e_register(&member, "gov-member");
	as_owner.token = owner.access;
	as_treasurer.token = treasurer.access;
	as_treasurer.body = "{\"pin\":\"4812\"}";
	e2e_expect(NULL, "POST", "/v1/me/pin", &as_treasurer, 201, "");
	create_group(&owner, "{\"name\":\"Governed\"}", gid);
	add(gid, &owner, &treasurer, "TREASURER", 201, "");
	add(gid, &owner, &member, "MEMBER", 201, "");

	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	as_owner.body = "{\"rule_template\":\"single_officer\"}";
	e2e_expect(&r, "PATCH", path, &as_owner, 202, "");
	assert_string_equal(e2e_str(&r, "kind"), "rule");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	assert_int_equal(json_integer_value(json_object_get(r.json, "approvals_required")), 2);
	snprintf(pid, sizeof(pid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	as_owner.body = NULL;
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_string_equal(e2e_str(&r, "rule_template"), "two_officer");
	e2e_reply_free(&r);
	/* So the owner alone cannot take the money: a withdrawal waits for two. */
	as_owner.body = "{\"pin\":\"4812\"}";
	e2e_expect(NULL, "POST", "/v1/me/pin", &as_owner, 201, "");
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	as_owner.body = "{\"amount_kobo\":50000000}";
	e2e_expect(NULL, "POST", path, &as_owner, 201, "");
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", gid);
	as_owner.body = "{\"amount_kobo\":50000000,\"reason\":\"All of it\",\"pin\":\"4812\","
			"\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
			"\"account_name\":\"Kunle Ade\"}}";
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	assert_int_equal(json_integer_value(json_object_get(r.json, "approvals_required")), 2);
	e2e_reply_free(&r);
	as_owner.body = NULL;

	/* The treasurer sees it and approves. */
	snprintf(path, sizeof(path), "/v1/groups/%s/proposals", gid);
	as_treasurer.body = NULL;
	e2e_expect(&r, "GET", path, &as_treasurer, 200, "");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(r.json, "proposals"), 0), "id")),
			    pid);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/proposals/%s/approve", pid);
	e2e_expect(NULL, "POST", path, &as_treasurer, 400, "missing_field");
	as_treasurer.body = "{\"pin\":\"4812\"}";
	e2e_expect(&r, "POST", path, &as_treasurer, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PASSED");
	e2e_reply_free(&r);
	e2e_expect(NULL, "POST", path, &as_treasurer, 422, "proposal_not_pending");
	e2e_wait_proposal(pid, &owner, "APPLIED");
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_string_equal(e2e_str(&r, "rule_template"), "single_officer");
	e2e_reply_free(&r);
}

static void
test_public_token_rotation_over_http(void **state)
{
	e2e_user owner;
	char gid[64], path[160], first[64];
	e2e_opts as_owner = {0};
	e2e_reply r;

	e2e_register(&owner, "t-owner");
	as_owner.token = owner.access;
	create_group(&owner, "{\"name\":\"Open Books\"}", gid);
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", gid);
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	snprintf(first, sizeof(first), "%s", e2e_str(&r, "public_read_token"));
	assert_int_equal(strlen(first), 43);
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_string_not_equal(e2e_str(&r, "public_read_token"), first);
	e2e_reply_free(&r);
	e2e_expect(NULL, "DELETE", path, &as_owner, 204, "");
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_false(json_is_true(json_object_get(r.json, "has_public_token")));
	e2e_reply_free(&r);
	e2e_expect(&r, "GET", "/v1/groups?page_size=5", &as_owner, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "groups")), 1);
	e2e_reply_free(&r);
}

/* Email ownership over HTTP (DESIGN §16): an unverified address gets no
 * role (422 email_not_verified); its owner reads the code from the mail
 * kolo-events wrote and verifies it; then the same add works. */
static void
test_email_ownership_over_http(void **state)
{
	e2e_user owner, newcomer;
	char gid[64], code[8], body[64];
	e2e_opts as_newcomer = {0}, send = {0};
	e2e_reply r;
	long long since;

	(void)state;
	e2e_register(&owner, "v-owner");
	e2e_register_unverified(&newcomer, "v-newcomer");
	as_newcomer.token = newcomer.access;
	create_group(&owner, "{\"name\":\"Verified Circle\"}", gid);
	add(gid, &owner, &newcomer, "MEMBER", 422, "email_not_verified");
	e2e_expect(&r, "GET", "/v1/me", &as_newcomer, 200, "");
	assert_false(json_is_true(json_object_get(r.json, "email_verified")));
	e2e_reply_free(&r);
	/* Register's code was sent a moment ago: no other yet. */
	send.token = newcomer.access;
	e2e_expect(&r, "POST", "/v1/me/email/code", &send, 429, "rate_limited");
	assert_true(atoi(r.retry_after) > 0 && atoi(r.retry_after) <= 60);
	e2e_reply_free(&r);
	e2e_mail_code(code, newcomer.email, NULL);
	snprintf(body, sizeof(body), "{\"code\":\"%06d\"}", (atoi(code) + 1) % 1000000);
	as_newcomer.body = body;
	e2e_expect(NULL, "POST", "/v1/me/email/verify", &as_newcomer, 403, "code_invalid");
	snprintf(body, sizeof(body), "{\"code\":\"12ab\"}");
	e2e_expect(NULL, "POST", "/v1/me/email/verify", &as_newcomer, 400, "invalid_code");
	e2e_verify_email(&newcomer);
	add(gid, &owner, &newcomer, "MEMBER", 201, "");
	/* The phone for SMS: a Nigerian mobile number, stored in E.164. */
	since = e2e_now_ms();
	snprintf(body, sizeof(body), "{\"phone\":\"0803 123 4567\"}");
	e2e_expect(&r, "PUT", "/v1/me/phone", &as_newcomer, 200, "");
	assert_string_equal(e2e_str(&r, "phone"), "+2348031234567");
	assert_true(json_is_true(json_object_get(r.json, "email_verified")));
	/* Unverified until the code sent to it by SMS is entered. */
	assert_false(json_is_true(json_object_get(r.json, "phone_verified")));
	e2e_reply_free(&r);
	e2e_verify_phone(&newcomer, "+2348031234567", since);
	snprintf(body, sizeof(body), "{\"phone\":\"+2348001234567\"}");
	e2e_expect(NULL, "PUT", "/v1/me/phone", &as_newcomer, 400, "invalid_phone");
	as_newcomer.body = NULL;
	e2e_expect(&r, "GET", "/v1/me", &as_newcomer, 200, "");
	assert_string_equal(e2e_str(&r, "phone"), "+2348031234567");
	assert_true(json_is_true(json_object_get(r.json, "phone_verified")));
	e2e_reply_free(&r);
	/* DELETE clears it whatever its query says (the gateway fills a
	 * DELETE's fields from the query). */
	e2e_expect(NULL, "DELETE", "/v1/me/phone?phone=%2B2348031234599", &as_newcomer, 204, "");
	e2e_expect(&r, "GET", "/v1/me", &as_newcomer, 200, "");
	assert_string_equal(e2e_str(&r, "phone"), "");
	e2e_reply_free(&r);
}

/* Creates retried with one Idempotency-Key (request_id): 201 both times
 * with the same ids; the key with another body is 409 request_id_reused;
 * a bad key is 400 invalid_request_id. */
static void
test_idempotency_keys_over_http(void **state)
{
	e2e_user owner, joiner, other;
	char gid[64], path[160], body[256], key[192], email[128];
	e2e_opts o = {0};
	e2e_reply r;
	int n = 0;
	json_t *groups;

	(void)state;
	e2e_register(&owner, "idem-owner");
	e2e_register(&joiner, "idem-joiner");
	e2e_register(&other, "idem-other");
	snprintf(key, sizeof(key), "Idempotency-Key: create-%s", owner.id);
	o.token = owner.access;
	o.header = key;
	o.body = "{\"name\":\"Keyed circle\"}";
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(gid, sizeof(gid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	assert_string_equal(e2e_str(&r, "id"), gid);
	e2e_reply_free(&r);
	o.body = "{\"name\":\"Another circle\"}";
	e2e_expect(NULL, "POST", "/v1/groups", &o, 409, "request_id_reused");
	memset(key, 0, sizeof(key));
	snprintf(key, sizeof(key), "Idempotency-Key: %0129d", 7);
	e2e_expect(NULL, "POST", "/v1/groups", &o, 400, "invalid_request_id");
	o.header = NULL;
	e2e_expect(&r, "GET", "/v1/groups", &o, 200, "");
	groups = json_object_get(r.json, "groups");
	for (size_t i = 0; i < json_array_size(groups); i++)
		n += strcmp(json_string_value(json_object_get(json_array_get(groups, i), "name")),
			    "Keyed circle") == 0;
	assert_int_equal(n, 1);
	e2e_reply_free(&r);

	/* AddMember: the same membership twice, not already_member. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"MEMBER\"}", joiner.email);
	o.header = "Idempotency-Key: add-joiner";
	o.body = body;
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "user_id"), joiner.id);
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "user_id"), joiner.id);
	e2e_reply_free(&r);

	/* Register: the same user twice. */
	snprintf(email, sizeof(email), "idem-reg-%s@example.com", owner.id);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"Keyed\"}",
		 email, E2E_PASSWORD);
	snprintf(key, sizeof(key), "Idempotency-Key: reg-%s", owner.id);
	o = (e2e_opts){.header = key, .body = body};
	e2e_expect(&r, "POST", "/v1/auth/register", &o, 201, "");
	snprintf(gid, sizeof(gid), "%s",
		 json_string_value(json_object_get(json_object_get(r.json, "user"), "id")));
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", "/v1/auth/register", &o, 201, "");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "user"), "id")), gid);
	assert_string_not_equal(e2e_str(&r, "access_token"), "");
	e2e_reply_free(&r);
	(void)other;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_life_over_http),
		cmocka_unit_test(test_rule_change_is_a_proposal_over_http),
		cmocka_unit_test(test_public_token_rotation_over_http),
		cmocka_unit_test(test_email_ownership_over_http),
		cmocka_unit_test(test_idempotency_keys_over_http),
	};

	return cmocka_run_group_tests(tests, e2e_setup, e2e_teardown);
}
