/* PostEntries (issue 25): each entry answered as PostEntry would answer it
 * alone, the posted ones in one transaction; and, under load, one group's
 * debits coalesced. Over real gRPC against a throwaway PostgreSQL; after
 * every test the money invariants are checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "ledger_service.h"
#include "test_world.h"

#define CREDIT KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT
#define DEBIT  KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT

/* gRPC codes of a result */
#define CODE_INVALID_ARGUMENT	 3
#define CODE_ALREADY_EXISTS	 6
#define CODE_FAILED_PRECONDITION 9
#define CODE_UNAVAILABLE	 14

static test_world w;

typedef struct book {
	test_user owner;
	char group[64];
	char account[64];
} book;

static void
open_book(book *b, const char *tag)
{
	test_identity_user(&w.identity, &b->owner, tag);
	test_world_group(&w, &b->owner, "Batch group", b->group);
	test_world_account(&w, b->group, b->account);
}

typedef struct post {
	int type;
	int64_t amount;
	const char *reference;
	int64_t fee;
	const char *payer_account;
	const char *client_ref;
} post;

static void
post_request(Kolo__Ledger__V1__PostEntryRequest *req, const book *b, const post *p)
{
	kolo__ledger__v1__post_entry_request__init(req);
	req->group_id = (char *)b->group;
	req->account_id = (char *)b->account;
	req->type = p->type;
	req->amount_kobo = p->amount;
	req->source = p->type == DEBIT ? "payout" : "demo";
	req->reference = (char *)p->reference;
	req->client_ref = (char *)(p->client_ref ? p->client_ref : "");
	req->simulated = 1;
	req->fee_kobo = p->fee;
	if (p->payer_account) {
		req->payer_name = "ADA OBI";
		req->payer_account_number = (char *)p->payer_account;
		req->payer_bank_name = "GTBank";
	}
}

static int
post_entry(const book *b, const post *p)
{
	Kolo__Ledger__V1__PostEntryRequest req;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;

	post_request(&req, b, p);
	return test_world_call(&w, &w.ledger, "PostEntry", &req, &resp, NULL);
}

#define MAX_BATCH 70

/* A PostEntries request of n entries, entry i to books[i] as posts[i]. */
typedef struct batch {
	Kolo__Ledger__V1__PostEntryRequest reqs[MAX_BATCH];
	Kolo__Ledger__V1__PostEntryRequest *ptrs[MAX_BATCH];
	Kolo__Ledger__V1__PostEntriesRequest req;
} batch;

static void
batch_of(batch *bt, const book *const *books, const post *posts, size_t n)
{
	kolo__ledger__v1__post_entries_request__init(&bt->req);
	for (size_t i = 0; i < n; i++) {
		post_request(&bt->reqs[i], books[i], &posts[i]);
		bt->ptrs[i] = &bt->reqs[i];
	}
	bt->req.entries = bt->ptrs;
	bt->req.n_entries = n;
}

static int
post_entries(const book *const *books, const post *posts, size_t n,
	     Kolo__Ledger__V1__PostEntriesResponse **out)
{
	batch *bt = malloc(sizeof(*bt));
	int rc;

	assert_non_null(bt);
	batch_of(bt, books, posts, n);
	rc = test_world_call(&w, &w.ledger, "PostEntries", &bt->req, out, NULL);
	free(bt);
	if (rc == 0)
		assert_int_equal((*out)->n_results, n);
	return rc;
}

static int64_t
balance(const book *b)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)b->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	return resp->balance_kobo;
}

static long
entries_of(const book *b)
{
	return test_pg_longf(w.admin, "SELECT count(*) FROM ledger_entry WHERE group_id = '%s'",
			     b->group);
}

/* How many transactions wrote the entries whose reference starts with prefix. */
static long
writers_of(const char *prefix)
{
	return test_pg_longf(w.admin,
			     "SELECT count(DISTINCT xmin::text) FROM ledger_entry"
			     " WHERE reference LIKE '%s%%' OR reference LIKE 'fee:%s%%'",
			     prefix, prefix);
}

static void
assert_ok(const Kolo__Ledger__V1__PostEntryResult *r, int replayed, int64_t amount)
{
	assert_int_equal(r->code, 0);
	assert_non_null(r->response);
	assert_int_equal(r->response->replayed, replayed);
	assert_int_equal(r->response->entry->amount_kobo, amount);
}

