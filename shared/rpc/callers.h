/* callers: which Kolo process may call which internal method.
 *
 * Every process has a name and its own service token. A call presents
 * both (`kolo-caller: payments` and the token in kolo-internal-token); the
 * server knows only the SHA-256 of each caller's token (so no server can
 * impersonate another), and lets the call in as a service call only when
 * this one table lists the caller for the method. rpc_server_start()
 * refuses a method table whose RPC_AUTH_INTERNAL methods it does not
 * cover. docs/decisions.md and the README show the same table. */
#ifndef KOLO_RPC_CALLERS_H
#define KOLO_RPC_CALLERS_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

/* Request metadata key carrying the calling process's name. */
#define RPC_CALLER_KEY "kolo-caller"
/* Length of a token's SHA-256 in bytes and in hex. */
#define RPC_TOKEN_HASH_BYTES 32
#define RPC_TOKEN_HASH_HEX   (2 * RPC_TOKEN_HASH_BYTES)

/* The Kolo processes that call services (flags: a set is their OR). */
enum {
	RPC_CALLER_IDENTITY = 1u << 0,
	RPC_CALLER_GROUPS = 1u << 1,
	RPC_CALLER_LEDGER = 1u << 2,
	RPC_CALLER_WITHDRAWALS = 1u << 3,
	RPC_CALLER_PAYMENTS = 1u << 4,
	RPC_CALLER_GATEWAY = 1u << 5,
	RPC_CALLER_EVENTS = 1u << 6,
};
#define RPC_N_CALLERS 7
/* A table row allowing nobody: the method takes users only in practice. */
#define RPC_CALLERS_NONE 0u

/* The caller flag of a process name ("payments"); 0 when unknown. */
unsigned rpc_caller_from_name(const char *name);

/* The name of one caller flag; NULL when it is not exactly one. Static. */
const char *rpc_caller_name(unsigned caller);

/* One row: the processes that may call service/method for nobody. */
typedef struct rpc_caller_rule {
	const char *service; /* full name, e.g. "kolo.ledger.v1.LedgerService" */
	const char *method;  /* RPC name, e.g. "PostEntry" */
	unsigned callers;    /* RPC_CALLER_* flags; RPC_CALLERS_NONE */
} rpc_caller_rule;

/* The one table of Kolo's internal methods (borrowed, static); *n_out
 * gets its length. */
const rpc_caller_rule *rpc_caller_rules(size_t *n_out);

/* *out = the callers rules (n of them; NULL: rpc_caller_rules()) allow to
 * call service/method for nobody; 0, or ERR_NOT_FOUND when no row names
 * it. */
KOLO_MUST_CHECK int rpc_callers_allowed(unsigned *out, const rpc_caller_rule *rules, size_t n,
					const char *service, const char *method);

/* The hex SHA-256 of token into out (RPC_TOKEN_HASH_HEX + 1 bytes): what a
 * server is given for a caller (KOLO_CALLER_TOKEN_HASHES). */
void rpc_token_hash_hex(char out[RPC_TOKEN_HASH_HEX + 1], const char *token);

/* The token hashes a server accepts, one per known caller. */
typedef struct rpc_caller_keys {
	unsigned known; /* callers with a hash */
	uint8_t hash[RPC_N_CALLERS][RPC_TOKEN_HASH_BYTES];
} rpc_caller_keys;

/* Parses "name:hex,name:hex" (empty: nobody) into *out. ERR_INVALID_ARGUMENT
 * for an unknown name, a malformed hash, a name given twice, or two callers
 * with the same hash (one token shared by two processes). */
KOLO_MUST_CHECK int rpc_caller_keys_parse(rpc_caller_keys *out, const char *spec);

/* The caller flag whose token this is, given its claimed name; 0 when the
 * name is unknown, has no hash, or the token does not match (constant time
 * over the hash). */
unsigned rpc_caller_keys_check(const rpc_caller_keys *keys, const char *name, const char *token);

#endif
