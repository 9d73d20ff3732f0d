/* e2e: HTTP calls to the running suite (KOLO_E2E_URL) with libcurl. */
#ifndef KOLO_E2E_H
#define KOLO_E2E_H

#include <jansson.h>
#include <libpq-fe.h>

typedef struct e2e_reply {
	long status;
	char *body; /* NUL-terminated, malloc'd */
	size_t body_len;
	json_t *json; /* parsed body when it is JSON, else NULL */
	char request_id[160];
	char retry_after[16];
	char content_type[96];
	char csp[512];		   /* Content-Security-Policy */
	char replayed[8];	   /* Idempotent-Replayed */
	char headers[8192];	   /* every header line as received (cut to fit) */
	char www_authenticate[64]; /* WWW-Authenticate */
} e2e_reply;

typedef struct e2e_opts {
	const char *token;   /* Authorization: Bearer ... */
	const char *header;  /* one extra raw header line */
	const char *header2; /* and another */
	const char *header3; /* and a third */
	const char *body;    /* request body (NULL: none) */
	size_t body_len;     /* 0: strlen(body) */
} e2e_opts;

/* The cmocka group set-up every program shares: checks KOLO_E2E_URL
 * (run_e2e.sh sets it) and starts libcurl. 0, or -1 with a line on stderr. */
int e2e_setup(void **state);
/* e2e_setup, then a connection to the suite's database (KOLO_E2E_DB) for
 * e2e_db(). */
int e2e_setup_db(void **state);
/* Ends what e2e_setup or e2e_setup_db started. */
int e2e_teardown(void **state);
/* The suite's database (after e2e_setup_db), to look at stored rows. */
PGconn *e2e_db(void);

/* Sends method path to the suite and fills r (free with e2e_reply_free);
 * fails the test if the request cannot be made. */
void e2e_http(e2e_reply *r, const char *method, const char *path, const e2e_opts *opts);
void e2e_reply_free(e2e_reply *r);

/* The reply's error code ("" when there is none). */
const char *e2e_error_code(const e2e_reply *r);

/* The value of the reply's header name (any case) in out (cap bytes);
 * NULL when the reply has no such header. */
const char *e2e_header(const e2e_reply *r, const char *name, char *out, size_t cap);

/* A JSON string member of the reply ("" when absent). */
const char *e2e_str(const e2e_reply *r, const char *key);

/* A registered user of the running suite. */
typedef struct e2e_user {
	char id[64];
	char email[96];
	char access[2048];
	char refresh[96];
} e2e_user;

#define E2E_PASSWORD "e2e password 123"

/* Registers "<tag>-<pid>-<n>@example.com" (201 expected), keeps its
 * tokens and verifies its email as its owner would (e2e_verify_email);
 * fails the test otherwise. */
void e2e_register(e2e_user *u, const char *tag);

/* The same without verifying the email. */
void e2e_register_unverified(e2e_user *u, const char *tag);

/* e2e_register with the display name name (written into the JSON body as
 * it is: escape what JSON needs) instead of "E2E <tag>". */
void e2e_register_named(e2e_user *u, const char *tag, const char *name);

/* The newest email code sent to email, read from the mail files kolo-events
 * writes without KOLO_SMTP_URL (KOLO_MAIL_DIR/<unix_ms>-<event id>-<n>.eml:
 * a To: header with the address, "Your code: NNNNNN" in the text); waits
 * up to 15 s for one (other than not_this, when not NULL) to appear. */
void e2e_mail_code(char code[8], const char *email, const char *not_this);

/* POST /v1/me/email/verify with the code mailed to u (200 expected). */
void e2e_verify_email(const e2e_user *u);

/* The wall clock in Unix ms (mail dir file names start with it). */
long long e2e_now_ms(void);

/* The newest SMS code sent to phone (E.164) at since_ms or later, from
 * KOLO_MAIL_DIR's .sms files ("To: <phone>" first, "Your code: NNNNNN" in
 * the text; other tests may use the same number); waits up to 15 s. */
void e2e_sms_code(char code[8], const char *phone, long long since_ms);

/* POST /v1/me/phone/verify with the code sent by SMS to phone by the PUT
 * /v1/me/phone made at since_ms (e2e_now_ms() before it) or later (200,
 * phone_verified expected). */
void e2e_verify_phone(const e2e_user *u, const char *phone, long long since_ms);

/* Creates a group named name owned by owner (201 expected); its id is
 * written to id (64 bytes). */
void e2e_group(char *id, const e2e_user *owner, const char *name);

/* by adds who to group gid with role ("MEMBER", "TREASURER"; 201
 * expected, not a proposal). */
void e2e_add_member(const char *gid, const e2e_user *by, const e2e_user *who, const char *role);

/* Sets u's first PIN (201 expected). */
void e2e_set_pin(const e2e_user *u, const char *pin);

/* Today in West Africa Time (UTC+1), moved back months (the day clamped to
 * the month's last, as a monthly dues falls) and then on days, as
 * "YYYY-MM-DD". */
void e2e_wat_day(char out[11], int months, int days);

/* Polls GET /v1/proposals/{id} as `as` until its status is `status`
 * (the suite's time-lock is a couple of seconds, run_e2e.sh); fails the
 * test after 15 s. */
void e2e_wait_proposal(const char *id, const e2e_user *as, const char *status);

/* Keeps the access and refresh tokens of a reply that carries them. */
void e2e_keep_tokens(e2e_user *u, const e2e_reply *r);

/* Sends and checks: the status and the error code ("" for success) must
 * be as expected, else the test fails showing the body. The reply is
 * returned in r when r is not NULL (free it), else freed. */
void e2e_expect(e2e_reply *r, const char *method, const char *path, const e2e_opts *o, long status,
		const char *code);

#endif
