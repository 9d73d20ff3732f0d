/* kolo-events' SQL. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"

/* --- ingest ------------------------------------------------------------------ */

/* An arbitrary constant naming the ingest lock ("kolo" 0026). */
#define EVS_INGEST_LOCK "7695845530017830950"

int
evs_store_lead(int *out_leader, db_conn *c)
{
	static const char *params[1] = {EVS_INGEST_LOCK};
	PGresult *res = NULL;
	/* Held already (a session lock stacks: take it once), else try.
	 * objsubid 1 is a lock of one bigint key; 2 is the two-int4 form,
	 * whose (classid, objid) can be the same numbers but is another lock. */
	int rc = db_exec(c, &res,
			 "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype ="
			 " 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1 AND"
			 " ((classid::bigint << 32) | objid::bigint) = $1::bigint)"
			 " THEN true ELSE pg_try_advisory_lock($1::bigint) END",
			 1, params);

	if (rc < 0)
		return rc;
	*out_leader = db_bool(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
evs_store_known(db_conn *c, const char *id, int *known)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res, "SELECT 1 FROM events_event WHERE id = $1::uuid", 1, &id);

	if (rc < 0)
		return rc;
	*known = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* The next number of group_id's events (its row locked till commit). */
static int
evs_store_next_seq(db_conn *c, const char *group_id, char seq[DB_I64_TEXT])
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "INSERT INTO events_group_seq AS s (group_id, last_seq)"
			 " VALUES ($1::uuid, 1) ON CONFLICT (group_id)"
			 " DO UPDATE SET last_seq = s.last_seq + 1 RETURNING last_seq",
			 1, &group_id);

	if (rc < 0)
		return rc;
	db_i64(seq, db_int64(res, 0, 0));
	PQclear(res);
	return 0;
}

int
evs_store_event(int *out_stored, db_conn *c, const char *source, const evs_event *e)
{
	char seq[DB_I64_TEXT] = "";
	const char *params[9];
	int known = 0, rc = evs_store_known(c, e->id, &known);

	*out_stored = 0;
	if (rc < 0 || known)
		return rc;
	if (e->group_id[0] && (rc = evs_store_next_seq(c, e->group_id, seq)) < 0)
		return rc;
	params[0] = e->id;
	params[1] = source;
	params[2] = e->type;
	params[3] = e->group_id;
	params[4] = e->user_id;
	params[5] = e->actor_id;
	params[6] = e->occurred_at;
	params[7] = e->data_json[0] ? e->data_json : "{}";
	params[8] = seq;
	return db_run_count(
		out_stored, c,
		"INSERT INTO events_event (id, source, type, group_id, user_id, actor_id,"
		" occurred_at, data, group_seq) VALUES ($1::uuid, $2, $3,"
		" nullif($4, '')::uuid, nullif($5, '')::uuid, nullif($6, '')::uuid,"
		" $7::timestamptz, $8::jsonb, nullif($9, '')::bigint)"
		" ON CONFLICT (id) DO NOTHING",
		9, params);
}

#define EVS_EVENT_COLUMNS                                                                          \
	"e.id, e.type, coalesce(e.group_id::text, ''), coalesce(e.user_id::text, ''),"             \
	" coalesce(e.actor_id::text, ''), " DB_RFC3339(                                            \
		"e.occurred_at") ", e.data::text,"                                                 \
				 " coalesce(e.group_seq, 0)"
#define EVS_EVENT_NCOLS 8

static int
evs_read_event(mem_arena *a, const PGresult *res, int row, int col, evs_event *out)
{
	out->id = db_text(a, res, row, col);
	out->type = db_text(a, res, row, col + 1);
	out->group_id = db_text(a, res, row, col + 2);
	out->user_id = db_text(a, res, row, col + 3);
	out->actor_id = db_text(a, res, row, col + 4);
	out->occurred_at = db_text(a, res, row, col + 5);
	out->data_json = db_text(a, res, row, col + 6);
	out->group_seq = db_int64(res, row, col + 7);
	return out->data_json ? 0 : err_oom();
}

/* A row of EVS_EVENT_COLUMNS alone (for DB_READ_ROWS). */
static int
evs_read_event_row(mem_arena *a, const PGresult *res, int row, evs_event *out)
{
	return evs_read_event(a, res, row, 0, out);
}

int
evs_store_unfanned(evs_event **out, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char lim[DB_I64_TEXT];
	const char *params[1] = {db_i64(lim, limit)};

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"SELECT " EVS_EVENT_COLUMNS " FROM events_event e WHERE NOT e.fanned_out"
		" ORDER BY e.group_id IS NOT NULL, e.stored_at, e.group_id, e.group_seq"
		" LIMIT $1::int",
		1, params, evs_read_event_row);
}

