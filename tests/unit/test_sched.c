/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched: the IPVS schedulers against IPVS semantics (ip_vs_rr.c, ip_vs_wrr.c,
 * ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c): which dests may be
 * picked at all, the exact wrr proportions and interleaving over a cycle, the
 * overhead formulas and their tie breaks. The least-load schedulers are also
 * checked against a brute-force minimum over random dest sets, so a wrong
 * comparison shows even where the hand-picked cases agree by luck.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sched.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXD 16

static const struct sched_pkt pkt = { 0x0100000a, 0x0200000a, 0x3930, 0x5000 };

/* A usable dest of weight w with no connections. */
static struct sched_dest dest(uint32_t w)
{
	return (struct sched_dest){ .weight = w, .avail = true };
}

static int pick(const char *name, struct sched_state *st,
		const struct sched_dest *d, unsigned n)
{
	const struct sched_ops *ops = sched_find(name);

	assert_non_null(ops);
	/* Table schedulers read a table built from the same dests (snapshot). */
	struct sched_svc sv;
	struct sched_pkt p = pkt;
	assert_int_equal(sched_svc_build(ops, d, n, 0, &sv), 0);
	p.sv = &sv;
	int k = ops->schedule(st, d, n, &p);
	sched_svc_free(&sv);
	return k;
}

/* A fresh state as a worker makes it, so the first pick is deterministic. */
static struct sched_state fresh(void)
{
	struct sched_state st;

	memset(&st, 0xa5, sizeof(st)); /* reset must not rely on zeroed memory */
	sched_state_reset(&st);
	return st;
}

/* Counts of n picks; the caller checks every pick is in range. */
static void count_picks(const char *name, const struct sched_dest *d,
			unsigned nd, unsigned picks, unsigned *cnt)
{
	struct sched_state st = fresh();

	memset(cnt, 0, nd * sizeof(*cnt));
	for (unsigned i = 0; i < picks; i++) {
		int k = pick(name, &st, d, nd);

		assert_in_range(k, 0, nd - 1);
		cnt[k]++;
	}
}

static void test_registry(void **state)
{
	static const char *const names[] = { "rr", "wrr", "lc", "wlc", "sed", "nq", "fo",
					     "ovf", "twos", "dh", "sh", "mh", "lblc", "lblcr" };

	(void)state;
	for (unsigned i = 0; i < N(names); i++) {
		const struct sched_ops *ops = sched_find(names[i]);

		assert_non_null(ops);
		assert_string_equal(ops->name, names[i]);
		assert_non_null(ops->schedule);
		assert_non_null(strstr(sched_names(), names[i]));
	}
	/* Names are exact: the config loader relies on rejecting these. */
	assert_null(sched_find(""));
	assert_null(sched_find("RR"));
	assert_null(sched_find("wr"));
	assert_null(sched_find("wrr "));
	assert_null(sched_find("maglev"));
}

/* No dest at all, or none usable: every scheduler answers -1. */
static void test_none_usable(void **state)
{
	static const char *const names[] = { "rr", "wrr", "lc", "wlc", "sed", "nq", "fo",
					     "ovf", "twos", "dh", "sh", "mh", "lblc", "lblcr" };
	struct sched_dest d[3] = { dest(0), dest(5), dest(0) };

	(void)state;
	d[1].avail = false;
	for (unsigned i = 0; i < N(names); i++) {
		struct sched_state st = fresh();

		assert_int_equal(pick(names[i], &st, d, 0), -1);
		assert_int_equal(pick(names[i], &st, d, N(d)), -1);
		/* And again: a failed pick must not leave a state that breaks. */
		assert_int_equal(pick(names[i], &st, d, N(d)), -1);
		d[1].avail = true;
		/* dh maps a destination to a fixed dest whatever its weight, and
		 * has no fallback (ip_vs_dh.c): it may rightly find none here. */
		if (strcmp(names[i], "dh") != 0)
			assert_int_equal(pick(names[i], &st, d, N(d)), 1);
		d[1].avail = false;
	}
}

static void test_rr_cycles(void **state)
{
	struct sched_dest d[4] = { dest(1), dest(1), dest(1), dest(1) };
	struct sched_state st = fresh();

	(void)state;
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(pick("rr", &st, d, N(d)), (int)(i % 4));
}

/* rr ignores weight values but not weight 0 (quiesced) nor down dests. */
static void test_rr_skips(void **state)
{
	struct sched_dest d[5] = { dest(1), dest(0), dest(7), dest(1), dest(3) };
	static const int want[] = { 0, 2, 4, 0, 2, 4 };
	struct sched_state st = fresh();

	(void)state;
	d[3].avail = false;
	for (unsigned i = 0; i < N(want); i++)
		assert_int_equal(pick("rr", &st, d, N(d)), want[i]);
}

