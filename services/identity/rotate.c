/* rotate: re-sealing identity numbers under the current key (rotate.h). */
#include "rotate.h"

#include "mem/mem.h"
#include "store.h"

#define IDN_ROTATE_BATCH 100

static int
idn_rotate_row(db_conn *c, const idn_pii_keyring *ring, const idn_kyc_row *row, long *resealed)
{
	char plain[IDN_PII_PLAIN_MAX];
	idn_pii_sealed sealed;
	int changed = 0;
	int rc = idn_pii_open(plain, sizeof(plain), ring, row->user_id, &row->sealed);

	if (rc == 0)
		rc = idn_pii_seal(&sealed, ring, row->user_id, plain);
	sodium_memzero(plain, sizeof(plain));
	if (rc == 0)
		rc = idn_store_kyc_reseal(&changed, c, row->user_id, row->sealed.kid, &sealed);
	sodium_memzero(&sealed, sizeof(sealed));
	*resealed += changed;
	return rc;
}

int
idn_pii_rotate(long *out_resealed, db_conn *c, const idn_pii_keyring *ring)
{
	mem_arena *a = mem_arena_new(0);
	idn_kyc_row *rows = NULL;
	int n = 0, rc = 0;
	long before;

	*out_resealed = 0;
	if (!a)
		return err_oom();
	do {
		before = *out_resealed;
		mem_arena_reset(a);
		rc = idn_store_kyc_sealed_other(&rows, &n, a, c, ring->keys[0].kid,
						IDN_ROTATE_BATCH);
		for (int i = 0; rc == 0 && i < n; i++)
			rc = idn_rotate_row(c, ring, &rows[i], out_resealed);
		for (int i = 0; i < n; i++)
			sodium_memzero(&rows[i].sealed, sizeof(rows[i].sealed));
		/* A full batch that changed nothing (rows raced away) ends it.
		 */
	} while (rc == 0 && n == IDN_ROTATE_BATCH && *out_resealed > before);
	mem_arena_free(a);
	return rc;
}
