/* fuzz_reflection: server reflection on arbitrary bytes. The bytes as a
 * ServerReflectionRequest are answered by identity's view of the build's
 * descriptor set, and the answer must pack; the same bytes as a descriptor
 * set are indexed (or refused) without a crash or leak. */
#include "fuzz.h"
#include "mem/mem.h"
#include "rpc/rpc_reflection.h"

static rpc_reflection *fuzz_view;
static mem_arena *fuzz_arena;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_view = rpc_reflection_new(NULL, "kolo.identity.v1.IdentityService");
	fuzz_arena = mem_arena_new(0);
	if (!fuzz_view || !fuzz_arena)
		abort();
	return 0;
}

static void
fuzz_answer(const uint8_t *data, size_t size)
{
	ProtobufCAllocator alloc = mem_arena_allocator(fuzz_arena);
	Grpc__Reflection__V1__ServerReflectionResponse resp =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
	Grpc__Reflection__V1__ServerReflectionRequest *req;
	uint8_t *out;
	size_t len;

	mem_arena_reset(fuzz_arena);
	req = grpc__reflection__v1__server_reflection_request__unpack(&alloc, size, data);
	if (!req)
		return;
	FUZZ_CHECK(rpc_reflection_answer(&resp, fuzz_view, req, fuzz_arena) == 0);
	FUZZ_CHECK(resp.message_response_case !=
		   GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE__NOT_SET);
	len = protobuf_c_message_get_packed_size(&resp.base);
	out = mem_arena_alloc(fuzz_arena, len + 1);
	FUZZ_CHECK(out && protobuf_c_message_pack(&resp.base, out) == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rpc_refl_index *ix = NULL;

	fuzz_answer(data, size);
	if (rpc_refl_index_parse(&ix, data, size) == 0) {
		rpc_reflection *view = rpc_reflection_new(ix, "p.S");

		FUZZ_CHECK(view != NULL);
		rpc_reflection_free(view);
		rpc_refl_index_free(ix);
	}
	return 0;
}
