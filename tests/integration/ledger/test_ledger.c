/* kolo-ledger over real gRPC against a throwaway PostgreSQL, with identity
 * and groups in the same process. After every test the ledger invariant
 * (balance = credits - debits >= 0 for every group) is checked in SQL. */
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

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "ledger_service.h"
#include "membership/membership.h"
#include "money/money.h"
#include "test_world.h"

#define CREDIT KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT
#define DEBIT  KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT

static test_world w;

/* After each test: the books add up, and no test leaves the reader cache
 * on for the next (it is off in this process unless a test turns it on). */
static int
check_invariant(void **state)
{
	membership_reader_cache_set_ttl(0);
	test_pg_ledger_invariant(w.admin);
	return 0;
}

/* A group with an account, owned by a fresh user. */
typedef struct book {
	test_user owner;
	char group[64];
	char account[64];
} book;

static void
open_book(book *b, const char *tag)
{
	test_identity_user(&w.identity, &b->owner, tag);
	test_world_group(&w, &b->owner, "Ledger group", b->group);
	test_world_account(&w, b->group, b->account);
}

typedef struct post {
	/* Unnamed fields are zero: `(post){ CREDIT, 100, "ref" }`. */
	int type;
	int64_t amount;
	const char *reference;
	const char *client_ref;
	const char *source;
	int64_t fee;
} post;

/* The PostEntry request of p to b (strings borrowed from both). */
static void
post_request(Kolo__Ledger__V1__PostEntryRequest *req, const book *b, const post *p)
{
	req->group_id = (char *)b->group;
	req->account_id = (char *)b->account;
	req->type = p->type;
	req->amount_kobo = p->amount;
	req->source = (char *)(p->source ? p->source : "demo");
	req->reference = (char *)p->reference;
	req->client_ref = (char *)(p->client_ref ? p->client_ref : "");
	req->simulated = 1;
	req->fee_kobo = p->fee;
}

static int
post_entry(const book *b, const post *p, Kolo__Ledger__V1__PostEntryResponse **out)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	int rc;

	post_request(&req, b, p);
	rc = test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

static int64_t
balance(const book *b, const test_user *as)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)b->group;
	if (test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, as) != 0)
		return -1;
	assert_string_equal(resp->currency, "NGN");
	return resp->balance_kobo;
}

/* SELECT <what> ... WHERE group_id = <b's group>, what naming the table. */
static long
of_group(const book *b, const char *what)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s WHERE group_id = '%s'", what, b->group);
	return test_pg_long(w.admin, sql);
}

static long
entries_of(const book *b)
{
	return of_group(b, "count(*) FROM ledger_entry");
}

static void
remove_member(const book *b, const test_user *who)
{
	Kolo__Groups__V1__RemoveMemberRequest req = KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *resp = NULL;

	req.group_id = (char *)b->group;
	req.user_id = (char *)who->id;
	assert_int_equal(test_world_call(&w, &w.groups, "RemoveMember", &req, &resp, &b->owner), 0);
}

/* KOLO_MEMBER_CACHE_MS: a read check that passed is remembered for its time
 * to live (a member removed meanwhile still reads until it runs out), a
 * refusal never is, and 0 asks groups on every read. */
static void
test_reader_cache_remembers_passes_only(void **state)
{
	book b;
	test_user treasurer, reader, late;

	open_book(&b, "ledger-cache");
	/* A second officer, so that the group's rule lets members change. */
	test_identity_user(&w.identity, &treasurer, "ledger-cache-treasurer");
	test_world_member(&w, b.group, &b.owner, &treasurer,
			  KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	test_identity_user(&w.identity, &reader, "ledger-cache-reader");
	test_identity_user(&w.identity, &late, "ledger-cache-late");
	test_world_member(&w, b.group, &b.owner, &reader, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 700, "cache-1"}, NULL), 0);
	membership_reader_cache_set_ttl(60000);
	/* Refused, then added: reads at once. */
	assert_int_equal(balance(&b, &late), -1);
	test_world_member(&w, b.group, &b.owner, &late, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	assert_int_equal(balance(&b, &late), 700);
	/* Removed after a read: still reads while the pass is remembered. */
	assert_int_equal(balance(&b, &reader), 700);
	remove_member(&b, &reader);
	assert_int_equal(balance(&b, &reader), 700);
	/* Off: asked every time, refused now, and nothing is remembered. */
	membership_reader_cache_set_ttl(0);
	assert_int_equal(balance(&b, &reader), -1);
	assert_int_equal(err_last()->code, ERR_NOT_FOUND);
	membership_reader_cache_set_ttl(60000);
	assert_int_equal(balance(&b, &reader), -1);
	/* A pass runs out: late, removed, is refused once its 1 ms is over. */
	membership_reader_cache_set_ttl(1);
	assert_int_equal(balance(&b, &late), 700);
	remove_member(&b, &late);
	usleep(20000);
	assert_int_equal(balance(&b, &late), -1);
	membership_reader_cache_set_ttl(0);
}

static void
test_credit_and_debit_move_the_balance(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *r = NULL;

	open_book(&b, "ledger-basic");
	assert_int_equal(balance(&b, &b.owner), 0);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 250000, "dep-1"}, &r), 0);
	assert_false(r->replayed);
	assert_int_equal(r->entry->type, CREDIT);
	assert_int_equal(r->entry->amount_kobo, 250000);
	assert_string_equal(r->entry->currency, "NGN");
	assert_string_equal(r->entry->payment_channel, "VA");
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 100000, "payout:1", .source = "payout"}, NULL), 0);
	assert_int_equal(balance(&b, &b.owner), 150000);
	assert_int_equal(balance(&b, NULL), 150000);
	assert_int_equal(entries_of(&b), 2);
}

