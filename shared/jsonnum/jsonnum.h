/* jsonnum: a number read out of a JSON document as the text it is written
 * in, never through a double (a provider's amount 1500.75 stays "1500.75"
 * for money_parse_naira()). */
#ifndef KOLO_JSONNUM_H
#define KOLO_JSONNUM_H

#include <stddef.h>

#include "err/err.h"

/* The deepest nesting jsonnum_find() walks through. */
#define JSONNUM_MAX_DEPTH 64

/* Finds the number at an object-key path of a JSON document without
 * converting it: for path {"data", "amount"} and
 * {"data":{"amount":1500.75}} it points *start into json at "1500.75" and
 * sets *n to 7. depth 0 means the whole document. The document (len bytes)
 * must be one well-formed JSON value, nested at most JSONNUM_MAX_DEPTH
 * deep; objects on the path must not repeat the key being looked up.
 * Strings are checked for escapes and control characters, not for valid
 * UTF-8. Iterative; no allocation. ERR_INVALID_ARGUMENT (reason
 * "bad_json") for a malformed or too deep document or a repeated key on
 * the path, ERR_NOT_FOUND when the path is not there (a key missing, or a
 * value on the way that is not an object), ERR_INVALID_ARGUMENT (reason
 * "not_a_number") when the value is not a number. */
KOLO_MUST_CHECK int jsonnum_find(const char **start, size_t *n, const char *json, size_t len,
				 const char *const *path, size_t depth);

#endif
