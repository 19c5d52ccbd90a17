/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache_lap: how long a load of one of N random cache lines takes on this
 * machine, depending on how soon each line is read again.
 *
 * The lines (N of them, in random order, spread over SPAN MB) form one
 * cycle: each holds the offset of the next. K independent walkers start
 * N/K lines apart and step together, so K loads are in flight and a lap
 * (every line read once) takes N/K steps. For each K it prints the time a
 * load takes, the load's latency (that time x K) and the lap's length.
 *
 * On a machine of its own, the latency depends on N and SPAN only (which
 * cache holds N lines, whether the TLB covers SPAN). On a shared host the
 * lap's length matters too: the other tenants evict lines from the shared
 * L3 at their own pace, so lines read again within a short lap are still
 * there and lines read again after a long one are not. This is the effect
 * docs/PERFORMANCE.md (sixth round) describes for net_pcap's stored frames:
 * testpmd io reads them again much sooner than vipd does.
 *
 * usage: cache_lap [--lines N] [--span MB] [--small-pages] [--steps S]
 *   defaults: 100000 lines (the benchmark's flows), 16 MB, 2 MB hugepages
 *   (MAP_HUGETLB: needs free hugepages), 2000000 steps per walker count.
 *
 * Built with vipd (build/bench/cache_lap); alone: cc -O2 -o cache_lap bench/cache_lap.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MAP_HUGETLB */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_WALKERS 16

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* k walkers, steps steps each: seconds for all the loads. */
static double walk(const uint8_t *base, const uint64_t *order, size_t n, unsigned k, long steps)
{
	uint64_t at[MAX_WALKERS];
	for (unsigned c = 0; c < k; c++)
		at[c] = order[c * (n / k)];
	double t = now_s();
	for (long i = 0; i < steps; i++)
		for (unsigned c = 0; c < k; c++)
			at[c] = *(const volatile uint64_t *)(base + at[c]);
	t = now_s() - t;
	uint64_t sink = 0;
	for (unsigned c = 0; c < k; c++)
		sink += at[c];
	if (sink == 1) /* keeps the loads: never true (offsets are multiples of 64) */
		puts("");
	return t;
}

static int usage(void)
{
	fprintf(stderr, "usage: cache_lap [--lines N] [--span MB] [--small-pages] [--steps S]\n");
	return 2;
}

int main(int argc, char **argv)
{
	size_t n = 100000, span_mb = 16;
	long steps = 2000000;
	int huge = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lines") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--span") && i + 1 < argc)
			span_mb = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--small-pages"))
			huge = 0;
		else
			return usage();
	}
	size_t span = span_mb << 20, nl = span / 64;
	if (n < MAX_WALKERS || n > nl / 4 * 3 || steps <= 0) {
		fprintf(stderr, "cache_lap: --lines must be %d..%zu for a %zu MB span\n", MAX_WALKERS,
			nl / 4 * 3, span_mb);
		return 2;
	}
	uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "cache_lap: mmap of %zu MB%s: %s\n", span_mb,
			huge ? " of hugepages (free some, or --small-pages)" : "", strerror(errno));
		return 1;
	}
	memset(base, 0, span);
	/* N distinct lines in random order, each pointing at the next. */
	uint64_t *order = malloc(n * sizeof(*order));
	uint8_t *taken = calloc(nl, 1);
	if (order == NULL || taken == NULL) {
		fprintf(stderr, "cache_lap: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t l;
		do
			l = rnd() % nl;
		while (taken[l]);
		taken[l] = 1;
		order[i] = l * 64;
	}
	free(taken);
	for (size_t i = 0; i < n; i++)
		*(uint64_t *)(base + order[i]) = order[(i + 1) % n];

	printf("cache_lap: %zu random lines in %zu MB (%s pages), %ld steps per walker count\n", n,
	       span_mb, huge ? "2 MB" : "4 kB", steps);
	printf("walkers  ns/load  latency ns  lap ms\n");
	walk(base, order, n, 1, (long)n); /* one lap to warm up */
	for (unsigned k = 1; k <= MAX_WALKERS; k *= 2) {
		double t = walk(base, order, n, k, steps);
		double per = t / ((double)steps * k) * 1e9;
		printf("%7u  %7.2f  %10.1f  %6.2f\n", k, per, per * k, per * (double)n * 1e-6);
	}
	munmap(base, span);
	free(order);
	return 0;
}
