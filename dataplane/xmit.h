/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xmit: the header rewrites of the three forwarding methods (IPVS's
 * ip_vs_xmit.c): DR (MAC only), NAT (addresses and ports, incremental
 * checksums) and TUN (IPIP encapsulation, with ICMP "fragmentation needed"
 * when the tunnel would exceed the path MTU).
 *
 * Threading: pure functions of one packet; worker lcores.
 */
#ifndef VIPD_XMIT_H
#define VIPD_XMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

/* RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'), over 16-bit words. */
static inline uint16_t csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline void csum_replace2(uint16_t *sum, uint16_t from, uint16_t to)
{
	uint32_t s = (uint16_t)~*sum;
	s += (uint16_t)~from;
	s += to;
	*sum = (uint16_t)~csum_fold(s);
}

static inline void csum_replace4(uint16_t *sum, uint32_t from, uint32_t to)
{
	csum_replace2(sum, (uint16_t)from, (uint16_t)to);
	csum_replace2(sum, (uint16_t)(from >> 16), (uint16_t)(to >> 16));
}

/* Header fields need not be naturally aligned (IPv4 starts at offset 14). */
typedef uint16_t __attribute__((aligned(1), may_alias)) xmit_u16;
typedef uint32_t __attribute__((aligned(1), may_alias)) xmit_u32;

static inline void csum_replace2u(xmit_u16 *sum, uint16_t from, uint16_t to)
{
	uint16_t v = *sum;
	csum_replace2(&v, from, to);
	*sum = v;
}

static inline void csum_replace4u(xmit_u16 *sum, uint32_t from, uint32_t to)
{
	uint16_t v = *sum;
	csum_replace4(&v, from, to);
	*sum = v;
}

/*
 * What replacing the 32-bit word from with to adds to a one's complement sum,
 * folded to at most 17 bits: summing the 32-bit words and folding equals
 * summing their 16-bit halves (RFC 1071), in either byte order.
 */
