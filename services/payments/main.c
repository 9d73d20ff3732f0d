/* kolo-payments: configuration and wiring only; see svc/svc.h. */
#include "payments_service.h"
#include "svc/svc.h"

static const svc_def payments_service = {
	.name = "kolo-payments",
	.addr_env = "KOLO_PAYMENTS_ADDR",
	.default_addr = "127.0.0.1:7105",
	.db_env = "KOLO_PAYMENTS_DATABASE_URL",
	.rpc = &pay_rpc_service,
};

int main(int argc, char **argv)
{
	return svc_main(&payments_service, argc, argv);
}
