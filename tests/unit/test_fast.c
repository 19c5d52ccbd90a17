/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fast: fast_parse() and fast_reply() (dataplane/fast.h) against
 * pkt_classify() (pkt.h). fast_reply may answer only PKT_SLOW or
 * PKT_NAT_REPLY, never for a frame fast_parse takes, and when it says
 * PKT_NAT_REPLY pkt_classify must too, with the same key, hash, L4 offset
 * and TCP flags; it must take every valid reply from a NAT real server.
 * fast_parse may answer only PKT_SLOW ("ask pkt_classify") or PKT_VIP_FLOW,
 * and when it says PKT_VIP_FLOW, pkt_classify must too, with the same key,
 * hash, service, L4 offset and TCP flags: the worker trusts whichever
 * answered. It must take every valid TCP/UDP packet to an owned service. An
 * accepted frame is also checked against plain RFC rules written out here (an
 * oracle), so a check dropped from both classifiers still shows.
 *
 * Frames: valid ones, one per kind of anomaly, every truncation and seeded
 * random mutations, under the RX IP checksum flags. Each frame ends its own
 * heap block, so a read past it is an overflow under valgrind or ASan. The
 * mbufs are zeroed structs (no EAL); the snapshot is snap_build()'s from a
 * config written here. rs.c (rte_malloc) is not linked: rs_slots is ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dataplane/fast.h"
#include "dataplane/pkt.h"
#include "dataplane/rs.h"
#include "snap_test_util.h"

struct rs_slot *rs_slots; /* rs.c's, which is not linked */
static struct rs_slot slots[8];

#define ETH RTE_ETHER_HDR_LEN
#define FMAX 1514
#define MUTATIONS 200000

static const char CONFIG[] =
	"ports = ( { name = \"lan0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; } );\n"
	"vrrp_instances = ( { name = \"VI_1\"; interface = \"lan0\"; virtual_router_id = 7;\n"
	"  use_vmac = true; virtual_ipaddress = ( \"10.0.0.100\", \"10.0.0.102\" ); } );\n"
	"virtual_servers = (\n"
	"  { address = \"10.0.0.100\"; port = 80; protocol = \"TCP\"; lb_kind = \"NAT\";\n"
	"    real_servers = ( { address = \"10.0.0.11\"; } ); },\n"
	"  { address = \"10.0.0.100\"; port = 53; protocol = \"UDP\"; lb_kind = \"NAT\";\n"
	"    real_servers = ( { address = \"10.0.0.12\"; } ); },\n"
	/* a service whose VIP we do not hold (VRRP backup): never fast */
	"  { address = \"10.0.0.101\"; port = 80; protocol = \"TCP\"; lb_kind = \"DR\";\n"
	"    real_servers = ( { address = \"10.0.0.13\"; } ); }\n"
	");\n";

static struct vipd_conf *conf;
static struct snap *sn;
static struct port_info port;
static uint64_t port_mac;
static struct fast_cache wfc; /* one cache across all frames, as a worker's */
static uint32_t VIP, VIP_UNOWNED, VIP_NOSVC, CLIENT, RS_TCP, RS_UDP;
static unsigned n_frames, n_fast, n_classify_only, n_bad, n_reply, n_reply_classify_only;

static uint32_t a4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static bool owned(uint32_t addr, void *arg)
{
	return (void)arg, addr != VIP_UNOWNED;
}

static struct snap *build_snap(uint32_t version)
{
	/* handle (slot index, generation 0), weight 1, no thresholds, up */
	static const struct snap_rs rs[3] = { { 0, 1, 0, 0, 1 }, { 1, 1, 0, 0, 1 },
					      { 2, 1, 0, 0, 1 } };
	static const struct snap_rs *lists[3] = { &rs[0], &rs[1], &rs[2] };
	static const uint16_t nrs[3] = { 1, 1, 1 };
	struct snap *s = test_snap(conf, lists, nrs, version, owned);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	VIP = a4("10.0.0.100"), VIP_UNOWNED = a4("10.0.0.101"), VIP_NOSVC = a4("10.0.0.102");
	CLIENT = a4("192.0.2.7"), RS_TCP = a4("10.0.0.11"), RS_UDP = a4("10.0.0.12");
	if (test_conf_from_text(CONFIG, &conf) != 0)
		return -1;
	rs_slots = slots;
	sn = build_snap(1);
	port = (struct port_info){ .mac = { { 0x02, 0, 0, 0, 0, 0x02 } }, .addr = a4("10.0.0.2") };
	port_mac = fast_mac64(&port.mac);
	fast_cache_sync(&wfc, sn);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	print_message("fast: %u frames, %u fast, %u only pkt_classify's VIP_FLOW; "
		      "%u fast replies, %u only pkt_classify's NAT_REPLY\n", n_frames, n_fast,
		      n_classify_only, n_reply, n_reply_classify_only);
	snap_free(sn);
	conf_free(conf);
	return 0;
}

