/* deposit_bench: how long a deposit takes from its webhook to the group's
 * balance (issue 25), on a running suite whose payments use bench/fake_flw
 * (Flutterwave).
 *
 *   deposit_bench URL HASH CONNINFO GROUPS THREADS SECS RATE TAG
 *
 * THREADS senders POST signed charge.completed webhooks (header verif-hash:
 * HASH, NGN 100.00, tx_ref "kolo-GROUP", transaction id "GROUP.TAG-I")
 * to URL/v1/webhooks/flutterwave, round-robin over the group ids of the
 * file GROUPS (one a line), each on its own kept-alive connection, for SECS
 * seconds. RATE 0: each sender sends its next webhook as soon as the last
 * one is answered (full rate, as wrk does); RATE > 0: webhook I is sent at
 * start + I / RATE whichever sender is free (an open-loop schedule; a send
 * more than 1 ms behind it counts as late).
 *
 * Credited: one poller asks the database (CONNINFO, the kolo database)
 * every POLL_US which of the outstanding transaction ids have a ledger
 * entry (SELECT reference FROM ledger_entry WHERE reference = ANY(..)): a
 * row is seen only once its transaction has committed, and the credit's
 * entry and the group's balance row are written by one statement
 * (ledger_post_credit), so that is the moment the balance includes it.
 * Latency = the end of the poll that first saw it - the moment just before
 * the webhook was sent: it never understates (by at most one poll interval
 * plus one query it overstates). The webhook's answer is not taken to mean
 * credited. After the senders stop the poller waits (at most GRACE_S) for
 * every accepted webhook to be credited (KOLO_BENCH_CREDIT_GRACE_S
 * overrides); one that is not, or a non-200
 * answer, is an error.
 *
 * Prints one line: "credited tag=.. rate=.. sent=.. accepted=.. credited=..
 * errors=.. late=.. sent_per_s=.. credited_per_s=.. p50_us=.. p99_us=..
 * max_us=.. ack_p50_us=.. ack_p99_us=.. polls=.. capped=..". capped counts
 * the polls that had more than DEP_BATCH ids outstanding and asked only the
 * oldest (the others' latencies may then be overstated). Exit 1 on any
 * error.
 * Bounded in time; calls only the addresses it is given (loopback in
 * bench/run). */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEP_MAX_SENDERS 64
#define DEP_MAX_GROUPS	256
#define DEP_MAX		1000000 /* deposits in one run */
#define DEP_BATCH	512	/* outstanding ids asked per poll */
#define POLL_US		1000
#define GRACE_S		60 /* KOLO_BENCH_CREDIT_GRACE_S overrides */
#define LATE_NS		1000000

enum dep_state { DEP_FREE, DEP_SENT, DEP_ACCEPTED, DEP_FAILED, DEP_CREDITED };

typedef struct dep {
	_Atomic int state;
	int64_t sent_ns;
	int64_t acked_ns;
	int64_t credited_ns;
} dep;

