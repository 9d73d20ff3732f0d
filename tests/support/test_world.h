/* test_world: several Kolo services in one test process over real gRPC,
 * each connected as its own database role to one fresh migrated database:
 * identity (users), groups, ledger, payments (the demo provider unless a
 * test swaps it with test_world_provider) and withdrawals. The workers do
 * not run by themselves: tests call pay_worker_pass() (the test thread is
 * connected as payments) or test_world_withdrawals_pass(). */
#ifndef KOLO_TEST_WORLD_H
#define KOLO_TEST_WORLD_H

#include <libpq-fe.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "test_identity.h"
#include "test_pg.h"

typedef struct test_world {
	char dbname[TEST_PG_NAME_MAX];
	PGconn *admin; /* superuser connection to the database */
	mem_arena *arena;
	test_identity identity;
	test_service groups;
	test_service ledger;
	test_service payments;
	test_service withdrawals;
	rpc_channel *to_identity, *to_groups, *to_payments, *to_ledger;
	char *groups_conninfo, *ledger_conninfo, *payments_conninfo;
	char *withdrawals_conninfo;
	/* With KOLO_TEST_PG_READ set (conninfo words that name a standby of
	 * KOLO_TEST_PG's cluster, "host=/tmp/sb port=5633"): groups',
	 * ledger's and withdrawals' conninfo with those words, their read
	 * replicas. */
	char *groups_read_conninfo, *ledger_read_conninfo, *withdrawals_read_conninfo;
	struct pay_provider *provider; /* owned */
} test_world;

/* Starts every service. 0 or -1 (for a group setup). */
int test_world_start(test_world *w);
void test_world_stop(test_world *w);

/* cmocka fixtures of a test file whose tests share world w and need no
 * more: main() calls test_world_use(&w), then cmocka_run_group_tests(tests,
 * test_world_setup, test_world_teardown) starts and stops it, and
 * test_world_check_ledger (a test's teardown) checks its ledger invariant
 * (test_pg_ledger_invariant). */
void test_world_use(test_world *w);
int test_world_setup(void **state);
int test_world_teardown(void **state);
int test_world_check_ledger(void **state);

/* Creates a group owned by owner (fails the test on error); its id is
 * written to id (64 bytes). */
void test_world_group(test_world *w, const test_user *owner, const char *name, char *id);

/* Adds who to the group with role (a Kolo__Common__V1__Role). */
void test_world_member(test_world *w, const char *group_id, const test_user *owner,
		       const test_user *who, int role);

/* Approves proposal p (NULL: nothing was proposed) as each of officers in
 * turn (refusals skipped, e.g. the proposer or the subject) until it is no
 * longer PENDING; fails the test unless it ends APPLIED (the world's
 * groups has no time-lock). */
void test_world_pass(test_world *w, const Kolo__Groups__V1__Proposal *p,
		     const test_user *const *officers, size_t n, const char *pin);

/* The id of the group's account (payments made it when the group was
 * created), written to id (64); made directly in the table if missing. */
void test_world_account(test_world *w, const char *group_id, char *id);

/* The PIN test_world_team sets (SetPin) when asked to. */
#define TEST_PIN "246810"

/* A group of fresh users: the owner, a treasurer (unless TEST_TEAM_NO_TREASURER)
 * and a member, registered as "<tag>-owner", "<tag>-treasurer", "<tag>-member". */
typedef struct test_team {
	test_user owner, treasurer, member;
	char group[64];
} test_team;

enum {
	TEST_TEAM_NO_TREASURER = 1, /* owner and member only */
	TEST_TEAM_PINS = 2,	    /* TEST_PIN for the owner and the treasurer */
	TEST_TEAM_MEMBER_PIN = 4,   /* and for the member */
};

/* Makes team t: the users, the group named group_name, the memberships and
 * (flags) the PINs; fails the test on error. */
void test_world_team(test_world *w, test_team *t, const char *tag, const char *group_name,
		     unsigned flags);

/* Sets u's PIN (fails the test on error). */
void test_world_set_pin(test_world *w, const test_user *u, const char *pin);

/* Records u's identity check (KYC) as verified, in SQL: the state that
 * SubmitKyc leaves once the provider named u's name as the BVN's holder
 * (that flow is tested in tests/integration/identity/test_kyc*.c); the
 * provider's name kept (user_kyc.verified_name) is u's name now. */
void test_world_kyc_verified(test_world *w, const test_user *u);
/* The same with the provider's name for the holder given (kyc_name; NULL
 * for a check verified before 0034 kept it). */
void test_world_kyc_verified_as(test_world *w, const test_user *u, const char *kyc_name);

/* SimulateDeposit of kobo into group as user as: test_world_call()'s result. */
int test_world_deposit(test_world *w, const char *group_id, const test_user *as, int64_t kobo);

/* CreateWithdrawal of kobo from the group to account (bank 058, "Ngozi
 * Eze", for "Hall rent for December") as user as with pin and client_ref
 * key (NULL: none). test_world_call()'s result; the withdrawal (in the
 * world's arena) in *out when out is not NULL, NULL on error. */
int test_world_withdraw(test_world *w, const char *group_id, const test_user *as, int64_t kobo,
			const char *account, const char *pin, const char *key,
			Kolo__Withdrawals__V1__Withdrawal **out);

/* Moves withdrawal id's expiry a minute into the past (in SQL), as if its
 * time ran out. */
void test_world_expire_withdrawal(test_world *w, const char *id);

/* Makes payments use provider from now on (the world owns and frees it). */
void test_world_provider(test_world *w, struct pay_provider *provider);

/* Makes the test thread act as a service's worker: its database role
 * (conninfo) and its caller name with its test token ("events").
 * test_world_as_payments() goes back to the thread's default, the payments
 * role with no caller of its own. */
void test_world_as(test_world *w, const char *conninfo, const char *caller);
void test_world_as_payments(test_world *w);

/* One pass of the withdrawals worker (sweeper and payout poller), run on
 * the test thread as the withdrawals role. */
void test_world_withdrawals_pass(test_world *w);

/* One pass of the ledger's worker (the hold sweeper), as the ledger role. */
void test_world_ledger_pass(test_world *w);

/* Calls a service as a user (NULL: with the service token). */
int test_world_call(test_world *w, test_service *svc, const char *method, const void *req,
		    void *resp, const test_user *as);

#endif
