/* KYC: SubmitKyc, GetKyc (the user's own check), ReadKycNumber and
 * ReleaseKycNumber (payments, for accounts opened in a user's name), and
 * the worker that reads pending checks back from the provider.
 *
 * The id number is never logged and never stored in the clear: it is
 * sealed (pii.h) in the request's transaction, wiped from the request
 * after use, and every read of it is written to the activity log. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "kolo/payments/v1/payments.pb-c.h"
#include "events/events.h"
#include "kyc.h"
#include "log/log.h"
#include "outbox/outbox.h"
#include "svc/worker.h"
#include "text/text.h"

#define IDN_PURPOSE_MAX 120

static int
idn_kyc_enabled(void)
{
	if (idn_kyc_current()->enabled)
		return 0;
	return err_set(ERR_FAILED_PRECONDITION, "kyc_unavailable",
		       "identity checks are not configured (KOLO_PII_KEY)");
}

static Kolo__Identity__V1__Kyc *
idn_kyc_message(mem_arena *a, const idn_kyc_row *row)
{
	Kolo__Identity__V1__Kyc *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__identity__v1__kyc__init(m);
	m->status = (char *)(row ? row->status : "none");
	if (!row)
		return m;
	m->id_type = row->id_type;
	m->last3 = row->last3;
	m->verified_at = row->verified_at;
	m->reason = row->reason;
	m->consent_url = row->consent_url;
	return m;
}

/* --- SubmitKyc
 * ---------------------------------------------------------------- */

typedef struct idn_kyc_put_tx {
	idn_kyc_row row;
	const char *event; /* the activity written with it */
	int decided;	   /* the provider decided it now: kyc.result */
	const idn_client *client;
} idn_kyc_put_tx;

/* kyc.result of a check that reached verified or failed: its status, the
 * kind of number and the reason, never the number. */
static int
idn_kyc_told(db_conn *c, const char *user_id, const char *status, const char *id_type,
	     const char *reason)
{
	outbox_event e = {.type = EVT_KYC_RESULT, .user_id = user_id};

	return outbox_add(c, OUTBOX_IDENTITY, &e, "{s:s, s:s, s:s*}", "status", status, "id_type",
			  id_type, "reason", reason && reason[0] ? reason : NULL);
}

static int
idn_kyc_submit_tx(db_conn *c, void *arg)
{
	idn_kyc_put_tx *t = arg;
	int rc = idn_store_kyc_hash_free(c, t->row.id_hash, t->row.user_id);

	if (rc == 0)
		rc = idn_store_kyc_put(c, &t->row);
	if (rc == 0)
		rc = idn_store_log(c, t->row.user_id, "kyc_submitted", t->client->ip,
				   t->client->device);
	if (rc == 0 && t->event)
		rc = idn_store_log(c, t->row.user_id, t->event, t->client->ip, t->client->device);
	if (rc == 0 && t->decided)
		rc = idn_kyc_told(c, t->row.user_id, t->row.status, t->row.id_type, t->row.reason);
	return rc;
}

/* The person's own bank account, passed on to the provider (Paystack
 * validates a BVN against it); not kept. */
typedef struct idn_kyc_account {
	const char *bank_code;
	const char *account_number;
} idn_kyc_account;

/* Asks payments to start the check; the answer decided against the
 * user's name. A check decided at once that fails is refused (nothing is
 * stored): FAILED_PRECONDITION with the reason. */
