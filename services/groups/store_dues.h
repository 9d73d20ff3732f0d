/* store_dues: the SQL of dues, waivers and the public_dues switch
 * (migration 0033). Strings in out structs are in the given arena; dates
 * are "YYYY-MM-DD" ("" for none), times RFC 3339 UTC. */
#ifndef KOLO_GRP_STORE_DUES_H
#define KOLO_GRP_STORE_DUES_H

#include "db/db.h"

typedef struct grp_dues_row {
	char *id, *group_id, *name, *kind, *period, *starts_on, *ends_on;
	char *created_by, *created_at;
	int64_t amount_kobo;
} grp_dues_row;

typedef struct grp_waiver_row {
	char *id, *dues_id, *user_id, *due_on, *reason, *waived_by, *created_at;
} grp_waiver_row;

/* Stores in (id, created_* filled by the database) and reads it back into
 * *out. ends_on "" is open-ended. */
KOLO_MUST_CHECK int grp_store_dues_add(grp_dues_row *out, mem_arena *a, db_conn *c,
				       const grp_dues_row *in);

/* The group's dues, oldest first. */
KOLO_MUST_CHECK int grp_store_dues_list(grp_dues_row **out, int *out_n, mem_arena *a, db_conn *c,
					const char *group_id);

/* One dues of the group: ERR_NOT_FOUND `dues_not_found` otherwise. */
KOLO_MUST_CHECK int grp_store_dues_get(grp_dues_row *out, mem_arena *a, db_conn *c,
				       const char *group_id, const char *id);

/* Stores a waiver (due_on "" = all of the dues). One per dues, member and
 * day (or one whole): ERR_ALREADY_EXISTS `already_waived`. */
KOLO_MUST_CHECK int grp_store_waiver_add(grp_waiver_row *out, mem_arena *a, db_conn *c,
					 const grp_waiver_row *in);

/* The waivers of the group's dues, of user_id (NULL: everyone's). */
KOLO_MUST_CHECK int grp_store_waivers(grp_waiver_row **out, int *out_n, mem_arena *a, db_conn *c,
				      const char *group_id, const char *user_id);

/* Turns the public page's paid/unpaid list on or off. */
KOLO_MUST_CHECK int grp_store_set_public_dues(db_conn *c, const char *group_id, int on);

#endif
