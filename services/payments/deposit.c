/* Deposits: provider webhooks (stored first, verified, re-checked with the
 * provider, credited once) and the transfer settlements they announce. */
#include "payments.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "log/log.h"
#include "text/text.h"

/* What the provider kept of a charge: its fee, unless the customer paid
 * it on top (KOLO_FEE_BEARER=customer). */
static int64_t pay_fee_kept(const pay_charge *charge)
{
	return pay_current()->customer_bears_fee ? 0 : charge->fee_kobo;
}

/* Credits a verified charge to the group of its tx_ref; the provider's
 * transaction id is the ledger reference, so a charge credits once. A fee
 * the provider kept is debited in the same ledger transaction
 * (fee:<transaction id>): the balance is what the provider holds. */
static int pay_credit(pay_env *env, const pay_charge *charge, const char **outcome)
{
	pay_provider *prov = pay_current()->provider;
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	pay_account acct;
	db_conn *c = NULL;
	char *group_id = NULL;
	int found = 0;
	int rc = pay_db(&c);

	if (rc == 0)
		rc = pay_store_account_of_tx_ref(c, env->arena, charge->tx_ref, &group_id,
						 &acct, &found);
	if (rc < 0)
		return rc;
	if (!group_id) {
		*outcome = "unknown_tx_ref";
		return 0;
	}
	if (!found) /* ours, but its account is not recorded yet: later */
		return err_set(ERR_UNAVAILABLE, "account_not_ready",
			       "the account of tx_ref %s is not recorded yet", charge->tx_ref);
	req.group_id = group_id;
	req.account_id = acct.id;
	req.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT;
	req.amount_kobo = charge->amount_kobo;
	req.fee_kobo = pay_fee_kept(charge);
	req.source = (char *)prov->ops->deposit_source;
	req.reference = (char *)charge->id;
	req.simulated = 0;
	rc = pay_call(env, pay_current()->ledger, "PostEntry", &req.base,
		      (ProtobufCMessage **)&resp);
	if (rc < 0)
		return rc;
	*outcome = resp->replayed ? "duplicate" : "credited";
	return 0;
}

/* A deposit event is believed only as far as the provider confirms it:
 * successful, NGN, the same id, tx_ref and amount. */
static int pay_charge_event(pay_env *env, const pay_event *ev, const char **outcome)
{
	pay_provider *prov = pay_current()->provider;
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
	if (!charge.successful || strcmp(charge.currency, "NGN") != 0 ||
	    strcmp(charge.id, ev->transaction_id) != 0 ||
	    strcmp(charge.tx_ref, ev->tx_ref) != 0 ||
	    charge.amount_kobo != ev->amount_kobo || charge.amount_kobo <= 0) {
		log_event(LOG_LVL_WARN, "deposit does not match its verification",
			  "transaction_id", ev->transaction_id, NULL);
		*outcome = "verification_mismatch";
		pay_free_raw(&charge.raw_json);
		return 0;
	}
	pay_free_raw(&charge.raw_json);
	if (charge.amount_kobo > INT32_MAX) {
		/* ledger_entry.amount_kobo is an integer (seed schema): a deposit
		 * above ₦21,474,836.47 needs a person, not 50 failing retries. */
		log_event(LOG_LVL_ERROR, "deposit above the ledger's entry limit",
			  "transaction_id", ev->transaction_id, NULL);
		*outcome = "amount_over_limit";
		return 0;
	}
	if (pay_fee_kept(&charge) >= charge.amount_kobo) {
		/* Nothing arrived (the ledger refuses such a fee): a person looks. */
		log_event(LOG_LVL_ERROR, "deposit fee not below its amount",
			  "transaction_id", ev->transaction_id, NULL);
		*outcome = "fee_not_below_amount";
		return 0;
	}
	return pay_credit(env, &charge, outcome);
}

/* A transfer event: the payout it names is advanced (which asks the
 * provider itself, so the event's own word is not taken). */
static int pay_transfer_event(pay_env *env, const pay_event *ev, const char **outcome)
{
	pay_payout payout;
	db_conn *c = NULL;
	int found = 0;
	int rc = pay_db(&c);

	if (rc == 0 && text_is_uuid(ev->transfer_ref))
		rc = pay_store_payout(c, env->arena, "id", ev->transfer_ref, &payout, &found);
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
static int pay_process_parsed(pay_env *env, const pay_event *ev, const char **outcome)
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

/* Marks a processed event, or queues it again with the error. */
static int pay_event_finish(const char *id, int rc, const char *outcome)
{
	db_conn *c = NULL;
	int rc2 = pay_db(&c);

	if (rc2 < 0)
		return rc2;
	if (rc == 0)
		return pay_store_event_done(c, id, outcome);
	return pay_store_event_retry(c, id, err_last()->reason);
}

int pay_process_event(pay_env *env, const char *event_id, const uint8_t *body,
		      size_t len)
{
	pay_provider *prov = pay_current()->provider;
	const char *outcome = "unreadable";
	pay_event ev;
	int rc = 0;

	if (prov->ops->parse_event(prov, body, len, &ev) >= 0)
		rc = pay_process_parsed(env, &ev, &outcome);
	return pay_event_finish(event_id, rc, outcome);
}

int pay_webhook(pay_env *env, const uint8_t *body, size_t len,
		const pay_header *headers, size_t n_headers, pay_webhook_result *out)
{
	pay_provider *prov = pay_current()->provider;
	pay_event ev;
	const char *outcome = "ignored";
	int signed_ok = prov->ops->signature_ok(prov, headers, n_headers, body, len);
	db_conn *c = NULL;
	int parsed, rc;

	memset(&ev, 0, sizeof(ev));
	parsed = prov->ops->parse_event(prov, body, len, &ev) >= 0;
	if (!parsed)
		snprintf(ev.type, sizeof(ev.type), "unreadable");
	/* Stored before anything else, whatever it is. */
	rc = pay_db(&c);
	if (rc == 0)
		rc = pay_store_event_add(c, env->arena, prov->ops->name,
					 ev.type[0] ? ev.type : "unknown", body, len,
					 signed_ok, pay_current()->event_grace_s, &out->event_id);
	if (rc < 0)
		return rc;
	if (!signed_ok)
		return err_set(ERR_UNAUTHENTICATED, "bad_signature",
			       "the webhook signature does not match");
	if (parsed)
		rc = pay_process_parsed(env, &ev, &outcome);
	else
		outcome = "unreadable";
	if (rc < 0) {
		log_event(LOG_LVL_WARN, "webhook queued for retry", "event_id", out->event_id,
			  "reason", err_last()->reason, NULL);
		out->processed = 0;
		out->status = "queued";
		return pay_event_finish(out->event_id, rc, NULL);
	}
	out->processed = 1;
	out->status = strcmp(outcome, "duplicate") == 0 ? "duplicate"
		      : strcmp(outcome, "credited") == 0 || strcmp(outcome, "transfer_checked") == 0
			      ? "processed"
			      : "ignored";
	return pay_event_finish(out->event_id, 0, outcome);
}
