#include "db.h"

#include "mem/mem.h"
#include "metrics/metrics.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A statement prepared on the connection's session: its text (owned), the
 * hash of it and its number: its server-side name is "k<index>", numbered
 * from 0 in the order the session prepared them. */
typedef struct db_stmt {
	char *sql;
	uint64_t hash;
	unsigned index;
} db_stmt;

/* Hash slots for prepared statements (a power of two) and how many a
 * session prepares at most; past that db_exec() sends statements unnamed.
 * Every statement is a literal in the code, so the set is small and fixed. */
#define DB_STMT_SLOTS 512u
#define DB_STMT_MAX   256u

struct db_conn {
	PGconn *pg;
	/* Set by db_exec() when a statement failed in a way that makes the
	 * whole transaction worth running again (serialization failure,
	 * deadlock, lost connection); cleared by db_tx() at each attempt. */
	bool retryable;
	/* The server no longer has (or cannot use) what stmts says it
	 * prepared; forget them before the next statement outside a
	 * transaction (db_stmts_refresh). */
	bool stmts_stale;
	/* Inside db_tx_single: statements go unnamed, so that a statement a
	 * migration invalidated cannot fail a body that must not run again. */
	bool unnamed_only;
	/* Counted in db_connections (metrics) while it lives. */
	bool counted;
	/* A statement outlived its deadline and the cancel's grace: the
	 * session is in an unknown state; db_revive() resets it. */
	bool broken;
	/* The statement being read drew a WARNING that the server stopped
	 * waiting for the synchronous standby (db_notice_receive). */
	bool sync_unconfirmed;
	/* Monotonic microseconds: the running db_tx's deadline (0: none),
	 * and the one db_deadline_set() gave statements outside it. */
	int64_t tx_deadline_us;
	int64_t deadline_us;
	unsigned nstmts;
	db_stmt stmts[DB_STMT_SLOTS];
};

/* What a SQLSTATE becomes: a code, a machine reason, and a short phrase for
 * the human message. */
typedef struct db_state_map {
	const char *sqlstate; /* five characters, or two for a class */
	err_code code;
	const char *reason;
	const char *what;
} db_state_map;

/* Exact SQLSTATEs first, then whole classes (two-character entries). */
static const db_state_map state_map[] = {
	{"23505", ERR_ALREADY_EXISTS, "unique_violation", "unique violation"},
	{"23503", ERR_FAILED_PRECONDITION, "foreign_key_violation", "foreign key violation"},
	{"23502", ERR_INVALID_ARGUMENT, "not_null_violation", "not null violation"},
	{"23514", ERR_INVALID_ARGUMENT, "check_violation", "check violation"},
	{"40001", ERR_ABORTED, "serialization_failure", "serialization failure"},
	{"40P01", ERR_ABORTED, "deadlock_detected", "deadlock detected"},
	{"57014", ERR_DEADLINE_EXCEEDED, "statement_timeout", "statement cancelled by timeout"},
	{"55P03", ERR_UNAVAILABLE, "lock_not_available", "lock not available"},
	{"42501", ERR_INTERNAL, "insufficient_privilege", "insufficient privilege"},
	{"22", ERR_INVALID_ARGUMENT, "invalid_value", "invalid value"},
	{"08", ERR_UNAVAILABLE, "database_unavailable", "connection failure"},
	{"57", ERR_UNAVAILABLE, "database_unavailable", "server shutting down"},
	{"53", ERR_UNAVAILABLE, "database_unavailable", "insufficient resources"},
};

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static char *configured_conninfo;
static int64_t (*deadline_source)(void);
static _Thread_local const char *thread_conninfo;

static const db_state_map *
db_state_lookup(const char *sqlstate)
{
	size_t i;

	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return NULL;
	for (i = 0; i < sizeof(state_map) / sizeof(state_map[0]); i++) {
		size_t len = strlen(state_map[i].sqlstate);

		/* 57014 is in class 57 but has its own entry above; only
		 * 57P0x (shutdown, crash) means the server is going away. */
		if (len == 2 && strcmp(state_map[i].sqlstate, "57") == 0 &&
		    strncmp(sqlstate, "57P0", 4) != 0)
			continue;
		if (strncmp(state_map[i].sqlstate, sqlstate, len) == 0)
			return &state_map[i];
	}
	return NULL;
}

