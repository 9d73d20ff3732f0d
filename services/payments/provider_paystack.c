/* provider_paystack: the Paystack API over libcurl (DESIGN §8, §14).
 *
 * Built like provider_flutterwave.c: one curl easy handle per call, a small
 * pool of idle handles so reads reuse their connection, creates (a customer,
 * a dedicated account, a transfer) alone on a fresh connection that is then
 * closed (libcurl re-sends a request on a new connection when a reused one
 * turns out dead, and a create must never go out twice). Every request
 * verifies TLS, is bounded by the configured timeout and reads at most
 * PAY_HTTP_REPLY_MAX bytes.
 *
 * Paystack's amounts are integer kobo: they cross as JSON integers, no
 * conversion. A reply's "status" is a boolean.
 *
 * Accounts: a customer per group (POST /customer, its email the configured
 * mailbox plus-addressed with the group's tx_ref, so no two groups share a
 * customer), then its dedicated account (POST /dedicated_account); a retry
 * first reads the customer (GET /customer/{code}) and reuses the account it
 * already has, so it never makes a second one. Deposits (charge.success on
 * a dedicated_nuban) are matched by the receiving account number.
 *
 * The secret key is never logged nor put in an error message, and is wiped
 * when the provider is destroyed. */
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
#include <time.h>

#include "mem/mem.h"
#include "payments.h"
#include "text/text.h"
#include "metrics/metrics.h"

#define PSK_SIGNATURE_HEX (crypto_auth_hmacsha512_BYTES * 2)
#define PSK_EMAIL_MAX	  254
#define PSK_LOCAL_MAX	  22 /* 64 - strlen("+kolo-<uuid>") */

typedef struct psk_state {
	pay_http_client http;
	char *secret_key;
	size_t secret_key_len;
	char *account_email;  /* local@domain: customers are local+<tx_ref>@domain */
	char *preferred_bank; /* e.g. "wema-bank" */
} psk_state;

/* --- small helpers ---------------------------------------------------- */

/* An amount in kobo: a JSON integer (Paystack's own shape) >= 0; -1 when
 * absent, fractional, negative or a string. */
static int
psk_get_kobo(int64_t *kobo, json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*kobo = (int64_t)json_integer_value(v);
	return 0;
}

/* Paystack's rule for a transfer reference: 16..50 of [a-z0-9_-]. */
static int
psk_is_transfer_reference(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 50)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
psk_bad_reply(const char *what)
{
	return pay_http_bad_reply("paystack", what);
}

static int
psk_bad_request(const char *what, const char *why)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_provider_request",
		       "cannot ask paystack for %s: %s", what, why);
}

/* --- HTTP ------------------------------------------------------------- */

/* "status": false is a refusal. */
static int
psk_refused(json_t *status)
{
	return json_is_false(status);
}

/* A request body: obj (stolen) as compact JSON; NULL when it cannot be. */
static char *
psk_body(json_t *obj)
{
	char *json = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	return json;
}

/* One GET or POST whose "data" must be an object: *root to json_decref(),
 * *data borrowed, r holds the reply (pay_http_reply_free()). */
static int
psk_fetch(psk_state *s, pay_http_kind kind, const char *path, const char *body, pay_http_reply *r,
	  json_t **root, json_t **data, const char *what)
{
	int rc = pay_http_call(&s->http, kind, path, body, r, what);

	*root = NULL;
	*data = NULL;
	if (rc == 0)
		rc = pay_http_open(root, data, &s->http, r, what);
	if (rc == 0 && !json_is_object(*data))
		rc = psk_bad_reply(what);
	return rc;
}

/* POST body (malloc'd JSON, freed here; NULL when it could not be made)
 * to path: the token member key of the reply's data into code. */
