/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snap: snap_mix(), the hash of the snapshot's open-addressing tables of
 * VIPs and services, and snap_natrs_hash(), the NAT real servers', spread
 * the address sets a director really holds: VIPs and real servers in one /24, which differ in the last octet
 * only, i.e. in the top byte of the network-order word. A hash whose low
 * bits ignore that byte puts them all in one slot, and every lookup then
 * walks a chain as long as the set (it did: the replies of four NAT real
 * servers took two probes each on average).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "dataplane/snap.h"

#define SLOTS 256

/* Distinct slots n keys take in a table of SLOTS (mask SLOTS - 1). */
static unsigned slots_taken(const uint32_t *a, const uint32_t *b, unsigned n)
{
	uint8_t used[SLOTS];
	unsigned k = 0;
	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = snap_mix(a[i], b[i]) & (SLOTS - 1);
		k += !used[s];
		used[s] = 1;
	}
	return k;
}

/*
 * 128 random keys take about 99 of 256 slots (256 (1 - e^-0.5)); a few
 * fewer is chance, a third fewer a hash that drops bits.
 */
#define N 128
#define FLOOR 80

static void test_one_subnet(void **state)
{
	uint32_t a[N], b[N];
	(void)state;
	/* VIPs: 10.1.0.1 .. 10.1.0.128, looked up with b = 0 */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a010000u + 1 + i), b[i] = 0;
	assert_true(slots_taken(a, b, N) >= FLOOR);
	/* NAT real servers in one /24 on one port (UDP 5353) */
	for (unsigned i = 0; i < N; i++)
		b[i] = (uint32_t)htons(5353) << 8 | 17;
	assert_true(slots_taken(a, b, N) >= FLOOR);
	/* a /16's hosts .x.1: the third octet differs */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0xac100001u + (i << 8)), b[i] = 0;
	assert_true(slots_taken(a, b, N) >= FLOOR);
}

/* The NAT real servers' own table: snap_natrs_hash() over the same sets. */
static unsigned natrs_slots_taken(const uint32_t *a, const uint16_t *port, const uint8_t *proto,
				  unsigned n)
{
	uint8_t used[SLOTS];
	unsigned k = 0;
	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = snap_natrs_hash(snap_natrs_key(a[i], port[i], proto[i])) & (SLOTS - 1);
		k += !used[s];
		used[s] = 1;
	}
	return k;
}

static void test_natrs_spread(void **state)
{
	uint32_t a[N];
	uint16_t port[N];
	uint8_t proto[N];
	(void)state;
	/* a /24's servers on one port, UDP 5353 */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a010000u + 1 + i), port[i] = htons(5353), proto[i] = 17;
	assert_true(natrs_slots_taken(a, port, proto, N) >= FLOOR);
	/* one server, ports 8000 .. 8127, TCP */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a010001u), port[i] = htons((uint16_t)(8000 + i)), proto[i] = 6;
	assert_true(natrs_slots_taken(a, port, proto, N) >= FLOOR);
	/* 64 servers, each on TCP and UDP 53 */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a010001u + i / 2), port[i] = htons(53), proto[i] = i % 2 ? 17 : 6;
	assert_true(natrs_slots_taken(a, port, proto, N) >= FLOOR);
}

static void test_one_vip_many_ports(void **state)
{
	uint32_t a[N], b[N];
	(void)state;
	/* services: one VIP, ports 80 .. 207, TCP */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a000064u), b[i] = (uint32_t)htons((uint16_t)(80 + i)) << 8 | 6;
	assert_true(slots_taken(a, b, N) >= FLOOR);
}

/*
 * The VIP filter: never a false negative (fast_reply() would translate a
 * packet to a VIP we hold), and a /24 of VIPs and a /16's spread over its
 * bits, so a client address (a NAT reply's destination) almost always
 * skips the lookup.
 */
static void test_vip_filter(void **state)
{
	(void)state;
	struct snap *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	uint32_t vips[64];
	for (unsigned i = 0; i < 32; i++)
		vips[i] = htonl(0x0a000064u + i);                     /* 10.0.0.100 .. 131 */
	for (unsigned i = 0; i < 32; i++)
		vips[32 + i] = htonl(0xac100001u + (i << 8));          /* 172.16.x.1 */
	for (unsigned i = 0; i < 64; i++)
		snap_vip_filter_add(s, vips[i]);
	unsigned bits = 0;
	for (unsigned i = 0; i < SNAP_VIP_FILTER_BITS / 64; i++)
		bits += (unsigned)__builtin_popcountll(s->vip_filter[i]);
	assert_true(bits >= 60); /* 64 keys in 4096 bits: about 63.5 apart */
	for (unsigned i = 0; i < 64; i++)
		assert_true(snap_vip_maybe(s, vips[i]));
	/* Clients: 10.0.0.0/16 as a NAT lab numbers them, then random ones. */
	unsigned pos = 0, n = 0;
	for (uint32_t a = 0; a < 65536; a++, n++)
		pos += snap_vip_maybe(s, htonl(0x0a000000u + a));
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	for (unsigned i = 0; i < 100000; i++, n++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		pos += snap_vip_maybe(s, (uint32_t)x);
	}
	/* 64 VIPs included: about 1.6 % of the addresses pass. */
	assert_true(pos < n * 3 / 100);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_subnet),
		cmocka_unit_test(test_one_vip_many_ports),
		cmocka_unit_test(test_vip_filter),
		cmocka_unit_test(test_natrs_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
