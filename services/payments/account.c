/* Virtual accounts: one per group, asked of the provider once. */
#include "payments.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "log/log.h"
#include "text/text.h"

typedef struct pay_provision_tx {
	mem_arena *arena;
	const char *group_id, *group_name;
	const char *id_type, *id_number; /* the holder's, live accounts only */
	pay_account *out;
	int pending;
	char error[ERR_MESSAGE_MAX];
} pay_provision_tx;

/* The name to give the account: the caller's, else the one a failed
 * attempt kept (retries come from the worker without one). */
static int
pay_provision_name(db_conn *c, pay_provision_tx *t, const char **name)
{
	char *kept = NULL;
	int rc;

	*name = t->group_name;
	if (*name && (*name)[0])
		return 0;
	rc = pay_store_recovery_name(&kept, t->arena, c, t->group_id);
	*name = kept && kept[0] ? kept : "Kolo group";
	return rc;
}

/* Under the group's va_request lock: the account if it exists, else the
 * provider's answer recorded (or the failure, for the worker to retry).
 * The lock is what makes concurrent requests ask the provider once, so the
 * call is made inside the transaction, which therefore never re-runs
 * (db_tx_single): on a failure the next GetAccount asks again. */
static int
pay_provision_body(db_conn *c, void *arg)
{
	pay_provision_tx *t = arg;
	pay_provider *p = pay_current()->provider;
	/* tx_ref is matched against deposits: from the canonical id. */
	const char *group_id = text_uuid_canonical(t->arena, t->group_id);
	char tx_ref[64];
	pay_va va;
	pay_va_result res;
	pay_va_request req;
	const char *name = NULL;
	int found = 0, rc;

	if (!group_id)
		return err_oom();
	snprintf(tx_ref, sizeof(tx_ref), "kolo-%s", group_id);
	rc = pay_store_va_lock(&va, t->arena, c, t->group_id, p->ops->name, tx_ref);
	if (rc == 0)
		rc = pay_store_account(t->out, &found, t->arena, c, t->group_id);
	if (rc < 0 || found)
		return rc;
	rc = pay_provision_name(c, t, &name);
	if (rc < 0)
		return rc;
	req = (pay_va_request){.tx_ref = va.tx_ref,
			       .group_name = name,
			       .email = "",
			       .id_type = t->id_type,
			       .id_number = t->id_number};
	rc = p->ops->create_va(p, &req, &res);
	if (rc < 0) {
		snprintf(t->error, sizeof(t->error), "%s", err_last()->message);
		t->pending = 1;
		return pay_store_va_failed(c, t->group_id, va.tx_ref, p->ops->name, name, t->error);
	}
	rc = pay_store_account_add(t->out, t->arena, c, t->group_id, res.account_number,
				   res.bank_name, p->ops->name, res.provider_ref, res.raw_json);
	pay_free_raw(&res.raw_json);
	if (rc == 0 && t->id_number)
		rc = pay_store_va_wait(c, t->group_id, NULL);
	return rc;
}

/* --- live accounts: the holder's KYC ------------------------------------------ */

typedef struct pay_holder {
	char *officer; /* the officer's user id, "" when none is known */
	Kolo__Identity__V1__ReadKycNumberResponse *kyc; /* NULL until read */
} pay_holder;

/* The officer groups names as the group's account holder now (DESIGN §14:
 * the named officer, else the OWNER), asked when the caller did not say;
 * "" when groups names nobody (the one recorded earlier stays). */
static int
pay_holder_ask(pay_env *env, const char *group_id, const char **out)
{
	Kolo__Groups__V1__GetMembershipRequest req = KOLO__GROUPS__V1__GET_MEMBERSHIP_REQUEST__INIT;
	Kolo__Groups__V1__GetMembershipResponse *m = NULL;
	int rc;

	req.group_id = (char *)group_id;
	req.user_id = "";
	rc = svc_env_call(env, pay_current()->groups, "GetMembership", &req.base,
			  (ProtobufCMessage **)&m, SVC_CALL_INTERNAL);
	*out = rc == 0 ? m->account_holder_user_id : NULL;
	return rc;
}

/* The officer the account opens in the name of (recorded with the group's
 * request: the holder groups names replaces the one recorded while the
 * account waits) and their verified number from identity. A refusal of
 * identity's (no check, pending, failed, erased) is the reason the account
 * waits: *wait is filled and 0 returned. */
