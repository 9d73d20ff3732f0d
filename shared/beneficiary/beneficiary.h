/* beneficiary: the JSON a withdrawal or a payout row keeps of the account
 * money goes to, {"account_name","account_number","bank_code"}. */
#ifndef KOLO_BENEFICIARY_H
#define KOLO_BENEFICIARY_H

#include "err/err.h"
#include "kolo/common/v1/common.pb-c.h"
#include "mem/mem.h"

/* The JSON of a beneficiary (malloc'd into *out, compact, sorted keys).
 * The fields are taken as given: check them first. */
KOLO_MUST_CHECK int beneficiary_json(char **out, const char *bank_code, const char *account_number,
				     const char *account_name);

/* The beneficiary read back from its JSON into *out (initialised here),
 * its texts copied into the arena ("" for a missing field).
 * ERR_RESOURCE_EXHAUSTED when the arena is full. */
KOLO_MUST_CHECK int beneficiary_parse(Kolo__Common__V1__Beneficiary *out, mem_arena *arena,
				      const char *json);

/* 1 when two names are the same person's: case, spacing and punctuation
 * aside, and in any word order, the words of the shorter name all appear
 * in the other ("NGOZI A. EZE" matches "Eze Ngozi"); initials do not count
 * and a lone surname does not match a fuller name. Payout beneficiaries
 * and KYC use it. */
int beneficiary_names_match(const char *a, const char *b);

#endif
