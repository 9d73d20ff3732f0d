/* Accounts and sessions: Register, Login, Refresh, Logout, GetMe, GetUser,
 * FindUserByEmail, ListSessions, RevokeSession, ListActivity. */
#include "handlers.h"

#include <string.h>

#include "identity.h"
#include "page/page.h"
#include "text/text.h"

/* A new session: the refresh token (returned once) and its row id. */
typedef struct idn_session_grant {
	char token[IDN_TOKEN_TEXT];
	char hash[IDN_TOKEN_HASH_TEXT];
	char *id;
} idn_session_grant;

/* Inserts a session for user_id and logs event; runs inside a
 * transaction. */
static int
idn_open_session(db_conn *c, mem_arena *a, const char *user_id, const idn_client *client,
		 const char *event, idn_session_grant *grant)
{
	int64_t now = idn_now_us();
	int rc = idn_store_insert_refresh(&grant->id, a, c, user_id, grant->hash, client->device,
					  client->ip, now,
					  now + IDN_US(idn_current()->refresh_ttl_s));

	if (rc < 0)
		return rc;
	return idn_store_log(c, user_id, event, client->ip, client->device);
}

/* Fills the token fields shared by Register, Login and Refresh. */
static int
idn_token_pair(rpc_ctx *ctx, const char *user_id, idn_session_grant *grant, char **access,
	       char **refresh, char **type, int32_t *expires_in)
{
	int rc = idn_issue_access(access, rpc_ctx_arena(ctx), user_id, grant->id,
				  idn_now_us() / 1000000);

	if (rc < 0)
		return rc;
	*refresh = mem_arena_strdup(rpc_ctx_arena(ctx), grant->token);
	*type = "Bearer";
	*expires_in = (int32_t)idn_current()->access_ttl_s;
	sodium_memzero(grant->token, sizeof(grant->token));
	return *refresh ? 0 : err_oom();
}

/* --- Register ------------------------------------------------------------ */

typedef struct idn_register_tx {
	mem_arena *arena;
	const char *email, *hash, *name;
	idn_client client;
	idn_user user;
	idn_session_grant grant;
	rpc_ctx *ctx;
	idem_key key;
	Kolo__Identity__V1__RegisterResponse *out;
} idn_register_tx;

static int
idn_register_change(db_conn *c, idn_register_tx *t)
{
	int rc = idn_store_insert_user(&t->user, t->arena, c, t->email, t->hash, t->name);

	if (rc == 0)
		rc = idn_open_session(c, t->arena, t->user.id, &t->client, "register", &t->grant);
	/* The code that proves the address is the user's (DESIGN §16). */
	if (rc == 0)
		rc = idn_code_issue(c, t->arena, t->user.id, IDN_CODE_EMAIL, t->email, NULL);
	return rc;
}

/* The user and its reply, stored under the call's key (if any) without
 * the tokens (idem_db_tx). */
static int
idn_register_body(db_conn *c, void *arg)
{
	idn_register_tx *t = arg;
	int rc = idn_register_change(c, t);

	if (rc == 0) {
		t->out->user = idn_user_message(t->ctx, &t->user, 1);
		rc = t->out->user ? 0 : err_oom();
	}
	return rc;
}

/* A key already answered reads the user it made. */
static int
idn_register_replayed(db_conn *c, void *arg)
{
	idn_register_tx *t = arg;

	return t->out->user ? idn_store_user_by_id(&t->user, t->arena, c, t->out->user->id)
			    : err_set(ERR_INTERNAL, NULL, "stored reply has no user");
}

/* A replayed Register answers as Login does, under Login's guards (the
 * account's attempt limit, login_failed, the email code): the same user,
 * a new session, for the right password only. The first call's tokens are
 * never stored, and the key's hash leaves the password out, so without
 * the guards a key's holder could guess passwords for a day. */
static int
idn_register_replay(rpc_ctx *ctx, const Kolo__Identity__V1__RegisterRequest *in,
		    Kolo__Identity__V1__RegisterResponse *out)
{
	Kolo__Identity__V1__LoginRequest login = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Kolo__Identity__V1__LoginResponse got = KOLO__IDENTITY__V1__LOGIN_RESPONSE__INIT;
	int rc;

	login.email = in->email;
	login.password = in->password;
	rc = idn_login(ctx, &login, &got);
	if (rc < 0)
		return rc;
	out->access_token = got.access_token;
	out->refresh_token = got.refresh_token;
	out->token_type = got.token_type;
	out->expires_in = got.expires_in;
	return 0;
}

static const char *const idn_register_omit[] = {"password", NULL};

