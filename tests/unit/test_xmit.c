/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xmit: the incremental checksum helpers of dataplane/xmit.h against DPDK's
 * from-scratch checksums (rte_ipv4_cksum, rte_ipv4_udptcp_cksum), which are
 * an independent implementation (rte_raw_cksum over the bytes).
 *
 * A NAT rewrite is checked by building the packet twice: once rewritten by
 * xmit_nat_rewrite() (and, for the destination side, by xmit_nat_dnat()
 * from xmit_nat_delta(), the fast path's precomputed form), once by storing
 * the new address and port and recomputing both checksums whole. The
 * buffers must be byte-identical.
 * That is stricter than "the checksums verify": a one's complement checksum
 * has two encodings of zero, and for valid input the incremental update
 * (RFC 1624 eq. 3) can only give the one a full recompute gives, so any
 * 0x0000/0xffff mix-up shows (except UDP's deliberate 0 -> 0xffff, which
 * rte_ipv4_udptcp_cksum applies as well). Packets carry random IP options,
 * odd lengths and an odd start address so alignment and padding are covered.
 */
#define ALLOW_EXPERIMENTAL_API /* rte_ipv4_udptcp_cksum_verify() in DPDK 22.11 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/xmit.h"

#define RANDOM_CASES 100000
#define BUF 2048

/* splitmix64: fixed seeds, so a failure reproduces. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* A packet in a buffer: IPv4 header at off, L4 header after its options. */
struct pkt {
	uint8_t buf[BUF];
	size_t off; /* 14 as behind Ethernet, or 15: unaligned on purpose */
	size_t len; /* off + IP total length */
	uint8_t proto;
};

static struct rte_ipv4_hdr *ip_of(struct pkt *p)
{
	return (struct rte_ipv4_hdr *)(p->buf + p->off);
}

static uint8_t *l4_of(struct pkt *p)
{
	return p->buf + p->off + rte_ipv4_hdr_len(ip_of(p));
}

/* The buffer is only byte-aligned: fields go through xmit.h's unaligned types. */
static xmit_u16 *l4_csum(struct pkt *p)
{
	return (xmit_u16 *)(l4_of(p) + (p->proto == IPPROTO_TCP ? 16 : 6));
}

/* Both checksums from scratch; UDP with checksum 0 ("none") keeps none. */
static void fix_csums(struct pkt *p, bool udp_none)
{
	struct rte_ipv4_hdr *ip = ip_of(p);
	xmit_u16 *c = l4_csum(p);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*c = 0;
	if (p->proto == IPPROTO_TCP || !udp_none)
		*c = rte_ipv4_udptcp_cksum(ip, l4_of(p)); /* UDP: a computed 0 is 0xffff */
}

/* A random valid IPv4 + TCP/UDP packet with correct checksums. */
static void build(struct pkt *p, uint8_t proto, bool udp_none, unsigned max_extra)
{
	memset(p->buf, 0, sizeof(p->buf));
	p->proto = proto;
	p->off = 14 + rnd_below(2);
	/* mostly no options (the common case), else 1..10 words of them */
	unsigned ihl = rnd_below(4) ? 5 : 6 + rnd_below(10);
	unsigned l4min = proto == IPPROTO_TCP ? 20 : 8;
	unsigned l4len = l4min + rnd_below(max_extra);
	struct rte_ipv4_hdr *ip = ip_of(p);
	uint8_t *b = (uint8_t *)ip;

	for (size_t i = 0; i < ihl * 4 + l4len; i++)
		b[i] = (uint8_t)rnd();
	ip->version_ihl = (uint8_t)(0x40 | ihl);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl * 4 + l4len));
	ip->next_proto_id = proto;
	p->len = p->off + ihl * 4 + l4len;
	if (proto == IPPROTO_TCP) {
		unsigned doff = 5 + rnd_below(11);
		if (doff * 4 > l4len)
			doff = 5;
		((struct rte_tcp_hdr *)l4_of(p))->data_off = (uint8_t)(doff << 4);
	} else {
		((struct rte_udp_hdr *)l4_of(p))->dgram_len = rte_cpu_to_be_16((uint16_t)l4len);
	}
	fix_csums(p, udp_none);
}

/* The packet verifies: IP header sum and L4 sum (pseudo-header included). */
static void assert_valid(struct pkt *p)
{
	struct rte_ipv4_hdr *ip = ip_of(p);

	assert_int_equal(rte_ipv4_cksum(ip), 0);
	if (p->proto == IPPROTO_UDP && *l4_csum(p) == 0)
		return; /* no checksum to verify */
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, l4_of(p)), 0);
}