err_code
db_err_from_sqlstate(const char *sqlstate)
{
	const db_state_map *map;

	if (sqlstate == NULL)
		return ERR_UNAVAILABLE;
	map = db_state_lookup(sqlstate);
	return map ? map->code : ERR_INTERNAL;
}

/* --- bounded waits. Every statement is sent asynchronously and its result
 * awaited with poll() until a deadline: a COMMIT waiting for a synchronous
 * standby that is gone ignores statement_timeout and would wait for ever.
 * At the deadline the statement is cancelled and its answer read for at
 * most DB_CANCEL_GRACE_MS more; past that the session is given up. */

/* How long a cancelled statement's answer is waited for. */
#define DB_CANCEL_GRACE_MS 1000

static _Atomic int64_t db_wait_cap_ms = DB_WAIT_CAP_MS;

void
db_test_set_wait_cap_ms(int64_t cap_ms)
{
	db_wait_cap_ms = cap_ms > 0 ? cap_ms : DB_WAIT_CAP_MS;
}

static int64_t
db_now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void
db_deadline_set(db_conn *conn, int64_t timeout_ms)
{
	assert(conn != NULL);
	conn->deadline_us = timeout_ms > 0 ? db_now_us() + timeout_ms * 1000 : 0;
}

void
db_set_deadline_source(int64_t (*remaining_ms)(void))
{
	deadline_source = remaining_ms;
}

/* The deadline of the next statement: its transaction's, else the one
 * db_deadline_set() gave, else the cap from now. */
static int64_t
db_deadline_of(const db_conn *conn)
{
	if (conn->tx_deadline_us > 0)
		return conn->tx_deadline_us;
	if (conn->deadline_us > 0)
		return conn->deadline_us;
	return db_now_us() + db_wait_cap_ms * 1000;
}

/* 1 when the session can no longer be used as it is. */
static bool
db_lost(const db_conn *conn)
{
	return conn->broken || PQstatus(conn->pg) != CONNECTION_OK;
}

/* Asks the server to cancel the running statement (best effort). */
static void
db_cancel(db_conn *conn)
{
	char why[256];
	PGcancel *cancel = PQgetCancel(conn->pg);

	if (cancel == NULL)
		return;
	(void)PQcancel(cancel, why, (int)sizeof(why));
	PQfreeCancel(cancel);
}

/* Reads until a result can be taken without blocking: 0 ready, 1 the
 * deadline passed, -1 the connection failed. Polls before it reads (as
 * PQexec does): a read right after the send would only find nothing. */
static int
db_wait_ready(PGconn *pg, int64_t deadline_us)
{
	struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};

	while (PQisBusy(pg)) {
		int64_t left_us = deadline_us - db_now_us();
		int n;

		if (left_us <= 0)
			return 1;
		if (pfd.fd < 0)
			return -1;
		n = poll(&pfd, 1, (int)((left_us + 999) / 1000));
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && PQconsumeInput(pg) == 0)
			return -1;
	}
	return 0;
}

/* Keeps the result PQexec() would return: the first error, else the
 * last result. */
static PGresult *
db_keep(PGresult *kept, PGresult *res)
{
	ExecStatusType st = PQresultStatus(kept);

	if (kept != NULL && (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR)) {
		PQclear(res);
		return kept;
	}
	PQclear(kept);
	return res;
}

/* After a PQsend* (sent: its return), the statement's result as PQexec()
 * would give it, or NULL when the send failed, the connection was lost,
 * or the statement outlived deadline_us and the cancel's grace (then the
 * session is marked broken). Clears and then records sync_unconfirmed. */
static PGresult *
db_roundtrip(db_conn *conn, int sent, int64_t deadline_us)
{
	PGresult *kept = NULL, *res;
	bool cancelled = false;

	if (!sent)
		return NULL;
	conn->sync_unconfirmed = false;
	for (;;) {
		int ready = db_wait_ready(conn->pg, deadline_us);

		if (ready == 1 && !cancelled) {
			db_cancel(conn);
			cancelled = true;
			deadline_us = db_now_us() + DB_CANCEL_GRACE_MS * 1000;
			continue;
		}
		if (ready == 1) {
			conn->broken = true;
			PQclear(kept);
			return NULL;
		}
		res = PQgetResult(conn->pg);
		if (res == NULL)
			return kept;
		kept = db_keep(kept, res);
	}
}

