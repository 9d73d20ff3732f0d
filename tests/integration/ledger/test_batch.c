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
#include <unistd.h>

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
	const char *reverses;
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
	req->reverses_reference = (char *)(p->reverses ? p->reverses : "");
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

/* More entries failing on their own account than the batch reruns for:
 * every entry is then posted on its own, each answered as alone. */
static void
test_a_batch_of_many_replays_posts_each_alone(void **state)
{
	book a;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;
	const book *books[8];
	post posts[8];
	char refs[8][32];

	(void)state;
	open_book(&a, "batch-replays");
	for (int i = 0; i < 8; i++) {
		books[i] = &a;
		snprintf(refs[i], sizeof(refs[i]), "brep-%d", i);
		posts[i] = (post){CREDIT, 100 + i, refs[i]};
		if (i < 6)
			assert_int_equal(post_entry(&a, &posts[i]), 0);
	}
	assert_int_equal(post_entries(books, posts, 8, &resp), 0);
	for (int i = 0; i < 8; i++)
		assert_ok(resp->results[i], i < 6, 100 + i);
	assert_int_equal(entries_of(&a), 8);
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM ledger_outbox WHERE type ="
				       " 'deposit.credited' AND data->>'reference' LIKE 'brep-%%'"),
			 8);
}

/* Two reversals of one deposit in one batch: the first takes it back, the
 * second is refused as it would be after the first alone. */
static void
test_a_deposit_is_reversed_once_in_a_batch(void **state)
{
	book a;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;
	const book *books[] = {&a, &a};
	post posts[] = {{DEBIT, 5000, "chargeback:brv-1", .reverses = "brv-dep"},
			{DEBIT, 5000, "chargeback:brv-2", .reverses = "brv-dep"}};

	(void)state;
	open_book(&a, "batch-reversal");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 5000, "brv-dep"}), 0);
	assert_int_equal(post_entry(&a, &(post){CREDIT, 1000, "brv-more"}), 0);
	assert_int_equal(post_entries(books, posts, 2, &resp), 0);
	assert_ok(resp->results[0], 0, 5000);
	assert_refused(resp->results[1], CODE_ALREADY_EXISTS, "deposit_already_reversed");
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM ledger_reversal r JOIN"
						" ledger_entry e ON e.id = r.reverses_entry_id"
						" WHERE e.reference = 'brv-dep'"),
			 1);
	assert_int_equal(balance(&a), 1000);
	/* the batch again: the first a replay, the second still refused */
	assert_int_equal(post_entries(books, posts, 2, &resp), 0);
	assert_ok(resp->results[0], 1, 5000);
	assert_refused(resp->results[1], CODE_ALREADY_EXISTS, "deposit_already_reversed");
}

/* --- coalesced debits ------------------------------------------------------- */

/* A thread posting one debit with PostEntry, keeping its outcome. */
typedef struct debiter {
	const book *b;
	char reference[48];
	int64_t amount;
	int rc;
	int replayed;
	char reason[64];
	pthread_t thread;
} debiter;

