/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_track: what VRRP watches besides the peers' adverts.
 *
 * - Links (track_interface, and always the instance's own interface): a port
 *   is down when the DPDK port reports its link down, when the kernel
 *   interface under an af_packet port has lost its carrier or was set down
 *   (af_packet's PMD does not follow it), or when the port's TAP twin is down
 *   (adverts could not leave). Down → the instance goes to FAULT.
 * - Service health: an instance's priority is lowered by
 *   VRRP_TRACK_SVC_PENALTY for every virtual service on one of its VIPs that
 *   has real servers but no live one (model_live_weight() == 0), never below
 *   1; an owner (255) is never lowered, as in keepalived. Two directors with
 *   the same view keep their order; a director that alone sees its services
 *   dead falls below a healthy peer (MASTER 100 − 50 < BACKUP 99), which then
 *   preempts it. In a sync group every member takes the largest penalty of
 *   the group (vrrp.c), so that the members' priorities move together.
 * - Scripts (track_script): vrrp_script.h runs them; vrrp.c adds their
 *   weights (vrrp_script_delta) and FAULTs (vrrp_script_faults).
 *
 * Polled from a timer: the control core's loop never waits on a netlink
 * socket for this, and a 100 ms poll is far below the advert intervals.
 *
 * Threading: control core only.
 */
#ifndef VIPD_VRRP_TRACK_H
#define VIPD_VRRP_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vipd_conf;
struct conf_vrrp;

#define VRRP_TRACK_SVC_PENALTY 50
#define VRRP_TRACK_POLL_S 0.1

/*
 * Whether the dataplane can forward the VIPs of v right now: every live real
 * server of their services has its MAC resolved. A director that takes the
 * VIPs (and sends gratuitous ARPs) before that drops the first packets:
 * vipd's start waits for it, a little (VRRP_WARMUP_MAX_S).
 */
bool vrrp_track_neigh_ready(const struct conf_vrrp *v);
#define VRRP_WARMUP_MAX_S 0.5
/*
 * How long an instance's Startup waits for the first result of each script
 * it tracks (the first result decides its state, as in keepalived): a
 * configured MASTER holds its VIPs meanwhile without sending adverts. Past
 * it, the instance starts and a script still without a result counts as
 * neither OK nor KO until it has one.
 */
#define VRRP_SCRIPT_WAIT_MAX_S 2.0

int vrrp_track_init(void);
void vrrp_track_fini(void);
/* Whether config port p (its index) is usable; if not, why in buf. */
bool vrrp_track_port_up(const struct vipd_conf *c, unsigned p, char *why, size_t len);
/* Effective priority of instance v from its configured one, against the
 * services of the configuration the model runs now (model.conf: a reload
 * may have changed them while the instance kept its own config). */
uint8_t vrrp_track_priority(const struct conf_vrrp *v);
/* What service health takes off v's priority (0 for an owner). */
unsigned vrrp_track_svc_penalty(const struct conf_vrrp *v);

#endif
