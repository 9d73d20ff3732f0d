/* Outbox rows: added in a service's transactions, read and acked by
 * kolo-events. */
#include "outbox.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "text/text.h"
#include "metrics/metrics.h"

static const char *const outbox_add_sql[] = {
#define OUTBOX_INSERT(t)                                                                           \
	"INSERT INTO public." t " (type, group_id, user_id, actor_id, data)"                       \
	" VALUES ($1, $2::uuid, $3::uuid, $4::uuid, $5::jsonb)"
	[OUTBOX_IDENTITY] = OUTBOX_INSERT("identity_outbox"),
	[OUTBOX_GROUPS] = OUTBOX_INSERT("groups_outbox"),
	[OUTBOX_LEDGER] = OUTBOX_INSERT("ledger_outbox"),
	[OUTBOX_WITHDRAWALS] = OUTBOX_INSERT("withdrawals_outbox"),
	[OUTBOX_PAYMENTS] = OUTBOX_INSERT("payments_outbox"),
#undef OUTBOX_INSERT
};

static const char *const outbox_read_sql[] = {
#define OUTBOX_SELECT(t)                                                                           \
	"SELECT id::text, type, coalesce(group_id::text, ''),"                                     \
	" coalesce(user_id::text, ''), coalesce(actor_id::text, ''), " DB_RFC3339(                 \
		"occurred_at") ", data::text, seq"                                                 \
			       " FROM public." t " ORDER BY seq LIMIT $1"
	[OUTBOX_IDENTITY] = OUTBOX_SELECT("identity_outbox"),
	[OUTBOX_GROUPS] = OUTBOX_SELECT("groups_outbox"),
	[OUTBOX_LEDGER] = OUTBOX_SELECT("ledger_outbox"),
	[OUTBOX_WITHDRAWALS] = OUTBOX_SELECT("withdrawals_outbox"),
	[OUTBOX_PAYMENTS] = OUTBOX_SELECT("payments_outbox"),
#undef OUTBOX_SELECT
};

static const char *const outbox_ack_sql[] = {
#define OUTBOX_DELETE(t) "DELETE FROM public." t " WHERE id = ANY ($1::uuid[])"
	[OUTBOX_IDENTITY] = OUTBOX_DELETE("identity_outbox"),
	[OUTBOX_GROUPS] = OUTBOX_DELETE("groups_outbox"),
	[OUTBOX_LEDGER] = OUTBOX_DELETE("ledger_outbox"),
	[OUTBOX_WITHDRAWALS] = OUTBOX_DELETE("withdrawals_outbox"),
	[OUTBOX_PAYMENTS] = OUTBOX_DELETE("payments_outbox"),
#undef OUTBOX_DELETE
};

static const char *
outbox_id_param(const char *id)
{
	return id && id[0] ? id : NULL;
}

/* The event's data as compact JSON text (malloc'd; caller frees). */
static int
outbox_data_text(char **out, const char *fmt, va_list ap)
{
	json_error_t error;
	json_t *data = fmt ? json_vpack_ex(&error, 0, fmt, ap) : json_object();

	if (!data || !json_is_object(data)) {
		json_decref(data);
		return err_set(ERR_INTERNAL, NULL, "event data is not a JSON object: %s",
			       fmt ? error.text : "no memory");
	}
	*out = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	return *out ? 0 : err_oom();
}

int
outbox_add(db_conn *c, outbox_table table, const outbox_event *event, const char *data_fmt, ...)
{
	const char *params[5];
	char *data = NULL;
	va_list ap;
	int rc;

	if (!evt_type_find(event->type))
		return err_set(ERR_INTERNAL, NULL, "unknown event type %s",
			       event->type ? event->type : "(null)");
	va_start(ap, data_fmt);
	rc = outbox_data_text(&data, data_fmt, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	params[0] = event->type;
	params[1] = outbox_id_param(event->group_id);
	params[2] = outbox_id_param(event->user_id);
	params[3] = outbox_id_param(event->actor_id);
	params[4] = data;
	rc = db_run(c, outbox_add_sql[table], 5, params);
	free(data);
	return rc;
}

static int
outbox_read_row(Kolo__Common__V1__OutboxEvent **out, mem_arena *a, const PGresult *res, int row)
{
	Kolo__Common__V1__OutboxEvent *e = mem_arena_alloc(a, sizeof(*e));

	if (!e)
		return err_oom();
	kolo__common__v1__outbox_event__init(e);
	e->id = db_text(a, res, row, 0);
	e->type = db_text(a, res, row, 1);
	e->group_id = db_text(a, res, row, 2);
	e->user_id = db_text(a, res, row, 3);
	e->actor_id = db_text(a, res, row, 4);
	e->occurred_at = db_text(a, res, row, 5);
	e->data_json = db_text(a, res, row, 6);
	e->seq = db_int64(res, row, 7);
	if (!e->id || !e->type || !e->group_id || !e->user_id || !e->actor_id || !e->occurred_at ||
	    !e->data_json)
		return err_oom();
	*out = e;
	return 0;
}

int
outbox_read(Kolo__Common__V1__OutboxEvent ***out, size_t *n_out, db_conn *c, outbox_table table,
	    int32_t limit, mem_arena *arena)
{
	char lim[DB_I64_TEXT];
	const char *params[1];
	PGresult *res = NULL;
	Kolo__Common__V1__OutboxEvent **events;
	int rc, n;

	if (limit <= 0 || limit > OUTBOX_READ_MAX)
		limit = OUTBOX_READ_MAX;
	params[0] = db_i64(lim, limit);
	rc = db_exec(c, &res, outbox_read_sql[table], 1, params);
	if (rc < 0)
		return rc;
	n = PQntuples(res);
	events = mem_arena_alloc(arena, (size_t)(n ? n : 1) * sizeof(*events));
	if (!events)
		rc = err_oom();
	for (int i = 0; rc == 0 && i < n; i++)
		rc = outbox_read_row(&events[i], arena, res, i);
	PQclear(res);
	if (rc < 0)
		return rc;
	*out = events;
	*n_out = (size_t)n;
	return 0;
}

/* "{id,id,...}": the ids as a uuid[] literal, each checked. */
static int
outbox_id_array(char **out, mem_arena *a, char *const *ids, size_t n)
{
	size_t len = 3 + n * 37;
	char *s = mem_arena_alloc(a, len), *p;

	if (!s)
		return err_oom();
	p = s;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (!ids[i] || !text_is_uuid(ids[i]))
			return err_invalid_id("ids");
		if (i)
			*p++ = ',';
		memcpy(p, ids[i], 36);
		p += 36;
	}
	*p++ = '}';
	*p = '\0';
	*out = s;
	return 0;
}

