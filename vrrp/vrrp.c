/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp.h"
#include "vrrp/vrrp_pvt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "ctrl/kpath.h"
#include "ctrl/log.h"
#include "ctrl/model.h"
#include "dataplane/neigh.h"
#include "dataplane/port.h"
#include "vrrp/vrrp_fsm.h"
#include "vrrp/vrrp_notify.h"
#include "vrrp/vrrp_pkt.h"
#include "vrrp/vrrp_script.h"
#include "vrrp/vrrp_sock.h"
#include "vrrp/vrrp_tel.h"
#include "vrrp/vrrp_track.h"

/* Packets read per readiness callback: a flood must not starve the loop. */
struct vrrp_module vr;

uint64_t vr_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct timeval vr_tv_of(double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
	return tv;
}

const char *vr_ip_str(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

void vr_publish(struct vrrp_inst *in)
{
	size_t off = 0;
	in->tel.track_scripts[0] = '\0';
	for (unsigned k = 0; k < in->n_scripts && off < sizeof(in->tel.track_scripts); k++)
		off += snprintf(in->tel.track_scripts + off, sizeof(in->tel.track_scripts) - off,
				"%s%s=%s", k ? "," : "", in->scripts[k]->cs->name,
				vrrp_script_status_name(in->scripts[k]->st.status));
	in->tel.state = vrrp_state_name(in->fsm.state);
	in->tel.priority = in->fsm.prio;
	in->tel.master = in->fsm.master_addr;
	vrrp_tel_put(in->idx, &in->tel);
}

/* Ask libevent to call us at the state machine's next deadline. */
void vr_arm(struct vrrp_inst *in)
{
	uint64_t next = vrrp_fsm_next(&in->fsm);
	if (next == UINT64_MAX) {
		evtimer_del(in->timer);
		return;
	}
	uint64_t now = vr_mono_us();
	uint64_t d = next > now ? next - now : 0;
	struct timeval tv = { (time_t)(d / 1000000u), (suseconds_t)(d % 1000000u) };
	evtimer_add(in->timer, &tv);
}

/* ---- sending ------------------------------------------------------------ */

static void send_to(struct vrrp_inst *in, uint8_t prio, uint32_t daddr)
{
	uint8_t buf[VRRP_PKT_MAX];
	size_t len = vrrp_pkt_build(buf, sizeof(buf), &in->pc, prio, daddr, ++in->ip_id);
	int rc = len ? vrrp_sock_send(in->ifc->fd, buf, len, daddr) : -EMSGSIZE;
	if (rc == 0) {
		in->tel.adverts_out++;
		return;
	}
	if (in->tel.send_errors++ == 0)
		VLOG_WARN("VRRP %s: sending an advert: %s (counted as send_errors)", in->cv->name,
			  strerror(-rc));
}

static void fsm_send(void *arg, uint8_t prio)
{
	struct vrrp_inst *in = arg;
	if (in->cv->n_peers == 0) {
		send_to(in, prio, htonl(VRRP_MCAST_GROUP));
	} else {
		for (unsigned k = 0; k < in->cv->n_peers; k++)
			send_to(in, prio, in->cv->peers[k]);
	}
}

/* ---- owning the VIPs ------------------------------------------------------ */

static void garp_burst(struct vrrp_inst *in, unsigned repeat)
{
	for (unsigned r = 0; r < repeat; r++)
		for (unsigned k = 0; k < in->cv->n_vips; k++)
			neigh_garp((uint16_t)in->port, in->cv->vips[k]);
}

void vr_on_garp_delay(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	if (in->fsm.state == VRRP_ST_MASTER)
		garp_burst(in, in->cv->garp_master_repeat);
}

void vr_on_garp_refresh(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	/* Keeps ARP caches right after a split brain healed (keepalived's refresh). */
	if (in->fsm.state == VRRP_ST_MASTER)
		garp_burst(in, 1);
}

void vr_set_owner(struct vrrp_inst *in, bool master)
{
	int rc = model_set_vrrp_master(in->idx, master);
	if (rc)
		VLOG_ERR("VRRP %s: %s the VIPs failed: %s (retried every %g s)", in->cv->name,
			 master ? "taking" : "releasing", strerror(-rc), VRRP_TRACK_POLL_S);
}

static void fsm_transition(void *arg, enum vrrp_state from, enum vrrp_state to,
			   enum vrrp_reason why)
{
	struct vrrp_inst *in = arg;
	const struct conf_vrrp *cv = in->cv;
	char a[INET_ADDRSTRLEN];

	if (to == VRRP_ST_MASTER) {
		/* Own first, then announce: the dataplane answers ARP from the
		 * next packet on, so the gratuitous ARPs never point at a MAC
		 * that still drops the VIP's traffic. */
		vr_set_owner(in, true);
		garp_burst(in, cv->garp_master_repeat);
		if (cv->garp_master_delay > 0) {
			struct timeval tv = vr_tv_of(cv->garp_master_delay);
			evtimer_add(in->garp_ev, &tv);
		}
		if (cv->garp_master_refresh > 0) {
			struct timeval tv = vr_tv_of(cv->garp_master_refresh);
			event_add(in->refresh_ev, &tv);
		}
	} else {
		/* Shutdown of a master: vrrp_module_stop releases the VIPs once a
		 * backup has taken over (make before break). */
		in->handover = from == VRRP_ST_MASTER && why == VRRP_WHY_SHUTDOWN;
		if (!in->handover)
			vr_set_owner(in, false);
		evtimer_del(in->garp_ev);
		event_del(in->refresh_ev);
	}
	in->tel.transitions++;
	in->tel.last_transition = time(NULL);
	in->tel.last_reason = vrrp_reason_names[why];
	/* A sync group moves the other members from here: their timers too. */
	vr_arm(in);
	vr_publish(in);

	const char *state = to == VRRP_ST_INIT ? "STOP" : vrrp_state_name(to);
	if (to == VRRP_ST_BACKUP && in->fsm.master_addr)
		VLOG_NOTICE("VRRP %s: %s -> %s (%s), priority %u, master %s", cv->name,
			    vrrp_state_name(from), state, vrrp_reason_names[why], in->fsm.prio,
			    vr_ip_str(in->fsm.master_addr, a));
	else
		VLOG_NOTICE("VRRP %s: %s -> %s (%s), priority %u", cv->name,
			    vrrp_state_name(from), state, vrrp_reason_names[why], in->fsm.prio);
	if (in->notifier)
		vrrp_notify_state(in->notifier, state, in->fsm.prio, vrrp_reason_names[why]);
}

const struct vrrp_fsm_ops vr_fsm_ops = { fsm_send, fsm_transition };

void vr_group_transition(void *arg, enum vrrp_state from, enum vrrp_state to)
{
	struct vrrp_group *g = arg;
	const char *state = to == VRRP_ST_INIT ? "STOP" : vrrp_state_name(to);
	char why[256];
	size_t off = 0;

	why[0] = '\0';
	for (unsigned k = 0; k < g->sync.n && off < sizeof(why); k++) {
		const struct vrrp_fsm *m = g->sync.member[k];
		off += snprintf(why + off, sizeof(why) - off, "%s%s %s (%s)", k ? ", " : "",
				((const struct vrrp_inst *)m->arg)->cv->name, vrrp_state_name(m->state),
				vrrp_reason_names[m->why]);
	}
	g->tel.state = vrrp_state_name(to);
	g->tel.transitions++;
	g->tel.last_transition = time(NULL);
	vrrp_tel_put_group(g->idx, &g->tel);
	VLOG_NOTICE("VRRP group %s: %s -> %s: %s", g->cg->name, vrrp_state_name(from), state, why);
	if (g->notifier)
		vrrp_notify_state(g->notifier, state, 0, why);
}

/* ---- receiving ------------------------------------------------------------ */

struct vrrp_inst *vr_find(unsigned port, uint8_t vrid)
{
	for (unsigned i = 0; i < vr.n; i++)
		if (vr.inst[i].port == port && vr.inst[i].cv->vrid == vrid)
			return &vr.inst[i];
	return NULL;
}

static void refused(struct vrrp_inst *in, const struct vrrp_adv *a, enum vrrp_bad why,
		    uint64_t now)
{
	char s[INET_ADDRSTRLEN];
	in->tel.bad[why]++;
	vr_publish(in);
	/* RFC: "SHOULD log the event"; once a second, or a flood floods the log. */
	if (now - in->bad_logged_us >= 1000000u || in->bad_logged_us == 0) {
		in->bad_logged_us = now;
		VLOG_INFO("VRRP %s: advert from %s ignored: %s", in->cv->name, vr_ip_str(a->saddr, s),
			  vrrp_bad_texts[why]);
	}
}

static void handle(struct vrrp_if *ifc, const uint8_t *buf, size_t len, uint64_t now)
{
	struct vrrp_adv a;
	enum vrrp_bad r = vrrp_pkt_parse(buf, len, &a);
	if (r != VRRP_PKT_OK) {
		vrrp_tel_unmatched(r);
		return;
	}
	struct vrrp_inst *in = vr_find(ifc->port, a.vrid);
	if (in == NULL) {
		vrrp_tel_unmatched(VRRP_BAD_VRID);
		return;
	}
	r = vrrp_pkt_check(&a, &in->pc);
	if (r != VRRP_PKT_OK) {
		refused(in, &a, r, now);
		return;
	}
	in->tel.adverts_in++;
	vrrp_fsm_advert(&in->fsm, now, a.priority, a.adver_int_cs, a.saddr);
	vr_arm(in);
	vr_publish(in);
}

void vr_on_readable(evutil_socket_t fd, short ev, void *arg)
{
	(void)ev;
	struct vrrp_if *ifc = arg;
	uint8_t buf[VRRP_PKT_MAX + 64];
	for (unsigned k = 0; k < RX_BUDGET; k++) {
		ssize_t n = vrrp_sock_recv(fd, buf, sizeof(buf));
		if (n < 0)
			break;
		handle(ifc, buf, (size_t)n, vr_mono_us());
	}
}

void vr_on_timer(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	vrrp_fsm_timer(&in->fsm, vr_mono_us());
	vr_arm(in);
	vr_publish(in);
}

/* ---- tracking ----------------------------------------------------------------- */

bool vr_inst_up(const struct vrrp_inst *in, char *why, size_t len)
{
	if (!vrrp_track_port_up(vr.conf, in->port, why, len))
		return false;
	for (unsigned t = 0; t < in->n_track; t++)
		if (!vrrp_track_port_up(vr.conf, in->track[t], why, len))
			return false;
	return true;
}

static void track(struct vrrp_inst *in, uint64_t now)
{
	char why[160];
	bool up = vr_inst_up(in, why, sizeof(why));
	if (up == in->fault) {
		in->fault = !up;
		if (!up)
			VLOG_WARN("VRRP %s: %s", in->cv->name, why);
		else
			VLOG_NOTICE("VRRP %s: tracked interfaces up again", in->cv->name);
	}
	/* Scripts: weight 0 KO = FAULT; otherwise a priority delta. */
	const struct vrrp_script_run *ko = NULL;
	int delta = 0;
	for (unsigned k = 0; k < in->n_scripts; k++) {
		const struct vrrp_script_run *r = in->scripts[k];
		if (ko == NULL && vrrp_script_faults(r->st.status, r->cs->weight))
			ko = r;
		delta += vrrp_script_delta(r->st.status, r->cs->weight);
	}
	if ((ko != NULL) != in->script_fault) {
		in->script_fault = ko != NULL;
		if (ko)
			VLOG_WARN("VRRP %s: track_script %s is KO (weight 0)", in->cv->name,
				  ko->cs->name);
		else
			VLOG_NOTICE("VRRP %s: tracked scripts OK again", in->cv->name);
	}
	vrrp_fsm_set_fault(&in->fsm, now, in->fault || in->script_fault);

	uint8_t prio = vrrp_prio_effective(in->cv->priority, delta - (int)in->svc_penalty);
	if (prio != in->fsm.prio) {
		VLOG_NOTICE("VRRP %s: priority %u -> %u (base %u, scripts %+d, services -%u%s)",
			    in->cv->name, in->fsm.prio, prio, in->cv->priority, delta,
			    in->svc_penalty,
			    in->svc_penalty == 0 ? ""
			    : in->group ? ": a service of the sync group's VIPs has no live real server"
					: ": a service of its VIPs has no live real server");
		vrrp_fsm_set_priority(&in->fsm, now, prio);
	}
	/* A refused snapshot vr_publish (-EBUSY) is retried here; not before the
	 * Startup event (a configured MASTER owns its VIPs from the first
	 * snapshot) nor after shutdown (the hand-over releases them). */
	bool master = in->fsm.state == VRRP_ST_MASTER;
	if (in->fsm.running && model.vrrp_master && model.vrrp_master[in->idx] != master)
		vr_set_owner(in, master);
}

/* Service penalties, the group's largest for a member (see vrrp_track.h). */
void vr_svc_penalties(void)
{
	for (unsigned i = 0; i < vr.n; i++)
		vr.inst[i].svc_penalty = vrrp_track_svc_penalty(vr.inst[i].cv);
	for (unsigned g = 0; g < vr.n_groups; g++) {
		const struct conf_vrrp_group *cg = vr.groups[g].cg;
		unsigned most = 0;
		for (unsigned k = 0; k < cg->n_members; k++)
			if (vr.inst[cg->member_idx[k]].svc_penalty > most)
				most = vr.inst[cg->member_idx[k]].svc_penalty;
		for (unsigned k = 0; k < cg->n_members; k++)
			if (vr.inst[cg->member_idx[k]].cv->priority != 255)
				vr.inst[cg->member_idx[k]].svc_penalty = most;
	}
}

void vr_publish_scripts(void)
{
	for (unsigned i = 0; i < vr.n_scripts; i++) {
		const struct vrrp_script_run *r = vr.scripts[i];
		if (r == NULL)
			continue;
		struct vrrp_tel_script t = {
			.status = vrrp_script_status_name(r->st.status),
			.weight = r->cs->weight,
			.last_status = r->last_status,
			.rise = r->cs->rise,
			.fall = r->cs->fall,
			.runs = r->runs,
			.failures = r->failures,
			.timeouts = r->timeouts,
			.skipped = r->skipped,
			.last_change = r->last_change,
		};
		snprintf(t.name, sizeof(t.name), "%s", r->cs->name);
		vrrp_tel_put_script(i, &t);
	}
}

static void track_all(uint64_t now)
{
	vr_svc_penalties();
	for (unsigned i = 0; i < vr.n; i++) {
		track(&vr.inst[i], now);
		vr_arm(&vr.inst[i]);
		vr_publish(&vr.inst[i]);
	}
	vr_publish_scripts();
}

void vr_on_poll(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	track_all(vr_mono_us());
}

/* A script went OK or KO: act now, not at the next poll. */
void vr_on_script(void *arg, struct vrrp_script_run *r)
{
	(void)arg;
	(void)r;
	track_all(vr_mono_us());
}

