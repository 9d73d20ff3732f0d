/* fuzz_page_token: page_token_decode on arbitrary text.
 *
 * A token the decoder accepts must be one page_token_encode gives out:
 * encoding the decoded (key, id) again yields the same text. */
#include "fuzz.h"

#include "mem/mem.h"
#include "page/page.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = fuzz_text(data, size);
	mem_arena *arena = mem_arena_new(0);
	const char *key = NULL, *id = NULL;
	char *again = NULL;

	if (page_token_decode(&key, &id, arena, token) == 0) {
		if (!token[0]) {
			FUZZ_CHECK(!key && !id);
		} else {
			FUZZ_CHECK(key && id);
			FUZZ_CHECK(strlen(key) > 0 && strlen(key) <= PAGE_KEY_MAX);
			FUZZ_CHECK(page_token_encode(&again, arena, key, id) == 0);
			FUZZ_CHECK(strcmp(again, token) == 0);
		}
	} else {
		FUZZ_CHECK(!key && !id);
		FUZZ_CHECK(err_last()->code == ERR_INVALID_ARGUMENT);
	}
	mem_arena_free(arena);
	free(token);
	return 0;
}
