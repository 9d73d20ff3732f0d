/* What the live providers share (services/payments/provider.c, http.c),
 * without a network: a name split into first and last, a failed event
 * keeping its type, a reply opened under each provider's own rule of
 * refusal, the resolved holder's name, and the error of a refusal turned
 * into "no such account". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "provider.h"

static void
test_split_name(void **state)
{
	char first[16], last[16];

	(void)state;
	pay_provider_split_name(first, last, sizeof(first), "  Ajo  Savings Club");
	assert_string_equal(first, "Ajo");
	assert_string_equal(last, "Savings Club");
	pay_provider_split_name(first, last, sizeof(first), "Ajo");
	assert_string_equal(first, "Ajo");
	assert_string_equal(last, "Group");
	pay_provider_split_name(first, last, sizeof(first), "   ");
	assert_string_equal(first, "Kolo");
	assert_string_equal(last, "Group");
}

static void
test_event_clear_keeps_type(void **state)
{
	pay_event ev;

	(void)state;
	memset(&ev, 'x', sizeof(ev));
	strcpy(ev.type, "charge.completed");
	pay_provider_event_clear(&ev);
	assert_string_equal(ev.type, "charge.completed");
	assert_int_equal(ev.kind, 0);
	assert_int_equal(ev.amount_kobo, 0);
	assert_string_equal(ev.tx_ref, "");
}

static int
refused_unless_success(json_t *status)
{
	return json_is_string(status) && strcmp(json_string_value(status), "success") != 0;
}

static int
refused_when_false(json_t *status)
{
	return json_is_false(status);
}

static pay_http_reply
reply_of(const char *body)
{
	pay_http_reply r;

	memset(&r, 0, sizeof(r));
	r.body = strdup(body);
	r.len = strlen(body);
	r.status = 200;
	return r;
}

/* The reason of opening body under refused: "" when it opens. */
static const char *
open_reason(int (*refused)(json_t *), const char *body, json_t **data_out)
{
	pay_http_client cl = {.provider = "prov", .refused = refused};
	pay_http_reply r = reply_of(body);
	json_t *root = NULL, *data = NULL;
	int rc = pay_http_open(&root, &data, &cl, &r, "a test");
	static char reason[64];

	reason[0] = '\0';
	if (rc < 0)
		strcpy(reason, err_last()->reason);
	else
		assert_non_null(root);
	if (data_out)
		*data_out = json_incref(data);
	pay_http_end(rc, NULL, 0, root, &r);
	return reason;
}

static void
test_open_by_provider_rule(void **state)
{
	json_t *data = NULL;

	(void)state;
	assert_string_equal(open_reason(refused_unless_success, "[1]", NULL), "provider_bad_reply");
	assert_string_equal(open_reason(refused_when_false, "not json", NULL),
			    "provider_bad_reply");
	assert_string_equal(open_reason(refused_unless_success,
					"{\"status\":\"error\",\"message\":\"no\"}", NULL),
			    "provider_refused");
	assert_string_equal(err_last()->message, "prov refused a test: no");
	assert_string_equal(open_reason(refused_when_false, "{\"status\":\"error\"}", NULL), "");
	assert_string_equal(open_reason(refused_when_false, "{\"status\":false}", NULL),
			    "provider_refused");
	assert_string_equal(err_last()->message, "prov refused a test: no reason given");
	assert_string_equal(open_reason(refused_unless_success, "{\"status\":false}", NULL), "");
	assert_string_equal(open_reason(refused_unless_success,
					"{\"status\":\"success\",\"data\":{\"a\":1}}", &data),
			    "");
	assert_true(json_is_object(data));
	json_decref(data);
}

static void
test_account_name(void **state)
{
	pay_http_client cl = {.provider = "prov"};
	json_t *data = json_pack("{s:s}", "account_name", "ADA\tOKAFOR");
	json_t *empty = json_pack("{s:s}", "account_name", "");
	json_t *none = json_pack("{s:i}", "account_name", 1);
	char name[32];

	(void)state;
	assert_int_equal(pay_http_account_name(name, sizeof(name), &cl, data, "a name"), 0);
	assert_string_equal(name, "ADA?OKAFOR");
	assert_int_equal(pay_http_account_name(name, sizeof(name), &cl, empty, "a name"),
			 ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "account_not_found");
	assert_string_equal(err_last()->message, "prov has no name for this account");
	assert_int_equal(pay_http_account_name(name, sizeof(name), &cl, none, "a name"),
			 ERR_INTERNAL);
	assert_string_equal(err_last()->message, "prov sent an unreadable reply to a name");
	assert_int_equal(pay_http_account_name(name, sizeof(name), &cl, NULL, "a name"),
			 ERR_INTERNAL);
	json_decref(data);
	json_decref(empty);
	json_decref(none);
}

static void
test_no_account_keeps_message(void **state)
{
	(void)state;
	err_set(ERR_INVALID_ARGUMENT, "provider_refused", "prov refused an account name: bad");
	assert_int_equal(pay_provider_no_account(), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "account_not_found");
	assert_string_equal(err_last()->message, "prov refused an account name: bad");
}

static void
test_end_zeroes_on_failure_only(void **state)
{
	pay_http_reply r = reply_of("{}");
	pay_bank b = {.code = "058"};

	(void)state;
	assert_int_equal(pay_http_end(0, &b, sizeof(b), NULL, &r), 0);
	assert_string_equal(b.code, "058");
	assert_null(r.body);
	r = reply_of("{}");
	assert_int_equal(pay_http_end(ERR_INTERNAL, &b, sizeof(b), json_object(), &r),
			 ERR_INTERNAL);
	assert_string_equal(b.code, "");
	assert_null(r.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_name),
		cmocka_unit_test(test_event_clear_keeps_type),
		cmocka_unit_test(test_open_by_provider_rule),
		cmocka_unit_test(test_account_name),
		cmocka_unit_test(test_no_account_keeps_message),
		cmocka_unit_test(test_end_zeroes_on_failure_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
