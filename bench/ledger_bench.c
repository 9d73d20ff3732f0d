/* ledger_bench: load on a running kolo-ledger through its internal API,
 * as the processes the caller table lets call it: payments (PostEntry,
 * CaptureHold; its token from KOLO_PAYMENTS_TOKEN) and withdrawals
 * (PlaceHold, GetBalance; KOLO_WITHDRAWALS_TOKEN), both in the suite's
 * secrets.env.
 *
 *   ledger_bench ADDR fund GROUP ACCOUNT AMOUNT
 *       posts one CREDIT of AMOUNT kobo (a hot group's funding)
 *   ledger_bench ADDR credit THREADS SECS FILE
 *       PostEntry CREDIT of 100 kobo, unique references, round-robin over
 *       the "GROUP ACCOUNT" lines of FILE
 *   ledger_bench ADDR entries THREADS SECS FILE BATCH
 *       PostEntries of BATCH CREDITs of 100 kobo (1..64), unique
 *       references, round-robin over the "GROUP ACCOUNT" lines of FILE;
 *       calls/s counts calls (entries/s is BATCH times it)
 *   ledger_bench ADDR fundall THREADS FILE AMOUNT
 *       posts one CREDIT of AMOUNT kobo to each "GROUP ACCOUNT" line of
 *       FILE, from THREADS threads (the many-groups workload's funding)
 *   ledger_bench ADDR spread THREADS SECS FILE
 *       PostEntry DEBIT of 1 kobo, unique references, round-robin over the
 *       "GROUP ACCOUNT" lines of FILE (debits spread across groups)
 *   ledger_bench ADDR debit THREADS SECS GROUP ACCOUNT
 *   ledger_bench ADDR holdcap THREADS SECS GROUP ACCOUNT (hold, then capture)
 *       PostEntry DEBIT of 1 kobo on one group, unique references
 *   ledger_bench ADDR balance THREADS SECS GROUP EXPECTED
 *       GetBalance of one group; a reply other than EXPECTED kobo counts
 *       as an error
 *
 * Each measuring mode prints one bench_run line (see load.h); the exit
 * status is 1 when any call failed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "load.h"
#include "money/money.h"
#include "rpc/rpc.h"

#define BENCH_MAX_GROUPS 16384
#define BENCH_ID_MAX	 64

typedef struct bench_target {
	char group[BENCH_ID_MAX];
	char account[BENCH_ID_MAX];
} bench_target;

static rpc_channel *channel;
/* The credentials of payments and withdrawals (caller name and token). */
static rpc_metadata payments_md[2];
static rpc_metadata withdrawals_md[2];
static bench_target targets[BENCH_MAX_GROUPS];
static size_t n_targets;
static atomic_ulong next_ref;
static char ref_prefix[64];
static int64_t expected_balance;
static int64_t batch_size;

/* Prints the first failure's message (the rest only count). */
static int
bench_failed(int rc)
{
	static atomic_int reported;

	if (rc != 0 && atomic_fetch_add(&reported, 1) == 0)
		fprintf(stderr, "first error: %d %s: %s\n", rc, err_last()->reason,
			err_last()->message);
	return rc;
}

/* Posts with the n-th unique reference of this process. */
static int
bench_post(const bench_target *t, Kolo__Common__V1__EntryType type, int64_t amount,
	   mem_arena *arena, int wait, unsigned long n)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000,
			      .metadata = payments_md,
			      .n_metadata = 2,
			      .wait_for_ready = wait};
	char reference[96];
	int rc;

	snprintf(reference, sizeof(reference), "%s%lu", ref_prefix, n);
	req.group_id = (char *)t->group;
	req.account_id = (char *)t->account;
	req.type = type;
	req.amount_kobo = amount;
	req.currency = "NGN";
	req.source = "demo";
	req.reference = reference;
	req.simulated = 1;
	rc = rpc_call(channel, "PostEntry", &req.base, &resp, &alloc, &opts);
	if (rc == 0 && ((Kolo__Ledger__V1__PostEntryResponse *)resp)->replayed)
		rc = err_set(ERR_INTERNAL, "replayed", "a new reference came back as a replay");
	return bench_failed(rc);
}

