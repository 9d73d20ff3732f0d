/* Rate limits that must hold across replicas, counted in PostgreSQL
 * (payments_rate_window): bank-account resolution per user and per group,
 * webhook deliveries whose signature fails per client address. */
#include "payments.h"

#define PAY_DEFAULT_WINDOW_S 3600

int
pay_rate_take(const char *kind, const char *key, int limit, int window_s, const char *what)
{
	db_conn *c = NULL;
	int hits = 0, retry_s = 0;
	int rc;

	if (limit <= 0)
		return 0;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = pay_store_rate_hit(&hits, &retry_s, c, kind, key,
					window_s > 0 ? window_s : PAY_DEFAULT_WINDOW_S);
	if (rc < 0)
		return rc;
	if (hits <= limit)
		return 0;
	err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited", "too many %s: try again in %d s", what,
		retry_s);
	return err_set_retry_after(retry_s);
}
