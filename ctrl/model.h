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
struct conf_vs;

struct model_rs {
	uint32_t handle;
	bool up;          /* health: last verdict of its checker */
};

struct model_svc {
	uint16_t slot;
	unsigned n_rs;
	uint32_t *rs;     /* handles, in config order */
	bool *up;         /* per real server health */
	uint32_t *wdyn;   /* per real server weight set at run time (MISC_CHECK
			   * misc_dynamic), UINT32_MAX = the configured one */
	bool quorum_ok;
	uint32_t sorry;   /* sorry server handle, 0 = none */
};

struct model {
	struct vipd_conf *conf;
	struct model_svc *svc; /* per config service */
	uint16_t port_ids[16]; /* config port index -> DPDK port id */
	uint32_t *live;        /* every live real server handle */
	unsigned n_live;
	bool *vrrp_master;     /* per config VRRP instance: do we hold its VIPs */
};

/* What a health change did to its service, for notifiers and alerts. */
enum model_event {
	MODEL_EV_NONE = 0,
	MODEL_EV_QUORUM_LOST,
	MODEL_EV_QUORUM_GAINED,
};

extern struct model model;

/* The port index that reaches addr (0 when none does: the config checker warns). */
uint16_t model_out_port(const struct vipd_conf *c, uint32_t addr);
/*
 * A slot (rs_alloc) for the real server or sorry server addr:port (port in
 * host order) of service vs, forwarding by fwd, in service slot svc.
 */
int64_t model_rs_alloc(const struct vipd_conf *c, const struct conf_vs *vs, uint32_t addr,
		       uint16_t port, uint8_t fwd, uint16_t svc);

/* Take c (ownership passes) and publish the first snapshot; -errno. */
int model_start(struct vipd_conf *c);
/* Rebuild and publish the snapshot from the current model (e.g. VIP owner change). */
int model_publish(void);
/*
 * A checker's verdict on real server rs of service vs (config indexes).
 * Down: withdrawn from scheduling on every worker at once (its sessions
 * follow expire_nodest_conn), or weight 0 with inhibit_on_failure. Quorum and
 * sorry_server follow. Returns -errno or an enum model_event.
 */
int model_set_rs_health(unsigned vs, unsigned rs, bool up);
/*
 * A checker's weight for real server rs of service vs (MISC_CHECK with
 * misc_dynamic): used instead of the configured one until the next change or
 * reload. Returns -errno or an enum model_event (quorum may move).
 */
int model_set_rs_weight(unsigned vs, unsigned rs, uint32_t weight);
/* The weight real server rs of service vs schedules with when up. */
uint32_t model_rs_weight(unsigned vs, unsigned rs);
/* VRRP: instance i (config index) became master (true) or not; republishes. */
int model_set_vrrp_master(unsigned i, bool master);
/* Sum of the weights of the live real servers of service vs. */
uint64_t model_live_weight(unsigned vs);

/* Free retired snapshots whose grace period is over; never blocks. */
void model_reclaim(void);
/* Whether this director holds vip now (no VRRP instance names it, or one in MASTER). */
bool model_vip_owned(uint32_t vip, void *arg);
void model_stop(void);
/*
 * Move to config c by difference (ctrl/model_apply.c): kept services and real
 * servers keep slots, health, counters and sessions. Ownership of c passes on
 * success; on failure (-errno) nothing changed and c is the caller's.
 */
int model_apply(struct vipd_conf *c);
/* Free the configs replaced by model_apply (at shutdown). */
void model_apply_free_old(void);
/* Free the replaced configs except these two (still referenced by modules). */
void model_apply_release(const struct vipd_conf *keep1, const struct vipd_conf *keep2);

#endif
