#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups_service.h"
#include "proposals.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "ledger_service.h"
#include "payments_service.h"
#include "withdrawals_service.h"
#include "db/db.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "svc/call.h"
#include "svc/sessions.h"

/* conninfo with KOLO_TEST_PG_READ's words after it (the last of a word
 * wins), or NULL without it. Owned by the caller. */
static char *
test_world_read_conninfo(const char *conninfo)
{
	const char *read = getenv("KOLO_TEST_PG_READ");
	char *out = NULL;

	if (!read || !read[0] || !conninfo)
		return NULL;
	if (asprintf(&out, "%s %s", conninfo, read) < 0)
		abort();
	return out;
}

static int
test_world_start_withdrawals(test_world *w)
{
	wdr_deps deps = {.identity = w->to_identity,
			 .groups = w->to_groups,
			 .ledger = w->to_ledger,
			 .payments = w->to_payments,
			 .ttl_s = 72 * 3600,
			 .worker_interval_ms = 100,
			 .payout_idle_s = 0,
			 .payout_max_attempts = 5};

	wdr_configure(&deps);
	w->withdrawals_conninfo = test_pg_conninfo(w->dbname, "kolo_withdrawals");
	w->withdrawals_read_conninfo = test_world_read_conninfo(w->withdrawals_conninfo);
	w->withdrawals.read_conninfo = w->withdrawals_read_conninfo;
	return test_service_start_db(&w->withdrawals, &wdr_rpc_service, &w->identity.keys,
				     w->withdrawals_conninfo);
}

void
test_world_as(test_world *w, const char *conninfo, const char *caller)
{
	(void)w;
	db_thread_close();
	db_thread_set_conninfo(conninfo);
	svc_calls_thread_caller(caller, test_caller_token(caller));
}

void
test_world_as_payments(test_world *w)
{
	svc_calls_thread_caller(NULL, NULL);
	db_thread_close();
	db_thread_set_conninfo(w->payments_conninfo);
}

void
test_world_withdrawals_pass(test_world *w)
{
	test_world_as(w, w->withdrawals_conninfo, "withdrawals");
	wdr_worker_pass();
	test_world_as_payments(w);
}

void
test_world_ledger_pass(test_world *w)
{
	test_world_as(w, w->ledger_conninfo, "ledger");
	ldg_worker_pass();
	test_world_as_payments(w);
}

int
test_world_start(test_world *w)
{
	memset(w, 0, sizeof(*w));
	if (test_pg_fresh(w->dbname, sizeof(w->dbname), &w->admin) < 0)
		return -1;
	rpc_init();
	/* This thread runs the payments worker's passes, as kolo-payments. */
	test_calls_configure("payments");
	w->arena = mem_arena_new(0);
	if (test_identity_start(&w->identity, w->dbname) < 0)
		return -1;
	w->groups_conninfo = test_pg_conninfo(w->dbname, "kolo_groups");
	w->groups_read_conninfo = test_world_read_conninfo(w->groups_conninfo);
	w->groups.read_conninfo = w->groups_read_conninfo;
	w->ledger_conninfo = test_pg_conninfo(w->dbname, "kolo_ledger");
	w->ledger_read_conninfo = test_world_read_conninfo(w->ledger_conninfo);
	w->ledger.read_conninfo = w->ledger_read_conninfo;
	if (rpc_channel_open(&w->to_identity, w->identity.service.target,
			     &kolo__identity__v1__identity_service__descriptor, NULL) < 0 ||
	    rpc_channel_open(&w->to_payments, "127.0.0.1:1",
			     &kolo__payments__v1__payments_service__descriptor, NULL) < 0)
		return -1;
	grp_use_channels(w->to_identity, w->to_payments);
	if (svc_sessions_start(w->to_identity,
			       &(svc_sessions_config){.poll_ms = TEST_SESSIONS_POLL_MS,
						      .max_stale_ms = TEST_SESSIONS_MAX_STALE_MS,
						      .caller = "groups",
						      .token = test_caller_token("groups")}) < 0)
		return -1;
	/* Passed proposals apply at once (no time-lock) in these tests. */
	grp_gov_configure(
		&(grp_gov_config){.delay_s = 0, .tenure_s = 7 * 86400, .worker_interval_ms = 1000});
	if (test_service_start_db(&w->groups, &grp_rpc_service, &w->identity.keys,
				  w->groups_conninfo) < 0 ||
	    rpc_channel_open(&w->to_groups, w->groups.target,
			     &kolo__groups__v1__groups_service__descriptor, NULL) < 0)
		return -1;
	ldg_use_channels(w->to_groups);
	if (test_service_start_db(&w->ledger, &ldg_rpc_service, &w->identity.keys,
				  w->ledger_conninfo) < 0 ||
	    rpc_channel_open(&w->to_ledger, w->ledger.target,
			     &kolo__ledger__v1__ledger_service__descriptor, NULL) < 0)
		return -1;
	grp_use_ledger(w->to_ledger);
	if (pay_demo_new(&w->provider) < 0)
		return -1;
	test_world_provider(w, NULL);
	w->payments_conninfo = test_pg_conninfo(w->dbname, "kolo_payments");
	/* The test's own thread runs the payments worker (pay_worker_pass). */
	db_thread_set_conninfo(w->payments_conninfo);
	if (test_service_start_db(&w->payments, &pay_rpc_service, &w->identity.keys,
				  w->payments_conninfo) < 0)
		return -1;
	/* Groups asks payments for accounts from now on. */
	rpc_channel_close(w->to_payments);
	if (rpc_channel_open(&w->to_payments, w->payments.target,
			     &kolo__payments__v1__payments_service__descriptor, NULL) < 0)
		return -1;
	grp_use_channels(w->to_identity, w->to_payments);
	return test_world_start_withdrawals(w);
}

