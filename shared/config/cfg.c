#include "cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int
cfg_parse_int(int64_t *out, const char *text, int64_t min, int64_t max)
{
	char *end = NULL;
	long long v;

	if (!text || !*text)
		return ERR_INVALID_ARGUMENT;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return ERR_INVALID_ARGUMENT;
	*out = v;
	return 0;
}

static int
cfg_parse_bool(int *out, const char *text)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return ERR_INVALID_ARGUMENT;
}

static int
cfg_check_addr(const char *text)
{
	const char *colon = strrchr(text, ':');
	int64_t port;

	/* A gRPC unix socket target (unix:/path, unix:///path) has no port. */
	if (strncmp(text, "unix:", 5) == 0)
		return text[5] ? 0 : ERR_INVALID_ARGUMENT;
	if (!colon || colon == text)
		return ERR_INVALID_ARGUMENT;
	return cfg_parse_int(&port, colon + 1, 0, 65535);
}

static int
cfg_load_one(const cfg_var *v)
{
	const char *text = getenv(v->name);

	if (!text || !*text)
		text = v->fallback;
	if (!text)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config", "%s is required and not set",
			       v->name);
	switch (v->type) {
	case CFG_STRING:
		*(const char **)v->out = text;
		return 0;
	case CFG_INT:
		if (cfg_parse_int(v->out, text, v->min, v->max) < 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "%s must be an integer in %lld..%lld", v->name,
				       (long long)v->min, (long long)v->max);
		return 0;
	case CFG_BOOL:
		if (cfg_parse_bool(v->out, text) < 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "%s must be true or false", v->name);
		return 0;
	case CFG_ADDR:
		if (cfg_check_addr(text) < 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config", "%s must be host:port",
				       v->name);
		*(const char **)v->out = text;
		return 0;
	case CFG_FILE:
		if (!*text) {
			*(const char **)v->out = NULL;
			return 0;
		}
		if (access(text, R_OK) != 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "%s names a file that cannot be read", v->name);
		*(const char **)v->out = text;
		return 0;
	}
	return err_set(ERR_INTERNAL, "bad_config", "%s has an unknown type", v->name);
}

int
cfg_load(const cfg_var *vars, size_t n_vars)
{
	int rc;

	for (size_t i = 0; i < n_vars; i++) {
		rc = cfg_load_one(&vars[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}
