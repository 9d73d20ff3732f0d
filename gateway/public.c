/* A group's books for anyone with its public read token (DESIGN §5, §9):
 * the name and description, balance, ledger and withdrawals, read with the
 * service token on the caller's behalf. Nothing that names or reaches a
 * person leaks: no user ids, no emails, officers by display name only,
 * beneficiary account numbers masked to their last four digits; the
 * governance section names proposers and approvers by display name. An
 * unknown or revoked token is a plain 404. */
#include "gw.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "db/db.h"
#include "log/log.h"

#define GW_PUBLIC_WITHDRAWALS 50
#define GW_PUBLIC_NAMES	      64
#define GW_PUBLIC_PROPOSALS   20

/* What a public view shows, gathered in the request's arena. */
typedef struct gw_public {
	Kolo__Groups__V1__ResolvePublicTokenResponse *group;
	int64_t balance; /* posted */
	int64_t held;	 /* promised to withdrawals (DESIGN §13) */
	Kolo__Ledger__V1__ListEntriesResponse *entries;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *withdrawals;
	Kolo__Groups__V1__ListProposalsResponse *proposals; /* newest first */
	/* Members' standing, only where the group shows it (public_dues). */
	Kolo__Groups__V1__GetDuesStatusResponse *dues;
	/* Display names of the people the withdrawals name. */
	const char *ids[GW_PUBLIC_NAMES];
	const char *names[GW_PUBLIC_NAMES];
	size_t n_names;
} gw_public;

static const char *
gw_token_param(const gw_request *req)
{
	return req->params[0].value;
}

/* The user's display name (identity, internal), remembered per view. */
static const char *
gw_public_name(gw_request *req, gw_public *v, const char *user_id)
{
	Kolo__Identity__V1__GetUserRequest in = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *out = NULL;

	if (!user_id || !user_id[0])
		return "";
	for (size_t i = 0; i < v->n_names; i++) {
		if (strcmp(v->ids[i], user_id) == 0)
			return v->names[i];
	}
	in.user_id = (char *)user_id;
	if (gw_call(req, GW_IDENTITY, "GetUser", &in.base, (ProtobufCMessage **)&out, 1) < 0)
		return "a member";
	if (v->n_names < GW_PUBLIC_NAMES) {
		v->ids[v->n_names] = user_id;
		v->names[v->n_names++] = out->user->name;
	}
	return out->user->name;
}

static int
gw_public_resolve(gw_request *req, gw_public *v)
{
	Kolo__Groups__V1__ResolvePublicTokenRequest in =
		KOLO__GROUPS__V1__RESOLVE_PUBLIC_TOKEN_REQUEST__INIT;
	int rc;

	in.token = (char *)gw_token_param(req);
	rc = gw_call(req, GW_GROUPS, "ResolvePublicToken", &in.base, (ProtobufCMessage **)&v->group,
		     1);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "not_found", "no such page");
	return rc;
}

/* Who has paid their dues as of today, where the group turned it on
 * (DESIGN §15): names and paid/unpaid only, never amounts. The dues are an
 * extra: when the groups service cannot compute them the page goes out
 * without them (v->dues NULL) rather than failing. */
static void
gw_public_dues(gw_request *req, gw_public *v)
{
	Kolo__Groups__V1__GetDuesStatusRequest in = KOLO__GROUPS__V1__GET_DUES_STATUS_REQUEST__INIT;

	if (!v->group->public_dues)
		return;
	in.group_id = v->group->group_id;
	if (gw_call(req, GW_GROUPS, "GetDuesStatus", &in.base, (ProtobufCMessage **)&v->dues, 1) <
	    0) {
		log_event(LOG_LVL_WARN, "public page without dues", "group_id", v->group->group_id,
			  "reason", err_last()->reason, NULL);
		err_clear();
		v->dues = NULL;
	}
}

