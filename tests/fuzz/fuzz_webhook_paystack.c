/* fuzz_webhook_paystack: Paystack webhook bodies and x-paystack-signature
 * headers as they arrive from the internet, through the provider's parser
 * and HMAC-SHA512 check (no network: neither makes a request). */
#include "fuzz.h"
#include "provider.h"

#include <sodium.h>

#define FUZZ_KEY "sk_test_fuzz"

static pay_provider *provider;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pay_paystack_config cfg = {.base_url = "http://127.0.0.1:9",
				   .secret_key = FUZZ_KEY,
				   .account_email = "accounts@kolo.example",
				   .timeout_ms = 100};

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || pay_paystack_new(&provider, &cfg) < 0)
		abort();
	return 0;
}

/* 1 when sig is the lower- or upper-case hex HMAC-SHA512 of body. */
static int
fuzz_is_signature(const char *sig, const uint8_t *body, size_t len)
{
	unsigned char mac[crypto_auth_hmacsha512_BYTES];
	char hex[sizeof(mac) * 2 + 1];
	crypto_auth_hmacsha512_state st;

	crypto_auth_hmacsha512_init(&st, (const unsigned char *)FUZZ_KEY, strlen(FUZZ_KEY));
	crypto_auth_hmacsha512_update(&st, body, len);
	crypto_auth_hmacsha512_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	if (strlen(sig) != sizeof(hex) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(hex) - 1; i++) {
		char c = sig[i] >= 'A' && sig[i] <= 'F' ? (char)(sig[i] + 32) : sig[i];

		if (c != hex[i])
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pay_event ev;
	/* The first line is the x-paystack-signature header, the rest the body. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - data) : 0;
	char *sig = fuzz_text(data, head);
	pay_header headers[] = {{"x-paystack-signature", sig}};
	const uint8_t *body = nl ? nl + 1 : data;
	size_t len = nl ? size - head - 1 : size;
	int ok = provider->ops->signature_ok(provider, headers, 1, body, len);

	FUZZ_CHECK(ok == fuzz_is_signature(sig, body, len));
	memset(&ev, 0, sizeof(ev));
	if (provider->ops->parse_event(provider, body, len, &ev) == 0) {
		FUZZ_CHECK(memchr(ev.type, '\0', sizeof(ev.type)) != NULL);
		FUZZ_CHECK(memchr(ev.transaction_id, '\0', sizeof(ev.transaction_id)) != NULL);
		FUZZ_CHECK(memchr(ev.account_number, '\0', sizeof(ev.account_number)) != NULL);
		/* A deposit names its reference and receiving account, never a
		 * tx_ref, and claims a non-negative amount (checked against
		 * verify before any credit). */
		FUZZ_CHECK(ev.kind != PAY_EVENT_CHARGE ||
			   (ev.transaction_id[0] && ev.account_number[0] && !ev.tx_ref[0] &&
			    ev.amount_kobo >= 0));
		FUZZ_CHECK(ev.kind != PAY_EVENT_TRANSFER || ev.transfer_ref[0]);
	}
	free(sig);
	return 0;
}
