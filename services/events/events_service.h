/* kolo-events as other code sees it: its method table, wiring and workers. */
#ifndef KOLO_EVENTS_SERVICE_H
#define KOLO_EVENTS_SERVICE_H

#include "evs.h"
#include "rpc/rpc.h"
#include "work.h"

extern const rpc_service evs_rpc_service;

#endif