static int
bench_credit(void *arg, mem_arena *arena)
{
	unsigned long n = atomic_fetch_add(&next_ref, 1);

	(void)arg;
	return bench_post(&targets[n % n_targets], KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT,
			  100, arena, 0, n);
}

static int
bench_debit(void *arg, mem_arena *arena)
{
	(void)arg;
	return bench_post(&targets[0], KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT, 1, arena, 0,
			  atomic_fetch_add(&next_ref, 1));
}

/* One PostEntries of batch_size credits, each of the next group. */
static int
bench_entries(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Ledger__V1__PostEntriesRequest req = KOLO__LEDGER__V1__POST_ENTRIES_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryRequest entries[64], *ptrs[64];
	Kolo__Ledger__V1__PostEntriesResponse *resp;
	ProtobufCMessage *out = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000, .metadata = payments_md, .n_metadata = 2};
	char references[64][96];
	int rc;

	(void)arg;
	for (int i = 0; i < batch_size; i++) {
		unsigned long n = atomic_fetch_add(&next_ref, 1);
		const bench_target *t = &targets[n % n_targets];

		kolo__ledger__v1__post_entry_request__init(&entries[i]);
		snprintf(references[i], sizeof(references[i]), "%s%lu", ref_prefix, n);
		entries[i].group_id = (char *)t->group;
		entries[i].account_id = (char *)t->account;
		entries[i].type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
		entries[i].amount_kobo = 100;
		entries[i].currency = "NGN";
		entries[i].source = "demo";
		entries[i].reference = references[i];
		entries[i].simulated = 1;
		ptrs[i] = &entries[i];
	}
	req.entries = ptrs;
	req.n_entries = (size_t)batch_size;
	rc = rpc_call(channel, "PostEntries", &req.base, &out, &alloc, &opts);
	resp = (Kolo__Ledger__V1__PostEntriesResponse *)out;
	for (size_t i = 0; rc == 0 && i < resp->n_results; i++)
		if (resp->results[i]->code != 0 || resp->results[i]->response->replayed)
			rc = err_set(ERR_INTERNAL, "entry_failed", "entry %zu: %d %s", i,
				     resp->results[i]->code, resp->results[i]->reason);
	return bench_failed(rc);
}

/* Debits spread across the groups of FILE, one after the other. */
static int
bench_spread(void *arg, mem_arena *arena)
{
	unsigned long n = atomic_fetch_add(&next_ref, 1);

	(void)arg;
	return bench_post(&targets[n % n_targets], KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT,
			  1, arena, 0, n);
}

/* A withdrawal's money on the hot group (DESIGN §13): a hold of 1 kobo,
 * then its capture as the DEBIT, two calls under the group's lock. */
static int
bench_holdcap(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Ledger__V1__PlaceHoldRequest hold = KOLO__LEDGER__V1__PLACE_HOLD_REQUEST__INIT;
	Kolo__Ledger__V1__CaptureHoldRequest cap = KOLO__LEDGER__V1__CAPTURE_HOLD_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000, .metadata = withdrawals_md, .n_metadata = 2};
	unsigned long n = atomic_fetch_add(&next_ref, 1);
	char hold_ref[96], entry_ref[96];
	int rc;

	(void)arg;
	snprintf(hold_ref, sizeof(hold_ref), "%shold:%lu", ref_prefix, n);
	snprintf(entry_ref, sizeof(entry_ref), "%s%lu", ref_prefix, n);
	hold.group_id = targets[0].group;
	hold.amount_kobo = 1;
	hold.reference = hold_ref;
	rc = rpc_call(channel, "PlaceHold", &hold.base, &resp, &alloc, &opts);
	if (rc == 0) {
		cap.reference = hold_ref;
		cap.group_id = targets[0].group;
		cap.amount_kobo = 1;
		cap.account_id = targets[0].account;
		cap.entry_reference = entry_ref;
		cap.source = "demo";
		cap.simulated = 1;
		opts.metadata = payments_md;
		rc = rpc_call(channel, "CaptureHold", &cap.base, &resp, &alloc, &opts);
	}
	return bench_failed(rc);
}

