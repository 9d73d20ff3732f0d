/* kolo-events' calls to the services. */
#include "peers.h"

#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "svc/call.h"

/* --- reaching fields by name ----------------------------------------------- */

svc_peer
evs_source_peer(evs_source source)
{
	static const svc_peer peers[EVS_SRC_COUNT] = {
		[EVS_SRC_IDENTITY] = SVC_PEER_IDENTITY,
		[EVS_SRC_GROUPS] = SVC_PEER_GROUPS,
		[EVS_SRC_LEDGER] = SVC_PEER_LEDGER,
		[EVS_SRC_WITHDRAWALS] = SVC_PEER_WITHDRAWALS,
		[EVS_SRC_PAYMENTS] = SVC_PEER_PAYMENTS,
	};

	return peers[source];
}

const ProtobufCServiceDescriptor *
evs_peer_service(evs_source source)
{
	return svc_peer_def_of(evs_source_peer(source))->service;
}

static const ProtobufCMethodDescriptor *
evs_method(evs_source source, const char *name)
{
	return protobuf_c_service_descriptor_get_method_by_name(evs_peer_service(source), name);
}

static const ProtobufCFieldDescriptor *
evs_field(const ProtobufCMessage *m, const char *name, ProtobufCType type, int repeated)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	if (!f || f->type != type || (f->label == PROTOBUF_C_LABEL_REPEATED) != !!repeated)
		return NULL;
	return f;
}

static void *
evs_at(const ProtobufCMessage *m, size_t offset)
{
	return (char *)m + offset;
}

static int
evs_contract(const char *what)
{
	return err_set(ERR_UNIMPLEMENTED, "peer_contract",
		       "a peer's proto lacks %s of kolo-events' contract", what);
}

/* A fresh request of method's input type, in the arena. */
static ProtobufCMessage *
evs_request(const ProtobufCMethodDescriptor *m, mem_arena *a)
{
	ProtobufCMessage *req = mem_arena_alloc(a, m->input->sizeof_message);

	if (req)
		protobuf_c_message_init(m->input, req);
	return req;
}

static int
evs_peer_call(evs_source source, const char *method, const ProtobufCMessage *req,
	      ProtobufCMessage **resp, mem_arena *a)
{
	return svc_call_background(evs_current()->sources[source], method, req, resp, a,
				   SVC_BACKGROUND_TIMEOUT_MS, SVC_CALL_INTERNAL);
}

/* Sets the repeated string field name of req to ids. */
static int
evs_set_strings(ProtobufCMessage *req, const char *name, char *const *ids, size_t n)
{
	const ProtobufCFieldDescriptor *f = evs_field(req, name, PROTOBUF_C_TYPE_STRING, 1);

	if (!f)
		return evs_contract(name);
	*(size_t *)evs_at(req, f->quantifier_offset) = n;
	*(char *const **)evs_at(req, f->offset) = ids;
	return 0;
}

/* --- outboxes ---------------------------------------------------------------- */

int
evs_peer_read_outbox(Kolo__Common__V1__OutboxEvent ***out, size_t *out_n, mem_arena *a,
		     evs_source source, int limit)
{
	const ProtobufCMethodDescriptor *m = evs_method(source, "ReadOutbox");
	ProtobufCMessage *req = m ? evs_request(m, a) : NULL, *resp = NULL;
	const ProtobufCFieldDescriptor *f =
		req ? evs_field(req, "limit", PROTOBUF_C_TYPE_INT32, 0) : NULL;
	int rc;

	if (!f)
		return evs_contract("ReadOutbox(limit)");
	*(int32_t *)evs_at(req, f->offset) = limit;
	if ((rc = evs_peer_call(source, "ReadOutbox", req, &resp, a)) < 0)
		return rc;
	f = evs_field(resp, "events", PROTOBUF_C_TYPE_MESSAGE, 1);
	if (!f || f->descriptor != &kolo__common__v1__outbox_event__descriptor)
		return evs_contract("ReadOutbox's events");
	*out_n = *(size_t *)evs_at(resp, f->quantifier_offset);
	*out = *(Kolo__Common__V1__OutboxEvent ***)evs_at(resp, f->offset);
	return 0;
}

int
evs_peer_ack_outbox(evs_source source, char *const *ids, size_t n, mem_arena *a)
{
	const ProtobufCMethodDescriptor *m = evs_method(source, "AckOutbox");
	ProtobufCMessage *req = m ? evs_request(m, a) : NULL, *resp = NULL;
	int rc = req ? evs_set_strings(req, "ids", ids, n) : evs_contract("AckOutbox");

	return rc < 0 ? rc : evs_peer_call(source, "AckOutbox", req, &resp, a);
}

/* --- members ----------------------------------------------------------------- */

static int
evs_is_officer(Kolo__Common__V1__Role role)
{
	return role == KOLO__COMMON__V1__ROLE__ROLE_OWNER ||
	       role == KOLO__COMMON__V1__ROLE__ROLE_TREASURER;
}