void
test_world_provider(test_world *w, struct pay_provider *provider)
{
	pay_deps deps = {.ledger = w->to_ledger,
			 .groups = w->to_groups,
			 .worker_interval_ms = 100,
			 .payout_stale_s = 0,
			 .resend_after_s = 300,
			 .recovery_max_tries = 20};

	if (provider) {
		w->provider->ops->destroy(w->provider);
		w->provider = provider;
	}
	deps.provider = w->provider;
	pay_configure(&deps);
}

void
test_world_stop(test_world *w)
{
	test_service_stop(&w->withdrawals);
	test_service_stop(&w->payments);
	test_service_stop(&w->ledger);
	test_service_stop(&w->groups);
	test_identity_stop(&w->identity);
	svc_sessions_stop();
	rpc_channel_close(w->to_identity);
	rpc_channel_close(w->to_groups);
	rpc_channel_close(w->to_payments);
	rpc_channel_close(w->to_ledger);
	db_thread_close();
	rpc_shutdown();
	if (w->provider)
		w->provider->ops->destroy(w->provider);
	svc_calls_unconfigure();
	mem_arena_free(w->arena);
	free(w->groups_conninfo);
	free(w->ledger_conninfo);
	free(w->payments_conninfo);
	free(w->withdrawals_conninfo);
	free(w->groups_read_conninfo);
	free(w->ledger_read_conninfo);
	free(w->withdrawals_read_conninfo);
	test_pg_fresh_end(w->dbname, w->admin);
}

/* The world of test_world_setup and its kin (test_world_use). */
static test_world *used;

void
test_world_use(test_world *w)
{
	used = w;
}

int
test_world_setup(void **state)
{
	(void)state;
	return test_world_start(used);
}

int
test_world_teardown(void **state)
{
	(void)state;
	test_world_stop(used);
	return 0;
}

int
test_world_check_ledger(void **state)
{
	(void)state;
	test_pg_ledger_invariant(used->admin);
	return 0;
}

int
test_world_call(test_world *w, test_service *svc, const char *method, const void *req, void *resp,
		const test_user *as)
{
	test_caller who = {.access_token = as ? as->access_token : NULL, .internal = as == NULL};

	return test_call(svc, method, req, (ProtobufCMessage **)resp, w->arena, &who);
}

void
test_world_group(test_world *w, const test_user *owner, const char *name, char *id)
{
	Kolo__Groups__V1__CreateGroupRequest req = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;

	req.name = (char *)name;
	if (test_world_call(w, &w->groups, "CreateGroup", &req, &resp, owner) != 0)
		fail_msg("create group: %s", err_last()->message);
	snprintf(id, 64, "%s", resp->group->id);
}

void
test_world_member(test_world *w, const char *group_id, const test_user *owner, const test_user *who,
		  int role)
{
	Kolo__Groups__V1__AddMemberRequest req = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *resp = NULL;

	req.group_id = (char *)group_id;
	req.email = (char *)who->email;
	req.role = role;
	if (test_world_call(w, &w->groups, "AddMember", &req, &resp, owner) != 0)
		fail_msg("add member: %s", err_last()->message);
}

void
test_world_pass(test_world *w, const Kolo__Groups__V1__Proposal *p,
		const test_user *const *officers, size_t n, const char *pin)
{
	Kolo__Groups__V1__ApproveProposalRequest req =
		KOLO__GROUPS__V1__APPROVE_PROPOSAL_REQUEST__INIT;
	Kolo__Groups__V1__ApproveProposalResponse *resp = NULL;
	const char *status = p ? p->status : "APPLIED";

	req.proposal_id = p ? p->id : "";
	req.pin = (char *)pin;
	for (size_t i = 0; i < n && strcmp(status, "PENDING") == 0; i++) {
		if (test_world_call(w, &w->groups, "ApproveProposal", &req, &resp, officers[i]) ==
		    0)
			status = resp->proposal->status;
	}
	if (strcmp(status, "APPLIED") != 0)
		fail_msg("proposal not applied: %s", status);
}

