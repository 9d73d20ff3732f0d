/* fuzz_gateway_router: gw_route_match on "METHOD path" taken from the
 * first line of the input, with a fresh arena per input; gw_route_allow on
 * the path (405's Allow, preflights), gw_cors_parse on the rest (a
 * KOLO_CORS_ORIGINS value). */
#include "fuzz.h"

#include "gw.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_text(data, size);
	char *space;
	const char *rest;
	size_t first;
	gw_request req = {.query = "", .route_index = -1};
	int rc;

	first = strcspn(line, "\r\n");
	rest = first < size ? line + first + 1 : "";
	line[first] = '\0';
	space = strchr(line, ' ');
	if (space)
		*space = '\0';
	req.method = line;
	req.path = space ? space + 1 : "";
	req.arena = mem_arena_new(0);

	rc = gw_route_match(&req);
	FUZZ_CHECK(rc >= GW_MATCH_BAD_PARAM && rc < (int)gw_n_routes);
	if (rc >= 0) {
		FUZZ_CHECK(strcmp(gw_routes[rc].method, req.method) == 0);
		FUZZ_CHECK(req.n_params <= GW_MAX_PARAMS);
		for (size_t i = 0; i < req.n_params; i++) {
			FUZZ_CHECK(req.params[i].name && req.params[i].value);
			FUZZ_CHECK(req.params[i].value[0] != '\0');
			FUZZ_CHECK(!strchr(req.params[i].value, '/'));
		}
	} else if (rc == GW_MATCH_BAD_PARAM) {
		FUZZ_CHECK(err_last()->code == ERR_INVALID_ARGUMENT);
	}
	{
		const char *allow = gw_route_allow(req.arena, req.path);

		/* A path some route fits names that route's method. */
		FUZZ_CHECK(allow);
		FUZZ_CHECK(rc == GW_MATCH_NO_PATH ? allow[0] == '\0'
						  : strstr(allow, "OPTIONS") != NULL);
		if (rc >= 0)
			FUZZ_CHECK(strstr(allow, req.method) != NULL);
	}
	{
		static gw_cors cors;

		if (gw_cors_parse(&cors, rest) == 0) {
			for (size_t i = 0; i < cors.n; i++) {
				const char *host = strstr(cors.origins[i], "://");

				FUZZ_CHECK(strncmp(cors.origins[i], "http", 4) == 0);
				FUZZ_CHECK(host && !strchr(host + 3, '/'));
				FUZZ_CHECK(gw_cors_decide(&cors, cors.origins[i], 0).credentials);
			}
		}
	}
	mem_arena_free(req.arena);
	free(line);
	return 0;
}
