/* Contacts: GetUserContacts (for kolo-events), email ownership codes
 * (VerifyEmail, SendEmailCode, the codes of Register and Login) and the
 * phone number, proved the same way (SetPhone sends a code by SMS,
 * VerifyPhone, RemovePhone). DESIGN §16. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "contact.h"
#include "events/events.h"
#include "outbox/outbox.h"
#include "text/text.h"

#define IDN_CONTACTS_MAX 500
#define IDN_TIME_TEXT	 40

/* Unix microseconds as RFC 3339 UTC with microseconds (as DB_RFC3339). */
static void
idn_time_text(char out[IDN_TIME_TEXT], int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	char base[24];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, IDN_TIME_TEXT, "%s.%06dZ", base, (int)(us % 1000000));
}

/* --- codes ------------------------------------------------------------------
 */

int
idn_code_issue(db_conn *c, mem_arena *a, const char *user_id, idn_code_channel ch,
	       const char *address, char **expires_at)
{
	char code[IDN_CODE_TEXT], hash[IDN_CODE_HASH_TEXT], exp_text[IDN_TIME_TEXT];
	int64_t now = idn_now_us();
	int64_t expires = now + IDN_US(IDN_CODE_TTL_S);
	int rc;

	idn_code_new(code);
	idn_code_hash(hash, user_id, code);
	idn_time_text(exp_text, expires);
	rc = idn_store_insert_code(c, user_id, ch, address, hash, now, expires);
	/* The code itself travels only in the event kolo-events sends (and
	 * blanks in its copy once sent); identity keeps the hash. */
	if (rc == 0)
		rc = outbox_add(c, OUTBOX_IDENTITY,
				&(outbox_event){.type = ch == IDN_CODE_PHONE ? EVT_PHONE_CODE
									     : EVT_EMAIL_CODE,
						.user_id = user_id,
						.actor_id = user_id},
				"{s:s, s:s, s:s}", idn_code_channel_name(ch), address, "code", code,
				"expires_at", exp_text);
	sodium_memzero(code, sizeof(code));
	if (rc == 0 && expires_at) {
		*expires_at = mem_arena_strdup(a, exp_text);
		if (!*expires_at)
			rc = err_oom();
	}
	return rc;
}

/* Whether the user may be sent a code on channel now (the send limits):
 * the verdict, and when refused the seconds to wait. */
static int
idn_code_may_send(db_conn *c, mem_arena *a, const char *user_id, idn_code_channel channel,
		  idn_send_verdict *verdict, int *retry_after_s)
{
	idn_code_state state;
	int rc = idn_store_code_state(&state, a, c, user_id, channel, idn_now_us());

	if (rc == 0)
		*verdict = idn_code_send_verdict(retry_after_s, &state);
	return rc;
}

int
idn_email_code_on_login(db_conn *c, mem_arena *a, const char *user_id, int *sent)
{
	idn_code_state state;
	char *email = NULL;
	int verified = 0, retry_after_s = 0;
	int rc = idn_store_lock_user(&email, &verified, a, c, user_id, IDN_CODE_EMAIL);

	*sent = 0;
	if (rc == 0 && !verified)
		rc = idn_store_code_state(&state, a, c, user_id, IDN_CODE_EMAIL, idn_now_us());
	if (rc < 0 || verified || idn_code_live(&state, email) ||
	    idn_code_send_verdict(&retry_after_s, &state) != IDN_SEND_OK)
		return rc;
	*sent = 1;
	return idn_code_issue(c, a, user_id, IDN_CODE_EMAIL, email, NULL);
}

/* --- SendEmailCode
 * ------------------------------------------------------------ */

typedef struct idn_send_code_tx {
	mem_arena *arena;
	const char *user_id;
	char *email;
	int verified;
	idn_send_verdict verdict;
	int retry_after_s;
	char *expires_at;
} idn_send_code_tx;