int
idn_register(rpc_ctx *ctx, const Kolo__Identity__V1__RegisterRequest *in,
	     Kolo__Identity__V1__RegisterResponse *out)
{
	idn_register_tx t = {.arena = rpc_ctx_arena(ctx), .ctx = ctx, .out = out};
	idem_tx it = {.key = &t.key,
		      .arena = t.arena,
		      .resp = &out->base,
		      .body = idn_register_body,
		      .replay = idn_register_replayed,
		      .arg = &t};
	idn_guards guards = {.client = &t.client};
	char hash[IDN_SECRET_HASH_MAX];
	db_conn *c = NULL;
	int rc;

	idn_client_of(&t.client, ctx);
	idn_guard_add(&guards, IDN_LIMIT_REGISTER_ADDR, t.client.addr, NULL);
	rc = idem_prepare(&t.key, ctx, IDEM_IDENTITY, &in->base, idn_register_omit);
	if (rc == 0)
		rc = idn_normalize_email((char **)&t.email, t.arena, in->email);
	if (rc == 0)
		rc = idn_check_password(in->password);
	if (rc == 0)
		rc = idn_normalize_name((char **)&t.name, t.arena, in->name);
	if (rc == 0)
		rc = db_thread_conn(&c);
	/* Every sign-up counts (each costs a hash); bad input costs none. */
	if (rc == 0)
		rc = idn_guards_take(ctx, c, &guards);
	if (rc == 0)
		rc = idn_hash_secret(hash, in->password);
	t.hash = hash;
	idn_new_token(t.grant.token, t.grant.hash);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc == 0 && it.replayed) {
		sodium_memzero(t.grant.token, sizeof(t.grant.token));
		rc = idn_register_replay(ctx, in, out);
	}
	idn_wipe(in->password);
	if (rc < 0 || it.replayed)
		return rc;
	return idn_token_pair(ctx, t.user.id, &t.grant, &out->access_token, &out->refresh_token,
			      &out->token_type, &out->expires_in);
}

/* --- Login ---------------------------------------------------------------- */

typedef struct idn_login_tx {
	mem_arena *arena;
	const char *user_id;
	int email_verified;
	idn_client client;
	idn_guards guards;
	idn_session_grant grant;
	int email_code_sent;
} idn_login_tx;

static int
idn_login_body(db_conn *c, void *arg)
{
	idn_login_tx *t = arg;
	int rc = idn_guards_settle(c, &t->guards);

	if (rc == 0)
		rc = idn_open_session(c, t->arena, t->user_id, &t->client, "login", &t->grant);
	/* An unverified address (users older than email codes too) gets a
	 * code, unless one waits or the send limits say no. */
	if (rc == 0 && !t->email_verified)
		rc = idn_email_code_on_login(c, t->arena, t->user_id, &t->email_code_sent);
	return rc;
}

static int
idn_bad_credentials(void)
{
	return err_set(ERR_UNAUTHENTICATED, "invalid_credentials", "email or password is wrong");
}

int
idn_login(rpc_ctx *ctx, const Kolo__Identity__V1__LoginRequest *in,
	  Kolo__Identity__V1__LoginResponse *out)
{
	idn_login_tx t = {.arena = rpc_ctx_arena(ctx)};
	idn_user user = {.id = NULL};
	char *email = NULL;
	db_conn *c = NULL;
	int rc, match, known;

	rc = idn_normalize_email(&email, t.arena, in->email);
	if (rc == 0 && !in->password[0])
		rc = err_set(ERR_INVALID_ARGUMENT, "missing_password", "password is required");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_user_by_email(&user, t.arena, c, email);
	known = rc == 0;
	if (rc == ERR_NOT_FOUND)
		rc = 0;
	/* Charged before the hash, for an unknown email too (so a refusal
	 * tells nothing about who has an account). */
	idn_client_of(&t.client, ctx);
	t.guards.client = &t.client;
	idn_guard_add(&t.guards, IDN_LIMIT_LOGIN_ACCOUNT, email, user.id);
	idn_guard_add(&t.guards, IDN_LIMIT_LOGIN_ADDR, t.client.addr, NULL);
	if (rc == 0)
		rc = idn_guards_take(ctx, c, &t.guards);
	if (rc == 0 && !known) {
		idn_burn_time(in->password);
		rc = idn_bad_credentials();
	}
	if (rc < 0) {
		idn_wipe(in->password);
		return rc;
	}
	match = idn_verify_secret(user.password_hash, in->password);
	idn_wipe(in->password);
	if (!match) {
		rc = idn_store_log(c, user.id, "login_failed", t.client.ip, t.client.device);
		return rc < 0 ? rc : idn_bad_credentials();
	}
	t.user_id = user.id;
	t.email_verified = user.email_verified;
	idn_new_token(t.grant.token, t.grant.hash);
	rc = db_tx(c, svc_tx_timeout(ctx), idn_login_body, &t);
	if (rc < 0)
		return rc;
	out->email_code_sent = t.email_code_sent;
	out->user = idn_user_message(ctx, &user, 1);
	if (!out->user)
		return err_oom();
	return idn_token_pair(ctx, user.id, &t.grant, &out->access_token, &out->refresh_token,
			      &out->token_type, &out->expires_in);
}