/*
 * Rewrite p with xmit_nat_rewrite() and compare it byte for byte with the
 * same rewrite done by storing the fields and recomputing from scratch.
 */
static void check_rewrite(struct pkt *p, bool dst, uint32_t addr, uint16_t port)
{
	static struct pkt ref, pre;
	bool udp_none = p->proto == IPPROTO_UDP && *l4_csum(p) == 0;

	memcpy(&ref, p, sizeof(ref));
	*(xmit_u32 *)((uint8_t *)ip_of(&ref) + (dst ? 16 : 12)) = addr;
	*(xmit_u16 *)(l4_of(&ref) + (dst ? 2 : 0)) = port;
	fix_csums(&ref, udp_none);

	if (dst) {
		/* The precomputed form (a real server's xmit_nat_delta()): same bytes. */
		memcpy(&pre, p, sizeof(pre));
		struct xmit_nat_delta dx =
			xmit_nat_delta(*(xmit_u32 *)((uint8_t *)ip_of(p) + 16),
				       *(xmit_u16 *)(l4_of(p) + 2), addr, port);
		xmit_nat_dnat(ip_of(&pre), l4_of(&pre), ip_of(&pre)->next_proto_id == IPPROTO_TCP,
			      addr, port, dx);
		assert_memory_equal(pre.buf, ref.buf, sizeof(pre.buf));
	}
	xmit_nat_rewrite(ip_of(p), l4_of(p), dst, addr, port);
	assert_memory_equal(p->buf, ref.buf, sizeof(p->buf));
	assert_valid(p);
	if (udp_none)
		assert_int_equal(*l4_csum(p), 0);
}

static uint32_t rnd_addr(void)
{
	return (uint32_t)rnd();
}

static uint16_t rnd_port(void)
{
	return (uint16_t)rnd();
}

