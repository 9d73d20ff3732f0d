/* fake_flw PORT THREADS: the Flutterwave calls bench/run's workloads make,
 * answered in C so that the provider is not what bench/run measures.
 *
 *   GET /v3/transactions/{GROUP_ID}.{N}/verify
 *       a successful NGN 100.00 bank transfer with id "{GROUP_ID}.{N}" and
 *       tx_ref "kolo-{GROUP_ID}" (the tx_ref kolo-payments gives a group's
 *       virtual account), so any such id verifies without registration.
 *   POST /v3/virtual-account-numbers
 *       a new account number at WEMA BANK.
 *   POST /v3/accounts/resolve
 *       the number given belongs to "Tunde Bakare" (withdraw_bench's
 *       beneficiary).
 *   POST /v3/transfers
 *       the transfer with the request's reference, SUCCESSFUL at once.
 * With a third argument "paystack" it answers Paystack's calls instead:
 *   GET /transaction/verify/b{ACCOUNT}-{...}
 *       a successful NGN 10000-kobo charge into dedicated account ACCOUNT
 *       with that reference, so any such reference verifies.
 *   POST /customer, GET /customer/{code}, POST /dedicated_account
 *       a customer without an account, then a new number at Wema Bank.
 *   GET /bank/resolve   "Tunde Bakare"; GET /bank   058 and 035.
 *   POST /transferrecipient, POST /transfer, GET /transfer/verify/{ref}
 *       a recipient; the transfer with the request's reference, "success".
 * With FAKE_FLW_ORIGINATORS=1 in the environment, every deposit names its
 * sender (DESIGN §15), so that kolo-payments attributes it: Flutterwave's
 * data.meta originatoraccountnumber and Paystack's
 * authorization.sender_bank_account_number are BENCH_PAYER, the one account
 * bench/run registers as the depositing member's (a member of every group:
 * the match is the same work as with an account per group, and a user holds
 * at most 10).
 * Anything else is 404. Nothing is remembered between requests.
 * libmicrohttpd thread pool, loopback only; stops on SIGTERM/SIGINT. Not a
 * test double for behaviour: tests use
 * tests/fake_flutterwave/fake_flutterwave.py. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX	  "/v3/transactions/"
#define SUFFIX	  "/verify"
#define BODY_MAX  4096
#define FIELD_MAX 128

/* A POST's body, gathered over the upload callbacks. */
typedef struct upload {
	char data[BODY_MAX + 1];
	size_t len;
	int too_large;
} upload;

static atomic_long serial = 1000;
static int paystack;	/* answer Paystack's calls (argv[3]) */
static int originators; /* name each deposit's sender (FAKE_FLW_ORIGINATORS=1) */

/* The account every deposit comes from (bench/run registers it). */
#define BENCH_PAYER "9000000001"

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
not_here(struct MHD_Connection *c)
{
	return reply(c, 404, "{\"status\":\"error\",\"message\":\"not here\",\"data\":null}");
}

/* The string value of "name" in a flat JSON body (our own requests: no
 * escapes in the values bench/run sends), or -1. */
