/* Members' contributions in kolo-ledger (DESIGN §15) over real gRPC against
 * a throwaway PostgreSQL: credit-time attribution and its replays, payers,
 * officers' allocations and their trail, deposit reversals, unallocated
 * deposits and contributions. The money invariants (invariants.sql, with
 * its contribution sums) are checked after every test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kolo/groups/v1/contributions.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "ledger_service.h"
#include "test_world.h"

#define CREDIT KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT
#define DEBIT  KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT

static test_world w;

typedef struct book {
	test_team team;
	char account[64];
} book;

static void
open_book(book *b, const char *tag)
{
	test_world_team(&w, &b->team, tag, "Contributions group", 0);
	test_world_account(&w, b->team.group, b->account);
}

typedef struct post {
	int type;
	int64_t amount;
	const char *reference;
	const char *user_id;
	const char *payer_account;
	const char *reverses;
	const char *source;
} post;

static int
post_entry(const book *b, const post *p, Kolo__Ledger__V1__PostEntryResponse **out)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	int rc;

	req.group_id = (char *)b->team.group;
	req.account_id = (char *)b->account;
	req.type = p->type;
	req.amount_kobo = p->amount;
	req.source = (char *)(p->source ? p->source : "demo");
	req.reference = (char *)p->reference;
	req.user_id = (char *)(p->user_id ? p->user_id : "");
	req.simulated = 1;
	req.reverses_reference = (char *)(p->reverses ? p->reverses : "");
	if (p->payer_account) {
		req.payer_name = "ADA OBI";
		req.payer_account_number = (char *)p->payer_account;
		req.payer_bank_name = "GTBank";
	}
	rc = test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

/* The id of a posted entry (in the world's arena). */
static const char *
posted(const book *b, const post *p)
{
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;

	assert_int_equal(post_entry(b, p, &resp), 0);
	return resp->entry->id;
}

/* AllocateEntry by the officer by; expected: who they saw it credited to
 * (a reallocation's expected_user_id). */
static int
allocate_as(const book *b, const char *by, const char *entry, const char *user, const char *reason,
	    int reallocate, const char *expected, Kolo__Common__V1__Allocation **out)
{
	Kolo__Ledger__V1__AllocateEntryRequest req = KOLO__LEDGER__V1__ALLOCATE_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__AllocateEntryResponse *resp = NULL;
	int rc;

	req.group_id = (char *)b->team.group;
	req.entry_id = (char *)entry;
	req.user_id = (char *)user;
	req.allocated_by = (char *)by;
	req.reason = (char *)(reason ? reason : "");
	req.reallocate = reallocate;
	req.expected_user_id = (char *)(expected ? expected : "");
	rc = test_world_call(&w, &w.ledger, "AllocateEntry", &req, &resp, NULL);
	if (out)
		*out = rc == 0 ? resp->allocation : NULL;
	return rc;
}

/* A first allocation by the treasurer. */
static int
allocate(const book *b, const char *entry, const char *user, Kolo__Common__V1__Allocation **out)
{
	return allocate_as(b, b->team.treasurer.id, entry, user, "", 0, NULL, out);
}

/* A reallocation by the treasurer, who saw it credited to expected. */
static int
reallocate(const book *b, const char *entry, const char *user, const char *reason,
	   const char *expected, Kolo__Common__V1__Allocation **out)
{
	return allocate_as(b, b->team.treasurer.id, entry, user, reason, 1, expected, out);
}

static Kolo__Ledger__V1__ListContributionsResponse *
contributions(const book *b, const char *user)
{
	Kolo__Ledger__V1__ListContributionsRequest req =
		KOLO__LEDGER__V1__LIST_CONTRIBUTIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListContributionsResponse *resp = NULL;

	req.group_id = (char *)b->team.group;
	req.user_id = (char *)(user ? user : "");
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &resp, NULL), 0);
	assert_int_equal(resp->attributed_kobo + resp->unallocated_kobo, resp->deposits_kobo);
	return resp;
}

static Kolo__Ledger__V1__ListAllocationsResponse *
trail(const book *b, const char *entry)
{
	Kolo__Ledger__V1__ListAllocationsRequest req =
		KOLO__LEDGER__V1__LIST_ALLOCATIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListAllocationsResponse *resp = NULL;

	req.group_id = (char *)b->team.group;
	req.entry_id = (char *)entry;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListAllocations", &req, &resp, NULL), 0);
	return resp;
}

static long
rows(const char *what, const char *entry)
{
	return test_pg_longf(w.admin, "SELECT count(*) FROM %s WHERE entry_id = '%s'", what, entry);
}

/* deposit.allocated events of an entry in the ledger's outbox. */
static long
told(const char *entry)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM ledger_outbox WHERE"
			     " type = 'deposit.allocated' AND data->>'entry_id' = '%s'",
			     entry);
}

/* A deposit credited at credit time keeps its first member and payer: a
 * re-sent webhook with another (or no) attribution is a replay, not a
 * conflict, and attributes nothing twice. */
static void
test_credit_time_attribution_stands_on_replay(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	Kolo__Ledger__V1__ListContributionsResponse *c;
	const char *id;

	(void)state;
	open_book(&b, "ctb-replay");
	id = posted(&b, &(post){CREDIT, 5000, "ctb-replay-1", b.team.member.id, "0123456789"});
	assert_int_equal(
		post_entry(&b, &(post){CREDIT, 5000, "ctb-replay-1", "", "9999999999"}, &resp), 0);
	assert_true(resp->replayed);
	assert_string_equal(resp->entry->id, id);
	assert_string_equal(resp->entry->user_id, b.team.member.id);
	assert_int_equal(
		post_entry(&b, &(post){CREDIT, 5000, "ctb-replay-1", b.team.owner.id}, &resp), 0);
	assert_true(resp->replayed);
	assert_string_equal(resp->entry->user_id, b.team.member.id);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_deposit_payer WHERE"
				       " entry_id = '%s' AND payer_account_number = '0123456789'",
				       id),
			 1);
	/* other content is still a conflict */
	assert_int_equal(post_entry(&b, &(post){CREDIT, 5001, "ctb-replay-1"}, NULL),
			 ERR_ALREADY_EXISTS);
	c = contributions(&b, b.team.member.id);
	assert_int_equal(c->n_contributions, 1);
	assert_string_equal(c->contributions[0]->kind, "deposit");
	assert_int_equal(c->contributions[0]->amount_kobo, 5000);
	assert_int_equal(c->attributed_kobo, 5000);
	assert_int_equal(c->unallocated_kobo, 0);
	/* a payer on a debit is refused */
	assert_int_equal(post_entry(&b, &(post){DEBIT, 10, "ctb-replay-2", "", "0123456789"}, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_entry WHERE"
				       " group_id = '%s'",
				       b.team.group),
			 1);
}

