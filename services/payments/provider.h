/* provider: what payments needs from a payment provider (DESIGN §8).
 *
 * Three implementations: demo (provider_demo.c, embedded, no keys),
 * flutterwave (provider_flutterwave.c, the v3 API over libcurl) and
 * paystack (provider_paystack.c, over libcurl). Amounts
 * cross this interface as integer kobo; a provider converts at its own
 * boundary. Every call is bounded in time.
 *
 * Errors (err_set): ERR_UNAVAILABLE when the provider cannot be reached or
 * answers 5xx (nothing happened, or the outcome is unknown for a transfer:
 * see create_transfer), ERR_DEADLINE_EXCEEDED on a timeout,
 * ERR_INVALID_ARGUMENT / ERR_NOT_FOUND when it refuses the request (4xx),
 * ERR_INTERNAL for a reply we cannot read. */
#ifndef KOLO_PAY_PROVIDER_H
#define KOLO_PAY_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

#define PAY_TEXT_MAX 256

typedef struct pay_provider pay_provider;

typedef struct pay_va_request {
	const char *tx_ref; /* ours, unique per group: matches deposits */
	const char *group_name;
	const char *email; /* may be "" */
	/* A live account's holder: the KYC-verified officer's id ("bvn" or
	 * "nin") and number; NULL for simulated accounts. Never logged. */
	const char *id_type;
	const char *id_number;
} pay_va_request;

/* An identity check (KYC) of a BVN or NIN. */
typedef struct pay_kyc_request {
	const char *id_type;   /* "bvn" or "nin" */
	const char *id_number; /* 11 digits; never logged or stored */
	const char *name;      /* the person it should belong to */
	const char *user_id;   /* whose check (a provider's customer per user) */
	/* The person's own bank account: Paystack validates a BVN against
	 * it; NULL or "" when not given. */
	const char *bank_code;
	const char *account_number;
} pay_kyc_request;

typedef enum {
	PAY_KYC_PENDING = 1,  /* waiting for the person's consent or the provider */
	PAY_KYC_VERIFIED = 2, /* name: the holder the provider names */
	PAY_KYC_FAILED = 3,   /* message: the provider's words */
} pay_kyc_status;

typedef struct pay_kyc_result {
	pay_kyc_status status;
	char reference[128];	    /* the provider's reference of the check */
	char consent_url[512];	    /* where the person consents; "" when none */
	char name[PAY_TEXT_MAX];    /* when verified */
	char message[PAY_TEXT_MAX]; /* when failed */
} pay_kyc_result;

typedef struct pay_va_result {
	char account_number[32];
	char bank_name[64];
	char provider_ref[128]; /* e.g. Flutterwave's order_ref / flw_ref */
	char *raw_json;		/* the provider's whole reply; malloc'd */
} pay_va_result;

typedef struct pay_transfer_request {
	const char *reference; /* our payout id: the provider's idempotency key */
	int64_t amount_kobo;
	const char *bank_code;
	const char *account_number;
	const char *account_name;
	const char *narration;
} pay_transfer_request;

typedef enum {
	PAY_TRANSFER_PENDING = 1,
	PAY_TRANSFER_SUCCESS = 2,
	PAY_TRANSFER_FAILED = 3,
} pay_transfer_status;

typedef struct pay_transfer_result {
	pay_transfer_status status;
	char provider_id[64];	    /* the provider's transfer id */
	char message[PAY_TEXT_MAX]; /* the provider's words on a failure */
	int64_t amount_kobo;
	char *raw_json; /* malloc'd */
} pay_transfer_result;

/* Who paid a deposit, as the provider names them (DESIGN §15): the sending
 * account when it is exactly 10 digits (else "": no payer to match), the
 * holder's and the bank's names as given (sanitised text, "" when absent). */
#define PAY_PAYER_NAME_MAX 128
typedef struct pay_payer {
	char account_number[11];
	char name[PAY_PAYER_NAME_MAX];
	char bank_name[PAY_PAYER_NAME_MAX];
} pay_payer;

