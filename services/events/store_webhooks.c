/* Partner webhooks' SQL (store_webhooks.h). */
#include "store_webhooks.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhooks.h"

/* SQL for Unix milliseconds of a timestamptz column (0 for NULL). */
#define WHK_MS(col) "coalesce((extract(epoch FROM " col ") * 1000)::bigint, 0)"
#define WHK_TS(col) "coalesce(" DB_RFC3339(col) ", '')"

/* A PostgreSQL array literal of names that need no quoting (catalogue
 * types and "*", checked by whk_check_events), in the arena. */
static char *
whk_array(mem_arena *a, const char *const *items, size_t n)
{
	size_t cap = 3;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += strlen(items[i]) + 1;
	out = mem_arena_alloc(a, cap);
	if (!out)
		return NULL;
	strcpy(out, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, items[i]);
	}
	strcat(out, "}");
	return out;
}

/* Splits "a,b,c" into the arena. */
static int
whk_split(mem_arena *a, const char *list, char ***out, size_t *n)
{
	size_t count = *list ? 1 : 0, i = 0;
	char *copy = mem_arena_strdup(a, list), *save = NULL;

	for (const char *p = list; *p; p++)
		count += *p == ',';
	*out = mem_arena_alloc(a, sizeof(**out) * (count + 1));
	if (!copy || !*out)
		return err_oom();
	for (char *tok = strtok_r(copy, ",", &save); tok && i < count;
	     tok = strtok_r(NULL, ",", &save))
		(*out)[i++] = tok;
	*n = i;
	return 0;
}

/* --- endpoints ------------------------------------------------------------ */

#define WHK_ENDPOINT_COLUMNS                                                                       \
	"w.id, w.group_id, w.url, array_to_string(w.events, ','), w.status, "                      \
	"w.created_by,"                                                                            \
	" " DB_RFC3339("w.created_at") ", " WHK_TS("w.failing_since") ", " WHK_TS("w.paused_at")

static int
whk_read_endpoint(mem_arena *a, const PGresult *res, int row, whk_endpoint *out)
{
	out->id = db_text(a, res, row, 0);
	out->group_id = db_text(a, res, row, 1);
	out->url = db_text(a, res, row, 2);
	out->status = db_text(a, res, row, 4);
	out->created_by = db_text(a, res, row, 5);
	out->created_at = db_text(a, res, row, 6);
	out->failing_since = db_text(a, res, row, 7);
	out->paused_at = db_text(a, res, row, 8);
	if (!out->id || !out->group_id || !out->url || !out->status || !out->created_by ||
	    !out->created_at || !out->failing_since || !out->paused_at)
		return err_oom();
	return whk_split(a, PQgetvalue(res, row, 3), &out->events, &out->n_events);
}

/* One endpoint from a statement's result, or NOT_FOUND. */
static int
whk_one_endpoint(mem_arena *a, PGresult *res, whk_endpoint *out)
{
	int rc = PQntuples(res) == 1 ? whk_read_endpoint(a, res, 0, out)
				     : err_set(ERR_NOT_FOUND, "webhook_not_found",
					       "no such webhook in this group");

	PQclear(res);
	return rc;
}

/* Serialises the creations of one group's endpoints (the cap). */
static int
whk_lock_group(db_conn *c, const char *group_id)
{
	return db_run(c,
		      "SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || "
		      "$1, 0))",
		      1, &group_id);
}