static void
test_debit_beyond_balance_is_refused_and_changes_nothing(void **state)
{
	book b;

	open_book(&b, "ledger-funds");
	assert_int_equal(post_entry(&b, &(post){DEBIT, 1, "early-debit"}, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 5000, "dep-funds"}, NULL), 0);
	assert_int_equal(post_entry(&b, &(post){DEBIT, 5001, "too-much"}, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_int_equal(balance(&b, NULL), 5000);
	assert_int_equal(entries_of(&b), 1);
	assert_int_equal(post_entry(&b, &(post){DEBIT, 5000, "all-of-it"}, NULL), 0);
	assert_int_equal(balance(&b, NULL), 0);
}

/* A reference has one outcome for ever: a debit refused for want of money
 * stays refused when posted again after a deposit (a stale or late caller
 * cannot turn a failed payout attempt into a debit), refused with the
 * balance it met; other content under it is a conflict. */
static void
test_a_refused_debit_stays_refused(void **state)
{
	book b;
	char sql[256];

	open_book(&b, "ledger-refusal");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 3000, "dep-r1"}, NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 5000, "payout:refused", .source = "payout"}, NULL),
		ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 9000, "dep-r2"}, NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 5000, "payout:refused", .source = "payout"}, NULL),
		ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_non_null(strstr(err_last()->message, "3000"));
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 4000, "payout:refused", .source = "payout"}, NULL),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	assert_int_equal(balance(&b, NULL), 12000);
	assert_int_equal(entries_of(&b), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ledger_refusal WHERE reference = 'payout:refused'"
		 " AND group_id = '%s' AND amount_kobo = 5000 AND balance_kobo = 3000",
		 b.group);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
	/* A new reference is a new question. */
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 5000, "payout:refused:2", .source = "payout"}, NULL),
		0);
	assert_int_equal(balance(&b, NULL), 7000);
}

/* --- holds (DESIGN §13) --------------------------------------------------------- */

static int
place_hold(const book *b, int64_t amount, const char *reference, const char *expires_at,
	   Kolo__Ledger__V1__PlaceHoldResponse **out)
{
	Kolo__Ledger__V1__PlaceHoldRequest req = KOLO__LEDGER__V1__PLACE_HOLD_REQUEST__INIT;
	Kolo__Ledger__V1__PlaceHoldResponse *resp = NULL;
	int rc;

	req.group_id = (char *)b->group;
	req.amount_kobo = amount;
	req.reference = (char *)reference;
	req.expires_at = (char *)(expires_at ? expires_at : "");
	rc = test_world_call(&w, &w.ledger, "PlaceHold", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

static int
release_hold(const char *reference)
{
	Kolo__Ledger__V1__ReleaseHoldRequest req = KOLO__LEDGER__V1__RELEASE_HOLD_REQUEST__INIT;
	Kolo__Ledger__V1__ReleaseHoldResponse *resp = NULL;

	req.reference = (char *)reference;
	return test_world_call(&w, &w.ledger, "ReleaseHold", &req, &resp, NULL);
}

static int
capture_hold(const book *b, const char *reference, int64_t amount, const char *entry_reference,
	     Kolo__Ledger__V1__CaptureHoldResponse **out)
{
	Kolo__Ledger__V1__CaptureHoldRequest req = KOLO__LEDGER__V1__CAPTURE_HOLD_REQUEST__INIT;
	Kolo__Ledger__V1__CaptureHoldResponse *resp = NULL;
	int rc;

	req.reference = (char *)reference;
	req.group_id = (char *)b->group;
	req.amount_kobo = amount;
	req.account_id = (char *)b->account;
	req.entry_reference = (char *)entry_reference;
	req.source = "payout";
	rc = test_world_call(&w, &w.ledger, "CaptureHold", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

/* balance/held/available of the group as GetBalance answers them. */
static void
balances(const book *b, int64_t *posted, int64_t *held, int64_t *available)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)b->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	*posted = resp->balance_kobo;
	*held = resp->held_kobo;
	*available = resp->available_kobo;
}

static void
assert_balances(const book *b, int64_t posted, int64_t held)
{
	int64_t p, h, av;

	balances(b, &p, &h, &av);
	assert_int_equal(p, posted);
	assert_int_equal(h, held);
	assert_int_equal(av, posted - held);
}

/* A hold promises money: what it holds cannot be held or debited again;
 * releasing gives it back once; capturing turns it into its DEBIT once. */
static void
test_holds_promise_money_once(void **state)
{
	book b;
	Kolo__Ledger__V1__PlaceHoldResponse *h = NULL;
	Kolo__Ledger__V1__CaptureHoldResponse *cap = NULL;
	char id[64];

	open_book(&b, "ledger-holds");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 10000, "dep-hold-1"}, NULL), 0);
	assert_int_equal(place_hold(&b, 6000, "hold:a", NULL, &h), 0);
	assert_false(h->replayed);
	assert_string_equal(h->hold->status, "held");
	assert_balances(&b, 10000, 6000);
	/* The rest is all that can be promised or spent. */
	assert_int_equal(place_hold(&b, 4001, "hold:b", NULL, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 4001, "plain-debit", .source = "payout"}, NULL),
		ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	assert_int_equal(place_hold(&b, 4000, "hold:b", NULL, NULL), 0);
	assert_balances(&b, 10000, 10000);
	/* Replays and conflicts. */
	assert_int_equal(place_hold(&b, 6000, "hold:a", NULL, &h), 0);
	assert_true(h->replayed);
	assert_int_equal(place_hold(&b, 5000, "hold:a", NULL, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	/* Release gives the money back once. */
	assert_int_equal(release_hold("hold:b"), 0);
	assert_int_equal(release_hold("hold:b"), 0);
	assert_balances(&b, 10000, 6000);
	assert_int_equal(place_hold(&b, 4000, "hold:b", NULL, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "hold_closed");
	/* Capture: the DEBIT, once; the hold is spent. */
	assert_int_equal(capture_hold(&b, "hold:a", 6000, "payout:hold-a", &cap), 0);
	assert_false(cap->replayed);
	assert_int_equal(cap->entry->amount_kobo, 6000);
	snprintf(id, sizeof(id), "%s", cap->entry->id);
	assert_int_equal(capture_hold(&b, "hold:a", 6000, "payout:hold-a", &cap), 0);
	assert_true(cap->replayed);
	assert_string_equal(cap->entry->id, id);
	assert_balances(&b, 4000, 0);
	assert_int_equal(release_hold("hold:a"), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "hold_captured");
	/* A released hold is not captured, and that entry reference stays refused. */
	assert_int_equal(capture_hold(&b, "hold:b", 4000, "payout:hold-b", NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "hold_not_held");
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 4000, "payout:hold-b", .source = "payout"}, NULL),
		ERR_FAILED_PRECONDITION);
	assert_balances(&b, 4000, 0);
	assert_int_equal(entries_of(&b), 2);
}

