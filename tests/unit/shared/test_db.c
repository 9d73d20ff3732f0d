#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db/db.h"

/* A result of one text column "name" holding values (NULL = SQL NULL),
 * made without a server. */
static PGresult *
result_of(const char *const *values, int n)
{
	PGresAttDesc attr = {.name = "name", .typid = 25, .typlen = -1, .atttypmod = -1};
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	assert_non_null(res);
	assert_int_equal(PQsetResultAttrs(res, 1, &attr), 1);
	for (int i = 0; i < n; i++) {
		const char *v = values[i];

		assert_int_equal(PQsetvalue(res, i, 0, (char *)v, v ? (int)strlen(v) : -1), 1);
	}
	return res;
}

typedef struct named {
	char *name;
	size_t len;
} named;

/* Reads a row; a row "bad" is refused with ERR_INTERNAL. */
static int
read_named(mem_arena *a, const PGresult *res, int row, named *out)
{
	out->name = db_text(a, res, row, 0);
	if (!out->name)
		return err_oom();
	if (strcmp(out->name, "bad") == 0)
		return err_set(ERR_INTERNAL, "bad_row", "a bad row");
	out->len = strlen(out->name);
	return 0;
}

static void
test_every_row_is_read_with_a_zeroed_spare(void **state)
{
	static const char *const values[] = {"ada", NULL, "grace"};
	mem_arena *a = mem_arena_new(0);
	named *rows = NULL;
	int n = -1;

	assert_int_equal(DB_READ_ROWS(&rows, &n, a, result_of(values, 3), read_named), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].name, "ada");
	assert_string_equal(rows[1].name, "");
	assert_int_equal(rows[2].len, 5);
	assert_null(rows[3].name);
	mem_arena_free(a);
}

static void
test_no_rows_give_an_array_all_the_same(void **state)
{
	mem_arena *a = mem_arena_new(0);
	char **names = NULL;
	int n = -1;

	assert_int_equal(DB_READ_ROWS(&names, &n, a, result_of(NULL, 0), db_read_text), 0);
	assert_int_equal(n, 0);
	assert_non_null(names);
	assert_null(names[0]);
	mem_arena_free(a);
}

static void
test_a_reader_error_is_returned_and_nothing_kept(void **state)
{
	static const char *const values[] = {"ada", "bad", "grace"};
	mem_arena *a = mem_arena_new(0);
	named *rows = (named *)values;
	int n = -1;

	assert_int_equal(DB_READ_ROWS(&rows, &n, a, result_of(values, 3), read_named),
			 ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "bad_row");
	assert_null(rows);
	assert_int_equal(n, 0);
	mem_arena_free(a);
}

static void
test_a_full_arena_is_out_of_memory(void **state)
{
	static const char *const values[] = {"ada", "grace"};
	mem_arena *a = mem_arena_new(16); /* less than three pointers */
	char **names = NULL;
	int n = -1;

	assert_int_equal(DB_READ_ROWS(&names, &n, a, result_of(values, 2), db_read_text),
			 ERR_RESOURCE_EXHAUSTED);
	assert_null(names);
	assert_int_equal(n, 0);
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_is_read_with_a_zeroed_spare),
		cmocka_unit_test(test_no_rows_give_an_array_all_the_same),
		cmocka_unit_test(test_a_reader_error_is_returned_and_nothing_kept),
		cmocka_unit_test(test_a_full_arena_is_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
