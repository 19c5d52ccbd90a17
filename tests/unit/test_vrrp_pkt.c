/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_pkt: adverts byte-exact against packets built by an independent
 * implementation (scapy's VRRP / VRRPv3 layers, pseudo-header checksum for
 * v3), and every receive check of RFC 3768 §7.1 / RFC 5798 §7.1 refusing
 * exactly the packet it is about, with its own reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "vrrp/vrrp_pkt.h"

/*
 * scapy: IP(src="10.99.0.2", dst="224.0.0.18", ttl=255, tos=0xc0, id=1)/
 *   VRRP(vrid=51, priority=100, authtype=1, adv=1, addrlist=["10.99.0.100"],
 *        auth1="vipd", auth2="1234")
 */
static const char *const V2_REF =
	"45c0002800010000ff70d02d0a630002e000001221336401010123cf0a6300647669706431323334";
/* scapy: same IP / VRRPv3(vrid=51, priority=100, adv=10, addrlist=["10.99.0.100"]) */
static const char *const V3_REF = "45c0002000010000ff70d0350a630002e000001231336401000a75060a630064";

static uint32_t vips[2];
static uint32_t peers[2];

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct vrrp_pkt_cfg cfg(uint8_t version)
{
	struct vrrp_pkt_cfg c = {
		.version = version,
		.vrid = 51,
		.adver_int_cs = version == 2 ? 100 : 10,
		.auth_pass = version == 2,
		.naddr = 1,
		.addrs = vips,
	};
	inet_pton(AF_INET, "10.99.0.100", &vips[0]);
	inet_pton(AF_INET, "10.99.0.101", &vips[1]);
	inet_pton(AF_INET, "10.99.0.2", &c.saddr);
	if (version == 2)
		memcpy(c.pass, "vipd1234", 8);
	return c;
}

static uint32_t mcast(void)
{
	return htonl(VRRP_MCAST_GROUP);
}

static void test_build_v2_byte_exact(void **st)
{
	(void)st;
	uint8_t ref[128], buf[128];
	size_t n = unhex(V2_REF, ref);
	struct vrrp_pkt_cfg c = cfg(2);
	assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &c, 100, mcast(), 1), n);
	assert_memory_equal(buf, ref, n);
	/* Too small a buffer builds nothing. */
	assert_int_equal(vrrp_pkt_build(buf, n - 1, &c, 100, mcast(), 1), 0);
}

static void test_build_v3_byte_exact(void **st)
{
	(void)st;
	uint8_t ref[128], buf[128];
	size_t n = unhex(V3_REF, ref);
	struct vrrp_pkt_cfg c = cfg(3);
	assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &c, 100, mcast(), 1), n);
	assert_memory_equal(buf, ref, n);
}

static void test_parse_reference_packets(void **st)
{
	(void)st;
	uint8_t b[128];
	struct vrrp_adv a;
	struct vrrp_pkt_cfg c2 = cfg(2), c3 = cfg(3);
	/* The receiver is 10.99.0.3: the sender's address is not its own. */
	inet_pton(AF_INET, "10.99.0.3", &c2.saddr);
	inet_pton(AF_INET, "10.99.0.3", &c3.saddr);

	size_t n = unhex(V2_REF, b);
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_PKT_OK);
	assert_int_equal(a.version, 2);
	assert_int_equal(a.vrid, 51);
	assert_int_equal(a.priority, 100);
	assert_int_equal(a.adver_int_cs, 100);
	assert_int_equal(a.auth_type, VRRP_AUTH_PASS);
	assert_int_equal(a.ttl, 255);
	assert_int_equal(vrrp_pkt_check(&a, &c2), VRRP_PKT_OK);

	n = unhex(V3_REF, b);
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_PKT_OK);
	assert_int_equal(a.version, 3);
	assert_int_equal(a.adver_int_cs, 10);
	assert_int_equal(vrrp_pkt_check(&a, &c3), VRRP_PKT_OK);
	/* v3 learns the interval: another one is fine. */
	c3.adver_int_cs = 100;
	assert_int_equal(vrrp_pkt_check(&a, &c3), VRRP_PKT_OK);
}

/* Build a good advert from 10.99.0.9, mutate byte off to val (fixing the
 * VRRP checksum unless keep_csum), and return what the receiver says. */