static void
assert_refused(const Kolo__Ledger__V1__PostEntryResult *r, int code, const char *reason)
{
	assert_int_equal(r->code, code);
	assert_string_equal(r->reason, reason);
	assert_null(r->response);
}

/* Valid entries of two groups, a credit with a fee and its payer, and a
 * debit: all in one transaction, each answered as PostEntry's, the
 * deposits told once in the outbox. */
static void
test_a_batch_posts_in_one_transaction(void **state)
{
	book a, b;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;

	(void)state;
	open_book(&a, "batch-one-a");
	open_book(&b, "batch-one-b");
	/* b's entries first in the request, a's group id may sort either way */
	const book *books[] = {&b, &a, &a, &b};
	post posts[] = {{CREDIT, 4000, "bone-1"},
			{CREDIT, 10000, "bone-2", .fee = 150, .payer_account = "0123456789"},
			{DEBIT, 2500, "bone-3"},
			{CREDIT, 700, "bone-4", .client_ref = "bone-key-4"}};

	assert_int_equal(post_entries(books, posts, 4, &resp), 0);
	assert_ok(resp->results[0], 0, 4000);
	assert_ok(resp->results[1], 0, 10000);
	assert_non_null(resp->results[1]->response->fee_entry);
	assert_int_equal(resp->results[1]->response->fee_entry->amount_kobo, 150);
	assert_string_equal(resp->results[1]->response->fee_entry->reference, "fee:bone-2");
	assert_ok(resp->results[2], 0, 2500);
	assert_null(resp->results[2]->response->fee_entry);
	assert_ok(resp->results[3], 0, 700);
	assert_string_equal(resp->results[3]->response->entry->client_ref, "bone-key-4");
	assert_string_equal(resp->results[0]->response->entry->group_id, b.group);
	assert_string_equal(resp->results[2]->response->entry->group_id, a.group);
	assert_int_equal(writers_of("bone-"), 1);
	assert_int_equal(balance(&a), 10000 - 150 - 2500);
	assert_int_equal(balance(&b), 4700);
	assert_int_equal(entries_of(&a), 3);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_outbox WHERE type ="
				       " 'deposit.credited' AND data->>'reference' LIKE 'bone-%%'"),
			 3);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT (data->>'fee_kobo')::int FROM ledger_outbox WHERE"
			      " type = 'deposit.credited' AND data->>'reference' = 'bone-2'"),
		150);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_deposit_payer p JOIN"
				       " ledger_entry e ON e.id = p.entry_id WHERE e.reference ="
				       " 'bone-2' AND p.payer_account_number = '0123456789'"),
			 1);
}

/* Invalid, replayed, conflicting, refused and twice-sent entries among
 * valid ones: each gets PostEntry's answer, the rest are posted, once. */
