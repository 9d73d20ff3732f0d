/* HTTP replies: JSON bodies, errors, and the gRPC -> HTTP status map. */
#include "gw.h"

#include <stdlib.h>
#include <string.h>

#include "text/text.h"

int
gw_http_status(err_code code)
{
	switch (code) {
	case ERR_OK:
		return 200;
	case ERR_INVALID_ARGUMENT:
	case ERR_OUT_OF_RANGE:
		return 400;
	case ERR_UNAUTHENTICATED:
		return 401;
	case ERR_PERMISSION_DENIED:
		return 403;
	case ERR_NOT_FOUND:
		return 404;
	case ERR_ALREADY_EXISTS:
	case ERR_ABORTED:
		return 409;
	case ERR_FAILED_PRECONDITION:
		return 422;
	case ERR_RESOURCE_EXHAUSTED:
		return 429;
	case ERR_UNIMPLEMENTED:
		return 501;
	case ERR_UNAVAILABLE:
	case ERR_DEADLINE_EXCEEDED:
		return 503;
	default:
		return 500;
	}
}

void
gw_reply_json(gw_response *resp, int status, json_t *body)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	json_decref(body);
	if (body && !resp->body) {
		resp->status = 500;
		resp->body = strdup("{\"error\":{\"code\":\"internal\","
				    "\"message\":\"reply could not be encoded\"}}");
		resp->body_len = resp->body ? strlen(resp->body) : 0;
	}
}

void
gw_reply_error(gw_response *resp, int status, const char *reason, const char *message)
{
	char code[ERR_REASON_MAX], text[ERR_MESSAGE_MAX];
	json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", reason, "message", message);

	if (!body) {
		/* Not UTF-8 (a message from upstream, cut short?): send it
		 * with the bad bytes replaced rather than no body at all. */
		text_sanitize_into(code, sizeof(code), reason);
		text_sanitize_into(text, sizeof(text), message);
		body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", text);
	}
	gw_reply_json(resp, status, body);
}

void
gw_reply_err_last(gw_response *resp)
{
	const err_info *e = err_last();
	err_code code = e->code ? e->code : ERR_INTERNAL;

	/* A bug of ours or an internal failure upstream: no detail leaks. */
	if (code == ERR_INTERNAL || code == ERR_UNKNOWN || code == ERR_DATA_LOSS) {
		gw_reply_error(resp, 500, "internal", "internal error");
		return;
	}
	/* A service's rate limit says when to come back (kolo-retry-after). */
	if (code == ERR_RESOURCE_EXHAUSTED && e->retry_after_s > 0)
		resp->retry_after = e->retry_after_s;
	gw_reply_error(resp, gw_http_status(code),
		       e->reason[0] ? e->reason : err_default_reason(code),
		       e->message[0] ? e->message : err_default_reason(code));
	/* An upstream refusal that says when to come back (identity's
	 * throttles): Retry-After, like the gateway's own buckets. */
	if (e->retry_after_s > 0)
		resp->retry_after = e->retry_after_s;
}