static inline uint32_t csum_diff4(uint32_t from, uint32_t to)
{
	uint64_t s = (uint64_t)(uint32_t)~from + to;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/*
 * A NAT rewrite's two checksum differences, for one (from, to) pair of
 * address and port: ip is the address part (the IPv4 header's), l4 adds the
 * port (TCP/UDP, with the pseudo-header). The fast path has them worked out
 * once per real server (rs_alloc), so that a packet's rewrite is two 16-bit
 * adds. Folding them to 16 bits changes no result: a fold is zero only for a
 * zero sum, so the encoding of zero cannot change.
 */
struct xmit_nat_delta {
	uint16_t ip, l4;
};

static inline struct xmit_nat_delta xmit_nat_delta(uint32_t from_addr, uint16_t from_port,
						    uint32_t addr, uint16_t port)
{
	uint32_t d = csum_diff4(from_addr, addr);
	struct xmit_nat_delta x = {
		.ip = csum_fold(d),
		.l4 = csum_fold(d + (uint16_t)~from_port + port),
	};
	return x;
}

/* A checksum field after adding the 16-bit difference d (RFC 1624): one fold. */
static inline uint16_t csum_apply16(uint16_t sum, uint16_t d)
{
	uint32_t s = (uint32_t)(uint16_t)~sum + d;
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Set one address (and the port beside it) of a TCP/UDP packet to addr and
 * port, whose differences from what the packet holds are dx; dst selects the
 * destination side (client to server) or the source side.
 */
static inline void xmit_nat_apply(struct rte_ipv4_hdr *ip, void *l4, bool tcp, bool dst,
				  uint32_t addr, uint16_t port, struct xmit_nat_delta dx)
{
	xmit_u16 *ipc = (xmit_u16 *)((uint8_t *)ip + 10);
	*ipc = csum_apply16(*ipc, dx.ip);
	if (tcp) {
		xmit_u16 *c = (xmit_u16 *)((uint8_t *)l4 + 16);
		*c = csum_apply16(*c, dx.l4);
	} else {
		xmit_u16 *c = (xmit_u16 *)((uint8_t *)l4 + 6);
		/* UDP without a checksum keeps none; a computed 0 goes out as 0xffff. */
		if (*c) {
			uint16_t v = csum_apply16(*c, dx.l4);
			*c = v ? v : 0xffff;
		}
	}
	*(xmit_u32 *)((uint8_t *)ip + (dst ? 16 : 12)) = addr;
	*(xmit_u16 *)((uint8_t *)l4 + (dst ? 2 : 0)) = port;
}

/*
 * Rewrite one address (and the port beside it) of a TCP/UDP packet, fixing
 * the IPv4 header checksum and the pseudo-header part of the L4 checksum.
 */
static inline void xmit_nat_rewrite(struct rte_ipv4_hdr *ip, void *l4, bool dst,
				    uint32_t addr, uint16_t port)
{
	uint32_t a = *(xmit_u32 *)((uint8_t *)ip + (dst ? 16 : 12));
	uint16_t p = *(xmit_u16 *)((uint8_t *)l4 + (dst ? 2 : 0));
	xmit_nat_apply(ip, l4, ip->next_proto_id == IPPROTO_TCP, dst, addr, port,
		       xmit_nat_delta(a, p, addr, port));
}

/*
 * xmit_nat_rewrite(ip, l4, true, addr, port) for a packet whose destination
 * is the from side of dx (the caller checks): the differences come ready.
 * tcp: the packet's protocol is TCP (else UDP), as the caller already knows.
 */
static inline void xmit_nat_dnat(struct rte_ipv4_hdr *ip, void *l4, bool tcp, uint32_t addr,
				 uint16_t port, struct xmit_nat_delta dx)
{
	xmit_nat_apply(ip, l4, tcp, true, addr, port, dx);
}

/*
 * A NAT reply from the real server whose forward differences are dx (its
 * slot's, from the VIP's addr:port to its own): the source set back to addr
 * and port, and the TTL decremented, all from dx. Going back is the
 * one's-complement negative of going there (~dx), and the TTL's step is one
 * more difference (0xfffe: its byte is the low one of the word as loaded
 * on a little-endian CPU, the high one on a big-endian), so no difference is
 * worked out per packet. The caller checked the TTL (> 1) and that the
 * packet's source is the one dx starts from.
 */
static inline void xmit_nat_reply(struct rte_ipv4_hdr *ip, void *l4, bool tcp, uint32_t addr,
				  uint16_t port, struct xmit_nat_delta dx)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	const uint32_t ttl_step = 0xfffe;
#else
	const uint32_t ttl_step = 0xfeff;
#endif
	struct xmit_nat_delta back = {
		.ip = csum_fold((uint32_t)(uint16_t)~dx.ip + ttl_step),
		.l4 = (uint16_t)~dx.l4,
	};
	ip->time_to_live--;
	xmit_nat_apply(ip, l4, tcp, false, addr, port, back);
}

static inline void xmit_ttl_dec(struct rte_ipv4_hdr *ip)
{
	uint16_t old = rte_cpu_to_be_16((uint16_t)(ip->time_to_live << 8 | ip->next_proto_id));
	ip->time_to_live--;
	uint16_t new = rte_cpu_to_be_16((uint16_t)(ip->time_to_live << 8 | ip->next_proto_id));
	csum_replace2u((xmit_u16 *)((uint8_t *)ip + 10), old, new);
}

/* rte_ipv4_cksum() for a header without options, as five 32-bit adds. */
static inline uint16_t xmit_ip_csum20(const struct rte_ipv4_hdr *ip)
{
	const xmit_u32 *w = (const xmit_u32 *)ip;
	uint64_t s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

enum xmit_tun_rc { XMIT_TUN_OK = 0, XMIT_TUN_TOO_BIG, XMIT_TUN_NO_ROOM };

/*
 * Network to host order for 16 bits. DPDK's rte_be_to_cpu_16() is inline
 * asm on x86, which the compiler can neither schedule nor fold.
 */
static inline uint16_t xmit_be16(uint16_t v)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* An outer header's 16-bit words as they lie in memory, read as integers. */
static inline uint16_t xmit_mem16(uint8_t first, uint8_t second)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return (uint16_t)(first | second << 8);
#else
	return (uint16_t)(first << 8 | second);
#endif
}

/*
 * The one's complement sum of the 16-bit words of s (as they lie in memory),
 * folded to 16 bits, in the upper half of the result (the lower half is
 * not part of it). Each fold adds a word to itself rotated by half its
 * width: the upper half is then the sum of both halves with the end-around
 * carry, the lower half's carry included.
 */
static inline uint32_t csum_fold64_hi(uint64_t s)
{
	s += s << 32 | s >> 32;
	uint32_t x = (uint32_t)(s >> 32);
	return x + (x << 16 | x >> 16);
}

/* The same, as 16 bits (never 0 for a nonzero s). */
static inline uint16_t csum_fold64(uint64_t s)
{
	return (uint16_t)(csum_fold64_hi(s) >> 16);
}

/*
 * The part of an IPIP header's checksum that every packet from src to one
 * real server dst shares (protocol, both addresses), folded to 16 bits:
 * worked out once per real server (rs_alloc).
 */
static inline uint16_t xmit_tun_sum(uint32_t src, uint32_t dst)
{
	return csum_fold64((uint64_t)xmit_mem16(0, IPPROTO_IPIP) + src + dst);
}

/*
 * The outer IPIP header at p, a frame's new start 20 bytes before its old
 * one, from src to dst (sd = src | dst << 32, both in network order; sum =
 * xmit_tun_sum(src, dst)), as IPVS's ip_vs_tunnel_xmit: TOS, id, TTL and DF
 * copied from the inner header (at p + 34, inner_len bytes), and the
 * Ethernet type; the caller writes both MACs. The outer header lands on the
 * Ethernet header's old bytes only, never on the inner header. in45: the
 * inner header is known to have no options (version/IHL 0x45, as the outer
 * one), so that byte is copied too.
 */
static inline __attribute__((always_inline)) void xmit_tun_hdr(uint8_t *p, uint16_t inner_len,
							       uint64_t sd, uint16_t sum, bool in45)
{
	const uint8_t *in = p + RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	/*
	 * The inner header's first 8 bytes as one word, its length replaced
	 * and of its fragment field only DF kept (bit 0x40 of its first byte):
	 * the outer header's first 8 bytes. Its top byte is 0, so adding the
	 * TTL and sum cannot carry out of 64 bits. The checksum is summed from
	 * registers, not read back.
	 */
	uint64_t w0;
	memcpy(&w0, in, 8);
	uint32_t ttl = in[8];
	/* The new length already in place: its bytes swapped in 32 bits. */
	uint64_t tl16 = __builtin_bswap32((uint32_t)inner_len + sizeof(struct rte_ipv4_hdr)) &
			0xffff0000u;
	w0 = (w0 & 0x0040ffff0000ffffULL) | tl16;
	if (!in45)
		w0 = (w0 & ~0xffULL) | RTE_IPV4_VHL_DEF;
	/* The checksum's place in w2 is the fold's upper half: no shifts. */
	uint32_t x = csum_fold64_hi(w0 + ttl + sum);
	uint32_t w2 = (~x & 0xffff0000u) | ttl | IPPROTO_IPIP << 8;
	/* The Ethernet type as 4 bytes: w0 then writes over the other 2. */
	uint32_t et = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memcpy(p + 12, &et, 4);
	memcpy(p + 14, &w0, 8);
	memcpy(p + 22, &w2, 4);
	memcpy(p + 26, &sd, 8);
#else
	uint32_t src = (uint32_t)sd, dst = (uint32_t)(sd >> 32);
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)in;
	uint16_t tl = xmit_be16((uint16_t)(inner_len + sizeof(struct rte_ipv4_hdr)));
	(void)in45;
	uint16_t vt = xmit_mem16(RTE_IPV4_VHL_DEF, ih->type_of_service);
	uint16_t id = ih->packet_id;
	uint16_t fo = ih->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	uint16_t ttl = xmit_mem16(ih->time_to_live, 0);
	uint16_t ck = (uint16_t)~csum_fold64((uint64_t)sum + vt + tl + id + fo + ttl);
	((struct rte_ether_hdr *)p)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	xmit_u16 *o = (xmit_u16 *)(p + RTE_ETHER_HDR_LEN);
	o[0] = vt;
	o[1] = tl;
	o[2] = id;
	o[3] = fo;
	o[4] = (uint16_t)(ttl | xmit_mem16(0, IPPROTO_IPIP));
	o[5] = ck;
	memcpy(&o[6], &src, 4);
	memcpy(&o[8], &dst, 4);
#endif
}