/* A cancelled wait for the synchronous standby (01000) or one cut by a
 * shutdown (57P01) comes as a WARNING to a command that then answers
 * success: the commit is local only. Recorded on the connection for the
 * statement being read; nothing is printed (stderr carries JSON log lines
 * only, and the server's chatter is not ours to log). */
static void
db_notice_receive(void *arg, const PGresult *res)
{
	db_conn *conn = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (severity == NULL || sqlstate == NULL || strcmp(severity, "WARNING") != 0)
		return;
	if (strcmp(sqlstate, "01000") == 0 || strcmp(sqlstate, "57P01") == 0)
		conn->sync_unconfirmed = true;
}

/* Per-session settings every connection gets, after every (re)connect
 * (PQreset may or may not keep hooks): the notice receiver, and UTC so
 * that now() into the seed's `timestamp without time zone` columns and
 * every timestamp we print are UTC whatever the server's default. */
static int
db_session_setup(db_conn *conn)
{
	PGresult *res;
	int ok;

	PQsetNoticeReceiver(conn->pg, db_notice_receive, conn);
	res = db_roundtrip(conn, PQsendQuery(conn->pg, "SET TIME ZONE 'UTC'"),
			   db_now_us() + DB_CANCEL_GRACE_MS * 1000);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0
		  : err_set(ERR_UNAVAILABLE, "database_unavailable",
			    "cannot set up the database session");
}

/* --- metrics: one connection per thread, so no pool and no waits; a
 * connection is in use while a transaction runs on it. */
static metrics_family db_connections = METRICS_FAMILY(
	METRICS_GAUGE, "kolo_db_connections",
	"Open database connections (one per thread), in use (in a transaction) or idle.");
static metrics_family db_connects = METRICS_FAMILY(METRICS_COUNTER, "kolo_db_connects_total",
						   "Database connection attempts by outcome.");
static metrics_family db_transactions =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_db_transactions_total",
		       "Database transactions by outcome (committed, failed).");
static metrics_family db_retries =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_db_transaction_retries_total",
		       "Transactions run again after a retryable failure (serialization, deadlock, "
		       "lost connection).");

#define DB_IDLE	  "state=\"idle\""
#define DB_IN_USE "state=\"in_use\""

static void
db_metrics_in_use(bool in_use)
{
	metrics_add(&db_connections, DB_IN_USE, in_use ? 1 : -1);
	metrics_add(&db_connections, DB_IDLE, in_use ? -1 : 1);
}

int
db_connect(db_conn **out, const char *conninfo)
{
	int rc;
	db_conn *conn;

	assert(out != NULL && conninfo != NULL);
	*out = NULL;
	conn = xcalloc(1, sizeof(*conn));
	conn->pg = PQconnectdb(conninfo);
	if (conn->pg == NULL)
		abort(); /* libpq could not allocate its connection object */
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		rc = err_set(ERR_UNAVAILABLE, "database_unavailable",
			     "cannot connect to the database");
		goto out;
	}
	rc = db_session_setup(conn);
	if (rc < 0)
		goto out;
	conn->counted = true;
	metrics_add(&db_connections, DB_IDLE, 1);
	*out = conn;
	conn = NULL;
	rc = 0;
out:
	metrics_add(&db_connects, rc < 0 ? "outcome=\"failed\"" : "outcome=\"ok\"", 1);
	db_close(conn);
	return rc;
}

/* Forgets every statement this side thinks the session has prepared. */
static void
db_stmts_forget(db_conn *conn)
{
	unsigned i;

	for (i = 0; i < DB_STMT_SLOTS; i++) {
		free(conn->stmts[i].sql);
		conn->stmts[i].sql = NULL;
	}
	conn->nstmts = 0;
	conn->stmts_stale = false;
}

/* After the server lost or refused a prepared statement: drops them all
 * on both sides, so that the next use prepares again. Only between
 * transactions (DEALLOCATE would fail in an aborted one). */
