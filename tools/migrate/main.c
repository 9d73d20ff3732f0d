/* kolo-migrate: applies the migrations folder to the database.
 *
 * usage: kolo-migrate [--dir DIR] [--status]
 * KOLO_DATABASE_URL (required) is the libpq conninfo or postgresql:// URL;
 * the folder is --dir, else KOLO_MIGRATIONS_DIR, else ./migrations.
 * Exit status: 0 success, 1 failure, 2 usage or configuration error. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

#define MAIN_EXIT_FAILURE 1
#define MAIN_EXIT_USAGE	  2

static void
main_usage(FILE *out)
{
	fputs("usage: kolo-migrate [--dir DIR] [--status]\n"
	      "  --dir DIR   migrations folder (default: $KOLO_MIGRATIONS_DIR, "
	      "else ./migrations)\n"
	      "  --status    list each migration as applied or pending; "
	      "change nothing\n"
	      "environment: KOLO_DATABASE_URL (required), libpq conninfo or "
	      "postgresql:// URL\n",
	      out);
}

static const char *
main_env(const char *name)
{
	const char *value = getenv(name);

	return value != NULL && value[0] != '\0' ? value : NULL;
}

/* A malformed KOLO_DATABASE_URL or an unusable folder is configuration. */
static bool
main_is_config_error(const char *reason)
{
	return strcmp(reason, "bad_conninfo") == 0 ||
	       strcmp(reason, "migrations_dir_unreadable") == 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"dir", required_argument, NULL, 'd'},
		{"status", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = main_env("KOLO_MIGRATIONS_DIR");
	const char *conninfo;
	bool status = false;
	int applied = 0;
	int opt;
	int rc;

	opterr = 0;
	for (;;) {
		opt = getopt_long(argc, argv, "", options, NULL);
		if (opt == -1)
			break;
		if (opt == 'd') {
			dir = optarg;
		} else if (opt == 's') {
			status = true;
		} else if (opt == 'h') {
			main_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "kolo-migrate: bad option %s\n", argv[optind - 1]);
			main_usage(stderr);
			return MAIN_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kolo-migrate: unexpected argument %s\n", argv[optind]);
		main_usage(stderr);
		return MAIN_EXIT_USAGE;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = "migrations";
	conninfo = main_env("KOLO_DATABASE_URL");
	if (conninfo == NULL) {
		fputs("kolo-migrate: KOLO_DATABASE_URL is not set (a libpq "
		      "conninfo or postgresql:// URL)\n",
		      stderr);
		return MAIN_EXIT_USAGE;
	}

	if (status)
		rc = mig_status(conninfo, dir, stdout);
	else
		rc = mig_run(conninfo, dir, stderr, &applied);
	if (rc < 0) {
		fprintf(stderr, "kolo-migrate: %s [%s]\n", err_last()->message, err_last()->reason);
		return main_is_config_error(err_last()->reason) ? MAIN_EXIT_USAGE
								: MAIN_EXIT_FAILURE;
	}
	if (!status && applied == 0)
		fputs("kolo-migrate: nothing to apply\n", stderr);
	return 0;
}
