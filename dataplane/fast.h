/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fast: the parse of the packet path's common case, a plain TCP or UDP
 * packet to a service this director holds, in as few instructions as the
 * checks allow.
 *
 * It reads the headers as a few whole words and finds the service through a
 * one-entry cache (a director's traffic mostly goes to a few services), and
 * it applies every check pkt_classify() applies to such a packet. It never
 * drops: anything else, or anything that fails a check, is PKT_SLOW, and
 * pkt_classify() then decides and names the drop reason. So the two
 * classifiers agree by construction on what is dropped, and this one only
 * has to be right about what it accepts.
 *
 * Threading: worker lcores; the cache is the worker's own and is tied to the
 * snapshot it was filled from.
 */
#ifndef VIPD_FAST_H
#define VIPD_FAST_H

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"

#define PKT_SLOW 0xff /* not the common case: ask pkt_classify() */

struct fast_cache {
	const struct snap *sn;     /* the snapshot svc came from */
	uint32_t version;          /* its version: a new snapshot may reuse the address */
	uint64_t key;              /* vip | vport << 48, as the frame holds them at 30 */
	uint8_t proto;
	const struct snap_svc *svc;
};

/* A new snapshot may change ownership or drop the service: forget it. */
static inline void fast_cache_sync(struct fast_cache *fc, const struct snap *sn)
{
	if (fc->sn != sn || fc->version != sn->version) {
		fc->sn = sn;
		fc->version = sn->version;
		fc->key = UINT64_MAX;
		fc->proto = 0; /* no TCP or UDP frame has it: never a hit */
		fc->svc = NULL;
	}
}

/* The port's MAC as the low 48 bits of a word, first byte lowest. */
static inline uint64_t fast_mac64(const struct rte_ether_addr *a)
{
	uint64_t v = 0;
	memcpy(&v, a, 6);
	return v;
}

/*
 * The frame (at least 42 bytes) is for our MAC (port_mac: fast_mac64()) and
 * IPv4 with a 20-byte header (no options): two word loads, one test.
 */
static inline __attribute__((always_inline)) bool fast_ours_ipv4(const uint8_t *d,
								   uint64_t port_mac)
{
	uint64_t dmac, w12;
	memcpy(&dmac, d, 8);     /* destination MAC and 2 bytes we shift out */
	memcpy(&w12, d + 12, 8); /* ethertype, version/IHL, TOS, total length, id */
	return (((dmac ^ port_mac) << 16) | ((w12 & 0xffffff) ^ 0x450008)) == 0;
}

/*
 * The first half, for pass 1: what the session lookup needs (the frame is
 * for our MAC, IPv4 without options, TCP or UDP to a service this director
 * holds; the key, *lo the hash's low half for sess_home_prefetch(), the
 * service), as few instructions as possible between one packet's bucket
 * prefetch and the next. PKT_VIP_FLOW, or PKT_SLOW. The packet is not a
 * PKT_VIP_FLOW until fast_check() has passed too, and pi->hash may hold only
 * the low half until fast_key_hash().
 */
static inline __attribute__((always_inline)) uint8_t
fast_key(struct fast_cache *fc, uint64_t port_mac, struct rte_mbuf *m, struct pkt_info *pi,
	 uint32_t *lo)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + 20 + 8) || !fast_ours_ipv4(d, port_mac))
		return PKT_SLOW;
	/*
	 * The session key's words lie in the frame as the key lays them out:
	 * source and destination addresses (w0), then both ports (w1's low half).
	 */
	uint64_t kw0;
	uint32_t ports;
	memcpy(&kw0, d + 26, 8);
	memcpy(&ports, d + 34, 4);
	uint8_t proto = d[23];
	uint64_t kw1 = ports | (uint64_t)proto << 32;
	/* The destination address and port as the frame has them (the source
	 * port between them masked out): one load, one mask. */
	uint64_t dst;
	memcpy(&dst, d + 30, 8);
	uint64_t sk = dst & 0xffff0000ffffffffULL;
	const struct snap_svc *svc = fc->svc;
	if (unlikely(sk != fc->key || proto != fc->proto)) {
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return PKT_SLOW;
		/* A NAT reply's destination is no VIP: one bit says so. */
		if (!snap_vip_maybe(fc->sn, (uint32_t)(kw0 >> 32)))
			return PKT_SLOW;
		svc = snap_svc_find(fc->sn, (uint32_t)(kw0 >> 32), (uint16_t)(ports >> 16), proto);
		if (svc == NULL || !svc->owned)
			return PKT_SLOW;
		fc->key = sk;
		fc->proto = proto;
		fc->svc = svc;
	}
	pi->svc = svc;
	/* The high half waits: fast_key_hash(), where it is needed. */
	memcpy(&pi->key, &kw0, 8);
	memcpy((uint8_t *)&pi->key + 8, &kw1, 8);
	*lo = sess_hash_lo(kw0, kw1);
	pi->hash = *lo;
	return PKT_VIP_FLOW;
#else
	(void)fc, (void)port_mac, (void)m, (void)pi, (void)lo;
	return PKT_SLOW;
#endif
}

/*
 * The second half, for pass 2, of a frame fast_key() took: every other
 * check pkt_classify() applies to it (the checksum flag or the IPv4 header
 * checksum, lengths, not a fragment, TTL, the TCP or UDP header). Returns
 * the TCP flags with FAST_TCP (0 for UDP), or -1: ask pkt_classify(). Its
 * L4 header is at FAST_L4_OFF. fast_check() stores both in pi; a caller that
 * keeps them in registers stores them only where a slower path needs them.
 */
