/* The ledger service's method table. */
#ifndef KOLO_LEDGER_METHODS_H
#define KOLO_LEDGER_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service ldg_rpc_service;

#endif
