/* gateway/addrlist.c: KOLO_WEBHOOK_ALLOWED_IPS parsing and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw.h"

static gw_addrlist list;

static void
test_an_empty_list_allows_every_address(void **state)
{
	assert_int_equal(gw_addrlist_parse(&list, ""), 0);
	assert_int_equal(list.n, 0);
	assert_true(gw_addrlist_allows(&list, "203.0.113.9"));
	assert_true(gw_addrlist_allows(&list, "::1"));
	assert_int_equal(gw_addrlist_parse(&list, NULL), 0);
	assert_true(gw_addrlist_allows(&list, "203.0.113.9"));
}

static void
test_addresses_and_blocks_match_only_their_own(void **state)
{
	assert_int_equal(gw_addrlist_parse(&list, "127.0.0.1, 198.51.100.0/24,10.8.0.0/13,"
						  "2001:db8::/32,::1"),
			 0);
	assert_int_equal(list.n, 5);
	assert_true(gw_addrlist_allows(&list, "127.0.0.1"));
	assert_false(gw_addrlist_allows(&list, "127.0.0.2"));
	assert_true(gw_addrlist_allows(&list, "198.51.100.0"));
	assert_true(gw_addrlist_allows(&list, "198.51.100.255"));
	assert_false(gw_addrlist_allows(&list, "198.51.101.1"));
	assert_true(gw_addrlist_allows(&list, "10.15.255.255")); /* /13: 10.8 to 10.15 */
	assert_false(gw_addrlist_allows(&list, "10.16.0.0"));
	assert_false(gw_addrlist_allows(&list, "10.7.255.255"));
	assert_true(gw_addrlist_allows(&list, "2001:db8:ffff::1"));
	assert_false(gw_addrlist_allows(&list, "2001:db9::1"));
	assert_true(gw_addrlist_allows(&list, "::1"));
	/* An IPv4 client seen through an IPv6 socket is its IPv4 address. */
	assert_true(gw_addrlist_allows(&list, "::ffff:198.51.100.7"));
	assert_false(gw_addrlist_allows(&list, "::ffff:203.0.113.9"));
	/* Anything that is not an address is refused, not allowed. */
	assert_false(gw_addrlist_allows(&list, ""));
	assert_false(gw_addrlist_allows(&list, "unknown"));
	assert_false(gw_addrlist_allows(&list, NULL));
}

static void
test_a_bad_entry_is_refused_at_start(void **state)
{
	const char *bad[] = {"1.2.3", "1.2.3.4/33",  "::1/129",	   "1.2.3.4/",
			     "/8",    "example.com", "1.2.3.4/-1", "1.2.3.4/8x"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gw_addrlist_parse(&list, bad[i]), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "bad_config");
	}
	/* Whole-address prefixes and a zero prefix are fine. */
	assert_int_equal(gw_addrlist_parse(&list, "1.2.3.4/32,0.0.0.0/0"), 0);
	assert_true(gw_addrlist_allows(&list, "8.8.8.8"));
	assert_false(gw_addrlist_allows(&list, "2001:db8::1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_empty_list_allows_every_address),
		cmocka_unit_test(test_addresses_and_blocks_match_only_their_own),
		cmocka_unit_test(test_a_bad_entry_is_refused_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