int
whk_store_create(whk_endpoint *out, mem_arena *a, db_conn *c, const char *group_id, const char *url,
		 char *const *events, size_t n_events, const unsigned char *sealed, size_t n_sealed,
		 const char *created_by)
{
	char *hex = mem_arena_alloc(a, n_sealed * 2 + 3);
	char *list = whk_array(a, (const char *const *)events, n_events);
	const char *params[5] = {group_id, url, list, hex, created_by};
	PGresult *res = NULL;
	int rc;

	if (!hex || !list)
		return err_oom();
	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, n_sealed * 2 + 1, sealed, n_sealed);
	if ((rc = whk_lock_group(c, group_id)) < 0)
		return rc;
	rc = db_exec(c, &res,
		     "SELECT count(*) FROM webhook_endpoint WHERE group_id = "
		     "$1::uuid"
		     " AND status <> 'deleted'",
		     1, params);
	if (rc < 0)
		return rc;
	rc = db_int64(res, 0, 0) >= WHK_MAX_PER_GROUP
		     ? err_set(ERR_RESOURCE_EXHAUSTED, "too_many_webhooks",
			       "a group has at most %d webhooks", WHK_MAX_PER_GROUP)
		     : 0;
	PQclear(res);
	if (rc < 0)
		return rc;
	rc = db_exec(c, &res,
		     "INSERT INTO webhook_endpoint AS w (group_id, url, events, "
		     "secret_sealed,"
		     " created_by, after_seq) VALUES ($1::uuid, $2, $3::text[], "
		     "$4::bytea,"
		     " $5::uuid, coalesce((SELECT last_seq FROM events_group_seq"
		     " WHERE group_id = $1::uuid), 0)) "
		     "RETURNING " WHK_ENDPOINT_COLUMNS,
		     5, params);
	return rc < 0 ? rc : whk_one_endpoint(a, res, out);
}

int
whk_store_sealed(unsigned char **out_sealed, size_t *out_n_sealed, mem_arena *a, db_conn *c,
		 const char *id)
{
	PGresult *res = NULL;
	const char *hex;
	size_t len;
	int rc = db_exec(c, &res,
			 "SELECT encode(secret_sealed, 'hex') FROM webhook_endpoint"
			 " WHERE id = $1::uuid",
			 1, &id);

	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_set(ERR_NOT_FOUND, "webhook_not_found", "no such webhook");
	}
	hex = PQgetvalue(res, 0, 0);
	len = strlen(hex);
	*out_sealed = mem_arena_alloc(a, len / 2 + 1);
	if (!*out_sealed)
		rc = err_oom();
	else if (sodium_hex2bin(*out_sealed, len / 2 + 1, hex, len, NULL, out_n_sealed, NULL) != 0)
		rc = err_set(ERR_INTERNAL, "secret_unreadable", "a sealed secret is malformed");
	PQclear(res);
	return rc;
}

int
whk_store_list(whk_endpoint **out, size_t *out_n, mem_arena *a, db_conn *c, const char *group_id)
{
	int rows = 0;
	int rc = DB_QUERY_ROWS(out, &rows, a, c,
			       "SELECT " WHK_ENDPOINT_COLUMNS " FROM webhook_endpoint w"
			       " WHERE w.group_id = $1::uuid AND w.status <> 'deleted'"
			       " ORDER BY w.created_at, w.id",
			       1, &group_id, whk_read_endpoint);

	*out_n = (size_t)rows;
	return rc;
}

int
whk_store_get(whk_endpoint *out, mem_arena *a, db_conn *c, const char *group_id, const char *id)
{
	const char *params[2] = {group_id, id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT " WHK_ENDPOINT_COLUMNS " FROM webhook_endpoint w"
			 " WHERE w.group_id = $1::uuid AND w.id = $2::uuid"
			 " AND w.status <> 'deleted'",
			 2, params);

	return rc < 0 ? rc : whk_one_endpoint(a, res, out);
}

int
whk_store_delete(db_conn *c, const char *group_id, const char *id)
{
	const char *params[2] = {group_id, id};
	int n = 0;
	int rc = db_run_count(&n, c,
			      "UPDATE webhook_endpoint SET status = 'deleted', "
			      "deleted_at = now(),"
			      " updated_at = now() WHERE group_id = $1::uuid AND id "
			      "= $2::uuid"
			      " AND status <> 'deleted'",
			      2, params);

	if (rc < 0)
		return rc;
	return n == 1 ? 0
		      : err_set(ERR_NOT_FOUND, "webhook_not_found",
				"no such webhook in this group");
}

