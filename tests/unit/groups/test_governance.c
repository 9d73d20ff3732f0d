/* Governance decisions (DESIGN §12): the proposal state machine, tiers,
 * kinds, and exhaustively over small groups (1-5 officers, 0-5 plain
 * members) who passes, rejects and may vote. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "governance.h"

#define DAY	   86400
#define TENURE	   (7 * DAY)
#define OPENED	   (100 * DAY)
#define MAX_PEOPLE 16

/* A group: officers first (the first is the OWNER), then plain members
 * with the tenure, then `fresh` members who joined for the occasion. */
typedef struct world {
	char ids[MAX_PEOPLE][16];
	grp_voter members[MAX_PEOPLE];
	int n;
	int officers, plain, fresh;
	const char *approvals[MAX_PEOPLE];
	const char *objections[MAX_PEOPLE];
	grp_gov_facts f;
} world;

static void
world_make(world *w, int officers, int plain, int fresh, const grp_rule *rule)
{
	memset(w, 0, sizeof(*w));
	w->officers = officers;
	w->plain = plain;
	w->fresh = fresh;
	w->n = officers + plain + fresh;
	for (int i = 0; i < w->n; i++) {
		snprintf(w->ids[i], sizeof(w->ids[i]), "u%d", i);
		w->members[i].user_id = w->ids[i];
		w->members[i].role = i == 0	    ? GRP_ROLE_OWNER
				     : i < officers ? GRP_ROLE_TREASURER
						    : GRP_ROLE_MEMBER;
		w->members[i].joined_s =
			i < officers + plain ? OPENED - TENURE - DAY : OPENED - DAY;
	}
	w->f = (grp_gov_facts){.rule = *rule,
			       .members = w->members,
			       .n_members = w->n,
			       .proposer = w->ids[0],
			       .approvals = w->approvals,
			       .objections = w->objections,
			       .opened_s = OPENED,
			       .tenure_s = TENURE,
			       .now_s = OPENED + DAY,
			       .expires_s = OPENED + GRP_PROPOSAL_TTL_S,
			       .applies_s = OPENED + 3 * DAY};
}

static void
approve(world *w, int who)
{
	w->approvals[w->f.n_approvals++] = w->ids[who];
}

static void
object(world *w, int who)
{
	w->objections[w->f.n_objections++] = w->ids[who];
}

static const grp_rule rules[] = {
	{GRP_RULE_SINGLE_OFFICER, 1, 3}, {GRP_RULE_TWO_OFFICER, 2, 3}, {GRP_RULE_MAJORITY, 1, 3},
	{GRP_RULE_CUSTOM, 3, 3},	 {GRP_RULE_CUSTOM, 4, 5},      {GRP_RULE_TWO_OFFICER, 2, 2},
};
#define N_RULES (int)(sizeof(rules) / sizeof(rules[0]))

/* The rule's number, computed apart from the module. */
static int
needed_by(const grp_rule *r, int officers)
{
	int n = r->template_ == GRP_RULE_MAJORITY ? officers / 2 + 1 : r->approvals_required;

	return n < r->approvals_cap ? n : r->approvals_cap;
}

/* --- the state machine
 * ------------------------------------------------------------ */

