/* gw_pb_from_json, gw_pb_to_json and gw_pb_set_text on the real request and
 * reply messages of the suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "kolo/common/v1/common.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/events/v1/webhooks.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

static int
setup(void **state)
{
	*state = mem_arena_new(0);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	mem_arena_free(*state);
	return 0;
}

/* Decodes JSON text (which must parse) into msg. */
static int
decode(ProtobufCMessage *msg, const char *text, mem_arena *arena)
{
	json_error_t error;
	json_t *obj = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
	int rc;

	if (!obj)
		fail_msg("test JSON does not parse: %s: %s", text, error.text);
	err_clear();
	rc = gw_pb_from_json(msg, obj, arena);
	json_decref(obj);
	return rc;
}

/* rc is the invalid_field refusal of field, and its message names it. */
static void
assert_refused(int rc, const char *field, mem_arena *arena)
{
	const char *want = mem_arena_printf(arena, "field %s must be", field);

	assert_int_equal(rc, ERR_INVALID_ARGUMENT);
	assert_int_equal(err_last()->code, ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_field");
	if (strncmp(err_last()->message, want, strlen(want)) != 0)
		fail_msg("message '%s' does not name %s", err_last()->message, field);
}

/* The JSON of msg, dumped compactly with sorted keys (caller frees). */
static char *
encode(const ProtobufCMessage *msg)
{
	json_t *obj = gw_pb_to_json(msg);
	char *text;

	assert_non_null(obj);
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	assert_non_null(text);
	return text;
}

/* --- JSON -> message ------------------------------------------------------ */

static void
test_strings_decode_into_their_fields(void **state)
{
	mem_arena *arena = *state;
	Kolo__Identity__V1__RegisterRequest reg = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;

	assert_int_equal(decode(&reg.base,
				"{\"email\":\"ada@example.ng\",\"password\":"
				"\"correct horse\","
				"\"name\":\"Adé \\ud83d\\ude00 \\\"Q\\\"\"}",
				arena),
			 0);
	assert_string_equal(reg.email, "ada@example.ng");
	assert_string_equal(reg.password, "correct horse");
	assert_string_equal(reg.name, "Ad\xc3\xa9 \xf0\x9f\x98\x80 \"Q\"");

	/* An empty string is set, and stays empty. */
	reg = (Kolo__Identity__V1__RegisterRequest)KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	assert_int_equal(decode(&reg.base, "{\"name\":\"\"}", arena), 0);
	assert_string_equal(reg.name, "");
}

static void
test_int32_takes_its_bounds_and_refuses_beyond(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__CreateGroupRequest cg = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;

	assert_int_equal(decode(&cg.base,
				"{\"approvals_required\":2147483647,"
				"\"approvals_cap\":-2147483648}",
				arena),
			 0);
	assert_int_equal(cg.approvals_required, INT32_MAX);
	assert_int_equal(cg.approvals_cap, INT32_MIN);

	assert_refused(decode(&cg.base, "{\"approvals_required\":2147483648}", arena),
		       "approvals_required", arena);
	assert_int_equal(cg.approvals_required, INT32_MAX); /* untouched */
	assert_refused(decode(&cg.base, "{\"approvals_cap\":-2147483649}", arena), "approvals_cap",
		       arena);
	assert_refused(decode(&cg.base, "{\"approvals_cap\":9223372036854775807}", arena),
		       "approvals_cap", arena);
	assert_refused(decode(&cg.base, "{\"approvals_cap\":1.5}", arena), "approvals_cap", arena);
	assert_refused(decode(&cg.base, "{\"approvals_cap\":2.0}", arena), "approvals_cap", arena);
	assert_refused(decode(&cg.base, "{\"approvals_cap\":1e2}", arena), "approvals_cap", arena);
}

static void
test_int64_amount_kobo_is_exact(void **state)
{
	mem_arena *arena = *state;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest cw =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;

	assert_int_equal(decode(&cw.base, "{\"amount_kobo\":5000000000}", arena), 0);
	assert_true(cw.amount_kobo == INT64_C(5000000000));
	/* Beyond double precision: no trip through a double. */
	assert_int_equal(decode(&cw.base, "{\"amount_kobo\":9007199254740993}", arena), 0);
	assert_true(cw.amount_kobo == INT64_C(9007199254740993));
	assert_int_equal(decode(&cw.base, "{\"amount_kobo\":-9223372036854775808}", arena), 0);
	assert_true(cw.amount_kobo == INT64_MIN);

	assert_refused(decode(&cw.base, "{\"amount_kobo\":\"100\"}", arena), "amount_kobo", arena);
	assert_refused(decode(&cw.base, "{\"amount_kobo\":100.0}", arena), "amount_kobo", arena);
	assert_refused(decode(&cw.base, "{\"amount_kobo\":true}", arena), "amount_kobo", arena);
}

static void
test_bools_are_json_booleans_only(void **state)
{
	mem_arena *arena = *state;
	Kolo__Ledger__V1__ListEntriesRequest le = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;

	assert_int_equal(decode(&le.base, "{\"oldest_first\":true}", arena), 0);
	assert_true(le.oldest_first);
	assert_int_equal(decode(&le.base, "{\"oldest_first\":false}", arena), 0);
	assert_false(le.oldest_first);
	assert_refused(decode(&le.base, "{\"oldest_first\":\"true\"}", arena), "oldest_first",
		       arena);
	assert_refused(decode(&le.base, "{\"oldest_first\":1}", arena), "oldest_first", arena);
}

static void
test_enums_decode_by_name_without_prefix_in_any_case(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__AddMemberRequest am = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupRequest cg = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest lw =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	static const char *const refused[] = {
		"\"ROLE_OWNER\"",
		"\"role_owner\"",
		"\"unspecified\"",
		"\"UNSPECIFIED\"",
		"\"\"",
		"\"admin\"",
		"\" owner\"",
		"\"owner \"",
		"1",
		"0",
		"true",
		"{}",
		"[\"owner\"]",
	};

	assert_int_equal(decode(&am.base, "{\"role\":\"owner\"}", arena), 0);
	assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_OWNER);
	assert_int_equal(decode(&am.base, "{\"role\":\"TREASURER\"}", arena), 0);
	assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	assert_int_equal(decode(&am.base, "{\"role\":\"Member\"}", arena), 0);
	assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	assert_int_equal(decode(&am.base, "{\"role\":\"OWNER\"}", arena), 0);
	assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_OWNER);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *text = mem_arena_printf(arena, "{\"role\":%s}", refused[i]);

		am.role = KOLO__COMMON__V1__ROLE__ROLE_MEMBER;
		assert_refused(decode(&am.base, text, arena), "role", arena);
		assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	}

	/* Multi-word type names: the prefix is RULE_TEMPLATE_,
	 * WITHDRAWAL_STATUS_. */
	assert_int_equal(decode(&cg.base, "{\"rule_template\":\"two_officer\"}", arena), 0);
	assert_int_equal(cg.rule_template,
			 KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_TWO_OFFICER);
	assert_int_equal(decode(&cg.base, "{\"rule_template\":\"SINGLE_OFFICER\"}", arena), 0);
	assert_int_equal(cg.rule_template,
			 KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER);
	assert_refused(decode(&cg.base, "{\"rule_template\":\"RULE_TEMPLATE_CUSTOM\"}", arena),
		       "rule_template", arena);
	assert_int_equal(decode(&lw.base, "{\"status\":\"paid\"}", arena), 0);
	assert_int_equal(lw.status, KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PAID);
}