/* Unallocated deposits are listed oldest first with their payer, paged,
 * with their sum; an officer's allocation takes one off the list, once. */
static void
test_allocate_an_unallocated_deposit(void **state)
{
	book b;
	Kolo__Ledger__V1__ListUnallocatedRequest req =
		KOLO__LEDGER__V1__LIST_UNALLOCATED_REQUEST__INIT;
	Kolo__Ledger__V1__ListUnallocatedResponse *u = NULL;
	Kolo__Common__V1__Allocation *a = NULL;
	Kolo__Ledger__V1__ListContributionsResponse *c;
	const char *d1, *d2;

	(void)state;
	open_book(&b, "ctb-alloc");
	d1 = posted(&b, &(post){CREDIT, 3000, "ctb-alloc-1", "", "0123456789"});
	d2 = posted(&b, &(post){CREDIT, 4000, "ctb-alloc-2"});
	posted(&b, &(post){CREDIT, 1000, "ctb-alloc-3", b.team.owner.id});
	req.group_id = b.team.group;
	req.page_size = 1;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListUnallocated", &req, &u, NULL), 0);
	assert_int_equal(u->n_entries, 1);
	assert_string_equal(u->entries[0]->entry->id, d1);
	assert_string_equal(u->entries[0]->payer_account_number, "0123456789");
	assert_string_equal(u->entries[0]->payer_name, "ADA OBI");
	assert_int_equal(u->unallocated_kobo, 7000);
	assert_true(u->next_page_token[0]);
	req.page_token = u->next_page_token;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListUnallocated", &req, &u, NULL), 0);
	assert_int_equal(u->n_entries, 1);
	assert_string_equal(u->entries[0]->entry->id, d2);
	assert_string_equal(u->next_page_token, "");

	assert_int_equal(allocate(&b, d1, b.team.member.id, &a), 0);
	assert_string_equal(a->user_id, b.team.member.id);
	assert_string_equal(a->method, "officer");
	assert_string_equal(a->allocated_by, b.team.treasurer.id);
	assert_string_equal(a->superseded_at, "");
	assert_int_equal(allocate(&b, d1, b.team.owner.id, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "entry_already_allocated");
	assert_int_equal(rows("ledger_allocation", d1), 1);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_outbox WHERE"
			      " type = 'deposit.allocated' AND data->>'entry_id' = '%s' AND"
			      " data->>'previous_user_id' = '' AND user_id = '%s'",
			      d1, b.team.member.id),
		1);

	req.page_token = "";
	req.page_size = 0;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListUnallocated", &req, &u, NULL), 0);
	assert_int_equal(u->n_entries, 1);
	assert_int_equal(u->unallocated_kobo, 4000);
	c = contributions(&b, NULL);
	assert_int_equal(c->n_totals, 2);
	assert_int_equal(c->attributed_kobo, 4000);
	assert_int_equal(c->unallocated_kobo, 4000);
	assert_int_equal(c->deposits_kobo, 8000);
}

/* Reallocation needs a reason and another member; it supersedes the row in
 * force, which stays on the trail with when and by which. */
static void
test_reallocate_keeps_a_trail(void **state)
{
	book b;
	Kolo__Common__V1__Allocation *first = NULL, *second = NULL;
	Kolo__Ledger__V1__ListAllocationsResponse *t;
	const char *d;

	(void)state;
	open_book(&b, "ctb-realloc");
	d = posted(&b, &(post){CREDIT, 2500, "ctb-realloc-1", b.team.owner.id});
	assert_int_equal(reallocate(&b, d, b.team.member.id, "", b.team.owner.id, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "reason_required");
	assert_int_equal(allocate(&b, d, b.team.member.id, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "entry_already_allocated");
	assert_int_equal(reallocate(&b, d, b.team.owner.id, "same", b.team.owner.id, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "same_member");
	assert_int_equal(rows("ledger_allocation", d), 0);
	assert_int_equal(
		reallocate(&b, d, b.team.member.id, "paid for Ada", b.team.owner.id, &first), 0);
	/* the treasurer's own: another officer must */
	assert_int_equal(allocate_as(&b, b.team.owner.id, d, b.team.treasurer.id,
				     "it was the treasurer's", 1, b.team.member.id, &second),
			 0);
	assert_string_equal(second->allocated_by, b.team.owner.id);
	t = trail(&b, d);
	assert_string_equal(t->user_id, b.team.treasurer.id);
	assert_int_equal(t->n_allocations, 3);
	assert_string_equal(t->allocations[0]->method, "payer_account");
	assert_string_equal(t->allocations[0]->id, "");
	assert_string_equal(t->allocations[0]->user_id, b.team.owner.id);
	assert_string_equal(t->allocations[0]->superseded_by, first->id);
	assert_string_equal(t->allocations[1]->id, first->id);
	assert_string_equal(t->allocations[1]->reason, "paid for Ada");
	assert_string_equal(t->allocations[1]->superseded_by, second->id);
	assert_true(t->allocations[1]->superseded_at[0]);
	assert_string_equal(t->allocations[2]->id, second->id);
	assert_string_equal(t->allocations[2]->superseded_at, "");
	assert_int_equal(contributions(&b, b.team.owner.id)->n_contributions, 0);
	assert_int_equal(contributions(&b, b.team.treasurer.id)->n_contributions, 1);
	/* each allocation told its members in its transaction: refusals nothing */
	assert_int_equal(told(d), 2);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_outbox WHERE"
				       " type = 'deposit.allocated' AND group_id = '%s' AND"
				       " user_id = '%s' AND actor_id = '%s' AND"
				       " data->>'previous_user_id' = '%s' AND"
				       " data->>'allocation_id' = '%s' AND"
				       " (data->>'amount_kobo')::bigint = 2500 AND"
				       " data->>'reason' = 'paid for Ada' AND"
				       " data->>'allocated_by' = '%s'",
				       b.team.group, b.team.member.id, b.team.treasurer.id,
				       b.team.owner.id, first->id, b.team.treasurer.id),
			 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_outbox WHERE"
				       " type = 'deposit.allocated' AND user_id = '%s' AND"
				       " actor_id = '%s' AND data->>'previous_user_id' = '%s'",
				       b.team.treasurer.id, b.team.owner.id, b.team.member.id),
			 1);
}

