#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_ARENA_BLOCK	      16384
#define MEM_ARENA_DEFAULT_CAP (64u * 1024 * 1024)
#define MEM_ALIGN	      16

static void
mem_oom(size_t size)
{
	fprintf(stderr,
		"{\"level\":\"fatal\",\"msg\":\"out of memory\","
		"\"bytes\":%zu}\n",
		size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		mem_oom(size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		mem_oom(count * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		mem_oom(size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

typedef struct mem_block {
	struct mem_block *next;
	size_t size;
	size_t used;
	_Alignas(MEM_ALIGN) unsigned char data[];
} mem_block;

struct mem_arena {
	mem_block *head; /* current block; the first block is the list's tail */
	size_t cap;
	size_t total;
};

static mem_block *
mem_block_new(size_t size)
{
	mem_block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

mem_arena *
mem_arena_new(size_t cap_bytes)
{
	mem_arena *a = xcalloc(1, sizeof(*a));

	a->cap = cap_bytes ? cap_bytes : MEM_ARENA_DEFAULT_CAP;
	a->head = mem_block_new(MEM_ARENA_BLOCK);
	return a;
}

void
mem_arena_free(mem_arena *arena)
{
	mem_block *b, *next;

	if (!arena)
		return;
	for (b = arena->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(arena);
}

void
mem_arena_reset(mem_arena *arena)
{
	mem_block *b = arena->head, *next;

	while (b->next) {
		next = b->next;
		free(b);
		b = next;
	}
	b->used = 0;
	arena->head = b;
	arena->total = 0;
}

void *
mem_arena_alloc(mem_arena *arena, size_t size)
{
	size_t need = (size + MEM_ALIGN - 1) & ~(size_t)(MEM_ALIGN - 1);
	mem_block *b = arena->head;
	void *p;

	if (need < size || need > arena->cap - arena->total)
		return NULL;
	if (b->size - b->used < need) {
		size_t bsize = need > MEM_ARENA_BLOCK ? need : MEM_ARENA_BLOCK;

		b = mem_block_new(bsize);
		b->next = arena->head;
		arena->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	arena->total += need;
	memset(p, 0, size);
	return p;
}

char *
mem_arena_strndup(mem_arena *arena, const char *s, size_t n)
{
	char *p = mem_arena_alloc(arena, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
mem_arena_strdup(mem_arena *arena, const char *s)
{
	return mem_arena_strndup(arena, s, strlen(s));
}

char *
mem_arena_printf(mem_arena *arena, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = mem_arena_alloc(arena, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
mem_arena_used(const mem_arena *arena)
{
	return arena->total;
}

static void *
mem_pb_alloc(void *data, size_t size)
{
	return mem_arena_alloc(data, size);
}

static void
mem_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

ProtobufCAllocator
mem_arena_allocator(mem_arena *arena)
{
	ProtobufCAllocator a = {
		.alloc = mem_pb_alloc,
		.free = mem_pb_free,
		.allocator_data = arena,
	};
	return a;
}