static void
test_enum_with_an_embedded_nul_is_refused(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__AddMemberRequest am = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;

	/* "owner\0x" is not the name "owner" (strings refuse NUL bytes too). */
	assert_refused(decode(&am.base, "{\"role\":\"owner\\u0000x\"}", arena), "role", arena);
	assert_int_equal(am.role, KOLO__COMMON__V1__ROLE__ROLE_UNSPECIFIED);
}

static void
test_nested_message_decodes_into_a_sub_message(void **state)
{
	mem_arena *arena = *state;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest cw =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;

	assert_int_equal(decode(&cw.base,
				"{\"group_id\":\"g\",\"amount_kobo\":250000,"
				"\"reason\":\"rent\","
				"\"pin\":\"1234\",\"beneficiary\":{\"bank_"
				"code\":\"035\","
				"\"account_number\":\"0123456789\",\"account_"
				"name\":\"Ada O\","
				"\"extra\":1}}",
				arena),
			 0);
	assert_non_null(cw.beneficiary);
	assert_ptr_equal(cw.beneficiary->base.descriptor,
			 &kolo__common__v1__beneficiary__descriptor);
	assert_string_equal(cw.beneficiary->bank_code, "035");
	assert_string_equal(cw.beneficiary->account_number, "0123456789");
	assert_string_equal(cw.beneficiary->account_name, "Ada O");
	assert_true(cw.amount_kobo == 250000);
	assert_string_equal(cw.reason, "rent");

	/* An empty object is a sub-message with default fields. */
	cw = (Kolo__Withdrawals__V1__CreateWithdrawalRequest)
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	assert_int_equal(decode(&cw.base, "{\"beneficiary\":{}}", arena), 0);
	assert_non_null(cw.beneficiary);
	assert_string_equal(cw.beneficiary->bank_code, "");

	assert_refused(decode(&cw.base, "{\"beneficiary\":\"035/0123456789\"}", arena),
		       "beneficiary", arena);
	assert_refused(decode(&cw.base, "{\"beneficiary\":[]}", arena), "beneficiary", arena);
	/* An error inside names the inner field. */
	assert_refused(decode(&cw.base, "{\"beneficiary\":{\"bank_code\":35}}", arena), "bank_code",
		       arena);
}

