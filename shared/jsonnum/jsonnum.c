#include "jsonnum.h"

#include <string.h>

/* A JSON walker that keeps numbers as text (RFC 8259 grammar). */

static int
jn_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
jn_ws(const char *s, size_t len, size_t p)
{
	while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
		p++;
	return p;
}

static int
jn_hex4(const char *s, size_t len, size_t p, unsigned *out)
{
	unsigned v = 0;

	if (p > len || len - p < 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		char c = s[p + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Compares one decoded byte of a string with the next byte of want. */
static void
jn_match(int *equal, size_t *wi, const char *want, size_t wlen, unsigned char b)
{
	if (*equal && *wi < wlen && (unsigned char)want[*wi] == b)
		(*wi)++;
	else
		*equal = 0;
}

/* The string at *p (its opening quote); moves *p past it. With want, sets
 * *equal to whether the decoded string is exactly want. */
static int
jn_string(const char *s, size_t len, size_t *p, const char *want, int *equal)
{
	size_t i = *p, wi = 0, wlen = want ? strlen(want) : 0;
	int eq = want != NULL;

	if (i >= len || s[i] != '"')
		return -1;
	i++;
	for (;;) {
		unsigned char c, bytes[4];
		unsigned cp, lo;
		size_t nb;

		if (i >= len)
			return -1;
		c = (unsigned char)s[i++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			jn_match(&eq, &wi, want, wlen, c);
			continue;
		}
		if (i >= len)
			return -1;
		c = (unsigned char)s[i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (jn_hex4(s, len, i, &cp) < 0)
				return -1;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (len - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
				    jn_hex4(s, len, i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) {
				bytes[0] = (unsigned char)cp;
				nb = 1;
			} else if (cp < 0x800) {
				bytes[0] = (unsigned char)(0xc0 | (cp >> 6));
				bytes[1] = (unsigned char)(0x80 | (cp & 0x3f));
				nb = 2;
			} else if (cp < 0x10000) {
				bytes[0] = (unsigned char)(0xe0 | (cp >> 12));
				bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				bytes[2] = (unsigned char)(0x80 | (cp & 0x3f));
				nb = 3;
			} else {
				bytes[0] = (unsigned char)(0xf0 | (cp >> 18));
				bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				bytes[3] = (unsigned char)(0x80 | (cp & 0x3f));
				nb = 4;
			}
			for (size_t k = 0; k < nb; k++)
				jn_match(&eq, &wi, want, wlen, bytes[k]);
			continue;
		default:
			return -1;
		}
		jn_match(&eq, &wi, want, wlen, c);
	}
	*p = i;
	if (equal)
		*equal = eq && wi == wlen;
	return 0;
}

static int
jn_digits(const char *s, size_t len, size_t *p)
{
	size_t i = *p;

	while (i < len && jn_is_digit(s[i]))
		i++;
	if (i == *p)
		return -1;
	*p = i;
	return 0;
}

static int
jn_number(const char *s, size_t len, size_t *p)
{
	size_t i = *p;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i >= len || s[i] < '1' || s[i] > '9' || jn_digits(s, len, &i) < 0)
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (jn_digits(s, len, &i) < 0)
			return -1;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (jn_digits(s, len, &i) < 0)
			return -1;
	}
	*p = i;
	return 0;
}

static int
jn_literal(const char *s, size_t len, size_t *p)
{
	static const char *const words[] = {"true", "false", "null"};

	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(words[k]);

		if (len - *p >= n && memcmp(s + *p, words[k], n) == 0) {
			*p += n;
			return 0;
		}
	}
	return -1;
}

/* An object member's key and colon at *p; moves *p to its value. */
static int
jn_key(const char *s, size_t len, size_t *p, const char *want, int *equal)
{
	size_t i = jn_ws(s, len, *p);

	if (jn_string(s, len, &i, want, equal) < 0)
		return -1;
	i = jn_ws(s, len, i);
	if (i >= len || s[i] != ':')
		return -1;
	*p = jn_ws(s, len, i + 1);
	return 0;
}

/* Moves *p past the one value that starts at or after it. Nesting is kept
 * on a fixed stack, so a deep document costs no C stack. */
static int
jn_skip(const char *s, size_t len, size_t *p)
{
	char stack[JSONNUM_MAX_DEPTH];
	size_t sp = 0, i = *p;

	for (;;) {
		char c;

		/* A value starts here. */
		i = jn_ws(s, len, i);
		if (i >= len)
			return -1;
		c = s[i];
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';

			if (sp == JSONNUM_MAX_DEPTH)
				return -1;
			stack[sp++] = close;
			i = jn_ws(s, len, i + 1);
			if (i < len && s[i] == close) {
				i++;
				sp--;
			} else {
				if (c == '{' && jn_key(s, len, &i, NULL, NULL) < 0)
					return -1;
				continue;
			}
		} else if (c == '"') {
			if (jn_string(s, len, &i, NULL, NULL) < 0)
				return -1;
		} else if (c == '-' || jn_is_digit(c)) {
			if (jn_number(s, len, &i) < 0)
				return -1;
		} else if (jn_literal(s, len, &i) < 0) {
			return -1;
		}
		/* After a value: close containers until one wants more. */
		for (;;) {
			if (sp == 0) {
				*p = i;
				return 0;
			}
			i = jn_ws(s, len, i);
			if (i >= len)
				return -1;
			if (s[i] == stack[sp - 1]) {
				i++;
				sp--;
				continue;
			}
			if (s[i] != ',')
				return -1;
			i++;
			if (stack[sp - 1] == '}' && jn_key(s, len, &i, NULL, NULL) < 0)
				return -1;
			break;
		}
	}
}

int
jsonnum_find(const char **start, size_t *n, const char *json, size_t len, const char *const *path,
	     size_t depth)
{
	size_t p = 0, value_start;

	if (!json || jn_skip(json, len, &p) < 0 || jn_ws(json, len, p) != len)
		goto bad;
	p = jn_ws(json, len, 0);
	for (size_t level = 0; level < depth; level++) {
		size_t found_at = 0;
		int found = 0;

		if (json[p] != '{')
			goto not_found;
		p = jn_ws(json, len, p + 1);
		if (json[p] == '}')
			goto not_found;
		for (;;) {
			int equal = 0;

			if (jn_key(json, len, &p, path[level], &equal) < 0)
				goto bad;
			if (equal) {
				/* Which of two equal keys counts differs between
				 * JSON readers: trust neither. */
				if (found)
					goto bad;
				found = 1;
				found_at = p;
			}
			if (jn_skip(json, len, &p) < 0)
				goto bad;
			p = jn_ws(json, len, p);
			if (json[p] != ',')
				break;
			p++;
		}
		if (!found)
			goto not_found;
		p = found_at;
	}
	value_start = p;
	if (json[p] != '-' && !jn_is_digit(json[p]))
		return err_set(ERR_INVALID_ARGUMENT, "not_a_number", "the value is not a number");
	if (jn_number(json, len, &p) < 0)
		goto bad;
	*start = json + value_start;
	*n = p - value_start;
	return 0;
bad:
	return err_set(ERR_INVALID_ARGUMENT, "bad_json", "malformed json");
not_found:
	return err_set(ERR_NOT_FOUND, "no_such_field", "the json has no such field");
}
