/* provider_flutterwave: the Flutterwave v3 API over libcurl (DESIGN §8).
 *
 * One curl easy handle per call at a time, so any number of threads may call
 * at once. Handles are kept in a small pool between calls so that reads
 * (verify a charge, read a transfer, banks, resolve an account) reuse their
 * open (TLS) connection to the provider; creates (a transfer, a virtual
 * account) always go on a fresh connection that is then closed, because
 * libcurl re-sends a request on a new connection when a reused one turns
 * out dead, and a create must never go out twice. The configuration
 * and the request headers are read-only after pay_flutterwave_new(). Every
 * request verifies TLS, is bounded by the configured timeout and reads at
 * most PAY_HTTP_REPLY_MAX bytes.
 *
 * Amounts: kobo go out as naira text with two decimals written straight
 * into the JSON ("amount":1500.75); amounts come back through
 * jsonnum_find() + money_parse_naira(), never through a double.
 *
 * The secret key and hash are never logged nor put in an error message,
 * and are wiped when the provider is destroyed. */
#include "provider.h"

#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "jsonnum/jsonnum.h"
#include "mem/mem.h"
#include "money/money.h"
#include "text/text.h"
#include "metrics/metrics.h"

typedef struct flw_state {
	pay_http_client http; /* its base_url without "/v3"; holds the key (headers) */
	char *secret_hash;
	size_t secret_hash_len;
	char *account_email;	/* "" when not configured */
	char *kyc_redirect_url; /* "" when not configured */
} flw_state;

static const char *const flw_data_amount[] = {"data", "amount"};
static const char *const flw_data_app_fee[] = {"data", "app_fee"};

/* --- small helpers ---------------------------------------------------- */

/* The amount at path (or, when the provider wrote it as a string, the
 * string member key of parent) as kobo. ERR_NOT_FOUND when absent; the
 * error of money_parse_naira() otherwise. */
static int
flw_amount(int64_t *kobo, const char *body, size_t len, const char *const *path, size_t depth,
	   json_t *parent, const char *key)
{
	const char *start = NULL;
	size_t n = 0;
	int rc = jsonnum_find(&start, &n, body, len, path, depth);
	json_t *v;

	if (rc == 0)
		return money_parse_naira(start, n, kobo);
	if (rc == ERR_INVALID_ARGUMENT && strcmp(err_last()->reason, "not_a_number") == 0) {
		v = json_is_object(parent) ? json_object_get(parent, key) : NULL;
		if (json_is_string(v))
			return money_parse_naira(json_string_value(v), strlen(json_string_value(v)),
						 kobo);
	}
	return rc;
}

static int
flw_bad_reply(const char *what)
{
	return pay_http_bad_reply("flutterwave", what);
}

/* --- HTTP ------------------------------------------------------------- */

/* A 2xx reply whose own status is not "success" is a refusal. */
static int
flw_refused(json_t *status)
{
	return json_is_string(status) && strcmp(json_string_value(status), "success") != 0;
}

/* A request body: obj (stolen) as compact JSON, with "amount" first when
 * amount_text is given, written as the exact number text. malloc'd. */
static char *
flw_body(json_t *obj, const char *amount_text)
{
	char *json = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	char *out;
	size_t n;

	json_decref(obj);
	if (!json || json[0] != '{') {
		free(json);
		return NULL;
	}
	if (!amount_text)
		return json;
	n = strlen(json);
	out = xmalloc(n + strlen(amount_text) + 16);
	/* {"amount":1500.75,<the rest>} or {"amount":1500.75} */
	sprintf(out, "{\"amount\":%s%s%s", amount_text, json[1] == '}' ? "" : ",", json + 1);
	free(json);
	return out;
}

static int
flw_bad_request(const char *what)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_provider_request",
		       "cannot ask flutterwave for %s: %s", what,
		       "a field is missing or not valid utf-8");
}

/* --- virtual accounts ------------------------------------------------- */

