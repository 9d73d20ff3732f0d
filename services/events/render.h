/* render: what a message says, per event type (pure: no I/O). Texts say
 * what happened and what to do; amounts are "₦1,234.56"; HTML escapes
 * everything it was given. */
#ifndef KOLO_EVS_RENDER_H
#define KOLO_EVS_RENDER_H

#include <stddef.h>

#include "mem/mem.h"
#include "store.h"

typedef struct evs_rendered {
	const char *subject; /* one line */
	const char *text;    /* plain text, lines ending "\n" */
	const char *html;    /* the same as an HTML document */
	const char *sms;     /* a short text for SMS */
} evs_rendered;

/* The texts of event e (its group named group_name: NULL or "" says "your
 * group"; links to public_url, "" none), in the arena.
 * ERR_INVALID_ARGUMENT "bad_event_data" when its data is not a JSON
 * object; an unknown type gets a generic text. */
KOLO_MUST_CHECK int evs_render(evs_rendered *out, mem_arena *a, const evs_event *e,
			       const char *group_name, const char *public_url);

/* s with & < > " ' escaped for HTML, in the arena. */
char *evs_html_escape(mem_arena *a, const char *s);

/* The RFC 5322 message (CRLF lines) of r from from to to: a
 * multipart/alternative of text and HTML, Message-ID from event_id and to,
 * so a repeat has the id of the first. *out (*out_len bytes) in the arena.
 * ERR_INVALID_ARGUMENT "bad_address" for an address with CR, LF or NUL. */
KOLO_MUST_CHECK int evs_email_message(char **out, size_t *out_len, mem_arena *a,
				      const evs_rendered *r, const char *from, const char *to,
				      const char *event_id, const char *user_id);

/* The file of an SMS for the mail dir: "To: <to>\n\n<text>\n". */
char *evs_sms_file(mem_arena *a, const char *to, const char *text);

#endif
