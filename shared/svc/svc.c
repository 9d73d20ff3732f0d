#include "svc.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "call.h"
#include "config/cfg.h"
#include "db/db.h"
#include "log/log.h"
#include "membership/membership.h"
#include "metrics/metrics.h"
#include "money/money.h"
#include "outbox/outbox.h"

#define SVC_MIN_INTERNAL_TOKEN 32

static svc_config svc_cfg;

const svc_config *
svc_current_config(void)
{
	return &svc_cfg;
}

/* The caller name of the process "kolo-<caller>" (callers.h). */
static const char *
svc_caller_of(const svc_def *def)
{
	return strncmp(def->name, "kolo-", 5) == 0 ? def->name + 5 : def->name;
}

/* The read replica of def->read_db_env, when the service has one and it
 * is set (db_replica_configure). */
static int
svc_configure_replica(const svc_def *def)
{
	const char *url = "";
	const cfg_var vars[] = {{def->read_db_env, CFG_STRING, "", 0, 0, &url}};

	if (!def->read_db_env)
		return 0;
	if (cfg_load(vars, 1) < 0)
		return -1;
	if (url[0])
		log_event(LOG_LVL_INFO, "reads that may lag go to a replica", "variable",
			  def->read_db_env, NULL);
	return db_replica_configure(url);
}

static int
svc_load_config(const svc_def *def)
{
	const svc_peer_def *self = svc_peer_def_of(def->self);
	const cfg_var vars[] = {
		{self->addr_env, CFG_ADDR, self->default_addr, 0, 0, &svc_cfg.addr},
		{def->db_env, CFG_STRING, NULL, 0, 0, &svc_cfg.database_url},
		{"KOLO_JWT_PUBLIC_KEYS", CFG_STRING, NULL, 0, 0, &svc_cfg.jwt_public_keys},
		{"KOLO_INTERNAL_TOKEN", CFG_STRING, NULL, 0, 0, &svc_cfg.internal_token},
		{"KOLO_CALLER_TOKEN_HASHES", CFG_STRING, NULL, 0, 0, &svc_cfg.caller_token_hashes},
		{"KOLO_RPC_WORKERS", CFG_INT, "4", 1, 256, &svc_cfg.workers},
		{"KOLO_MAX_MESSAGE_BYTES", CFG_INT, "4194304", 1024, 64 * 1024 * 1024,
		 &svc_cfg.max_message_bytes},
		{"KOLO_SHUTDOWN_GRACE_MS", CFG_INT, "10000", 1, 600000, &svc_cfg.grace_ms},
		{"KOLO_RPC_MAX_STREAMS", CFG_INT, "256", 1, 4096, &svc_cfg.max_streams},
		{"KOLO_TLS_CERT_FILE", CFG_FILE, "", 0, 0, &svc_cfg.tls_cert_file},
		{"KOLO_TLS_KEY_FILE", CFG_FILE, "", 0, 0, &svc_cfg.tls_key_file},
		{"KOLO_TLS_CLIENT_CA_FILE", CFG_FILE, "", 0, 0, &svc_cfg.tls_client_ca_file},
		{"KOLO_TLS_CA_FILE", CFG_FILE, "", 0, 0, &svc_cfg.tls_ca_file},
		{"KOLO_TLS_TARGET_NAME", CFG_STRING, "", 0, 0, &svc_cfg.tls_target_name},
		{"KOLO_LOG_LEVEL", CFG_STRING, "info", 0, 0, &svc_cfg.log_level},
		{"KOLO_HEALTH_ADDR", CFG_STRING, "", 0, 0, &svc_cfg.health_addr},
		{"KOLO_MEMBER_CACHE_MS", CFG_INT, "1000", 0, 60000, &svc_cfg.member_cache_ms},
		{"KOLO_METRICS_ADDR", CFG_STRING, "", 0, 0, &svc_cfg.metrics_addr},
		{"KOLO_RPC_MAX_CONN_AGE_S", CFG_INT, "300", 0, 86400, &svc_cfg.max_conn_age_s},
		{"KOLO_RPC_MAX_CONN_AGE_GRACE_S", CFG_INT, "30", 0, 3600,
		 &svc_cfg.max_conn_age_grace_s},
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));
	rpc_caller_keys callers;

	if (rc < 0)
		return rc;
	rc = money_configure();
	if (rc < 0)
		return rc;
	if ((rc = rpc_caller_keys_parse(&callers, svc_cfg.caller_token_hashes)) < 0)
		return rc;
	if (!rpc_caller_from_name(svc_caller_of(def)))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "%s is not a caller of the caller table", def->name);
	if (strlen(svc_cfg.internal_token) < SVC_MIN_INTERNAL_TOKEN)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_INTERNAL_TOKEN must be at least %d characters",
			       SVC_MIN_INTERNAL_TOKEN);
	if (!svc_cfg.tls_cert_file != !svc_cfg.tls_key_file)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_TLS_CERT_FILE and KOLO_TLS_KEY_FILE go together");
	if (svc_cfg.tls_client_ca_file && !svc_cfg.tls_cert_file)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_TLS_CLIENT_CA_FILE needs KOLO_TLS_CERT_FILE");
	if (log_level_parse(svc_cfg.log_level) < 0)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_LOG_LEVEL must be debug, info, warn or error");
	return 0;
}

