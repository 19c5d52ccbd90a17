/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sched_state_reset(struct sched_state *st)
{
	st->last = -1;
	st->cw = 0;
	st->gen = 0;
}

bool sched_overloaded(bool was, uint64_t conns, uint32_t u_threshold, uint32_t l_threshold)
{
	if (u_threshold == 0)
		return false;
	if (conns >= u_threshold)
		return true;
	if (!was)
		return false;
	/* Below u: stays overloaded until it drops under the lower bound. */
	if (l_threshold)
		return conns >= l_threshold;
	/* conns < u < 2^32 here, so neither product overflows. */
	return conns * 4 >= (uint64_t)u_threshold * 3;
}

#define usable sched_usable

/* Round robin over available, non-quiesced dests (ip_vs_rr.c). */
static int sched_rr(struct sched_state *st, const struct sched_dest *d,
		    unsigned n, const struct sched_pkt *pkt)
{
	(void)pkt;
	if (n == 0)
		return -1;
	/* No division per flow (tens of cycles): only a cursor left past a
	 * shrunk list needs the modulo. */
	unsigned i = st->last < 0 ? n - 1 : (unsigned)st->last;
	if (i >= n)
		i %= n;
	for (unsigned k = 1; k <= n; k++) {
		if (++i == n)
			i = 0;
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
	if (i >= (int32_t)n)
		i %= (int32_t)n; /* the next step is the same, without a division each */
	if ((uint32_t)st->cw > maxw)
		st->cw = (int32_t)maxw;
	/* Bounded: at most maxw/g rounds over n dests. */
	for (uint64_t guard = (uint64_t)n * (maxw / g + 1); guard > 0; guard--) {
		if (++i == (int32_t)n)
			i = 0;
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

/* Weighted failover: the available dest of highest weight (ip_vs_fo.c). */
static int sched_fo(struct sched_state *st, const struct sched_dest *d,
		    unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	(void)pkt;
	int best = -1;
	for (unsigned i = 0; i < n; i++)
		if (usable(&d[i]) && (best < 0 || d[i].weight > d[best].weight))
			best = (int)i;
	return best;
}

/*
 * Overflow-connection (ip_vs_ovf.c): the highest weight dest whose active
 * connections are still below its weight; then the next one down.
 */
static int sched_ovf(struct sched_state *st, const struct sched_dest *d,
		     unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	(void)pkt;
	int best = -1;
	for (unsigned i = 0; i < n; i++)
		if (usable(&d[i]) && d[i].activeconns < d[i].weight &&
		    (best < 0 || d[i].weight > d[best].weight))
			best = (int)i;
	return best;
}

/* A dest drawn with probability proportional to weight, from r. */
static int weighted_draw(const struct sched_dest *d, unsigned n, uint64_t total, uint32_t r)
{
	uint64_t x = ((uint64_t)r * total) >> 32;
	for (unsigned i = 0; i < n; i++) {
		if (!usable(&d[i]))
			continue;
		if (x < d[i].weight)
			return (int)i;
		x -= d[i].weight;
	}
	return -1;
}

/*
 * Power of two choices (ip_vs_twos.c): two weighted random picks, the one
 * with the lower overhead per weight wins.
 */
static int sched_twos(struct sched_state *st, const struct sched_dest *d,
		      unsigned n, const struct sched_pkt *pkt)
{
	(void)st;
	uint64_t total = 0;
	for (unsigned i = 0; i < n; i++)
		if (usable(&d[i]))
			total += d[i].weight;
	if (total == 0)
		return -1;
	uint32_t r1 = pkt->rnd, r2 = pkt->rnd * 2654435761u + 0x9E3779B9u;
	int a = weighted_draw(d, n, total, r1), b = weighted_draw(d, n, total, r2);
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	return overhead(&d[b]) * d[a].weight < overhead(&d[a]) * d[b].weight ? b : a;
}

static const struct sched_ops sched_table_ops[] = {
	{ "rr", sched_rr, NULL },
	{ "wrr", sched_wrr, NULL },
	{ "lc", sched_lc, NULL, true },
	{ "wlc", sched_wlc, NULL, true },
	{ "sed", sched_sed, NULL, true },
	{ "nq", sched_nq, NULL, true },
	{ "fo", sched_fo, NULL },
	{ "ovf", sched_ovf, NULL, true },
	{ "twos", sched_twos, NULL, true },
};

const struct sched_ops *sched_find(const char *name)
{
	static const struct sched_ops *const more[] = {
		&sched_dh_ops, &sched_sh_ops, &sched_mh_ops, &sched_lblc_ops, &sched_lblcr_ops,
	};
	for (unsigned i = 0; i < sizeof(sched_table_ops) / sizeof(sched_table_ops[0]); i++)
		if (strcmp(sched_table_ops[i].name, name) == 0)
			return &sched_table_ops[i];
	for (unsigned i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (strcmp(more[i]->name, name) == 0)
			return more[i];
	return NULL;
}

const char *sched_names(void)
{
	return "rr, wrr, lc, wlc, sed, nq, fo, ovf, twos, dh, sh, mh, lblc, lblcr";
}

int sched_parse_flags(const char *s, uint32_t *flags)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} names[] = {
		{ "sh-port", SCHED_F_PORT }, { "mh-port", SCHED_F_PORT },
		{ "sh-fallback", SCHED_F_FALLBACK }, { "mh-fallback", SCHED_F_FALLBACK },
		{ "flag-1", SCHED_F_FALLBACK }, { "flag-2", SCHED_F_PORT }, { "flag-3", 0 },
	};
	*flags = 0;
	while (s && *s) {
		size_t len = strcspn(s, ",| ");
		bool found = false;
		for (unsigned i = 0; len && i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(s, names[i].name, len) == 0) {
				*flags |= names[i].flag;
				found = true;
			}
		if (len && !found)
			return -EINVAL;
		s += len;
		s += strspn(s, ",| ");
	}
	return 0;
}

int sched_svc_build(const struct sched_ops *ops, const struct sched_dest *d, unsigned n,
		    uint32_t flags, struct sched_svc *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->flags = flags;
	return ops->build ? ops->build(d, n, sv) : 0;
}

void sched_svc_free(struct sched_svc *sv)
{
	free(sv->tab);
	sv->tab = NULL;
	sv->tab_size = 0;
}
