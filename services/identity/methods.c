/* Every IdentityService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: credential acts, refused to a token whose session ended
 * (identity asks its own table, idn_session_check). */
#include "identity_service.h"

#include "handlers.h"
#include "kolo/identity/v1/identity.pb-c.h"

static const rpc_method idn_methods[] = {
	{ "Register", idn_rpc_register, RPC_AUTH_NONE },
	{ "Login", idn_rpc_login, RPC_AUTH_NONE },
	{ "Refresh", idn_rpc_refresh, RPC_AUTH_NONE },
	{ "Logout", idn_rpc_logout, RPC_AUTH_NONE },
	{ "GetMe", idn_rpc_get_me, RPC_AUTH_USER },
	{ "GetUser", idn_rpc_get_user, RPC_AUTH_INTERNAL },
	{ "FindUserByEmail", idn_rpc_find_user_by_email, RPC_AUTH_INTERNAL },
	{ "ListSessions", idn_rpc_list_sessions, RPC_AUTH_USER },
	{ "RevokeSession", idn_rpc_revoke_session, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ListActivity", idn_rpc_list_activity, RPC_AUTH_USER },
	{ "SetPin", idn_rpc_set_pin, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ChangePin", idn_rpc_change_pin, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "VerifyPin", idn_rpc_verify_pin,
	  RPC_AUTH_USER | RPC_AUTH_LIVE | RPC_AUTH_INTERNAL },
	{ "ResetPin", idn_rpc_reset_pin, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "GetSigningKeys", idn_rpc_get_signing_keys, RPC_AUTH_NONE },
	{ "SubmitKyc", idn_rpc_submit_kyc, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "GetKyc", idn_rpc_get_kyc, RPC_AUTH_USER },
	{ "ReadKycNumber", idn_rpc_read_kyc_number, RPC_AUTH_INTERNAL },
	{ "ReleaseKycNumber", idn_rpc_release_kyc_number, RPC_AUTH_INTERNAL },
	{ "ListSessionRevocations", idn_rpc_list_session_revocations,
	  RPC_AUTH_INTERNAL },
	{ "ReadOutbox", idn_rpc_read_outbox, RPC_AUTH_INTERNAL },
	{ "AckOutbox", idn_rpc_ack_outbox, RPC_AUTH_INTERNAL },
	{ "GetUserContacts", idn_rpc_get_user_contacts, RPC_AUTH_INTERNAL },
	{ "VerifyEmail", idn_rpc_verify_email, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "SendEmailCode", idn_rpc_send_email_code, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "SetPhone", idn_rpc_set_phone, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "VerifyPhone", idn_rpc_verify_phone, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "RemovePhone", idn_rpc_remove_phone, RPC_AUTH_USER | RPC_AUTH_LIVE },
};

const rpc_service idn_rpc_service = {
	.descriptor = &kolo__identity__v1__identity_service__descriptor,
	.methods = idn_methods,
	.n_methods = sizeof(idn_methods) / sizeof(idn_methods[0]),
	.session_check = idn_session_check,
};
