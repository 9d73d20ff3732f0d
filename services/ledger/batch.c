/* PostEntries: up to LDG_BATCH_MAX entries, each answered as PostEntry
 * would answer it alone, the posted ones written in one transaction (one
 * commit for all). */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "metrics/metrics.h"
#include "post.h"
#include "svc/call.h"

#define LDG_BATCH_MAX 64

static metrics_family ldg_batch_entries = METRICS_FAMILY(
	METRICS_COUNTER, "kolo_ledger_batch_entries_total",
	"PostEntries' entries by how they were posted: batch (in the call's one transaction), "
	"single (on their own after the batch's transaction failed), invalid (refused before)");

/* A PostEntries call on its way: one ldg_post_one per entry, each entry's
 * outcome so far (rc, and its error), and the order in which the ready
 * ones are posted. */
typedef struct ldg_batch {
	rpc_ctx *ctx;
	const Kolo__Ledger__V1__PostEntriesRequest *in;
	ldg_post_one *one;
	int *rc;       /* per entry: 0 ready (then posted, replayed), else its error */
	err_info *err; /* the error of an entry whose rc < 0 */
	size_t *order; /* the ready entries by group id, then request order */
	size_t n_order;
	int *stmt_rc;	    /* per entry: its statement's own failure, kept out of the batch */
	err_info *stmt_err; /* the error of each stmt_rc < 0 */
	size_t failed;	    /* the entry whose statement ended the transaction */
} ldg_batch;

static int
ldg_batch_fail(ldg_batch *b, size_t i, int rc)
{
	b->rc[i] = rc;
	if (rc < 0)
		b->err[i] = *err_last();
	return rc;
}

/* Every group's balance row is locked in one order (its id), so two
 * batches never wait for each other in a cycle; insertion keeps entries of
 * one group in request order. */
static void
ldg_batch_order(ldg_batch *b, size_t n)
{
	b->n_order = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = b->n_order++;

		if (b->rc[i] < 0) {
			b->n_order--;
			continue;
		}
		while (k > 0 && strcasecmp(b->one[b->order[k - 1]].spec.group_id,
					   b->one[i].spec.group_id) > 0) {
			b->order[k] = b->order[k - 1];
			k--;
		}
		b->order[k] = i;
	}
}

static void
ldg_batch_reset(ldg_post_tx *t)
{
	t->posted = 0;
	t->has_fee = 0;
	t->other_reversal = 0;
}

/* The transaction's body: the statement of every ready entry not kept
 * out. Any error ends it (a statement that failed aborts the
 * transaction), b->failed says whose. It may run again (db_tx's retries). */
static int
ldg_batch_run(db_conn *c, void *arg)
{
	ldg_batch *b = arg;

	b->failed = SIZE_MAX;
	for (size_t k = 0; k < b->n_order; k++) {
		size_t i = b->order[k];
		int rc;

		if (b->stmt_rc[i] < 0)
			continue;
		ldg_batch_reset(&b->one[i].t);
		rc = ldg_post(b->ctx, c, &b->one[i].t);
		if (rc < 0) {
			b->failed = i;
			return rc;
		}
	}
	return 0;
}

/* A failure of one entry's statement that PostEntry would answer for that
 * entry alone (its key taken, meanwhile or earlier in the batch; an
 * account not the group's; its group busy), not for the transaction. */
static int
ldg_batch_entry_failure(int rc)
{
	return rc == ERR_ALREADY_EXISTS || rc == ERR_FAILED_PRECONDITION ||
	       rc == ERR_INVALID_ARGUMENT ||
	       (rc == ERR_UNAVAILABLE && strcmp(err_last()->reason, "group_busy") == 0);
}

/* How many times the batch's transaction runs again without an entry
 * whose statement failed, before each entry goes on its own. */
#define LDG_BATCH_ROUNDS 4

/* Keeps the entry whose statement failed out of the next round; a busy
 * group's other entries too (each would wait the lock wait again). */
static void
ldg_batch_keep_out(ldg_batch *b, int rc)
{
	const char *group = b->one[b->failed].spec.group_id;
	int busy = strcmp(err_last()->reason, "group_busy") == 0;

	for (size_t k = 0; k < b->n_order; k++) {
		size_t i = b->order[k];

		if (i != b->failed && (!busy || strcasecmp(b->one[i].spec.group_id, group) != 0))
			continue;
		b->stmt_rc[i] = rc;
		b->stmt_err[i] = *err_last();
	}
}

/* The batch's transaction: when one entry's statement fails on its own
 * account, that entry is kept out (its failure settled after the commit,
 * as PostEntry's would be) and the transaction runs again without it. */
static int
ldg_batch_commit(ldg_batch *b, db_conn *c)
{
	int rc = 0;

	for (int round = 0; round < LDG_BATCH_ROUNDS; round++) {
		rc = db_tx(c, svc_tx_timeout(b->ctx), ldg_batch_run, b);
		if (rc == 0 || b->failed == SIZE_MAX || !ldg_batch_entry_failure(rc))
			return rc;
		ldg_batch_keep_out(b, rc);
	}
	return rc;
}

/* After the commit: each entry read back as PostEntry's after its
 * statement (a replay, a conflict, a refusal). */
static void
ldg_batch_settle(ldg_batch *b, db_conn *c)
{
	for (size_t k = 0; k < b->n_order; k++) {
		size_t i = b->order[k];
		int rc = b->stmt_rc[i];

		if (rc < 0)
			(void)err_restore(&b->stmt_err[i]);
		(void)ldg_batch_fail(b, i, ldg_post_settle(c, &b->one[i], b->in->entries[i], rc));
	}
}

