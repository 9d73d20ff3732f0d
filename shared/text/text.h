/* text: validation and clean-up of strings that come from callers. */
#ifndef KOLO_TEXT_H
#define KOLO_TEXT_H

#include <stddef.h>

#include "mem/mem.h"

#define TEXT_UUID_LEN 36

/* 1 when s is a UUID in canonical form (8-4-4-4-12 hex digits, any case). */
int text_is_uuid(const char *s);

/* The canonical text of a UUID: a copy of s in the arena, lower case.
 * Build every key scope or reference from this, never from an id as a
 * caller typed it (PostgreSQL reads either case as the same uuid). The
 * caller has checked text_is_uuid(s). NULL when the arena is full. */
char *text_uuid_canonical(mem_arena *arena, const char *s);

/* 1 when s is valid UTF-8 without control characters (tab included). */
int text_is_clean(const char *s);

/* 1 when s is valid UTF-8 whose only control characters are line breaks
 * and tabs (free text such as a description). */
int text_is_multiline(const char *s);

/* A copy of s in the arena without leading and trailing white space. */
char *text_trim(mem_arena *arena, const char *s);

/* The one normal form of an email address: s without leading and trailing
 * white space, ASCII letters lower-cased, in the arena (validity is not
 * checked). Identity stores and finds accounts by it; the gateway keys its
 * per-account buckets on it. NULL when the arena is full. */
char *text_email_normal(mem_arena *arena, const char *s);

/* A copy of s in the arena, cut to at most max bytes (at a UTF-8
 * boundary) with control characters and invalid bytes replaced by '?':
 * for values like user-agent that are kept but not trusted. NULL -> "". */
char *text_sanitize(mem_arena *arena, const char *s, size_t max);

/* text_sanitize() into a caller's buffer of cap bytes (cap >= 1). */
void text_sanitize_into(char *out, size_t cap, const char *s);

/* 1 when s is an RFC 3339 date-time (section 5.6): YYYY-MM-DD, 'T' or
 * 't', hh:mm:ss, an optional fraction of 1..9 digits, and
 * 'Z', 'z' or +hh:mm / -hh:mm; every field in range (day within its
 * month, leap years counted; second 60 allowed for a leap second). Words
 * PostgreSQL would also read ("yesterday", "now", "epoch") are not. */
int text_is_rfc3339(const char *s);

/* 1 when s is 4..6 ASCII digits (a transaction PIN). */
int text_is_pin(const char *s);

/* The key a client address is limited by: an IPv6 address by its /64
 * (one subscriber's block), an IPv4-mapped one as IPv4, anything else as
 * is (cut to fit). Every per-address limit keys on this. */
#define TEXT_ADDR_KEY_MAX 64
void text_addr_key(char out[TEXT_ADDR_KEY_MAX], const char *addr);

#endif
