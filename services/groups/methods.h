/* The groups service's method table. */
#ifndef KOLO_GROUPS_METHODS_H
#define KOLO_GROUPS_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service grp_rpc_service;

#endif
