/* fake_flw PORT THREADS: the one Flutterwave call the deposit webhook path
 * makes, answered in C so that the provider is not what bench/run measures.
 *
 *   GET /v3/transactions/{GROUP_ID}.{N}/verify
 *       a successful NGN 100.00 bank transfer with id "{GROUP_ID}.{N}" and
 *       tx_ref "kolo-{GROUP_ID}" (the tx_ref kolo-payments gives a group's
 *       virtual account), so any such id verifies without registration.
 * Anything else is 404. libmicrohttpd thread pool, loopback only; stops on
 * SIGTERM/SIGINT. Not a test double for behaviour: tests use
 * tests/fake_flutterwave/fake_flutterwave.py. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/v3/transactions/"
#define SUFFIX "/verify"

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	size_t n = strlen(url), idlen;
	const char *id, *dot;
	char body[512];

	(void)cls; (void)version; (void)upload; (void)upload_size; (void)con_cls;
	if (strcmp(method, "GET") != 0 || n <= strlen(PREFIX) + strlen(SUFFIX) ||
	    strncmp(url, PREFIX, strlen(PREFIX)) != 0 ||
	    strcmp(url + n - strlen(SUFFIX), SUFFIX) != 0)
		return reply(c, 404, "{\"status\":\"error\",\"message\":\"not here\",\"data\":null}");
	id = url + strlen(PREFIX);
	idlen = n - strlen(PREFIX) - strlen(SUFFIX);
	dot = memchr(id, '.', idlen);
	if (!dot || idlen > 100)
		return reply(c, 400, "{\"status\":\"error\",\"message\":\"No transaction was found for this id\",\"data\":null}");
	snprintf(body, sizeof(body),
		 "{\"status\":\"success\",\"message\":\"Transaction fetched successfully\","
		 "\"data\":{\"id\":\"%.*s\",\"tx_ref\":\"kolo-%.*s\",\"flw_ref\":\"FLW-BENCH\","
		 "\"amount\":100,\"charged_amount\":100,\"currency\":\"NGN\","
		 "\"status\":\"successful\",\"payment_type\":\"bank_transfer\"}}",
		 (int)idlen, id, (int)(dot - id), id);
	return reply(c, 200, body);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	sigset_t signals;
	int sig = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: fake_flw PORT THREADS\n");
		return 2;
	}
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
			     MHD_OPTION_END);
	if (!d)
		return 1;
	sigwait(&signals, &sig);
	MHD_stop_daemon(d);
	return 0;
}
