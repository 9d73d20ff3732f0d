/* Server reflection for shared/rpc's servers (rpc_reflection.c): an index
 * of a descriptor set, each server's view of it (the services it serves
 * and the files they need), the answer to one request and the
 * ServerReflectionInfo stream handler. */
#ifndef KOLO_RPC_REFLECTION_H
#define KOLO_RPC_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "mem/mem.h"
#include "rpc.h"

#define RPC_REFLECTION_V1      "grpc.reflection.v1.ServerReflection"
#define RPC_REFLECTION_V1ALPHA "grpc.reflection.v1alpha.ServerReflection"

/* The files and symbols of a serialized FileDescriptorSet. */
typedef struct rpc_refl_index rpc_refl_index;

/* One server's view of an index. */
typedef struct rpc_reflection rpc_reflection;

/* Indexes set (borrowed: it must outlive *out, which points into it).
 * ERR_INVALID_ARGUMENT "bad_descriptor_set" when it is malformed or an
 * import is missing. *out is owned by the caller: rpc_refl_index_free(). */
KOLO_MUST_CHECK int rpc_refl_index_parse(rpc_refl_index **out, const uint8_t *set, size_t len);
void rpc_refl_index_free(rpc_refl_index *index);

/* The view of a server serving service_name (plus Health and reflection):
 * index NULL is the build's descriptor set. NULL when that set cannot be
 * read. Owned by the caller: rpc_reflection_free(). */
rpc_reflection *rpc_reflection_new(const rpc_refl_index *index, const char *service_name);
void rpc_reflection_free(rpc_reflection *reflection);

/* Fills resp (initialised) with the answer to req, allocated in a: the
 * files asked for, the services, or an error_response (NOT_FOUND for what
 * this server does not know). Fails only when a is full. */
KOLO_MUST_CHECK int rpc_reflection_answer(Grpc__Reflection__V1__ServerReflectionResponse *resp,
					  const rpc_reflection *reflection,
					  const Grpc__Reflection__V1__ServerReflectionRequest *req,
					  mem_arena *a);

/* The stream handler of ServerReflectionInfo (v1 and v1alpha). */
int rpc_reflection_info(rpc_ctx *ctx, const ProtobufCMessage *unused, rpc_stream *stream);

#endif
