/* kolo-health: asks a service's grpc.health.v1.Health/Check.
 *
 *   kolo-health [--wait SECONDS] ADDR [SERVICE]
 * exits 0 when the answer is SERVING, 1 otherwise; with --wait it retries
 * every 100 ms until SERVING or the time is up. Used by scripts to wait
 * for a starting suite. With KOLO_TLS_CA_FILE set it speaks TLS (and
 * presents KOLO_TLS_CERT_FILE/KOLO_TLS_KEY_FILE for mutual TLS), as the
 * services do when they call each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg.h"
#include "grpc/health/v1/health.pb-c.h"
#include "rpc/rpc.h"
#include "svc/tls.h"

static int
health_check_once(rpc_channel *ch, const char *service)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 1000};
	int serving = 0;

	req.service = (char *)service;
	if (rpc_call(ch, "Check", &req.base, &resp, &alloc, &opts) == 0)
		serving = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
			  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	mem_arena_free(arena);
	return serving;
}

int
main(int argc, char **argv)
{
	int64_t wait_s = 0;
	int arg = 1, serving = 0;
	rpc_channel *ch = NULL;
	rpc_client_tls tls = {0};
	int use_tls = 0;
	struct timespec tick = {.tv_nsec = 100000000};
	time_t until;

	if (argc > 2 && strcmp(argv[1], "--wait") == 0) {
		if (cfg_parse_int(&wait_s, argv[2], 0, 3600) < 0) {
			fprintf(stderr, "kolo-health: --wait takes 0..3600 seconds\n");
			return 2;
		}
		arg = 3;
	}
	if (argc - arg < 1 || argc - arg > 2) {
		fprintf(stderr, "usage: kolo-health [--wait SECONDS] ADDR [SERVICE]\n");
		return 2;
	}
	if (svc_client_tls_from_env(&tls, &use_tls) < 0) {
		fprintf(stderr, "kolo-health: %s\n", err_last()->message);
		return 2;
	}
	rpc_init();
	until = time(NULL) + (time_t)wait_s;
	/* A fresh channel each try: a kept one, refused at first, would wait
	 * out gRPC's reconnect backoff (seconds) after the service is up. */
	for (;;) {
		if (rpc_channel_open(&ch, argv[arg], &grpc__health__v1__health__descriptor,
				     use_tls ? &tls : NULL) < 0)
			break;
		serving = health_check_once(ch, argc - arg == 2 ? argv[arg + 1] : "");
		rpc_channel_close(ch);
		if (serving || time(NULL) >= until)
			break;
		nanosleep(&tick, NULL);
	}
	rpc_shutdown();
	if (!serving)
		fprintf(stderr, "kolo-health: %s is not serving\n", argv[arg]);
	return serving ? 0 : 1;
}