static int
psk_post_for_code(char *code, size_t cap, psk_state *s, pay_http_kind kind, const char *path,
		  char *body, const char *key, const char *what)
{
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc;

	if (!body)
		return psk_bad_request(what, "a field is not valid utf-8");
	rc = psk_fetch(s, kind, path, body, &r, &root, &data, what);
	free(body);
	if (rc == 0 &&
	    (pay_http_get_text(code, cap, data, key) < 0 || !pay_http_is_token(code, cap - 1)))
		rc = psk_bad_reply(what);
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* --- dedicated accounts ----------------------------------------------- */

/* The group's own customer email: local+<tx_ref>@domain of the configured
 * mailbox; -1 when it does not fit. */
static int
psk_customer_email(char *out, size_t cap, const char *mailbox, const char *tx_ref)
{
	const char *at = strchr(mailbox, '@');
	int n;

	if (!at || at == mailbox || !pay_http_is_token(tx_ref, 64))
		return -1;
	n = snprintf(out, cap, "%.*s+%s%s", (int)(at - mailbox), mailbox, tx_ref, at);
	return n > 0 && (size_t)n < cap && (size_t)(at - mailbox) + 1 + strlen(tx_ref) <= 64 ? 0
											     : -1;
}

/* Fills out from a dedicated account object; -1 when it has no number. */
static int
psk_va_fill(pay_va_result *out, json_t *dva)
{
	json_t *bank = json_object_get(dva, "bank");

	if (pay_http_get_text(out->account_number, sizeof(out->account_number), dva,
			      "account_number") < 0 ||
	    !pay_http_is_token(out->account_number, sizeof(out->account_number) - 1))
		return -1;
	if (json_is_object(bank) && json_is_string(json_object_get(bank, "name")))
		text_sanitize_into(out->bank_name, sizeof(out->bank_name),
				   json_string_value(json_object_get(bank, "name")));
	return 0;
}

/* POST /customer (Paystack answers the existing customer for a known
 * email) with one metadata entry: its customer_code into code. */
static int
psk_customer_named(psk_state *s, const char *email, const char *first, const char *last,
		   const char *meta_key, const char *meta_value, char *code, size_t cap)
{
	char *body =
		psk_body(json_pack("{s:s, s:s, s:s, s:{s:s}}", "email", email, "first_name", first,
				   "last_name", last, "metadata", meta_key, meta_value));

	return psk_post_for_code(code, cap, s, PAY_HTTP_POST_CREATE, "/customer", body,
				 "customer_code", "a customer");
}

/* The group's customer, named after the group. */
static int
psk_customer(psk_state *s, const pay_va_request *req, const char *email, char *code, size_t cap)
{
	char first[128], last[128];

	pay_provider_split_name(first, last, sizeof(first), req->group_name);
	return psk_customer_named(s, email, first, last, "kolo_tx_ref", req->tx_ref, code, cap);
}

/* The dedicated account the customer already has: 0 and out filled, or
 * ERR_NOT_FOUND when it has none. */
static int
psk_existing_va(psk_state *s, const char *code, pay_va_result *out, pay_http_reply *r)
{
	static const char *const what = "a customer lookup";
	char path[128];
	json_t *root = NULL, *data, *dva;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "/customer/%s", code);
	rc = psk_fetch(s, PAY_HTTP_GET, path, NULL, r, &root, &data, what);
	if (rc < 0)
		goto out;
	dva = json_object_get(data, "dedicated_account");
	if (json_is_array(dva)) { /* newer shape: a list */
		json_t *first = NULL;

		json_array_foreach(dva, i, first) break;
		dva = first;
	}
	if (!json_is_object(dva) || psk_va_fill(out, dva) < 0)
		rc = ERR_NOT_FOUND;
out:
	json_decref(root);
	return rc;
}

static int
psk_create_va(pay_provider *p, const pay_va_request *req, pay_va_result *out)
{
	static const char *const what = "a dedicated account";
	psk_state *s = p->state;
	char email[PSK_EMAIL_MAX + 1], code[64];
	json_t *root = NULL, *data;
	pay_http_reply r;
	char *body;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!req->tx_ref || !req->tx_ref[0] || !req->group_name || !req->group_name[0])
		return psk_bad_request(what, "a field is missing");
	if (psk_customer_email(email, sizeof(email), s->account_email, req->tx_ref) < 0)
		return psk_bad_request(what, "the account mailbox cannot be addressed per group");
	rc = psk_customer(s, req, email, code, sizeof(code));
	if (rc < 0)
		return rc;
	/* A retry (a crash, a timeout) finds the account made before. */
	rc = psk_existing_va(s, code, out, &r);
	if (rc != ERR_NOT_FOUND)
		goto done;
	pay_http_reply_free(&r);
	body = psk_body(
		json_pack("{s:s, s:s}", "customer", code, "preferred_bank", s->preferred_bank));
	if (!body)
		return psk_bad_request(what, "a field is not valid utf-8");
	rc = psk_fetch(s, PAY_HTTP_POST_CREATE, "/dedicated_account", body, &r, &root, &data, what);
	free(body);
	if (rc == 0 && psk_va_fill(out, data) < 0)
		rc = psk_bad_reply(what);
