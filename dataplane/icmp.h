/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp: ICMP errors that belong to a session (IPVS's ip_vs_in_icmp /
 * ip_vs_out_icmp): "fragmentation needed", "port unreachable", "time
 * exceeded" quoting a packet of a VIP flow are sent to the side that owns the
 * quoted flow, with the quoted headers translated as the flow's are.
 *
 * Threading: pure functions of one packet; worker lcores.
 */
#ifndef VIPD_ICMP_H
#define VIPD_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/sess.h"
#include "dataplane/xmit.h"

/* The quoted packet of an ICMP error, when it is a TCP/UDP one we can key. */
struct icmp_quote {
	struct rte_ipv4_hdr *ip; /* quoted IPv4 header */
	uint8_t *l4;             /* its first 8 L4 bytes: ports */
	uint16_t icmp_len;       /* ICMP header + quote */
};

static inline bool icmp_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12; /* unreach, time exceeded, param */
}

/* Parse the quote of the ICMP message after ip; false if it is not one we key. */
static inline bool icmp_quote_parse(struct rte_ipv4_hdr *ip, uint16_t l3len, struct icmp_quote *q)
{
	uint16_t ihl = rte_ipv4_hdr_len(ip);
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	if (tot > l3len || tot < ihl + sizeof(struct rte_icmp_hdr) + sizeof(struct rte_ipv4_hdr) + 8)
		return false;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (!icmp_is_error(ic->icmp_type))
		return false;
	q->ip = (struct rte_ipv4_hdr *)(ic + 1);
	uint16_t qihl = rte_ipv4_hdr_len(q->ip);
	q->icmp_len = (uint16_t)(tot - ihl);
	if ((q->ip->version_ihl >> 4) != 4 || qihl < sizeof(struct rte_ipv4_hdr) ||
	    sizeof(*ic) + qihl + 8u > q->icmp_len)
		return false;
	if (q->ip->next_proto_id != IPPROTO_TCP && q->ip->next_proto_id != IPPROTO_UDP)
		return false;
	q->l4 = (uint8_t *)q->ip + qihl;
	return true;
}

static inline uint16_t icmp_q_sport(const struct icmp_quote *q)
{
	return *(const xmit_u16 *)q->l4;
}

static inline uint16_t icmp_q_dport(const struct icmp_quote *q)
{
	return *(const xmit_u16 *)(q->l4 + 2);
}

/*
 * NAT an ICMP error and its quote: the outer address on side outer_dst (the
 * destination when going to a real server, the source when going back to the
 * client) and the quote's opposite side (its source, resp. destination) with
 * its port. The quote's L4 checksum is left alone, as IPVS does: it cannot
 * be fixed from 8 bytes; the ICMP checksum is recomputed whole.
 */
static inline void icmp_nat(struct rte_ipv4_hdr *ip, struct icmp_quote *q, bool outer_dst,
			    uint32_t addr, uint16_t port)
{
	xmit_u32 *oa = (xmit_u32 *)((uint8_t *)ip + (outer_dst ? 16 : 12));
	csum_replace4u((xmit_u16 *)((uint8_t *)ip + 10), *oa, addr);
	*oa = addr;
	xmit_u32 *qa = (xmit_u32 *)((uint8_t *)q->ip + (outer_dst ? 12 : 16));
	csum_replace4u((xmit_u16 *)((uint8_t *)q->ip + 10), *qa, addr);
	*qa = addr;
	*(xmit_u16 *)(q->l4 + (outer_dst ? 0 : 2)) = port;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, q->icmp_len);
}

#endif