/* A hold past its expiry stops counting at once; the sweeper closes it on
 * record; placing it again is refused as closed; bad requests change
 * nothing. */
static void
test_expired_holds_stop_counting_and_bad_holds_are_refused(void **state)
{
	book b;
	char sql[256];

	open_book(&b, "ledger-hold-expiry");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 5000, "dep-hold-2"}, NULL), 0);
	assert_int_equal(place_hold(&b, 5000, "hold:lapsing", "2999-01-01T00:00:00Z", NULL), 0);
	assert_balances(&b, 5000, 5000);
	test_pg_ok(w.admin, "UPDATE ledger_hold SET expires_at = now() - interval '1 second'"
			    " WHERE reference = 'hold:lapsing'");
	assert_balances(&b, 5000, 0);
	test_world_ledger_pass(&w);
	snprintf(sql, sizeof(sql),
		 "SELECT status || '/' || closed_reason FROM ledger_hold"
		 " WHERE reference = 'hold:lapsing'");
	{
		char *state_text = test_pg_value(w.admin, sql);

		assert_string_equal(state_text, "released/expired");
		free(state_text);
	}
	assert_int_equal(place_hold(&b, 5000, "hold:lapsing", NULL, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "hold_closed");
	assert_int_equal(place_hold(&b, 0, "hold:zero", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_amount");
	assert_int_equal(place_hold(&b, -5, "hold:neg", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_int_equal(place_hold(&b, 5, "", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_reference");
	assert_int_equal(place_hold(&b, 5, "hold:when", "someday", NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_time");
	assert_int_equal(release_hold("hold:nobody"), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "hold_not_found");
	assert_int_equal(capture_hold(&b, "hold:nobody", 5, "payout:nobody", NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "hold_not_held");
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM ledger_hold"
					       " WHERE reference IN ('hold:zero', 'hold:neg',"
					       " 'hold:when')"),
			 0);
	assert_balances(&b, 5000, 0);
}

static void
test_replays_return_the_original_and_conflicts_are_refused(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *first = NULL, *again = NULL;
	char id[64];

	open_book(&b, "ledger-replay");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 7000, "flw-123456"}, &first), 0);
	snprintf(id, sizeof(id), "%s", first->entry->id);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 7000, "flw-123456"}, &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, id);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 7001, "flw-123456"}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	assert_int_equal(post_entry(&b, &(post){DEBIT, 7000, "flw-123456"}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_int_equal(balance(&b, NULL), 7000);
	assert_int_equal(entries_of(&b), 1);
}

static void
test_client_ref_replays_like_a_reference(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *first = NULL, *again = NULL;

	open_book(&b, "ledger-client-ref");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 900, "demo:a", "idem-1"}, &first), 0);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 900, "demo:b", "idem-1"}, &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, first->entry->id);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 901, "demo:c", "idem-1"}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "client_ref_conflict");
	assert_int_equal(entries_of(&b), 1);
}

static void
test_debit_replay_after_the_balance_is_gone_is_still_a_replay(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *r = NULL;

	open_book(&b, "ledger-late-replay");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000, "dep-late"}, NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 600, "payout:late", .source = "payout"}, NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 400, "payout:rest", .source = "payout"}, NULL), 0);
	assert_int_equal(post_entry(&b, &(post){DEBIT, 600, "payout:late", .source = "payout"}, &r),
			 0);
	assert_true(r->replayed);
	assert_int_equal(balance(&b, NULL), 0);
}

static void
test_bad_entries_are_refused(void **state)
{
	static const struct {
		post p;
		const char *reason;
	} cases[] = {
		{{CREDIT, 0, "zero"}, "invalid_amount"},
		{{CREDIT, 25000000001LL, "huge"}, "amount_too_large"},
		{{CREDIT, -5, "negative"}, "invalid_amount"},
		{{0, 100, "no-type"}, "invalid_type"},
		{{CREDIT, 100, ""}, "invalid_reference"},
		{{CREDIT, 100, "has space"}, "invalid_reference"},
		{{CREDIT, 100, "bad-source", .source = "cash"}, "invalid_source"},
		/* A fee at or above its amount, a negative one, one on a DEBIT,
		 * and a reference that takes the fee prefix (issue 15 item 8). */
		{{CREDIT, 1000, "fee-equal", .fee = 1000}, "fee_not_below_amount"},
		{{CREDIT, 1000, "fee-above", .fee = 1001}, "fee_not_below_amount"},
		{{CREDIT, 1000, "fee-negative", .fee = -1}, "invalid_fee"},
		{{DEBIT, 10, "fee-on-debit", .source = "payout", .fee = 1}, "invalid_fee"},
		{{CREDIT, 1000, "fee:own-prefix"}, "invalid_reference"},
	};
	book b;
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	book other;

	open_book(&b, "ledger-bad");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(post_entry(&b, &cases[i].p, NULL), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, cases[i].reason);
	}
	req.group_id = b.group;
	req.account_id = b.account;
	req.type = CREDIT;
	req.amount_kobo = 100;
	req.source = "demo";
	req.reference = "usd";
	req.currency = "USD";
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_currency");
	/* Another group's account. */
	open_book(&other, "ledger-other");
	req.currency = "";
	req.account_id = other.account;
	req.reference = "cross";
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "unknown_account");
	/* Only services post. */
	req.account_id = b.account;
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, &b.owner),
			 ERR_UNAUTHENTICATED);
	assert_int_equal(entries_of(&b), 0);
}

