/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_pvt: what vrrp.c (running the instances) and vrrp_start.c (start,
 * reload, stop) share. Control core only.
 */
#ifndef VIPD_VRRP_PVT_H
#define VIPD_VRRP_PVT_H

#include <stdbool.h>
#include <stdint.h>
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

struct vrrp_module {
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
};

/* The module's state (vrrp.c); control core only. */
extern struct vrrp_module vr;

/* The state machine's callbacks: send an advert, act on a transition. */
extern const struct vrrp_fsm_ops vr_fsm_ops;
uint64_t vr_mono_us(void);
struct timeval vr_tv_of(double s);
const char *vr_ip_str(uint32_t a, char *buf);
void vr_publish(struct vrrp_inst *in);
void vr_arm(struct vrrp_inst *in);
struct vrrp_inst *vr_find(unsigned port, uint8_t vrid);
bool vr_inst_up(const struct vrrp_inst *in, char *why, size_t len);
void vr_publish_scripts(void);
void vr_set_owner(struct vrrp_inst *in, bool master);
void vr_svc_penalties(void);
void vr_group_transition(void *arg, enum vrrp_state from, enum vrrp_state to);
void vr_on_garp_delay(evutil_socket_t fd, short ev, void *arg);
void vr_on_garp_refresh(evutil_socket_t fd, short ev, void *arg);
void vr_on_poll(evutil_socket_t fd, short ev, void *arg);
void vr_on_readable(evutil_socket_t fd, short ev, void *arg);
void vr_on_script(void *arg, struct vrrp_script_run *r);
void vr_on_timer(evutil_socket_t fd, short ev, void *arg);

#endif
