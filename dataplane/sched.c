/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched.h"

#include <string.h>

void sched_state_reset(struct sched_state *st)
{
	st->last = -1;
	st->cw = 0;
	st->gen = 0;
}

static bool usable(const struct sched_dest *d)
{
	return d->avail && d->weight > 0;
}

/* Round robin over available, non-quiesced dests (ip_vs_rr.c). */
static int sched_rr(struct sched_state *st, const struct sched_dest *d,
		    unsigned n, const struct sched_pkt *pkt)
{
	(void)pkt;
	if (n == 0)
		return -1;
	unsigned start = st->last < 0 ? n - 1 : (unsigned)st->last % n;
	for (unsigned k = 1; k <= n; k++) {
		unsigned i = (start + k) % n;
		if (usable(&d[i])) {
			st->last = (int32_t)i;
			return (int)i;
		}
	}
	return -1;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Interleaved weighted round robin as ip_vs_wrr.c: the current weight steps
 * down by the gcd of the weights each time the cursor wraps.
 */
static int sched_wrr(struct sched_state *st, const struct sched_dest *d,
		     unsigned n, const struct sched_pkt *pkt)
{
	(void)pkt;
	uint32_t maxw = 0, g = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!usable(&d[i]))
			continue;
		if (d[i].weight > maxw)
			maxw = d[i].weight;
		g = gcd32(g, d[i].weight);
	}
	if (maxw == 0)
		return -1;
	int32_t i = st->last < 0 ? -1 : st->last;
	if ((uint32_t)st->cw > maxw)
		st->cw = (int32_t)maxw;
	/* Bounded: at most maxw/g rounds over n dests. */
	for (uint64_t guard = (uint64_t)n * (maxw / g + 1); guard > 0; guard--) {
		i = (i + 1) % (int32_t)n;
		if (i == 0) {
			st->cw -= (int32_t)g;
			if (st->cw <= 0)
				st->cw = (int32_t)maxw;
		}
		if (usable(&d[i]) && d[i].weight >= (uint32_t)st->cw) {
			st->last = i;
			return i;
		}
	}
	return -1;
}

/* IPVS overhead: active connections weigh 256 times an inactive one. */
static uint64_t overhead(const struct sched_dest *d)
{
	return ((uint64_t)d->activeconns << 8) + d->inactconns;
}

static int sched_lc(struct sched_state *st, const struct sched_dest *d,
		    unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	(void)pkt;
	int best = -1;
	uint64_t bo = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!usable(&d[i]))
			continue;
		uint64_t o = overhead(&d[i]);
		if (best < 0 || o < bo) {
			best = (int)i;
			bo = o;
		}
	}
	return best;
}

/* Least overhead/weight, compared by cross multiplication as ip_vs_wlc.c. */
static int sched_wlc(struct sched_state *st, const struct sched_dest *d,
		     unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	(void)pkt;
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		if (!usable(&d[i]))
			continue;
		if (best < 0 || overhead(&d[i]) * d[best].weight <
					overhead(&d[best]) * d[i].weight)
			best = (int)i;
	}
	return best;
}

/* Shortest expected delay: (active + 1) / weight (ip_vs_sed.c). */
static int sched_sed(struct sched_state *st, const struct sched_dest *d,
		     unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	(void)pkt;
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		if (!usable(&d[i]))
			continue;
		if (best < 0 ||
		    ((uint64_t)d[i].activeconns + 1) * d[best].weight <
			    ((uint64_t)d[best].activeconns + 1) * d[i].weight)
			best = (int)i;
	}
	return best;
}

/* Never queue: an idle dest if there is one, else sed (ip_vs_nq.c). */
static int sched_nq(struct sched_state *st, const struct sched_dest *d,
		    unsigned n, const struct sched_pkt *pkt)
{
	for (unsigned i = 0; i < n; i++)
		if (usable(&d[i]) && d[i].activeconns == 0)
			return (int)i;
	return sched_sed(st, d, n, pkt);
}

static const struct sched_ops sched_table[] = {
	{ "rr", sched_rr },
	{ "wrr", sched_wrr },
	{ "lc", sched_lc },
	{ "wlc", sched_wlc },
	{ "sed", sched_sed },
	{ "nq", sched_nq },
};

const struct sched_ops *sched_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(sched_table) / sizeof(sched_table[0]); i++)
		if (strcmp(sched_table[i].name, name) == 0)
			return &sched_table[i];
	return NULL;
}

const char *sched_names(void)
{
	return "rr, wrr, lc, wlc, sed, nq";
}
