/* fuzz_notify: the input parsers of issue 20 (events and notifications) on
 * arbitrary bytes. The whole input goes to each of them:
 *   - the partner webhook URL check (whk_url_parse), with and without the
 *     tests' http-to-loopback flag;
 *   - the address judge (whk_addr_text_public) on the input as an address,
 *     on its first bytes as a raw IPv4/IPv6 address, and on what
 *     getaddrinfo makes of it as a NUMERIC host only (AI_NUMERICHOST: no
 *     DNS, no /etc/hosts);
 *   - identity's phone normaliser and code checks (contact.h);
 *   - kolo-events' render of an event of every catalogue type (and an
 *     unknown one) with the input as its data and as the group's name, and
 *     the RFC 5322 message of what it rendered.
 * No network, no database. */
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "contact.h"
#include "events/events.h"
#include "fuzz.h"
#include "render.h"
#include "webhook_addr.h"
#include "webhook_url.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* --- the webhook URL ------------------------------------------------------------ */

static int
fuzz_is_loopback_host(const char *host)
{
	unsigned char a[16];

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, &in6addr_loopback, sizeof(a)) == 0;
}

/* What an accepted url must be: https (or http to loopback when allowed),
 * printable ASCII without spaces or '#', no userinfo, and its host the
 * text right after "://" (in [] for IPv6), lower-cased. */
static void
fuzz_url_accepted(const char *url, const whk_url *u, int allow_http)
{
	size_t n = strlen(url), scheme = u->https ? 5 : 4, auth_len;
	const char *auth = url + scheme + 3;
	size_t host_len = strlen(u->host);

	FUZZ_CHECK(n > 0 && n <= WHK_URL_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)url[i] > 0x20 && (unsigned char)url[i] < 0x7f);
	FUZZ_CHECK(strchr(url, '#') == NULL);
	FUZZ_CHECK(strncasecmp(url, u->https ? "https://" : "http://", scheme + 3) == 0);
	FUZZ_CHECK(u->https || (allow_http && fuzz_is_loopback_host(u->host)));
	auth_len = strcspn(auth, "/?");
	FUZZ_CHECK(memchr(auth, '@', auth_len) == NULL);
	/* The host lies inside the input, where the authority starts. */
	FUZZ_CHECK(host_len > 0 && host_len < WHK_HOST_MAX);
	if (u->host_is_ipv6) {
		FUZZ_CHECK(auth[0] == '[' && auth[host_len + 1] == ']');
		auth++;
	}
	FUZZ_CHECK(host_len <= auth_len && strncasecmp(auth, u->host, host_len) == 0);
	for (size_t i = 0; i < host_len; i++)
		FUZZ_CHECK(!(u->host[i] >= 'A' && u->host[i] <= 'Z'));
	FUZZ_CHECK(u->port >= 1 && u->port <= 65535);
	if (auth[host_len] != ':' && !(u->host_is_ipv6 && auth[host_len + 1] == ':'))
		FUZZ_CHECK(u->port == (u->https ? 443u : 80u));
}

static void
fuzz_url(const char *text)
{
	whk_url strict, loose;
	int rs, rl;

	err_clear();
	rs = whk_url_parse(&strict, text, 0);
	FUZZ_CHECK(rs == 0 || (rs == ERR_INVALID_ARGUMENT &&
			       (strcmp(err_last()->reason, "invalid_url") == 0 ||
				strcmp(err_last()->reason, "url_not_https") == 0)));
	rl = whk_url_parse(&loose, text, 1);
	FUZZ_CHECK(rl == 0 || rl == ERR_INVALID_ARGUMENT);
	if (rs == 0) {
		fuzz_url_accepted(text, &strict, 0);
		FUZZ_CHECK(strict.https);
		/* The flag only ever lets more through, and the same. */
		FUZZ_CHECK(rl == 0 && memcmp(&strict, &loose, sizeof(strict)) == 0);
	}
	if (rl == 0)
		fuzz_url_accepted(text, &loose, 1);
}

/* --- the address judge ---------------------------------------------------------- */

