/* GET /v1/groups/{id}/ledger.csv: a group's whole ledger as CSV (RFC 4180),
 * oldest first with a running balance, amounts in naira (two decimals) and
 * in kobo, signed (debits negative). The first page is read before the
 * reply starts (so a non-member gets a clean 404); the rest is streamed one
 * ListEntries page at a time, each in a fresh arena, so memory stays flat
 * whatever the history. Holds (DESIGN §13) are not entries: one last row
 * of type HELD, with no time and no entry id, says what is held now (its
 * amount) and what is available (its balance). */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "log/log.h"
#include "money/money.h"

#define GW_STATEMENT_PAGE    200
#define GW_STATEMENT_ROW_MAX 1024
#define GW_STATEMENT_BUF     (GW_STATEMENT_PAGE * GW_STATEMENT_ROW_MAX + 256)

static const char gw_statement_header[] =
	"created_at,entry_id,type,reference,source,simulated,amount_naira,"
	"amount_kobo,balance_naira,balance_kobo\r\n";

typedef struct gw_statement {
	gw_request req;	  /* the caller's request, reading into arena */
	mem_arena *arena; /* one page's replies; reset per page */
	char *group_id;	  /* malloc'd */
	char *next_token; /* malloc'd; NULL when the last page was read */
	int64_t balance;
	int internal;  /* read with the service token (public statements) */
	int held_done; /* the HELD row was written */
	char *buf;     /* CSV not yet sent */
	size_t len, pos;
} gw_statement;

static void
gw_statement_free(void *cls)
{
	gw_statement *st = cls;

	mem_arena_free(st->arena);
	free(st->group_id);
	free(st->next_token);
	free(st->buf);
	free(st);
}

/* Appends raw text to the pending CSV; -1 when it does not fit. */
static int
gw_statement_append(gw_statement *st, const char *text)
{
	size_t n = strlen(text);

	if (st->len + n + 1 > GW_STATEMENT_BUF)
		return -1;
	memcpy(st->buf + st->len, text, n + 1);
	st->len += n;
	return 0;
}

static int
gw_statement_row(gw_statement *st, const Kolo__Common__V1__LedgerEntry *e)
{
	int debit = e->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	int64_t signed_kobo = debit ? -e->amount_kobo : e->amount_kobo;
	char amount[MONEY_TEXT_MAX], balance[MONEY_TEXT_MAX], tail[160];
	const char *fields[] = {e->created_at, e->id,	  debit ? "DEBIT" : "CREDIT",
				e->reference,  e->source, e->simulated ? "true" : "false"};

	st->balance += signed_kobo;
	money_naira(amount, signed_kobo);
	money_naira(balance, st->balance);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((i && gw_statement_append(st, ",") < 0) ||
		    gw_csv_field(st->buf, GW_STATEMENT_BUF, &st->len, fields[i]) < 0)
			return -1;
	}
	snprintf(tail, sizeof(tail), ",%s,%lld,%s,%lld\r\n", amount, (long long)signed_kobo,
		 balance, (long long)st->balance);
	return gw_statement_append(st, tail);
}

/* Reads the next page into the buffer, after prefix; 0, or -1 with the
 * error recorded. */
static int
gw_statement_page(gw_statement *st, const char *prefix)
{
	Kolo__Ledger__V1__ListEntriesRequest in = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;
	Kolo__Ledger__V1__ListEntriesResponse *out = NULL;
	char *token = st->next_token;

	mem_arena_reset(st->arena);
	in.group_id = st->group_id;
	in.page_size = GW_STATEMENT_PAGE;
	in.page_token = token ? token : "";
	in.oldest_first = 1;
	if (gw_call(&st->req, GW_LEDGER, "ListEntries", &in.base, (ProtobufCMessage **)&out,
		    st->internal) < 0)
		return -1;
	st->len = 0;
	st->pos = 0;
	st->buf[0] = '\0';
	if (gw_statement_append(st, prefix) < 0)
		return err_set(ERR_INTERNAL, NULL, "statement buffer too small");
	for (size_t i = 0; i < out->n_entries; i++) {
		if (gw_statement_row(st, out->entries[i]) < 0)
			return err_set(ERR_INTERNAL, NULL, "statement row too long");
	}
	free(token);
	st->next_token = out->next_page_token[0] ? xstrdup(out->next_page_token) : NULL;
	return 0;
}

/* The last row: what is held now and what is available; 0, or -1 with the
 * error recorded. */
static int
gw_statement_held(gw_statement *st)
{
	Kolo__Ledger__V1__GetBalanceRequest in = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *out = NULL;
	char held[MONEY_TEXT_MAX], available[MONEY_TEXT_MAX], row[256];

	mem_arena_reset(st->arena);
	in.group_id = st->group_id;
	if (gw_call(&st->req, GW_LEDGER, "GetBalance", &in.base, (ProtobufCMessage **)&out,
		    st->internal) < 0)
		return -1;
	money_naira(held, out->held_kobo);
	money_naira(available, out->available_kobo);
	snprintf(row, sizeof(row), ",,HELD,held for withdrawals,,,%s,%lld,%s,%lld\r\n", held,
		 (long long)out->held_kobo, available, (long long)out->available_kobo);
	st->len = 0;
	st->pos = 0;
	st->buf[0] = '\0';
	st->held_done = 1;
	return gw_statement_append(st, row);
}

static long gw_statement_fill_pages(gw_statement *st, char *buf, size_t max);

/* MHD pulls the body after the request's handler returned: the pages it
 * asks for log with the request's context again. */
static long
gw_statement_fill(void *cls, char *buf, size_t max)
{
	gw_statement *st = cls;
	long n;

	log_context_set(&st->req.trace);
	n = gw_statement_fill_pages(st, buf, max);
	log_context_clear();
	return n;
}

static long
gw_statement_fill_pages(gw_statement *st, char *buf, size_t max)
{
	size_t n;

	while (st->pos == st->len) {
		if (st->next_token) {
			if (gw_statement_page(st, "") < 0)
				return -1;
		} else if (st->held_done) {
			return 0;
		} else if (gw_statement_held(st) < 0) {
			return -1;
		}
	}
	n = st->len - st->pos < max ? st->len - st->pos : max;
	memcpy(buf, st->buf + st->pos, n);
	st->pos += n;
	return (long)n;
}

void
gw_statement_stream(gw_request *req, gw_response *resp, const char *group_id, int internal)
{
	gw_statement *st = xcalloc(1, sizeof(*st));

	st->req = *req;
	st->arena = mem_arena_new(0);
	st->req.arena = st->arena;
	st->group_id = xstrdup(group_id);
	st->internal = internal;
	st->buf = xmalloc(GW_STATEMENT_BUF);
	if (gw_statement_page(st, gw_statement_header) < 0) {
		gw_statement_free(st);
		gw_reply_err_last(resp);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8";
	resp->disposition = mem_arena_printf(req->arena, "attachment; filename=\"ledger-%s.csv\"",
					     st->group_id);
	resp->stream = gw_statement_fill;
	resp->stream_cls = st;
	resp->stream_free = gw_statement_free;
}

void
gw_statement_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	(void)route;
	/* As gw_rpc_route: never the gateway's own read for a missing user. */
	if (!gw_has_user_token(req)) {
		gw_reply_no_user_token(req, resp);
		return;
	}
	gw_statement_stream(req, resp, req->params[0].value, 0);
}
