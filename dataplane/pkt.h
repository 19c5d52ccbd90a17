/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt: parsing and validation of received frames, and the replies the
 * dataplane makes in place (ARP and ICMP echo for owned VIPs).
 *
 * Everything a VIP packet must satisfy is checked here once, before any state
 * is touched; failures carry a named drop reason. Only the first segment is
 * read: headers that do not fit in it count as truncated.
 *
 * Threading: pure functions of the packet and a snapshot; worker lcores.
 */
#ifndef VIPD_PKT_H
#define VIPD_PKT_H

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <string.h>

#include "dataplane/drop.h"
#include "dataplane/icmp.h"
#include "dataplane/port.h"
#include "dataplane/sess.h"
#include "dataplane/snap.h"

enum pkt_verdict {
	PKT_DROP = 0,  /* pkt_info.drop says why */
	PKT_VIP_FLOW,  /* to a virtual service: key, hash and svc are set */
	PKT_REPLY,     /* rewritten in place into a reply; send it back out */
	PKT_KERNEL,    /* not ours to handle: the kernel twin gets it */
	PKT_NAT_REPLY, /* from a NAT real server: key (kflags REPLY) and hash set */
	PKT_ICMP_IN,   /* ICMP error to a VIP quoting a flow: the flow's key */
	PKT_ICMP_OUT,  /* ICMP error from a NAT real server: the reply key */
	PKT_REDIRECT,  /* belongs to another worker (pkt_info.owner) */
};

struct pkt_info {
	uint8_t verdict;
	uint8_t drop;       /* enum vipd_drop when verdict is PKT_DROP */
	uint8_t tcp_flags;
	uint8_t owner;      /* PKT_REDIRECT: the worker that owns the client */
	uint16_t l4_off;    /* from the start of the frame */
	bool unchecked;     /* PKT_VIP_FLOW from fast_key(): fast_check() and fast_key_hash() to come */
	struct sess_key key;
	union {
		uint64_t hash;
		/*
		 * Pass 1 of an all-fast burst (worker.c): the key's first-choice
		 * bucket, its home slot the next line. Pass 2 has it without
		 * the table's base and mask, and makes the hash only when it
		 * needs it (fast_key_hash()).
		 */
		const uint8_t *bucket;
	};
	const struct snap_svc *svc;
	/*
	 * The worker's pass 2 (worker.c): the session this packet most likely
	 * has, taken a few packets ahead. Here, not in an array of its own,
	 * so that one pointer walks both.
	 */
	struct pkt_cand {
		/* Found at home, its key compared: the packet's session (while
		 * no session was deleted: cand_recheck()). */
		struct sess *s;
		/* Else: a signature's match away from home, its key not
		 * compared yet. */
		struct sess *away;
		bool absent; /* neither: the key was not in the table then */
	} cand;
};

/* mac holds the address's bytes in its low 48 bits, first byte lowest. */
static inline void pkt_set_mac(struct rte_ether_addr *a, uint64_t mac)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	memcpy(a, &mac, 6);
#else
	for (int i = 0; i < 6; i++)
		a->addr_bytes[i] = (uint8_t)(mac >> (8 * i));
#endif
}

/*
 * Both MACs of a frame (dst, then src; each in the low 48 bits of a word,
 * first byte lowest) in two stores instead of four.
 */
static inline void pkt_set_macs(struct rte_ether_hdr *eth, uint64_t dst, uint64_t src)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t lo = (dst & 0xffffffffffffULL) | src << 48;
	uint32_t hi = (uint32_t)(src >> 16);
	memcpy(eth, &lo, 8);
	memcpy((uint8_t *)eth + 8, &hi, 4);
#else
	pkt_set_mac(&eth->dst_addr, dst);
	pkt_set_mac(&eth->src_addr, src);
#endif
}

static inline uint8_t pkt_drop(struct pkt_info *pi, enum vipd_drop why)
{
	pi->drop = (uint8_t)why;
	return PKT_DROP;
}

