/* Identity checks through the provider (DESIGN §14). Payments only relays
 * them: the number is checked, passed on and never stored or logged. */
#include "payments.h"

#include <string.h>

static int
pay_kyc_provider(const pay_provider **out)
{
	const pay_provider *p = pay_current()->provider;

	*out = p;
	if (p->ops->kyc_start && p->ops->kyc_get)
		return 0;
	return err_set(ERR_FAILED_PRECONDITION, "kyc_unsupported",
		       "the %s provider cannot check identities", p->ops->name);
}

static int
pay_kyc_type_ok(const char *id_type)
{
	if (id_type && (strcmp(id_type, "bvn") == 0 || strcmp(id_type, "nin") == 0))
		return 0;
	return err_set(ERR_INVALID_ARGUMENT, "invalid_id_type", "id_type must be bvn or nin");
}

static int
pay_kyc_digits(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* The person's bank account, when given: a NUBAN and a bank code (a
 * provider that needs them says so itself). */
static int
pay_kyc_account_ok(const pay_kyc_request *req)
{
	int has_code = req->bank_code && req->bank_code[0];
	int has_number = req->account_number && req->account_number[0];

	if (has_number && !pay_kyc_digits(req->account_number, 10, 10))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_account_number",
			       "account_number must be 10 digits");
	if (has_code && !pay_kyc_digits(req->bank_code, 3, 6))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_bank_code",
			       "bank_code must be 3 to 6 digits");
	if (has_code != has_number)
		return err_set(ERR_INVALID_ARGUMENT, "bank_account_incomplete",
			       "bank_code and account_number go together");
	return 0;
}

int
pay_kyc_start(pay_kyc_result *out, const pay_kyc_request *req)
{
	const pay_provider *p = NULL;
	int rc = pay_kyc_type_ok(req->id_type);

	memset(out, 0, sizeof(*out));
	if (rc == 0 && (!req->id_number || strlen(req->id_number) != 11 ||
			strspn(req->id_number, "0123456789") != 11))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_id_number",
			     "id_number must be 11 digits");
	if (rc == 0 && (!req->name || !req->name[0]))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_name", "the person's name is required");
	if (rc == 0)
		rc = pay_kyc_account_ok(req);
	if (rc == 0)
		rc = pay_kyc_provider(&p);
	if (rc == 0)
		rc = p->ops->kyc_start((pay_provider *)p, req, out);
	return rc;
}

int
pay_kyc_get(pay_kyc_result *out, const char *id_type, const char *reference)
{
	const pay_provider *p = NULL;
	int rc = pay_kyc_type_ok(id_type);

	memset(out, 0, sizeof(*out));
	if (rc == 0 && (!reference || !reference[0]))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_reference", "reference is required");
	if (rc == 0)
		rc = pay_kyc_provider(&p);
	if (rc == 0)
		rc = p->ops->kyc_get((pay_provider *)p, id_type, reference, out);
	return rc;
}
