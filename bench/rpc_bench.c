/* rpc_bench: unary calls per second on shared/rpc.
 *
 *   rpc_bench serve ADDR WORKERS      serve kolo.test.v1.EchoService
 *   rpc_bench load ADDR THREADS SECS  call Echo from THREADS threads for
 *                                     SECS seconds; prints calls/s, p50, p99
 * A load run is bounded in time and calls only the address it is given
 * (loopback in bench/rpc.sh). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg.h"
#include "echo_service.h"

#define BENCH_MAX_SAMPLES 4000000

typedef struct bench_load {
	rpc_channel *channel;
	double seconds;
	uint32_t *samples_us; /* shared array, slots taken atomically */
	atomic_size_t n_samples;
	atomic_size_t errors;
} bench_load;

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_serve(const char *addr, int workers)
{
	rpc_server_config cfg = { .addr = addr, .workers = workers };
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

static void *bench_caller(void *arg)
{
	bench_load *load = arg;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Test__V1__EchoRequest req = KOLO__TEST__V1__ECHO_REQUEST__INIT;
	double end = bench_now() + load->seconds;
	double start;

	req.text = "ping";
	for (;;) {
		ProtobufCMessage *resp = NULL;
		size_t slot;

		start = bench_now();
		if (start >= end)
			break;
		mem_arena_reset(arena);
		if (rpc_call(load->channel, "Echo", &req.base, &resp, &alloc,
			     NULL) < 0) {
			atomic_fetch_add(&load->errors, 1);
			continue;
		}
		slot = atomic_fetch_add(&load->n_samples, 1);
		if (slot < BENCH_MAX_SAMPLES)
			load->samples_us[slot] =
				(uint32_t)((bench_now() - start) * 1e6);
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return NULL;
}

static int bench_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int bench_run_load(const char *addr, int threads, double seconds)
{
	bench_load load = { .seconds = seconds };
	pthread_t *ids = calloc((size_t)threads, sizeof(*ids));
	size_t n;

	load.samples_us = calloc(BENCH_MAX_SAMPLES, sizeof(uint32_t));
	rpc_init();
	if (!ids || !load.samples_us ||
	    rpc_channel_open(&load.channel, addr,
			     &kolo__test__v1__echo_service__descriptor, NULL) < 0)
		return 1;
	for (int i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, bench_caller, &load);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	n = atomic_load(&load.n_samples);
	if (n > BENCH_MAX_SAMPLES)
		n = BENCH_MAX_SAMPLES;
	qsort(load.samples_us, n, sizeof(uint32_t), bench_cmp_u32);
	printf("threads=%d calls=%zu errors=%zu calls_per_s=%.0f p50_us=%u p99_us=%u\n",
	       threads, atomic_load(&load.n_samples), atomic_load(&load.errors),
	       (double)atomic_load(&load.n_samples) / seconds,
	       n ? load.samples_us[n / 2] : 0,
	       n ? load.samples_us[(size_t)((double)n * 0.99)] : 0);
	rpc_channel_close(load.channel);
	rpc_shutdown();
	free(load.samples_us);
	free(ids);
	return atomic_load(&load.errors) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int64_t a = 0, b = 0;

	if (argc == 4 && strcmp(argv[1], "serve") == 0 &&
	    cfg_parse_int(&a, argv[3], 1, 64) == 0)
		return bench_serve(argv[2], (int)a);
	if (argc == 5 && strcmp(argv[1], "load") == 0 &&
	    cfg_parse_int(&a, argv[3], 1, 256) == 0 &&
	    cfg_parse_int(&b, argv[4], 1, 600) == 0)
		return bench_run_load(argv[2], (int)a, (double)b);
	fprintf(stderr, "usage: rpc_bench serve ADDR WORKERS | load ADDR THREADS SECS\n");
	return 2;
}
