/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_sched: choosing a real server for a new flow on a worker lcore,
 * with persistence templates. Runs once per new flow, never for the packets
 * of an established one.
 */
#include <rte_ip.h>

#include "dataplane/clock.h"
#include "dataplane/rs.h"
#include "dataplane/worker_pvt.h"

/* xorshift32: twos' draws need cheap randomness, not rte_rand's per flow. */
static inline uint32_t next_rand(struct worker *w)
{
	uint32_t x = w->rnd;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rnd = x;
	return x;
}

/*
 * The dests as the scheduler sees them, with every worker's connection
 * counts summed and the thresholds applied: for schedulers that read counts,
 * or when a threshold is set.
 */
static void dests_counted(struct worker *w, const struct snap_svc *svc, struct sched_dest *d)
{
	for (unsigned i = 0; i < svc->n_rs; i++) {
		const struct rs_slot *r = rs_get(svc->rs[i].handle);
		uint32_t idx = rs_handle_idx(svc->rs[i].handle);
		int64_t act = 0, inact = 0;
		/* Connection counts are the sum of every worker's (plain loads). */
		for (unsigned k = 0; k < dp_n_workers; k++) {
			act += stats_lc[k]->rs[idx].active;
			inact += stats_lc[k]->rs[idx].inactive;
		}
		d[i].weight = svc->rs[i].weight;
		d[i].avail = r && rs_up(r);
		d[i].activeconns = act > 0 ? (uint32_t)act : 0;
		d[i].inactconns = inact > 0 ? (uint32_t)inact : 0;
		d[i].overloaded = sched_ovl_update(&w->ovl, idx,
						   (uint64_t)d[i].activeconns + d[i].inactconns,
						   svc->rs[i].u_threshold, svc->rs[i].l_threshold);
	}
}

/*
 * The same when nothing reads counts (rr, wrr, the hashing schedulers, no
 * threshold): weight and health only, a few loads per dest.
 */
static void dests_plain(const struct snap_svc *svc, struct sched_dest *d)
{
	for (unsigned i = 0; i < svc->n_rs; i++) {
		const struct rs_slot *r = rs_get(svc->rs[i].handle);
		d[i].weight = svc->rs[i].weight;
		d[i].avail = r && rs_up(r);
		d[i].activeconns = 0;
		d[i].inactconns = 0;
		d[i].overloaded = false;
	}
}

void worker_snap_changed(struct worker *w, const struct snap *sn)
{
	/* A threshold removed leaves no overload behind, as IPVS clears the
	 * flag when u_threshold goes to 0; dests_plain() no longer looks. */
	for (uint32_t v = 0; v < sn->n_svc; v++)
		for (unsigned i = 0; !sn->svc[v].counts && i < sn->svc[v].n_rs; i++)
			sched_ovl_clear(&w->ovl, rs_handle_idx(sn->svc[v].rs[i].handle));
	w->snap_version = sn->version;
}

/*
 * dests_plain() of svc, built once per snapshot and change of health: a run
 * of new flows to one service reuses them. NULL when svc has too many dests
 * to cache.
 */
static const struct sched_dest *dests_cached(struct worker *w, const struct snap_svc *svc)
{
	struct worker_dcache *c = &w->dcache;
	uint32_t g = __atomic_load_n(&rs_avail_gen, __ATOMIC_ACQUIRE);
	if (likely(c->valid && c->slot == svc->slot && c->version == w->snap->version &&
		   c->avail_gen == g))
		return c->d;
	if (svc->n_rs > WORKER_DCACHE_MAX)
		return NULL;
	dests_plain(svc, c->d);
	c->valid = true;
	c->slot = svc->slot;
	c->version = w->snap->version;
	c->avail_gen = g;
	return c->d;
}

/* The service's scheduler over dests d: a dest's index, or -1. */
static inline int schedule_with(struct worker *w, const struct snap_svc *svc,
				const struct pkt_info *pi, const struct sched_dest *d)
{
	struct sched_pkt sp = {
		.saddr = pi->key.saddr,
		.daddr = pi->key.daddr,
		.sport = pi->key.sport,
		.dport = pi->key.dport,
		.sv = &svc->sv,
		.lc = w->lcache,
		.svc = svc->slot,
		.gen = w->snap->version,
		.rnd = next_rand(w),
	};
	return svc->sched->schedule(&w->sched[svc->slot], d, svc->n_rs, &sp);
}

/*
 * worker_schedule() with the dests built on the stack: counts read, or too
 * many dests to cache. Out of line: the array's size is the service's, and
 * its stack arithmetic stays off the cached case.
 */
static __attribute__((noinline)) int schedule_uncached(struct worker *w,
						       const struct snap_svc *svc,
						       const struct pkt_info *pi)
{
	struct sched_dest dv[svc->n_rs ? svc->n_rs : 1];
	if (svc->counts)
		dests_counted(w, svc, dv);
	else
		dests_plain(svc, dv);
	return schedule_with(w, svc, pi, dv);
}

/* Pick a real server for a new flow; returns its handle or 0. */
uint32_t worker_schedule(struct worker *w, const struct snap_svc *svc, const struct pkt_info *pi)
{
	const struct sched_dest *d = svc->counts ? NULL : dests_cached(w, svc);
	int k = d != NULL ? schedule_with(w, svc, pi, d) : schedule_uncached(w, svc, pi);
	return k < 0 ? 0 : svc->rs[k].handle;
}

/* Persistence: reuse the client's template, or schedule and make one. */
uint32_t worker_schedule_persistent(struct worker *w, const struct snap_svc *svc,
				    const struct pkt_info *pi, uint32_t *tmpl_idx)
{
	struct sess_key tk = {
		.saddr = pi->key.saddr & svc->persist_mask,
		.daddr = svc->vip,
		.dport = svc->vport,
		.proto = svc->proto,
		.kflags = SESS_KEY_TEMPLATE,
	};
	uint64_t h = sess_hash(&tk);
	struct sess *t = sess_lookup(w->sess, &tk, h);
	uint32_t handle;

	if (t) {
		const struct rs_slot *r = rs_get(t->rs);
		if (r && rs_up(r)) {
			handle = t->rs;
		} else {
			handle = worker_schedule(w, svc, pi);
			if (handle == 0)
				return 0;
			t->rs = handle;
		}
	} else {
		handle = worker_schedule(w, svc, pi);
		if (handle == 0)
			return 0;
		t = sess_insert(w->sess, &tk, h, w->now, svc->persist_ticks);
		if (t == NULL)
			return handle; /* table full: serve the flow, unpinned */
		t->rs = handle;
		t->svc = svc->slot;
		w->st->templates++;
	}
	sess_touch(w->sess, t, w->now, svc->persist_ticks);
	*tmpl_idx = sess_index(w->sess, t);
	return handle;
}