/* Two officers reallocating from the same view: the second is told the
 * deposit moved (allocation_changed), and nothing of it is written; a
 * reallocation must say what the officer saw. */
static void
test_a_stale_reallocation_is_refused(void **state)
{
	book b;
	Kolo__Ledger__V1__ListAllocationsResponse *t;
	const char *d;

	(void)state;
	open_book(&b, "ctb-stale");
	d = posted(&b, &(post){CREDIT, 1500, "ctb-stale-1", b.team.member.id});
	assert_int_equal(reallocate(&b, d, b.team.owner.id, "paid for the owner", "", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "missing_field");
	/* both saw it credited to the member */
	assert_int_equal(allocate_as(&b, b.team.owner.id, d, b.team.treasurer.id,
				     "the treasurer paid", 1, b.team.member.id, NULL),
			 0);
	assert_int_equal(
		reallocate(&b, d, b.team.owner.id, "the owner paid", b.team.member.id, NULL),
		ERR_ABORTED);
	assert_string_equal(err_last()->reason, "allocation_changed");
	assert_int_equal(rows("ledger_allocation", d), 1);
	assert_int_equal(told(d), 1);
	t = trail(&b, d);
	assert_string_equal(t->user_id, b.team.treasurer.id);
	/* with what is in force now it goes through */
	assert_int_equal(
		reallocate(&b, d, b.team.owner.id, "the owner paid", b.team.treasurer.id, NULL), 0);
	assert_string_equal(trail(&b, d)->user_id, b.team.owner.id);
}

/* Nobody credits a deposit to themselves, first nor again: nothing written. */
static void
test_no_self_allocation(void **state)
{
	book b;
	const char *d, *mine;

	(void)state;
	open_book(&b, "ctb-self");
	d = posted(&b, &(post){CREDIT, 1200, "ctb-self-1"});
	mine = posted(&b, &(post){CREDIT, 1300, "ctb-self-2", b.team.member.id});
	assert_int_equal(allocate(&b, d, b.team.treasurer.id, NULL), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "self_allocation");
	assert_int_equal(reallocate(&b, mine, b.team.treasurer.id, "mine", b.team.member.id, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "self_allocation");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_allocation WHERE"
				       " group_id = '%s'",
				       b.team.group),
			 0);
	assert_int_equal(told(d) + told(mine), 0);
	assert_int_equal(contributions(&b, b.team.treasurer.id)->n_contributions, 0);
}

