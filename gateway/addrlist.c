/* Address allow-lists: a comma list of IPv4/IPv6 addresses and CIDR
 * blocks (KOLO_WEBHOOK_ALLOWED_IPS). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is matched as the IPv4 address it carries. */
#include "gw.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"

/* ip as 16 bytes (IPv4 mapped into ::ffff:0:0/96); -1 when not an address. */
static int
gw_addr_parse(unsigned char out[16], int *is_v4, const char *ip)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned char v4[4];

	if (inet_pton(AF_INET, ip, v4) == 1) {
		memcpy(out, mapped, sizeof(mapped));
		memcpy(out + 12, v4, 4);
		*is_v4 = 1;
		return 0;
	}
	*is_v4 = 0;
	return inet_pton(AF_INET6, ip, out) == 1 ? 0 : -1;
}

/* One entry "ip" or "ip/prefix" into e. */
static int
gw_addr_entry(gw_addr_block *e, const char *text)
{
	char ip[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	int64_t prefix = 0;
	int is_v4 = 0;

	if (n == 0 || n >= sizeof(ip))
		return -1;
	memcpy(ip, text, n);
	ip[n] = '\0';
	if (gw_addr_parse(e->addr, &is_v4, ip) < 0)
		return -1;
	if (!slash)
		prefix = is_v4 ? 32 : 128;
	else if (cfg_parse_int(&prefix, slash + 1, 0, is_v4 ? 32 : 128) < 0)
		return -1;
	e->prefix_bits = (int)prefix + (is_v4 ? 96 : 0);
	return 0;
}

int
gw_addrlist_parse(gw_addrlist *out, const char *text)
{
	char entry[96];
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		size_t start = 0;

		while (start < n && p[start] == ' ')
			start++;
		while (n > start && p[n - 1] == ' ')
			n--;
		if (n - start >= sizeof(entry) || out->n == GW_ADDRLIST_MAX)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "an address list holds at most %d entries of an IP or CIDR",
				       GW_ADDRLIST_MAX);
		memcpy(entry, p + start, n - start);
		entry[n - start] = '\0';
		if (entry[0] && gw_addr_entry(&out->blocks[out->n++], entry) < 0)
			return err_set(ERR_INVALID_ARGUMENT, "bad_config",
				       "not an IP address or CIDR block: %.64s", entry);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int
gw_addrlist_allows(const gw_addrlist *list, const char *ip)
{
	unsigned char addr[16];
	int is_v4 = 0;

	if (list->n == 0)
		return 1;
	if (!ip || gw_addr_parse(addr, &is_v4, ip) < 0)
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		const gw_addr_block *b = &list->blocks[i];
		int whole = b->prefix_bits / 8, rest = b->prefix_bits % 8;

		if (memcmp(addr, b->addr, (size_t)whole) != 0)
			continue;
		if (rest == 0 ||
		    ((addr[whole] ^ b->addr[whole]) & (unsigned char)(0xff << (8 - rest))) == 0)
			return 1;
	}
	return 0;
}