static void
test_proposal_moves_and_who_makes_them(void **state)
{
	(void)state;
	assert_true(grp_prop_move_allowed(GRP_PROP_PENDING, GRP_PROP_PASSED, GRP_BY_VOTER));
	assert_false(grp_prop_move_allowed(GRP_PROP_PENDING, GRP_PROP_PASSED, GRP_BY_SYSTEM));
	assert_true(grp_prop_move_allowed(GRP_PROP_PENDING, GRP_PROP_CANCELLED, GRP_BY_PROPOSER));
	assert_false(grp_prop_move_allowed(GRP_PROP_PENDING, GRP_PROP_CANCELLED, GRP_BY_VOTER));
	assert_true(grp_prop_move_allowed(GRP_PROP_PENDING, GRP_PROP_EXPIRED, GRP_BY_SYSTEM));
	assert_true(grp_prop_move_allowed(GRP_PROP_PASSED, GRP_PROP_APPLIED, GRP_BY_SYSTEM));
	/* Nobody but the time-lock applies a passed proposal. */
	assert_false(grp_prop_move_allowed(GRP_PROP_PASSED, GRP_PROP_APPLIED,
					   GRP_BY_VOTER | GRP_BY_PROPOSER));
	assert_true(grp_prop_move_allowed(GRP_PROP_PASSED, GRP_PROP_REJECTED, GRP_BY_VOTER));
	assert_true(grp_prop_move_allowed(GRP_PROP_PASSED, GRP_PROP_CANCELLED, GRP_BY_PROPOSER));
	assert_false(grp_prop_move_allowed(GRP_PROP_PASSED, GRP_PROP_EXPIRED, GRP_BY_SYSTEM));
	/* An ended proposal never moves again. */
	for (int from = GRP_PROP_APPLIED; from < GRP_PROP_STATE_COUNT; from++)
		for (int to = 0; to < GRP_PROP_STATE_COUNT; to++)
			assert_false(
				grp_prop_move_allowed((grp_prop_state)from, (grp_prop_state)to, 7));
	for (int s = 0; s < GRP_PROP_STATE_COUNT; s++)
		assert_int_equal(grp_prop_state_parse(grp_prop_state_text((grp_prop_state)s)), s);
	assert_int_equal(grp_prop_state_parse("OPEN"), -1);
}

static void
test_kinds_and_role_changes(void **state)
{
	(void)state;
	for (int k = GRP_KIND_RULE; k < GRP_KIND_COUNT; k++)
		assert_int_equal(grp_prop_kind_parse(grp_prop_kind_text((grp_prop_kind)k)), k);
	assert_int_equal(grp_prop_kind_parse("rename"), GRP_KIND_NONE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_NONE, GRP_ROLE_MEMBER), GRP_KIND_NONE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_NONE, GRP_ROLE_TREASURER),
			 GRP_KIND_ADD_OFFICER);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_MEMBER, GRP_ROLE_TREASURER),
			 GRP_KIND_PROMOTE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_TREASURER, GRP_ROLE_OWNER),
			 GRP_KIND_PROMOTE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_OWNER, GRP_ROLE_TREASURER), GRP_KIND_DEMOTE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_TREASURER, GRP_ROLE_MEMBER),
			 GRP_KIND_DEMOTE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_TREASURER, GRP_ROLE_NONE),
			 GRP_KIND_REMOVE_OFFICER);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_MEMBER, GRP_ROLE_NONE), GRP_KIND_NONE);
	assert_int_equal(grp_role_change_kind(GRP_ROLE_OWNER, GRP_ROLE_OWNER), GRP_KIND_NONE);
}