static dep *deps;
static atomic_size_t n_claimed;
static atomic_int senders_done;
static atomic_long late;
static atomic_long capped; /* polls that could not ask every outstanding id */
static char groups[DEP_MAX_GROUPS][64];
static int n_groups;
static const char *url, *tag;
static char hash_header[256];
static double rate;
static int64_t start_ns, end_ns;
static int64_t grace_s = GRACE_S;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until(int64_t t_ns)
{
	struct timespec ts = {.tv_sec = t_ns / 1000000000, .tv_nsec = t_ns % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The next deposit's index, or -1 once the run's time is over (paced: once
 * the next slot of the schedule falls after it, then waits for the slot). */
static long
dep_claim(void)
{
	size_t i;
	int64_t at;

	if (rate <= 0) {
		if (now_ns() >= end_ns)
			return -1;
		i = atomic_fetch_add(&n_claimed, 1);
		return i < DEP_MAX ? (long)i : -1;
	}
	i = atomic_fetch_add(&n_claimed, 1);
	at = start_ns + (int64_t)((double)i * 1e9 / rate);
	if (i >= DEP_MAX || at >= end_ns)
		return -1;
	sleep_until(at);
	if (now_ns() - at > LATE_NS)
		atomic_fetch_add(&late, 1);
	return (long)i;
}

/* Sends deposit i; 0 when the gateway answered 200. */
static int
dep_send(CURL *c, long i)
{
	dep *d = &deps[i];
	const char *g = groups[i % n_groups];
	char body[512];
	long status = 0;

	snprintf(body, sizeof(body),
		 "{\"event\":\"charge.completed\",\"data\":{\"id\":\"%s.%s-%ld\","
		 "\"tx_ref\":\"kolo-%s\",\"amount\":100,\"currency\":\"NGN\","
		 "\"status\":\"successful\",\"payment_type\":\"bank_transfer\"}}",
		 g, tag, i, g);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	d->sent_ns = now_ns();
	atomic_store(&d->state, DEP_SENT);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	d->acked_ns = now_ns();
	if (status != 200) {
		static atomic_int reported;

		if (atomic_fetch_add(&reported, 1) == 0)
			fprintf(stderr, "deposit_bench: webhook %ld answered %ld\n", i, status);
		atomic_store(&d->state, DEP_FAILED);
		return -1;
	}
	/* The poller may have seen it credited before the answer came. */
	int expected = DEP_SENT;
	atomic_compare_exchange_strong(&d->state, &expected, DEP_ACCEPTED);
	return 0;
}

static void *
dep_sender(void *arg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char endpoint[512];
	long i;

	(void)arg;
	snprintf(endpoint, sizeof(endpoint), "%s/v1/webhooks/flutterwave", url);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hash_header);
	curl_easy_setopt(c, CURLOPT_URL, endpoint);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	while ((i = dep_claim()) >= 0)
		dep_send(c, i);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* Appends deposit i's transaction id to the text[] literal in sql. */
static void
dep_append_id(char *sql, size_t cap, size_t *len, size_t i)
{
	int n = snprintf(sql + *len, cap - *len, "%s\"%s.%s-%zu\"", *len > 1 ? "," : "",
			 groups[i % n_groups], tag, i);

	if (n > 0 && (size_t)n < cap - *len)
		*len += (size_t)n;
}

/* One poll: which outstanding deposits (from index *low on) are credited;
 * moves *low past the settled prefix. Returns the outstanding count left
 * (sent or accepted, not credited), or -1 on a database error. */
static long
dep_poll(PGconn *db, size_t *low)
{
	static char ids[DEP_BATCH * 96 + 8];
	size_t len = 1, top = atomic_load(&n_claimed), asked = 0;
	const char *param[1] = {ids};
	PGresult *res;
	long outstanding = 0;
	int64_t seen;

	if (top > DEP_MAX)
		top = DEP_MAX;
	while (*low < top && atomic_load(&deps[*low].state) >= DEP_FAILED)
		(*low)++;
	ids[0] = '{';
	for (size_t i = *low; i < top && asked < DEP_BATCH; i++) {
		int s = atomic_load(&deps[i].state);

		if (s == DEP_SENT || s == DEP_ACCEPTED) {
			dep_append_id(ids, sizeof(ids) - 2, &len, i);
			asked++;
		}
	}
	if (asked == 0)
		return 0;
	if (asked == DEP_BATCH) /* later ones wait for a poll: overstated */
		atomic_fetch_add(&capped, 1);
	ids[len++] = '}';
	ids[len] = '\0';
	res = PQexecPrepared(db, "poll", 1, param, NULL, NULL, 0);
	seen = now_ns();
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "deposit_bench: poll: %s", PQerrorMessage(db));
		PQclear(res);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		const char *ref = PQgetvalue(res, r, 0), *dash = strrchr(ref, '-');
		long i = dash ? strtol(dash + 1, NULL, 10) : -1;
		int s;

		if (i < 0 || (size_t)i >= top)
			continue;
		s = atomic_load(&deps[i].state);
		if (s == DEP_SENT || s == DEP_ACCEPTED) {
			deps[i].credited_ns = seen;
			atomic_store(&deps[i].state, DEP_CREDITED);
		}
	}
	outstanding = (long)asked - PQntuples(res);
	PQclear(res);
	return outstanding;
}

/* Polls until the senders are done and nothing is outstanding, or GRACE_S
 * after the run's end. Returns the number of polls, -1 on a database error. */
static long
dep_poller(PGconn *db)
{
	size_t low = 0;
	long polls = 0, left;

	for (;;) {
		int64_t t = now_ns();

		left = dep_poll(db, &low);
		if (left < 0)
			return -1;
		polls++;
		if (atomic_load(&senders_done) && left == 0)
			return polls;
		if (t > end_ns + grace_s * 1000000000)
			return polls;
		sleep_until(t + POLL_US * 1000);
	}
}

static pthread_t *sender_ids;
static int n_senders;