/* A dest going down mid-cycle: the cursor continues after it, not restart. */
static void test_rr_dest_changes(void **state)
{
	struct sched_dest d[4] = { dest(1), dest(1), dest(1), dest(1) };
	struct sched_state st = fresh();

	(void)state;
	assert_int_equal(pick("rr", &st, d, N(d)), 0);
	assert_int_equal(pick("rr", &st, d, N(d)), 1);
	d[2].avail = false;
	assert_int_equal(pick("rr", &st, d, N(d)), 3);
	assert_int_equal(pick("rr", &st, d, N(d)), 0);
	/* The set shrank below the cursor: still in range, still cycling. */
	assert_int_equal(pick("rr", &st, d, 2), 1);
	assert_int_equal(pick("rr", &st, d, 2), 0);
	assert_int_equal(pick("rr", &st, d, 1), 0);
	assert_int_equal(pick("rr", &st, d, 1), 0);
	/* The cursor past the end of the shrunk set (last 3, now 2 dests):
	 * it goes on from last modulo n, and never reads past the set. */
	assert_int_equal(pick("rr", &st, d, N(d)), 1);
	assert_int_equal(pick("rr", &st, d, N(d)), 3);
	assert_int_equal(pick("rr", &st, d, 2), 0);
	assert_int_equal(pick("rr", &st, d, 2), 1);
}

/* The IPVS example: weights 3,2,1 give exactly 300/200/100 over 600 picks. */
static void test_wrr_proportions(void **state)
{
	const struct sched_dest d[3] = { dest(3), dest(2), dest(1) };
	unsigned cnt[3];

	(void)state;
	count_picks("wrr", d, N(d), 600, cnt);
	assert_int_equal(cnt[0], 300);
	assert_int_equal(cnt[1], 200);
	assert_int_equal(cnt[2], 100);
}

/* Interleaved, not 0,0,0,1,1,2: the sequence ip_vs_wrr.c produces. */
static void test_wrr_interleaves(void **state)
{
	const struct sched_dest d[3] = { dest(3), dest(2), dest(1) };
	static const int want[] = { 0, 0, 1, 0, 1, 2 };
	struct sched_state st = fresh();

	(void)state;
	for (unsigned lap = 0; lap < 3; lap++)
		for (unsigned i = 0; i < N(want); i++)
			assert_int_equal(pick("wrr", &st, d, N(d)), want[i]);
}

/* A common divisor only shortens the cycle: 4,2 behaves as 2,1. */
static void test_wrr_gcd(void **state)
{
	const struct sched_dest d[2] = { dest(4), dest(2) };
	static const int want[] = { 0, 0, 1 };
	struct sched_state st = fresh();

	(void)state;
	for (unsigned lap = 0; lap < 4; lap++)
		for (unsigned i = 0; i < N(want); i++)
			assert_int_equal(pick("wrr", &st, d, N(d)), want[i]);
}

static void test_wrr_skips(void **state)
{
	struct sched_dest d[5] = { dest(2), dest(0), dest(9), dest(1), dest(0) };
	unsigned cnt[5];

	(void)state;
	d[2].avail = false; /* the heaviest is down: maxw must come from usable */
	count_picks("wrr", d, N(d), 300, cnt);
	assert_int_equal(cnt[0], 200);
	assert_int_equal(cnt[1], 0);
	assert_int_equal(cnt[2], 0);
	assert_int_equal(cnt[3], 100);
	assert_int_equal(cnt[4], 0);
}

/* Equal weights degenerate to plain round robin. */
static void test_wrr_equal_is_rr(void **state)
{
	const struct sched_dest d[3] = { dest(5), dest(5), dest(5) };
	struct sched_state st = fresh();

	(void)state;
	for (unsigned i = 0; i < 9; i++)
		assert_int_equal(pick("wrr", &st, d, N(d)), (int)(i % 3));
}

/* A big weight spread must not take the unbounded or wrong path. */
static void test_wrr_large_weights(void **state)
{
	const struct sched_dest d[2] = { dest(65535), dest(1) };
	unsigned cnt[2];

	(void)state;
	count_picks("wrr", d, N(d), 65536 * 2, cnt);
	assert_int_equal(cnt[0], 65535 * 2);
	assert_int_equal(cnt[1], 2);
}

