/* grp_holder_decide (DESIGN §14, §15): whether a caller may register an
 * account whose holder the provider names; grp_payer_pick: who of a group
 * paid from an account (MatchPayer). Driven over every combination
 * of the provider naming holders, identity knowing the caller, the check
 * verified, the checked name kept, and the bank's holder (not resolved
 * yet, the caller's name, in another order, someone else's). The name
 * rule itself is beneficiary_names_match's (shared/beneficiary). No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "groups.h"

#define KYC_NAME "Adaeze Obi"

static const char *const holders[] = {NULL, "ADAEZE OBI", "OBI ADAEZE", "JOHN DOE"};
#define N_HOLDERS (sizeof(holders) / sizeof(holders[0]))

/* The rule as the contract states it, in its order. */
static grp_holder_verdict
expected(const grp_holder_facts *f, int holder_is_caller)
{
	if (!f->names_holder)
		return GRP_HOLDER_OK;
	if (!f->user_found || !f->kyc_verified)
		return GRP_HOLDER_KYC_REQUIRED;
	if (!f->holder_name)
		return GRP_HOLDER_OK;
	if (!f->kyc_name[0])
		return GRP_HOLDER_KYC_NAME_MISSING;
	return holder_is_caller ? GRP_HOLDER_OK : GRP_HOLDER_NAME_MISMATCH;
}

static void
test_every_combination(void **state)
{
	int n = 0;

	(void)state;
	for (int names = 0; names < 2; names++)
		for (int found = 0; found < 2; found++)
			for (int verified = 0; verified < 2; verified++)
				for (int kept = 0; kept < 2; kept++)
					for (size_t h = 0; h < N_HOLDERS; h++) {
						grp_holder_facts f = {
							.names_holder = names,
							.user_found = found,
							.kyc_verified = found && verified,
							.kyc_name = found && kept ? KYC_NAME : "",
							.holder_name = holders[h],
						};
						/* Words in another order name the caller. */
						int caller = h == 1 || h == 2;

						assert_int_equal(grp_holder_decide(&f),
								 expected(&f, caller));
						n++;
					}
	assert_int_equal(n, 2 * 2 * 2 * 2 * (int)N_HOLDERS);
}

/* Before the resolution only the check counts: a verified caller without
 * a kept name is not refused yet (the provider is asked first). */
static void
test_before_resolution(void **state)
{
	grp_holder_facts f = {.names_holder = 1,
			      .user_found = 1,
			      .kyc_verified = 1,
			      .kyc_name = "",
			      .holder_name = NULL};

	(void)state;
	assert_int_equal(grp_holder_decide(&f), GRP_HOLDER_OK);
	f.kyc_verified = 0;
	assert_int_equal(grp_holder_decide(&f), GRP_HOLDER_KYC_REQUIRED);
	f.user_found = 0;
	assert_int_equal(grp_holder_decide(&f), GRP_HOLDER_KYC_REQUIRED);
}

/* A provider that names no holder: nothing about the caller counts. */
static void
test_no_holder_named(void **state)
{
	grp_holder_facts f = {.names_holder = 0, .kyc_name = "", .holder_name = ""};

	(void)state;
	assert_int_equal(grp_holder_decide(&f), GRP_HOLDER_OK);
}

/* --- grp_payer_pick ---------------------------------------------------------- */

/* The bank list's banks the rows are registered at. */
static const char *const bank_codes[] = {"058", "044", "057"};
static const char *const bank_names[] = {"Guaranty Trust Bank", "Access Bank", "Zenith Bank"};
#define N_BANKS 3

/* The deposit's bank name as a provider may write it, and the banks it
 * agrees with (by hand: letters and digits, lower case, one within the
 * other, both at least 3 long, at most 63 kept). */
#define PAD53 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
static const struct {
	const char *name;
	int agrees[N_BANKS];
} given[] = {
	{"", {1, 1, 1}}, /* no name: every row (by code, or none) */
	{"GUARANTY TRUST BANK PLC", {1, 0, 0}},
	{"access", {0, 1, 0}},
	{"Zenith Bank", {0, 0, 1}},
	{"Access-Bank (Diamond)", {0, 1, 0}},
	{"Bank", {1, 1, 1}},
	{"ZEN", {0, 0, 1}},
	{"Ze", {0, 0, 0}},		   /* under 3 */
	{"Kuda MFB", {0, 0, 0}},	   /* another bank */
	{PAD53 "Access Bank", {0, 1, 0}},  /* 63 kept: "...accessbank" */
	{PAD53 "xAccess Bank", {0, 0, 0}}, /* 63 kept: "...accessban" */
};
#define N_GIVEN (sizeof(given) / sizeof(given[0]))

