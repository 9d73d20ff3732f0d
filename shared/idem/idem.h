/* idem: idempotency keys of creates (docs/decisions.md "Idempotency keys";
 * migration 0030).
 *
 * A create's request carries `string request_id` (REST: the
 * Idempotency-Key header). A handler:
 *   1. idem_prepare() before its transaction: checks the key
 *      (idem_key_check(), IDEM_KEY_REQUEST_ID) and hashes the request
 *      without request_id;
 *   2. idem_claim() first in its db_tx body: 1 when an earlier call with
 *      this key already answered (the stored reply is unpacked into the
 *      handler's reply: return it, do nothing else), 0 to go on, or
 *      ERR_ALREADY_EXISTS `request_id_reused` when the key came with
 *      another request. A concurrent first call with the key waits on the
 *      key's row until this transaction ends;
 *   3. idem_store() last in the same body, with the reply it built.
 * idem_db_tx() runs 2 and 3 around a create's own body in one transaction.
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

/* The longest request_id. */
#define IDEM_KEY_MAX 128

/* The longest client_ref, and its characters (it becomes part of a ledger
 * reference, "demo:<group>:<key>"). */
#define IDEM_CLIENT_REF_MAX   100
#define IDEM_CLIENT_REF_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:"

/* The two fields the Idempotency-Key header becomes (docs/decisions.md,
 * "Code shape: one Idempotency-Key rule"): one rule, one row each in
 * idem.c. */
typedef enum idem_key_field {
	/* request_id (the creates of identity, groups, events): 1..128
	 * printable ASCII, else `invalid_request_id`. */
	IDEM_KEY_REQUEST_ID,
	/* client_ref (SimulateDeposit, CreateWithdrawal): 1..100 of
	 * IDEM_CLIENT_REF_CHARS, else `invalid_idempotency_key`. */
	IDEM_KEY_CLIENT_REF,
} idem_key_field;

/* One create's key, in the call's arena. */
typedef struct idem_key {
	idem_table table;
	const char *method; /* the request message's full name */
	const char *caller; /* user id, "internal:<caller>" or "anonymous" */
	const char *key;    /* request_id; NULL: no key */
	char hash[65];	    /* hex BLAKE2b-256 of the request without request_id */
} idem_key;

/* The Idempotency-Key rule: 0 when key is "" or NULL (no key) or 1..max
 * characters of the field's set (above), else ERR_INVALID_ARGUMENT with the
 * field's reason. */
KOLO_MUST_CHECK int idem_key_check(const char *key, idem_key_field field);

/* Fills k for the request req (its request_id field names the key).
 * omit: NULL, or the names of string fields (NULL-terminated) left out of
 * the hash besides request_id: a secret the handler checks itself on a
 * replay, never stored even as a fast hash (Register's password). */
KOLO_MUST_CHECK int idem_prepare(idem_key *k, rpc_ctx *ctx, idem_table table,
				 const ProtobufCMessage *req, const char *const *omit);

/* See above. resp is the handler's (initialised) reply. */
KOLO_MUST_CHECK int idem_claim(db_conn *c, const idem_key *k, mem_arena *a, ProtobufCMessage *resp);

/* Before the call's transaction, for a handler that must not repeat an
 * outside call (a metered provider request) on a replay: 1 when an earlier
 * call with this key answered (the stored reply unpacked into resp), 0 when
 * none did yet (idem_claim still decides in the transaction),
 * ERR_ALREADY_EXISTS `request_id_reused` for another request. Reads only. */
KOLO_MUST_CHECK int idem_replayed(db_conn *c, const idem_key *k, mem_arena *a,
				  ProtobufCMessage *resp);

/* Stores resp as the key's reply in the caller's transaction. */
KOLO_MUST_CHECK int idem_store(db_conn *c, const idem_key *k, const ProtobufCMessage *resp);

/* One create's transaction under its key (from idem_prepare()). */
typedef struct idem_tx {
	const idem_key *key;
	mem_arena *arena;	/* the call's: a stored reply is unpacked in it */
	ProtobufCMessage *resp; /* the handler's reply */
	db_tx_fn body;		/* the create: fills resp; not run on a replay */
	db_tx_fn replay;	/* NULL, or what a replay reads instead of body */
	void *arg;		/* body's and replay's */
	int single;		/* 1: db_tx_single (body makes an outside call) */
	int replayed;		/* out: 1 when resp holds the key's stored reply */
} idem_tx;

/* In one transaction (db_tx, or db_tx_single with t->single), steps 2 and
 * 3 above: idem_claim(); when the key already answered, t->replay (if any)
 * and nothing else; else t->body, then idem_store() of t->resp. Errors are
 * idem_claim()'s, the body's, idem_store()'s or db_tx()'s; each rolls the
 * transaction back. */
KOLO_MUST_CHECK int idem_db_tx(db_conn *c, int64_t timeout_ms, idem_tx *t);

#endif