int
whk_store_resume(whk_endpoint *out, mem_arena *a, db_conn *c, const char *group_id, const char *id)
{
	const char *params[2] = {group_id, id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "UPDATE webhook_endpoint w SET status = 'active', "
			 "failing_since = NULL,"
			 " paused_at = NULL, updated_at = now() WHERE w.group_id = "
			 "$1::uuid"
			 " AND w.id = $2::uuid AND w.status = 'paused' RETURNING w.id",
			 2, params);

	if (rc < 0)
		return rc;
	if (db_affected(res) == 1)
		rc = db_run(c,
			    "UPDATE webhook_delivery SET next_attempt_at = now(),"
			    " first_attempt_at = NULL WHERE endpoint_id = $1::uuid"
			    " AND status = 'pending'",
			    1, &id);
	PQclear(res);
	return rc < 0 ? rc : whk_store_get(out, a, c, group_id, id);
}

/* --- deliveries ----------------------------------------------------------- */

#define WHK_DELIVERY_COLUMNS                                                                       \
	"d.id, d.endpoint_id, d.event_id, e.type, d.status, d.group_seq, "                         \
	"d.attempts,"                                                                              \
	" coalesce(d.last_status_code, 0), CASE WHEN d.status = 'pending' "                        \
	"THEN " DB_RFC3339(                                                                        \
		"d.next_attempt_at") " ELSE '' END, coalesce(d.last_error, "                       \
				     "''),"                                                        \
				     " coalesce(d.last_response, "                                 \
				     "''), " WHK_TS(                                               \
					     "d.delivered_at") ","                                 \
							       " " DB_RFC3339(                     \
								       "d."                        \
								       "creat"                     \
								       "ed_"                       \
								       "at") ", "                  \
									     "d.created_at::text"

static int
whk_read_delivery(mem_arena *a, const PGresult *res, int row, whk_delivery_row *out)
{
	out->id = db_text(a, res, row, 0);
	out->endpoint_id = db_text(a, res, row, 1);
	out->event_id = db_text(a, res, row, 2);
	out->event_type = db_text(a, res, row, 3);
	out->status = db_text(a, res, row, 4);
	out->seq = db_int64(res, row, 5);
	out->attempts = (int)db_int64(res, row, 6);
	out->last_status_code = (int)db_int64(res, row, 7);
	out->next_attempt_at = db_text(a, res, row, 8);
	out->last_error = db_text(a, res, row, 9);
	out->last_response = db_text(a, res, row, 10);
	out->delivered_at = db_text(a, res, row, 11);
	out->created_at = db_text(a, res, row, 12);
	out->page_key = db_text(a, res, row, 13);
	if (!out->id || !out->endpoint_id || !out->event_id || !out->event_type || !out->status ||
	    !out->next_attempt_at || !out->last_error || !out->last_response ||
	    !out->delivered_at || !out->created_at || !out->page_key)
		return err_oom();
	return 0;
}

int
whk_store_deliveries(whk_delivery_row **out, int *out_n, mem_arena *a, db_conn *c,
		     const char *endpoint_id, const char *status, const page_request *page)
{
	char limit[DB_I64_TEXT];
	const char *params[5] = {endpoint_id, status, page->key, page->after_id,
				 db_i64(limit, page_fetch_rows(page))};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " WHK_DELIVERY_COLUMNS " FROM webhook_delivery d"
			     " JOIN events_event e ON e.id = d.event_id"
			     " WHERE d.endpoint_id = $1::uuid AND ($2 = '' OR d.status = $2)"
			     " AND ($3::timestamptz IS NULL OR (d.created_at, d.id) <"
			     " ($3::timestamptz, $4::uuid))"
			     " ORDER BY d.created_at DESC, d.id DESC LIMIT $5::int",
			     5, params, whk_read_delivery);
}

