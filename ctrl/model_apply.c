/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_apply: move the running model to a new configuration by difference.
 *
 * A service is the same service when (VIP, port, protocol) match; a real
 * server is the same when (address, port) match within it and its method and
 * out port did not change. What is the same keeps its slot, handle, health,
 * counters and sessions; what is gone is retired (its sessions follow
 * expire_nodest_conn); what is new is allocated. One snapshot swap then
 * makes the whole change visible to the workers at once.
 *
 * Threading: control core only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "ctrl/model.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"

/* Configs replaced by a change, which a module may still point into. */
#define GRAVE_MAX 256
static struct vipd_conf *grave[GRAVE_MAX];
static unsigned n_grave;

void model_apply_free_old(void)
{
	while (n_grave)
		conf_free(grave[--n_grave]);
}

void model_apply_release(const struct vipd_conf *keep1, const struct vipd_conf *keep2)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n_grave; i++) {
		if (grave[i] == keep1 || grave[i] == keep2)
			grave[k++] = grave[i];
		else
			conf_free(grave[i]);
	}
	n_grave = k;
}

static int find_vs(const struct vipd_conf *c, const struct conf_vs *v)
{
	for (unsigned i = 0; c && i < c->n_vs; i++)
		if (c->vs[i].addr == v->addr && c->vs[i].port == v->port &&
		    c->vs[i].proto == v->proto)
			return (int)i;
	return -1;
}

static int find_rs(const struct conf_vs *vs, const struct conf_rs *r)
{
	for (unsigned j = 0; vs && j < vs->n_rs; j++)
		if (vs->rs[j].addr == r->addr && vs->rs[j].port == r->port)
			return (int)j;
	return -1;
}

/* Fill ms (new service i of c) reusing what old service o had; marks reused rs. */
static int build_svc(const struct vipd_conf *c, unsigned i, const struct model_svc *om,
		     const struct conf_vs *ov, bool *reused, struct model_svc *ms)
{
	const struct conf_vs *vs = &c->vs[i];
	ms->n_rs = vs->n_rs;
	ms->rs = calloc(vs->n_rs + 1, sizeof(*ms->rs));
	ms->up = calloc(vs->n_rs + 1, sizeof(*ms->up));
	if (ms->rs == NULL || ms->up == NULL)
		return -ENOMEM;
	for (unsigned j = 0; j < vs->n_rs; j++) {
		const struct conf_rs *r = &vs->rs[j];
		uint8_t fwd = (uint8_t)conf_rs_fwd(vs, r);
		uint16_t out = model_out_port(c, r->addr);
		int k = ov ? find_rs(ov, r) : -1;
		if (k >= 0) {
			const struct rs_slot *slot = rs_get(om->rs[k]);
			if (slot && slot->fwd == fwd && slot->out_port == out) {
				ms->rs[j] = om->rs[k];
				ms->up[j] = om->up[k];
				reused[k] = true;
				if (r->has_mac)
					rs_set_mac(ms->rs[j], r->mac, true);
				continue;
			}
		}
		int64_t h = model_rs_alloc(c, vs, r->addr, r->port, fwd, ms->slot);
		if (h < 0)
			return (int)h;
		ms->rs[j] = (uint32_t)h;
		ms->up[j] = !(vs->alpha && r->check.type != CONF_CHECK_NONE);
		if (r->has_mac)
			rs_set_mac((uint32_t)h, r->mac, true);
		if (!ms->up[j] && !r->inhibit_on_failure)
			rs_set_avail((uint32_t)h, false);
	}
	/* The sorry server is kept only when it is the same one. */
	if (vs->has_sorry) {
		if (om && om->sorry && ov->has_sorry && ov->sorry_addr == vs->sorry_addr &&
		    ov->sorry_port == vs->sorry_port && ov->fwd == vs->fwd) {
			ms->sorry = om->sorry;
		} else {
			int64_t h = model_rs_alloc(c, vs, vs->sorry_addr, vs->sorry_port,
						   (uint8_t)vs->fwd, ms->slot);
			if (h < 0)
				return (int)h;
			ms->sorry = (uint32_t)h;
		}
	}
	return 0;
}

static void retire_svc(const struct model_svc *om, const bool *reused, bool keep_sorry)
{
	for (unsigned k = 0; k < om->n_rs; k++)
		if (!reused || !reused[k])
			rs_retire(om->rs[k]);
	if (om->sorry && !keep_sorry)
		rs_retire(om->sorry);
}