static void
test_repeated_message_field_decodes_from_an_array(void **state)
{
	mem_arena *arena = *state;
	Kolo__Payments__V1__HandleWebhookRequest hw =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	json_t *big;
	int rc;

	assert_int_equal(decode(&hw.base,
				"{\"provider\":\"flutterwave\",\"headers\":["
				"{\"name\":\"verif-hash\",\"value\":\"s3cret\"},"
				"{\"name\":\"content-type\",\"value\":\"application/"
				"json\"}]}",
				arena),
			 0);
	assert_string_equal(hw.provider, "flutterwave");
	assert_int_equal(hw.n_headers, 2);
	assert_string_equal(hw.headers[0]->name, "verif-hash");
	assert_string_equal(hw.headers[0]->value, "s3cret");
	assert_string_equal(hw.headers[1]->name, "content-type");
	assert_string_equal(hw.headers[1]->value, "application/json");

	assert_int_equal(decode(&hw.base, "{\"headers\":[]}", arena), 0);
	assert_int_equal(hw.n_headers, 0);

	assert_refused(decode(&hw.base, "{\"headers\":{\"name\":\"a\"}}", arena), "headers", arena);
	assert_refused(decode(&hw.base, "{\"headers\":[{\"name\":\"a\"},1]}", arena), "headers",
		       arena);
	assert_refused(decode(&hw.base, "{\"headers\":[{\"name\":7}]}", arena), "name", arena);
	/* bytes are not settable over HTTP. */
	assert_refused(decode(&hw.base, "{\"raw_body\":\"e30\"}", arena), "raw_body", arena);

	/* At most 1000 items. */
	big = json_pack("{s:[]}", "headers");
	for (int i = 0; i < 1001; i++)
		json_array_append_new(json_object_get(big, "headers"), json_object());
	err_clear();
	rc = gw_pb_from_json(&hw.base, big, arena);
	assert_refused(rc, "headers", arena);
	json_array_remove(json_object_get(big, "headers"), 0);
	assert_int_equal(gw_pb_from_json(&hw.base, big, arena), 0);
	assert_int_equal(hw.n_headers, 1000);
	json_decref(big);
}

static void
test_null_is_treated_as_absent(void **state)
{
	mem_arena *arena = *state;
	Kolo__Identity__V1__RegisterRequest reg = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest cw =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupRequest ug = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Payments__V1__HandleWebhookRequest hw =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;

	assert_int_equal(decode(&reg.base, "{\"email\":null,\"name\":\"Ada\"}", arena), 0);
	assert_string_equal(reg.email, "");
	assert_string_equal(reg.name, "Ada");
	assert_int_equal(decode(&cw.base, "{\"beneficiary\":null,\"amount_kobo\":null}", arena), 0);
	assert_null(cw.beneficiary);
	assert_true(cw.amount_kobo == 0);
	assert_int_equal(decode(&ug.base, "{\"name\":null,\"approvals_cap\":null}", arena), 0);
	assert_int_equal(ug.optional_name_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_NAME__NOT_SET);
	assert_int_equal(ug.optional_approvals_cap_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_CAP__NOT_SET);
	assert_int_equal(decode(&hw.base, "{\"headers\":null}", arena), 0);
	assert_int_equal(hw.n_headers, 0);
}

