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
	uint64_t key;              /* vip | vport << 32 | proto << 48 */
	const struct snap_svc *svc;
};

/* A new snapshot may change ownership or drop the service: forget it. */
static inline void fast_cache_sync(struct fast_cache *fc, const struct snap *sn)
{
	if (fc->sn != sn || fc->version != sn->version) {
		fc->sn = sn;
		fc->version = sn->version;
		fc->key = UINT64_MAX; /* proto << 48 never sets the top byte */
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
 * PKT_VIP_FLOW with pi filled in and *lo the low half of pi->hash (see
 * sess_prefetch_lo()), or PKT_SLOW.
 */
static inline __attribute__((always_inline)) uint8_t
fast_parse_lo(struct fast_cache *fc, uint64_t port_mac, struct rte_mbuf *m, struct pkt_info *pi,
	      uint32_t *lo)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (unlikely(len < RTE_ETHER_HDR_LEN + 20 + 8 || ck == RTE_MBUF_F_RX_IP_CKSUM_BAD))
		return PKT_SLOW;
	uint64_t dmac, w12;
	memcpy(&dmac, d, 8);     /* destination MAC and 2 bytes we shift out */
	memcpy(&w12, d + 12, 8); /* ethertype, version/IHL, TOS, total length, id */
	/* Our MAC, IPv4, version 4 with a 20-byte header (no options). */
	if ((((dmac ^ port_mac) << 16) | ((w12 & 0xffffff) ^ 0x450008)) != 0)
		return PKT_SLOW;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	/*
	 * The session key's words lie in the frame as the key lays them out:
	 * source and destination addresses (w0), then both ports (w1's low half).
	 */
	uint32_t w20, ports; /* fragment field, TTL, protocol; source and destination ports */
	uint64_t kw0;
	memcpy(&w20, d + 20, 4);
	memcpy(&kw0, d + 26, 8);
	memcpy(&ports, d + 34, 4);
	uint8_t proto = (uint8_t)(w20 >> 24);
	uint64_t kw1 = ports | (uint64_t)proto << 32;
	/* vip | vport << 32 | proto << 48: kw1 >> 16 is vport | proto << 16. */
	uint64_t sk = (kw0 >> 32) | (kw1 >> 16) << 32;
	const struct snap_svc *svc = fc->svc;
	if (unlikely(sk != fc->key)) {
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return PKT_SLOW;
		svc = snap_svc_find(fc->sn, (uint32_t)(kw0 >> 32), (uint16_t)(ports >> 16), proto);
		if (svc == NULL || !svc->owned)
			return PKT_SLOW;
		fc->key = sk;
		fc->svc = svc;
	}
	uint16_t tot = __builtin_bswap16((uint16_t)(w12 >> 32)); /* rte_bswap16 is opaque asm */
	/* Not a fragment (MF or an offset: the low 14 bits of the field). */
	uint16_t frag = (uint16_t)w20 & 0xff3f;
	uint8_t ttl = (uint8_t)(w20 >> 16);
	if (unlikely(tot > len - RTE_ETHER_HDR_LEN || tot < 20 + 8 || frag != 0 || ttl <= 1))
		return PKT_SLOW;
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !pkt_ip_csum_ok(ip, 20))
		return PKT_SLOW;
	const uint8_t *l4 = d + RTE_ETHER_HDR_LEN + 20;
	uint16_t l4len = (uint16_t)(tot - 20);
	uint8_t flags = 0;
	if (proto == IPPROTO_TCP) {
		if (l4len < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4 > l4len)
			return PKT_SLOW;
		flags = l4[13];
	} else {
		uint16_t ul;
		memcpy(&ul, l4 + 4, 2);
		ul = __builtin_bswap16(ul);
		if (ul < 8 || ul > l4len)
			return PKT_SLOW;
	}
	pi->l4_off = RTE_ETHER_HDR_LEN + 20;
	pi->tcp_flags = flags;
	pi->svc = svc;
	pi->hash = sess_key_set_words(&pi->key, kw0, kw1);
	*lo = sess_hash_lo(kw0, kw1); /* the same CRCs: only their result's register */
	return PKT_VIP_FLOW;
#else
	(void)fc, (void)port_mac, (void)m, (void)pi, (void)lo;
	return PKT_SLOW;
#endif
}

static inline uint8_t fast_parse(struct fast_cache *fc, uint64_t port_mac, struct rte_mbuf *m,
				 struct pkt_info *pi)
{
	uint32_t lo;
	return fast_parse_lo(fc, port_mac, m, pi, &lo);
}

#endif
