/* store_webhooks: every SQL statement of partner webhooks (migration
 * 0027); with store.c the only libpq users of kolo-events. */
#ifndef KOLO_EVS_STORE_WEBHOOKS_H
#define KOLO_EVS_STORE_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "mem/mem.h"
#include "page/page.h"

/* An endpoint as stored (texts "" when unset; in the arena). */
typedef struct whk_endpoint {
	const char *id, *group_id, *url, *status, *created_by;
	const char *created_at, *failing_since, *paused_at; /* RFC 3339 */
	char **events;
	size_t n_events;
} whk_endpoint;

/* A delivery as the deliveries list shows it. */
typedef struct whk_delivery_row {
	const char *id, *endpoint_id, *event_id, *event_type, *status;
	int64_t seq;
	int attempts;
	int last_status_code;
	const char *next_attempt_at, *last_error, *last_response;
	const char *delivered_at, *created_at;
	const char *page_key;
} whk_delivery_row;

/* --- endpoints (officers' RPCs) --------------------------------------------
 */

/* Adds an endpoint of group_id (inside a tx): it gets the group's events
 * stored from now on. ERR_RESOURCE_EXHAUSTED "too_many_webhooks" when the
 * group has WHK_MAX_PER_GROUP already. sealed: whk_seal's bytes. */
KOLO_MUST_CHECK int whk_store_create(whk_endpoint *out, mem_arena *a, db_conn *c,
				     const char *group_id, const char *url, char *const *events,
				     size_t n_events, const unsigned char *sealed, size_t n_sealed,
				     const char *created_by);

/* The sealed secret of endpoint id (any status), in the arena: a
 * replayed CreateWebhook shows it again. */
KOLO_MUST_CHECK int whk_store_sealed(unsigned char **out_sealed, size_t *out_n_sealed, mem_arena *a,
				     db_conn *c, const char *id);

/* The group's endpoints that are not deleted, oldest first. */
KOLO_MUST_CHECK int whk_store_list(whk_endpoint **out, size_t *out_n, mem_arena *a, db_conn *c,
				   const char *group_id);

/* The endpoint id of group_id, not deleted. ERR_NOT_FOUND
 * "webhook_not_found" otherwise. */
KOLO_MUST_CHECK int whk_store_get(whk_endpoint *out, mem_arena *a, db_conn *c, const char *group_id,
				  const char *id);

/* Marks the endpoint deleted (nothing is sent to it again).
 * ERR_NOT_FOUND "webhook_not_found". */
KOLO_MUST_CHECK int whk_store_delete(db_conn *c, const char *group_id, const char *id);

/* A paused endpoint active again, its pending deliveries due now with a
 * new window (inside a tx). ERR_NOT_FOUND "webhook_not_found"; an active
 * one is returned as it is. */
KOLO_MUST_CHECK int whk_store_resume(whk_endpoint *out, mem_arena *a, db_conn *c,
				     const char *group_id, const char *id);

/* The endpoint's deliveries of status ("" for all), newest first, a page
 * (limit + 1 rows asked). */
KOLO_MUST_CHECK int whk_store_deliveries(whk_delivery_row **out, int *out_n, mem_arena *a,
					 db_conn *c, const char *endpoint_id, const char *status,
					 const page_request *page);

/* A dead delivery of the endpoint pending again, due now, with a new
 * window. ERR_NOT_FOUND "delivery_not_found", ERR_FAILED_PRECONDITION
 * "delivery_not_dead". */
KOLO_MUST_CHECK int whk_store_redeliver(whk_delivery_row *out, mem_arena *a, db_conn *c,
					const char *endpoint_id, const char *delivery_id);

/* --- the worker ------------------------------------------------------------
 */

/* Turns the events stored since each live endpoint last looked into its
 * deliveries (types it chose among the partner-visible types, n of them)
 * and moves its mark; *out_added gets how many deliveries were made. */
KOLO_MUST_CHECK int whk_store_enqueue(int *out_added, db_conn *c, const char *const *types,
				      size_t n);

/* A delivery taken by a worker, with what sending it needs. */
typedef struct whk_claim {
	const char *id, *endpoint_id, *url;
	unsigned char *sealed; /* in the arena */
	size_t n_sealed;
	int attempts; /* counting this one */
	int64_t first_at_ms;
	const char *event_id, *event_type, *group_id, *occurred_at, *data_json;
	int64_t seq;
} whk_claim;

/* Takes up to limit due deliveries of active endpoints for lease_ms, each
 * the earliest pending one of its endpoint (so an endpoint's events go
 * out in order), counting an attempt on each. */
KOLO_MUST_CHECK int whk_store_claim(whk_claim **out, int *out_n, mem_arena *a, db_conn *c,
				    int limit, int64_t lease_ms);

/* The endpoint's status and failing_since (Unix ms, 0: not failing),
 * locked till the transaction ends. */
KOLO_MUST_CHECK int whk_store_lock_endpoint(const char **out_status, int64_t *out_failing_since_ms,
					    mem_arena *a, db_conn *c, const char *id);

/* What one attempt of a claim ended in (all inside one tx). */
typedef struct whk_result {
	const char *state; /* "pending", "delivered", "dead" */
	int64_t next_at_ms;
	int64_t now_ms;
	long status_code; /* 0: no answer */
	const char *error, *response;
} whk_result;

/* Gives a claim back unsent (its lease too short for a send): the attempt
 * it counted is taken back and any worker may claim it now. Nothing when
 * the claim was lost already. */
KOLO_MUST_CHECK int whk_store_release(db_conn *c, const whk_claim *claim);

/* Records the attempt unless the claim was lost (another worker took the
 * delivery after the lease ran out: *out_applied 0). */
KOLO_MUST_CHECK int whk_store_attempted(int *out_applied, db_conn *c, const whk_claim *claim,
					const whk_result *r);

/* Sets the endpoint's failing_since (0: not failing). */
KOLO_MUST_CHECK int whk_store_failing(db_conn *c, const char *id, int64_t failing_since_ms);

/* Pauses an active endpoint at now_ms; *out_paused 1 when it was active. */
KOLO_MUST_CHECK int whk_store_pause(int *out_paused, db_conn *c, const char *id, int64_t now_ms);

/* A new random UUID (PostgreSQL's), in the arena. */
KOLO_MUST_CHECK int whk_store_new_id(const char **out, mem_arena *a, db_conn *c);

/* For the gauges (metrics_queue): pending webhook deliveries and the time
 * the longest-due one has waited past its next attempt. */
int whk_store_delivery_queue(void *arg, int64_t *depth, double *oldest_age_s);

#endif
