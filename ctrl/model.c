/* SPDX-License-Identifier: BSD-3-Clause */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"
#include "dataplane/snap.h"
#include "dataplane/worker.h"

struct model model;

/* Snapshots waiting for their grace period (grows with bursts of changes). */
struct retired_snap {
	struct snap *snap;
	uint64_t token;
};
static struct retired_snap *retired;
static unsigned n_retired, cap_retired;
/* A change the model holds that the last publish could not carry (ENOMEM). */
static bool dirty;

bool model_vip_owned(uint32_t vip, void *arg)
{
	const struct vipd_conf *c = arg;
	bool named = false;
	for (unsigned i = 0; i < c->n_vrrp; i++)
		for (unsigned j = 0; j < c->vrrp[i].n_vips; j++)
			if (c->vrrp[i].vips[j] == vip) {
				if (model.vrrp_master[i])
					return true;
				named = true;
			}
	/* A VIP no VRRP instance names is always ours. */
	return !named;
}

/* The real servers service i schedules over right now. */
static uint16_t effective_rs(unsigned i, struct snap_rs *out)
{
	const struct conf_vs *vs = &model.conf->vs[i];
	const struct model_svc *ms = &model.svc[i];
	if (!ms->quorum_ok && ms->sorry) {
		out[0].handle = ms->sorry;
		out[0].weight = 1;
		out[0].up = 1;
		return 1;
	}
	for (unsigned j = 0; j < ms->n_rs; j++) {
		out[j].handle = ms->rs[j];
		/*
		 * A failed server takes no new flow: weight 0 (inhibit_on_failure
		 * keeps its sessions; otherwise its up bit (RS_MAC_UP) drops them too).
		 */
		out[j].weight = ms->up[j] ? model_rs_weight(i, j) : 0;
		out[j].u_threshold = vs->rs[j].u_threshold > 0 ? (uint32_t)vs->rs[j].u_threshold : 0;
		out[j].l_threshold = vs->rs[j].l_threshold > 0 ? (uint32_t)vs->rs[j].l_threshold : 0;
		out[j].up = ms->up[j];
	}
	return (uint16_t)ms->n_rs;
}

static int grow_retired(void)
{
	unsigned cap = cap_retired ? cap_retired * 2 : 64;
	struct retired_snap *r = realloc(retired, sizeof(*r) * cap);
	if (r == NULL)
		return -ENOMEM;
	retired = r;
	cap_retired = cap;
	return 0;
}

int model_publish(void)
{
	const struct vipd_conf *c = model.conf;
	unsigned n = c->n_vs;
	uint16_t *slots = calloc(n + 1, sizeof(*slots));
	uint16_t *nrs = calloc(n + 1, sizeof(*nrs));
	struct snap_rs **lists = calloc(n + 1, sizeof(*lists));
	struct snap *s = NULL;
	bool ok = slots && nrs && lists;

	for (unsigned i = 0; ok && i < n; i++) {
		slots[i] = model.svc[i].slot;
		lists[i] = calloc(model.svc[i].n_rs + 1, sizeof(struct snap_rs));
		ok = lists[i] != NULL;
		if (ok)
			nrs[i] = effective_rs(i, lists[i]);
	}
	if (ok) {
		struct snap_src src = {
			.conf = c,
			.port_ids = model.port_ids,
			.svc_slot = slots,
			.rs = (const struct snap_rs *const *)lists,
			.n_rs = nrs,
			.vip_owned = model_vip_owned,
			.arg = (void *)c,
		};
		s = snap_build(&src);
	}
	for (unsigned i = 0; lists && i < n; i++)
		free(lists[i]);
	free(lists);
	free(slots);
	free(nrs);
	if (s == NULL || (n_retired == cap_retired && grow_retired() != 0)) {
		snap_free(s);
		/* The model has the change: the reclaim timer publishes it again. */
		dirty = true;
		VLOG_ERR("snapshot not published (out of memory); retrying");
		return -ENOMEM;
	}
	dirty = false;
	static uint32_t version;
	s->version = ++version;
	struct snap *old = __atomic_exchange_n(&dp_snap, s, __ATOMIC_ACQ_REL);
	if (old) {
		retired[n_retired].snap = old;
		retired[n_retired].token = rte_rcu_qsbr_start(dp_qs);
		n_retired++;
	}
	return 0;
}