static void
db_stmts_refresh(db_conn *conn)
{
	PGresult *res;
	bool done;

	if (!conn->stmts_stale || db_lost(conn) || PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
		return;
	res = db_roundtrip(conn, PQsendQuery(conn->pg, "DEALLOCATE ALL"), db_deadline_of(conn));
	done = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	/* Forgotten only once the server has dropped them too: otherwise
	 * their names would be handed out again and refused (42P05). Until
	 * then statements go unnamed. */
	if (done)
		db_stmts_forget(conn);
}

void
db_close(db_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->counted)
		metrics_add(&db_connections, DB_IDLE, -1);
	PQfinish(conn->pg);
	db_stmts_forget(conn);
	free(conn);
}

PGconn *
db_pg(db_conn *conn)
{
	assert(conn != NULL);
	return conn->pg;
}

int
db_configure(const char *conninfo)
{
	char *copy;

	assert(conninfo != NULL);
	copy = xstrdup(conninfo);
	free(configured_conninfo);
	configured_conninfo = copy;
	return 0;
}

void
db_unconfigure(void)
{
	free(configured_conninfo);
	configured_conninfo = NULL;
}

static void
db_thread_destroy(void *conn)
{
	db_close(conn);
}

static void
db_thread_key_create(void)
{
	if (pthread_key_create(&thread_key, db_thread_destroy) != 0)
		abort();
}

/* Reads whatever the server sent while the connection sat idle. A backend
 * that was terminated leaves an error and then end-of-file on the socket;
 * libpq marks the connection bad only once it reads that end-of-file, so
 * read twice (the first read may only fetch the error). Never blocks. */
static void
db_poll_idle(PGconn *pg)
{
	struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
	int round;

	/* The usual case, nothing sent: one poll() that does not wait, not
	 * two reads that find nothing (issue 25). Data, end-of-file or an
	 * error all make the socket readable and are read below. */
	if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 0)
		return;
	for (round = 0; round < 2; round++) {
		if (PQstatus(pg) != CONNECTION_OK)
			return;
		if (PQtransactionStatus(pg) != PQTRANS_IDLE)
			return;
		if (PQconsumeInput(pg) == 0)
			return;
		(void)PQisBusy(pg); /* parses what was read */
	}
}

/* Reopens a lost connection in place; ERR_UNAVAILABLE if that fails. */
static int
db_revive(db_conn *conn)
{
	if (!db_lost(conn))
		return 0;
	/* With a multi-host conninfo (target_session_attrs=read-write) this
	 * lands on whichever host is the primary now. */
	PQreset(conn->pg);
	conn->broken = false;
	db_stmts_forget(conn); /* a new session has none */
	if (PQstatus(conn->pg) != CONNECTION_OK)
		return err_set(ERR_UNAVAILABLE, "database_unavailable",
			       "cannot reconnect to the database");
	return db_session_setup(conn);
}

void
db_thread_set_conninfo(const char *conninfo)
{
	thread_conninfo = conninfo;
}

int
db_thread_conn(db_conn **out)
{
	int rc;
	db_conn *conn;

	assert(out != NULL);
	*out = NULL;
	if (configured_conninfo == NULL && thread_conninfo == NULL)
		return err_set(ERR_INTERNAL, "database_not_configured",
			       "db_configure() was not called");
	if (pthread_once(&thread_key_once, db_thread_key_create) != 0)
		abort();
	conn = pthread_getspecific(thread_key);
	if (conn == NULL) {
		rc = db_connect(&conn, thread_conninfo ? thread_conninfo : configured_conninfo);
		if (rc < 0)
			return rc;
		if (pthread_setspecific(thread_key, conn) != 0)
			abort();
	}
	db_poll_idle(conn->pg);
	rc = db_revive(conn);
	if (rc < 0)
		return rc;
	/* A new call: the deadline of the call the thread serves, if any. */
	db_deadline_set(conn, deadline_source ? deadline_source() : 0);
	*out = conn;
	return 0;
}

void
db_thread_close(void)
{
	db_conn *conn;

	if (pthread_once(&thread_key_once, db_thread_key_create) != 0)
		abort();
	conn = pthread_getspecific(thread_key);
	if (conn == NULL)
		return;
	(void)pthread_setspecific(thread_key, NULL);
	db_close(conn);
}

/* A prepared statement the server no longer has (26000: someone ran
 * DEALLOCATE or DISCARD), or whose result columns a migration changed
 * (0A000 "cached plan must not change result type"). Preparing again
 * fixes both. */