/* Everything the view shows; entries page by the caller's query. */
static int
gw_public_gather(gw_request *req, gw_public *v)
{
	Kolo__Ledger__V1__GetBalanceRequest bal = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *balance = NULL;
	Kolo__Ledger__V1__ListEntriesRequest ent = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsRequest wd =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	Kolo__Groups__V1__ListProposalsRequest prop =
		KOLO__GROUPS__V1__LIST_PROPOSALS_REQUEST__INIT;
	const char *page_token =
		MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, "page_token");
	int rc = gw_public_resolve(req, v);

	if (rc < 0)
		return rc;
	bal.group_id = v->group->group_id;
	rc = gw_call(req, GW_LEDGER, "GetBalance", &bal.base, (ProtobufCMessage **)&balance, 1);
	if (rc < 0)
		return rc;
	v->balance = balance->balance_kobo;
	v->held = balance->held_kobo;
	ent.group_id = v->group->group_id;
	ent.page_size = 50;
	ent.page_token = (char *)(page_token ? page_token : "");
	rc = gw_call(req, GW_LEDGER, "ListEntries", &ent.base, (ProtobufCMessage **)&v->entries, 1);
	if (rc < 0)
		return rc;
	wd.group_id = v->group->group_id;
	wd.page_size = GW_PUBLIC_WITHDRAWALS;
	rc = gw_call(req, GW_WITHDRAWALS, "ListWithdrawals", &wd.base,
		     (ProtobufCMessage **)&v->withdrawals, 1);
	if (rc < 0)
		return rc;
	prop.group_id = v->group->group_id;
	prop.page_size = GW_PUBLIC_PROPOSALS;
	rc = gw_call(req, GW_GROUPS, "ListProposals", &prop.base,
		     (ProtobufCMessage **)&v->proposals, 1);
	if (rc < 0)
		return rc;
	gw_public_dues(req, v);
	return 0;
}

/* The oldest as_of of the lists (and dues) read from replicas, or NULL
 * when all came from the primary. The balance is always the primary's. */
static const char *
gw_older_as_of(const char *a, const char *b)
{
	if (!a || !a[0])
		return b && b[0] ? b : NULL;
	if (!b || !b[0])
		return a;
	return strcmp(a, b) <= 0 ? a : b; /* one fixed-width UTC form */
}

static const char *
gw_public_as_of(const gw_public *v)
{
	const char *as_of = gw_older_as_of(v->entries->as_of, v->withdrawals->as_of);

	return gw_older_as_of(as_of, v->dues ? v->dues->data_as_of : NULL);
}

/* "••••6789": the last four digits of an account number. */
static const char *
gw_masked(mem_arena *a, const char *number)
{
	size_t n = number ? strlen(number) : 0;

	return mem_arena_printf(a, "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%s",
				n >= 4 ? number + n - 4 : "");
}

static const char *
gw_status_name(int status)
{
	static const char *const names[] = {"",	    "PENDING",	     "APPROVED", "DECLINED",
					    "PAID", "PAYOUT_FAILED", "CLOSED"};

	return status >= 1 && status <= 6 ? names[status] : "";
}

/* --- JSON ----------------------------------------------------------------------- */

static json_t *
gw_public_entry_json(const Kolo__Common__V1__LedgerEntry *e)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:b, s:s}", "type",
			 e->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT ? "DEBIT"
										   : "CREDIT",
			 "amount_kobo", (json_int_t)e->amount_kobo, "currency", e->currency,
			 "source", e->source, "reference", e->reference, "simulated", e->simulated,
			 "created_at", e->created_at);
}

/* A withdrawal without ids: people by display name, the account number
 * masked; executed_at and decline_reason absent while not set. */
static json_t *
gw_public_withdrawal_json(gw_request *req, gw_public *v, const Kolo__Withdrawals__V1__Withdrawal *w)
{
	json_t *approvers = json_array();
	const Kolo__Common__V1__Beneficiary *b = w->beneficiary;

	for (size_t i = 0; i < w->n_approvals; i++)
		json_array_append_new(
			approvers, json_string(gw_public_name(req, v, w->approvals[i]->user_id)));
	return json_pack("{s:I, s:s, s:s, s:s, s:i, s:i, s:o, s:{s:s, s:s, s:s}, s:s, s:s*, s:s*}",
			 "amount_kobo", (json_int_t)w->amount_kobo, "status",
			 gw_status_name(w->status), "reason", w->reason, "requested_by",
			 gw_public_name(req, v, w->requested_by), "approvals", (int)w->n_approvals,
			 "approvals_required", w->approvals_required, "approved_by", approvers,
			 "beneficiary", "bank_code", b ? b->bank_code : "", "account_name",
			 b ? b->account_name : "", "account_number",
			 gw_masked(req->arena, b ? b->account_number : ""), "created_at",
			 w->created_at, "executed_at", w->executed_at[0] ? w->executed_at : NULL,
			 "decline_reason", w->decline_reason[0] ? w->decline_reason : NULL);
}

