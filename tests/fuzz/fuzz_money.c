/* fuzz_money: the naira <-> kobo converter and the exact JSON number finder
 * on arbitrary bytes. Whatever parses must format back to the same kobo;
 * whatever the finder returns must lie inside the input. */
#include "fuzz.h"
#include "jsonnum/jsonnum.h"
#include "money/money.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
fuzz_round_trip(const char *text, size_t len)
{
	char out[MONEY_TEXT_MAX];
	int64_t kobo = 0, again = 0;

	if (money_parse_naira(text, len, &kobo) < 0)
		return;
	if (kobo < 0 || money_kobo_text(out, kobo) < 0)
		return;
	FUZZ_CHECK(money_parse_naira(out, strlen(out), &again) == 0);
	FUZZ_CHECK(again == kobo);
	/* The one amount bound agrees with its definition. */
	FUZZ_CHECK((money_amount_check(kobo, MONEY_MAX_KOBO) == 0) ==
		   (kobo >= 1 && kobo <= MONEY_MAX_KOBO));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const path[] = {"data", "amount"};
	const char *json = (const char *)data;
	const char *start = NULL;
	size_t n = 0;

	fuzz_round_trip(json, size);
	if (jsonnum_find(&start, &n, json, size, path, 2) == 0) {
		FUZZ_CHECK(start >= json && start + n <= json + size && n > 0);
		fuzz_round_trip(start, n);
	}
	return 0;
}
