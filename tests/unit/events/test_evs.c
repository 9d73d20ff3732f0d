/* kolo-events' pure rules and texts: who is told on which channel, what a
 * member may choose, backoff, naira, and what each message says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "evs.h"
#include "render.h"

#define NAIRA "\xE2\x82\xA6"

static unsigned
channels(const char *type, evs_recipient r)
{
	return evs_channels(evt_type_find(type), &r);
}

/* deposit.allocated: the member credited and the one it was taken from,
 * always; never the officer; nobody else. */
static void
test_an_allocation_is_told_to_its_two_members(void **state)
{
	evs_recipient credited = {.is_member = 1, .is_subject = 1, .email_verified = 1};
	evs_recipient previous = {
		.is_member = 1, .is_previous = 1, .email_verified = 1, .has_phone = 1};
	evs_recipient officer = {.is_member = 1,
				 .is_officer = 1,
				 .is_actor = 1,
				 .email_verified = 1,
				 .chose_email = 1};
	evs_recipient other = {.is_member = 1, .email_verified = 1, .chose_email = 1};

	(void)state;
	assert_int_equal(channels(EVT_DEPOSIT_ALLOCATED, credited), EVS_CH_EMAIL);
	assert_int_equal(channels(EVT_DEPOSIT_ALLOCATED, previous), EVS_CH_EMAIL | EVS_CH_SMS);
	assert_int_equal(channels(EVT_DEPOSIT_ALLOCATED, officer), 0);
	assert_int_equal(channels(EVT_DEPOSIT_ALLOCATED, other), 0);
	/* the previous member of another type is nobody in particular */
	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, previous), 0);
	assert_true(evt_type_find(EVT_DEPOSIT_ALLOCATED)->partner_visible);
}

static void
test_officers_are_always_told_of_what_waits_for_them(void **state)
{
	evs_recipient officer = {
		.is_member = 1, .is_officer = 1, .email_verified = 1, .has_phone = 1};
	evs_recipient member = {.is_member = 1, .email_verified = 1, .has_phone = 1};

	assert_int_equal(channels(EVT_WITHDRAWAL_REQUESTED, officer), EVS_CH_EMAIL | EVS_CH_SMS);
	assert_int_equal(channels(EVT_PROPOSAL_OPENED, officer), EVS_CH_EMAIL | EVS_CH_SMS);
	assert_int_equal(channels(EVT_WITHDRAWAL_REQUESTED, member), 0);
	/* The requester is not told of their own request. */
	officer.is_actor = 1;
	assert_int_equal(channels(EVT_WITHDRAWAL_REQUESTED, officer), 0);
	/* An officer no longer in the group is not. */
	officer.is_actor = 0;
	officer.is_member = 0;
	assert_int_equal(channels(EVT_WITHDRAWAL_REQUESTED, officer), 0);
}

static void
test_members_get_what_they_chose_where_they_can(void **state)
{
	evs_recipient m = {.is_member = 1, .chose_email = 1, .email_verified = 1};

	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, m), EVS_CH_EMAIL);
	m.chose_sms = 1; /* no phone: no SMS */
	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, m), EVS_CH_EMAIL);
	m.has_phone = 1;
	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, m), EVS_CH_EMAIL | EVS_CH_SMS);
	m.email_verified = 0; /* an unverified address gets no mail */
	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, m), EVS_CH_SMS);
	/* Choices of types members do not choose count for nothing. */
	assert_int_equal(channels(EVT_KYC_RESULT, m), 0);
}

/* Only people who would be told on some channel are looked up at identity:
 * a member who chose nothing is not, an officer of what waits for them is,
 * whatever contacts either has; the actor never is. */