static int
pay_holder_read(pay_env *env, db_conn *c, const char *group_id, const char *officer_id,
		pay_holder *h, pay_account_wait *wait)
{
	Kolo__Identity__V1__ReadKycNumberRequest req =
		KOLO__IDENTITY__V1__READ_KYC_NUMBER_REQUEST__INIT;
	const char *canonical = text_uuid_canonical(env->arena, group_id);
	char tx_ref[64];
	int rc;

	if (!canonical)
		return err_oom();
	snprintf(tx_ref, sizeof(tx_ref), "kolo-%s", canonical);
	rc = officer_id && officer_id[0] ? 0 : pay_holder_ask(env, group_id, &officer_id);
	if (rc == 0)
		rc = pay_store_va_officer(&h->officer, env->arena, c, group_id,
					  pay_current()->provider->ops->name, tx_ref, officer_id);
	if (rc < 0)
		return rc;
	if (!h->officer[0]) {
		wait->needs_kyc = 1;
		snprintf(wait->reason, sizeof(wait->reason), "kyc_officer_unknown");
		return pay_store_va_wait(c, group_id, wait->reason);
	}
	req.user_id = h->officer;
	req.purpose = mem_arena_printf(env->arena, "account:%s", canonical);
	rc = svc_env_call(env, pay_current()->identity, "ReadKycNumber", &req.base,
			  (ProtobufCMessage **)&h->kyc, SVC_CALL_INTERNAL);
	if (rc != ERR_FAILED_PRECONDITION)
		return rc;
	h->kyc = NULL;
	wait->needs_kyc = 1;
	snprintf(wait->reason, sizeof(wait->reason), "%s", err_last()->reason);
	return pay_store_va_wait(c, group_id, wait->reason);
}

/* Once no other account waits for the officer, identity erases the
 * number (best effort: a failure leaves it for the next account). */
static void
pay_holder_release(pay_env *env, db_conn *c, const pay_holder *h)
{
	Kolo__Identity__V1__ReleaseKycNumberRequest req =
		KOLO__IDENTITY__V1__RELEASE_KYC_NUMBER_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int waiting = 0;

	req.user_id = h->officer;
	if (pay_store_officer_waiting(&waiting, c, h->officer) < 0 || waiting > 0 ||
	    svc_env_call(env, pay_current()->identity, "ReleaseKycNumber", &req.base, &resp,
			 SVC_CALL_INTERNAL) < 0)
		log_event(LOG_LVL_INFO, "kyc number kept", "officer_id", h->officer, "reason",
			  waiting > 0 ? "another account waits" : err_last()->reason, NULL);
	err_clear();
}

static void
pay_holder_wipe(pay_holder *h)
{
	if (h->kyc && h->kyc->id_number)
		sodium_memzero(h->kyc->id_number, strlen(h->kyc->id_number));
}

int
pay_provision_as(pay_account *out, int *out_pending, pay_account_wait *out_wait, pay_env *env,
		 const char *group_id, const char *group_name, const char *officer_id)
{
	pay_provision_tx t = {
		.arena = env->arena, .group_id = group_id, .group_name = group_name, .out = out};
	pay_holder holder = {0};
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	memset(out_wait, 0, sizeof(*out_wait));
	/* Most calls find the account: a plain read, no lock, no write. */
	if (rc == 0)
		rc = pay_store_account(out, &found, env->arena, c, group_id);
	if (rc == 0 && found) {
		*out_pending = 0;
		return 0;
	}
	if (rc == 0 && pay_current()->accounts_need_kyc)
		rc = pay_holder_read(env, c, group_id, officer_id, &holder, out_wait);
	if (rc < 0 || out_wait->needs_kyc) {
		*out_pending = 1;
		return rc;
	}
	if (holder.kyc) {
		t.id_type = holder.kyc->id_type;
		t.id_number = holder.kyc->id_number;
	}
	rc = db_tx_single(c, svc_env_timeout(env), pay_provision_body, &t);
	pay_holder_wipe(&holder);
	if (rc < 0)
		return rc;
	*out_pending = t.pending;
	if (t.pending)
		log_event(LOG_LVL_WARN, "virtual account not provisioned", "group_id", group_id,
			  "error", t.error, NULL);
	else if (holder.kyc)
		pay_holder_release(env, c, &holder);
	return 0;
}

int
pay_provision(pay_account *out, int *out_pending, pay_env *env, const char *group_id,
	      const char *group_name)
{
	pay_account_wait wait;

	return pay_provision_as(out, out_pending, &wait, env, group_id, group_name, NULL);
}