static int
field(const char *body, const char *name, char *out, size_t cap)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "\"%s\":\"", name);
	p = strstr(body, key);
	if (!p)
		return -1;
	p += strlen(key);
	end = strchr(p, '"');
	if (!end || (size_t)(end - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

static enum MHD_Result
verify(struct MHD_Connection *c, const char *url)
{
	size_t n = strlen(url), idlen;
	const char *id, *dot;
	char body[768], meta[160] = "";

	if (n <= strlen(PREFIX) + strlen(SUFFIX) || strncmp(url, PREFIX, strlen(PREFIX)) != 0 ||
	    strcmp(url + n - strlen(SUFFIX), SUFFIX) != 0)
		return not_here(c);
	id = url + strlen(PREFIX);
	idlen = n - strlen(PREFIX) - strlen(SUFFIX);
	dot = memchr(id, '.', idlen);
	if (!dot || idlen > 100)
		return reply(c, 400,
			     "{\"status\":\"error\",\"message\":\"No transaction was found for "
			     "this id\",\"data\":null}");
	if (originators) {
		snprintf(meta, sizeof(meta),
			 ",\"meta\":{\"originatoraccountnumber\":\"%s\","
			 "\"originatorname\":\"BENCH MEMBER\",\"bankname\":\"GTBANK PLC\"}",
			 BENCH_PAYER);
	}
	snprintf(body, sizeof(body),
		 "{\"status\":\"success\",\"message\":\"Transaction fetched successfully\","
		 "\"data\":{\"id\":\"%.*s\",\"tx_ref\":\"kolo-%.*s\",\"flw_ref\":\"FLW-BENCH\","
		 "\"amount\":100,\"charged_amount\":100,\"currency\":\"NGN\","
		 "\"status\":\"successful\",\"payment_type\":\"bank_transfer\"%s}}",
		 (int)idlen, id, (int)(dot - id), id, meta);
	return reply(c, 200, body);
}

static enum MHD_Result
post(struct MHD_Connection *c, const char *url, const char *in)
{
	char body[1024], value[FIELD_MAX];
	long n = atomic_fetch_add(&serial, 1);

	if (strcmp(url, "/v3/virtual-account-numbers") == 0) {
		snprintf(body, sizeof(body),
			 "{\"status\":\"success\",\"message\":\"Virtual account created\","
			 "\"data\":{\"response_code\":\"02\",\"flw_ref\":\"FLW-BENCH-%ld\","
			 "\"order_ref\":\"URF_BENCH_%ld\",\"account_number\":\"77%08ld\","
			 "\"bank_name\":\"WEMA BANK\"}}",
			 n, n, n % 100000000);
		return reply(c, 200, body);
	}
	if (strcmp(url, "/v3/accounts/resolve") == 0) {
		if (field(in, "account_number", value, sizeof(value)) < 0)
			return reply(c, 400,
				     "{\"status\":\"error\",\"message\":\"account_number is "
				     "required\",\"data\":null}");
		snprintf(body, sizeof(body),
			 "{\"status\":\"success\",\"message\":\"Account details fetched\","
			 "\"data\":{\"account_number\":\"%s\",\"account_name\":\"Tunde Bakare\"}}",
			 value);
		return reply(c, 200, body);
	}
	if (strcmp(url, "/v3/transfers") == 0) {
		if (field(in, "reference", value, sizeof(value)) < 0)
			return reply(c, 400,
				     "{\"status\":\"error\",\"message\":\"reference is "
				     "required\",\"data\":null}");
		snprintf(body, sizeof(body),
			 "{\"status\":\"success\",\"message\":\"Transfer Queued Successfully\","
			 "\"data\":{\"id\":%ld,\"reference\":\"%s\",\"currency\":\"NGN\","
			 "\"status\":\"SUCCESSFUL\",\"complete_message\":\"Transaction was "
			 "successful\"}}",
			 n, value);
		return reply(c, 200, body);
	}
	return not_here(c);
}

/* --- Paystack ------------------------------------------------------------ */

#define PSK_VERIFY "/transaction/verify/b"

static enum MHD_Result
psk_get(struct MHD_Connection *c, const char *url)
{
	char body[1024], sender[160] = "";
	const char *ref, *dash;
	long n = atomic_fetch_add(&serial, 1);

	if (strncmp(url, PSK_VERIFY, strlen(PSK_VERIFY)) == 0) {
		ref = url + strlen("/transaction/verify/");
		dash = strchr(ref, '-');
		if (!dash || dash - ref < 2 || strlen(ref) > 100)
			return reply(c, 400,
				     "{\"status\":false,\"message\":\"Transaction reference not "
				     "found\"}");
		if (originators)
			snprintf(sender, sizeof(sender),
				 ",\"sender_bank_account_number\":\"%s\","
				 "\"sender_name\":\"BENCH MEMBER\",\"sender_bank\":\"GTBank\"",
				 BENCH_PAYER);
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"Verification successful\",\"data\":{"
			 "\"id\":%ld,\"status\":\"success\",\"reference\":\"%s\",\"amount\":10000,"
			 "\"currency\":\"NGN\",\"fees\":0,\"channel\":\"dedicated_nuban\","
			 "\"authorization\":{\"channel\":\"dedicated_nuban\","
			 "\"receiver_bank_account_number\":\"%.*s\"%s}}}",
			 n, ref, (int)(dash - ref - 1), ref + 1, sender);
		return reply(c, 200, body);
	}
	if (strncmp(url, "/customer/", 10) == 0) {
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"Customer retrieved\",\"data\":{"
			 "\"customer_code\":\"%.64s\",\"dedicated_account\":null}}",
			 url + 10);
		return reply(c, 200, body);
	}
	if (strcmp(url, "/bank") == 0) /* the bank list (payer accounts check theirs) */
		return reply(c, 200,
			     "{\"status\":true,\"message\":\"Banks retrieved\",\"data\":["
			     "{\"name\":\"Guaranty Trust Bank\",\"code\":\"058\"},"
			     "{\"name\":\"Wema Bank\",\"code\":\"035\"}]}");
	if (strncmp(url, "/bank/resolve", 13) == 0)
		return reply(c, 200,
			     "{\"status\":true,\"message\":\"Account number resolved\","
			     "\"data\":{\"account_name\":\"Tunde Bakare\"}}");
	if (strncmp(url, "/transfer/verify/", 17) == 0 && strlen(url) < 100) {
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"Transfer retrieved\",\"data\":{"
			 "\"reference\":\"%s\",\"status\":\"success\",\"transfer_code\":"
			 "\"TRF_bench%ld\"}}",
			 url + 17, n);
		return reply(c, 200, body);
	}
	return not_here(c);
}

