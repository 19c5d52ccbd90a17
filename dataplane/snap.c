/* SPDX-License-Identifier: BSD-3-Clause */
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dataplane/clock.h"
#include "dataplane/rs.h"

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 4;
	while (p < n)
		p <<= 1;
	return p;
}

static void *carve(uint8_t **p, size_t n)
{
	void *r = *p;
	*p += (n + 15) & ~(size_t)15;
	return r;
}

/* Distinct VIPs of services and VRRP instances; returns how many. */
static uint32_t collect_vips(const struct vipd_conf *c, uint32_t *out, uint32_t max)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < c->n_vs; i++)
		out[n++] = c->vs[i].addr;
	for (unsigned i = 0; i < c->n_vrrp; i++)
		for (unsigned j = 0; j < c->vrrp[i].n_vips && n < max; j++)
			out[n++] = c->vrrp[i].vips[j];
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k;
		for (k = 0; k < m && out[k] != out[i]; k++)
			;
		if (k == m)
			out[m++] = out[i];
	}
	return m;
}

/* Table schedulers (sh, dh, mh) index a table built here from the dests. */
static int build_sched(const struct conf_vs *cv, struct snap_svc *v)
{
	uint32_t flags = 0;
	sched_parse_flags(cv->sched_flags, &flags); /* validated by conf */
	struct sched_dest *d = calloc(v->n_rs + 1, sizeof(*d));
	if (d == NULL)
		return -1;
	for (unsigned j = 0; j < v->n_rs; j++) {
		const struct rs_slot *r = &rs_slots[rs_handle_idx(v->rs[j].handle)];
		d[j].weight = v->rs[j].weight;
		d[j].avail = true;
		d[j].key = (uint64_t)r->addr << 16 | r->port;
	}
	int rc = sched_svc_build(v->sched, d, v->n_rs, flags, &v->sv);
	free(d);
	return rc;
}

static void natrs_add(struct snap *s, uint32_t addr, uint16_t port_host, uint8_t proto)
{
	uint64_t k = snap_natrs_key(addr, __builtin_bswap16(port_host), proto);
	uint32_t h = snap_natrs_hash(k) & s->natrs_hmask;
	for (; s->natrs_keys[h]; h = (h + 1) & s->natrs_hmask)
		if (s->natrs_keys[h] == k)
			return;
	s->natrs_keys[h] = k;
	s->n_natrs++;
}

static void build_natrs(const struct vipd_conf *c, struct snap *s)
{
	for (unsigned i = 0; i < c->n_vs; i++) {
		const struct conf_vs *vs = &c->vs[i];
		for (unsigned j = 0; j < vs->n_rs; j++)
			if (conf_rs_fwd(vs, &vs->rs[j]) == CONF_FWD_NAT)
				natrs_add(s, vs->rs[j].addr, vs->rs[j].port, vs->proto);
		if (vs->has_sorry && vs->fwd == CONF_FWD_NAT)
			natrs_add(s, vs->sorry_addr, vs->sorry_port, vs->proto);
	}
}

struct snap *snap_build(const struct snap_src *src)
{
	const struct vipd_conf *c = src->conf;
	uint32_t maxv = c->n_vs + c->n_vrrp * 32 + 1;
	uint32_t *vips = calloc(maxv, sizeof(*vips));
	if (vips == NULL)
		return NULL;
	uint32_t n_vip = collect_vips(c, vips, maxv);
	uint32_t n_rs = 0;
	for (unsigned i = 0; i < c->n_vs; i++)
		n_rs += src->n_rs[i];
	uint32_t n_nat = 0;
	for (unsigned i = 0; i < c->n_vs; i++)
		for (unsigned j = 0; j < c->vs[i].n_rs; j++)
			n_nat += conf_rs_fwd(&c->vs[i], &c->vs[i].rs[j]) == CONF_FWD_NAT;
	for (unsigned i = 0; i < c->n_vs; i++)
		n_nat += c->vs[i].has_sorry && c->vs[i].fwd == CONF_FWD_NAT;
	uint32_t nat_hsize = pow2_at_least(n_nat * 2);
	uint32_t svc_hsize = pow2_at_least(c->n_vs * 2);
	uint32_t vip_hsize = pow2_at_least(n_vip * 2);

