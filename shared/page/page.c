#include "page.h"

#include <string.h>

#include "auth/auth.h"
#include "text/text.h"

#define PAGE_RAW_MAX (PAGE_KEY_MAX + 1 + TEXT_UUID_LEN)

int
page_size(int32_t *out, int32_t requested)
{
	if (requested < 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_page_size",
			       "page_size must not be negative");
	if (requested == 0)
		*out = PAGE_DEFAULT_SIZE;
	else if (requested > PAGE_MAX_SIZE)
		*out = PAGE_MAX_SIZE;
	else
		*out = requested;
	return 0;
}

static int
page_key_valid(const char *key, size_t len)
{
	return len > 0 && len <= PAGE_KEY_MAX && strspn(key, "0123456789-:.+ T") == len;
}

int
page_token_encode(char **out, mem_arena *arena, const char *key, const char *id)
{
	char raw[PAGE_RAW_MAX + 1];
	size_t n = strlen(key) + 1 + strlen(id);
	char *token;

	if (!page_key_valid(key, strlen(key)) || !text_is_uuid(id))
		return err_set(ERR_INTERNAL, NULL, "unpageable row");
	memcpy(raw, key, strlen(key));
	raw[strlen(key)] = '|';
	memcpy(raw + strlen(key) + 1, id, strlen(id) + 1);
	token = mem_arena_alloc(arena, auth_b64url_len(n) + 1);
	if (!token ||
	    auth_b64url_encode(token, auth_b64url_len(n) + 1, (const unsigned char *)raw, n) < 0)
		return err_oom();
	*out = token;
	return 0;
}

static int
page_bad_token(void)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_page_token",
		       "page_token is not a token this list gave out");
}

int
page_token_decode(const char **key_out, const char **id_out, mem_arena *arena, const char *token)
{
	unsigned char raw[PAGE_RAW_MAX + 1];
	size_t n = 0, key_len;
	const char *bar;
	char *key, *id;

	*key_out = NULL;
	*id_out = NULL;
	if (!token[0])
		return 0;
	if (strlen(token) > auth_b64url_len(PAGE_RAW_MAX) ||
	    auth_b64url_decode(raw, PAGE_RAW_MAX, &n, token, strlen(token)) < 0)
		return page_bad_token();
	raw[n] = '\0';
	if (strlen((const char *)raw) != n)
		return page_bad_token();
	bar = strchr((const char *)raw, '|');
	if (!bar)
		return page_bad_token();
	key_len = (size_t)(bar - (const char *)raw);
	if (!page_key_valid((const char *)raw, key_len) || !text_is_uuid(bar + 1))
		return page_bad_token();
	key = mem_arena_strndup(arena, (const char *)raw, key_len);
	id = mem_arena_strdup(arena, bar + 1);
	if (!key || !id)
		return err_oom();
	*key_out = key;
	*id_out = id;
	return 0;
}

int
page_request_parse(page_request *out, mem_arena *arena, int32_t size, const char *token)
{
	int rc = page_size(&out->limit, size);

	if (rc < 0)
		return rc;
	return page_token_decode(&out->key, &out->after_id, arena, token);
}

int32_t
page_fetch_rows(const page_request *pr)
{
	return pr->limit + 1;
}

size_t
page_rows(const page_request *pr, int n_rows)
{
	return (size_t)(n_rows < pr->limit ? n_rows : pr->limit);
}

int
page_has_more(const page_request *pr, int n_rows)
{
	return n_rows > pr->limit;
}

void *
page_items(size_t *n, mem_arena *arena, const page_request *pr, int n_rows, size_t item_size)
{
	*n = page_rows(pr, n_rows);
	return mem_arena_alloc(arena, item_size * (*n + 1));
}

/* The string member at offset at of a row. */
static const char *
page_row_string(const void *row, size_t at)
{
	const char *s;

	memcpy(&s, (const char *)row + at, sizeof(s));
	return s;
}

int
page_next_token(char **out, mem_arena *arena, const page_request *pr, const void *rows, int n_rows,
		page_row_layout layout)
{
	const char *last;

	if (!page_has_more(pr, n_rows))
		return 0;
	last = (const char *)rows + (size_t)(pr->limit - 1) * layout.size;
	return page_token_encode(out, arena, page_row_string(last, layout.key_at),
				 page_row_string(last, layout.id_at));
}
