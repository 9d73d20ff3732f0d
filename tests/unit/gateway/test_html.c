/* gw_html: escaping, the GW_HTML_MAX cap and its failure flag, the reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gw.h"

static void
test_text_is_escaped(void **state)
{
	gw_html h = {0};

	(void)state;
	gw_html_raw(&h, "<p>");
	gw_html_text(&h, "Tom & \"Jerry\" <'x'>");
	gw_html_text(&h, NULL);
	gw_html_printf(&h, " %d/%s", 3, "4");
	assert_false(h.failed);
	assert_string_equal(h.text, "<p>Tom &amp; &quot;Jerry&quot; &lt;&#39;x&#39;&gt; 3/4");
	assert_int_equal(h.len, strlen(h.text));
	free(h.text);
}

/* A formatted piece longer than any fixed scratch buffer is whole. */
static void
test_printf_is_not_truncated(void **state)
{
	gw_html h = {0};
	size_t n = 5000;
	char *long_text = malloc(n + 1);

	(void)state;
	memset(long_text, 'a', n);
	long_text[n] = '\0';
	gw_html_printf(&h, "[%s]", long_text);
	assert_false(h.failed);
	assert_int_equal(h.len, n + 2);
	assert_int_equal(h.text[n + 1], ']');
	free(long_text);
	free(h.text);
}

/* Up to GW_HTML_MAX - 1 bytes fit; one more fails, for good. */
static void
test_the_cap_fails_the_page(void **state)
{
	gw_html h = {0};
	char *chunk = malloc(GW_HTML_MAX);

	(void)state;
	memset(chunk, 'x', GW_HTML_MAX - 1);
	chunk[GW_HTML_MAX - 1] = '\0';
	gw_html_raw(&h, chunk);
	assert_false(h.failed);
	assert_int_equal(h.len, GW_HTML_MAX - 1);
	assert_true(h.cap <= GW_HTML_MAX);
	gw_html_raw(&h, "y");
	assert_true(h.failed);
	assert_int_equal(h.len, GW_HTML_MAX - 1);
	/* Sticky: nothing is appended after a failure, even what would fit. */
	h.len = 0;
	gw_html_raw(&h, "z");
	gw_html_text(&h, "z");
	gw_html_printf(&h, "%s", "z");
	assert_int_equal(h.len, 0);
	free(chunk);
	free(h.text);
}

static void
test_escaping_over_the_cap_fails(void **state)
{
	gw_html h = {0};
	size_t n = GW_HTML_MAX / 4;
	char *amps = malloc(n + 1);

	(void)state;
	memset(amps, '&', n); /* 5 bytes each escaped */
	amps[n] = '\0';
	gw_html_text(&h, amps);
	assert_true(h.failed);
	assert_true(h.len < GW_HTML_MAX);
	free(amps);
	free(h.text);
}

static void
test_a_failed_page_answers_500(void **state)
{
	gw_html h = {0};
	gw_response resp = {0};
	char *chunk = malloc(GW_HTML_MAX + 1);

	(void)state;
	memset(chunk, 'x', GW_HTML_MAX);
	chunk[GW_HTML_MAX] = '\0';
	gw_html_raw(&h, "<p>start");
	gw_html_raw(&h, chunk);
	gw_html_reply(&h, &resp, 200);
	assert_int_equal(resp.status, 500);
	assert_non_null(strstr(resp.body, "\"internal\""));
	assert_string_equal(resp.content_type, "application/json");
	assert_null(h.text);
	free(resp.body);
	free(chunk);
}

static void
test_a_sound_page_is_the_body(void **state)
{
	gw_html h = {0};
	gw_response resp = {0};

	(void)state;
	gw_html_raw(&h, "<p>hello</p>");
	gw_html_reply(&h, &resp, 404);
	assert_int_equal(resp.status, 404);
	assert_int_equal(resp.body_len, strlen("<p>hello</p>"));
	assert_memory_equal(resp.body, "<p>hello</p>", resp.body_len);
	assert_string_equal(resp.content_type, "text/html; charset=utf-8");
	assert_null(h.text);
	free(resp.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_is_escaped),
		cmocka_unit_test(test_printf_is_not_truncated),
		cmocka_unit_test(test_the_cap_fails_the_page),
		cmocka_unit_test(test_escaping_over_the_cap_fails),
		cmocka_unit_test(test_a_failed_page_answers_500),
		cmocka_unit_test(test_a_sound_page_is_the_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
