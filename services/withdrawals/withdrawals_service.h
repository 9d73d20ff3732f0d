/* kolo-withdrawals as other code sees it: its method table and wiring. */
#ifndef KOLO_WITHDRAWALS_SERVICE_H
#define KOLO_WITHDRAWALS_SERVICE_H

#include "flow.h"
#include "rpc/rpc.h"
#include "withdrawals.h"

extern const rpc_service wdr_rpc_service;

#endif