/* The batch's transaction failed and nothing of it is written: each entry
 * through PostEntry's own path (its own statement), so an entry that made
 * the batch fail (a reference taken meanwhile, a busy group) gets its own
 * answer and the others are posted. */
static void
ldg_batch_singly(ldg_batch *b, db_conn *c)
{
	for (size_t k = 0; k < b->n_order; k++) {
		size_t i = b->order[k];

		ldg_batch_reset(&b->one[i].t);
		(void)ldg_batch_fail(b, i,
				     ldg_post_settle(c, &b->one[i], b->in->entries[i],
						     ldg_post(b->ctx, c, &b->one[i].t)));
	}
	metrics_add(&ldg_batch_entries, "path=\"single\"", (int64_t)b->n_order);
}

/* A replay answers for a posting found done, maybe one whose commit the
 * standby never confirmed: one commit of the call's own waits for it. */
static void
ldg_batch_fence(ldg_batch *b, db_conn *c)
{
	int replays = 0, rc;

	for (size_t k = 0; k < b->n_order; k++)
		replays += b->rc[b->order[k]] == 0 && !b->one[b->order[k]].t.posted;
	if (replays == 0)
		return;
	rc = db_fence(c);
	if (rc == 0)
		return;
	for (size_t k = 0; k < b->n_order; k++)
		if (b->rc[b->order[k]] == 0 && !b->one[b->order[k]].t.posted)
			(void)ldg_batch_fail(b, b->order[k], rc);
}

static int
ldg_batch_result(rpc_ctx *ctx, ldg_batch *b, size_t i, Kolo__Ledger__V1__PostEntryResult **out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Ledger__V1__PostEntryResult *r = mem_arena_alloc(a, sizeof(*r));
	Kolo__Ledger__V1__PostEntryResponse *resp;

	if (!r)
		return err_oom();
	kolo__ledger__v1__post_entry_result__init(r);
	*out = r;
	if (b->rc[i] < 0) {
		r->code = err_to_grpc(b->err[i].code);
		r->reason = mem_arena_strdup(a, b->err[i].reason);
		r->message = mem_arena_strdup(a, b->err[i].message);
		return r->reason && r->message ? 0 : err_oom();
	}
	resp = mem_arena_alloc(a, sizeof(*resp));
	if (!resp)
		return err_oom();
	kolo__ledger__v1__post_entry_response__init(resp);
	r->response = resp;
	return ldg_post_answer(ctx, &b->one[i].t, resp);
}

static int
ldg_batch_new(ldg_batch *b, rpc_ctx *ctx, const Kolo__Ledger__V1__PostEntriesRequest *in)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	size_t n = in->n_entries;

	if (n == 0 || n > LDG_BATCH_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_batch",
			       "entries must hold 1 to %d entries", LDG_BATCH_MAX);
	*b = (ldg_batch){.ctx = ctx, .in = in};
	b->one = mem_arena_alloc(a, n * sizeof(*b->one));
	b->rc = mem_arena_alloc(a, n * sizeof(*b->rc));
	b->err = mem_arena_alloc(a, n * sizeof(*b->err));
	b->order = mem_arena_alloc(a, n * sizeof(*b->order));
	b->stmt_rc = mem_arena_alloc(a, n * sizeof(*b->stmt_rc));
	b->stmt_err = mem_arena_alloc(a, n * sizeof(*b->stmt_err));
	if (!b->one || !b->rc || !b->err || !b->order || !b->stmt_rc || !b->stmt_err)
		return err_oom();
	memset(b->stmt_rc, 0, n * sizeof(*b->stmt_rc));
	return 0;
}

int
ldg_post_entries(rpc_ctx *ctx, const Kolo__Ledger__V1__PostEntriesRequest *in,
		 Kolo__Ledger__V1__PostEntriesResponse *out)
{
	ldg_batch b;
	db_conn *c = NULL, *unused = NULL;
	size_t n = in->n_entries;
	int rc = ldg_batch_new(&b, ctx, in);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		(void)ldg_batch_fail(&b, i,
				     ldg_post_prepare(ctx, &b.one[i], in->entries[i], &unused));
	ldg_batch_order(&b, n);
	metrics_add(&ldg_batch_entries, "path=\"invalid\"", (int64_t)(n - b.n_order));
	if (b.n_order > 0) {
		rc = db_thread_conn(&c);
		if (rc == 0)
			rc = ldg_batch_commit(&b, c);
		/* Committed or not, nobody can tell: the caller retries the
		 * call, whose entries then replay or post. */
		if (rc < 0 && (!c || strcmp(err_last()->reason, "commit_outcome_unknown") == 0))
			return rc;
		if (rc < 0) {
			ldg_batch_singly(&b, c);
		} else {
			ldg_batch_settle(&b, c);
			metrics_add(&ldg_batch_entries, "path=\"batch\"", (int64_t)b.n_order);
		}
		ldg_batch_fence(&b, c);
	}
	out->results = mem_arena_alloc(rpc_ctx_arena(ctx), n * sizeof(*out->results));
	if (!out->results)
		return err_oom();
	out->n_results = n;
	for (size_t i = 0; i < n; i++) {
		rc = ldg_batch_result(ctx, &b, i, &out->results[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}
