/* Deposits: provider webhooks (stored first, verified, re-checked with the
 * provider, credited once) and the transfer settlements they announce. */
#include "payments.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <time.h>

#include "batch.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "log/log.h"
#include "money/money.h"
#include "text/text.h"

/* What is kept of a delivery whose signature fails. */
#define PAY_KEPT_PREFIX 256 /* bytes of the body, as sanitised text */
#define PAY_KEPT_VALUE	256 /* bytes of a header value */
#define PAY_ADDR_MAX	64

/* What the provider kept of a charge: its fee, unless the customer paid
 * it on top (KOLO_FEE_BEARER=customer). */
static int64_t
pay_fee_kept(const pay_charge *charge)
{
	return pay_current()->customer_bears_fee ? 0 : charge->fee_kobo;
}

int
pay_match_payer(const char **out_user_id, pay_env *env, const char *group_id,
		const pay_payer *payer, const char *bank_code)
{
	Kolo__Groups__V1__MatchPayerRequest req = KOLO__GROUPS__V1__MATCH_PAYER_REQUEST__INIT;
	Kolo__Groups__V1__MatchPayerResponse *resp = NULL;
	int rc;

	*out_user_id = "";
	if (!payer->account_number[0])
		return 0;
	req.group_id = (char *)group_id;
	req.account_number = (char *)payer->account_number;
	req.bank_code = (char *)bank_code;
	req.bank_name = (char *)payer->bank_name;
	rc = pay_call((ProtobufCMessage **)&resp, env, pay_current()->groups, "MatchPayer",
		      &req.base);
	if (rc < 0) {
		char why[ERR_REASON_MAX];

		/* Attribution is decided at credit time, never guessed: the
		 * deposit waits (the stored webhook is retried). */
		snprintf(why, sizeof(why), "%s", err_last()->reason);
		log_event(LOG_LVL_WARN, "payer not matched yet", "group_id", group_id, "reason",
			  why, NULL);
		return err_set(ERR_UNAVAILABLE, "payer_match_unavailable",
			       "groups could not say who paid (%s): try again later", why);
	}
	*out_user_id = resp->user_id;
	return 0;
}

void
pay_post_payer(Kolo__Ledger__V1__PostEntryRequest *req, const pay_payer *payer)
{
	req->payer_name = (char *)payer->name;
	req->payer_account_number = (char *)payer->account_number;
	req->payer_bank_name = (char *)payer->bank_name;
}

/* The code of the sender's bank, when the provider's bank list names it
 * as the provider named it in the charge (MatchPayer then requires that
 * bank); else "" and MatchPayer has the name only, to break a tie. A list
 * that cannot be read leaves it "" (the deposit is not held up for it).
 * docs/decisions.md, "Contributions: the sender's bank". */
static const char *
pay_sender_bank(pay_env *env, const pay_payer *payer)
{
	const char *code = "";

	if (!payer->account_number[0] || !payer->bank_name[0])
		return "";
	if (pay_bank_code_of(&code, env->arena, payer->bank_name) < 0) {
		log_event(LOG_LVL_WARN, "sender bank not looked up", "reason", err_last()->reason,
			  NULL);
		return "";
	}
	/* MatchPayer takes 3 to 6 digits: a listed code of another shape is
	 * no code to narrow by (the deposit must not wait on it). */
	if (strlen(code) < 3 || strlen(code) > 6 || strspn(code, "0123456789") != strlen(code))
		return "";
	return code;
}

/* --- credits: through the ledger's PostEntries ------------------------------------ */

/* The most credits one PostEntries carries (the ledger takes 1..64). */
#define PAY_CREDIT_BATCH 64
/* How long a ledger that answered PostEntries UNIMPLEMENTED is asked
 * PostEntry only (an older ledger during a rolling upgrade). */
#define PAY_POST_ENTRIES_OFF_MS 60000

/* A credit waiting for its batch: the request (the caller's), and its own
 * answer. */