/*
 * IPIP-encapsulate m (its frame: Ethernet + IPv4 of inner_len bytes, host
 * order), by xmit_tun_hdr(). The caller has checked the MTU. Returns the new
 * start of the frame, or NULL: no headroom.
 */
static inline uint8_t *xmit_tun_encap(struct rte_mbuf *m, uint16_t inner_len, uint64_t sd,
				      uint16_t sum)
{
	/* Trailing Ethernet padding must not travel inside the tunnel. */
	if (m->pkt_len > (uint32_t)RTE_ETHER_HDR_LEN + inner_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - RTE_ETHER_HDR_LEN - inner_len));
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct rte_ipv4_hdr));
	if (p == NULL)
		return NULL;
	xmit_tun_hdr(p, inner_len, sd, sum, false);
	return p;
}

/* What a tunnel frame adds to its inner packet: Ethernet and outer IPv4. */
#define XMIT_TUN_FRAME (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/*
 * xmit_tun_encap() for the lean path, on m's frame d, whose IPv4 header has
 * no options (fast_key() checked): m must be one segment (any Ethernet
 * padding is then in it, and setting both lengths trims it) with room for
 * the outer header. Returns the new start of the frame, or NULL with m
 * untouched: the general path decides.
 */
static inline __attribute__((always_inline)) uint8_t *
xmit_tun_encap1(struct rte_mbuf *m, uint8_t *d, uint16_t inner_len, uint64_t sd, uint16_t sum)
{
	uint16_t off = m->data_off;
	if (unlikely(m->nb_segs != 1 || off < sizeof(struct rte_ipv4_hdr)))
		return NULL;
	uint32_t len = inner_len + (uint32_t)XMIT_TUN_FRAME;
	uint8_t *p = d - sizeof(struct rte_ipv4_hdr);
	m->data_off = (uint16_t)(off - sizeof(struct rte_ipv4_hdr));
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	xmit_tun_hdr(p, inner_len, sd, sum, true);
	return p;
}

