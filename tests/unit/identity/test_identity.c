/* The rules of accounts, tokens and PINs (identity.c), every public
 * function: the configuration and its signing key, secrets' hashes,
 * tokens, access tokens and their window, and emails, passwords, names
 * and PINs at their boundaries. No I/O (argon2id runs at its minimum
 * profile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "identity.h"
#include "test_keys.h"

#define NOW	 1700000000LL
#define USER	 "33333333-3333-4333-8333-333333333333"
#define SESSION	 "44444444-4444-4444-8444-444444444444"
#define BAD_SEED "the signing key must be a base64url 32-byte seed"

/* Asserts that expr fails with code and reason (recorded by this call). */
#define assert_fails(expr, want_code, want_reason)                                                 \
	do {                                                                                       \
		err_clear();                                                                       \
		assert_int_equal((expr), (want_code));                                             \
		assert_int_equal(err_last()->code, (want_code));                                   \
		assert_string_equal(err_last()->reason, (want_reason));                            \
	} while (0)

/* The signing key every test's configuration holds. */
static test_key key;
static char seed_text[64];
static auth_keyring ring;

/* n copies of the string unit in buf. */
static const char *
rep(char *buf, const char *unit, size_t n)
{
	size_t len = strlen(unit);

	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * len, unit, len);
	buf[n * len] = '\0';
	return buf;
}

/* The defaults at argon2id's minimum profile, with the test key. */
static int
config_make(idn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	idn_config_defaults(cfg);
	cfg->pwhash_ops = crypto_pwhash_OPSLIMIT_MIN;
	cfg->pwhash_mem = crypto_pwhash_MEMLIMIT_MIN;
	cfg->keys = ring;
	return idn_config_set_key(cfg, "k1", seed_text);
}

static int
init_default(void **state)
{
	idn_config cfg;

	(void)state;
	return config_make(&cfg) == 0 && idn_init(&cfg) == 0 ? 0 : -1;
}

static int
setup_all(void **state)
{
	if (auth_init() < 0 || test_key_seeded(&key, "k1", seed_text, sizeof(seed_text)) < 0)
		return -1;
	test_keyring_add(&ring, &key);
	return init_default(state);
}

/* --- the configuration ----------------------------------------------------------- */

static void
test_config_defaults(void **state)
{
	idn_config cfg;
	idn_limits limits;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.kid, sizeof(cfg.kid), "kept");
	cfg.keys.n_keys = 1;
	cfg.secret_key[0] = 0x5a;
	idn_config_defaults(&cfg);
	assert_true(cfg.pwhash_ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_true(cfg.pwhash_mem == crypto_pwhash_MEMLIMIT_INTERACTIVE);
	assert_true(cfg.access_ttl_s == 900);
	assert_true(cfg.refresh_ttl_s == 30 * 24 * 3600);
	assert_true(cfg.reuse_grace_s == 10);
	memset(&limits, 0, sizeof(limits)); /* padding compares too */
	idn_limits_defaults(&limits);
	assert_memory_equal(&cfg.limits, &limits, sizeof(limits));
	/* the key fields are left alone */
	assert_string_equal(cfg.kid, "kept");
	assert_int_equal(cfg.keys.n_keys, 1);
	assert_int_equal(cfg.secret_key[0], 0x5a);
}