/* IPv4 blocks that are never public (a sample of the refused list, stated
 * again here): this network, private, CGNAT, link-local, multicast and
 * reserved. Loopback apart. */
static int
fuzz_v4_private(const unsigned char a[4])
{
	return a[0] == 0 || a[0] == 10 || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
	       (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || a[0] >= 224;
}

/* The judge of v4 as text, with its IPv6 carriers judged the same. */
static void
fuzz_v4(const unsigned char a[4])
{
	char text[INET_ADDRSTRLEN], v6[96];
	int pub = 0, pub_lo = 0;

	FUZZ_CHECK(inet_ntop(AF_INET, a, text, sizeof(text)) != NULL);
	pub = whk_addr_text_public(text, 0);
	pub_lo = whk_addr_text_public(text, 1);
	FUZZ_CHECK(!pub || pub_lo);
	FUZZ_CHECK(pub_lo == pub || a[0] == 127);
	FUZZ_CHECK(!pub || (a[0] != 127 && !fuzz_v4_private(a)));
	FUZZ_CHECK(!pub_lo || !fuzz_v4_private(a));
	snprintf(v6, sizeof(v6), "::ffff:%s", text);
	FUZZ_CHECK(whk_addr_text_public(v6, 0) == pub);
	FUZZ_CHECK(whk_addr_text_public(v6, 1) == pub_lo);
	snprintf(v6, sizeof(v6), "64:ff9b::%s", text);
	FUZZ_CHECK(whk_addr_text_public(v6, 0) == pub);
	snprintf(v6, sizeof(v6), "2002:%02x%02x:%02x%02x::1", a[0], a[1], a[2], a[3]);
	FUZZ_CHECK(whk_addr_text_public(v6, 1) == pub); /* 6to4: never loopback */
}

static void
fuzz_v6(const unsigned char a[16])
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	char text[INET6_ADDRSTRLEN];
	int pub, pub_lo;

	FUZZ_CHECK(inet_ntop(AF_INET6, a, text, sizeof(text)) != NULL);
	pub = whk_addr_text_public(text, 0);
	pub_lo = whk_addr_text_public(text, 1);
	FUZZ_CHECK(!pub || pub_lo);
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
		fuzz_v4(a + 12);
		return;
	}
	/* Public IPv6 is global unicast (2000::/3) outside documentation. */
	FUZZ_CHECK(!pub || ((a[0] & 0xe0) == 0x20 &&
			    !(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)));
	if (a[0] == 0x20 && a[1] == 0x02)
		FUZZ_CHECK(pub == pub_lo); /* 6to4 of 127/8 is no loopback */
	FUZZ_CHECK(pub_lo == pub || memcmp(a, &in6addr_loopback, 16) == 0);
}

/* The judge of a sockaddr (what whk_addr_resolve checks) agrees with the
 * judge of its text, for whatever getaddrinfo takes as a numeric host
 * (inet_aton's "127.1", "0x7f.0.0.1" too). */
static void
fuzz_numeric_host(const char *text)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	char back[INET6_ADDRSTRLEN];

	/* A scope ("%eth0") would ask the kernel for an interface. */
	if (strlen(text) > 64 || strchr(text, '%'))
		return;
	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const void *src =
			ai->ai_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)
					  ->sin6_addr;

		FUZZ_CHECK(ai->ai_family == AF_INET || ai->ai_family == AF_INET6);
		FUZZ_CHECK(inet_ntop(ai->ai_family, src, back, sizeof(back)) != NULL);
		for (int lo = 0; lo <= 1; lo++)
			FUZZ_CHECK(whk_addr_public(ai->ai_addr, lo) ==
				   whk_addr_text_public(back, lo));
	}
	freeaddrinfo(res);
}

static void
fuzz_addr(const char *text, const uint8_t *data, size_t size)
{
	unsigned char a[16];

	FUZZ_CHECK(whk_addr_text_public(NULL, 1) == 0);
	if (inet_pton(AF_INET, text, a) == 1)
		fuzz_v4(a);
	else if (inet_pton(AF_INET6, text, a) == 1)
		fuzz_v6(a);
	else
		FUZZ_CHECK(whk_addr_text_public(text, 1) == 0);
	if (size >= 4)
		fuzz_v4(data);
	if (size >= 16)
		fuzz_v6(data);
	fuzz_numeric_host(text);
}

