/* The caller table: who may call which internal method, and the token
 * hashes that tell callers apart. */
#include "callers.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RPC_SVC_IDENTITY    "kolo.identity.v1.IdentityService"
#define RPC_SVC_GROUPS	    "kolo.groups.v1.GroupsService"
#define RPC_SVC_LEDGER	    "kolo.ledger.v1.LedgerService"
#define RPC_SVC_WITHDRAWALS "kolo.withdrawals.v1.WithdrawalsService"
#define RPC_SVC_PAYMENTS    "kolo.payments.v1.PaymentsService"
#define RPC_SVC_EVENTS	    "kolo.events.v1.EventsService"

/* Every method a method table marks RPC_AUTH_INTERNAL, with the processes
 * that really call it for nobody (grep svc_call / gw_call for the callers).
 * A method a user may also call (USER|INTERNAL) lists only the service
 * callers; users pass on their own token. Keep docs/decisions.md, the
 * README and k8s/README.md in step. */
static const rpc_caller_rule rpc_rules[] = {
	/* groups: names in proposals and AddMember by email; the gateway:
	 * display names on the public page. PINs: whoever takes them. */
	{RPC_SVC_IDENTITY, "GetUser", RPC_CALLER_GROUPS | RPC_CALLER_GATEWAY},
	{RPC_SVC_IDENTITY, "FindUserByEmail", RPC_CALLER_GROUPS},
	{RPC_SVC_IDENTITY, "VerifyPin", RPC_CALLER_GROUPS | RPC_CALLER_WITHDRAWALS},
	/* KYC numbers: payments opens live accounts in an officer's name,
	 * then has the number erased. */
	{RPC_SVC_IDENTITY, "ReadKycNumber", RPC_CALLER_PAYMENTS},
	{RPC_SVC_IDENTITY, "ReleaseKycNumber", RPC_CALLER_PAYMENTS},
	/* Ended sessions, followed by the services whose money and
	 * membership acts need a live one (shared/svc/sessions.c). */
	{RPC_SVC_IDENTITY, "ListSessionRevocations", RPC_CALLER_GROUPS | RPC_CALLER_WITHDRAWALS},
	/* Where to tell users of events: kolo-events, the only process that
	 * sends them email and SMS. */
	{RPC_SVC_IDENTITY, "GetUserContacts", RPC_CALLER_EVENTS},
	/* Membership checks of the services that serve group data; the public
	 * page resolves its token and shows the governance record. */
	{RPC_SVC_GROUPS, "GetMembership",
	 RPC_CALLER_LEDGER | RPC_CALLER_WITHDRAWALS | RPC_CALLER_PAYMENTS | RPC_CALLER_EVENTS},
	/* kolo-events: who of a group is told of its events, and the group's
	 * name its messages say. */
	{RPC_SVC_GROUPS, "ListMembers", RPC_CALLER_EVENTS},
	{RPC_SVC_GROUPS, "GetGroup", RPC_CALLER_EVENTS},
	{RPC_SVC_GROUPS, "ResolvePublicToken", RPC_CALLER_GATEWAY},
	{RPC_SVC_GROUPS, "ListProposals", RPC_CALLER_GATEWAY},
	/* The public page's paid/unpaid list (only where the group turned
	 * it on: public_dues). */
	{RPC_SVC_GROUPS, "GetDuesStatus", RPC_CALLER_GATEWAY},
	/* Payments, at credit time: the member a deposit's payer account is
	 * registered to (DESIGN §15). */
	{RPC_SVC_GROUPS, "MatchPayer", RPC_CALLER_PAYMENTS},
	/* Money moves: credits and captures by payments, holds by withdrawals;
	 * reads for the withdrawal check and the public page. */
	{RPC_SVC_LEDGER, "PostEntry", RPC_CALLER_PAYMENTS},
	{RPC_SVC_LEDGER, "PostEntries", RPC_CALLER_PAYMENTS},
	{RPC_SVC_LEDGER, "GetBalance", RPC_CALLER_WITHDRAWALS | RPC_CALLER_GATEWAY},
	{RPC_SVC_LEDGER, "ListEntries", RPC_CALLER_GATEWAY},
	/* No process reads single entries today; payments, which posts
	 * them, may read them back. */
	{RPC_SVC_LEDGER, "GetEntry", RPC_CALLER_PAYMENTS},
	{RPC_SVC_LEDGER, "PlaceHold", RPC_CALLER_WITHDRAWALS},
	{RPC_SVC_LEDGER, "ReleaseHold", RPC_CALLER_WITHDRAWALS},
	{RPC_SVC_LEDGER, "CaptureHold", RPC_CALLER_PAYMENTS},
	/* Members' contributions (DESIGN §15): groups, after its officer,
	 * PIN and membership checks (dues read the contributions). */
	{RPC_SVC_LEDGER, "AllocateEntry", RPC_CALLER_GROUPS},
	{RPC_SVC_LEDGER, "ListAllocations", RPC_CALLER_GROUPS},
	{RPC_SVC_LEDGER, "ListUnallocated", RPC_CALLER_GROUPS},
	{RPC_SVC_LEDGER, "ListContributions", RPC_CALLER_GROUPS},
	/* The public page lists withdrawals; no process reads one alone. */
	{RPC_SVC_WITHDRAWALS, "GetWithdrawal", RPC_CALLERS_NONE},
	{RPC_SVC_WITHDRAWALS, "ListWithdrawals", RPC_CALLER_GATEWAY},
	/* Accounts for new groups; payouts, accounts and names for approved
	 * withdrawals; provider webhooks through the gateway. */
	{RPC_SVC_PAYMENTS, "ProvisionAccount", RPC_CALLER_GROUPS},
	{RPC_SVC_PAYMENTS, "GetAccount", RPC_CALLER_WITHDRAWALS},
	{RPC_SVC_PAYMENTS, "HandleWebhook", RPC_CALLER_GATEWAY},
	{RPC_SVC_PAYMENTS, "CreatePayout", RPC_CALLER_WITHDRAWALS},
	/* No process reads payouts today; withdrawals, which asks for
	 * them, may read them back. */
	{RPC_SVC_PAYMENTS, "GetPayout", RPC_CALLER_WITHDRAWALS},
	{RPC_SVC_PAYMENTS, "ListPayouts", RPC_CALLER_WITHDRAWALS},
	/* Withdrawals checks beneficiaries; groups resolves payer accounts. */
	{RPC_SVC_PAYMENTS, "ResolveBankAccount", RPC_CALLER_WITHDRAWALS | RPC_CALLER_GROUPS},
	/* Identity checks go through the provider: identity starts them and
	 * reads them back. */
	{RPC_SVC_PAYMENTS, "StartKycCheck", RPC_CALLER_IDENTITY},
	{RPC_SVC_PAYMENTS, "GetKycCheck", RPC_CALLER_IDENTITY},
	/* Events (DESIGN §16): kolo-events alone reads each service's outbox
	 * and acks what it stored. */
	{RPC_SVC_IDENTITY, "ReadOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_IDENTITY, "AckOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_GROUPS, "ReadOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_GROUPS, "AckOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_LEDGER, "ReadOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_LEDGER, "AckOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_WITHDRAWALS, "ReadOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_WITHDRAWALS, "AckOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_PAYMENTS, "ReadOutbox", RPC_CALLER_EVENTS},
	{RPC_SVC_PAYMENTS, "AckOutbox", RPC_CALLER_EVENTS},
	/* A group's event stream: partners watch with a member's token; of
	 * the processes, the gateway alone (the one that relays partners'
	 * traffic, e.g. a later SSE route) may watch any group's. */
	{RPC_SVC_EVENTS, "WatchEvents", RPC_CALLER_GATEWAY},
};