void model_reclaim(void)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n_retired; i++) {
		if (rte_rcu_qsbr_check(dp_qs, retired[i].token, false) == 1)
			snap_free(retired[i].snap);
		else
			retired[k++] = retired[i];
	}
	n_retired = k;
	/* Every worker has passed a quiescent state since the last retirement. */
	if (n_retired == 0)
		rs_reclaim();
	if (dirty)
		model_publish();
}

uint16_t model_out_port(const struct vipd_conf *c, uint32_t addr)
{
	int pi = conf_port_for_addr(c, addr);
	return (uint16_t)(pi < 0 ? 0 : pi);
}

int64_t model_rs_alloc(const struct vipd_conf *c, const struct conf_vs *vs, uint32_t addr,
		       uint16_t port, uint8_t fwd, uint16_t svc)
{
	uint16_t out = model_out_port(c, addr);
	struct rs_spec sp = {
		.addr = addr,
		.port = __builtin_bswap16(port),
		.fwd = fwd,
		.out_port = out,
		.src = port_tab[out].addr,
		.src_mac = port_tab[out].mac64,
		.mtu = port_tab[out].mtu,
		.svc = svc,
		.vaddr = vs->addr,
		.vport = __builtin_bswap16(vs->port),
	};
	return rs_alloc(&sp);
}

int model_start(struct vipd_conf *c)
{
	unsigned total = 0;

	memset(&model, 0, sizeof(model));
	model.conf = c;
	for (unsigned i = 0; i < c->n_ports && i < 16; i++)
		model.port_ids[i] = port_tab[i].id;
	model.svc = calloc(c->n_vs + 1, sizeof(*model.svc));
	for (unsigned i = 0; i < c->n_vs; i++)
		total += c->vs[i].n_rs;
	model.live = calloc(total + c->n_vs + 1, sizeof(*model.live));
	model.vrrp_master = calloc(c->n_vrrp + 1, sizeof(*model.vrrp_master));
	if (model.svc == NULL || model.live == NULL || model.vrrp_master == NULL)
		return -ENOMEM;
	/*
	 * An instance configured MASTER holds its VIPs from the start, BACKUP
	 * does not; VRRP (when running) takes over from there.
	 */
	for (unsigned i = 0; i < c->n_vrrp; i++)
		model.vrrp_master[i] = c->vrrp[i].initial_master;

	for (unsigned i = 0; i < c->n_vs; i++) {
		const struct conf_vs *vs = &c->vs[i];
		struct model_svc *ms = &model.svc[i];
		int slot = svc_slot_alloc();
		if (slot < 0)
			return slot;
		ms->slot = (uint16_t)slot;
		ms->n_rs = vs->n_rs;
		ms->rs = calloc(vs->n_rs + 1, sizeof(*ms->rs));
		ms->up = calloc(vs->n_rs + 1, sizeof(*ms->up));
		if (ms->rs == NULL || ms->up == NULL)
			return -ENOMEM;
		for (unsigned j = 0; j < vs->n_rs; j++) {
			const struct conf_rs *rs = &vs->rs[j];
			int64_t h = model_rs_alloc(c, vs, rs->addr, rs->port,
						   (uint8_t)conf_rs_fwd(vs, rs), ms->slot);
			if (h < 0)
				return (int)h;
			ms->rs[j] = (uint32_t)h;
			model.live[model.n_live++] = (uint32_t)h;
			if (rs->has_mac)
				rs_set_mac((uint32_t)h, rs->mac, true);
			/* alpha: a checked real server starts down until it passes. */
			ms->up[j] = !(vs->alpha && rs->check.type != CONF_CHECK_NONE);
			if (!ms->up[j] && !rs->inhibit_on_failure)
				rs_set_avail((uint32_t)h, false);
		}
		if (vs->has_sorry) {
			int64_t h = model_rs_alloc(c, vs, vs->sorry_addr, vs->sorry_port,
						   (uint8_t)vs->fwd, ms->slot);
			if (h < 0)
				return (int)h;
			ms->sorry = (uint32_t)h;
			model.live[model.n_live++] = (uint32_t)h;
		}
		ms->quorum_ok = model_live_weight(i) >= vs->quorum;
	}
	return model_publish();
}