/* A thread posting one entry like p (its own reference), with a deadline
 * (0: test_call's), keeping the result and its reason. */
typedef struct poster {
	const book *b;
	post p;
	char reference[48];
	int64_t timeout_ms;
	int rc;
	char reason[64];
} poster;

static void *
poster_run(void *arg)
{
	poster *t = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	test_caller svc = {.internal = 1, .timeout_ms = t->timeout_ms};

	post_request(&req, t->b, &t->p);
	t->rc = test_call(&w.ledger, "PostEntry", &req.base, &resp, a, &svc);
	snprintf(t->reason, sizeof(t->reason), "%s", t->rc ? err_last()->reason : "");
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

/* n threads posting like p to b, references "<tag>-<i>". */
static void
start_posters(poster *args, pthread_t *threads, int n, const book *b, const post *p,
	      const char *tag, int64_t timeout_ms)
{
	for (int i = 0; i < n; i++) {
		args[i] = (poster){.b = b, .p = *p, .timeout_ms = timeout_ms};
		snprintf(args[i].reference, sizeof(args[i].reference), "%s-%d", tag, i);
		args[i].p.reference = args[i].reference;
		assert_int_equal(pthread_create(&threads[i], NULL, poster_run, &args[i]), 0);
	}
}

static void
join_posters(pthread_t *threads, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}

#define RACERS 32

static void
test_concurrent_debits_never_overdraw(void **state)
{
	book b;
	pthread_t threads[RACERS];
	poster args[RACERS];
	int ok = 0, refused = 0;

	open_book(&b, "ledger-race");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000, "race-funds"}, NULL), 0);
	start_posters(args, threads, RACERS, &b, &(post){DEBIT, 100, .source = "payout"}, "race",
		      0);
	join_posters(threads, RACERS);
	for (int i = 0; i < RACERS; i++) {
		ok += args[i].rc == 0;
		refused += args[i].rc == ERR_FAILED_PRECONDITION;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(refused, RACERS - 10);
	assert_int_equal(balance(&b, NULL), 0);
}

/* Posts to a group whose balance row someone else holds: more of them than
 * the ledger has workers (4 in tests), with short deadlines. */
#define BUSY_POSTS  8
#define OTHER_POSTS 4

/* The group's ledger_balance row as it stands (0 when it has none). */
static int64_t
balance_row(const book *b)
{
	return of_group(b, "coalesce(sum(balance_kobo), 0) FROM ledger_balance");
}

/* Issue 15 item 6: with one group's balance row held, posts to it give up
 * after the lock wait (UNAVAILABLE group_busy, nothing written) instead of
 * holding every worker, so posts to other groups and reads go on. */
static void
test_a_locked_group_does_not_stall_the_ledger(void **state)
{
	book held, other;
	poster held_args[BUSY_POSTS], other_args[OTHER_POSTS];
	pthread_t held_threads[BUSY_POSTS], other_threads[OTHER_POSTS];
	Kolo__Ledger__V1__GetBalanceRequest read = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	ProtobufCMessage *read_resp = NULL;
	test_caller reader = {.internal = 1, .timeout_ms = 5000};
	char *conninfo, sql[256];
	PGconn *holder;
	int read_rc;
	int64_t read_balance = -1;

	open_book(&held, "ledger-held");
	open_book(&other, "ledger-not-held");
	assert_int_equal(post_entry(&held, &(post){CREDIT, 1000, "held-funds"}, NULL), 0);
	ldg_set_lock_wait_ms(300);
	conninfo = test_pg_conninfo(w.dbname, NULL);
	holder = test_pg_connect(conninfo);
	free(conninfo);
	snprintf(sql, sizeof(sql), "SELECT 1 FROM ledger_balance WHERE group_id = '%s' FOR UPDATE",
		 held.group);
	test_pg_ok(holder, "BEGIN");
	test_pg_ok(holder, sql);
	start_posters(held_args, held_threads, BUSY_POSTS, &held, &(post){CREDIT, 100}, "held",
		      2000);
	start_posters(other_args, other_threads, OTHER_POSTS, &other, &(post){CREDIT, 100},
		      "not-held", 8000);
	/* A read of the held group does not wait for its lock. */
	read.group_id = held.group;
	read_rc = test_call(&w.ledger, "GetBalance", &read.base, &read_resp, w.arena, &reader);
	if (read_rc == 0)
		read_balance = ((Kolo__Ledger__V1__GetBalanceResponse *)read_resp)->balance_kobo;
	join_posters(held_threads, BUSY_POSTS);
	join_posters(other_threads, OTHER_POSTS);
	/* Released before any assertion, so that a failure cannot leave the
	 * ledger's workers waiting for the rest of the suite. */
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	ldg_set_lock_wait_ms(LDG_LOCK_WAIT_DEFAULT_MS);
	/* Once released the group takes posts again; by the time this one
	 * is through, nothing of the refused ones is still on its way. */
	assert_int_equal(post_entry(&held, &(post){CREDIT, 50, "held-after"}, NULL), 0);
	assert_int_equal(read_rc, 0);
	assert_int_equal(read_balance, 1000);
	for (int i = 0; i < OTHER_POSTS; i++)
		assert_int_equal(other_args[i].rc, 0);
	for (int i = 0; i < BUSY_POSTS; i++) {
		assert_int_equal(held_args[i].rc, ERR_UNAVAILABLE);
		assert_string_equal(held_args[i].reason, "group_busy");
	}
	assert_int_equal(entries_of(&other), OTHER_POSTS);
	assert_int_equal(balance_row(&other), OTHER_POSTS * 100);
	assert_int_equal(entries_of(&held), 2);
	assert_int_equal(balance_row(&held), 1050);
	assert_int_equal(balance(&held, NULL), 1050);
}