static bool
db_is_stale_stmt_state(const char *sqlstate)
{
	return sqlstate != NULL &&
	       (strcmp(sqlstate, "26000") == 0 || strcmp(sqlstate, "0A000") == 0);
}

/* Records the error of a failed result. The server's own message is left
 * out on purpose: it can quote the values of the statement (e.g. "invalid
 * input syntax for type uuid: ..."); constraint and table names cannot. */
static int
db_fail(db_conn *conn, const PGresult *res, bool prepared)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const db_state_map *map = db_state_lookup(sqlstate);
	bool lost = db_lost(conn);

	/* Serialization failures and deadlocks (ERR_ABORTED) are worth a
	 * second run of the whole transaction. */
	if (lost || (map != NULL && map->code == ERR_ABORTED))
		conn->retryable = true;
	if (prepared && db_is_stale_stmt_state(sqlstate)) {
		conn->stmts_stale = true;
		conn->retryable = true;
	}
	if (lost)
		return err_set(ERR_UNAVAILABLE, "database_unavailable",
			       "lost the connection to the database");
	if (sqlstate == NULL)
		return err_set(ERR_INTERNAL, "database_error",
			       "database call failed without a sqlstate");
	if (map == NULL)
		return err_set(ERR_INTERNAL, "database_error", "database error (sqlstate %s)",
			       sqlstate);
	if (constraint != NULL)
		return err_set(map->code, map->reason, "%s on %s (sqlstate %s)", map->what,
			       constraint, sqlstate);
	return err_set(map->code, map->reason, "%s (sqlstate %s)", map->what, sqlstate);
}

/* 1 when the statement just read ended a transaction (COMMIT, or an
 * autocommit statement) that the server committed locally but stopped
 * waiting for the synchronous standby to confirm. */
static bool
db_unconfirmed(const db_conn *conn)
{
	return conn->sync_unconfirmed &&
	       (db_lost(conn) || PQtransactionStatus(conn->pg) == PQTRANS_IDLE);
}

/* A commit whose outcome the caller cannot know: never retried. */
static int
db_outcome_unknown(db_conn *conn)
{
	conn->retryable = false;
	conn->sync_unconfirmed = false;
	return err_set(ERR_UNAVAILABLE, "commit_outcome_unknown",
		       "the commit was not confirmed by the synchronous standby");
}

/* Takes a result: a success is handed to *out (when out is not NULL, else
 * cleared), a failure is recorded and returned. prepared: res came from a
 * named statement. */
static int
db_result(db_conn *conn, PGresult *res, PGresult **out, bool prepared)
{
	int rc;

	if (res == NULL) {
		/* NULL: the connection is gone, the statement outlived its
		 * deadline and the cancel's grace (db_roundtrip), or libpq
		 * could not send it. */
		if (db_lost(conn)) {
			conn->retryable = true;
			return db_unconfirmed(conn)
				       ? db_outcome_unknown(conn)
				       : err_set(ERR_UNAVAILABLE, "database_unavailable",
						 "lost the connection to the database");
		}
		return err_set(ERR_INTERNAL, "database_error",
			       "the database call could not be sent");
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		if (db_unconfirmed(conn)) {
			rc = db_outcome_unknown(conn);
			break;
		}
		if (out != NULL) {
			*out = res;
			res = NULL;
		}
		rc = 0;
		break;
	default:
		rc = db_fail(conn, res, prepared);
		break;
	}
	PQclear(res);
	return rc;
}

/* FNV-1a of a statement's text. */
static uint64_t
db_hash(const char *sql)
{
	uint64_t h = 14695981039346656037u;

	for (; *sql != '\0'; sql++) {
		h ^= (unsigned char)*sql;
		h *= 1099511628211u;
	}
	return h;
}

/* Room for a statement name "k<index>". */
#define DB_STMT_NAME 16

/* The name under which sql is prepared on conn's session, preparing it
 * on first use (*fresh set then). name is "" when the statement is to be
 * sent unnamed: the cache is full, stale inside a transaction, or the
 * connection is in db_tx_single. */
