#include "metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define METRICS_QUEUE_CACHE_MS 5000

/* Histogram upper bounds in microseconds (the gateway's, too). */
static const int64_t metrics_bounds_us[METRICS_MAX_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

/* The family list; the queue list has its own lock, held while a scrape
 * measures (a slow database must not hold up a family's registration). */
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t metrics_queue_lock = PTHREAD_MUTEX_INITIALIZER;
static metrics_family *metrics_families; /* registration order, reversed */
static metrics_queue *metrics_queues;
static metrics_probe *metrics_probes; /* under metrics_queue_lock too */

static metrics_family metrics_provider_calls =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_provider_calls_total",
		       "Calls to outside providers (payments, SMTP, SMS, webhooks) by outcome.");

static int64_t
metrics_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
metrics_register(metrics_family *f)
{
	if (atomic_load_explicit(&f->registered, memory_order_acquire))
		return;
	pthread_mutex_lock(&metrics_lock);
	if (!atomic_load(&f->registered)) {
		f->next = metrics_families;
		metrics_families = f;
		atomic_store_explicit(&f->registered, 1, memory_order_release);
	}
	pthread_mutex_unlock(&metrics_lock);
}

static uint64_t
metrics_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static metrics_series *
metrics_scan(metrics_family *f, size_t n, uint64_t h, const char *labels)
{
	for (size_t i = 0; i < n; i++) {
		if (f->series[i].hash == h && strcmp(f->series[i].labels, labels) == 0)
			return &f->series[i];
	}
	return NULL;
}

