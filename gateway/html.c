/* Small pieces of server-rendered HTML: escaping, naira, Lagos time. */
#include "gw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Room for more bytes and the NUL; 0, or -1 (sticky: h->failed) past
 * GW_HTML_MAX or out of memory. */
static int
gw_html_room(gw_html *h, size_t more)
{
	size_t need, cap = h->cap ? h->cap : 4096;
	char *text;

	if (h->failed)
		return -1;
	if (more >= GW_HTML_MAX - h->len) {
		h->failed = 1;
		return -1;
	}
	need = h->len + more + 1;
	if (need <= h->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > GW_HTML_MAX)
		cap = GW_HTML_MAX;
	text = realloc(h->text, cap);
	if (!text) {
		h->failed = 1;
		return -1;
	}
	h->text = text;
	h->cap = cap;
	return 0;
}

void
gw_html_raw(gw_html *h, const char *text)
{
	size_t n = strlen(text);

	if (gw_html_room(h, n) < 0)
		return;
	memcpy(h->text + h->len, text, n + 1);
	h->len += n;
}

void
gw_html_text(gw_html *h, const char *text)
{
	char one[2] = {0, 0};

	for (const char *p = text ? text : ""; *p; p++) {
		switch (*p) {
		case '&':
			gw_html_raw(h, "&amp;");
			break;
		case '<':
			gw_html_raw(h, "&lt;");
			break;
		case '>':
			gw_html_raw(h, "&gt;");
			break;
		case '"':
			gw_html_raw(h, "&quot;");
			break;
		case '\'':
			gw_html_raw(h, "&#39;");
			break;
		default:
			one[0] = *p;
			gw_html_raw(h, one);
		}
	}
}

void
gw_html_printf(gw_html *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		h->failed = 1;
		return;
	}
	if (gw_html_room(h, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(h->text + h->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t)n;
}

void
gw_html_reply(gw_html *h, gw_response *resp, int status)
{
	if (h->failed || !h->text) {
		free(h->text);
		*h = (gw_html){0};
		gw_reply_error(resp, 500, "internal", "the page cannot be rendered");
		return;
	}
	resp->status = status;
	resp->body = h->text;
	resp->body_len = h->len;
	resp->content_type = "text/html; charset=utf-8";
	*h = (gw_html){0};
}

void
gw_naira_display(char out[48], int64_t kobo)
{
	uint64_t abs_kobo = kobo < 0 ? (uint64_t)0 - (uint64_t)kobo : (uint64_t)kobo;
	char digits[24], grouped[32];
	size_t n, g = 0;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(abs_kobo / 100));
	n = strlen(digits);
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	snprintf(out, 48, "%s\xe2\x82\xa6%s.%02llu", kobo < 0 ? "-" : "", grouped,
		 (unsigned long long)(abs_kobo % 100));
}

void
gw_lagos_time(char out[40], const char *rfc3339)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!rfc3339 || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
			       &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
		snprintf(out, 40, "-");
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) + 3600; /* West Africa Time: UTC+1, no daylight saving */
	gmtime_r(&t, &tm);
	strftime(out, 40, "%d %b %Y, %H:%M", &tm);
}