static int
db_stmt_name(db_conn *conn, const char *sql, int nparams, char name[DB_STMT_NAME], bool *fresh)
{
	uint64_t hash = db_hash(sql);
	unsigned slot = (unsigned)hash & (DB_STMT_SLOTS - 1);
	db_stmt *stmt;
	int rc;

	name[0] = '\0';
	*fresh = false;
	db_stmts_refresh(conn);
	if (conn->stmts_stale || conn->unnamed_only)
		return 0;
	for (;; slot = (slot + 1) & (DB_STMT_SLOTS - 1)) {
		stmt = &conn->stmts[slot];
		if (stmt->sql == NULL)
			break;
		if (stmt->hash == hash && strcmp(stmt->sql, sql) == 0) {
			snprintf(name, DB_STMT_NAME, "k%u", stmt->index);
			return 0;
		}
	}
	if (conn->nstmts >= DB_STMT_MAX)
		return 0;
	snprintf(name, DB_STMT_NAME, "k%u", conn->nstmts);
	rc = db_result(conn,
		       db_roundtrip(conn, PQsendPrepare(conn->pg, name, sql, nparams, NULL),
				    db_deadline_of(conn)),
		       NULL, false);
	if (rc < 0) {
		name[0] = '\0';
		return rc;
	}
	stmt->sql = xstrdup(sql);
	stmt->hash = hash;
	stmt->index = conn->nstmts++;
	*fresh = true;
	return 0;
}

/* One try of db_exec(). Only a statement prepared by an earlier call can
 * have gone stale: a failure of one prepared just now is its own error. */
static int
db_exec_once(db_conn *conn, PGresult **out, const char *sql, int nparams, const char *const *params)
{
	char name[DB_STMT_NAME] = "";
	bool fresh = false;
	int rc;

	if (nparams > 0) {
		rc = db_stmt_name(conn, sql, nparams, name, &fresh);
		if (rc < 0)
			return rc;
	}
	if (name[0] == '\0')
		return db_result(conn,
				 db_roundtrip(conn,
					      PQsendQueryParams(conn->pg, sql, nparams, NULL,
								params, NULL, NULL, 0),
					      db_deadline_of(conn)),
				 out, false);
	return db_result(
		conn,
		db_roundtrip(conn,
			     PQsendQueryPrepared(conn->pg, name, nparams, params, NULL, NULL, 0),
			     db_deadline_of(conn)),
		out, !fresh);
}

/* Statements with parameters are prepared once per session and then run
 * by name: PostgreSQL parses and analyses each only once, and may keep a
 * generic plan. Statements without parameters (BEGIN, SET ...) are sent
 * as they are. A prepared statement the server lost or invalidated is
 * prepared again: at once outside a transaction, by db_tx's retry inside
 * one. */
int
db_exec(db_conn *conn, PGresult **out, const char *sql, int nparams, const char *const *params)
{
	bool was_stale;
	int rc;

	assert(conn != NULL && out != NULL && sql != NULL && nparams >= 0);
	*out = NULL;
	was_stale = conn->stmts_stale;
	rc = db_exec_once(conn, out, sql, nparams, params);
	/* Run again only when this very call found its statement stale. */
	if (rc < 0 && !was_stale && conn->stmts_stale &&
	    PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
		rc = db_exec_once(conn, out, sql, nparams, params);
	return rc;
}

int
db_run(db_conn *conn, const char *sql, int nparams, const char *const *params)
{
	int rc;
	PGresult *res = NULL;

	rc = db_exec(conn, &res, sql, nparams, params);
	PQclear(res);
	return rc;
}

int
db_fence(db_conn *conn)
{
	return db_run(conn, "SELECT pg_logical_emit_message(true, 'kolo', 'fence')", 0, NULL);
}

int
db_run_count(int *out_n, db_conn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult *res = NULL;
	int rc = db_exec(conn, &res, sql, nparams, params);

	*out_n = rc == 0 ? db_affected(res) : 0;
	PQclear(res);
	return rc;
}

/* Sleeps 2^attempt ms plus up to as much again at random, so that two
 * transactions that just collided do not collide again in lockstep. */
static void
db_backoff(int attempt)
{
	static _Thread_local uint64_t seed;
	struct timespec now, delay;
	uint64_t base_us = 1000u << (attempt < 6 ? attempt : 6);
	uint64_t sleep_us;

	if (seed == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		seed = ((uint64_t)now.tv_nsec << 16) ^ (uint64_t)now.tv_sec ^
		       (uint64_t)(uintptr_t)&seed;
		seed |= 1;
	}
	/* xorshift64: good enough for jitter, not for anything secret. */
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	sleep_us = base_us + seed % base_us;
	delay.tv_sec = (time_t)(sleep_us / 1000000u);
	delay.tv_nsec = (long)(sleep_us % 1000000u) * 1000L;
	nanosleep(&delay, NULL);
}

/* Ends a failed attempt. ROLLBACK bypasses db_result so that its own
 * failure cannot overwrite the error the caller is about to see; it gets
 * the cancel's grace, not the (maybe spent) deadline. */
static void
db_rollback(db_conn *conn)
{
	if (db_lost(conn))
		return;
	if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
		return;
	PQclear(db_roundtrip(conn, PQsendQuery(conn->pg, "ROLLBACK"),
			     db_now_us() + DB_CANCEL_GRACE_MS * 1000));
}

/* BEGIN, and with timeout_ms > 0 a LOCAL statement_timeout, in one round
 * trip (one simple-protocol query string). SET LOCAL rather than
 * set_config(): set_config() is a query, it takes the transaction's
 * snapshot, and fn could then no longer start with SET TRANSACTION
 * ISOLATION LEVEL. The number is formatted from an int64 by us, never from
 * input; a utility statement cannot take a $1 parameter. */
static int
db_begin(db_conn *conn, int64_t timeout_ms)
{
	char sql[80] = "BEGIN";

	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;
	if (timeout_ms > 0)
		snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL statement_timeout = %" PRId64,
			 timeout_ms);
	return db_result(conn, db_roundtrip(conn, PQsendQuery(conn->pg, sql), db_deadline_of(conn)),
			 NULL, false);
}

