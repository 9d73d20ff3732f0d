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
#define ECHO_ENDED_SESSION "ended-session"
#define ECHO_UNKNOWN_SESSION "unknown-session"

/* Calls currently inside an echo handler (for shutdown tests). */
extern atomic_int echo_in_handler;

#endif