void model_stop(void)
{
	struct snap *s = __atomic_exchange_n(&dp_snap, NULL, __ATOMIC_ACQ_REL);
	/* Workers have stopped: no reader is left. */
	snap_free(s);
	for (unsigned i = 0; i < n_retired; i++)
		snap_free(retired[i].snap);
	n_retired = 0;
	free(retired);
	retired = NULL;
	cap_retired = 0;
	if (model.conf) {
		for (unsigned i = 0; i < model.conf->n_vs; i++) {
			free(model.svc[i].rs);
			free(model.svc[i].up);
			free(model.svc[i].wdyn);
		}
		conf_free(model.conf);
	}
	free(model.svc);
	free(model.live);
	free(model.vrrp_master);
	memset(&model, 0, sizeof(model));
	model_apply_free_old();
}

uint64_t model_live_weight(unsigned vs)
{
	const struct model_svc *ms = &model.svc[vs];
	uint64_t w = 0;
	for (unsigned j = 0; j < ms->n_rs; j++)
		if (ms->up[j])
			w += model_rs_weight(vs, j);
	return w;
}

uint32_t model_rs_weight(unsigned vs, unsigned rs)
{
	const struct model_svc *ms = &model.svc[vs];
	if (ms->wdyn && ms->wdyn[rs] != UINT32_MAX)
		return ms->wdyn[rs];
	return model.conf->vs[vs].rs[rs].weight;
}

/* keepalived's quorum with hysteresis, after the live weight moved. */
static int quorum_update(unsigned vs)
{
	const struct conf_vs *cv = &model.conf->vs[vs];
	struct model_svc *ms = &model.svc[vs];
	uint64_t live = model_live_weight(vs);
	if (ms->quorum_ok && live + cv->hysteresis < cv->quorum) {
		ms->quorum_ok = false;
		return MODEL_EV_QUORUM_LOST;
	}
	if (!ms->quorum_ok && live >= (uint64_t)cv->quorum + cv->hysteresis) {
		ms->quorum_ok = true;
		return MODEL_EV_QUORUM_GAINED;
	}
	return MODEL_EV_NONE;
}

int model_set_rs_weight(unsigned vs, unsigned rs, uint32_t weight)
{
	if (model.conf == NULL || vs >= model.conf->n_vs || rs >= model.svc[vs].n_rs ||
	    weight > 65535)
		return -EINVAL;
	struct model_svc *ms = &model.svc[vs];
	if (ms->wdyn == NULL) {
		ms->wdyn = malloc(sizeof(*ms->wdyn) * (ms->n_rs + 1));
		if (ms->wdyn == NULL)
			return -ENOMEM;
		for (unsigned j = 0; j <= ms->n_rs; j++)
			ms->wdyn[j] = UINT32_MAX;
	}
	if (model_rs_weight(vs, rs) == weight)
		return MODEL_EV_NONE;
	ms->wdyn[rs] = weight;
	int ev = quorum_update(vs);
	int rc = model_publish();
	return rc ? rc : ev;
}

int model_set_rs_health(unsigned vs, unsigned rs, bool up)
{
	if (model.conf == NULL || vs >= model.conf->n_vs || rs >= model.svc[vs].n_rs)
		return -EINVAL;
	const struct conf_vs *cv = &model.conf->vs[vs];
	struct model_svc *ms = &model.svc[vs];
	if (ms->up[rs] == up)
		return MODEL_EV_NONE;
	ms->up[rs] = up;
	/* Sessions: cut at once on every worker, unless inhibit_on_failure. */
	if (!cv->rs[rs].inhibit_on_failure)
		rs_set_avail(ms->rs[rs], up);
	/* New flows: the next snapshot has it at weight 0 (tables rebuilt). */
	bool republish = true;

	int ev = quorum_update(vs);
	if (ev != MODEL_EV_NONE && ms->sorry)
		republish = true;
	if (republish) {
		int rc = model_publish();
		if (rc)
			return rc;
	}
	return ev;
}

int model_set_vrrp_master(unsigned i, bool master)
{
	if (model.conf == NULL || i >= model.conf->n_vrrp)
		return -EINVAL;
	if (model.vrrp_master[i] == master)
		return 0;
	model.vrrp_master[i] = master;
	return model_publish();
}
