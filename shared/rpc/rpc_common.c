#include "rpc_internal.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err/err.h"
#include "log/log.h"
#include "mem/mem.h"
#include "rpc.h"

#define RPC_FILE_MAX (1024 * 1024)

/* gRPC core's own lines (connectivity, failed binds, GRPC_VERBOSITY and
 * GRPC_TRACE output) as lines of the project's JSON log. */
static void
rpc_core_log(gpr_log_func_args *args)
{
	log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LOG_LVL_ERROR
			  : args->severity == GPR_LOG_SEVERITY_INFO ? LOG_LVL_INFO
								    : LOG_LVL_DEBUG;
	const char *file = args->file ? strrchr(args->file, '/') : NULL;
	char line[16];

	if (!log_enabled(level))
		return;
	snprintf(line, sizeof(line), "%d", args->line);
	log_event(level, args->message ? args->message : "", "source", "grpc", "file",
		  file ? file + 1 : args->file, "line", line, NULL);
}

void
rpc_init(void)
{
	/* Before grpc_init: its own start-up lines go the same way. */
	gpr_set_log_function(rpc_core_log);
	grpc_init();
}

void
rpc_shutdown(void)
{
	rpc_client_thread_done();
	grpc_shutdown_blocking();
}

int64_t
rpc_remaining_ms(gpr_timespec deadline)
{
	gpr_timespec left;

	if (deadline.tv_sec == INT64_MAX)
		return INT64_MAX;
	left = gpr_time_sub(deadline, gpr_now(deadline.clock_type));
	return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

int
rpc_reason_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ERR_REASON_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int
rpc_metadata_valid(const char *key, const char *value)
{
	size_t n = strlen(key);

	if (n == 0 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n)
		return 0;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

int
rpc_read_file(char **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return err_set(ERR_INVALID_ARGUMENT, "bad_tls_config", "cannot open %s", path);
	buf = xmalloc(RPC_FILE_MAX + 1);
	n = fread(buf, 1, RPC_FILE_MAX + 1, f);
	fclose(f);
	if (n > RPC_FILE_MAX) {
		free(buf);
		return err_set(ERR_INVALID_ARGUMENT, "bad_tls_config", "%s is larger than 1 MiB",
			       path);
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

void
rpc_free_secret(char *secret)
{
	if (!secret)
		return;
	sodium_memzero(secret, strlen(secret));
	free(secret);
}

ProtobufCMessage *
rpc_bb_unpack(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
	      grpc_byte_buffer *bb)
{
	grpc_byte_buffer_reader reader;
	ProtobufCMessage *msg;
	grpc_slice slice;

	/* One slice, not compressed: read in place, no copy (issue 25). */
	if (bb->type == GRPC_BB_RAW && bb->data.raw.compression == GRPC_COMPRESS_NONE &&
	    bb->data.raw.slice_buffer.count == 1) {
		slice = bb->data.raw.slice_buffer.slices[0];
		return protobuf_c_message_unpack(desc, alloc, GRPC_SLICE_LENGTH(slice),
						 GRPC_SLICE_START_PTR(slice));
	}
	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return NULL;
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	msg = protobuf_c_message_unpack(desc, alloc, GRPC_SLICE_LENGTH(slice),
					GRPC_SLICE_START_PTR(slice));
	grpc_slice_unref(slice);
	return msg;
}