/* A proposal as the public sees it: people by display name only. A time or
 * reason not set yet is absent (s*), as the OpenAPI document says. */
static json_t *
gw_public_proposal_json(const Kolo__Groups__V1__Proposal *p)
{
	json_t *approvers = json_array();

	for (size_t i = 0; i < p->n_approvals; i++)
		json_array_append_new(approvers, json_string(p->approvals[i]->name));
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s*, s:s, s:s*}", "kind", p->kind, "summary",
			 p->summary, "proposed_by", p->proposed_by_name, "approved_by", approvers,
			 "status", p->status, "applies_at", p->applies_at[0] ? p->applies_at : NULL,
			 "created_at", p->created_at, "reason", p->reason[0] ? p->reason : NULL);
}

/* [{name, paid}]: paid is no arrears as of today. */
static json_t *
gw_public_dues_json(const gw_public *v)
{
	json_t *out = json_array();

	for (size_t i = 0; i < v->dues->n_members; i++) {
		const Kolo__Groups__V1__MemberDuesStatus *m = v->dues->members[i];

		json_array_append_new(out, json_pack("{s:s, s:b}", "name", m->name, "paid",
						     m->arrears_kobo == 0));
	}
	return out;
}

void
gw_public_json_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	gw_public v;
	json_t *entries, *withdrawals, *governance, *body;

	(void)route;
	memset(&v, 0, sizeof(v));
	if (gw_public_gather(req, &v) < 0) {
		gw_reply_err_last(resp);
		return;
	}
	entries = json_array();
	for (size_t i = 0; i < v.entries->n_entries; i++)
		json_array_append_new(entries, gw_public_entry_json(v.entries->entries[i]));
	withdrawals = json_array();
	for (size_t i = 0; i < v.withdrawals->n_withdrawals; i++)
		json_array_append_new(withdrawals, gw_public_withdrawal_json(
							   req, &v, v.withdrawals->withdrawals[i]));
	governance = json_array();
	for (size_t i = 0; i < v.proposals->n_proposals; i++)
		json_array_append_new(governance,
				      gw_public_proposal_json(v.proposals->proposals[i]));
	body = json_pack("{s:{s:s, s:s}, s:I, s:I, s:I, s:s, s:o, s:s, s:o, s:o}", "group", "name",
			 v.group->name, "description", v.group->description, "balance_kobo",
			 (json_int_t)v.balance, "held_kobo", (json_int_t)v.held, "available_kobo",
			 (json_int_t)(v.balance > v.held ? v.balance - v.held : 0), "currency",
			 "NGN", "entries", entries, "next_page_token", v.entries->next_page_token,
			 "withdrawals", withdrawals, "governance", governance);
	if (body && v.dues)
		json_object_set_new(body, "dues", gw_public_dues_json(&v));
	if (body && gw_public_as_of(&v))
		json_object_set_new(body, "as_of", json_string(gw_public_as_of(&v)));
	gw_reply_json(resp, 200, body);
	resp->cache_control = "public, max-age=30";
}

/* --- HTML ----------------------------------------------------------------------- */

static const char gw_public_css[] =
	"body{font-family:system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;"
	"color:#1a1a1a;line-height:1.4}h1{font-size:1.4rem;margin:.2rem 0}"
	".bal{font-size:2rem;font-weight:700;margin:.5rem 0}table{width:100%;"
	"border-collapse:collapse;font-size:.9rem}td,th{padding:.35rem .25rem;"
	"border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;"
	"white-space:nowrap}.cr{color:#0a6b2d}.dr{color:#9b1c1c}.muted{color:#666;"
	"font-size:.85rem}@media(max-width:30rem){.hide{display:none}}";

/* The page's Content-Security-Policy: nothing but its own inline style. */
static const char *
gw_public_csp(mem_arena *a)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					   sodium_base64_VARIANT_ORIGINAL)];

	crypto_hash_sha256(digest, (const unsigned char *)gw_public_css, sizeof(gw_public_css) - 1);
	sodium_bin2base64(b64, sizeof(b64), digest, sizeof(digest), sodium_base64_VARIANT_ORIGINAL);
	return mem_arena_printf(a,
				"default-src 'none'; style-src 'sha256-%s'; img-src 'none';"
				" base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
				b64);
}