/* Lowering the top weight mid-cycle: cw is clamped, picks stay in the set. */
static void test_wrr_weight_change(void **state)
{
	struct sched_dest d[3] = { dest(10), dest(5), dest(1) };
	struct sched_state st = fresh();
	unsigned cnt[3] = { 0 };

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pick("wrr", &st, d, N(d)), 0);
	d[0].weight = 2;
	d[1].weight = 1;
	d[2].weight = 1;
	/* Settle into the new cycle, then a whole number of cycles is exact. */
	for (unsigned i = 0; i < 4; i++)
		assert_in_range(pick("wrr", &st, d, N(d)), 0, 2);
	for (unsigned i = 0; i < 400; i++)
		cnt[pick("wrr", &st, d, N(d))]++;
	assert_int_equal(cnt[0], 200);
	assert_int_equal(cnt[1], 100);
	assert_int_equal(cnt[2], 100);
}

/* Random weight sets (with quiesced and down dests): each full cycle of
 * sum(weights) picks gives every dest exactly its weight. */
static void test_wrr_random_cycles(void **state)
{
	(void)state;
	srand(4242);
	for (unsigned iter = 0; iter < 300; iter++) {
		struct sched_dest d[MAXD];
		unsigned n = 1 + (unsigned)rand() % MAXD, sum = 0, cnt[MAXD];

		for (unsigned i = 0; i < n; i++) {
			d[i] = dest((uint32_t)rand() % 12);
			d[i].avail = rand() % 5 != 0;
			if (d[i].avail)
				sum += d[i].weight;
		}
		if (sum == 0)
			continue;
		count_picks("wrr", d, n, sum * 3, cnt);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(cnt[i], d[i].avail ? d[i].weight * 3 : 0);
	}
}

/* lc: an active conn weighs 256 inactive ones; weight value is ignored. */
static void test_lc(void **state)
{
	struct sched_dest d[3] = { dest(100), dest(1), dest(1) };

	(void)state;
	d[0].activeconns = 1;               /* 256 */
	d[1].inactconns = 255;              /* 255 */
	d[2].activeconns = 0, d[2].inactconns = 300;
	assert_int_equal(pick("lc", NULL, d, N(d)), 1);
	d[1].inactconns = 256;              /* tie with d[0]: first wins */
	assert_int_equal(pick("lc", NULL, d, N(d)), 0);
	d[0].weight = 0;                    /* quiesced, even though least */
	assert_int_equal(pick("lc", NULL, d, N(d)), 1);
	d[1].avail = false;
	assert_int_equal(pick("lc", NULL, d, N(d)), 2);
}

/* wlc compares overhead/weight: the heavier server takes more load. */
static void test_wlc(void **state)
{
	struct sched_dest d[3] = { dest(1), dest(3), dest(2) };

	(void)state;
	d[0].activeconns = 1; /* 256/1 */
	d[1].activeconns = 2; /* 512/3 = 170.7 */
	d[2].activeconns = 2; /* 512/2 = 256 */
	assert_int_equal(pick("wlc", NULL, d, N(d)), 1);
	d[1].inactconns = 257; /* 769/3 = 256.3: now 0 and 2 tie, first wins */
	assert_int_equal(pick("wlc", NULL, d, N(d)), 0);
	d[0].avail = false;
	assert_int_equal(pick("wlc", NULL, d, N(d)), 2);
	d[2].weight = 0;
	assert_int_equal(pick("wlc", NULL, d, N(d)), 1);
}

/* sed counts the new conn ((active + 1) / weight) and ignores inactive:
 * where wlc would take an idle slow server, sed takes the fast busy one. */
static void test_sed(void **state)
{
	struct sched_dest d[2] = { dest(1), dest(3) };

	(void)state;
	d[1].activeconns = 1;  /* sed: 1/1 vs 2/3 */
	d[0].inactconns = 0;
	assert_int_equal(pick("wlc", NULL, d, N(d)), 0);
	assert_int_equal(pick("sed", NULL, d, N(d)), 1);
	d[1].inactconns = 10000; /* inactive is not in the sed formula */
	assert_int_equal(pick("sed", NULL, d, N(d)), 1);
	d[1].activeconns = 2;  /* 1/1 vs 3/3: tie, first wins */
	assert_int_equal(pick("sed", NULL, d, N(d)), 0);
	d[0].weight = 0;
	assert_int_equal(pick("sed", NULL, d, N(d)), 1);
}

/* nq: an idle dest beats any ratio; without one it is sed. */
static void test_nq(void **state)
{
	struct sched_dest d[3] = { dest(100), dest(1), dest(50) };

	(void)state;
	d[0].activeconns = 1;
	d[1].activeconns = 0;
	d[2].activeconns = 1;
	assert_int_equal(pick("sed", NULL, d, N(d)), 0);
	assert_int_equal(pick("nq", NULL, d, N(d)), 1);
	d[1].weight = 0;      /* an idle quiesced dest does not count */
	assert_int_equal(pick("nq", NULL, d, N(d)), 0);
	d[1].weight = 1;
	d[1].avail = false;   /* nor an idle down one */
	assert_int_equal(pick("nq", NULL, d, N(d)), 0);
	d[2].activeconns = 0; /* inactive conns do not make it busy */
	d[2].inactconns = 500;
	assert_int_equal(pick("nq", NULL, d, N(d)), 2);
}

