#include "money.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"

/* Set once at start-up, read by every call's thread. */
static _Atomic int64_t money_max = MONEY_MAX_KOBO;

void money_naira(char out[MONEY_TEXT_MAX], int64_t kobo)
{
	uint64_t abs_kobo = kobo < 0 ? (uint64_t)0 - (uint64_t)kobo : (uint64_t)kobo;

	snprintf(out, MONEY_TEXT_MAX, "%s%llu.%02llu", kobo < 0 ? "-" : "",
		 (unsigned long long)(abs_kobo / 100),
		 (unsigned long long)(abs_kobo % 100));
}

static int money_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int money_parse_naira(const char *text, size_t len, int64_t *kobo)
{
	size_t i = 0, int_end, frac_start = 0;
	uint64_t naira = 0, frac = 0, total;
	int negative = 0;

	/* The shape first, so that any malformed text is "bad_amount"
	 * whatever its digits say. */
	if (!text)
		return err_set(ERR_INVALID_ARGUMENT, "bad_amount", "amount is missing");
	if (i < len && text[i] == '-') {
		negative = 1;
		i++;
	}
	if (i >= len || !money_is_digit(text[i]))
		goto bad;
	while (i < len && money_is_digit(text[i]))
		i++;
	int_end = i;
	if (i < len && text[i] == '.') {
		frac_start = ++i;
		if (i >= len || !money_is_digit(text[i]))
			goto bad;
		while (i < len && money_is_digit(text[i]))
			i++;
	}
	if (i != len)
		goto bad;

	for (i = negative; i < int_end; i++) {
		uint64_t d = (uint64_t)(text[i] - '0');

		/* naira * 100 + 99 must stay within INT64_MAX. */
		if (naira > ((uint64_t)INT64_MAX / 100 - d) / 10)
			goto too_large;
		naira = naira * 10 + d;
	}
	if (frac_start) {
		for (i = frac_start; i < len; i++) {
			if (i - frac_start < 2)
				frac = frac * 10 + (uint64_t)(text[i] - '0');
			else if (text[i] != '0')
				return err_set(ERR_INVALID_ARGUMENT, "not_whole_kobo",
					       "amount is not a whole number of kobo");
		}
		if (len - frac_start == 1)
			frac *= 10;
	}
	total = naira * 100 + frac;
	if (total > (uint64_t)INT64_MAX)
		goto too_large;
	*kobo = negative ? -(int64_t)total : (int64_t)total;
	return 0;
bad:
	return err_set(ERR_INVALID_ARGUMENT, "bad_amount",
		       "amount is not a plain decimal number");
too_large:
	return err_set(ERR_INVALID_ARGUMENT, "amount_too_large", "amount is too large");
}

int money_kobo_text(char out[MONEY_TEXT_MAX], int64_t kobo)
{
	if (kobo < 0) {
		out[0] = '\0';
		return err_set(ERR_INVALID_ARGUMENT, "negative_amount",
			       "amount is negative");
	}
	money_naira(out, kobo);
	return 0;
}

int64_t money_max_kobo(void)
{
	return atomic_load_explicit(&money_max, memory_order_relaxed);
}

int money_set_max_kobo(int64_t max_kobo)
{
	if (max_kobo < 1 || max_kobo > MONEY_MAX_KOBO)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_MAX_AMOUNT_KOBO must be 1 to %lld",
			       (long long)MONEY_MAX_KOBO);
	atomic_store_explicit(&money_max, max_kobo, memory_order_relaxed);
	return 0;
}

int money_configure(void)
{
	int64_t max_kobo = 0;
	const cfg_var vars[] = {
		{ "KOLO_MAX_AMOUNT_KOBO", CFG_INT, MONEY_MAX_KOBO_TEXT, 1, MONEY_MAX_KOBO,
		  &max_kobo },
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0)
		return rc;
	return money_set_max_kobo(max_kobo);
}

int money_check_amount(int64_t amount_kobo)
{
	return money_amount_check(amount_kobo, money_max_kobo());
}

int money_check_admitted(int64_t amount_kobo)
{
	return money_amount_check(amount_kobo, MONEY_MAX_KOBO);
}

int money_amount_check(int64_t amount_kobo, int64_t max_kobo)
{
	char naira[MONEY_TEXT_MAX];

	if (amount_kobo < 1)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_amount",
			       "amount_kobo must be at least 1");
	if (amount_kobo <= max_kobo)
		return 0;
	money_naira(naira, max_kobo);
	return err_set(ERR_INVALID_ARGUMENT, "amount_too_large",
		       "amount_kobo must be at most %lld (NGN %s)", (long long)max_kobo,
		       naira);
}

/* --- A JSON walker that keeps numbers as text (RFC 8259 grammar). --- */

static size_t mj_ws(const char *s, size_t len, size_t p)
{
	while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' ||
			   s[p] == '\r'))
		p++;
	return p;
}

static int mj_hex4(const char *s, size_t len, size_t p, unsigned *out)
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
static void mj_match(int *equal, size_t *wi, const char *want, size_t wlen,
		     unsigned char b)
{
	if (*equal && *wi < wlen && (unsigned char)want[*wi] == b)
		(*wi)++;
	else
		*equal = 0;
}