done:
	if (rc == 0) {
		snprintf(out->provider_ref, sizeof(out->provider_ref), "%s", code);
		out->raw_json = pay_http_reply_take(&r);
	} else {
		memset(out, 0, sizeof(*out));
	}
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* --- transfers -------------------------------------------------------- */

static pay_transfer_status
psk_transfer_status(const char *s)
{
	if (strcmp(s, "success") == 0)
		return PAY_TRANSFER_SUCCESS;
	/* Paystack's words for money that did not leave (or came back). */
	if (strcmp(s, "failed") == 0 || strcmp(s, "reversed") == 0 || strcmp(s, "rejected") == 0 ||
	    strcmp(s, "abandoned") == 0)
		return PAY_TRANSFER_FAILED;
	/* pending, received, otp, queued and anything unknown: never call a
	 * transfer failed (the money would go back) unless Paystack says so. */
	return PAY_TRANSFER_PENDING;
}

/* Fills out from a transfer object, which must carry our reference. */
static int
psk_transfer_fill(pay_transfer_result *out, json_t *t, const char *reference, const char *what)
{
	char status[32], ref[128];
	json_t *reason;

	if ((pay_http_get_text(out->provider_id, sizeof(out->provider_id), t, "transfer_code") <
		     0 &&
	     pay_http_get_id(out->provider_id, sizeof(out->provider_id), t, "id") < 0) ||
	    pay_http_get_text(status, sizeof(status), t, "status") < 0 ||
	    pay_http_get_text(ref, sizeof(ref), t, "reference") < 0 || strcmp(ref, reference) != 0)
		return psk_bad_reply(what);
	out->status = psk_transfer_status(status);
	reason = json_object_get(t, "failures");
	if (!json_is_string(reason))
		reason = json_object_get(t, "gateway_response");
	if (out->status == PAY_TRANSFER_FAILED && json_is_string(reason))
		pay_http_clean_text(out->message, sizeof(out->message), json_string_value(reason));
	else if (out->status == PAY_TRANSFER_FAILED)
		snprintf(out->message, sizeof(out->message), "paystack says the transfer %s",
			 status);
	if (json_object_get(t, "amount") && psk_get_kobo(&out->amount_kobo, t, "amount") < 0)
		return psk_bad_reply(what);
	return 0;
}

/* get_transfer: GET /transfer/verify/{reference}; ERR_NOT_FOUND when
 * Paystack never saw the reference. */