static int
idn_kyc_start(rpc_ctx *ctx, const idn_user *user, const char *id_type, const char *number,
	      const idn_kyc_account *account, idn_kyc_row *row)
{
	Kolo__Payments__V1__StartKycCheckRequest req =
		KOLO__PAYMENTS__V1__START_KYC_CHECK_REQUEST__INIT;
	Kolo__Payments__V1__StartKycCheckResponse *resp = NULL;
	const Kolo__Payments__V1__KycCheck *check;
	const char *reason = NULL;
	idn_kyc_status status;
	int rc;

	req.user_id = user->id;
	req.id_type = (char *)id_type;
	req.id_number = (char *)number;
	req.name = user->name;
	req.bank_code = (char *)account->bank_code;
	req.account_number = (char *)account->account_number;
	rc = svc_call(ctx, idn_kyc_current()->payments, "StartKycCheck", &req.base,
		      (ProtobufCMessage **)&resp, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	check = resp->check;
	if (!check || !check->provider[0])
		return err_set(ERR_UNAVAILABLE, "provider_unavailable",
			       "the provider gave no answer to the identity check");
	status = idn_kyc_decide(&reason, check->status, check->name, user->name);
	if (status == IDN_KYC_FAILED && strcmp(reason, "kyc_name_mismatch") == 0)
		return err_set(ERR_FAILED_PRECONDITION, reason,
			       "the provider holds this number under another name");
	if (status == IDN_KYC_FAILED)
		return err_set(ERR_FAILED_PRECONDITION, reason,
			       "the provider did not verify this number");
	row->status = (char *)idn_kyc_status_text(status);
	/* The name payer accounts are held to (groups, via GetUser). */
	row->verified_name =
		status == IDN_KYC_VERIFIED
			? text_sanitize(rpc_ctx_arena(ctx), check->name, IDN_KYC_NAME_MAX)
			: NULL;
	if (status == IDN_KYC_VERIFIED && !row->verified_name)
		return err_oom();
	row->provider = check->provider;
	row->provider_ref = check->reference;
	row->consent_url = check->consent_url;
	return 0;
}

/* The caller's earlier check of the same number, verified: the number is
 * sealed again (after it was erased) without asking the provider twice.
 * A check verified before the provider's name was kept (0034) is asked
 * again, so that it gets one. */
static int
idn_kyc_same_verified(const idn_kyc_row *old, int found, const char *id_hash)
{
	return found && strcmp(old->status, "verified") == 0 &&
	       strcmp(old->id_hash, id_hash) == 0 && old->verified_name[0];
}

static int
idn_kyc_submit(rpc_ctx *ctx, const char *user_id, const char *id_type, const char *number,
	       const idn_kyc_account *account, idn_kyc_row *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	const idn_kyc_deps *deps = idn_kyc_current();
	idn_client client;
	idn_kyc_put_tx t = {.client = &client};
	idn_kyc_row old;
	idn_user user;
	db_conn *c = NULL;
	char hash[IDN_PII_HASH_TEXT];
	int found = 0, rc = db_thread_conn(&c);

	idn_client_of(&client, ctx);
	idn_pii_hash(hash, &deps->keys, id_type, number);
	if (rc == 0)
		rc = idn_store_user_by_id(&user, a, c, user_id);
	if (rc == 0)
		rc = idn_store_kyc_hash_free(c, hash, user_id);
	if (rc == 0)
		rc = idn_store_kyc_get(&old, &found, a, c, user_id, 0);
	if (rc < 0)
		return rc;
	t.row = (idn_kyc_row){.user_id = user.id,
			      .id_type = (char *)id_type,
			      .id_hash = hash,
			      .last3 = mem_arena_strndup(a, number + 8, 3),
			      .has_number = 1};
	if (!t.row.last3)
		return err_oom();
	/* A verified user keeps their number: a different one is refused
	 * rather than putting the verified check back to pending. */
	if (found && strcmp(old.status, "verified") == 0 && strcmp(old.id_hash, hash) != 0)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_already_verified",
			       "this account is verified with another number");
	if (idn_kyc_same_verified(&old, found, hash)) {
		t.row.status = old.status;
		t.row.provider = old.provider;
		t.row.provider_ref = old.provider_ref;
		t.row.verified_name = old.verified_name;
	} else {
		rc = idn_kyc_start(ctx, &user, id_type, number, account, &t.row);
		t.decided = rc == 0 && strcmp(t.row.status, "pending") != 0;
	}
	if (rc == 0 && strcmp(t.row.status, "verified") == 0)
		t.event = "kyc_verified";
	if (rc == 0)
		rc = idn_pii_seal(&t.row.sealed, &deps->keys, user.id, number);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_kyc_submit_tx, &t);
	sodium_memzero(&t.row.sealed, sizeof(t.row.sealed));
	if (rc < 0)
		return rc;
	return idn_store_kyc_get(out, &found, a, c, user_id, 0);
}

int
idn_submit_kyc(rpc_ctx *ctx, const Kolo__Identity__V1__SubmitKycRequest *in,
	       Kolo__Identity__V1__SubmitKycResponse *out)
{
	const idn_kyc_account account = {.bank_code = in->bank_code,
					 .account_number = in->account_number};
	idn_kyc_row row;
	int rc = idn_kyc_enabled();

	if (rc == 0)
		rc = idn_kyc_check_input(in->id_type, in->id_number);
	if (rc == 0)
		rc = idn_kyc_submit(ctx, rpc_ctx_user_id(ctx), in->id_type, in->id_number, &account,
				    &row);
	idn_wipe(in->id_number);
	if (rc < 0)
		return rc;
	out->kyc = idn_kyc_message(rpc_ctx_arena(ctx), &row);
	return out->kyc ? 0 : err_oom();
}