static void *
debiter_run(void *arg)
{
	debiter *d = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Ledger__V1__PostEntryRequest req;
	ProtobufCMessage *resp = NULL;
	test_caller svc = {.internal = 1};

	post_request(&req, d->b, &(post){DEBIT, d->amount, d->reference});
	d->rc = test_call(&w.ledger, "PostEntry", &req.base, &resp, a, &svc);
	snprintf(d->reason, sizeof(d->reason), "%s", d->rc ? err_last()->reason : "");
	d->replayed = d->rc == 0 && ((Kolo__Ledger__V1__PostEntryResponse *)resp)->replayed;
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

static void
start_debit(debiter *d, const book *b, const char *reference, int64_t amount)
{
	*d = (debiter){.b = b, .amount = amount};
	snprintf(d->reference, sizeof(d->reference), "%s", reference);
	assert_int_equal(pthread_create(&d->thread, NULL, debiter_run, d), 0);
}

/* Polls until cond holds (a few seconds at most; fails the test then). */
#define WAIT_UNTIL(cond)                                                                           \
	do {                                                                                       \
		int tries_ = 0;                                                                    \
		while (!(cond) && tries_++ < 1000)                                                 \
			usleep(5000);                                                              \
		assert_true(cond);                                                                 \
	} while (0)

static long
lock_waiters(void)
{
	return test_pg_long(w.admin, "SELECT count(*) FROM pg_locks WHERE NOT granted");
}

/* The group's row held: one debit (alone) waits for it in PostgreSQL, the
 * others queue behind it in the ledger; once the row is free they are
 * posted together, each checked against what the ones before it left. */
static void
test_queued_debits_are_posted_together(void **state)
{
	book a;
	debiter d[4];
	PGconn *holder;
	int64_t batches = ldg_coalesced("batches"), debits = ldg_coalesced("debits");
	int ok = 0, refused = 0;

	(void)state;
	open_book(&a, "coalesce-together");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 1000, "bco-funds"}), 0);
	holder = lock_balance_row(&a);
	start_debit(&d[0], &a, "bco-0", 300);
	WAIT_UNTIL(lock_waiters() == 1);
	start_debit(&d[1], &a, "bco-1", 300);
	start_debit(&d[2], &a, "bco-2", 300);
	start_debit(&d[3], &a, "bco-3", 300);
	WAIT_UNTIL(ldg_coalesced("waiting") == 3);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	for (int i = 0; i < 4; i++) {
		pthread_join(d[i].thread, NULL);
		ok += d[i].rc == 0 && !d[i].replayed;
		refused += d[i].rc == ERR_FAILED_PRECONDITION &&
			   strcmp(d[i].reason, "insufficient_funds") == 0;
	}
	assert_int_equal(d[0].rc, 0); /* the first, alone */
	assert_int_equal(ok, 3);
	assert_int_equal(refused, 1);
	assert_int_equal(ldg_coalesced("batches") - batches, 1);
	assert_int_equal(ldg_coalesced("debits") - debits, 3);
	assert_int_equal(balance(&a), 100);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_entry WHERE reference LIKE 'bco-_'"),
		3);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_refusal WHERE reference LIKE 'bco-_'"),
		1);
	/* the three after the first in one transaction */
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(DISTINCT xmin::text) FROM ledger_entry WHERE"
				       " reference IN ('bco-1', 'bco-2', 'bco-3')"),
			 1);
	/* a refused reference stays refused, a posted one replays */
	assert_int_equal(post_entry(&a, &(post){CREDIT, 5000, "bco-more"}), 0);
	for (int i = 1; i < 4; i++)
		if (d[i].rc != 0)
			assert_int_equal(post_entry(&a, &(post){DEBIT, 300, d[i].reference}),
					 ERR_FAILED_PRECONDITION);
	assert_int_equal(balance(&a), 5100);
}

/* The same reference twice in one coalesced batch: posted once, the second
 * a replay of it. */
static void
test_the_same_debit_twice_at_once_is_posted_once(void **state)
{
	book a;
	debiter d[3];
	PGconn *holder;
	int64_t batches = ldg_coalesced("batches");

	(void)state;
	open_book(&a, "coalesce-twice");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 1000, "btw-funds"}), 0);
	holder = lock_balance_row(&a);
	start_debit(&d[0], &a, "btw-first", 100);
	WAIT_UNTIL(lock_waiters() == 1);
	start_debit(&d[1], &a, "btw-same", 400);
	start_debit(&d[2], &a, "btw-same", 400);
	WAIT_UNTIL(ldg_coalesced("waiting") == 2);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	for (int i = 0; i < 3; i++) {
		pthread_join(d[i].thread, NULL);
		assert_int_equal(d[i].rc, 0);
	}
	assert_int_equal(d[1].replayed + d[2].replayed, 1);
	assert_int_equal(ldg_coalesced("batches") - batches, 1);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_entry WHERE reference = 'btw-same'"),
		1);
	assert_int_equal(balance(&a), 500);
}

/* Debits queued behind a row held past their wait give up: group_busy,
 * nothing of them written; the group takes debits again afterwards. */
static void
test_queued_debits_give_up_after_their_wait(void **state)
{
	book a;
	debiter d[3];
	PGconn *holder;

	(void)state;
	open_book(&a, "coalesce-busy");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 1000, "bbu-funds"}), 0);
	ldg_set_lock_wait_ms(300);
	holder = lock_balance_row(&a);
	start_debit(&d[0], &a, "bbu-0", 100);
	WAIT_UNTIL(lock_waiters() == 1);
	start_debit(&d[1], &a, "bbu-1", 100);
	start_debit(&d[2], &a, "bbu-2", 100);
	for (int i = 0; i < 3; i++)
		pthread_join(d[i].thread, NULL);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	ldg_set_lock_wait_ms(LDG_LOCK_WAIT_DEFAULT_MS);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d[i].rc, ERR_UNAVAILABLE);
		assert_string_equal(d[i].reason, "group_busy");
	}
	assert_int_equal(ldg_coalesced("waiting"), 0);
	assert_int_equal(entries_of(&a), 1);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_refusal WHERE reference LIKE 'bbu-%%'"),
		0);
	assert_int_equal(post_entry(&a, &(post){DEBIT, 100, "bbu-1"}), 0);
	assert_int_equal(balance(&a), 900);
}