static void
test_only_those_who_would_be_told_are_looked_up(void **state)
{
	evs_recipient quiet = {.is_member = 1};
	evs_recipient chose = {.is_member = 1, .chose_sms = 1};
	evs_recipient officer = {.is_member = 1, .is_officer = 1};
	evs_recipient actor = {.is_member = 1, .is_officer = 1, .is_actor = 1};

	assert_false(evs_wants(evt_type_find(EVT_DEPOSIT_CREDITED), &quiet));
	assert_true(evs_wants(evt_type_find(EVT_DEPOSIT_CREDITED), &chose));
	assert_false(evs_wants(evt_type_find(EVT_DEPOSIT_CREDITED), &officer));
	assert_true(evs_wants(evt_type_find(EVT_WITHDRAWAL_REQUESTED), &officer));
	assert_false(evs_wants(evt_type_find(EVT_WITHDRAWAL_REQUESTED), &actor));
}

static void
test_the_subject_is_told_even_out_of_the_group(void **state)
{
	evs_recipient removed = {.is_subject = 1, .email_verified = 1};

	assert_int_equal(channels(EVT_MEMBER_REMOVED, removed), EVS_CH_EMAIL);
	assert_int_equal(channels(EVT_DEPOSIT_CREDITED, removed), 0);
	assert_int_equal(evs_channels(NULL, &removed), 0);
}

static void
test_choices_are_catalogue_types_members_choose(void **state)
{
	char *good[] = {"deposit.credited", "withdrawal.paid"};
	char *unknown[] = {"deposit.credited", "deposit.stolen"};
	char *code[] = {"user.email_code"};
	char *twice[] = {"withdrawal.paid", "withdrawal.paid"};

	assert_int_equal(evs_check_choices(good, 2), 0);
	assert_int_equal(evs_check_choices(NULL, 0), 0);
	assert_int_equal(evs_check_choices(unknown, 2), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "unknown_event_type");
	assert_int_equal(evs_check_choices(code, 1), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "event_type_not_optional");
	assert_int_equal(evs_check_choices(twice, 2), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "duplicate_event_type");
}

static void
test_production_refuses_the_mail_dir(void **state)
{
	/* Development (the demo provider): the mail dir is the default. */
	assert_int_equal(evs_check_delivery("demo", "", "", 0, 0), 0);
	assert_int_equal(evs_check_delivery(NULL, NULL, NULL, 0, 0), 0);
	/* Production (a live provider): real servers, or SMS explicitly off. */
	assert_int_equal(evs_check_delivery("flutterwave", "", "https://sms.example/send", 0, 0),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "mail_not_configured");
	assert_non_null(strstr(err_last()->message, "KOLO_SMTP_URL"));
	assert_int_equal(evs_check_delivery("paystack", "smtps://smtp.example:465", "", 0, 0),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "sms_not_configured");
	assert_non_null(strstr(err_last()->message, "KOLO_SMS_OFF"));
	assert_int_equal(evs_check_delivery("paystack", "smtps://smtp.example:465", "", 1, 0), 0);
	/* Tests of a live provider against a fake may keep the mail dir. */
	assert_int_equal(evs_check_delivery("flutterwave", "", "", 0, 1), 0);
	assert_int_equal(evs_check_delivery("flutterwave", "smtps://smtp.example:465",
					    "https://sms.example/send", 0, 0),
			 0);
}

static void
test_partners_see_only_catalogue_types_marked_visible(void **state)
{
	size_t n = 0;
	const evt_type *types = evt_types(&n);

	assert_true(evs_partner_sees("deposit.credited"));
	assert_true(evs_partner_sees("withdrawal.requested"));
	assert_false(evs_partner_sees("user.email_code"));
	assert_false(evs_partner_sees("user.phone_code"));
	assert_false(evs_partner_sees("kyc.result"));
	assert_false(evs_partner_sees("future.thing"));
	assert_false(evs_partner_sees(""));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(evs_partner_sees(types[i].name), types[i].partner_visible);
}

static void
test_a_stream_asks_again_before_sending_or_when_due(void **state)
{
	assert_true(evs_watch_recheck_due(1, 1000, 999, 30000));
	assert_false(evs_watch_recheck_due(0, 1000, 999, 30000));
	assert_false(evs_watch_recheck_due(0, 30998, 999, 30000));
	assert_true(evs_watch_recheck_due(0, 30999, 999, 30000));
}

