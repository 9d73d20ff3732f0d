#include "svc/tls.h"

#include "config/cfg.h"

int
svc_client_tls_from_env(rpc_client_tls *tls, int *use)
{
	const char *target = NULL;
	const cfg_var vars[] = {
		{"KOLO_TLS_CA_FILE", CFG_FILE, "", 0, 0, &tls->ca_file},
		{"KOLO_TLS_CERT_FILE", CFG_FILE, "", 0, 0, &tls->cert_file},
		{"KOLO_TLS_KEY_FILE", CFG_FILE, "", 0, 0, &tls->key_file},
		{"KOLO_TLS_TARGET_NAME", CFG_STRING, "", 0, 0, &target},
	};
	int rc;

	*tls = (rpc_client_tls){0};
	*use = 0;
	rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));
	if (rc < 0)
		return rc;
	if (!tls->cert_file != !tls->key_file)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_TLS_CERT_FILE and KOLO_TLS_KEY_FILE go together");
	if (tls->cert_file && !tls->ca_file)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_TLS_CERT_FILE needs KOLO_TLS_CA_FILE");
	tls->target_name_override = target[0] ? target : NULL;
	*use = tls->ca_file != NULL;
	return 0;
}
