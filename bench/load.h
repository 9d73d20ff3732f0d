/* load: runs a call from N threads for a fixed time and reports calls/s
 * with latency percentiles. Bounded in time; the caller picks the target. */
#ifndef KOLO_BENCH_LOAD_H
#define KOLO_BENCH_LOAD_H

#include "mem/mem.h"

/* One call: 0 on success. arena is the calling thread's, reset before
 * each call. */
typedef int (*bench_call_fn)(void *arg, mem_arena *arena);

/* Runs call from threads threads for seconds; prints one line
 * "label threads=.. calls=.. errors=.. calls_per_s=.. p50_us=.. p99_us=..".
 * Returns the number of failed calls. */
long bench_run(const char *label, int threads, double seconds, bench_call_fn call, void *arg);

#endif
