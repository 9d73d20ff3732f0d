/* Small pieces of server-rendered HTML: escaping, naira, Lagos time. */
#include "gw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void gw_html_grow(gw_html *h, size_t more)
{
	size_t need = h->len + more + 1, cap = h->cap ? h->cap : 4096;

	if (h->failed || need <= h->cap)
		return;
	while (cap < need)
		cap *= 2;
	h->text = xrealloc(h->text, cap);
	h->cap = cap;
}

void gw_html_raw(gw_html *h, const char *text)
{
	size_t n = strlen(text);

	gw_html_grow(h, n);
	memcpy(h->text + h->len, text, n + 1);
	h->len += n;
}

void gw_html_text(gw_html *h, const char *text)
{
	char one[2] = { 0, 0 };

	for (const char *p = text ? text : ""; *p; p++) {
		switch (*p) {
		case '&': gw_html_raw(h, "&amp;"); break;
		case '<': gw_html_raw(h, "&lt;"); break;
		case '>': gw_html_raw(h, "&gt;"); break;
		case '"': gw_html_raw(h, "&quot;"); break;
		case '\'': gw_html_raw(h, "&#39;"); break;
		default:
			one[0] = *p;
			gw_html_raw(h, one);
		}
	}
}

void gw_html_printf(gw_html *h, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gw_html_raw(h, buf);
}

void gw_naira_display(char out[48], int64_t kobo)
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

void gw_lagos_time(char out[40], const char *rfc3339)
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
