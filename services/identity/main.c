/* kolo-identity: configuration and wiring only; see svc/svc.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config/cfg.h"
#include "identity.h"
#include "identity_service.h"
#include "handlers.h"
#include "kyc.h"
#include "rpc/rpc_internal.h"
#include "svc/svc.h"

/* The signing key: KOLO_JWT_PRIVATE_KEY (base64url 32-byte seed, as
 * kolo-keygen prints it) or the first line of KOLO_JWT_PRIVATE_KEY_FILE. */
static int
idn_load_seed(char **out, const char *inline_seed, const char *file)
{
	char *text = NULL;

	if (inline_seed[0]) {
		*out = strdup(inline_seed);
		return *out ? 0 : ERR_RESOURCE_EXHAUSTED;
	}
	if (!file)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_JWT_PRIVATE_KEY or KOLO_JWT_PRIVATE_KEY_FILE "
			       "is required");
	if (rpc_read_file(&text, file) < 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_JWT_PRIVATE_KEY_FILE cannot be read");
	text[strcspn(text, "\r\n")] = '\0';
	*out = text;
	return 0;
}

static int
idn_pwhash_profile(idn_config *cfg, const char *profile)
{
	if (strcmp(profile, "interactive") == 0)
		return 0;
	if (strcmp(profile, "moderate") == 0) {
		cfg->pwhash_ops = crypto_pwhash_OPSLIMIT_MODERATE;
		cfg->pwhash_mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return 0;
	}
	if (strcmp(profile, "test") == 0) {
		/* Fast and weak: only for test suites that ask for it. */
		cfg->pwhash_ops = crypto_pwhash_OPSLIMIT_MIN;
		cfg->pwhash_mem = crypto_pwhash_MEMLIMIT_MIN;
		return 0;
	}
	return err_set(ERR_INVALID_ARGUMENT, "bad_config",
		       "KOLO_PWHASH_PROFILE must be interactive, moderate or test");
}

static int
idn_bad_limit(const char *name)
{
	return err_set(ERR_INVALID_ARGUMENT, "bad_config", "%s is malformed", name);
}

/* An optional whole number of seconds or a count ("" keeps *out). */
static int
idn_limit_int(int64_t *out, const char *name, int64_t max)
{
	const char *text = getenv(name);

	if (!text || !text[0])
		return 0;
	return cfg_parse_int(out, text, 1, max) < 0 ? idn_bad_limit(name) : 0;
}

/* The throttles and PIN lockouts; every variable is optional (the
 * defaults are idn_limits_defaults()'s, see README). */
static int
idn_limits_load(idn_limits *l)
{
	int64_t pin_max = l->pin_max_failures, cap = l->pin_daily_cap;
	const char *text;
	char name[64];
	int rc = 0;

	for (int k = 0; k < IDN_LIMIT_KINDS && rc == 0; k++) {
		const char *kind = idn_limit_name((idn_limit_kind)k);
		size_t n = (size_t)snprintf(name, sizeof(name), "KOLO_IDENTITY_LIMIT_%s", kind);

		for (size_t i = n - strlen(kind); i < n; i++)
			name[i] = (char)toupper((unsigned char)name[i]);
		text = getenv(name);
		if (text && text[0] && idn_limit_parse(&l->rules[k], text) < 0)
			rc = idn_bad_limit(name);
	}
	if (rc == 0)
		rc = idn_limit_int(&l->lockout_s, "KOLO_IDENTITY_LOCKOUT_S", 604800);
	if (rc == 0)
		rc = idn_limit_int(&l->lockout_max_s, "KOLO_IDENTITY_LOCKOUT_MAX_S", 604800);
	if (rc == 0 && l->lockout_max_s < l->lockout_s)
		rc = idn_bad_limit("KOLO_IDENTITY_LOCKOUT_MAX_S");
	if (rc == 0)
		rc = idn_limit_int(&pin_max, "KOLO_IDENTITY_PIN_MAX_FAILURES", 100);
	if (rc == 0)
		rc = idn_limit_int(&cap, "KOLO_IDENTITY_PIN_DAILY_CAP", 10000);
	text = getenv("KOLO_IDENTITY_PIN_LOCKS_S");
	if (rc == 0 && text && text[0] && idn_pin_locks_parse(l->pin_locks_s, text) < 0)
		rc = idn_bad_limit("KOLO_IDENTITY_PIN_LOCKS_S");
	l->pin_max_failures = (int)pin_max;
	l->pin_daily_cap = (int)cap;
	return rc;
}