static int
flw_create_va(pay_provider *p, const pay_va_request *req, pay_va_result *out)
{
	static const char *const what = "a virtual account";
	flw_state *f = p->state;
	char first[128], last[128];
	json_t *obj, *root = NULL, *data;
	const char *email;
	pay_http_reply r;
	char *body;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!req->tx_ref || !req->tx_ref[0] || !req->group_name || !req->group_name[0])
		return flw_bad_request(what);
	pay_provider_split_name(first, last, sizeof(first), req->group_name);
	obj = json_pack("{s:s, s:b, s:s, s:s, s:s}", "tx_ref", req->tx_ref, "is_permanent", 1,
			"narration", req->group_name, "firstname", first, "lastname", last);
	/* Flutterwave wants an email: the caller's, else the configured
	 * mailbox Kolo holds accounts under; left out rather than invented. */
	email = req->email && req->email[0] ? req->email : f->account_email;
	if (obj && email[0] && json_object_set_new(obj, "email", json_string(email)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	/* A permanent account in live mode is opened in a verified person's
	 * name: their BVN (or NIN) goes with it. */
	if (obj && req->id_number && req->id_number[0] &&
	    json_object_set_new(obj, strcmp(req->id_type, "nin") == 0 ? "nin" : "bvn",
				json_string(req->id_number)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	body = flw_body(obj, NULL);
	if (!body)
		return flw_bad_request(what);
	rc = pay_http_call(&f->http, PAY_HTTP_POST_CREATE, "/v3/virtual-account-numbers", body, &r,
			   what);
	pay_http_wipe_free(body);
	if (rc < 0)
		return rc;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc < 0)
		goto out;
	if (pay_http_get_text(out->account_number, sizeof(out->account_number), data,
			      "account_number") < 0) {
		rc = flw_bad_reply(what);
		goto out;
	}
	if (json_is_string(json_object_get(data, "bank_name")))
		text_sanitize_into(out->bank_name, sizeof(out->bank_name),
				   json_string_value(json_object_get(data, "bank_name")));
	if (pay_http_get_text(out->provider_ref, sizeof(out->provider_ref), data, "order_ref") <
		    0 &&
	    pay_http_get_text(out->provider_ref, sizeof(out->provider_ref), data, "flw_ref") < 0)
		out->provider_ref[0] = '\0';
	out->raw_json = pay_http_reply_take(&r);
out:
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* --- identity checks (BVN consent) ------------------------------------ */

/* The check's state from Flutterwave's words: consent given and details
 * read is verified; refused or expired is failed; anything else waits. */
static pay_kyc_status
flw_kyc_status(const char *s)
{
	if (strcasecmp(s, "COMPLETED") == 0 || strcasecmp(s, "SUCCESSFUL") == 0 ||
	    strcasecmp(s, "VERIFIED") == 0)
		return PAY_KYC_VERIFIED;
	if (strcasecmp(s, "FAILED") == 0 || strcasecmp(s, "REJECTED") == 0 ||
	    strcasecmp(s, "EXPIRED") == 0 || strcasecmp(s, "DECLINED") == 0)
		return PAY_KYC_FAILED;
	return PAY_KYC_PENDING;
}

static int
flw_kyc_bvn_only(const char *id_type)
{
	if (id_type && strcmp(id_type, "bvn") == 0)
		return 0;
	return err_set(ERR_FAILED_PRECONDITION, "kyc_type_unsupported",
		       "flutterwave checks a bvn only; submit a bvn");
}

/* A refusal's message is the provider's words, which may quote the number
 * back: it is replaced by ours (the reason stays). */
static int
flw_kyc_refusal(int rc)
{
	if (rc != ERR_INVALID_ARGUMENT)
		return rc;
	return err_set(ERR_INVALID_ARGUMENT, "kyc_refused_by_provider",
		       "flutterwave refused the bvn check (is it a valid bvn?)");
}

static int
flw_kyc_start(pay_provider *p, const pay_kyc_request *req, pay_kyc_result *out)
{
	static const char *const what = "a bvn consent";
	flw_state *f = p->state;
	char first[128], last[128];
	json_t *obj, *root = NULL, *data;
	pay_http_reply r;
	char *body;
	int rc = flw_kyc_bvn_only(req->id_type);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	pay_provider_split_name(first, last, sizeof(first), req->name);
	obj = json_pack("{s:s, s:s, s:s}", "bvn", req->id_number, "firstname", first, "lastname",
			last);
	if (obj && f->kyc_redirect_url[0] &&
	    json_object_set_new(obj, "redirect_url", json_string(f->kyc_redirect_url)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	body = flw_body(obj, NULL);
	if (!body)
		return flw_bad_request(what);
	rc = pay_http_call(&f->http, PAY_HTTP_POST_CREATE, "/v3/bvn/verifications", body, &r, what);
	pay_http_wipe_free(body);
	if (rc < 0)
		return flw_kyc_refusal(rc);
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc < 0)
		rc = flw_kyc_refusal(rc);
	if (rc == 0 &&
	    (pay_http_get_text(out->reference, sizeof(out->reference), data, "reference") < 0 ||
	     !pay_http_is_token(out->reference, sizeof(out->reference) - 1) ||
	     pay_http_get_text(out->consent_url, sizeof(out->consent_url), data, "url") < 0))
		rc = flw_bad_reply(what);
	if (rc == 0)
		out->status = PAY_KYC_PENDING;
	else
		memset(out, 0, sizeof(*out));
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* "first middle last" of the holder, from the reply's data (or its
 * bvn_data); "" when it names nobody. */
static void
flw_kyc_name(char *out, size_t cap, json_t *data)
{
	static const char *const keys[] = {"first_name", "middle_name", "last_name"};
	json_t *bvn = json_object_get(data, "bvn_data");
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(data, keys[i]);
		char word[96];

		if (!json_is_string(v) && json_is_object(bvn))
			v = json_object_get(bvn, keys[i]);
		if (!json_is_string(v) || !json_string_value(v)[0])
			continue;
		text_sanitize_into(word, sizeof(word), json_string_value(v));
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s",
					len ? " " : "", word);
		if (len >= cap)
			break;
	}
}

static int
flw_kyc_get(pay_provider *p, const char *id_type, const char *reference, pay_kyc_result *out)
{
	static const char *const what = "a bvn check";
	flw_state *f = p->state;
	char path[256], status[64];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc = flw_kyc_bvn_only(id_type);

	memset(out, 0, sizeof(*out));
	if (rc == 0 && !pay_http_is_token(reference, 127))
		rc = flw_bad_request(what);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/v3/bvn/verifications/%s", reference);
	rc = pay_http_call(&f->http, PAY_HTTP_GET, path, NULL, &r, what);
	if (rc < 0)
		return rc;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc == 0 && pay_http_get_text(status, sizeof(status), data, "status") < 0)
		rc = flw_bad_reply(what);
	if (rc == 0) {
		snprintf(out->reference, sizeof(out->reference), "%s", reference);
		out->status = flw_kyc_status(status);
		flw_kyc_name(out->name, sizeof(out->name), data);
		if (out->status == PAY_KYC_FAILED)
			snprintf(out->message, sizeof(out->message),
				 "flutterwave: the bvn check ended %s", status);
		/* Verified names someone, or it is not verified. */
		if (out->status == PAY_KYC_VERIFIED && !out->name[0])
			rc = flw_bad_reply(what);
	}
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* --- transfers -------------------------------------------------------- */

static pay_transfer_status
flw_transfer_status(const char *s)
{
	if (strcasecmp(s, "SUCCESSFUL") == 0)
		return PAY_TRANSFER_SUCCESS;
	if (strcasecmp(s, "FAILED") == 0)
		return PAY_TRANSFER_FAILED;
	/* NEW, PENDING and anything we do not know: never call a transfer
	 * failed (the money would go back) unless the provider says so. */
	return PAY_TRANSFER_PENDING;
}

/* Fills out from a transfer object at {"data"} of r (amount read exactly
 * from r's text); the transfer must carry our reference when it names one. */
static int
flw_transfer_fill(pay_transfer_result *out, const pay_http_reply *r, json_t *t,
		  const char *reference, const char *what)
{
	char status[32], ref[128];
	json_t *msg;
	int rc;

	if (pay_http_get_id(out->provider_id, sizeof(out->provider_id), t, "id") < 0 ||
	    pay_http_get_text(status, sizeof(status), t, "status") < 0)
		return flw_bad_reply(what);
	if (json_object_get(t, "reference") &&
	    (pay_http_get_text(ref, sizeof(ref), t, "reference") < 0 ||
	     strcmp(ref, reference) != 0))
		return flw_bad_reply(what);
	out->status = flw_transfer_status(status);
	msg = json_object_get(t, "complete_message");
	if (json_is_string(msg))
		pay_http_clean_text(out->message, sizeof(out->message), json_string_value(msg));
	rc = flw_amount(&out->amount_kobo, r->body, r->len, flw_data_amount, 2, t, "amount");
	if (rc == ERR_NOT_FOUND) {
		out->amount_kobo = 0;
		rc = 0;
	}
	return rc < 0 ? flw_bad_reply(what) : 0;
}

/* Percent-encodes s for a query string into a malloc'd string. */
static char *
flw_query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), j = 0;
	char *out = xmalloc(n * 3 + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			out[j++] = (char)c;
		} else {
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
	return out;
}

/* The provider's id of the transfer with our reference, from the transfer
 * list filtered by it (the match is checked to carry exactly our reference,
 * whatever the filter did): it finds the transfer even when the create call
 * timed out before we learned its id. Only an empty match is ERR_NOT_FOUND. */
static int
flw_transfer_id_by_reference(flw_state *f, const char *reference, char *id, size_t cap)
{
	static const char *const what = "a transfer lookup";
	char *escaped, *url_path;
	json_t *root = NULL, *data, *t;
	pay_http_reply r;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	escaped = flw_query_escape(reference);
	url_path = xmalloc(strlen(escaped) + 32);
	sprintf(url_path, "/v3/transfers?reference=%s", escaped);
	free(escaped);
	rc = pay_http_call(&f->http, PAY_HTTP_GET, url_path, NULL, &r, what);
	free(url_path);
	if (rc < 0)
		return rc;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc == 0 && !json_is_array(data))
		rc = flw_bad_reply(what);
	id[0] = '\0';
	json_array_foreach(rc == 0 ? data : NULL, i, t)
	{
		char ref[128];

		if (pay_http_get_text(ref, sizeof(ref), t, "reference") == 0 &&
		    strcmp(ref, reference) == 0) {
			if (pay_http_get_id(id, cap, t, "id") < 0 ||
			    !pay_http_is_token(id, cap - 1))
				rc = flw_bad_reply(what);
			break;
		}
	}
	if (rc == 0 && !id[0])
		rc = err_set(ERR_NOT_FOUND, "transfer_not_found",
			     "flutterwave has no transfer with this reference");
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* get_transfer: read by the provider's id, GET /v3/transfers/{id}, which
 * gives its amount as a plain {"data":{...}} we can read exactly, and must
 * carry our reference. The id is the one we were told (known_id) or else
 * found by our reference. A transfer we know of that cannot be read is
 * ERR_UNAVAILABLE, so the caller asks again rather than sending again. */
static int
flw_get_transfer(pay_provider *p, const char *reference, const char *known_id,
		 pay_transfer_result *out)
{
	static const char *const what = "a transfer lookup";
	flw_state *f = p->state;
	char id[64], path[128];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!reference || !reference[0] || strlen(reference) >= 128 || !text_is_clean(reference))
		return flw_bad_request(what);
	if (known_id && pay_http_is_token(known_id, sizeof(id) - 1))
		snprintf(id, sizeof(id), "%s", known_id);
	else
		rc = flw_transfer_id_by_reference(f, reference, id, sizeof(id));
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/v3/transfers/%s", id);
	rc = pay_http_call(&f->http, PAY_HTTP_GET, path, NULL, &r, what);
	if (rc == ERR_NOT_FOUND)
		rc = err_set(ERR_UNAVAILABLE, "provider_inconsistent",
			     "flutterwave does not return a transfer it made");
	if (rc < 0)
		goto out;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc == 0 && !json_is_object(data))
		rc = flw_bad_reply(what);
	if (rc == 0)
		rc = flw_transfer_fill(out, &r, data, reference, what);
	if (rc == 0)
		out->raw_json = pay_http_reply_take(&r);
