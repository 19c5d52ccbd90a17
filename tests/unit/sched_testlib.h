/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched_testlib: what the scheduler tests share (test_sched_more.c,
 * test_sched_dhsh.c, test_sched_mh.c): deterministic random streams, dest
 * sets, building and picking from a service, table counts, a chi-square,
 * the lblc cache's helpers and the list of every registered scheduler.
 * Header-only: each test program is one translation unit.
 */
#ifndef VIPD_SCHED_TESTLIB_H
#define VIPD_SCHED_TESTLIB_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sched.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NONE 0xffff
#define M SCHED_MH_SIZE
#define MAXN 256

/* ---------------------------------------------------------------- helpers */

/* splitmix64: a deterministic stream per seed, independent of libc rand(). */
static uint64_t rs;

static inline void rseed(uint64_t s)
{
	rs = s;
}

static inline uint64_t r64(void)
{
	uint64_t z = (rs += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline uint32_t r32(void)
{
	return (uint32_t)(r64() >> 32);
}

static inline unsigned rbelow(unsigned n)
{
	return (unsigned)(r64() % n);
}

/* A usable dest of weight w with no connections; its identity as snap.c
 * makes it (address << 16 | port, network order), real server number i. */
static inline struct sched_dest dest(uint32_t w, unsigned i)
{
	return (struct sched_dest){
		.weight = w,
		.avail = true,
		.key = (uint64_t)htonl(0x0a000100u + i) << 16 | htons(80),
	};
}

static inline void dests(struct sched_dest *d, unsigned n, uint32_t w)
{
	for (unsigned i = 0; i < n; i++)
		d[i] = dest(w, i);
}

static inline const struct sched_ops *ops_of(const char *name)
{
	const struct sched_ops *ops = sched_find(name);

	assert_non_null(ops);
	return ops;
}

static inline void build(const char *name, const struct sched_dest *d, unsigned n, uint32_t flags,
		  struct sched_svc *sv)
{
	assert_int_equal(sched_svc_build(ops_of(name), d, n, flags, sv), 0);
	assert_int_equal(sv->flags, flags);
}

/* What the table scheduler ops answers for this client/destination. */
static inline int tpick(const struct sched_ops *ops, const struct sched_svc *sv,
		 const struct sched_dest *d, unsigned n, uint32_t saddr, uint16_t sport,
		 uint32_t daddr)
{
	struct sched_pkt p = {
		.saddr = saddr, .daddr = daddr, .sport = sport, .dport = htons(80),
		.sv = sv, .rnd = 12345,
	};

	return ops->schedule(NULL, d, n, &p);
}

/* Buckets (slots) per dest; every bucket must name a dest in range, or none
 * at all when the table is empty (no dest has a weight). */
static inline void tab_counts(const struct sched_svc *sv, unsigned n, unsigned *cnt)
{
	unsigned none = 0;

	memset(cnt, 0, n * sizeof(*cnt));
	for (uint32_t b = 0; b < sv->tab_size; b++) {
		if (sv->tab[b] == NONE) {
			none++;
			continue;
		}
		assert_true(sv->tab[b] < n);
		cnt[sv->tab[b]]++;
	}
	bool weighted = false;
	for (uint32_t b = 0; b < sv->tab_size && !weighted; b++)
		weighted = sv->tab[b] != NONE;
	assert_int_equal(none, weighted ? 0 : sv->tab_size);
}

/* Pearson's statistic of observed counts against probabilities p. */
static inline double chi2(const unsigned *obs, const double *p, unsigned k, unsigned total)
{
	double s = 0;

	for (unsigned i = 0; i < k; i++) {
		if (p[i] == 0) {
			assert_int_equal(obs[i], 0);
			continue;
		}
		double e = p[i] * total, x = obs[i] - e;
		s += x * x / e;
	}
	return s;
}

static inline int twos(const struct sched_dest *d, unsigned n, uint32_t rnd)
{
	struct sched_pkt p = { .rnd = rnd };

	return ops_of("twos")->schedule(NULL, d, n, &p);
}

static inline struct sched_lcache *lc_new(void)
{
	struct sched_lcache *lc = calloc(1, sizeof(*lc));

	assert_non_null(lc);
	return lc;
}

static inline int lpick(const char *name, struct sched_lcache *lc, const struct sched_dest *d,
		 unsigned n, uint16_t svc, uint32_t gen, uint32_t daddr)
{
	struct sched_pkt p = {
		.saddr = htonl(0xc0a80001), .daddr = daddr, .sport = htons(40000),
		.dport = htons(80), .lc = lc, .svc = svc, .gen = gen,
	};

	return ops_of(name)->schedule(NULL, d, n, &p);
}

/* The cache entry of (svc, gen, daddr), or NULL. */
static inline const struct sched_lc_entry *lfind(const struct sched_lcache *lc, uint16_t svc,
					  uint32_t gen, uint32_t daddr)
{
	for (unsigned i = 0; i < SCHED_LC_SIZE; i++)
		if (lc->e[i].n && lc->e[i].daddr == daddr && lc->e[i].svc == svc &&
		    lc->e[i].gen == gen)
			return &lc->e[i];
	return NULL;
}

static inline bool in_set(const struct sched_lc_entry *e, int k)
{
	for (unsigned j = 0; j < e->n; j++)
		if (e->idx[j] == k)
			return true;
	return false;
}

/* Every registered scheduler, from sched_names() ("rr, wrr, ..."). */
#define MAXNAMES 32
static inline unsigned all_names(char names[][16])
{
	const char *s = sched_names();
	unsigned k = 0;

	while (*s) {
		size_t len = strcspn(s, ", ");

		if (len) {
			assert_true(len < 16 && k < MAXNAMES);
			memcpy(names[k], s, len);
			names[k][len] = '\0';
			assert_non_null(sched_find(names[k]));
			k++;
		}
		s += len;
		s += strspn(s, ", ");
	}
	assert_true(k >= 14);
	return k;
}

static inline bool is_table(const char *name)
{
	return !strcmp(name, "dh") || !strcmp(name, "sh") || !strcmp(name, "mh");
}

#endif