/* Only a deposit CREDIT of the group is credited to a member. */
static void
test_only_deposits_are_allocated(void **state)
{
	book b, other;
	const char *debit, *payout_back, *foreign;

	(void)state;
	open_book(&b, "ctb-notdep");
	open_book(&other, "ctb-notdep-o");
	posted(&b, &(post){CREDIT, 9000, "ctb-notdep-1"});
	debit = posted(&b, &(post){DEBIT, 1000, "ctb-notdep-2"});
	payout_back = posted(&b, &(post){CREDIT, 1000, "ctb-notdep-3", .source = "payout"});
	foreign = posted(&other, &(post){CREDIT, 1000, "ctb-notdep-4"});
	assert_int_equal(allocate(&b, debit, b.team.member.id, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_a_deposit");
	assert_int_equal(allocate(&b, payout_back, b.team.member.id, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_a_deposit");
	assert_int_equal(allocate(&b, foreign, b.team.member.id, NULL), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "entry_not_found");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_allocation WHERE"
				       " group_id IN ('%s', '%s')",
				       b.team.group, other.team.group),
			 0);
}

typedef struct racer {
	const book *b;
	const char *entry;
	const char *user;
	int rc;
} racer;

static void *
racer_run(void *arg)
{
	racer *r = arg;

	r->rc = allocate(r->b, r->entry, r->user, NULL);
	return NULL;
}

/* Two officers allocating one deposit at once: one wins, the other is told. */
static void
test_concurrent_allocations_one_wins(void **state)
{
	book b;
	racer r[2];
	pthread_t t[2];
	const char *d;

	(void)state;
	open_book(&b, "ctb-race");
	d = posted(&b, &(post){CREDIT, 700, "ctb-race-1"});
	r[0] = (racer){&b, d, b.team.member.id, -1};
	r[1] = (racer){&b, d, b.team.owner.id, -1};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer_run, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal((r[0].rc == 0) + (r[1].rc == 0), 1);
	assert_int_equal(r[0].rc + r[1].rc, ERR_ALREADY_EXISTS);
	assert_int_equal(rows("ledger_allocation", d), 1);
}

/* A chargeback takes back one deposit, whole, once: off the member it is
 * credited to now, reallocation included. */
static void
test_a_reversal_comes_off_the_member(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	Kolo__Ledger__V1__ListContributionsResponse *c;
	const char *d, *payout_back, *rev;

	(void)state;
	open_book(&b, "ctb-rev");
	d = posted(&b, &(post){CREDIT, 6000, "ctb-rev-1", b.team.owner.id});
	posted(&b, &(post){CREDIT, 2000, "ctb-rev-2", b.team.member.id});
	payout_back = posted(&b, &(post){CREDIT, 500, "ctb-rev-3", .source = "payout"});
	(void)payout_back;
	assert_int_equal(
		post_entry(&b,
			   &(post){DEBIT, 5999, "chargeback:ctb-rev-1", .reverses = "ctb-rev-1"},
			   NULL),
		ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "reversal_amount_mismatch");
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 500, "chargeback:ctb-rev-3", .reverses = "ctb-rev-3"},
			   NULL),
		ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_a_deposit");
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 500, "chargeback:nope", .reverses = "ctb-rev-nope"},
			   NULL),
		ERR_NOT_FOUND);
	assert_int_equal(
		post_entry(&b, &(post){CREDIT, 500, "ctb-rev-x", .reverses = "ctb-rev-1"}, NULL),
		ERR_INVALID_ARGUMENT);
	assert_int_equal(reallocate(&b, d, b.team.member.id, "wrong payer", b.team.owner.id, NULL),
			 0);
	c = contributions(&b, b.team.member.id);
	assert_int_equal(c->n_contributions, 2);

	rev = posted(&b, &(post){DEBIT, 6000, "chargeback:ctb-rev-1", .reverses = "ctb-rev-1"});
	assert_int_equal(
		post_entry(&b,
			   &(post){DEBIT, 6000, "chargeback:ctb-rev-1", .reverses = "ctb-rev-1"},
			   &resp),
		0);
	assert_true(resp->replayed);
	assert_string_equal(resp->entry->id, rev);
	assert_int_equal(
		post_entry(&b,
			   &(post){DEBIT, 6000, "chargeback2:ctb-rev-1", .reverses = "ctb-rev-1"},
			   NULL),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "deposit_already_reversed");
	/* the reversal's reference again without the link, or a plain debit's
	 * reference with one: other content */
	assert_int_equal(post_entry(&b, &(post){DEBIT, 6000, "chargeback:ctb-rev-1"}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	posted(&b, &(post){DEBIT, 2000, "ctb-rev-plain"});
	assert_int_equal(post_entry(&b,
				    &(post){DEBIT, 2000, "ctb-rev-plain", .reverses = "ctb-rev-2"},
				    NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_reversal WHERE"
				       " group_id = '%s'",
				       b.team.group),
			 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_reversal WHERE"
				       " group_id = '%s'",
				       b.team.group),
			 1);
	c = contributions(&b, b.team.member.id);
	assert_int_equal(c->n_contributions, 3);
	assert_string_equal(c->contributions[2]->kind, "reversal");
	assert_int_equal(c->contributions[2]->amount_kobo, -6000);
	assert_string_equal(c->contributions[2]->entry_id, rev);
	assert_int_equal(c->attributed_kobo, 2000);
	assert_int_equal(c->deposits_kobo, 2000);
	c = contributions(&b, NULL);
	assert_int_equal(c->n_totals, 1);
	assert_int_equal(c->totals[0]->paid_kobo, 2000);
	assert_int_equal(reallocate(&b, d, b.team.owner.id, "back", b.team.member.id, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "deposit_reversed");
}

/* A reversal above the balance is refused like any debit, for ever. */
static void
test_a_reversal_beyond_the_balance_is_refused(void **state)
{
	book b;

	(void)state;
	open_book(&b, "ctb-revbal");
	posted(&b, &(post){CREDIT, 6000, "ctb-revbal-1"});
	posted(&b, &(post){DEBIT, 1000, "ctb-revbal-2"});
	assert_int_equal(post_entry(&b,
				    &(post){DEBIT, 6000, "chargeback:ctb-revbal-1",
					    .reverses = "ctb-revbal-1"},
				    NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_reversal WHERE"
				       " group_id = '%s'",
				       b.team.group),
			 0);
	assert_int_equal(contributions(&b, NULL)->unallocated_kobo, 6000);
}

/* until bounds a member's lines and the sums by the entries' times. */
static void
test_contributions_until(void **state)
{
	book b;
	Kolo__Ledger__V1__ListContributionsRequest req =
		KOLO__LEDGER__V1__LIST_CONTRIBUTIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListContributionsResponse *c = NULL;
	const char *first;
	char *until;

	(void)state;
	open_book(&b, "ctb-until");
	first = posted(&b, &(post){CREDIT, 1000, "ctb-until-1", b.team.member.id});
	posted(&b, &(post){CREDIT, 2000, "ctb-until-2", b.team.member.id});
	posted(&b, &(post){CREDIT, 4000, "ctb-until-3"});
	until = test_pg_valuef(w.admin,
			       "SELECT to_char(created_at + interval '1 microsecond',"
			       " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ledger_entry WHERE"
			       " id = '%s'",
			       first);
	req.group_id = b.team.group;
	req.user_id = b.team.member.id;
	req.until = until;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL), 0);
	assert_int_equal(c->n_contributions, 1);
	assert_string_equal(c->contributions[0]->entry_id, first);
	assert_int_equal(c->deposits_kobo, 1000);
	req.until = "";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL), 0);
	assert_int_equal(c->n_contributions, 2);
	assert_int_equal(c->attributed_kobo, 3000);
	assert_int_equal(c->unallocated_kobo, 4000);
	req.user_id = "";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL), 0);
	assert_int_equal(c->n_totals, 1);
	assert_string_equal(c->totals[0]->user_id, b.team.member.id);
	assert_int_equal(c->totals[0]->paid_kobo, 3000);
	assert_true(c->totals[0]->last_paid_at[0]);
	req.until = "yesterday";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_time");
	free(until);
}

/* A reversed deposit is no payment: last_paid_at is the latest deposit
 * not reversed before until, and the deposit's line says it was. */