int
outbox_ack(int32_t *acked, db_conn *c, outbox_table table, char *const *ids, size_t n_ids,
	   mem_arena *arena)
{
	const char *params[1];
	char *array = NULL;
	PGresult *res = NULL;
	int rc;

	if (n_ids > OUTBOX_READ_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "too_many_ids", "at most %d event ids at once",
			       OUTBOX_READ_MAX);
	rc = outbox_id_array(&array, arena, ids, n_ids);
	if (rc < 0)
		return rc;
	params[0] = array;
	rc = db_exec(c, &res, outbox_ack_sql[table], 1, params);
	if (rc < 0)
		return rc;
	*acked = db_affected(res);
	PQclear(res);
	return 0;
}

int
outbox_serve_read(Kolo__Common__V1__OutboxEvent ***out, size_t *n_out, rpc_ctx *ctx,
		  outbox_table table, int32_t limit)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc < 0)
		return rc;
	return outbox_read(out, n_out, c, table, limit, rpc_ctx_arena(ctx));
}

int
outbox_serve_ack(int32_t *acked, rpc_ctx *ctx, outbox_table table, char *const *ids, size_t n_ids)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc < 0)
		return rc;
	return outbox_ack(acked, c, table, ids, n_ids, rpc_ctx_arena(ctx));
}

/* --- metrics -------------------------------------------------------------------- */

#define OUTBOX_QUEUE(t)                                                                            \
	"SELECT count(*), extract(epoch FROM now() - min(occurred_at))::float8"                    \
	" FROM " t

static const char *const outbox_services[] = {
	[OUTBOX_IDENTITY] = "identity", [OUTBOX_GROUPS] = "groups",
	[OUTBOX_LEDGER] = "ledger",	[OUTBOX_WITHDRAWALS] = "withdrawals",
	[OUTBOX_PAYMENTS] = "payments",
};

static const char *const outbox_queue_sql[] = {
	[OUTBOX_IDENTITY] = OUTBOX_QUEUE("identity_outbox"),
	[OUTBOX_GROUPS] = OUTBOX_QUEUE("groups_outbox"),
	[OUTBOX_LEDGER] = OUTBOX_QUEUE("ledger_outbox"),
	[OUTBOX_WITHDRAWALS] = OUTBOX_QUEUE("withdrawals_outbox"),
	[OUTBOX_PAYMENTS] = OUTBOX_QUEUE("payments_outbox"),
};

#define OUTBOX_N_TABLES (sizeof(outbox_services) / sizeof(outbox_services[0]))

static int
outbox_measure(void *arg, int64_t *depth, double *oldest_age_s)
{
	return db_measure_queue(arg, depth, oldest_age_s);
}

static metrics_queue outbox_queues[OUTBOX_N_TABLES];

int
outbox_table_of(outbox_table *out, const char *service)
{
	for (size_t i = 0; i < OUTBOX_N_TABLES; i++) {
		if (strcmp(outbox_services[i], service) == 0) {
			*out = (outbox_table)i;
			return 0;
		}
	}
	return -1;
}

void
outbox_metrics_register(outbox_table table)
{
	metrics_queue *q = &outbox_queues[table];

	q->worker = "outbox_ingest";
	q->measure = outbox_measure;
	q->arg = (void *)outbox_queue_sql[table];
	metrics_queue_register(q);
}

void
outbox_metrics_unregister(outbox_table table)
{
	metrics_queue_unregister(&outbox_queues[table]);
}
