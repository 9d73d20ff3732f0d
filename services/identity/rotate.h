/* rotate: re-seals identity numbers under the current PII key (the
 * kolo-pii-rotate command; DESIGN §14). */
#ifndef KOLO_IDN_ROTATE_H
#define KOLO_IDN_ROTATE_H

#include "db/db.h"
#include "pii.h"

/* Opens every number sealed under a key other than ring's current one
 * (with the ring's older keys) and seals it again under the current key,
 * one row per transaction (a row changed meanwhile is left alone and
 * picked up by the next run). *out_resealed counts the rows done. A number
 * whose key is not in the ring stops the run: ERR_FAILED_PRECONDITION
 * "pii_key_unknown" (nothing is lost; configure the key and run again). */
KOLO_MUST_CHECK int idn_pii_rotate(long *out_resealed, db_conn *c, const idn_pii_keyring *ring);

#endif
