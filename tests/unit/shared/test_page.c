#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/auth.h"
#include "page/page.h"

#define ID  "7d3c1f4e-0000-4000-8000-00000000000a"
#define KEY "2026-11-26 09:12:45.641123+00"

static void
test_size(void **state)
{
	int32_t n = -1;

	assert_int_equal(page_size(&n, 0), 0);
	assert_int_equal(n, PAGE_DEFAULT_SIZE);
	assert_int_equal(page_size(&n, 7), 0);
	assert_int_equal(n, 7);
	assert_int_equal(page_size(&n, 100000), 0);
	assert_int_equal(n, PAGE_MAX_SIZE);
	assert_int_equal(page_size(&n, -1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_page_size");
}

static void
test_round_trip(void **state)
{
	mem_arena *a = mem_arena_new(0);
	char *token = NULL;
	const char *key, *id;

	assert_int_equal(page_token_encode(&token, a, KEY, ID), 0);
	assert_null(strchr(token, '|'));
	assert_int_equal(page_token_decode(&key, &id, a, token), 0);
	assert_string_equal(key, KEY);
	assert_string_equal(id, ID);
	assert_int_equal(page_token_decode(&key, &id, a, ""), 0);
	assert_null(key);
	assert_null(id);
	mem_arena_free(a);
}

static void
test_foreign_tokens_are_refused(void **state)
{
	mem_arena *a = mem_arena_new(0);
	const char *key, *id;
	char token[256];
	static const char *const raws[] = {
		"no bar at all",
		"2026-01-01|not-a-uuid",
		"|" ID,
		"2026-01-01'; DROP TABLE x; --|" ID,
	};

	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		assert_int_equal(auth_b64url_encode(token, sizeof(token),
						    (const unsigned char *)raws[i],
						    strlen(raws[i])),
				 0);
		assert_int_equal(page_token_decode(&key, &id, a, token), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "bad_page_token");
	}
	assert_int_equal(page_token_decode(&key, &id, a, "%%%"), ERR_INVALID_ARGUMENT);
	memset(token, 'A', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	assert_int_equal(page_token_decode(&key, &id, a, token), ERR_INVALID_ARGUMENT);
	mem_arena_free(a);
}

/* A row as a store returns it: the token's key and id among other
 * members. */
typedef struct test_row {
	int n;
	char *page_key;
	const char *id;
} test_row;

/* A List's tail: the query asks limit + 1; a full page and one more row
 * gives limit items and the token of the page's last row, a short or
 * exactly full fetch none. */
static void
test_list_tail(void **state)
{
	mem_arena *a = mem_arena_new(0);
	test_row rows[3] = {{0, KEY, "7d3c1f4e-0000-4000-8000-000000000001"},
			    {1, KEY, ID},
			    {2, KEY, "7d3c1f4e-0000-4000-8000-000000000003"}};
	page_request pr;
	const char *key, *id;
	char *token = "";
	void **items;
	size_t n = 9;

	(void)state;
	assert_int_equal(page_request_parse(&pr, a, 2, ""), 0);
	assert_int_equal(page_fetch_rows(&pr), 3);
	items = page_items(&n, a, &pr, 3, sizeof(*items));
	assert_non_null(items);
	assert_int_equal(n, 2);
	assert_null(items[2]);
	assert_int_equal(
		page_next_token(&token, a, &pr, rows, 3, PAGE_ROW_LAYOUT(test_row, page_key, id)),
		0);
	assert_int_equal(page_token_decode(&key, &id, a, token), 0);
	assert_string_equal(key, KEY);
	assert_string_equal(id, ID);
	for (int fetched = 0; fetched <= 2; fetched++) {
		token = "";
		assert_non_null(page_items(&n, a, &pr, fetched, sizeof(*items)));
		assert_int_equal(n, (size_t)fetched);
		assert_int_equal(page_next_token(&token, a, &pr, fetched ? rows : NULL, fetched,
						 PAGE_ROW_LAYOUT(test_row, page_key, id)),
				 0);
		assert_string_equal(token, "");
	}
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_foreign_tokens_are_refused),
		cmocka_unit_test(test_list_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