static void
test_last_paid_at_skips_a_reversed_deposit(void **state)
{
	book b;
	Kolo__Ledger__V1__ListContributionsRequest req =
		KOLO__LEDGER__V1__LIST_CONTRIBUTIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListContributionsResponse *c = NULL;
	const char *rev;
	char first_at[40], second_at[40];
	char *until;

	(void)state;
	open_book(&b, "ctb-lastpaid");
	posted(&b, &(post){CREDIT, 1000, "ctb-lastpaid-1", b.team.member.id});
	posted(&b, &(post){CREDIT, 2000, "ctb-lastpaid-2", b.team.member.id});
	c = contributions(&b, b.team.member.id);
	assert_int_equal(c->n_contributions, 2);
	snprintf(first_at, sizeof(first_at), "%s", c->contributions[0]->created_at);
	snprintf(second_at, sizeof(second_at), "%s", c->contributions[1]->created_at);
	assert_string_not_equal(first_at, second_at);
	rev = posted(&b, &(post){DEBIT, 2000, "chargeback:ctb-lastpaid-2",
				 .reverses = "ctb-lastpaid-2"});
	c = contributions(&b, b.team.member.id);
	assert_int_equal(c->n_contributions, 3);
	assert_false(c->contributions[0]->reversed);
	assert_true(c->contributions[1]->reversed);
	assert_string_equal(c->contributions[2]->kind, "reversal");
	assert_false(c->contributions[2]->reversed);
	c = contributions(&b, NULL);
	assert_int_equal(c->n_totals, 1);
	assert_int_equal(c->totals[0]->paid_kobo, 1000);
	assert_string_equal(c->totals[0]->last_paid_at, first_at);
	/* Until the reversal's instant (exclusive) the deposit stands. */
	until = test_pg_valuef(w.admin,
			       "SELECT to_char(created_at,"
			       " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ledger_entry WHERE"
			       " id = '%s'",
			       rev);
	req.group_id = b.team.group;
	req.until = until;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL), 0);
	assert_int_equal(c->totals[0]->paid_kobo, 3000);
	assert_string_equal(c->totals[0]->last_paid_at, second_at);
	req.user_id = b.team.member.id;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListContributions", &req, &c, NULL), 0);
	assert_int_equal(c->n_contributions, 2);
	assert_false(c->contributions[1]->reversed);
	free(until);
}

/* An allocation waits for the group's ledger lock a bounded time, as a
 * posting does: busy, nothing written; it goes through once the lock is free. */
static void
test_an_allocation_waits_for_the_group_lock(void **state)
{
	book b;
	char *conninfo = test_pg_conninfo(w.dbname, NULL);
	PGconn *holder = test_pg_connect(conninfo);
	char sql[256];
	const char *d;

	(void)state;
	free(conninfo);
	open_book(&b, "ctb-busy");
	d = posted(&b, &(post){CREDIT, 900, "ctb-busy-1"});
	snprintf(sql, sizeof(sql), "SELECT 1 FROM ledger_balance WHERE group_id = '%s' FOR UPDATE",
		 b.team.group);
	test_pg_ok(holder, "BEGIN");
	test_pg_ok(holder, sql);
	ldg_set_lock_wait_ms(200);
	assert_int_equal(allocate(&b, d, b.team.member.id, NULL), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "group_busy");
	assert_int_equal(rows("ledger_allocation", d), 0);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	assert_int_equal(allocate(&b, d, b.team.member.id, NULL), 0);
	ldg_set_lock_wait_ms(LDG_LOCK_WAIT_DEFAULT_MS);
}

/* invariants.sql catches a row broken by hand (as the superuser). */
static void
test_invariants_catch_broken_rows(void **state)
{
	book b;
	const char *d, *debit;

	(void)state;
	open_book(&b, "ctb-broken");
	d = posted(&b, &(post){CREDIT, 3000, "ctb-broken-1"});
	debit = posted(&b, &(post){DEBIT, 1000, "ctb-broken-2"});
	assert_int_equal(test_pg_invariant_count(w.admin, "allocation_not_a_deposit"), 0);
	test_pg_ok(w.admin, "BEGIN");
	test_pg_ok(w.admin, "DROP INDEX ledger_allocation_in_force");
	{
		char sql[512];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO ledger_allocation (entry_id, group_id, user_id, allocated_by)"
			 " VALUES ('%s', '%s', '%s', '%s'), ('%s', '%s', '%s', '%s')",
			 d, b.team.group, b.team.member.id, b.team.owner.id, d, b.team.group,
			 b.team.owner.id, b.team.owner.id);
		test_pg_ok(w.admin, sql);
		assert_int_equal(test_pg_invariant_count(w.admin, "allocation_in_force_twice"), 1);
		assert_int_equal(test_pg_invariant_count(w.admin, "contributions_sum"), 1);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO ledger_reversal (entry_id, reverses_entry_id, group_id)"
			 " VALUES ('%s', '%s', '%s')",
			 debit, d, b.team.group);
		test_pg_ok(w.admin, sql);
		assert_int_equal(test_pg_invariant_count(w.admin, "reversal_mismatch"), 1);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO ledger_allocation (entry_id, group_id, user_id, allocated_by)"
			 " VALUES ('%s', '%s', '%s', '%s')",
			 debit, b.team.group, b.team.member.id, b.team.owner.id);
		test_pg_ok(w.admin, sql);
		assert_int_equal(test_pg_invariant_count(w.admin, "allocation_not_a_deposit"), 1);
		/* A chargeback DEBIT with no link to the deposit it takes back. */
		assert_int_equal(test_pg_invariant_count(w.admin, "chargeback_unlinked"), 0);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo,"
			 " reference) SELECT group_id, account_id, 'DEBIT', 1,"
			 " 'chargeback:ctb-broken-3' FROM ledger_entry WHERE id = '%s'",
			 debit);
		test_pg_ok(w.admin, sql);
		assert_int_equal(test_pg_invariant_count(w.admin, "chargeback_unlinked"), 1);
	}
	test_pg_ok(w.admin, "ROLLBACK");
	assert_int_equal(test_pg_invariant_count(w.admin, "allocation_in_force_twice"), 0);
}