int
idn_get_kyc(rpc_ctx *ctx, const Kolo__Identity__V1__GetKycRequest *in,
	    Kolo__Identity__V1__GetKycResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	idn_kyc_row row;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = idn_store_kyc_get(&row, &found, a, c, rpc_ctx_user_id(ctx), 0);
	if (rc < 0)
		return rc;
	out->kyc = idn_kyc_message(a, found ? &row : NULL);
	return out->kyc ? 0 : err_oom();
}

/* --- ReadKycNumber, ReleaseKycNumber
 * ------------------------------------------ */

/* Why a user's number cannot be read: the reason payments shows on a
 * waiting account. */
static int
idn_kyc_not_ready(const idn_kyc_row *row, int found)
{
	if (!found)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_required",
			       "the officer has not submitted a BVN or NIN");
	if (strcmp(row->status, "pending") == 0)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_pending",
			       "the officer's identity check is pending");
	if (strcmp(row->status, "verified") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_failed",
			       "the officer's identity check failed");
	return err_set(ERR_FAILED_PRECONDITION, "kyc_resubmit",
		       "the officer's number was erased; submit it again");
}

typedef struct idn_kyc_read {
	mem_arena *arena;
	const char *user_id;
	char purpose[IDN_PURPOSE_MAX + 32];
	idn_kyc_row row;
	idn_user user;
} idn_kyc_read;

/* The read is logged in the transaction that reads the row. */
static int
idn_kyc_read_tx(db_conn *c, void *arg)
{
	idn_kyc_read *t = arg;
	int found = 0;
	int rc = idn_store_kyc_get(&t->row, &found, t->arena, c, t->user_id, 1);

	if (rc == 0 && !(found && strcmp(t->row.status, "verified") == 0 && t->row.has_number))
		rc = idn_kyc_not_ready(&t->row, found);
	if (rc == 0)
		rc = idn_store_user_by_id(&t->user, t->arena, c, t->user_id);
	if (rc == 0)
		rc = idn_store_log(c, t->user_id, "kyc_number_read", NULL, t->purpose);
	return rc;
}

int
idn_read_kyc_number(rpc_ctx *ctx, const Kolo__Identity__V1__ReadKycNumberRequest *in,
		    Kolo__Identity__V1__ReadKycNumberResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	idn_kyc_read t = {.arena = a, .user_id = in->user_id};
	const char *caller = rpc_ctx_caller(ctx);
	const char *purpose = text_sanitize(a, in->purpose, IDN_PURPOSE_MAX);
	char *number = mem_arena_alloc(a, IDN_PII_PLAIN_MAX);
	db_conn *c = NULL;
	int rc = idn_kyc_enabled();

	if (rc == 0 && !text_is_uuid(in->user_id))
		rc = err_invalid_id("user_id");
	if (rc == 0 && !number)
		rc = err_oom();
	/* Who read it and why, in the activity row's device column. */
	snprintf(t.purpose, sizeof(t.purpose), "%s: %s", caller ? caller : "internal",
		 purpose && purpose[0] ? purpose : "unspecified");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_kyc_read_tx, &t);
	if (rc == 0)
		rc = idn_pii_open(number, IDN_PII_PLAIN_MAX, &idn_kyc_current()->keys,
				  t.row.user_id, &t.row.sealed);
	sodium_memzero(&t.row.sealed, sizeof(t.row.sealed));
	if (rc < 0)
		return rc;
	/* The reply is freed with the call's arena; the arena is not wiped,
	 * like every other secret a reply carries. */
	out->id_type = t.row.id_type;
	out->id_number = number;
	out->name = t.user.name;
	return 0;
}

typedef struct idn_kyc_release {
	const char *user_id;
	int erased;
} idn_kyc_release;

static int
idn_kyc_release_tx(db_conn *c, void *arg)
{
	idn_kyc_release *t = arg;
	int rc = idn_store_kyc_erase(&t->erased, c, t->user_id);

	if (rc == 0 && t->erased)
		rc = idn_store_log(c, t->user_id, "kyc_number_erased", NULL, NULL);
	return rc;
}

int
idn_release_kyc_number(rpc_ctx *ctx, const Kolo__Identity__V1__ReleaseKycNumberRequest *in,
		       Kolo__Identity__V1__ReleaseKycNumberResponse *out)
{
	idn_kyc_release t = {.user_id = in->user_id};
	db_conn *c = NULL;
	int rc = 0;

	if (!text_is_uuid(in->user_id))
		rc = err_invalid_id("user_id");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_kyc_release_tx, &t);
	out->erased = t.erased;
	return rc;
}

/* --- the worker: pending checks read back -----------------------------------
 */

typedef struct idn_kyc_outcome {
	const idn_kyc_row *row;
	const char *status;
	const char *reason;
	const char *name; /* the provider's name for the holder, when verified */
} idn_kyc_outcome;

