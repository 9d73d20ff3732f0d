/* auth/revoked: the set of ended sessions behind RPC_AUTH_LIVE (issue
 * 18.7): insert, lookup, expiry, growth, the cap, and failing closed when
 * the set is stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/revoked.h"

#define SID_A "5b0c7c2e-2f3a-4c6e-9d1a-0000000000a1"
#define SID_B "5b0c7c2e-2f3a-4c6e-9d1a-0000000000b2"
#define NOW   1796000000 /* Unix seconds */
#define MONO  5000	 /* monotonic ms */
#define STALE 2000

static void
test_a_never_synced_set_cannot_tell(void **state)
{
	auth_revoked *r = auth_revoked_new(0);

	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO, STALE), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "sessions_unknown");
	/* Known revoked: said so even before a sync completes. */
	assert_int_equal(auth_revoked_add(r, SID_A, NOW + 900), 0);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO, STALE), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	auth_revoked_free(r);
}

static void
test_revoked_sessions_are_refused_and_others_live(void **state)
{
	auth_revoked *r = auth_revoked_new(0);

	assert_int_equal(auth_revoked_add(r, SID_A, NOW + 900), 0);
	auth_revoked_synced(r, MONO);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO, STALE), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "session_revoked");
	assert_int_equal(auth_revoked_check(r, SID_B, NOW, MONO, STALE), 0);
	/* Adding again keeps one entry and the later expiry. */
	assert_int_equal(auth_revoked_add(r, SID_A, NOW + 10), 0);
	assert_int_equal(auth_revoked_count(r), 1);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW + 500, MONO, STALE), ERR_UNAUTHENTICATED);
	auth_revoked_free(r);
}

static void
test_expired_sessions_are_forgotten(void **state)
{
	auth_revoked *r = auth_revoked_new(0);

	assert_int_equal(auth_revoked_add(r, SID_A, NOW + 10), 0);
	assert_int_equal(auth_revoked_add(r, SID_B, NOW + 900), 0);
	auth_revoked_synced(r, MONO);
	/* Past valid_until every token of A has expired anyway. */
	assert_int_equal(auth_revoked_check(r, SID_A, NOW + 10, MONO, STALE), 0);
	auth_revoked_forget(r, NOW + 10);
	assert_int_equal(auth_revoked_count(r), 1);
	assert_int_equal(auth_revoked_check(r, SID_B, NOW + 10, MONO, STALE), ERR_UNAUTHENTICATED);
	auth_revoked_forget(r, NOW + 900);
	assert_int_equal(auth_revoked_count(r), 0);
	auth_revoked_free(r);
}

static void
test_a_stale_set_fails_closed(void **state)
{
	auth_revoked *r = auth_revoked_new(0);

	auth_revoked_synced(r, MONO);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO + STALE, STALE), 0);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO + STALE + 1, STALE),
			 ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "sessions_unknown");
	/* A later sync counts; an older one (a slow poll) does not go back. */
	auth_revoked_synced(r, MONO + 3000);
	auth_revoked_synced(r, MONO + 1000);
	assert_int_equal(auth_revoked_check(r, SID_A, NOW, MONO + 4500, STALE), 0);
	auth_revoked_free(r);
}

static void
test_many_sessions_grow_the_table(void **state)
{
	auth_revoked *r = auth_revoked_new(0);
	char sid[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "00000000-0000-4000-8000-%012d", i);
		assert_int_equal(auth_revoked_add(r, sid, NOW + 1 + i % 2), 0);
	}
	auth_revoked_synced(r, MONO);
	assert_int_equal(auth_revoked_count(r), 5000);
	for (int i = 0; i < 5000; i += 97) {
		snprintf(sid, sizeof(sid), "00000000-0000-4000-8000-%012d", i);
		assert_int_equal(auth_revoked_check(r, sid, NOW, MONO, STALE), ERR_UNAUTHENTICATED);
	}
	auth_revoked_forget(r, NOW + 1);
	assert_int_equal(auth_revoked_count(r), 2500);
	auth_revoked_free(r);
}

static void
test_bad_ids_and_a_full_set_are_refused(void **state)
{
	auth_revoked *r = auth_revoked_new(2);
	char long_sid[128];

	memset(long_sid, 'a', sizeof(long_sid) - 1);
	long_sid[sizeof(long_sid) - 1] = '\0';
	assert_int_equal(auth_revoked_add(r, "", NOW), ERR_INVALID_ARGUMENT);
	assert_int_equal(auth_revoked_add(r, long_sid, NOW), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id");
	assert_string_equal(err_meta_get(err_last(), "field"), "session_id");
	assert_int_equal(auth_revoked_add(r, SID_A, NOW + 9), 0);
	assert_int_equal(auth_revoked_add(r, SID_B, NOW + 9), 0);
	assert_int_equal(auth_revoked_add(r, "third", NOW + 9), ERR_RESOURCE_EXHAUSTED);
	assert_string_equal(err_last()->reason, "revocations_full");
	assert_int_equal(auth_revoked_count(r), 2);
	auth_revoked_free(r);
	auth_revoked_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_never_synced_set_cannot_tell),
		cmocka_unit_test(test_revoked_sessions_are_refused_and_others_live),
		cmocka_unit_test(test_expired_sessions_are_forgotten),
		cmocka_unit_test(test_a_stale_set_fails_closed),
		cmocka_unit_test(test_many_sessions_grow_the_table),
		cmocka_unit_test(test_bad_ids_and_a_full_set_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