/* Score of dest i as a fraction num/den, per scheduler; den 0 = unusable. */
static void score(const char *name, const struct sched_dest *d,
		  unsigned __int128 *num, unsigned __int128 *den)
{
	unsigned __int128 oh = ((unsigned __int128)d->activeconns << 8) + d->inactconns;

	*den = d->avail ? d->weight : 0;
	if (strcmp(name, "lc") == 0)
		*num = oh, *den = *den ? 1 : 0;
	else if (strcmp(name, "wlc") == 0)
		*num = oh;
	else
		*num = (unsigned __int128)d->activeconns + 1;
}

/* The first usable dest of minimal score, by exact 128-bit arithmetic. */
static int brute_min(const char *name, const struct sched_dest *d, unsigned n)
{
	int best = -1;
	unsigned __int128 bn = 0, bd = 1;

	for (unsigned i = 0; i < n; i++) {
		unsigned __int128 num, den;

		score(name, &d[i], &num, &den);
		if (den == 0)
			continue;
		if (strcmp(name, "nq") == 0 && d[i].activeconns == 0)
			return (int)i;
		if (best < 0 || num * bd < bn * den)
			best = (int)i, bn = num, bd = den;
	}
	return best;
}

/* Connection counts span small ties up to values where 64-bit products of
 * overhead and weight would matter, with IPVS's 16-bit weights. */
static uint32_t rand_conns(void)
{
	switch (rand() % 3) {
	case 0:
		return (uint32_t)rand() % 4;
	case 1:
		return (uint32_t)rand() % 1000;
	default:
		return (uint32_t)rand() * 2u + (uint32_t)(rand() & 1);
	}
}

static void test_least_random(void **state)
{
	static const char *const names[] = { "lc", "wlc", "sed", "nq" };

	(void)state;
	srand(777);
	for (unsigned iter = 0; iter < 20000; iter++) {
		struct sched_dest d[MAXD];
		unsigned n = (unsigned)rand() % (MAXD + 1);

		for (unsigned i = 0; i < n; i++) {
			d[i] = dest((uint32_t)rand() % 4 == 0 ? 0 : (uint32_t)rand() % 65536);
			d[i].avail = rand() % 6 != 0;
			d[i].activeconns = rand_conns();
			d[i].inactconns = rand_conns();
		}
		for (unsigned s = 0; s < N(names); s++)
			assert_int_equal(pick(names[s], NULL, d, n), brute_min(names[s], d, n));
	}
}

/* Feeding picks back as active conns: wlc/sed/nq converge to the weights. */
static void test_converge(void **state)
{
	static const char *const names[] = { "wlc", "sed", "nq" };

	(void)state;
	for (unsigned s = 0; s < N(names); s++) {
		struct sched_dest d[3] = { dest(1), dest(2), dest(3) };

		for (unsigned i = 0; i < 600; i++) {
			int k = pick(names[s], NULL, d, N(d));

			assert_in_range(k, 0, 2);
			d[k].activeconns++;
		}
		assert_in_range(d[0].activeconns, 99, 101);
		assert_in_range(d[1].activeconns, 199, 201);
		assert_in_range(d[2].activeconns, 299, 301);
	}
}

/* lc ignores weights: the same feedback spreads evenly. */
static void test_lc_converge(void **state)
{
	struct sched_dest d[3] = { dest(1), dest(2), dest(3) };

	(void)state;
	for (unsigned i = 0; i < 600; i++)
		d[pick("lc", NULL, d, N(d))].activeconns++;
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(d[i].activeconns, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_none_usable),
		cmocka_unit_test(test_rr_cycles),
		cmocka_unit_test(test_rr_skips),
		cmocka_unit_test(test_rr_dest_changes),
		cmocka_unit_test(test_wrr_proportions),
		cmocka_unit_test(test_wrr_interleaves),
		cmocka_unit_test(test_wrr_gcd),
		cmocka_unit_test(test_wrr_skips),
		cmocka_unit_test(test_wrr_equal_is_rr),
		cmocka_unit_test(test_wrr_large_weights),
		cmocka_unit_test(test_wrr_weight_change),
		cmocka_unit_test(test_wrr_random_cycles),
		cmocka_unit_test(test_lc),
		cmocka_unit_test(test_wlc),
		cmocka_unit_test(test_sed),
		cmocka_unit_test(test_nq),
		cmocka_unit_test(test_least_random),
		cmocka_unit_test(test_converge),
		cmocka_unit_test(test_lc_converge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
