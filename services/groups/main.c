/* kolo-groups: configuration and wiring only; see svc/svc.h. */
#include "methods.h"
#include "svc/svc.h"

static const svc_def groups_service = {
	.name = "kolo-groups",
	.addr_env = "KOLO_GROUPS_ADDR",
	.default_addr = "127.0.0.1:7102",
	.db_env = "KOLO_GROUPS_DATABASE_URL",
	.rpc = &grp_rpc_service,
};

int main(int argc, char **argv)
{
	return svc_main(&groups_service, argc, argv);
}