int model_apply(struct vipd_conf *c)
{
	struct vipd_conf *old = model.conf;
	struct model_svc *nsvc = calloc(c->n_vs + 1, sizeof(*nsvc));
	bool *matched = calloc(old->n_vs + 1, sizeof(*matched));
	/* Per old service: which of its real servers the new config keeps. */
	bool **reused = calloc(old->n_vs + 1, sizeof(*reused));
	uint32_t *kept_sorry = calloc(old->n_vs + 1, sizeof(*kept_sorry));
	bool *vm = calloc(c->n_vrrp + 1, sizeof(*vm));
	unsigned total = 0;
	int rc = 0;

	if (nsvc == NULL || matched == NULL || vm == NULL || reused == NULL ||
	    kept_sorry == NULL || n_grave == GRAVE_MAX) {
		rc = n_grave == GRAVE_MAX ? -EBUSY : -ENOMEM;
		goto fail;
	}
	for (unsigned o = 0; o < old->n_vs; o++)
		if ((reused[o] = calloc(model.svc[o].n_rs + 1, sizeof(bool))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	for (unsigned i = 0; i < c->n_vs && rc == 0; i++) {
		int o = find_vs(old, &c->vs[i]);
		const struct model_svc *om = o >= 0 ? &model.svc[o] : NULL;
		const struct conf_vs *ov = o >= 0 ? &old->vs[o] : NULL;
		if (om && matched[o]) {
			/* Validation forbids duplicates; never share one old service. */
			om = NULL;
			ov = NULL;
		}
		if (om) {
			nsvc[i].slot = om->slot;
			matched[o] = true;
		} else {
			int slot = svc_slot_alloc();
			if (slot < 0) {
				rc = slot;
				break;
			}
			nsvc[i].slot = (uint16_t)slot;
		}
		rc = build_svc(c, i, om, ov, om ? reused[o] : NULL, &nsvc[i]);
		if (om)
			kept_sorry[o] = nsvc[i].sorry;
		total += c->vs[i].n_rs + 1;
	}
	if (rc)
		goto fail;
	/* Everything is built: only now retire what the new config dropped. */
	for (unsigned o = 0; o < old->n_vs; o++) {
		const struct model_svc *om = &model.svc[o];
		retire_svc(om, matched[o] ? reused[o] : NULL,
			   matched[o] && om->sorry && kept_sorry[o] == om->sorry);
		if (!matched[o])
			svc_slot_free(om->slot);
	}
	/* VRRP instances keep their state by name; new ones start configured. */
	for (unsigned i = 0; i < c->n_vrrp; i++) {
		vm[i] = c->vrrp[i].initial_master;
		for (unsigned k = 0; k < old->n_vrrp; k++)
			if (strcmp(old->vrrp[k].name, c->vrrp[i].name) == 0)
				vm[i] = model.vrrp_master[k];
	}
	uint32_t *live = calloc(total + 1, sizeof(*live));
	if (live == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	unsigned n_live = 0;
	for (unsigned i = 0; i < c->n_vs; i++) {
		for (unsigned j = 0; j < nsvc[i].n_rs; j++)
			live[n_live++] = nsvc[i].rs[j];
		if (nsvc[i].sorry)
			live[n_live++] = nsvc[i].sorry;
	}
	for (unsigned o = 0; o < old->n_vs; o++) {
		free(model.svc[o].rs);
		free(model.svc[o].up);
		free(model.svc[o].wdyn); /* a reload restores configured weights */
	}
	free(model.svc);
	free(model.live);
	free(model.vrrp_master);
	free(matched);
	for (unsigned o = 0; o < old->n_vs; o++)
		free(reused[o]);
	free(reused);
	free(kept_sorry);
	model.svc = nsvc;
	model.live = live;
	model.n_live = n_live;
	model.vrrp_master = vm;
	model.conf = c;
	for (unsigned i = 0; i < c->n_vs; i++)
		model.svc[i].quorum_ok = model_live_weight(i) + c->vs[i].hysteresis >= c->vs[i].quorum;
	grave[n_grave++] = old;
	/*
	 * The model is the new config from here: a publish that fails is
	 * retried by the reclaim timer, never undone (c now belongs here).
	 */
	model_publish();
	return 0;

fail:
	/*
	 * Handles allocated for the new config are not retired here: an
	 * allocation failure leaves the running model untouched and the few
	 * orphan slots unused, which is the lesser harm than a half change.
	 */
	for (unsigned i = 0; nsvc && i < c->n_vs; i++) {
		free(nsvc[i].rs);
		free(nsvc[i].up);
	}
	free(nsvc);
	free(matched);
	free(vm);
	for (unsigned o = 0; reused && o < old->n_vs; o++)
		free(reused[o]);
	free(reused);
	free(kept_sorry);
	VLOG_ERR("configuration change not applied: %s", strerror(-rc));
	return rc;
}
