/* gRPC server reflection: grpc.reflection.v1.ServerReflection and its
 * wire-identical v1alpha twin (served with v1's C types), answered from the
 * descriptor set the build compiles in (proto/CMakeLists.txt:
 * kolo_descriptor_set[], every .proto with its imports).
 *
 * The set is indexed once per process: its files (their exact bytes, their
 * dependencies) and the symbols they declare (packages' services, methods,
 * messages with their nested types, enums). Each server then answers only
 * for what it serves: its own service, Health and reflection, and the
 * files these need (a symbol of another Kolo service is NOT_FOUND there).
 *
 * ServerReflectionInfo is a bidirectional stream: requests are read one at
 * a time and each is answered before the next is read; a stream takes at
 * most RPC_REFLECTION_MAX_REQUESTS requests of at most
 * RPC_REFLECTION_MAX_REQUEST_BYTES each and may sit idle
 * RPC_REFLECTION_IDLE_MS. Kolo's protos declare no extensions:
 * file_containing_extension is NOT_FOUND, all_extension_numbers_of_type
 * an empty list for a known message. */
#include "rpc.h"
#include "rpc_reflection.h"
#include "rpc_server_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "log/log.h"

/* Bounds of one reflection stream. */
#define RPC_REFLECTION_MAX_REQUESTS	 1024
#define RPC_REFLECTION_MAX_REQUEST_BYTES (16 * 1024)
#define RPC_REFLECTION_IDLE_MS		 (60 * 1000)
/* Nesting of message declarations the index follows. */
#define RPC_REFLECTION_MAX_DEPTH 32
/* gRPC status codes of an ErrorResponse. */
#define RPC_REFLECTION_INVALID_ARGUMENT 3
#define RPC_REFLECTION_NOT_FOUND	5

/* Built by the build (proto/CMakeLists.txt, cmake/embed_file.cmake). */
extern const char kolo_descriptor_set[];
extern const size_t kolo_descriptor_set_len;

typedef enum {
	RPC_SYM_SERVICE,
	RPC_SYM_METHOD,
	RPC_SYM_MESSAGE,
	RPC_SYM_ENUM,
} rpc_sym_kind;

typedef struct rpc_refl_file {
	char *name;
	const uint8_t *bytes; /* the FileDescriptorProto, in the set */
	size_t len;
	char **dep_names;
	size_t *deps; /* indices into files */
	size_t n_deps;
} rpc_refl_file;

typedef struct rpc_refl_symbol {
	char *name; /* fully qualified, no leading dot */
	size_t file;
	rpc_sym_kind kind;
} rpc_refl_symbol;

struct rpc_refl_index {
	rpc_refl_file *files;
	size_t n_files;
	rpc_refl_symbol *symbols; /* sorted by name */
	size_t n_symbols;
	size_t cap_symbols;
};

struct rpc_reflection {
	const rpc_refl_index *index;
	unsigned char *allowed; /* per file: this server answers for it */
	const char *services[4];
	size_t n_services;
};

/* --- the wire format, just enough of it ---------------------------------- */

typedef struct rpc_wire {
	const uint8_t *p, *end;
} rpc_wire;

