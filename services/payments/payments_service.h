/* kolo-payments as other code sees it: its method table and wiring. */
#ifndef KOLO_PAYMENTS_SERVICE_H
#define KOLO_PAYMENTS_SERVICE_H

#include "payments.h"
#include "rpc/rpc.h"

extern const rpc_service pay_rpc_service;

#endif