typedef struct pay_credit_job {
	pay_env *env;
	Kolo__Ledger__V1__PostEntryRequest *req;
	int alone;    /* answered: post it with PostEntry, alone */
	int rc;	      /* answered: 0 or the entry's err_code */
	err_info err; /* when rc < 0 */
	int replayed;
} pay_credit_job;

static _Atomic int64_t pay_post_entries_off_until;

static int64_t
pay_monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* PostEntry of one credit, as before batches. */
static int
pay_post_entry(int *out_replayed, pay_env *env, Kolo__Ledger__V1__PostEntryRequest *req)
{
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	int rc = pay_call((ProtobufCMessage **)&resp, env, pay_current()->ledger, "PostEntry",
			  &req->base);

	if (rc < 0)
		return rc;
	*out_replayed = resp->replayed;
	return 0;
}

/* A job answered by its entry's result in a PostEntries response. */
static void
pay_credit_answer(pay_credit_job *job, const Kolo__Ledger__V1__PostEntryResult *r)
{
	const char *reason = r->reason[0] ? r->reason : NULL; /* the ledger's, relayed */

	if (r->code == 0 && r->response) {
		job->rc = 0;
		job->replayed = r->response->replayed;
		return;
	}
	job->rc = err_set(r->code ? err_from_grpc(r->code) : ERR_INTERNAL, reason, "%s",
			  r->message[0] ? r->message : "the ledger did not post the credit");
	job->err = *err_last();
}

/* Sends the jobs that are not alone in one PostEntries; a job whose
 * reference an earlier job of the batch carries posts alone (after it,
 * as a repeated delivery would). 0, or an err_code when the call failed
 * as a whole (none of it was posted by it, says the ledger). */
static int
pay_credits_send(pay_env *env, pay_credit_job **jobs, size_t n)
{
	Kolo__Ledger__V1__PostEntriesRequest req = KOLO__LEDGER__V1__POST_ENTRIES_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntriesResponse *resp = NULL;
	Kolo__Ledger__V1__PostEntryRequest *entries[PAY_CREDIT_BATCH];
	pay_credit_job *sent[PAY_CREDIT_BATCH];
	size_t m = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < m && !jobs[i]->alone; j++)
			jobs[i]->alone =
				strcmp(sent[j]->req->reference, jobs[i]->req->reference) == 0;
		if (!jobs[i]->alone) {
			sent[m] = jobs[i];
			entries[m++] = jobs[i]->req;
		}
	}
	req.entries = entries;
	req.n_entries = m;
	rc = pay_call((ProtobufCMessage **)&resp, env, pay_current()->ledger, "PostEntries",
		      &req.base);
	if (rc == 0 && resp->n_results != m)
		rc = err_set(ERR_INTERNAL, NULL, "PostEntries answered %zu results for %zu entries",
			     resp->n_results, m);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < m; i++)
		pay_credit_answer(sent[i], resp->results[i]);
	return 0;
}

/* The combiner's writer of credits: the credits ready at this moment, in
 * one PostEntries (one ledger transaction), on the call of the writing
 * thread (its deadline). A batch of one, or a ledger without PostEntries,
 * is PostEntry as before; a PostEntries that failed as a whole leaves each
 * to its own PostEntry (idempotent by reference: a credit the ledger did
 * post after all is then answered replayed, never posted twice). */
static int
pay_credits_write(pay_batch_item *own, pay_batch_item *const *items, size_t n)
{
	pay_credit_job *mine = own->arg;
	pay_credit_job *jobs[PAY_CREDIT_BATCH];
	int rc;

	for (size_t i = 0; i < n; i++)
		jobs[i] = items[i]->arg;
	if (n == 1) {
		jobs[0]->rc = pay_post_entry(&jobs[0]->replayed, mine->env, jobs[0]->req);
		if (jobs[0]->rc < 0)
			jobs[0]->err = *err_last();
		return 0;
	}
	if (pay_monotonic_ms() < pay_post_entries_off_until)
		return PAY_BATCH_ALONE;
	rc = pay_credits_send(mine->env, jobs, n);
	if (rc == ERR_UNIMPLEMENTED)
		pay_post_entries_off_until = pay_monotonic_ms() + PAY_POST_ENTRIES_OFF_MS;
	if (rc < 0) {
		log_event(LOG_LVL_WARN, "credits batch not posted: each posted alone", "reason",
			  err_last()->reason, NULL);
		return PAY_BATCH_ALONE;
	}
	return 0;
}

