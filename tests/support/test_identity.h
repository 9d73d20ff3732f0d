/* test_identity: kolo-identity in the test process (its own role on the
 * test database), for tests of services that need real users. */
#ifndef KOLO_TEST_IDENTITY_H
#define KOLO_TEST_IDENTITY_H

#include "identity.h"
#include "test_keys.h"
#include "test_service.h"

typedef struct test_identity {
	test_service service;
	auth_keyring keys; /* what every service under test verifies with */
	char *conninfo;
} test_identity;

typedef struct test_user {
	char id[64];
	char email[128];
	char access_token[AUTH_JWT_MAX];
} test_user;

/* How the services under test follow identity's ended sessions
 * (svc/sessions.h), as kolo-groups and kolo-withdrawals do in production:
 * svc_sessions_start(channel to identity, &test_sessions_config). */
#define TEST_SESSIONS_POLL_MS	   50
#define TEST_SESSIONS_MAX_STALE_MS 2000

/* cfg for identity under test: the defaults, the cheapest argon2id and the
 * public keys of ring (the caller adds the signing key). */
void test_identity_config(idn_config *cfg, const auth_keyring *ring);

/* Starts identity on database dbname (cheap argon2id). 0 or -1. */
int test_identity_start(test_identity *out, const char *dbname);
void test_identity_stop(test_identity *ti);

/* Registers a user whose email is "<tag>-<n>@example.com" (n unique in the
 * process) and verifies the email with the code Register sent (groups add
 * only verified emails); fails the test on error. */
void test_identity_user(test_identity *ti, test_user *out, const char *tag);

/* The same without verifying the email. */
void test_identity_user_unverified(test_identity *ti, test_user *out, const char *tag);

#endif
