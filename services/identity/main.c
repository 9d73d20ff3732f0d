/* kolo-identity: configuration and wiring only; see svc/svc.h. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config/cfg.h"
#include "identity.h"
#include "identity_service.h"
#include "rpc/rpc_internal.h"
#include "svc/svc.h"

/* The signing key: KOLO_JWT_PRIVATE_KEY (base64url 32-byte seed, as
 * kolo-keygen prints it) or the first line of KOLO_JWT_PRIVATE_KEY_FILE. */
static int idn_load_seed(char **out, const char *inline_seed,
			 const char *file)
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

static int idn_pwhash_profile(idn_config *cfg, const char *profile)
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

static int idn_start(void)
{
	const char *kid = NULL, *seed_inline = NULL, *seed_file = NULL;
	const char *profile = NULL;
	const cfg_var vars[] = {
		{ "KOLO_JWT_KID", CFG_STRING, NULL, 0, 0, &kid },
		{ "KOLO_JWT_PRIVATE_KEY", CFG_STRING, "", 0, 0, &seed_inline },
		{ "KOLO_JWT_PRIVATE_KEY_FILE", CFG_FILE, "", 0, 0, &seed_file },
		{ "KOLO_PWHASH_PROFILE", CFG_STRING, "interactive", 0, 0, &profile },
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
		rc = auth_keyring_parse(&cfg.keys,
					svc_current_config()->jwt_public_keys);
	if (rc == 0)
		rc = idn_load_seed(&seed, seed_inline, seed_file);
	if (rc == 0)
		rc = idn_config_set_key(&cfg, kid, seed);
	if (rc == 0)
		rc = idn_init(&cfg);
	rpc_free_secret(seed);
	sodium_memzero(&cfg, sizeof(cfg));
	return rc;
}

static const svc_def identity_service = {
	.name = "kolo-identity",
	.addr_env = "KOLO_IDENTITY_ADDR",
	.default_addr = "127.0.0.1:7101",
	.db_env = "KOLO_IDENTITY_DATABASE_URL",
	.rpc = &idn_rpc_service,
	.start = idn_start,
};

int main(int argc, char **argv)
{
	return svc_main(&identity_service, argc, argv);
}
