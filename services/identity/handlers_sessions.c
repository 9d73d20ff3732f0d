/* Ended sessions: ListSessionRevocations (for the other services' caches)
 * and identity's own check of its RPC_AUTH_LIVE methods. */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>

#include "config/cfg.h"
#include "text/text.h"

#define IDN_REVOCATIONS_PAGE_MAX 1000

int
idn_session_check(const auth_claims *claims)
{
	db_conn *c = NULL;
	int ended = 0;
	int rc;

	if (!text_is_uuid(claims->sid))
		return err_set(ERR_UNAUTHENTICATED, "invalid_token",
			       "the access token names no valid session");
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_session_ended(&ended, c, claims->sid);
	if (rc < 0)
		return rc;
	if (ended)
		return err_set(ERR_UNAUTHENTICATED, "session_revoked",
			       "this session has ended: sign in again");
	return 0;
}

/* "" is the start; else a next_cursor we gave: a decimal seq. */
static int
idn_parse_cursor(const char *text, int64_t *out)
{
	*out = 0;
	if (!text[0])
		return 0;
	if (cfg_parse_int(out, text, 0, INT64_MAX) < 0)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_cursor",
			       "cursor must be a next_cursor of an earlier reply");
	return 0;
}

static int
idn_revocations_reply(rpc_ctx *ctx, const idn_revocation *rows, int n, int limit, int64_t head,
		      Kolo__Identity__V1__ListSessionRevocationsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	int64_t next = head;

	out->more = n > limit;
	out->n_revocations = (size_t)(out->more ? limit : n);
	out->revocations = mem_arena_alloc(a, sizeof(*out->revocations) * (out->n_revocations + 1));
	if (!out->revocations)
		return err_oom();
	for (size_t i = 0; i < out->n_revocations; i++) {
		Kolo__Identity__V1__SessionRevocation *r = mem_arena_alloc(a, sizeof(*r));

		if (!r)
			return err_oom();
		kolo__identity__v1__session_revocation__init(r);
		r->session_id = rows[i].session_id;
		r->valid_until = rows[i].valid_until;
		out->revocations[i] = r;
	}
	/* More: resume after the last one sent. Else the reader has seen
	 * everything up to the head (seqs are committed in order). */
	if (out->more)
		next = rows[limit - 1].seq;
	out->next_cursor = mem_arena_printf(a, "%" PRId64, next);
	return out->next_cursor ? 0 : err_oom();
}

int
idn_list_session_revocations(rpc_ctx *ctx,
			     const Kolo__Identity__V1__ListSessionRevocationsRequest *in,
			     Kolo__Identity__V1__ListSessionRevocationsResponse *out)
{
	int limit = in->page_size ? in->page_size : IDN_REVOCATIONS_PAGE_MAX;
	idn_revocation *rows = NULL;
	int64_t after = 0, head = 0;
	int n = 0, rc;
	db_conn *c = NULL;

	if (limit < 1 || limit > IDN_REVOCATIONS_PAGE_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_page_size",
			       "page_size must be 1 to %d", IDN_REVOCATIONS_PAGE_MAX);
	rc = idn_parse_cursor(in->cursor, &after);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idn_store_revocations(&rows, &n, &head, rpc_ctx_arena(ctx), c, after,
					   idn_now_us(), limit);
	if (rc < 0)
		return rc;
	return idn_revocations_reply(ctx, rows, n, limit, head, out);
}