static int
rpc_wire_varint(rpc_wire *w, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (w->p >= w->end)
			return -1;
		uint8_t b = *w->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int
rpc_wire_skip(rpc_wire *w, uint64_t n)
{
	if (n > (uint64_t)(w->end - w->p))
		return -1;
	w->p += n;
	return 0;
}

/* The next field: 1 with its number (and *sub its bytes when
 * length-delimited, else empty), 0 at the end, -1 when malformed. */
static int
rpc_wire_next(rpc_wire *w, uint32_t *field, rpc_wire *sub)
{
	uint64_t tag, v;

	if (w->p >= w->end)
		return 0;
	if (rpc_wire_varint(w, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
		return -1;
	*field = (uint32_t)(tag >> 3);
	sub->p = sub->end = w->p;
	switch (tag & 7) {
	case 0:
		return rpc_wire_varint(w, &v) < 0 ? -1 : 1;
	case 1:
		return rpc_wire_skip(w, 8) < 0 ? -1 : 1;
	case 5:
		return rpc_wire_skip(w, 4) < 0 ? -1 : 1;
	case 2:
		if (rpc_wire_varint(w, &v) < 0 || rpc_wire_skip(w, v) < 0)
			return -1;
		sub->p = w->p - v;
		sub->end = w->p;
		return 1;
	default:
		return -1; /* groups: no .proto of ours has one */
	}
}

static char *
rpc_wire_string(const rpc_wire *w)
{
	size_t n = (size_t)(w->end - w->p);
	char *s = xmalloc(n + 1);

	memcpy(s, w->p, n);
	s[n] = '\0';
	return s;
}

/* The `name` (field 1) of a declaration; NULL when it has none. */
static char *
rpc_wire_name(rpc_wire w)
{
	rpc_wire sub;
	uint32_t field;

	while (rpc_wire_next(&w, &field, &sub) == 1) {
		if (field == 1)
			return rpc_wire_string(&sub);
	}
	return NULL;
}

/* --- the index -------------------------------------------------------------- */

static void
rpc_refl_add_symbol(rpc_refl_index *ix, const char *scope, const char *name, size_t file,
		    rpc_sym_kind kind)
{
	size_t len = strlen(scope) + strlen(name) + 2;
	rpc_refl_symbol *sym;

	if (ix->n_symbols == ix->cap_symbols) {
		ix->cap_symbols = ix->cap_symbols ? ix->cap_symbols * 2 : 64;
		ix->symbols = xrealloc(ix->symbols, ix->cap_symbols * sizeof(*ix->symbols));
	}
	sym = &ix->symbols[ix->n_symbols++];
	sym->name = xmalloc(len);
	snprintf(sym->name, len, "%s%s%s", scope, scope[0] ? "." : "", name);
	sym->file = file;
	sym->kind = kind;
}

/* A DescriptorProto (messages: field 3 nested, 4 enums) or a
 * ServiceDescriptorProto (field 2 methods) or an EnumDescriptorProto. */
static int
rpc_refl_add_decl(rpc_refl_index *ix, const char *scope, rpc_wire w, size_t file, rpc_sym_kind kind,
		  int depth)
{
	char *name = rpc_wire_name(w);
	rpc_wire sub;
	uint32_t field;
	int rc = 0, more;

	if (!name || depth > RPC_REFLECTION_MAX_DEPTH) {
		free(name);
		return -1;
	}
	rpc_refl_add_symbol(ix, scope, name, file, kind);
	const char *full = ix->symbols[ix->n_symbols - 1].name;

	while (rc == 0 && (more = rpc_wire_next(&w, &field, &sub)) != 0) {
		if (more < 0)
			rc = -1;
		else if (kind == RPC_SYM_MESSAGE && field == 3)
			rc = rpc_refl_add_decl(ix, full, sub, file, RPC_SYM_MESSAGE, depth + 1);
		else if (kind == RPC_SYM_MESSAGE && field == 4)
			rc = rpc_refl_add_decl(ix, full, sub, file, RPC_SYM_ENUM, depth + 1);
		else if (kind == RPC_SYM_SERVICE && field == 2)
			rc = rpc_refl_add_decl(ix, full, sub, file, RPC_SYM_METHOD, depth + 1);
	}
	free(name);
	return rc;
}

/* The package (field 2) of a FileDescriptorProto, "" when none. */
static char *
rpc_refl_package(rpc_wire w)
{
	rpc_wire sub;
	uint32_t field;

	while (rpc_wire_next(&w, &field, &sub) == 1) {
		if (field == 2)
			return rpc_wire_string(&sub);
	}
	return xstrdup("");
}

/* One FileDescriptorProto: name 1, dependency 3, message_type 4,
 * enum_type 5, service 6. */
static int
rpc_refl_add_file(rpc_refl_index *ix, rpc_wire w)
{
	rpc_refl_file *f = &ix->files[ix->n_files];
	size_t file = ix->n_files++;
	char *package = rpc_refl_package(w);
	rpc_wire sub;
	uint32_t field;
	int rc = 0, more;

	f->bytes = w.p;
	f->len = (size_t)(w.end - w.p);
	while (rc == 0 && (more = rpc_wire_next(&w, &field, &sub)) != 0) {
		if (more < 0) {
			rc = -1;
		} else if (field == 1 && !f->name) {
			f->name = rpc_wire_string(&sub);
		} else if (field == 3) {
			f->dep_names = xrealloc(f->dep_names, (f->n_deps + 1) * sizeof(char *));
			f->dep_names[f->n_deps++] = rpc_wire_string(&sub);
		} else if (field == 4 || field == 5 || field == 6) {
			rc = rpc_refl_add_decl(ix, package, sub, file,
					       field == 4   ? RPC_SYM_MESSAGE
					       : field == 5 ? RPC_SYM_ENUM
							    : RPC_SYM_SERVICE,
					       0);
		}
	}
	free(package);
	return rc == 0 && f->name ? 0 : -1;
}

static size_t
rpc_refl_find_file(const rpc_refl_index *ix, const char *name)
{
	for (size_t i = 0; i < ix->n_files; i++) {
		if (strcmp(ix->files[i].name, name) == 0)
			return i;
	}
	return SIZE_MAX;
}

/* Every dependency names a file of the set (--include_imports). */
static int
rpc_refl_link(rpc_refl_index *ix)
{
	for (size_t i = 0; i < ix->n_files; i++) {
		rpc_refl_file *f = &ix->files[i];

		f->deps = xcalloc(f->n_deps + 1, sizeof(*f->deps));
		for (size_t j = 0; j < f->n_deps; j++) {
			f->deps[j] = rpc_refl_find_file(ix, f->dep_names[j]);
			if (f->deps[j] == SIZE_MAX)
				return -1;
		}
	}
	return 0;
}

static int
rpc_refl_symbol_cmp(const void *a, const void *b)
{
	return strcmp(((const rpc_refl_symbol *)a)->name, ((const rpc_refl_symbol *)b)->name);
}

void
rpc_refl_index_free(rpc_refl_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n_files; i++) {
		rpc_refl_file *f = &ix->files[i];

		free(f->name);
		for (size_t j = 0; j < f->n_deps; j++)
			free(f->dep_names[j]);
		free(f->dep_names);
		free(f->deps);
	}
	free(ix->files);
	for (size_t i = 0; i < ix->n_symbols; i++)
		free(ix->symbols[i].name);
	free(ix->symbols);
	free(ix);
}

int
rpc_refl_index_parse(rpc_refl_index **out, const uint8_t *set, size_t len)
{
	rpc_refl_index *ix = xcalloc(1, sizeof(*ix));
	rpc_wire w = {set, set + len}, sub;
	uint32_t field;
	size_t n = 0;
	int rc = 0, more;

	while ((more = rpc_wire_next(&w, &field, &sub)) == 1)
		n += field == 1;
	w.p = set;
	ix->files = xcalloc(n + 1, sizeof(*ix->files));
	while (more == 0 && rc == 0 && rpc_wire_next(&w, &field, &sub) == 1) {
		if (field == 1)
			rc = rpc_refl_add_file(ix, sub);
	}
	if (more == 0 && rc == 0)
		rc = rpc_refl_link(ix);
	if (more < 0 || rc < 0) {
		rpc_refl_index_free(ix);
		return err_set(ERR_INVALID_ARGUMENT, "bad_descriptor_set",
			       "the descriptor set cannot be read");
	}
	if (ix->n_symbols)
		qsort(ix->symbols, ix->n_symbols, sizeof(*ix->symbols), rpc_refl_symbol_cmp);
	*out = ix;
	return 0;
}

static const rpc_refl_symbol *
rpc_refl_lookup(const rpc_refl_index *ix, const char *name)
{
	rpc_refl_symbol key = {.name = (char *)name};

	if (name[0] == '.')
		key.name++;
	if (!ix->n_symbols)
		return NULL;
	return bsearch(&key, ix->symbols, ix->n_symbols, sizeof(key), rpc_refl_symbol_cmp);
}

/* The index of the compiled-in set, built on first use, freed at exit. */
static rpc_refl_index *rpc_refl_global;
static pthread_once_t rpc_refl_once = PTHREAD_ONCE_INIT;

static void
rpc_refl_global_free(void)
{
	rpc_refl_index_free(rpc_refl_global);
}

static void
rpc_refl_global_build(void)
{
	if (rpc_refl_index_parse(&rpc_refl_global, (const uint8_t *)kolo_descriptor_set,
				 kolo_descriptor_set_len) < 0) {
		log_event(LOG_LVL_ERROR, "descriptor set unreadable: no reflection", NULL);
		return;
	}
	atexit(rpc_refl_global_free);
}

/* --- one server's view ------------------------------------------------------ */

/* Marks file and what it imports, transitively. */
static void
rpc_refl_allow(rpc_reflection *r, size_t file)
{
	const rpc_refl_file *f = &r->index->files[file];

	if (r->allowed[file])
		return;
	r->allowed[file] = 1;
	for (size_t i = 0; i < f->n_deps; i++)
		rpc_refl_allow(r, f->deps[i]);
}

static void
rpc_refl_serve(rpc_reflection *r, const char *service)
{
	const rpc_refl_symbol *sym = rpc_refl_lookup(r->index, service);

	for (size_t i = 0; i < r->n_services; i++) {
		if (strcmp(r->services[i], service) == 0)
			return;
	}
	if (!sym || sym->kind != RPC_SYM_SERVICE) {
		log_event(LOG_LVL_DEBUG, "service not in the descriptor set", "service", service,
			  NULL);
		return;
	}
	r->services[r->n_services++] = service;
	rpc_refl_allow(r, sym->file);
}

rpc_reflection *
rpc_reflection_new(const rpc_refl_index *ix, const char *service_name)
{
	rpc_reflection *r;

	if (!ix) {
		pthread_once(&rpc_refl_once, rpc_refl_global_build);
		ix = rpc_refl_global;
	}
	if (!ix)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->index = ix;
	r->allowed = xcalloc(ix->n_files + 1, 1);
	rpc_refl_serve(r, service_name);
	rpc_refl_serve(r, grpc__health__v1__health__descriptor.name);
	rpc_refl_serve(r, RPC_REFLECTION_V1);
	rpc_refl_serve(r, RPC_REFLECTION_V1ALPHA);
	return r;
}

void
rpc_reflection_free(rpc_reflection *r)
{
	if (!r)
		return;
	free(r->allowed);
	free(r);
}

/* --- answers ------------------------------------------------------------------ */

typedef Grpc__Reflection__V1__ServerReflectionRequest rpc_refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse rpc_refl_resp;

static int
rpc_refl_error(rpc_refl_resp *resp, mem_arena *a, int code, const char *message)
{
	Grpc__Reflection__V1__ErrorResponse *e = mem_arena_alloc(a, sizeof(*e));

	if (!e)
		return err_oom();
	grpc__reflection__v1__error_response__init(e);
	e->error_code = code;
	e->error_message = mem_arena_strdup(a, message);
	if (!e->error_message)
		return err_oom();
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
	resp->error_response = e;
	return 0;
}

/* Adds file and then its imports, each once. */
static void
rpc_refl_collect(const rpc_reflection *r, size_t file, ProtobufCBinaryData *out, size_t *n,
		 unsigned char *seen)
{
	const rpc_refl_file *f = &r->index->files[file];

	if (seen[file])
		return;
	seen[file] = 1;
	out[*n].data = (uint8_t *)f->bytes;
	out[(*n)++].len = f->len;
	for (size_t i = 0; i < f->n_deps; i++)
		rpc_refl_collect(r, f->deps[i], out, n, seen);
}

/* The file and its transitive imports, the file first. */
static int
rpc_refl_files(rpc_refl_resp *resp, const rpc_reflection *r, size_t file, mem_arena *a)
{
	size_t n_files = r->index->n_files, n = 0;
	Grpc__Reflection__V1__FileDescriptorResponse *fd = mem_arena_alloc(a, sizeof(*fd));
	ProtobufCBinaryData *files = mem_arena_alloc(a, n_files * sizeof(*files));
	unsigned char *seen = mem_arena_alloc(a, n_files);

	if (!fd || !files || !seen)
		return err_oom();
	grpc__reflection__v1__file_descriptor_response__init(fd);
	rpc_refl_collect(r, file, files, &n, seen);
	fd->file_descriptor_proto = files;
	fd->n_file_descriptor_proto = n;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
	resp->file_descriptor_response = fd;
	return 0;
}

/* A symbol this server answers for; NULL when unknown here. */
static const rpc_refl_symbol *
rpc_refl_symbol_here(const rpc_reflection *r, const char *name)
{
	const rpc_refl_symbol *sym = rpc_refl_lookup(r->index, name);

	return sym && r->allowed[sym->file] ? sym : NULL;
}

static int
rpc_refl_by_filename(rpc_refl_resp *resp, const rpc_reflection *r, const char *name, mem_arena *a)
{
	size_t file = rpc_refl_find_file(r->index, name);
	char msg[160];

	if (file != SIZE_MAX && r->allowed[file])
		return rpc_refl_files(resp, r, file, a);
	snprintf(msg, sizeof(msg), "file not found: %.100s", name);
	return rpc_refl_error(resp, a, RPC_REFLECTION_NOT_FOUND, msg);
}

static int
rpc_refl_by_symbol(rpc_refl_resp *resp, const rpc_reflection *r, const char *name, mem_arena *a)
{
	const rpc_refl_symbol *sym = rpc_refl_symbol_here(r, name);
	char msg[160];

	if (sym)
		return rpc_refl_files(resp, r, sym->file, a);
	snprintf(msg, sizeof(msg), "symbol not found: %.100s", name);
	return rpc_refl_error(resp, a, RPC_REFLECTION_NOT_FOUND, msg);
}

static int
rpc_refl_extension_numbers(rpc_refl_resp *resp, const rpc_reflection *r, const char *type,
			   mem_arena *a)
{
	const rpc_refl_symbol *sym = rpc_refl_symbol_here(r, type);
	Grpc__Reflection__V1__ExtensionNumberResponse *en;
	char msg[160];

	if (!sym || sym->kind != RPC_SYM_MESSAGE) {
		snprintf(msg, sizeof(msg), "message type not found: %.100s", type);
		return rpc_refl_error(resp, a, RPC_REFLECTION_NOT_FOUND, msg);
	}
	en = mem_arena_alloc(a, sizeof(*en));
	if (!en)
		return err_oom();
	grpc__reflection__v1__extension_number_response__init(en);
	en->base_type_name = sym->name;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
	resp->all_extension_numbers_response = en;
	return 0;
}

static int
rpc_refl_list_services(rpc_refl_resp *resp, const rpc_reflection *r, mem_arena *a)
{
	Grpc__Reflection__V1__ListServiceResponse *ls = mem_arena_alloc(a, sizeof(*ls));
	Grpc__Reflection__V1__ServiceResponse *items =
		mem_arena_alloc(a, r->n_services * sizeof(*items));
	Grpc__Reflection__V1__ServiceResponse **ptrs =
		mem_arena_alloc(a, r->n_services * sizeof(*ptrs));

	if (!ls || !items || !ptrs)
		return err_oom();
	grpc__reflection__v1__list_service_response__init(ls);
	for (size_t i = 0; i < r->n_services; i++) {
		grpc__reflection__v1__service_response__init(&items[i]);
		items[i].name = (char *)r->services[i];
		ptrs[i] = &items[i];
	}
	ls->service = ptrs;
	ls->n_service = r->n_services;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
	resp->list_services_response = ls;
	return 0;
}

int
rpc_reflection_answer(rpc_refl_resp *resp, const rpc_reflection *r, const rpc_refl_req *req,
		      mem_arena *a)
{
	resp->valid_host = req->host;
	resp->original_request = (rpc_refl_req *)req;
	switch (req->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
		return rpc_refl_by_filename(resp, r, req->file_by_filename, a);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
		return rpc_refl_by_symbol(resp, r, req->file_containing_symbol, a);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
		return rpc_refl_error(resp, a, RPC_REFLECTION_NOT_FOUND,
				      "no extensions are declared");
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
		return rpc_refl_extension_numbers(resp, r, req->all_extension_numbers_of_type, a);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		return rpc_refl_list_services(resp, r, a);
	default:
		return rpc_refl_error(resp, a, RPC_REFLECTION_INVALID_ARGUMENT,
				      "the request names no message_request");
	}
}

/* --- the stream ------------------------------------------------------------- */

int
rpc_reflection_info(rpc_ctx *ctx, const ProtobufCMessage *unused, rpc_stream *stream)
{
	const rpc_reflection *r = ctx->server->reflection;
	mem_arena *scratch;
	ProtobufCMessage *msg;
	int rc = 0;

	if (!r)
		return err_set(ERR_UNAVAILABLE, "reflection_unavailable",
			       "this server has no descriptors to offer");
	scratch = mem_arena_new(0);
	for (unsigned n = 0; rc == 0; n++) {
		rpc_refl_resp resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;

		mem_arena_reset(scratch);
		rc = rpc_stream_recv(stream, &msg, scratch, RPC_REFLECTION_MAX_REQUEST_BYTES,
				     RPC_REFLECTION_IDLE_MS);
		if (rc != 0)
			break;
		if (n >= RPC_REFLECTION_MAX_REQUESTS) {
			rc = err_set(ERR_RESOURCE_EXHAUSTED, "too_many_requests",
				     "a reflection stream takes at most %d requests",
				     RPC_REFLECTION_MAX_REQUESTS);
			break;
		}
		rc = rpc_reflection_answer(&resp, r, (const rpc_refl_req *)msg, scratch);
		if (rc == 0)
			rc = rpc_stream_send(stream, &resp.base);
	}
	mem_arena_free(scratch);
	return rc == 1 ? 0 : rc;
}
