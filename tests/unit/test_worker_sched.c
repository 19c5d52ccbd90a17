/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_sched: the dest cache behind worker_schedule().
 *
 * A new flow to a service whose scheduler reads no connection counts reuses
 * the dests built for the service scheduled last, while the snapshot version,
 * the service slot and rs_avail_gen are what they were. The control core
 * bumps rs_avail_gen on every health or slot change. Each part of that key
 * is pinned here: a real server marked down (with the bump) is never picked
 * again, nor is one a new snapshot gives weight 0, and two services taking
 * turns never see each other's dests (each of the three keys fails this test
 * when dests_cached() ignores it). Real snapshots from snap_build() on a
 * loaded config; rs_slots are set up by hand (rs.c needs EAL's allocator).
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
#include "dataplane/pkt.h"
#include "dataplane/rs.h"
#include "dataplane/snap.h"
#include "dataplane/worker_pvt.h"
#include "snap_test_util.h"

/* Defined by rs.c, stats.c and worker.c, none of which is linked. */
struct rs_slot *rs_slots;
uint32_t rs_avail_gen;
struct stats_lcore *stats_lc[VIPD_MAX_WORKERS + 1];
unsigned stats_n_lc;
unsigned dp_n_workers = 1;

static struct rs_slot slots[8];

static const char CONFIG[] =
	"ports = ( { name = \"lan0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; } );\n"
	"virtual_servers = (\n"
	"  { address = \"10.0.0.100\"; port = 80; protocol = \"TCP\"; lb_kind = \"DR\";\n"
	"    lb_algo = \"rr\";\n"
	"    real_servers = ( { address = \"10.0.0.10\"; }, { address = \"10.0.0.11\"; },\n"
	"                     { address = \"10.0.0.12\"; }, { address = \"10.0.0.13\"; } ); },\n"
	"  { address = \"10.0.0.100\"; port = 443; protocol = \"TCP\"; lb_kind = \"DR\";\n"
	"    lb_algo = \"rr\";\n"
	"    real_servers = ( { address = \"10.0.0.14\"; }, { address = \"10.0.0.15\"; } ); }\n"
	");\n";

static struct vipd_conf *conf;
static struct worker *w;

static bool owned(uint32_t addr, void *arg)
{
	return (void)addr, (void)arg, true;
}

/* Slot indexes 1-6 at generation 1 (handle 0 means "none"): service A
 * (slot 0) has indexes 1-4, service B (slot 1) 5-6. weight4 is index 4's
 * effective weight. */
static struct snap *build_snap(uint32_t version, uint32_t weight4)
{
	struct snap_rs a[4], b[2];
	for (unsigned i = 0; i < 4; i++)
		a[i] = (struct snap_rs){ .handle = 1u << 16 | (i + 1), .weight = 1, .up = 1 };
	a[3].weight = weight4;
	for (unsigned i = 0; i < 2; i++)
		b[i] = (struct snap_rs){ .handle = 1u << 16 | (5 + i), .weight = 1, .up = 1 };
	const struct snap_rs *lists[2] = { a, b };
	static const uint16_t nrs[2] = { 4, 2 };
	struct snap *s = test_snap(conf, lists, nrs, version, owned);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	if (test_conf_from_text(CONFIG, &conf) != 0)
		return -1;
	rs_slots = slots;
	for (unsigned i = 0; i < 8; i++)
		slots[i] = (struct rs_slot){ .gen = 1, .live = 1, .mac = RS_MAC_UP };
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -1;
	w->rnd = 1;
	for (unsigned i = 0; i < SVC_MAX; i++)
		sched_state_reset(&w->sched[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(w);
	conf_free(conf);
	return 0;
}

/* Schedule n new flows of svc; count picks per slot index (1-6). */
static void pick(const struct snap_svc *svc, unsigned n, unsigned count[8])
{
	struct pkt_info pi = { .verdict = PKT_VIP_FLOW, .svc = svc };
	memset(count, 0, 8 * sizeof(count[0]));
	for (unsigned i = 0; i < n; i++) {
		pi.key.saddr = htonl(0xc0000200u + i);
		pi.key.sport = htons((uint16_t)(1024 + i));
		uint32_t h = worker_schedule(w, svc, &pi);
		assert_int_equal(h >> 16, 1);
		assert_true(rs_handle_idx(h) >= 1 && rs_handle_idx(h) <= 6);
		count[rs_handle_idx(h)]++;
	}
}

static void test_health_change(void **state)
{
	(void)state;
	struct snap *sn = build_snap(1, 1);
	const struct snap_svc *a = &sn->svc[0];
	unsigned c[8];
	w->snap = sn;
	assert_false(a->counts); /* rr without thresholds: the cached path */

	pick(a, 8, c);
	for (unsigned i = 1; i <= 4; i++)
		assert_int_equal(c[i], 2);
	/* Down, as rs_set_avail() does it: the up bit, then the bump. */
	slots[3].mac &= ~RS_MAC_UP;
	rs_avail_gen++;
	pick(a, 12, c);
	assert_int_equal(c[3], 0);
	assert_int_equal(c[1], 4);
	assert_int_equal(c[2], 4);
	assert_int_equal(c[4], 4);
	/* Back up: picked again within one round. */
	slots[3].mac |= RS_MAC_UP;
	rs_avail_gen++;
	pick(a, 4, c);
	assert_int_equal(c[3], 1);
	snap_free(sn);
}

static void test_new_snapshot(void **state)
{
	(void)state;
	struct snap *s1 = build_snap(2, 1);
	unsigned c[8];
	w->snap = s1;
	pick(&s1->svc[0], 4, c);
	assert_int_equal(c[4], 1);
	/* The same health generation, a new snapshot that quiesces index 4. */
	struct snap *s2 = build_snap(3, 0);
	w->snap = s2;
	pick(&s2->svc[0], 9, c);
	assert_int_equal(c[4], 0);
	assert_int_equal(c[1] + c[2] + c[3], 9);
	snap_free(s1);
	snap_free(s2);
}

static void test_two_services(void **state)
{
	(void)state;
	struct snap *sn = build_snap(4, 1);
	unsigned ca[8], cb[8];
	w->snap = sn;
	/* A's first dest down, B's all up: B must not schedule over A's. */
	slots[1].mac &= ~RS_MAC_UP;
	rs_avail_gen++;
	for (unsigned round = 0; round < 4; round++) {
		pick(&sn->svc[0], 3, ca);
		pick(&sn->svc[1], 2, cb);
		for (unsigned i = 0; i < 8; i++) {
			assert_int_equal(ca[i], i >= 2 && i <= 4 ? 1 : 0);
			assert_int_equal(cb[i], i == 5 || i == 6 ? 1 : 0);
		}
	}
	slots[1].mac |= RS_MAC_UP;
	rs_avail_gen++;
	snap_free(sn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_change),
		cmocka_unit_test(test_new_snapshot),
		cmocka_unit_test(test_two_services),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