/* The series of labels, added when new; the last slot is the overflow. */
static metrics_series *
metrics_find(metrics_family *f, const char *labels)
{
	uint64_t h = metrics_hash(labels);
	size_t n = atomic_load_explicit(&f->n_series, memory_order_acquire);
	metrics_series *s = metrics_scan(f, n, h, labels);

	if (s)
		return s;
	metrics_register(f);
	pthread_mutex_lock(&f->lock);
	n = atomic_load(&f->n_series);
	s = metrics_scan(f, n, h, labels);
	if (!s && (strlen(labels) >= METRICS_LABELS_MAX || n + 1 >= METRICS_MAX_SERIES)) {
		labels = "overflow=\"true\"";
		h = metrics_hash(labels);
		s = metrics_scan(f, n, h, labels);
	}
	if (!s) {
		s = &f->series[n];
		s->hash = h;
		snprintf(s->labels, sizeof(s->labels), "%s", labels);
		atomic_store_explicit(&f->n_series, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&f->lock);
	return s;
}

void
metrics_add(metrics_family *f, const char *labels, int64_t n)
{
	atomic_fetch_add(&metrics_find(f, labels)->value, n);
}

void
metrics_set(metrics_family *f, const char *labels, int64_t value)
{
	atomic_store(&metrics_find(f, labels)->value, value);
}

void
metrics_observe_us(metrics_family *f, const char *labels, int64_t micros)
{
	metrics_series *s = metrics_find(f, labels);
	size_t b = 0;

	while (b < METRICS_MAX_BUCKETS && micros > metrics_bounds_us[b])
		b++;
	atomic_fetch_add(&s->buckets[b], 1);
	atomic_fetch_add(&s->sum_us, (unsigned long long)(micros > 0 ? micros : 0));
	atomic_fetch_add(&s->value, 1);
}

int64_t
metrics_value(metrics_family *f, const char *labels)
{
	uint64_t h = metrics_hash(labels);
	size_t n = atomic_load_explicit(&f->n_series, memory_order_acquire);
	metrics_series *s = metrics_scan(f, n, h, labels);

	return s ? atomic_load(&s->value) : 0;
}

void
metrics_provider_call(const char *provider, int answered, long http_status)
{
	char labels[128];
	const char *outcome = !answered					? "transport_error"
			      : http_status >= 200 && http_status < 300 ? "2xx"
			      : http_status >= 400 && http_status < 500 ? "4xx"
			      : http_status >= 500 && http_status < 600 ? "5xx"
									: "other";

	snprintf(labels, sizeof(labels), "provider=\"%s\",outcome=\"%s\"", provider, outcome);
	metrics_add(&metrics_provider_calls, labels, 1);
}

/* --- queues ------------------------------------------------------------------- */

void
metrics_queue_register(metrics_queue *q)
{
	metrics_queue *p;

	pthread_mutex_lock(&metrics_queue_lock);
	for (p = metrics_queues; p && p != q; p = p->next)
		;
	if (!p) {
		q->measured_ms = 0;
		q->next = metrics_queues;
		metrics_queues = q;
	}
	pthread_mutex_unlock(&metrics_queue_lock);
}

void
metrics_queue_unregister(metrics_queue *q)
{
	pthread_mutex_lock(&metrics_queue_lock);
	for (metrics_queue **p = &metrics_queues; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&metrics_queue_lock);
}

/* Measures q unless its last measure is fresh (metrics_queue_lock held). */
static void
metrics_queue_refresh(metrics_queue *q)
{
	int64_t now = metrics_now_ms();
	int64_t ttl = q->cache_ms > 0 ? q->cache_ms : METRICS_QUEUE_CACHE_MS;

	if (q->measured_ms && now - q->measured_ms < ttl)
		return;
	q->ok = q->measure(q->arg, &q->depth, &q->oldest_age_s) == 0;
	q->measured_ms = now;
}

static void
metrics_write_queues(FILE *f)
{
	fputs("# HELP kolo_worker_queue_depth Items waiting for a background worker.\n"
	      "# TYPE kolo_worker_queue_depth gauge\n",
	      f);
	for (metrics_queue *q = metrics_queues; q; q = q->next) {
		metrics_queue_refresh(q);
		if (q->ok)
			fprintf(f, "kolo_worker_queue_depth{worker=\"%s\"} %" PRId64 "\n",
				q->worker, q->depth);
	}
	fputs("# HELP kolo_worker_queue_oldest_age_seconds Age of the oldest item waiting for a "
	      "background worker.\n"
	      "# TYPE kolo_worker_queue_oldest_age_seconds gauge\n",
	      f);
	for (metrics_queue *q = metrics_queues; q; q = q->next) {
		if (q->ok)
			fprintf(f, "kolo_worker_queue_oldest_age_seconds{worker=\"%s\"} %.3f\n",
				q->worker, q->oldest_age_s);
	}
}

/* --- probes ------------------------------------------------------------------- */

void
metrics_probe_register(metrics_probe *p)
{
	metrics_probe *q;

	pthread_mutex_lock(&metrics_queue_lock);
	for (q = metrics_probes; q && q != p; q = q->next)
		;
	if (!q) {
		p->next = metrics_probes;
		metrics_probes = p;
	}
	pthread_mutex_unlock(&metrics_queue_lock);
}

void
metrics_probe_unregister(metrics_probe *p)
{
	pthread_mutex_lock(&metrics_queue_lock);
	for (metrics_probe **q = &metrics_probes; *q; q = &(*q)->next) {
		if (*q == p) {
			*q = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&metrics_queue_lock);
}

/* Each probe measured now (metrics_queue_lock held); one that fails is
 * left out of this scrape. */
static void
metrics_write_probes(FILE *f)
{
	double value;

	for (metrics_probe *p = metrics_probes; p; p = p->next) {
		if (p->measure(p->arg, &value) < 0) {
			err_clear();
			continue;
		}
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.3f\n", p->name, p->help, p->name,
			p->name, value);
	}
}

/* --- exposition --------------------------------------------------------------- */

static void
metrics_write_histogram(FILE *f, const metrics_family *fam, metrics_series *s)
{
	const char *sep = s->labels[0] ? "," : "";
	unsigned long long cumulative = 0;

	for (size_t b = 0; b < METRICS_MAX_BUCKETS; b++) {
		cumulative += atomic_load(&s->buckets[b]);
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", fam->name, s->labels, sep,
			(double)metrics_bounds_us[b] / 1e6, cumulative);
	}
	cumulative += atomic_load(&s->buckets[METRICS_MAX_BUCKETS]);
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", fam->name, s->labels, sep, cumulative);
	fprintf(f, "%s_sum%s%s%s %.6f\n", fam->name, s->labels[0] ? "{" : "", s->labels,
		s->labels[0] ? "}" : "", (double)atomic_load(&s->sum_us) / 1e6);
	fprintf(f, "%s_count%s%s%s %llu\n", fam->name, s->labels[0] ? "{" : "", s->labels,
		s->labels[0] ? "}" : "", cumulative);
}