typedef struct pay_charge {
	char id[64]; /* the provider's transaction id */
	char tx_ref[128];
	int64_t amount_kobo;
	int64_t fee_kobo; /* what the provider took of it (Flutterwave's app_fee); 0 when none */
	char currency[8];
	int successful;		 /* status "successful" */
	char account_number[32]; /* the receiving account, when the provider
				  * matches deposits by it (paystack); "" otherwise */
	pay_payer payer;	 /* when the verification names the sender */
	char *raw_json;		 /* malloc'd */
} pay_charge;

typedef struct pay_bank {
	char code[16];
	char name[128];
} pay_bank;

/* A webhook delivery's headers, as received (names lower case). */
typedef struct pay_header {
	const char *name;
	const char *value;
} pay_header;

typedef enum {
	PAY_EVENT_OTHER = 0,	/* stored and acknowledged, nothing to do */
	PAY_EVENT_CHARGE = 1,	/* a deposit (bank transfer) completed */
	PAY_EVENT_TRANSFER = 2, /* a payout's transfer completed */
} pay_event_kind;

/* What a webhook delivery says, before any of it is trusted: a deposit is
 * credited only after verify_charge agrees, a transfer settled only after
 * get_transfer agrees. */
typedef struct pay_event {
	pay_event_kind kind;
	char type[64];		 /* the provider's event name */
	char transaction_id[64]; /* PAY_EVENT_CHARGE: the provider's id */
	char tx_ref[128];	 /* PAY_EVENT_CHARGE: the account's tx_ref */
	int64_t amount_kobo;	 /* PAY_EVENT_CHARGE: the amount it claims */
	char currency[8];	 /* PAY_EVENT_CHARGE: the currency it claims */
	char transfer_ref[128];	 /* PAY_EVENT_TRANSFER: our reference */
	/* PAY_EVENT_CHARGE of a provider that names the receiving account
	 * instead of a tx_ref (paystack; tx_ref is then ""); "" otherwise. */
	char account_number[32];
	/* PAY_EVENT_CHARGE: the sender as the (signed) delivery names them;
	 * used when the verification does not name one. */
	pay_payer payer;
} pay_event;

typedef struct pay_provider_ops {
	const char *name; /* "demo", "flutterwave" or "paystack": account.provider etc. */
	/* The ledger source of deposits through this provider. */
	const char *deposit_source; /* "demo" or "provider_sandbox" */
	int (*create_va)(pay_provider *p, const pay_va_request *req, pay_va_result *out);
	/* Starts a transfer. A timeout or 5xx leaves the outcome unknown:
	 * the caller keeps the payout PENDING and asks get_transfer later;
	 * it never starts a second transfer for the same reference. */
	int (*create_transfer)(pay_provider *p, const pay_transfer_request *req,
			       pay_transfer_result *out);
	/* The transfer started with our reference (read by known_id, the
	 * provider's id of it, when we have one: NULL or "" otherwise);
	 * ERR_NOT_FOUND if the provider never saw it. */
	int (*get_transfer)(pay_provider *p, const char *reference, const char *known_id,
			    pay_transfer_result *out);
	/* Re-verifies a deposit by the provider's transaction id. */
	int (*verify_charge)(pay_provider *p, const char *transaction_id, pay_charge *out);
	/* The account holder's name; ERR_NOT_FOUND when there is none. */
	int (*resolve_account)(pay_provider *p, const char *bank_code, const char *account_number,
			       char *name, size_t cap);
	/* Banks payouts can go to; *out is malloc'd (free()). */
	int (*list_banks)(pay_provider *p, pay_bank **out, size_t *n);
	/* Reads a delivery's body; ERR_INVALID_ARGUMENT when it is not the
	 * provider's JSON. Kinds it does not act on are PAY_EVENT_OTHER. */
	int (*parse_event)(pay_provider *p, const uint8_t *body, size_t len, pay_event *out);
	/* 1 when a webhook delivery is signed by the provider. */
	int (*signature_ok)(pay_provider *p, const pay_header *headers, size_t n_headers,
			    const uint8_t *body, size_t len);
	/* 1 when accounts are real (opened in a KYC-verified officer's name). */
	int live;
	/* Starts an identity check; NULL when the provider has none.
	 * ERR_FAILED_PRECONDITION "kyc_type_unsupported" for an id type it
	 * cannot check. */
	int (*kyc_start)(pay_provider *p, const pay_kyc_request *req, pay_kyc_result *out);
	/* Reads a started check back by its reference (id_type as started);
	 * ERR_NOT_FOUND when the provider does not know it. */
	int (*kyc_get)(pay_provider *p, const char *id_type, const char *reference,
		       pay_kyc_result *out);
	void (*destroy)(pay_provider *p);
} pay_provider_ops;