static enum vrrp_bad verdict(uint8_t version, int off, int val, bool fix_csum,
			     void (*tweak)(struct vrrp_pkt_cfg *rx))
{
	uint8_t b[256];
	struct vrrp_pkt_cfg tx = cfg(version), rx = cfg(version);
	inet_pton(AF_INET, "10.99.0.9", &tx.saddr);
	size_t n = vrrp_pkt_build(b, sizeof(b), &tx, 100, mcast(), 7);
	if (off >= 0) {
		b[off] = (uint8_t)val;
		if (fix_csum && off >= VRRP_IP_HDR_LEN) {
			uint8_t *v = b + VRRP_IP_HDR_LEN;
			size_t vl = n - VRRP_IP_HDR_LEN;
			v[6] = v[7] = 0;
			uint32_t s = vrrp_sum(v, vl, 0);
			if (version == 3) {
				uint8_t ph[12] = { 0 };
				memcpy(ph, b + 12, 8);
				ph[9] = VRRP_IPPROTO;
				ph[10] = (uint8_t)(vl >> 8);
				ph[11] = (uint8_t)vl;
				s = vrrp_sum(ph, 12, s);
			}
			uint16_t k = vrrp_fold(s);
			v[6] = (uint8_t)(k >> 8);
			v[7] = (uint8_t)k;
		}
	}
	if (tweak)
		tweak(&rx);
	struct vrrp_adv a;
	enum vrrp_bad r = vrrp_pkt_parse(b, n, &a);
	if (r != VRRP_PKT_OK)
		return r;
	return vrrp_pkt_check(&a, &rx);
}

static void rx_two_vips(struct vrrp_pkt_cfg *rx)
{
	rx->naddr = 2;
}

static void rx_other_vip(struct vrrp_pkt_cfg *rx)
{
	rx->addrs = &vips[1];
}

static void rx_other_pass(struct vrrp_pkt_cfg *rx)
{
	memcpy(rx->pass, "vipd1235", 8);
}

static void rx_no_auth(struct vrrp_pkt_cfg *rx)
{
	rx->auth_pass = false;
}

static void rx_interval_2s(struct vrrp_pkt_cfg *rx)
{
	rx->adver_int_cs = 200;
}

static void rx_unicast(struct vrrp_pkt_cfg *rx)
{
	inet_pton(AF_INET, "10.99.0.8", &peers[0]);
	rx->peers = peers;
	rx->n_peers = 1;
}

static void rx_unicast_ok(struct vrrp_pkt_cfg *rx)
{
	inet_pton(AF_INET, "10.99.0.8", &peers[0]);
	inet_pton(AF_INET, "10.99.0.9", &peers[1]);
	rx->peers = peers;
	rx->n_peers = 2;
}

static void rx_is_sender(struct vrrp_pkt_cfg *rx)
{
	inet_pton(AF_INET, "10.99.0.9", &rx->saddr);
}

#define V 20 /* VRRP header offset */

static void test_receive_checks_v2(void **st)
{
	(void)st;
	assert_int_equal(verdict(2, -1, 0, false, NULL), VRRP_PKT_OK);
	assert_int_equal(verdict(2, 8, 254, false, NULL), VRRP_BAD_TTL);
	assert_int_equal(verdict(2, 8, 1, false, NULL), VRRP_BAD_TTL);
	assert_int_equal(verdict(2, V + 0, 0x31, true, NULL), VRRP_BAD_VERSION);
	assert_int_equal(verdict(2, V + 0, 0x22, true, NULL), VRRP_BAD_TYPE);
	assert_int_equal(verdict(2, V + 3, 5, true, NULL), VRRP_BAD_LENGTH);
	assert_int_equal(verdict(2, V + 2, 101, false, NULL), VRRP_BAD_CSUM);
	assert_int_equal(verdict(2, V + 7, 0x00, false, NULL), VRRP_BAD_CSUM);
	assert_int_equal(verdict(2, -1, 0, false, rx_interval_2s), VRRP_BAD_INTERVAL);
	assert_int_equal(verdict(2, V + 5, 0, true, NULL), VRRP_BAD_INTERVAL_ZERO);
	assert_int_equal(verdict(2, V + 4, 0, true, NULL), VRRP_BAD_AUTH_TYPE);
	assert_int_equal(verdict(2, V + 4, 2, true, NULL), VRRP_BAD_AUTH_TYPE); /* AH */
	assert_int_equal(verdict(2, -1, 0, false, rx_no_auth), VRRP_BAD_AUTH_TYPE);
	assert_int_equal(verdict(2, -1, 0, false, rx_other_pass), VRRP_BAD_AUTH);
	assert_int_equal(verdict(2, V + 12, 'x', true, NULL), VRRP_BAD_AUTH);
	assert_int_equal(verdict(2, -1, 0, false, rx_two_vips), VRRP_BAD_ADDR_COUNT);
	assert_int_equal(verdict(2, -1, 0, false, rx_other_vip), VRRP_BAD_ADDR_LIST);
	assert_int_equal(verdict(2, -1, 0, false, rx_unicast), VRRP_BAD_SOURCE);
	assert_int_equal(verdict(2, -1, 0, false, rx_unicast_ok), VRRP_PKT_OK);
	assert_int_equal(verdict(2, -1, 0, false, rx_is_sender), VRRP_BAD_OWN);
	/* The owner (255) may list other addresses (RFC 3768 §7.1). */
	assert_int_equal(verdict(2, V + 2, 255, true, rx_other_vip), VRRP_PKT_OK);
}

