/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table schedulers: dh and sh (ip_vs_dh.c, ip_vs_sh.c: 256 buckets
 * filled in turn, sh giving each dest as many buckets in a row as its
 * weight) and mh (ip_vs_mh.c: Maglev, a prime-sized table where each dest
 * claims slots along its own permutation, weights as turns). Tables are built
 * by the control core per snapshot; workers only index them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

#define HASH_TAB 256u
#define NONE 0xffff

/* ip_vs_sh_hashkey: (addr + port) * golden ratio prime, top 8 bits. */
static uint32_t ipvs_hash(uint32_t addr_be, uint16_t port_be)
{
	uint32_t a = __builtin_bswap32(addr_be) + __builtin_bswap16(port_be);
	return (a * 2654435761u) >> 24;
}

static int table_alloc(struct sched_svc *sv, uint32_t size)
{
	sv->tab = malloc(sizeof(uint16_t) * size);
	if (sv->tab == NULL)
		return -ENOMEM;
	sv->tab_size = size;
	for (uint32_t i = 0; i < size; i++)
		sv->tab[i] = NONE;
	return 0;
}

static int build_dh(const struct sched_dest *d, unsigned n, struct sched_svc *sv)
{
	(void)d; /* dh ignores weights, as ip_vs_dh.c */
	int rc = table_alloc(sv, HASH_TAB);
	for (uint32_t b = 0; rc == 0 && n && b < HASH_TAB; b++)
		sv->tab[b] = (uint16_t)(b % n);
	return rc;
}

/*
 * ip_vs_sh.c gives each dest a run of buckets as long as its weight, so with
 * weights summing past 256 the last dests get nothing. vipd scales the runs
 * to the table first (each usable dest keeps at least one bucket), which
 * keeps the shares proportional.
 */
static int build_sh(const struct sched_dest *d, unsigned n, struct sched_svc *sv)
{
	int rc = table_alloc(sv, HASH_TAB);
	uint64_t total = 0;
	for (unsigned k = 0; k < n; k++)
		total += d[k].weight;
	if (rc || total == 0)
		return rc;
	uint32_t b = 0;
	uint64_t acc = 0;
	/* Largest-remainder style: cumulative share boundaries over 256 buckets. */
	for (unsigned k = 0; k < n && b < HASH_TAB; k++) {
		if (d[k].weight == 0)
			continue;
		acc += d[k].weight;
		uint32_t end = (uint32_t)((acc * HASH_TAB + total / 2) / total);
		if (end <= b)
			end = b + 1; /* every weighted dest keeps a bucket */
		for (; b < end && b < HASH_TAB; b++)
			sv->tab[b] = (uint16_t)k;
	}
	for (unsigned k = n; b < HASH_TAB && k-- > 0;)
		if (d[k].weight) {
			for (; b < HASH_TAB; b++)
				sv->tab[b] = (uint16_t)k;
		}
	return rc;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Maglev population (NSDI'16, with ip_vs_mh's weights): offset and skip come
 * from the dest's identity, not its position, so removing one dest moves only
 * the keys it held (plus a little).
 */
static int build_mh(const struct sched_dest *d, unsigned n, struct sched_svc *sv)
{
	const uint32_t M = SCHED_MH_SIZE;
	int rc = table_alloc(sv, M);
	if (rc)
		return rc;
	uint32_t *off = calloc(n + 1, sizeof(*off)), *skip = calloc(n + 1, sizeof(*skip));
	uint32_t *next = calloc(n + 1, sizeof(*next)), *turns = calloc(n + 1, sizeof(*turns));
	if (!off || !skip || !next || !turns) {
		rc = -ENOMEM;
		goto out;
	}
	uint32_t g = 0, live = 0;
	for (unsigned i = 0; i < n; i++)
		if (d[i].weight)
			g = gcd(g, d[i].weight);
	for (unsigned i = 0; i < n; i++) {
		if (d[i].weight == 0)
			continue;
		uint64_t h = mix64(d[i].key ^ 0x5bd1e9955bd1e995ULL);
		off[i] = (uint32_t)(h % M);
		skip[i] = (uint32_t)((h >> 32) % (M - 1)) + 1;
		turns[i] = d[i].weight / g;
		live++;
	}
	/*
	 * Bound the turns per round as ip_vs_mh.c does: shift every weight down
	 * together, so ratios survive (a lone cap would flatten 300:600 to 1:1).
	 */
	uint32_t maxt = 0;
	for (unsigned i = 0; i < n; i++)
		maxt = turns[i] > maxt ? turns[i] : maxt;
	unsigned shift = 0;
	while ((maxt >> shift) > 256)
		shift++;
	for (unsigned i = 0; shift && i < n; i++)
		if (turns[i])
			turns[i] = (turns[i] >> shift) ? turns[i] >> shift : 1;
	for (uint32_t filled = 0; live && filled < M;) {
		for (unsigned i = 0; i < n && filled < M; i++) {
			for (uint32_t t = 0; t < turns[i] && filled < M; t++) {
				uint32_t c;
				do {
					c = (uint32_t)((off[i] + (uint64_t)next[i] * skip[i]) % M);
					next[i]++;
				} while (sv->tab[c] != NONE);
				sv->tab[c] = (uint16_t)i;
				filled++;
			}
		}
	}
out:
	free(off);
	free(skip);
	free(next);
	free(turns);
	return rc;
}

static int table_pick(const struct sched_dest *d, unsigned n, const struct sched_pkt *p,
		      uint32_t h, bool may_fall_back)
{
	const struct sched_svc *sv = p->sv;
	if (sv == NULL || sv->tab_size == 0 || n == 0)
		return -1;
	uint16_t i = sv->tab[h % sv->tab_size];
	if (i < n && sched_usable(&d[i]))
		return i;
	if (!may_fall_back || !(sv->flags & SCHED_F_FALLBACK))
		return -1;
	/* Fallback: walk on from the bucket over the whole table (ip_vs_*_fallback). */
	for (uint32_t k = 1; k < sv->tab_size; k++) {
		i = sv->tab[(h + k) % sv->tab_size];
		if (i < n && sched_usable(&d[i]))
			return i;
	}
	return -1;
}

static int sched_dh(struct sched_state *st, const struct sched_dest *d, unsigned n,
		    const struct sched_pkt *p)
{
	(void)st;
	return table_pick(d, n, p, ipvs_hash(p->daddr, 0), false); /* dh has no fallback */
}

static int sched_sh(struct sched_state *st, const struct sched_dest *d, unsigned n,
		    const struct sched_pkt *p)
{
	(void)st;
	uint16_t port = p->sv && (p->sv->flags & SCHED_F_PORT) ? p->sport : 0;
	return table_pick(d, n, p, ipvs_hash(p->saddr, port), true);
}

static int sched_mh(struct sched_state *st, const struct sched_dest *d, unsigned n,
		    const struct sched_pkt *p)
{
	(void)st;
	uint64_t k = p->saddr;
	if (p->sv && (p->sv->flags & SCHED_F_PORT))
		k |= (uint64_t)p->sport << 32;
	return table_pick(d, n, p, (uint32_t)(mix64(k) >> 32), true);
}

const struct sched_ops sched_dh_ops = { "dh", sched_dh, build_dh };
const struct sched_ops sched_sh_ops = { "sh", sched_sh, build_sh };
const struct sched_ops sched_mh_ops = { "mh", sched_mh, build_mh };
