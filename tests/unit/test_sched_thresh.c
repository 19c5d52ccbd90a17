/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection thresholds (uthreshold/lthreshold): sched_overloaded() against
 * the IPVS rule (ip_vs_bind_dest/ip_vs_unbind_dest in ip_vs_conn.c, quoted in
 * sched.h), the per-worker bitmap sched_ovl_update() keeps it in, and a
 * scheduler fed with the result the way worker.c's schedule() feeds it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sched.h"

/* Walk conns from..to (either direction) and check the flag at each step. */
static bool walk(bool was, uint64_t from, uint64_t to, uint32_t u, uint32_t l,
		 uint64_t flips_at, bool *flipped)
{
	uint64_t c = from;
	for (;;) {
		bool now = sched_overloaded(was, c, u, l);
		if (now != was) {
			/* Each walk in one direction changes the flag at most once. */
			assert_false(*flipped);
			assert_true(c == flips_at);
			*flipped = true;
		}
		was = now;
		if (c == to)
			return was;
		c = from < to ? c + 1 : c - 1;
	}
}

/* u = 0 is no limit: never overloaded, and a set flag clears (IPVS does
 * the same when u is set to 0, __ip_vs_update_dest). */
static void test_no_limit(void **state)
{
	(void)state;
	const uint64_t conns[] = { 0, 1, 75, 100, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX };
	for (unsigned i = 0; i < sizeof(conns) / sizeof(conns[0]); i++)
		for (unsigned was = 0; was < 2; was++) {
			assert_false(sched_overloaded(was, conns[i], 0, 0));
			assert_false(sched_overloaded(was, conns[i], 0, 50));
		}
}

/* Rising to u sets the flag (at u, not after: the flow that brought the
 * count to u was accepted, as IPVS binds it and then sets the flag). */
static void test_rise_sets(void **state)
{
	(void)state;
	bool flipped = false;
	assert_true(walk(false, 0, 10, 10, 5, 10, &flipped));
	assert_true(flipped);
	assert_false(sched_overloaded(false, 9, 10, 5));
	assert_true(sched_overloaded(false, 10, 10, 5));
	assert_true(sched_overloaded(false, 11, 10, 5));
	/* Above u it stays set whatever the lower bound. */
	assert_true(sched_overloaded(true, 1000, 10, 5));
	assert_true(sched_overloaded(true, 1000, 10, 0));
}

/* Set, it stays set down to l and clears just below; then it takes u again
 * (not l) to set it. */
static void test_hysteresis_explicit_l(void **state)
{
	(void)state;
	bool flipped = false;
	assert_true(walk(false, 0, 10, 10, 5, 10, &flipped));
	flipped = false;
	assert_false(walk(true, 10, 0, 10, 5, 4, &flipped));
	assert_true(flipped);
	/* The band [l, u) keeps whatever the flag was. */
	for (uint64_t c = 5; c < 10; c++) {
		assert_true(sched_overloaded(true, c, 10, 5));
		assert_false(sched_overloaded(false, c, 10, 5));
	}
	assert_false(sched_overloaded(true, 4, 10, 5));
	flipped = false;
	assert_true(walk(false, 4, 12, 10, 5, 10, &flipped));
}

/* l = 0 defaults to 3/4 u: cleared when conns * 4 < u * 3, that is below
 * ceil(3u/4) (not floor: u = 10 clears at 7, keeps 8). */
static void test_default_l(void **state)
{
	(void)state;
	bool flipped = false;
	assert_false(walk(true, 100, 0, 100, 0, 74, &flipped));
	assert_true(sched_overloaded(true, 75, 100, 0));
	assert_false(sched_overloaded(true, 74, 100, 0));

	assert_true(sched_overloaded(true, 8, 10, 0));  /* 32 >= 30 */
	assert_false(sched_overloaded(true, 7, 10, 0)); /* 28 < 30 */
	/* u = 2: 3/4 u = 1.5, so 1 clears (the kernel's 4 < 6). */
	assert_false(sched_overloaded(true, 1, 2, 0));
	/* u = 1: no band at all. */
	assert_true(sched_overloaded(false, 1, 1, 0));
	assert_false(sched_overloaded(true, 0, 1, 0));
	/* u = 4: band {3}. */
	assert_true(sched_overloaded(true, 3, 4, 0));
	assert_false(sched_overloaded(true, 2, 4, 0));
	/* l = 0 means the default, not "clear only at 0". */
	assert_false(sched_overloaded(true, 1, 100, 0));
	assert_false(sched_overloaded(true, 74, 100, 0));
}

