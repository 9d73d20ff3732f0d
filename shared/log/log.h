/* log: one JSON object per line on stderr.
 *
 * log_event(LOG_LVL_INFO, "listening", "addr", addr, NULL) writes
 * {"ts":"...","level":"info","service":"kolo-ledger","msg":"listening","addr":"..."}.
 * Fields are string key/value pairs ending with NULL. Never pass secrets,
 * tokens, PINs, whole requests or full account numbers. */
#ifndef KOLO_LOG_H
#define KOLO_LOG_H

#include <stddef.h>

#include "trace.h"

typedef enum {
	LOG_LVL_DEBUG = 0,
	LOG_LVL_INFO = 1,
	LOG_LVL_WARN = 2,
	LOG_LVL_ERROR = 3,
} log_level;

/* Names the process in every line and sets the lowest level written
 * (events below it are dropped). The name is copied. */
void log_init(const char *service, log_level min_level);

/* Parses "debug", "info", "warn" or "error"; -1 for anything else. */
int log_level_parse(const char *text);

/* 1 when a line of level would be written (to skip building one that
 * would not). */
int log_enabled(log_level level);

/* Writes one event line; the variadic part is key, value, ..., NULL
 * (a NULL value is written as JSON null). Thread-safe: one write(2). */
void log_event(log_level level, const char *msg, ...) __attribute__((sentinel));

/* The calling thread's call context: while set, every line the thread
 * writes carries its request_id, trace_id and span_id (after msg). The
 * RPC layer and the gateway set it when a call starts and clear it when
 * it ends (worker threads, stream threads, HTTP threads), so handlers
 * never pass it. Copied; NULL clears. */
void log_context_set(const trace_ctx *t);
void log_context_clear(void);

/* The calling thread's context; NULL when it serves no call. Borrowed,
 * valid until the thread sets or clears it. */
const trace_ctx *log_context(void);

/* Appends s as a JSON string literal (with quotes) to buf of size cap at
 * *len; stops quietly when full. Used by log_event, exposed for tests. */
void log_json_string(char *buf, size_t cap, size_t *len, const char *s);

#endif
