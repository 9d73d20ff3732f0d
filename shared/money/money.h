/* money: kobo (the ledger's integers) and naira text, exactly, never
 * through floating point. */
#ifndef KOLO_MONEY_H
#define KOLO_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

#define MONEY_TEXT_MAX 32

/* The most one request may move: ₦250,000,000.00, the CBN's per-transfer
 * maximum for companies (DESIGN §14). KOLO_MAX_AMOUNT_KOBO may only lower
 * it. Sums of many such amounts stay far inside int64 (docs/decisions.md,
 * "Amounts"). */
#define MONEY_MAX_KOBO	    25000000000LL
#define MONEY_MAX_KOBO_TEXT "25000000000" /* the same, as a cfg default */

/* kobo as naira with two decimals, "-1234.05"; out holds MONEY_TEXT_MAX. */
void money_naira(char out[MONEY_TEXT_MAX], int64_t kobo);

/* Exact decimal naira text (len bytes, not NUL-terminated) -> kobo: an
 * optional '-', one or more digits, then optionally '.' and one or more
 * decimals, nothing else (no '+', no spaces, no exponent, no "1." or ".5").
 * Decimals past the second must be zeros ("26.870" is 2687 kobo).
 * ERR_INVALID_ARGUMENT with reason "bad_amount" (not a decimal),
 * "not_whole_kobo" ("26.875") or "amount_too_large" (|kobo| > INT64_MAX);
 * *kobo is written only on success. */
KOLO_MUST_CHECK int money_parse_naira(const char *text, size_t len, int64_t *kobo);

/* kobo as the naira decimal a provider request carries: always two
 * decimals, "1500.75", "20.00", "0.05" (a valid JSON number, and what
 * money_parse_naira() reads back to the same kobo). ERR_INVALID_ARGUMENT
 * (reason "negative_amount") when kobo < 0; out holds MONEY_TEXT_MAX. */
KOLO_MUST_CHECK int money_kobo_text(char out[MONEY_TEXT_MAX], int64_t kobo);

/* The bound in force for one amount: MONEY_MAX_KOBO unless
 * money_set_max_kobo() lowered it. */
int64_t money_max_kobo(void);

/* Sets the bound in force: 1..MONEY_MAX_KOBO, else ERR_INVALID_ARGUMENT
 * (reason "bad_config") and nothing changes. */
KOLO_MUST_CHECK int money_set_max_kobo(int64_t max_kobo);

/* Sets the bound in force from KOLO_MAX_AMOUNT_KOBO (unset: MONEY_MAX_KOBO);
 * a value that is not a whole number of 1..MONEY_MAX_KOBO is
 * ERR_INVALID_ARGUMENT (reason "bad_config", the message naming the
 * variable) and nothing changes. Every service calls it once at start-up
 * (svc_main), so a bound that would raise the maximum stops the process. */
KOLO_MUST_CHECK int money_configure(void);

/* One amount_kobo of a request against 1..max_kobo (money_max_kobo() for
 * new money; MONEY_MAX_KOBO for money an earlier request already
 * promised): ERR_INVALID_ARGUMENT with reason "invalid_amount" (below 1)
 * or "amount_too_large" (above max_kobo, the message naming the maximum);
 * 0 when it fits. */
KOLO_MUST_CHECK int money_amount_check(int64_t amount_kobo, int64_t max_kobo);

/* One amount of new money a request asks to move (a deposit, a hold, a
 * withdrawal): money_amount_check() against the bound in force,
 * money_max_kobo(). */
KOLO_MUST_CHECK int money_check_amount(int64_t amount_kobo);

/* One amount an earlier request already admitted under the bound then in
 * force (a withdrawal's payout and its entries): money_amount_check()
 * against MONEY_MAX_KOBO, so lowering KOLO_MAX_AMOUNT_KOBO since strands
 * no money (docs/decisions.md, "Amounts"). */
KOLO_MUST_CHECK int money_check_admitted(int64_t amount_kobo);

#endif