/* --- Refresh ------------------------------------------------------------- */

typedef enum {
	IDN_REFRESH_ROTATED,
	IDN_REFRESH_EXPIRED,
	IDN_REFRESH_RACE,  /* rotated moments ago: a concurrent refresh won */
	IDN_REFRESH_REUSE, /* a revoked token presented again: theft */
} idn_refresh_outcome;

typedef struct idn_refresh_tx {
	mem_arena *arena;
	char presented_hash[IDN_TOKEN_HASH_TEXT];
	idn_client client;
	idn_refresh_row old;
	idn_guards guards;
	idn_session_grant grant;
	idn_refresh_outcome outcome;
} idn_refresh_tx;

/* A revoked token presented again: a race of the same client when it was
 * rotated within the grace period, theft otherwise (DESIGN §4). */
static int
idn_refresh_revoked(db_conn *c, idn_refresh_tx *t)
{
	int revoked = 0, rc;

	if (t->old.replaced && t->old.revoked_age_us <= IDN_US(idn_current()->reuse_grace_s)) {
		t->outcome = IDN_REFRESH_RACE;
		return 0;
	}
	t->outcome = IDN_REFRESH_REUSE;
	rc = idn_store_revoke_all(&revoked, c, t->old.user_id);
	if (rc == 0)
		rc = idn_store_end_sessions_of(c, t->old.user_id, idn_now_us(),
					       idn_session_window_us());
	if (rc < 0)
		return rc;
	return idn_store_log(c, t->old.user_id, "refresh_token_reuse", t->client.ip,
			     t->client.device);
}

static int
idn_refresh_body(db_conn *c, void *arg)
{
	idn_refresh_tx *t = arg;
	int rc = idn_store_lock_refresh(&t->old, t->arena, c, t->presented_hash, idn_now_us());

	if (rc < 0)
		return rc;
	if (t->old.revoked)
		return idn_refresh_revoked(c, t);
	if (t->old.expired) {
		t->outcome = IDN_REFRESH_EXPIRED;
		return 0;
	}
	t->outcome = IDN_REFRESH_ROTATED;
	rc = idn_guards_settle(c, &t->guards);
	if (rc == 0)
		rc = idn_open_session(c, t->arena, t->old.user_id, &t->client, "refresh",
				      &t->grant);
	if (rc < 0)
		return rc;
	return idn_store_replace_refresh(c, t->old.id, t->grant.id);
}

static int
idn_refresh_refused(idn_refresh_outcome outcome)
{
	switch (outcome) {
	case IDN_REFRESH_EXPIRED:
		return err_set(ERR_UNAUTHENTICATED, "refresh_token_expired",
			       "the refresh token has expired: log in again");
	case IDN_REFRESH_RACE:
		return err_set(ERR_UNAUTHENTICATED, "refresh_token_rotated",
			       "the refresh token was just used");
	case IDN_REFRESH_REUSE:
		return err_set(ERR_UNAUTHENTICATED, "refresh_token_reused",
			       "the refresh token was used before: every session "
			       "is signed out");
	default:
		return 0;
	}
}

/* An unknown refresh token (also: one that is not ours at all). */
static int
idn_unknown_refresh(int rc)
{
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_UNAUTHENTICATED, "invalid_refresh_token",
			       "the refresh token is not valid");
	return rc;
}

