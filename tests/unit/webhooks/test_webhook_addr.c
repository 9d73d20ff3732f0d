/* services/events/webhook_addr.c: which addresses a webhook may reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "webhook_addr.h"
#include "webhook_url.h"

typedef struct addr_case {
	const char *addr;
	int is_public; /* without the test flag */
} addr_case;

static const addr_case cases[] = {
	/* Public IPv4. */
	{"8.8.8.8", 1},
	{"1.1.1.1", 1},
	{"41.58.1.1", 1},
	{"100.63.255.255", 1},
	{"100.128.0.0", 1},
	{"172.15.255.255", 1},
	{"172.32.0.0", 1},
	{"192.167.255.255", 1},
	{"169.253.255.255", 1},
	{"223.255.255.255", 1},
	{"198.17.255.255", 1},
	{"198.20.0.0", 1},
	/* Not public IPv4. */
	{"0.0.0.0", 0},
	{"0.1.2.3", 0},
	{"10.0.0.1", 0},
	{"10.255.255.255", 0},
	{"100.64.0.1", 0},
	{"100.127.255.255", 0},
	{"127.0.0.1", 0},
	{"127.255.0.1", 0},
	{"169.254.169.254", 0},
	{"169.254.0.1", 0},
	{"172.16.0.1", 0},
	{"172.31.255.255", 0},
	{"192.0.0.170", 0},
	{"192.0.2.1", 0},
	{"192.88.99.1", 0},
	{"192.168.1.1", 0},
	{"198.18.0.1", 0},
	{"198.19.255.255", 0},
	{"198.51.100.7", 0},
	{"203.0.113.9", 0},
	{"224.0.0.1", 0},
	{"239.255.255.250", 0},
	{"240.0.0.1", 0},
	{"255.255.255.255", 0},
	/* Public IPv6. */
	{"2001:4860:4860::8888", 1},
	{"2606:4700:4700::1111", 1},
	{"2a00:1450:4001::1", 1},
	{"::ffff:8.8.8.8", 1},
	{"64:ff9b::808:808", 1},
	{"2002:808:808::1", 1},
	/* Not public IPv6. */
	{"::", 0},
	{"::1", 0},
	{"::ffff:127.0.0.1", 0},
	{"::ffff:10.1.2.3", 0},
	{"::ffff:169.254.169.254", 0},
	{"::ffff:192.168.0.1", 0},
	{"::127.0.0.1", 0},
	{"::10.0.0.1", 0},
	{"64:ff9b::a00:1", 0},
	{"64:ff9b:1::1", 0},
	{"2002:a00:1::1", 0},
	{"2002:7f00:1::1", 0},
	{"100::1", 0},
	{"2001::1", 0},
	{"2001:db8::1", 0},
	{"3fff::1", 0},
	{"fc00::1", 0},
	{"fd00:ec2::254", 0},
	{"fdff:ffff::1", 0},
	{"fe80::1", 0},
	{"febf::1", 0},
	{"fec0::1", 0},
	{"ff02::1", 0},
	{"ff05::1:3", 0},
	{"4000::1", 0},
};

static void
test_the_table_of_addresses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (whk_addr_text_public(cases[i].addr, 0) != cases[i].is_public)
			fail_msg("%s: expected %s", cases[i].addr,
				 cases[i].is_public ? "public" : "refused");
	}
}

static void
test_loopback_only_with_the_test_flag(void **state)
{
	(void)state;
	assert_true(whk_addr_text_public("127.0.0.1", 1));
	assert_true(whk_addr_text_public("127.1.2.3", 1));
	assert_true(whk_addr_text_public("::1", 1));
	assert_true(whk_addr_text_public("::ffff:127.0.0.1", 1));
	/* The flag opens loopback, nothing else. */
	assert_false(whk_addr_text_public("10.0.0.1", 1));
	assert_false(whk_addr_text_public("169.254.169.254", 1));
	assert_false(whk_addr_text_public("fe80::1", 1));
	assert_false(whk_addr_text_public("0.0.0.0", 1));
	assert_false(whk_addr_text_public("::", 1));
}

static void
test_socket_addresses_as_libcurl_gives_them(void **state)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	struct sockaddr other = {.sa_family = AF_UNIX};

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "192.168.0.10", &in.sin_addr), 1);
	assert_false(whk_addr_public((struct sockaddr *)&in, 1));
	assert_int_equal(inet_pton(AF_INET, "8.8.4.4", &in.sin_addr), 1);
	assert_true(whk_addr_public((struct sockaddr *)&in, 0));
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr), 1);
	assert_false(whk_addr_public((struct sockaddr *)&in6, 1));
	assert_int_equal(inet_pton(AF_INET6, "2a00:1450:4001::1", &in6.sin6_addr), 1);
	assert_true(whk_addr_public((struct sockaddr *)&in6, 0));
	assert_false(whk_addr_public(&other, 1));
	assert_false(whk_addr_public(NULL, 1));
	assert_false(whk_addr_text_public("not an address", 1));
	assert_false(whk_addr_text_public(NULL, 1));
}

/* Hosts that spell a private or loopback address another way (decimal,
 * octal, hex, short forms, IPv4 in IPv6, a trailing dot): refused at
 * creation, whatever form libcurl would later connect to. */
static void
test_other_spellings_of_internal_addresses(void **state)
{
	static const char *const urls[] = {
		"https://2130706433/",
		"https://0x7f.1/",
		"https://0x7f000001/",
		"https://017700000001/",
		"https://127.1/",
		"https://0/",
		"https://167772161/",
		"https://0xa9.0xfe.0xa9.0xfe/",
		"https://[::ffff:7f00:1]/",
		"https://[::ffff:a9fe:a9fe]/",
		"https://[::127.0.0.1]/",
		"https://[::]/",
		"https://[64:ff9b::a9fe:a9fe]/",
		"https://[2002:7f00:1::]/",
		"https://localhost./",
		"https://127.0.0.1./",
		"https://[fe80::1%25eth0]/",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		whk_url u;
		whk_resolved r;

		if (whk_url_parse(&u, urls[i], 0) == 0 && whk_addr_resolve(&r, u.host, 0) == 0)
			fail_msg("%s was let through (to %s)", urls[i], r.addr);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_table_of_addresses),
		cmocka_unit_test(test_loopback_only_with_the_test_flag),
		cmocka_unit_test(test_socket_addresses_as_libcurl_gives_them),
		cmocka_unit_test(test_other_spellings_of_internal_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