static void
gw_page_entries(gw_html *h, const gw_public *v)
{
	gw_html_raw(h, "<h2>Ledger</h2><table><tr><th>Date (WAT)</th><th>Type</th>"
		       "<th class=\"hide\">Reference</th><th class=\"n\">Amount</th></tr>");
	for (size_t i = 0; i < v->entries->n_entries; i++) {
		const Kolo__Common__V1__LedgerEntry *e = v->entries->entries[i];
		int debit = e->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
		char when[40], amount[48];

		gw_lagos_time(when, e->created_at);
		gw_naira_display(amount, debit ? -e->amount_kobo : e->amount_kobo);
		gw_html_raw(h, "<tr><td>");
		gw_html_text(h, when);
		gw_html_raw(h, debit ? "</td><td class=\"dr\">Out" : "</td><td class=\"cr\">In");
		gw_html_raw(h, "</td><td class=\"hide\">");
		gw_html_text(h, e->reference);
		gw_html_raw(h, "</td><td class=\"n\">");
		gw_html_text(h, amount);
		gw_html_raw(h, "</td></tr>");
	}
	gw_html_raw(h, "</table>");
}

static void
gw_page_withdrawals(gw_html *h, gw_request *req, gw_public *v)
{
	gw_html_raw(h, "<h2>Withdrawals</h2><table><tr><th>Requested</th><th>Status</th>"
		       "<th class=\"hide\">Paid to</th><th class=\"n\">Amount</th></tr>");
	for (size_t i = 0; i < v->withdrawals->n_withdrawals; i++) {
		const Kolo__Withdrawals__V1__Withdrawal *w = v->withdrawals->withdrawals[i];
		char when[40], amount[48];

		gw_lagos_time(when, w->created_at);
		gw_naira_display(amount, w->amount_kobo);
		gw_html_raw(h, "<tr><td>");
		gw_html_text(h, when);
		gw_html_raw(h, "<br><span class=\"muted\">by ");
		gw_html_text(h, gw_public_name(req, v, w->requested_by));
		gw_html_raw(h, ": ");
		gw_html_text(h, w->reason);
		gw_html_raw(h, "</span></td><td>");
		gw_html_text(h, gw_status_name(w->status));
		gw_html_printf(h, " (%zu/%d)", w->n_approvals, w->approvals_required);
		gw_html_raw(h, "</td><td class=\"hide\">");
		if (w->beneficiary) {
			gw_html_text(h, w->beneficiary->account_name);
			gw_html_raw(h, " ");
			gw_html_text(h, gw_masked(req->arena, w->beneficiary->account_number));
		}
		gw_html_raw(h, "</td><td class=\"n\">");
		gw_html_text(h, amount);
		gw_html_raw(h, "</td></tr>");
	}
	gw_html_raw(h, "</table>");
}

/* Who decides the group's money, and every change to it (DESIGN §12). */
static void
gw_page_governance(gw_html *h, const gw_public *v)
{
	gw_html_raw(h, "<h2>Governance</h2><table id=\"governance\"><tr><th>Proposed</th>"
		       "<th>Change</th><th>Status</th></tr>");
	for (size_t i = 0; i < v->proposals->n_proposals; i++) {
		const Kolo__Groups__V1__Proposal *p = v->proposals->proposals[i];
		char when[40];

		gw_lagos_time(when, p->created_at);
		gw_html_raw(h, "<tr><td>");
		gw_html_text(h, when);
		gw_html_raw(h, "<br><span class=\"muted\">by ");
		gw_html_text(h, p->proposed_by_name);
		gw_html_raw(h, "</span></td><td>");
		gw_html_text(h, p->summary);
		if (p->n_approvals) {
			gw_html_raw(h, "<br><span class=\"muted\">approved by ");
			for (size_t k = 0; k < p->n_approvals; k++) {
				gw_html_raw(h, k ? ", " : "");
				gw_html_text(h, p->approvals[k]->name);
			}
			gw_html_raw(h, "</span>");
		}
		gw_html_raw(h, "</td><td>");
		gw_html_text(h, p->status);
		if (p->applies_at[0] && strcmp(p->status, "PASSED") == 0) {
			gw_lagos_time(when, p->applies_at);
			gw_html_raw(h, "<br><span class=\"muted\">applies ");
			gw_html_text(h, when);
			gw_html_raw(h, "</span>");
		}
		gw_html_raw(h, "</td></tr>");
	}
	gw_html_raw(h, "</table>");
}

