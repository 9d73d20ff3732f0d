/* The rules of groups (groups.c), every public function: roles and
 * templates both ways, the approval rule built from every combination of
 * its inputs, the officers it needs, and names and descriptions at their
 * boundaries. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "groups.h"

/* Asserts that expr fails with code and reason (recorded by this call). */
#define assert_fails(expr, want_code, want_reason)                                                 \
	do {                                                                                       \
		err_clear();                                                                       \
		assert_int_equal((expr), (want_code));                                             \
		assert_int_equal(err_last()->code, (want_code));                                   \
		assert_string_equal(err_last()->reason, (want_reason));                            \
	} while (0)

/* n copies of the string unit in buf. */
static const char *
rep(char *buf, const char *unit, size_t n)
{
	size_t len = strlen(unit);

	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * len, unit, len);
	buf[n * len] = '\0';
	return buf;
}

/* --- roles and templates ---------------------------------------------------- */

static void
test_roles_both_ways(void **state)
{
	static const struct {
		grp_role role;
		const char *text;
		int officer;
	} table[] = {
		{GRP_ROLE_OWNER, "OWNER", 1},
		{GRP_ROLE_TREASURER, "TREASURER", 1},
		{GRP_ROLE_MEMBER, "MEMBER", 0},
	};
	static const char *const not_roles[] = {"",	 "owner",   "Owner",
						"ADMIN", "MEMBERS", " MEMBER"};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_string_equal(grp_role_text(table[i].role), table[i].text);
		assert_int_equal(grp_role_parse(table[i].text), table[i].role);
		assert_int_equal(grp_is_officer(table[i].role), table[i].officer);
	}
	assert_string_equal(grp_role_text(GRP_ROLE_NONE), "");
	assert_false(grp_is_officer(GRP_ROLE_NONE));
	assert_string_equal(grp_role_text((grp_role)4), "");
	assert_string_equal(grp_role_text((grp_role)-1), "");
	assert_false(grp_is_officer((grp_role)4));
	for (size_t i = 0; i < sizeof(not_roles) / sizeof(not_roles[0]); i++)
		assert_int_equal(grp_role_parse(not_roles[i]), GRP_ROLE_NONE);
}

static void
test_templates_both_ways(void **state)
{
	static const struct {
		grp_template t;
		const char *text;
	} table[] = {
		{GRP_RULE_SINGLE_OFFICER, "single_officer"},
		{GRP_RULE_TWO_OFFICER, "two_officer"},
		{GRP_RULE_MAJORITY, "majority"},
		{GRP_RULE_CUSTOM, "custom"},
	};
	static const char *const not_templates[] = {"", "TWO_OFFICER", "two-officer", "majority ",
						    "none"};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_string_equal(grp_template_text(table[i].t), table[i].text);
		assert_int_equal(grp_template_parse(table[i].text), table[i].t);
	}
	assert_string_equal(grp_template_text(GRP_RULE_NONE), "");
	assert_string_equal(grp_template_text((grp_template)5), "");
	assert_string_equal(grp_template_text((grp_template)-1), "");
	for (size_t i = 0; i < sizeof(not_templates) / sizeof(not_templates[0]); i++)
		assert_int_equal(grp_template_parse(not_templates[i]), GRP_RULE_NONE);
}

/* --- the approval rule ---------------------------------------------------------- */

/* Majority is more than half of the officers, the others their number;
 * the cap bounds both. */
static void
test_rule_effective_table(void **state)
{
	/* officers -> a majority of them */
	static const int majority[] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6};

	(void)state;
	for (int officers = 0; officers <= 10; officers++) {
		for (int cap = 1; cap <= GRP_CAP_MAX; cap++) {
			grp_rule m = {GRP_RULE_MAJORITY, 1, cap};
			int want = majority[officers] < cap ? majority[officers] : cap;

			assert_int_equal(grp_rule_effective(&m, officers), want);
			for (int need = 1; need <= GRP_CAP_MAX; need++) {
				grp_rule c = {GRP_RULE_CUSTOM, need, cap};
				grp_rule two = {GRP_RULE_TWO_OFFICER, 2, cap};

				assert_int_equal(grp_rule_effective(&c, officers),
						 need < cap ? need : cap);
				assert_int_equal(grp_rule_effective(&two, officers),
						 cap < 2 ? cap : 2);
			}
		}
	}
	assert_int_equal(grp_rule_effective(&(grp_rule){GRP_RULE_MAJORITY, 1, 20}, 39), 20);
	assert_int_equal(grp_rule_effective(&(grp_rule){GRP_RULE_MAJORITY, 1, 20}, 37), 19);
	assert_int_equal(grp_rule_effective(&(grp_rule){GRP_RULE_SINGLE_OFFICER, 1, 3}, 0), 1);
}

