#include "load.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rpc/rpc.h"

#define BENCH_MAX_SAMPLES 4000000

typedef struct bench_state {
	bench_call_fn call;
	void *arg;
	double seconds;
	uint32_t *samples_us;
	atomic_size_t n_samples;
	atomic_long errors;
} bench_state;

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
bench_thread(void *arg)
{
	bench_state *st = arg;
	mem_arena *arena = mem_arena_new(0);
	double end = bench_now() + st->seconds;

	for (;;) {
		double start = bench_now();
		size_t slot;

		if (start >= end)
			break;
		mem_arena_reset(arena);
		if (st->call(st->arg, arena) != 0) {
			atomic_fetch_add(&st->errors, 1);
			continue;
		}
		slot = atomic_fetch_add(&st->n_samples, 1);
		if (slot < BENCH_MAX_SAMPLES)
			st->samples_us[slot] = (uint32_t)((bench_now() - start) * 1e6);
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return NULL;
}

static int
bench_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

long
bench_run(const char *label, int threads, double seconds, bench_call_fn call, void *arg)
{
	bench_state st = {.call = call, .arg = arg, .seconds = seconds};
	pthread_t *ids = xcalloc((size_t)threads, sizeof(*ids));
	size_t total, n;

	st.samples_us = xcalloc(BENCH_MAX_SAMPLES, sizeof(uint32_t));
	for (int i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, bench_thread, &st);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	total = atomic_load(&st.n_samples);
	n = total < BENCH_MAX_SAMPLES ? total : BENCH_MAX_SAMPLES;
	qsort(st.samples_us, n, sizeof(uint32_t), bench_cmp);
	printf("%s threads=%d calls=%zu errors=%ld calls_per_s=%.0f p50_us=%u p99_us=%u\n", label,
	       threads, total, atomic_load(&st.errors), (double)total / seconds,
	       n ? st.samples_us[n / 2] : 0, n ? st.samples_us[(size_t)((double)n * 0.99)] : 0);
	fflush(stdout);
	free(st.samples_us);
	free(ids);
	return atomic_load(&st.errors);
}