static void
test_unknown_keys_are_ignored(void **state)
{
	mem_arena *arena = *state;
	Kolo__Identity__V1__LoginRequest login = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;

	assert_int_equal(decode(&login.base,
				"{\"email\":\"a@b.ng\",\"password\":\"pw\","
				"\"role\":\"admin\","
				"\"is_admin\":true,\"nested\":{\"x\":[1,2,{}]},"
				"\"Email\":5}",
				arena),
			 0);
	assert_string_equal(login.email, "a@b.ng");
	assert_string_equal(login.password, "pw");
}

static void
test_wrong_types_are_refused_naming_the_field(void **state)
{
	mem_arena *arena = *state;
	static const struct {
		const char *json, *field;
	} cases[] = {
		{"{\"name\":5}", "name"},
		{"{\"name\":{}}", "name"},
		{"{\"name\":[\"x\"]}", "name"},
		{"{\"name\":true}", "name"},
		{"{\"description\":1.5}", "description"},
		{"{\"approvals_cap\":\"3\"}", "approvals_cap"},
		{"{\"approvals_cap\":{}}", "approvals_cap"},
		{"{\"approvals_cap\":[3]}", "approvals_cap"},
		{"{\"approvals_cap\":false}", "approvals_cap"},
		{"{\"rule_template\":2}", "rule_template"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Kolo__Groups__V1__CreateGroupRequest cg =
			KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;

		assert_refused(decode(&cg.base, cases[i].json, arena), cases[i].field, arena);
	}
}

static void
test_strings_with_an_embedded_nul_are_refused(void **state)
{
	mem_arena *arena = *state;
	Kolo__Identity__V1__RegisterRequest reg = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	json_t *obj;

	assert_refused(decode(&reg.base, "{\"name\":\"a\\u0000b\"}", arena), "name", arena);
	assert_string_equal(reg.name, "");
	assert_refused(decode(&reg.base, "{\"email\":\"\\u0000\"}", arena), "email", arena);

	obj = json_pack("{s:s%}", "password", "pw\0rest", (size_t)7);
	assert_non_null(obj);
	err_clear();
	assert_refused(gw_pb_from_json(&reg.base, obj, arena), "password", arena);
	json_decref(obj);
}

static void
test_a_body_that_is_not_an_object_is_invalid_json(void **state)
{
	mem_arena *arena = *state;
	Kolo__Identity__V1__LoginRequest login = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	static const char *const bodies[] = {"[]", "\"x\"", "1", "null", "true"};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(decode(&login.base, bodies[i], arena), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "invalid_json");
	}
}

static void
test_oneof_member_sets_its_case(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__UpdateGroupRequest ug = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;

	assert_int_equal(decode(&ug.base,
				"{\"group_id\":\"g\",\"name\":\"Esusu\",\"description\":"
				"\"\","
				"\"rule_template\":\"custom\",\"approvals_required\":0}",
				arena),
			 0);
	assert_string_equal(ug.group_id, "g");
	assert_int_equal(ug.optional_name_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_NAME_NAME);
	assert_string_equal(ug.name, "Esusu");
	/* "" and 0 are set values for a oneof, not absence. */
	assert_int_equal(ug.optional_description_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_DESCRIPTION_DESCRIPTION);
	assert_string_equal(ug.description, "");
	assert_int_equal(
		ug.optional_rule_template_case,
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE);
	assert_int_equal(ug.rule_template, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM);
	assert_int_equal(
		ug.optional_approvals_required_case,
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_REQUIRED_APPROVALS_REQUIRED);
	assert_int_equal(ug.approvals_required, 0);
	assert_int_equal(ug.optional_approvals_cap_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_CAP__NOT_SET);

	/* A refused value leaves its oneof unset. */
	ug = (Kolo__Groups__V1__UpdateGroupRequest)KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	assert_refused(decode(&ug.base, "{\"approvals_cap\":\"three\"}", arena), "approvals_cap",
		       arena);
	assert_int_equal(ug.optional_approvals_cap_case,
			 KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_CAP__NOT_SET);
}