static int
psk_get_transfer(pay_provider *p, const char *reference, const char *known_id,
		 pay_transfer_result *out)
{
	static const char *const what = "a transfer lookup";
	psk_state *s = p->state;
	char path[128];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc;

	(void)known_id; /* Paystack reads transfers by our reference */
	memset(out, 0, sizeof(*out));
	if (!psk_is_transfer_reference(reference))
		return psk_bad_request(what, "a reference is 16 to 50 of a-z, 0-9, '-', '_'");
	snprintf(path, sizeof(path), "/transfer/verify/%s", reference);
	rc = psk_fetch(s, PAY_HTTP_GET, path, NULL, &r, &root, &data, what);
	if (rc == ERR_INVALID_ARGUMENT && (r.status == 400 || r.status == 422))
		rc = err_set(ERR_NOT_FOUND, "transfer_not_found",
			     "paystack has no transfer with this reference");
	else if (rc == ERR_NOT_FOUND)
		rc = err_set(ERR_NOT_FOUND, "transfer_not_found",
			     "paystack has no transfer with this reference");
	if (rc == 0)
		rc = psk_transfer_fill(out, data, reference, what);
	if (rc == 0)
		out->raw_json = pay_http_reply_take(&r);
	else
		memset(out, 0, sizeof(*out));
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* POST /transferrecipient: the recipient_code for the beneficiary (Paystack
 * answers the same recipient for the same account). */
static int
psk_recipient(psk_state *s, const pay_transfer_request *req, char *code, size_t cap)
{
	char *body = psk_body(json_pack(
		"{s:s, s:s, s:s, s:s, s:s}", "type", "nuban", "name",
		req->account_name && req->account_name[0] ? req->account_name : "Kolo payee",
		"account_number", req->account_number, "bank_code", req->bank_code, "currency",
		"NGN"));

	return psk_post_for_code(code, cap, s, PAY_HTTP_POST_READ, "/transferrecipient", body,
				 "recipient_code", "a transfer recipient");
}

/* A refusal of POST /transfer: the transfer may exist (a repeated
 * reference is refused, not paid twice), so Paystack is asked. */
static int
psk_after_refusal(pay_provider *p, const char *reference, pay_transfer_result *out)
{
	err_info refusal = *err_last();
	int rc = psk_get_transfer(p, reference, NULL, out);

	if (rc == 0)
		return 0;
	if (rc == ERR_NOT_FOUND)
		return err_set(refusal.code, refusal.reason, "%s", refusal.message);
	return err_set(ERR_UNAVAILABLE, "provider_outcome_unknown",
		       "transfer outcome unknown after a refusal (%s)", refusal.message);
}

static int
psk_create_transfer(pay_provider *p, const pay_transfer_request *req, pay_transfer_result *out)
{
	static const char *const what = "a transfer";
	psk_state *s = p->state;
	char recipient[64];
	json_t *root = NULL, *data;
	pay_http_reply r;
	char *body;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!psk_is_transfer_reference(req->reference))
		return psk_bad_request(what, "a reference is 16 to 50 of a-z, 0-9, '-', '_'");
	if (!pay_http_is_token(req->bank_code, 15) || !pay_http_is_token(req->account_number, 31))
		return psk_bad_request(what, "a bank code or account number is missing");
	if (req->amount_kobo <= 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_amount",
			       "a transfer needs a positive amount");
	rc = psk_recipient(s, req, recipient, sizeof(recipient));
	if (rc < 0) /* nothing was sent: the caller may fail or retry */
		return rc;
	body = psk_body(json_pack("{s:s, s:I, s:s, s:s, s:s}", "source", "balance", "amount",
				  (json_int_t)req->amount_kobo, "recipient", recipient, "reference",
				  req->reference, "reason", req->narration ? req->narration : ""));
	if (!body)
		return psk_bad_request(what, "a field is not valid utf-8");
	rc = pay_http_call(&s->http, PAY_HTTP_POST_CREATE, "/transfer", body, &r, what);
	free(body);
	if (rc == ERR_INVALID_ARGUMENT || rc == ERR_NOT_FOUND)
		return psk_after_refusal(p, req->reference, out);
	if (rc < 0)
		return rc;
	/* From here the transfer may exist whatever we fail to read. */
	rc = pay_http_open(&root, &data, &s->http, &r, what);
	if (rc == ERR_INVALID_ARGUMENT) {
		json_decref(root);
		pay_http_reply_free(&r);
		return psk_after_refusal(p, req->reference, out);
	}
	if (rc == 0 && !json_is_object(data))
		rc = ERR_INTERNAL;
	if (rc == 0)
		rc = psk_transfer_fill(out, data, req->reference, what);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		rc = err_set(ERR_UNAVAILABLE, "provider_outcome_unknown",
			     "paystack's answer to a transfer is unreadable");
	} else {
		if (out->amount_kobo == 0)
			out->amount_kobo = req->amount_kobo;
		out->raw_json = pay_http_reply_take(&r);
	}
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* --- deposits, accounts, banks ---------------------------------------- */

/* The sender of a transfer to a dedicated account, as Paystack names them
 * in the charge's authorization. */
static void
psk_payer(pay_payer *out, json_t *auth)
{
	pay_http_get_payer(out, auth, "sender_bank_account_number", "sender_name", "sender_bank");
}

/* verify_charge: GET /transaction/verify/{reference}. Paystack's "not
 * found" (400/404) is ERR_INVALID_ARGUMENT: the charge does not exist. */
static int
psk_verify_charge(pay_provider *p, const char *reference, pay_charge *out)
{
	static const char *const what = "a transaction verification";
	psk_state *s = p->state;
	char path[192], status[32];
	json_t *root = NULL, *data, *auth;
	pay_http_reply r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pay_http_is_token(reference, sizeof(out->id) - 1))
		return err_set(ERR_INVALID_ARGUMENT, "bad_transaction_id",
			       "a paystack reference is letters, digits, '-', '_' or '.'");
	snprintf(path, sizeof(path), "/transaction/verify/%s", reference);
	rc = psk_fetch(s, PAY_HTTP_GET, path, NULL, &r, &root, &data, what);
	if (rc == ERR_NOT_FOUND)
		rc = err_set(ERR_INVALID_ARGUMENT, "charge_not_found",
			     "paystack knows no transaction with this reference");
	if (rc < 0)
		goto out;
	auth = json_object_get(data, "authorization");
	if (pay_http_get_text(out->id, sizeof(out->id), data, "reference") < 0 ||
	    strcmp(out->id, reference) != 0 ||
	    pay_http_get_text(out->currency, sizeof(out->currency), data, "currency") < 0 ||
	    pay_http_get_text(status, sizeof(status), data, "status") < 0 ||
	    psk_get_kobo(&out->amount_kobo, data, "amount") < 0) {
		rc = psk_bad_reply(what);
		goto out;
	}
	if (json_is_object(auth))
		pay_http_get_text(out->account_number, sizeof(out->account_number), auth,
				  "receiver_bank_account_number");
	psk_payer(&out->payer, auth);
	/* fees: what Paystack kept, in kobo; absent or null is none. */
	if (json_is_null(json_object_get(data, "fees")) || !json_object_get(data, "fees"))
		out->fee_kobo = 0;
	else if (psk_get_kobo(&out->fee_kobo, data, "fees") < 0)
		rc = psk_bad_reply(what);
	if (rc < 0)
		goto out;
	out->successful = strcmp(status, "success") == 0;
	out->raw_json = pay_http_reply_take(&r);
