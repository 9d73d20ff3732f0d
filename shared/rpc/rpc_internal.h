/* Helpers shared by the server and client halves of shared/rpc. */
#ifndef KOLO_RPC_INTERNAL_H
#define KOLO_RPC_INTERNAL_H

#include <grpc/support/time.h>
#include <stdint.h>

/* Milliseconds until deadline (any clock); INT64_MAX when infinite. */
int64_t rpc_remaining_ms(gpr_timespec deadline);

/* 1 when s is a usable reason: 1..63 chars of [a-z0-9_]. */
int rpc_reason_valid(const char *s);

/* 1 when key is a valid lower-case metadata key and value carries no
 * control characters. */
int rpc_metadata_valid(const char *key, const char *value);

/* Reads a whole (PEM) file of at most 1 MiB; *out is NUL-terminated and
 * owned by the caller (free() or rpc_free_secret()). */
int rpc_read_file(char **out, const char *path);

/* Wipes and frees a NUL-terminated secret (NULL is fine). */
void rpc_free_secret(char *secret);

#endif
