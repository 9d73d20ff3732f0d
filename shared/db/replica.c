/* Reads from a hot standby (db.h, "reads from a replica"): a connection of
 * its own per thread, built on db.h's public API only, and the freshness
 * of what it reads (as_of) from kolo_replica_as_of() (migration 0036). */
#include "db.h"

#include "log/log.h"
#include "metrics/metrics.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* After the replica could not be reached (or could not tell its as_of), a
 * thread reads from the primary for this long before it tries the replica
 * again: a replica that is down must not add a connection attempt (and a
 * log line) to every read. */
#define DB_REPLICA_RETRY_MS 5000

/* A read on the replica gives up after this long (then the primary
 * answers instead). */
#define DB_REPLICA_TIMEOUT_MS	10000
#define DB_REPLICA_TIMEOUT_TEXT "10000"

/* The time the replica's data is at least as fresh as, as RFC 3339 UTC
 * (NULL when it cannot say yet: nothing replayed since it started). */
static const char db_replica_as_of_sql[] = "SELECT " DB_RFC3339("public.kolo_replica_as_of()");

/* Its age in seconds (0 when the server is not in recovery: as_of is
 * then now()). */
static const char db_replica_lag_sql[] =
	"SELECT greatest(0, extract(epoch FROM clock_timestamp() - public.kolo_replica_as_of()))";

static char *configured_conninfo;
static _Thread_local const char *thread_conninfo;
static _Thread_local int64_t retry_at_ms; /* monotonic; 0 = try now */
static pthread_key_t replica_key;
static pthread_once_t replica_key_once = PTHREAD_ONCE_INIT;

static metrics_family db_replica_reads =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_db_replica_reads_total",
		       "Reads that may lag, by where they were served (replica, or primary when "
		       "none is configured or it failed).");

static int db_replica_measure(void *arg, double *value);

static metrics_probe db_replica_lag_probe = {
	.name = "kolo_db_replica_lag_seconds",
	.help = "How far the read replica may lag behind the primary: the age of the time its "
		"data is known to be as fresh as (measured at scrape).",
	.measure = db_replica_measure,
};

static int64_t
db_replica_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
db_replica_destroy(void *conn)
{
	db_close(conn);
}

static void
db_replica_key_create(void)
{
	if (pthread_key_create(&replica_key, db_replica_destroy) != 0)
		abort();
}

static db_conn *
db_replica_get(void)
{
	if (pthread_once(&replica_key_once, db_replica_key_create) != 0)
		abort();
	return pthread_getspecific(replica_key);
}

static void
db_replica_set(db_conn *conn)
{
	if (pthread_setspecific(replica_key, conn) != 0)
		abort();
}

int
db_replica_configure(const char *conninfo)
{
	char *copy = conninfo && conninfo[0] ? xstrdup(conninfo) : NULL;

	free(configured_conninfo);
	configured_conninfo = copy;
	if (copy)
		metrics_probe_register(&db_replica_lag_probe);
	else
		metrics_probe_unregister(&db_replica_lag_probe);
	return 0;
}

void
db_replica_unconfigure(void)
{
	metrics_probe_unregister(&db_replica_lag_probe);
	free(configured_conninfo);
	configured_conninfo = NULL;
}

void
db_replica_thread_set_conninfo(const char *conninfo)
{
	thread_conninfo = conninfo;
}

/* Closes the thread's replica connection, keeping its retry time. */
static void
db_replica_drop(void)
{
	db_conn *conn = db_replica_get();

	db_replica_set(NULL);
	db_close(conn);
}

void
db_replica_thread_close(void)
{
	db_replica_drop();
	retry_at_ms = 0;
}

static const char *
db_replica_conninfo(void)
{
	return thread_conninfo ? thread_conninfo : configured_conninfo;
}

/* 1 when the connection is still usable: reads what the server sent while
 * it sat idle first (a terminated backend leaves an error, then EOF). */
static int
db_replica_alive(db_conn *conn)
{
	PGconn *pg = db_pg(conn);

	for (int round = 0; round < 2 && PQstatus(pg) == CONNECTION_OK; round++) {
		if (PQtransactionStatus(pg) != PQTRANS_IDLE || PQconsumeInput(pg) == 0)
			break;
		(void)PQisBusy(pg);
	}
	return PQstatus(pg) == CONNECTION_OK;
}

/* The thread's replica connection, opened (or reopened after a loss) now
 * unless a recent attempt failed. ERR_UNAVAILABLE when there is none. */
static int
db_replica_conn(db_conn **out)
{
	db_conn *conn = db_replica_get();
	const char *conninfo = db_replica_conninfo();
	int rc;

	*out = NULL;
	if (!conninfo)
		return err_set(ERR_UNAVAILABLE, "replica_not_configured", "no read replica");
	if (conn && db_replica_alive(conn)) {
		*out = conn;
		return 0;
	}
	db_replica_drop();
	if (retry_at_ms && db_replica_now_ms() < retry_at_ms)
		return err_set(ERR_UNAVAILABLE, "replica_unavailable",
			       "the read replica failed recently");
	rc = db_connect(&conn, conninfo);
	/* For its statements outside a read (as_of, the lag). */
	if (rc == 0)
		rc = db_run(conn, "SET statement_timeout = " DB_REPLICA_TIMEOUT_TEXT, 0, NULL);
	if (rc < 0) {
		db_close(conn);
		retry_at_ms = db_replica_now_ms() + DB_REPLICA_RETRY_MS;
		return rc;
	}
	retry_at_ms = 0;
	db_replica_set(conn);
	*out = conn;
	return 0;
}