/* splitmix64, fixed seeds */
static uint64_t rng = 1;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct fr { uint8_t b[FMAX + 64]; uint16_t len; }; /* room to lengthen it */

#define ip_of(f) ((struct rte_ipv4_hdr *)((f)->b + ETH))
#define l4_of(f) ((f)->b + ETH + ((f)->b[ETH] & 0xf) * 4)

/* The IP header checksum again, after a tweak (if the IHL makes sense). */
static void fix(struct fr *f)
{
	struct rte_ipv4_hdr *ip = ip_of(f);
	if ((ip->version_ihl & 0xf) >= 5)
		ip->hdr_checksum = 0, ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* A valid frame from CLIENT to daddr:dport (TCP: a SYN), with payload bytes. */
static void build(struct fr *f, uint8_t proto, uint32_t daddr, uint16_t dport, uint16_t payload)
{
	uint16_t l4h = proto == IPPROTO_TCP ? 20 : 8, tot = (uint16_t)(20 + l4h + payload);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_ipv4_hdr *ip = ip_of(f);

	memset(f, 0, sizeof(*f));
	eth->dst_addr = port.mac;
	eth->src_addr = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, 0x99 } };
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = htons(tot),
				     .packet_id = (uint16_t)rnd(), .time_to_live = 64,
				     .next_proto_id = proto, .src_addr = CLIENT,
				     .dst_addr = daddr };
	uint8_t *l4 = l4_of(f);
	for (unsigned i = 0; i < payload; i++)
		l4[l4h + i] = (uint8_t)rnd();
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
	uh->src_port = htons((uint16_t)(1024 + rnd() % 60000));
	uh->dst_port = htons(dport);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		th->sent_seq = (uint32_t)rnd(), th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_SYN_FLAG;
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	} else if (proto == IPPROTO_UDP) {
		uh->dgram_len = htons((uint16_t)(8 + payload));
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	}
	f->len = (uint16_t)(ETH + tot);
	fix(f);
}

/* A valid reply of a NAT real server (TCP: 10.0.0.11:80, UDP: 10.0.0.12:53) to CLIENT. */
static void build_reply(struct fr *f, uint8_t proto, uint16_t payload)
{
	build(f, proto, CLIENT, (uint16_t)(1024 + rnd() % 60000), payload);
	struct rte_ipv4_hdr *ip = ip_of(f);
	uint8_t *l4 = l4_of(f);
	ip->src_addr = proto == IPPROTO_TCP ? RS_TCP : RS_UDP;
	l4[0] = 0, l4[1] = proto == IPPROTO_TCP ? 80 : 53;
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		th->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
		th->cksum = 0, th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uh->dgram_cksum = 0, uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	}
	fix(f);
}

