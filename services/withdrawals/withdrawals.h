/* withdrawals: the rules of requests (no protobuf, no SQL), and the
 * wiring handlers and the worker share. */
#ifndef KOLO_WITHDRAWALS_H
#define KOLO_WITHDRAWALS_H

#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

#define WDR_REASON_MAX 500

typedef struct wdr_beneficiary {
	const char *bank_code;
	const char *account_number;
	const char *account_name;
} wdr_beneficiary;

/* The services withdrawals calls, and its settings; borrowed, set once. */
typedef struct wdr_deps {
	rpc_channel *identity, *groups, *ledger, *payments;
	int64_t ttl_s;		/* how long a request may wait for approvals */
	int worker_interval_ms;
	int payout_idle_s;	/* an unpaid APPROVED request this idle is retried */
} wdr_deps;

void wdr_configure(const wdr_deps *deps);
const wdr_deps *wdr_current(void);

/* Checks a beneficiary (bank code digits, 10-digit account number, a
 * name) and a reason (1..500 bytes of text): ERR_INVALID_ARGUMENT. */
KOLO_MUST_CHECK int wdr_check_beneficiary(const wdr_beneficiary *b);
KOLO_MUST_CHECK int wdr_check_reason(const char *reason);

/* 1 when the name a bank resolved is the name given: case, spacing and
 * punctuation aside, and in any word order, the words of the shorter name
 * all appear in the other ("NGOZI A. EZE" matches "Eze Ngozi"). */
int wdr_names_match(const char *given, const char *resolved);

/* (The row keeps the beneficiary as svc/beneficiary.h's JSON.) */

#endif
