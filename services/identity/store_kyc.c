/* store: the SQL of identity checks (user_kyc). Sealed numbers cross as
 * hex (encode/decode), never as text anyone could log. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#define IDN_KYC_COLUMNS                                                                            \
	"user_id, id_type, status, id_hash, last3, key_id, encode(id_nonce, "                      \
	"'hex'), "                                                                                 \
	"encode(id_cipher, 'hex'), provider, provider_ref, consent_url, "                          \
	"reason, " DB_RFC3339("verified_at") ", COALESCE(verified_name, '')"

static int
idn_kyc_unhex(unsigned char *out, size_t cap, size_t *len, const char *hex)
{
	return sodium_hex2bin(out, cap, hex, strlen(hex), NULL, len, NULL) == 0
		       ? 0
		       : err_set(ERR_INTERNAL, "pii_corrupt", "a sealed number is malformed");
}

static int
idn_kyc_read(mem_arena *a, const PGresult *res, int row, idn_kyc_row *out)
{
	char *cols[14];
	size_t nonce_len = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 14; i++) {
		cols[i] = db_text(a, res, row, i);
		if (!cols[i])
			return err_oom();
	}
	*out = (idn_kyc_row){.user_id = cols[0],
			     .id_type = cols[1],
			     .status = cols[2],
			     .id_hash = cols[3],
			     .last3 = cols[4],
			     .provider = cols[8],
			     .provider_ref = cols[9],
			     .consent_url = cols[10],
			     .reason = cols[11],
			     .verified_at = cols[12],
			     .verified_name = cols[13]};
	if (!cols[5][0])
		return 0;
	out->has_number = 1;
	snprintf(out->sealed.kid, sizeof(out->sealed.kid), "%s", cols[5]);
	if (idn_kyc_unhex(out->sealed.nonce, sizeof(out->sealed.nonce), &nonce_len, cols[6]) < 0 ||
	    idn_kyc_unhex(out->sealed.cipher, sizeof(out->sealed.cipher), &out->sealed.cipher_len,
			  cols[7]) < 0)
		return err_last()->code;
	return nonce_len == sizeof(out->sealed.nonce)
		       ? 0
		       : err_set(ERR_INTERNAL, "pii_corrupt", "a sealed number is malformed");
}

int
idn_store_kyc_get(idn_kyc_row *out, int *out_found, mem_arena *a, db_conn *c, const char *user_id,
		  int lock)
{
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 lock ? "SELECT " IDN_KYC_COLUMNS
				" FROM user_kyc WHERE user_id = $1::uuid FOR UPDATE"
			      : "SELECT " IDN_KYC_COLUMNS " FROM user_kyc WHERE user_id = $1::uuid",
			 1, &user_id);

	*out_found = 0;
	if (rc == 0 && PQntuples(res) == 1) {
		*out_found = 1;
		rc = idn_kyc_read(a, res, 0, out);
	}
	PQclear(res);
	return rc;
}

static int
idn_kyc_in_use(void)
{
	return err_set(ERR_ALREADY_EXISTS, "kyc_id_in_use",
		       "this id number is verified for another account");
}

int
idn_store_kyc_hash_free(db_conn *c, const char *id_hash, const char *user_id)
{
	const char *params[] = {id_hash, user_id};
	PGresult *res = NULL;
	int rc = db_exec(c, &res,
			 "SELECT 1 FROM user_kyc WHERE id_hash = $1 AND status "
			 "= 'verified'"
			 " AND user_id <> $2::uuid",
			 2, params);

	if (rc == 0 && PQntuples(res) > 0)
		rc = idn_kyc_in_use();
	PQclear(res);
	return rc;
}

int
idn_store_kyc_put(db_conn *c, const idn_kyc_row *row)
{
	char nonce[IDN_PII_NONCE_BYTES * 2 + 1], cipher[IDN_PII_CIPHER_MAX * 2 + 1];
	const char *params[13];
	int rc;

	sodium_bin2hex(nonce, sizeof(nonce), row->sealed.nonce, sizeof(row->sealed.nonce));
	sodium_bin2hex(cipher, sizeof(cipher), row->sealed.cipher, row->sealed.cipher_len);
	params[0] = row->user_id;
	params[1] = row->id_type;
	params[2] = row->status;
	params[3] = row->id_hash;
	params[4] = row->last3;
	params[5] = row->has_number ? row->sealed.kid : NULL;
	params[6] = row->has_number ? nonce : NULL;
	params[7] = row->has_number ? cipher : NULL;
	params[8] = row->provider;
	params[9] = row->provider_ref && row->provider_ref[0] ? row->provider_ref : NULL;
	params[10] = row->consent_url && row->consent_url[0] ? row->consent_url : NULL;
	params[11] = row->reason && row->reason[0] ? row->reason : NULL;
	params[12] =
		strcmp(row->status, "verified") == 0 && row->verified_name && row->verified_name[0]
			? row->verified_name
			: NULL;
	rc = db_run(c,
		    "INSERT INTO user_kyc (user_id, id_type, status, id_hash, "
		    "last3, key_id,"
		    " id_nonce, id_cipher, provider, provider_ref, consent_url, "
		    "reason,"
		    " verified_at, verified_name)"
		    " VALUES ($1::uuid, $2, $3, $4, $5, $6, decode($7, 'hex'), "
		    "decode($8, 'hex'),"
		    " $9, $10, $11, $12, CASE WHEN $3 = 'verified' THEN now() END, $13)"
		    " ON CONFLICT (user_id) DO UPDATE SET id_type = "
		    "EXCLUDED.id_type,"
		    " status = EXCLUDED.status, id_hash = EXCLUDED.id_hash,"
		    " last3 = EXCLUDED.last3, key_id = EXCLUDED.key_id,"
		    " id_nonce = EXCLUDED.id_nonce, id_cipher = EXCLUDED.id_cipher,"
		    " provider = EXCLUDED.provider, provider_ref = "
		    "EXCLUDED.provider_ref,"
		    " consent_url = EXCLUDED.consent_url, reason = EXCLUDED.reason,"
		    " submitted_at = now(), checked_at = NULL,"
		    " verified_at = EXCLUDED.verified_at,"
		    " verified_name = EXCLUDED.verified_name, erased_at = NULL",
		    13, params);
	sodium_memzero(cipher, sizeof(cipher));
	return rc == ERR_ALREADY_EXISTS ? idn_kyc_in_use() : rc;
}

int
idn_store_kyc_result(int *out_changed, db_conn *c, const char *user_id, const char *provider_ref,
		     const char *status, const char *reason, const char *verified_name)
{
	const char *params[] = {user_id, provider_ref, status, reason,
				verified_name && verified_name[0] ? verified_name : NULL};
	int rc = db_run_count(out_changed, c,
			      "UPDATE user_kyc SET status = $3, reason = $4, checked_at = "
			      "now(),"
			      " consent_url = CASE WHEN $3 = 'pending' THEN consent_url END,"
			      " verified_at = CASE WHEN $3 = 'verified' THEN now() END,"
			      " verified_name = CASE WHEN $3 = 'verified' THEN $5 END"
			      " WHERE user_id = $1::uuid AND provider_ref = $2 AND status = "
			      "'pending'",
			      5, params);

	return rc == ERR_ALREADY_EXISTS ? idn_kyc_in_use() : rc;
}

int
idn_store_kyc_pending(idn_kyc_row **out, int *out_n, mem_arena *a, db_conn *c, int limit)
{
	char lim[DB_I64_TEXT];
	const char *param = db_i64(lim, limit);

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " IDN_KYC_COLUMNS " FROM user_kyc WHERE status = 'pending'"
			     " AND provider_ref IS NOT NULL ORDER BY checked_at NULLS FIRST"
			     " LIMIT $1::int",
			     1, &param, idn_kyc_read);
}

int
idn_store_kyc_erase(int *out_erased, db_conn *c, const char *user_id)
{
	return db_run_count(out_erased, c,
			    "UPDATE user_kyc SET key_id = NULL, id_nonce = NULL, "
			    "id_cipher = NULL,"
			    " erased_at = now() WHERE user_id = $1::uuid AND "
			    "key_id IS NOT NULL",
			    1, &user_id);
}

int
idn_store_kyc_sealed_other(idn_kyc_row **out, int *out_n, mem_arena *a, db_conn *c, const char *kid,
			   int limit)
{
	char lim[DB_I64_TEXT];
	const char *params[] = {kid, db_i64(lim, limit)};

	return DB_QUERY_ROWS(out, out_n, a, c,
			     "SELECT " IDN_KYC_COLUMNS " FROM user_kyc WHERE key_id IS NOT NULL"
			     " AND key_id <> $1 ORDER BY user_id LIMIT $2::int",
			     2, params, idn_kyc_read);
}

int
idn_store_kyc_reseal(int *out_changed, db_conn *c, const char *user_id, const char *old_kid,
		     const idn_pii_sealed *sealed)
{
	char nonce[IDN_PII_NONCE_BYTES * 2 + 1], cipher[IDN_PII_CIPHER_MAX * 2 + 1];
	const char *params[] = {user_id, old_kid, sealed->kid, nonce, cipher};

	sodium_bin2hex(nonce, sizeof(nonce), sealed->nonce, sizeof(sealed->nonce));
	sodium_bin2hex(cipher, sizeof(cipher), sealed->cipher, sealed->cipher_len);
	return db_run_count(out_changed, c,
			    "UPDATE user_kyc SET key_id = $3, id_nonce = decode($4, 'hex'),"
			    " id_cipher = decode($5, 'hex') WHERE user_id = $1::uuid AND "
			    "key_id = $2",
			    5, params);
}