static enum MHD_Result
psk_post(struct MHD_Connection *c, const char *url, const char *in)
{
	char body[768], value[FIELD_MAX];
	long n = atomic_fetch_add(&serial, 1);

	if (strcmp(url, "/customer") == 0) {
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"Customer created\",\"data\":{"
			 "\"customer_code\":\"CUS_bench%ld\"}}",
			 n);
		return reply(c, 200, body);
	}
	if (strcmp(url, "/dedicated_account") == 0) {
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"NUBAN successfully created\",\"data\":{"
			 "\"account_number\":\"66%08ld\",\"bank\":{\"name\":\"Wema Bank\"}}}",
			 n % 100000000);
		return reply(c, 200, body);
	}
	if (strcmp(url, "/transferrecipient") == 0)
		return reply(c, 200,
			     "{\"status\":true,\"message\":\"Recipient created\","
			     "\"data\":{\"recipient_code\":\"RCP_bench\"}}");
	if (strcmp(url, "/transfer") == 0) {
		if (field(in, "reference", value, sizeof(value)) < 0)
			return reply(c, 400,
				     "{\"status\":false,\"message\":\"reference is required\"}");
		snprintf(body, sizeof(body),
			 "{\"status\":true,\"message\":\"Transfer has been queued\",\"data\":{"
			 "\"reference\":\"%s\",\"status\":\"success\",\"transfer_code\":"
			 "\"TRF_bench%ld\"}}",
			 value, n);
		return reply(c, 200, body);
	}
	return not_here(c);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *data_size, void **con_cls)
{
	upload *u = *con_cls;

	(void)cls;
	(void)version;
	if (strcmp(method, "GET") == 0)
		return paystack ? psk_get(c, url) : verify(c, url);
	if (strcmp(method, "POST") != 0)
		return not_here(c);
	if (!u) { /* the headers: gather the body next */
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (u->len + *data_size > BODY_MAX)
			u->too_large = 1;
		else
			memcpy(u->data + u->len, data, *data_size);
		if (!u->too_large)
			u->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	if (u->too_large)
		return reply(c, 413,
			     "{\"status\":\"error\",\"message\":\"too large\",\"data\":null}");
	u->data[u->len] = '\0';
	return paystack ? psk_post(c, url, u->data) : post(c, url, u->data);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)c;
	(void)code;
	free(*con_cls);
	*con_cls = NULL;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	sigset_t signals;
	int sig = 0;

	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "paystack") == 0)) {
		fprintf(stderr, "usage: fake_flw PORT THREADS [paystack]\n");
		return 2;
	}
	paystack = argc == 4;
	originators =
		getenv("FAKE_FLW_ORIGINATORS") && strcmp(getenv("FAKE_FLW_ORIGINATORS"), "1") == 0;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
			     (uint16_t)atoi(argv[1]), NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!d)
		return 1;
	sigwait(&signals, &sig);
	MHD_stop_daemon(d);
	return 0;
}