static pay_batch pay_credit_batch = PAY_BATCH_INIT("credit", PAY_CREDIT_BATCH, pay_credits_write);

size_t
pay_credit_queued(void)
{
	return pay_batch_queued(&pay_credit_batch);
}

/* Posts a credit (PostEntry's request) with the credits ready at the same
 * moment; *out_replayed as PostEntry answers it. */
static int
pay_post_credit(int *out_replayed, pay_env *env, Kolo__Ledger__V1__PostEntryRequest *req)
{
	pay_credit_job job = {.env = env, .req = req};
	pay_batch_item item = {.arg = &job};
	int rc = pay_batch_run(&pay_credit_batch, &item);

	if (rc == PAY_BATCH_ALONE || (rc == 0 && job.alone))
		return pay_post_entry(out_replayed, env, req);
	if (rc < 0)
		return rc;
	if (job.rc < 0)
		return err_restore(&job.err);
	*out_replayed = job.replayed;
	return 0;
}

/* Credits a verified charge to the group of its tx_ref; the provider's
 * transaction id is the ledger reference, so a charge credits once. A fee
 * the provider kept is debited in the same ledger transaction
 * (fee:<transaction id>): the balance is what the provider holds. */
static int
pay_credit(pay_env *env, const pay_charge *charge, const char **outcome)
{
	pay_provider *prov = pay_current()->provider;
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	pay_account acct;
	int replayed = 0;
	db_conn *c = NULL;
	char *group_id = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = pay_store_account_of_tx_ref(&group_id, &acct, &found, env->arena, c,
						 charge->tx_ref);
	if (rc < 0)
		return rc;
	if (!group_id) {
		*outcome = "unknown_tx_ref";
		return 0;
	}
	if (!found) /* ours, but its account is not recorded yet: later */
		return err_set(ERR_UNAVAILABLE, "account_not_ready",
			       "the account of tx_ref %s is not recorded yet", charge->tx_ref);
	/* The member it is credited to, when exactly one pays from the
	 * sending account (DESIGN §15); else unallocated. */
	rc = pay_match_payer((const char **)&req.user_id, env, group_id, &charge->payer,
			     pay_sender_bank(env, &charge->payer));
	if (rc < 0)
		return rc;
	pay_post_payer(&req, &charge->payer);
	req.group_id = group_id;
	req.account_id = acct.id;
	req.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	req.amount_kobo = charge->amount_kobo;
	req.fee_kobo = pay_fee_kept(charge);
	req.source = (char *)prov->ops->deposit_source;
	req.reference = (char *)charge->id;
	req.simulated = 0;
	rc = pay_post_credit(&replayed, env, &req);
	if (rc < 0)
		return rc;
	*outcome = replayed ? "duplicate" : "credited";
	return 0;
}

/* A verified charge of a provider that names the receiving account, not a
 * tx_ref (paystack): the tx_ref of that account's group, then credited
 * like any other. An account that is not ours is "unknown_account". */
static int
pay_charge_matched(pay_env *env, pay_charge *charge, const char **outcome)
{
	db_conn *c = NULL;
	char *tx_ref = NULL;
	int rc;

	if (charge->tx_ref[0] || !charge->account_number[0])
		return pay_credit(env, charge, outcome);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_tx_ref_of_account(&tx_ref, env->arena, c,
						 pay_current()->provider->ops->name,
						 charge->account_number);
	if (rc < 0)
		return rc;
	if (!tx_ref || strlen(tx_ref) >= sizeof(charge->tx_ref)) {
		*outcome = "unknown_account";
		return 0;
	}
	memcpy(charge->tx_ref, tx_ref, strlen(tx_ref) + 1);
	return pay_credit(env, charge, outcome);
}

