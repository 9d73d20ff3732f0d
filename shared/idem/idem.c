/* Idempotency keys of creates: see idem.h. */
#include "idem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define IDEM_TTL "interval '86400 seconds'"

#define IDEM_SQL(sql_of)                                                                           \
	[IDEM_IDENTITY] = sql_of("identity_idempotency"),                                          \
	[IDEM_GROUPS] = sql_of("groups_idempotency"), [IDEM_EVENTS] = sql_of("events_idempotency")

/* A few expired keys go with each claim; rows another call holds are
 * skipped (their call decides about them). */
#define IDEM_CLEAN(t)                                                                              \
	"DELETE FROM public." t " WHERE ctid = ANY (ARRAY(SELECT ctid FROM"                        \
	" public." t " WHERE created_at < now() - " IDEM_TTL " LIMIT 16 FOR UPDATE SKIP LOCKED))"
static const char *const idem_clean_sql[] = {IDEM_SQL(IDEM_CLEAN)};

/* Takes the key: a new row, or an expired one made new. A concurrent
 * first call's row makes this wait until that call's transaction ends. */
#define IDEM_INSERT(t)                                                                             \
	"INSERT INTO public." t " AS k (method, caller, request_id,"                               \
	" request_hash) VALUES ($1, $2, $3, $4)"                                                   \
	" ON CONFLICT (method, caller, request_id) DO UPDATE"                                      \
	" SET request_hash = excluded.request_hash, response = NULL,"                              \
	" created_at = now() WHERE k.created_at < now() - " IDEM_TTL " RETURNING 1"
static const char *const idem_insert_sql[] = {IDEM_SQL(IDEM_INSERT)};

#define IDEM_SELECT(t)                                                                             \
	"SELECT request_hash, coalesce(encode(response, 'hex'), '')"                               \
	" FROM public." t " WHERE method = $1 AND caller = $2"                                     \
	" AND request_id = $3"
static const char *const idem_select_sql[] = {IDEM_SQL(IDEM_SELECT)};

/* The key's live answered row, for a look before the call's transaction. */
#define IDEM_PEEK(t)                                                                               \
	"SELECT request_hash, encode(response, 'hex')"                                             \
	" FROM public." t " WHERE method = $1 AND caller = $2"                                     \
	" AND request_id = $3 AND response IS NOT NULL"                                            \
	" AND created_at >= now() - " IDEM_TTL
static const char *const idem_peek_sql[] = {IDEM_SQL(IDEM_PEEK)};

#define IDEM_UPDATE(t)                                                                             \
	"UPDATE public." t " SET response = decode($4, 'hex')"                                     \
	" WHERE method = $1 AND caller = $2 AND request_id = $3"
static const char *const idem_update_sql[] = {IDEM_SQL(IDEM_UPDATE)};

/* One row of the Idempotency-Key rule: 1..max characters of chars. */
typedef struct idem_key_rule {
	size_t max;
	const char *chars; /* NULL: printable ASCII, 0x20..0x7e */
} idem_key_rule;

static const idem_key_rule idem_key_rules[] = {
	[IDEM_KEY_REQUEST_ID] = {IDEM_KEY_MAX, NULL},
	[IDEM_KEY_CLIENT_REF] = {IDEM_CLIENT_REF_MAX, IDEM_CLIENT_REF_CHARS},
};

/* The field's refusal (each field keeps the reason its clients know). */
static int
idem_key_refuse(idem_key_field field)
{
	if (field == IDEM_KEY_CLIENT_REF)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_idempotency_key",
			       "the Idempotency-Key is 1 to 100 of A-Z a-z 0-9 - _ . :");
	return err_set(ERR_INVALID_ARGUMENT, "invalid_request_id",
		       "request_id must be 1..128 printable ASCII characters");
}

/* 1 when c is one of the rule's characters. */
static int
idem_key_char_ok(const idem_key_rule *r, unsigned char c)
{
	if (!r->chars)
		return c >= 0x20 && c <= 0x7e;
	return c != 0 && strchr(r->chars, c) != NULL;
}

