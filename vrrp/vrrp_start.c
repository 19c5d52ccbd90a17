/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_start: starting the instances (sockets, groups, scripts, warm-up),
 * following a reload, and stopping with a hand-over.
 */
#include "vrrp.h"
#include "vrrp/vrrp_pvt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- start / stop ---------------------------------------------------------- */

static int port_index(const struct vipd_conf *c, const char *name)
{
	for (unsigned p = 0; p < c->n_ports; p++)
		if (strcmp(c->ports[p].name, name) == 0)
			return (int)p;
	return -1;
}

/* Its scripts have a first result (or VRRP_SCRIPT_WAIT_MAX_S has passed);
 * its real servers are resolved (or VRRP_WARMUP_MAX_S has passed). */
static bool inst_ready(const struct vrrp_inst *in, uint64_t now)
{
	for (unsigned k = 0; k < in->n_scripts && now < vr.script_until; k++)
		if (in->scripts[k]->st.status == VRRP_SCRIPT_INIT)
			return false;
	return vrrp_track_neigh_ready(in->cv) || now >= vr.warm_until;
}

/*
 * Startup of each instance, once the real servers of its services are
 * resolved (or VRRP_WARMUP_MAX_S has passed): a configured MASTER coming
 * back would otherwise preempt the backup and send its gratuitous ARPs while
 * its dataplane still drops the VIPs' packets for want of a MAC. And once
 * each of its tracked scripts has a first result (keepalived: the first
 * result decides), for VRRP_SCRIPT_WAIT_MAX_S at most. The members of a
 * sync group start together, when every one of them is ready.
 */
static void on_warmup(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	uint64_t now = vr_mono_us();
	bool waiting = false;
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		if (in->fsm.running)
			continue;
		bool ready = inst_ready(in, now);
		const struct conf_vrrp_group *cg = in->group ? in->group->cg : NULL;
		for (unsigned k = 0; cg && ready && k < cg->n_members; k++)
			ready = inst_ready(&vr.inst[cg->member_idx[k]], now);
		if (!ready) {
			waiting = true;
			continue;
		}
		vrrp_fsm_start(&in->fsm, now);
		vr_arm(in);
		vr_publish(in);
	}
	if (!waiting && vr.warm_ev)
		event_del(vr.warm_ev);
}

/* What this build cannot do is refused, with the file and line. */
static int check_supported(const struct vipd_conf *c)
{
	int rc = 0;
	for (unsigned i = 0; i < c->n_vrrp; i++) {
		const struct conf_vrrp *v = &c->vrrp[i];
		int p = port_index(c, v->interface);
		if (p < 0 || (unsigned)p >= port_n || port_tab[p].tap == PORT_NONE) {
			VLOG_ERR("%s:%d: vrrp_instance %s: port '%s' has no kernel interface "
				 "(kernel = false): VRRP speaks through it", c->path, v->line,
				 v->name, v->interface);
			rc = -ENOTSUP;
		}
	}
	return rc;
}

static struct vrrp_if *iface_for(unsigned port, bool multicast, int *err)
{
	for (unsigned k = 0; k < vr.n_if; k++)
		if (vr.ifs[k].port == port)
			return &vr.ifs[k];
	struct vrrp_if *ifc = &vr.ifs[vr.n_if];
	int fd = vrrp_sock_open(port_tab[port].kernel_name, multicast);
	if (fd < 0) {
		VLOG_ERR("VRRP: raw socket on %s: %s", port_tab[port].kernel_name, strerror(-fd));
		*err = fd;
		return NULL;
	}
	ifc->port = port;
	ifc->fd = fd;
	ifc->ev = event_new(vr.base, fd, EV_READ | EV_PERSIST, vr_on_readable, ifc);
	if (ifc->ev == NULL || event_add(ifc->ev, NULL)) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	vr.n_if++;
	return ifc;
}

static bool port_multicast(const struct vipd_conf *c, unsigned port)
{
	for (unsigned i = 0; i < c->n_vrrp; i++)
		if (port_index(c, c->vrrp[i].interface) == (int)port && c->vrrp[i].n_peers == 0)
			return true;
	return false;
}

