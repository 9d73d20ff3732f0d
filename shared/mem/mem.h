/* mem: allocation that cannot fail (abort in one place) and a bump arena.
 *
 * An arena holds the scratch memory of one call: the request, the reply and
 * everything a handler builds for it. Nothing in it is freed one by one;
 * mem_arena_reset() recycles it after the reply is sent. */
#ifndef KOLO_MEM_H
#define KOLO_MEM_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "err/err.h"

/* malloc/calloc/realloc/strdup that abort the process on out-of-memory.
 * The result is owned by the caller (free()). */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);

typedef struct mem_arena mem_arena;

/* A new arena that refuses to hold more than cap_bytes (0 = 64 MiB).
 * Owned by the caller: mem_arena_free(). */
mem_arena *mem_arena_new(size_t cap_bytes);

/* Frees the arena and everything allocated in it (NULL is fine). */
void mem_arena_free(mem_arena *arena);

/* Forgets every allocation but keeps the first block for reuse. */
void mem_arena_reset(mem_arena *arena);

/* size bytes aligned for any type, zeroed; NULL only when the cap would be
 * passed. Valid until the next reset or free of the arena. */
void *mem_arena_alloc(mem_arena *arena, size_t size);

/* A copy of s (or of its first n bytes, NUL-terminated) in the arena. */
char *mem_arena_strdup(mem_arena *arena, const char *s);
char *mem_arena_strndup(mem_arena *arena, const char *s, size_t n);

/* printf into the arena. */
char *mem_arena_printf(mem_arena *arena, const char *fmt, ...) KOLO_PRINTF(2, 3);

/* Bytes handed out since the last reset. */
size_t mem_arena_used(const mem_arena *arena);

/* A protobuf-c allocator backed by the arena (its free is a no-op). */
ProtobufCAllocator mem_arena_allocator(mem_arena *arena);

#endif