out:
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* A refusal's message says the reference was used before. */
static int
flw_says_duplicate(const char *message)
{
	return strcasestr(message, "duplicate") || strcasestr(message, "already exist");
}

static int
flw_create_transfer(pay_provider *p, const pay_transfer_request *req, pay_transfer_result *out)
{
	static const char *const what = "a transfer";
	flw_state *f = p->state;
	char amount[MONEY_TEXT_MAX];
	json_t *obj, *root = NULL, *data;
	err_info refusal;
	pay_http_reply r;
	char *body;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!req->reference || !req->reference[0] || strlen(req->reference) >= 128 ||
	    !req->bank_code || !req->bank_code[0] || !req->account_number ||
	    !req->account_number[0])
		return flw_bad_request(what);
	if (req->amount_kobo <= 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_amount",
			       "a transfer needs a positive amount");
	if (money_kobo_text(amount, req->amount_kobo) < 0)
		return err_last()->code;
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "account_bank", req->bank_code,
			"account_number", req->account_number, "currency", "NGN", "reference",
			req->reference, "narration", req->narration ? req->narration : "",
			"debit_currency", "NGN");
	if (obj && req->account_name && req->account_name[0] &&
	    json_object_set_new(obj, "beneficiary_name", json_string(req->account_name)) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	body = flw_body(obj, amount);
	if (!body)
		return flw_bad_request(what);
	rc = pay_http_call(&f->http, PAY_HTTP_POST_CREATE, "/v3/transfers", body, &r, what);
	free(body);
	if (rc == ERR_INVALID_ARGUMENT || rc == ERR_NOT_FOUND) {
		/* A refusal may be the provider's answer to a reference it has
		 * seen: then the transfer exists, and calling it failed would
		 * send the money back while it is also paid out. */
		refusal = *err_last();
		rc = flw_get_transfer(p, req->reference, NULL, out);
		if (rc == 0)
			return 0;
		if (rc != ERR_NOT_FOUND)
			return err_set(ERR_UNAVAILABLE, "provider_outcome_unknown",
				       "transfer outcome unknown after a refusal (%s)",
				       refusal.message);
		if (flw_says_duplicate(refusal.message))
			return err_set(ERR_ALREADY_EXISTS, "duplicate_reference",
				       "reference known to flutterwave but no transfer listed (%s)",
				       refusal.message);
		return err_set(refusal.code, refusal.reason, "%s", refusal.message);
	}
	if (rc < 0)
		return rc;
	/* From here the transfer may exist whatever we fail to read: an
	 * unreadable reply is an unknown outcome, not a failure. */
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc == 0 && !json_is_object(data))
		rc = ERR_INTERNAL;
	if (rc == 0)
		rc = flw_transfer_fill(out, &r, data, req->reference, what);
	if (rc == ERR_INTERNAL) {
		rc = err_set(ERR_UNAVAILABLE, "provider_outcome_unknown",
			     "flutterwave's answer to a transfer is unreadable");
	} else if (rc == ERR_INVALID_ARGUMENT) {
		/* A 2xx whose status is not "success": see above. */
		refusal = *err_last();
		json_decref(root);
		root = NULL;
		pay_http_reply_free(&r);
		rc = flw_get_transfer(p, req->reference, NULL, out);
		if (rc == ERR_NOT_FOUND)
			rc = err_set(refusal.code, refusal.reason, "%s", refusal.message);
		else if (rc < 0)
			rc = err_set(ERR_UNAVAILABLE, "provider_outcome_unknown",
				     "transfer outcome unknown after a refusal (%s)",
				     refusal.message);
		goto out;
	}
	if (rc == 0) {
		if (out->amount_kobo == 0)
			out->amount_kobo = req->amount_kobo;
		out->raw_json = pay_http_reply_take(&r);
	}