static int inst_init(struct vrrp_inst *in, unsigned i)
{
	const struct vipd_conf *c = vr.conf;
	const struct conf_vrrp *v = &c->vrrp[i];
	int err = 0;

	in->idx = i;
	in->cv = v;
	in->port = (unsigned)port_index(c, v->interface);
	for (unsigned t = 0; t < v->n_track_if; t++) {
		int p = port_index(c, v->track_if[t]);
		if (p >= 0)
			in->track[in->n_track++] = (unsigned)p;
	}
	in->ifc = iface_for(in->port, port_multicast(c, in->port), &err);
	if (in->ifc == NULL)
		return err;

	uint16_t adver_cs = (uint16_t)(v->advert_int * 100 + 0.5);
	in->pc = (struct vrrp_pkt_cfg){
		.version = v->version,
		.vrid = v->vrid,
		.adver_int_cs = adver_cs,
		.auth_pass = v->version == 2 && v->auth_pass,
		.naddr = (uint8_t)v->n_vips,
		.addrs = v->vips,
		.saddr = v->unicast_src ? v->unicast_src : port_tab[in->port].addr,
		.peers = v->peers,
		.n_peers = v->n_peers,
	};
	/* keepalived sends the first 8 characters, zero padded. */
	memcpy(in->pc.pass, v->auth_password, strnlen(v->auth_password, VRRP_AUTH_LEN));

	struct vrrp_fsm_cfg fc = {
		.version = v->version,
		.priority = v->priority,
		.adver_int_cs = adver_cs,
		.preempt = v->preempt,
		.preempt_delay_us = (uint64_t)(v->preempt_delay * 1e6),
		.primary = in->pc.saddr,
		.initial_master = v->initial_master,
	};
	vrrp_fsm_init(&in->fsm, &fc, &vr_fsm_ops, in);

	in->timer = evtimer_new(vr.base, vr_on_timer, in);
	in->garp_ev = evtimer_new(vr.base, vr_on_garp_delay, in);
	in->refresh_ev = event_new(vr.base, -1, EV_PERSIST, vr_on_garp_refresh, in);
	in->notifier = vrrp_notify_new(v, c->global.router_id);
	if (!in->timer || !in->garp_ev || !in->refresh_ev || !in->notifier)
		return -ENOMEM;

	snprintf(in->tel.name, sizeof(in->tel.name), "%s", v->name);
	snprintf(in->tel.interface, sizeof(in->tel.interface), "%s", v->interface);
	in->tel.vrid = v->vrid;
	in->tel.version = v->version;
	in->tel.base_priority = v->priority;
	in->tel.last_reason = vrrp_reason_names[VRRP_WHY_NONE];
	if (v->sync_group >= 0)
		snprintf(in->tel.sync_group, sizeof(in->tel.sync_group), "%s",
			 c->sync_groups[v->sync_group].name);
	return 0;
}

static int group_init(struct vrrp_group *g, unsigned idx)
{
	const struct vipd_conf *c = vr.conf;
	const struct conf_vrrp_group *cg = &c->sync_groups[idx];
	size_t off = 0;

	g->idx = idx;
	g->cg = cg;
	vrrp_sync_init(&g->sync, vr_group_transition, g);
	for (unsigned k = 0; k < cg->n_members; k++) {
		struct vrrp_inst *in = &vr.inst[cg->member_idx[k]];
		if (vrrp_sync_add(&g->sync, &in->fsm))
			return -E2BIG;
		in->group = g;
		if (off < sizeof(g->tel.members))
			off += snprintf(g->tel.members + off, sizeof(g->tel.members) - off, "%s%s",
					k ? "," : "", in->cv->name);
	}
	g->notifier = vrrp_notify_new_group(cg, c->global.router_id);
	if (g->notifier == NULL)
		return -ENOMEM;
	snprintf(g->tel.name, sizeof(g->tel.name), "%s", cg->name);
	g->tel.state = vrrp_state_name(VRRP_ST_INIT);
	vrrp_tel_put_group(idx, &g->tel);
	return 0;
}

/* One runner per script some instance tracks, shared by them. */
static int scripts_init(void)
{
	const struct vipd_conf *c = vr.conf;
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		const struct conf_vrrp *v = in->cv;
		for (unsigned k = 0; k < v->n_track_script; k++) {
			unsigned s = v->track_script_idx[k];
			const struct conf_vrrp_script *cs = &c->vrrp_scripts[s];
			if (vr.scripts[s] == NULL) {
				vr.scripts[s] = vrrp_script_new(vr.base, cs, s, vr_on_script, NULL);
				if (vr.scripts[s] == NULL)
					return -ENOMEM;
			}
			in->scripts[in->n_scripts++] = vr.scripts[s];
			if (cs->weight != 0 && v->priority == 255)
				VLOG_NOTICE("VRRP %s: priority 255 (address owner) never changes: "
					    "track_script %s's weight %d has no effect (keepalived wants "
					    "weight 0 here)", v->name, cs->name, (int)cs->weight);
		}
	}
	for (unsigned s = 0; s < vr.n_scripts; s++)
		if (vr.scripts[s] == NULL)
			VLOG_NOTICE("VRRP script %s: no instance tracks it; not run",
				    c->vrrp_scripts[s].name);
	return 0;
}