static int
idn_send_code_body(db_conn *c, void *arg)
{
	idn_send_code_tx *t = arg;
	int rc = idn_store_lock_user(&t->email, &t->verified, t->arena, c, t->user_id,
				     IDN_CODE_EMAIL);

	if (rc < 0 || t->verified)
		return rc;
	rc = idn_code_may_send(c, t->arena, t->user_id, IDN_CODE_EMAIL, &t->verdict,
			       &t->retry_after_s);
	if (rc < 0 || t->verdict != IDN_SEND_OK)
		return rc;
	return idn_code_issue(c, t->arena, t->user_id, IDN_CODE_EMAIL, t->email, &t->expires_at);
}

/* RESOURCE_EXHAUSTED rate_limited (with its retry hint) unless verdict is
 * IDN_SEND_OK. */
static int
idn_send_limited(idn_send_verdict verdict, int retry_after_s)
{
	switch (verdict) {
	case IDN_SEND_TOO_SOON:
		err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited",
			"a code was sent less than a minute ago: try again in "
			"%d s",
			retry_after_s);
		return err_set_retry_after(retry_after_s);
	case IDN_SEND_DAY_CAP:
		err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited",
			"%d codes were sent today: try again in %d s", IDN_CODE_DAY_CAP,
			retry_after_s);
		return err_set_retry_after(retry_after_s);
	case IDN_SEND_OK:
		break;
	}
	return 0;
}

static int
idn_send_refused(const idn_send_code_tx *t)
{
	if (t->verified)
		return err_set(ERR_FAILED_PRECONDITION, "email_already_verified",
			       "your email address is verified already");
	return idn_send_limited(t->verdict, t->retry_after_s);
}

int
idn_send_email_code(rpc_ctx *ctx, const Kolo__Identity__V1__SendEmailCodeRequest *in,
		    Kolo__Identity__V1__SendEmailCodeResponse *out)
{
	idn_send_code_tx t = {.arena = rpc_ctx_arena(ctx), .user_id = rpc_ctx_user_id(ctx)};
	db_conn *c = NULL;
	int rc;

	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_send_code_body, &t);
	if (rc == 0)
		rc = idn_send_refused(&t);
	if (rc < 0)
		return rc;
	out->email = t.email;
	out->expires_at = t.expires_at;
	return 0;
}

/* --- VerifyEmail, VerifyPhone
 * --------------------------------------------------------------- */

typedef struct idn_verify_code_tx {
	mem_arena *arena;
	const char *user_id;
	idn_code_channel channel;
	char presented_hash[IDN_CODE_HASH_TEXT];
	idn_client client;
	int verified; /* before this call */
	int attempts_left;
	idn_verify_verdict verdict;
} idn_verify_code_tx;

static int
idn_verify_code_apply(db_conn *c, idn_verify_code_tx *t, const idn_code_state *state)
{
	int rc = 0;

	switch (t->verdict) {
	case IDN_VERIFY_RIGHT:
		rc = idn_store_code_consume(c, state->id, t->user_id, t->channel, idn_now_us());
		if (rc == 0)
			rc = idn_store_log(c, t->user_id,
					   t->channel == IDN_CODE_PHONE ? "phone_verified"
									: "email_verified",
					   t->client.ip, t->client.device);
		return rc;
	case IDN_VERIFY_WRONG:
	case IDN_VERIFY_WRONG_LAST:
		t->attempts_left = IDN_CODE_MAX_ATTEMPTS - state->attempts - 1;
		return idn_store_code_attempt(c, state->id);
	case IDN_VERIFY_NO_CODE:
	case IDN_VERIFY_EXPIRED:
	case IDN_VERIFY_LOCKED:
		break;
	}
	return rc;
}

static int
idn_verify_code_body(db_conn *c, void *arg)
{
	idn_verify_code_tx *t = arg;
	idn_code_state state;
	char *address = NULL;
	int rc = idn_store_lock_user(&address, &t->verified, t->arena, c, t->user_id, t->channel);

	if (rc < 0 || t->verified)
		return rc;
	rc = idn_store_code_state(&state, t->arena, c, t->user_id, t->channel, idn_now_us());
	if (rc < 0)
		return rc;
	/* A code proves only the address (or number) it was sent to, while it
	 * is still the user's: no phone, or another one, is no_code. */
	t->verdict = idn_code_verify_verdict(&state, address, t->presented_hash);
	return idn_verify_code_apply(c, t, &state);
}

