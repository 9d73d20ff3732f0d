/* fuzz: what every libFuzzer target of tests/fuzz shares.
 *
 * Each target defines LLVMFuzzerTestOneInput (and, when it needs fixed
 * state such as a keyring, LLVMFuzzerInitialize). A target must not leak,
 * crash or loop on any input: libFuzzer reports each of those as a bug. */
#ifndef KOLO_FUZZ_H
#define KOLO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (it ends at its first NUL byte, as
 * a C string from the network would). Owned by the caller (free()). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* A broken invariant: say which, and abort so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
