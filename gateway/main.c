/* kolo-gateway: configuration and wiring only.
 *
 *   kolo-gateway            serve (configuration from the environment)
 *   kolo-gateway --routes   print the route table ("METHOD /path")
 *   kolo-gateway --openapi-schemas   print the replies' schemas (openapi_schemas.c) */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"
#include "gw.h"
#include "log/log.h"
#include "svc/tls.h"

typedef struct gw_config {
	const char *addr;
	const char *internal_token;
	const char *log_level;
	int64_t threads, timeout_ms, grace_ms, jwks_ttl_s;
	int trust_forwarded;
	const char *rate_text[6];
	const char *webhook_allowed_ips;
	const char *cors_origins;
	rpc_client_tls tls; /* to the services (KOLO_TLS_*), when use_tls */
	int use_tls;
} gw_config;

static int
gw_load_rates(const gw_config *c)
{
	gw_rate_config rates;
	gw_rate_rule *rules[6] = {&rates.login_ip, &rates.login_account, &rates.refresh_ip,
				  &rates.pin_ip,   &rates.pin_account,	 &rates.public_ip};

	for (int i = 0; i < 6; i++) {
		if (gw_rate_parse(rules[i], c->rate_text[i]) < 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "rate limits are N/SECONDS, e.g. 20/60");
	}
	gw_rate_configure(&rates);
	return 0;
}

static int
gw_load_config(gw_config *c)
{
	const cfg_var vars[] = {
		{"KOLO_GATEWAY_ADDR", CFG_ADDR, "127.0.0.1:8080", 0, 0, &c->addr},
		{"KOLO_INTERNAL_TOKEN", CFG_STRING, NULL, 0, 0, &c->internal_token},
		{"KOLO_GATEWAY_THREADS", CFG_INT, "16", 1, 256, &c->threads},
		{"KOLO_GATEWAY_UPSTREAM_TIMEOUT_MS", CFG_INT, "5000", 10, 60000, &c->timeout_ms},
		{"KOLO_SHUTDOWN_GRACE_MS", CFG_INT, "10000", 1, 600000, &c->grace_ms},
		{"KOLO_JWKS_TTL_S", CFG_INT, "300", 1, 86400, &c->jwks_ttl_s},
		{"KOLO_GATEWAY_TRUST_FORWARDED", CFG_BOOL, "false", 0, 0, &c->trust_forwarded},
		{"KOLO_RATE_LOGIN_IP", CFG_STRING, "20/60", 0, 0, &c->rate_text[0]},
		{"KOLO_RATE_LOGIN_ACCOUNT", CFG_STRING, "10/60", 0, 0, &c->rate_text[1]},
		{"KOLO_RATE_REFRESH_IP", CFG_STRING, "60/60", 0, 0, &c->rate_text[2]},
		{"KOLO_RATE_PIN_IP", CFG_STRING, "20/60", 0, 0, &c->rate_text[3]},
		{"KOLO_RATE_PIN_ACCOUNT", CFG_STRING, "10/60", 0, 0, &c->rate_text[4]},
		{"KOLO_RATE_PUBLIC_IP", CFG_STRING, "120/60", 0, 0, &c->rate_text[5]},
		{"KOLO_LOG_LEVEL", CFG_STRING, "info", 0, 0, &c->log_level},
		{"KOLO_WEBHOOK_ALLOWED_IPS", CFG_STRING, "", 0, 0, &c->webhook_allowed_ips},
		{"KOLO_CORS_ORIGINS", CFG_STRING, "", 0, 0, &c->cors_origins},
	};
	static gw_cors cors; /* large: not on the stack */
	gw_addrlist allowed;
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc == 0 && log_level_parse(c->log_level) < 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "bad_config",
			     "KOLO_LOG_LEVEL must be debug, info, warn or error");
	if (rc == 0)
		rc = svc_client_tls_from_env(&c->tls, &c->use_tls);
	if (rc == 0)
		rc = gw_load_rates(c);
	if (rc == 0)
		rc = gw_addrlist_parse(&allowed, c->webhook_allowed_ips);
	if (rc == 0)
		gw_webhook_configure(&allowed);
	if (rc == 0)
		rc = gw_cors_parse(&cors, c->cors_origins);
	if (rc == 0)
		gw_cors_configure(&cors);
	return rc;
}

static void
gw_print_routes(void)
{
	for (size_t i = 0; i < gw_n_routes; i++)
		printf("%s %s\n", gw_routes[i].method, gw_routes[i].pattern);
}

static int
gw_serve(const gw_config *c, const sigset_t *signals)
{
	gw_server_config sc = {.addr = c->addr,
			       .threads = (int)c->threads,
			       .grace_ms = c->grace_ms,
			       .trust_forwarded = c->trust_forwarded};
	gw_server *server = NULL;
	char port[16];
	int sig = 0;

	if (gw_upstreams_open(c->timeout_ms, c->internal_token, c->use_tls ? &c->tls : NULL) < 0 ||
	    gw_server_start(&server, &sc) < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", gw_server_port(server));
	log_event(LOG_LVL_INFO, "serving", "addr", c->addr, "port", port, NULL);
	sigwait(signals, &sig);
	log_event(LOG_LVL_INFO, "stopping", "signal", strsignal(sig), NULL);
	gw_server_stop(server);
	return 0;
}

int
main(int argc, char **argv)
{
	gw_config c;
	sigset_t signals;
	int status = 0;

	if (argc == 2 && strcmp(argv[1], "--routes") == 0) {
		gw_print_routes();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--openapi-schemas") == 0)
		return gw_print_openapi_schemas() < 0 ? 1 : 0;
	memset(&c, 0, sizeof(c));
	log_init("kolo-gateway", LOG_LVL_INFO);
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	if (gw_routes_check(gw_routes, gw_n_routes) < 0 || gw_load_config(&c) < 0 ||
	    auth_init() < 0) {
		log_event(LOG_LVL_ERROR, "cannot start", "error", err_last()->message, NULL);
		return 2;
	}
	log_init("kolo-gateway", (log_level)log_level_parse(c.log_level));
	gw_jwks_configure(c.jwks_ttl_s);
	rpc_init();
	if (gw_serve(&c, &signals) < 0) {
		log_event(LOG_LVL_ERROR, "cannot serve", "error", err_last()->message, NULL);
		status = 1;
	}
	gw_upstreams_close();
	rpc_shutdown();
	log_event(LOG_LVL_INFO, "stopped", NULL);
	return status;
}