struct pay_provider {
	const pay_provider_ops *ops;
	void *state;
};

/* The demo provider: account numbers at once, transfers succeed except to
 * account numbers starting "0000" (fail) or "9999" (stay pending until
 * get_transfer, which then succeeds). Identity checks are decided at
 * once: a number ending "000" is refused, one ending "999" is held by
 * "Demo Other Person" (a name mismatch), any other is the named person's. Its transfers are kept in
 * the payments database (demo_transfer), reached through the calling thread's connection
 * (db_thread_conn): call it outside a transaction. *out is owned by the caller (ops->destroy). */
KOLO_MUST_CHECK int pay_demo_new(pay_provider **out);

typedef struct pay_flutterwave_config {
	const char *base_url;	      /* e.g. https://api.flutterwave.com */
	const char *secret_key;	      /* Authorization: Bearer */
	const char *secret_hash;      /* the verif-hash webhooks carry */
	const char *ca_file;	      /* extra CA bundle (tests); NULL = system */
	const char *account_email;    /* virtual accounts' email when the request has none */
	int64_t timeout_ms;	      /* per request */
	const char *kyc_redirect_url; /* where BVN consent returns; NULL/"" = none */
} pay_flutterwave_config;

/* The Flutterwave v3 provider (strings copied). */
KOLO_MUST_CHECK int pay_flutterwave_new(pay_provider **out, const pay_flutterwave_config *cfg);

typedef struct pay_paystack_config {
	const char *base_url;	    /* e.g. https://api.paystack.co */
	const char *secret_key;	    /* Authorization: Bearer, and the webhook HMAC key */
	const char *ca_file;	    /* extra CA bundle (tests); NULL = system */
	const char *account_email;  /* local@domain: each group's customer is
				     * local+<tx_ref>@domain (required) */
	const char *preferred_bank; /* dedicated accounts' bank; NULL = "wema-bank" */
	int64_t timeout_ms;	    /* per request */
} pay_paystack_config;

/* The Paystack provider (strings copied): dedicated accounts (customer,
 * then dedicated_account), transfers (recipient, transfer, verify),
 * charge.success re-verified, x-paystack-signature (HMAC-SHA512). Its
 * deposit events carry account_number, not tx_ref. Identity checks are
 * customer validations (a BVN against the person's bank account): started
 * by POST /customer/{code}/identification, read back from the customer
 * (identified) and, for a refusal, from the stored
 * customeridentification.failed webhook (db_thread_conn: call it outside a
 * transaction). ERR_INVALID_ARGUMENT bad_config for an unusable
 * configuration. */
KOLO_MUST_CHECK int pay_paystack_new(pay_provider **out, const pay_paystack_config *cfg);

/* firstname/lastname from a name: its first word and the rest ("Ajo
 * Savings Club" -> "Ajo", "Savings Club"; "Ajo" -> "Ajo", "Group"; none ->
 * "Kolo", "Group"), sanitised, each at most cap - 1 bytes. */
void pay_provider_split_name(char *first, char *last, size_t cap, const char *name);
/* The refusal just recorded (err_last()), its message kept, as "no such
 * account": ERR_NOT_FOUND account_not_found. */
int pay_provider_no_account(void);
/* A delivery that failed to parse: out zeroed but its type (for the log). */
void pay_provider_event_clear(pay_event *out);

/* Frees a result's raw reply. */
void pay_free_raw(char **raw_json);

#endif
