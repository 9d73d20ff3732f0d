/* proposals: a group's sensitive changes as proposals (DESIGN §12) — the
 * facts gathered from the store, decided by governance.c, applied in the
 * caller's transaction. No protobuf. */
#ifndef KOLO_GRP_PROPOSALS_H
#define KOLO_GRP_PROPOSALS_H

#include "store.h"

/* Governance settings, set once at start (main.c, tests). */
typedef struct grp_gov_config {
	int64_t delay_s;  /* KOLO_GOVERNANCE_DELAY_S: the time-lock */
	int64_t tenure_s; /* KOLO_GOVERNANCE_TENURE_S: membership age to vote */
	int worker_interval_ms;
} grp_gov_config;

void grp_gov_configure(const grp_gov_config *config);
const grp_gov_config *grp_gov_current(void);

/* Makes change of group v (read with its lock held) for actor. Before the
 * group is constituted it applies now and is recorded APPLIED; after, it
 * is recorded PENDING with actor's approval, which may already pass it
 * (and apply it, with no time-lock). *out is the proposal (arena). */
KOLO_MUST_CHECK int grp_propose(grp_proposal *out, mem_arena *a, db_conn *c, const grp_view *v,
				const grp_change *change, const char *subject, const char *actor);

/* Takes the group's lock, reads proposal id, and makes the move its facts
 * decide now (pass, apply, reject, expire, or none); *out is the proposal
 * after it. A move another transaction made first is no error. */
KOLO_MUST_CHECK int grp_proposal_step(grp_proposal *out, mem_arena *a, db_conn *c, const char *id);

/* The one mover with its event: p (read with the group's lock held) from
 * its status to `to` (grp_store_proposal_move) and the proposal's event
 * (proposal.passed, applied or rejected) in the same transaction; actor
 * who made the move (NULL: the rules or the worker). */
KOLO_MUST_CHECK int grp_proposal_move(db_conn *c, mem_arena *a, const grp_proposal *p,
				      grp_prop_state to, int64_t delay_s, int passed_by_members,
				      const char *reason, const char *actor);

/* Removes user_id from the group (lock held) with member.removed; a user
 * who is no member is no error and writes nothing. */
KOLO_MUST_CHECK int grp_remove_told(db_conn *c, mem_arena *a, const char *group_id,
				    const char *user_id, const char *actor);

/* The facts of proposal p in its group (lock held) with voters read into
 * the arena. */
KOLO_MUST_CHECK int grp_proposal_facts(grp_gov_facts *out, mem_arena *a, db_conn *c,
				       const grp_proposal *p);

/* Sets the constituted flag once the group has the officers its rule
 * needs (never clears it). */
KOLO_MUST_CHECK int grp_constitute_if_ready(db_conn *c, mem_arena *a, const char *group_id);

/* The worker: one pass over due proposals; start/stop its thread. */
void grp_worker_pass(void);
KOLO_MUST_CHECK int grp_worker_start(void);
void grp_worker_stop(void);

#endif