/* --- message -> JSON ------------------------------------------------------ */

static void
test_enums_encode_without_prefix_in_upper_case(void **state)
{
	Kolo__Groups__V1__Member m = KOLO__GROUPS__V1__MEMBER__INIT;
	Kolo__Common__V1__LedgerEntry e = KOLO__COMMON__V1__LEDGER_ENTRY__INIT;
	Kolo__Withdrawals__V1__PayoutSummary p = KOLO__WITHDRAWALS__V1__PAYOUT_SUMMARY__INIT;
	Kolo__Identity__V1__SigningKey k = KOLO__IDENTITY__V1__SIGNING_KEY__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest lw =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	json_t *v;

	m.role = KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
	v = gw_pb_field_json(&m.base, "role");
	assert_string_equal(json_string_value(v), "TREASURER");
	json_decref(v);

	e.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	v = gw_pb_field_json(&e.base, "type");
	assert_string_equal(json_string_value(v), "CREDIT");
	json_decref(v);

	p.status = KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS;
	v = gw_pb_field_json(&p.base, "status");
	assert_string_equal(json_string_value(v), "SUCCESS");
	json_decref(v);

	k.status = KOLO__IDENTITY__V1__SIGNING_KEY_STATUS__SIGNING_KEY_STATUS_PREVIOUS;
	v = gw_pb_field_json(&k.base, "status");
	assert_string_equal(json_string_value(v), "PREVIOUS");
	json_decref(v);

	lw.status = KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING;
	v = gw_pb_field_json(&lw.base, "status");
	assert_string_equal(json_string_value(v), "PENDING");
	json_decref(v);
}

static void
test_account_status_and_rule_template_encode_in_lower_case(void **state)
{
	Kolo__Payments__V1__Account a = KOLO__PAYMENTS__V1__ACCOUNT__INIT;
	Kolo__Groups__V1__Group g = KOLO__GROUPS__V1__GROUP__INIT;
	json_t *v;

	a.status = KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE;
	v = gw_pb_field_json(&a.base, "status");
	assert_string_equal(json_string_value(v), "active");
	json_decref(v);

	g.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_TWO_OFFICER;
	g.my_role = KOLO__COMMON__V1__ROLE__ROLE_OWNER;
	v = gw_pb_to_json(&g.base);
	assert_string_equal(json_string_value(json_object_get(v, "rule_template")), "two_officer");
	/* Only those two: Role stays upper case in the same message. */
	assert_string_equal(json_string_value(json_object_get(v, "my_role")), "OWNER");
	json_decref(v);
}

static void
test_unspecified_enum_is_absent(void **state)
{
	Kolo__Groups__V1__Group g = KOLO__GROUPS__V1__GROUP__INIT;
	Kolo__Payments__V1__Account a = KOLO__PAYMENTS__V1__ACCOUNT__INIT;
	json_t *v = gw_pb_to_json(&g.base);

	assert_null(json_object_get(v, "rule_template"));
	assert_null(json_object_get(v, "my_role"));
	json_decref(v);

	assert_null(gw_pb_field_json(&a.base, "status"));
	/* A value the descriptor does not know is absent too. */
	a.status = (Kolo__Common__V1__AccountStatus)99;
	assert_null(gw_pb_field_json(&a.base, "status"));
}

static void
test_empty_time_is_absent_and_empty_text_stays_empty(void **state)
{
	Kolo__Withdrawals__V1__Withdrawal w = KOLO__WITHDRAWALS__V1__WITHDRAWAL__INIT;
	char *text;

	w.created_at = "2025-01-31T09:15:00.123456Z";
	text = encode(&w.base);
	assert_non_null(strstr(text, "\"created_at\":\"2025-01-31T09:15:00.123456Z\""));
	assert_null(strstr(text, "executed_at"));
	assert_null(strstr(text, "expires_at"));
	assert_null(strstr(text, "null"));
	assert_non_null(strstr(text, "\"decline_reason\":\"\""));
	assert_non_null(strstr(text, "\"client_ref\":\"\""));
	free(text);
}