static int
pay_charge_same(const pay_event *ev, const pay_charge *charge)
{
	return charge->successful && strcmp(charge->currency, "NGN") == 0 &&
	       strcmp(charge->id, ev->transaction_id) == 0 &&
	       strcmp(charge->tx_ref, ev->tx_ref) == 0 &&
	       strcmp(charge->account_number, ev->account_number) == 0 &&
	       charge->amount_kobo == ev->amount_kobo && charge->amount_kobo > 0;
}

void
pay_charge_decide(pay_charge_plan *out, const pay_charge_facts *f)
{
	const pay_payer *named = &f->charge->payer;

	/* The payer as the verification names them, else as the signed
	 * delivery does. */
	out->payer = named->account_number[0] || named->name[0] ? named : &f->ev->payer;
	out->verdict = PAY_CHARGE_CREDIT;
	out->outcome = NULL;
	if (!pay_charge_same(f->ev, f->charge)) {
		out->verdict = PAY_CHARGE_MISMATCH;
		out->outcome = "verification_mismatch";
	} else if (f->charge->amount_kobo > f->max_kobo) {
		out->verdict = PAY_CHARGE_OVER_LIMIT;
		out->outcome = "amount_over_limit";
	} else if (f->fee_kept >= f->charge->amount_kobo) {
		out->verdict = PAY_CHARGE_FEE_NOT_BELOW;
		out->outcome = "fee_not_below_amount";
	}
}

/* The log line of a charge that is not credited. */
static void
pay_charge_refused(const pay_charge_plan *plan, const pay_event *ev)
{
	switch (plan->verdict) {
	case PAY_CHARGE_MISMATCH:
		log_event(LOG_LVL_WARN, "deposit does not match its verification", "transaction_id",
			  ev->transaction_id, NULL);
		break;
	case PAY_CHARGE_OVER_LIMIT:
		/* Above the most one entry may move (KOLO_MAX_AMOUNT_KOBO, at
		 * most ₦250 m): a person looks, not 50 failing retries. */
		log_event(LOG_LVL_ERROR, "deposit above the amount limit", "transaction_id",
			  ev->transaction_id, NULL);
		break;
	case PAY_CHARGE_FEE_NOT_BELOW:
		/* Nothing arrived (the ledger refuses such a fee): a person looks. */
		log_event(LOG_LVL_ERROR, "deposit fee not below its amount", "transaction_id",
			  ev->transaction_id, NULL);
		break;
	case PAY_CHARGE_CREDIT:
		break;
	}
}

/* A deposit event is believed only as far as the provider confirms it:
 * the facts (the delivery, the provider's verification) are gathered,
 * pay_charge_decide says what to do, then it is done (credited, or only
 * logged). */
static int
pay_charge_event(pay_env *env, const pay_event *ev, const char **outcome)
{
	pay_provider *prov = pay_current()->provider;
	pay_charge_facts facts = {.ev = ev, .max_kobo = money_max_kobo()};
	pay_charge_plan plan;
	pay_charge charge;
	int rc;

	memset(&charge, 0, sizeof(charge));
	rc = prov->ops->verify_charge(prov, ev->transaction_id, &charge);
	if (rc == ERR_INVALID_ARGUMENT) { /* the provider knows no such charge */
		*outcome = "verification_failed";
		return 0;
	}
	if (rc < 0) /* unavailable, our credentials refused, ...: try again */
		return rc;
	pay_free_raw(&charge.raw_json);
	facts.charge = &charge;
	facts.fee_kept = pay_fee_kept(&charge);
	pay_charge_decide(&plan, &facts);
	if (plan.verdict != PAY_CHARGE_CREDIT) {
		pay_charge_refused(&plan, ev);
		*outcome = plan.outcome;
		return 0;
	}
	if (plan.payer != &charge.payer)
		charge.payer = *plan.payer;
	return pay_charge_matched(env, &charge, outcome);
}

/* A transfer event: the payout it names is advanced (which asks the
 * provider itself, so the event's own word is not taken). */