static int
idn_verify_refused(const idn_verify_code_tx *t)
{
	const char *what = t->channel == IDN_CODE_PHONE ? "phone number" : "address";

	if (t->verified)
		return 0;
	switch (t->verdict) {
	case IDN_VERIFY_RIGHT:
		return 0;
	case IDN_VERIFY_NO_CODE:
		return err_set(ERR_FAILED_PRECONDITION, "no_code",
			       "no code waits for your %s: ask for one", what);
	case IDN_VERIFY_EXPIRED:
		return err_set(ERR_FAILED_PRECONDITION, "code_expired",
			       "the code has expired: ask for a new one");
	case IDN_VERIFY_LOCKED:
	case IDN_VERIFY_WRONG_LAST:
		return err_set(ERR_FAILED_PRECONDITION, "code_locked",
			       "too many wrong codes: ask for a new one");
	case IDN_VERIFY_WRONG:
		return err_set(ERR_PERMISSION_DENIED, "code_invalid",
			       "the code is wrong: %d tries left", t->attempts_left);
	}
	return 0;
}

/* VerifyEmail and VerifyPhone: code (wiped) against the live code of
 * channel; the caller as a User message into *out. */
static int
idn_verify_code(rpc_ctx *ctx, idn_code_channel channel, char *code, Kolo__Identity__V1__User **out)
{
	idn_verify_code_tx t = {
		.arena = rpc_ctx_arena(ctx), .user_id = rpc_ctx_user_id(ctx), .channel = channel};
	idn_user user;
	db_conn *c = NULL;
	int rc = idn_code_check(code);

	if (rc == 0)
		idn_code_hash(t.presented_hash, t.user_id, code);
	idn_wipe(code);
	idn_client_of(&t.client, ctx);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_verify_code_body, &t);
	if (rc == 0)
		rc = idn_verify_refused(&t);
	if (rc == 0)
		rc = idn_store_user_by_id(&user, t.arena, c, t.user_id);
	if (rc < 0)
		return rc;
	*out = idn_user_message(ctx, &user, 1);
	return *out ? 0 : err_oom();
}

int
idn_verify_email(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyEmailRequest *in,
		 Kolo__Identity__V1__VerifyEmailResponse *out)
{
	return idn_verify_code(ctx, IDN_CODE_EMAIL, in->code, &out->user);
}

int
idn_verify_phone(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyPhoneRequest *in,
		 Kolo__Identity__V1__VerifyPhoneResponse *out)
{
	return idn_verify_code(ctx, IDN_CODE_PHONE, in->code, &out->user);
}

/* --- SetPhone, RemovePhone
 * ------------------------------------------------------------------- */

typedef struct idn_set_phone_tx {
	mem_arena *arena;
	const char *user_id;
	const char *phone; /* NULL: clear */
	idn_client client;
	idn_send_verdict verdict;
	int retry_after_s;
} idn_set_phone_tx;

/* A new number is stored unverified and sent a code, within the code send
 * limits (nothing changes past them); the number already verified is left
 * as it is. */
static int
idn_set_phone_body(db_conn *c, void *arg)
{
	idn_set_phone_tx *t = arg;
	char *current = NULL;
	int verified = 0, sent = 0;
	int rc = idn_store_lock_user(&current, &verified, t->arena, c, t->user_id, IDN_CODE_PHONE);

	if (rc < 0 || (verified && strcmp(current, t->phone) == 0))
		return rc;
	rc = idn_code_may_send(c, t->arena, t->user_id, IDN_CODE_PHONE, &t->verdict,
			       &t->retry_after_s);
	if (rc < 0 || t->verdict != IDN_SEND_OK)
		return rc;
	/* A number, whoever names it, gets the day's cap of codes at most:
	 * many new accounts cannot flood someone's phone at our cost. */
	if ((rc = idn_store_codes_to_address(&sent, c, IDN_CODE_PHONE, t->phone, idn_now_us())) < 0)
		return rc;
	if (sent >= IDN_CODE_DAY_CAP) {
		t->verdict = IDN_SEND_DAY_CAP;
		t->retry_after_s = 3600;
		return 0;
	}
	if ((rc = idn_store_set_phone(c, t->user_id, t->phone)) < 0 ||
	    (rc = idn_code_issue(c, t->arena, t->user_id, IDN_CODE_PHONE, t->phone, NULL)) < 0)
		return rc;
	return idn_store_log(c, t->user_id, "phone_set", t->client.ip, t->client.device);
}