out:
	return pay_http_end(rc, out, sizeof(*out), root, &r);
}

/* GET /bank/resolve: Paystack refuses (400/422) an account it cannot
 * resolve: that is ERR_NOT_FOUND here. */
static int
psk_resolve_account(pay_provider *p, const char *bank_code, const char *account_number, char *name,
		    size_t cap)
{
	static const char *const what = "an account name";
	psk_state *s = p->state;
	char path[160];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc;

	if (cap > 0)
		name[0] = '\0';
	if (cap < 2 || !pay_http_is_token(bank_code, 15) || !pay_http_is_token(account_number, 31))
		return psk_bad_request(what, "a bank code or account number is not valid");
	snprintf(path, sizeof(path), "/bank/resolve?account_number=%s&bank_code=%s", account_number,
		 bank_code);
	rc = psk_fetch(s, PAY_HTTP_GET, path, NULL, &r, &root, &data, what);
	if (rc == ERR_INVALID_ARGUMENT || rc == ERR_NOT_FOUND)
		rc = pay_provider_no_account();
	if (rc == 0)
		rc = pay_http_account_name(name, cap, &s->http, data, what);
	return pay_http_end(rc, NULL, 0, root, &r);
}

static int
psk_list_banks(pay_provider *p, pay_bank **out, size_t *n)
{
	psk_state *s = p->state;

	return pay_http_list_banks(out, n, &s->http, "/bank?country=nigeria&currency=NGN");
}

/* --- webhooks --------------------------------------------------------- */

/* x-paystack-signature: the hex HMAC-SHA512 of the raw body keyed with the
 * secret key; compared in constant time after a length check. */
static int
psk_signature_ok(pay_provider *p, const pay_header *headers, size_t n_headers, const uint8_t *body,
		 size_t len)
{
	psk_state *s = p->state;
	unsigned char mac[crypto_auth_hmacsha512_BYTES];
	char want[PSK_SIGNATURE_HEX + 1], got[PSK_SIGNATURE_HEX + 1];
	crypto_auth_hmacsha512_state st;
	int ok = 0;

	crypto_auth_hmacsha512_init(&st, (const unsigned char *)s->secret_key, s->secret_key_len);
	crypto_auth_hmacsha512_update(&st, body ? body : (const uint8_t *)"", len);
	crypto_auth_hmacsha512_final(&st, mac);
	sodium_bin2hex(want, sizeof(want), mac, sizeof(mac));
	for (size_t i = 0; i < n_headers && !ok; i++) {
		const char *v = headers[i].value;

		if (!headers[i].name || !v ||
		    strcasecmp(headers[i].name, "x-paystack-signature") != 0 ||
		    strlen(v) != PSK_SIGNATURE_HEX)
			continue;
		for (size_t j = 0; j <= PSK_SIGNATURE_HEX; j++)
			got[j] = (char)tolower((unsigned char)v[j]);
		ok = sodium_memcmp(got, want, PSK_SIGNATURE_HEX) == 0;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	sodium_memzero(want, sizeof(want));
	return ok;
}

static int
psk_bad_event(const char *why)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_event", "not a paystack event: %s", why);
}

/* charge.success on a dedicated account: the reference (what verify takes),
 * the receiving account number, the amount and currency it claims. Other
 * channels (cards, ...) are not deposits to a group: PAY_EVENT_OTHER. */