out:
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* --- deposits, accounts, banks ---------------------------------------- */

/* The charge's app_fee as kobo (0 when the reply has none). A fee that is
 * negative or not whole kobo is refused like such an amount. */
static int
flw_charge_fee(int64_t *kobo, const char *body, size_t len, json_t *data)
{
	int rc = flw_amount(kobo, body, len, flw_data_app_fee, 2, data, "app_fee");

	if (rc == ERR_NOT_FOUND || (rc < 0 && json_is_null(json_object_get(data, "app_fee")))) {
		*kobo = 0;
		return 0;
	}
	if (rc == 0 && *kobo < 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "bad_amount", "a negative fee");
	if (rc < 0 && strcmp(err_last()->reason, "not_whole_kobo") == 0)
		return err_set(ERR_INVALID_ARGUMENT, "not_whole_kobo",
			       "flutterwave's app_fee is not a whole number of kobo");
	return rc < 0 ? flw_bad_reply("a transaction verification") : 0;
}

/* The sender of a bank transfer: Flutterwave names them in meta_data
 * (the webhook's top level, or data's) or meta (a verification's data):
 * originatoraccountnumber, originatorname, bankname. */
static void
flw_payer(pay_payer *out, json_t *data, json_t *root)
{
	json_t *meta = json_object_get(root, "meta_data");

	if (!json_is_object(meta))
		meta = json_object_get(data, "meta_data");
	if (!json_is_object(meta))
		meta = json_object_get(data, "meta");
	pay_http_get_payer(out, meta, "originatoraccountnumber", "originatorname", "bankname");
}

