#include "beneficiary.h"

#include <jansson.h>
#include <stdlib.h>

int svc_beneficiary_json(char **out, const char *bank_code, const char *account_number,
			 const char *account_name)
{
	json_t *json = json_pack("{s:s, s:s, s:s}", "bank_code", bank_code,
				 "account_number", account_number, "account_name",
				 account_name);

	*out = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(json);
	return *out ? 0 : err_set(ERR_RESOURCE_EXHAUSTED, NULL, "out of memory");
}

/* A string member of obj copied into the arena ("" when missing). */
static char *svc_json_text(mem_arena *arena, const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return mem_arena_strdup(arena, v ? v : "");
}

int svc_beneficiary_parse(Kolo__Common__V1__Beneficiary *out, mem_arena *arena,
			  const char *json)
{
	json_t *obj = json_loads(json, 0, NULL);

	kolo__common__v1__beneficiary__init(out);
	out->bank_code = svc_json_text(arena, obj, "bank_code");
	out->account_number = svc_json_text(arena, obj, "account_number");
	out->account_name = svc_json_text(arena, obj, "account_name");
	json_decref(obj);
	return out->bank_code && out->account_number && out->account_name ? 0 : err_oom();
}