static int
psk_charge_fields(pay_event *out, json_t *data)
{
	json_t *auth = json_object_get(data, "authorization");
	const char *channel = json_string_value(json_object_get(auth, "channel"));

	if (!channel)
		channel = json_string_value(json_object_get(data, "channel"));
	if (!channel || strcmp(channel, "dedicated_nuban") != 0)
		return 0;
	if (pay_http_get_text(out->transaction_id, sizeof(out->transaction_id), data, "reference") <
		    0 ||
	    !pay_http_is_token(out->transaction_id, sizeof(out->transaction_id) - 1))
		return psk_bad_event("a charge without a usable reference");
	if (pay_http_get_text(out->account_number, sizeof(out->account_number), auth,
			      "receiver_bank_account_number") < 0 ||
	    !pay_http_is_token(out->account_number, sizeof(out->account_number) - 1))
		return psk_bad_event("a charge without its receiving account");
	if (psk_get_kobo(&out->amount_kobo, data, "amount") < 0)
		return psk_bad_event("a charge without an amount in kobo");
	if (json_object_get(data, "currency") &&
	    pay_http_get_text(out->currency, sizeof(out->currency), data, "currency") < 0)
		return psk_bad_event("a charge with an unusable currency");
	psk_payer(&out->payer, auth);
	out->kind = PAY_EVENT_CHARGE;
	return 0;
}

static int
psk_is_transfer_event(const char *type)
{
	return strcmp(type, "transfer.success") == 0 || strcmp(type, "transfer.failed") == 0 ||
	       strcmp(type, "transfer.reversed") == 0;
}

static int
psk_parse_event(pay_provider *p, const uint8_t *body, size_t len, pay_event *out)
{
	json_t *root, *event, *data;
	const char *type;
	int rc = 0;

	(void)p;
	memset(out, 0, sizeof(*out));
	root = body ? json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return psk_bad_event("not a json object");
	}
	event = json_object_get(root, "event");
	data = json_object_get(root, "data");
	if (!json_is_string(event)) {
		rc = psk_bad_event("no event name");
		goto out;
	}
	type = json_string_value(event);
	text_sanitize_into(out->type, sizeof(out->type), type);
	if ((strcmp(type, "charge.success") == 0 || psk_is_transfer_event(type)) &&
	    !json_is_object(data)) {
		rc = psk_bad_event("an event without data");
		goto out;
	}
	if (strcmp(type, "charge.success") == 0) {
		rc = psk_charge_fields(out, data);
	} else if (psk_is_transfer_event(type)) {
		if (pay_http_get_text(out->transfer_ref, sizeof(out->transfer_ref), data,
				      "reference") < 0)
			rc = psk_bad_event("a transfer without a usable reference");
		else
			out->kind = PAY_EVENT_TRANSFER;
	}
out:
	if (rc < 0)
		pay_provider_event_clear(out);
	json_decref(root);
	return rc;
}

/* --- identity checks (customer validation) ---------------------------- */

#define PSK_KYC_FAILED_EVENT "customeridentification.failed"

/* A person's first and last name ("Adaeze Okafor" -> "Adaeze", "Okafor";
 * one word is both). */
static void
psk_person_name(char *first, char *last, size_t cap, const char *name)
{
	char clean[256];
	const char *p = clean;
	int words = 0;

	text_sanitize_into(clean, sizeof(clean), name);
	for (; *p; p++)
		words += *p != ' ' && (p == clean || p[-1] == ' ');
	pay_provider_split_name(first, last, cap, name);
	if (words < 2)
		snprintf(last, cap, "%s", first);
}

/* The check's reference: the customer's code and when it started (Unix
 * ms): a refusal delivered for an earlier check does not count. */
static int
psk_kyc_reference_parse(const char *reference, char *code, size_t cap, int64_t *since_ms)
{
	const char *colon = reference ? strrchr(reference, ':') : NULL;
	char *end = NULL;
	long long ms;

	if (!colon || (size_t)(colon - reference) >= cap || !isdigit((unsigned char)colon[1]))
		return err_set(ERR_NOT_FOUND, "kyc_check_not_found",
			       "not a paystack identity check reference");
	memcpy(code, reference, (size_t)(colon - reference));
	code[colon - reference] = '\0';
	ms = strtoll(colon + 1, &end, 10);
	if (!pay_http_is_token(code, cap - 1) || *end != '\0' || ms <= 0)
		return err_set(ERR_NOT_FOUND, "kyc_check_not_found",
			       "not a paystack identity check reference");
	*since_ms = (int64_t)ms;
	return 0;
}

