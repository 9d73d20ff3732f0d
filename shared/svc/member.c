#include "member.h"

#include "call.h"
#include "text/text.h"

int svc_check_member(rpc_ctx *ctx, rpc_channel *groups, const char *group_id,
		     int need_officer, Kolo__Groups__V1__GetMembershipResponse **out)
{
	Kolo__Groups__V1__GetMembershipRequest req =
		KOLO__GROUPS__V1__GET_MEMBERSHIP_REQUEST__INIT;
	Kolo__Groups__V1__GetMembershipResponse *resp = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!text_is_uuid(group_id))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_group_id",
			       "group_id must be a UUID");
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
	if (need_officer && !resp->is_officer)
		return err_set(ERR_PERMISSION_DENIED, "officer_only",
			       "only an officer (OWNER or TREASURER) may do this");
	if (out)
		*out = resp;
	return 0;
}
