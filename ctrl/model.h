/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model: the control core's view of what should be forwarded, and the one
 * place that turns it into snapshots for the workers.
 *
 * Owns: the running config, the slot of every service and real server, VIP
 * ownership, publishing a new snapshot by pointer swap and freeing the old
 * ones after an RCU grace period (checked without blocking).
 *
 * Threading: control core only. Readers on other threads (telemetry) use the
 * published snapshot under RCU, never these structures.
 */
#ifndef VIPD_MODEL_H
#define VIPD_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct vipd_conf;

struct model_svc {
	uint16_t slot;
	unsigned n_rs;
	uint32_t *rs; /* handles, in config order */
};

struct model {
	struct vipd_conf *conf;
	struct model_svc *svc; /* per config service */
	uint16_t port_ids[16]; /* config port index -> DPDK port id */
	uint32_t *live;        /* every live real server handle */
	unsigned n_live;
};

extern struct model model;

/* Take c (ownership passes) and publish the first snapshot; -errno. */
int model_start(struct vipd_conf *c);
/* Rebuild and publish the snapshot from the current model (e.g. VIP owner change). */
int model_publish(void);
/* Free retired snapshots whose grace period is over; never blocks. */
void model_reclaim(void);
/* Whether this director holds vip now (no VRRP instance names it, or one in MASTER). */
bool model_vip_owned(uint32_t vip, void *arg);
void model_stop(void);

#endif
