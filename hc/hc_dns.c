/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_dns: DNS_CHECK: one UDP query (recursion desired) of type dns_type for
 * dns_name to the target; up when a response with our id, the QR bit and
 * rcode NOERROR arrives within connect_timeout. Like keepalived, packets
 * that are not that response (too short, another id, a query) are ignored
 * and the wait goes on; a response with another rcode fails the run; an ICMP
 * port unreachable (reported on the connected socket) is "connection
 * refused".
 *
 * Threading: control core only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "hc/hc_pvt.h"

#define HC_DNS_HDR 12
#define HC_DNS_QMAX (HC_DNS_HDR + 256 + 4)
#define HC_DNS_RMAX 4096

struct hc_dns_run {
	uint16_t id;
};

static const struct {
	const char *name;
	uint16_t type;
} hc_dns_types[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
};

static const char *const hc_dns_rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
};

/* The query for name/type with id into q; its length, or -1 for a bad name. */
static int hc_dns_query(uint8_t *q, const char *name, uint16_t type, uint16_t id)
{
	size_t o = HC_DNS_HDR;

	memset(q, 0, HC_DNS_HDR);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	for (const char *s = name; *s;) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (n == 0) {
			if (dot && dot[1] == '\0' && s == name)
				break; /* "." alone: the root */
			return -1; /* an empty label */
		}
		if (n > 63 || o + 1 + n + 1 + 4 > HC_DNS_QMAX || o + n > HC_DNS_HDR + 254)
			return -1;
		q[o++] = (uint8_t)n;
		memcpy(q + o, s, n);
		o += n;
		s += n;
		if (*s == '.')
			s++;
	}
	q[o++] = 0;
	q[o++] = (uint8_t)(type >> 8);
	q[o++] = (uint8_t)type;
	q[o++] = 0;
	q[o++] = 1; /* class IN */
	return (int)o;
}

static void hc_dns_cleanup(struct hc_check *ck)
{
	free(ck->run);
	ck->run = NULL;
}

static void hc_dns_readable(evutil_socket_t fd, short what, void *arg)
{
	struct hc_check *ck = arg;
	struct hc_dns_run *r = ck->run;
	uint8_t buf[HC_DNS_RMAX];
	(void)what;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			int e = errno;
			if (e == ECONNREFUSED)
				hc_fail(ck, HC_R_REFUSED, e, NULL);
			else
				hc_fail(ck, HC_R_IO_ERROR, e, NULL);
			return;
		}
		if (n < HC_DNS_HDR)
			continue;
		uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
		if (id != r->id || !(buf[2] & 0x80))
			continue; /* not the answer to our question */
		unsigned rcode = buf[3] & 0x0f;
		if (rcode != 0) {
			hc_fail(ck, HC_R_DNS_RCODE, (int)rcode,
				rcode < sizeof(hc_dns_rcodes) / sizeof(hc_dns_rcodes[0])
					? hc_dns_rcodes[rcode] : NULL);
			return;
		}
		hc_ok(ck);
		return;
	}
}

static void hc_dns_start(struct hc_check *ck)
{
	uint8_t q[HC_DNS_QMAX];
	uint16_t type = 6;
	struct hc_dns_run *r;

	for (unsigned i = 0; i < sizeof(hc_dns_types) / sizeof(hc_dns_types[0]); i++)
		if (strcasecmp(ck->cc->dns_type, hc_dns_types[i].name) == 0)
			type = hc_dns_types[i].type;
	hc_deadline(ck, HC_PH_EXCHANGE, ck->cc->connect_timeout);
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		hc_fail(ck, HC_R_NOMEM, 0, "DNS state");
		return;
	}
	ck->run = r;
	r->id = (uint16_t)hc_rand32();
	int len = hc_dns_query(q, ck->cc->dns_name, type, r->id);
	if (len < 0) {
		hc_fail(ck, HC_R_CONFIG, 0, "invalid DNS name");
		return;
	}
	if (hc_sock_open(ck, SOCK_DGRAM) < 0)
		return;
	if (send(ck->fd, q, (size_t)len, MSG_DONTWAIT) < 0) {
		int e = errno;
		hc_fail(ck, e == ECONNREFUSED ? HC_R_REFUSED : hc_result_from_errno(e), e, NULL);
		return;
	}
	ck->io = event_new(hc_base, ck->fd, EV_READ | EV_PERSIST, hc_dns_readable, ck);
	if (ck->io == NULL || event_add(ck->io, NULL) < 0)
		hc_fail(ck, HC_R_NOMEM, 0, "DNS event");
}

const struct hc_ops hc_dns_ops = {
	.type = CONF_CHECK_DNS,
	.start = hc_dns_start,
	.cleanup = hc_dns_cleanup,
};
