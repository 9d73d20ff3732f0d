#include "contact.h"

#include <stdio.h>
#include <string.h>

#include "identity.h"

idn_send_verdict
idn_code_send_verdict(int *out_retry_after_s, const idn_code_state *s)
{
	*out_retry_after_s = 0;
	if (s->found && s->age_s < IDN_CODE_RESEND_S) {
		*out_retry_after_s = (int)(IDN_CODE_RESEND_S - s->age_s);
		return IDN_SEND_TOO_SOON;
	}
	if (s->sent_today >= IDN_CODE_DAY_CAP) {
		int64_t wait = IDN_CODE_DAY_S - s->oldest_today_age_s;

		*out_retry_after_s = wait > 0 ? (int)wait : 1;
		return IDN_SEND_DAY_CAP;
	}
	return IDN_SEND_OK;
}

int
idn_code_live(const idn_code_state *s, const char *email)
{
	return s->found && !s->expired && !s->consumed && s->attempts < IDN_CODE_MAX_ATTEMPTS &&
	       strcmp(s->email, email) == 0;
}

idn_verify_verdict
idn_code_verify_verdict(const idn_code_state *s, const char *email, const char *presented_hash)
{
	size_t len = strlen(presented_hash);

	if (!s->found || s->consumed || strcmp(s->email, email) != 0)
		return IDN_VERIFY_NO_CODE;
	if (s->attempts >= IDN_CODE_MAX_ATTEMPTS)
		return IDN_VERIFY_LOCKED;
	if (s->expired)
		return IDN_VERIFY_EXPIRED;
	if (strlen(s->code_hash) == len && sodium_memcmp(s->code_hash, presented_hash, len) == 0)
		return IDN_VERIFY_RIGHT;
	if (s->attempts + 1 >= IDN_CODE_MAX_ATTEMPTS)
		return IDN_VERIFY_WRONG_LAST;
	return IDN_VERIFY_WRONG;
}

const char *
idn_code_channel_name(idn_code_channel ch)
{
	return ch == IDN_CODE_PHONE ? "phone" : "email";
}

void
idn_code_new(char code[IDN_CODE_TEXT])
{
	snprintf(code, IDN_CODE_TEXT, "%06u", (unsigned)randombytes_uniform(1000000));
}

int
idn_code_check(const char *code)
{
	size_t len = strlen(code);

	for (size_t i = 0; i < len; i++) {
		if (code[i] < '0' || code[i] > '9')
			len = 0;
	}
	if (len != IDN_CODE_DIGITS)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_code",
			       "code must be the 6 digits of the email");
	return 0;
}

void
idn_code_hash(char out[IDN_CODE_HASH_TEXT], const char *user_id, const char *code)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char key[crypto_generichash_KEYBYTES];
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash_state st;

	/* A key of its own, derived from the signing key: a database copy
	 * alone does not give the codes away. */
	crypto_sign_ed25519_sk_to_seed(seed, idn_current()->secret_key);
	crypto_kdf_derive_from_key(key, sizeof(key), 1, "kolocode", seed);
	crypto_generichash_init(&st, key, sizeof(key), sizeof(digest));
	crypto_generichash_update(&st, (const unsigned char *)user_id, strlen(user_id));
	crypto_generichash_update(&st, (const unsigned char *)":", 1);
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, digest, sizeof(digest));
	sodium_bin2hex(out, IDN_CODE_HASH_TEXT, digest, sizeof(digest));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
}

/* The digits of phone, spaces and hyphens dropped, and whether a '+' came
 * before them; 0 when anything else is there or it is too long. */
static int
idn_phone_digits(char *digits, size_t cap, const char *phone, int *plus)
{
	size_t n = 0;
	const char *p = phone;

	*plus = 0;
	for (; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p == '+' && n == 0 && !*plus) {
			*plus = 1;
			continue;
		}
		if (*p < '0' || *p > '9' || n + 1 >= cap)
			return 0;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	return n > 0;
}

/* The 10-digit national significant number is a mobile one. */
static int
idn_phone_mobile(const char *nsn)
{
	static const char *const ranges[] = {"70", "80", "81", "90", "91"};
	int in_range = 0;

	if (strlen(nsn) != 10)
		return 0;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		in_range |= strncmp(nsn, ranges[i], 2) == 0;
	return in_range && strncmp(nsn, "800", 3) != 0; /* 0800: toll-free */
}

int
idn_normalize_phone(char **out, mem_arena *arena, const char *phone)
{
	char digits[24];
	const char *nsn = NULL;
	int plus = 0;

	if (idn_phone_digits(digits, sizeof(digits), phone, &plus)) {
		if (strncmp(digits, "234", 3) == 0 && strlen(digits) == 13)
			nsn = digits + 3;
		else if (!plus && digits[0] == '0' && strlen(digits) == 11)
			nsn = digits + 1;
	}
	if (!nsn || !idn_phone_mobile(nsn))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_phone",
			       "phone must be a Nigerian mobile number, "
			       "+234 and 10 digits (or 0 and 10 digits)");
	*out = mem_arena_alloc(arena, IDN_PHONE_TEXT);
	if (!*out)
		return err_oom();
	snprintf(*out, IDN_PHONE_TEXT, "+234%s", nsn);
	return 0;
}