static void dump(const char *what, const char *name, const uint8_t *b, uint16_t len, uint64_t ol)
{
	fprintf(stderr, "DISAGREE: %s: frame %s, len %u, ol_flags %#llx:\n", what, name, len,
		(unsigned long long)ol);
	for (unsigned i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", b[i], i % 32 == 31 || i + 1 == len ? "\n" : "");
}

static bool same_info(const struct pkt_info *a, const struct pkt_info *b)
{
	return memcmp(&a->key, &b->key, sizeof(a->key)) == 0 && a->hash == b->hash &&
	       a->svc == b->svc && a->l4_off == b->l4_off && a->tcp_flags == b->tcp_flags;
}

/* What a reply's pkt_info holds (no service: pkt_classify() sets none). */
static bool same_reply_info(const struct pkt_info *a, const struct pkt_info *b)
{
	return memcmp(&a->key, &b->key, sizeof(a->key)) == 0 && a->hash == b->hash &&
	       a->l4_off == b->l4_off && a->tcp_flags == b->tcp_flags;
}

/*
 * Plain RFC checks of a frame a fast classifier took, independent of both
 * classifiers; reply: fast_reply's (from a NAT real server, the reply key).
 */
static const char *oracle_as(const uint8_t *d, uint16_t len, uint64_t ol,
			     const struct pkt_info *pi, bool reply)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + ETH);
	const uint8_t *l4 = d + ETH + 20;
	uint64_t ck = ol & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint16_t tot = ntohs(ip->total_length), l4len = (uint16_t)(tot - 20);
	uint16_t sport, dport;

	if (len < ETH + 20 + 8 || memcmp(d, &port.mac, 6) || d[12] != 8 || d[13] != 0 ||
	    ip->version_ihl != 0x45)
		return "L2/IP header";
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_ipv4_cksum(ip) != 0)
		return "IP checksum";
	if (tot > len - ETH || (ntohs(ip->fragment_offset) & 0x3fff) || ip->time_to_live < 2)
		return "IP length, fragment or TTL";
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	if (ip->next_proto_id == IPPROTO_TCP) {
		if (l4len < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4 > l4len ||
		    pi->tcp_flags != l4[13])
			return "TCP header";
	} else if (ip->next_proto_id == IPPROTO_UDP) {
		uint16_t ul = (uint16_t)(l4[4] << 8 | l4[5]);
		if (tot < 28 || ul < 8 || ul > l4len || pi->tcp_flags != 0)
			return "UDP header";
	} else {
		return "protocol";
	}
	if (reply) {
		const struct snap_vip *vip = snap_vip_find(sn, ip->dst_addr);
		if ((vip && vip->owned) || ip->dst_addr == port.addr ||
		    !snap_natrs_has(sn, ip->src_addr, sport, ip->next_proto_id))
			return "not a NAT real server's reply";
	} else {
		const struct snap_svc *v =
			snap_svc_find(sn, ip->dst_addr, dport, ip->next_proto_id);
		if (v == NULL || !v->owned || pi->svc != v)
			return "service";
	}
	const struct sess_key *k = &pi->key;
	if (k->saddr != ip->src_addr || k->daddr != ip->dst_addr || k->sport != sport ||
	    k->dport != dport || k->proto != ip->next_proto_id ||
	    k->kflags != (reply ? SESS_KEY_REPLY : 0) || k->pad || pi->hash != sess_hash(k) ||
	    pi->l4_off != ETH + 20)
		return "key, hash or offset";
	return NULL;
}

static const char *oracle(const uint8_t *d, uint16_t len, uint64_t ol, const struct pkt_info *pi)
{
	return oracle_as(d, len, ol, pi, false);
}

/*
 * One frame, at the end of its own heap block, through fast_parse (with the
 * worker's long-lived cache and with a fresh one) and pkt_classify. Returns
 * the fast verdict; a disagreement is printed with the frame and counted.
 */
