/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp.h"

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
#define RX_BUDGET 256
/* After the hand-over, how long stop keeps the kernel path moving. */
#define STOP_FLUSH_MS 30
/* Beyond the backups' longest Skew_Time, how long a stopping master waits. */
#define HANDOVER_MARGIN_US 250000u

/* One raw socket per port that carries instances. */
struct vrrp_if {
	unsigned port;
	int fd;
	struct event *ev;
};

struct vrrp_group;

struct vrrp_inst {
	unsigned idx;                  /* config index = model.vrrp_master index */
	const struct conf_vrrp *cv;
	unsigned port;
	struct vrrp_if *ifc;
	unsigned n_track;
	unsigned track[CONF_MAX_TRACK];
	unsigned n_scripts;            /* track_script, in its order */
	struct vrrp_script_run *scripts[CONF_MAX_TRACK];
	struct vrrp_group *group;      /* NULL: in no sync group */
	unsigned svc_penalty;          /* service health (the group's largest in a group) */
	struct vrrp_pkt_cfg pc;
	struct vrrp_fsm fsm;
	struct event *timer;           /* the fsm's next deadline */
	struct event *garp_ev;         /* second burst, garp_master_delay after master */
	struct event *refresh_ev;      /* garp_master_refresh */
	struct vrrp_notifier *notifier;
	struct vrrp_tel_inst tel;      /* counters, published to vrrp_tel */
	uint16_t ip_id;
	bool fault;                    /* a tracked interface is down */
	bool script_fault;             /* a tracked script of weight 0 is KO */
	bool handover;                 /* stopped as master: VIPs held until a backup speaks */
	uint64_t bad_logged_us;        /* rate limit of the "bad advert" log line */
};

/* A vrrp_sync_group: its members' fsms are tied by sync (vrrp_fsm.h). */
struct vrrp_group {
	unsigned idx;                  /* config index */
	const struct conf_vrrp_group *cg;
	struct vrrp_sync sync;
	struct vrrp_notifier *notifier;
	struct vrrp_tel_group tel;
};

static struct {
	struct event_base *base;
	const struct vipd_conf *conf;
	struct vrrp_inst *inst;
	unsigned n;
	struct vrrp_group *groups;
	unsigned n_groups;
	struct vrrp_script_run **scripts; /* by config index; NULL = not tracked */
	unsigned n_scripts;
	struct vrrp_if ifs[VIPD_MAX_PORTS];
	unsigned n_if;
	struct event *poll_ev;
	struct event *warm_ev;         /* starts the instances once the dataplane can forward */
	uint64_t warm_until;
	uint64_t script_until;         /* the longest wait for the scripts' first results */
} vr;

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timeval tv_of(double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
	return tv;
}

static const char *ip_str(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void publish(struct vrrp_inst *in)
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
static void arm(struct vrrp_inst *in)
{
	uint64_t next = vrrp_fsm_next(&in->fsm);
	if (next == UINT64_MAX) {
		evtimer_del(in->timer);
		return;
	}
	uint64_t now = mono_us();
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

static void on_garp_delay(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	if (in->fsm.state == VRRP_ST_MASTER)
		garp_burst(in, in->cv->garp_master_repeat);
}

static void on_garp_refresh(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	/* Keeps ARP caches right after a split brain healed (keepalived's refresh). */
	if (in->fsm.state == VRRP_ST_MASTER)
		garp_burst(in, 1);
}

static void set_owner(struct vrrp_inst *in, bool master)
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
		set_owner(in, true);
		garp_burst(in, cv->garp_master_repeat);
		if (cv->garp_master_delay > 0) {
			struct timeval tv = tv_of(cv->garp_master_delay);
			evtimer_add(in->garp_ev, &tv);
		}
		if (cv->garp_master_refresh > 0) {
			struct timeval tv = tv_of(cv->garp_master_refresh);
			event_add(in->refresh_ev, &tv);
		}
	} else {
		/* Shutdown of a master: vrrp_module_stop releases the VIPs once a
		 * backup has taken over (make before break). */
		in->handover = from == VRRP_ST_MASTER && why == VRRP_WHY_SHUTDOWN;
		if (!in->handover)
			set_owner(in, false);
		evtimer_del(in->garp_ev);
		event_del(in->refresh_ev);
	}
	in->tel.transitions++;
	in->tel.last_transition = time(NULL);
	in->tel.last_reason = vrrp_reason_names[why];
	/* A sync group moves the other members from here: their timers too. */
	arm(in);
	publish(in);

	const char *state = to == VRRP_ST_INIT ? "STOP" : vrrp_state_name(to);
	if (to == VRRP_ST_BACKUP && in->fsm.master_addr)
		VLOG_NOTICE("VRRP %s: %s -> %s (%s), priority %u, master %s", cv->name,
			    vrrp_state_name(from), state, vrrp_reason_names[why], in->fsm.prio,
			    ip_str(in->fsm.master_addr, a));
	else
		VLOG_NOTICE("VRRP %s: %s -> %s (%s), priority %u", cv->name,
			    vrrp_state_name(from), state, vrrp_reason_names[why], in->fsm.prio);
	if (in->notifier)
		vrrp_notify_state(in->notifier, state, in->fsm.prio, vrrp_reason_names[why]);
}