static int64_t
psk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The input a validation needs: a BVN and the person's bank account. */
static int
psk_kyc_input_ok(const pay_kyc_request *req)
{
	if (!req->id_type || strcmp(req->id_type, "bvn") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_type_unsupported",
			       "paystack validates a BVN only");
	if (!req->bank_code || !req->bank_code[0] || !req->account_number ||
	    !req->account_number[0])
		return err_set(ERR_INVALID_ARGUMENT, "bank_account_required",
			       "paystack validates a BVN against the person's own bank"
			       " account: bank_code and account_number are required");
	if (!req->user_id || !pay_http_is_token(req->user_id, 40) || !req->name || !req->name[0])
		return psk_bad_request("an identity check", "a field is missing");
	return 0;
}

/* POST /customer/{code}/identification: 202, validation in progress. */
static int
psk_identify(psk_state *s, const char *code, const pay_kyc_request *req, const char *first,
	     const char *last)
{
	static const char *const what = "an identity check";
	json_t *root = NULL, *data;
	char path[128];
	pay_http_reply r;
	char *body;
	int rc;

	body = psk_body(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "country", "NG", "type",
				  "bank_account", "account_number", req->account_number, "bvn",
				  req->id_number, "bank_code", req->bank_code, "first_name", first,
				  "last_name", last));
	if (!body)
		return psk_bad_request(what, "a field is not valid utf-8");
	snprintf(path, sizeof(path), "/customer/%s/identification", code);
	rc = pay_http_call(&s->http, PAY_HTTP_POST_READ, path, body, &r, what);
	sodium_memzero(body, strlen(body));
	free(body);
	if (rc == 0)
		rc = pay_http_open(&root, &data, &s->http, &r, what);
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* The person's own customer (local+kyc-<user id>@domain), then its
 * validation; the result comes later (psk_kyc_get). */
static int
psk_kyc_start(pay_provider *p, const pay_kyc_request *req, pay_kyc_result *out)
{
	psk_state *s = p->state;
	char email[PSK_EMAIL_MAX + 1], code[64], local[64], first[128], last[128];
	int64_t started = psk_now_ms();
	int rc = psk_kyc_input_ok(req);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	snprintf(local, sizeof(local), "kyc-%s", req->user_id);
	if (psk_customer_email(email, sizeof(email), s->account_email, local) < 0)
		return psk_bad_request("an identity check",
				       "the account mailbox cannot be addressed per user");
	psk_person_name(first, last, sizeof(first), req->name);
	rc = psk_customer_named(s, email, first, last, "kolo_user_id", req->user_id, code,
				sizeof(code));
	if (rc == 0)
		rc = psk_identify(s, code, req, first, last);
	if (rc < 0)
		return rc;
	out->status = PAY_KYC_PENDING;
	snprintf(out->reference, sizeof(out->reference), "%s:%lld", code, (long long)started);
	return 0;
}

/* GET /customer/{code}: *identified, and the name it holds. */
static int
psk_customer_identified(psk_state *s, const char *code, int *identified, char *name, size_t cap)
{
	static const char *const what = "an identity check read-back";
	char path[128], first[128] = "", last[128] = "", full[260];
	json_t *root = NULL, *data;
	pay_http_reply r;
	int rc;

	snprintf(path, sizeof(path), "/customer/%s", code);
	rc = psk_fetch(s, PAY_HTTP_GET, path, NULL, &r, &root, &data, what);
	if (rc == 0) {
		(void)pay_http_get_text(first, sizeof(first), data, "first_name");
		(void)pay_http_get_text(last, sizeof(last), data, "last_name");
		if (strcmp(first, last) == 0)
			last[0] = '\0';
		*identified = json_is_true(json_object_get(data, "identified"));
		snprintf(full, sizeof(full), "%s%s%s", first, first[0] && last[0] ? " " : "", last);
		text_sanitize_into(name, cap, full);
	}
	return pay_http_end(rc, NULL, 0, root, &r);
}

/* The read-back decides a verification (the customer is identified); a
 * refusal is known only from its webhook, stored when it arrived. */