static void
test_config_set_key(void **state)
{
	idn_config cfg;
	test_key other;
	char other_seed[64], text[64];
	unsigned char bytes[40] = {0};
	char kid[80];

	(void)state;
	assert_int_equal(config_make(&cfg), 0);
	assert_string_equal(cfg.kid, "k1");
	assert_memory_equal(cfg.secret_key, key.sk, sizeof(key.sk));

	/* the signing key may be any of the published ones */
	assert_int_equal(test_key_seeded(&other, "k0", other_seed, sizeof(other_seed)), 0);
	memset(&cfg, 0, sizeof(cfg));
	test_keyring_add(&cfg.keys, &other);
	test_keyring_add(&cfg.keys, &key);
	assert_int_equal(idn_config_set_key(&cfg, "k1", seed_text), 0);
	assert_string_equal(cfg.kid, "k1");
	assert_memory_equal(cfg.secret_key, key.sk, sizeof(key.sk));

	/* a seed of anything but 32 bytes, or not base64url */
	cfg.keys = ring;
	snprintf(cfg.kid, sizeof(cfg.kid), "old");
	assert_fails(idn_config_set_key(&cfg, "k1", ""), ERR_INVALID_ARGUMENT, "bad_config");
	assert_fails(idn_config_set_key(&cfg, "k1", "not base64!"), ERR_INVALID_ARGUMENT,
		     "bad_config");
	assert_int_equal(auth_b64url_encode(text, sizeof(text), bytes, 31), 0);
	assert_fails(idn_config_set_key(&cfg, "k1", text), ERR_INVALID_ARGUMENT, "bad_config");
	assert_int_equal(auth_b64url_encode(text, sizeof(text), bytes, 33), 0);
	assert_fails(idn_config_set_key(&cfg, "k1", text), ERR_INVALID_ARGUMENT, "bad_config");
	assert_string_equal(err_last()->message, BAD_SEED);
	/* a kid of 1..63 bytes */
	assert_fails(idn_config_set_key(&cfg, "", seed_text), ERR_INVALID_ARGUMENT, "bad_config");
	assert_fails(idn_config_set_key(&cfg, rep(kid, "k", AUTH_KID_MAX), seed_text),
		     ERR_INVALID_ARGUMENT, "bad_config");
	assert_string_equal(err_last()->message, BAD_SEED);
	/* the public half must be published under that kid */
	assert_fails(idn_config_set_key(&cfg, "k2", seed_text), ERR_INVALID_ARGUMENT, "bad_config");
	assert_string_equal(err_last()->message,
			    "KOLO_JWT_PUBLIC_KEYS lacks the public key of kid k2");
	assert_fails(idn_config_set_key(&cfg, "k1", other_seed), ERR_INVALID_ARGUMENT,
		     "bad_config");
	cfg.keys.n_keys = 0;
	assert_fails(idn_config_set_key(&cfg, "k1", seed_text), ERR_INVALID_ARGUMENT, "bad_config");
	assert_string_equal(cfg.kid, "old"); /* the kid is set only on success */

	/* the longest kid */
	memset(&cfg, 0, sizeof(cfg));
	snprintf(other.kid, sizeof(other.kid), "%s", rep(kid, "k", AUTH_KID_MAX - 1));
	memcpy(other.pk, key.pk, sizeof(key.pk));
	test_keyring_add(&cfg.keys, &other);
	assert_int_equal(idn_config_set_key(&cfg, rep(kid, "k", AUTH_KID_MAX - 1), seed_text), 0);
	assert_int_equal(strlen(cfg.kid), AUTH_KID_MAX - 1);
}

/* idn_init copies the configuration; a profile argon2id refuses fails
 * it (and every hash) with hash_failed. */
