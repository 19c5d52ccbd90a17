/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp: the VRRP module of the control core, keepalived's vrrp_instance.
 *
 * Owns: every configured instance's state machine (vrrp_fsm), its socket
 * (vrrp_sock, one per port), its timers on the control core's libevent loop,
 * the VIP ownership handed to the dataplane (model_set_vrrp_master: the
 * workers switch between two snapshots atomically), gratuitous ARPs,
 * tracking (vrrp_track: interfaces and service health; vrrp_script: the
 * vrrp_scripts that instances track), sync groups (struct vrrp_sync in
 * vrrp_fsm, with their own notify scripts), notifications (vrrp_notify) and
 * the telemetry copy (vrrp_tel).
 *
 * Tracking an instance: FAULT while a tracked interface is down or a tracked
 * script of weight 0 is KO; otherwise priority = configured + the weights
 * of its scripts that apply (weight > 0 while OK, < 0 while KO) − the
 * service-health penalty, kept within 1..254 (255 never changes).
 * Recomputed every VRRP_TRACK_POLL_S and at once when a script changes.
 *
 * use_vmac: the dataplane answers ARP for the VIPs and sends gratuitous ARPs
 * from 00:00:5e:00:01:{vrid} while master (snapshot), and the kernel path
 * rewrites the source MAC of this instance's adverts (ctrl/kpath.c).
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
