#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rpc/callers.h"

#define LEDGER	 "kolo.ledger.v1.LedgerService"
#define PAYMENTS "kolo.payments.v1.PaymentsService"
#define IDENTITY "kolo.identity.v1.IdentityService"
#define GROUPS	 "kolo.groups.v1.GroupsService"

static unsigned
allowed(const char *service, const char *method)
{
	unsigned callers = 0;

	assert_int_equal(rpc_callers_allowed(&callers, NULL, 0, service, method), 0);
	return callers;
}

/* The cases: money moves only from the process that owns the flow,
 * and the internet-facing gateway reaches none of them. */
static void
test_money_moves_only_from_their_owner(void **state)
{
	(void)state;
	assert_int_equal(allowed(LEDGER, "PostEntry"), RPC_CALLER_PAYMENTS);
	assert_int_equal(allowed(LEDGER, "CaptureHold"), RPC_CALLER_PAYMENTS);
	assert_int_equal(allowed(LEDGER, "PlaceHold"), RPC_CALLER_WITHDRAWALS);
	assert_int_equal(allowed(LEDGER, "ReleaseHold"), RPC_CALLER_WITHDRAWALS);
	assert_int_equal(allowed(PAYMENTS, "CreatePayout"), RPC_CALLER_WITHDRAWALS);
	assert_int_equal(allowed(PAYMENTS, "ProvisionAccount"), RPC_CALLER_GROUPS);
	assert_false(allowed(IDENTITY, "FindUserByEmail") & RPC_CALLER_GATEWAY);
	assert_false(allowed(IDENTITY, "VerifyPin") & RPC_CALLER_GATEWAY);
	assert_false(allowed(GROUPS, "GetMembership") & RPC_CALLER_GATEWAY);
	assert_true(allowed(PAYMENTS, "HandleWebhook") & RPC_CALLER_GATEWAY);
}

static void
test_a_method_without_a_row_is_not_found(void **state)
{
	unsigned callers = 7;

	(void)state;
	assert_int_equal(rpc_callers_allowed(&callers, NULL, 0, LEDGER, "Transfer"), ERR_NOT_FOUND);
	assert_int_equal(rpc_callers_allowed(&callers, NULL, 0, "kolo.x.v1.X", "PostEntry"),
			 ERR_NOT_FOUND);
}

static void
test_names_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < RPC_N_CALLERS; i++)
		assert_int_equal(rpc_caller_from_name(rpc_caller_name(1u << i)), 1u << i);
	assert_int_equal(rpc_caller_from_name("bench"), 0);
	assert_int_equal(rpc_caller_from_name(NULL), 0);
	assert_null(rpc_caller_name(RPC_CALLER_GATEWAY | RPC_CALLER_LEDGER));
}

static void
test_keys_check_each_caller_by_its_own_token(void **state)
{
	char a[RPC_TOKEN_HASH_HEX + 1], b[RPC_TOKEN_HASH_HEX + 1], spec[256];
	rpc_caller_keys keys;

	(void)state;
	rpc_token_hash_hex(a, "payments-token-0123456789abcdef0123");
	rpc_token_hash_hex(b, "gateway-token-0123456789abcdef01234");
	snprintf(spec, sizeof(spec), "payments:%s,gateway:%s", a, b);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), 0);
	assert_int_equal(
		rpc_caller_keys_check(&keys, "payments", "payments-token-0123456789abcdef0123"),
		RPC_CALLER_PAYMENTS);
	assert_int_equal(
		rpc_caller_keys_check(&keys, "gateway", "gateway-token-0123456789abcdef01234"),
		RPC_CALLER_GATEWAY);
	/* Someone else's token, a caller without a hash, no token. */
	assert_int_equal(
		rpc_caller_keys_check(&keys, "gateway", "payments-token-0123456789abcdef0123"), 0);
	assert_int_equal(
		rpc_caller_keys_check(&keys, "ledger", "payments-token-0123456789abcdef0123"), 0);
	assert_int_equal(rpc_caller_keys_check(&keys, "payments", NULL), 0);
	assert_int_equal(rpc_caller_keys_parse(&keys, ""), 0);
	assert_int_equal(keys.known, 0);
}

static void
test_malformed_keys_are_refused(void **state)
{
	char a[RPC_TOKEN_HASH_HEX + 1], spec[256];
	rpc_caller_keys keys;

	(void)state;
	rpc_token_hash_hex(a, "some-token");
	snprintf(spec, sizeof(spec), "bench:%s", a);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), ERR_INVALID_ARGUMENT);
	snprintf(spec, sizeof(spec), "payments:%s,payments:%s", a, a);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), ERR_INVALID_ARGUMENT);
	snprintf(spec, sizeof(spec), "payments:%s,ledger:%s", a, a);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(err_last()->message, "share one token"));
	assert_int_equal(rpc_caller_keys_parse(&keys, "payments:abc"), ERR_INVALID_ARGUMENT);
	snprintf(spec, sizeof(spec), "payments%s", a);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), ERR_INVALID_ARGUMENT);
	snprintf(spec, sizeof(spec), "payments:%.63sz", a);
	assert_int_equal(rpc_caller_keys_parse(&keys, spec), ERR_INVALID_ARGUMENT);
	assert_int_equal(keys.known, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_moves_only_from_their_owner),
		cmocka_unit_test(test_a_method_without_a_row_is_not_found),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_keys_check_each_caller_by_its_own_token),
		cmocka_unit_test(test_malformed_keys_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
