/* rpc_bench: unary calls per second on shared/rpc.
 *
 *   rpc_bench serve ADDR WORKERS      serve kolo.test.v1.EchoService
 *   rpc_bench load ADDR THREADS SECS  call Echo from THREADS threads for
 *                                     SECS seconds; prints calls/s, p50, p99
 * A load run is bounded in time and calls only the address it is given
 * (loopback in bench/rpc.sh). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"
#include "echo_service.h"
#include "load.h"

static rpc_channel *bench_channel;

static int
bench_serve(const char *addr, int workers)
{
	rpc_server_config cfg = {.addr = addr, .workers = workers};
	rpc_server *server = NULL;
	sigset_t signals;
	int sig = 0;

	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	rpc_init();
	if (rpc_server_start(&server, &echo_rpc_service, &cfg) < 0) {
		fprintf(stderr, "serve: %s\n", err_last()->message);
		return 1;
	}
	printf("serving %d\n", rpc_server_port(server));
	fflush(stdout);
	sigwait(&signals, &sig);
	rpc_server_stop(server);
	rpc_shutdown();
	return 0;
}

static int
bench_echo(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	(void)arg;
	req.text = "ping";
	return rpc_call(bench_channel, "Echo", &req.base, &resp, &alloc, NULL);
}

static int
bench_run_load(const char *addr, int threads, double seconds)
{
	long errors;

	rpc_init();
	if (rpc_channel_open(&bench_channel, addr, &kolo__test__v1__echo_service__descriptor,
			     NULL) < 0)
		return 1;
	errors = bench_run("echo", threads, seconds, bench_echo, NULL);
	rpc_channel_close(bench_channel);
	rpc_shutdown();
	return errors ? 1 : 0;
}

int
main(int argc, char **argv)
{
	int64_t a = 0, b = 0;

	if (argc == 4 && strcmp(argv[1], "serve") == 0 && cfg_parse_int(&a, argv[3], 1, 64) == 0)
		return bench_serve(argv[2], (int)a);
	if (argc == 5 && strcmp(argv[1], "load") == 0 && cfg_parse_int(&a, argv[3], 1, 256) == 0 &&
	    cfg_parse_int(&b, argv[4], 1, 600) == 0)
		return bench_run_load(argv[2], (int)a, (double)b);
	fprintf(stderr, "usage: rpc_bench serve ADDR WORKERS | load ADDR THREADS SECS\n");
	return 2;
}