static void
test_webhook_not_failing_has_no_failing_since(void **state)
{
	Kolo__Events__V1__Webhook wh = KOLO__EVENTS__V1__WEBHOOK__INIT;
	json_t *v;

	(void)state;
	wh.id = "w";
	wh.status = "active";
	v = gw_pb_to_json(&wh.base);
	assert_null(json_object_get(v, "failing_since"));
	assert_null(json_object_get(v, "paused_at"));
	assert_string_equal(json_string_value(json_object_get(v, "url")), "");
	json_decref(v);
	wh.failing_since = "2026-12-06T10:00:00Z";
	v = gw_pb_to_json(&wh.base);
	assert_string_equal(json_string_value(json_object_get(v, "failing_since")),
			    "2026-12-06T10:00:00Z");
	json_decref(v);
}

static void
test_unset_sub_message_is_absent(void **state)
{
	Kolo__Withdrawals__V1__Withdrawal w = KOLO__WITHDRAWALS__V1__WITHDRAWAL__INIT;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;
	json_t *v = gw_pb_to_json(&w.base);

	assert_null(json_object_get(v, "beneficiary"));
	assert_null(json_object_get(v, "payout"));
	json_decref(v);

	b.bank_code = "035";
	b.account_number = "0123456789";
	w.beneficiary = &b;
	v = gw_pb_to_json(&w.base);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(v, "beneficiary"), "bank_code")),
		"035");
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "beneficiary"),
							      "account_number")),
			    "0123456789");
	json_decref(v);
}

static void
test_int64_encodes_as_a_json_integer(void **state)
{
	Kolo__Withdrawals__V1__Withdrawal w = KOLO__WITHDRAWALS__V1__WITHDRAWAL__INIT;
	char *text;
	json_t *v;

	w.amount_kobo = INT64_C(9007199254740993);
	v = gw_pb_field_json(&w.base, "amount_kobo");
	assert_true(json_is_integer(v));
	assert_true(json_integer_value(v) == INT64_C(9007199254740993));
	json_decref(v);
	text = encode(&w.base);
	assert_non_null(strstr(text, "\"amount_kobo\":9007199254740993"));
	free(text);
}

static void
test_bytes_encode_as_base64url_without_padding(void **state)
{
	Kolo__Identity__V1__SigningKey k = KOLO__IDENTITY__V1__SIGNING_KEY__INIT;
	unsigned char three[] = {0xfb, 0xff, 0xfe};
	unsigned char two[] = {0xfb, 0xff};
	json_t *v;

	v = gw_pb_field_json(&k.base, "public_key");
	assert_string_equal(json_string_value(v), "");
	json_decref(v);

	k.public_key.data = three;
	k.public_key.len = sizeof(three);
	v = gw_pb_field_json(&k.base, "public_key");
	assert_string_equal(json_string_value(v), "-__-");
	json_decref(v);

	k.public_key.data = two;
	k.public_key.len = sizeof(two);
	v = gw_pb_field_json(&k.base, "public_key");
	assert_string_equal(json_string_value(v), "-_8");
	json_decref(v);
}

static void
test_repeated_fields_encode_as_arrays(void **state)
{
	Kolo__Withdrawals__V1__Withdrawal w = KOLO__WITHDRAWALS__V1__WITHDRAWAL__INIT;
	Kolo__Withdrawals__V1__Approval a1 = KOLO__WITHDRAWALS__V1__APPROVAL__INIT;
	Kolo__Withdrawals__V1__Approval a2 = KOLO__WITHDRAWALS__V1__APPROVAL__INIT;
	Kolo__Withdrawals__V1__Approval *approvals[] = {&a1, &a2};
	json_t *v, *arr;

	v = gw_pb_field_json(&w.base, "approvals");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);

	a1.user_id = "u1";
	a1.created_at = "2025-01-01T00:00:00Z";
	a2.user_id = "u2";
	w.n_approvals = 2;
	w.approvals = approvals;
	v = gw_pb_to_json(&w.base);
	arr = json_object_get(v, "approvals");
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "user_id")),
			    "u1");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(arr, 0), "created_at")),
		"2025-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "user_id")),
			    "u2");
	assert_null(json_object_get(json_array_get(arr, 1), "created_at"));
	json_decref(v);
}

