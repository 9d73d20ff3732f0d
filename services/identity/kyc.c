/* kyc: the rules of identity checks (see kyc.h). */
#include "kyc.h"

#include <string.h>

#include "beneficiary/beneficiary.h"

static idn_kyc_deps idn_kyc_wired;

void
idn_kyc_configure(const idn_kyc_deps *deps)
{
	idn_kyc_wired = *deps;
}

const idn_kyc_deps *
idn_kyc_current(void)
{
	return &idn_kyc_wired;
}

void
idn_kyc_unconfigure(void)
{
	sodium_memzero(&idn_kyc_wired, sizeof(idn_kyc_wired));
}

int
idn_kyc_check_input(const char *id_type, const char *id_number)
{
	size_t len = id_number ? strlen(id_number) : 0;

	if (!id_type || (strcmp(id_type, "bvn") != 0 && strcmp(id_type, "nin") != 0))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_id_type",
			       "id_type must be bvn or nin");
	if (len != IDN_KYC_NUMBER_DIGITS ||
	    strspn(id_number, "0123456789") != IDN_KYC_NUMBER_DIGITS)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_id_number",
			       "id_number must be %d digits", IDN_KYC_NUMBER_DIGITS);
	return 0;
}

static const char *const idn_kyc_texts[] = {"none", "pending", "verified", "failed"};

idn_kyc_status
idn_kyc_status_of(const char *text)
{
	for (int i = IDN_KYC_PENDING; text && i <= IDN_KYC_FAILED; i++) {
		if (strcmp(text, idn_kyc_texts[i]) == 0)
			return (idn_kyc_status)i;
	}
	return IDN_KYC_NONE;
}

const char *
idn_kyc_status_text(idn_kyc_status status)
{
	switch (status) {
	case IDN_KYC_NONE:
	case IDN_KYC_PENDING:
	case IDN_KYC_VERIFIED:
	case IDN_KYC_FAILED:
		return idn_kyc_texts[status];
	}
	return "none";
}

idn_kyc_status
idn_kyc_decide(const char **out_reason, const char *check_status, const char *provider_name,
	       const char *user_name)
{
	*out_reason = NULL;
	switch (idn_kyc_status_of(check_status)) {
	case IDN_KYC_VERIFIED:
		if (beneficiary_names_match(user_name, provider_name ? provider_name : ""))
			return IDN_KYC_VERIFIED;
		*out_reason = "kyc_name_mismatch";
		return IDN_KYC_FAILED;
	case IDN_KYC_FAILED:
		*out_reason = "kyc_rejected";
		return IDN_KYC_FAILED;
	case IDN_KYC_PENDING:
	case IDN_KYC_NONE:
		break;
	}
	return IDN_KYC_PENDING;
}
