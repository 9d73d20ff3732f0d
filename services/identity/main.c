/* kolo-identity: configuration and wiring only; see svc/svc.h. */
#include "methods.h"
#include "svc/svc.h"

static const svc_def identity_service = {
	.name = "kolo-identity",
	.addr_env = "KOLO_IDENTITY_ADDR",
	.default_addr = "127.0.0.1:7101",
	.db_env = "KOLO_IDENTITY_DATABASE_URL",
	.rpc = &idn_rpc_service,
};

int main(int argc, char **argv)
{
	return svc_main(&identity_service, argc, argv);
}