static uint8_t check_at(const uint8_t *frame, uint16_t len, uint64_t ol, const char *name)
{
	uint8_t *buf = malloc(RTE_PKTMBUF_HEADROOM + (size_t)len);
	struct rte_mbuf *m = calloc(1, sizeof(*m));
	struct pkt_info a, b, c, r;
	struct fast_cache fresh = { 0 };
	const char *bad = NULL;

	assert_true(buf && m);
	memcpy(buf + RTE_PKTMBUF_HEADROOM, frame, len);
	m->buf_addr = buf;
	m->buf_len = (uint16_t)(RTE_PKTMBUF_HEADROOM + len);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->pkt_len = m->data_len = len;
	m->nb_segs = 1;
	m->ol_flags = ol;
	/* poison: a field one of them leaves unset differs from the other's */
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	memset(&c, 0x3c, sizeof(c));
	memset(&r, 0x77, sizeof(r));
	fast_cache_sync(&fresh, sn);
	uint8_t vf = fast_parse(&wfc, port_mac, m, &a);
	uint8_t vfresh = fast_parse(&fresh, port_mac, m, &c);
	if (memcmp(buf + RTE_PKTMBUF_HEADROOM, frame, len))
		bad = "fast_parse wrote to the frame";
	uint8_t vr = fast_reply(sn, port.addr, port_mac, m, &r);
	if (bad == NULL && memcmp(buf + RTE_PKTMBUF_HEADROOM, frame, len))
		bad = "fast_reply wrote to the frame";
	uint8_t vc = pkt_classify(sn, &port, m, &b); /* may rewrite it (ARP, echo) */

	n_frames++;
	if (bad == NULL && vf != vfresh)
		bad = "cached and fresh fast_parse differ";
	else if (bad == NULL && vf != PKT_SLOW) {
		n_fast++;
		if (vf != PKT_VIP_FLOW)
			bad = "fast_parse verdict neither SLOW nor VIP_FLOW";
		else if (vc != PKT_VIP_FLOW)
			bad = "fast_parse VIP_FLOW, pkt_classify not";
		else if (!same_info(&a, &b) || !same_info(&a, &c))
			bad = "pkt_info fields differ";
		else
			bad = oracle(frame, len, ol, &a);
	} else if (vc == PKT_VIP_FLOW) {
		n_classify_only++;
	}
	if (bad == NULL && vr != PKT_SLOW) {
		n_reply++;
		if (vr != PKT_NAT_REPLY)
			bad = "fast_reply verdict neither SLOW nor NAT_REPLY";
		else if (vf != PKT_SLOW)
			bad = "fast_parse and fast_reply both took it";
		else if (vc != PKT_NAT_REPLY)
			bad = "fast_reply NAT_REPLY, pkt_classify not";
		else if (!same_reply_info(&r, &b))
			bad = "reply pkt_info fields differ";
		else
			bad = oracle_as(frame, len, ol, &r, true);
	} else if (bad == NULL && vc == PKT_NAT_REPLY) {
		n_reply_classify_only++;
	}
	if (bad && n_bad++ < 10) {
		dump(bad, name, frame, len, ol);
		fprintf(stderr, "  fast %u (fresh cache %u), fast_reply %u, pkt_classify %u drop %u\n",
			vf, vfresh, vr, vc, b.drop);
	}
	free(buf);
	free(m);
	return vf != PKT_SLOW ? vf : vr;
}

static const uint64_t CK[4] = { RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
				RTE_MBUF_F_RX_IP_CKSUM_BAD, RTE_MBUF_F_RX_IP_CKSUM_NONE };

/*
 * Under every checksum flag. A valid frame must be taken, even flagged BAD:
 * only GOOD spares the sum, and the sum decides.
 */
static void check_as(struct fr *f, const char *name, bool valid, uint8_t want)
{
	for (int i = 0; i < 4; i++) {
		uint8_t v = check_at(f->b, f->len, CK[i], name);
		if (valid && v != want) {
			n_bad++;
			dump("valid frame not taken by the fast path", name, f->b, f->len, CK[i]);
		}
	}
}

static void check(struct fr *f, const char *name, bool valid)
{
	check_as(f, name, valid, PKT_VIP_FLOW);
}

/* A reply frame: valid ones must be fast_reply's. */
static void check_reply(struct fr *f, const char *name, bool valid)
{
	check_as(f, name, valid, PKT_NAT_REPLY);
}

static void test_valid(void **state)
{
	struct fr f;

	(void)state;
	static const uint16_t sizes[] = { 0, 1, 7, 100, 1400, FMAX - ETH - 40 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		build(&f, IPPROTO_TCP, VIP, 80, sizes[i]);
		check(&f, "tcp", true);
		build(&f, IPPROTO_UDP, VIP, 53, sizes[i]);
		check(&f, "udp", true);
	}
	build(&f, IPPROTO_TCP, VIP, 80, 12);
	l4_of(&f)[12] = 8 << 4; /* 12 bytes of TCP options: data offset == segment */
	l4_of(&f)[13] = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	check(&f, "tcp options", true);
	build(&f, IPPROTO_UDP, VIP, 53, 10), ip_of(&f)->time_to_live = 2, fix(&f);
	check(&f, "ttl 2", true);
	build(&f, IPPROTO_UDP, VIP, 53, 10), ip_of(&f)->time_to_live = 255, fix(&f);
	check(&f, "ttl 255", true);
	build(&f, IPPROTO_TCP, VIP, 80, 0);
	ip_of(&f)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG), fix(&f);
	check(&f, "DF", true);
	build(&f, IPPROTO_UDP, VIP, 53, 0);
	f.len = 60; /* Ethernet padding after a 28-byte IP packet */
	check(&f, "udp padded", true);
	build(&f, IPPROTO_UDP, VIP, 53, 20);
	l4_of(&f)[5] = 8; /* UDP length shorter than the IP payload: still fine */
	check(&f, "udp len < payload", true);
	unsigned replies0 = n_reply;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		build_reply(&f, IPPROTO_TCP, sizes[i]);
		check_reply(&f, "tcp reply", true);
		build_reply(&f, IPPROTO_UDP, sizes[i]);
		check_reply(&f, "udp reply", true);
	}
	build_reply(&f, IPPROTO_UDP, 10), ip_of(&f)->time_to_live = 2, fix(&f);
	check_reply(&f, "reply ttl 2", true);
	assert_int_equal(n_reply - replies0, 4 * (2 * 6 + 1));
	assert_int_equal(n_bad, 0);
}