static void test_nat_random(void **state)
{
	static struct pkt p;

	(void)state;
	rng_state = 1;
	for (unsigned i = 0; i < RANDOM_CASES; i++) {
		uint8_t proto = (i & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		bool dst = (i >> 1) & 1;
		/* about 1 in 8 UDP packets carries no checksum (0) */
		build(&p, proto, proto == IPPROTO_UDP && rnd_below(8) == 0, 1400);
		assert_valid(&p);
		uint8_t *a = (uint8_t *)ip_of(&p) + (dst ? 16 : 12);
		uint8_t *pt = l4_of(&p) + (dst ? 2 : 0);
		uint32_t addr = rnd_addr();
		uint16_t port = rnd_port();
		switch (rnd_below(16)) {
		case 0: /* identity: nothing may change */
			memcpy(&addr, a, 4);
			memcpy(&port, pt, 2);
			break;
		case 1: /* only the port changes */
			memcpy(&addr, a, 4);
			break;
		case 2: /* only the address changes */
			memcpy(&port, pt, 2);
			break;
		case 3: /* all-ones and all-zero words: one's complement extremes */
			addr = rnd_below(2) ? 0xffffffff : 0;
			port = rnd_below(2) ? 0xffff : 0;
			break;
		}
		check_rewrite(&p, dst, addr, port);
		/* then the other side, as a NAT flow's packets get both rewrites:
		 * the input is now an incrementally updated packet */
		if (i % 7 == 0)
			check_rewrite(&p, !dst, rnd_addr(), rnd_port());
	}
}

/* UDP with checksum 0 means "none" (RFC 768): a rewrite must not invent one. */
/*
 * A NAT reply rewritten from its real server's forward differences
 * (xmit_nat_reply(): source back to the VIP's addr:port, TTL - 1) against
 * the same rewrite stored and summed from scratch: byte-identical, as the
 * per-packet xmit_ttl_dec() + xmit_nat_rewrite() it stands in for.
 */
static void test_nat_reply_random(void **state)
{
	static struct pkt p, ref, old;

	(void)state;
	rng_state = 7;
	for (unsigned i = 0; i < RANDOM_CASES; i++) {
		uint8_t proto = (i & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		bool udp_none = proto == IPPROTO_UDP && rnd_below(8) == 0;
		build(&p, proto, udp_none, 1400);
		uint32_t vaddr = rnd_addr(), raddr = rnd_addr();
		uint16_t vport = rnd_port(), rport = rnd_port();
		if (i % 1000 == 0) /* a real server on the VIP's own port */
			rport = vport;
		/* the reply as the real server sent it: from raddr:rport */
		ip_of(&p)->time_to_live = (uint8_t)(2 + rnd_below(254));
		*(xmit_u32 *)((uint8_t *)ip_of(&p) + 12) = raddr;
		*(xmit_u16 *)l4_of(&p) = rport;
		fix_csums(&p, udp_none);
		memcpy(&ref, &p, sizeof(ref));
		ip_of(&ref)->time_to_live--;
		*(xmit_u32 *)((uint8_t *)ip_of(&ref) + 12) = vaddr;
		*(xmit_u16 *)l4_of(&ref) = vport;
		fix_csums(&ref, udp_none);
		memcpy(&old, &p, sizeof(old));

		/* the slot's forward differences: VIP:vport -> raddr:rport */
		struct xmit_nat_delta dx = xmit_nat_delta(vaddr, vport, raddr, rport);
		xmit_nat_reply(ip_of(&p), l4_of(&p), proto == IPPROTO_TCP, vaddr, vport, dx);
		assert_memory_equal(p.buf, ref.buf, sizeof(p.buf));
		assert_valid(&p);
		if (udp_none)
			assert_int_equal(*l4_csum(&p), 0);
		/* what it replaces gives the same bytes */
		xmit_ttl_dec(ip_of(&old));
		xmit_nat_rewrite(ip_of(&old), l4_of(&old), false, vaddr, vport);
		assert_memory_equal(old.buf, ref.buf, sizeof(old.buf));
	}
}

static void test_udp_no_csum_stays_zero(void **state)
{
	static struct pkt p;

	(void)state;
	rng_state = 2;
	for (unsigned i = 0; i < 2000; i++) {
		build(&p, IPPROTO_UDP, true, 1400);
		assert_int_equal(*l4_csum(&p), 0);
		check_rewrite(&p, i & 1, rnd_addr(), rnd_port());
		assert_int_equal(*l4_csum(&p), 0);
		assert_int_equal(rte_ipv4_cksum(ip_of(&p)), 0);
	}
}

/*
 * The port that makes the rewritten packet's computed L4 checksum 0:
 * rte_ipv4_udptcp_cksum() then returns 0xffff for UDP (RFC 768) and 0 for
 * TCP. The port is one 16-bit word of the sum, so its 65536 values reach
 * every sum: one pass always finds it (short packets keep the pass cheap).
 */
static uint16_t port_giving_zero(const struct pkt *p, bool dst, uint32_t addr)
{
	static struct pkt t;
	uint16_t want = p->proto == IPPROTO_UDP ? 0xffff : 0;

	memcpy(&t, p, sizeof(t));
	*(xmit_u32 *)((uint8_t *)ip_of(&t) + (dst ? 16 : 12)) = addr;
	for (uint32_t port = 0; port <= 0xffff; port++) {
		*(xmit_u16 *)(l4_of(&t) + (dst ? 2 : 0)) = (uint16_t)port;
		*l4_csum(&t) = 0;
		if (rte_ipv4_udptcp_cksum(ip_of(&t), l4_of(&t)) == want)
			return (uint16_t)port;
	}
	fail_msg("no port gives a zero checksum");
	return 0;
}

/*
 * A computed checksum of 0: UDP must send it as 0xffff (0 would mean "no
 * checksum"), TCP as 0. Then rewrite back from there: for UDP the field is
 * 0xffff, whose complement 0 is the edge of the incremental update, and the
 * round trip must restore the original packet exactly.
 */
static void computed_zero(uint8_t proto, uint64_t seed)
{
	static struct pkt p, orig;

	rng_state = seed;
	for (unsigned i = 0; i < 40; i++) {
		bool dst = i & 1;
		build(&p, proto, false, 64);
		memcpy(&orig, &p, sizeof(orig));
		uint32_t addr = rnd_addr();
		check_rewrite(&p, dst, addr, port_giving_zero(&p, dst, addr));
		assert_int_equal(*l4_csum(&p), proto == IPPROTO_UDP ? 0xffff : 0);
		uint32_t oaddr;
		uint16_t oport;
		memcpy(&oaddr, (uint8_t *)ip_of(&orig) + (dst ? 16 : 12), 4);
		memcpy(&oport, l4_of(&orig) + (dst ? 2 : 0), 2);
		check_rewrite(&p, dst, oaddr, oport);
		assert_memory_equal(p.buf, orig.buf, sizeof(p.buf));
	}
}

static void test_udp_computed_zero_is_ffff(void **state)
{
	(void)state;
	computed_zero(IPPROTO_UDP, 3);
}

static void test_tcp_computed_zero_stays_zero(void **state)
{
	(void)state;
	computed_zero(IPPROTO_TCP, 4);
}

/* Decrementing the TTL keeps the header checksum exact, for every TTL. */
static void test_ttl_dec(void **state)
{
	static struct pkt p, ref;

	(void)state;
	rng_state = 5;
	for (unsigned i = 0; i < 2000; i++) {
		build(&p, (i & 1) ? IPPROTO_TCP : IPPROTO_UDP, false, 200);
		for (unsigned ttl = 1; ttl <= 255; ttl++) {
			struct rte_ipv4_hdr *ip = ip_of(&p);
			ip->time_to_live = (uint8_t)ttl;
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			memcpy(&ref, &p, sizeof(ref));
			ip_of(&ref)->time_to_live = (uint8_t)(ttl - 1);
			ip_of(&ref)->hdr_checksum = 0;
			ip_of(&ref)->hdr_checksum = rte_ipv4_cksum(ip_of(&ref));

			xmit_ttl_dec(ip);
			assert_int_equal(ip->time_to_live, ttl - 1);
			assert_int_equal(rte_ipv4_cksum(ip), 0);
			assert_memory_equal(p.buf, ref.buf, sizeof(p.buf)); /* nothing else moved */
		}
	}
}

/* xmit_ip_csum20 is rte_ipv4_cksum for a 20-byte header, whatever it holds. */
static void test_ip_csum20(void **state)
{
	uint8_t b[24];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 1); /* unaligned */

	(void)state;
	rng_state = 6;
	for (unsigned i = 0; i < RANDOM_CASES; i++) {
		for (size_t k = 0; k < sizeof(b); k++)
			b[k] = (uint8_t)rnd();
		ip->version_ihl = 0x45;
		switch (i % 4) {
		case 0: /* as when building a header: checksum field zero */
			ip->hdr_checksum = 0;
			assert_int_equal(xmit_ip_csum20(ip), rte_ipv4_cksum(ip));
			/* stored, the header verifies with both */
			ip->hdr_checksum = xmit_ip_csum20(ip);
			assert_int_equal(rte_ipv4_cksum(ip), 0);
			assert_int_equal(xmit_ip_csum20(ip), 0);
			break;
		case 1: /* mostly all-ones words: carries out of every fold */
			memset(b, 0xff, sizeof(b));
			ip->version_ihl = 0x45;
			((uint8_t *)ip)[1 + rnd_below(19)] = (uint8_t)rnd(); /* not version_ihl */
			/* fall through */
		default: /* any checksum field: the sum covers it as is */
			assert_int_equal(xmit_ip_csum20(ip), rte_ipv4_cksum(ip));
			break;
		}
	}
	/* a header summing to exactly 0xffff before the complement */
	memset(b, 0, sizeof(b));
	ip->version_ihl = 0x45;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, 20);
	assert_int_equal(xmit_ip_csum20(ip), rte_ipv4_cksum(ip));
	assert_int_equal(xmit_ip_csum20(ip), 0);
}