static void
test_an_idle_stream_waits_until_its_next_check(void **state)
{
	assert_int_equal(evs_watch_idle_ms(1000, 1000, 30000), 30000);
	assert_int_equal(evs_watch_idle_ms(30999, 999, 30000), 0);
	assert_int_equal(evs_watch_idle_ms(90000, 999, 30000), 0);
	assert_int_equal(evs_watch_idle_ms(10999, 999, 30000), 20000);
}

static void
test_a_user_opens_at_most_the_cap_of_streams(void **state)
{
	assert_true(evs_watch_may_open(0, 4));
	assert_true(evs_watch_may_open(3, 4));
	assert_false(evs_watch_may_open(4, 4));
	assert_false(evs_watch_may_open(1, 1));
	assert_true(evs_watch_may_open(EVS_WATCH_PER_USER - 1, 0));
	assert_false(evs_watch_may_open(EVS_WATCH_PER_USER, 0));
}

static void
test_the_poller_wakes_a_stream_only_past_what_it_saw(void **state)
{
	assert_true(evs_watch_has_news(8, 7));
	assert_false(evs_watch_has_news(7, 7));
	assert_false(evs_watch_has_news(0, 0)); /* a group with no event yet */
	assert_false(evs_watch_has_news(5, 9));
}

static void
test_backoff_doubles_to_an_hour(void **state)
{
	assert_int_equal(evs_backoff_s(1), 30);
	assert_int_equal(evs_backoff_s(2), 60);
	assert_int_equal(evs_backoff_s(3), 120);
	assert_int_equal(evs_backoff_s(8), 3600);
	assert_int_equal(evs_backoff_s(100), 3600);
}

static void
test_only_a_peer_that_cannot_answer_stops_the_fanout(void **state)
{
	assert_true(evs_fanout_retry_later(ERR_UNAVAILABLE));
	assert_true(evs_fanout_retry_later(ERR_DEADLINE_EXCEEDED));
	assert_true(evs_fanout_retry_later(ERR_ABORTED));
	assert_false(evs_fanout_retry_later(ERR_INTERNAL));
	assert_false(evs_fanout_retry_later(ERR_INVALID_ARGUMENT));
	assert_false(evs_fanout_retry_later(ERR_NOT_FOUND));
	/* A token rotation or a deploy half done sets no event aside. */
	assert_true(evs_fanout_retry_later(ERR_UNAUTHENTICATED));
	assert_true(evs_fanout_retry_later(ERR_PERMISSION_DENIED));
	assert_true(evs_fanout_retry_later(ERR_UNIMPLEMENTED));
	assert_true(evs_fanout_retry_later(ERR_RESOURCE_EXHAUSTED));
}

static void
test_naira_has_the_sign_commas_and_kobo(void **state)
{
	char out[EVS_NAIRA_MAX];

	evs_naira(out, 123456);
	assert_string_equal(out, NAIRA "1,234.56");
	evs_naira(out, 5);
	assert_string_equal(out, NAIRA "0.05");
	evs_naira(out, 25000000000LL);
	assert_string_equal(out, NAIRA "250,000,000.00");
	evs_naira(out, -100000);
	assert_string_equal(out, "-" NAIRA "1,000.00");
	evs_naira(out, INT64_MIN);
	assert_string_equal(out, "-" NAIRA "92,233,720,368,547,758.08");
}

static void
test_a_withdrawal_request_says_what_and_what_to_do(void **state)
{
	mem_arena *a = mem_arena_new(0);
	evs_event e = {.id = "e1",
		       .type = EVT_WITHDRAWAL_REQUESTED,
		       .data_json = "{\"amount_kobo\": 123456, \"reason\": \"Hall\\r\\nBcc: x\"}"};
	evs_rendered r;

	assert_int_equal(evs_render(&r, a, &e, "Ajo <b>&", "https://kolo.example"), 0);
	assert_non_null(strstr(r.subject, NAIRA "1,234.56"));
	/* The group is named in every text. */
	assert_non_null(strstr(r.subject, "from Ajo <b>&"));
	assert_non_null(strstr(r.text, "out of Ajo <b>&."));
	assert_non_null(strstr(r.sms, "from Ajo <b>&"));
	assert_non_null(strstr(r.text, "approve or decline"));
	assert_non_null(strstr(r.text, "Reason given: Hall\n")); /* first line only */
	/* HTML escapes everything it was given. */
	assert_null(strstr(r.html, "<b>&"));
	assert_non_null(strstr(r.html, "Ajo &lt;b&gt;&amp;"));
	assert_non_null(strstr(r.sms, "Kolo: "));
	mem_arena_free(a);
}