int
svc_channel_open(rpc_channel **out, const char *target, const ProtobufCServiceDescriptor *service)
{
	rpc_client_tls tls = {
		.ca_file = svc_cfg.tls_ca_file,
		.cert_file = svc_cfg.tls_cert_file,
		.key_file = svc_cfg.tls_key_file,
		.target_name_override = svc_cfg.tls_target_name[0] ? svc_cfg.tls_target_name : NULL,
	};

	return rpc_channel_open(out, target, service, svc_cfg.tls_ca_file ? &tls : NULL);
}

int
svc_peer_open(rpc_channel **out, svc_peer peer)
{
	const char *addr = NULL;
	int rc = svc_peer_addr(&addr, peer);

	return rc < 0 ? rc : svc_channel_open(out, addr, svc_peer_def_of(peer)->service);
}

/* Tries the database once so a wrong URL shows at start; the service
 * still starts (calls fail UNAVAILABLE until the database is back). */
static void
svc_probe_database(void)
{
	db_conn *conn = NULL;

	if (db_thread_conn(&conn) < 0) {
		log_event(LOG_LVL_WARN, "database not reachable at start", "error",
			  err_last()->message, NULL);
		return;
	}
	db_thread_close();
}

static int
svc_serve(const svc_def *def, const auth_keyring *keys, const sigset_t *signals)
{
	rpc_server_config rc_cfg = {
		.addr = svc_cfg.addr,
		.workers = (int)svc_cfg.workers,
		.max_message_bytes = (size_t)svc_cfg.max_message_bytes,
		.tls_cert_file = svc_cfg.tls_cert_file,
		.tls_key_file = svc_cfg.tls_key_file,
		.tls_client_ca_file = svc_cfg.tls_client_ca_file,
		.keys = keys,
		.caller_token_hashes = svc_cfg.caller_token_hashes,
		.grace_ms = svc_cfg.grace_ms,
		.max_streams = (int)svc_cfg.max_streams,
		.max_conn_age_ms = svc_cfg.max_conn_age_s * 1000,
		.max_conn_age_grace_ms = svc_cfg.max_conn_age_grace_s * 1000,
	};
	rpc_server *server = NULL, *health = NULL;
	metrics_http *metrics = NULL;
	char port[16];
	int sig = 0;

	if (rpc_server_start(&server, def->rpc, &rc_cfg) < 0)
		return -1;
	if ((svc_cfg.health_addr[0] && rpc_health_server_start(&health, svc_cfg.health_addr) < 0) ||
	    (svc_cfg.metrics_addr[0] && metrics_http_start(&metrics, svc_cfg.metrics_addr) < 0)) {
		if (health)
			rpc_server_stop(health);
		rpc_server_stop(server);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", rpc_server_port(server));
	log_event(LOG_LVL_INFO, "serving", "addr", svc_cfg.addr, "port", port, "tls",
		  svc_cfg.tls_cert_file ? "on" : "off", "health_addr",
		  svc_cfg.health_addr[0] ? svc_cfg.health_addr : NULL, "metrics_addr",
		  svc_cfg.metrics_addr[0] ? svc_cfg.metrics_addr : NULL, NULL);
	sigwait(signals, &sig);
	log_event(LOG_LVL_INFO, "stopping", "signal", strsignal(sig), NULL);
	if (health) /* unready first, then drain */
		rpc_server_stop(health);
	rpc_server_stop(server);
	metrics_http_stop(metrics);
	return 0;
}

int
svc_main(const svc_def *def, int argc, char **argv)
{
	auth_keyring keys;
	sigset_t signals;
	outbox_table outbox = OUTBOX_IDENTITY;
	int status = 1, has_outbox = 0;

	(void)argc;
	(void)argv;
	log_init(def->name, LOG_LVL_INFO);
	/* Blocked before any thread exists, so every gRPC thread inherits the
	 * mask and only sigwait() sees the signals. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	if (svc_load_config(def) < 0 || auth_init() < 0 ||
	    auth_keyring_parse(&keys, svc_cfg.jwt_public_keys) < 0 ||
	    db_configure(svc_cfg.database_url) < 0 || svc_configure_replica(def) < 0) {
		log_event(LOG_LVL_ERROR, "cannot start", "error", err_last()->message, NULL);
		return 2;
	}
	log_init(def->name, (log_level)log_level_parse(svc_cfg.log_level));
	db_set_deadline_source(svc_current_tx_timeout);
	svc_probe_database();
	svc_calls_configure(svc_caller_of(def), svc_cfg.internal_token);
	membership_reader_cache_set_ttl(svc_cfg.member_cache_ms);
	rpc_init();
	has_outbox = outbox_table_of(&outbox, svc_caller_of(def)) == 0;
	if (has_outbox)
		outbox_metrics_register(outbox);
	if (def->start && def->start() < 0) {
		log_event(LOG_LVL_ERROR, "cannot start", "error", err_last()->message, NULL);
		goto out;
	}
	if (svc_serve(def, &keys, &signals) < 0)
		log_event(LOG_LVL_ERROR, "cannot serve", "error", err_last()->message, NULL);
	else
		status = 0;
	if (def->stop)
		def->stop();
out:
	if (has_outbox)
		outbox_metrics_unregister(outbox);
	rpc_shutdown();
	svc_calls_unconfigure();
	db_replica_unconfigure();
	db_unconfigure();
	log_event(LOG_LVL_INFO, "stopped", NULL);
	return status;
}
