/* e2e: HTTP calls to the running suite (KOLO_E2E_URL) with libcurl. */
#ifndef KOLO_E2E_H
#define KOLO_E2E_H

#include <jansson.h>

typedef struct e2e_reply {
	long status;
	char *body;	/* NUL-terminated, malloc'd */
	size_t body_len;
	json_t *json;	/* parsed body when it is JSON, else NULL */
	char request_id[96];
	char retry_after[16];
	char content_type[96];
} e2e_reply;

typedef struct e2e_opts {
	const char *token;	/* Authorization: Bearer ... */
	const char *header;	/* one extra raw header line */
	const char *body;	/* request body (NULL: none) */
	size_t body_len;	/* 0: strlen(body) */
} e2e_opts;

/* Sends method path to the suite and fills r (free with e2e_reply_free);
 * fails the test if the request cannot be made. */
void e2e_http(e2e_reply *r, const char *method, const char *path,
	      const e2e_opts *opts);
void e2e_reply_free(e2e_reply *r);

/* The reply's error code ("" when there is none). */
const char *e2e_error_code(const e2e_reply *r);

/* A JSON string member of the reply ("" when absent). */
const char *e2e_str(const e2e_reply *r, const char *key);

#endif