/* The provider's answer recorded; a failed check keeps no number. A
 * number verified meanwhile for another user fails this one. */
static int
idn_kyc_outcome_tx(db_conn *c, void *arg)
{
	idn_kyc_outcome *t = arg;
	int changed = 0, erased = 0;
	int rc = idn_store_kyc_result(&changed, c, t->row->user_id, t->row->provider_ref, t->status,
				      t->reason, t->name);

	if (rc == 0 && changed && strcmp(t->status, "failed") == 0)
		rc = idn_store_kyc_erase(&erased, c, t->row->user_id);
	if (rc == 0 && changed && strcmp(t->status, "pending") != 0)
		rc = idn_store_log(c, t->row->user_id,
				   strcmp(t->status, "verified") == 0 ? "kyc_verified"
								      : "kyc_failed",
				   NULL, NULL);
	if (rc == 0 && changed && strcmp(t->status, "pending") != 0)
		rc = idn_kyc_told(c, t->row->user_id, t->status, t->row->id_type, t->reason);
	return rc;
}

static int
idn_kyc_record(db_conn *c, const idn_kyc_row *row, const char *status, const char *reason,
	       const char *name)
{
	idn_kyc_outcome t = {.row = row, .status = status, .reason = reason, .name = name};
	int rc = db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, idn_kyc_outcome_tx, &t);

	if (rc < 0 && strcmp(err_last()->reason, "kyc_id_in_use") == 0) {
		t.status = "failed";
		t.reason = "kyc_id_in_use";
		rc = db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, idn_kyc_outcome_tx, &t);
	}
	return rc;
}

static int
idn_kyc_poll_one(mem_arena *a, db_conn *c, const idn_kyc_row *row)
{
	Kolo__Payments__V1__GetKycCheckRequest req =
		KOLO__PAYMENTS__V1__GET_KYC_CHECK_REQUEST__INIT;
	Kolo__Payments__V1__GetKycCheckResponse *resp = NULL;
	const char *reason = NULL, *name;
	idn_kyc_status status;
	idn_user user;
	int rc = idn_store_user_by_id(&user, a, c, row->user_id);

	req.id_type = row->id_type;
	req.reference = row->provider_ref;
	if (rc == 0)
		rc = svc_call_background(idn_kyc_current()->payments, "GetKycCheck", &req.base,
					 (ProtobufCMessage **)&resp, a, SVC_BACKGROUND_TIMEOUT_MS,
					 SVC_CALL_INTERNAL);
	if (rc < 0) {
		/* Unknown for now (timeout, 5xx): still pending, read again
		 * later. */
		log_event(LOG_LVL_WARN, "identity check not read back", "user_id", row->user_id,
			  "reason", err_last()->reason, NULL);
		return idn_kyc_record(c, row, "pending", NULL, NULL);
	}
	status = resp->check ? idn_kyc_decide(&reason, resp->check->status, resp->check->name,
					      user.name)
			     : IDN_KYC_PENDING;
	name = status == IDN_KYC_VERIFIED ? text_sanitize(a, resp->check->name, IDN_KYC_NAME_MAX)
					  : NULL;
	if (status == IDN_KYC_VERIFIED && !name)
		return err_oom();
	return idn_kyc_record(c, row, idn_kyc_status_text(status), reason, name);
}

void
idn_kyc_worker_pass(void)
{
	const idn_kyc_deps *deps = idn_kyc_current();
	mem_arena *a = mem_arena_new(0);
	idn_kyc_row *rows = NULL;
	db_conn *c = NULL;
	int n = 0;

	if (!a)
		return;
	if (deps->enabled && db_thread_conn(&c) == 0 &&
	    idn_store_kyc_pending(&rows, &n, a, c, deps->poll_batch) == 0) {
		for (int i = 0; i < n; i++) {
			if (idn_kyc_poll_one(a, c, &rows[i]) < 0)
				log_event(LOG_LVL_WARN, "identity check not recorded", "user_id",
					  rows[i].user_id, "reason", err_last()->reason, NULL);
			sodium_memzero(&rows[i].sealed, sizeof(rows[i].sealed));
		}
	}
	mem_arena_free(a);
}

static svc_worker *idn_kyc_worker;

int
idn_kyc_worker_start(void)
{
	if (!idn_kyc_current()->enabled)
		return 0;
	return svc_worker_start(&idn_kyc_worker, idn_kyc_worker_pass,
				idn_kyc_current()->poll_interval_ms);
}

void
idn_kyc_worker_stop(void)
{
	svc_worker_stop(idn_kyc_worker);
	idn_kyc_worker = NULL;
}
