/* page: keyset pagination for every List RPC.
 *
 * A page token is opaque to callers: base64url of "<sort key>|<id>", where
 * the sort key is a timestamp as PostgreSQL prints it and id the row's
 * UUID. The next query continues strictly after (key, id) in the list's
 * order, so pages never skip or repeat rows and cost no OFFSET. */
#ifndef KOLO_PAGE_H
#define KOLO_PAGE_H

#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"

#define PAGE_DEFAULT_SIZE 50
#define PAGE_MAX_SIZE 200
#define PAGE_KEY_MAX 48

/* The page size for a request: 0 -> PAGE_DEFAULT_SIZE, above
 * PAGE_MAX_SIZE -> PAGE_MAX_SIZE; negative is ERR_INVALID_ARGUMENT
 * (reason "bad_page_size"). */
KOLO_MUST_CHECK int page_size(int32_t *out, int32_t requested);

/* A token for the row (key, id), allocated in the arena. */
KOLO_MUST_CHECK int page_token_encode(char **out, mem_arena *arena,
				      const char *key, const char *id);

/* Splits a token into key and id (in the arena). An empty token gives
 * NULL for both (the first page). A token that is not ours is
 * ERR_INVALID_ARGUMENT (reason "bad_page_token"). */
KOLO_MUST_CHECK int page_token_decode(const char **key_out,
				      const char **id_out, mem_arena *arena,
				      const char *token);

#endif