/* A session of our own holding the group's balance row FOR UPDATE. */
static PGconn *
lock_balance_row(const book *b)
{
	char *conninfo = test_pg_conninfo(w.dbname, NULL);
	PGconn *holder = test_pg_connect(conninfo);
	char sql[256];

	free(conninfo);
	snprintf(sql, sizeof(sql), "SELECT 1 FROM ledger_balance WHERE group_id = '%s' FOR UPDATE",
		 b->group);
	test_pg_ok(holder, "BEGIN");
	test_pg_ok(holder, sql);
	return holder;
}

static void
unlock_balance_row(PGconn *holder)
{
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
}

/* Issue 17's benchmark (0017): a hold that cannot expire is captured
 * without its group's lock, since its money is promised until it ends; the
 * capture is folded into the group's balance row by the group's next
 * posting, or by the worker. A hold that can expire is captured under the
 * lock still. GetBalance and the invariants count the capture at once. */
static void
test_a_capture_does_not_wait_for_its_group(void **state)
{
	book b;
	PGconn *holder;
	int lasting_rc, lapsing_rc;
	char lapsing_reason[64];
	int64_t posted, held, available;

	open_book(&b, "ledger-capture-unlocked");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 10000, "dep-capture"}, NULL), 0);
	assert_int_equal(place_hold(&b, 6000, "hold:cu-lasting", NULL, NULL), 0);
	assert_int_equal(place_hold(&b, 3000, "hold:cu-lapsing", "2999-01-01T00:00:00Z", NULL), 0);
	ldg_set_lock_wait_ms(300);
	holder = lock_balance_row(&b);
	lasting_rc = capture_hold(&b, "hold:cu-lasting", 6000, "payout:cu-lasting", NULL);
	lapsing_rc = capture_hold(&b, "hold:cu-lapsing", 3000, "payout:cu-lapsing", NULL);
	snprintf(lapsing_reason, sizeof(lapsing_reason), "%s",
		 lapsing_rc ? err_last()->reason : "");
	balances(&b, &posted, &held, &available);
	unlock_balance_row(holder);
	ldg_set_lock_wait_ms(LDG_LOCK_WAIT_DEFAULT_MS);
	assert_int_equal(lasting_rc, 0);
	assert_int_equal(lapsing_rc, ERR_UNAVAILABLE);
	assert_string_equal(lapsing_reason, "group_busy");
	assert_int_equal(posted, 4000);
	assert_int_equal(held, 3000);
	assert_int_equal(available, 1000);
	/* The row does not show the capture yet; nothing of the busy one. */
	assert_int_equal(balance_row(&b), 10000);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM ledger_refusal"
					       " WHERE reference = 'payout:cu-lapsing'"),
			 0);
	/* Only the available money can be spent; the row carries the
	 * capture until enough wait to be folded together. */
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 1001, "capture-over", .source = "payout"}, NULL),
		ERR_FAILED_PRECONDITION);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, 1000, "capture-rest", .source = "payout"}, NULL), 0);
	assert_int_equal(balance_row(&b), 9000);
	assert_balances(&b, 3000, 3000);
	/* The lapsing hold, captured under the lock once it is free; the
	 * worker folds a quiet group's capture. */
	assert_int_equal(capture_hold(&b, "hold:cu-lapsing", 3000, "payout:cu-lapsing", NULL), 0);
	assert_int_equal(place_hold(&b, 1, "hold:none-left", NULL, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "insufficient_funds");
	test_world_ledger_pass(&w);
	assert_int_equal(balance_row(&b), 0);
	assert_balances(&b, 0, 0);
	assert_int_equal(entries_of(&b), 4);
}

/* Captures are folded into the group's row in batches: the posting that
 * finds 32 of them waiting folds them all (0017, ledger_fold_due). */
#define FOLD_BATCH 32

static void
test_captures_are_folded_in_batches(void **state)
{
	book b;
	char hold[32], entry[32];

	open_book(&b, "ledger-fold-batch");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 100, "dep-fold"}, NULL), 0);
	for (int i = 0; i < FOLD_BATCH; i++) {
		snprintf(hold, sizeof(hold), "hold:fold-%d", i);
		snprintf(entry, sizeof(entry), "payout:fold-%d", i);
		assert_int_equal(place_hold(&b, 1, hold, NULL, NULL), 0);
		assert_int_equal(capture_hold(&b, hold, 1, entry, NULL), 0);
	}
	assert_int_equal(balance_row(&b), 100);
	assert_balances(&b, 100 - FOLD_BATCH, 0);
	assert_int_equal(place_hold(&b, 1, "hold:fold-next", NULL, NULL), 0);
	assert_int_equal(balance_row(&b), 100 - FOLD_BATCH);
	assert_int_equal(test_pg_long(w.admin,
				      "SELECT count(*) FROM ledger_hold"
				      " WHERE reference LIKE 'hold:fold-%'"
				      " AND status = 'captured' AND folded_at IS NOT NULL"),
			 FOLD_BATCH);
	assert_balances(&b, 100 - FOLD_BATCH, 1);
	assert_int_equal(entries_of(&b), 1 + FOLD_BATCH);
}

