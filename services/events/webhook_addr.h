/* webhook_addr: where a partner webhook may connect (DESIGN §16).
 *
 * Only to public unicast addresses: never to this machine, the cluster's
 * own networks, link-local (the cloud metadata service), CGNAT, multicast,
 * documentation or reserved blocks, in IPv4 or IPv6 (an IPv4 address
 * inside IPv6, mapped, NAT64 or 6to4, is judged as that IPv4 address).
 * A host is refused when ANY of its addresses is not public, and a
 * delivery connects only to the address checked (webhook_send), so a name
 * that changes its answer between the check and the connect (DNS
 * rebinding) cannot reach inside. Loopback is allowed only when the
 * process allows it (KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK, tests). */
#ifndef KOLO_WEBHOOK_ADDR_H
#define KOLO_WEBHOOK_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "err/err.h"

/* Room for an address as text. */
#define WHK_ADDR_TEXT_MAX 46

/* 1 when sa (AF_INET or AF_INET6) is a public unicast address, or a
 * loopback one and allow_loopback; 0 for anything else. Pure. */
int whk_addr_public(const struct sockaddr *sa, int allow_loopback);

/* whk_addr_public() of an address written as text; 0 when text is not an
 * address. Pure. */
int whk_addr_text_public(const char *text, int allow_loopback);

typedef struct whk_resolved {
	char addr[WHK_ADDR_TEXT_MAX]; /* the first address, to connect to */
	int family;		      /* AF_INET or AF_INET6 */
} whk_resolved;

/* Resolves host (getaddrinfo) and checks every address it has. *out gets
 * the first. ERR_INVALID_ARGUMENT "url_not_public" when any address is
 * not public, "url_unresolvable" when the name does not exist or has no
 * address; ERR_UNAVAILABLE "dns_unavailable" when the resolver could not
 * answer (try again later). */
KOLO_MUST_CHECK int whk_addr_resolve(whk_resolved *out, const char *host, int allow_loopback);

#endif