/* --- fan-out ------------------------------------------------------------------ */

static int
evs_index_of(char *const *users, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(users[i], id) == 0)
			return (int)i;
	}
	return -1;
}

int
evs_store_choices_of(int *out_chose_email, int *out_chose_sms, db_conn *c, const char *type,
		     char *const *users, size_t n)
{
	mem_arena *a = mem_arena_new(0);
	const char *params[2] = {type, db_text_array(a, (const char *const *)users, n)};
	PGresult *res = NULL;
	int rc = params[1] ? 0 : err_oom();

	memset(out_chose_email, 0, sizeof(*out_chose_email) * n);
	memset(out_chose_sms, 0, sizeof(*out_chose_sms) * n);
	if (rc == 0)
		rc = db_exec(c, &res,
			     "SELECT user_id::text, channel FROM events_preference"
			     " WHERE type = $1 AND user_id = ANY ($2::uuid[])",
			     2, params);
	for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
		int at = evs_index_of(users, n, PQgetvalue(res, i, 0));

		if (at >= 0 && strcmp(PQgetvalue(res, i, 1), "email") == 0)
			out_chose_email[at] = 1;
		else if (at >= 0)
			out_chose_sms[at] = 1;
	}
	PQclear(res);
	mem_arena_free(a);
	return rc;
}

/* The messages' column of field (user_id, channel or address) as an array
 * literal, in the arena. */
static char *
evs_messages_column(mem_arena *a, const evs_message *msgs, size_t n, int field)
{
	char **items = mem_arena_alloc(a, sizeof(*items) * (n + 1));

	for (size_t i = 0; items && i < n; i++)
		items[i] = (char *)(field == 0	 ? msgs[i].user_id
				    : field == 1 ? msgs[i].channel
						 : msgs[i].address);
	return items ? db_text_array(a, (const char *const *)items, n) : NULL;
}

int
evs_store_fanned(db_conn *c, const char *event_id, const evs_message *msgs, size_t n)
{
	mem_arena *a = mem_arena_new(0);
	const char *params[4] = {event_id, evs_messages_column(a, msgs, n, 0),
				 evs_messages_column(a, msgs, n, 1),
				 evs_messages_column(a, msgs, n, 2)};
	int rc = params[1] && params[2] && params[3] ? 0 : err_oom();

	/* One statement for all of them: a group of thousands is one round
	 * trip, not thousands. */
	if (rc == 0 && n > 0)
		rc = db_run(c,
			    "INSERT INTO events_delivery (event_id, user_id, channel, address)"
			    " SELECT $1::uuid, m.user_id, m.channel, m.address FROM"
			    " unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY"
			    "  AS m(user_id, channel, address, i) ORDER BY m.i"
			    " ON CONFLICT (event_id, user_id, channel) DO NOTHING",
			    4, params);
	if (rc == 0)
		rc = db_run(c, "UPDATE events_event SET fanned_out = true WHERE id = $1::uuid", 1,
			    &event_id);
	mem_arena_free(a);
	return rc;
}

int
evs_store_fanout_failed(int *out_gave_up, db_conn *c, const char *event_id, const char *error,
			int max_failures)
{
	char max[DB_I64_TEXT];
	const char *params[3] = {event_id, error, db_i64(max, max_failures)};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "UPDATE events_event SET fanout_failures = fanout_failures + 1,"
			 " fanout_error = $2,"
			 " fanout_failed = fanout_failures + 1 >= $3::int,"
			 " fanned_out = fanout_failures + 1 >= $3::int"
			 " WHERE id = $1::uuid AND NOT fanned_out RETURNING fanout_failed",
			 3, params);

	if (rc < 0)
		return rc;
	*out_gave_up = PQntuples(res) > 0 && db_bool(res, 0, 0);
	PQclear(res);
	return 0;
}

/* --- delivery ---------------------------------------------------------------- */

/* The claim ($1 the row, $2 its attempt) is still the worker's: nobody
 * claimed the message again after its lease ran out (a claim counts an
 * attempt), and it was not marked yet. A worker that lost its claim records
 * nothing: the newer claim's outcome stands. */
#define EVS_STILL_CLAIMED "attempts = $2::int AND status = 'PENDING'"

/* One claimed delivery: (id, user_id, channel, address, attempts), then
 * its event's EVS_EVENT_COLUMNS. */