/* The replica's as_of, in arena; ERR_UNAVAILABLE `replica_not_ready` when
 * it cannot tell yet. */
static int
db_replica_as_of(const char **out, mem_arena *arena, db_conn *conn)
{
	PGresult *res = NULL;
	int rc = db_exec(conn, &res, db_replica_as_of_sql, 0, NULL);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		*out = db_text(arena, res, 0, 0);
		rc = *out ? 0 : err_oom();
	} else {
		rc = err_set(ERR_UNAVAILABLE, "replica_not_ready",
			     "the read replica cannot tell how fresh it is yet");
	}
	PQclear(res);
	return rc;
}

/* A failure of fn on the replica that the primary may not have. */
static int
db_replica_worth_primary(int rc)
{
	return rc == ERR_UNAVAILABLE || rc == ERR_ABORTED || rc == ERR_DEADLINE_EXCEEDED;
}

/* A read and its argument, as the body of the replica's transaction. */
typedef struct db_replica_read {
	db_read_fn fn;
	void *arg;
} db_replica_read;

/* fn's statements see one snapshot of the replica (a read of several
 * statements, e.g. sums and their lines, agrees with itself). */
static int
db_replica_body(db_conn *conn, void *arg)
{
	db_replica_read *r = arg;
	int rc =
		db_run(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL);

	return rc == 0 ? r->fn(conn, r->arg) : rc;
}

/* fn on the replica: *out_as_of set on success. as_of is read before the
 * transaction whose snapshot fn reads, so the data is at least that
 * fresh; the transaction is never retried (a retry could reconnect to
 * another standby of a multi-host URL, which as_of does not describe): a
 * failure goes to the primary. A failed as_of is reported as
 * ERR_UNAVAILABLE whatever it was (the primary can answer). */
static int
db_replica_try(const char **out_as_of, mem_arena *arena, db_read_fn fn, void *arg)
{
	db_replica_read r = {fn, arg};
	db_conn *conn = NULL;
	int rc = db_replica_conn(&conn);

	/* A replica that cannot tell its as_of (not ready, or without
	 * migration 0036) is left alone for a while like an unreachable one;
	 * err_last() keeps the reason for the log. */
	if (rc == 0 && db_replica_as_of(out_as_of, arena, conn) < 0) {
		db_replica_drop();
		retry_at_ms = db_replica_now_ms() + DB_REPLICA_RETRY_MS;
		return ERR_UNAVAILABLE;
	}
	if (rc == 0)
		rc = db_tx_single(conn, DB_REPLICA_TIMEOUT_MS, db_replica_body, &r);
	if (rc < 0 && conn && PQstatus(db_pg(conn)) != CONNECTION_OK)
		db_replica_drop();
	return rc;
}

int
db_read(const char **out_as_of, mem_arena *arena, db_read_fn fn, void *arg)
{
	db_conn *conn = NULL;
	const char *as_of = NULL;
	int rc;

	assert(out_as_of != NULL && arena != NULL && fn != NULL);
	*out_as_of = NULL;
	if (db_replica_conninfo()) {
		rc = db_replica_try(&as_of, arena, fn, arg);
		if (rc == 0) {
			*out_as_of = as_of;
			metrics_add(&db_replica_reads, "served_by=\"replica\"", 1);
			return 0;
		}
		if (!db_replica_worth_primary(rc))
			return rc;
		/* Logged when it fails, not at every read while it stays down. */
		if (strcmp(err_last()->reason, "replica_unavailable") != 0)
			log_event(LOG_LVL_WARN, "read replica failed, reading from the primary",
				  "reason", err_last()->reason, NULL);
		err_clear();
	}
	metrics_add(&db_replica_reads, "served_by=\"primary\"", 1);
	rc = db_thread_conn(&conn);
	return rc == 0 ? fn(conn, arg) : rc;
}

const char *
db_as_of_older(const char *a, const char *b)
{
	if (!a || !a[0])
		return b && b[0] ? b : NULL;
	if (!b || !b[0])
		return a;
	/* One fixed-width UTC form: text order is time order. */
	return strcmp(a, b) <= 0 ? a : b;
}

int
db_replica_lag(double *out_s)
{
	db_conn *conn = NULL;
	PGresult *res = NULL;
	int rc = db_replica_conn(&conn);

	*out_s = 0;
	if (rc == 0)
		rc = db_exec(conn, &res, db_replica_lag_sql, 0, NULL);
	if (rc < 0) {
		if (conn && PQstatus(db_pg(conn)) != CONNECTION_OK)
			db_replica_drop();
		return rc;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		rc = err_set(ERR_UNAVAILABLE, "replica_not_ready",
			     "the read replica cannot tell how fresh it is yet");
	else
		*out_s = strtod(PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
	return rc;
}

static int
db_replica_measure(void *arg, double *value)
{
	(void)arg;
	return db_replica_lag(value);
}
