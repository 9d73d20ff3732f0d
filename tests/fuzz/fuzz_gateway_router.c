/* fuzz_gateway_router: gw_route_match on "METHOD path" taken from the
 * first line of the input, with a fresh arena per input. */
#include "fuzz.h"

#include "gw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_text(data, size);
	char *space;
	gw_request req = {.query = "", .route_index = -1};
	int rc;

	line[strcspn(line, "\r\n")] = '\0';
	space = strchr(line, ' ');
	if (space)
		*space = '\0';
	req.method = line;
	req.path = space ? space + 1 : "";
	req.arena = mem_arena_new(0);

	rc = gw_route_match(&req);
	FUZZ_CHECK(rc >= -3 && rc < (int)gw_n_routes);
	if (rc >= 0) {
		FUZZ_CHECK(strcmp(gw_routes[rc].method, req.method) == 0);
		FUZZ_CHECK(req.n_params <= GW_MAX_PARAMS);
		for (size_t i = 0; i < req.n_params; i++) {
			FUZZ_CHECK(req.params[i].name && req.params[i].value);
			FUZZ_CHECK(req.params[i].value[0] != '\0');
			FUZZ_CHECK(!strchr(req.params[i].value, '/'));
		}
	} else if (rc == -3) {
		FUZZ_CHECK(err_last()->code == ERR_INVALID_ARGUMENT);
	}
	mem_arena_free(req.arena);
	free(line);
	return 0;
}
