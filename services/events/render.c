/* The words of each event type. */
#include "render.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evs.h"

/* What an event says: {amount} and {group} are filled in. */
typedef struct evs_words {
	const char *type;
	const char *subject;
	const char *happened;
	const char *todo;
} evs_words;

static const evs_words evs_table[] = {
	{EVT_DEPOSIT_CREDITED, "{amount} arrived in {group}",
	 "{amount} was paid into {group}'s account and is on its books.",
	 "Nothing to do. The group's ledger in the Kolo app shows every payment."},
	{EVT_DEPOSIT_ALLOCATED, "A deposit of {amount} in {group} was credited to a member",
	 "An officer credited a deposit of {amount} in {group} to a member, or moved it from one "
	 "member to another. It counts toward the dues of the member it is credited to now.",
	 "Check your statement in the Kolo app. If the deposit was not yours, or was yours and "
	 "was moved, ask the group's officers."},
	{EVT_WITHDRAWAL_REQUESTED, "A withdrawal of {amount} from {group} waits for approval",
	 "An officer asked to pay {amount} out of {group}.",
	 "Officers: open the withdrawal in the Kolo app and approve or decline it with your PIN. "
	 "Nothing is paid until enough officers approve."},
	{EVT_WITHDRAWAL_APPROVED, "An officer approved a withdrawal of {amount} from {group}",
	 "An officer approved the withdrawal of {amount} from {group}.",
	 "Nothing to do unless you are an officer who has not yet decided."},
	{EVT_WITHDRAWAL_DECLINED, "A withdrawal of {amount} from {group} was declined",
	 "The withdrawal of {amount} from {group} was declined or cancelled. No money left the "
	 "group.",
	 "Nothing to do. Ask the group's officers if you expected it to be paid."},
	{EVT_WITHDRAWAL_PAID, "{amount} was paid out of {group}",
	 "The withdrawal of {amount} from {group} was paid to its beneficiary.",
	 "Nothing to do. The group's ledger shows the payment."},
	{EVT_WITHDRAWAL_FAILED, "A payout of {amount} from {group} failed",
	 "The bank transfer of {amount} from {group} failed and the money is back in the group.",
	 "Officers: open the withdrawal in the Kolo app to retry the payout or close it."},
	{EVT_WITHDRAWAL_CLOSED, "A withdrawal of {amount} from {group} ended unpaid",
	 "The approved withdrawal of {amount} from {group} expired or was closed without being "
	 "paid. The money is back in the group.",
	 "Nothing to do. Ask for a new withdrawal if it is still needed."},
	{EVT_PROPOSAL_OPENED, "A change to {group} waits for the officers' votes",
	 "An officer proposed a change to {group}'s rules or officers.",
	 "Officers: open the proposal in the Kolo app and approve or reject it with your PIN."},
	{EVT_PROPOSAL_PASSED, "A change to {group} was approved",
	 "A proposed change to {group} got its votes and takes effect after its delay.",
	 "Nothing to do. Officers can still see it in the Kolo app."},
	{EVT_PROPOSAL_APPLIED, "A change to {group} took effect",
	 "A change to {group}'s rules or officers took effect.",
	 "Check the group's settings in the Kolo app if you did not expect it."},
	{EVT_PROPOSAL_REJECTED, "A proposed change to {group} did not pass",
	 "A proposed change to {group} was rejected, cancelled or expired. Nothing changed.",
	 "Nothing to do."},
	{EVT_MEMBER_ADDED, "A member joined {group}", "A member was added to {group}.",
	 "Nothing to do. The group's members are listed in the Kolo app."},
	{EVT_MEMBER_REMOVED, "A member left {group}", "A member left or was removed from {group}.",
	 "Nothing to do. Ask the group's officers if you did not expect it."},
	{EVT_KYC_RESULT, "The result of your identity check",
	 "Your identity check has a result: {status}.",
	 "Open the Kolo app to see it, and to try again if it was not accepted."},
	{EVT_WEBHOOK_PAUSED, "A partner endpoint of {group} was paused",
	 "A partner endpoint of {group} failed for a day and was paused.",
	 "Officers: fix the endpoint and resume it, then re-send what it missed."},
};

static const evs_words evs_generic = {NULL, "News from {group}", "Something happened in {group}.",
				      "Open the Kolo app to see it."};

