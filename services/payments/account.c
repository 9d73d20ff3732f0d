/* Virtual accounts: one per group, asked of the provider once. */
#include "payments.h"

#include <stdio.h>
#include <string.h>

#include "log/log.h"
#include "text/text.h"

typedef struct pay_provision_tx {
	mem_arena *arena;
	const char *group_id, *group_name;
	pay_account *out;
	int pending;
	char error[ERR_MESSAGE_MAX];
} pay_provision_tx;

/* The name to give the account: the caller's, else the one a failed
 * attempt kept (retries come from the worker without one). */
static int pay_provision_name(db_conn *c, pay_provision_tx *t, const char **name)
{
	char *kept = NULL;
	int rc;

	*name = t->group_name;
	if (*name && (*name)[0])
		return 0;
	rc = pay_store_recovery_name(c, t->arena, t->group_id, &kept);
	*name = kept && kept[0] ? kept : "Kolo group";
	return rc;
}

/* Under the group's va_request lock: the account if it exists, else the
 * provider's answer recorded (or the failure, for the worker to retry).
 * The lock is what makes concurrent requests ask the provider once, so the
 * call is made inside the transaction, which therefore never re-runs
 * (db_tx_single): on a failure the next GetAccount asks again. */
static int pay_provision_body(db_conn *c, void *arg)
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
	rc = pay_store_va_lock(c, t->arena, t->group_id, p->ops->name, tx_ref, &va);
	if (rc == 0)
		rc = pay_store_account(c, t->arena, t->group_id, t->out, &found);
	if (rc < 0 || found)
		return rc;
	rc = pay_provision_name(c, t, &name);
	if (rc < 0)
		return rc;
	req = (pay_va_request){ .tx_ref = va.tx_ref, .group_name = name, .email = "" };
	rc = p->ops->create_va(p, &req, &res);
	if (rc < 0) {
		snprintf(t->error, sizeof(t->error), "%s", err_last()->message);
		t->pending = 1;
		return pay_store_va_failed(c, t->group_id, va.tx_ref, p->ops->name, name,
					   t->error);
	}
	rc = pay_store_account_add(c, t->arena, t->group_id, res.account_number,
				   res.bank_name, p->ops->name, res.provider_ref,
				   res.raw_json, t->out);
	pay_free_raw(&res.raw_json);
	return rc;
}

int pay_provision(pay_env *env, const char *group_id, const char *group_name,
		  pay_account *out, int *pending)
{
	pay_provision_tx t = { .arena = env->arena, .group_id = group_id,
			       .group_name = group_name,
			       .out = out };
	db_conn *c = NULL;
	int found = 0;
	int rc = pay_db(&c);

	/* Most calls find the account: a plain read, no lock, no write. */
	if (rc == 0)
		rc = pay_store_account(c, env->arena, group_id, out, &found);
	if (rc == 0 && found) {
		*pending = 0;
		return 0;
	}
	if (rc == 0)
		rc = db_tx_single(c, svc_env_timeout(env), pay_provision_body, &t);
	if (rc < 0)
		return rc;
	*pending = t.pending;
	if (t.pending)
		log_event(LOG_LVL_WARN, "virtual account not provisioned", "group_id",
			  group_id, "error", t.error, NULL);
	return 0;
}
