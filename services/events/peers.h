/* peers: kolo-events' calls to the five services, from background work.
 *
 * ReadOutbox and AckOutbox (every service) and GetUserContacts (identity)
 * are reached through the method descriptors of the services' protos, by
 * their fields' names of the contract (docs/decisions.md, "kolo-events"),
 * so one code path serves every source. */
#ifndef KOLO_EVS_PEERS_H
#define KOLO_EVS_PEERS_H

#include <stddef.h>

#include "evs.h"
#include "kolo/common/v1/common.pb-c.h"
#include "mem/mem.h"
#include "svc/peers.h"

/* The row of the peers table source is. */
svc_peer evs_source_peer(evs_source source);

/* The gRPC service of source (static). */
const ProtobufCServiceDescriptor *evs_peer_service(evs_source source);

/* Up to limit of source's oldest outbox events, in the arena.
 * ERR_UNIMPLEMENTED when source's proto has no ReadOutbox. */
KOLO_MUST_CHECK int evs_peer_read_outbox(Kolo__Common__V1__OutboxEvent ***out, size_t *out_n,
					 mem_arena *a, evs_source source, int limit);

/* Deletes the events of ids at source (they are stored here). */
KOLO_MUST_CHECK int evs_peer_ack_outbox(evs_source source, char *const *ids, size_t n,
					mem_arena *a);

/* Every member of group_id (all pages), in the arena. */
KOLO_MUST_CHECK int evs_peer_members(evs_member **out, size_t *out_n, mem_arena *a,
				     const char *group_id);

/* The name of group_id (groups GetGroup as the events caller), in the
 * arena. ERR_NOT_FOUND when the group is gone. */
KOLO_MUST_CHECK int evs_peer_group_name(const char **out, mem_arena *a, const char *group_id);

/* What identity knows of how to reach a user. */
typedef struct evs_contact {
	const char *email; /* "" when none */
	int email_verified;
	const char *phone; /* E.164 "+234..." or "" */
} evs_contact;

/* The most ids one GetUserContacts takes. */
#define EVS_CONTACTS_BATCH 500

/* The contacts of users (n, any number: asked in batches), out[i] for
 * users[i]; a user identity does not know gets empty fields. */
KOLO_MUST_CHECK int evs_peer_contacts(evs_contact *out, mem_arena *a, char *const *users, size_t n);

#endif