int
idn_refresh(rpc_ctx *ctx, const Kolo__Identity__V1__RefreshRequest *in,
	    Kolo__Identity__V1__RefreshResponse *out)
{
	idn_refresh_tx t = {.arena = rpc_ctx_arena(ctx)};
	db_conn *c = NULL;
	int rc;

	if (!in->refresh_token[0])
		return err_set(ERR_INVALID_ARGUMENT, "missing_refresh_token",
			       "refresh_token is required");
	idn_token_hash(t.presented_hash, in->refresh_token);
	idn_wipe(in->refresh_token);
	idn_client_of(&t.client, ctx);
	t.guards.client = &t.client;
	idn_guard_add(&t.guards, IDN_LIMIT_REFRESH_ADDR, t.client.addr, NULL);
	idn_new_token(t.grant.token, t.grant.hash);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_guards_take(ctx, c, &t.guards);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_refresh_body, &t);
	if (rc < 0)
		return idn_unknown_refresh(rc);
	if (t.outcome != IDN_REFRESH_ROTATED)
		return idn_refresh_refused(t.outcome);
	return idn_token_pair(ctx, t.old.user_id, &t.grant, &out->access_token, &out->refresh_token,
			      &out->token_type, &out->expires_in);
}

/* --- Logout ---------------------------------------------------------------- */

typedef struct idn_logout_tx {
	mem_arena *arena;
	char presented_hash[IDN_TOKEN_HASH_TEXT];
	int all_devices;
	idn_client client;
	int revoked;
} idn_logout_tx;

static int
idn_logout_body(db_conn *c, void *arg)
{
	idn_logout_tx *t = arg;
	idn_refresh_row token;
	int rc = idn_store_lock_refresh(&token, t->arena, c, t->presented_hash, idn_now_us());

	if (rc < 0)
		return rc;
	t->revoked = 0;
	if (t->all_devices)
		rc = idn_store_revoke_all(&t->revoked, c, token.user_id);
	else if (!token.revoked)
		rc = idn_store_revoke_refresh(&t->revoked, c, token.id, token.user_id);
	if (rc == 0 && t->all_devices)
		rc = idn_store_end_sessions_of(c, token.user_id, idn_now_us(),
					       idn_session_window_us());
	else if (rc == 0 && t->revoked)
		rc = idn_store_end_session(c, token.id, token.user_id, idn_now_us(),
					   idn_session_window_us());
	if (rc < 0)
		return rc;
	return idn_store_log(c, token.user_id, "logout", t->client.ip, t->client.device);
}

int
idn_logout(rpc_ctx *ctx, const Kolo__Identity__V1__LogoutRequest *in,
	   Kolo__Identity__V1__LogoutResponse *out)
{
	idn_logout_tx t = {.arena = rpc_ctx_arena(ctx), .all_devices = in->all_devices};
	db_conn *c = NULL;
	int rc;

	if (!in->refresh_token[0])
		return err_set(ERR_INVALID_ARGUMENT, "missing_refresh_token",
			       "refresh_token is required");
	idn_token_hash(t.presented_hash, in->refresh_token);
	idn_wipe(in->refresh_token);
	idn_client_of(&t.client, ctx);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_logout_body, &t);
	if (rc < 0)
		return idn_unknown_refresh(rc);
	out->sessions_revoked = t.revoked;
	return 0;
}

/* --- Users ----------------------------------------------------------------- */

static int
idn_reply_user(rpc_ctx *ctx, const char *id, const char *email, int own,
	       Kolo__Identity__V1__User **out)
{
	idn_user user;
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0 && id)
		rc = idn_store_user_by_id(&user, rpc_ctx_arena(ctx), c, id);
	else if (rc == 0)
		rc = idn_store_user_by_email(&user, rpc_ctx_arena(ctx), c, email);
	if (rc < 0)
		return rc;
	*out = idn_user_message(ctx, &user, own);
	return *out ? 0 : err_oom();
}

int
idn_get_me(rpc_ctx *ctx, const Kolo__Identity__V1__GetMeRequest *in,
	   Kolo__Identity__V1__GetMeResponse *out)
{
	return idn_reply_user(ctx, rpc_ctx_user_id(ctx), NULL, 1, &out->user);
}

int
idn_get_user(rpc_ctx *ctx, const Kolo__Identity__V1__GetUserRequest *in,
	     Kolo__Identity__V1__GetUserResponse *out)
{
	idn_user user;
	db_conn *c = NULL;
	int rc = text_is_uuid(in->user_id) ? db_thread_conn(&c) : err_invalid_id("user_id");

	if (rc == 0)
		rc = idn_store_user_by_id(&user, rpc_ctx_arena(ctx), c, in->user_id);
	if (rc < 0)
		return rc;
	out->user = idn_user_message(ctx, &user, 0);
	if (!out->user)
		return err_oom();
	/* Internal callers only (RPC_AUTH_INTERNAL; groups holds payer
	 * accounts to it); no reply to a user carries it. */
	out->user->kyc_name = user.kyc_name;
	return 0;
}