static int
db_commit(db_conn *conn)
{
	int rc;
	PGresult *res = NULL;
	bool rolled_back;

	rc = db_exec(conn, &res, "COMMIT", 0, NULL);
	if (rc < 0) {
		if (strcmp(err_last()->reason, "commit_outcome_unknown") == 0)
			return rc;
		if (db_lost(conn)) {
			/* The COMMIT may or may not have reached the server;
			 * running fn again could do its work twice. */
			conn->retryable = false;
			return err_set(ERR_UNAVAILABLE, "commit_outcome_unknown",
				       "connection lost during commit");
		}
		return rc;
	}
	/* COMMIT of a transaction that already failed answers ROLLBACK. */
	rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
	PQclear(res);
	if (!rolled_back)
		return 0;
	if (conn->retryable)
		return err_set(ERR_ABORTED, "serialization_failure",
			       "transaction aborted by a conflict");
	return err_set(ERR_INTERNAL, "transaction_aborted",
		       "transaction failed but its body returned success");
}

/* One attempt: BEGIN, timeout, fn, COMMIT. conn->retryable tells the
 * caller whether a failure may be retried. */
static int
db_tx_once(db_conn *conn, int64_t timeout_ms, db_tx_fn fn, void *arg)
{
	int rc;

	conn->retryable = false;
	db_metrics_in_use(true);
	rc = db_revive(conn);
	if (rc < 0) {
		conn->retryable = true;
		goto out;
	}
	db_stmts_refresh(conn);
	rc = db_begin(conn, timeout_ms);
	if (rc < 0)
		goto out;
	rc = fn(conn, arg);
	if (rc < 0)
		goto out;
	if (db_lost(conn)) {
		conn->retryable = true;
		rc = err_set(ERR_UNAVAILABLE, "database_unavailable",
			     "lost the connection to the database");
		goto out;
	}
	rc = db_commit(conn);
out:
	if (rc < 0)
		db_rollback(conn);
	db_metrics_in_use(false);
	metrics_add(&db_transactions, rc < 0 ? "outcome=\"failed\"" : "outcome=\"committed\"", 1);
	return rc;
}

/* Every statement of a db_tx (its retries too) ends by timeout_ms from
 * now; with none, each gets the cap (db_deadline_of). */
static void
db_tx_deadline_start(db_conn *conn, int64_t timeout_ms)
{
	conn->tx_deadline_us = timeout_ms > 0 ? db_now_us() + timeout_ms * 1000 : 0;
}

