/* kolo-ledger: configuration and wiring only; see svc/svc.h. */
#include "ledger_service.h"
#include "svc/svc.h"

static const svc_def ledger_service = {
	.name = "kolo-ledger",
	.addr_env = "KOLO_LEDGER_ADDR",
	.default_addr = "127.0.0.1:7103",
	.db_env = "KOLO_LEDGER_DATABASE_URL",
	.rpc = &ldg_rpc_service,
};

int main(int argc, char **argv)
{
	return svc_main(&ledger_service, argc, argv);
}
