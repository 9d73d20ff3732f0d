/* The payments service's method table. */
#ifndef KOLO_PAYMENTS_METHODS_H
#define KOLO_PAYMENTS_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service pay_rpc_service;

#endif