/*
 * One frame per kind of anomaly, and the boundary values beside it (those
 * must be taken). The rest need only agree: pkt_classify takes some (IP
 * options, broadcast, the VRRP vmac) that fast_parse leaves to it.
 */
static void test_anomalies(void **state)
{
	struct fr f;
	static const uint8_t bad_vhl[] = { 0x40, 0x44, 0x4f, 0x55, 0x65, 0x35, 0x00, 0xff };
	static const uint16_t small_tot[] = { 0, 19, 20, 27, 28, 39 };
	static const uint16_t frags[] = { 0x2000, 0x0001, 0x1fff, 0x2001, 0x6000, 0x8000 };
	static const uint8_t protos[] = { IPPROTO_ICMP, IPPROTO_GRE, 0, 132, IPPROTO_IPIP };

	(void)state;
	for (int p = 0; p < 2; p++) {
		uint8_t proto = p ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t svc = p ? 53 : 80, l4h = p ? 8 : 20;
#define B() build(&f, proto, VIP, svc, 30)
		for (int i = 0; i < 6; i++) /* each byte of the destination MAC */
			B(), f.b[i] ^= 0x10, check(&f, "wrong dst MAC", false);
		B(), memset(f.b, 0xff, 6), check(&f, "broadcast", false);
		B(), f.b[0] = 0x01, check(&f, "multicast", false);
		B(), memcpy(f.b, "\x00\x00\x5e\x00\x01\x07", 6), check(&f, "held VRRP vmac", false);
		B(), f.b[12] = 0x81, f.b[13] = 0x00, check(&f, "VLAN ethertype", false);
		B(), f.b[12] = 0x86, f.b[13] = 0xdd, check(&f, "IPv6 ethertype", false);
		B(), f.b[12] = 0x08, f.b[13] = 0x06, check(&f, "ARP ethertype", false);
		/* IHL 6: four NOP options; the rest moves up 4 bytes */
		B(), memmove(f.b + ETH + 24, f.b + ETH + 20, f.len - ETH - 20u);
		memset(f.b + ETH + 20, 1, 4), f.len += 4, f.b[ETH] = 0x46;
		ip_of(&f)->total_length = htons((uint16_t)(f.len - ETH)), fix(&f);
		check(&f, "IP options (IHL 6)", false);
		for (unsigned i = 0; i < sizeof(bad_vhl); i++)
			B(), f.b[ETH] = bad_vhl[i], fix(&f), check(&f, "bad version/IHL", false);
		B(), ip_of(&f)->hdr_checksum ^= 0x0100, check(&f, "bad IP checksum", false);
		B(), ip_of(&f)->total_length = htons((uint16_t)(f.len - ETH + 1)), fix(&f);
		check(&f, "total length > frame", false);
		B(), ip_of(&f)->total_length = 0xffff, fix(&f), check(&f, "tot max", false);
		for (unsigned i = 0; i < sizeof(small_tot) / 2; i++) {
			B(), ip_of(&f)->total_length = htons(small_tot[i]), fix(&f);
			check(&f, "total length small", false);
		}
		for (unsigned i = 0; i < sizeof(frags) / 2; i++) {
			B(), ip_of(&f)->fragment_offset = htons(frags[i]), fix(&f);
			check(&f, "fragment / flags", false);
		}
		for (uint8_t ttl = 0; ttl < 2; ttl++)
			B(), ip_of(&f)->time_to_live = ttl, fix(&f), check(&f, "TTL 0/1", false);
		for (unsigned i = 0; i < sizeof(protos); i++) {
			B(), ip_of(&f)->next_proto_id = protos[i], fix(&f);
			check(&f, "other protocol", false);
		}
		B(), ip_of(&f)->next_proto_id = p ? IPPROTO_TCP : IPPROTO_UDP, fix(&f);
		check(&f, "other L4 protocol on the port", false);
		build(&f, proto, VIP, 81, 30), check(&f, "VIP port without service", false);
		build(&f, proto, VIP_NOSVC, svc, 30), check(&f, "VIP without services", false);
		build(&f, proto, VIP_UNOWNED, svc, 30), check(&f, "VIP not held", false);
		build(&f, proto, a4("10.0.0.50"), svc, 30), check(&f, "not a VIP", false);
		build(&f, proto, port.addr, svc, 30), check(&f, "director's address", false);
		build(&f, proto, CLIENT, 40000, 30);
		ip_of(&f)->src_addr = RS_TCP, l4_of(&f)[0] = 0, l4_of(&f)[1] = 80, fix(&f);
		check(&f, "reply from a NAT real server", false);
		/* replies fast_reply must leave to pkt_classify */
#define R() build_reply(&f, proto, 30)
		R(), f.b[0] ^= 0x10, check_reply(&f, "reply: wrong dst MAC", false);
		R(), f.b[ETH] = 0x46, fix(&f), check_reply(&f, "reply: IHL 6", false);
		R(), ip_of(&f)->hdr_checksum ^= 0x0100, check_reply(&f, "reply: bad IP sum", false);
		R(), ip_of(&f)->time_to_live = 1, fix(&f), check_reply(&f, "reply: TTL 1", false);
		R(), ip_of(&f)->fragment_offset = htons(0x2000), fix(&f);
		check_reply(&f, "reply: fragment", false);
		R(), l4_of(&f)[1] ^= 1, check_reply(&f, "reply: not the server's port", false);
		R(), ip_of(&f)->src_addr = a4("10.0.0.13"), fix(&f);
		check_reply(&f, "reply: a DR server", false);
		R(), ip_of(&f)->dst_addr = port.addr, fix(&f);
		check_reply(&f, "reply: to the director", false);
		R(), ip_of(&f)->dst_addr = VIP, fix(&f), check_reply(&f, "reply: to a VIP", false);
		R(), ip_of(&f)->dst_addr = VIP_UNOWNED, fix(&f);
		check_reply(&f, "reply: to a VIP not held", false);
		R(), ip_of(&f)->next_proto_id = p ? IPPROTO_TCP : IPPROTO_UDP, fix(&f);
		check_reply(&f, "reply: other L4 protocol", false);
#undef R
		/* every truncation of a valid frame, IP header length unchanged */
		B();
		for (uint16_t n = 0, full = f.len; n <= full; n++) {
			f.len = n;
			check(&f, "truncated", n == full);
		}
		/* TCP data offsets 0..15 (the segment is 50 bytes), UDP lengths 0..15 */
		for (uint8_t x = 0; x < 16; x++) {
			B(), p ? (l4_of(&f)[5] = x) : (l4_of(&f)[12] = (uint8_t)(x << 4));
			check(&f, "TCP doff / UDP length", p ? x >= 8 : x >= 5 && x * 4 <= 50);
		}
		B(), l4_of(&f)[4] = 0, l4_of(&f)[5] = (uint8_t)(l4h + 31), check(&f, "L4 len", !p);
		B(), l4_of(&f)[4] = 0xff, l4_of(&f)[5] = 0xff, check(&f, "L4 len 65535", !p);
#undef B
	}
	/* an ICMP error to the VIP quoting a TCP flow, and an echo request */
	build(&f, IPPROTO_ICMP, VIP, 0, 36);
	l4_of(&f)[0] = 3, l4_of(&f)[1] = 3, l4_of(&f)[8] = 0x45, l4_of(&f)[17] = IPPROTO_TCP;
	check(&f, "ICMP error", false);
	build(&f, IPPROTO_ICMP, VIP, 0, 36), l4_of(&f)[0] = 8, check(&f, "ICMP echo", false);
	assert_int_equal(n_bad, 0);
}