static void
test_init_and_current(void **state)
{
	idn_config cfg;
	char hash[IDN_SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(config_make(&cfg), 0);
	cfg.access_ttl_s = 60;
	assert_int_equal(idn_init(&cfg), 0);
	assert_ptr_not_equal(idn_current(), &cfg);
	assert_string_equal(idn_current()->kid, "k1");
	assert_memory_equal(idn_current()->secret_key, key.sk, sizeof(key.sk));
	assert_int_equal(idn_current()->keys.n_keys, 1);
	assert_memory_equal(&idn_current()->keys.keys[0], &ring.keys[0], sizeof(ring.keys[0]));
	assert_true(idn_current()->pwhash_ops == crypto_pwhash_OPSLIMIT_MIN);
	assert_true(idn_current()->pwhash_mem == crypto_pwhash_MEMLIMIT_MIN);
	assert_true(idn_current()->refresh_ttl_s == cfg.refresh_ttl_s);
	assert_true(idn_current()->reuse_grace_s == cfg.reuse_grace_s);
	assert_memory_equal(&idn_current()->limits, &cfg.limits, sizeof(cfg.limits));
	cfg.access_ttl_s = 61;
	assert_true(idn_current()->access_ttl_s == 60);

	cfg.pwhash_ops = 0;
	assert_fails(idn_init(&cfg), ERR_RESOURCE_EXHAUSTED, "hash_failed");
	assert_fails(idn_hash_secret(hash, "secret-1"), ERR_RESOURCE_EXHAUSTED, "hash_failed");
	assert_int_equal(init_default(NULL), 0);
	assert_int_equal(idn_hash_secret(hash, "secret-1"), 0);
}

/* --- secrets and tokens --------------------------------------------------------------- */

static void
test_hash_and_verify_secret(void **state)
{
	char a[IDN_SECRET_HASH_MAX], b[IDN_SECRET_HASH_MAX], empty[IDN_SECRET_HASH_MAX];

	(void)state;
	assert_int_equal(idn_hash_secret(a, "correct horse"), 0);
	assert_int_equal(idn_hash_secret(b, "correct horse"), 0);
	/* argon2id at the configured profile, salted */
	assert_non_null(strstr(a, "$argon2id$"));
	assert_non_null(strstr(a, "$m=8,t=1,p=1$"));
	assert_string_not_equal(a, b);
	assert_true(idn_verify_secret(a, "correct horse"));
	assert_true(idn_verify_secret(b, "correct horse"));
	assert_false(idn_verify_secret(a, "correct horsE"));
	assert_false(idn_verify_secret(a, "correct hors"));
	assert_false(idn_verify_secret(a, ""));
	assert_false(idn_verify_secret("", "correct horse"));
	assert_false(idn_verify_secret("$argon2id$v=19$garbage", "correct horse"));
	assert_int_equal(idn_hash_secret(empty, ""), 0);
	assert_true(idn_verify_secret(empty, ""));
	assert_false(idn_verify_secret(empty, "x"));
	/* burning time changes nothing observable */
	err_clear();
	idn_burn_time("correct horse");
	assert_int_equal(err_last()->code, ERR_OK);
}

static void
test_token_hash_vectors(void **state)
{
	char hash[IDN_TOKEN_HASH_TEXT];

	(void)state;
	idn_token_hash(hash, "abc");
	assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223"
				  "b00361a396177a9cb410ff61f20015ad");
	idn_token_hash(hash, "");
	assert_string_equal(hash, "e3b0c44298fc1c149afbf4c8996fb924"
				  "27ae41e4649b934ca495991b7852b855");
}

static void
test_new_token(void **state)
{
	char t1[IDN_TOKEN_TEXT], h1[IDN_TOKEN_HASH_TEXT], again[IDN_TOKEN_HASH_TEXT];
	char t2[IDN_TOKEN_TEXT], h2[IDN_TOKEN_HASH_TEXT];
	unsigned char raw[64];
	size_t n = 0;

	(void)state;
	idn_new_token(t1, h1);
	idn_new_token(t2, h2);
	assert_int_equal(strlen(t1), 43);
	assert_int_equal(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_"),
			 43);
	assert_int_equal(auth_b64url_decode(raw, sizeof(raw), &n, t1, strlen(t1)), 0);
	assert_int_equal(n, AUTH_TOKEN_BYTES);
	assert_int_equal(strlen(h1), 64);
	idn_token_hash(again, t1);
	assert_string_equal(h1, again);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(h1, h2);
}

static void
test_issue_access(void **state)
{
	mem_arena *arena = mem_arena_new(0), *full = mem_arena_new(1);
	auth_claims c;
	char *a = NULL, *b = NULL, *none = NULL;
	idn_config cfg;

	(void)state;
	assert_int_equal(idn_issue_access(&a, arena, USER, SESSION, NOW), 0);
	assert_int_equal(auth_jwt_verify(&c, &ring, a, NOW), 0);
	assert_string_equal(c.sub, USER);
	assert_string_equal(c.sid, SESSION);
	assert_true(c.iat == NOW);
	assert_true(c.exp == NOW + 900);
	assert_int_equal(strlen(c.jti), 32);
	assert_int_equal(strspn(c.jti, "0123456789abcdef"), 32);
	/* valid to its last second, not after */
	assert_int_equal(auth_jwt_verify(&c, &ring, a, NOW + 899), 0);
	assert_fails(auth_jwt_verify(&c, &ring, a, NOW + 900), ERR_UNAUTHENTICATED,
		     "token_expired");
	/* every token its own jti; no session: no sid */
	assert_int_equal(idn_issue_access(&b, arena, USER, NULL, NOW), 0);
	assert_int_equal(auth_jwt_verify(&c, &ring, b, NOW), 0);
	assert_string_equal(c.sid, "");
	assert_string_not_equal(a, b);
	/* the configured lifetime */
	assert_int_equal(config_make(&cfg), 0);
	cfg.access_ttl_s = 60;
	assert_int_equal(idn_init(&cfg), 0);
	assert_int_equal(idn_issue_access(&b, arena, USER, "", NOW), 0);
	assert_int_equal(auth_jwt_verify(&c, &ring, b, NOW), 0);
	assert_true(c.exp == NOW + 60);
	/* a full arena */
	assert_fails(idn_issue_access(&none, full, USER, SESSION, NOW), ERR_RESOURCE_EXHAUSTED,
		     err_default_reason(ERR_RESOURCE_EXHAUSTED));
	assert_null(none);
	assert_int_equal(init_default(NULL), 0);
	mem_arena_free(full);
	mem_arena_free(arena);
}