/* An ARP who-has for an owned VIP becomes our is-at, in place. */
static inline uint8_t pkt_arp(const struct snap *sn, const struct port_info *port,
			      struct rte_mbuf *m, struct pkt_info *pi)
{
	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return pkt_drop(pi, VIPD_DROP_ARP_TRUNC);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return PKT_KERNEL;
	const struct snap_vip *v = snap_vip_find(sn, arp->arp_data.arp_tip);
	if (v == NULL || !v->owned)
		return PKT_KERNEL;
	uint32_t sip = arp->arp_data.arp_sip;
	struct rte_ether_addr mac = port->mac;
	if (v->vmac_vrid) /* use_vmac: the VIP's MAC moves with it */
		mac = (struct rte_ether_addr){ { 0x00, 0x00, 0x5e, 0x00, 0x01, v->vmac_vrid } };
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = sip;
	arp->arp_data.arp_sha = mac;
	arp->arp_data.arp_sip = v->addr;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = mac;
	pi->drop = VIPD_DROP_MAX; /* marks an ARP reply for the counters */
	return PKT_REPLY;
}

/* An ICMP echo request to an owned VIP is answered here: the VIP is ours. */
static inline uint8_t pkt_icmp_echo(const struct port_info *port, struct rte_mbuf *m,
				    struct rte_ipv4_hdr *ip, uint16_t l4len, struct pkt_info *pi)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
	if (l4len < sizeof(*ic))
		return pkt_drop(pi, VIPD_DROP_L4_TRUNC);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return pkt_drop(pi, VIPD_DROP_VIP_PROTO);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	/* Incremental update (RFC 1624) for type 8 -> 0. */
	uint32_t sum = (uint32_t)(~rte_be_to_cpu_16(ic->icmp_cksum) & 0xffff) + 0xf7ff;
	sum = (sum & 0xffff) + (sum >> 16);
	ic->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = port->mac;
	pi->drop = 0;
	return PKT_REPLY;
}

static inline bool pkt_l2_ours(const struct snap *sn, const struct port_info *port,
			       const struct rte_ether_hdr *eth)
{
	const uint8_t *d = eth->dst_addr.addr_bytes;
	if (rte_is_multicast_ether_addr(&eth->dst_addr) ||
	    rte_is_same_ether_addr(&eth->dst_addr, &port->mac))
		return true;
	/* A VRRP virtual MAC this director holds (use_vmac). */
	return snap_is_vmac(d) && (sn->vmac_held[d[5] / 8] & (1u << (d[5] % 8)));
}

/*
 * The one's complement sum over a valid header, its checksum included, is
 * 0xffff. Without options (nearly always) it is five 32-bit adds. For an
 * IPv4 header: its version makes the first word nonzero (callers check it).
 */
static inline bool pkt_ip_csum_ok(const struct rte_ipv4_hdr *ip, uint16_t ihl)
{
	if (ihl != sizeof(*ip))
		return rte_ipv4_cksum(ip) == 0;
	/*
	 * As two 64-bit words and one 32-bit, with end-around carries: 2^16,
	 * and so 2^64, is 1 mod 0xffff, so any width of word sums to the same
	 * residue. Folding with end-around carries is reduction mod 0xffff (0
	 * kept as 0xffff): a multiply, not four folds. An end-around sum of
	 * words not all zero is not zero, so a zero t (which the multiply
	 * would take for 0xffff) cannot occur.
	 */
	uint64_t a, b;
	uint32_t c;
	memcpy(&a, ip, 8);
	memcpy(&b, (const uint8_t *)ip + 8, 8);
	memcpy(&c, (const uint8_t *)ip + 16, 4);
	uint64_t s = a + b;
	s += s < a;
	uint64_t t = s + c;
	t += t < s;
	return t % 0xffff == 0;
}

