/* The withdrawals service's method table. */
#ifndef KOLO_WITHDRAWALS_METHODS_H
#define KOLO_WITHDRAWALS_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service wdr_rpc_service;

#endif
