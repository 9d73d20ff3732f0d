/* kolo-events: configuration and wiring only; see svc/svc.h. */
#include "config/cfg.h"
#include "events_service.h"
#include "peers.h"
#include "svc/svc.h"
#include "watch_hub.h"
#include "webhook_work.h"

static rpc_channel *channels[EVS_SRC_COUNT];

/* Channels to the five services (svc/peers.h). */
static int
evs_open_channels(void)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < EVS_SRC_COUNT; i++)
		rc = svc_peer_open(&channels[i], evs_source_peer((evs_source)i));
	return rc;
}

static int
evs_start(void)
{
	int64_t ingest = 0, deliver = 0, workers = 0, attempts = 0, lease = 0, smtp_ms = 0,
		sms_ms = 0, sms_rate = 0, watch_poll = 0, watch_recheck = 0, watch_per_user = 0;
	const char *provider = NULL;
	int allow_mail_dir = 0;
	evs_deps deps = {0};
	const cfg_var vars[] = {
		{"KOLO_EVENTS_INGEST_INTERVAL_MS", CFG_INT, "500", 20, 600000, &ingest},
		{"KOLO_EVENTS_DELIVER_INTERVAL_MS", CFG_INT, "500", 20, 600000, &deliver},
		{"KOLO_EVENTS_DELIVERY_WORKERS", CFG_INT, "2", 1, 16, &workers},
		{"KOLO_EVENTS_MAX_ATTEMPTS", CFG_INT, "12", 1, 100, &attempts},
		{"KOLO_EVENTS_LEASE_S", CFG_INT, "60", 5, 3600, &lease},
		{"KOLO_MAIL_DIR", CFG_STRING, ".data/mail", 0, 0, &deps.mail_dir},
		{"KOLO_PUBLIC_URL", CFG_STRING, "", 0, 0, &deps.public_url},
		{"KOLO_SMTP_URL", CFG_STRING, "", 0, 0, &deps.smtp.url},
		{"KOLO_SMTP_FROM", CFG_STRING, "Kolo <no-reply@kolo.localhost>", 0, 0,
		 &deps.smtp.from},
		{"KOLO_SMTP_USER", CFG_STRING, "", 0, 0, &deps.smtp.user},
		{"KOLO_SMTP_PASSWORD", CFG_STRING, "", 0, 0, &deps.smtp.password},
		{"KOLO_SMTP_TIMEOUT_MS", CFG_INT, "10000", 100, 120000, &smtp_ms},
		{"KOLO_SMS_URL", CFG_STRING, "", 0, 0, &deps.sms.url},
		{"KOLO_SMS_API_KEY", CFG_STRING, "", 0, 0, &deps.sms.api_key},
		{"KOLO_SMS_SENDER", CFG_STRING, "Kolo", 0, 0, &deps.sms.sender},
		{"KOLO_SMS_RATE_PER_S", CFG_INT, "10", 1, 10000, &sms_rate},
		{"KOLO_SMS_TIMEOUT_MS", CFG_INT, "10000", 100, 120000, &sms_ms},
		{"KOLO_SMS_OFF", CFG_BOOL, "false", 0, 0, &deps.sms.off},
		/* Production is a live payment provider (payments' setting). */
		{"KOLO_PROVIDER", CFG_STRING, "demo", 0, 0, &provider},
		/* Tests that drive a live provider against a fake (tests/fault). */
		{"KOLO_EVENTS_ALLOW_MAIL_DIR", CFG_BOOL, "false", 0, 0, &allow_mail_dir},
		{"KOLO_EVENTS_WATCH_POLL_MS", CFG_INT, "1000", 20, 600000, &watch_poll},
		{"KOLO_EVENTS_WATCH_RECHECK_MS", CFG_INT, "30000", 100, 3600000, &watch_recheck},
		{"KOLO_EVENTS_WATCH_PER_USER", CFG_INT, "4", 1, 4096, &watch_per_user},
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	/* No silent loss: production never "sends" into the mail dir. */
	if (rc == 0)
		rc = evs_check_delivery(provider, deps.smtp.url, deps.sms.url, deps.sms.off,
					allow_mail_dir);
	if (rc == 0)
		rc = evs_open_channels();
	if (rc < 0)
		return rc;
	for (int i = 0; i < EVS_SRC_COUNT; i++)
		deps.sources[i] = channels[i];
	deps.ingest_interval_ms = (int)ingest;
	deps.deliver_interval_ms = (int)deliver;
	deps.deliver_workers = (int)workers;
	deps.max_attempts = (int)attempts;
	deps.lease_s = (int)lease;
	deps.smtp.timeout_ms = (int)smtp_ms;
	deps.sms.timeout_ms = (int)sms_ms;
	deps.sms.rate_per_s = (double)sms_rate;
	deps.watch_poll_ms = (int)watch_poll;
	deps.watch_recheck_ms = (int)watch_recheck;
	deps.watch_per_user = (int)watch_per_user;
	/* The ingest's news: the streams' poller reads the groups' heads now. */
	deps.stored = evs_hub_kick;
	evs_configure(&deps);
	rc = evs_hub_start(NULL);
	if (rc < 0)
		return rc;
	rc = evs_workers_start();
	/* Partner webhooks: their KOLO_WEBHOOK_* settings and their worker. */
	if (rc == 0)
		rc = whk_start();
	/* svc_main() runs no stop after a failed start: undo what started. */
	if (rc < 0) {
		evs_workers_stop();
		evs_hub_stop();
	}
	return rc;
}

static void
evs_stop(void)
{
	whk_stop();
	evs_workers_stop();
	evs_hub_stop();
	for (int i = 0; i < EVS_SRC_COUNT; i++)
		rpc_channel_close(channels[i]);
}

static const svc_def events_service = {
	.name = "kolo-events",
	.self = SVC_PEER_EVENTS,
	.db_env = "KOLO_EVENTS_DATABASE_URL",
	.rpc = &evs_rpc_service,
	.start = evs_start,
	.stop = evs_stop,
};

int
main(int argc, char **argv)
{
	return svc_main(&events_service, argc, argv);
}