static void
test_tiers_ascending_and_within_the_cap(void **state)
{
	grp_tier ok[] = {{0, 1}, {100000, 2}, {5000000, 3}};
	grp_tier unordered[] = {{100000, 2}, {100000, 3}};
	grp_tier above_cap[] = {{100000, 4}};
	grp_tier zero[] = {{100000, 0}};
	grp_tier negative[] = {{-1, 1}};
	grp_tier many[GRP_TIERS_MAX + 1];

	(void)state;
	assert_int_equal(grp_tiers_check(ok, 3, 3), 0);
	assert_int_equal(grp_tiers_check(NULL, 0, 3), 0);
	assert_int_equal(grp_tiers_check(unordered, 2, 3), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_tiers");
	assert_int_equal(grp_tiers_check(above_cap, 1, 3), ERR_INVALID_ARGUMENT);
	assert_int_equal(grp_tiers_check(zero, 1, 3), ERR_INVALID_ARGUMENT);
	assert_int_equal(grp_tiers_check(negative, 1, 3), ERR_INVALID_ARGUMENT);
	for (int i = 0; i <= GRP_TIERS_MAX; i++)
		many[i] = (grp_tier){1000 * (i + 1), 1};
	assert_int_equal(grp_tiers_check(many, GRP_TIERS_MAX, 3), 0);
	assert_int_equal(grp_tiers_check(many, GRP_TIERS_MAX + 1, 3), ERR_INVALID_ARGUMENT);
}

/* --- passing, exhaustively
 * ----------------------------------------------------------- */

/* Without a subject: approvals of a officers (the first a) pass exactly
 * when a reaches the rule's number; when the officers cannot reach it
 * (fewer than it), the plain members' majority decides; fresh members
 * change nothing, whatever they do. */
static void
test_passing_over_small_groups(void **state)
{
	(void)state;
	for (int r = 0; r < N_RULES; r++)
		for (int o = 1; o <= 5; o++)
			for (int m = 0; m <= 5; m++)
				for (int fresh = 0; fresh <= 2; fresh++)
					for (int a = 1; a <= o + m; a++) {
						world w;
						int need = needed_by(&rules[r], o);
						int deadlock = o < need;
						int voters = o + m;
						int expect;

						world_make(&w, o, m, fresh, &rules[r]);
						for (int i = 0; i < a; i++)
							approve(&w, i);
						for (int i = 0; i < fresh; i++)
							approve(&w, o + m + i);
						if (deadlock)
							expect = 2 * a > voters;
						else
							expect = (a < o ? a : o) >= need;
						assert_int_equal(
							grp_gov_decide(GRP_PROP_PENDING, &w.f),
							expect ? GRP_GOV_PASS : GRP_GOV_WAIT);
						assert_int_equal(grp_gov_by_members(&w.f),
								 deadlock);
					}
}

/* With an officer as the subject (demoted or removed): their approval
 * never counts, and the others' must reach the rule's number, or in a
 * deadlock the members' majority without them. */
static void
test_subject_neither_approves_nor_counts(void **state)
{
	(void)state;
	for (int r = 0; r < N_RULES; r++)
		for (int o = 1; o <= 5; o++)
			for (int m = 0; m <= 5; m++)
				for (int a = 0; a <= o + m - 1; a++) {
					world w;
					int subject = o - 1; /* the last officer (the
								OWNER when o = 1) */
					int need = needed_by(&rules[r], o);
					int others = o - 1;
					int deadlock = others < need;
					int voters = o + m - 1;
					int expect;

					world_make(&w, o, m, 0, &rules[r]);
					w.f.subject = w.ids[subject];
					approve(&w, subject); /* ignored */
					/* a approvals from everyone but the
					 * subject, officers first */
					for (int i = 0, given = 0; given < a && i < o + m; i++) {
						if (i == subject)
							continue;
						approve(&w, i);
						given++;
					}
					if (deadlock)
						expect = 2 * a > voters;
					else
						expect = (a < others ? a : others) >= need;
					assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f),
							 expect ? GRP_GOV_PASS : GRP_GOV_WAIT);
					if (subject != 0) {
						assert_int_equal(
							grp_gov_may_approve(&w.f, w.ids[subject]),
							ERR_PERMISSION_DENIED);
						assert_string_equal(err_last()->reason,
								    "subject_cannot_vote");
					}
				}
}

/* No coalescence smaller than the rule passes without a deadlock, and the
 * owner with any number of fresh members never passes alone. */
static void
test_owner_with_fresh_members_never_passes(void **state)
{
	(void)state;
	for (int r = 0; r < N_RULES; r++)
		for (int o = 1; o <= 5; o++)
			for (int m = 0; m <= 5; m++)
				for (int fresh = 0; fresh <= 5; fresh++) {
					world w;
					int need = needed_by(&rules[r], o);

					world_make(&w, o, m, fresh, &rules[r]);
					approve(&w, 0);
					for (int i = 0; i < fresh; i++)
						approve(&w, o + m + i);
					if (need <= 1 && o >= need)
						continue; /* one approval is the
							     rule itself */
					if (o < need && 2 > o + m)
						continue; /* the owner alone is
							     the majority of
							     voters */
					assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f),
							 GRP_GOV_WAIT);
				}
}