static int
flw_verify_charge(pay_provider *p, const char *transaction_id, pay_charge *out)
{
	static const char *const what = "a transaction verification";
	flw_state *f = p->state;
	char path[128], status[32];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!pay_http_is_token(transaction_id, sizeof(out->id) - 1))
		return err_set(ERR_INVALID_ARGUMENT, "bad_transaction_id",
			       "a flutterwave transaction id is letters, digits, '-', '_' or '.'");
	snprintf(path, sizeof(path), "/v3/transactions/%s/verify", transaction_id);
	rc = pay_http_call(&f->http, PAY_HTTP_GET, path, NULL, &r, what);
	if (rc < 0)
		return rc;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc < 0)
		goto out;
	if (pay_http_get_id(out->id, sizeof(out->id), data, "id") < 0 ||
	    strcmp(out->id, transaction_id) != 0 ||
	    pay_http_get_text(out->tx_ref, sizeof(out->tx_ref), data, "tx_ref") < 0 ||
	    pay_http_get_text(out->currency, sizeof(out->currency), data, "currency") < 0 ||
	    pay_http_get_text(status, sizeof(status), data, "status") < 0) {
		rc = flw_bad_reply(what);
		goto out;
	}
	rc = flw_amount(&out->amount_kobo, r.body, r.len, flw_data_amount, 2, data, "amount");
	if (rc < 0) {
		/* A deposit we cannot hold in kobo is refused, not guessed. */
		if (strcmp(err_last()->reason, "not_whole_kobo") == 0)
			rc = err_set(ERR_INVALID_ARGUMENT, "not_whole_kobo",
				     "flutterwave's amount is not a whole number of kobo");
		else
			rc = flw_bad_reply(what);
		goto out;
	}
	rc = flw_charge_fee(&out->fee_kobo, r.body, r.len, data);
	if (rc < 0)
		goto out;
	flw_payer(&out->payer, data, NULL);
	out->successful = strcmp(status, "successful") == 0;
	out->raw_json = pay_http_reply_take(&r);