static int
idn_remove_phone_body(db_conn *c, void *arg)
{
	idn_set_phone_tx *t = arg;
	int rc = idn_store_set_phone(c, t->user_id, NULL);

	if (rc < 0)
		return rc;
	return idn_store_log(c, t->user_id, "phone_removed", t->client.ip, t->client.device);
}

/* Runs body for the caller, then their User message into *out. */
static int
idn_phone_change(rpc_ctx *ctx, idn_set_phone_tx *t, db_tx_fn body, Kolo__Identity__V1__User **out)
{
	idn_user user;
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	idn_client_of(&t->client, ctx);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), body, t);
	if (rc == 0)
		rc = idn_send_limited(t->verdict, t->retry_after_s);
	if (rc == 0)
		rc = idn_store_user_by_id(&user, t->arena, c, t->user_id);
	if (rc < 0)
		return rc;
	*out = idn_user_message(ctx, &user, 1);
	return *out ? 0 : err_oom();
}

int
idn_set_phone(rpc_ctx *ctx, const Kolo__Identity__V1__SetPhoneRequest *in,
	      Kolo__Identity__V1__SetPhoneResponse *out)
{
	idn_set_phone_tx t = {.arena = rpc_ctx_arena(ctx), .user_id = rpc_ctx_user_id(ctx)};
	char *phone = NULL;
	/* "" is no number (RemovePhone clears it). */
	int rc = idn_normalize_phone(&phone, t.arena, in->phone);

	if (rc < 0)
		return rc;
	t.phone = phone;
	return idn_phone_change(ctx, &t, idn_set_phone_body, &out->user);
}

int
idn_remove_phone(rpc_ctx *ctx, const Kolo__Identity__V1__RemovePhoneRequest *in,
		 Kolo__Identity__V1__RemovePhoneResponse *out)
{
	idn_set_phone_tx t = {.arena = rpc_ctx_arena(ctx), .user_id = rpc_ctx_user_id(ctx)};

	return idn_phone_change(ctx, &t, idn_remove_phone_body, &out->user);
}

/* --- GetUserContacts
 * -------------------------------------------------------------- */

static int
idn_contacts_check(char *const *ids, size_t n)
{
	if (n > IDN_CONTACTS_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "too_many_user_ids",
			       "at most %d user_ids in one call", IDN_CONTACTS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!text_is_uuid(ids[i]))
			return err_invalid_id("user_ids");
	}
	return 0;
}

static Kolo__Identity__V1__UserContact *
idn_contact_message(mem_arena *a, const idn_contact *ct)
{
	Kolo__Identity__V1__UserContact *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__identity__v1__user_contact__init(m);
	m->user_id = ct->user_id;
	m->name = ct->name;
	m->email = ct->email;
	m->email_verified = ct->email_verified;
	m->phone = ct->phone;
	return m;
}

int
idn_get_user_contacts(rpc_ctx *ctx, const Kolo__Identity__V1__GetUserContactsRequest *in,
		      Kolo__Identity__V1__GetUserContactsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	idn_contact *rows = NULL;
	db_conn *c = NULL;
	int n = 0;
	int rc = idn_contacts_check(in->user_ids, in->n_user_ids);

	if (rc < 0 || in->n_user_ids == 0)
		return rc;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_contacts(&rows, &n, a, c, in->user_ids, in->n_user_ids);
	if (rc < 0)
		return rc;
	out->contacts = mem_arena_alloc(a, sizeof(*out->contacts) * (size_t)(n + 1));
	if (!out->contacts)
		return err_oom();
	for (int i = 0; i < n; i++) {
		out->contacts[i] = idn_contact_message(a, &rows[i]);
		if (!out->contacts[i])
			return err_oom();
	}
	out->n_contacts = (size_t)n;
	return 0;
}