static int
pay_transfer_event(pay_env *env, const pay_event *ev, const char **outcome)
{
	pay_payout payout;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0 && text_is_uuid(ev->transfer_ref))
		rc = pay_store_payout(&payout, &found, env->arena, c, "id", ev->transfer_ref);
	if (rc < 0)
		return rc;
	if (!found) {
		*outcome = "unknown_transfer";
		return 0;
	}
	rc = pay_payout_advance(env, &payout);
	*outcome = "transfer_checked";
	return rc;
}

/* Processes an event that parsed. */
static int
pay_process_parsed(pay_env *env, const pay_event *ev, const char **outcome)
{
	switch (ev->kind) {
	case PAY_EVENT_CHARGE:
		return pay_charge_event(env, ev, outcome);
	case PAY_EVENT_TRANSFER:
		return pay_transfer_event(env, ev, outcome);
	default:
		*outcome = "ignored";
		return 0;
	}
}

/* Marks a processed event, or queues it again with the error (an
 * autocommit UPDATE, bounded by the deadline of the call or background
 * step: db_thread_conn). */
static int
pay_event_record(const char *id, int done, const char *outcome)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc < 0)
		return rc;
	if (done)
		return pay_store_event_done(c, id, outcome);
	return pay_store_event_retry(c, id, outcome);
}

static int
pay_event_finish(const char *id, int rc, const char *outcome)
{
	char reason[ERR_REASON_MAX];

	if (rc == 0)
		return pay_event_record(id, 1, outcome);
	snprintf(reason, sizeof(reason), "%s", err_last()->reason);
	return pay_event_record(id, 0, reason);
}

int
pay_process_event(pay_env *env, const char *event_id, const uint8_t *body, size_t len)
{
	pay_provider *prov = pay_current()->provider;
	const char *outcome = "unreadable";
	pay_event ev;
	int rc = 0;

	if (prov->ops->parse_event(prov, body, len, &ev) >= 0)
		rc = pay_process_parsed(env, &ev, &outcome);
	return pay_event_finish(event_id, rc, outcome);
}

/* The SHA-256 of data as 64 hex digits in the arena (NULL when full). */
static char *
pay_sha256_hex(mem_arena *a, const uint8_t *data, size_t len)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char *hex = mem_arena_alloc(a, sizeof(digest) * 2 + 1);

	if (!hex)
		return NULL;
	crypto_hash_sha256(digest, data, len);
	return sodium_bin2hex(hex, sizeof(digest) * 2 + 1, digest, sizeof(digest));
}

/* A header as kept: content-type as sent; any other (signature material,
 * which might be a real secret sent to the wrong place) only as the first
 * 16 hex digits of its SHA-256, enough to compare with a known value. */
static json_t *
pay_kept_header(mem_arena *a, const pay_header *h)
{
	char *hash;

	if (strcmp(h->name, "content-type") == 0)
		return json_string(text_sanitize(a, h->value, PAY_KEPT_VALUE));
	hash = pay_sha256_hex(a, (const uint8_t *)h->value, strlen(h->value));
	if (!hash)
		return NULL;
	hash[16] = '\0';
	return json_sprintf("sha256:%s (%zu bytes)", hash, strlen(h->value));
}

/* The JSON kept of a delivery whose signature fails: its headers and the
 * start of its body as sanitised text. In the arena; NULL when full. */
static char *
pay_unsigned_record(mem_arena *a, const uint8_t *body, size_t len, const pay_header *headers,
		    size_t n_headers)
{
	json_t *kept = json_object(), *hdrs = json_object();
	size_t n = len < PAY_KEPT_PREFIX ? len : PAY_KEPT_PREFIX;
	char *prefix = mem_arena_strndup(a, (const char *)body, n);
	char *text = NULL, *copy = NULL;
	int failed = !kept || !hdrs || !prefix;

	for (size_t i = 0; !failed && i < n_headers; i++)
		failed = json_object_set_new(hdrs, text_sanitize(a, headers[i].name, 64),
					     pay_kept_header(a, &headers[i])) < 0;
	if (!failed)
		failed = json_object_set(kept, "headers", hdrs) < 0 ||
			 json_object_set_new(
				 kept, "prefix",
				 json_string(text_sanitize(a, prefix, PAY_KEPT_PREFIX))) < 0 ||
			 json_object_set_new(kept, "unverified", json_true()) < 0;
	if (!failed)
		text = json_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		copy = mem_arena_strdup(a, text);
	free(text);
	json_decref(hdrs);
	json_decref(kept);
	return copy;
}

