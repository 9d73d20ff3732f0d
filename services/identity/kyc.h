/* kyc: the rules of identity checks (DESIGN §14); no protobuf, no SQL.
 *
 * A user submits a BVN or NIN; payments asks the provider, which answers
 * at once (demo) or later (a consent page, a webhook); the check is
 * verified only when the provider names the same person as the account
 * (beneficiary_names_match, the payout beneficiary rule). */
#ifndef KOLO_IDN_KYC_H
#define KOLO_IDN_KYC_H

#include "err/err.h"
#include "pii.h"
#include "rpc/rpc.h"

#define IDN_KYC_NUMBER_DIGITS 11
/* The longest provider's name for a holder kept (user_kyc.verified_name). */
#define IDN_KYC_NAME_MAX 200

typedef enum {
	IDN_KYC_NONE = 0,
	IDN_KYC_PENDING = 1,
	IDN_KYC_VERIFIED = 2,
	IDN_KYC_FAILED = 3,
} idn_kyc_status;

/* What identity needs for KYC; set once at start-up (borrowed).
 * enabled is 0 when no KOLO_PII_KEY is configured: checks are refused. */
typedef struct idn_kyc_deps {
	int enabled;
	idn_pii_keyring keys;  /* copied */
	rpc_channel *payments; /* StartKycCheck, GetKycCheck */
	int poll_interval_ms;  /* how often the worker reads pending checks back
				*/
	int poll_batch;	       /* pending checks read back per pass */
} idn_kyc_deps;

void idn_kyc_configure(const idn_kyc_deps *deps);
const idn_kyc_deps *idn_kyc_current(void);
/* Wipes the configured keys. */
void idn_kyc_unconfigure(void);

/* "bvn" or "nin", and 11 ASCII digits: ERR_INVALID_ARGUMENT
 * "invalid_id_type" / "invalid_id_number" otherwise (the message never
 * repeats the number). */
KOLO_MUST_CHECK int idn_kyc_check_input(const char *id_type, const char *id_number);

/* The status of its text ("pending" ...), IDN_KYC_NONE for anything else;
 * and back. */
idn_kyc_status idn_kyc_status_of(const char *text);
const char *idn_kyc_status_text(idn_kyc_status status);

/* What a provider's answer makes of a check of a user named user_name:
 * check_status is the provider's ("pending", "verified", "failed");
 * provider_name the name it holds for the number. *out_reason is a machine
 * reason when FAILED ("kyc_name_mismatch", "kyc_rejected"), else NULL. */
idn_kyc_status idn_kyc_decide(const char **out_reason, const char *check_status,
			      const char *provider_name, const char *user_name);

#endif
