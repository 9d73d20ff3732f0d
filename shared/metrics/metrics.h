/* metrics: Prometheus text exposition for every Kolo process.
 *
 * Families are static objects declared where they are counted
 * (METRICS_FAMILY); a family registers itself on first use. A series is
 * one label set of a family ('method="/x.Y/Z",code="OK"'), found by its
 * text and created on first use (at most METRICS_MAX_SERIES per family;
 * past that the sample is counted in the family's overflow series
 * 'overflow="true"'). Counting is lock-free (atomics); only a new label
 * set takes the family's lock. Gauges whose value must be measured (a
 * worker's queue) register a metrics_queue, measured at most once per
 * cache interval whatever the scrape rate. process_* series (CPU, RSS,
 * open fds, start time) come with every exposition. */
#ifndef KOLO_METRICS_H
#define KOLO_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "err/err.h"

#define METRICS_MAX_SERIES  256
#define METRICS_LABELS_MAX  192
#define METRICS_MAX_BUCKETS 12

typedef enum metrics_kind {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM, /* seconds; buckets in metrics_latency_bounds_us */
} metrics_kind;

typedef struct metrics_series {
	uint64_t hash;
	char labels[METRICS_LABELS_MAX];
	atomic_llong value; /* counter, gauge; histogram: the count */
	atomic_ullong buckets[METRICS_MAX_BUCKETS + 1];
	atomic_ullong sum_us;
} metrics_series;

typedef struct metrics_family {
	const char *name;
	const char *help;
	metrics_kind kind;
	/* private */
	atomic_int registered;
	struct metrics_family *next;
	pthread_mutex_t lock; /* taken to add a series */
	atomic_size_t n_series;
	metrics_series series[METRICS_MAX_SERIES];
} metrics_family;

#define METRICS_FAMILY(kind_, name_, help_)                                                        \
	{                                                                                          \
		.name = (name_), .help = (help_), .kind = (kind_),                                 \
		.lock = PTHREAD_MUTEX_INITIALIZER                                                  \
	}

/* Adds n (may be negative for a gauge) to the series labels of f. */
void metrics_add(metrics_family *f, const char *labels, int64_t n);

/* Sets a gauge's series. */
void metrics_set(metrics_family *f, const char *labels, int64_t value);

/* Records one duration of micros in a histogram's series. */
void metrics_observe_us(metrics_family *f, const char *labels, int64_t micros);

/* The value of a series (0 when it does not exist): for tests. */
int64_t metrics_value(metrics_family *f, const char *labels);

/* A gauge pair measured on demand: depth and age of the oldest item of a
 * worker's queue. measure() runs on the scrape's thread (it may use
 * db_thread_conn) at most once per cache_ms (0 = 5000); it returns 0 or
 * an err_code (the series are then left out of that scrape). */
typedef struct metrics_queue {
	const char *worker; /* the label value, e.g. "payouts" */
	int (*measure)(void *arg, int64_t *depth, double *oldest_age_s);
	void *arg;
	int64_t cache_ms;
	/* private */
	struct metrics_queue *next;
	int64_t measured_ms; /* monotonic; 0 = never */
	int ok;
	int64_t depth;
	double oldest_age_s;
} metrics_queue;

/* Adds q (owned by the caller, kept until metrics_queue_unregister). */
void metrics_queue_register(metrics_queue *q);
void metrics_queue_unregister(metrics_queue *q);

/* A gauge of one series measured at each scrape: measure() runs on the
 * scrape's thread (it may use a database connection of that thread) and
 * returns 0 with *value, or an err_code (the gauge is then left out of
 * that scrape). name and help are static text. */
typedef struct metrics_probe {
	const char *name; /* "kolo_db_replica_lag_seconds" */
	const char *help;
	int (*measure)(void *arg, double *value);
	void *arg;
	/* private */
	struct metrics_probe *next;
} metrics_probe;

/* Adds p (owned by the caller, kept until metrics_probe_unregister). */
void metrics_probe_register(metrics_probe *p);
void metrics_probe_unregister(metrics_probe *p);

/* Counts one call to an outside provider: outcome is "transport_error"
 * when no HTTP answer came (http_status ignored), else the status class
 * ("2xx", "4xx", "5xx", "other"). Family kolo_provider_calls_total. */
void metrics_provider_call(const char *provider, int answered, long http_status);

/* The text exposition of every registered family, the queues and the
 * process series. */
void metrics_write(FILE *f);

/* A plain-HTTP listener answering GET /metrics (and nothing else). */
typedef struct metrics_http metrics_http;

/* Listens on addr ("IPv4-host:port", port 0 = any). *out is owned by the
 * caller: metrics_http_stop(). */
KOLO_MUST_CHECK int metrics_http_start(metrics_http **out, const char *addr);
int metrics_http_port(const metrics_http *h);
void metrics_http_stop(metrics_http *h);

#endif
