/* The URL check of partner webhooks (webhook_url.h). */
#include "webhook_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

static int
whk_url_invalid(const char *why)
{
	return err_set(ERR_INVALID_ARGUMENT, "invalid_url", "the url is not valid: %s", why);
}

/* 1 when every byte is printable ASCII other than space. */
static int
whk_url_chars_ok(const char *url)
{
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* The length of a scheme followed by "://" at the start of url, 0 when
 * there is none. */
static size_t
whk_url_scheme_len(const char *url)
{
	size_t i = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.')
		i++;
	return strncmp(url + i, "://", 3) == 0 ? i : 0;
}

/* A DNS name: labels of letters, digits and inner hyphens, 1..63 each,
 * 253 in all. */
static int
whk_url_name_ok(const char *host)
{
	size_t label = 0, n = strlen(host);

	if (n == 0 || n > 253 || host[n - 1] == '.')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = host[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || host[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* The port after ':' (1..65535, digits only). */
static int
whk_url_port(unsigned *out, const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* Splits the authority [host or [v6]][:port] into out. */
static int
whk_url_authority(whk_url *out, const char *a, size_t n)
{
	const char *host = a, *port = NULL;
	size_t host_len = n;
	unsigned char v6[16];

	if (memchr(a, '@', n))
		return whk_url_invalid("a user name or password");
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (!close)
			return whk_url_invalid("an unclosed [");
		host = a + 1;
		host_len = (size_t)(close - host);
		if ((size_t)(close + 1 - a) < n) {
			if (close[1] != ':')
				return whk_url_invalid("text after ]");
			port = close + 2;
		}
		out->host_is_ipv6 = 1;
	} else {
		const char *colon = memchr(a, ':', n);

		if (colon) {
			host_len = (size_t)(colon - a);
			port = colon + 1;
		}
	}
	if (host_len == 0 || host_len >= WHK_HOST_MAX)
		return whk_url_invalid("no host or a host too long");
	for (size_t i = 0; i < host_len; i++)
		out->host[i] = (char)tolower((unsigned char)host[i]);
	out->host[host_len] = '\0';
	if (out->host_is_ipv6 ? inet_pton(AF_INET6, out->host, v6) != 1
			      : !whk_url_name_ok(out->host))
		return whk_url_invalid("a bad host");
	if (port && whk_url_port(&out->port, port, (size_t)(a + n - port)) < 0)
		return whk_url_invalid("a bad port");
	return 0;
}

int
whk_url_host_is_loopback(const char *host)
{
	unsigned char a[16];

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}

int
whk_url_parse(whk_url *out, const char *url, int allow_http_loopback)
{
	size_t scheme, n;
	const char *auth;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!url || !*url)
		return whk_url_invalid("empty");
	n = strlen(url);
	if (n > WHK_URL_MAX)
		return whk_url_invalid("longer than 2048 bytes");
	if (!whk_url_chars_ok(url))
		return whk_url_invalid("a space or a character outside printable ascii");
	scheme = whk_url_scheme_len(url);
	if (scheme == 0)
		return whk_url_invalid("not an absolute url");
	if (scheme == 5 && strncasecmp(url, "https", 5) == 0)
		out->https = 1;
	else if (!(scheme == 4 && strncasecmp(url, "http", 4) == 0 && allow_http_loopback))
		return err_set(ERR_INVALID_ARGUMENT, "url_not_https",
			       "a webhook url must be https");
	if (strchr(url, '#'))
		return whk_url_invalid("a fragment");
	auth = url + scheme + 3;
	rc = whk_url_authority(out, auth, strcspn(auth, "/?"));
	if (rc < 0)
		return rc;
	if (!out->port)
		out->port = out->https ? 443 : 80;
	if (!out->https && !whk_url_host_is_loopback(out->host))
		return err_set(ERR_INVALID_ARGUMENT, "url_not_https",
			       "a webhook url must be https (http only to this "
			       "machine in tests)");
	return 0;
}