/* --- identity's phone and code checks ----------------------------------------- */

/* ^\+234(70|8[01]|9[01])[0-9]{8}$, and not the toll-free 0800. */
static int
fuzz_phone_shape(const char *p)
{
	if (strlen(p) != 14 || strncmp(p, "+234", 4) != 0)
		return 0;
	for (size_t i = 4; i < 14; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
	}
	if (!((p[4] == '7' && p[5] == '0') ||
	      ((p[4] == '8' || p[4] == '9') && (p[5] == '0' || p[5] == '1'))))
		return 0;
	return strncmp(p + 4, "800", 3) != 0;
}

static void
fuzz_phone(const char *text)
{
	mem_arena *a = mem_arena_new(1024);
	char *out = NULL, *again = NULL;

	if (!a)
		abort();
	err_clear();
	if (idn_normalize_phone(&out, a, text) == 0) {
		FUZZ_CHECK(fuzz_phone_shape(out));
		FUZZ_CHECK(idn_normalize_phone(&again, a, out) == 0);
		FUZZ_CHECK(strcmp(again, out) == 0);
		/* The national form of it is the same number. */
		FUZZ_CHECK(idn_normalize_phone(&again, a, mem_arena_printf(a, "0%s", out + 4)) ==
			   0);
		FUZZ_CHECK(strcmp(again, out) == 0);
	} else {
		FUZZ_CHECK(strcmp(err_last()->reason, "invalid_phone") == 0);
	}
	mem_arena_free(a);
}

static void
fuzz_code(const char *text)
{
	static const char stored[] = "0123456789abcdef0123456789abcdef"
				     "0123456789abcdef0123456789abcdef";
	size_t n = strlen(text), digits = strspn(text, "0123456789");
	idn_code_state s = {.found = 1, .email = "a@example.com", .code_hash = (char *)stored};
	idn_verify_verdict v;

	FUZZ_CHECK((idn_code_check(text) == 0) == (n == IDN_CODE_DIGITS && digits == n));
	v = idn_code_verify_verdict(&s, "a@example.com", text);
	FUZZ_CHECK((v == IDN_VERIFY_RIGHT) == (strcmp(text, stored) == 0));
	FUZZ_CHECK(v == IDN_VERIFY_RIGHT || v == IDN_VERIFY_WRONG);
}

/* --- render and the email message ----------------------------------------------- */

#define FUZZ_EVENT_ID "6f1c0c1e-0000-4000-8000-000000000001"

/* The tags the HTML templates write; every '<' of a rendered HTML part
 * starts one of them (the input's are escaped). */
static void
fuzz_html_tags(const char *html)
{
	static const char *const tags[] = {"<!DOCTYPE html>",
					   "<html>",
					   "</html>",
					   "<body>",
					   "</body>",
					   "<p>",
					   "</p>",
					   "<b>",
					   "</b>"};

	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		int known = 0;

		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			known |= strncmp(p, tags[i], strlen(tags[i])) == 0;
		FUZZ_CHECK(known);
	}
}

