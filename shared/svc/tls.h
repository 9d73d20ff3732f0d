/* svc/tls: the client side of TLS to Kolo's services, from the environment,
 * for processes that call the services without being one (the gateway,
 * kolo-health). Services themselves use svc_channel_open(). */
#ifndef KOLO_SVC_TLS_H
#define KOLO_SVC_TLS_H

#include "rpc/rpc.h"

/* Reads KOLO_TLS_CA_FILE (roots: TLS on when set), KOLO_TLS_CERT_FILE and
 * KOLO_TLS_KEY_FILE (a certificate to present for mutual TLS; both or
 * neither, and only with the roots) and KOLO_TLS_TARGET_NAME. *use is 1
 * when TLS is configured. The strings live as long as the process.
 * ERR_INVALID_ARGUMENT (bad_config) for unreadable or inconsistent files. */
KOLO_MUST_CHECK int svc_client_tls_from_env(rpc_client_tls *tls, int *use);

#endif