/* Random byte changes to valid frames; the IP checksum often made right again. */
static void test_mutations(void **state)
{
	struct fr f;
	unsigned fast0 = n_fast, frames0 = n_frames, replies0 = n_reply;

	(void)state;
	rng = 42;
	for (unsigned i = 0; i < MUTATIONS; i++) {
		bool tcp = rnd() & 1;
		uint16_t payload = (uint16_t)(rnd() % 4 ? rnd() % 40 : rnd() % 1400);
		if (i & 1)
			build_reply(&f, tcp ? IPPROTO_TCP : IPPROTO_UDP, payload);
		else
			build(&f, tcp ? IPPROTO_TCP : IPPROTO_UDP, VIP, tcp ? 80 : 53, payload);
		unsigned n = 1 + (unsigned)(rnd() % 3);
		for (unsigned k = 0; k < n; k++) {
			uint64_t r = rnd();
			/* mostly the headers, where the checks are */
			unsigned at = (unsigned)(r % 8 ? (r >> 8) % 58 : (r >> 8) % f.len);
			switch ((r >> 40) % 4) {
			case 0: f.b[at] = (uint8_t)(r >> 48); break;
			case 1: f.b[at] ^= (uint8_t)(1u << ((r >> 48) % 8)); break;
			case 2: f.b[at] = (uint8_t)((r >> 48) % 2 ? 0xff : 0); break;
			default: f.b[at]++; break;
			}
		}
		uint64_t r = rnd(); /* length: mostly as built, else shorter or longer */
		if (r % 8 < 2)
			f.len = (uint16_t)(r % 8 ? f.len + r / 8 % 64 : r / 8 % (f.len + 1u));
		if (rnd() % 4 != 0)
			fix(&f); /* else most would only test the checksum */
		check_at(f.b, f.len, CK[rnd() % 4], "mutated");
	}
	print_message("mutations: %u of %u frames fast, %u fast replies\n", n_fast - fast0,
		      n_frames - frames0, n_reply - replies0);
	/* Both kinds survive some mutations (a changed payload, a checksum
	 * made right): the checks above ran on accepted frames. */
	assert_true(n_fast - fast0 > MUTATIONS / 20);
	assert_true(n_reply - replies0 > MUTATIONS / 20);
	assert_int_equal(n_bad, 0);
}