int
whk_store_redeliver(whk_delivery_row *out, mem_arena *a, db_conn *c, const char *endpoint_id,
		    const char *delivery_id)
{
	const char *params[2] = {endpoint_id, delivery_id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "WITH old AS (SELECT id, status FROM webhook_delivery"
			 " WHERE endpoint_id = $1::uuid AND id = $2::uuid FOR UPDATE),"
			 " upd AS (UPDATE webhook_delivery d SET status = 'pending',"
			 " next_attempt_at = now(), first_attempt_at = NULL, "
			 "lease_until = NULL"
			 " FROM old WHERE d.id = old.id AND old.status = 'dead' "
			 "RETURNING d.id)"
			 " SELECT old.status, (SELECT count(*) FROM upd) FROM old",
			 2, params);

	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = err_set(ERR_NOT_FOUND, "delivery_not_found",
			     "no such delivery of this webhook");
	else if (db_int64(res, 0, 1) != 1)
		rc = err_set(ERR_FAILED_PRECONDITION, "delivery_not_dead",
			     "only a dead delivery is sent again (this one is %s)",
			     PQgetvalue(res, 0, 0));
	PQclear(res);
	if (rc < 0)
		return rc;
	rc = db_exec(c, &res,
		     "SELECT " WHK_DELIVERY_COLUMNS " FROM webhook_delivery d"
		     " JOIN events_event e ON e.id = d.event_id WHERE d.id = "
		     "$2::uuid"
		     " AND d.endpoint_id = $1::uuid",
		     2, params);
	if (rc < 0)
		return rc;
	rc = PQntuples(res) == 1 ? whk_read_delivery(a, res, 0, out)
				 : err_set(ERR_NOT_FOUND, "delivery_not_found", "no such delivery");
	PQclear(res);
	return rc;
}

/* --- the worker ----------------------------------------------------------- */

