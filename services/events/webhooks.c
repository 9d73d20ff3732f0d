/* Partner webhooks' settings and rules (webhooks.h). */
#include "webhooks.h"

#include <string.h>

#include "events/events.h"
#include "mem/mem.h"

static whk_config whk_config_now;

void
whk_configure(const whk_config *config)
{
	whk_config_now = *config;
}

const whk_config *
whk_current(void)
{
	return &whk_config_now;
}

int
whk_key_parse(unsigned char key[crypto_secretbox_KEYBYTES], const char *hex)
{
	size_t got = 0;

	if (!hex || strlen(hex) != crypto_secretbox_KEYBYTES * 2 ||
	    sodium_hex2bin(key, crypto_secretbox_KEYBYTES, hex, strlen(hex), NULL, &got, NULL) !=
		    0 ||
	    got != crypto_secretbox_KEYBYTES)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_WEBHOOK_SECRET_KEY must be 64 hex digits "
			       "(32 bytes)");
	return 0;
}

int
whk_require_key(void)
{
	if (!whk_config_now.has_key)
		return err_set(ERR_FAILED_PRECONDITION, "webhooks_unavailable",
			       "partner webhooks are not configured on this server");
	return 0;
}

int
whk_check_events(char *const *names, size_t n)
{
	if (n == 0)
		return err_set(ERR_INVALID_ARGUMENT, "no_event_types",
			       "choose at least one event type");
	if (n > WHK_MAX_EVENTS)
		return err_set(ERR_INVALID_ARGUMENT, "too_many_event_types",
			       "at most %d event types", WHK_MAX_EVENTS);
	for (size_t i = 0; i < n; i++) {
		const evt_type *t = evt_type_find(names[i]);

		if (strcmp(names[i], WHK_ALL_EVENTS) == 0 && n == 1)
			return 0;
		if (!t)
			return err_set(ERR_INVALID_ARGUMENT, "unknown_event_type",
				       "not an event type: %.64s", names[i]);
		if (!t->partner_visible)
			return err_set(ERR_INVALID_ARGUMENT, "event_type_not_for_partners",
				       "partners are not sent %s events", t->name);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(names[j], names[i]) == 0)
				return err_set(ERR_INVALID_ARGUMENT, "duplicate_event_type",
					       "%s is chosen twice", t->name);
		}
	}
	return 0;
}

size_t
whk_partner_types(const char **out, size_t cap)
{
	size_t n_types = 0, n = 0;
	const evt_type *types = evt_types(&n_types);

	for (size_t i = 0; i < n_types && n < cap; i++) {
		if (types[i].partner_visible)
			out[n++] = types[i].name;
	}
	return n;
}

void
whk_seal(unsigned char **out, size_t *n_out, const unsigned char key[crypto_secretbox_KEYBYTES],
	 const char *secret)
{
	size_t len = strlen(secret);
	size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	unsigned char *box = xmalloc(n);

	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret, len,
			      box, key);
	*out = box;
	*n_out = n;
}

int
whk_open(char out[WHK_SECRET_MAX], const unsigned char key[crypto_secretbox_KEYBYTES],
	 const unsigned char *sealed, size_t n)
{
	const size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;

	if (n <= over || n - over >= WHK_SECRET_MAX ||
	    crypto_secretbox_open_easy((unsigned char *)out, sealed + crypto_secretbox_NONCEBYTES,
				       n - crypto_secretbox_NONCEBYTES, sealed, key) != 0) {
		sodium_memzero(out, WHK_SECRET_MAX);
		return err_set(ERR_INTERNAL, "secret_unreadable",
			       "a webhook secret does not open under the "
			       "configured key");
	}
	out[n - over] = '\0';
	return 0;
}

static const char *const whk_state_names[WHK_DELIVERY_STATE_COUNT] = {
	[WHK_PENDING] = "pending",
	[WHK_DELIVERED] = "delivered",
	[WHK_DEAD] = "dead",
};

const char *
whk_delivery_state_text(whk_delivery_state s)
{
	return whk_state_names[s];
}

int
whk_delivery_state_parse(const char *text)
{
	for (int i = 0; i < WHK_DELIVERY_STATE_COUNT; i++) {
		if (text && strcmp(text, whk_state_names[i]) == 0)
			return i;
	}
	return -1;
}

void
whk_decide(whk_verdict *out, const whk_schedule *s, const whk_attempt *a)
{
	memset(out, 0, sizeof(*out));
	if (a->delivered) {
		out->state = WHK_DELIVERED;
		return;
	}
	out->failing_since_ms = a->failing_since_ms ? a->failing_since_ms : a->now_ms;
	out->next_at_ms = whk_next_attempt(s, a->attempts, a->first_at_ms, a->now_ms, a->jitter);
	out->state = out->next_at_ms ? WHK_PENDING : WHK_DEAD;
	out->pause = a->endpoint_active && whk_should_pause(s, out->failing_since_ms, a->now_ms);
}