out:
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* Flutterwave answers 400 for an account it cannot resolve: that is the
 * "no such account" of the interface (ERR_NOT_FOUND). Other refusals (a
 * bad key: 401) stay ERR_INVALID_ARGUMENT. */
static int
flw_resolve_account(pay_provider *p, const char *bank_code, const char *account_number, char *name,
		    size_t cap)
{
	static const char *const what = "an account name";
	flw_state *f = p->state;
	json_t *obj, *root = NULL, *data;
	pay_http_reply r;
	char *body;
	int rc;

	if (cap > 0)
		name[0] = '\0';
	if (cap < 2 || !pay_http_is_token(bank_code, 15) || !pay_http_is_token(account_number, 31))
		return flw_bad_request(what);
	obj = json_pack("{s:s, s:s}", "account_number", account_number, "account_bank", bank_code);
	body = flw_body(obj, NULL);
	if (!body)
		return flw_bad_request(what);
	rc = pay_http_call(&f->http, PAY_HTTP_POST_READ, "/v3/accounts/resolve", body, &r, what);
	free(body);
	if (rc == ERR_INVALID_ARGUMENT && (r.status == 400 || r.status == 422))
		return pay_provider_no_account();
	if (rc < 0)
		return rc;
	rc = pay_http_open(&root, &data, &f->http, &r, what);
	if (rc == ERR_INVALID_ARGUMENT)
		rc = pay_provider_no_account();
	if (rc == 0)
		rc = pay_http_account_name(name, cap, &f->http, data, what);
	return pay_http_end(rc, NULL, 0, root, &r);
}