/* Indexed by the flag's bit. */
static const char *const rpc_caller_names[RPC_N_CALLERS] = {
	"identity", "groups", "ledger", "withdrawals", "payments", "gateway", "events",
};

unsigned
rpc_caller_from_name(const char *name)
{
	for (int i = 0; name && i < RPC_N_CALLERS; i++) {
		if (strcmp(name, rpc_caller_names[i]) == 0)
			return 1u << i;
	}
	return 0;
}

static int
rpc_caller_index(unsigned caller)
{
	for (int i = 0; i < RPC_N_CALLERS; i++) {
		if (caller == 1u << i)
			return i;
	}
	return -1;
}

const char *
rpc_caller_name(unsigned caller)
{
	int i = rpc_caller_index(caller);

	return i < 0 ? NULL : rpc_caller_names[i];
}

const rpc_caller_rule *
rpc_caller_rules(size_t *n_out)
{
	*n_out = sizeof(rpc_rules) / sizeof(rpc_rules[0]);
	return rpc_rules;
}

int
rpc_callers_allowed(unsigned *out, const rpc_caller_rule *rules, size_t n, const char *service,
		    const char *method)
{
	if (!rules)
		rules = rpc_caller_rules(&n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rules[i].service, service) == 0 &&
		    strcmp(rules[i].method, method) == 0) {
			*out = rules[i].callers;
			return 0;
		}
	}
	return err_set(ERR_NOT_FOUND, "no_caller_rule",
		       "%s/%s is internal but the caller table has no row for it", service, method);
}