static int
evs_read_delivery(mem_arena *a, const PGresult *res, int row, evs_delivery *out)
{
	out->id = db_int64(res, row, 0);
	out->user_id = db_text(a, res, row, 1);
	out->channel = db_text(a, res, row, 2);
	out->address = db_text(a, res, row, 3);
	out->attempts = (int)db_int64(res, row, 4);
	return evs_read_event(a, res, row, 5, &out->event);
}

int
evs_store_claim(evs_delivery **out, int *out_n, mem_arena *a, db_conn *c, int limit, int lease_s)
{
	char lim[DB_I64_TEXT], lease[DB_I64_TEXT];
	const char *params[2] = {db_i64(lim, limit), db_i64(lease, lease_s)};

	return DB_QUERY_ROWS(
		out, out_n, a, c,
		"UPDATE events_delivery d SET attempts = d.attempts + 1,"
		" lease_until = now() + $2::int * interval '1 second'"
		" FROM events_event e WHERE e.id = d.event_id AND d.id IN ("
		"  SELECT id FROM events_delivery WHERE status = 'PENDING'"
		"  AND next_at <= now() AND (lease_until IS NULL OR lease_until <= now())"
		"  ORDER BY next_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
		" RETURNING d.id, d.user_id::text, d.channel, d.address, "
		"d.attempts, " EVS_EVENT_COLUMNS,
		2, params, evs_read_delivery);
}

int
evs_store_sent(db_conn *c, const evs_delivery *d)
{
	char id[DB_I64_TEXT], attempts[DB_I64_TEXT];
	const char *params[2] = {db_i64(id, d->id), db_i64(attempts, d->attempts)};
	int rc = db_run(c,
			"UPDATE events_delivery SET status = 'SENT', sent_at = now(),"
			" lease_until = NULL, last_error = NULL WHERE id = $1::bigint"
			" AND " EVS_STILL_CLAIMED,
			2, params);

	/* The code was for its owner's inbox or phone only: no copy stays here. */
	if (rc == 0)
		rc = db_run(c,
			    "UPDATE events_event SET data = jsonb_set(data, '{code}', '\"\"')"
			    " WHERE id = $1::uuid AND type IN ('" EVT_EMAIL_CODE
			    "', '" EVT_PHONE_CODE "') AND data ? 'code'",
			    1, &d->event.id);
	return rc;
}

int
evs_store_failed(db_conn *c, const evs_delivery *d, int dead, int64_t wait_s, const char *error)
{
	char id[DB_I64_TEXT], attempts[DB_I64_TEXT], wait[DB_I64_TEXT];
	const char *params[5] = {db_i64(id, d->id), db_i64(attempts, d->attempts),
				 dead ? "DEAD" : "PENDING", db_i64(wait, wait_s), error};

	return db_run(c,
		      "UPDATE events_delivery SET status = $3, lease_until = NULL,"
		      " next_at = now() + $4::bigint * interval '1 second', last_error = $5"
		      " WHERE id = $1::bigint AND " EVS_STILL_CLAIMED,
		      5, params);
}

int
evs_store_unclaim(db_conn *c, const evs_delivery *d, int64_t wait_ms)
{
	char id[DB_I64_TEXT], attempts[DB_I64_TEXT], wait[DB_I64_TEXT];
	const char *params[3] = {db_i64(id, d->id), db_i64(attempts, d->attempts),
				 db_i64(wait, wait_ms)};

	return db_run(c,
		      "UPDATE events_delivery SET attempts = greatest(attempts - 1, 0),"
		      " lease_until = NULL,"
		      " next_at = now() + $3::bigint * interval '1 millisecond'"
		      " WHERE id = $1::bigint AND " EVS_STILL_CLAIMED,
		      3, params);
}

int
evs_store_sms_token(int *out_got, db_conn *c, double rate_per_s)
{
	char rate[64];
	const char *params[1] = {rate};
	int n = 0, rc;

	snprintf(rate, sizeof(rate), "%.6f", rate_per_s);
	rc = db_run(c,
		    "INSERT INTO events_sms_bucket (tokens, refilled_at)"
		    " VALUES (greatest($1::float8, 1), now()) ON CONFLICT (id) DO NOTHING",
		    1, params);
	if (rc == 0)
		rc = db_run_count(&n, c,
				  "UPDATE events_sms_bucket SET refilled_at = clock_timestamp(),"
				  " tokens = least(greatest($1::float8, 1), tokens + $1::float8 *"
				  "  extract(epoch FROM clock_timestamp() - refilled_at)) - 1"
				  " WHERE least(greatest($1::float8, 1), tokens + $1::float8 *"
				  "  extract(epoch FROM clock_timestamp() - refilled_at)) >= 1",
				  1, params);
	*out_got = n > 0;
	return rc;
}