/* --- groups: the officers' side ---------------------------------------------- */

/* AllocateDeposit as the user as; a reason means a reallocation (expected:
 * who as saw it credited to, NULL for none). */
static int
reallocate_deposit(const book *b, const test_user *as, const char *entry, const char *user,
		   const char *pin, const char *reason, const char *expected,
		   Kolo__Common__V1__Allocation **out)
{
	Kolo__Groups__V1__AllocateDepositRequest req =
		KOLO__GROUPS__V1__ALLOCATE_DEPOSIT_REQUEST__INIT;
	Kolo__Groups__V1__AllocateDepositResponse *resp = NULL;
	int rc;

	req.group_id = (char *)b->team.group;
	req.entry_id = (char *)entry;
	req.user_id = (char *)user;
	req.pin = (char *)pin;
	req.reason = (char *)(reason ? reason : "");
	req.reallocate = reason != NULL;
	req.expected_user_id = (char *)(expected ? expected : "");
	rc = test_world_call(&w, &w.groups, "AllocateDeposit", &req, &resp, as);
	if (out)
		*out = rc == 0 ? resp->allocation : NULL;
	return rc;
}

static int
allocate_deposit(const book *b, const test_user *as, const char *entry, const char *user,
		 const char *pin, const char *reason, Kolo__Common__V1__Allocation **out)
{
	return reallocate_deposit(b, as, entry, user, pin, reason, NULL, out);
}

static int
group_trail(const book *b, const test_user *as, const char *entry,
	    Kolo__Groups__V1__ListAllocationsResponse **out)
{
	Kolo__Groups__V1__ListAllocationsRequest req =
		KOLO__GROUPS__V1__LIST_ALLOCATIONS_REQUEST__INIT;

	req.group_id = (char *)b->team.group;
	req.entry_id = (char *)entry;
	return test_world_call(&w, &w.groups, "ListAllocations", &req, out, as);
}

/* Officers list unallocated deposits (the payer's account masked) and
 * allocate one with their PIN to a member of the group now; the member it
 * is credited to sees its trail. */
