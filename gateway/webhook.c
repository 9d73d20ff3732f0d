/* POST /v1/webhooks/flutterwave and /v1/webhooks/paystack: the raw body and
 * the signature headers go to payments.HandleWebhook untouched (payments
 * verifies and stores), with the provider the route names, from the
 * allowed addresses only (KOLO_WEBHOOK_ALLOWED_IPS). */
#include "gw.h"

#include <microhttpd.h>
#include <string.h>

#include "kolo/payments/v1/payments.pb-c.h"

static const char *const gw_webhook_headers[] = {"verif-hash", "flutterwave-signature",
						 "x-paystack-signature", "content-type"};
#define GW_N_WEBHOOK_HEADERS (sizeof(gw_webhook_headers) / sizeof(gw_webhook_headers[0]))

static gw_addrlist gw_webhook_allowed; /* set once at start */

void
gw_webhook_configure(const gw_addrlist *allowed)
{
	gw_webhook_allowed = *allowed;
}

/* Counts a refusal by the reason payments (or the gateway) gave. */
static void
gw_webhook_count(const char *reason)
{
	gw_metrics_webhook_refused(strcmp(reason, "bad_signature") == 0	 ? GW_WEBHOOK_BAD_SIGNATURE
				   : strcmp(reason, "rate_limited") == 0 ? GW_WEBHOOK_RATE_LIMITED
									 : GW_WEBHOOK_OTHER);
}

void
gw_webhook_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	Kolo__Payments__V1__HandleWebhookRequest in =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__HandleWebhookResponse *out = NULL;
	Kolo__Payments__V1__Header *headers[GW_N_WEBHOOK_HEADERS];
	Kolo__Payments__V1__Header storage[GW_N_WEBHOOK_HEADERS];

	if (!gw_addrlist_allows(&gw_webhook_allowed, req->client_ip)) {
		gw_metrics_webhook_refused(GW_WEBHOOK_ADDRESS_NOT_ALLOWED);
		gw_reply_error(resp, 403, "address_not_allowed",
			       "webhooks are accepted only from the provider's addresses");
		return;
	}
	/* The provider is the route's last segment (/v1/webhooks/<provider>). */
	in.provider = (char *)strrchr(route->pattern, '/') + 1;
	in.raw_body.data = (uint8_t *)req->body;
	in.raw_body.len = req->body_len;
	in.headers = headers;
	for (size_t i = 0; i < GW_N_WEBHOOK_HEADERS; i++) {
		const char *v = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
							    gw_webhook_headers[i]);

		if (!v)
			continue;
		kolo__payments__v1__header__init(&storage[in.n_headers]);
		storage[in.n_headers].name = (char *)gw_webhook_headers[i];
		storage[in.n_headers].value = (char *)v;
		headers[in.n_headers] = &storage[in.n_headers];
		in.n_headers++;
	}
	if (gw_call(req, GW_PAYMENTS, "HandleWebhook", &in.base, (ProtobufCMessage **)&out, 1) <
	    0) {
		gw_webhook_count(err_last()->reason);
		gw_reply_err_last(resp);
		return;
	}
	gw_reply_json(resp, 200, gw_pb_to_json(&out->base));
}