/* Edges: l = u has no band; l > u (the config refuses it) clears below u;
 * the largest u does not overflow. */
static void test_edges(void **state)
{
	(void)state;
	assert_true(sched_overloaded(true, 10, 10, 10));
	assert_false(sched_overloaded(true, 9, 10, 10));
	assert_false(sched_overloaded(true, 9, 10, 20));
	assert_true(sched_overloaded(true, 10, 10, 20));

	const uint32_t u = UINT32_MAX;
	assert_true(sched_overloaded(false, u, u, 0));
	assert_true(sched_overloaded(false, UINT64_MAX, u, 0));
	assert_false(sched_overloaded(false, (uint64_t)u - 1, u, 0));
	/* 3 * (2^32 - 1) / 4 = 3221225471.25: kept at ...472, cleared at ...471 */
	assert_true(sched_overloaded(true, 3221225472u, u, 0));
	assert_false(sched_overloaded(true, 3221225471u, u, 0));
	assert_true(sched_overloaded(true, (uint64_t)u - 1, u, u - 1));
	assert_false(sched_overloaded(true, (uint64_t)u - 2, u, u - 1));
}

/* The kernel's code, transcribed: the flag changes only when a connection
 * is bound (count up) or unbound (count down). */
struct ipvs_dest {
	int64_t conns;
	uint32_t u, l;
	bool overload;
};

static void ipvs_bind(struct ipvs_dest *d)
{
	d->conns++;
	if (d->u != 0 && d->conns >= d->u)
		d->overload = true;
}

static void ipvs_unbind(struct ipvs_dest *d)
{
	d->conns--;
	if (d->l != 0) {
		if (d->conns < d->l)
			d->overload = false;
	} else if (d->u != 0) {
		if (d->conns * 4 < (int64_t)d->u * 3)
			d->overload = false;
	} else {
		d->overload = false;
	}
}

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

/* Random walks of opens and closes: evaluating sched_overloaded after every
 * change gives the kernel's flag at every step. */
static void test_matches_ipvs(void **state)
{
	(void)state;
	rnd_state = 42;
	for (unsigned run = 0; run < 2000; run++) {
		struct ipvs_dest k = { .u = rnd(40), .l = 0 };
		if (k.u && rnd(2))
			k.l = 1 + rnd(k.u); /* 1..u, as the config allows */
		bool flag = false;
		for (unsigned step = 0; step < 400; step++) {
			/* Biased up at first so the walk reaches u, then free. */
			bool up = k.conns == 0 || rnd(100) < (step < 200 ? 60 : 45);
			if (up)
				ipvs_bind(&k);
			else
				ipvs_unbind(&k);
			flag = sched_overloaded(flag, (uint64_t)k.conns, k.u, k.l);
			assert_int_equal(flag, k.overload);
		}
	}
}

/* The bitmap: zeroed = nothing overloaded, one bit per slot, neighbours and
 * the words' edges independent. */
