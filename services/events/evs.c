/* kolo-events' wiring and pure rules. */
#include "evs.h"

#include <stdio.h>
#include <string.h>

static evs_deps evs_wired;

void
evs_configure(const evs_deps *deps)
{
	evs_wired = *deps;
}

const evs_deps *
evs_current(void)
{
	return &evs_wired;
}

const char *
evs_source_name(evs_source source)
{
	static const char *const names[EVS_SRC_COUNT] = {
		[EVS_SRC_IDENTITY] = "identity", [EVS_SRC_GROUPS] = "groups",
		[EVS_SRC_LEDGER] = "ledger",	 [EVS_SRC_WITHDRAWALS] = "withdrawals",
		[EVS_SRC_PAYMENTS] = "payments",
	};

	return source < EVS_SRC_COUNT ? names[source] : NULL;
}

/* --- streams (WatchEvents) ------------------------------------------------- */

int
evs_partner_sees(const char *type)
{
	const evt_type *t = evt_type_find(type);

	return t && t->partner_visible;
}

int
evs_watch_recheck_due(int sending, int64_t now_ms, int64_t checked_ms, int64_t recheck_ms)
{
	return sending || now_ms - checked_ms >= recheck_ms;
}

int64_t
evs_watch_idle_ms(int64_t now_ms, int64_t checked_ms, int64_t recheck_ms)
{
	int64_t left = checked_ms + recheck_ms - now_ms;

	return left > 0 ? left : 0;
}

int
evs_watch_may_open(int open, int per_user)
{
	return open < (per_user > 0 ? per_user : EVS_WATCH_PER_USER);
}

int
evs_watch_has_news(int64_t head, int64_t after_seq)
{
	return head > after_seq;
}

/* --- preferences ----------------------------------------------------------- */

static int
evs_check_choice(const char *name)
{
	const evt_type *t = evt_type_find(name);

	if (!t)
		return err_set(ERR_INVALID_ARGUMENT, "unknown_event_type",
			       "no event type is named %.64s", name);
	if (!(t->audience & EVT_TO_MEMBERS_OPT_IN))
		return err_set(ERR_INVALID_ARGUMENT, "event_type_not_optional",
			       "%s is not a type members choose", t->name);
	return 0;
}

int
evs_check_choices(char *const *names, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = evs_check_choice(names[i])) < 0)
			return rc;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0)
				return err_set(ERR_INVALID_ARGUMENT, "duplicate_event_type",
					       "%s is given twice", names[i]);
		}
	}
	return 0;
}

size_t
evs_officer_types(const char **out, size_t cap)
{
	size_t n_types = 0, n = 0;
	const evt_type *types = evt_types(&n_types);

	for (size_t i = 0; i < n_types && n < cap; i++) {
		if (types[i].audience & EVT_TO_OFFICERS)
			out[n++] = types[i].name;
	}
	return n;
}

/* --- fan-out --------------------------------------------------------------- */

static unsigned
evs_reachable(const evs_recipient *r)
{
	return (r->email_verified ? EVS_CH_EMAIL : 0u) | (r->has_phone ? EVS_CH_SMS : 0u);
}

unsigned
evs_channels(const evt_type *t, const evs_recipient *r)
{
	unsigned channels = 0;

	if (!t || r->is_actor)
		return 0;
	if ((t->audience & EVT_TO_OFFICERS) && r->is_officer && r->is_member)
		channels |= EVS_CH_EMAIL | EVS_CH_SMS;
	if ((t->audience & EVT_TO_SUBJECT) && r->is_subject)
		channels |= EVS_CH_EMAIL | EVS_CH_SMS;
	if ((t->audience & EVT_TO_PREVIOUS) && r->is_previous)
		channels |= EVS_CH_EMAIL | EVS_CH_SMS;
	if ((t->audience & EVT_TO_MEMBERS_OPT_IN) && r->is_member)
		channels |= (r->chose_email ? EVS_CH_EMAIL : 0u) | (r->chose_sms ? EVS_CH_SMS : 0u);
	return channels & evs_reachable(r);
}

int
evs_wants(const evt_type *t, const evs_recipient *r)
{
	evs_recipient reachable = *r;

	reachable.email_verified = 1;
	reachable.has_phone = 1;
	return evs_channels(t, &reachable) != 0;
}