static int
psk_kyc_get(pay_provider *p, const char *id_type, const char *reference, pay_kyc_result *out)
{
	char code[64], reason[PAY_TEXT_MAX];
	int64_t since_ms = 0;
	int identified = 0, failed = 0;
	db_conn *c = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!id_type || strcmp(id_type, "bvn") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "kyc_type_unsupported",
			       "paystack validates a BVN only");
	rc = psk_kyc_reference_parse(reference, code, sizeof(code), &since_ms);
	if (rc == 0)
		rc = psk_customer_identified(p->state, code, &identified, out->name,
					     sizeof(out->name));
	if (rc == 0 && !identified)
		rc = db_thread_conn(&c);
	if (rc == 0 && !identified)
		rc = pay_store_customer_event(reason, sizeof(reason), &failed, c, "paystack",
					      PSK_KYC_FAILED_EVENT, code, since_ms);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	snprintf(out->reference, sizeof(out->reference), "%s", reference);
	out->status = identified ? PAY_KYC_VERIFIED : failed ? PAY_KYC_FAILED : PAY_KYC_PENDING;
	if (!identified)
		out->name[0] = '\0';
	if (failed)
		pay_http_clean_text(out->message, sizeof(out->message),
				    reason[0] ? reason : "paystack did not validate the customer");
	return 0;
}

/* --- life cycle ------------------------------------------------------- */

static void
psk_destroy(pay_provider *p)
{
	psk_state *s;

	if (!p)
		return;
	s = p->state;
	if (s) {
		pay_http_client_destroy(&s->http);
		pay_http_wipe_free(s->secret_key);
		free(s->account_email);
		free(s->preferred_bank);
		free(s);
	}
	free(p);
}

static const pay_provider_ops psk_ops = {
	.name = "paystack",
	.deposit_source = "provider_sandbox",
	.create_va = psk_create_va,
	.create_transfer = psk_create_transfer,
	.get_transfer = psk_get_transfer,
	.verify_charge = psk_verify_charge,
	.resolve_account = psk_resolve_account,
	.list_banks = psk_list_banks,
	.parse_event = psk_parse_event,
	.signature_ok = psk_signature_ok,
	.live = 1,
	.kyc_start = psk_kyc_start,
	.kyc_get = psk_kyc_get,
	.destroy = psk_destroy,
};

/* The configuration's problem, or NULL when it is usable. */
static const char *
psk_config_problem(const pay_paystack_config *cfg)
{
	const char *at = cfg->account_email ? strchr(cfg->account_email, '@') : NULL;

	if (!cfg->base_url || !pay_http_base_url_ok(cfg->base_url))
		return "the paystack base url must be https (or http to localhost)";
	if (!cfg->secret_key || !cfg->secret_key[0] || strlen(cfg->secret_key) > PAY_HTTP_KEY_MAX ||
	    !pay_http_header_safe(cfg->secret_key))
		return "the paystack secret key is missing or malformed";
	if (!at || at == cfg->account_email || !at[1] || strchr(at + 1, '@') ||
	    strlen(cfg->account_email) > 128 || !pay_http_header_safe(cfg->account_email) ||
	    strchr(cfg->account_email, ' '))
		return "the paystack account email must be one address (local@domain)";
	/* local+kolo-<uuid> must fit the 64 characters of a local part. */
	if (at - cfg->account_email > PSK_LOCAL_MAX)
		return "the paystack account email's local part must be at most 22 characters";
	if (cfg->preferred_bank && !pay_http_is_token(cfg->preferred_bank, 64))
		return "the paystack preferred bank is a slug like wema-bank";
	if (cfg->timeout_ms <= 0 || cfg->timeout_ms > 3600000)
		return "the paystack timeout must be 1 ms to 1 hour";
	return NULL;
}

int
pay_paystack_new(pay_provider **out, const pay_paystack_config *cfg)
{
	const char *problem = psk_config_problem(cfg);
	pay_provider *p;
	psk_state *s;
	int rc;

	*out = NULL;
	if (problem)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config", "%s", problem);
	if (pay_http_global_init() < 0)
		return -1;
	s = xcalloc(1, sizeof(*s));
	rc = pay_http_client_init(&s->http, "paystack", cfg->base_url, cfg->ca_file,
				  cfg->secret_key, (long)cfg->timeout_ms, psk_refused);
	s->secret_key = xstrdup(cfg->secret_key);
	s->secret_key_len = strlen(s->secret_key);
	s->account_email = xstrdup(cfg->account_email);
	s->preferred_bank = xstrdup(
		cfg->preferred_bank && cfg->preferred_bank[0] ? cfg->preferred_bank : "wema-bank");
	p = xcalloc(1, sizeof(*p));
	p->ops = &psk_ops;
	p->state = s;
	if (rc < 0) {
		psk_destroy(p);
		return rc;
	}
	*out = p;
	return 0;
}