/* Captures racing debits for one group: each capture spends only its own
 * hold, debits only what is left; nothing is overdrawn or lost. */
typedef struct capturer {
	const book *b;
	char hold[32];
	char entry[32];
	int rc;
} capturer;

static void *
capturer_run(void *arg)
{
	capturer *t = arg;

	t->rc = capture_hold(t->b, t->hold, 1000, t->entry, NULL);
	rpc_client_thread_done();
	return NULL;
}

#define CAPTURES 8

static void
test_captures_and_debits_race_without_overdraw(void **state)
{
	book b;
	pthread_t debit_threads[RACERS], capture_threads[CAPTURES];
	poster debits[RACERS];
	capturer captures[CAPTURES];
	int ok = 0;

	open_book(&b, "ledger-capture-race");
	assert_int_equal(post_entry(&b, &(post){CREDIT, CAPTURES * 1000 + 1000, "race-cap"}, NULL),
			 0);
	for (int i = 0; i < CAPTURES; i++) {
		captures[i] = (capturer){.b = &b};
		snprintf(captures[i].hold, sizeof(captures[i].hold), "hold:race-%d", i);
		snprintf(captures[i].entry, sizeof(captures[i].entry), "payout:race-%d", i);
		assert_int_equal(place_hold(&b, 1000, captures[i].hold, NULL, NULL), 0);
	}
	start_posters(debits, debit_threads, RACERS, &b, &(post){DEBIT, 100, .source = "payout"},
		      "race-cap", 0);
	for (int i = 0; i < CAPTURES; i++)
		assert_int_equal(
			pthread_create(&capture_threads[i], NULL, capturer_run, &captures[i]), 0);
	join_posters(debit_threads, RACERS);
	for (int i = 0; i < CAPTURES; i++)
		pthread_join(capture_threads[i], NULL);
	for (int i = 0; i < CAPTURES; i++)
		assert_int_equal(captures[i].rc, 0);
	for (int i = 0; i < RACERS; i++)
		ok += debits[i].rc == 0;
	assert_int_equal(ok, 10);
	assert_balances(&b, 0, 0);
	assert_int_equal(entries_of(&b), 1 + CAPTURES + 10);
}

static long
fee_debits(const char *reference, int64_t amount)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ledger_entry WHERE reference = 'fee:%s'"
		 " AND type = 'DEBIT' AND amount_kobo = %lld",
		 reference, (long long)amount);
	return test_pg_long(w.admin, sql);
}

/* Issue 15 item 8: a CREDIT and the fee its provider kept post together,
 * the gross credit and a fee:<reference> DEBIT, so the balance is what
 * arrived; a replay returns both; the fee is part of the content. */
static void
test_credit_with_a_fee_posts_the_credit_and_its_fee_debit(void **state)
{
	book b;
	Kolo__Ledger__V1__PostEntryResponse *r = NULL, *again = NULL;

	open_book(&b, "ledger-fee");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 500000, "flw-fee-1", .fee = 7000}, &r), 0);
	assert_false(r->replayed);
	assert_int_equal(r->entry->type, CREDIT);
	assert_int_equal(r->entry->amount_kobo, 500000);
	assert_non_null(r->fee_entry);
	assert_int_equal(r->fee_entry->type, DEBIT);
	assert_int_equal(r->fee_entry->amount_kobo, 7000);
	assert_string_equal(r->fee_entry->reference, "fee:flw-fee-1");
	assert_string_equal(r->fee_entry->source, "demo");
	assert_string_equal(r->fee_entry->group_id, b.group);
	assert_int_equal(fee_debits("flw-fee-1", 7000), 1);
	assert_int_equal(entries_of(&b), 2);
	assert_int_equal(balance(&b, NULL), 493000);
	/* The same post again: both originals, nothing new. */
	assert_int_equal(post_entry(&b, &(post){CREDIT, 500000, "flw-fee-1", .fee = 7000}, &again),
			 0);
	assert_true(again->replayed);
	assert_string_equal(again->entry->id, r->entry->id);
	assert_non_null(again->fee_entry);
	assert_string_equal(again->fee_entry->id, r->fee_entry->id);
	/* Another fee, or none, under the same reference: a conflict. */
	assert_int_equal(post_entry(&b, &(post){CREDIT, 500000, "flw-fee-1", .fee = 6999}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 500000, "flw-fee-1"}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "reference_conflict");
	/* A credit posted without a fee is not replayed by one with a fee. */
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000, "flw-fee-2", "fee-key"}, NULL), 0);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000, "flw-fee-2", .fee = 10}, NULL),
			 ERR_ALREADY_EXISTS);
	assert_int_equal(
		post_entry(&b, &(post){CREDIT, 1000, "flw-fee-3", "fee-key", .fee = 10}, NULL),
		ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "client_ref_conflict");
	assert_int_equal(entries_of(&b), 3);
	assert_int_equal(balance(&b, NULL), 494000);
}

static int
list_page(const book *b, const test_user *as, int page_size, const char *token, int type,
	  int oldest_first, Kolo__Ledger__V1__ListEntriesResponse **out)
{
	Kolo__Ledger__V1__ListEntriesRequest req = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;

	req.group_id = (char *)b->group;
	req.page_size = page_size;
	req.page_token = (char *)token;
	req.type = type;
	req.oldest_first = oldest_first;
	return test_world_call(&w, &w.ledger, "ListEntries", &req, out, as);
}