static void *
dep_join_senders(void *arg)
{
	(void)arg;
	for (int t = 0; t < n_senders; t++)
		pthread_join(sender_ids[t], NULL);
	atomic_store(&senders_done, 1);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
pct(const int64_t *v, size_t n, double p)
{
	size_t k = (size_t)((double)n * p);

	return n ? v[k < n ? k : n - 1] : 0;
}

/* Prints the result line; returns the number of errors. */
static long
dep_report(size_t sent, long polls, double secs)
{
	int64_t *lat = calloc(sent + 1, sizeof(*lat)), *ack = calloc(sent + 1, sizeof(*ack));
	size_t n_lat = 0, n_ack = 0, accepted = 0, really_sent = 0;
	long errors = 0;
	int64_t first = 0, last = 0;

	for (size_t i = 0; i < sent; i++) {
		dep *d = &deps[i];
		int s = atomic_load(&d->state);

		if (s == DEP_FREE) /* claimed past the run's end, never sent */
			continue;
		really_sent++;
		if (s == DEP_FAILED) {
			errors++;
			continue;
		}
		accepted++;
		ack[n_ack++] = d->acked_ns - d->sent_ns;
		if (s != DEP_CREDITED) {
			errors++;
			continue;
		}
		lat[n_lat++] = d->credited_ns - d->sent_ns;
		if (!first || d->sent_ns < first)
			first = d->sent_ns;
		if (d->credited_ns > last)
			last = d->credited_ns;
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_i64);
	qsort(ack, n_ack, sizeof(*ack), cmp_i64);
	printf("credited tag=%s rate=%.0f sent=%zu accepted=%zu credited=%zu errors=%ld late=%ld "
	       "sent_per_s=%.0f credited_per_s=%.0f p50_us=%lld p99_us=%lld max_us=%lld "
	       "ack_p50_us=%lld ack_p99_us=%lld polls=%ld capped=%ld\n",
	       tag, rate, really_sent, accepted, n_lat, errors, atomic_load(&late),
	       (double)really_sent / secs,
	       last > first ? (double)n_lat * 1e9 / (double)(last - first) : 0.0,
	       (long long)(pct(lat, n_lat, 0.5) / 1000), (long long)(pct(lat, n_lat, 0.99) / 1000),
	       (long long)(n_lat ? lat[n_lat - 1] / 1000 : 0),
	       (long long)(pct(ack, n_ack, 0.5) / 1000), (long long)(pct(ack, n_ack, 0.99) / 1000),
	       polls, atomic_load(&capped));
	fflush(stdout);
	free(lat);
	free(ack);
	return errors;
}

static int
read_groups(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (n_groups < DEP_MAX_GROUPS && fscanf(f, "%63s", groups[n_groups]) == 1)
		n_groups++;
	fclose(f);
	return n_groups > 0 ? 0 : -1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: deposit_bench URL HASH CONNINFO GROUPS THREADS SECS RATE TAG\n");
	return 2;
}

int
main(int argc, char **argv)
{
	pthread_t ids[DEP_MAX_SENDERS], joiner;
	int threads, secs;
	PGconn *db;
	PGresult *res;
	long polls, errors;
	size_t sent;

	if (argc != 9)
		return usage();
	url = argv[1];
	snprintf(hash_header, sizeof(hash_header), "verif-hash: %s", argv[2]);
	threads = atoi(argv[5]);
	secs = atoi(argv[6]);
	rate = atof(argv[7]);
	tag = argv[8];
	if (getenv("KOLO_BENCH_CREDIT_GRACE_S"))
		grace_s = atoi(getenv("KOLO_BENCH_CREDIT_GRACE_S"));
	if (threads < 1 || threads > DEP_MAX_SENDERS || secs < 1 || secs > 600 || rate < 0 ||
	    strlen(tag) > 16 || read_groups(argv[4]) < 0)
		return usage();
	db = PQconnectdb(argv[3]);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "deposit_bench: %s", PQerrorMessage(db));
		PQfinish(db);
		return 1;
	}
	res = PQprepare(db, "poll",
			"SELECT reference FROM ledger_entry WHERE reference = ANY($1::text[])", 1,
			NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "deposit_bench: %s", PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return 1;
	}
	PQclear(res);
	deps = calloc(DEP_MAX, sizeof(*deps));
	if (!deps)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_ns = now_ns();
	end_ns = start_ns + (int64_t)secs * 1000000000;
	for (int t = 0; t < threads; t++)
		pthread_create(&ids[t], NULL, dep_sender, NULL);
	/* The senders are joined by a thread of their own, so that this one
	 * polls all along. */
	sender_ids = ids;
	n_senders = threads;
	pthread_create(&joiner, NULL, dep_join_senders, NULL);
	polls = dep_poller(db);
	pthread_join(joiner, NULL);
	sent = atomic_load(&n_claimed);
	if (sent > DEP_MAX)
		sent = DEP_MAX;
	errors = polls < 0 ? 1 : dep_report(sent, polls, (double)secs);
	PQfinish(db);
	curl_global_cleanup();
	free(deps);
	return errors ? 1 : 0;
}
