/* Protobuf messages <-> JSON, driven by protoc-c descriptors.
 *
 * Field names are the proto's (snake_case). Enums are written without
 * their type prefix (ROLE_OWNER -> "OWNER"), lower case for the enums the
 * seed schema keeps in lower case; *_UNSPECIFIED is null. int64 is a JSON
 * number. A NULL sub-message and an empty `*_at` time (or as_of) are null. */
#include "gw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "config/cfg.h"

#define GW_ENUM_PREFIX_MAX 64

/* --- enums ------------------------------------------------------------------ */

static int
gw_enum_lower(const ProtobufCEnumDescriptor *e)
{
	return strcmp(e->name, "kolo.common.v1.AccountStatus") == 0 ||
	       strcmp(e->name, "kolo.common.v1.RuleTemplate") == 0;
}

/* "WithdrawalStatus" -> "WITHDRAWAL_STATUS_". */
static void
gw_enum_prefix(char *out, size_t cap, const ProtobufCEnumDescriptor *e)
{
	size_t n = 0;

	for (const char *p = e->short_name; *p && n + 2 < cap; p++) {
		if (isupper((unsigned char)*p) && p != e->short_name)
			out[n++] = '_';
		out[n++] = (char)toupper((unsigned char)*p);
	}
	out[n++] = '_';
	out[n] = '\0';
}

static json_t *
gw_enum_json(const ProtobufCEnumDescriptor *e, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(e, value);
	char prefix[GW_ENUM_PREFIX_MAX], name[GW_ENUM_PREFIX_MAX * 2];
	size_t plen;

	if (!v || value == 0)
		return json_null();
	gw_enum_prefix(prefix, sizeof(prefix), e);
	plen = strlen(prefix);
	snprintf(name, sizeof(name), "%s",
		 strncmp(v->name, prefix, plen) == 0 ? v->name + plen : v->name);
	if (gw_enum_lower(e)) {
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return json_string(name);
}

static int
gw_enum_parse(int *out, const ProtobufCEnumDescriptor *e, const char *text)
{
	char prefix[GW_ENUM_PREFIX_MAX], name[GW_ENUM_PREFIX_MAX * 2];
	const ProtobufCEnumValue *v;
	size_t n;

	gw_enum_prefix(prefix, sizeof(prefix), e);
	n = (size_t)snprintf(name, sizeof(name), "%s%s", prefix, text);
	if (n >= sizeof(name) || !text[0])
		return ERR_INVALID_ARGUMENT;
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	v = protobuf_c_enum_descriptor_get_value_by_name(e, name);
	if (!v || v->value == 0)
		return ERR_INVALID_ARGUMENT;
	*out = v->value;
	return 0;
}

/* --- JSON -> message ------------------------------------------------------------ */

static int
gw_bad_field(const char *field, const char *want)
{
	return err_set(ERR_INVALID_ARGUMENT, "invalid_field", "field %.64s must be %s", field,
		       want);
}

static void *
gw_field_ptr(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	return (char *)msg + f->offset;
}

static int
gw_int_from_json(int64_t *out, const json_t *v, int64_t min, int64_t max)
{
	json_int_t n;

	if (!json_is_integer(v))
		return ERR_INVALID_ARGUMENT;
	n = json_integer_value(v);
	if (n < min || n > max)
		return ERR_INVALID_ARGUMENT;
	*out = n;
	return 0;
}

static int gw_message_from_json(ProtobufCMessage **out, const ProtobufCMessageDescriptor *d,
				const json_t *v, mem_arena *arena, const char *field);

/* Decodes one JSON value into the storage of one (non-repeated) field
 * element at dst. */
static int
gw_value_from_json(void *dst, const ProtobufCFieldDescriptor *f, const json_t *v, mem_arena *arena)
{
	int64_t n = 0;
	int e = 0;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *s;

		if (!json_is_string(v))
			return gw_bad_field(f->name, "a string");
		s = mem_arena_strndup(arena, json_string_value(v), json_string_length(v));
		if (!s || strlen(s) != json_string_length(v))
			return gw_bad_field(f->name, "text without NUL bytes");
		*(char **)dst = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (gw_int_from_json(&n, v, INT32_MIN, INT32_MAX) < 0)
			return gw_bad_field(f->name, "a 32-bit integer");
		*(int32_t *)dst = (int32_t)n;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (gw_int_from_json(&n, v, INT64_MIN, INT64_MAX) < 0)
			return gw_bad_field(f->name, "an integer");
		*(int64_t *)dst = n;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (gw_int_from_json(&n, v, 0, UINT32_MAX) < 0)
			return gw_bad_field(f->name, "a non-negative integer");
		*(uint32_t *)dst = (uint32_t)n;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return gw_bad_field(f->name, "true or false");
		*(protobuf_c_boolean *)dst = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    gw_enum_parse(&e, f->descriptor, json_string_value(v)) < 0)
			return gw_bad_field(f->name, "one of the documented values");
		*(int *)dst = e;
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return gw_message_from_json((ProtobufCMessage **)dst, f->descriptor, v, arena,
					    f->name);
	default:
		return gw_bad_field(f->name, "absent (not settable over HTTP)");
	}
}

static size_t
gw_field_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return sizeof(void *); /* strings and messages */
	}
}

#define GW_REPEATED_MAX 1000