static int
bench_balance(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000, .metadata = withdrawals_md, .n_metadata = 2};
	int rc;

	(void)arg;
	req.group_id = targets[0].group;
	rc = rpc_call(channel, "GetBalance", &req.base, &resp, &alloc, &opts);
	if (rc == 0 &&
	    ((Kolo__Ledger__V1__GetBalanceResponse *)resp)->balance_kobo != expected_balance)
		rc = err_set(
			ERR_INTERNAL, "wrong_balance", "balance %lld, expected %lld",
			(long long)((Kolo__Ledger__V1__GetBalanceResponse *)resp)->balance_kobo,
			(long long)expected_balance);
	return bench_failed(rc);
}

static int
bench_set_target(bench_target *t, const char *group, const char *account)
{
	if (strlen(group) >= BENCH_ID_MAX || strlen(account) >= BENCH_ID_MAX)
		return -1;
	strcpy(t->group, group);
	strcpy(t->account, account);
	return 0;
}

static int
bench_read_targets(const char *path)
{
	FILE *f = fopen(path, "r");
	char group[BENCH_ID_MAX], account[BENCH_ID_MAX];

	if (!f) {
		perror(path);
		return -1;
	}
	while (n_targets < BENCH_MAX_GROUPS && fscanf(f, "%63s %63s", group, account) == 2) {
		if (bench_set_target(&targets[n_targets], group, account) == 0)
			n_targets++;
	}
	fclose(f);
	if (n_targets == 0)
		fprintf(stderr, "%s: no \"GROUP ACCOUNT\" lines\n", path);
	return n_targets ? 0 : -1;
}

static int
bench_fund(const char *amount_text)
{
	mem_arena *arena = mem_arena_new(0);
	int64_t amount = 0;
	int rc = cfg_parse_int(&amount, amount_text, 1, MONEY_MAX_KOBO);

	if (rc == 0)
		rc = bench_post(&targets[0], KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT,
				amount, arena, 1, 0);
	mem_arena_free(arena);
	return rc == 0 ? 0 : 1;
}

static atomic_ulong fund_next;
static atomic_long fund_errors;
static int64_t fund_amount;

