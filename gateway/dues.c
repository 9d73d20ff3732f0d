/* Dues as CSV (DESIGN §15), as gateway/statement.c writes the ledger: RFC
 * 4180, amounts in naira (two decimals) and in kobo, signed.
 *   GET /v1/groups/{id}/dues/arrears.csv?as_of=   members with arrears > 0
 *   GET /v1/groups/{id}/members/{user_id}/statement.csv?as_of=
 * Both read the groups service with the caller's token (arrears: officers;
 * the statement: the member or an officer). A text field that a spreadsheet
 * would read as a formula (= + - @ first) is written with a leading '. */
#include "gw.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "money/money.h"

/* The longest CSV body (a statement of decades of weekly dues fits). */
#define GW_DUES_CSV_MAX (8 * 1024 * 1024)

typedef struct gw_csv {
	char *buf; /* malloc'd */
	size_t len, cap;
	int full;
} gw_csv;

/* Room for n more bytes (and the NUL); 0, or -1 past the cap. */
static int
gw_csv_room(gw_csv *c, size_t n)
{
	size_t cap = c->cap ? c->cap : 4096;

	while (cap < c->len + n + 1 && cap < GW_DUES_CSV_MAX)
		cap *= 2;
	if (cap > GW_DUES_CSV_MAX)
		cap = GW_DUES_CSV_MAX;
	if (c->len + n + 1 > cap) {
		c->full = 1;
		return -1;
	}
	if (cap != c->cap) {
		c->buf = xrealloc(c->buf, cap);
		c->cap = cap;
	}
	return 0;
}

static void
gw_csv_raw(gw_csv *c, const char *text)
{
	size_t n = strlen(text);

	if (gw_csv_room(c, n) < 0)
		return;
	memcpy(c->buf + c->len, text, n + 1);
	c->len += n;
}

/* A text field, quoted as RFC 4180 needs, guarded against formulas; sep
 * first unless it is the row's first. The guard ' is written into the
 * output after the opening quote, if any: the field is never copied into a
 * smaller buffer (a waiver's description runs to kilobytes of UTF-8). */
static void
gw_csv_text(gw_csv *c, const char *field, int first)
{
	const char *f = field ? field : "";
	int guard = f[0] && strchr("=+-@\t\r", f[0]);
	size_t start;

	if (!first)
		gw_csv_raw(c, ",");
	/* Every character doubled at worst, the quotes and the guard. */
	if (gw_csv_room(c, 2 * strlen(f) + 3) < 0)
		return;
	start = c->len;
	if (gw_csv_field(c->buf, c->cap, &c->len, f) < 0) {
		c->full = 1;
		return;
	}
	if (guard) {
		size_t at = start + (c->buf[start] == '"');

		memmove(c->buf + at + 1, c->buf + at, c->len - at + 1);
		c->buf[at] = '\'';
		c->len++;
	}
}

/* ",<naira>,<kobo>" of a signed amount. */
static void
gw_csv_money(gw_csv *c, int64_t kobo)
{
	char naira[MONEY_TEXT_MAX], cell[MONEY_TEXT_MAX * 2 + 4];

	money_naira(naira, kobo);
	snprintf(cell, sizeof(cell), ",%s,%lld", naira, (long long)kobo);
	gw_csv_raw(c, cell);
}

static const char *
gw_dues_as_of(gw_request *req)
{
	const char *v =
		MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, "as_of");

	return v ? v : "";
}

/* Answers with c's CSV as filename, or 500 when it outgrew the cap. */
static void
gw_csv_reply(gw_request *req, gw_response *resp, gw_csv *c, const char *filename)
{
	if (c->full) {
		free(c->buf);
		gw_reply_error(resp, 500, "internal", "the CSV is too large");
		return;
	}
	resp->status = 200;
	resp->body = c->buf;
	resp->body_len = c->len;
	resp->content_type = "text/csv; charset=utf-8";
	resp->disposition = mem_arena_printf(req->arena, "attachment; filename=\"%s\"", filename);
}

