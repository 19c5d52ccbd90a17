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

/* Snapshots (and retired slots) waiting for their grace period. */
#define RETIRED_MAX 64
static struct {
	struct snap *snap;
	uint64_t token;
} retired[RETIRED_MAX];
static unsigned n_retired;

bool model_vip_owned(uint32_t vip, void *arg)
{
	const struct vipd_conf *c = arg;
	for (unsigned i = 0; i < c->n_vrrp; i++)
		for (unsigned j = 0; j < c->vrrp[i].n_vips; j++)
			if (c->vrrp[i].vips[j] == vip)
				/*
				 * Until VRRP runs (its own issue), an instance keeps the
				 * state it is configured with: MASTER owns its VIPs.
				 */
				return c->vrrp[i].initial_master;
	return true;
}

int model_publish(void)
{
	const struct vipd_conf *c = model.conf;
	uint16_t *slots = calloc(c->n_vs + 1, sizeof(*slots));
	uint32_t **handles = calloc(c->n_vs + 1, sizeof(*handles));
	struct snap *s = NULL;

	if (slots && handles) {
		for (unsigned i = 0; i < c->n_vs; i++) {
			slots[i] = model.svc[i].slot;
			handles[i] = model.svc[i].rs;
		}
		s = snap_build(c, slots, handles, model.port_ids, model_vip_owned, (void *)c);
	}
	free(slots);
	free(handles);
	if (s == NULL)
		return -ENOMEM;
	if (n_retired == RETIRED_MAX) {
		/* Should not happen with a 10 ms reclaim timer; do not block. */
		snap_free(s);
		VLOG_ERR("too many snapshots awaiting their grace period; change deferred");
		return -EBUSY;
	}
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
	model.live = calloc(total + 1, sizeof(*model.live));
	if (model.svc == NULL || model.live == NULL)
		return -ENOMEM;

	for (unsigned i = 0; i < c->n_vs; i++) {
		const struct conf_vs *vs = &c->vs[i];
		struct model_svc *ms = &model.svc[i];
		int slot = svc_slot_alloc();
		if (slot < 0)
			return slot;
		ms->slot = (uint16_t)slot;
		ms->n_rs = vs->n_rs;
		ms->rs = calloc(vs->n_rs + 1, sizeof(*ms->rs));
		if (ms->rs == NULL)
			return -ENOMEM;
		for (unsigned j = 0; j < vs->n_rs; j++) {
			const struct conf_rs *rs = &vs->rs[j];
			int pi = conf_port_for_addr(c, rs->addr);
			uint16_t out = (uint16_t)(pi < 0 ? 0 : pi);
			int64_t h = rs_alloc(rs->addr, __builtin_bswap16(rs->port),
					     (uint8_t)conf_rs_fwd(vs, rs), out, ms->slot);
			if (h < 0)
				return (int)h;
			ms->rs[j] = (uint32_t)h;
			model.live[model.n_live++] = (uint32_t)h;
			if (rs->has_mac)
				rs_set_mac((uint32_t)h, rs->mac, true);
			/* alpha: a checked real server starts down until it passes. */
			if (vs->alpha && rs->check.type != CONF_CHECK_NONE)
				rs_set_avail((uint32_t)h, false);
		}
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
	if (model.conf) {
		for (unsigned i = 0; i < model.conf->n_vs; i++)
			free(model.svc[i].rs);
		conf_free(model.conf);
	}
	free(model.svc);
	free(model.live);
	memset(&model, 0, sizeof(model));
}