/* --- delivery -------------------------------------------------------------- */

int
evs_check_delivery(const char *provider, const char *smtp_url, const char *sms_url, int sms_off,
		   int allow_mail_dir)
{
	int production = provider && provider[0] && strcmp(provider, "demo") != 0;

	if (!production || allow_mail_dir)
		return 0;
	if (!smtp_url || !smtp_url[0])
		return err_set(ERR_FAILED_PRECONDITION, "mail_not_configured",
			       "KOLO_PROVIDER=%s is production: set KOLO_SMTP_URL (without it "
			       "email is only written to KOLO_MAIL_DIR and never reaches anyone)",
			       provider);
	if (!sms_off && (!sms_url || !sms_url[0]))
		return err_set(
			ERR_FAILED_PRECONDITION, "sms_not_configured",
			"KOLO_PROVIDER=%s is production: set KOLO_SMS_URL, or KOLO_SMS_OFF=true "
			"to send no SMS (without it SMS are only written to KOLO_MAIL_DIR)",
			provider);
	return 0;
}

int
evs_fanout_retry_later(int err)
{
	switch (err) {
	case ERR_UNAVAILABLE:
	case ERR_DEADLINE_EXCEEDED:
	case ERR_ABORTED:
	case ERR_CANCELLED:
	/* Faults of the whole system, not of one event: a token being rotated,
	 * a caller rule or a peer's RPC missing mid-deploy, a peer's limit. */
	case ERR_UNAUTHENTICATED:
	case ERR_PERMISSION_DENIED:
	case ERR_UNIMPLEMENTED:
	case ERR_RESOURCE_EXHAUSTED:
		return 1;
	default:
		return 0;
	}
}

int64_t
evs_backoff_s(int attempts)
{
	int64_t wait = 30;

	for (int i = 1; i < attempts && wait < 3600; i++)
		wait *= 2;
	return wait < 3600 ? wait : 3600;
}

void
evs_naira(char out[EVS_NAIRA_MAX], int64_t kobo)
{
	/* Magnitude as unsigned, so INT64_MIN has one too. */
	uint64_t mag = kobo < 0 ? (uint64_t)0 - (uint64_t)kobo : (uint64_t)kobo;
	uint64_t naira = mag / 100;
	char digits[24], grouped[40];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)naira);
	size_t g = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	snprintf(out, EVS_NAIRA_MAX, "%s\xE2\x82\xA6%s.%02u", kobo < 0 ? "-" : "", grouped,
		 (unsigned)(mag % 100));
}

/* --- fan-out: who an event is drawn from ------------------------------------ */

/* Marks the previous member among the people, or adds them (one no longer
 * in the group is still told). */
static void
evs_mark_previous(evs_people *p, const char *previous)
{
	size_t i = 0;

	if (!previous[0])
		return;
	while (i < p->n && strcmp(p->ids[i], previous) != 0)
		i++;
	if (i == p->n) {
		p->ids[p->n] = (char *)previous;
		p->who[p->n++] = (evs_recipient){0};
	}
	p->who[i].is_previous = 1;
}

int
evs_people_build(evs_people *out, mem_arena *a, const evs_member *members, size_t n_members,
		 const char *subject, const char *previous, const char *actor)
{
	evs_people p = {.n = 0};
	int subject_seen = 0;

	p.ids = mem_arena_alloc(a, sizeof(*p.ids) * (n_members + 2));
	p.who = mem_arena_alloc(a, sizeof(*p.who) * (n_members + 2));
	if (!p.ids || !p.who)
		return err_oom();
	for (size_t i = 0; i < n_members; i++) {
		int is_subject = strcmp(members[i].user_id, subject) == 0;

		subject_seen |= is_subject;
		p.ids[p.n] = (char *)members[i].user_id;
		p.who[p.n++] = (evs_recipient){.is_member = 1,
					       .is_officer = members[i].is_officer,
					       .is_subject = is_subject};
	}
	if (subject[0] && !subject_seen) {
		p.ids[p.n] = (char *)subject;
		p.who[p.n++] = (evs_recipient){.is_subject = 1};
	}
	evs_mark_previous(&p, previous);
	for (size_t i = 0; i < p.n; i++)
		p.who[i].is_actor = actor[0] && strcmp(p.ids[i], actor) == 0;
	*out = p;
	return 0;
}