	size_t size = sizeof(struct snap) + 16 + (sizeof(struct snap_svc) + 16) * c->n_vs +
		      (sizeof(struct snap_rs)) * n_rs + 16 * c->n_vs +
		      sizeof(struct snap_vip) * n_vip + 16 +
		      sizeof(uint16_t) * (svc_hsize + vip_hsize) + 32 +
		      sizeof(uint64_t) * nat_hsize + 32;
	uint8_t *p = calloc(1, size);
	if (p == NULL) {
		free(vips);
		return NULL;
	}
	struct snap *s = carve(&p, sizeof(*s));
	s->n_svc = c->n_vs;
	s->n_vip = n_vip;
	s->svc = carve(&p, sizeof(struct snap_svc) * c->n_vs);
	s->vip = carve(&p, sizeof(struct snap_vip) * n_vip);
	s->svc_hash = carve(&p, sizeof(uint16_t) * svc_hsize);
	s->vip_hash = carve(&p, sizeof(uint16_t) * vip_hsize);
	s->svc_hmask = svc_hsize - 1;
	s->natrs_keys = carve(&p, sizeof(uint64_t) * nat_hsize);
	s->natrs_hmask = nat_hsize - 1;
	s->vip_hmask = vip_hsize - 1;

	for (uint32_t i = 0; i < c->n_vs; i++) {
		const struct conf_vs *cv = &c->vs[i];
		struct snap_svc *v = &s->svc[i];
		v->vip = cv->addr;
		v->vport = __builtin_bswap16(cv->port);
		v->proto = cv->proto;
		v->fwd = (uint8_t)cv->fwd;
		v->slot = src->svc_slot[i];
		v->sched = sched_find(cv->scheduler);
		v->persist_ticks = clock_secs_to_ticks(cv->persistence_timeout);
		v->persist_mask = cv->persistence_netmask;
		v->n_rs = src->n_rs[i];
		v->rs = carve(&p, sizeof(struct snap_rs) * v->n_rs);
		memcpy(v->rs, src->rs[i], sizeof(struct snap_rs) * v->n_rs);
		v->counts = v->sched && v->sched->conns;
		v->nat = cv->has_sorry && cv->fwd == CONF_FWD_NAT;
		for (unsigned j = 0; j < cv->n_rs; j++)
			v->nat |= conf_rs_fwd(cv, &cv->rs[j]) == CONF_FWD_NAT;
		for (unsigned j = 0; j < v->n_rs; j++)
			v->counts |= v->rs[j].u_threshold != 0;
		if (build_sched(cv, v) != 0) {
			snap_free(s);
			free(vips);
			return NULL;
		}
		uint32_t k2 = (uint32_t)v->vport << 8 | v->proto;
		uint32_t h = snap_mix(v->vip, k2) & s->svc_hmask;
		while (s->svc_hash[h])
			h = (h + 1) & s->svc_hmask;
		s->svc_hash[h] = (uint16_t)(i + 1);
	}
	for (uint32_t i = 0; i < n_vip; i++) {
		struct snap_vip *v = &s->vip[i];
		int pi = conf_port_for_addr(c, vips[i]);
		v->addr = vips[i];
		v->port = src->port_ids[pi < 0 ? 0 : pi];
		v->owned = src->vip_owned ? src->vip_owned(v->addr, src->arg) : 1;
		for (unsigned k = 0; k < c->n_vrrp; k++)
			for (unsigned j = 0; j < c->vrrp[k].n_vips; j++)
				if (c->vrrp[k].use_vmac && c->vrrp[k].vips[j] == v->addr)
					v->vmac_vrid = c->vrrp[k].vrid;
		if (v->owned && v->vmac_vrid)
			s->vmac_held[v->vmac_vrid / 8] |= (uint8_t)(1u << (v->vmac_vrid % 8));
		uint32_t h = snap_mix(v->addr, 0) & s->vip_hmask;
		while (s->vip_hash[h])
			h = (h + 1) & s->vip_hmask;
		s->vip_hash[h] = (uint16_t)(i + 1);
		snap_vip_filter_add(s, v->addr);
	}
	free(vips);
	for (uint32_t i = 0; i < s->n_svc; i++) {
		const struct snap_vip *v = snap_vip_find(s, s->svc[i].vip);
		s->svc[i].owned = v && v->owned;
	}
	build_natrs(c, s);
	s->owner_mask = 0xffffffff;
	for (unsigned i = 0; i < c->n_vs; i++)
		if (c->vs[i].persistence_timeout &&
		    __builtin_bswap32(c->vs[i].persistence_netmask) <
			    __builtin_bswap32(s->owner_mask))
			s->owner_mask = c->vs[i].persistence_netmask;

	const struct conf_global *g = &c->global;
	s->t_tcp = clock_secs_to_ticks(g->tcp_timeout);
	s->t_tcpfin = clock_secs_to_ticks(g->tcpfin_timeout);
	s->t_udp = clock_secs_to_ticks(g->udp_timeout);
	s->sloppy_tcp = g->sloppy_tcp;
	s->expire_nodest = g->expire_nodest_conn;
	s->no_service_reply = g->no_service_reply;
	return s;
}

void snap_free(struct snap *s)
{
	for (uint32_t i = 0; s && i < s->n_svc; i++)
		sched_svc_free(&s->svc[i].sv);
	free(s);
}