static void
test_without_a_name_the_group_is_your_group(void **state)
{
	mem_arena *a = mem_arena_new(0);
	evs_event e = {.id = "e4", .type = EVT_DEPOSIT_CREDITED, .data_json = "{}"};
	evs_rendered r;

	assert_int_equal(evs_render(&r, a, &e, "", ""), 0);
	assert_non_null(strstr(r.subject, "your group"));
	/* Only the first line of a name is used. */
	assert_int_equal(evs_render(&r, a, &e, "Esusu\r\nBcc: x@y", ""), 0);
	assert_non_null(strstr(r.subject, "Esusu"));
	assert_null(strstr(r.subject, "Bcc"));
	mem_arena_free(a);
}

static void
test_an_email_code_stands_on_its_own_line(void **state)
{
	mem_arena *a = mem_arena_new(0);
	evs_event e = {.id = "e2",
		       .type = EVT_EMAIL_CODE,
		       .data_json = "{\"email\": \"a@b.ng\", \"code\": \"123456\"}"};
	evs_rendered r;
	char *msg = NULL;
	size_t len = 0;

	assert_int_equal(evs_render(&r, a, &e, NULL, ""), 0);
	assert_non_null(strstr(r.text, "Your code: 123456\n"));
	assert_int_equal(
		evs_email_message(&msg, &len, a, &r, "Kolo <k@kolo.ng>", "a@b.ng", "e2", "u1"), 0);
	assert_int_equal(len, strlen(msg));
	assert_non_null(strstr(msg, "To: a@b.ng\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <e2.u1@events.kolo>\r\n"));
	assert_non_null(strstr(msg, "Your code: 123456\r\n"));
	assert_non_null(strstr(msg, "multipart/alternative"));
	/* A header never takes a line break. */
	assert_int_equal(evs_email_message(&msg, &len, a, &r, "Kolo <k@kolo.ng>",
					   "a@b.ng\r\nBcc: x@y", "e2", "u1"),
			 ERR_INVALID_ARGUMENT);
	/* Data that is not an object is refused, not guessed. */
	e.data_json = "[1]";
	assert_int_equal(evs_render(&r, a, &e, NULL, ""), ERR_INVALID_ARGUMENT);
	mem_arena_free(a);
}

static void
test_a_subject_beyond_ascii_is_an_encoded_word(void **state)
{
	mem_arena *a = mem_arena_new(0);
	evs_event e = {
		.id = "e3", .type = EVT_DEPOSIT_CREDITED, .data_json = "{\"amount_kobo\": 100}"};
	evs_rendered r;
	char *msg = NULL;
	size_t len = 0;

	assert_int_equal(evs_render(&r, a, &e, NULL, ""), 0);
	assert_int_equal(evs_email_message(&msg, &len, a, &r, "k@kolo.ng", "a@b.ng", "e3", "u1"),
			 0);
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?"));
	mem_arena_free(a);
}

/* The message of a rendered text r (subject, text) for the tests below. */
static char *
message_of(mem_arena *a, const char *subject, const char *text)
{
	evs_rendered r = {.subject = subject, .text = text, .html = "<p>x</p>", .sms = "x"};
	char *msg = NULL;
	size_t len = 0;

	assert_int_equal(evs_email_message(&msg, &len, a, &r, "k@kolo.ng", "a@b.ng", "e5", "u1"),
			 0);
	return msg;
}

