/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snap: snap_mix(), the hash of the snapshot's open-addressing tables (VIPs,
 * services, NAT real servers), spreads the address sets a director really
 * holds: VIPs and real servers in one /24, which differ in the last octet
 * only, i.e. in the top byte of the network-order word. A hash whose low
 * bits ignore that byte puts them all in one slot, and every lookup then
 * walks a chain as long as the set (it did: the replies of four NAT real
 * servers took two probes each on average).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void test_one_vip_many_ports(void **state)
{
	uint32_t a[N], b[N];
	(void)state;
	/* services: one VIP, ports 80 .. 207, TCP */
	for (unsigned i = 0; i < N; i++)
		a[i] = htonl(0x0a000064u), b[i] = (uint32_t)htons((uint16_t)(80 + i)) << 8 | 6;
	assert_true(slots_taken(a, b, N) >= FLOOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_subnet),
		cmocka_unit_test(test_one_vip_many_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