static const struct vrrp_fsm_ops fsm_ops = { fsm_send, fsm_transition };

static void group_transition(void *arg, enum vrrp_state from, enum vrrp_state to)
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

static struct vrrp_inst *find(unsigned port, uint8_t vrid)
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
	publish(in);
	/* RFC: "SHOULD log the event"; once a second, or a flood floods the log. */
	if (now - in->bad_logged_us >= 1000000u || in->bad_logged_us == 0) {
		in->bad_logged_us = now;
		VLOG_INFO("VRRP %s: advert from %s ignored: %s", in->cv->name, ip_str(a->saddr, s),
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
	struct vrrp_inst *in = find(ifc->port, a.vrid);
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
	arm(in);
	publish(in);
}

static void on_readable(evutil_socket_t fd, short ev, void *arg)
{
	(void)ev;
	struct vrrp_if *ifc = arg;
	uint8_t buf[VRRP_PKT_MAX + 64];
	for (unsigned k = 0; k < RX_BUDGET; k++) {
		ssize_t n = vrrp_sock_recv(fd, buf, sizeof(buf));
		if (n < 0)
			break;
		handle(ifc, buf, (size_t)n, mono_us());
	}
}

static void on_timer(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_inst *in = arg;
	vrrp_fsm_timer(&in->fsm, mono_us());
	arm(in);
	publish(in);
}

/* ---- tracking ----------------------------------------------------------------- */

static bool inst_up(const struct vrrp_inst *in, char *why, size_t len)
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
	bool up = inst_up(in, why, sizeof(why));
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
	/* A refused snapshot publish (-EBUSY) is retried here; not before the
	 * Startup event (a configured MASTER owns its VIPs from the first
	 * snapshot) nor after shutdown (the hand-over releases them). */
	bool master = in->fsm.state == VRRP_ST_MASTER;
	if (in->fsm.running && model.vrrp_master && model.vrrp_master[in->idx] != master)
		set_owner(in, master);
}

/* Service penalties, the group's largest for a member (see vrrp_track.h). */
static void svc_penalties(void)
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

static void publish_scripts(void)
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
	svc_penalties();
	for (unsigned i = 0; i < vr.n; i++) {
		track(&vr.inst[i], now);
		arm(&vr.inst[i]);
		publish(&vr.inst[i]);
	}
	publish_scripts();
}

static void on_poll(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	track_all(mono_us());
}

