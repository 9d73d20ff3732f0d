/* watch_hub: the WatchEvents streams open in this process (DESIGN §16).
 *
 * It counts them per user (or service caller), so one token cannot take
 * every stream of the server, and it runs the process's one poller: a
 * thread that reads the heads of the watched groups (one statement) every
 * KOLO_EVENTS_WATCH_POLL_MS, or at once when the ingest kicks it, and wakes
 * only the streams whose group advanced past what they saw. A stream holds
 * a database connection only while it reads; waiting, it holds none. */
#ifndef KOLO_EVS_WATCH_HUB_H
#define KOLO_EVS_WATCH_HUB_H

#include <stdint.h>

#include "rpc/rpc.h"
#include "text/text.h"

/* Room for a key: a user id, or "caller:" and a caller name. */
#define EVS_HUB_KEY_MAX 48

/* One open stream as the hub knows it. It lives in the stream handler's
 * frame from evs_hub_join() to evs_hub_leave(); its fields belong to the
 * hub (read and written under its lock). */
typedef struct evs_hub_entry {
	rpc_stream *stream;
	char key[EVS_HUB_KEY_MAX];
	char group_id[TEXT_UUID_LEN + 1]; /* lower case */
	int64_t after_seq;		  /* the stream looked at every event up to it */
	int news;			  /* the poller saw the group past after_seq */
	struct evs_hub_entry *prev, *next;
} evs_hub_entry;

/* Counts stream in under key (a user id, or "caller:<name>" for a service
 * caller), watching group_id (a UUID) from after_seq. Fails with
 * ERR_RESOURCE_EXHAUSTED "too_many_streams" when key has
 * evs_deps.watch_per_user streams open already (nothing counted). After 0,
 * the handler calls evs_hub_leave(e) before it returns, however it ends. */
KOLO_MUST_CHECK int evs_hub_join(evs_hub_entry *e, rpc_stream *stream, const char *key,
				 const char *group_id, int64_t after_seq);

/* Counts the stream out: the poller no longer touches e or its stream. */
void evs_hub_leave(evs_hub_entry *e);

/* The stream looked at every event of its group up to after_seq. */
void evs_hub_seen(evs_hub_entry *e, int64_t after_seq);

/* 1 once after the poller found the group past what the stream had seen
 * (and woke its rpc_stream_wait()); the flag is cleared. */
int evs_hub_take_news(evs_hub_entry *e);

/* Makes the poller read the heads now, not at the end of its period (any
 * thread: the ingest after it stored events). No-op when it is not
 * running. */
void evs_hub_kick(void);

/* Starts the process's poller thread (thread_start, when not NULL, runs
 * first on it: tests give it its connection settings there). Fails with
 * ERR_INTERNAL when no thread can be made. */
KOLO_MUST_CHECK int evs_hub_start(void (*thread_start)(void));

/* Stops and joins the poller (its connection closes with it); after the
 * server stopped, so no stream waits for it any more. */
void evs_hub_stop(void);

#endif
