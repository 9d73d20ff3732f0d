#include "beneficiary.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int
beneficiary_json(char **out, const char *bank_code, const char *account_number,
		 const char *account_name)
{
	json_t *json = json_pack("{s:s, s:s, s:s}", "bank_code", bank_code, "account_number",
				 account_number, "account_name", account_name);

	*out = json ? json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(json);
	return *out ? 0 : err_set(ERR_RESOURCE_EXHAUSTED, NULL, "out of memory");
}

/* A string member of obj copied into the arena ("" when missing). */
static char *
beneficiary_text(mem_arena *arena, const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return mem_arena_strdup(arena, v ? v : "");
}

int
beneficiary_parse(Kolo__Common__V1__Beneficiary *out, mem_arena *arena, const char *json)
{
	json_t *obj = json_loads(json, 0, NULL);

	kolo__common__v1__beneficiary__init(out);
	out->bank_code = beneficiary_text(arena, obj, "bank_code");
	out->account_number = beneficiary_text(arena, obj, "account_number");
	out->account_name = beneficiary_text(arena, obj, "account_name");
	json_decref(obj);
	return out->bank_code && out->account_number && out->account_name ? 0 : err_oom();
}

/* --- the name rule ----------------------------------------------------------
 */

#define BENEFICIARY_WORDS    16
#define BENEFICIARY_WORD_MAX 48

static int
beneficiary_has_word(char words[BENEFICIARY_WORDS][BENEFICIARY_WORD_MAX], size_t n,
		     const char *word)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(words[i], word) == 0)
			return 1;
	}
	return 0;
}

/* Upper-case alphanumeric words of a name; returns how many. */
static size_t
beneficiary_name_words(const char *name, char words[BENEFICIARY_WORDS][BENEFICIARY_WORD_MAX])
{
	size_t n = 0, len = 0;

	for (const char *p = name;; p++) {
		int alnum = *p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80);

		if (n == BENEFICIARY_WORDS)
			break; /* words past the sixteenth are not compared */
		if (alnum && len + 1 < BENEFICIARY_WORD_MAX) {
			words[n][len++] = (char)toupper((unsigned char)*p);
			continue;
		}
		if (alnum)
			continue; /* an over-long word is cut */
		if (len > 1) {	  /* initials do not count */
			words[n][len] = '\0';
			/* a word said twice counts once ("Obi Obi" is one word)
			 */
			if (!beneficiary_has_word(words, n, words[n]))
				n++;
		}
		len = 0;
		if (!*p)
			break;
	}
	return n;
}

int
beneficiary_names_match(const char *given, const char *resolved)
{
	char a[BENEFICIARY_WORDS][BENEFICIARY_WORD_MAX], b[BENEFICIARY_WORDS][BENEFICIARY_WORD_MAX];
	size_t na = beneficiary_name_words(given, a), nb = beneficiary_name_words(resolved, b);
	char(*small)[BENEFICIARY_WORD_MAX] = na <= nb ? a : b;
	char(*big)[BENEFICIARY_WORD_MAX] = na <= nb ? b : a;
	size_t n_small = na <= nb ? na : nb, n_big = na <= nb ? nb : na;

	/* A lone surname is not a name match when both sides have more. */
	if (n_small == 0 || (n_small < 2 && n_big >= 2))
		return 0;
	for (size_t i = 0; i < n_small; i++) {
		if (!beneficiary_has_word(big, n_big, small[i]))
			return 0;
	}
	return 1;
}