#define FAST_L4_OFF (RTE_ETHER_HDR_LEN + 20)
#define FAST_TCP 0x100 /* beside the flags: a TCP packet's */

static inline __attribute__((always_inline)) int fast_check_flags(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	uint16_t tot16, frag16;
	memcpy(&tot16, d + 16, 2);
	memcpy(&frag16, d + 20, 2);
	uint16_t tot = __builtin_bswap16(tot16); /* rte_bswap16 is opaque asm */
	/*
	 * Not a fragment (MF or an offset: the low 14 bits of the field). Too
	 * short for its L4 header fails below, as l4len is signed. fast_key()
	 * saw 42 bytes: the header's 20 are there to sum.
	 */
	if (unlikely(tot > len - RTE_ETHER_HDR_LEN || (frag16 & 0xff3f) != 0 || d[22] <= 1))
		return -1;
	/* A NIC's BAD is summed again too: the sum is what decides. */
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !pkt_ip_csum_ok(ip, 20))
		return -1;
	const uint8_t *l4 = d + FAST_L4_OFF;
	int l4len = (int)tot - 20;
	if (d[23] == IPPROTO_TCP) {
		if (l4len < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4 > l4len)
			return -1;
		return l4[13] | FAST_TCP;
	}
	uint16_t ul;
	memcpy(&ul, l4 + 4, 2);
	ul = __builtin_bswap16(ul);
	if (ul < 8 || (int)ul > l4len)
		return -1;
	return 0;
}

static inline __attribute__((always_inline)) bool fast_check(const struct rte_mbuf *m,
							      struct pkt_info *pi)
{
	int flags = fast_check_flags(m);
	if (flags < 0)
		return false;
	pi->tcp_flags = (uint8_t)flags;
	pi->l4_off = FAST_L4_OFF;
	return true;
}

/*
 * The whole hash of a key fast_key() took, from the key (it leaves the low
 * half in pi->hash, or all fast, pass 1 the bucket's address in its place):
 * before anything but the first bucket's prefetch uses it. (The high half
 * needs the whole key: it cannot be made from the low half, the client
 * side's.)
 */
static inline __attribute__((always_inline)) void fast_key_hash(struct pkt_info *pi)
{
	pi->hash = sess_hash_words(sess_key_word(&pi->key, 0), sess_key_word(&pi->key, 1));
}

/*
 * A NAT real server's reply in the common case: for our MAC, IPv4 without
 * options, TCP or UDP from a NAT real server's address and port, to an
 * address that is neither a VIP this director holds nor the port's own,
 * passing every check fast_check_flags() applies. PKT_NAT_REPLY with pi as
 * pkt_classify() fills it for such a packet (the reply key and its whole
 * hash, the L4 offset, the TCP flags), or PKT_SLOW: pkt_classify() decides.
 * Like fast_key(), it never drops. A VIP held here is never a reply's
 * destination: pkt_classify() tests its services first, and a service is
 * held only when its VIP is (snap.c), so one lookup of the VIP stands for both.
 */
static inline __attribute__((always_inline)) uint8_t
fast_reply(const struct snap *sn, uint32_t port_addr, uint64_t port_mac, struct rte_mbuf *m,
	   struct pkt_info *pi)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	if (sn->n_natrs == 0 || m->data_len < RTE_ETHER_HDR_LEN + 20 + 8)
		return PKT_SLOW;
	uint8_t proto = d[23];
	if (!fast_ours_ipv4(d, port_mac) || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return PKT_SLOW;
	uint64_t w0; /* source and destination address, as the key lays them out */
	uint32_t ports;
	memcpy(&w0, d + 26, 8);
	memcpy(&ports, d + 34, 4);
	uint32_t daddr = (uint32_t)(w0 >> 32);
	if (daddr == port_addr)
		return PKT_SLOW;
	/* First the test a client's packet fails (the worker may try a VIP
	 * flow's packet here first): its source is no NAT real server. */
	if (!snap_natrs_has_key(sn, snap_natrs_key((uint32_t)w0, (uint16_t)ports, proto)))
		return PKT_SLOW;
	if (snap_vip_maybe(sn, daddr)) {
		const struct snap_vip *v = snap_vip_find(sn, daddr);
		if (v != NULL && v->owned)
			return PKT_SLOW;
	}
	int fl = fast_check_flags(m);
	if (fl < 0)
		return PKT_SLOW;
	pi->tcp_flags = (uint8_t)fl;
	pi->l4_off = FAST_L4_OFF;
	pi->hash = sess_reply_key_words(&pi->key, w0, ports, proto);
	return PKT_NAT_REPLY;
#else
	(void)sn, (void)port_addr, (void)port_mac, (void)m, (void)pi;
	return PKT_SLOW;
#endif
}

/* Both halves at once: PKT_VIP_FLOW with pi filled in, or PKT_SLOW. */
static inline uint8_t fast_parse(struct fast_cache *fc, uint64_t port_mac, struct rte_mbuf *m,
				 struct pkt_info *pi)
{
	uint32_t lo;
	if (fast_key(fc, port_mac, m, pi, &lo) != PKT_VIP_FLOW)
		return PKT_SLOW;
	fast_key_hash(pi);
	if (!fast_check(m, pi))
		return PKT_SLOW;
	return PKT_VIP_FLOW;
}

#endif