/* Appends a page of members to *out (cap grown in the arena). */
static int
evs_members_add(mem_arena *a, const Kolo__Groups__V1__ListMembersResponse *page, evs_member **out,
		size_t *n, size_t *cap)
{
	if (*n + page->n_members > *cap) {
		size_t grown = 2 * (*n + page->n_members) + 16;
		evs_member *more = mem_arena_alloc(a, sizeof(*more) * grown);

		if (!more)
			return err_oom();
		if (*n)
			memcpy(more, *out, sizeof(*more) * *n);
		*out = more;
		*cap = grown;
	}
	for (size_t i = 0; i < page->n_members; i++)
		(*out)[(*n)++] = (evs_member){.user_id = page->members[i]->user_id,
					      .is_officer = evs_is_officer(page->members[i]->role)};
	return 0;
}

int
evs_peer_members(evs_member **out, size_t *out_n, mem_arena *a, const char *group_id)
{
	Kolo__Groups__V1__ListMembersRequest req = KOLO__GROUPS__V1__LIST_MEMBERS_REQUEST__INIT;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*out_n = 0;
	req.group_id = (char *)group_id;
	req.page_size = 200;
	do {
		Kolo__Groups__V1__ListMembersResponse *page = NULL;

		rc = evs_peer_call(EVS_SRC_GROUPS, "ListMembers", &req.base,
				   (ProtobufCMessage **)&page, a);
		if (rc == 0)
			rc = evs_members_add(a, page, out, out_n, &cap);
		req.page_token = rc == 0 ? page->next_page_token : "";
	} while (rc == 0 && req.page_token[0]);
	return rc;
}

int
evs_peer_group_name(const char **out, mem_arena *a, const char *group_id)
{
	Kolo__Groups__V1__GetGroupRequest req = KOLO__GROUPS__V1__GET_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__GetGroupResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group_id;
	rc = evs_peer_call(EVS_SRC_GROUPS, "GetGroup", &req.base, (ProtobufCMessage **)&resp, a);
	if (rc < 0)
		return rc;
	*out = resp->group && resp->group->name ? resp->group->name : "";
	return 0;
}

/* --- contacts ---------------------------------------------------------------- */

static const char *
evs_text_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f = evs_field(m, name, PROTOBUF_C_TYPE_STRING, 0);
	const char *v = f ? *(const char **)evs_at(m, f->offset) : NULL;

	return v ? v : "";
}

static int
evs_bool_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f = evs_field(m, name, PROTOBUF_C_TYPE_BOOL, 0);

	return f ? *(protobuf_c_boolean *)evs_at(m, f->offset) != 0 : 0;
}

/* The contacts of one batch into out (users and out aligned). */
static void
evs_contacts_fill(const ProtobufCMessage *resp, const ProtobufCFieldDescriptor *f,
		  char *const *users, size_t n, evs_contact *out)
{
	size_t got = *(size_t *)evs_at(resp, f->quantifier_offset);
	ProtobufCMessage **contacts = *(ProtobufCMessage ***)evs_at(resp, f->offset);

	for (size_t i = 0; i < got; i++) {
		const char *id = evs_text_field(contacts[i], "user_id");

		for (size_t j = 0; j < n; j++) {
			if (strcmp(users[j], id) != 0)
				continue;
			out[j].email = evs_text_field(contacts[i], "email");
			out[j].email_verified = evs_bool_field(contacts[i], "email_verified");
			out[j].phone = evs_text_field(contacts[i], "phone");
		}
	}
}

static int
evs_contacts_batch(char *const *users, size_t n, mem_arena *a, evs_contact *out)
{
	const ProtobufCMethodDescriptor *m = evs_method(EVS_SRC_IDENTITY, "GetUserContacts");
	ProtobufCMessage *req = m ? evs_request(m, a) : NULL, *resp = NULL;
	const ProtobufCFieldDescriptor *f;
	int rc = req ? evs_set_strings(req, "user_ids", users, n) : evs_contract("GetUserContacts");

	if (rc == 0)
		rc = evs_peer_call(EVS_SRC_IDENTITY, "GetUserContacts", req, &resp, a);
	if (rc < 0)
		return rc;
	f = evs_field(resp, "contacts", PROTOBUF_C_TYPE_MESSAGE, 1);
	if (!f)
		return evs_contract("GetUserContacts' contacts");
	evs_contacts_fill(resp, f, users, n, out);
	return 0;
}

int
evs_peer_contacts(evs_contact *out, mem_arena *a, char *const *users, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = (evs_contact){.email = "", .phone = ""};
	for (size_t at = 0; rc == 0 && at < n; at += EVS_CONTACTS_BATCH) {
		size_t batch = n - at < EVS_CONTACTS_BATCH ? n - at : EVS_CONTACTS_BATCH;

		rc = evs_contacts_batch(users + at, batch, a, out + at);
	}
	return rc;
}
