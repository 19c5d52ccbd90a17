/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Locality schedulers (ip_vs_lblc.c, ip_vs_lblcr.c), for caches: a
 * destination address keeps going to the dest (lblc) or set of dests (lblcr)
 * it went to, unless that one is overloaded while another is at under half
 * its weight; then the least loaded dest (by overhead / weight) is taken and
 * remembered. The memory is a fixed per-worker cache (no allocation on the
 * packet path); an entry is forgotten when the service's dest set changes.
 */
#include <string.h>

#include "sched.h"

static uint64_t load(const struct sched_dest *d)
{
	return ((uint64_t)d->activeconns << 8) + d->inactconns;
}

/* Least overhead per weight among usable dests (the wlc rule). */
static int least_loaded(const struct sched_dest *d, unsigned n)
{
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		if (!sched_usable(&d[i]))
			continue;
		if (best < 0 || load(&d[i]) * d[best].weight < load(&d[best]) * d[i].weight)
			best = (int)i;
	}
	return best;
}

/* IPVS: busier than its weight while some other dest is under half of its own. */
static bool overloaded(const struct sched_dest *d, unsigned n, unsigned i)
{
	if (d[i].activeconns <= d[i].weight)
		return false;
	for (unsigned k = 0; k < n; k++)
		if (sched_usable(&d[k]) && (uint64_t)d[k].activeconns * 2 < d[k].weight)
			return true;
	return false;
}

static struct sched_lc_entry *entry(const struct sched_pkt *p)
{
	uint64_t k = (uint64_t)p->daddr << 16 | p->svc; /* both: services never share */
	uint32_t h = (uint32_t)((k * 0x9E3779B97F4A7C15ULL) >> 40);
	struct sched_lc_entry *e = &p->lc->e[h & (SCHED_LC_SIZE - 1)];
	if (e->daddr != p->daddr || e->svc != p->svc || e->gen != p->gen) {
		memset(e, 0, sizeof(*e));
		e->daddr = p->daddr;
		e->svc = p->svc;
		e->gen = p->gen;
	}
	return e;
}

static int sched_lblc(struct sched_state *st, const struct sched_dest *d, unsigned n,
		      const struct sched_pkt *p)
{
	(void)st;
	if (p->lc == NULL)
		return least_loaded(d, n);
	struct sched_lc_entry *e = entry(p);
	if (e->n && e->idx[0] < n && sched_usable(&d[e->idx[0]]) && !overloaded(d, n, e->idx[0]))
		return e->idx[0];
	int k = least_loaded(d, n);
	if (k >= 0) {
		e->idx[0] = (uint16_t)k;
		e->n = 1;
	}
	return k;
}

static int sched_lblcr(struct sched_state *st, const struct sched_dest *d, unsigned n,
		       const struct sched_pkt *p)
{
	(void)st;
	if (p->lc == NULL)
		return least_loaded(d, n);
	struct sched_lc_entry *e = entry(p);
	/* Least loaded member of the set that is still usable. */
	int best = -1;
	unsigned keep = 0;
	for (unsigned j = 0; j < e->n; j++) {
		uint16_t i = e->idx[j];
		if (i >= n || !sched_usable(&d[i]))
			continue;
		e->idx[keep++] = i;
		if (best < 0 || load(&d[i]) * d[best].weight < load(&d[best]) * d[i].weight)
			best = i;
	}
	e->n = (uint8_t)keep;
	if (best >= 0 && !overloaded(d, n, (unsigned)best))
		return best;
	/* The set is busy: grow it with the least loaded dest overall. */
	int k = least_loaded(d, n);
	if (k < 0)
		return best;
	bool member = false;
	for (unsigned j = 0; j < e->n; j++)
		member |= e->idx[j] == k;
	if (!member) {
		if (e->n == SCHED_LC_SET) {
			/* Full: the busiest member leaves, as lblcr's set shrinks. */
			unsigned worst = 0;
			for (unsigned j = 1; j < e->n; j++)
				if (load(&d[e->idx[j]]) * d[e->idx[worst]].weight >
				    load(&d[e->idx[worst]]) * d[e->idx[j]].weight)
					worst = j;
			e->idx[worst] = (uint16_t)k;
		} else {
			e->idx[e->n++] = (uint16_t)k;
		}
	}
	return k;
}

const struct sched_ops sched_lblc_ops = { "lblc", sched_lblc, NULL, true };
const struct sched_ops sched_lblcr_ops = { "lblcr", sched_lblcr, NULL, true };