/* What grp_rule_build should make of t, required and cap, from its
 * header: 0 and the rule, or -1 (invalid_rule). */
static int
rule_oracle(grp_rule *out, grp_template t, int required, int cap)
{
	int own;

	out->template_ = t ? t : GRP_RULE_TWO_OFFICER;
	out->approvals_cap = cap ? cap : GRP_CAP_DEFAULT;
	own = out->template_ == GRP_RULE_SINGLE_OFFICER ? 1 : 2;
	if (out->approvals_cap < 1 || out->approvals_cap > GRP_CAP_MAX)
		return -1;
	if (out->template_ == GRP_RULE_CUSTOM) {
		if (required < 1)
			return -1;
		out->approvals_required = required;
	} else if (out->template_ == GRP_RULE_MAJORITY) {
		if (required != 0)
			return -1;
		out->approvals_required = 1;
	} else {
		if (required != 0 && required != own)
			return -1;
		out->approvals_required = own;
	}
	return out->approvals_required > out->approvals_cap ? -1 : 0;
}

/* Every template (0: the default) x approvals_required x approvals_cap
 * around each boundary. */
static void
test_rule_build_table(void **state)
{
	static const int required[] = {INT_MIN, -1, 0, 1, 2, 3, 4, 19, 20, 21, INT_MAX};
	static const int caps[] = {INT_MIN, -1, 0, 1, 2, 3, 4, 19, 20, 21, INT_MAX};
	const size_t nr = sizeof(required) / sizeof(required[0]);
	const size_t nc = sizeof(caps) / sizeof(caps[0]);
	int built = 0;

	(void)state;
	for (int t = GRP_RULE_NONE; t <= GRP_RULE_CUSTOM; t++)
		for (size_t r = 0; r < nr; r++)
			for (size_t c = 0; c < nc; c++) {
				grp_rule want, got = {(grp_template)9, 99, 99};
				int ok = rule_oracle(&want, (grp_template)t, required[r], caps[c]);
				int rc;

				err_clear();
				rc = grp_rule_build(&got, (grp_template)t, required[r], caps[c]);
				if (ok == 0) {
					assert_int_equal(rc, 0);
					assert_int_equal(got.template_, want.template_);
					assert_int_equal(got.approvals_required,
							 want.approvals_required);
					assert_int_equal(got.approvals_cap, want.approvals_cap);
					built++;
				} else {
					assert_int_equal(rc, ERR_INVALID_ARGUMENT);
					assert_string_equal(err_last()->reason, "invalid_rule");
					/* out is written only on success */
					assert_int_equal(got.template_, 9);
					assert_int_equal(got.approvals_required, 99);
					assert_int_equal(got.approvals_cap, 99);
				}
			}
	/* The caps that hold (0 is 3): 3, 1, 2, 3, 4, 19, 20. Default and
	 * two_officer: required 0 or 2 under the 6 caps of 2 or more;
	 * single_officer: 0 or 1 under all 7; majority: 0 under all 7;
	 * custom: 1..cap of 1, 2, 3, 4, 19, 20, 21, INT_MAX under each cap. */
	assert_int_equal(built, 12 + 12 + 14 + 7 + (3 + 1 + 2 + 3 + 4 + 5 + 6));
}

