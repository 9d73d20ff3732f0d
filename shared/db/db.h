/* db: libpq access for the services.
 *
 * One connection per worker thread (db_thread_conn), parameterised
 * statements only, transactions that retry serialization failures and
 * deadlocks, SQLSTATE mapped to err_code, statement_timeout from the
 * caller's deadline, and reconnection after a lost connection. */
#ifndef KOLO_DB_H
#define KOLO_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"

typedef struct db_conn db_conn;

/* SQL that prints a timestamp column as RFC 3339 UTC with microseconds
 * (sessions run in UTC, see db_connect). Use as DB_RFC3339("created_at"). */
#define DB_RFC3339(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* SQL for a timestamptz from a parameter holding Unix microseconds (exact,
 * unlike to_timestamp(double)). Use as DB_FROM_US("$2"). */
#define DB_FROM_US(param) "('epoch'::timestamptz + " param "::bigint * interval '1 microsecond')"

/* How long a statement with no deadline (db_deadline_set, db_tx's
 * timeout_ms) may wait for its answer before it is cancelled. */
#define DB_WAIT_CAP_MS 30000

/* How many times db_tx() runs a transaction that failed with a retryable
 * error (serialization failure, deadlock, connection lost before COMMIT). */
#define DB_TX_ATTEMPTS 5

/* Sets the libpq conninfo that db_thread_conn() uses on every thread.
 * The string is copied. Call once at start-up, before any worker runs. */
KOLO_MUST_CHECK int db_configure(const char *conninfo);

/* Frees what db_configure() kept. */
void db_unconfigure(void);

/* Opens a connection whose session runs in UTC. *out is owned by the
 * caller: db_close() it.
 * ERR_UNAVAILABLE when the server cannot be reached. */
KOLO_MUST_CHECK int db_connect(db_conn **out, const char *conninfo);

/* Closes and frees a connection (NULL is fine). */
void db_close(db_conn *conn);

/* The calling thread's connection, opened on first use with the configured
 * conninfo and reopened if it was lost. Borrowed: it is closed when the
 * thread exits or on db_thread_close(). */
KOLO_MUST_CHECK int db_thread_conn(db_conn **out);

/* Makes the calling thread connect with conninfo instead of the
 * configured one (borrowed: it must outlive the thread). For processes
 * that serve several services (tests). */
void db_thread_set_conninfo(const char *conninfo);

/* Closes the calling thread's connection now. */
void db_thread_close(void);

/* The libpq handle (borrowed), for PQ* accessors on results. */
PGconn *db_pg(db_conn *conn);

/* Runs one parameterised statement. params are text (NULL = SQL NULL).
 * It waits until its transaction's or the connection's deadline (or
 * DB_WAIT_CAP_MS): see db_deadline_set(). An autocommit write whose commit
 * the synchronous standby did not confirm fails with ERR_UNAVAILABLE
 * "commit_outcome_unknown" (its rows dropped).
 * A statement with parameters is usually prepared once per session and then
 * run by name (not inside db_tx_single, past the cache's size, or while the
 * cache is being refreshed: docs/decisions.md, "Database").
 * On success *out is a result the caller must PQclear(); on failure *out is
 * NULL and the error (mapped from SQLSTATE) is recorded with err_set(). */
KOLO_MUST_CHECK int db_exec(db_conn *conn, PGresult **out, const char *sql, int nparams,
			    const char *const *params);

/* Like db_exec() for a statement whose rows are not needed. */
KOLO_MUST_CHECK int db_run(db_conn *conn, const char *sql, int nparams, const char *const *params);

/* db_run() of an INSERT/UPDATE/DELETE that reports in *out_n how many rows
 * it changed (0 on failure). */
KOLO_MUST_CHECK int db_run_count(int *out_n, db_conn *conn, const char *sql, int nparams,
				 const char *const *params);

/* Makes the transaction it runs in (or, outside one, its own) write WAL,
 * so that its commit waits for the synchronous standby: WAL is ordered, so
 * once it is confirmed every commit before it is too. For a path that
 * answers success for work it found already done (a replay): without it a
 * read-only transaction answers at once, maybe for a row the standby never
 * got (docs/decisions.md, "Database past one machine: commits the standby
 * has not confirmed"). Errors as db_run's. */
KOLO_MUST_CHECK int db_fence(db_conn *conn);

/* Gives the statements conn runs outside a transaction a deadline
 * timeout_ms from now (<= 0: none, DB_WAIT_CAP_MS each). db_thread_conn()
 * clears it, so set it after that, once per call (e.g. from
 * svc_tx_timeout()). At the deadline a statement is cancelled; a write
 * whose commit was waiting for the synchronous standby then answers
 * ERR_UNAVAILABLE "commit_outcome_unknown". */
void db_deadline_set(db_conn *conn, int64_t timeout_ms);