static void
test_pages_cover_entries_with_identical_timestamps(void **state)
{
	book b;
	Kolo__Ledger__V1__ListEntriesResponse *resp = NULL;
	char sql[256], token[256] = "", seen[20][32];
	size_t n = 0;

	open_book(&b, "ledger-pages");
	for (int i = 0; i < 7; i++) {
		char ref[32];

		snprintf(ref, sizeof(ref), "same-time-%d", i);
		assert_int_equal(post_entry(&b, &(post){CREDIT, 100 + i, ref}, NULL), 0);
	}
	/* Every entry at the same instant: only the id orders them. */
	snprintf(sql, sizeof(sql),
		 "UPDATE ledger_entry SET created_at = '2026-01-01 12:00:00'"
		 " WHERE group_id = '%s'",
		 b.group);
	test_pg_ok(w.admin, sql);
	do {
		assert_int_equal(list_page(&b, &b.owner, 3, token, 0, 0, &resp), 0);
		for (size_t i = 0; i < resp->n_entries && n < 20; i++) {
			for (size_t j = 0; j < n; j++)
				assert_string_not_equal(seen[j], resp->entries[i]->reference);
			snprintf(seen[n++], sizeof(seen[0]), "%s", resp->entries[i]->reference);
		}
		snprintf(token, sizeof(token), "%s", resp->next_page_token);
	} while (token[0]);
	assert_int_equal(n, 7);
}

static void
test_list_filters_and_order(void **state)
{
	book b;
	test_user stranger;
	Kolo__Ledger__V1__ListEntriesResponse *resp = NULL;
	Kolo__Ledger__V1__ListEntriesRequest req = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;

	open_book(&b, "ledger-filter");
	test_identity_user(&w.identity, &stranger, "ledger-stranger");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 500, "f-1"}, NULL), 0);
	assert_int_equal(post_entry(&b, &(post){DEBIT, 200, "f-2", .source = "payout"}, NULL), 0);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 300, "f-3"}, NULL), 0);
	assert_int_equal(list_page(&b, &b.owner, 0, "", DEBIT, 0, &resp), 0);
	assert_int_equal(resp->n_entries, 1);
	assert_string_equal(resp->entries[0]->reference, "f-2");
	assert_int_equal(list_page(&b, &b.owner, 0, "", 0, 0, &resp), 0);
	assert_int_equal(resp->n_entries, 3);
	assert_string_equal(resp->entries[0]->reference, "f-3");
	/* No read replica here: the primary's page, current, without as_of. */
	assert_string_equal(resp->as_of, "");
	assert_int_equal(list_page(&b, &b.owner, 0, "", 0, 1, &resp), 0);
	assert_string_equal(resp->entries[0]->reference, "f-1");
	assert_int_equal(list_page(&b, &stranger, 0, "", 0, 0, &resp), ERR_NOT_FOUND);
	assert_int_equal(balance(&b, &stranger), -1);
	assert_int_equal(err_last()->code, ERR_NOT_FOUND);
	/* Time bounds. */
	req.group_id = b.group;
	req.from_time = "2000-01-01T00:00:00Z";
	req.to_time = "2001-01-01T00:00:00Z";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp, &b.owner), 0);
	assert_int_equal(resp->n_entries, 0);
	req.to_time = "";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp, &b.owner), 0);
	assert_int_equal(resp->n_entries, 3);
	req.from_time = "yesterday-ish";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp, &b.owner),
			 ERR_INVALID_ARGUMENT);
	/* Words and shapes PostgreSQL reads as times are refused too. */
	{
		char *bad[] = {
			"yesterday",	      "now", "epoch", "2026-01-01", "2026-01-01 00:00:00",
			"2026-01-01T00:00:00"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			req.from_time = "";
			req.to_time = bad[i];
			assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp,
							 &b.owner),
					 ERR_INVALID_ARGUMENT);
			assert_string_equal(err_last()->reason, "invalid_time");
			req.from_time = bad[i];
			req.to_time = "";
			assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp,
							 &b.owner),
					 ERR_INVALID_ARGUMENT);
			assert_string_equal(err_last()->reason, "invalid_time");
		}
	}
	req.from_time = "2000-01-01T01:00:00+01:00";
	assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp, &b.owner), 0);
	assert_int_equal(resp->n_entries, 3);
}

static void
test_get_entry_by_id_or_reference(void **state)
{
	book b;
	test_user stranger;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	Kolo__Ledger__V1__GetEntryRequest req = KOLO__LEDGER__V1__GET_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__GetEntryResponse *resp = NULL;

	open_book(&b, "ledger-get");
	test_identity_user(&w.identity, &stranger, "ledger-get-stranger");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 4200, "get-me"}, &posted), 0);
	req.key_case = KOLO__LEDGER__V1__GET_ENTRY_REQUEST__KEY_ENTRY_ID;
	req.entry_id = posted->entry->id;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetEntry", &req, &resp, &b.owner), 0);
	assert_int_equal(resp->entry->amount_kobo, 4200);
	assert_int_equal(test_world_call(&w, &w.ledger, "GetEntry", &req, &resp, &stranger),
			 ERR_NOT_FOUND);
	req.key_case = KOLO__LEDGER__V1__GET_ENTRY_REQUEST__KEY_REFERENCE;
	req.reference = "get-me";
	assert_int_equal(test_world_call(&w, &w.ledger, "GetEntry", &req, &resp, NULL), 0);
	req.reference = "nope";
	assert_int_equal(test_world_call(&w, &w.ledger, "GetEntry", &req, &resp, NULL),
			 ERR_NOT_FOUND);
}

/* Back to the default bound after a test that lowered it, then the usual
 * invariant check. */
static int
restore_amount_bound(void **state)
{
	assert_int_equal(money_set_max_kobo(MONEY_MAX_KOBO), 0);
	return check_invariant(state);
}