/* A delivery whose signature fails: counted against its address (refused
 * past the limit, nothing kept), else kept without its body, then
 * refused. */
static int
pay_webhook_unsigned(pay_env *env, const uint8_t *body, size_t len, const pay_header *headers,
		     size_t n_headers, const char *type, const char *client_addr,
		     pay_webhook_result *out)
{
	const pay_deps *d = pay_current();
	pay_unsigned_event ev = {.provider = d->provider->ops->name,
				 .type = type,
				 .client_addr =
					 text_sanitize(env->arena, client_addr, PAY_ADDR_MAX),
				 .body_bytes = len};
	char addr_key[TEXT_ADDR_KEY_MAX];
	db_conn *c = NULL;
	int rc;

	if (!ev.client_addr)
		return err_oom();
	/* Per subscriber: an IPv6 /64 is one key, not 2^64 of them. */
	text_addr_key(addr_key, ev.client_addr[0] ? ev.client_addr : "unknown");
	rc = pay_rate_take("webhook_addr", addr_key, d->webhook_unsigned_per_addr,
			   d->webhook_unsigned_window_s,
			   "unsigned webhook deliveries from this address");
	if (rc < 0)
		return rc;
	ev.kept_json = pay_unsigned_record(env->arena, body, len, headers, n_headers);
	ev.sha256_hex = pay_sha256_hex(env->arena, body, len);
	if (!ev.kept_json || !ev.sha256_hex)
		return err_oom();
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_event_add_unsigned(&out->event_id, env->arena, c, &ev);
	if (rc < 0)
		return rc;
	log_event(LOG_LVL_WARN, "webhook with a bad signature", "event_id", out->event_id,
		  "client_addr", ev.client_addr, NULL);
	return err_set(ERR_UNAUTHENTICATED, "bad_signature",
		       "the webhook signature does not match");
}

/* --- storing deliveries: group commit ------------------------------------------ */

/* The most deliveries one INSERT stores. */
#define PAY_STORE_BATCH 64

/* A batch statement's outcome for the combiner: a statement the database
 * refused with nothing committed becomes PAY_BATCH_ALONE (each caller
 * writes its own), anything else stays as it is. */
static int
pay_batch_refused(int rc, db_conn *c, const char *what)
{
	if (rc >= 0 || !c || !pay_store_refused_uncommitted(c))
		return rc;
	log_event(LOG_LVL_WARN, what, "reason", err_last()->reason, NULL);
	return PAY_BATCH_ALONE;
}

/* The combiner's writer: the deliveries queued at this moment, stored in
 * one statement and one commit on the leading thread's connection (with
 * the deadline of the call it serves). */
static int
pay_events_write(pay_batch_item *own, pay_batch_item *const *items, size_t n)
{
	pay_event_new *evs[PAY_STORE_BATCH];
	mem_arena *a = mem_arena_new(0);
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	(void)own;
	for (size_t i = 0; i < n; i++)
		evs[i] = items[i]->arg;
	if (rc == 0)
		rc = pay_store_events_add(a, c, evs, n, pay_current()->provider->ops->name,
					  pay_current()->event_grace_s);
	mem_arena_free(a);
	return pay_batch_refused(rc, c, "webhook batch refused: each stored alone");
}

static pay_batch pay_store_batch =
	PAY_BATCH_INIT("webhook_store", PAY_STORE_BATCH, pay_events_write);

size_t
pay_webhook_store_queued(void)
{
	return pay_batch_queued(&pay_store_batch);
}

/* The combiner's writer of outcomes: the events finished at this moment,
 * in one UPDATE and one commit. */
static int
pay_outcomes_write(pay_batch_item *own, pay_batch_item *const *items, size_t n)
{
	pay_event_outcome *evs[PAY_STORE_BATCH];
	mem_arena *a = mem_arena_new(0);
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	(void)own;
	for (size_t i = 0; i < n; i++)
		evs[i] = items[i]->arg;
	if (rc == 0)
		rc = pay_store_events_finish(a, c, evs, n);
	mem_arena_free(a);
	return pay_batch_refused(rc, c, "webhook outcomes refused: each written alone");
}

