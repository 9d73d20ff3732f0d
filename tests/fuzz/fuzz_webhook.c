/* fuzz_webhook: Flutterwave webhook bodies and signature headers as they
 * arrive from the internet, through the provider's parser and signature
 * check (no network: neither makes a request). */
#include "fuzz.h"
#include "provider.h"

static pay_provider *provider;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pay_flutterwave_config cfg = {.base_url = "http://127.0.0.1:9",
				      .secret_key = "FLWSECK_TEST-fuzz",
				      .secret_hash = "fuzz-secret-hash",
				      .timeout_ms = 100};

	(void)argc;
	(void)argv;
	if (pay_flutterwave_new(&provider, &cfg) < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pay_event ev;
	/* The first line is the verif-hash header, the rest the body. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - data) : 0;
	char *hash = fuzz_text(data, head);
	pay_header headers[] = {{"verif-hash", hash}};
	const uint8_t *body = nl ? nl + 1 : data;
	size_t len = nl ? size - head - 1 : size;
	int ok = provider->ops->signature_ok(provider, headers, 1, body, len);

	FUZZ_CHECK(ok == (strcmp(hash, "fuzz-secret-hash") == 0));
	memset(&ev, 0, sizeof(ev));
	if (provider->ops->parse_event(provider, body, len, &ev) == 0) {
		FUZZ_CHECK(memchr(ev.type, '\0', sizeof(ev.type)) != NULL);
		FUZZ_CHECK(memchr(ev.transaction_id, '\0', sizeof(ev.transaction_id)) != NULL);
		FUZZ_CHECK(memchr(ev.tx_ref, '\0', sizeof(ev.tx_ref)) != NULL);
		/* A deposit names its transaction and reference (its amount
		 * is only a claim: crediting checks it against verify). */
		FUZZ_CHECK(ev.kind != PAY_EVENT_CHARGE || (ev.transaction_id[0] && ev.tx_ref[0]));
		FUZZ_CHECK(ev.kind != PAY_EVENT_TRANSFER || ev.transfer_ref[0]);
	}
	free(hash);
	return 0;
}