/* The one-entry cache is forgotten when the snapshot changes. */
static void test_cache(void **state)
{
	struct fr f;
	struct pkt_info pi;
	struct fast_cache fc = { 0 };
	struct rte_mbuf m;

	(void)state;
	build(&f, IPPROTO_TCP, VIP, 80, 0);
	memset(&m, 0, sizeof(m));
	m.buf_addr = f.b, m.data_len = m.pkt_len = f.len;
	fast_cache_sync(&fc, sn);
	assert_int_equal(fast_parse(&fc, port_mac, &m, &pi), PKT_VIP_FLOW);
	const struct snap_svc *v = pi.svc;
	assert_ptr_equal(fc.svc, v);

	/*
	 * The VIP goes to the peer (VRRP backup): a new snapshot, here at the
	 * same address. Changing it in place without a new version shows the
	 * cache answers from what it holds: the version is what tells.
	 */
	struct snap_vip *sv = (struct snap_vip *)snap_vip_find(sn, VIP);
	sv->owned = 0;
	for (uint32_t i = 0; i < sn->n_svc; i++)
		sn->svc[i].owned = false; /* 10.0.0.100's, and 10.0.0.101's is not ours */
	fast_cache_sync(&fc, sn);
	assert_int_equal(fast_parse(&fc, port_mac, &m, &pi), PKT_VIP_FLOW); /* stale */
	sn->version++;
	fast_cache_sync(&fc, sn);
	assert_true(fc.svc == NULL && fc.key == UINT64_MAX);
	assert_int_equal(fast_parse(&fc, port_mac, &m, &pi), PKT_SLOW);
	assert_int_not_equal(pkt_classify(sn, &port, &m, &pi), PKT_VIP_FLOW);

	/* back to master: taken again, from the service of this snapshot */
	sv->owned = 1;
	for (uint32_t i = 0; i < sn->n_svc; i++)
		sn->svc[i].owned = sn->svc[i].vip == VIP;
	sn->version++;
	fast_cache_sync(&fc, sn);
	assert_int_equal(fast_parse(&fc, port_mac, &m, &pi), PKT_VIP_FLOW);
	assert_ptr_equal(pi.svc, v);

	/* another snapshot with the same version: forgotten too (its address) */
	struct snap *s2 = build_snap(sn->version);
	fast_cache_sync(&fc, s2);
	assert_null(fc.svc);
	assert_int_equal(fast_parse(&fc, port_mac, &m, &pi), PKT_VIP_FLOW);
	assert_true(pi.svc >= s2->svc && pi.svc < s2->svc + s2->n_svc);
	snap_free(s2);
	fast_cache_sync(&wfc, sn); /* the other tests' cache: sn's new version */
}

