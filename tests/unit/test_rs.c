/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rs: the real-server slot words a worker's fast path reads in one load.
 *
 * vip_fast() forwards an established flow only when its real server's MAC
 * word has both RS_MAC_VALID (neighbour resolved) and RS_MAC_UP (health)
 * set, so RS_MAC_UP must follow rs_set_avail() through every control-core write:
 * health changes, MAC learning (static or resolved), both orders. Also
 * pkt_set_macs(), which writes a frame's two MACs in two stores: the 12
 * bytes must equal the two addresses and the ethertype behind them must
 * stay. The slots are set up by hand (rs_init() needs EAL's allocator).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/pkt.h"
#include "dataplane/rs.h"
#include "dataplane/stats.h"

/* stats.c is not linked: rs.c only walks these when it allocates. */
struct stats_lcore *stats_lc[VIPD_MAX_WORKERS + 1];
unsigned stats_n_lc;

static uint32_t live_slot(uint32_t idx, uint32_t gen)
{
	struct rs_slot *r = &rs_slots[idx];
	memset(r, 0, sizeof(*r));
	r->gen = gen;
	r->live = 1;
	r->mac = RS_MAC_UP; /* as rs_alloc() leaves it: up, MAC unknown */
	return gen << 16 | idx;
}

static int setup(void **state)
{
	(void)state;
	rs_slots = calloc(RS_MAX, sizeof(*rs_slots));
	return rs_slots ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(rs_slots);
	rs_slots = NULL;
	return 0;
}

/* Whether the fast path may send to h; its two ways of asking must agree. */
static bool go(uint32_t h)
{
	const struct rs_slot *r = rs_get(h);
	if (r == NULL)
		return false;
	bool both = (rs_mac(r) & RS_MAC_GO) == RS_MAC_GO;
	assert_int_equal(rs_mac_go(rs_mac(r)), both);
	assert_int_equal(rs_go(r), both); /* the top byte alone */
	return both;
}

static void test_up_follows_avail(void **state)
{
	(void)state;
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t mac2[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint32_t h = live_slot(7, 3);
	uint8_t got[6];

	assert_false(go(h)); /* up, but no MAC yet */
	rs_set_mac(h, mac, false);
	assert_true(go(h));
	rs_set_avail(h, false);
	assert_false(go(h));
	assert_false(rs_up(&rs_slots[7]));
	/* MAC learned while down: stays down, keeps the MAC. */
	rs_set_mac(h, mac2, false);
	assert_false(go(h));
	assert_true(rs_mac_bytes(&rs_slots[7], got));
	assert_memory_equal(got, mac2, 6);
	rs_set_avail(h, true);
	assert_true(go(h));
	assert_true(rs_mac_bytes(&rs_slots[7], got));
	assert_memory_equal(got, mac2, 6);
	/* A static MAC wins over learning and keeps the up bit too. */
	rs_set_mac(h, mac, true);
	rs_set_mac(h, mac2, false);
	assert_true(go(h));
	assert_true(rs_mac_bytes(&rs_slots[7], got));
	assert_memory_equal(got, mac, 6);
	/* Down again, then up twice: idempotent. */
	rs_set_avail(h, false);
	rs_set_avail(h, false);
	assert_false(go(h));
	rs_set_avail(h, true);
	rs_set_avail(h, true);
	assert_true(go(h));
}

static void test_stale_handle(void **state)
{
	(void)state;
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	uint32_t h = live_slot(9, 5);
	uint32_t stale = 4u << 16 | 9;

	rs_set_mac(h, mac, false);
	/* Writes through an old handle change nothing. */
	rs_set_avail(stale, false);
	assert_true(go(h));
	assert_false(go(stale)); /* and workers never see it as live */
	rs_retire(h);
	assert_false(go(h));
}

static void test_set_macs(void **state)
{
	(void)state;
	uint8_t f[16];
	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(0xa0 + i);
	const uint8_t dst[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t src[6] = { 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa };
	uint64_t d = 0, s = 0;
	memcpy(&d, dst, 6);
	memcpy(&s, src, 6);
	/* What rs_mac() returns carries flags above the 48 bits: ignored. */
	pkt_set_macs((struct rte_ether_hdr *)f, d | RS_MAC_GO, s);
	assert_memory_equal(f, dst, 6);
	assert_memory_equal(f + 6, src, 6);
	assert_int_equal(f[12], 0xac);
	assert_int_equal(f[13], 0xad);
}

/*
 * rs_write_eth(): the frame's MACs from the slot's two precomputed words,
 * which must follow every MAC the control core learns or sets (and only
 * the MAC: health changes leave them), with the port's MAC as the source
 * and the ethertype behind them untouched.
 */
static void test_write_eth(void **state)
{
	(void)state;
	static const uint8_t port[6] = { 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa };
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t mac2[6] = { 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01 };
	uint64_t pm = 0;
	memcpy(&pm, port, 6);
	uint32_t h = live_slot(11, 2);
	rs_eth_src(&rs_slots[11], pm);
	uint8_t f[16];
	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(0xa0 + i);
	static const uint8_t *const seq[] = { mac, mac2, mac2, mac };

	for (unsigned step = 0; step < 4; step++) {
		if (step == 2)
			rs_set_avail(h, false); /* health only: the words stay */
		else
			rs_set_mac(h, seq[step], step == 3);
		rs_write_eth(&rs_slots[11], f);
		assert_memory_equal(f, seq[step], 6);
		assert_memory_equal(f + 6, port, 6);
		assert_int_equal(f[12], 0xac);
		assert_int_equal(f[13], 0xad);
	}
	/* A learned MAC does not replace a static one, in the words either. */
	rs_set_mac(h, mac2, false);
	rs_write_eth(&rs_slots[11], f);
	assert_memory_equal(f, mac, 6);
}

/*
 * A service's traffic is counted per real server only (rs_svc_traffic()):
 * it must include slots retired but not yet reclaimed, keep what reclaimed
 * slots counted (folded into the control core's service counters), never
 * go down on the way, and a freed service slot must not be handed out
 * again before the slots retired with it are reclaimed.
 */
static void test_svc_traffic(void **state)
{
	(void)state;
	static struct stats_ctr tr[SVC_MAX];
	stats_n_lc = 2; /* a worker and the control core */
	for (unsigned l = 0; l < 2; l++)
		stats_lc[l] = calloc(1, sizeof(struct stats_lcore));
	struct stats_lcore *wk = stats_lc[0];
	int sv = svc_slot_alloc();
	assert_true(sv >= 0);
	uint32_t h1 = live_slot(20, 1), h2 = live_slot(21, 1), other = live_slot(22, 1);
	rs_slots[20].svc = rs_slots[21].svc = (uint16_t)sv;
	rs_slots[22].svc = (uint16_t)(sv + 1);
	rs_slots[20].held = rs_slots[21].held = rs_slots[22].held = 1;
	wk->rs[20].pkts = 10, wk->rs[20].bytes = 1000, wk->rs[20].out_pkts = 4;
	wk->rs[21].pkts = 5, wk->rs[21].bytes = 500, wk->rs[21].out_bytes = 77;
	wk->rs[22].pkts = 1000;
	wk->svc[sv].conns = 3; /* counted per service as before */

	memset(tr, 0, sizeof(tr));
	rs_svc_traffic(tr);
	struct stats_ctr c = stats_svc_ctr(tr, (uint16_t)sv);
	assert_int_equal(c.pkts, 15);
	assert_int_equal(c.bytes, 1500);
	assert_int_equal(c.out_pkts, 4);
	assert_int_equal(c.out_bytes, 77);
	assert_int_equal(c.conns, 3);

	/* Retired: still its service's; packets counted until workers see it, too. */
	rs_retire(h1);
	wk->rs[20].pkts += 2;
	memset(tr, 0, sizeof(tr));
	rs_svc_traffic(tr);
	assert_int_equal(stats_svc_ctr(tr, (uint16_t)sv).pkts, 17);
	/* The service goes: its slot waits for the reclaim. */
	rs_retire(h2);
	svc_slot_free(sv);
	int again = svc_slot_alloc();
	assert_true(again >= 0 && again != sv);
	svc_slot_free(again);
	/* Reclaimed: the counts move into the control core's service counters. */
	rs_reclaim();
	assert_false(rs_slots[20].held);
	memset(tr, 0, sizeof(tr));
	rs_svc_traffic(tr);
	c = stats_svc_ctr(tr, (uint16_t)sv);
	assert_int_equal(c.pkts, 17);
	assert_int_equal(c.bytes, 1500);
	assert_int_equal(c.out_pkts, 4);
	assert_int_equal(c.out_bytes, 77);
	assert_int_equal(stats_svc_ctr(tr, (uint16_t)(sv + 1)).pkts, 1000); /* untouched */
	(void)other;
	/* Now reusable, and it starts from zero. */
	bool seen = false;
	for (int k = 0; k < 4 && !seen; k++) {
		int n = svc_slot_alloc();
		assert_true(n >= 0);
		if (n == sv) {
			seen = true;
			memset(tr, 0, sizeof(tr));
			assert_int_equal(stats_svc_ctr(tr, (uint16_t)sv).pkts, 0);
		}
	}
	assert_true(seen);
	for (unsigned l = 0; l < 2; l++) {
		free(stats_lc[l]);
		stats_lc[l] = NULL;
	}
	stats_n_lc = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_up_follows_avail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_handle, setup, teardown),
		cmocka_unit_test(test_set_macs),
		cmocka_unit_test_setup_teardown(test_write_eth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_svc_traffic, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
