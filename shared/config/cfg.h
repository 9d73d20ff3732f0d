/* cfg: configuration from the environment, declared as a table.
 *
 * Each service lists the variables it reads; cfg_load() fills them all or
 * fails on the first missing or malformed one, naming it, so a process
 * stops at start-up instead of misbehaving later. */
#ifndef KOLO_CFG_H
#define KOLO_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

typedef enum {
	CFG_STRING, /* out: const char ** (borrowed from the environment) */
	CFG_INT,    /* out: int64_t *, within [min, max] */
	CFG_BOOL,   /* out: int *; true/false/1/0/yes/no */
	CFG_ADDR,   /* out: const char **; "host:port" with port 0..65535 */
	CFG_FILE,   /* out: const char **; a path that must be readable */
} cfg_type;

typedef struct cfg_var {
	const char *name; /* environment variable */
	cfg_type type;
	const char *fallback; /* used when unset; NULL = required */
	int64_t min, max;     /* CFG_INT bounds */
	void *out;
} cfg_var;

/* Reads every variable of the table into its out. An unset variable with
 * a NULL fallback, or a value that does not parse, is ERR_INVALID_ARGUMENT
 * (reason "bad_config") with a message naming the variable. An empty
 * fallback for CFG_FILE means "optional": out becomes NULL when unset. */
KOLO_MUST_CHECK int cfg_load(const cfg_var *vars, size_t n_vars);

/* Parses a whole decimal int64 within [min, max]. */
KOLO_MUST_CHECK int cfg_parse_int(int64_t *out, const char *text, int64_t min, int64_t max);

#endif
