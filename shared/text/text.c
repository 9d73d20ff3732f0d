#include "text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
text_is_uuid(const char *s)
{
	for (size_t i = 0; i < TEXT_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (s[i] == '\0')
			return 0;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[TEXT_UUID_LEN] == '\0';
}

char *
text_uuid_canonical(mem_arena *arena, const char *s)
{
	char *out = mem_arena_strdup(arena, s);

	for (char *p = out; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* Length of the UTF-8 sequence starting at p (1..4), or 0 if invalid. */
static size_t
text_utf8_len(const unsigned char *p)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	/* Overlong 3- and 4-byte forms, surrogates, and > U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

int
text_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = text_utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)))
			return 0;
		p += n;
	}
	return 1;
}

int
text_is_multiline(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = text_utf8_len(p);

		if (n == 0 || (n == 1 && ((*p < 0x20 && !strchr("\n\r\t", *p)) || *p == 0x7f)))
			return 0;
		p += n;
	}
	return 1;
}

char *
text_trim(mem_arena *arena, const char *s)
{
	size_t start = 0, end = strlen(s);

	while (start < end && isspace((unsigned char)s[start]))
		start++;
	while (end > start && isspace((unsigned char)s[end - 1]))
		end--;
	return mem_arena_strndup(arena, s + start, end - start);
}

char *
text_email_normal(mem_arena *arena, const char *s)
{
	char *e = text_trim(arena, s);

	for (char *p = e; p && *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return e;
}

void
text_sanitize_into(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = 0, max = cap - 1;

	while (*p) {
		size_t n = text_utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (len + 1 > max)
				break;
			out[len++] = '?';
			p++;
			continue;
		}
		if (len + n > max)
			break;
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	out[len] = '\0';
}

char *
text_sanitize(mem_arena *arena, const char *s, size_t max)
{
	char *out = mem_arena_alloc(arena, max + 1);

	if (out)
		text_sanitize_into(out, max + 1, s);
	return out;
}

/* n ASCII digits at s as a number in [lo, hi], else -1. */
static int
text_digits(const char *s, int n, int lo, int hi)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

static int
text_days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* The offset at s: "Z", "z" or "+hh:mm"/"-hh:mm", then the end. */
static int
text_rfc3339_offset(const char *s)
{
	if (s[0] == 'Z' || s[0] == 'z')
		return s[1] == '\0';
	if (s[0] != '+' && s[0] != '-')
		return 0;
	return text_digits(s + 1, 2, 0, 23) >= 0 && s[3] == ':' &&
	       text_digits(s + 4, 2, 0, 59) >= 0 && s[6] == '\0';
}

int
text_is_rfc3339(const char *s)
{
	int year, month, day;
	size_t frac;

	if (strlen(s) < 20)
		return 0;
	year = text_digits(s, 4, 1, 9999);
	month = text_digits(s + 5, 2, 1, 12);
	day = text_digits(s + 8, 2, 1, 31);
	if (year < 0 || month < 0 || day < 0 || s[4] != '-' || s[7] != '-' ||
	    day > text_days_in_month(year, month))
		return 0;
	if ((s[10] != 'T' && s[10] != 't') || text_digits(s + 11, 2, 0, 23) < 0 || s[13] != ':' ||
	    text_digits(s + 14, 2, 0, 59) < 0 || s[16] != ':' || text_digits(s + 17, 2, 0, 60) < 0)
		return 0;
	s += 19;
	if (*s == '.') {
		frac = strspn(s + 1, "0123456789");
		if (frac < 1 || frac > 9)
			return 0;
		s += 1 + frac;
	}
	return text_rfc3339_offset(s);
}

int
text_is_pin(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= 6 && strspn(s, "0123456789") == n;
}

void
text_addr_key(char out[TEXT_ADDR_KEY_MAX], const char *addr)
{
	unsigned char a6[16];
	char text[INET6_ADDRSTRLEN];
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET6, addr, a6) != 1) {
		snprintf(out, TEXT_ADDR_KEY_MAX, "%s", addr);
		return;
	}
	if (memcmp(a6, v4_mapped, sizeof(v4_mapped)) == 0 &&
	    inet_ntop(AF_INET, a6 + 12, text, sizeof(text))) {
		snprintf(out, TEXT_ADDR_KEY_MAX, "%s", text);
		return;
	}
	memset(a6 + 8, 0, 8);
	if (!inet_ntop(AF_INET6, a6, text, sizeof(text)))
		text[0] = '\0';
	snprintf(out, TEXT_ADDR_KEY_MAX, "%s/64", text);
}