static int
flw_list_banks(pay_provider *p, pay_bank **out, size_t *n)
{
	flw_state *f = p->state;

	return pay_http_list_banks(out, n, &f->http, "/v3/banks/NG");
}

/* --- webhooks --------------------------------------------------------- */

/* verif-hash (and the newer flutterwave-signature) carry the secret hash
 * itself: equal lengths, then a constant-time compare. */
static int
flw_signature_ok(pay_provider *p, const pay_header *headers, size_t n_headers, const uint8_t *body,
		 size_t len)
{
	flw_state *f = p->state;

	if (f->secret_hash_len == 0)
		return 0;
	for (size_t i = 0; i < n_headers; i++) {
		const char *v = headers[i].value;

		if (!headers[i].name || !v)
			continue;
		if (strcasecmp(headers[i].name, "verif-hash") != 0 &&
		    strcasecmp(headers[i].name, "flutterwave-signature") != 0)
			continue;
		if (auth_secret_equal(v, strlen(v), f->secret_hash, f->secret_hash_len))
			return 1;
	}
	return 0;
}

static int
flw_bad_event(const char *why)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_event", "not a flutterwave event: %s", why);
}

/* A deposit's id, tx_ref, amount and currency from obj (data, or the top
 * level of the flat shape); amount_path locates the amount in the body. */
static int
flw_charge_fields(pay_event *out, json_t *obj, const char *tx_ref_key, const char *body, size_t len,
		  const char *const *amount_path, size_t depth)
{
	json_t *currency = json_object_get(obj, "currency");

	if (pay_http_get_id(out->transaction_id, sizeof(out->transaction_id), obj, "id") < 0)
		return flw_bad_event("a charge without a usable id");
	if (pay_http_get_text(out->tx_ref, sizeof(out->tx_ref), obj, tx_ref_key) < 0)
		return flw_bad_event("a charge without a usable tx_ref");
	if (flw_amount(&out->amount_kobo, body, len, amount_path, depth, obj, "amount") < 0)
		return flw_bad_event("a charge without an exact amount in kobo");
	if (currency &&
	    pay_http_get_text(out->currency, sizeof(out->currency), obj, "currency") < 0)
		return flw_bad_event("a charge with an unusable currency");
	out->kind = PAY_EVENT_CHARGE;
	return 0;
}

static int
flw_parse_event(pay_provider *p, const uint8_t *body, size_t len, pay_event *out)
{
	static const char *const flat_amount[] = {"amount"};
	const char *text = (const char *)body;
	json_t *root, *event, *flat_type, *data;
	const char *type, *payment_type;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	root = body ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return flw_bad_event("not a json object");
	}
	event = json_object_get(root, "event");
	flat_type = json_object_get(root, "event.type");
	data = json_object_get(root, "data");
	if (json_is_string(event)) {
		type = json_string_value(event);
		text_sanitize_into(out->type, sizeof(out->type), type);
		if (strcmp(type, "charge.completed") == 0) {
			if (!json_is_object(data)) {
				rc = flw_bad_event("a charge without data");
				goto out;
			}
			payment_type = json_string_value(json_object_get(data, "payment_type"));
			if ((payment_type && strcmp(payment_type, "bank_transfer") == 0) ||
			    (!payment_type && json_is_string(flat_type) &&
			     strcmp(json_string_value(flat_type), "BANK_TRANSFER_TRANSACTION") ==
				     0))
				rc = flw_charge_fields(out, data, "tx_ref", text, len,
						       flw_data_amount, 2);
			if (rc == 0 && out->kind == PAY_EVENT_CHARGE)
				flw_payer(&out->payer, data, root);
		} else if (strcmp(type, "transfer.completed") == 0) {
			if (pay_http_get_text(out->transfer_ref, sizeof(out->transfer_ref), data,
					      "reference") < 0) {
				rc = flw_bad_event("a transfer without a usable reference");
				goto out;
			}
			out->kind = PAY_EVENT_TRANSFER;
		}
	} else if (json_is_string(flat_type)) {
		/* The older flat shape: {"event.type": ..., "id", "txRef", ...}. */
		type = json_string_value(flat_type);
		text_sanitize_into(out->type, sizeof(out->type), type);
		if (strcmp(type, "BANK_TRANSFER_TRANSACTION") == 0)
			rc = flw_charge_fields(out, root, "txRef", text, len, flat_amount, 1);
		if (rc == 0 && out->kind == PAY_EVENT_CHARGE)
			flw_payer(&out->payer, root, root);
	} else {
		rc = flw_bad_event("no event name");
	}
