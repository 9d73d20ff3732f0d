#include "money.h"

#include <stdio.h>

void money_naira(char out[MONEY_TEXT_MAX], int64_t kobo)
{
	uint64_t abs_kobo = kobo < 0 ? (uint64_t)0 - (uint64_t)kobo : (uint64_t)kobo;

	snprintf(out, MONEY_TEXT_MAX, "%s%llu.%02llu", kobo < 0 ? "-" : "",
		 (unsigned long long)(abs_kobo / 100),
		 (unsigned long long)(abs_kobo % 100));
}