static void
test_each_entry_is_answered_as_post_entry_would(void **state)
{
	book a;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;

	(void)state;
	open_book(&a, "batch-mixed");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 5000, "bmix-earlier", .fee = 50}), 0);
	assert_int_equal(post_entry(&a, &(post){DEBIT, 900000, "bmix-refused-earlier"}),
			 ERR_FAILED_PRECONDITION);
	const book *books[] = {&a, &a, &a, &a, &a, &a, &a, &a, &a, &a, &a};
	post posts[] = {
		{CREDIT, 1000, "bmix-new", .fee = 10, .payer_account = "0123456789"}, /* 0 */
		{DEBIT, 0, "bmix-zero"},		   /* 1 invalid */
		{CREDIT, 5000, "bmix-earlier", .fee = 50}, /* 2 replay */
		{CREDIT, 5001, "bmix-earlier"},		   /* 3 conflict */
		{CREDIT, 1000, "bmix-new", .fee = 10, .payer_account = "0123456789"}, /* 4 twice */
		{DEBIT, 300, "bmix-out"},					      /* 5 */
		{DEBIT, 300, "bmix-out"},					      /* 6 twice */
		{DEBIT, 1000000, "bmix-big"},		 /* 7 refused */
		{DEBIT, 900000, "bmix-refused-earlier"}, /* 8 refused before */
		{DEBIT, 50, "bmix-fee", .fee = 5},	 /* 9 fee on a debit */
		{CREDIT, 200, "bmix-keyed", .client_ref = "bmix-earlier-key"}, /* 10 */
	};
	long outbox;

	assert_int_equal(post_entries(books, posts, 11, &resp), 0);
	assert_ok(resp->results[0], 0, 1000);
	assert_int_equal(resp->results[0]->response->fee_entry->amount_kobo, 10);
	assert_refused(resp->results[1], CODE_INVALID_ARGUMENT, "invalid_amount");
	assert_ok(resp->results[2], 1, 5000);
	assert_int_equal(resp->results[2]->response->fee_entry->amount_kobo, 50);
	assert_refused(resp->results[3], CODE_ALREADY_EXISTS, "reference_conflict");
	assert_ok(resp->results[4], 1, 1000);
	assert_string_equal(resp->results[4]->response->entry->id,
			    resp->results[0]->response->entry->id);
	assert_ok(resp->results[5], 0, 300);
	assert_ok(resp->results[6], 1, 300);
	assert_string_equal(resp->results[6]->response->entry->id,
			    resp->results[5]->response->entry->id);
	assert_refused(resp->results[7], CODE_FAILED_PRECONDITION, "insufficient_funds");
	assert_refused(resp->results[8], CODE_FAILED_PRECONDITION, "insufficient_funds");
	assert_int_equal(resp->results[9]->code, CODE_INVALID_ARGUMENT);
	assert_ok(resp->results[10], 0, 200);
	/* the new ones in one transaction: the twice-sent and the conflict
	 * did not split it */
	assert_int_equal(writers_of("bmix-new"), 1);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(DISTINCT xmin::text) FROM ledger_entry WHERE"
				       " reference IN ('bmix-new', 'fee:bmix-new', 'bmix-out',"
				       " 'bmix-keyed')"),
			 1);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_refusal WHERE reference = 'bmix-big'"),
		1);
	assert_int_equal(entries_of(&a), 2 + 2 + 1 + 1);
	assert_int_equal(balance(&a), 5000 - 50 + 1000 - 10 - 300 + 200);
	outbox =
		test_pg_longf(w.admin, "SELECT count(*) FROM ledger_outbox WHERE type ="
				       " 'deposit.credited' AND data->>'reference' LIKE 'bmix-%%'");
	assert_int_equal(outbox, 3);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_deposit_payer p JOIN"
				       " ledger_entry e ON e.id = p.entry_id WHERE e.reference ="
				       " 'bmix-new'"),
			 1);
	/* the whole batch again: every posted entry a replay, nothing new */
	assert_int_equal(post_entries(books, posts, 11, &resp), 0);
	assert_ok(resp->results[0], 1, 1000);
	assert_ok(resp->results[5], 1, 300);
	assert_ok(resp->results[10], 1, 200);
	assert_refused(resp->results[7], CODE_FAILED_PRECONDITION, "insufficient_funds");
	assert_int_equal(entries_of(&a), 6);
	assert_int_equal(balance(&a), 5000 - 50 + 1000 - 10 - 300 + 200);
}

/* No entries, or more than 64: the call is refused, nothing posted. */
static void
test_a_batch_holds_1_to_64_entries(void **state)
{
	book a;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;
	const book *books[65];
	post posts[65];
	char refs[65][32];

	(void)state;
	open_book(&a, "batch-size");
	for (int i = 0; i < 65; i++) {
		books[i] = &a;
		snprintf(refs[i], sizeof(refs[i]), "bsize-%d", i);
		posts[i] = (post){CREDIT, 10, refs[i]};
	}
	assert_int_equal(post_entries(books, posts, 0, &resp), ERR_INVALID_ARGUMENT);
	assert_int_equal(post_entries(books, posts, 65, &resp), ERR_INVALID_ARGUMENT);
	assert_int_equal(entries_of(&a), 0);
	assert_int_equal(post_entries(books, posts, 64, &resp), 0);
	for (int i = 0; i < 64; i++)
		assert_ok(resp->results[i], 0, 10);
	assert_int_equal(writers_of("bsize-"), 1);
	assert_int_equal(balance(&a), 640);
}

/* A SQL session of our own holding a group's balance row. */
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

/* One group's row held by someone else: its entries are group_busy
 * (nothing of them written), the other group's are posted. */
