/* page: keyset pagination for every List RPC.
 *
 * A page token is opaque to callers: base64url of "<sort key>|<id>", where
 * the sort key is a timestamp as PostgreSQL prints it and id the row's
 * UUID. The next query continues strictly after (key, id) in the list's
 * order, so pages never skip or repeat rows and cost no OFFSET. */
#ifndef KOLO_PAGE_H
#define KOLO_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"

#define PAGE_DEFAULT_SIZE 50
#define PAGE_MAX_SIZE	  200
#define PAGE_KEY_MAX	  48

/* The page size for a request: 0 -> PAGE_DEFAULT_SIZE, above
 * PAGE_MAX_SIZE -> PAGE_MAX_SIZE; negative is ERR_INVALID_ARGUMENT
 * (reason "bad_page_size"). */
KOLO_MUST_CHECK int page_size(int32_t *out, int32_t requested);

/* A token for the row (key, id), allocated in the arena. */
KOLO_MUST_CHECK int page_token_encode(char **out, mem_arena *arena, const char *key,
				      const char *id);

/* Splits a token into key and id (in the arena). An empty token gives
 * NULL for both (the first page). A token that is not ours is
 * ERR_INVALID_ARGUMENT (reason "bad_page_token"). */
KOLO_MUST_CHECK int page_token_decode(const char **key_out, const char **id_out, mem_arena *arena,
				      const char *token);

/* What a List request asks for: how many rows, after which (key, id). */
typedef struct page_request {
	int32_t limit;
	const char *key;      /* NULL on the first page */
	const char *after_id; /* NULL on the first page */
} page_request;

/* page_size() and page_token_decode() of a List request in one step. */
KOLO_MUST_CHECK int page_request_parse(page_request *out, mem_arena *arena, int32_t page_size,
				       const char *page_token);

/* How many rows a List's query asks for: limit + 1, one past the page, so
 * that the rows fetched tell whether another page follows. */
int32_t page_fetch_rows(const page_request *pr);

/* How many of n_rows fetched (the query asks page_fetch_rows()) go in the
 * page. */
size_t page_rows(const page_request *pr, int n_rows);

/* 1 when the query returned more rows than the page holds: the page then
 * ends with a next_page_token for its last row (index limit - 1). */
int page_has_more(const page_request *pr, int n_rows);

/* A List reply's array of items, filled by the caller: page_rows() slots
 * of item_size bytes (a message pointer's size) and a zeroed one after
 * them, in the arena; *n gets page_rows(). NULL when the arena is full. */
void *page_items(size_t *n, mem_arena *arena, const page_request *pr, int n_rows, size_t item_size);

/* Where a List's rows keep what a page token names: rows of size bytes
 * whose sort key and id are string members at key_at and id_at. */
typedef struct page_row_layout {
	size_t size;
	size_t key_at;
	size_t id_at;
} page_row_layout;

/* The layout of rows of type T whose sort key and id are the members key
 * and id; a member that is not a string (char * or const char *) does not
 * compile. */
#define PAGE_ROW_LAYOUT(T, key, id)                                                                \
	((page_row_layout){sizeof(T), PAGE_STRING_AT(T, key), PAGE_STRING_AT(T, id)})
#define PAGE_STRING_AT(T, m)                                                                       \
	_Generic(&((T *)0)->m, char ** : offsetof(T, m), const char ** : offsetof(T, m))

/* A List reply's next_page_token: when the n_rows fetched are more than
 * the page holds (page_has_more()), *out is the token of the page's last
 * row, rows[limit - 1] laid out as layout says (in the arena); else *out
 * is left as it is (""). Errors as page_token_encode(). */
KOLO_MUST_CHECK int page_next_token(char **out, mem_arena *arena, const page_request *pr,
				    const void *rows, int n_rows, page_row_layout layout);

#endif
