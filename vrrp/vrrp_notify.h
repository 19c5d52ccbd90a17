/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_notify: what an instance's or a sync group's state change tells the
 * world, as keepalived does: notify_master / notify_backup / notify_fault /
 * notify_stop (no arguments), then the generic `notify` with
 * INSTANCE <name> <STATE> <priority> (a group: GROUP <name> <STATE> 0), and
 * an email through the alert module when smtp_alert is set.
 *
 * The scripts of one instance (or group) run one after the other, in the order of the
 * transitions (keepalived users complain that theirs may overtake each
 * other): the next starts when the previous has exited or timed out. Nothing
 * here waits: script_run() starts a child and calls back from the loop.
 *
 * Threading: control core only.
 */
#ifndef VIPD_VRRP_NOTIFY_H
#define VIPD_VRRP_NOTIFY_H

#include <stdint.h>

struct conf_vrrp;
struct conf_vrrp_group;
struct vrrp_notifier;

#define VRRP_NOTIFY_TIMEOUT_S 30.0
#define VRRP_NOTIFY_QUEUE 16

struct vrrp_notifier *vrrp_notify_new(const struct conf_vrrp *v, const char *router_id);
struct vrrp_notifier *vrrp_notify_new_group(const struct conf_vrrp_group *g,
					    const char *router_id);
/*
 * state: "MASTER", "BACKUP", "FAULT" or "STOP"; reason: for the email.
 * STOP runs at once (vipd is exiting and will not wait for the queue).
 */
void vrrp_notify_state(struct vrrp_notifier *n, const char *state, uint8_t prio,
		       const char *reason);
/* Detach: freed now, or when its running script ends. */
void vrrp_notify_free(struct vrrp_notifier *n);

#endif