static void
metrics_write_family(FILE *f, metrics_family *fam)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t n = atomic_load_explicit(&fam->n_series, memory_order_acquire);

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
		types[fam->kind]);
	for (size_t i = 0; i < n; i++) {
		metrics_series *s = &fam->series[i];

		if (fam->kind == METRICS_HISTOGRAM)
			metrics_write_histogram(f, fam, s);
		else
			fprintf(f, "%s%s%s%s %lld\n", fam->name, s->labels[0] ? "{" : "", s->labels,
				s->labels[0] ? "}" : "", (long long)atomic_load(&s->value));
	}
}

/* Fields 14 (utime), 15 (stime) and 22 (starttime) of /proc/self/stat. */
static int
metrics_proc_stat(double *cpu_s, double *start_s)
{
	char buf[1024], *p;
	unsigned long long utime = 0, stime = 0, start = 0;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	long tick = sysconf(_SC_CLK_TCK);

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces */
	if (!p || tick <= 0 ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%*d %*d %*d %*d %*d %*d %llu",
		   &utime, &stime, &start) != 3)
		return -1;
	*cpu_s = (double)(utime + stime) / (double)tick;
	*start_s = (double)start / (double)tick;
	return 0;
}

static double
metrics_boot_time(void)
{
	char line[256];
	double boot = 0;
	FILE *f = fopen("/proc/stat", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "btime ", 6) == 0)
			boot = strtod(line + 6, NULL);
	}
	if (f)
		fclose(f);
	return boot;
}

static long
metrics_rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	if (f)
		fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static long
metrics_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own fd */
}

static void
metrics_write_process(FILE *f)
{
	double cpu = 0, start = 0;
	struct rlimit lim;

	if (metrics_proc_stat(&cpu, &start) == 0) {
		fprintf(f,
			"# HELP process_cpu_seconds_total Total user and system CPU time spent in "
			"seconds.\n"
			"# TYPE process_cpu_seconds_total counter\n"
			"process_cpu_seconds_total %.2f\n",
			cpu);
		fprintf(f,
			"# HELP process_start_time_seconds Start time of the process since unix "
			"epoch in seconds.\n"
			"# TYPE process_start_time_seconds gauge\n"
			"process_start_time_seconds %.2f\n",
			metrics_boot_time() + start);
	}
	fprintf(f,
		"# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		"# TYPE process_resident_memory_bytes gauge\n"
		"process_resident_memory_bytes %ld\n",
		metrics_rss_bytes());
	fprintf(f,
		"# HELP process_open_fds Number of open file descriptors.\n"
		"# TYPE process_open_fds gauge\n"
		"process_open_fds %ld\n",
		metrics_open_fds());
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
		fprintf(f,
			"# HELP process_max_fds Maximum number of open file descriptors.\n"
			"# TYPE process_max_fds gauge\n"
			"process_max_fds %llu\n",
			(unsigned long long)lim.rlim_cur);
}

void
metrics_write(FILE *f)
{
	metrics_register(&metrics_provider_calls);
	pthread_mutex_lock(&metrics_lock);
	for (metrics_family *fam = metrics_families; fam; fam = fam->next)
		metrics_write_family(f, fam);
	pthread_mutex_unlock(&metrics_lock);
	pthread_mutex_lock(&metrics_queue_lock);
	metrics_write_queues(f);
	metrics_write_probes(f);
	pthread_mutex_unlock(&metrics_queue_lock);
	metrics_write_process(f);
}