static void
test_a_header_never_carries_control_characters(void **state)
{
	mem_arena *a = mem_arena_new(0);
	char *msg = message_of(a, "Dues\x01 for\tMay\x7f!", "x\n");

	assert_non_null(strstr(msg, "Subject: Dues  for May !\r\n"));
	/* Beyond ASCII too: filtered before it is encoded. */
	msg = message_of(a, NAIRA "5\x1b[31m", "x\n");
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?"));
	assert_null(strchr(msg, '\x1b'));
	mem_arena_free(a);
}

/* Decodes the encoded words of msg's Subject (each checked to be at most
 * 75 characters and whole UTF-8) into out. */
static void
subject_words(const char *msg, char *out, size_t cap)
{
	const char *p = strstr(msg, "Subject: ") + 9;
	size_t len = 0;

	while (strncmp(p, "=?UTF-8?B?", 10) == 0) {
		const char *end = strstr(p, "?=");
		size_t bin_len = 0;
		unsigned char *bin = (unsigned char *)out + len;

		assert_non_null(end);
		assert_true(end + 2 - p <= 75);
		assert_int_equal(sodium_base642bin(bin, cap - len, p + 10, (size_t)(end - p - 10),
						   NULL, &bin_len, NULL,
						   sodium_base64_VARIANT_ORIGINAL),
				 0);
		/* No word starts inside a character. */
		assert_true((bin[0] & 0xc0) != 0x80);
		len += bin_len;
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) == 0)
			p += 3;
	}
	assert_true(strncmp(p, "\r\n", 2) == 0);
	out[len] = '\0';
}

static void
test_a_long_subject_is_split_into_encoded_words(void **state)
{
	mem_arena *a = mem_arena_new(0);
	char subject[400] = "", decoded[512];

	for (int i = 0; i < 30; i++)
		strcat(subject, "\xE1\xBB\x8C" NAIRA "a"); /* 3 + 3 + 1 bytes */
	subject_words(message_of(a, subject, "x\n"), decoded, sizeof(decoded));
	assert_string_equal(decoded, subject);
	mem_arena_free(a);
}

/* libcurl doubles a line's leading "." when it sends over SMTP; the
 * message itself (and the mail dir file) is as the reader gets it. */
static void
test_a_dot_line_is_not_doubled_in_the_message(void **state)
{
	mem_arena *a = mem_arena_new(0);
	char *msg = message_of(a, "Dots", "Before\n.\n.x\nAfter\n");

	assert_non_null(strstr(msg, "Before\r\n.\r\n.x\r\nAfter\r\n"));
	assert_null(strstr(msg, "\r\n.."));
	mem_arena_free(a);
}

/* --- evs_people_build: who an event is drawn from ----------------------------- */

static const char *const people_ids[] = {"u-a", "u-b", "u-c"};
static const char *const subjects[] = {"", "u-a", "u-d"};
static const char *const previouses[] = {"", "u-a", "u-b", "u-d", "u-e"};
static const char *const actors[] = {"", "u-a", "u-d", "u-e"};

/* The contract, id by id: members in order, then the subject when not one,
 * then the previous member when neither; each flag says what the id is. */
static void
people_check(const evs_member *m, size_t n_m, const char *subject, const char *previous,
	     const char *actor)
{
	mem_arena *a = mem_arena_new(0);
	const char *want[5];
	size_t n = 0;
	evs_people p;

	for (size_t i = 0; i < n_m; i++)
		want[n++] = m[i].user_id;
	for (const char *extra[] = {subject, previous}, **x = extra; x < extra + 2; x++) {
		int seen = 0;

		for (size_t i = 0; i < n; i++)
			seen |= strcmp(want[i], *x) == 0;
		if ((*x)[0] && !seen)
			want[n++] = *x;
	}
	assert_int_equal(evs_people_build(&p, a, m, n_m, subject, previous, actor), 0);
	assert_int_equal(p.n, n);
	for (size_t i = 0; i < n; i++) {
		const evs_member *mm = NULL;

		for (size_t j = 0; j < n_m; j++)
			mm = strcmp(m[j].user_id, want[i]) == 0 ? &m[j] : mm;
		assert_string_equal(p.ids[i], want[i]);
		assert_int_equal(p.who[i].is_member, mm != NULL);
		assert_int_equal(p.who[i].is_officer, mm && mm->is_officer);
		assert_int_equal(p.who[i].is_subject, strcmp(want[i], subject) == 0);
		assert_int_equal(p.who[i].is_previous, strcmp(want[i], previous) == 0);
		assert_int_equal(p.who[i].is_actor, strcmp(want[i], actor) == 0);
		assert_false(p.who[i].chose_email || p.who[i].chose_sms ||
			     p.who[i].email_verified || p.who[i].has_phone);
	}
	mem_arena_free(a);
}