/* Calls groups' rpc with the caller's token; on failure (no user token,
 * a failed call) the error is answered in resp and -1 returned. */
static int
gw_dues_fetch(gw_request *req, gw_response *resp, const char *rpc, const ProtobufCMessage *in,
	      ProtobufCMessage **out)
{
	if (!gw_has_user_token(req)) {
		gw_reply_no_user_token(req, resp);
		return -1;
	}
	if (gw_call(req, GW_GROUPS, rpc, in, out, 0) < 0) {
		gw_reply_err_last(resp);
		return -1;
	}
	return 0;
}

void
gw_arrears_csv_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	Kolo__Groups__V1__GetDuesStatusRequest in = KOLO__GROUPS__V1__GET_DUES_STATUS_REQUEST__INIT;
	Kolo__Groups__V1__GetDuesStatusResponse *out = NULL;
	gw_csv c = {0};

	(void)route;
	in.group_id = (char *)req->params[0].value;
	in.as_of = (char *)gw_dues_as_of(req);
	in.officers_only = 1; /* a MEMBER is refused, not given their row */
	if (gw_dues_fetch(req, resp, "GetDuesStatus", &in.base, (ProtobufCMessage **)&out) < 0)
		return;
	gw_csv_raw(&c, "as_of,user_id,name,owed_naira,owed_kobo,paid_naira,paid_kobo,"
		       "waived_naira,waived_kobo,arrears_naira,arrears_kobo,last_paid_"
		       "at\r\n");
	for (size_t i = 0; i < out->n_members; i++) {
		const Kolo__Groups__V1__MemberDuesStatus *m = out->members[i];

		if (m->arrears_kobo <= 0)
			continue;
		gw_csv_text(&c, out->as_of, 1);
		gw_csv_text(&c, m->user_id, 0);
		gw_csv_text(&c, m->name, 0);
		gw_csv_money(&c, m->owed_kobo);
		gw_csv_money(&c, m->paid_kobo);
		gw_csv_money(&c, m->waived_kobo);
		gw_csv_money(&c, m->arrears_kobo);
		gw_csv_text(&c, m->last_paid_at, 0);
		gw_csv_raw(&c, "\r\n");
	}
	gw_csv_reply(req, resp, &c,
		     mem_arena_printf(req->arena, "arrears-%s-%s.csv", in.group_id, out->as_of));
}

void
gw_member_statement_csv_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	Kolo__Groups__V1__GetMemberStatementRequest in =
		KOLO__GROUPS__V1__GET_MEMBER_STATEMENT_REQUEST__INIT;
	Kolo__Groups__V1__GetMemberStatementResponse *out = NULL;
	gw_csv c = {0};

	(void)route;
	in.group_id = (char *)req->params[0].value;
	in.user_id = (char *)req->params[1].value;
	in.as_of = (char *)gw_dues_as_of(req);
	if (gw_dues_fetch(req, resp, "GetMemberStatement", &in.base, (ProtobufCMessage **)&out) < 0)
		return;
	gw_csv_raw(&c, "date,kind,description,dues_id,entry_id,amount_naira,"
		       "amount_kobo,"
		       "balance_naira,balance_kobo,settled_on\r\n");
	for (size_t i = 0; i < out->n_lines; i++) {
		const Kolo__Groups__V1__StatementLine *l = out->lines[i];

		gw_csv_text(&c, l->date, 1);
		gw_csv_text(&c, l->kind, 0);
		gw_csv_text(&c, l->description, 0);
		gw_csv_text(&c, l->dues_id, 0);
		gw_csv_text(&c, l->entry_id, 0);
		gw_csv_money(&c, l->amount_kobo);
		gw_csv_money(&c, l->balance_kobo);
		gw_csv_text(&c, l->settled_on, 0);
		gw_csv_raw(&c, "\r\n");
	}
	gw_csv_reply(req, resp, &c,
		     mem_arena_printf(req->arena, "statement-%s-%s.csv", in.group_id, in.user_id));
}