out:
	if (rc < 0)
		pay_provider_event_clear(out);
	json_decref(root);
	return rc;
}

/* --- life cycle ------------------------------------------------------- */

static void
flw_destroy(pay_provider *p)
{
	flw_state *f;

	if (!p)
		return;
	f = p->state;
	if (f) {
		pay_http_client_destroy(&f->http);
		pay_http_wipe_free(f->secret_hash);
		free(f->account_email);
		free(f->kyc_redirect_url);
		free(f);
	}
	free(p);
}

static const pay_provider_ops flw_ops = {
	.name = "flutterwave",
	.deposit_source = "provider_sandbox",
	.create_va = flw_create_va,
	.create_transfer = flw_create_transfer,
	.get_transfer = flw_get_transfer,
	.verify_charge = flw_verify_charge,
	.resolve_account = flw_resolve_account,
	.list_banks = flw_list_banks,
	.parse_event = flw_parse_event,
	.signature_ok = flw_signature_ok,
	.live = 1,
	.kyc_start = flw_kyc_start,
	.kyc_get = flw_kyc_get,
	.destroy = flw_destroy,
};

int
pay_flutterwave_new(pay_provider **out, const pay_flutterwave_config *cfg)
{
	pay_provider *p;
	flw_state *f;
	size_t n;
	int rc;

	*out = NULL;
	if (!cfg->base_url || !pay_http_base_url_ok(cfg->base_url))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "the flutterwave base url must be https (or http to localhost)");
	if (!cfg->secret_key || !cfg->secret_key[0] || strlen(cfg->secret_key) > PAY_HTTP_KEY_MAX ||
	    !pay_http_header_safe(cfg->secret_key))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "the flutterwave secret key is missing or malformed");
	if (cfg->timeout_ms <= 0 || cfg->timeout_ms > 3600000)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "the flutterwave timeout must be 1 ms to 1 hour");
	if (pay_http_global_init() < 0)
		return -1;

	f = xcalloc(1, sizeof(*f));
	rc = pay_http_client_init(&f->http, "flutterwave", cfg->base_url, cfg->ca_file,
				  cfg->secret_key, (long)cfg->timeout_ms, flw_refused);
	/* Both "https://api.flutterwave.com" and ".../v3" are taken. */
	n = strlen(f->http.base_url);
	if (n >= 3 && strcmp(f->http.base_url + n - 3, "/v3") == 0)
		f->http.base_url[n - 3] = '\0';
	f->secret_hash = xstrdup(cfg->secret_hash ? cfg->secret_hash : "");
	f->secret_hash_len = strlen(f->secret_hash);
	f->account_email = xstrdup(cfg->account_email ? cfg->account_email : "");
	f->kyc_redirect_url = xstrdup(cfg->kyc_redirect_url ? cfg->kyc_redirect_url : "");
	p = xcalloc(1, sizeof(*p));
	p->ops = &flw_ops;
	p->state = f;
	if (rc < 0) {
		flw_destroy(p);
		return rc;
	}
	*out = p;
	return 0;
}
