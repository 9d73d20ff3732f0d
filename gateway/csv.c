/* RFC 4180 fields. */
#include "gw.h"

#include <string.h>

int
gw_csv_field(char *out, size_t cap, size_t *len, const char *field)
{
	int quote = strpbrk(field, ",\"\r\n") != NULL;
	size_t need = strlen(field) + (quote ? 2 : 0);

	for (const char *p = field; quote && *p; p++)
		need += *p == '"';
	if (*len + need + 1 > cap)
		return -1;
	if (quote)
		out[(*len)++] = '"';
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			out[(*len)++] = '"';
		out[(*len)++] = *p;
	}
	if (quote)
		out[(*len)++] = '"';
	out[*len] = '\0';
	return 0;
}