static void
test_unset_oneof_member_is_omitted(void **state)
{
	Kolo__Groups__V1__UpdateGroupRequest ug = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	json_t *v;

	ug.group_id = "g";
	ug.optional_approvals_required_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_REQUIRED_APPROVALS_REQUIRED;
	ug.approvals_required = 0;
	v = gw_pb_to_json(&ug.base);
	/* group_id, approvals_required, and the plain (non-oneof) tier,
	 * account holder and request_id fields */
	assert_int_equal(json_object_size(v), 6);
	assert_string_equal(json_string_value(json_object_get(v, "group_id")), "g");
	assert_true(json_is_integer(json_object_get(v, "approvals_required")));
	assert_int_equal(json_integer_value(json_object_get(v, "approvals_required")), 0);
	assert_null(json_object_get(v, "name"));
	assert_null(json_object_get(v, "description"));
	assert_null(json_object_get(v, "rule_template"));
	assert_null(json_object_get(v, "approvals_cap"));
	json_decref(v);
	assert_null(gw_pb_field_json(&ug.base, "name"));
}

static void
test_decoded_request_encodes_back_to_the_same_json(void **state)
{
	mem_arena *arena = *state;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest cw =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	const char *in = "{\"amount_kobo\":2147483647,\"beneficiary\":{\"account_name\":"
			 "\"Ada\","
			 "\"account_number\":\"0123456789\",\"bank_code\":\"035\"},"
			 "\"client_ref\":\"k-1\",\"group_id\":\"g\",\"pin\":\"1234\","
			 "\"reason\":\"caf\xc3\xa9\"}";
	char *out;

	assert_int_equal(decode(&cw.base, in, arena), 0);
	out = encode(&cw.base);
	assert_string_equal(out, in);
	free(out);
}

static void
test_field_json_of_an_unknown_name_or_unset_is_null(void **state)
{
	Kolo__Identity__V1__GetMeResponse me = KOLO__IDENTITY__V1__GET_ME_RESPONSE__INIT;
	Kolo__Identity__V1__User user = KOLO__IDENTITY__V1__USER__INIT;
	json_t *v;

	assert_null(gw_pb_field_json(&me.base, "nope"));
	assert_null(gw_pb_field_json(&me.base, "user"));
	user.email = "ada@example.ng";
	user.has_pin = 1;
	me.user = &user;
	v = gw_pb_field_json(&me.base, "user");
	assert_string_equal(json_string_value(json_object_get(v, "email")), "ada@example.ng");
	assert_true(json_is_true(json_object_get(v, "has_pin")));
	json_decref(v);
}

/* --- text (path and query parameters) --------------------------------------
 */

static void
test_set_text_parses_numbers_for_numeric_fields(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__ListMyGroupsRequest lg = KOLO__GROUPS__V1__LIST_MY_GROUPS_REQUEST__INIT;
	static const char *const refused[] = {
		"abc",	"", "25abc", "2.5", "2147483648", "-2147483649", "99999999999999999999",
		"0x10",
	};

	assert_int_equal(gw_pb_set_text(&lg.base, "page_size", "25", arena, 0), 0);
	assert_int_equal(lg.page_size, 25);
	assert_int_equal(gw_pb_set_text(&lg.base, "page_size", "2147483647", arena, 1), 0);
	assert_int_equal(lg.page_size, INT32_MAX);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		lg.page_size = 7;
		err_clear();
		assert_refused(gw_pb_set_text(&lg.base, "page_size", refused[i], arena, 0),
			       "page_size", arena);
		assert_int_equal(lg.page_size, 7);
	}
}