static void
test_rule_build_defaults_and_messages(void **state)
{
	grp_rule r;

	(void)state;
	assert_int_equal(grp_rule_build(&r, GRP_RULE_NONE, 0, 0), 0);
	assert_true(grp_rule_same(&r, &(grp_rule){GRP_RULE_TWO_OFFICER, 2, GRP_CAP_DEFAULT}));
	assert_int_equal(grp_rule_build(&r, GRP_RULE_MAJORITY, 0, GRP_CAP_MAX), 0);
	assert_true(grp_rule_same(&r, &(grp_rule){GRP_RULE_MAJORITY, 1, GRP_CAP_MAX}));
	assert_int_equal(grp_rule_build(&r, GRP_RULE_CUSTOM, GRP_CAP_MAX, GRP_CAP_MAX), 0);
	assert_true(grp_rule_same(&r, &(grp_rule){GRP_RULE_CUSTOM, GRP_CAP_MAX, GRP_CAP_MAX}));
	assert_fails(grp_rule_build(&r, GRP_RULE_TWO_OFFICER, 3, 5), ERR_INVALID_ARGUMENT,
		     "invalid_rule");
	assert_string_equal(err_last()->message,
			    "two_officer needs 2 approvals; use custom for another number");
	assert_fails(grp_rule_build(&r, GRP_RULE_CUSTOM, 4, 3), ERR_INVALID_ARGUMENT,
		     "invalid_rule");
	assert_string_equal(err_last()->message,
			    "approvals_required (4) is above approvals_cap (3)");
	assert_fails(grp_rule_build(&r, GRP_RULE_TWO_OFFICER, 0, 1), ERR_INVALID_ARGUMENT,
		     "invalid_rule");
	assert_string_equal(err_last()->message,
			    "approvals_required (2) is above approvals_cap (1)");
	assert_fails(grp_rule_build(&r, GRP_RULE_CUSTOM, 1, 21), ERR_INVALID_ARGUMENT,
		     "invalid_rule");
	assert_string_equal(err_last()->message, "approvals_cap must be 1 to 20");
}

static void
test_rule_same_field_by_field(void **state)
{
	grp_rule a = {GRP_RULE_CUSTOM, 2, 3};

	(void)state;
	assert_true(grp_rule_same(&a, &(grp_rule){GRP_RULE_CUSTOM, 2, 3}));
	assert_false(grp_rule_same(&a, &(grp_rule){GRP_RULE_TWO_OFFICER, 2, 3}));
	assert_false(grp_rule_same(&a, &(grp_rule){GRP_RULE_CUSTOM, 3, 3}));
	assert_false(grp_rule_same(&a, &(grp_rule){GRP_RULE_CUSTOM, 2, 4}));
}

/* Satisfiable exactly when the officers reach the effective number. */
static void
test_rule_check_officers(void **state)
{
	static const grp_rule rules[] = {
		{GRP_RULE_SINGLE_OFFICER, 1, 3}, {GRP_RULE_TWO_OFFICER, 2, 3},
		{GRP_RULE_TWO_OFFICER, 2, 1},	 {GRP_RULE_MAJORITY, 1, 3},
		{GRP_RULE_MAJORITY, 1, 20},	 {GRP_RULE_CUSTOM, 5, 20},
		{GRP_RULE_CUSTOM, 20, 20},	 {GRP_RULE_CUSTOM, 5, 3},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (int officers = 0; officers <= 25; officers++) {
			int need = grp_rule_effective(&rules[i], officers);

			if (officers >= need) {
				assert_int_equal(grp_rule_check_officers(&rules[i], officers), 0);
			} else {
				assert_fails(grp_rule_check_officers(&rules[i], officers),
					     ERR_FAILED_PRECONDITION, "rule_unsatisfiable");
			}
		}
	}
	/* a majority is always within reach (officers >= 1) */
	assert_int_equal(grp_rule_check_officers(&rules[4], 1), 0);
	assert_fails(grp_rule_check_officers(&rules[4], 0), ERR_FAILED_PRECONDITION,
		     "rule_unsatisfiable");
	assert_fails(grp_rule_check_officers(&rules[1], 1), ERR_FAILED_PRECONDITION,
		     "rule_unsatisfiable");
	assert_string_equal(err_last()->message,
			    "the rule needs 2 approvals but the group would have 1 officer");
	assert_fails(grp_rule_check_officers(&rules[6], 19), ERR_FAILED_PRECONDITION,
		     "rule_unsatisfiable");
	assert_string_equal(err_last()->message,
			    "the rule needs 20 approvals but the group would have 19 officers");
	assert_int_equal(grp_rule_check_officers(&rules[6], 20), 0);
}

/* --- names and descriptions ------------------------------------------------------- */