static void
test_a_busy_group_fails_its_entries_only(void **state)
{
	book held, free_book;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;
	PGconn *holder;
	int rc;

	(void)state;
	open_book(&held, "batch-held");
	open_book(&free_book, "batch-free");
	assert_int_equal(post_entry(&held, &(post){CREDIT, 1000, "bheld-funds"}), 0);
	const book *books[] = {&held, &free_book, &held, &free_book};
	post posts[] = {{CREDIT, 100, "bheld-1"},
			{CREDIT, 200, "bfree-1"},
			{DEBIT, 100, "bheld-2"},
			{CREDIT, 300, "bfree-2"}};

	ldg_set_lock_wait_ms(200);
	holder = lock_balance_row(&held);
	rc = post_entries(books, posts, 4, &resp);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	ldg_set_lock_wait_ms(LDG_LOCK_WAIT_DEFAULT_MS);
	assert_int_equal(rc, 0);
	assert_refused(resp->results[0], CODE_UNAVAILABLE, "group_busy");
	assert_ok(resp->results[1], 0, 200);
	assert_refused(resp->results[2], CODE_UNAVAILABLE, "group_busy");
	assert_ok(resp->results[3], 0, 300);
	assert_int_equal(writers_of("bfree-"), 1);
	assert_int_equal(entries_of(&held), 1);
	assert_int_equal(balance(&free_book), 500);
	/* nothing of the busy ones was recorded: they post now */
	assert_int_equal(post_entries(books, posts, 4, &resp), 0);
	assert_ok(resp->results[0], 0, 100);
	assert_ok(resp->results[1], 1, 200);
	assert_ok(resp->results[2], 0, 100);
	assert_int_equal(balance(&held), 1000);
}

/* Threads each sending a batch of debits of one group whose balance
 * covers only some: exactly that many posted, the rest refused, each
 * reference once, never below zero. */
typedef struct sender {
	const book *b;
	int first;
	int n;
	int ok;
	int refused;
	int rc;
} sender;

#define SENDERS	     6
#define PER_SENDER   8
#define DEBIT_AMOUNT 100

static void *
sender_run(void *arg)
{
	sender *s = arg;
	mem_arena *a = mem_arena_new(0);
	batch *bt = malloc(sizeof(*bt));
	const book *books[PER_SENDER];
	post posts[PER_SENDER];
	char refs[PER_SENDER][32];
	ProtobufCMessage *out = NULL;
	test_caller svc = {.internal = 1};

	for (int i = 0; i < s->n; i++) {
		books[i] = s->b;
		/* every sender sends its own references and its neighbour's */
		snprintf(refs[i], sizeof(refs[i]), "brace-%d", (s->first + i) % (SENDERS * 4));
		posts[i] = (post){DEBIT, DEBIT_AMOUNT, refs[i]};
	}
	batch_of(bt, books, posts, (size_t)s->n);
	s->rc = test_call(&w.ledger, "PostEntries", &bt->req.base, &out, a, &svc);
	if (s->rc == 0) {
		Kolo__Ledger__V1__PostEntriesResponse *r = (void *)out;

		for (size_t i = 0; i < r->n_results; i++) {
			s->ok += r->results[i]->code == 0 && !r->results[i]->response->replayed;
			s->refused += r->results[i]->code == CODE_FAILED_PRECONDITION;
		}
	}
	free(bt);
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

static void
test_concurrent_batches_never_overdraw(void **state)
{
	book a;
	pthread_t threads[SENDERS];
	sender s[SENDERS];
	int ok = 0;

	(void)state;
	open_book(&a, "batch-race");
	/* 24 distinct references, 10 of them covered */
	assert_int_equal(post_entry(&a, &(post){CREDIT, 10 * DEBIT_AMOUNT, "brace-funds"}), 0);
	for (int i = 0; i < SENDERS; i++) {
		s[i] = (sender){.b = &a, .first = i * 4, .n = PER_SENDER};
		assert_int_equal(pthread_create(&threads[i], NULL, sender_run, &s[i]), 0);
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < SENDERS; i++) {
		assert_int_equal(s[i].rc, 0);
		ok += s[i].ok;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM ledger_entry WHERE"
						" reference LIKE 'brace-%%' AND type = 'DEBIT'"),
			 10);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_refusal WHERE reference LIKE"
				       " 'brace-%%'"),
			 SENDERS * 4 - 10);
	assert_int_equal(balance(&a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_batch_posts_in_one_transaction,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_each_entry_is_answered_as_post_entry_would,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_batch_holds_1_to_64_entries,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_busy_group_fails_its_entries_only,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_concurrent_batches_never_overdraw,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