/* Objections of more than half of the voters reject a pending or passed
 * proposal; fresh members' objections count for nothing. */
static void
test_objections_reject_by_majority(void **state)
{
	(void)state;
	for (int o = 1; o <= 5; o++)
		for (int m = 0; m <= 5; m++)
			for (int k = 0; k <= o + m - 1; k++) {
				world w;
				int voters = o + m;
				grp_gov_outcome pending, passed;

				world_make(&w, o, m, 3, &rules[0]);
				approve(&w, 0);
				for (int i = 0; i < k; i++)
					object(&w, 1 + i);
				for (int i = 0; i < 3; i++)
					object(&w, o + m + i);
				pending = grp_gov_decide(GRP_PROP_PENDING, &w.f);
				passed = grp_gov_decide(GRP_PROP_PASSED, &w.f);
				if (2 * k > voters) {
					assert_int_equal(pending, GRP_GOV_REJECT);
					assert_int_equal(passed, GRP_GOV_REJECT);
				} else {
					assert_int_equal(pending, GRP_GOV_PASS); /* single_officer
										  */
					assert_int_equal(passed, GRP_GOV_WAIT);	 /* time-lock
										    on */
				}
			}
}

static void
test_time_lock_expiry_and_ended_states(void **state)
{
	world w;

	(void)state;
	world_make(&w, 2, 1, 0, &rules[1]);
	approve(&w, 0);
	w.f.now_s = w.f.expires_s;
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_EXPIRE);
	approve(&w, 1); /* passing after the expiry does not count */
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_EXPIRE);
	w.f.now_s = w.f.applies_s - 1;
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_PASS);
	assert_int_equal(grp_gov_decide(GRP_PROP_PASSED, &w.f), GRP_GOV_WAIT);
	w.f.now_s = w.f.applies_s;
	assert_int_equal(grp_gov_decide(GRP_PROP_PASSED, &w.f), GRP_GOV_APPLY);
	for (int s = GRP_PROP_APPLIED; s < GRP_PROP_STATE_COUNT; s++)
		assert_int_equal(grp_gov_decide((grp_prop_state)s, &w.f), GRP_GOV_WAIT);
}

/* --- who may vote
 * ---------------------------------------------------------------------- */

static void
test_who_may_approve_and_object(void **state)
{
	world w;

	(void)state;
	/* 2 officers under two_officer, 2 tenured members, 1 fresh. */
	world_make(&w, 2, 2, 1, &rules[1]);
	approve(&w, 0);
	assert_int_equal(grp_gov_may_approve(&w.f, "nobody"), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_member");
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[0]), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "already_approved");
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[1]), 0);
	/* No deadlock: plain members do not approve. */
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[2]), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_voter");
	/* Objections: voters but the proposer, once. */
	assert_int_equal(grp_gov_may_object(&w.f, w.ids[0]), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "already_approved");
	assert_int_equal(grp_gov_may_object(&w.f, w.ids[2]), 0);
	assert_int_equal(grp_gov_may_object(&w.f, w.ids[4]), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_voter");
	object(&w, 2);
	assert_int_equal(grp_gov_may_object(&w.f, w.ids[2]), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "already_objected");
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[2]), ERR_FAILED_PRECONDITION);

	/* Removing officer 1: a deadlock, so tenured members approve, the
	 * subject and the fresh member do not. */
	world_make(&w, 2, 2, 1, &rules[1]);
	w.f.subject = w.ids[1];
	approve(&w, 0);
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[1]), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "subject_cannot_vote");
	assert_int_equal(grp_gov_may_object(&w.f, w.ids[1]), ERR_PERMISSION_DENIED);
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[2]), 0);
	assert_int_equal(grp_gov_may_approve(&w.f, w.ids[4]), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "not_a_voter");
	/* owner + 1 of 3 voters: a majority */
	approve(&w, 2);
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_PASS);
}

/* --- validity at apply time
 * ------------------------------------------------------------- */