/* Where db_thread_conn() finds the deadline of the call the calling thread
 * serves: remaining_ms() answers the milliseconds left (<= 0: none, the
 * cap applies), and every connection db_thread_conn() hands out starts
 * with it as its db_deadline_set(). NULL (the default): none. Set once at
 * start-up, before any worker runs (svc_main does). */
void db_set_deadline_source(int64_t (*remaining_ms)(void));

/* The wait cap of statements with no deadline, in ms (<= 0: back to
 * DB_WAIT_CAP_MS). For tests only. */
void db_test_set_wait_cap_ms(int64_t cap_ms);

/* Body of a transaction: runs its statements on conn and returns 0 or an
 * err_code. It may run more than once (retries), so it must not have side
 * effects outside the database before it returns success. It may start
 * with SET TRANSACTION ISOLATION LEVEL ... (db_tx sets the timeout with
 * SET LOCAL, which takes no snapshot). */
typedef int (*db_tx_fn)(db_conn *conn, void *arg);

/* Runs fn between BEGIN and COMMIT. timeout_ms > 0 sets a LOCAL
 * statement_timeout for the transaction (pass the call's remaining
 * deadline) and bounds every statement of it, retries included, to
 * timeout_ms from now (a statement past it is cancelled); with none, each
 * statement waits at most DB_WAIT_CAP_MS. Serialization failures, deadlocks
 * and a connection lost before COMMIT are retried up to DB_TX_ATTEMPTS
 * times; a connection lost during COMMIT, or a COMMIT the synchronous
 * standby did not confirm (the wait cancelled at the deadline), is
 * ERR_UNAVAILABLE with reason "commit_outcome_unknown" and is not retried.
 * fn's own error rolls back and is returned as is. */
KOLO_MUST_CHECK int db_tx(db_conn *conn, int64_t timeout_ms, db_tx_fn fn, void *arg);

/* db_tx that runs fn once, never retried: for a body that must make an
 * outside call while it holds its row locks (a retry would repeat it).
 * A retryable failure is returned as is (ERR_ABORTED, ERR_UNAVAILABLE).
 * Its statements are sent unnamed (not prepared), so that one a migration
 * invalidated cannot fail it after the outside call. */
KOLO_MUST_CHECK int db_tx_single(db_conn *conn, int64_t timeout_ms, db_tx_fn fn, void *arg);

/* The err_code for a SQLSTATE (five characters; NULL -> ERR_UNAVAILABLE):
 * 23505 unique -> ALREADY_EXISTS, 23503 foreign key -> FAILED_PRECONDITION,
 * 23502/23514/22xxx -> INVALID_ARGUMENT, 40001/40P01 -> ABORTED,
 * 57014 -> DEADLINE_EXCEEDED, 08xxx/57P0x/53xxx -> UNAVAILABLE,
 * 55P03 -> UNAVAILABLE, anything else INTERNAL. */
err_code db_err_from_sqlstate(const char *sqlstate);

/* A result field copied into the arena; "" for SQL NULL. NULL only when
 * the arena is full. */
char *db_text(mem_arena *arena, const PGresult *res, int row, int col);

/* The texts as one PostgreSQL array literal ({"a","b\"c"}: each quoted,
 * '"' and '\' escaped by a '\'), in the arena, for passing a column of a batch as
 * one text[] parameter. NULL only when the arena is full. */
char *db_text_array(mem_arena *arena, const char *const *items, size_t n);

/* 1 when a boolean result field is true ('t'). */
int db_bool(const PGresult *res, int row, int col);

/* An int64 result field (0 for NULL). */
int64_t db_int64(const PGresult *res, int row, int col);

/* Room for an int64 as decimal text, and the text itself (returns buf):
 * for passing numbers as statement parameters. */
#define DB_I64_TEXT 24
const char *db_i64(char buf[DB_I64_TEXT], int64_t value);

/* For a metrics_queue (metrics/metrics.h): runs sql, a statement of no
 * parameters whose one row is (depth bigint, oldest age in seconds as
 * double precision, NULL = 0), on the calling thread's connection, whose
 * session statement_timeout it sets to 2 s (the scrape's thread: its
 * connection serves nothing else). */
KOLO_MUST_CHECK int db_measure_queue(const char *sql, int64_t *depth, double *oldest_age_s);

/* Reads row `row` of res into *out, a row of the caller's type; 0 or the
 * err_code it recorded (err_oom() when the arena is full). */
typedef int (*db_row_reader)(mem_arena *arena, const PGresult *res, int row, void *out);

/* Reads every row of res with read into a new arena array of n + 1
 * elements of row_size bytes (the last one zeroed, so it is never empty)
 * and PQclear()s res in every case. On success the array's address is
 * stored in the pointer out_rows points to and *out_n is n; on failure
 * they are NULL and 0 and the error is read's (or err_oom()). Call it as
 * DB_READ_ROWS, which checks the types. */
KOLO_MUST_CHECK int db_read_rows(void *out_rows, int *out_n, mem_arena *arena, PGresult *res,
				 size_t row_size, db_row_reader read);

