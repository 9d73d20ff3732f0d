/* identity_bench ADDR THREADS SECS: Login calls/s (argon2id-bound) and
 * GetMe calls/s (JWT verification + one indexed read) against a running
 * kolo-identity, from THREADS client threads for SECS seconds each. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "load.h"
#include "rpc/rpc.h"

#define BENCH_PASSWORD "benchmark password 2026"

static rpc_channel *channel;
static char email[96];
static char bearer[AUTH_JWT_MAX + 16];

static int
bench_login(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Identity__V1__LoginRequest req = KOLO__IDENTITY__V1__LOGIN_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000};

	(void)arg;
	req.email = email;
	req.password = BENCH_PASSWORD;
	return rpc_call(channel, "Login", &req.base, &resp, &alloc, &opts);
}

static int
bench_get_me(void *arg, mem_arena *arena)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Identity__V1__GetMeRequest req = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_metadata md[] = {{"authorization", bearer}};
	rpc_call_opts opts = {.metadata = md, .n_metadata = 1};

	(void)arg;
	return rpc_call(channel, "GetMe", &req.base, &resp, &alloc, &opts);
}

/* Registers the benchmark's user and keeps its access token. */
static int
bench_register(void)
{
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	Kolo__Identity__V1__RegisterRequest req = KOLO__IDENTITY__V1__REGISTER_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = 30000, .wait_for_ready = 1};
	int rc;

	snprintf(email, sizeof(email), "bench-%d@example.com", (int)getpid());
	req.email = email;
	req.password = BENCH_PASSWORD;
	req.name = "Bench";
	rc = rpc_call(channel, "Register", &req.base, &resp, &alloc, &opts);
	if (rc == 0)
		snprintf(bearer, sizeof(bearer), "Bearer %s",
			 ((Kolo__Identity__V1__RegisterResponse *)resp)->access_token);
	else
		fprintf(stderr, "register: %s\n", err_last()->message);
	mem_arena_free(arena);
	return rc;
}

int
main(int argc, char **argv)
{
	int64_t threads = 0, secs = 0;
	long errors = 1;

	if (argc != 4 || cfg_parse_int(&threads, argv[2], 1, 256) < 0 ||
	    cfg_parse_int(&secs, argv[3], 1, 600) < 0) {
		fprintf(stderr, "usage: identity_bench ADDR THREADS SECS\n");
		return 2;
	}
	rpc_init();
	if (rpc_channel_open(&channel, argv[1], &kolo__identity__v1__identity_service__descriptor,
			     NULL) == 0 &&
	    bench_register() == 0) {
		errors = bench_run("login", (int)threads, (double)secs, bench_login, NULL);
		errors += bench_run("get_me", (int)threads, (double)secs, bench_get_me, NULL);
	}
	rpc_channel_close(channel);
	rpc_shutdown();
	return errors ? 1 : 0;
}
