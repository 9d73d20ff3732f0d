/* services/events/webhook_url.c: which URLs an endpoint may have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webhook_url.h"

static void
expect_refused(const char *url, int allow_http, const char *reason)
{
	whk_url u;

	err_clear();
	if (whk_url_parse(&u, url, allow_http) != ERR_INVALID_ARGUMENT)
		fail_msg("accepted: %s", url ? url : "(null)");
	if (strcmp(err_last()->reason, reason) != 0)
		fail_msg("%s: %s, not %s", url ? url : "(null)", err_last()->reason, reason);
}

static void
test_https_urls_are_taken_apart(void **state)
{
	whk_url u;

	(void)state;
	assert_int_equal(whk_url_parse(&u, "https://Hooks.Example.COM/kolo?x=1", 0), 0);
	assert_true(u.https);
	assert_string_equal(u.host, "hooks.example.com");
	assert_int_equal(u.port, 443);
	assert_false(u.host_is_ipv6);
	assert_int_equal(whk_url_parse(&u, "HTTPS://example.com:8443", 0), 0);
	assert_int_equal(u.port, 8443);
	assert_int_equal(whk_url_parse(&u, "https://[2001:4860::8888]:9/x", 0), 0);
	assert_string_equal(u.host, "2001:4860::8888");
	assert_true(u.host_is_ipv6);
	assert_int_equal(u.port, 9);
	assert_int_equal(whk_url_parse(&u, "https://a-b.c1.example/", 0), 0);
}

static void
test_other_schemes_are_not_https(void **state)
{
	(void)state;
	expect_refused("http://example.com/hook", 0, "url_not_https");
	expect_refused("ftp://example.com/hook", 0, "url_not_https");
	expect_refused("file:///etc/passwd", 0, "url_not_https");
	expect_refused("gopher://127.0.0.1:6379/_", 1, "url_not_https");
	/* Plain http only to this machine, and only when the process allows. */
	expect_refused("http://127.0.0.1:8080/hook", 0, "url_not_https");
	expect_refused("http://example.com/hook", 1, "url_not_https");
	expect_refused("http://10.0.0.1/hook", 1, "url_not_https");
}

static void
test_http_to_loopback_in_tests(void **state)
{
	whk_url u;

	(void)state;
	assert_int_equal(whk_url_parse(&u, "http://127.0.0.1:8080/hook", 1), 0);
	assert_false(u.https);
	assert_int_equal(u.port, 8080);
	assert_int_equal(whk_url_parse(&u, "http://localhost/hook", 1), 0);
	assert_int_equal(u.port, 80);
	assert_int_equal(whk_url_parse(&u, "http://[::1]:81/", 1), 0);
	assert_true(whk_url_host_is_loopback("127.9.9.9"));
	assert_false(whk_url_host_is_loopback("128.0.0.1"));
	assert_false(whk_url_host_is_loopback("localhost.example.com"));
}

static void
test_malformed_urls_are_invalid(void **state)
{
	static const char *bad[] = {
		"",
		"example.com/hook",
		"https://",
		"https:///path",
		"https://user:pw@example.com/",
		"https://example.com@evil.example/",
		"https://example.com/a b",
		"https://example.com/\n",
		"https://exa_mple.com/",
		"https://-a.example/",
		"https://a-.example/",
		"https://a..example/",
		"https://example.com./",
		"https://example.com:0/",
		"https://example.com:65536/",
		"https://example.com:/",
		"https://example.com:80x/",
		"https://[::1/",
		"https://[::1]x/",
		"https://[not-v6]/",
		"https://[fe80::1%25eth0]/",
		"https://example.com/#frag",
		"https://ex\xc3\xa4mple.com/",
	};
	char long_url[WHK_URL_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i], 1, "invalid_url");
	expect_refused(NULL, 0, "invalid_url");
	memset(long_url, 'a', sizeof(long_url) - 1);
	memcpy(long_url, "https://example.com/", 20);
	long_url[sizeof(long_url) - 1] = '\0';
	expect_refused(long_url, 0, "invalid_url");
	long_url[WHK_URL_MAX] = '\0'; /* exactly the cap is fine */
	{
		whk_url u;

		assert_int_equal(whk_url_parse(&u, long_url, 0), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_urls_are_taken_apart),
		cmocka_unit_test(test_other_schemes_are_not_https),
		cmocka_unit_test(test_http_to_loopback_in_tests),
		cmocka_unit_test(test_malformed_urls_are_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