/* Amounts up to ₦250 m (25,000,000,000 kobo, DESIGN §14) move through
 * every entry point; 400 of them add up past 2^31 and 2^40 exactly; one
 * kobo more is refused at each with amount_too_large, and nothing is
 * stored. */
static void
test_amounts_up_to_250_million_naira(void **state)
{
	const int64_t max = 25000000000LL;
	book b;
	char ref[64];
	Kolo__Ledger__V1__PostEntryResponse *e = NULL;

	(void)state;
	open_book(&b, "ledger-large");
	assert_int_equal(post_entry(&b, &(post){CREDIT, max, "large:0"}, &e), 0);
	assert_int_equal(e->entry->amount_kobo, max);
	for (int i = 1; i < 400; i++) {
		snprintf(ref, sizeof(ref), "large:%d", i);
		assert_int_equal(post_entry(&b, &(post){CREDIT, max, ref}, NULL), 0);
	}
	assert_int_equal(balance(&b, NULL), 400 * max);
	assert_int_equal(of_group(&b, "credits_kobo FROM ledger_balance"), 400 * max);
	assert_int_equal(of_group(&b, "sum(amount_kobo) FROM ledger_entry"), 400 * max);
	assert_int_equal(place_hold(&b, max, "hold:large", NULL, NULL), 0);
	assert_balances(&b, 400 * max, max);
	assert_int_equal(capture_hold(&b, "hold:large", max, "payout:large", NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, max, "payout:large-2", .source = "payout"}, NULL), 0);
	assert_balances(&b, 398 * max, 0);

	assert_int_equal(post_entry(&b, &(post){CREDIT, max + 1, "large:over"}, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_non_null(strstr(err_last()->message, "25000000000"));
	assert_int_equal(
		post_entry(&b, &(post){DEBIT, max + 1, "payout:over", .source = "payout"}, NULL),
		ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(place_hold(&b, max + 1, "hold:over", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(capture_hold(&b, "hold:large", max + 1, "payout:over-2", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(entries_of(&b), 402);
	assert_int_equal(of_group(&b, "count(*) FROM ledger_hold"), 1);
	assert_balances(&b, 398 * max, 0);
}

/* KOLO_MAX_AMOUNT_KOBO lowers the bound for new money (credits, holds);
 * a payout's entries keep the hard maximum, so lowering it never strands
 * a withdrawal admitted before. */
static void
test_a_lowered_bound_refuses_new_money_only(void **state)
{
	book b;

	(void)state;
	open_book(&b, "ledger-lowered");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 3000000, "low:in"}, NULL), 0);
	assert_int_equal(place_hold(&b, 2000000, "hold:low", NULL, NULL), 0);
	assert_int_equal(money_set_max_kobo(1000000), 0);
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000001, "low:over"}, NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_string_equal(err_last()->message,
			    "amount_kobo must be at most 1000000 (NGN 10000.00)");
	assert_int_equal(place_hold(&b, 1000001, "hold:over", NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "amount_too_large");
	assert_int_equal(post_entry(&b, &(post){CREDIT, 1000000, "low:fits"}, NULL), 0);
	/* The hold placed before is captured, and a payout's reversal
	 * credited back, whatever their size. */
	assert_int_equal(capture_hold(&b, "hold:low", 2000000, "payout:low", NULL), 0);
	assert_int_equal(
		post_entry(&b, &(post){CREDIT, 2000000, "reversal:low", .source = "payout"}, NULL),
		0);
	assert_int_equal(entries_of(&b), 4);
	assert_int_equal(of_group(&b, "count(*) FROM ledger_hold"), 1);
	assert_balances(&b, 4000000, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_credit_and_debit_move_the_balance, check_invariant),
		cmocka_unit_test_teardown(test_debit_beyond_balance_is_refused_and_changes_nothing,
					  check_invariant),
		cmocka_unit_test_teardown(test_a_refused_debit_stays_refused, check_invariant),
		cmocka_unit_test_teardown(test_holds_promise_money_once, check_invariant),
		cmocka_unit_test_teardown(
			test_expired_holds_stop_counting_and_bad_holds_are_refused,
			check_invariant),
		cmocka_unit_test_teardown(
			test_replays_return_the_original_and_conflicts_are_refused,
			check_invariant),
		cmocka_unit_test_teardown(test_client_ref_replays_like_a_reference,
					  check_invariant),
		cmocka_unit_test_teardown(
			test_debit_replay_after_the_balance_is_gone_is_still_a_replay,
			check_invariant),
		cmocka_unit_test_teardown(test_bad_entries_are_refused, check_invariant),
		cmocka_unit_test_teardown(test_concurrent_debits_never_overdraw, check_invariant),
		cmocka_unit_test_teardown(test_pages_cover_entries_with_identical_timestamps,
					  check_invariant),
		cmocka_unit_test_teardown(test_list_filters_and_order, check_invariant),
		cmocka_unit_test_teardown(test_get_entry_by_id_or_reference, check_invariant),
		cmocka_unit_test_teardown(test_reader_cache_remembers_passes_only, check_invariant),
		cmocka_unit_test_teardown(test_a_locked_group_does_not_stall_the_ledger,
					  check_invariant),
		cmocka_unit_test_teardown(test_a_capture_does_not_wait_for_its_group,
					  check_invariant),
		cmocka_unit_test_teardown(test_captures_are_folded_in_batches, check_invariant),
		cmocka_unit_test_teardown(test_captures_and_debits_race_without_overdraw,
					  check_invariant),
		cmocka_unit_test_teardown(test_credit_with_a_fee_posts_the_credit_and_its_fee_debit,
					  check_invariant),
		cmocka_unit_test_teardown(test_amounts_up_to_250_million_naira, check_invariant),
		cmocka_unit_test_teardown(test_a_lowered_bound_refuses_new_money_only,
					  restore_amount_bound),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