/* db_read_rows() into T *rows, with read_fn an
 * int read_fn(mem_arena *, const PGresult *, int row, T *out): a reader of
 * another row type (or of another shape) does not compile (under -Werror),
 * so the one cast of read_fn to db_row_reader (DB_ROW_READER_FOR) only
 * forgets a type the compiler has checked. Use as
 * DB_READ_ROWS(&rows, &n, a, res, read). */
#define DB_READ_ROWS(out_rows, out_n, arena, res, read_fn)                                         \
	db_read_rows((out_rows), (out_n), (arena), (res), sizeof(**(out_rows)),                    \
		     DB_ROW_READER_FOR(out_rows, read_fn))

/* db_exec() of a statement, then db_read_rows() of its rows: on failure
 * *out_rows is NULL, *out_n 0 and the error db_exec's or the reader's.
 * Call it as DB_QUERY_ROWS. */
KOLO_MUST_CHECK int db_query_rows(void *out_rows, int *out_n, mem_arena *arena, db_conn *conn,
				  const char *sql, int nparams, const char *const *params,
				  size_t row_size, db_row_reader read);

/* db_query_rows() into T *rows with a reader of T, checked as in
 * DB_READ_ROWS: DB_QUERY_ROWS(&rows, &n, a, conn, sql, nparams, params,
 * read). */
#define DB_QUERY_ROWS(out_rows, out_n, arena, conn, sql, nparams, params, read_fn)                 \
	db_query_rows((out_rows), (out_n), (arena), (conn), (sql), (nparams), (params),            \
		      sizeof(**(out_rows)), DB_ROW_READER_FOR(out_rows, read_fn))

/* read_fn as a db_row_reader, after checking that it reads a row into the
 * element type of *out_rows: the one cast of a reader. */
#define DB_ROW_READER_FOR(out_rows, read_fn)                                                       \
	((void)sizeof((read_fn)((mem_arena *)0, (const PGresult *)0, 0, *(out_rows))),             \
	 (db_row_reader)(read_fn))

/* A db_row_reader (through DB_READ_ROWS) for a result of one text column:
 * *out is the row's first field in the arena ("" for SQL NULL). */
KOLO_MUST_CHECK int db_read_text(mem_arena *arena, const PGresult *res, int row, char **out);

/* The row count of an UPDATE/DELETE/INSERT result. */
int db_affected(const PGresult *res);

/* --- reads from a replica (replica.c; docs/decisions.md, "Database past
 * one machine: reads from a replica") ---
 *
 * Reads that may lag (lists, statements, public pages) can run on a hot
 * standby: its own connection per thread, opened on first use with the
 * conninfo db_replica_configure() set and reopened after a loss. Balance
 * checks and every write stay on db_thread_conn(). */

/* Sets the read replica's conninfo (copied); NULL or "" = none, every
 * read on the primary. Registers kolo_db_replica_lag_seconds (measured
 * at scrape) while one is set. Call once at start-up, before any worker
 * runs. 0 (cannot fail but for out-of-memory, which aborts). */
KOLO_MUST_CHECK int db_replica_configure(const char *conninfo);

/* Forgets the replica and unregisters its metric. */
void db_replica_unconfigure(void);

/* Makes the calling thread read from conninfo instead of the configured
 * replica (borrowed: it must outlive the thread; NULL = the configured
 * one). For processes that serve several services (tests). */
void db_replica_thread_set_conninfo(const char *conninfo);

/* Closes the calling thread's replica connection now (NULL is fine). */
void db_replica_thread_close(void);

/* A read that db_read() runs: statements on conn only, no side effects,
 * 0 or an err_code. It may run twice (replica, then primary). */
typedef int (*db_read_fn)(db_conn *conn, void *arg);

/* Runs fn on the replica when one is configured and answers, with
 * *out_as_of the RFC 3339 UTC time its data is at least as fresh as (in
 * arena); otherwise, or when the replica is unreachable, not ready, or
 * fails fn with UNAVAILABLE, ABORTED (a recovery conflict) or
 * DEADLINE_EXCEEDED, runs fn on the primary with *out_as_of NULL.
 * Returns fn's result (or db_thread_conn's error). */
KOLO_MUST_CHECK int db_read(const char **out_as_of, mem_arena *arena, db_read_fn fn, void *arg);

/* Of two as_of times (RFC 3339 UTC as db_read writes them; NULL or "" =
 * read from the primary, current), the one a reply built from both may
 * claim: the older, or NULL when both are current. Borrowed from the
 * arguments. */
const char *db_as_of_older(const char *a, const char *b);

/* Seconds the replica may lag behind the primary now (its as_of's age,
 * 0 when it is not in recovery), on the calling thread's replica
 * connection: what kolo_db_replica_lag_seconds shows. ERR_UNAVAILABLE
 * when none is configured or it cannot be reached. */
KOLO_MUST_CHECK int db_replica_lag(double *out_s);

#endif