/*
 * xmit_tun() on an mbuf made by hand (no EAL: prepend and trim only move
 * offsets): the outer header field by field against the inner one, its
 * checksum, the inner packet untouched, padding trimmed, and the refusals.
 */
static void test_tun(void **state)
{
	(void)state;
	static uint8_t mem[RTE_PKTMBUF_HEADROOM + BUF];
	struct rte_mbuf m;
	struct pkt p;

	unsigned lean = 0;
	for (unsigned i = 0; i < RANDOM_CASES / 10; i++) {
		build(&p, rnd_below(2) ? IPPROTO_TCP : IPPROTO_UDP, false, 200);
		struct rte_ipv4_hdr *ip = ip_of(&p);
		ip->fragment_offset = (uint16_t)rnd(); /* DF, MF and offset at random */
		if (i % 8 == 0) {
			ip->type_of_service = 0xff;
			ip->packet_id = 0xffff;
			ip->time_to_live = 0xff;
		}
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		size_t inner = rte_be_to_cpu_16(ip->total_length);
		size_t pad = rnd_below(4) ? 0 : rnd_below(40); /* Ethernet padding */
		memset(&m, 0, sizeof(m));
		memset(mem, 0x5a, sizeof(mem));
		m.buf_addr = mem;
		m.buf_len = sizeof(mem);
		m.data_off = RTE_PKTMBUF_HEADROOM;
		m.nb_segs = 1;
		m.data_len = (uint16_t)(14 + inner + pad);
		m.pkt_len = m.data_len;
		memcpy(mem + RTE_PKTMBUF_HEADROOM + 14, ip, inner); /* behind Ethernet */
		uint32_t src = (uint32_t)rnd(), dst = (uint32_t)rnd();
		if (i % 8 == 0) /* the largest sums: every field all ones */
			src = dst = 0xffffffff;

		/* The lean path's copy, one segment: the same frame, from the same d. */
		static uint8_t mem1[RTE_PKTMBUF_HEADROOM + BUF];
		struct rte_mbuf m1 = m;
		memcpy(mem1, mem, sizeof(mem1));
		m1.buf_addr = mem1;

		/* Too big for the path: refused before anything is touched. */
		assert_int_equal(xmit_tun(&m, src, dst, (uint16_t)(inner + 19)), XMIT_TUN_TOO_BIG);
		assert_int_equal(m.data_off, RTE_PKTMBUF_HEADROOM);
		assert_int_equal(xmit_tun(&m, src, dst, (uint16_t)(inner + 20)), XMIT_TUN_OK);

		/* Its precondition: no IP options (fast_key() lets no other by). */
		if (ip->version_ihl == 0x45) {
			uint8_t *d1 = xmit_tun_encap1(&m1, rte_pktmbuf_mtod(&m1, uint8_t *),
						      (uint16_t)inner,
						      (uint64_t)src | (uint64_t)dst << 32,
						      xmit_tun_sum(src, dst));
			assert_ptr_equal(d1, rte_pktmbuf_mtod(&m1, uint8_t *));
			assert_int_equal(m1.data_off, m.data_off);
			assert_int_equal(m1.data_len, m.data_len);
			assert_int_equal(m1.pkt_len, m.pkt_len);
			assert_memory_equal(mem1, mem, sizeof(mem1));
			lean++;
		}

		assert_int_equal(m.pkt_len, 14 + 20 + inner);
		assert_int_equal(m.data_len, m.pkt_len);
		const uint8_t *d = rte_pktmbuf_mtod(&m, const uint8_t *);
		assert_int_equal(d[12], 0x08);
		assert_int_equal(d[13], 0x00);
		const struct rte_ipv4_hdr *o = (const struct rte_ipv4_hdr *)(d + 14);
		assert_int_equal(o->version_ihl, 0x45);
		assert_int_equal(o->type_of_service, ip->type_of_service);
		assert_int_equal(rte_be_to_cpu_16(o->total_length), inner + 20);
		assert_int_equal(o->packet_id, ip->packet_id);
		assert_int_equal(o->fragment_offset,
				 ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
		assert_int_equal(o->time_to_live, ip->time_to_live);
		assert_int_equal(o->next_proto_id, IPPROTO_IPIP);
		assert_memory_equal(&o->src_addr, &src, 4);
		assert_memory_equal(&o->dst_addr, &dst, 4);
		assert_int_equal(rte_ipv4_cksum(o), 0);
		assert_memory_equal(d + 34, ip, inner);
	}

	assert_true(lean > RANDOM_CASES / 40); /* both kinds of inner header drawn */

	/* No headroom left for the outer header. */
	build(&p, IPPROTO_UDP, false, 20);
	memset(&m, 0, sizeof(m));
	m.buf_addr = mem;
	m.buf_len = sizeof(mem);
	m.data_off = 10;
	m.nb_segs = 1;
	m.data_len = (uint16_t)(14 + rte_be_to_cpu_16(ip_of(&p)->total_length));
	m.pkt_len = m.data_len;
	memcpy(mem + 10 + 14, ip_of(&p), m.data_len - 14u);
	assert_int_equal(xmit_tun(&m, 1, 2, 1500), XMIT_TUN_NO_ROOM);

	/* The lean path's refusals leave the mbuf as it was: no headroom, and
	 * a second segment (pkt_len beyond data_len). */
	uint16_t inner = rte_be_to_cpu_16(ip_of(&p)->total_length);
	struct rte_mbuf before = m;
	uint8_t *d = rte_pktmbuf_mtod(&m, uint8_t *);
	assert_null(xmit_tun_encap1(&m, d, inner, 1, 2));
	assert_memory_equal(&m, &before, sizeof(m));
	m.data_off = RTE_PKTMBUF_HEADROOM;
	m.pkt_len = m.data_len + 1u;
	m.nb_segs = 2;
	before = m;
	assert_null(xmit_tun_encap1(&m, rte_pktmbuf_mtod(&m, uint8_t *), inner, 1, 2));
	assert_memory_equal(&m, &before, sizeof(m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_random),
		cmocka_unit_test(test_nat_reply_random),
		cmocka_unit_test(test_udp_no_csum_stays_zero),
		cmocka_unit_test(test_udp_computed_zero_is_ffff),
		cmocka_unit_test(test_tcp_computed_zero_stays_zero),
		cmocka_unit_test(test_ttl_dec),
		cmocka_unit_test(test_ip_csum20),
		cmocka_unit_test(test_tun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