static void inst_free(struct vrrp_inst *in)
{
	if (in->timer)
		event_free(in->timer);
	if (in->garp_ev)
		event_free(in->garp_ev);
	if (in->refresh_ev)
		event_free(in->refresh_ev);
	vrrp_notify_free(in->notifier);
	memset(in, 0, sizeof(*in));
}

static void release_all(void)
{
	if (vr.poll_ev)
		event_free(vr.poll_ev);
	if (vr.warm_ev)
		event_free(vr.warm_ev);
	for (unsigned i = 0; i < vr.n; i++)
		inst_free(&vr.inst[i]);
	for (unsigned s = 0; vr.scripts && s < vr.n_scripts; s++)
		vrrp_script_free(vr.scripts[s]);
	free(vr.scripts);
	for (unsigned g = 0; vr.groups && g < vr.n_groups; g++)
		vrrp_notify_free(vr.groups[g].notifier);
	free(vr.groups);
	for (unsigned k = 0; k < vr.n_if; k++) {
		if (vr.ifs[k].ev)
			event_free(vr.ifs[k].ev);
		close(vr.ifs[k].fd);
	}
	free(vr.inst);
	vrrp_tel_fini();
	vrrp_track_fini();
	memset(&vr, 0, sizeof(vr));
}

int vrrp_module_start(struct event_base *base, const struct vipd_conf *c)
{
	int rc;
	if (c->n_vrrp == 0)
		return vrrp_tel_init(0, 0, 0); /* /vipd/vrrp answers, with no instance */
	if ((rc = check_supported(c)))
		return rc;
	memset(&vr, 0, sizeof(vr));
	vr.base = base;
	vr.conf = c;
	vr.inst = calloc(c->n_vrrp, sizeof(*vr.inst));
	vr.groups = calloc(c->n_sync_groups + 1, sizeof(*vr.groups));
	vr.scripts = calloc(c->n_vrrp_scripts + 1, sizeof(*vr.scripts));
	if (vr.inst == NULL || vr.groups == NULL || vr.scripts == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	vr.n_scripts = c->n_vrrp_scripts;
	if ((rc = vrrp_track_init()) ||
	    (rc = vrrp_tel_init(c->n_vrrp, c->n_sync_groups, c->n_vrrp_scripts)))
		goto fail;
	for (unsigned i = 0; i < c->n_vrrp; i++) {
		vr.n = i + 1;
		if ((rc = inst_init(&vr.inst[i], i)))
			goto fail;
	}
	for (unsigned g = 0; g < c->n_sync_groups; g++) {
		vr.n_groups = g + 1;
		if ((rc = group_init(&vr.groups[g], g)))
			goto fail;
	}
	if ((rc = scripts_init()))
		goto fail;
	vr.poll_ev = event_new(base, -1, EV_PERSIST, vr_on_poll, NULL);
	struct timeval tv = vr_tv_of(VRRP_TRACK_POLL_S);
	if (vr.poll_ev == NULL || event_add(vr.poll_ev, &tv)) {
		rc = -ENOMEM;
		goto fail;
	}
	uint64_t now = vr_mono_us();
	vr_svc_penalties();
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		char a[INET_ADDRSTRLEN], why[160];
		/* Fault and priority first: the Startup event must see them (the
		 * scripts' first results come before it, see on_warmup). */
		in->fault = !vr_inst_up(in, why, sizeof(why));
		if (in->fault)
			VLOG_WARN("VRRP %s: %s", in->cv->name, why);
		vrrp_fsm_set_fault(&in->fsm, now, in->fault);
		vrrp_fsm_set_priority(&in->fsm, now,
				      vrrp_prio_effective(in->cv->priority, -(int)in->svc_penalty));
		VLOG_NOTICE("VRRP %s: vrid %u v%u on %s from %s, priority %u, advert_int %g s, %s%s%s",
			    in->cv->name, in->cv->vrid, in->cv->version,
			    port_tab[in->port].kernel_name, vr_ip_str(in->pc.saddr, a), in->fsm.prio,
			    in->cv->advert_int, in->cv->n_peers ? "unicast" : "multicast",
			    in->group ? ", sync group " : "", in->group ? in->group->cg->name : "");
		vr_publish(in);
	}
	/* First runs now; each instance starts once its scripts have answered. */
	for (unsigned s = 0; s < vr.n_scripts; s++)
		if (vr.scripts[s] && (rc = vrrp_script_start(vr.scripts[s])))
			goto fail;
	vr_publish_scripts();
	/* The Startup events come from the warm-up timer, at once if it can. */
	vr.warm_until = now + (uint64_t)(VRRP_WARMUP_MAX_S * 1e6);
	vr.script_until = now + (uint64_t)(VRRP_SCRIPT_WAIT_MAX_S * 1e6);
	vr.warm_ev = event_new(base, -1, EV_PERSIST, on_warmup, NULL);
	struct timeval wt = vr_tv_of(0.01);
	if (vr.warm_ev == NULL || event_add(vr.warm_ev, &wt)) {
		rc = -ENOMEM;
		goto fail;
	}
	on_warmup(-1, 0, NULL);
	return 0;
fail:
	release_all();
	return rc;
}