static void test_ovl_bitmap(void **state)
{
	(void)state;
	struct sched_ovl *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(sizeof(m->bits) * 8, SCHED_OVL_MAX);

	const uint32_t idx[] = { 0, 1, 63, 64, 65, 4095, 65534, 65535 };
	const unsigned n = sizeof(idx) / sizeof(idx[0]);
	for (unsigned i = 0; i < n; i++)
		assert_false(sched_ovl_update(m, idx[i], 5, 10, 5));
	/* Set every other one: 0, 63, 65, 65534. */
	for (unsigned i = 0; i < n; i += 2)
		assert_true(sched_ovl_update(m, idx[i], 10, 10, 5));
	/* In the band, each keeps its own memory. */
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sched_ovl_update(m, idx[i], 7, 10, 5), i % 2 == 0);
	/* Clearing one leaves the others. */
	assert_false(sched_ovl_update(m, 63, 4, 10, 5));
	assert_false(sched_ovl_update(m, 63, 7, 10, 5));
	assert_false(sched_ovl_update(m, 64, 7, 10, 5));
	assert_true(sched_ovl_update(m, 0, 7, 10, 5));
	assert_true(sched_ovl_update(m, 65, 7, 10, 5));
	assert_true(sched_ovl_update(m, 65534, 7, 10, 5));
	unsigned set = 0;
	for (unsigned w = 0; w < SCHED_OVL_MAX / 64; w++)
		set += (unsigned)__builtin_popcountll(m->bits[w]);
	assert_int_equal(set, 3); /* 0, 65, 65534 */

	/* u set to 0 (reload): the stale bit goes, so a later limit starts
	 * from "not overloaded" as IPVS's does. */
	assert_false(sched_ovl_update(m, 0, 7, 0, 0));
	assert_false(sched_ovl_update(m, 0, 7, 10, 5));
	/* A slot reused by a new server (0 conns) sheds its old bit at once. */
	assert_false(sched_ovl_update(m, 65, 0, 10, 5));
	assert_false(sched_ovl_update(m, 65534, 0, 3, 0));
	for (unsigned w = 0; w < SCHED_OVL_MAX / 64; w++)
		assert_int_equal(m->bits[w], 0);
	free(m);
}

/* Two workers' bitmaps are independent memories of the same rule. */
static void test_ovl_per_worker(void **state)
{
	(void)state;
	struct sched_ovl *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	assert_true(sched_ovl_update(a, 7, 10, 10, 5));
	/* b never saw the count at u: in the band it is not overloaded. */
	assert_false(sched_ovl_update(b, 7, 8, 10, 5));
	assert_true(sched_ovl_update(a, 7, 8, 10, 5));
	free(a);
	free(b);
}

/* Two dests as worker.c's schedule() sees them: slot, limits, counts. */
struct two {
	struct sched_ovl *m;
	struct sched_state st;
	struct sched_dest d[2];
	uint32_t slot[2], u[2], l[2], conns[2];
};

/* What schedule() does per dest, then the pick. */
static int two_pick(struct two *t, const struct sched_ops *ops)
{
	struct sched_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	for (int i = 0; i < 2; i++) {
		t->d[i].activeconns = t->conns[i];
		t->d[i].overloaded = sched_ovl_update(t->m, t->slot[i], t->conns[i], t->u[i],
						      t->l[i]);
	}
	return ops->schedule(&t->st, t->d, 2, &pkt);
}

/*
 * rr over two dests, dest 0 limited to u = 4, l = 2: it takes flows up to 4,
 * none while it drains through 3 and 2, and is back in rotation at 1.
 */
static void test_rr_with_thresholds(void **state)
{
	(void)state;
	const struct sched_ops *rr = sched_find("rr");
	assert_non_null(rr);
	struct two t = {
		.slot = { 100, 200 }, .u = { 4, 0 }, .l = { 2, 0 },
		.d = { { .weight = 1, .avail = true }, { .weight = 1, .avail = true } },
	};
	t.m = calloc(1, sizeof(*t.m));
	assert_non_null(t.m);
	sched_state_reset(&t.st);

	unsigned to0 = 0;
	for (int f = 0; f < 20; f++) {
		int k = two_pick(&t, rr);
		assert_true(k == 0 || k == 1);
		t.conns[k]++;
		to0 += k == 0;
	}
	assert_int_equal(to0, 4);
	assert_int_equal(t.conns[0], 4);
	t.conns[0] = 3;
	assert_int_equal(two_pick(&t, rr), 1);
	t.conns[0] = 2;
	assert_int_equal(two_pick(&t, rr), 1);
	assert_int_equal(two_pick(&t, rr), 1);
	t.conns[0] = 1;
	int k = two_pick(&t, rr);
	if (k == 1)
		k = two_pick(&t, rr);
	assert_int_equal(k, 0);
	free(t.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_rise_sets),
		cmocka_unit_test(test_hysteresis_explicit_l),
		cmocka_unit_test(test_default_l),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_matches_ipvs),
		cmocka_unit_test(test_ovl_bitmap),
		cmocka_unit_test(test_ovl_per_worker),
		cmocka_unit_test(test_rr_with_thresholds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