/* Where the lists came from a replica: the time they are at least as
 * fresh as. */
static void
gw_page_as_of(gw_html *h, const gw_public *v)
{
	const char *as_of = gw_public_as_of(v);
	char when[40];

	if (!as_of)
		return;
	gw_lagos_time(when, as_of);
	gw_html_raw(h, "<p class=\"muted\" id=\"as-of\">Lists as of ");
	gw_html_text(h, when);
	gw_html_raw(h, "</p>");
}

/* Paid/unpaid per member, where the group shows it. */
static void
gw_page_dues(gw_html *h, const gw_public *v)
{
	if (!v->dues)
		return;
	gw_html_raw(h, "<h2>Dues</h2><table id=\"dues\"><tr><th>Member</th><th>Dues</th></tr>");
	for (size_t i = 0; i < v->dues->n_members; i++) {
		const Kolo__Groups__V1__MemberDuesStatus *m = v->dues->members[i];
		int paid = m->arrears_kobo == 0;

		gw_html_raw(h, "<tr><td>");
		gw_html_text(h, m->name);
		gw_html_raw(h,
			    paid ? "</td><td class=\"cr\">Paid" : "</td><td class=\"dr\">Unpaid");
		gw_html_raw(h, "</td></tr>");
	}
	gw_html_raw(h, "</table>");
}

void
gw_public_page_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	gw_public v;
	gw_html h = {0};
	char balance[48], held[48], available[48];

	(void)route;
	memset(&v, 0, sizeof(v));
	if (gw_public_gather(req, &v) < 0) {
		const err_info *e = err_last();

		gw_html_raw(&h, "<!doctype html><meta charset=\"utf-8\"><title>Not found</title>"
				"<p>This page does not exist.</p>");
		gw_html_reply(&h, resp, e->code == ERR_NOT_FOUND ? 404 : gw_http_status(e->code));
		return;
	}
	gw_naira_display(balance, v.balance);
	gw_naira_display(held, v.held);
	gw_naira_display(available, v.balance > v.held ? v.balance - v.held : 0);
	gw_html_raw(&h, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
			"<title>");
	gw_html_text(&h, v.group->name);
	gw_html_raw(&h, "</title><style>");
	gw_html_raw(&h, gw_public_css);
	gw_html_raw(&h, "</style></head><body><p class=\"muted\">Kolo group books</p><h1>");
	gw_html_text(&h, v.group->name);
	gw_html_raw(&h, "</h1><p>");
	gw_html_text(&h, v.group->description);
	gw_html_raw(&h, "</p><div class=\"bal\" id=\"balance\">");
	gw_html_text(&h, balance);
	gw_html_raw(&h, "</div><p class=\"muted\" id=\"held\">Held for withdrawals: ");
	gw_html_text(&h, held);
	gw_html_raw(&h, " &middot; available: ");
	gw_html_text(&h, available);
	gw_html_raw(&h, "</p><p><a href=\"/p/");
	gw_html_text(&h, gw_token_param(req));
	gw_html_raw(&h, "/statement.csv\">Download the full statement (CSV)</a></p>");
	gw_page_as_of(&h, &v);
	gw_page_entries(&h, &v);
	gw_page_withdrawals(&h, req, &v);
	gw_page_governance(&h, &v);
	gw_page_dues(&h, &v);
	gw_html_raw(&h, "<p class=\"muted\">Times are West Africa Time. Account numbers show"
			" their last four digits only.</p></body></html>");
	gw_html_reply(&h, resp, 200);
	if (resp->status != 200)
		return;
	resp->cache_control = "public, max-age=30";
	resp->csp = gw_public_csp(req->arena);
}

void
gw_public_csv_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	gw_public v;

	(void)route;
	memset(&v, 0, sizeof(v));
	if (gw_public_resolve(req, &v) < 0) {
		gw_reply_err_last(resp);
		return;
	}
	gw_statement_stream(req, resp, v.group->group_id, 1);
}