int
whk_store_enqueue(int *out_added, db_conn *c, const char *const *types, size_t n)
{
	mem_arena *a = mem_arena_new(4096);
	const char *params[1] = {whk_array(a, types, n)};
	PGresult *res = NULL;
	int rc = params[0] ? 0 : err_oom();

	/* Endpoints another worker is moving are left to it (SKIP LOCKED);
	 * group_seq is given under the group's row lock, so no event of a
	 * group commits with a number below one already seen. */
	if (rc == 0)
		rc = db_exec(c, &res,
			     "WITH eps AS (SELECT id, group_id, events, after_seq"
			     " FROM webhook_endpoint WHERE status IN ('active', "
			     "'paused')"
			     " FOR UPDATE SKIP LOCKED),"
			     " news AS (SELECT eps.id AS endpoint_id, e.id AS "
			     "event_id,"
			     " e.group_seq, (e.type = ANY ($1::text[]) AND (e.type "
			     "= ANY (eps.events)"
			     " OR '*' = ANY (eps.events))) AS wanted FROM eps JOIN "
			     "events_event e"
			     " ON e.group_id = eps.group_id AND e.group_seq > "
			     "eps.after_seq),"
			     " ins AS (INSERT INTO webhook_delivery (endpoint_id, "
			     "event_id, group_seq)"
			     " SELECT endpoint_id, event_id, group_seq FROM news "
			     "WHERE wanted"
			     " ON CONFLICT (endpoint_id, event_id) DO NOTHING "
			     "RETURNING 1),"
			     " moved AS (UPDATE webhook_endpoint w SET after_seq = "
			     "m.top FROM"
			     " (SELECT endpoint_id, max(group_seq) AS top FROM news"
			     " GROUP BY endpoint_id) m WHERE w.id = m.endpoint_id "
			     "RETURNING 1)"
			     " SELECT (SELECT count(*) FROM ins), (SELECT count(*) "
			     "FROM moved)",
			     1, params);
	mem_arena_free(a);
	if (rc < 0)
		return rc;
	*out_added = (int)db_int64(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
whk_read_claim(mem_arena *a, const PGresult *res, int row, whk_claim *out)
{
	const char *hex = PQgetvalue(res, row, 3);
	size_t len = strlen(hex), got = 0;

	out->id = db_text(a, res, row, 0);
	out->endpoint_id = db_text(a, res, row, 1);
	out->url = db_text(a, res, row, 2);
	out->attempts = (int)db_int64(res, row, 4);
	out->first_at_ms = db_int64(res, row, 5);
	out->event_id = db_text(a, res, row, 6);
	out->event_type = db_text(a, res, row, 7);
	out->group_id = db_text(a, res, row, 8);
	out->occurred_at = db_text(a, res, row, 9);
	out->data_json = db_text(a, res, row, 10);
	out->seq = db_int64(res, row, 11);
	out->sealed = mem_arena_alloc(a, len / 2 + 1);
	if (!out->id || !out->endpoint_id || !out->url || !out->event_id || !out->event_type ||
	    !out->group_id || !out->occurred_at || !out->data_json || !out->sealed)
		return err_oom();
	/* bytea prints as \x<hex>. */
	if (len < 2 ||
	    sodium_hex2bin(out->sealed, len / 2, hex + 2, len - 2, NULL, &got, NULL) != 0)
		return err_set(ERR_INTERNAL, "secret_unreadable", "a sealed secret is malformed");
	out->n_sealed = got;
	return 0;
}

int
whk_store_claim(whk_claim **out, int *out_n, mem_arena *a, db_conn *c, int limit, int64_t lease_ms)
{
	char lim[DB_I64_TEXT], lease[DB_I64_TEXT];
	const char *params[2] = {db_i64(lim, limit), db_i64(lease, lease_ms)};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "WITH due AS (SELECT d.id FROM webhook_delivery d"
			     " JOIN webhook_endpoint w ON w.id = d.endpoint_id"
			     " WHERE d.status = 'pending' AND w.status = 'active'"
			     " AND d.next_attempt_at <= now()"
			     " AND (d.lease_until IS NULL OR d.lease_until < now())"
			     " AND NOT EXISTS (SELECT 1 FROM webhook_delivery p"
			     " WHERE p.endpoint_id = d.endpoint_id AND p.status = 'pending'"
			     " AND p.group_seq < d.group_seq)"
			     " ORDER BY d.next_attempt_at LIMIT $1::int FOR UPDATE OF d "
			     "SKIP LOCKED)"
			     " UPDATE webhook_delivery d SET attempts = d.attempts + 1,"
			     " lease_until = now() + $2::bigint * interval '1 millisecond',"
			     " first_attempt_at = coalesce(d.first_attempt_at, now()),"
			     " last_attempt_at = now()"
			     " FROM due, webhook_endpoint w, events_event e"
			     " WHERE d.id = due.id AND w.id = d.endpoint_id AND e.id = "
			     "d.event_id"
			     " RETURNING d.id, d.endpoint_id, w.url, w.secret_sealed, "
			     "d.attempts, " WHK_MS("d.first_attempt_at") ", e.id, e.type, "
									 "e.group_id::text,"
									 " " DB_RFC3339("e."
											"occurred_"
											"at") ", "
											      "e."
											      "data"
											      "::"
											      "text"
											      ", "
											      "d."
											      "grou"
											      "p_"
											      "seq",
			     2, params, whk_read_claim);
}

int
whk_store_release(db_conn *c, const whk_claim *claim)
{
	char attempts[DB_I64_TEXT];
	const char *params[2] = {claim->id, db_i64(attempts, claim->attempts)};

	return db_run(c,
		      "UPDATE webhook_delivery SET attempts = attempts - 1,"
		      " lease_until = NULL, first_attempt_at = CASE WHEN"
		      " attempts = 1 THEN NULL ELSE first_attempt_at END"
		      " WHERE id = $1::uuid AND attempts = $2::int"
		      " AND status = 'pending'",
		      2, params);
}

int
whk_store_lock_endpoint(const char **out_status, int64_t *out_failing_since_ms, mem_arena *a,
			db_conn *c, const char *id)
{
	PGresult *res = NULL;
	int rc =
		db_exec(c, &res,
			"SELECT status, " WHK_MS("failing_since") " FROM webhook_endpoint"
								  " WHERE id = $1::uuid FOR UPDATE",
			1, &id);

	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_set(ERR_NOT_FOUND, "webhook_not_found", "no such webhook");
	}
	*out_status = db_text(a, res, 0, 0);
	*out_failing_since_ms = db_int64(res, 0, 1);
	PQclear(res);
	return *out_status ? 0 : err_oom();
}