/*
 * Shutdown of a master, make before break: the priority-0 advert makes the
 * backup take over after its Skew_Time; until it announces itself (its first
 * advert as master) we keep forwarding the VIPs, so that clients see no gap
 * at all. The control loop has ended, so this moves the kernel path and
 * reads the sockets itself, for a bounded time: the longest Skew_Time a
 * backup can have (priority 1) plus a margin. A lone director waits that
 * long (at most ~1.3 s) before it exits.
 */
static void handover(void)
{
	uint64_t bound = 0;
	for (unsigned i = 0; i < vr.n; i++) {
		const struct vrrp_inst *in = &vr.inst[i];
		uint64_t adv = in->pc.adver_int_cs * 10000ull;
		uint64_t skew = in->cv->version == 2 ? 1000000u : adv;
		if (in->handover && skew + HANDOVER_MARGIN_US > bound)
			bound = skew + HANDOVER_MARGIN_US;
	}
	uint64_t end = vr_mono_us() + bound;
	uint8_t buf[VRRP_PKT_MAX + 64];
	for (;;) {
		kpath_poll();
		for (unsigned k = 0; k < vr.n_if; k++) {
			ssize_t n;
			while ((n = vrrp_sock_recv(vr.ifs[k].fd, buf, sizeof(buf))) > 0) {
				struct vrrp_adv a;
				if (vrrp_pkt_parse(buf, (size_t)n, &a) != VRRP_PKT_OK)
					continue;
				struct vrrp_inst *in = vr_find(vr.ifs[k].port, a.vrid);
				if (in && in->handover && a.priority > 0 &&
				    vrrp_pkt_check(&a, &in->pc) == VRRP_PKT_OK) {
					char s[INET_ADDRSTRLEN];
					VLOG_NOTICE("VRRP %s: %s took over; releasing the VIPs",
						    in->cv->name, vr_ip_str(a.saddr, s));
					vr_set_owner(in, false);
					in->handover = false;
				}
			}
		}
		bool waiting = false;
		for (unsigned i = 0; i < vr.n; i++)
			waiting |= vr.inst[i].handover;
		if (!waiting || vr_mono_us() >= end)
			break;
		usleep(1000);
	}
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		if (in->handover) {
			VLOG_NOTICE("VRRP %s: no backup took over; releasing the VIPs", in->cv->name);
			vr_set_owner(in, false);
			in->handover = false;
		}
	}
	/* The last GARPs and adverts still have to reach the wire. */
	for (unsigned ms = 0; ms < STOP_FLUSH_MS; ms++) {
		kpath_poll();
		usleep(1000);
	}
}

void vrrp_module_stop(void)
{
	if (vr.inst == NULL)
		return;
	uint64_t now = vr_mono_us();
	bool goodbye = false;
	/*
	 * vipd exiting: the control loop was broken out of (SIGTERM/SIGINT), so
	 * we may wait for the hand-over. Otherwise this is a reload from inside
	 * the loop, which must not stall: the VIPs are released at once and the
	 * instance restarts right after (a configured MASTER re-asserts itself
	 * within the backup's Skew_Time, so the backup does not take over).
	 */
	bool exiting = event_base_got_break(vr.base);
	for (unsigned i = 0; i < vr.n; i++) {
		goodbye |= vr.inst[i].fsm.state == VRRP_ST_MASTER;
		vrrp_fsm_stop(&vr.inst[i].fsm, now);
	}
	if (goodbye && exiting) {
		handover();
	} else {
		for (unsigned i = 0; i < vr.n; i++)
			if (vr.inst[i].handover) {
				vr_set_owner(&vr.inst[i], false);
				vr.inst[i].handover = false;
			}
	}
	release_all();
}
