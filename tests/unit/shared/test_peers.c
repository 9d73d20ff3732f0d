#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/peers.h"

/* Each row names its own variable, port (DESIGN §1) and proto package. */
static void
test_table_rows_agree(void **state)
{
	(void)state;
	for (int p = 0; p < SVC_N_PEERS; p++) {
		const svc_peer_def *d = svc_peer_def_of((svc_peer)p);
		char env[64], addr[32], package[64];
		size_t i;

		snprintf(env, sizeof(env), "KOLO_%s_ADDR", d->name);
		for (i = 5; env[i] != '_'; i++)
			env[i] = (char)toupper((unsigned char)env[i]);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", 7101 + p);
		snprintf(package, sizeof(package), "kolo.%s.v1", d->name);
		assert_string_equal(d->addr_env, env);
		assert_string_equal(d->default_addr, addr);
		assert_non_null(d->service);
		assert_string_equal(d->service->package, package);
	}
}

static void
test_unset_or_empty_is_the_default(void **state)
{
	const char *addr = NULL;

	(void)state;
	unsetenv("KOLO_LEDGER_ADDR");
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_LEDGER), 0);
	assert_string_equal(addr, "127.0.0.1:7103");
	setenv("KOLO_LEDGER_ADDR", "", 1);
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_LEDGER), 0);
	assert_string_equal(addr, "127.0.0.1:7103");
}

static void
test_set_value_is_taken(void **state)
{
	const char *addr = NULL;

	(void)state;
	setenv("KOLO_GROUPS_ADDR", "kolo-groups.kolo.svc.cluster.local:7102", 1);
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_GROUPS), 0);
	assert_string_equal(addr, "kolo-groups.kolo.svc.cluster.local:7102");
	setenv("KOLO_GROUPS_ADDR", "[::1]:7102", 1);
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_GROUPS), 0);
	assert_string_equal(addr, "[::1]:7102");
	/* gRPC target forms the channel took before the table: kept. */
	setenv("KOLO_GROUPS_ADDR", "unix:///run/kolo/groups.sock", 1);
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_GROUPS), 0);
	assert_string_equal(addr, "unix:///run/kolo/groups.sock");
	setenv("KOLO_GROUPS_ADDR", "dns:///kolo-groups:7102", 1);
	assert_int_equal(svc_peer_addr(&addr, SVC_PEER_GROUPS), 0);
	assert_string_equal(addr, "dns:///kolo-groups:7102");
}

static void
expect_refused(svc_peer peer, const char *value)
{
	const char *env = svc_peer_def_of(peer)->addr_env, *addr = NULL;

	setenv(env, value, 1);
	assert_int_equal(svc_peer_addr(&addr, peer), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
	assert_non_null(strstr(err_last()->message, env));
	assert_null(addr);
}

static void
test_bad_addresses_name_the_variable(void **state)
{
	(void)state;
	expect_refused(SVC_PEER_PAYMENTS, "kolo-payments");   /* no port */
	expect_refused(SVC_PEER_PAYMENTS, ":7105");	      /* no host */
	expect_refused(SVC_PEER_PAYMENTS, "127.0.0.1:");      /* empty port */
	expect_refused(SVC_PEER_PAYMENTS, "127.0.0.1:71o5");  /* not a number */
	expect_refused(SVC_PEER_PAYMENTS, "127.0.0.1:65536"); /* out of range */
	expect_refused(SVC_PEER_PAYMENTS, "127.0.0.1:-1");
	expect_refused(SVC_PEER_EVENTS, "127.0.0.1:7106 ");
	expect_refused(SVC_PEER_EVENTS, "unix:");
	unsetenv("KOLO_PAYMENTS_ADDR");
	unsetenv("KOLO_EVENTS_ADDR");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows_agree),
		cmocka_unit_test(test_unset_or_empty_is_the_default),
		cmocka_unit_test(test_set_value_is_taken),
		cmocka_unit_test(test_bad_addresses_name_the_variable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
