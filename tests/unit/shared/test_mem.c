#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mem/mem.h"

static void
test_allocations_are_aligned_and_zeroed(void **state)
{
	mem_arena *a = mem_arena_new(0);

	for (size_t size = 1; size < 5000; size += 37) {
		unsigned char *p = mem_arena_alloc(a, size);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xab, size);
	}
	mem_arena_free(a);
}

static void
test_cap_is_enforced_and_reset_recycles(void **state)
{
	mem_arena *a = mem_arena_new(100000);

	assert_non_null(mem_arena_alloc(a, 60000));
	assert_null(mem_arena_alloc(a, 60000));
	assert_null(mem_arena_alloc(a, SIZE_MAX));
	mem_arena_reset(a);
	assert_int_equal(mem_arena_used(a), 0);
	assert_non_null(mem_arena_alloc(a, 60000));
	mem_arena_free(a);
}

static void
test_strings_and_allocator(void **state)
{
	mem_arena *a = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(a);
	char *p;

	assert_string_equal(mem_arena_strdup(a, "kobo"), "kobo");
	assert_string_equal(mem_arena_strndup(a, "naira", 3), "nai");
	assert_string_equal(mem_arena_printf(a, "%d-%s", 42, "x"), "42-x");
	p = alloc.alloc(alloc.allocator_data, 10);
	assert_non_null(p);
	alloc.free(alloc.allocator_data, p);
	mem_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocations_are_aligned_and_zeroed),
		cmocka_unit_test(test_cap_is_enforced_and_reset_recycles),
		cmocka_unit_test(test_strings_and_allocator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