void
test_world_account(test_world *w, const char *group_id, char *id)
{
	static int counter;
	char sql[512], *value;

	snprintf(sql, sizeof(sql), "SELECT id FROM account WHERE group_id = '%s'", group_id);
	value = test_pg_value(w->admin, sql);
	if (!value[0]) {
		free(value);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO account (group_id, virtual_account_number, provider,"
			 " status) VALUES ('%s', '%010d', 'demo', 'active') RETURNING id",
			 group_id, 900000000 + counter++);
		value = test_pg_value(w->admin, sql);
	}
	snprintf(id, 64, "%s", value);
	free(value);
}

void
test_world_set_pin(test_world *w, const test_user *u, const char *pin)
{
	Kolo__Identity__V1__SetPinRequest req = KOLO__IDENTITY__V1__SET_PIN_REQUEST__INIT;
	Kolo__Identity__V1__SetPinResponse *resp = NULL;

	req.pin = (char *)pin;
	assert_int_equal(test_world_call(w, &w->identity.service, "SetPin", &req, &resp, u), 0);
}

static void
test_world_kyc_insert(test_world *w, const test_user *u, const char *name_sql)
{
	char sql[768];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO user_kyc (user_id, id_type, status, id_hash, last3, provider,"
		 " checked_at, verified_at, verified_name) VALUES ('%s', 'bvn', 'verified',"
		 " 'test:%s', '789', 'test', now(), now(), %s)",
		 u->id, u->id, name_sql);
	test_pg_ok(w->admin, sql);
}

void
test_world_kyc_verified(test_world *w, const test_user *u)
{
	char name_sql[128];

	snprintf(name_sql, sizeof(name_sql), "(SELECT name FROM \"user\" WHERE id = '%s')", u->id);
	test_world_kyc_insert(w, u, name_sql);
}

void
test_world_kyc_verified_as(test_world *w, const test_user *u, const char *kyc_name)
{
	char name_sql[256];

	if (kyc_name)
		snprintf(name_sql, sizeof(name_sql), "'%s'", kyc_name);
	else
		snprintf(name_sql, sizeof(name_sql), "NULL");
	test_world_kyc_insert(w, u, name_sql);
}

int
test_world_deposit(test_world *w, const char *group_id, const test_user *as, int64_t kobo)
{
	Kolo__Payments__V1__SimulateDepositRequest req =
		KOLO__PAYMENTS__V1__SIMULATE_DEPOSIT_REQUEST__INIT;
	Kolo__Payments__V1__SimulateDepositResponse *resp = NULL;

	req.group_id = (char *)group_id;
	req.amount_kobo = kobo;
	return test_world_call(w, &w->payments, "SimulateDeposit", &req, &resp, as);
}

/* Registers "<tag>-<who>" as u. */
static void
test_world_team_user(test_world *w, test_user *u, const char *tag, const char *who)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%s", tag, who);
	test_identity_user(&w->identity, u, name);
}

void
test_world_team(test_world *w, test_team *t, const char *tag, const char *group_name,
		unsigned flags)
{
	int treasurer = !(flags & TEST_TEAM_NO_TREASURER);

	test_world_team_user(w, &t->owner, tag, "owner");
	if (treasurer)
		test_world_team_user(w, &t->treasurer, tag, "treasurer");
	test_world_team_user(w, &t->member, tag, "member");
	test_world_group(w, &t->owner, group_name, t->group);
	if (treasurer)
		test_world_member(w, t->group, &t->owner, &t->treasurer,
				  KOLO__COMMON__V1__ROLE__ROLE_TREASURER);
	test_world_member(w, t->group, &t->owner, &t->member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	if (flags & TEST_TEAM_PINS) {
		test_world_set_pin(w, &t->owner, TEST_PIN);
		if (treasurer)
			test_world_set_pin(w, &t->treasurer, TEST_PIN);
	}
	if (flags & TEST_TEAM_MEMBER_PIN)
		test_world_set_pin(w, &t->member, TEST_PIN);
}

int
test_world_withdraw(test_world *w, const char *group_id, const test_user *as, int64_t kobo,
		    const char *account, const char *pin, const char *key,
		    Kolo__Withdrawals__V1__Withdrawal **out)
{
	Kolo__Withdrawals__V1__CreateWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__CREATE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__CreateWithdrawalResponse *resp = NULL;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;
	int rc;

	b.bank_code = "058";
	b.account_number = (char *)account;
	b.account_name = "Ngozi Eze";
	req.group_id = (char *)group_id;
	req.amount_kobo = kobo;
	req.beneficiary = &b;
	req.reason = "Hall rent for December";
	req.pin = (char *)pin;
	req.client_ref = (char *)(key ? key : "");
	rc = test_world_call(w, &w->withdrawals, "CreateWithdrawal", &req, &resp, as);
	if (rc == ERR_INTERNAL)
		print_message("create: %s\n", err_last()->message);
	if (out)
		*out = rc == 0 ? resp->withdrawal : NULL;
	return rc;
}

void
test_world_expire_withdrawal(test_world *w, const char *id)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "UPDATE withdrawal_request SET expires_at = now() AT TIME ZONE 'UTC'"
		 " - interval '1 minute' WHERE id = '%s'",
		 id);
	test_pg_ok(w->admin, sql);
}
