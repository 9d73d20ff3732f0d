/* The identity service's method table. */
#ifndef KOLO_IDENTITY_METHODS_H
#define KOLO_IDENTITY_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service idn_rpc_service;

#endif