static void
rpc_token_hash(uint8_t out[RPC_TOKEN_HASH_BYTES], const char *token)
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

void
rpc_token_hash_hex(char out[RPC_TOKEN_HASH_HEX + 1], const char *token)
{
	uint8_t hash[RPC_TOKEN_HASH_BYTES];

	rpc_token_hash(hash, token);
	sodium_bin2hex(out, RPC_TOKEN_HASH_HEX + 1, hash, sizeof(hash));
}

/* One "name:hex" item of len bytes at item into keys. */
static int
rpc_caller_keys_add(rpc_caller_keys *keys, const char *item, size_t len)
{
	const char *colon = memchr(item, ':', len);
	char name[16];
	size_t name_len = colon ? (size_t)(colon - item) : 0;
	size_t bin_len = 0;
	unsigned caller;
	int i;

	if (!colon || name_len >= sizeof(name))
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CALLER_TOKEN_HASHES items are name:sha256hex");
	memcpy(name, item, name_len);
	name[name_len] = '\0';
	caller = rpc_caller_from_name(name);
	if (!caller)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CALLER_TOKEN_HASHES names an unknown caller %s", name);
	i = rpc_caller_index(caller);
	if (keys->known & caller)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CALLER_TOKEN_HASHES names %s twice", name);
	if (len - name_len - 1 != RPC_TOKEN_HASH_HEX ||
	    sodium_hex2bin(keys->hash[i], RPC_TOKEN_HASH_BYTES, colon + 1, RPC_TOKEN_HASH_HEX, NULL,
			   &bin_len, NULL) != 0 ||
	    bin_len != RPC_TOKEN_HASH_BYTES)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_CALLER_TOKEN_HASHES: the hash of %s is not 64 hex digits",
			       name);
	for (int j = 0; j < RPC_N_CALLERS; j++) {
		if ((keys->known & (1u << j)) &&
		    sodium_memcmp(keys->hash[j], keys->hash[i], RPC_TOKEN_HASH_BYTES) == 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "%s and %s share one token: each process needs its own",
				       rpc_caller_names[j], name);
	}
	keys->known |= caller;
	return 0;
}

int
rpc_caller_keys_parse(rpc_caller_keys *out, const char *spec)
{
	const char *item = spec ? spec : "";
	int rc;

	memset(out, 0, sizeof(*out));
	while (*item) {
		size_t len = strcspn(item, ",");

		if ((rc = rpc_caller_keys_add(out, item, len)) < 0) {
			memset(out, 0, sizeof(*out));
			return rc;
		}
		item += len;
		if (*item == ',')
			item++;
	}
	return 0;
}

unsigned
rpc_caller_keys_check(const rpc_caller_keys *keys, const char *name, const char *token)
{
	unsigned caller = rpc_caller_from_name(name);
	uint8_t hash[RPC_TOKEN_HASH_BYTES];
	int i = rpc_caller_index(caller);

	if (i < 0 || !token || !(keys->known & caller))
		return 0;
	rpc_token_hash(hash, token);
	return sodium_memcmp(hash, keys->hash[i], RPC_TOKEN_HASH_BYTES) == 0 ? caller : 0;
}
