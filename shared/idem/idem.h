/* idem: idempotency keys of creates (docs/decisions.md "Idempotency keys";
 * migration 0030).
 *
 * A create's request carries `string request_id` (REST: the
 * Idempotency-Key header). A handler:
 *   1. idem_prepare() before its transaction: checks the key (1..128
 *      printable ASCII, else ERR_INVALID_ARGUMENT `invalid_request_id`)
 *      and hashes the request without request_id;
 *   2. idem_claim() first in its db_tx body: 1 when an earlier call with
 *      this key already answered (the stored reply is unpacked into the
 *      handler's reply: return it, do nothing else), 0 to go on, or
 *      ERR_ALREADY_EXISTS `request_id_reused` when the key came with
 *      another request. A concurrent first call with the key waits on the
 *      key's row until this transaction ends;
 *   3. idem_store() last in the same body, with the reply it built.
 * A call with no key (request_id "") makes all three do nothing. Errors
 * roll the transaction back, so a failed call stores nothing and its
 * retry runs again. Keys live 24 h (IDEM_TTL_S); a claim deletes a few
 * expired rows of its table. */
#ifndef KOLO_IDEM_H
#define KOLO_IDEM_H

#include <protobuf-c/protobuf-c.h>

#include "db/db.h"
#include "err/err.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

/* The idempotency tables, one per service that has creates. */
typedef enum idem_table {
	IDEM_IDENTITY,
	IDEM_GROUPS,
	IDEM_EVENTS,
} idem_table;

/* How long a key is remembered. */
#define IDEM_TTL_S 86400

/* The longest key. */
#define IDEM_KEY_MAX 128

/* One create's key, in the call's arena. */
typedef struct idem_key {
	idem_table table;
	const char *method; /* the request message's full name */
	const char *caller; /* user id, "internal:<caller>" or "anonymous" */
	const char *key;    /* request_id; NULL: no key */
	char hash[65];      /* hex BLAKE2b-256 of the request without request_id */
} idem_key;

/* 0 when key is 1..IDEM_KEY_MAX printable ASCII characters, else
 * ERR_INVALID_ARGUMENT `invalid_request_id`. */
KOLO_MUST_CHECK int idem_check_key(const char *key);

/* Fills k for the request req (its request_id field names the key).
 * omit: NULL, or the names of string fields (NULL-terminated) left out of
 * the hash besides request_id: a secret the handler checks itself on a
 * replay, never stored even as a fast hash (Register's password). */
KOLO_MUST_CHECK int idem_prepare(idem_key *k, rpc_ctx *ctx, idem_table table,
				 const ProtobufCMessage *req,
				 const char *const *omit);

/* See above. resp is the handler's (initialised) reply. */
KOLO_MUST_CHECK int idem_claim(db_conn *c, const idem_key *k, mem_arena *a,
			       ProtobufCMessage *resp);

/* Before the call's transaction, for a handler that must not repeat an
 * outside call (a metered provider request) on a replay: 1 when an earlier
 * call with this key answered (the stored reply unpacked into resp), 0 when
 * none did yet (idem_claim still decides in the transaction),
 * ERR_ALREADY_EXISTS `request_id_reused` for another request. Reads only. */
KOLO_MUST_CHECK int idem_replayed(db_conn *c, const idem_key *k, mem_arena *a,
				  ProtobufCMessage *resp);

/* Stores resp as the key's reply in the caller's transaction. */
KOLO_MUST_CHECK int idem_store(db_conn *c, const idem_key *k,
			       const ProtobufCMessage *resp);

#endif