static void
people_all_events(const evs_member *m, size_t n_m, int *count)
{
	for (size_t s = 0; s < 3; s++)
		for (size_t p = 0; p < 5; p++)
			for (size_t x = 0; x < 4; x++) {
				people_check(m, n_m, subjects[s], previouses[p], actors[x]);
				(*count)++;
			}
}

/* Every list of up to three distinct members (officer or not, any order)
 * x subject x previous member x actor: a member, another, nobody. */
static void
test_the_audience_is_drawn_from_members_subject_and_previous(void **state)
{
	evs_member m[3] = {{0}};
	int count = 0;

	(void)state;
	people_all_events(m, 0, &count);
	for (int i = 0; i < 3 * 2; i++) {
		m[0] = (evs_member){people_ids[i / 2], i % 2};
		people_all_events(m, 1, &count);
		for (int j = 0; j < 3 * 2; j++) {
			if (j / 2 == i / 2)
				continue;
			m[1] = (evs_member){people_ids[j / 2], j % 2};
			people_all_events(m, 2, &count);
			for (int k = 0; k < 3 * 2; k++) {
				if (k / 2 == i / 2 || k / 2 == j / 2)
					continue;
				m[2] = (evs_member){people_ids[k / 2], k % 2};
				people_all_events(m, 3, &count);
			}
		}
	}
	assert_int_equal(count, (1 + 6 + 24 + 48) * 3 * 5 * 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_allocation_is_told_to_its_two_members),
		cmocka_unit_test(test_officers_are_always_told_of_what_waits_for_them),
		cmocka_unit_test(test_members_get_what_they_chose_where_they_can),
		cmocka_unit_test(test_only_those_who_would_be_told_are_looked_up),
		cmocka_unit_test(test_the_subject_is_told_even_out_of_the_group),
		cmocka_unit_test(test_the_audience_is_drawn_from_members_subject_and_previous),
		cmocka_unit_test(test_choices_are_catalogue_types_members_choose),
		cmocka_unit_test(test_production_refuses_the_mail_dir),
		cmocka_unit_test(test_partners_see_only_catalogue_types_marked_visible),
		cmocka_unit_test(test_a_stream_asks_again_before_sending_or_when_due),
		cmocka_unit_test(test_an_idle_stream_waits_until_its_next_check),
		cmocka_unit_test(test_a_user_opens_at_most_the_cap_of_streams),
		cmocka_unit_test(test_the_poller_wakes_a_stream_only_past_what_it_saw),
		cmocka_unit_test(test_backoff_doubles_to_an_hour),
		cmocka_unit_test(test_only_a_peer_that_cannot_answer_stops_the_fanout),
		cmocka_unit_test(test_naira_has_the_sign_commas_and_kobo),
		cmocka_unit_test(test_a_withdrawal_request_says_what_and_what_to_do),
		cmocka_unit_test(test_without_a_name_the_group_is_your_group),
		cmocka_unit_test(test_an_email_code_stands_on_its_own_line),
		cmocka_unit_test(test_a_subject_beyond_ascii_is_an_encoded_word),
		cmocka_unit_test(test_a_header_never_carries_control_characters),
		cmocka_unit_test(test_a_long_subject_is_split_into_encoded_words),
		cmocka_unit_test(test_a_dot_line_is_not_doubled_in_the_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
