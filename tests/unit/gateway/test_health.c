/* gateway/health.c: /readyz's word from how many services serve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw.h"

static void
test_readiness_needs_one_service_not_all(void **state)
{
	assert_string_equal(gw_readiness(GW_N_UPSTREAMS, GW_N_UPSTREAMS), "ready");
	assert_string_equal(gw_readiness(GW_N_UPSTREAMS - 1, GW_N_UPSTREAMS), "degraded");
	assert_string_equal(gw_readiness(1, GW_N_UPSTREAMS), "degraded");
	assert_string_equal(gw_readiness(0, GW_N_UPSTREAMS), "not_ready");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readiness_needs_one_service_not_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
