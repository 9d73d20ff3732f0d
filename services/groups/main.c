/* kolo-groups: configuration and wiring only; see svc/svc.h. */
#include <stdlib.h>

#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "groups_service.h"
#include "svc/svc.h"

static rpc_channel *identity_channel, *payments_channel;

static const char *grp_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && v[0] ? v : fallback;
}

static int grp_start(void)
{
	if (svc_channel_open(&identity_channel,
			     grp_env("KOLO_IDENTITY_ADDR", "127.0.0.1:7101"),
			     &kolo__identity__v1__identity_service__descriptor) < 0 ||
	    svc_channel_open(&payments_channel,
			     grp_env("KOLO_PAYMENTS_ADDR", "127.0.0.1:7105"),
			     &kolo__payments__v1__payments_service__descriptor) < 0)
		return -1;
	grp_use_channels(identity_channel, payments_channel);
	return 0;
}

static void grp_stop(void)
{
	rpc_channel_close(identity_channel);
	rpc_channel_close(payments_channel);
}

static const svc_def groups_service = {
	.name = "kolo-groups",
	.addr_env = "KOLO_GROUPS_ADDR",
	.default_addr = "127.0.0.1:7102",
	.db_env = "KOLO_GROUPS_DATABASE_URL",
	.rpc = &grp_rpc_service,
	.start = grp_start,
	.stop = grp_stop,
};

int main(int argc, char **argv)
{
	return svc_main(&groups_service, argc, argv);
}
