/* kolo-withdrawals: configuration and wiring only; see svc/svc.h. */
#include "withdrawals_service.h"
#include "svc/svc.h"

static const svc_def withdrawals_service = {
	.name = "kolo-withdrawals",
	.addr_env = "KOLO_WITHDRAWALS_ADDR",
	.default_addr = "127.0.0.1:7104",
	.db_env = "KOLO_WITHDRAWALS_DATABASE_URL",
	.rpc = &wdr_rpc_service,
};

int main(int argc, char **argv)
{
	return svc_main(&withdrawals_service, argc, argv);
}