int
idn_find_user_by_email(rpc_ctx *ctx, const Kolo__Identity__V1__FindUserByEmailRequest *in,
		       Kolo__Identity__V1__FindUserByEmailResponse *out)
{
	char *email = NULL;
	int rc = idn_normalize_email(&email, rpc_ctx_arena(ctx), in->email);

	if (rc < 0)
		return rc;
	return idn_reply_user(ctx, NULL, email, 0, &out->user);
}

/* --- Sessions -------------------------------------------------------------- */

/* A session as a message in the arena (current: the caller's own); NULL
 * when the arena is full. */
static Kolo__Identity__V1__Session *
idn_session_message(mem_arena *a, const idn_session *r, const char *current_sid)
{
	Kolo__Identity__V1__Session *s = mem_arena_alloc(a, sizeof(*s));

	if (!s)
		return NULL;
	kolo__identity__v1__session__init(s);
	s->id = r->id;
	s->device_info = r->device_info;
	s->ip_address = r->ip_address;
	s->created_at = r->created_at;
	s->expires_at = r->expires_at;
	s->current = strcmp(r->id, current_sid) == 0;
	return s;
}

int
idn_list_sessions(rpc_ctx *ctx, const Kolo__Identity__V1__ListSessionsRequest *in,
		  Kolo__Identity__V1__ListSessionsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	const auth_claims *claims = rpc_ctx_claims(ctx);
	page_request page;
	idn_session *rows = NULL;
	int n = 0, rc;
	db_conn *c = NULL;

	rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_sessions(&rows, &n, a, c, claims->sub, idn_now_us(), &page);
	if (rc < 0)
		return rc;
	out->sessions = page_items(&out->n_sessions, a, &page, n, sizeof(*out->sessions));
	if (!out->sessions)
		return err_oom();
	for (size_t i = 0; i < out->n_sessions; i++) {
		out->sessions[i] = idn_session_message(a, &rows[i], claims->sid);
		if (!out->sessions[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(idn_session, page_key, id));
}

typedef struct idn_revoke_tx {
	const char *session_id, *user_id;
	idn_client client;
	int revoked;
} idn_revoke_tx;

static int
idn_revoke_body(db_conn *c, void *arg)
{
	idn_revoke_tx *t = arg;
	int rc = idn_store_revoke_refresh(&t->revoked, c, t->session_id, t->user_id);

	if (rc < 0 || t->revoked == 0)
		return rc;
	rc = idn_store_end_session(c, t->session_id, t->user_id, idn_now_us(),
				   idn_session_window_us());
	if (rc < 0)
		return rc;
	return idn_store_log(c, t->user_id, "session_revoked", t->client.ip, t->client.device);
}

int
idn_revoke_session(rpc_ctx *ctx, const Kolo__Identity__V1__RevokeSessionRequest *in,
		   Kolo__Identity__V1__RevokeSessionResponse *out)
{
	idn_revoke_tx t = {.session_id = in->session_id, .user_id = rpc_ctx_user_id(ctx)};
	db_conn *c = NULL;
	int rc;

	if (!text_is_uuid(in->session_id))
		return err_invalid_id("session_id");
	idn_client_of(&t.client, ctx);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), idn_revoke_body, &t);
	if (rc == 0 && t.revoked == 0)
		rc = err_set(ERR_NOT_FOUND, "session_not_found", "no such live session of yours");
	return rc;
}

/* An account event as a message in the arena; NULL when the arena is full. */
static Kolo__Identity__V1__ActivityEvent *
idn_event_message(mem_arena *a, const idn_event *r)
{
	Kolo__Identity__V1__ActivityEvent *e = mem_arena_alloc(a, sizeof(*e));

	if (!e)
		return NULL;
	kolo__identity__v1__activity_event__init(e);
	e->id = r->id;
	e->event = r->event;
	e->ip_address = r->ip_address;
	e->device_info = r->device_info;
	e->created_at = r->created_at;
	return e;
}

int
idn_list_activity(rpc_ctx *ctx, const Kolo__Identity__V1__ListActivityRequest *in,
		  Kolo__Identity__V1__ListActivityResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	idn_event *rows = NULL;
	int n = 0, rc;
	db_conn *c = NULL;

	rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_events(&rows, &n, a, c, rpc_ctx_user_id(ctx), &page);
	if (rc < 0)
		return rc;
	out->events = page_items(&out->n_events, a, &page, n, sizeof(*out->events));
	if (!out->events)
		return err_oom();
	for (size_t i = 0; i < out->n_events; i++) {
		out->events[i] = idn_event_message(a, &rows[i]);
		if (!out->events[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(idn_event, page_key, id));
}
