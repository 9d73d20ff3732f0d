/* The address check of partner webhooks (webhook_addr.h). */
#include "webhook_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>

/* A block of addresses: the first prefix_bits of net. */
typedef struct whk_block {
	uint8_t net[16];
	unsigned prefix_bits;
} whk_block;

/* IPv4 blocks that are not public unicast (IANA special-purpose registry). */
static const whk_block whk_v4_refused[] = {
	{{0, 0, 0, 0}, 8},	 /* "this network", 0.0.0.0 */
	{{10, 0, 0, 0}, 8},	 /* private */
	{{100, 64, 0, 0}, 10},	 /* carrier-grade NAT */
	{{127, 0, 0, 0}, 8},	 /* loopback (allowed apart, tests) */
	{{169, 254, 0, 0}, 16},	 /* link-local, 169.254.169.254 metadata */
	{{172, 16, 0, 0}, 12},	 /* private */
	{{192, 0, 0, 0}, 24},	 /* IETF protocol assignments */
	{{192, 0, 2, 0}, 24},	 /* documentation */
	{{192, 31, 196, 0}, 24}, /* AS112 */
	{{192, 52, 193, 0}, 24}, /* AMT */
	{{192, 88, 99, 0}, 24},	 /* 6to4 relay anycast */
	{{192, 168, 0, 0}, 16},	 /* private */
	{{192, 175, 48, 0}, 24}, /* direct delegation AS112 */
	{{198, 18, 0, 0}, 15},	 /* benchmarking */
	{{198, 51, 100, 0}, 24}, /* documentation */
	{{203, 0, 113, 0}, 24},	 /* documentation */
	{{224, 0, 0, 0}, 4},	 /* multicast */
	{{240, 0, 0, 0}, 4},	 /* reserved, 255.255.255.255 broadcast */
};

/* IPv6 blocks inside 2000::/3 (global unicast) that are not public. */
static const whk_block whk_v6_refused[] = {
	{{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, Teredo */
	{{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
	{{0x3f, 0xff, 0x00, 0x00}, 20}, /* documentation */
};

static int
whk_in_block(const uint8_t *addr, const whk_block *b)
{
	unsigned whole = b->prefix_bits / 8, rest = b->prefix_bits % 8;

	if (memcmp(addr, b->net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((addr[whole] ^ b->net[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int
whk_v4_public(const uint8_t a[4], int allow_loopback)
{
	if (allow_loopback && a[0] == 127)
		return 1;
	for (size_t i = 0; i < sizeof(whk_v4_refused) / sizeof(whk_v4_refused[0]); i++) {
		if (whk_in_block(a, &whk_v4_refused[i]))
			return 0;
	}
	return 1;
}

static int
whk_v6_public(const uint8_t a[16], int allow_loopback)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t loopback[16] = {[15] = 1};

	/* An IPv4 address carried in IPv6 is that IPv4 address. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return whk_v4_public(a + 12, allow_loopback);
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:AABB:CCDD::/48 */
		return whk_v4_public(a + 2, 0);
	if (memcmp(a, loopback, 16) == 0)
		return allow_loopback;
	/* Only global unicast is public: this leaves out ::/8 (unspecified,
	 * IPv4-compatible), 64:ff9b:1::/48, 100::/64, fc00::/7 unique-local,
	 * fe80::/10 link-local, fec0::/10 and ff00::/8 multicast. */
	if ((a[0] & 0xe0) != 0x20)
		return 0;
	for (size_t i = 0; i < sizeof(whk_v6_refused) / sizeof(whk_v6_refused[0]); i++) {
		if (whk_in_block(a, &whk_v6_refused[i]))
			return 0;
	}
	return 1;
}

int
whk_addr_public(const struct sockaddr *sa, int allow_loopback)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return whk_v4_public((const uint8_t *)&in->sin_addr, allow_loopback);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return whk_v6_public(in6->sin6_addr.s6_addr, allow_loopback);
	}
	return 0;
}

int
whk_addr_text_public(const char *text, int allow_loopback)
{
	uint8_t a[16];

	if (!text)
		return 0;
	if (inet_pton(AF_INET, text, a) == 1)
		return whk_v4_public(a, allow_loopback);
	if (inet_pton(AF_INET6, text, a) == 1)
		return whk_v6_public(a, allow_loopback);
	return 0;
}

/* The text of an address of ai into out. */
static int
whk_addr_text(char out[WHK_ADDR_TEXT_MAX], const struct addrinfo *ai)
{
	const void *src =
		ai->ai_family == AF_INET
			? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

	return inet_ntop(ai->ai_family, src, out, WHK_ADDR_TEXT_MAX) ? 0 : -1;
}

static int
whk_addr_lookup_error(int gai, const char *host)
{
	if (gai == EAI_AGAIN || gai == EAI_FAIL || gai == EAI_MEMORY || gai == EAI_SYSTEM)
		return err_set(ERR_UNAVAILABLE, "dns_unavailable",
			       "the name of the webhook's host could not be "
			       "resolved now");
	return err_set(ERR_INVALID_ARGUMENT, "url_unresolvable",
		       "the webhook's host has no address");
}

int
whk_addr_resolve(whk_resolved *out, const char *host, int allow_loopback)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int gai, rc = 0, any = 0;

	memset(out, 0, sizeof(*out));
	gai = getaddrinfo(host, NULL, &hints, &res);
	if (gai != 0)
		return whk_addr_lookup_error(gai, host);
	for (const struct addrinfo *ai = res; ai && rc == 0; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (!whk_addr_public(ai->ai_addr, allow_loopback)) {
			rc = err_set(ERR_INVALID_ARGUMENT, "url_not_public",
				     "the webhook's host has an address that "
				     "is not public");
			break;
		}
		if (!any && whk_addr_text(out->addr, ai) == 0) {
			out->family = ai->ai_family;
			any = 1;
		}
	}
	freeaddrinfo(res);
	if (rc == 0 && !any)
		rc = whk_addr_lookup_error(EAI_NONAME, host);
	return rc;
}
