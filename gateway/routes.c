/* The route table (DESIGN §9): every HTTP route, in one place. */
#include "gw.h"

#define RPC(svc, name, ...) \
	(&(const gw_rpc_spec){ .service = (svc), .rpc = (name), __VA_ARGS__ })

#define GROUP "id=group_id"
#define WITHDRAWAL "id=withdrawal_id"
#define PROPOSAL "id=proposal_id"

const gw_route gw_routes[] = {
	/* identity */
	{ "POST", "/v1/auth/register", gw_rpc_route,
	  RPC(GW_IDENTITY, "Register", .status = 201,
	      .required = "email,password,name"), GW_RATE_SIGNUP },
	{ "POST", "/v1/auth/login", gw_rpc_route,
	  RPC(GW_IDENTITY, "Login", .status = 200, .required = "email,password"),
	  GW_RATE_LOGIN },
	{ "POST", "/v1/auth/refresh", gw_rpc_route,
	  RPC(GW_IDENTITY, "Refresh", .status = 200, .required = "refresh_token"),
	  GW_RATE_REFRESH },
	{ "POST", "/v1/auth/logout", gw_rpc_route,
	  RPC(GW_IDENTITY, "Logout", .status = 204, .required = "refresh_token"),
	  GW_RATE_REFRESH },
	{ "GET", "/v1/me", gw_rpc_route,
	  RPC(GW_IDENTITY, "GetMe", .status = 200, .unwrap = "user"), 0 },
	{ "GET", "/v1/me/activity", gw_rpc_route,
	  RPC(GW_IDENTITY, "ListActivity", .status = 200), 0 },
	{ "GET", "/v1/me/sessions", gw_rpc_route,
	  RPC(GW_IDENTITY, "ListSessions", .status = 200), 0 },
	{ "DELETE", "/v1/me/sessions/{id}", gw_rpc_route,
	  RPC(GW_IDENTITY, "RevokeSession", .status = 204,
	      .path_fields = "id=session_id"), 0 },
	{ "POST", "/v1/me/pin", gw_rpc_route,
	  RPC(GW_IDENTITY, "SetPin", .status = 201, .required = "pin"),
	  GW_RATE_PIN },
	{ "PUT", "/v1/me/pin", gw_rpc_route,
	  RPC(GW_IDENTITY, "ChangePin", .status = 204,
	      .required = "old_pin,new_pin"), GW_RATE_PIN },
	{ "POST", "/v1/me/pin/reset", gw_rpc_route,
	  RPC(GW_IDENTITY, "ResetPin", .status = 200,
	      .required = "recovery_token,new_pin"), GW_RATE_PIN },

	/* groups */
	{ "POST", "/v1/groups", gw_rpc_route,
	  RPC(GW_GROUPS, "CreateGroup", .status = 201, .required = "name",
	      .unwrap = "group"), 0 },
	{ "GET", "/v1/groups", gw_rpc_route,
	  RPC(GW_GROUPS, "ListMyGroups", .status = 200), 0 },
	{ "GET", "/v1/groups/{id}", gw_rpc_route,
	  RPC(GW_GROUPS, "GetGroup", .status = 200, .path_fields = GROUP,
	      .unwrap = "group"), 0 },
	{ "PATCH", "/v1/groups/{id}", gw_rpc_route,
	  RPC(GW_GROUPS, "UpdateGroup", .status = 200, .path_fields = GROUP,
	      .unwrap = "group", .proposal = "proposal"), 0 },
	{ "GET", "/v1/groups/{id}/members", gw_rpc_route,
	  RPC(GW_GROUPS, "ListMembers", .status = 200, .path_fields = GROUP), 0 },
	{ "POST", "/v1/groups/{id}/members", gw_rpc_route,
	  RPC(GW_GROUPS, "AddMember", .status = 201, .required = "email,role",
	      .path_fields = GROUP, .unwrap = "member", .proposal = "proposal"), 0 },
	{ "PATCH", "/v1/groups/{id}/members/{user_id}", gw_rpc_route,
	  RPC(GW_GROUPS, "UpdateMemberRole", .status = 200, .required = "role",
	      .path_fields = GROUP ",user_id=user_id", .unwrap = "member",
	      .proposal = "proposal"), 0 },
	{ "DELETE", "/v1/groups/{id}/members/{user_id}", gw_rpc_route,
	  RPC(GW_GROUPS, "RemoveMember", .status = 204,
	      .path_fields = GROUP ",user_id=user_id", .proposal = "proposal"), 0 },
	{ "POST", "/v1/groups/{id}/public-token", gw_rpc_route,
	  RPC(GW_GROUPS, "RotatePublicToken", .status = 201, .path_fields = GROUP), 0 },
	{ "DELETE", "/v1/groups/{id}/public-token", gw_rpc_route,
	  RPC(GW_GROUPS, "RevokePublicToken", .status = 204, .path_fields = GROUP,
	      .proposal = "proposal"), 0 },

	/* governance (DESIGN §12) */
	{ "GET", "/v1/groups/{id}/proposals", gw_rpc_route,
	  RPC(GW_GROUPS, "ListProposals", .status = 200, .path_fields = GROUP), 0 },
	{ "GET", "/v1/proposals/{id}", gw_rpc_route,
	  RPC(GW_GROUPS, "GetProposal", .status = 200, .path_fields = PROPOSAL,
	      .unwrap = "proposal"), 0 },
	{ "POST", "/v1/proposals/{id}/approve", gw_rpc_route,
	  RPC(GW_GROUPS, "ApproveProposal", .status = 200, .required = "pin",
	      .path_fields = PROPOSAL, .unwrap = "proposal"), GW_RATE_PIN },
	{ "POST", "/v1/proposals/{id}/object", gw_rpc_route,
	  RPC(GW_GROUPS, "ObjectProposal", .status = 200, .required = "pin",
	      .path_fields = PROPOSAL, .unwrap = "proposal"), GW_RATE_PIN },
	{ "POST", "/v1/proposals/{id}/cancel", gw_rpc_route,
	  RPC(GW_GROUPS, "CancelProposal", .status = 200, .path_fields = PROPOSAL,
	      .unwrap = "proposal"), 0 },

	/* ledger and account */
	{ "GET", "/v1/groups/{id}/account", gw_rpc_route,
	  RPC(GW_PAYMENTS, "GetAccount", .status = 200, .path_fields = GROUP,
	      .unwrap = "account"), 0 },
	{ "GET", "/v1/groups/{id}/balance", gw_rpc_route,
	  RPC(GW_LEDGER, "GetBalance", .status = 200, .path_fields = GROUP), 0 },
	{ "GET", "/v1/groups/{id}/ledger", gw_rpc_route,
	  RPC(GW_LEDGER, "ListEntries", .status = 200, .path_fields = GROUP,
	      .query_fields = "from=from_time,to=to_time"), 0 },
	{ "GET", "/v1/groups/{id}/ledger.csv", gw_statement_route, NULL, 0 },

	/* withdrawals */
	{ "POST", "/v1/groups/{id}/withdrawals", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "CreateWithdrawal", .status = 201,
	      .required = "amount_kobo,beneficiary,reason,pin", .path_fields = GROUP,
	      .unwrap = "withdrawal", .idempotency_field = "client_ref"),
	  GW_RATE_PIN },
	{ "GET", "/v1/groups/{id}/withdrawals", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "ListWithdrawals", .status = 200,
	      .path_fields = GROUP), 0 },
	{ "GET", "/v1/withdrawals/{id}", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "GetWithdrawal", .status = 200,
	      .path_fields = WITHDRAWAL, .unwrap = "withdrawal"), 0 },
	{ "POST", "/v1/withdrawals/{id}/approve", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "ApproveWithdrawal", .status = 200, .required = "pin",
	      .path_fields = WITHDRAWAL, .unwrap = "withdrawal"), GW_RATE_PIN },
	{ "POST", "/v1/withdrawals/{id}/decline", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "DeclineWithdrawal", .status = 200, .required = "pin",
	      .path_fields = WITHDRAWAL, .unwrap = "withdrawal"), GW_RATE_PIN },
	{ "POST", "/v1/withdrawals/{id}/retry-payout", gw_rpc_route,
	  RPC(GW_WITHDRAWALS, "RetryPayout", .status = 200, .required = "pin",
	      .path_fields = WITHDRAWAL, .unwrap = "withdrawal"), GW_RATE_PIN },

	/* payments */
	{ "GET", "/v1/banks", gw_rpc_route,
	  RPC(GW_PAYMENTS, "ListBanks", .status = 200), 0 },
	{ "POST", "/v1/banks/resolve", gw_rpc_route,
	  RPC(GW_PAYMENTS, "ResolveBankAccount", .status = 200,
	      .required = "bank_code,account_number,group_id"), 0 },
	{ "POST", "/v1/webhooks/flutterwave", gw_webhook_route, NULL, 0 },
	{ "POST", "/v1/webhooks/paystack", gw_webhook_route, NULL, 0 },
	{ "POST", "/v1/demo/groups/{id}/deposits", gw_rpc_route,
	  RPC(GW_PAYMENTS, "SimulateDeposit", .status = 201,
	      .required = "amount_kobo", .path_fields = GROUP,
	      .idempotency_field = "client_ref"), 0 },

	/* public transparency */
	{ "GET", "/v1/public/{token}", gw_public_json_route, NULL, GW_RATE_PUBLIC },
	{ "GET", "/p/{token}", gw_public_page_route, NULL, GW_RATE_PUBLIC },
	{ "GET", "/p/{token}/statement.csv", gw_public_csv_route, NULL, GW_RATE_PUBLIC },

	/* operations */
	{ "GET", "/healthz", gw_healthz_route, NULL, 0 },
	{ "GET", "/readyz", gw_readyz_route, NULL, 0 },
	{ "GET", "/metrics", gw_metrics_route, NULL, 0 },
	{ "GET", "/.well-known/jwks.json", gw_jwks_route, NULL, 0 },
	{ "GET", "/openapi.yaml", gw_openapi_route, NULL, 0 },
};

const size_t gw_n_routes = sizeof(gw_routes) / sizeof(gw_routes[0]);