static void
test_normalize_name(void **state)
{
	mem_arena *arena = mem_arena_new(0), *full = mem_arena_new(1);
	char buf[512], padded[600];
	char *out = NULL;

	(void)state;
	assert_int_equal(grp_normalize_name(&out, arena, "  Lagos Ajo \t\n"), 0);
	assert_string_equal(out, "Lagos Ajo");
	assert_int_equal(grp_normalize_name(&out, arena, "x"), 0);
	assert_string_equal(out, "x");
	assert_int_equal(grp_normalize_name(&out, arena, rep(buf, "n", GRP_NAME_MAX)), 0);
	assert_int_equal(strlen(out), GRP_NAME_MAX);
	/* the limit is on the trimmed name */
	snprintf(padded, sizeof(padded), "   %s   ", rep(buf, "n", GRP_NAME_MAX));
	assert_int_equal(grp_normalize_name(&out, arena, padded), 0);
	assert_int_equal(strlen(out), GRP_NAME_MAX);
	/* bytes, not characters: 40 three-byte euro signs fit, 41 do not */
	assert_int_equal(grp_normalize_name(&out, arena, rep(buf, "\xe2\x82\xac", 40)), 0);
	out = NULL;
	assert_fails(grp_normalize_name(&out, arena, rep(buf, "\xe2\x82\xac", 41)),
		     ERR_INVALID_ARGUMENT, "invalid_name");
	assert_null(out); /* written only on success */
	assert_fails(grp_normalize_name(&out, arena, rep(buf, "n", GRP_NAME_MAX + 1)),
		     ERR_INVALID_ARGUMENT, "invalid_name");
	assert_string_equal(err_last()->message, "name is required: 1 to 120 characters of text");
	assert_fails(grp_normalize_name(&out, arena, ""), ERR_INVALID_ARGUMENT, "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, " \t "), ERR_INVALID_ARGUMENT, "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, "a\tb"), ERR_INVALID_ARGUMENT, "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, "a\nb"), ERR_INVALID_ARGUMENT, "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, "a\x7f"), ERR_INVALID_ARGUMENT,
		     "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, "caf\xc3"), ERR_INVALID_ARGUMENT,
		     "invalid_name");
	assert_fails(grp_normalize_name(&out, arena, "\xc0\xaf"), ERR_INVALID_ARGUMENT,
		     "invalid_name");
	assert_null(out);
	assert_fails(grp_normalize_name(&out, full, "Lagos Ajo"), ERR_RESOURCE_EXHAUSTED,
		     err_default_reason(ERR_RESOURCE_EXHAUSTED));
	assert_null(out);
	mem_arena_free(full);
	mem_arena_free(arena);
}

static void
test_check_description(void **state)
{
	char buf[1100];

	(void)state;
	assert_int_equal(grp_check_description(""), 0);
	assert_int_equal(grp_check_description("Weekly ajo.\r\n\tSecond line \xe2\x82\xac"), 0);
	assert_int_equal(grp_check_description(rep(buf, "d", GRP_DESCRIPTION_MAX)), 0);
	assert_fails(grp_check_description(rep(buf, "d", GRP_DESCRIPTION_MAX + 1)),
		     ERR_INVALID_ARGUMENT, "invalid_description");
	assert_string_equal(err_last()->message, "description is at most 1000 bytes");
	assert_fails(grp_check_description("bell\x07"), ERR_INVALID_ARGUMENT,
		     "invalid_description");
	assert_string_equal(err_last()->message,
			    "description must be text (UTF-8, no control characters)");
	assert_fails(grp_check_description("del\x7f"), ERR_INVALID_ARGUMENT, "invalid_description");
	assert_fails(grp_check_description("half \xe2\x82"), ERR_INVALID_ARGUMENT,
		     "invalid_description");
	assert_fails(grp_check_description("\xed\xa0\x80"), ERR_INVALID_ARGUMENT,
		     "invalid_description"); /* a surrogate */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_both_ways),
		cmocka_unit_test(test_templates_both_ways),
		cmocka_unit_test(test_rule_effective_table),
		cmocka_unit_test(test_rule_build_table),
		cmocka_unit_test(test_rule_build_defaults_and_messages),
		cmocka_unit_test(test_rule_same_field_by_field),
		cmocka_unit_test(test_rule_check_officers),
		cmocka_unit_test(test_normalize_name),
		cmocka_unit_test(test_check_description),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