/* Everything an IPv4 packet we act on must satisfy. */
static inline int pkt_ip_check(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
			       uint32_t len)
{
	if ((ip->version_ihl >> 4) != 4)
		return VIPD_DROP_IP_VERSION;
	uint16_t ihl = rte_ipv4_hdr_len(ip);
	if (ihl < sizeof(*ip))
		return VIPD_DROP_IP_IHL;
	if (ihl > len)
		return VIPD_DROP_IP_TRUNC;
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > len)
		return VIPD_DROP_IP_LEN;
	/*
	 * The sum decides, as in Linux's ip_rcv(): only a NIC's GOOD spares it.
	 * A BAD from the NIC is summed again (the fast path does the same).
	 */
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !pkt_ip_csum_ok(ip, ihl))
		return VIPD_DROP_IP_CSUM;
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return VIPD_DROP_IP_FRAG;
	return -1;
}

/*
 * TCP/UDP ports and flags into pi->key (with kflags) and its hash into
 * pi->hash; -1 when fine, else a drop reason.
 */
static inline int pkt_l4(struct rte_ipv4_hdr *ip, struct pkt_info *pi, uint8_t kflags)
{
	uint16_t ihl = rte_ipv4_hdr_len(ip);
	uint16_t l4len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - ihl);
	uint8_t *l4 = (uint8_t *)ip + ihl;
	uint16_t sport, dport;

	pi->l4_off = (uint16_t)(sizeof(struct rte_ether_hdr) + ihl);
	pi->tcp_flags = 0;
	if (ip->next_proto_id == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		if (l4len < sizeof(*th))
			return VIPD_DROP_L4_TRUNC;
		if ((th->data_off >> 4) < 5 || (uint16_t)((th->data_off >> 4) * 4) > l4len)
			return VIPD_DROP_L4_HDR;
		sport = th->src_port;
		dport = th->dst_port;
		pi->tcp_flags = th->tcp_flags;
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		if (l4len < sizeof(*uh))
			return VIPD_DROP_L4_TRUNC;
		uint16_t ul = rte_be_to_cpu_16(uh->dgram_len);
		if (ul < sizeof(*uh) || ul > l4len)
			return VIPD_DROP_L4_HDR;
		sport = uh->src_port;
		dport = uh->dst_port;
	}
	pi->hash = sess_key_set(&pi->key, ip->src_addr, ip->dst_addr, sport, dport,
				ip->next_proto_id, kflags);
	return -1;
}

/* Key of the flow an ICMP error quotes, seen from the client's side. */
static inline void pkt_quote_key(const struct icmp_quote *q, bool reply, struct pkt_info *pi)
{
	/* The quote travelled the other way: its destination is our source. */
	pi->tcp_flags = 0;
	pi->hash = sess_key_set(&pi->key, q->ip->dst_addr, q->ip->src_addr, icmp_q_dport(q),
				icmp_q_sport(q), q->ip->next_proto_id,
				reply ? SESS_KEY_REPLY : 0);
}

/* An ICMP error from a NAT real server about a packet of a client's flow. */
static inline uint8_t pkt_icmp_from_rs(const struct snap *sn, struct rte_mbuf *m,
				       struct rte_ipv4_hdr *ip, uint32_t len, struct pkt_info *pi)
{
	struct icmp_quote q;
	if (!icmp_quote_parse(ip, (uint16_t)len, &q) ||
	    !snap_natrs_has(sn, q.ip->dst_addr, icmp_q_dport(&q), q.ip->next_proto_id))
		return PKT_KERNEL;
	int r = pkt_ip_check(m, ip, len);
	if (r >= 0)
		return pkt_drop(pi, (enum vipd_drop)r);
	pkt_quote_key(&q, true, pi);
	return PKT_ICMP_OUT;
}

/*
 * Not to an owned VIP: a reply from a NAT real server (translated back by
 * its session), or the kernel's. Traffic to the director's own address stays
 * the kernel's even from a real server: health checks talk to them too.
 */