/* A script went OK or KO: act now, not at the next poll. */
static void on_script(void *arg, struct vrrp_script_run *r)
{
	(void)arg;
	(void)r;
	track_all(mono_us());
}

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
	uint64_t now = mono_us();
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
		arm(in);
		publish(in);
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
	ifc->ev = event_new(vr.base, fd, EV_READ | EV_PERSIST, on_readable, ifc);
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
	vrrp_fsm_init(&in->fsm, &fc, &fsm_ops, in);

	in->timer = evtimer_new(vr.base, on_timer, in);
	in->garp_ev = evtimer_new(vr.base, on_garp_delay, in);
	in->refresh_ev = event_new(vr.base, -1, EV_PERSIST, on_garp_refresh, in);
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
	vrrp_sync_init(&g->sync, group_transition, g);
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
				vr.scripts[s] = vrrp_script_new(vr.base, cs, s, on_script, NULL);
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
	vr.poll_ev = event_new(base, -1, EV_PERSIST, on_poll, NULL);
	struct timeval tv = tv_of(VRRP_TRACK_POLL_S);
	if (vr.poll_ev == NULL || event_add(vr.poll_ev, &tv)) {
		rc = -ENOMEM;
		goto fail;
	}
	uint64_t now = mono_us();
	svc_penalties();
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		char a[INET_ADDRSTRLEN], why[160];
		/* Fault and priority first: the Startup event must see them (the
		 * scripts' first results come before it, see on_warmup). */
		in->fault = !inst_up(in, why, sizeof(why));
		if (in->fault)
			VLOG_WARN("VRRP %s: %s", in->cv->name, why);
		vrrp_fsm_set_fault(&in->fsm, now, in->fault);
		vrrp_fsm_set_priority(&in->fsm, now,
				      vrrp_prio_effective(in->cv->priority, -(int)in->svc_penalty));
		VLOG_NOTICE("VRRP %s: vrid %u v%u on %s from %s, priority %u, advert_int %g s, %s%s%s",
			    in->cv->name, in->cv->vrid, in->cv->version,
			    port_tab[in->port].kernel_name, ip_str(in->pc.saddr, a), in->fsm.prio,
			    in->cv->advert_int, in->cv->n_peers ? "unicast" : "multicast",
			    in->group ? ", sync group " : "", in->group ? in->group->cg->name : "");
		publish(in);
	}
	/* First runs now; each instance starts once its scripts have answered. */
	for (unsigned s = 0; s < vr.n_scripts; s++)
		if (vr.scripts[s] && (rc = vrrp_script_start(vr.scripts[s])))
			goto fail;
	publish_scripts();
	/* The Startup events come from the warm-up timer, at once if it can. */
	vr.warm_until = now + (uint64_t)(VRRP_WARMUP_MAX_S * 1e6);
	vr.script_until = now + (uint64_t)(VRRP_SCRIPT_WAIT_MAX_S * 1e6);
	vr.warm_ev = event_new(base, -1, EV_PERSIST, on_warmup, NULL);
	struct timeval wt = tv_of(0.01);
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
	uint64_t end = mono_us() + bound;
	uint8_t buf[VRRP_PKT_MAX + 64];
	for (;;) {
		kpath_poll();
		for (unsigned k = 0; k < vr.n_if; k++) {
			ssize_t n;
			while ((n = vrrp_sock_recv(vr.ifs[k].fd, buf, sizeof(buf))) > 0) {
				struct vrrp_adv a;
				if (vrrp_pkt_parse(buf, (size_t)n, &a) != VRRP_PKT_OK)
					continue;
				struct vrrp_inst *in = find(vr.ifs[k].port, a.vrid);
				if (in && in->handover && a.priority > 0 &&
				    vrrp_pkt_check(&a, &in->pc) == VRRP_PKT_OK) {
					char s[INET_ADDRSTRLEN];
					VLOG_NOTICE("VRRP %s: %s took over; releasing the VIPs",
						    in->cv->name, ip_str(a.saddr, s));
					set_owner(in, false);
					in->handover = false;
				}
			}
		}
		bool waiting = false;
		for (unsigned i = 0; i < vr.n; i++)
			waiting |= vr.inst[i].handover;
		if (!waiting || mono_us() >= end)
			break;
		usleep(1000);
	}
	for (unsigned i = 0; i < vr.n; i++) {
		struct vrrp_inst *in = &vr.inst[i];
		if (in->handover) {
			VLOG_NOTICE("VRRP %s: no backup took over; releasing the VIPs", in->cv->name);
			set_owner(in, false);
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
	uint64_t now = mono_us();
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
				set_owner(&vr.inst[i], false);
				vr.inst[i].handover = false;
			}
	}
	release_all();
}
