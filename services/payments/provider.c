/* What every provider shares. */
#include "provider.h"

#include <stdlib.h>

void
pay_free_raw(char **raw_json)
{
	free(*raw_json);
	*raw_json = NULL;
}