static inline uint8_t pkt_not_vip(const struct snap *sn, const struct port_info *port,
				  struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint32_t len,
				  struct pkt_info *pi)
{
	if (sn->n_natrs == 0 || ip->dst_addr == port->addr)
		return PKT_KERNEL;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return pkt_icmp_from_rs(sn, m, ip, len, pi);
	if ((ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP) ||
	    len < rte_ipv4_hdr_len(ip) + sizeof(struct rte_udp_hdr))
		return PKT_KERNEL;
	const struct rte_udp_hdr *uh =
		(const struct rte_udp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	if (!snap_natrs_has(sn, ip->src_addr, uh->src_port, ip->next_proto_id))
		return PKT_KERNEL;
	int r = pkt_ip_check(m, ip, len);
	if (r < 0)
		r = pkt_l4(ip, pi, SESS_KEY_REPLY);
	if (r >= 0)
		return pkt_drop(pi, (enum vipd_drop)r);
	return PKT_NAT_REPLY;
}

static inline uint8_t pkt_classify(const struct snap *sn, const struct port_info *port,
				   struct rte_mbuf *m, struct pkt_info *pi)
{
	uint32_t len = m->data_len;
	if (len < sizeof(struct rte_ether_hdr))
		return pkt_drop(pi, VIPD_DROP_ETH_TRUNC);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (!pkt_l2_ours(sn, port, eth))
		return pkt_drop(pi, VIPD_DROP_L2_OTHER);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return pkt_arp(sn, port, m, pi);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return PKT_KERNEL;

	len -= sizeof(*eth);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	if (len < sizeof(*ip))
		return pkt_drop(pi, VIPD_DROP_IP_TRUNC);
	/*
	 * Fast path: a plain TCP/UDP packet to a service this director holds is
	 * found with one lookup; anything else takes the general path below.
	 */
	if (ip->version_ihl == RTE_IPV4_VHL_DEF && len >= sizeof(*ip) + 4 &&
	    (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP)) {
		uint16_t dport = *(const xmit_u16 *)((const uint8_t *)(ip + 1) + 2);
		const struct snap_svc *svc =
			snap_svc_find(sn, ip->dst_addr, dport, ip->next_proto_id);
		if (svc && svc->owned) {
			int r = pkt_ip_check(m, ip, len);
			if (r < 0 && ip->time_to_live <= 1)
				r = VIPD_DROP_IP_TTL;
			if (r < 0)
				r = pkt_l4(ip, pi, 0);
			if (r >= 0)
				return pkt_drop(pi, (enum vipd_drop)r);
			pi->svc = svc;
			return PKT_VIP_FLOW;
		}
	}
	const struct snap_vip *v = snap_vip_find(sn, ip->dst_addr);
	if (v == NULL || !v->owned)
		return pkt_not_vip(sn, port, m, ip, len, pi);
	int r = pkt_ip_check(m, ip, len);
	if (r >= 0)
		return pkt_drop(pi, (enum vipd_drop)r);
	if (ip->time_to_live <= 1)
		return pkt_drop(pi, VIPD_DROP_IP_TTL);
	if (ip->next_proto_id == IPPROTO_ICMP) {
		struct icmp_quote q;
		if (!icmp_quote_parse(ip, (uint16_t)len, &q))
			return pkt_icmp_echo(port, m, ip,
					     (uint16_t)(rte_be_to_cpu_16(ip->total_length) -
							rte_ipv4_hdr_len(ip)), pi);
		pkt_quote_key(&q, false, pi);
		pi->svc = snap_svc_find(sn, pi->key.daddr, pi->key.dport, pi->key.proto);
		if (pi->svc == NULL)
			return pkt_drop(pi, VIPD_DROP_NO_SERVICE);
		return PKT_ICMP_IN;
	}
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return pkt_drop(pi, VIPD_DROP_VIP_PROTO);
	r = pkt_l4(ip, pi, 0);
	if (r >= 0)
		return pkt_drop(pi, (enum vipd_drop)r);
	pi->svc = snap_svc_find(sn, pi->key.daddr, pi->key.dport, pi->key.proto);
	if (pi->svc == NULL)
		return pkt_drop(pi, VIPD_DROP_NO_SERVICE);
	return PKT_VIP_FLOW;
}

#endif
