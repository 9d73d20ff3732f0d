/* What every provider shares. */
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

void
pay_provider_split_name(char *first, char *last, size_t cap, const char *name)
{
	char clean[256];
	char *p, *space;

	text_sanitize_into(clean, sizeof(clean), name);
	p = clean;
	while (*p == ' ')
		p++;
	space = strchr(p, ' ');
	if (space)
		*space++ = '\0';
	while (space && *space == ' ')
		space++;
	text_sanitize_into(first, cap, p[0] ? p : "Kolo");
	text_sanitize_into(last, cap, space && space[0] ? space : "Group");
}

int
pay_provider_no_account(void)
{
	char message[ERR_MESSAGE_MAX];

	snprintf(message, sizeof(message), "%s", err_last()->message);
	return err_set(ERR_NOT_FOUND, "account_not_found", "%s", message);
}

void
pay_provider_event_clear(pay_event *out)
{
	char type_copy[sizeof(out->type)];

	memcpy(type_copy, out->type, sizeof(type_copy));
	memset(out, 0, sizeof(*out));
	memcpy(out->type, type_copy, sizeof(type_copy));
}

void
pay_free_raw(char **raw_json)
{
	free(*raw_json);
	*raw_json = NULL;
}