static int
gw_repeated_from_json(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, const json_t *v,
		      mem_arena *arena)
{
	size_t n = json_array_size(v), size = gw_field_size(f);
	char *items;

	if (!json_is_array(v) || n > GW_REPEATED_MAX)
		return gw_bad_field(f->name, "a list of at most 1000 items");
	items = mem_arena_alloc(arena, size * (n ? n : 1));
	if (!items)
		return err_set(ERR_RESOURCE_EXHAUSTED, NULL, "request too large");
	for (size_t i = 0; i < n; i++) {
		int rc = gw_value_from_json(items + i * size, f, json_array_get(v, i), arena);

		if (rc < 0)
			return rc;
	}
	*(size_t *)((char *)msg + f->quantifier_offset) = n;
	*(void **)gw_field_ptr(msg, f) = items;
	return 0;
}

static int
gw_field_from_json(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, const json_t *v,
		   mem_arena *arena)
{
	int rc;

	if (json_is_null(v))
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return gw_repeated_from_json(msg, f, v, arena);
	rc = gw_value_from_json(gw_field_ptr(msg, f), f, v, arena);
	if (rc == 0 && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		*(uint32_t *)((char *)msg + f->quantifier_offset) = f->id;
	return rc;
}

int
gw_pb_from_json(ProtobufCMessage *msg, const json_t *obj, mem_arena *arena)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	if (!json_is_object(obj))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_json",
			       "the body must be a JSON object");
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const json_t *v = json_object_get(obj, f->name);
		int rc;

		if (!v)
			continue;
		rc = gw_field_from_json(msg, f, v, arena);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
gw_message_from_json(ProtobufCMessage **out, const ProtobufCMessageDescriptor *d, const json_t *v,
		     mem_arena *arena, const char *field)
{
	ProtobufCMessage *m;

	if (!json_is_object(v))
		return gw_bad_field(field, "an object");
	m = mem_arena_alloc(arena, d->sizeof_message);
	if (!m)
		return err_set(ERR_RESOURCE_EXHAUSTED, NULL, "request too large");
	d->message_init(m);
	*out = m;
	return gw_pb_from_json(m, v, arena);
}

/* Text (path or query parameter) as the JSON value its field expects. */
static json_t *
gw_text_as_json(const ProtobufCFieldDescriptor *f, const char *text)
{
	int64_t n;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (cfg_parse_int(&n, text, INT64_MIN, INT64_MAX) < 0)
			return json_string(text); /* refused as not a number */
		return json_integer(n);
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			return json_true();
		if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			return json_false();
		return json_string(text);
	default:
		return json_string(text);
	}
}

int
gw_pb_set_text(ProtobufCMessage *msg, const char *name, const char *text, mem_arena *arena,
	       int strict)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
	json_t *v;
	int rc;

	if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return strict ? err_set(ERR_INTERNAL, NULL, "no field %s", name) : 0;
	v = gw_text_as_json(f, text);
	if (!v)
		return err_set(ERR_RESOURCE_EXHAUSTED, NULL, "out of memory");
	rc = gw_field_from_json(msg, f, v, arena);
	json_decref(v);
	return rc;
}

/* --- message -> JSON ------------------------------------------------------------ */

static json_t *gw_value_json(const void *src, const ProtobufCFieldDescriptor *f);

static int
gw_ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* A time the protos write as "" when there is none: created_at,
 * failing_since, and as_of / data_as_of (a reply read from a replica;
 * "" = from the primary). */
static int
gw_is_time_field(const char *name)
{
	return gw_ends_with(name, "_at") || gw_ends_with(name, "_since") ||
	       strcmp(name, "as_of") == 0 || gw_ends_with(name, "_as_of");
}

static json_t *
gw_bytes_json(const ProtobufCBinaryData *b)
{
	char *text = malloc(auth_b64url_len(b->len) + 1);
	json_t *v;

	if (!text)
		return NULL;
	if (auth_b64url_encode(text, auth_b64url_len(b->len) + 1, b->data, b->len) < 0) {
		free(text);
		return NULL;
	}
	v = json_string(text);
	free(text);
	return v;
}

static json_t *
gw_value_json(const void *src, const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)src;

		if (!s || (!s[0] && gw_is_time_field(f->name)))
			return json_null();
		return json_string(s);
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)src);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)src);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)src);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)src);
	case PROTOBUF_C_TYPE_ENUM:
		return gw_enum_json(f->descriptor, *(const int *)src);
	case PROTOBUF_C_TYPE_BYTES:
		return gw_bytes_json((const ProtobufCBinaryData *)src);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(ProtobufCMessage *const *)src;

		return m ? gw_pb_to_json(m) : json_null();
	}
	default:
		return json_null();
	}
}

/* A singular field without a value (a sub-message not set, an empty time,
 * an unspecified enum) is left out of its object: absent, never null
 * (docs/decisions.md, "Unset fields are absent"). */
static json_t *
gw_absent_if_null(json_t *v)
{
	if (v && json_is_null(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *
gw_field_json(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)msg;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + f->quantifier_offset);
		const char *items = *(char *const *)(base + f->offset);
		json_t *arr = json_array();

		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, gw_value_json(items + i * gw_field_size(f), f));
		return arr;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
		return NULL; /* another member of the oneof is set */
	return gw_absent_if_null(gw_value_json(base + f->offset, f));
}

json_t *
gw_pb_to_json(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	json_t *obj = json_object();

	for (unsigned i = 0; obj && i < d->n_fields; i++) {
		json_t *v = gw_field_json(msg, &d->fields[i]);

		if (v)
			json_object_set_new(obj, d->fields[i].name, v);
	}
	return obj;
}

json_t *
gw_pb_field_json(const ProtobufCMessage *msg, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);

	return f ? gw_field_json(msg, f) : NULL;
}