int
db_tx(db_conn *conn, int64_t timeout_ms, db_tx_fn fn, void *arg)
{
	int rc = ERR_INTERNAL;
	int attempt;

	assert(conn != NULL && fn != NULL);
	db_tx_deadline_start(conn, timeout_ms);
	for (attempt = 0; attempt < DB_TX_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			metrics_add(&db_retries, "", 1);
			db_backoff(attempt);
		}
		rc = db_tx_once(conn, timeout_ms, fn, arg);
		if (rc == 0 || !conn->retryable)
			break;
	}
	conn->retryable = false;
	conn->tx_deadline_us = 0;
	return rc;
}

int
db_tx_single(db_conn *conn, int64_t timeout_ms, db_tx_fn fn, void *arg)
{
	int rc;

	assert(conn != NULL && fn != NULL);
	conn->unnamed_only = true;
	db_tx_deadline_start(conn, timeout_ms);
	rc = db_tx_once(conn, timeout_ms, fn, arg);
	conn->unnamed_only = false;
	conn->retryable = false;
	conn->tx_deadline_us = 0;
	return rc;
}

char *
db_text(mem_arena *arena, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return mem_arena_strdup(arena, "");
	return mem_arena_strndup(arena, PQgetvalue(res, row, col),
				 (size_t)PQgetlength(res, row, col));
}

char *
db_text_array(mem_arena *arena, const char *const *items, size_t n)
{
	size_t cap = 3;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(items[i]) + 3;
	out = mem_arena_alloc(arena, cap);
	if (!out)
		return NULL;
	p = out;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *s = items[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

int
db_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

int64_t
db_int64(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *
db_i64(char buf[DB_I64_TEXT], int64_t value)
{
	snprintf(buf, DB_I64_TEXT, "%" PRId64, value);
	return buf;
}

int
db_affected(const PGresult *res)
{
	return atoi(PQcmdTuples((PGresult *)res));
}

/* *out_rows = rows and *out_n = n, where out_rows is the address of a
 * T * whose T DB_ROW_READER_FOR checked: the array's address is copied in
 * without the T * being accessed as a void *. */
static void
db_rows_store(void *out_rows, int *out_n, void *rows, int n)
{
	memcpy(out_rows, &rows, sizeof(rows));
	*out_n = n;
}

int
db_read_rows(void *out_rows, int *out_n, mem_arena *arena, PGresult *res, size_t row_size,
	     db_row_reader read)
{
	int n = PQntuples(res);
	char *rows = mem_arena_alloc(arena, row_size * ((size_t)n + 1));
	int rc = rows ? 0 : err_oom();

	for (int i = 0; rc == 0 && i < n; i++)
		rc = read(arena, res, i, rows + row_size * (size_t)i);
	PQclear(res);
	if (rc < 0) {
		rows = NULL;
		n = 0;
	}
	db_rows_store(out_rows, out_n, rows, n);
	return rc;
}

int
db_query_rows(void *out_rows, int *out_n, mem_arena *arena, db_conn *conn, const char *sql,
	      int nparams, const char *const *params, size_t row_size, db_row_reader read)
{
	PGresult *res = NULL;
	int rc = db_exec(conn, &res, sql, nparams, params);

	if (rc == 0)
		return db_read_rows(out_rows, out_n, arena, res, row_size, read);
	db_rows_store(out_rows, out_n, NULL, 0);
	return rc;
}

int
db_read_text(mem_arena *arena, const PGresult *res, int row, char **out)
{
	*out = db_text(arena, res, row, 0);
	return *out ? 0 : err_oom();
}

/* A queue measure gives up after this long (the scrape waits for it). */
#define DB_MEASURE_TIMEOUT_MS "2000"

int
db_measure_queue(const char *sql, int64_t *depth, double *oldest_age_s)
{
	db_conn *conn = NULL;
	PGresult *res = NULL;
	int rc = db_thread_conn(&conn);

	if (rc == 0)
		rc = db_run(conn, "SET statement_timeout = " DB_MEASURE_TIMEOUT_MS, 0, NULL);
	if (rc == 0)
		rc = db_exec(conn, &res, sql, 0, NULL);
	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		PQclear(res);
		return err_set(ERR_INTERNAL, NULL, "a queue measure returns one row of two");
	}
	*depth = db_int64(res, 0, 0);
	*oldest_age_s = PQgetisnull(res, 0, 1) ? 0 : strtod(PQgetvalue(res, 0, 1), NULL);
	PQclear(res);
	return 0;
}
