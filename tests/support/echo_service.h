/* kolo.test.v1.EchoService: a service that exercises shared/rpc. */
#ifndef KOLO_ECHO_SERVICE_H
#define KOLO_ECHO_SERVICE_H

#include <stdatomic.h>

#include "kolo/test/v1/echo.pb-c.h"
#include "rpc/rpc.h"

/* Internal methods: callable by payments (its own caller table). */
extern const rpc_service echo_rpc_service;
/* The same, but its caller table lacks Either. */
extern const rpc_service echo_rpc_service_uncovered;

/* The sessions echo's session check refuses (Live): one ended, one it
 * cannot tell about. */
#define ECHO_ENDED_SESSION   "ended-session"
#define ECHO_UNKNOWN_SESSION "unknown-session"

/* Calls currently inside an echo handler (for shutdown tests). */
extern atomic_int echo_in_handler;

/* Count streams: handlers started and ended, replies sent (all streams),
 * and the err_code the last one to end returned. */
extern atomic_int echo_count_started;
extern atomic_int echo_count_ended;
extern atomic_int echo_count_sent;
extern atomic_int echo_count_last_rc;

/* The Count streams in the order their handlers started (the first
 * ECHO_STREAMS_KEPT since the last reset), for rpc_stream_notify(): each
 * is valid while its handler runs. Set before echo_count_started counts
 * the stream. */
#define ECHO_STREAMS_KEPT 8
extern rpc_stream *_Atomic echo_count_streams[ECHO_STREAMS_KEPT];

/* Zeroes the Count counters. */
void echo_count_reset(void);

#endif
