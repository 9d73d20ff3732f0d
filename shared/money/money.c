#include "money.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"

/* Set once at start-up, read by every call's thread. */
static _Atomic int64_t money_max = MONEY_MAX_KOBO;

void
money_naira(char out[MONEY_TEXT_MAX], int64_t kobo)
{
	uint64_t abs_kobo = kobo < 0 ? (uint64_t)0 - (uint64_t)kobo : (uint64_t)kobo;

	snprintf(out, MONEY_TEXT_MAX, "%s%llu.%02llu", kobo < 0 ? "-" : "",
		 (unsigned long long)(abs_kobo / 100), (unsigned long long)(abs_kobo % 100));
}

static int
money_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
money_parse_naira(const char *text, size_t len, int64_t *kobo)
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
	return err_set(ERR_INVALID_ARGUMENT, "bad_amount", "amount is not a plain decimal number");
too_large:
	return err_set(ERR_INVALID_ARGUMENT, "amount_too_large", "amount is too large");
}

int
money_kobo_text(char out[MONEY_TEXT_MAX], int64_t kobo)
{
	if (kobo < 0) {
		out[0] = '\0';
		return err_set(ERR_INVALID_ARGUMENT, "negative_amount", "amount is negative");
	}
	money_naira(out, kobo);
	return 0;
}

int64_t
money_max_kobo(void)
{
	return atomic_load_explicit(&money_max, memory_order_relaxed);
}

int
money_set_max_kobo(int64_t max_kobo)
{
	if (max_kobo < 1 || max_kobo > MONEY_MAX_KOBO)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_MAX_AMOUNT_KOBO must be 1 to %lld", (long long)MONEY_MAX_KOBO);
	atomic_store_explicit(&money_max, max_kobo, memory_order_relaxed);
	return 0;
}

int
money_configure(void)
{
	int64_t max_kobo = 0;
	const cfg_var vars[] = {
		{"KOLO_MAX_AMOUNT_KOBO", CFG_INT, MONEY_MAX_KOBO_TEXT, 1, MONEY_MAX_KOBO,
		 &max_kobo},
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0)
		return rc;
	return money_set_max_kobo(max_kobo);
}

int
money_check_amount(int64_t amount_kobo)
{
	return money_amount_check(amount_kobo, money_max_kobo());
}

int
money_check_admitted(int64_t amount_kobo)
{
	return money_amount_check(amount_kobo, MONEY_MAX_KOBO);
}

int
money_amount_check(int64_t amount_kobo, int64_t max_kobo)
{
	char naira[MONEY_TEXT_MAX];

	if (amount_kobo < 1)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_amount",
			       "amount_kobo must be at least 1");
	if (amount_kobo <= max_kobo)
		return 0;
	money_naira(naira, max_kobo);
	return err_set(ERR_INVALID_ARGUMENT, "amount_too_large",
		       "amount_kobo must be at most %lld (NGN %s)", (long long)max_kobo, naira);
}