static rpc_channel *idn_payments_channel;

/* KYC (DESIGN §14): with KOLO_PII_KEY (and KOLO_PII_HASH_KEY) set, numbers
 * are sealed under it and checks go to payments at KOLO_PAYMENTS_ADDR;
 * without it identity checks are refused (kyc_unavailable). */
static int
idn_kyc_start_config(void)
{
	const char *key = NULL, *old = NULL, *hash_key = NULL;
	int64_t poll_ms = 0, batch = 0;
	const cfg_var vars[] = {
		{"KOLO_PII_KEY", CFG_STRING, "", 0, 0, &key},
		{"KOLO_PII_OLD_KEYS", CFG_STRING, "", 0, 0, &old},
		{"KOLO_PII_HASH_KEY", CFG_STRING, "", 0, 0, &hash_key},
		{"KOLO_KYC_POLL_MS", CFG_INT, "5000", 50, 3600000, &poll_ms},
		{"KOLO_KYC_POLL_BATCH", CFG_INT, "32", 1, 1000, &batch},
	};
	idn_kyc_deps deps = {0};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc < 0 || !key[0])
		return rc;
	if (!hash_key[0])
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_PII_HASH_KEY is required with KOLO_PII_KEY");
	rc = idn_pii_keyring_parse(&deps.keys, key, old, hash_key);
	if (rc == 0)
		rc = svc_peer_open(&idn_payments_channel, SVC_PEER_PAYMENTS);
	if (rc == 0) {
		deps.enabled = 1;
		deps.payments = idn_payments_channel;
		deps.poll_interval_ms = (int)poll_ms;
		deps.poll_batch = (int)batch;
		idn_kyc_configure(&deps);
		rc = idn_kyc_worker_start();
	}
	idn_pii_keyring_wipe(&deps.keys);
	return rc;
}

static void
idn_stop(void)
{
	idn_kyc_worker_stop();
	idn_kyc_unconfigure();
	rpc_channel_close(idn_payments_channel);
	idn_payments_channel = NULL;
}

static int
idn_start(void)
{
	const char *kid = NULL, *seed_inline = NULL, *seed_file = NULL;
	const char *profile = NULL;
	const cfg_var vars[] = {
		{"KOLO_JWT_KID", CFG_STRING, NULL, 0, 0, &kid},
		{"KOLO_JWT_PRIVATE_KEY", CFG_STRING, "", 0, 0, &seed_inline},
		{"KOLO_JWT_PRIVATE_KEY_FILE", CFG_FILE, "", 0, 0, &seed_file},
		{"KOLO_PWHASH_PROFILE", CFG_STRING, "interactive", 0, 0, &profile},
	};
	idn_config cfg;
	char *seed = NULL;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	idn_config_defaults(&cfg);
	rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));
	if (rc == 0)
		rc = idn_pwhash_profile(&cfg, profile);
	if (rc == 0)
		rc = idn_limits_load(&cfg.limits);
	if (rc == 0)
		rc = auth_keyring_parse(&cfg.keys, svc_current_config()->jwt_public_keys);
	if (rc == 0)
		rc = idn_load_seed(&seed, seed_inline, seed_file);
	if (rc == 0)
		rc = idn_config_set_key(&cfg, kid, seed);
	if (rc == 0)
		rc = idn_init(&cfg);
	if (rc == 0)
		rc = idn_kyc_start_config();
	rpc_free_secret(seed);
	sodium_memzero(&cfg, sizeof(cfg));
	return rc;
}

static const svc_def identity_service = {
	.name = "kolo-identity",
	.self = SVC_PEER_IDENTITY,
	.db_env = "KOLO_IDENTITY_DATABASE_URL",
	.rpc = &idn_rpc_service,
	.start = idn_start,
	.stop = idn_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&identity_service, argc, argv);
}