/* The string at *p (its opening quote); moves *p past it. With want, sets
 * *equal to whether the decoded string is exactly want. */
static int mj_string(const char *s, size_t len, size_t *p, const char *want,
		     int *equal)
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
			mj_match(&eq, &wi, want, wlen, c);
			continue;
		}
		if (i >= len)
			return -1;
		c = (unsigned char)s[i++];
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (mj_hex4(s, len, i, &cp) < 0)
				return -1;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (len - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
				    mj_hex4(s, len, i + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
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
				mj_match(&eq, &wi, want, wlen, bytes[k]);
			continue;
		default:
			return -1;
		}
		mj_match(&eq, &wi, want, wlen, c);
	}
	*p = i;
	if (equal)
		*equal = eq && wi == wlen;
	return 0;
}

static int mj_digits(const char *s, size_t len, size_t *p)
{
	size_t i = *p;

	while (i < len && money_is_digit(s[i]))
		i++;
	if (i == *p)
		return -1;
	*p = i;
	return 0;
}

static int mj_number(const char *s, size_t len, size_t *p)
{
	size_t i = *p;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i >= len || s[i] < '1' || s[i] > '9' || mj_digits(s, len, &i) < 0)
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (mj_digits(s, len, &i) < 0)
			return -1;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (mj_digits(s, len, &i) < 0)
			return -1;
	}
	*p = i;
	return 0;
}

static int mj_literal(const char *s, size_t len, size_t *p)
{
	static const char *const words[] = { "true", "false", "null" };

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
static int mj_key(const char *s, size_t len, size_t *p, const char *want,
		  int *equal)
{
	size_t i = mj_ws(s, len, *p);

	if (mj_string(s, len, &i, want, equal) < 0)
		return -1;
	i = mj_ws(s, len, i);
	if (i >= len || s[i] != ':')
		return -1;
	*p = mj_ws(s, len, i + 1);
	return 0;
}

/* Moves *p past the one value that starts at or after it. Nesting is kept
 * on a fixed stack, so a deep document costs no C stack. */
static int mj_skip(const char *s, size_t len, size_t *p)
{
	char stack[MONEY_JSON_MAX_DEPTH];
	size_t sp = 0, i = *p;

	for (;;) {
		char c;

		/* A value starts here. */
		i = mj_ws(s, len, i);
		if (i >= len)
			return -1;
		c = s[i];
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';

			if (sp == MONEY_JSON_MAX_DEPTH)
				return -1;
			stack[sp++] = close;
			i = mj_ws(s, len, i + 1);
			if (i < len && s[i] == close) {
				i++;
				sp--;
			} else {
				if (c == '{' && mj_key(s, len, &i, NULL, NULL) < 0)
					return -1;
				continue;
			}
		} else if (c == '"') {
			if (mj_string(s, len, &i, NULL, NULL) < 0)
				return -1;
		} else if (c == '-' || money_is_digit(c)) {
			if (mj_number(s, len, &i) < 0)
				return -1;
		} else if (mj_literal(s, len, &i) < 0) {
			return -1;
		}
		/* After a value: close containers until one wants more. */
		for (;;) {
			if (sp == 0) {
				*p = i;
				return 0;
			}
			i = mj_ws(s, len, i);
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
			if (stack[sp - 1] == '}' && mj_key(s, len, &i, NULL, NULL) < 0)
				return -1;
			break;
		}
	}
}

int money_json_number_text(const char *json, size_t len,
			   const char *const *path, size_t depth,
			   const char **start, size_t *n)
{
	size_t p = 0, value_start;

	if (!json || mj_skip(json, len, &p) < 0 || mj_ws(json, len, p) != len)
		goto bad;
	p = mj_ws(json, len, 0);
	for (size_t level = 0; level < depth; level++) {
		size_t found_at = 0;
		int found = 0;

		if (json[p] != '{')
			goto not_found;
		p = mj_ws(json, len, p + 1);
		if (json[p] == '}')
			goto not_found;
		for (;;) {
			int equal = 0;

			if (mj_key(json, len, &p, path[level], &equal) < 0)
				goto bad;
			if (equal) {
				/* Which of two equal keys counts differs between
				 * JSON readers: trust neither. */
				if (found)
					goto bad;
				found = 1;
				found_at = p;
			}
			if (mj_skip(json, len, &p) < 0)
				goto bad;
			p = mj_ws(json, len, p);
			if (json[p] != ',')
				break;
			p++;
		}
		if (!found)
			goto not_found;
		p = found_at;
	}
	value_start = p;
	if (json[p] != '-' && !money_is_digit(json[p]))
		return err_set(ERR_INVALID_ARGUMENT, "not_a_number",
			       "the value is not a number");
	if (mj_number(json, len, &p) < 0)
		goto bad;
	*start = json + value_start;
	*n = p - value_start;
	return 0;
bad:
	return err_set(ERR_INVALID_ARGUMENT, "bad_json", "malformed json");
not_found:
	return err_set(ERR_NOT_FOUND, "no_such_field", "the json has no such field");
}
