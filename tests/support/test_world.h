/* test_world: several Kolo services in one test process over real gRPC,
 * each connected as its own database role to one fresh migrated database:
 * identity (users), groups, and ledger. Payments is not running (its
 * address refuses connections); accounts are made directly in the table. */
#ifndef KOLO_TEST_WORLD_H
#define KOLO_TEST_WORLD_H

#include <libpq-fe.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "test_identity.h"
#include "test_pg.h"

typedef struct test_world {
	char dbname[TEST_PG_NAME_MAX];
	PGconn *admin; /* superuser connection to the database */
	mem_arena *arena;
	test_identity identity;
	test_service groups;
	test_service ledger;
	rpc_channel *to_identity, *to_groups, *to_payments;
	char *groups_conninfo, *ledger_conninfo;
} test_world;

/* Starts identity, groups and ledger. 0 or -1 (for a group setup). */
int test_world_start(test_world *w);
void test_world_stop(test_world *w);

/* Creates a group owned by owner (fails the test on error); its id is
 * written to id (64 bytes). */
void test_world_group(test_world *w, const test_user *owner, const char *name,
		      char *id);

/* Adds who to the group with role (a Kolo__Common__V1__Role). */
void test_world_member(test_world *w, const char *group_id, const test_user *owner,
		       const test_user *who, int role);

/* Makes the group's active virtual account directly in the account table
 * (payments' job, not running here); its id is written to id (64). */
void test_world_account(test_world *w, const char *group_id, char *id);

/* Calls a service as a user (NULL: with the service token). */
int test_world_call(test_world *w, test_service *svc, const char *method,
		    const void *req, void *resp, const test_user *as);

#endif