static const evs_words *
evs_words_of(const char *type)
{
	for (size_t i = 0; i < sizeof(evs_table) / sizeof(evs_table[0]); i++) {
		if (strcmp(evs_table[i].type, type) == 0)
			return &evs_table[i];
	}
	return &evs_generic;
}

/* A small growable text in the arena, capped. */
typedef struct evs_buf {
	mem_arena *a;
	char *p;
	size_t len, cap;
	int full;
} evs_buf;

#define EVS_TEXT_MAX (256 * 1024)

static void
evs_put(evs_buf *b, const char *s, size_t n)
{
	if (b->full || b->len + n + 1 > EVS_TEXT_MAX) {
		b->full = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = 2 * (b->len + n + 1) + 64;
		char *more = mem_arena_alloc(b->a, cap);

		if (!more) {
			b->full = 1;
			return;
		}
		if (b->len)
			memcpy(more, b->p, b->len);
		b->p = more;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
evs_puts(evs_buf *b, const char *s)
{
	evs_put(b, s, strlen(s));
}

static const char *
evs_done(evs_buf *b)
{
	if (b->full)
		return NULL;
	return b->p ? b->p : "";
}

char *
evs_html_escape(mem_arena *a, const char *s)
{
	evs_buf b = {.a = a};

	for (; *s; s++) {
		switch (*s) {
		case '&':
			evs_puts(&b, "&amp;");
			break;
		case '<':
			evs_puts(&b, "&lt;");
			break;
		case '>':
			evs_puts(&b, "&gt;");
			break;
		case '"':
			evs_puts(&b, "&quot;");
			break;
		case '\'':
			evs_puts(&b, "&#39;");
			break;
		default:
			evs_put(&b, s, 1);
		}
	}
	return (char *)evs_done(&b);
}

/* The values words may name, from the event's data. */
typedef struct evs_values {
	char amount[EVS_NAIRA_MAX];
	const char *group;
	const char *status;
} evs_values;

static const char *
evs_fill(mem_arena *a, const char *tmpl, const evs_values *v)
{
	evs_buf b = {.a = a};

	while (*tmpl) {
		if (strncmp(tmpl, "{amount}", 8) == 0) {
			evs_puts(&b, v->amount);
			tmpl += 8;
		} else if (strncmp(tmpl, "{group}", 7) == 0) {
			evs_puts(&b, v->group);
			tmpl += 7;
		} else if (strncmp(tmpl, "{status}", 8) == 0) {
			evs_puts(&b, v->status);
			tmpl += 8;
		} else {
			evs_put(&b, tmpl++, 1);
		}
	}
	return evs_done(&b);
}

/* The first line of s ("" for NULL), in the arena: line breaks stay out
 * of headers and SMS. */
static const char *
evs_first_line(mem_arena *a, const char *s)
{
	size_t n = s ? strcspn(s, "\r\n") : 0;
	char *out = mem_arena_alloc(a, n + 1);

	if (!out)
		return "";
	memcpy(out, s ? s : "", n);
	out[n] = '\0';
	return out;
}

/* A text field of data, "" when absent or not text; its first line. */
static const char *
evs_data_text(mem_arena *a, json_t *data, const char *key)
{
	return evs_first_line(a, json_string_value(json_object_get(data, key)));
}

static void
evs_values_of(mem_arena *a, json_t *data, const char *group_name, evs_values *v)
{
	json_t *amount = json_object_get(data, "amount_kobo");
	const char *name = evs_first_line(a, group_name);

	if (json_is_integer(amount))
		evs_naira(v->amount, (int64_t)json_integer_value(amount));
	else
		snprintf(v->amount, sizeof(v->amount), "money");
	v->group = name[0] ? name : "your group";
	v->status = evs_data_text(a, data, "status");
	if (!v->status[0])
		v->status = "see the app";
}

/* An email or phone code's texts: the code on its own line ("Your code:
 * NNNNNN", the form tests and scripts read). */
static int
evs_render_code(mem_arena *a, json_t *data, int phone, evs_rendered *out)
{
	const char *code = evs_data_text(a, data, "code");
	const char *expires = evs_data_text(a, data, "expires_at");
	const char *what = phone ? "phone number" : "email address";
	evs_buf text = {.a = a}, html = {.a = a}, sms = {.a = a};

	out->subject = "Your Kolo code";
	evs_puts(&text, "Your code: ");
	evs_puts(&text, code);
	evs_puts(&text, "\n\nEnter it in the Kolo app to confirm that this ");
	evs_puts(&text, what);
	evs_puts(&text, " is yours.");
	if (expires[0]) {
		evs_puts(&text, " It expires at ");
		evs_puts(&text, expires);
		evs_puts(&text, ".");
	}
	evs_puts(&text, "\nIf you did not ask for it, ignore this message: nobody can use the "
			"address without the code.\n");
	evs_puts(&html, "<!DOCTYPE html><html><body><p>Your code: <b>");
	evs_puts(&html, evs_html_escape(a, code) ? evs_html_escape(a, code) : "");
	evs_puts(&html, "</b></p><p>Enter it in the Kolo app to confirm that this ");
	evs_puts(&html, what);
	evs_puts(&html,
		 " is yours. If you did not ask for it, ignore this message.</p></body></html>\n");
	evs_puts(&sms, "Kolo. Your code: ");
	evs_puts(&sms, code);
	evs_puts(&sms, phone ? "\nEnter it in the Kolo app to confirm this number. If you did not "
			       "ask for it, ignore this message."
			     : "");
	out->text = evs_done(&text);
	out->html = evs_done(&html);
	out->sms = evs_done(&sms);
	return out->text && out->html && out->sms ? 0 : err_oom();
}

static void
evs_html_para(evs_buf *b, mem_arena *a, const char *s)
{
	const char *escaped = evs_html_escape(a, s);

	evs_puts(b, "<p>");
	evs_puts(b, escaped ? escaped : "");
	evs_puts(b, "</p>");
}

static int
evs_render_words(mem_arena *a, const evs_event *e, json_t *data, const char *group_name,
		 const char *public_url, evs_rendered *out)
{
	const evs_words *w = evs_words_of(e->type);
	evs_values v;
	const char *happened, *todo, *reason = evs_data_text(a, data, "reason");
	evs_buf text = {.a = a}, html = {.a = a}, sms = {.a = a};

	evs_values_of(a, data, group_name, &v);
	out->subject = evs_fill(a, w->subject, &v);
	happened = evs_fill(a, w->happened, &v);
	todo = evs_fill(a, w->todo, &v);
	if (!out->subject || !happened || !todo)
		return err_oom();
	evs_puts(&text, happened);
	evs_puts(&html, "<!DOCTYPE html><html><body>");
	evs_html_para(&html, a, happened);
	if (reason[0]) {
		evs_puts(&text, "\nReason given: ");
		evs_puts(&text, reason);
		evs_html_para(&html, a, "Reason given:");
		evs_html_para(&html, a, reason);
	}
	evs_puts(&text, "\n\n");
	evs_puts(&text, todo);
	evs_puts(&text, "\n");
	evs_html_para(&html, a, todo);
	if (public_url && public_url[0]) {
		evs_puts(&text, "\nKolo: ");
		evs_puts(&text, public_url);
		evs_puts(&text, "\n");
		evs_html_para(&html, a, public_url);
	}
	evs_puts(&html, "</body></html>\n");
	evs_puts(&sms, "Kolo: ");
	evs_puts(&sms, out->subject);
	evs_puts(&sms, ". ");
	evs_puts(&sms, todo);
	out->text = evs_done(&text);
	out->html = evs_done(&html);
	out->sms = evs_done(&sms);
	return out->text && out->html && out->sms ? 0 : err_oom();
}

int
evs_render(evs_rendered *out, mem_arena *a, const evs_event *e, const char *group_name,
	   const char *public_url)
{
	json_t *data = json_loads(e->data_json[0] ? e->data_json : "{}", 0, NULL);
	int rc;

	if (!json_is_object(data)) {
		json_decref(data);
		return err_set(ERR_INVALID_ARGUMENT, "bad_event_data",
			       "event %s has data that is not a JSON object", e->id);
	}
	if (strcmp(e->type, EVT_EMAIL_CODE) == 0 || strcmp(e->type, EVT_PHONE_CODE) == 0)
		rc = evs_render_code(a, data, strcmp(e->type, EVT_PHONE_CODE) == 0, out);
	else
		rc = evs_render_words(a, e, data, group_name, public_url, out);
	json_decref(data);
	return rc;
}

/* --- the RFC 5322 message ------------------------------------------------------ */

static int
evs_has_ascii_only(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

/* s with every ASCII control character (tab, CR, LF, DEL, ...) made a
 * space, in the arena: a header value is one line of text. */
static char *
evs_header_clean(mem_arena *a, const char *s)
{
	char *out = mem_arena_strdup(a, s);

	for (char *p = out; p && *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return out;
}

/* Bytes of UTF-8 text s that fit an encoded word's EVS_WORD_BYTES
 * without cutting a character in two. */
#define EVS_WORD_BYTES 45 /* 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" = 72 <= 75 */

static size_t
evs_word_cut(const char *s, size_t left)
{
	size_t n = left < EVS_WORD_BYTES ? left : EVS_WORD_BYTES;

	/* Back to the first byte of a character (not a 10xxxxxx byte). */
	while (n < left && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n > 0 ? n : (left < EVS_WORD_BYTES ? left : EVS_WORD_BYTES);
}

/* A header value: control characters made spaces; as is when ASCII, else
 * RFC 2047 encoded words of at most 75 characters each, folded onto
 * continuation lines (the space between two encoded words is not text). */
static void
evs_put_header_text(evs_buf *b, const char *raw)
{
	const char *s = evs_header_clean(b->a, raw);
	char enc[sodium_base64_ENCODED_LEN(EVS_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t left;

	if (!s) {
		b->full = 1;
		return;
	}
	if (evs_has_ascii_only(s)) {
		evs_puts(b, s);
		return;
	}
	for (left = strlen(s); left > 0;) {
		size_t n = evs_word_cut(s, left);

		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s, n,
				  sodium_base64_VARIANT_ORIGINAL);
		evs_puts(b, "=?UTF-8?B?");
		evs_puts(b, enc);
		evs_puts(b, "?=");
		s += n;
		left -= n;
		if (left > 0)
			evs_puts(b, "\r\n ");
	}
}

/* Body text with every line ending CRLF. No dot-stuffing here: libcurl
 * doubles a leading "." of a line itself when it sends over SMTP (doing it
 * here too made the reader see ".."), and a mail dir file is the message
 * as a reader gets it. */
static void
evs_put_crlf(evs_buf *b, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\r\n");

		evs_put(b, s, n);
		evs_puts(b, "\r\n");
		s += n;
		if (*s == '\r')
			s++;
		if (*s == '\n')
			s++;
	}
}

static int
evs_header_safe(const char *s)
{
	return !strpbrk(s, "\r\n");
}

int
evs_email_message(char **out, size_t *out_len, mem_arena *a, const evs_rendered *r,
		  const char *from, const char *to, const char *event_id, const char *user_id)
{
	evs_buf b = {.a = a};
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (!evs_header_safe(from) || !evs_header_safe(to) || !evs_header_safe(r->subject))
		return err_set(ERR_INVALID_ARGUMENT, "bad_address",
			       "a header of the message has a line break");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	evs_puts(&b, "From: ");
	evs_puts(&b, from);
	evs_puts(&b, "\r\nTo: ");
	evs_puts(&b, to);
	evs_puts(&b, "\r\nSubject: ");
	evs_put_header_text(&b, r->subject);
	evs_puts(&b, "\r\nDate: ");
	evs_puts(&b, date);
	/* The same for every repeat of this event to this person. */
	evs_puts(&b, "\r\nMessage-ID: <");
	evs_puts(&b, event_id);
	evs_puts(&b, ".");
	evs_puts(&b, user_id);
	evs_puts(&b, "@events.kolo>\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: multipart/alternative; boundary=\"kolo-");
	evs_puts(&b, event_id);
	evs_puts(&b, "\"\r\n\r\n--kolo-");
	evs_puts(&b, event_id);
	evs_puts(&b, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	evs_put_crlf(&b, r->text);
	evs_puts(&b, "\r\n--kolo-");
	evs_puts(&b, event_id);
	evs_puts(&b, "\r\nContent-Type: text/html; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	evs_put_crlf(&b, r->html);
	evs_puts(&b, "\r\n--kolo-");
	evs_puts(&b, event_id);
	evs_puts(&b, "--\r\n");
	*out = (char *)evs_done(&b);
	*out_len = b.len;
	return *out ? 0 : err_oom();
}

char *
evs_sms_file(mem_arena *a, const char *to, const char *text)
{
	evs_buf b = {.a = a};

	evs_puts(&b, "To: ");
	evs_puts(&b, to);
	evs_puts(&b, "\n\n");
	evs_puts(&b, text);
	evs_puts(&b, "\n");
	return (char *)evs_done(&b);
}