int
idem_key_check(const char *key, idem_key_field field)
{
	const idem_key_rule *r = &idem_key_rules[field];
	size_t n = key ? strlen(key) : 0;
	int ok = n <= r->max;

	for (size_t i = 0; ok && i < n; i++)
		ok = idem_key_char_ok(r, (unsigned char)key[i]);
	return ok ? 0 : idem_key_refuse(field);
}

/* The request's request_id field (a bug when the message has none). */
static const ProtobufCFieldDescriptor *
idem_field(const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "request_id");

	return f && f->type == PROTOBUF_C_TYPE_STRING ? f : NULL;
}

/* Packs msg into the arena. */
static int
idem_pack(uint8_t **out, size_t *len, mem_arena *a, const ProtobufCMessage *msg)
{
	*len = protobuf_c_message_get_packed_size(msg);
	*out = mem_arena_alloc(a, *len + 1);
	if (!*out)
		return err_oom();
	protobuf_c_message_pack(msg, *out);
	return 0;
}

/* Sets the string field name of msg to "" (a bug when it has none). */
static int
idem_blank(ProtobufCMessage *msg, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);

	if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return err_set(ERR_INTERNAL, NULL, "%s has no string field %s",
			       msg->descriptor->name, name);
	*(const char **)((char *)msg + f->offset) = protobuf_c_empty_string;
	return 0;
}

/* The hash of the request with request_id and the omitted fields ""
 * (a shallow copy). */
static int
idem_hash(char hex[65], mem_arena *a, const ProtobufCMessage *req, const char *const *omit)
{
	size_t size = req->descriptor->sizeof_message, len = 0;
	unsigned char digest[32];
	ProtobufCMessage *copy = mem_arena_alloc(a, size);
	uint8_t *bytes = NULL;
	int rc;

	if (!copy)
		return err_oom();
	memcpy(copy, req, size);
	rc = idem_blank(copy, "request_id");
	for (size_t i = 0; rc == 0 && omit && omit[i]; i++)
		rc = idem_blank(copy, omit[i]);
	if (rc == 0)
		rc = idem_pack(&bytes, &len, a, copy);
	if (rc < 0)
		return rc;
	crypto_generichash(digest, sizeof(digest), bytes, len, NULL, 0);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	return 0;
}

static const char *
idem_caller(rpc_ctx *ctx)
{
	const char *user = rpc_ctx_user_id(ctx);
	const char *caller = rpc_ctx_caller(ctx);
	mem_arena *a = rpc_ctx_arena(ctx);
	char *out;

	if (user)
		return user;
	if (!caller)
		return "anonymous";
	out = mem_arena_alloc(a, strlen(caller) + sizeof("internal:"));
	if (out) {
		strcpy(out, "internal:");
		strcat(out, caller);
	}
	return out;
}

int
idem_prepare(idem_key *k, rpc_ctx *ctx, idem_table table, const ProtobufCMessage *req,
	     const char *const *omit)
{
	const ProtobufCFieldDescriptor *f = idem_field(req);
	const char *key;

	memset(k, 0, sizeof(*k));
	k->table = table;
	if (!f)
		return err_set(ERR_INTERNAL, NULL, "%s has no request_id", req->descriptor->name);
	key = *(const char *const *)((const char *)req + f->offset);
	if (!key || !key[0])
		return 0;
	if (idem_key_check(key, IDEM_KEY_REQUEST_ID) < 0)
		return err_last()->code;
	k->key = key;
	k->method = req->descriptor->name;
	k->caller = idem_caller(ctx);
	if (!k->caller)
		return err_oom();
	return idem_hash(k->hash, rpc_ctx_arena(ctx), req, omit);
}

/* The stored reply (hex) into resp. */
static int
idem_replay(const char *hex, mem_arena *a, ProtobufCMessage *resp)
{
	ProtobufCAllocator alloc = mem_arena_allocator(a);
	size_t cap = strlen(hex) / 2 + 1, len = 0;
	uint8_t *bytes = mem_arena_alloc(a, cap);
	ProtobufCMessage *m;

	if (!bytes)
		return err_oom();
	if (sodium_hex2bin(bytes, cap, hex, strlen(hex), NULL, &len, NULL) != 0)
		return err_set(ERR_INTERNAL, NULL, "stored reply is not hex");
	m = protobuf_c_message_unpack(resp->descriptor, &alloc, len, bytes);
	if (!m)
		return err_set(ERR_INTERNAL, NULL, "stored reply is not a %s",
			       resp->descriptor->name);
	memcpy(resp, m, resp->descriptor->sizeof_message);
	return 0;
}

