/* money: kobo (the ledger's integers) and naira text, exactly, never
 * through floating point. */
#ifndef KOLO_MONEY_H
#define KOLO_MONEY_H

#include <stdint.h>

#define MONEY_TEXT_MAX 32

/* kobo as naira with two decimals, "-1234.05"; out holds MONEY_TEXT_MAX. */
void money_naira(char out[MONEY_TEXT_MAX], int64_t kobo);

#endif