static const char *const codes[] = {"", "058", "044", "057", "011"};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static const char *const users[] = {"u-1", "u-2"};

/* A row is a user (r / N_BANKS) at a bank (r % N_BANKS). */
static int
row_agrees(int r, const char *code, size_t g)
{
	if (code[0])
		return strcmp(bank_codes[r % N_BANKS], code) == 0;
	return given[g].agrees[r % N_BANKS];
}

/* The rule as the contract states it: the one user of the rows that agree. */
static const char *
pick_expected(const int *kinds, int n, const char *code, size_t g)
{
	const char *user = NULL;

	for (int i = 0; i < n; i++) {
		const char *u = users[kinds[i] / N_BANKS];

		if (!row_agrees(kinds[i], code, g))
			continue;
		if (user && strcmp(user, u) != 0)
			return NULL;
		user = u;
	}
	return user;
}

static void
check_pick(const int *kinds, int n, int *count)
{
	grp_payer rows[3];

	for (int i = 0; i < n; i++)
		rows[i] = (grp_payer){.user_id = (char *)users[kinds[i] / N_BANKS],
				      .bank_code = (char *)bank_codes[kinds[i] % N_BANKS],
				      .bank_name = (char *)bank_names[kinds[i] % N_BANKS]};
	for (size_t c = 0; c < N_CODES; c++)
		for (size_t g = 0; g < N_GIVEN; g++) {
			const char *want = pick_expected(kinds, n, codes[c], g);
			const char *got = grp_payer_pick(rows, n, codes[c], given[g].name);

			if (!want)
				assert_null(got);
			else
				assert_string_equal(got, want);
			(*count)++;
		}
}

/* Every list of up to 3 registrations (2 users x 3 banks, any order) x
 * every bank code x every bank name. */
static void
test_pick_every_combination(void **state)
{
	int kinds[3] = {0}, count = 0, n_kinds = 2 * N_BANKS;

	(void)state;
	check_pick(kinds, 0, &count);
	for (kinds[0] = 0; kinds[0] < n_kinds; kinds[0]++) {
		check_pick(kinds, 1, &count);
		for (kinds[1] = 0; kinds[1] < n_kinds; kinds[1]++) {
			check_pick(kinds, 2, &count);
			for (kinds[2] = 0; kinds[2] < n_kinds; kinds[2]++)
				check_pick(kinds, 3, &count);
		}
	}
	assert_int_equal(count, (1 + 6 + 36 + 216) * (int)(N_CODES * N_GIVEN));
}

/* The cases MatchPayer's contract names, one each. */
static void
test_pick_named_cases(void **state)
{
	grp_payer two[] = {
		{.user_id = "u-1", .bank_code = "058", .bank_name = "Guaranty Trust Bank"},
		{.user_id = "u-2", .bank_code = "044", .bank_name = "Access Bank"},
	};

	(void)state;
	assert_null(grp_payer_pick(two, 0, "", ""));		       /* nobody registered */
	assert_null(grp_payer_pick(two, 2, "", ""));		       /* two users, no bank */
	assert_string_equal(grp_payer_pick(two, 2, "044", ""), "u-2"); /* by code */
	assert_string_equal(grp_payer_pick(two, 2, "044", "Zenith"), "u-2"); /* code first */
	assert_string_equal(grp_payer_pick(two, 2, "", "GTBank Guaranty Trust Bank"), "u-1");
	assert_null(grp_payer_pick(two, 1, "", "Access Bank")); /* one row, another bank */
	assert_null(grp_payer_pick(two, 2, "999", ""));		/* no row at that code */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_before_resolution),
		cmocka_unit_test(test_no_holder_named),
		cmocka_unit_test(test_pick_every_combination),
		cmocka_unit_test(test_pick_named_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