int
idem_claim(db_conn *c, const idem_key *k, mem_arena *a, ProtobufCMessage *resp)
{
	const char *params[] = {k->method, k->caller, k->key, k->hash};
	PGresult *res = NULL;
	int rc, fresh;

	if (!k->key)
		return 0;
	rc = db_run(c, idem_clean_sql[k->table], 0, NULL);
	if (rc == 0)
		rc = db_exec(c, &res, idem_insert_sql[k->table], 4, params);
	if (rc < 0)
		return rc;
	fresh = PQntuples(res) == 1;
	PQclear(res);
	if (fresh)
		return 0;
	rc = db_exec(c, &res, idem_select_sql[k->table], 3, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1 || !PQgetvalue(res, 0, 1)[0])
		rc = err_set(ERR_INTERNAL, NULL, "key %s has no stored reply", k->key);
	else if (strcmp(PQgetvalue(res, 0, 0), k->hash) != 0)
		rc = err_set(ERR_ALREADY_EXISTS, "request_id_reused",
			     "request_id was used with a different request");
	else
		rc = idem_replay(PQgetvalue(res, 0, 1), a, resp);
	PQclear(res);
	return rc < 0 ? rc : 1;
}

int
idem_replayed(db_conn *c, const idem_key *k, mem_arena *a, ProtobufCMessage *resp)
{
	const char *params[] = {k->method, k->caller, k->key};
	PGresult *res = NULL;
	int rc;

	if (!k->key)
		return 0;
	rc = db_exec(c, &res, idem_peek_sql[k->table], 3, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1)
		rc = 0;
	else if (strcmp(PQgetvalue(res, 0, 0), k->hash) != 0)
		rc = err_set(ERR_ALREADY_EXISTS, "request_id_reused",
			     "request_id was used with a different request");
	else if ((rc = idem_replay(PQgetvalue(res, 0, 1), a, resp)) == 0)
		rc = 1;
	PQclear(res);
	/* The stored reply may be a commit the standby never confirmed. */
	if (rc == 1 && db_fence(c) < 0)
		return err_last()->code;
	return rc;
}

int
idem_store(db_conn *c, const idem_key *k, const ProtobufCMessage *resp)
{
	size_t len = protobuf_c_message_get_packed_size(resp);
	uint8_t *bytes;
	char *hex;
	int rc = 0;

	if (!k->key)
		return 0;
	bytes = malloc(len + 1);
	hex = malloc(len * 2 + 1);
	if (!bytes || !hex) {
		rc = err_oom();
	} else {
		const char *params[] = {k->method, k->caller, k->key, hex};

		protobuf_c_message_pack(resp, bytes);
		sodium_bin2hex(hex, len * 2 + 1, bytes, len);
		rc = db_run(c, idem_update_sql[k->table], 4, params);
	}
	free(bytes);
	free(hex);
	return rc;
}

/* The body of idem_db_tx(). */
static int
idem_tx_body(db_conn *c, void *arg)
{
	idem_tx *t = arg;
	int rc = idem_claim(c, t->key, t->arena, t->resp);

	t->replayed = rc == 1;
	if (rc < 0)
		return rc;
	/* A replay answers success for a commit found done, maybe one the
	 * standby never confirmed: its own commit waits for it (db_fence). */
	if (t->replayed) {
		rc = db_fence(c);
		return rc == 0 && t->replay ? t->replay(c, t->arg) : rc;
	}
	rc = t->body(c, t->arg);
	return rc != 0 ? rc : idem_store(c, t->key, t->resp);
}

int
idem_db_tx(db_conn *c, int64_t timeout_ms, idem_tx *t)
{
	return t->single ? db_tx_single(c, timeout_ms, idem_tx_body, t)
			 : db_tx(c, timeout_ms, idem_tx_body, t);
}