static size_t
fuzz_count(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The header block of message (up to the first empty line): CRLF lines,
 * no CR or LF elsewhere, each line a header of the fixed set once (or a
 * Subject continuation); to_line, when not NULL, is its To line. The body
 * has exactly the three boundary lines of its two parts. */
static void
fuzz_message(const char *msg, size_t len, const char *to)
{
	static const char *const names[] = {
		"From: ",	"To: ",		  "Subject: ",	   "Date: ",
		"Message-ID: ", "MIME-Version: ", "Content-Type: "};
	int seen[sizeof(names) / sizeof(names[0])] = {0};
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *body;
	size_t last = 0, boundaries = 0;

	FUZZ_CHECK(strlen(msg) == len);
	FUZZ_CHECK(end != NULL);
	while (p < end + 2) {
		const char *eol = strstr(p, "\r\n");
		size_t line = (size_t)(eol - p);
		int which = -1;

		FUZZ_CHECK(!memchr(p, '\r', line) && !memchr(p, '\n', line));
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				which = (int)i;
		}
		if (which < 0) {
			FUZZ_CHECK(p[0] == ' ' && last == 2); /* folded Subject */
		} else {
			FUZZ_CHECK(!seen[which]);
			seen[which] = 1;
			last = (size_t)which;
		}
		if (which == 1)
			FUZZ_CHECK(line == 4 + strlen(to) && strncmp(p + 4, to, line - 4) == 0);
		p = eol + 2;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_CHECK(seen[i]);
	body = end + 4;
	for (p = body; (p = strstr(p, "\r\n--kolo-")) != NULL; p += 2)
		boundaries++;
	FUZZ_CHECK(strncmp(body, "--kolo-" FUZZ_EVENT_ID "\r\n", 7 + 36 + 2) == 0);
	FUZZ_CHECK(boundaries == 2);
}

static void
fuzz_email(mem_arena *a, const evs_rendered *r, const char *to)
{
	char *msg = NULL;
	size_t len = 0;
	int rc;

	err_clear();
	rc = evs_email_message(&msg, &len, a, r, "Kolo <no-reply@kolo.example>", to, FUZZ_EVENT_ID,
			       "2b7d0c1e-0000-4000-8000-000000000002");
	if (strpbrk(to, "\r\n")) {
		FUZZ_CHECK(rc == ERR_INVALID_ARGUMENT &&
			   strcmp(err_last()->reason, "bad_address") == 0);
		return;
	}
	FUZZ_CHECK(rc == 0);
	fuzz_message(msg, len, to);
}

/* text with each '<' made 'x' (JSON stays JSON: '<' is only ever inside a
 * string), in the arena. */
static char *
fuzz_no_lt(mem_arena *a, const char *text)
{
	char *out = mem_arena_strdup(a, text);

	for (char *p = out; p && *p; p++) {
		if (*p == '<')
			*p = 'x';
	}
	return out;
}

static void
fuzz_render_type(mem_arena *a, const char *type, const char *text)
{
	evs_event e = {.id = FUZZ_EVENT_ID,
		       .type = type,
		       .group_id = "",
		       .user_id = "",
		       .actor_id = "",
		       .occurred_at = "2024-01-02T03:04:05Z",
		       .data_json = text};
	evs_event plain = e;
	evs_rendered r, rp;
	const char *plain_text = fuzz_no_lt(a, text);

	err_clear();
	if (evs_render(&r, a, &e, text, "https://kolo.example") < 0) {
		FUZZ_CHECK(strcmp(err_last()->reason, "bad_event_data") == 0);
		return;
	}
	FUZZ_CHECK(r.subject && r.text && r.html && r.sms);
	FUZZ_CHECK(!strpbrk(r.subject, "\r\n"));
	fuzz_html_tags(r.html);
	/* The input's '<' added none: the same event without them has as many. */
	FUZZ_CHECK(plain_text != NULL);
	plain.data_json = plain_text;
	FUZZ_CHECK(evs_render(&rp, a, &plain, plain_text, "https://kolo.example") == 0);
	FUZZ_CHECK(fuzz_count(r.html, '<') == fuzz_count(rp.html, '<'));
	fuzz_email(a, &r, "member@example.com");
	fuzz_email(a, &r, text);
}

static void
fuzz_render(const char *text)
{
	size_t n = 0;
	const evt_type *types = evt_types(&n);
	mem_arena *a = mem_arena_new(0);

	if (!a)
		abort();
	for (size_t i = 0; i < n; i++) {
		fuzz_render_type(a, types[i].name, text);
		mem_arena_reset(a);
	}
	fuzz_render_type(a, "fuzz.unknown", text);
	mem_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);

	fuzz_url(text);
	fuzz_addr(text, data, size);
	fuzz_phone(text);
	fuzz_code(text);
	fuzz_render(text);
	free(text);
	return 0;
}