static void
test_session_window(void **state)
{
	idn_config cfg;

	(void)state;
	assert_true(idn_session_window_us() == (900LL + IDN_SESSION_MARGIN_S) * 1000000);
	assert_int_equal(config_make(&cfg), 0);
	cfg.access_ttl_s = 60;
	assert_int_equal(idn_init(&cfg), 0);
	assert_true(idn_session_window_us() == 180LL * 1000000);
	assert_int_equal(init_default(NULL), 0);
}

/* --- what a person types ------------------------------------------------------------------ */

static void
test_normalize_email(void **state)
{
	mem_arena *arena = mem_arena_new(0), *full = mem_arena_new(1);
	static const char *const good[][2] = {
		{"a@b.c", "a@b.c"},
		{"  Ada.Obi@Example.COM \n", "ada.obi@example.com"},
		{"a+tag_1@sub.example.ng", "a+tag_1@sub.example.ng"},
		{"o'neil@b.co", "o'neil@b.co"},
	};
	static const char *const bad[] = {
		"",	   "   ",    "a@",	  "@b",		  "a@b",       "ab.c",
		"@b.c",	   "a@@b.c", "a@b@c.d",	  "a@.b",	  "a@b.",      "a@b.c.",
		"a b@c.d", "a@b .c", "a\x01@b.c", "\xc3\xa9@b.c", "a@b.c\x7f", "\"a\"@b.c",
		"a(b@c.d", "a)@b.c", "a,b@c.d",	  "a:b@c.d",	  "a;b@c.d",   "<a@b.c>",
		"a[b@c.d", "a]@b.c", "a\\b@c.d",
	};
	char local[80], domain[300], email[400];
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(idn_normalize_email(&out, arena, good[i][0]), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		assert_fails(idn_normalize_email(&out, arena, bad[i]), ERR_INVALID_ARGUMENT,
			     "invalid_email");
		assert_null(out);
	}
	/* a local part of at most 64 bytes */
	snprintf(email, sizeof(email), "%s@b.c", rep(local, "l", 64));
	assert_int_equal(idn_normalize_email(&out, arena, email), 0);
	snprintf(email, sizeof(email), "%s@b.c", rep(local, "l", 65));
	assert_fails(idn_normalize_email(&out, arena, email), ERR_INVALID_ARGUMENT,
		     "invalid_email");
	/* at most 254 bytes in all, counted after trimming */
	rep(domain, "d", 185);
	snprintf(email, sizeof(email), " %s@%s.com ", rep(local, "l", 64), domain);
	assert_int_equal(idn_normalize_email(&out, arena, email), 0);
	assert_int_equal(strlen(out), IDN_EMAIL_MAX);
	rep(domain, "d", 186);
	snprintf(email, sizeof(email), "%s@%s.com", rep(local, "l", 64), domain);
	assert_fails(idn_normalize_email(&out, arena, email), ERR_INVALID_ARGUMENT,
		     "invalid_email");
	out = NULL;
	assert_fails(idn_normalize_email(&out, full, "a@b.c"), ERR_RESOURCE_EXHAUSTED,
		     err_default_reason(ERR_RESOURCE_EXHAUSTED));
	assert_null(out);
	mem_arena_free(full);
	mem_arena_free(arena);
}