static void
test_set_text_fills_strings_bools_and_enums(void **state)
{
	mem_arena *arena = *state;
	Kolo__Ledger__V1__ListEntriesRequest le = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest lw =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;

	assert_int_equal(gw_pb_set_text(&le.base, "group_id", "3f2b8c1e", arena, 1), 0);
	assert_string_equal(le.group_id, "3f2b8c1e");
	assert_int_equal(gw_pb_set_text(&le.base, "from_time", "2025-01-01T00:00:00Z", arena, 1),
			 0);
	assert_string_equal(le.from_time, "2025-01-01T00:00:00Z");
	assert_int_equal(gw_pb_set_text(&le.base, "oldest_first", "true", arena, 1), 0);
	assert_true(le.oldest_first);
	assert_int_equal(gw_pb_set_text(&le.base, "oldest_first", "0", arena, 1), 0);
	assert_false(le.oldest_first);
	assert_int_equal(gw_pb_set_text(&le.base, "oldest_first", "1", arena, 1), 0);
	assert_true(le.oldest_first);
	err_clear();
	assert_refused(gw_pb_set_text(&le.base, "oldest_first", "yes", arena, 1), "oldest_first",
		       arena);
	assert_int_equal(gw_pb_set_text(&le.base, "type", "debit", arena, 1), 0);
	assert_int_equal(le.type, KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT);

	assert_int_equal(gw_pb_set_text(&lw.base, "status", "PENDING", arena, 1), 0);
	assert_int_equal(lw.status, KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING);
	err_clear();
	assert_refused(gw_pb_set_text(&lw.base, "status", "WITHDRAWAL_STATUS_PAID", arena, 1),
		       "status", arena);
	assert_int_equal(lw.status, KOLO__COMMON__V1__WITHDRAWAL_STATUS__WITHDRAWAL_STATUS_PENDING);
}

static void
test_set_text_unknown_name_is_ignored_unless_strict(void **state)
{
	mem_arena *arena = *state;
	Kolo__Groups__V1__ListMyGroupsRequest lg = KOLO__GROUPS__V1__LIST_MY_GROUPS_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalRequest cw =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;

	err_clear();
	assert_int_equal(gw_pb_set_text(&lg.base, "utm_source", "x", arena, 0), 0);
	assert_int_equal(err_last()->code, ERR_OK);
	assert_int_equal(lg.page_size, 0);
	assert_string_equal(lg.page_token, "");

	assert_int_equal(gw_pb_set_text(&lg.base, "utm_source", "x", arena, 1), ERR_INTERNAL);
	assert_int_equal(err_last()->code, ERR_INTERNAL);

	/* A message field cannot be set from text: it counts as unknown. */
	assert_int_equal(gw_pb_set_text(&cw.base, "beneficiary", "035", arena, 0), 0);
	assert_null(cw.beneficiary);
	assert_int_equal(gw_pb_set_text(&cw.base, "beneficiary", "035", arena, 1), ERR_INTERNAL);
	assert_null(cw.beneficiary);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_strings_decode_into_their_fields),
		T(test_int32_takes_its_bounds_and_refuses_beyond),
		T(test_int64_amount_kobo_is_exact),
		T(test_bools_are_json_booleans_only),
		T(test_enums_decode_by_name_without_prefix_in_any_case),
		T(test_enum_with_an_embedded_nul_is_refused),
		T(test_nested_message_decodes_into_a_sub_message),
		T(test_repeated_message_field_decodes_from_an_array),
		T(test_null_is_treated_as_absent),
		T(test_unknown_keys_are_ignored),
		T(test_wrong_types_are_refused_naming_the_field),
		T(test_strings_with_an_embedded_nul_are_refused),
		T(test_a_body_that_is_not_an_object_is_invalid_json),
		T(test_oneof_member_sets_its_case),
		T(test_enums_encode_without_prefix_in_upper_case),
		T(test_account_status_and_rule_template_encode_in_lower_case),
		T(test_unspecified_enum_is_absent),
		T(test_empty_time_is_absent_and_empty_text_stays_empty),
		T(test_unset_sub_message_is_absent),
		T(test_webhook_not_failing_has_no_failing_since),
		T(test_int64_encodes_as_a_json_integer),
		T(test_bytes_encode_as_base64url_without_padding),
		T(test_repeated_fields_encode_as_arrays),
		T(test_unset_oneof_member_is_omitted),
		T(test_decoded_request_encodes_back_to_the_same_json),
		T(test_field_json_of_an_unknown_name_or_unset_is_null),
		T(test_set_text_parses_numbers_for_numeric_fields),
		T(test_set_text_fills_strings_bools_and_enums),
		T(test_set_text_unknown_name_is_ignored_unless_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