/* --- streams (WatchEvents) --------------------------------------------------- */

int
evs_store_group_seq_of(int64_t *out_seq, db_conn *c, const char *group_id, const char *event_id)
{
	const char *params[2] = {group_id, event_id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT group_seq FROM events_event WHERE id = $2::uuid"
			 " AND group_id = $1::uuid",
			 2, params);

	if (rc < 0)
		return rc;
	*out_seq = PQntuples(res) > 0 ? db_int64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

int
evs_store_group_events(evs_event **out, int *out_n, mem_arena *a, db_conn *c, const char *group_id,
		       int64_t after_seq, int limit)
{
	char after[DB_I64_TEXT], lim[DB_I64_TEXT];
	const char *params[3] = {group_id, db_i64(after, after_seq), db_i64(lim, limit)};

	/* events_event_group_seq (group_id, group_seq) serves it as a range. */
	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " EVS_EVENT_COLUMNS " FROM events_event e"
			     " WHERE e.group_id = $1::uuid AND e.group_seq > $2::bigint"
			     " ORDER BY e.group_seq LIMIT $3::int",
			     3, params, evs_read_event_row);
}

/* --- preferences ------------------------------------------------------------- */

static int
evs_store_choices_channel(db_conn *c, mem_arena *a, const char *user_id, const char *channel,
			  char ***out, size_t *n)
{
	const char *params[2] = {user_id, channel};
	int rows = 0;
	int rc = DB_QUERY_ROWS(out, &rows, a, c,
			       "SELECT type FROM events_preference WHERE user_id = $1::uuid"
			       " AND channel = $2 ORDER BY type",
			       2, params, db_read_text);

	*n = (size_t)rows;
	return rc;
}

int
evs_store_choices(char ***out_email, size_t *out_n_email, char ***out_sms, size_t *out_n_sms,
		  mem_arena *a, db_conn *c, const char *user_id)
{
	int rc = evs_store_choices_channel(c, a, user_id, "email", out_email, out_n_email);

	return rc < 0 ? rc : evs_store_choices_channel(c, a, user_id, "sms", out_sms, out_n_sms);
}

static int
evs_store_choices_add(db_conn *c, mem_arena *a, const char *user_id, const char *channel,
		      char *const *types, size_t n)
{
	const char *params[3] = {user_id, channel, db_text_array(a, (const char *const *)types, n)};

	if (!params[2])
		return err_oom();
	return db_run(c,
		      "INSERT INTO events_preference (user_id, channel, type)"
		      " SELECT $1::uuid, $2, t FROM unnest($3::text[]) AS t",
		      3, params);
}

int
evs_store_choices_set(db_conn *c, const char *user_id, char *const *email, size_t n_email,
		      char *const *sms, size_t n_sms)
{
	mem_arena *a = mem_arena_new(0);
	int rc = db_run(c, "DELETE FROM events_preference WHERE user_id = $1::uuid", 1, &user_id);

	if (rc == 0)
		rc = evs_store_choices_add(c, a, user_id, "email", email, n_email);
	if (rc == 0)
		rc = evs_store_choices_add(c, a, user_id, "sms", sms, n_sms);
	mem_arena_free(a);
	return rc;
}

/* --- the streams' poller (WatchEvents) --------------------------------------- */

int
evs_store_group_heads(int64_t *out_heads, db_conn *c, char *const *groups, size_t n)
{
	mem_arena *a = mem_arena_new(0);
	const char *params[1] = {db_text_array(a, (const char *const *)groups, n)};
	PGresult *res = NULL;
	int rc = params[0] ? 0 : err_oom();

	memset(out_heads, 0, sizeof(*out_heads) * n);
	/* events_group_seq's primary key: one index probe per group. */
	if (rc == 0)
		rc = db_exec(c, &res,
			     "SELECT group_id::text, last_seq FROM events_group_seq"
			     " WHERE group_id = ANY ($1::uuid[])",
			     1, params);
	for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
		int at = evs_index_of(groups, n, PQgetvalue(res, i, 0));

		if (at >= 0)
			out_heads[at] = db_int64(res, i, 1);
	}
	PQclear(res);
	mem_arena_free(a);
	return rc;
}

int
evs_store_delivery_queue(void *arg, int64_t *depth, double *oldest_age_s)
{
	(void)arg;
	return db_measure_queue(
		"SELECT count(*), greatest(0, extract(epoch FROM now() - min(next_at)))::float8"
		" FROM events_delivery WHERE status = 'PENDING'",
		depth, oldest_age_s);
}
