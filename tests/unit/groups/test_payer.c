/* grp_holder_decide (DESIGN §14, §15): whether a caller may register an
 * account whose holder the provider names. Driven over every combination
 * of the provider naming holders, identity knowing the caller, the check
 * verified, the checked name kept, and the bank's holder (not resolved
 * yet, the caller's name, in another order, someone else's). The name
 * rule itself is beneficiary_names_match's (shared/beneficiary). No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_before_resolution),
		cmocka_unit_test(test_no_holder_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