static void
test_check_password(void **state)
{
	char buf[1100];

	(void)state;
	assert_int_equal(idn_check_password(rep(buf, "p", IDN_PASSWORD_MIN)), 0);
	assert_int_equal(idn_check_password(rep(buf, "p", IDN_PASSWORD_MAX)), 0);
	assert_fails(idn_check_password(rep(buf, "p", IDN_PASSWORD_MIN - 1)), ERR_INVALID_ARGUMENT,
		     "weak_password");
	assert_string_equal(err_last()->message, "password must be 8 to 1024 bytes");
	assert_fails(idn_check_password(rep(buf, "p", IDN_PASSWORD_MAX + 1)), ERR_INVALID_ARGUMENT,
		     "weak_password");
	assert_fails(idn_check_password(""), ERR_INVALID_ARGUMENT, "weak_password");
	/* bytes, not characters: three euro signs are 9 */
	assert_int_equal(idn_check_password(rep(buf, "\xe2\x82\xac", 3)), 0);
	assert_fails(idn_check_password("\xe2\x82\xac\xe2\x82\xac\x41"), ERR_INVALID_ARGUMENT,
		     "weak_password");
}

static void
test_normalize_name(void **state)
{
	mem_arena *arena = mem_arena_new(0), *full = mem_arena_new(1);
	static const char *const bad[] = {"",	   " \t\n ",  "a\tb",	  "a\nb",
					  "a\x7f", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80"};
	char buf[512], padded[600];
	char *out = NULL;

	(void)state;
	assert_int_equal(idn_normalize_name(&out, arena, "  Ada   Obi  "), 0);
	assert_string_equal(out, "Ada   Obi");
	assert_int_equal(idn_normalize_name(&out, arena, "\xc3\x80"), 0);
	assert_string_equal(out, "\xc3\x80");
	snprintf(padded, sizeof(padded), " %s\n", rep(buf, "n", IDN_NAME_MAX));
	assert_int_equal(idn_normalize_name(&out, arena, padded), 0);
	assert_int_equal(strlen(out), IDN_NAME_MAX);
	assert_fails(idn_normalize_name(&out, arena, rep(buf, "n", IDN_NAME_MAX + 1)),
		     ERR_INVALID_ARGUMENT, "invalid_name");
	assert_string_equal(err_last()->message, "name is required: 1 to 120 characters of text");
	assert_int_equal(idn_normalize_name(&out, arena, rep(buf, "\xc3\x80", 60)), 0);
	assert_fails(idn_normalize_name(&out, arena, rep(buf, "\xc3\x80", 61)),
		     ERR_INVALID_ARGUMENT, "invalid_name");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		assert_fails(idn_normalize_name(&out, arena, bad[i]), ERR_INVALID_ARGUMENT,
			     "invalid_name");
		assert_null(out);
	}
	assert_fails(idn_normalize_name(&out, full, "Ada"), ERR_RESOURCE_EXHAUSTED,
		     err_default_reason(ERR_RESOURCE_EXHAUSTED));
	assert_null(out);
	mem_arena_free(full);
	mem_arena_free(arena);
}

static void
test_check_pin(void **state)
{
	static const char *const good[] = {"0000", "1234", "12345", "999999"};
	static const char *const bad[] = {
		"",	 "123",	 "1234567", "12a4",  " 1234",
		"1234 ", "-123", "+1234",   "12.34", "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(idn_check_pin(good[i], "pin"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_fails(idn_check_pin(bad[i], "pin"), ERR_INVALID_ARGUMENT, "invalid_pin");
	assert_fails(idn_check_pin("12", "new_pin"), ERR_INVALID_ARGUMENT, "invalid_pin");
	assert_string_equal(err_last()->message, "new_pin must be 4 to 6 digits");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_set_key),
		cmocka_unit_test(test_init_and_current),
		cmocka_unit_test(test_hash_and_verify_secret),
		cmocka_unit_test(test_token_hash_vectors),
		cmocka_unit_test(test_new_token),
		cmocka_unit_test(test_issue_access),
		cmocka_unit_test(test_session_window),
		cmocka_unit_test(test_normalize_email),
		cmocka_unit_test(test_check_password),
		cmocka_unit_test(test_normalize_name),
		cmocka_unit_test(test_check_pin),
	};

	return cmocka_run_group_tests(tests, setup_all, NULL);
}