/* A thread placing one hold with PlaceHold, keeping its outcome. */
static void *
holder_run(void *arg)
{
	debiter *d = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Ledger__V1__PlaceHoldRequest req = KOLO__LEDGER__V1__PLACE_HOLD_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	test_caller svc = {.internal = 1};

	req.group_id = (char *)d->b->group;
	req.amount_kobo = d->amount;
	req.reference = d->reference;
	d->rc = test_call(&w.ledger, "PlaceHold", &req.base, &resp, a, &svc);
	snprintf(d->reason, sizeof(d->reason), "%s", d->rc ? err_last()->reason : "");
	d->replayed = d->rc == 0 && ((Kolo__Ledger__V1__PlaceHoldResponse *)resp)->replayed;
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

static void
start_hold(debiter *d, const book *b, const char *reference, int64_t amount)
{
	*d = (debiter){.b = b, .amount = amount};
	snprintf(d->reference, sizeof(d->reference), "%s", reference);
	assert_int_equal(pthread_create(&d->thread, NULL, holder_run, d), 0);
}

/* Holds queued behind the group's row are placed together, each against
 * the available balance the ones before it left; the same reference twice
 * is one hold, the second a replay. */
static void
test_queued_holds_are_placed_together(void **state)
{
	book a;
	debiter d[4];
	PGconn *holder;
	int64_t batches = ldg_coalesced("batches"), holds = ldg_coalesced("holds");
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	(void)state;
	open_book(&a, "coalesce-holds");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 800, "bho-funds"}), 0);
	holder = lock_balance_row(&a);
	/* the tests' ledger has 4 workers: one alone, three queued */
	start_hold(&d[0], &a, "bho-0", 300);
	WAIT_UNTIL(lock_waiters() == 1);
	start_hold(&d[1], &a, "bho-1", 300);
	WAIT_UNTIL(ldg_coalesced("waiting") == 1);
	start_hold(&d[2], &a, "bho-1", 300);
	WAIT_UNTIL(ldg_coalesced("waiting") == 2);
	start_hold(&d[3], &a, "bho-2", 300);
	WAIT_UNTIL(ldg_coalesced("waiting") == 3);
	test_pg_ok(holder, "ROLLBACK");
	PQfinish(holder);
	for (int i = 0; i < 4; i++)
		pthread_join(d[i].thread, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(d[i].rc, 0);
	assert_false(d[1].replayed);
	assert_true(d[2].replayed);
	assert_int_equal(d[3].rc, ERR_FAILED_PRECONDITION);
	assert_string_equal(d[3].reason, "insufficient_funds");
	assert_int_equal(ldg_coalesced("batches") - batches, 1);
	assert_int_equal(ldg_coalesced("holds") - holds, 3);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_hold WHERE reference LIKE 'bho-%%'"
			      " AND status = 'held'"),
		2);
	req.group_id = a.group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	assert_int_equal(resp->held_kobo, 600);
	assert_int_equal(resp->available_kobo, 200);
}

/* Many debits of one group at once, its balance covering some: exactly
 * those posted, the rest refused, each reference once, never below zero,
 * coalesced or not. */
#define RACERS 24

static void
test_many_debits_of_one_group_never_overdraw(void **state)
{
	book a;
	debiter d[RACERS];
	char ref[32];
	int ok = 0, refused = 0;

	(void)state;
	open_book(&a, "coalesce-race");
	assert_int_equal(post_entry(&a, &(post){CREDIT, 1000, "bcr-funds"}), 0);
	for (int i = 0; i < RACERS; i++) {
		snprintf(ref, sizeof(ref), "bcr-%d", i % (RACERS - 4)); /* 4 sent twice */
		start_debit(&d[i], &a, ref, 100);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(d[i].thread, NULL);
		ok += d[i].rc == 0 && !d[i].replayed;
		refused += d[i].rc == ERR_FAILED_PRECONDITION;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(test_pg_longf(w.admin, "SELECT count(*) FROM ledger_entry WHERE"
						" reference LIKE 'bcr-%%' AND type = 'DEBIT'"),
			 10);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_refusal WHERE reference LIKE 'bcr-%%'"),
		RACERS - 4 - 10);
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
		cmocka_unit_test_teardown(test_a_batch_of_many_replays_posts_each_alone,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_a_deposit_is_reversed_once_in_a_batch,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_queued_debits_are_posted_together,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_the_same_debit_twice_at_once_is_posted_once,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_queued_debits_give_up_after_their_wait,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_queued_holds_are_placed_together,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(test_many_debits_of_one_group_never_overdraw,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, test_world_setup, test_world_teardown);
}
