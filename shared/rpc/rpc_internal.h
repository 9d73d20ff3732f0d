/* Helpers shared by the server and client halves of shared/rpc. */
#ifndef KOLO_RPC_INTERNAL_H
#define KOLO_RPC_INTERNAL_H

#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "err/err.h"

/* google.rpc.ErrorInfo.domain of every Kolo error. */
#define RPC_ERROR_DOMAIN "kolo"
/* The trailer of the serialized google.rpc.Status. */
#define RPC_STATUS_DETAILS_KEY "grpc-status-details-bin"

/* Milliseconds until deadline (any clock); INT64_MAX when infinite. */
int64_t rpc_remaining_ms(gpr_timespec deadline);

/* 1 when s is a usable reason: 1..63 chars of [a-z0-9_]. */
int rpc_reason_valid(const char *s);

/* 1 when key is a valid lower-case metadata key and value carries no
 * control characters. */
int rpc_metadata_valid(const char *key, const char *value);

/* *out: a serialized google.rpc.Status {code, message, details:
 * [ErrorInfo{reason, domain "kolo", metadata (+ retry_after_s)}, and
 * RetryInfo when retry_after_s > 0]} (grpc-status-details-bin). *out is the
 * caller's (grpc_slice_unref). -1 when out of memory. */
int rpc_status_details(grpc_slice *out, int code, const char *message, const char *reason,
		       const err_meta *meta, int n_meta, int retry_after_s);

/* Copies the metadata of the Kolo ErrorInfo in a serialized
 * google.rpc.Status onto the last error (err_set_meta); bytes that do not
 * decode are ignored. */
void rpc_status_meta_apply(const uint8_t *data, size_t len);

/* Reads a whole (PEM) file of at most 1 MiB; *out is NUL-terminated and
 * owned by the caller (free() or rpc_free_secret()). */
int rpc_read_file(char **out, const char *path);

/* Unpacks a received message as desc into alloc: straight from its slice
 * when it is one uncompressed slice (the usual small message), else from
 * a flat copy. NULL when it is not a valid desc. */
ProtobufCMessage *rpc_bb_unpack(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
				grpc_byte_buffer *bb);

/* Wipes and frees a NUL-terminated secret (NULL is fine). */
void rpc_free_secret(char *secret);

#endif
