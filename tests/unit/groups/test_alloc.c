/* AllocateDeposit's recovery of an earlier try (DESIGN §15): which ledger
 * refusals a retry may meet (grp_alloc_may_be_earlier), and which
 * allocation in force, if any, that earlier try wrote
 * (grp_alloc_earlier_pick). Driven over every refusal x key, and every
 * list of allocations of up to two rows (three of a smaller set) against
 * the rule as groups.h states it. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <strings.h>

#include "groups.h"

#define MEMBER	"0b5e7f5c-0000-4000-8000-00000000000a"
#define OFFICER "0b5e7f5c-0000-4000-8000-00000000000b"
#define OTHER	"0b5e7f5c-0000-4000-8000-00000000000c"
#define REASON	"paid in cash at the meeting"

static const char *const refusals[] = {
	"entry_already_allocated",
	"same_member",
	"allocation_changed",
	"not_a_member",
	"self_allocation",
	"",
	"same_member ",
	"SAME_MEMBER",
	"allocation_changed_x",
};
#define N_REFUSALS (sizeof(refusals) / sizeof(refusals[0]))

static void
test_may_be_earlier(void **state)
{
	(void)state;
	for (int keyed = 0; keyed < 2; keyed++)
		for (size_t r = 0; r < N_REFUSALS; r++) {
			/* The first three are the refusals a retry meets. */
			int want = keyed && r < 3;

			assert_int_equal(grp_alloc_may_be_earlier(keyed, refusals[r]), want);
		}
}

/* A row's fields, each from a few values: the id ("" is the credit-time
 * attribution), superseded or not, the member, the officer (the request's,
 * in upper case, another's), the reason (the request's, in another case,
 * another). */
static const char *const ids[] = {"", "a-1"};
static const char *const superseded[] = {"", "2026-03-01T10:00:00Z"};
static const char *const members[] = {MEMBER, "0B5E7F5C-0000-4000-8000-00000000000A", OTHER};
static const char *const officers[] = {OFFICER, "0B5E7F5C-0000-4000-8000-00000000000B", OTHER};
static const char *const reasons[] = {REASON, "Paid in cash at the meeting", "another"};
#define N_KINDS (2 * 2 * 3 * 3 * 3)

static grp_alloc_row
row_of(int k)
{
	return (grp_alloc_row){.id = ids[k % 2],
			       .superseded_at = superseded[k / 2 % 2],
			       .user_id = members[k / 4 % 3],
			       .allocated_by = officers[k / 12 % 3],
			       .reason = reasons[k / 36 % 3]};
}

/* The rule: the last allocation in force decides; it is the request's
 * when member and officer match case aside, the reason exactly. */
static int
pick_expected(const grp_alloc_row *rows, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		const grp_alloc_row *r = &rows[i];

		if (strcmp(r->id, "") == 0 || strcmp(r->superseded_at, "") != 0)
			continue;
		if (strcasecmp(r->user_id, MEMBER) == 0 &&
		    strcasecmp(r->allocated_by, OFFICER) == 0 && strcmp(r->reason, REASON) == 0)
			return (int)i;
		return -1;
	}
	return -1;
}

static int
check(const grp_alloc_row *rows, size_t n)
{
	grp_alloc_facts f = {
		.user_id = MEMBER, .officer = OFFICER, .reason = REASON, .rows = rows, .n = n};
	int want = pick_expected(rows, n);

	assert_int_equal(grp_alloc_earlier_pick(&f), want);
	return want >= 0;
}

static void
test_pick_every_list(void **state)
{
	grp_alloc_row rows[3] = {{0}};
	int count = 0, mine = 0;

	(void)state;
	mine += check(rows, 0);
	count++;
	for (int a = 0; a < N_KINDS; a++) {
		rows[0] = row_of(a);
		mine += check(rows, 1);
		count++;
		for (int b = 0; b < N_KINDS; b++) {
			rows[1] = row_of(b);
			mine += check(rows, 2);
			count++;
		}
	}
	assert_int_equal(count, 1 + N_KINDS + N_KINDS * N_KINDS);
	/* 4 kinds of row are the request's (in force, member and officer in
	 * either case, the reason exact), 27 are in force. Mine: one of them
	 * alone; one of them second; one of them first, the second not in
	 * force. */
	assert_int_equal(mine, 4 + 4 * N_KINDS + (N_KINDS - 27) * 4);
}

/* Three rows of the kinds that matter: not in force, the request's,
 * another's. */
static void
test_pick_three_rows(void **state)
{
	const grp_alloc_row kinds[] = {
		{.id = "",
		 .superseded_at = "",
		 .user_id = MEMBER,
		 .allocated_by = OFFICER,
		 .reason = REASON},
		{.id = "a-1",
		 .superseded_at = "x",
		 .user_id = MEMBER,
		 .allocated_by = OFFICER,
		 .reason = REASON},
		{.id = "a-2",
		 .superseded_at = "",
		 .user_id = MEMBER,
		 .allocated_by = OFFICER,
		 .reason = REASON},
		{.id = "a-3",
		 .superseded_at = "",
		 .user_id = OTHER,
		 .allocated_by = OFFICER,
		 .reason = REASON},
		{.id = "a-4",
		 .superseded_at = "",
		 .user_id = MEMBER,
		 .allocated_by = OTHER,
		 .reason = REASON},
	};
	grp_alloc_row rows[3] = {{0}};

	(void)state;
	for (size_t a = 0; a < 5; a++)
		for (size_t b = 0; b < 5; b++)
			for (size_t c = 0; c < 5; c++) {
				rows[0] = kinds[a];
				rows[1] = kinds[b];
				rows[2] = kinds[c];
				(void)check(rows, 3);
			}
	/* The request's allocation, then another's in force: not the request's. */
	rows[0] = kinds[2];
	rows[1] = kinds[3];
	rows[2] = kinds[0];
	assert_false(check(rows, 3));
	/* Another's superseded by the request's, then the attribution: index 1. */
	rows[0] = kinds[1];
	rows[1] = kinds[2];
	{
		grp_alloc_facts f = {.user_id = MEMBER,
				     .officer = OFFICER,
				     .reason = REASON,
				     .rows = rows,
				     .n = 3};

		assert_int_equal(grp_alloc_earlier_pick(&f), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_be_earlier),
		cmocka_unit_test(test_pick_every_list),
		cmocka_unit_test(test_pick_three_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