static void
test_still_valid_when_applied(void **state)
{
	grp_gov_group g = {.rule = {GRP_RULE_TWO_OFFICER, 2, 3}, .officers = 2, .owners = 1};
	grp_change c = {.kind = GRP_KIND_RULE, .rule = {GRP_RULE_CUSTOM, 3, 3}};

	(void)state;
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "rule_unsatisfiable");
	g.officers = 3;
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), 0);
	c = (grp_change){.kind = GRP_KIND_TIERS, .tiers = {{1000, 3}}, .n_tiers = 1};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), 0);
	g.rule.approvals_cap = 2; /* the cap went down since */
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), ERR_INVALID_ARGUMENT);
	c = (grp_change){.kind = GRP_KIND_ADD_OFFICER, .role = GRP_ROLE_TREASURER};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_MEMBER, &g), ERR_ALREADY_EXISTS);
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), 0);
	c = (grp_change){.kind = GRP_KIND_PROMOTE, .role = GRP_ROLE_TREASURER};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "member_not_found");
	/* promoted some other way meanwhile */
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_TREASURER, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "role_changed");
	c = (grp_change){.kind = GRP_KIND_REMOVE_OFFICER};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_OWNER, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "last_owner");
	g.owners = 2;
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_OWNER, &g), 0);
	c = (grp_change){.kind = GRP_KIND_DEMOTE, .role = GRP_ROLE_MEMBER};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_TREASURER, &g), 0);
	c = (grp_change){.kind = GRP_KIND_NONE};
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "unknown_kind");
}

/* Naming the account holder (DESIGN §14): an officer now, who votes on it
 * like any officer, so a lone OWNER never passes it under two_officer. */
static void
test_account_holder_is_an_officer_who_votes(void **state)
{
	grp_rule two = {GRP_RULE_TWO_OFFICER, 2, 3};
	grp_gov_group g = {.rule = two, .officers = 2, .owners = 1};
	grp_change c = {.kind = GRP_KIND_ACCOUNT_HOLDER};
	world w;

	(void)state;
	assert_string_equal(grp_prop_kind_text(GRP_KIND_ACCOUNT_HOLDER), "account_holder");
	assert_int_equal(grp_prop_kind_parse("account_holder"), GRP_KIND_ACCOUNT_HOLDER);
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_MEMBER, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "holder_not_officer");
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_NONE, &g), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "holder_not_officer");
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_TREASURER, &g), 0);
	assert_int_equal(grp_gov_still_valid(&c, GRP_ROLE_OWNER, &g), 0);
	assert_true(grp_kind_subject_votes(GRP_KIND_ACCOUNT_HOLDER));
	assert_false(grp_kind_subject_votes(GRP_KIND_DEMOTE));
	assert_false(grp_kind_subject_votes(GRP_KIND_REMOVE_OFFICER));

	/* OWNER u0 names TREASURER u1 (not a subject who stands aside). */
	world_make(&w, 2, 3, 0, &two);
	w.approvals[w.f.n_approvals++] = w.ids[0];
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_WAIT);
	w.approvals[w.f.n_approvals++] = w.ids[1];
	assert_int_equal(grp_gov_decide(GRP_PROP_PENDING, &w.f), GRP_GOV_PASS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proposal_moves_and_who_makes_them),
		cmocka_unit_test(test_kinds_and_role_changes),
		cmocka_unit_test(test_tiers_ascending_and_within_the_cap),
		cmocka_unit_test(test_passing_over_small_groups),
		cmocka_unit_test(test_subject_neither_approves_nor_counts),
		cmocka_unit_test(test_owner_with_fresh_members_never_passes),
		cmocka_unit_test(test_objections_reject_by_majority),
		cmocka_unit_test(test_time_lock_expiry_and_ended_states),
		cmocka_unit_test(test_who_may_approve_and_object),
		cmocka_unit_test(test_still_valid_when_applied),
		cmocka_unit_test(test_account_holder_is_an_officer_who_votes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