static void
test_officers_allocate_with_a_pin(void **state)
{
	book b, other;
	Kolo__Groups__V1__ListUnallocatedRequest req =
		KOLO__GROUPS__V1__LIST_UNALLOCATED_REQUEST__INIT;
	Kolo__Groups__V1__ListUnallocatedResponse *u = NULL;
	Kolo__Groups__V1__ListAllocationsResponse *t = NULL;
	Kolo__Common__V1__Allocation *a = NULL;
	const char *d;

	(void)state;
	test_world_team(&w, &b.team, "ctb-grp", "Allocations", TEST_TEAM_PINS);
	test_world_account(&w, b.team.group, b.account);
	open_book(&other, "ctb-grp-o");
	d = posted(&b, &(post){CREDIT, 4200, "ctb-grp-1", "", "0123456789"});
	req.group_id = b.team.group;
	assert_int_equal(
		test_world_call(&w, &w.groups, "ListUnallocated", &req, &u, &b.team.member),
		ERR_PERMISSION_DENIED);
	assert_int_equal(
		test_world_call(&w, &w.groups, "ListUnallocated", &req, &u, &other.team.owner),
		ERR_NOT_FOUND);
	assert_int_equal(
		test_world_call(&w, &w.groups, "ListUnallocated", &req, &u, &b.team.treasurer), 0);
	assert_int_equal(u->n_deposits, 1);
	assert_string_equal(u->deposits[0]->entry->id, d);
	assert_string_equal(u->deposits[0]->sender_account_number, "******6789");
	assert_string_equal(u->deposits[0]->sender_name, "ADA OBI");
	assert_string_equal(u->deposits[0]->sender_bank_name, "GTBank");
	assert_int_equal(u->unallocated_kobo, 4200);

	/* wrong PIN, a member's own try, someone of another group: nothing */
	assert_int_equal(
		allocate_deposit(&b, &b.team.treasurer, d, b.team.member.id, "000000", NULL, NULL),
		ERR_PERMISSION_DENIED);
	assert_int_equal(
		allocate_deposit(&b, &b.team.member, d, b.team.member.id, TEST_PIN, NULL, NULL),
		ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "officer_only");
	assert_int_equal(allocate_deposit(&b, &b.team.treasurer, d, other.team.member.id, TEST_PIN,
					  NULL, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_a_member");
	assert_int_equal(
		allocate_deposit(&b, &b.team.treasurer, d, b.team.member.id, "", NULL, NULL),
		ERR_INVALID_ARGUMENT);
	assert_int_equal(rows("ledger_allocation", d), 0);

	assert_int_equal(
		allocate_deposit(&b, &b.team.treasurer, d, b.team.member.id, TEST_PIN, NULL, &a),
		0);
	assert_string_equal(a->user_id, b.team.member.id);
	assert_string_equal(a->allocated_by, b.team.treasurer.id);
	assert_int_equal(
		allocate_deposit(&b, &b.team.owner, d, b.team.treasurer.id, TEST_PIN, NULL, NULL),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "entry_already_allocated");
	assert_int_equal(
		allocate_deposit(&b, &b.team.owner, d, b.team.treasurer.id, TEST_PIN, "", NULL),
		ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "reason_required");
	assert_int_equal(allocate_deposit(&b, &b.team.owner, d, b.team.treasurer.id, TEST_PIN,
					  "the treasurer paid", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "missing_field");

	assert_int_equal(group_trail(&b, &b.team.member, d, &t), 0);
	assert_int_equal(t->n_allocations, 1);
	/* a request_id: a retry gets the first reply and allocates nothing */
	{
		Kolo__Groups__V1__AllocateDepositRequest r =
			KOLO__GROUPS__V1__ALLOCATE_DEPOSIT_REQUEST__INIT;
		Kolo__Groups__V1__AllocateDepositResponse *r1 = NULL, *r2 = NULL;
		const char *d2 = posted(&b, &(post){CREDIT, 100, "ctb-grp-2"});

		r.group_id = b.team.group;
		r.entry_id = (char *)d2;
		r.user_id = b.team.member.id;
		r.pin = TEST_PIN;
		r.request_id = "alloc-key-1";
		assert_int_equal(
			test_world_call(&w, &w.groups, "AllocateDeposit", &r, &r1, &b.team.owner),
			0);
		assert_int_equal(
			test_world_call(&w, &w.groups, "AllocateDeposit", &r, &r2, &b.team.owner),
			0);
		assert_string_equal(r1->allocation->id, r2->allocation->id);
		assert_int_equal(rows("ledger_allocation", d2), 1);
		r.pin = "000000"; /* the PIN is checked on a replay too */
		assert_int_equal(
			test_world_call(&w, &w.groups, "AllocateDeposit", &r, &r2, &b.team.owner),
			ERR_PERMISSION_DENIED);
		r.pin = TEST_PIN;
		r.user_id = b.team.treasurer.id;
		assert_int_equal(
			test_world_call(&w, &w.groups, "AllocateDeposit", &r, &r2, &b.team.owner),
			ERR_ALREADY_EXISTS);
		assert_string_equal(err_last()->reason, "request_id_reused");
	}
	assert_int_equal(group_trail(&b, &b.team.owner, d, &t), 0);
	assert_int_equal(reallocate_deposit(&b, &b.team.owner, d, b.team.treasurer.id, TEST_PIN,
					    "the treasurer paid", b.team.member.id, NULL),
			 0);
	/* no longer credited to the member: the trail is the officers' */
	assert_int_equal(group_trail(&b, &b.team.member, d, &t), ERR_PERMISSION_DENIED);
	assert_int_equal(group_trail(&b, &b.team.owner, d, &t), 0);
	assert_int_equal(t->n_allocations, 2);
	assert_string_equal(t->allocations[1]->reason, "the treasurer paid");
	assert_string_equal(t->allocations[0]->superseded_by, t->allocations[1]->id);
	assert_int_equal(test_world_call(&w, &w.groups, "ListUnallocated", &req, &u, &b.team.owner),
			 0);
	assert_int_equal(u->n_deposits, 0);
	assert_int_equal(u->unallocated_kobo, 0);
}

/* Officers from one view: the second reallocation is told the deposit
 * moved, nothing written; an officer never credits one to themselves. */
static void
test_officers_stale_and_self(void **state)
{
	book b;
	const char *d;

	(void)state;
	test_world_team(&w, &b.team, "ctb-grp-stale", "Stale views", TEST_TEAM_PINS);
	test_world_account(&w, b.team.group, b.account);
	d = posted(&b, &(post){CREDIT, 2100, "ctb-grp-stale-1", b.team.member.id});
	assert_int_equal(reallocate_deposit(&b, &b.team.owner, d, b.team.treasurer.id, TEST_PIN,
					    "the treasurer paid", b.team.member.id, NULL),
			 0);
	assert_int_equal(reallocate_deposit(&b, &b.team.treasurer, d, b.team.owner.id, TEST_PIN,
					    "the owner paid", b.team.member.id, NULL),
			 ERR_ABORTED);
	assert_string_equal(err_last()->reason, "allocation_changed");
	assert_int_equal(rows("ledger_allocation", d), 1);
	/* self: refused before the PIN, the ledger untouched */
	assert_int_equal(reallocate_deposit(&b, &b.team.owner, d, b.team.owner.id, TEST_PIN, "mine",
					    b.team.treasurer.id, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "self_allocation");
	d = posted(&b, &(post){CREDIT, 2200, "ctb-grp-stale-2"});
	assert_int_equal(allocate_deposit(&b, &b.team.treasurer, d, b.team.treasurer.id, TEST_PIN,
					  NULL, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "self_allocation");
	assert_int_equal(rows("ledger_allocation", d), 0);
}

/* AllocateDeposit r as officer, its status; the log lines written
 * meanwhile into logged (stderr through a file). */
static int
allocate_logged(const Kolo__Groups__V1__AllocateDepositRequest *r, const test_user *officer,
		Kolo__Groups__V1__AllocateDepositResponse **resp, char *logged, size_t cap)
{
	FILE *f = tmpfile();
	int saved, rc;
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	rc = test_world_call(&w, &w.groups, "AllocateDeposit", r, resp, officer);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(logged, 1, cap - 1, f);
	logged[n] = '\0';
	fclose(f);
	return rc;
}

/* The ledger wrote an allocation but groups died before storing its
 * reply: the retry with the request_id answers that allocation as a
 * replay (first and reallocation alike); another request's does not. */
static void
test_a_retry_after_a_partial_failure(void **state)
{
	book b;
	Kolo__Groups__V1__AllocateDepositRequest r =
		KOLO__GROUPS__V1__ALLOCATE_DEPOSIT_REQUEST__INIT;
	Kolo__Groups__V1__AllocateDepositResponse *resp = NULL;
	Kolo__Common__V1__Allocation *first = NULL, *moved = NULL;
	static char logged[65536];
	const char *d;

	(void)state;
	test_world_team(&w, &b.team, "ctb-grp-retry", "Retries", TEST_TEAM_PINS);
	test_world_account(&w, b.team.group, b.account);
	d = posted(&b, &(post){CREDIT, 2300, "ctb-grp-retry-1"});
	/* the first try's ledger half */
	assert_int_equal(allocate(&b, d, b.team.member.id, &first), 0);
	r.group_id = b.team.group;
	r.entry_id = (char *)d;
	r.user_id = b.team.member.id;
	r.pin = TEST_PIN;
	/* no key: the refusal stands */
	assert_int_equal(
		test_world_call(&w, &w.groups, "AllocateDeposit", &r, &resp, &b.team.treasurer),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "entry_already_allocated");
	/* another officer's request: the refusal stands */
	r.request_id = "retry-key-0";
	assert_int_equal(
		test_world_call(&w, &w.groups, "AllocateDeposit", &r, &resp, &b.team.owner),
		ERR_ALREADY_EXISTS);
	r.request_id = "retry-key-1";
	/* Recovered from the ledger: logged now (the first try never was),
	 * marked recovered; its replay is not logged again. */
	assert_int_equal(allocate_logged(&r, &b.team.treasurer, &resp, logged, sizeof(logged)), 0);
	assert_string_equal(resp->allocation->id, first->id);
	assert_non_null(strstr(logged, "\"deposit_allocated\""));
	assert_non_null(strstr(logged, "\"recovered\":\"true\""));
	assert_int_equal(allocate_logged(&r, &b.team.treasurer, &resp, logged, sizeof(logged)), 0);
	assert_string_equal(resp->allocation->id, first->id);
	assert_null(strstr(logged, "\"deposit_allocated\""));
	assert_int_equal(rows("ledger_allocation", d), 1);

	/* a reallocation's ledger half, then its retry */
	assert_int_equal(allocate_as(&b, b.team.owner.id, d, b.team.treasurer.id, "it was hers", 1,
				     b.team.member.id, &moved),
			 0);
	r.user_id = b.team.treasurer.id;
	r.reason = "it was hers";
	r.reallocate = 1;
	r.expected_user_id = b.team.member.id;
	r.request_id = "retry-key-2";
	/* another reason: not this request's */
	r.reason = "it was hers, really";
	assert_int_equal(
		test_world_call(&w, &w.groups, "AllocateDeposit", &r, &resp, &b.team.owner),
		ERR_ABORTED);
	assert_string_equal(err_last()->reason, "allocation_changed");
	r.reason = "it was hers";
	r.request_id = "retry-key-3";
	assert_int_equal(
		test_world_call(&w, &w.groups, "AllocateDeposit", &r, &resp, &b.team.owner), 0);
	assert_string_equal(resp->allocation->id, moved->id);
	assert_int_equal(rows("ledger_allocation", d), 2);
	assert_string_equal(trail(&b, d)->user_id, b.team.treasurer.id);
}

/* --- payments: ReverseDeposit (the demo provider's officers) ------------------ */

static int
reverse(const book *b, const test_user *as, const char *entry, const char *reason,
	Kolo__Payments__V1__ReverseDepositResponse **out)
{
	Kolo__Payments__V1__ReverseDepositRequest req =
		KOLO__PAYMENTS__V1__REVERSE_DEPOSIT_REQUEST__INIT;

	req.group_id = (char *)b->team.group;
	req.entry_id = (char *)entry;
	req.reason = (char *)reason;
	return test_world_call(&w, &w.payments, "ReverseDeposit", &req, out, as);
}

/* An officer reverses a demo deposit: a DEBIT of all of it, once, off the
 * member it was credited to. */
static void
test_officers_reverse_a_demo_deposit(void **state)
{
	book b;
	Kolo__Payments__V1__SimulateDepositRequest dep =
		KOLO__PAYMENTS__V1__SIMULATE_DEPOSIT_REQUEST__INIT;
	Kolo__Payments__V1__SimulateDepositResponse *d = NULL;
	Kolo__Payments__V1__ReverseDepositResponse *r = NULL, *again = NULL;
	Kolo__Ledger__V1__ListContributionsResponse *c;
	const char *payout_back;

	(void)state;
	open_book(&b, "ctb-payrev");
	dep.group_id = b.team.group;
	dep.amount_kobo = 8000;
	assert_int_equal(
		test_world_call(&w, &w.payments, "SimulateDeposit", &dep, &d, &b.team.member), 0);
	c = contributions(&b, NULL);
	assert_int_equal(c->deposits_kobo, 8000);
	assert_int_equal(reverse(&b, &b.team.member, d->entry->id, "chargeback", NULL),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(reverse(&b, &b.team.treasurer, d->entry->id, "", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "reason_required");
	payout_back = posted(&b, &(post){CREDIT, 300, "ctb-payrev-x", .source = "payout"});
	assert_int_equal(reverse(&b, &b.team.treasurer, payout_back, "no", NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_a_deposit");
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_entry WHERE"
				       " group_id = '%s' AND type = 'DEBIT'",
				       b.team.group),
			 0);

	assert_int_equal(reverse(&b, &b.team.treasurer, d->entry->id, "the bank recalled it", &r),
			 0);
	assert_false(r->replayed);
	assert_int_equal(r->entry->amount_kobo, 8000);
	assert_int_equal(strncmp(r->entry->reference, "chargeback:", 11), 0);
	assert_string_equal(r->entry->reference + 11, d->entry->reference);
	assert_int_equal(reverse(&b, &b.team.owner, d->entry->id, "again", &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, r->entry->id);
	/* who and why are on the reversal's row: the first's */
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_reversal WHERE"
				       " entry_id = '%s' AND reverses_entry_id = '%s' AND"
				       " reason = 'the bank recalled it' AND reversed_by = '%s'",
				       r->entry->id, d->entry->id, b.team.treasurer.id),
			 1);
	c = contributions(&b, d->entry->user_id[0] ? d->entry->user_id : NULL);
	assert_int_equal(c->deposits_kobo, 0);
	assert_int_equal(c->attributed_kobo + c->unallocated_kobo, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_credit_time_attribution_stands_on_replay,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_allocate_an_unallocated_deposit,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_reallocate_keeps_a_trail, test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_stale_reallocation_is_refused,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_no_self_allocation, test_world_check_ledger),
		cmocka_unit_test_teardown(test_only_deposits_are_allocated,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_concurrent_allocations_one_wins,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_reversal_comes_off_the_member,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_reversal_beyond_the_balance_is_refused,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_contributions_until, test_world_check_ledger),
		cmocka_unit_test_teardown(test_last_paid_at_skips_a_reversed_deposit,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_an_allocation_waits_for_the_group_lock,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_invariants_catch_broken_rows,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_officers_allocate_with_a_pin,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_officers_stale_and_self, test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_retry_after_a_partial_failure,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_officers_reverse_a_demo_deposit,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
