/* The demo provider (DESIGN §8): no keys, no network. Account numbers are
 * issued at once; transfers succeed, except to account numbers starting
 * "0000" (they fail) or "9999" (they stay pending until asked about, then
 * succeed), so every path can be exercised. Deposits come from
 * SimulateDeposit, not webhooks.
 *
 * The demo "bank" keeps its transfers in the payments database
 * (demo_transfer, through the store), by reference, so a repeated
 * reference is never a second transfer, not even after a restart. */
#include "provider.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "payments.h"

#define PAY_DEMO_REFERENCE_MAX 63

/* A NUBAN-shaped number: 10 digits, random, never starting 0000/9999. */
static void
pay_demo_number(char out[32])
{
	uint32_t hi = 100000 + randombytes_uniform(800000);
	uint32_t lo = randombytes_uniform(10000);

	snprintf(out, 32, "%06u%04u", hi, lo);
}

static int
pay_demo_create_va(pay_provider *p, const pay_va_request *req, pay_va_result *out)
{
	(void)p;
	memset(out, 0, sizeof(*out));
	pay_demo_number(out->account_number);
	snprintf(out->bank_name, sizeof(out->bank_name), "Wema Bank");
	snprintf(out->provider_ref, sizeof(out->provider_ref), "demo-%s", req->tx_ref);
	out->raw_json = xstrdup("{\"provider\":\"demo\"}");
	return 0;
}

/* What the demo bank does with a transfer to account_number. */
static const char *
pay_demo_outcome(const char *account_number)
{
	if (strncmp(account_number, "0000", 4) == 0)
		return "FAILED";
	if (strncmp(account_number, "9999", 4) == 0)
		return "PENDING";
	return "SUCCESS";
}

static void
pay_demo_result(pay_transfer_result *out, const pay_demo_transfer *t)
{
	memset(out, 0, sizeof(*out));
	out->status = strcmp(t->status, "SUCCESS") == 0	 ? PAY_TRANSFER_SUCCESS
		      : strcmp(t->status, "FAILED") == 0 ? PAY_TRANSFER_FAILED
							 : PAY_TRANSFER_PENDING;
	out->amount_kobo = t->amount_kobo;
	snprintf(out->provider_id, sizeof(out->provider_id), "demo-%.50s", t->reference);
	if (out->status == PAY_TRANSFER_FAILED)
		snprintf(out->message, sizeof(out->message), "the demo bank refused the account");
	out->raw_json = xstrdup("{\"provider\":\"demo\"}");
}

static int
pay_demo_create_transfer(pay_provider *p, const pay_transfer_request *req, pay_transfer_result *out)
{
	pay_demo_transfer want = {.reference = (char *)req->reference,
				  .amount_kobo = req->amount_kobo,
				  .status = (char *)pay_demo_outcome(req->account_number)};
	pay_demo_transfer stored;
	mem_arena *a;
	db_conn *c = NULL;
	int rc;

	(void)p;
	if (strlen(req->reference) > PAY_DEMO_REFERENCE_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "bad_reference", "reference too long");
	a = mem_arena_new(0);
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_demo_transfer_add(&stored, a, c, &want);
	if (rc == 0)
		pay_demo_result(out, &stored);
	mem_arena_free(a);
	return rc;
}

static int
pay_demo_get_transfer(pay_provider *p, const char *reference, const char *known_id,
		      pay_transfer_result *out)
{
	pay_demo_transfer stored;
	mem_arena *a = mem_arena_new(0);
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	(void)p;
	(void)known_id; /* the demo bank finds its transfers by reference */
	if (rc == 0)
		rc = pay_store_demo_transfer_settle(&stored, &found, a, c, reference);
	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "transfer_not_found",
			     "the demo bank has no such transfer");
	if (rc == 0)
		pay_demo_result(out, &stored);
	mem_arena_free(a);
	return rc;
}

static int
pay_demo_verify_charge(pay_provider *p, const char *id, pay_charge *out)
{
	(void)p;
	(void)id;
	(void)out;
	return err_set(ERR_NOT_FOUND, "no_such_charge",
		       "the demo provider takes deposits through SimulateDeposit");
}

