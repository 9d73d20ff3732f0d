#include "membership.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "svc/call.h"
#include "text/text.h"

/* The reader cache: passed read checks by (group, user), direct-mapped (a
 * pair that lands on a taken slot evicts it), each valid until its expiry
 * on the monotonic clock. */
#define MEMBERSHIP_READER_SLOTS 1024u

typedef struct membership_reader {
	char group_id[TEXT_UUID_LEN + 1];
	char user_id[TEXT_UUID_LEN + 1];
	int64_t expires_ms;
} membership_reader;

static membership_reader membership_readers[MEMBERSHIP_READER_SLOTS];
static pthread_mutex_t membership_readers_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t membership_reader_ttl_ms;

int
membership_require_officer(const Kolo__Groups__V1__GetMembershipResponse *m)
{
	if (m && !m->is_officer)
		return err_set(ERR_PERMISSION_DENIED, "officer_only",
			       "only an officer (OWNER or TREASURER) may do this");
	return 0;
}

int
membership_check(rpc_ctx *ctx, rpc_channel *groups, const char *group_id, int need_officer,
		 Kolo__Groups__V1__GetMembershipResponse **out)
{
	Kolo__Groups__V1__GetMembershipRequest req = KOLO__GROUPS__V1__GET_MEMBERSHIP_REQUEST__INIT;
	Kolo__Groups__V1__GetMembershipResponse *resp = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!text_is_uuid(group_id))
		return err_invalid_id("group_id");
	if (!rpc_ctx_user_id(ctx) && rpc_ctx_is_internal(ctx))
		return 0;
	req.group_id = (char *)group_id;
	req.user_id = (char *)rpc_ctx_user_id(ctx);
	rc = svc_call(ctx, groups, "GetMembership", &req.base, (ProtobufCMessage **)&resp,
		      SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	if (!resp->is_member)
		return err_set(ERR_NOT_FOUND, "group_not_found", "no such group");
	if (need_officer && (rc = membership_require_officer(resp)) < 0)
		return rc;
	if (out)
		*out = resp;
	return 0;
}

static int64_t
membership_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a of the pair, for its slot. */
static unsigned
membership_reader_slot(const char *group_id, const char *user_id)
{
	uint32_t h = 2166136261u;
	const char *parts[] = {group_id, user_id};

	for (size_t i = 0; i < 2; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 16777619u;
		}
	}
	return h % MEMBERSHIP_READER_SLOTS;
}

/* 1 when the pair passed a read check that has not expired. */
static bool
membership_reader_known(const char *group_id, const char *user_id)
{
	membership_reader *r = &membership_readers[membership_reader_slot(group_id, user_id)];
	bool known;

	pthread_mutex_lock(&membership_readers_lock);
	known = membership_reader_ttl_ms > 0 && r->expires_ms > membership_now_ms() &&
		strcmp(r->group_id, group_id) == 0 && strcmp(r->user_id, user_id) == 0;
	pthread_mutex_unlock(&membership_readers_lock);
	return known;
}

static void
membership_reader_remember(const char *group_id, const char *user_id)
{
	membership_reader *r = &membership_readers[membership_reader_slot(group_id, user_id)];

	pthread_mutex_lock(&membership_readers_lock);
	if (membership_reader_ttl_ms > 0) {
		memcpy(r->group_id, group_id, TEXT_UUID_LEN + 1);
		memcpy(r->user_id, user_id, TEXT_UUID_LEN + 1);
		r->expires_ms = membership_now_ms() + membership_reader_ttl_ms;
	}
	pthread_mutex_unlock(&membership_readers_lock);
}

int
membership_check_reader(rpc_ctx *ctx, rpc_channel *groups, const char *group_id)
{
	const char *user_id = rpc_ctx_user_id(ctx);
	bool cacheable = user_id && text_is_uuid(group_id) && strlen(user_id) == TEXT_UUID_LEN;
	int rc;

	if (cacheable && membership_reader_known(group_id, user_id))
		return 0;
	rc = membership_check(ctx, groups, group_id, 0, NULL);
	if (rc == 0 && cacheable)
		membership_reader_remember(group_id, user_id);
	return rc;
}

void
membership_reader_cache_set_ttl(int64_t ttl_ms)
{
	pthread_mutex_lock(&membership_readers_lock);
	membership_reader_ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
	if (membership_reader_ttl_ms == 0)
		memset(membership_readers, 0, sizeof(membership_readers));
	pthread_mutex_unlock(&membership_readers_lock);
}