/*
 * xmit_tun_encap() after the MTU check. TOO_BIG: the result would exceed
 * mtu (the caller answers DF packets with ICMP fragmentation needed, as IPVS
 * does).
 */
static inline enum xmit_tun_rc xmit_tun(struct rte_mbuf *m, uint32_t src, uint32_t dst,
					uint16_t mtu)
{
	const struct rte_ipv4_hdr *in =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uint16_t inner_len = xmit_be16(in->total_length);

	if ((uint32_t)inner_len + sizeof(struct rte_ipv4_hdr) > mtu)
		return XMIT_TUN_TOO_BIG;
	return xmit_tun_encap(m, inner_len, (uint64_t)src | (uint64_t)dst << 32,
			      xmit_tun_sum(src, dst))
		       ? XMIT_TUN_OK
		       : XMIT_TUN_NO_ROOM;
}

/*
 * Turn m into an ICMP error (type, code; info = the RFC 1191 next-hop MTU for
 * "fragmentation needed") back to its sender, from src, quoting its header.
 */
static inline void xmit_icmp_error(struct rte_mbuf *m, const struct rte_ether_addr *smac,
				   uint32_t src, uint8_t type, uint8_t code, uint16_t info)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t quote[60 + 8]; /* the offending header and 8 bytes of its payload */
	uint16_t qlen = (uint16_t)(rte_ipv4_hdr_len(in) + 8);
	uint32_t client = in->src_addr;

	memcpy(quote, in, qlen);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *smac;
	struct rte_ipv4_hdr *ip = in;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint16_t tot = (uint16_t)(sizeof(*ip) + sizeof(*ic) + qlen);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0; /* internetwork control, as Linux sends ICMP errors */
	ip->total_length = rte_cpu_to_be_16(tot);
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = client;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16(info);
	memcpy(ic + 1, quote, qlen);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + qlen);
	if (m->next) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)(sizeof(*eth) + tot);
	m->pkt_len = m->data_len;
}

/*
 * Turn m, a TCP segment nobody listens for, into the RST that answers it
 * (RFC 793: seq = its ACK if it had one, else ack = its seq + length).
 * Returns false for a RST (never answered).
 */
static inline bool xmit_tcp_rst(struct rte_mbuf *m, const struct rte_ether_addr *smac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *in = (struct rte_tcp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
	if (in->tcp_flags & RTE_TCP_RST_FLAG)
		return false;
	uint32_t seg_len = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip) -
			   (uint32_t)(in->data_off >> 4) * 4 +
			   !!(in->tcp_flags & RTE_TCP_SYN_FLAG) + !!(in->tcp_flags & RTE_TCP_FIN_FLAG);
	struct rte_tcp_hdr th = {
		.src_port = in->dst_port,
		.dst_port = in->src_port,
		.data_off = 5 << 4,
	};
	if (in->tcp_flags & RTE_TCP_ACK_FLAG) {
		th.sent_seq = in->recv_ack;
		th.tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th.recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(in->sent_seq) + seg_len);
		th.tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	uint32_t a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(th));
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *out = (struct rte_tcp_hdr *)(ip + 1);
	memcpy(out, &th, sizeof(th));
	out->cksum = rte_ipv4_udptcp_cksum(ip, out);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *smac;
	if (m->next) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)(sizeof(*eth) + sizeof(*ip) + sizeof(th));
	m->pkt_len = m->data_len;
	return true;
}

#endif
