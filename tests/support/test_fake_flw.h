/* test_fake_flw: the fake Flutterwave v3 server
 * (tests/fake_flutterwave/fake_flutterwave.py) started by a test program,
 * and its /_control API.
 *
 * One fake per process. test_fake_flw_start() and test_fake_flw_stop() suit
 * a cmocka group setup and teardown; the other functions are for use inside
 * a test or fixture: on failure they fail() the test. */
#ifndef KOLO_TEST_FAKE_FLW_H
#define KOLO_TEST_FAKE_FLW_H

#include <jansson.h>

/* The secret key the fake accepts (Authorization: Bearer). */
#define TEST_FAKE_FLW_SECRET_KEY "FLWSECK_TEST-fake"

/* Starts the fake on a free loopback port (it exits with this process even
 * if the process crashes) and initialises libcurl. 0 or -1 (after a
 * message on stderr). */
int test_fake_flw_start(void);

/* The path of the fake Paystack server and the secret key it accepts. */
#define TEST_FAKE_PSK_SCRIPT	 KOLO_SOURCE_DIR "/tests/fake_paystack/fake_paystack.py"
#define TEST_FAKE_PSK_SECRET_KEY "sk_test_fake_paystack"

/* test_fake_flw_start() for another fake with the same command line and
 * /_control API (tests/fake_paystack/fake_paystack.py): the functions
 * below then drive it. */
int test_fake_start_script(const char *script, const char *secret_key);

/* Stops the fake (if started) and cleans libcurl up. */
void test_fake_flw_stop(void);

/* The fake's base url, "http://127.0.0.1:<port>" (borrowed). */
const char *test_fake_flw_url(void);

/* A request to the fake without credentials (the control API needs none);
 * the reply body (malloc'd), the HTTP status in *status. */
char *test_fake_flw_http(const char *method, const char *path, const char *body, long *status);

/* POST /_control/<what> with a JSON body; fails the test unless it
 * answers 200. */
void test_fake_flw_control(const char *what, const char *body);

/* POST /_control/mode: endpoint answers with behaviour for the next times
 * requests (0: until changed). */
void test_fake_flw_mode(const char *endpoint, const char *behaviour, int times);

/* GET /_control/stats (the caller json_decref()s it). */
json_t *test_fake_flw_stats(void);

/* How many transfers the fake created with reference. */
json_int_t test_fake_flw_transfers_created(const char *reference);

/* How many virtual accounts the fake created for tx_ref. */
json_int_t test_fake_flw_accounts_created(const char *tx_ref);

/* How many requests the fake got for path (e.g. "/v3/transfers"), or for
 * one method on it ("POST /v3/transfers"). */
json_int_t test_fake_flw_requests(const char *path);

/* A top-level counter of the stats: "connections" (TCP connections that
 * carried a /v3/ request) or "create_shared" (/v3/ requests that shared a
 * connection with a create: a POST of a transfer or a virtual account). */
json_int_t test_fake_flw_counter(const char *name);

/* The raw body of the last request to path (malloc'd). */
char *test_fake_flw_last_body(const char *path);

/* What verify answers for transaction id: amount is written verbatim as a
 * JSON number (e.g. "1500.75"), currency NGN. */
void test_fake_flw_transaction(const char *id, const char *tx_ref, const char *amount,
			       const char *status);

/* test_fake_flw_transaction() whose verify also says Flutterwave kept
 * app_fee naira (written verbatim as a JSON number, e.g. "70.50"). */
void test_fake_flw_transaction_fee(const char *id, const char *tx_ref, const char *amount,
				   const char *app_fee, const char *status);

/* Verify of id answers reply verbatim. */
void test_fake_flw_raw_reply(const char *id, const char *reply);

/* POST /_control/transfer_status: settles the transfer with reference
 * ("SUCCESSFUL", "FAILED" or "PENDING"). */
void test_fake_flw_transfer_status(const char *reference, const char *status);

#endif