static int
pay_demo_resolve(pay_provider *p, const char *bank_code, const char *number, char *name, size_t cap)
{
	(void)p;
	(void)bank_code;
	if (strlen(number) != 10 || strspn(number, "0123456789") != 10)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			       "account numbers are 10 digits");
	snprintf(name, cap, "DEMO ACCOUNT %.4s", number + 6);
	return 0;
}

static const pay_bank pay_demo_banks[] = {
	{"035", "Wema Bank"},
	{"044", "Access Bank"},
	{"058", "GTBank"},
	{"011", "First Bank"},
	{"033", "United Bank for Africa"},
	{"057", "Zenith Bank"},
};

static int
pay_demo_list_banks(pay_provider *p, pay_bank **out, size_t *n)
{
	(void)p;
	*n = sizeof(pay_demo_banks) / sizeof(pay_demo_banks[0]);
	*out = xmalloc(sizeof(pay_demo_banks));
	memcpy(*out, pay_demo_banks, sizeof(pay_demo_banks));
	return 0;
}

static int
pay_demo_parse_event(pay_provider *p, const uint8_t *body, size_t len, pay_event *out)
{
	(void)p;
	(void)body;
	(void)len;
	memset(out, 0, sizeof(*out));
	snprintf(out->type, sizeof(out->type), "demo");
	return 0;
}

/* The demo provider sends no webhooks: none is genuine. */
static int
pay_demo_signature_ok(pay_provider *p, const pay_header *headers, size_t n, const uint8_t *body,
		      size_t len)
{
	(void)p;
	(void)headers;
	(void)n;
	(void)body;
	(void)len;
	return 0;
}

static void
pay_demo_destroy(pay_provider *p)
{
	free(p);
}

/* --- identity checks: decided at once (see provider.h) --------------------- */

static int
pay_demo_kyc_start(pay_provider *p, const pay_kyc_request *req, pay_kyc_result *out)
{
	size_t len = strlen(req->id_number);
	const char *tail = req->id_number + (len >= 3 ? len - 3 : 0);

	unsigned char nonce[8];
	char hex[sizeof(nonce) * 2 + 1];

	(void)p;
	memset(out, 0, sizeof(*out));
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
	snprintf(out->reference, sizeof(out->reference), "demo-kyc-%s", hex);
	out->status = PAY_KYC_VERIFIED;
	if (strcmp(tail, "000") == 0) {
		out->status = PAY_KYC_FAILED;
		snprintf(out->message, sizeof(out->message),
			 "the demo provider refuses numbers ending 000");
	} else if (strcmp(tail, "999") == 0) {
		snprintf(out->name, sizeof(out->name), "Demo Other Person");
	} else {
		snprintf(out->name, sizeof(out->name), "%s", req->name);
	}
	return 0;
}

static int
pay_demo_kyc_get(pay_provider *p, const char *id_type, const char *reference, pay_kyc_result *out)
{
	(void)p;
	(void)id_type;
	(void)reference;
	memset(out, 0, sizeof(*out));
	return err_set(ERR_NOT_FOUND, "kyc_check_not_found",
		       "the demo provider decides checks at once");
}

static const pay_provider_ops pay_demo_ops = {
	.name = "demo",
	.deposit_source = "demo",
	.create_va = pay_demo_create_va,
	.create_transfer = pay_demo_create_transfer,
	.get_transfer = pay_demo_get_transfer,
	.verify_charge = pay_demo_verify_charge,
	.resolve_account = pay_demo_resolve,
	.list_banks = pay_demo_list_banks,
	.parse_event = pay_demo_parse_event,
	.signature_ok = pay_demo_signature_ok,
	.live = 0,
	.kyc_start = pay_demo_kyc_start,
	.kyc_get = pay_demo_kyc_get,
	.destroy = pay_demo_destroy,
};

int
pay_demo_new(pay_provider **out)
{
	pay_provider *p = xcalloc(1, sizeof(*p));

	p->ops = &pay_demo_ops;
	*out = p;
	return 0;
}