/* One funding thread: a CREDIT of fund_amount to each group it takes. */
static void *
bench_fund_thread(void *arg)
{
	mem_arena *arena = mem_arena_new(0);
	unsigned long i;

	(void)arg;
	while ((i = atomic_fetch_add(&fund_next, 1)) < n_targets) {
		mem_arena_reset(arena);
		if (bench_post(&targets[i], KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT,
			       fund_amount, arena, 1, i) != 0)
			atomic_fetch_add(&fund_errors, 1);
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return NULL;
}

/* Funds every target once from threads threads; prints one line. Returns
 * the number of failed credits. */
static long
bench_fund_all(int threads)
{
	pthread_t ids[256];

	for (int i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, bench_fund_thread, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	printf("fundall groups=%zu errors=%ld\n", n_targets, atomic_load(&fund_errors));
	fflush(stdout);
	return atomic_load(&fund_errors);
}

static int
usage(void)
{
	fprintf(stderr, "usage: ledger_bench ADDR fund GROUP ACCOUNT AMOUNT\n"
			"       ledger_bench ADDR credit THREADS SECS FILE\n"
			"       ledger_bench ADDR entries THREADS SECS FILE BATCH\n"
			"       ledger_bench ADDR fundall THREADS FILE AMOUNT\n"
			"       ledger_bench ADDR spread THREADS SECS FILE\n"
			"       ledger_bench ADDR debit THREADS SECS GROUP ACCOUNT\n"
			"       ledger_bench ADDR holdcap THREADS SECS GROUP ACCOUNT\n"
			"       ledger_bench ADDR balance THREADS SECS GROUP EXPECTED\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *payments = getenv("KOLO_PAYMENTS_TOKEN");
	const char *withdrawals = getenv("KOLO_WITHDRAWALS_TOKEN");
	const char *mode = argc > 2 ? argv[2] : "";
	int64_t threads = 0, secs = 0;
	bench_call_fn call = NULL;
	char label[32];
	long errors;

	if (!payments || !payments[0] || !withdrawals || !withdrawals[0]) {
		fprintf(stderr, "ledger_bench: KOLO_PAYMENTS_TOKEN and "
				"KOLO_WITHDRAWALS_TOKEN must be set\n");
		return 2;
	}
	payments_md[0] = (rpc_metadata){RPC_CALLER_KEY, "payments"};
	payments_md[1] = (rpc_metadata){RPC_INTERNAL_TOKEN_KEY, payments};
	withdrawals_md[0] = (rpc_metadata){RPC_CALLER_KEY, "withdrawals"};
	withdrawals_md[1] = (rpc_metadata){RPC_INTERNAL_TOKEN_KEY, withdrawals};
	snprintf(ref_prefix, sizeof(ref_prefix), "bench:%d:%s:", (int)getpid(), mode);
	if (strcmp(mode, "fund") == 0) {
		if (argc != 6 || bench_set_target(&targets[0], argv[3], argv[4]) < 0)
			return usage();
		n_targets = 1;
	} else if (strcmp(mode, "fundall") == 0) {
		if (argc != 6 || cfg_parse_int(&threads, argv[3], 1, 256) < 0 ||
		    cfg_parse_int(&fund_amount, argv[5], 1, MONEY_MAX_KOBO) < 0)
			return usage();
		if (bench_read_targets(argv[4]) < 0)
			return 2;
	} else {
		if (argc < 6 || cfg_parse_int(&threads, argv[3], 1, 256) < 0 ||
		    cfg_parse_int(&secs, argv[4], 1, 600) < 0)
			return usage();
		if (strcmp(mode, "credit") == 0 && argc == 6) {
			if (bench_read_targets(argv[5]) < 0)
				return 2;
			call = bench_credit;
		} else if (strcmp(mode, "entries") == 0 && argc == 7) {
			if (bench_read_targets(argv[5]) < 0 ||
			    cfg_parse_int(&batch_size, argv[6], 1, 64) < 0)
				return usage();
			call = bench_entries;
		} else if (strcmp(mode, "spread") == 0 && argc == 6) {
			if (bench_read_targets(argv[5]) < 0)
				return 2;
			call = bench_spread;
		} else if (strcmp(mode, "debit") == 0 && argc == 7) {
			if (bench_set_target(&targets[0], argv[5], argv[6]) < 0)
				return usage();
			call = bench_debit;
		} else if (strcmp(mode, "holdcap") == 0 && argc == 7) {
			if (bench_set_target(&targets[0], argv[5], argv[6]) < 0)
				return usage();
			call = bench_holdcap;
		} else if (strcmp(mode, "balance") == 0 && argc == 7) {
			if (bench_set_target(&targets[0], argv[5], "-") < 0 ||
			    cfg_parse_int(&expected_balance, argv[6], 0, INT64_MAX) < 0)
				return usage();
			call = bench_balance;
		} else {
			return usage();
		}
	}
	rpc_init();
	if (rpc_channel_open(&channel, argv[1], &kolo__ledger__v1__ledger_service__descriptor,
			     NULL) < 0) {
		fprintf(stderr, "ledger_bench: %s\n", err_last()->message);
		rpc_shutdown();
		return 1;
	}
	if (strcmp(mode, "fundall") == 0) {
		errors = bench_fund_all((int)threads);
	} else if (!call) {
		errors = bench_fund(argv[5]);
	} else {
		snprintf(label, sizeof(label), "%s", mode);
		errors = bench_run(label, (int)threads, (double)secs, call, NULL);
	}
	rpc_channel_close(channel);
	rpc_client_thread_done();
	rpc_shutdown();
	return errors ? 1 : 0;
}
