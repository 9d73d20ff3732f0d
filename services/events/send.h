/* send: the ways a message leaves kolo-events. Each returns 0 when the
 * receiving end took it, else an err_code whose message says why (the
 * delivery is retried). */
#ifndef KOLO_EVS_SEND_H
#define KOLO_EVS_SEND_H

#include <stddef.h>

#include "evs.h"

/* Writes content as dir/<unix_ms>-<event_id>-<n>.<ext>, first to a
 * hidden temporary name and then renamed, so a reader never sees half a
 * file (the embedded default of DESIGN §16). */
KOLO_MUST_CHECK int evs_send_file(const char *dir, const char *event_id, long long n,
				  const char *ext, const char *content, size_t len);

/* Sends an RFC 5322 message to `to` over SMTP (libcurl): smtps:// is TLS
 * throughout; smtp:// with a login insists on STARTTLS. */
KOLO_MUST_CHECK int evs_send_smtp(const evs_smtp *smtp, const char *to, const char *message,
				  size_t len);

/* Sends text to the E.164 number `to` through the Termii-shaped API:
 * POST {to, from, sms, type:"plain", channel:"generic", api_key}; any 2xx
 * is sent. */
KOLO_MUST_CHECK int evs_send_sms(const evs_sms *sms, const char *to, const char *text);

#endif