int
whk_store_attempted(int *out_applied, db_conn *c, const whk_claim *claim, const whk_result *r)
{
	char attempts[DB_I64_TEXT], next_us[DB_I64_TEXT], now_us[DB_I64_TEXT], code[DB_I64_TEXT];
	const char *params[8] = {claim->id,
				 db_i64(attempts, claim->attempts),
				 r->state,
				 db_i64(next_us, r->next_at_ms * 1000),
				 db_i64(now_us, r->now_ms * 1000),
				 db_i64(code, r->status_code),
				 r->error,
				 r->response};
	int n = 0;
	int rc = db_run_count(
		&n, c,
		"UPDATE webhook_delivery SET status = $3, lease_until = NULL,"
		" next_attempt_at = CASE WHEN $3 = 'pending' THEN " DB_FROM_US(
			"$4") " ELSE next_attempt_at END,"
			      " delivered_at = CASE WHEN $3 = 'delivered' "
			      "THEN " DB_FROM_US("$5") " END, last_status_code = "
						       "nullif($6::int, 0),"
						       " last_error = nullif($7, ''), "
						       "last_response = nullif($8, '')"
						       " WHERE id = $1::uuid AND attempts "
						       "= $2::int AND status = 'pending'",
		8, params);

	*out_applied = n == 1;
	return rc;
}

int
whk_store_failing(db_conn *c, const char *id, int64_t failing_since_ms)
{
	char us[DB_I64_TEXT];
	const char *params[2] = {id, db_i64(us, failing_since_ms * 1000)};

	return db_run(c,
		      "UPDATE webhook_endpoint SET failing_since = CASE WHEN "
		      "$2::bigint = 0"
		      " THEN NULL ELSE " DB_FROM_US("$2") " END WHERE id = $1::uuid",
		      2, params);
}

int
whk_store_pause(int *out_paused, db_conn *c, const char *id, int64_t now_ms)
{
	char us[DB_I64_TEXT];
	const char *params[2] = {id, db_i64(us, now_ms * 1000)};
	int n = 0;
	int rc = db_run_count(&n, c,
			      "UPDATE webhook_endpoint SET status = 'paused', paused_at "
			      "= " DB_FROM_US("$2") ", updated_at = now() WHERE id = $1::uuid"
						    " AND status = 'active'",
			      2, params);

	*out_paused = n == 1;
	return rc;
}

int
whk_store_new_id(const char **out, mem_arena *a, db_conn *c)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, "SELECT gen_random_uuid()::text", 0, NULL);

	if (rc < 0)
		return rc;
	*out = db_text(a, res, 0, 0);
	PQclear(res);
	return *out ? 0 : err_oom();
}

int
whk_store_delivery_queue(void *arg, int64_t *depth, double *oldest_age_s)
{
	(void)arg;
	return db_measure_queue("SELECT count(*), greatest(0, extract(epoch FROM now() - "
				"min(next_attempt_at)))::float8"
				" FROM webhook_delivery WHERE status = 'pending'",
				depth, oldest_age_s);
}
