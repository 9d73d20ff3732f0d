/* migrate: applies migrations/NNNN_name.sql in order, once each.
 *
 * A migration file is named NNNN_name.sql: four digits (0001 and up), an
 * underscore, then [a-z0-9_]+. Other files in the folder are ignored, except
 * a *.sql file with any other name, which is an error. Every applied file is
 * recorded in schema_migrations with the hex SHA-256 of its bytes. A run
 * holds a session advisory lock on the database for its whole length, so a
 * second migrator waits and then finds nothing left to do. Each pending file
 * runs in its own transaction together with its schema_migrations row; a
 * file must therefore not contain BEGIN/COMMIT, nor statements that cannot
 * run in a transaction (CREATE INDEX CONCURRENTLY, CREATE DATABASE).
 *
 * Before applying anything a run refuses (ERR_FAILED_PRECONDITION) when an
 * applied file was changed, renamed or removed, or when a pending file is
 * numbered below the newest applied one. Errors are recorded with
 * err_set(); their messages name the file. */
#ifndef KOLO_MIGRATE_H
#define KOLO_MIGRATE_H

#include <stdbool.h>
#include <stdio.h>

#include "err/err.h"

/* Largest migration file accepted, in bytes. */
#define MIG_FILE_MAX (4 * 1024 * 1024)

/* Longest name part (between NNNN_ and .sql) accepted. */
#define MIG_NAME_MAX 100

/* The fixed key of the session advisory lock a run holds ("KoloMigr"). */
#define MIG_LOCK_KEY 0x4b6f6c6f4d696772LL

/* Classifies a file name of the migrations folder. *is_migration_out is
 * true for NNNN_name.sql, with the number in *version_out and the name part
 * (NUL-terminated) in name_out, which must hold MIG_NAME_MAX + 1 bytes.
 * A name that is not *.sql: 0 with *is_migration_out false (ignored). A
 * malformed *.sql name: ERR_INVALID_ARGUMENT "bad_migration_name". */
KOLO_MUST_CHECK int mig_parse_name(bool *is_migration_out, int *version_out, char *name_out,
				   const char *file_name);

/* Applies the pending migrations of dir to the database at conninfo. One
 * line per applied file goes to log ("applied 0002_roles (sha256 ...)"), if
 * log is not NULL. *applied_out (may be NULL) gets the number of files
 * applied by this run. Errors: ERR_INVALID_ARGUMENT for a bad folder or
 * file, ERR_FAILED_PRECONDITION for a changed, renamed, missing or
 * out-of-order migration, ERR_UNAVAILABLE when the database cannot be
 * reached, the SQLSTATE-mapped code of a failing migration. */
KOLO_MUST_CHECK int mig_run(const char *conninfo, const char *dir, FILE *log, int *applied_out);

/* Prints one line per migration to out: "0001_seed applied <time> sha256
 * <hex>", "0002_roles pending", "0002_roles changed" (file differs from what
 * was applied) or "0003_x missing" (applied, file gone). Takes no lock and
 * changes nothing. ERR_FAILED_PRECONDITION after printing when something is
 * changed, missing or out of order; other errors as mig_run(). */
KOLO_MUST_CHECK int mig_status(const char *conninfo, const char *dir, FILE *out);

#endif