static void test_receive_checks_v3(void **st)
{
	(void)st;
	assert_int_equal(verdict(3, -1, 0, false, NULL), VRRP_PKT_OK);
	assert_int_equal(verdict(3, 8, 64, false, NULL), VRRP_BAD_TTL);
	assert_int_equal(verdict(3, V + 0, 0x21, true, NULL), VRRP_BAD_VERSION);
	assert_int_equal(verdict(3, V + 0, 0x32, true, NULL), VRRP_BAD_TYPE);
	assert_int_equal(verdict(3, V + 5, 0, true, NULL), VRRP_BAD_INTERVAL_ZERO);
	assert_int_equal(verdict(3, V + 2, 99, false, NULL), VRRP_BAD_CSUM);
	/* A v2-style checksum (no pseudo-header) is wrong in v3. */
	{
		uint8_t b[64];
		struct vrrp_pkt_cfg tx = cfg(3), rx = cfg(3);
		inet_pton(AF_INET, "10.99.0.9", &tx.saddr);
		size_t n = vrrp_pkt_build(b, sizeof(b), &tx, 100, mcast(), 0);
		uint8_t *v = b + V;
		v[6] = v[7] = 0;
		uint16_t k = vrrp_fold(vrrp_sum(v, n - V, 0));
		v[6] = (uint8_t)(k >> 8);
		v[7] = (uint8_t)k;
		struct vrrp_adv a;
		assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_PKT_OK);
		assert_int_equal(vrrp_pkt_check(&a, &rx), VRRP_BAD_CSUM);
	}
	assert_int_equal(verdict(3, V + 3, 0, true, NULL), VRRP_BAD_ADDR_COUNT);
	assert_int_equal(verdict(3, V + 11, 101, true, NULL), VRRP_BAD_ADDR_LIST);
	/* The reserved nibble is ignored on receipt. */
	assert_int_equal(verdict(3, V + 4, 0xf0, true, NULL), VRRP_PKT_OK);
}

static void test_parse_structure(void **st)
{
	(void)st;
	uint8_t b[128];
	struct vrrp_adv a;
	size_t n = unhex(V3_REF, b);
	assert_int_equal(vrrp_pkt_parse(b, 10, &a), VRRP_BAD_TRUNC);
	assert_int_equal(vrrp_pkt_parse(b, 24, &a), VRRP_BAD_IP_HDR); /* total length 32 > 24 */
	b[0] = 0x65;
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_BAD_IP_HDR);
	b[0] = 0x44;
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_BAD_IP_HDR);
	b[0] = 0x45;
	b[9] = 17;
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_BAD_NOT_VRRP);
	b[9] = VRRP_IPPROTO;
	b[3] = 24; /* 4 bytes of VRRP */
	assert_int_equal(vrrp_pkt_parse(b, n, &a), VRRP_BAD_TRUNC);
	/* IP options are skipped. */
	uint8_t o[128];
	memcpy(o, b, 20);
	o[0] = 0x46;
	o[3] = 36;
	memset(o + 20, 1, 4);
	unhex(V3_REF, b);
	memcpy(o + 24, b + 20, 12);
	assert_int_equal(vrrp_pkt_parse(o, 36, &a), VRRP_PKT_OK);
	assert_int_equal(a.vrid, 51);
	assert_int_equal(a.vrrp_len, 12);
}

static void test_names(void **st)
{
	(void)st;
	for (unsigned i = 0; i < VRRP_BAD_MAX; i++) {
		assert_non_null(vrrp_bad_names[i]);
		/* telemetry keys: [A-Za-z0-9_] */
		for (const char *p = vrrp_bad_names[i]; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
	}
	assert_string_equal(vrrp_bad_names[VRRP_BAD_TTL], "ttl_not_255");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_v2_byte_exact),
		cmocka_unit_test(test_build_v3_byte_exact),
		cmocka_unit_test(test_parse_reference_packets),
		cmocka_unit_test(test_receive_checks_v2),
		cmocka_unit_test(test_receive_checks_v3),
		cmocka_unit_test(test_parse_structure),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
