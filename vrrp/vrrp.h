/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp: the VRRP module of the control core, keepalived's vrrp_instance.
 *
 * Owns: every configured instance's state machine (vrrp_fsm), its socket
 * (vrrp_sock, one per port), its timers on the control core's libevent loop,
 * the VIP ownership handed to the dataplane (model_set_vrrp_master: the
 * workers switch between two snapshots atomically), gratuitous ARPs,
 * tracking (vrrp_track), notifications (vrrp_notify) and the telemetry copy
 * (vrrp_tel).
 *
 * Not supported, refused at start: use_vmac (the dataplane only accepts
 * frames to the port MAC and multicast, and answers with the port MAC; a
 * virtual MAC would need both changed, and faking it would break ARP).
 * track_script and sync groups have no configuration keys yet.
 *
 * Threading: control core only (the telemetry copy is the exception, see
 * vrrp_tel.h).
 */
#ifndef VIPD_VRRP_H
#define VIPD_VRRP_H

struct event_base;
struct vipd_conf;

/* Start every instance; -errno (with a log line) stops vipd. */
int vrrp_module_start(struct event_base *base, const struct vipd_conf *c);
/* Masters send priority 0 (so backups take over after Skew_Time), every
 * instance runs notify_stop, sockets and timers are released. */
void vrrp_module_stop(void);

#endif