static pay_batch pay_outcome_batch =
	PAY_BATCH_INIT("webhook_outcome", PAY_STORE_BATCH, pay_outcomes_write);

size_t
pay_webhook_outcome_queued(void)
{
	return pay_batch_queued(&pay_outcome_batch);
}

/* pay_event_finish of a delivery just handled: with the others finished
 * at the same moment, else (their batch refused) alone. */
static int
pay_webhook_finish(const char *id, int rc, const char *outcome)
{
	char reason[ERR_REASON_MAX];
	pay_event_outcome ev = {.id = id, .done = rc == 0, .outcome = outcome};
	pay_batch_item item = {.arg = &ev};

	if (rc < 0) {
		snprintf(reason, sizeof(reason), "%s", err_last()->reason);
		ev.outcome = reason;
	}
	rc = pay_batch_run(&pay_outcome_batch, &item);
	if (rc != PAY_BATCH_ALONE)
		return rc;
	return pay_event_record(id, ev.done, ev.outcome);
}

/* Stores a signed delivery (committed when this returns 0): with the
 * deliveries that arrive at the same moment, else, when their batch was
 * refused, alone. */
static int
pay_webhook_store(char **out_id, pay_env *env, const char *type, const uint8_t *body, size_t len)
{
	pay_event_new ev = {.type = type, .body = body, .len = len};
	pay_batch_item item = {.arg = &ev};
	db_conn *c = NULL;
	int rc = pay_batch_run(&pay_store_batch, &item);

	if (rc == 0) {
		*out_id = mem_arena_strdup(env->arena, ev.id);
		return *out_id ? 0 : err_oom();
	}
	if (rc != PAY_BATCH_ALONE)
		return rc;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_event_add(out_id, env->arena, c, pay_current()->provider->ops->name,
					 type, body, len, 1, pay_current()->event_grace_s);
	return rc;
}

int
pay_webhook(pay_webhook_result *out, pay_env *env, const uint8_t *body, size_t len,
	    const pay_header *headers, size_t n_headers, const char *route_provider,
	    const char *client_addr)
{
	pay_provider *prov = pay_current()->provider;
	pay_event ev;
	const char *outcome = "ignored";
	int ours = !route_provider || !route_provider[0] ||
		   strcmp(route_provider, prov->ops->name) == 0;
	int signed_ok = ours && prov->ops->signature_ok(prov, headers, n_headers, body, len);
	int parsed, rc;

	memset(&ev, 0, sizeof(ev));
	parsed = prov->ops->parse_event(prov, body, len, &ev) >= 0;
	if (!parsed)
		snprintf(ev.type, sizeof(ev.type), "unreadable");
	if (!signed_ok)
		return pay_webhook_unsigned(env, body, len, headers, n_headers,
					    ev.type[0] ? ev.type : "unknown", client_addr, out);
	/* Stored (committed) before it is processed, so a crash loses
	 * nothing, and before anything is answered. */
	rc = pay_webhook_store(&out->event_id, env, ev.type[0] ? ev.type : "unknown", body, len);
	if (rc < 0)
		return rc;
	if (parsed)
		rc = pay_process_parsed(env, &ev, &outcome);
	else
		outcome = "unreadable";
	if (rc < 0) {
		log_event(LOG_LVL_WARN, "webhook queued for retry", "event_id", out->event_id,
			  "reason", err_last()->reason, NULL);
		out->processed = 0;
		out->status = "queued";
		return pay_webhook_finish(out->event_id, rc, NULL);
	}
	out->processed = 1;
	out->status = strcmp(outcome, "duplicate") == 0 ? "duplicate"
		      : strcmp(outcome, "credited") == 0 || strcmp(outcome, "transfer_checked") == 0
			      ? "processed"
			      : "ignored";
	return pay_webhook_finish(out->event_id, 0, outcome);
}
