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

/* What a List request asks for: how many rows, after which (key, id). */
typedef struct page_request {
	int32_t limit;
	const char *key;      /* NULL on the first page */
	const char *after_id; /* NULL on the first page */
} page_request;

/* page_size() and page_token_decode() of a List request in one step. */
KOLO_MUST_CHECK int page_request_parse(page_request *out, mem_arena *arena,
				       int32_t page_size,
				       const char *page_token);

/* How many of n_rows fetched (the query asks limit + 1) go in the page. */
size_t page_rows(const page_request *pr, int n_rows);

/* 1 when the query returned more rows than the page holds: the page then
 * ends with a next_page_token for its last row (index limit - 1). */
int page_has_more(const page_request *pr, int n_rows);

#endif