/*
 * pkt_ip_csum_ok() on 20-byte headers against DPDK's rte_ipv4_cksum(): it
 * sums them as wide words with end-around carries, so headers of all-ones
 * bytes (every add carries) and near-valid ones (one bit off) are drawn as
 * well as random and valid ones.
 */
static void test_ip_csum(void **state)
{
	(void)state;
	unsigned valid = 0;
	for (unsigned i = 0; i < 400000; i++) {
		uint8_t h[20];
		for (unsigned k = 0; k < 20; k += 8) {
			uint64_t r = rnd();
			memcpy(h + k, &r, k + 8 <= 20 ? 8 : 20 - k);
		}
		if (i % 4 == 1) /* mostly ones: the carries */
			for (unsigned k = 0; k < 20; k++)
				h[k] |= (uint8_t)(rnd() & 0xff) | 0xf7;
		h[0] = 0x45;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)h;
		if (i % 2 == 0) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			if (i % 8 == 4) /* one bit off */
				h[1 + rnd() % 19] ^= (uint8_t)(1u << (rnd() % 8)); /* not the IHL */
		}
		bool want = rte_ipv4_cksum(ip) == 0;
		valid += want;
		if (pkt_ip_csum_ok(ip, 20) != want)
			fail_msg("header %u: pkt_ip_csum_ok %d, rte_ipv4_cksum says %d", i, !want, want);
	}
	assert_true(valid > 100000 && valid < 300000); /* both answers drawn */
}

/*
 * The snapshot's NAT real servers, against the configuration above rather
 * than against snap_natrs_has() itself (which the oracle and pkt_classify()
 * share): exactly each NAT server's address, port and protocol; the DR
 * server, a neighbour port, the other protocol and random endpoints are not.
 */
static void test_natrs(void **state)
{
	(void)state;
	uint16_t p80 = htons(80), p53 = htons(53);
	assert_int_equal(sn->n_natrs, 2);
	assert_true(snap_natrs_has(sn, RS_TCP, p80, IPPROTO_TCP));
	assert_true(snap_natrs_has(sn, RS_UDP, p53, IPPROTO_UDP));
	assert_false(snap_natrs_has(sn, RS_TCP, p80, IPPROTO_UDP));
	assert_false(snap_natrs_has(sn, RS_UDP, p53, IPPROTO_TCP));
	assert_false(snap_natrs_has(sn, RS_TCP, htons(81), IPPROTO_TCP));
	assert_false(snap_natrs_has(sn, RS_TCP, p53, IPPROTO_TCP));
	assert_false(snap_natrs_has(sn, a4("10.0.0.13"), p80, IPPROTO_TCP)); /* DR */
	assert_false(snap_natrs_has(sn, CLIENT, p80, IPPROTO_TCP));
	uint64_t x = 88172645463325252ULL;
	for (unsigned i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t a = (uint32_t)x;
		uint16_t port = (uint16_t)(x >> 32);
		uint8_t proto = x >> 48 & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		bool rs = (a == RS_TCP && port == p80 && proto == IPPROTO_TCP) ||
			  (a == RS_UDP && port == p53 && proto == IPPROTO_UDP);
		assert_true(snap_natrs_has(sn, a, port, proto) == rs);
	}
}

/* snap_build()'s VIP filter holds every VIP and every service's address:
 * fast_key() and fast_reply() skip their lookups on a clear bit. */
static void test_vip_filter_complete(void **state)
{
	(void)state;
	assert_true(sn->n_vip >= 3 && sn->n_svc >= 3);
	for (uint32_t i = 0; i < sn->n_vip; i++)
		assert_true(snap_vip_maybe(sn, sn->vip[i].addr));
	for (uint32_t i = 0; i < sn->n_svc; i++)
		assert_true(snap_vip_maybe(sn, sn->svc[i].vip));
	assert_true(snap_vip_maybe(sn, VIP_NOSVC)); /* VRRP's, no service */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_anomalies),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_ip_csum),
		cmocka_unit_test(test_natrs),
		cmocka_unit_test(test_vip_filter_complete),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
