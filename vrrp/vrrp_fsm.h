/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_fsm: the VRRP state machine of one virtual router, RFC 5798 §6.4
 * (and RFC 3768 §6.4 for version 2), plus keepalived's FAULT state.
 *
 *   Initialize --startup--> Backup (Master_Down_Timer)   or Master (priority
 *              255, or configured MASTER: keepalived's "time out of backup at
 *              once")
 *   Backup --Master_Down_Timer--> Master; a priority-0 advert shortens the
 *              timer to Skew_Time; an advert with a priority >= ours (or any,
 *              with nopreempt; or a lower one during preempt_delay) re-arms it
 *   Master --advert with a higher priority (equal: higher primary address)-->
 *              Backup; a priority-0 advert is answered at once
 *   any    --tracked fault--> Fault (a master first says priority 0)
 *   Fault  --fault cleared--> Backup (Master if the address owner)
 *   any    --shutdown--> Initialize (a master sends priority 0 first)
 *
 * Sync groups (keepalived's vrrp_sync_group), when the fsm is a member of a
 * struct vrrp_sync (running members only):
 *   - a member's own fault puts every member in Fault; they leave it together
 *     when no member has one any more;
 *   - a member leaving Master for Backup (a higher priority advert) takes the
 *     other masters to Backup with it (each says priority 0 first, so that
 *     the peer's members take over after Skew_Time);
 *   - a Backup whose Master_Down_Timer fires becomes Master only if every
 *     other member is Master or wants to be (its own timer fired too):
 *     keepalived's "prefer backup to avoid thrashing"; otherwise it waits,
 *     wanting, and checks again every advert interval. The member that
 *     completes the group pulls every Backup member to Master at once; so
 *     does a member that becomes Master for any other reason (address owner,
 *     configured MASTER); a member starting up while another is Master
 *     starts as Master.
 *   The group's own state is Fault as soon as a member is, Master (Backup)
 *   once every member is, Initialize when none runs, and otherwise (members
 *   starting, stopping or on their way) what it was; changes are reported
 *   through the group's callback.
 *
 * Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, Skew_Time =
 * (256 − priority)/256 s in v2, (256 − priority) × Master_Adver_Interval/256
 * in v3, where a backup learns Master_Adver_Interval from the master's adverts.
 *
 * Pure logic: no I/O, no clock. The caller passes monotonic time (µs) to
 * every input, asks vrrp_fsm_next() when to call vrrp_fsm_timer() again, and
 * is told through ops what to send and which transitions happened. Adverts
 * given to vrrp_fsm_advert() must have passed vrrp_pkt_check().
 *
 * Threading: one owner (the control core in vipd, the test in unit tests).
 */
#ifndef VIPD_VRRP_FSM_H
#define VIPD_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum vrrp_state {
	VRRP_ST_INIT = 0,
	VRRP_ST_BACKUP,
	VRRP_ST_MASTER,
	VRRP_ST_FAULT,
	VRRP_ST_MAX
};

/* Why a transition happened: telemetry and logs name it. */
#define VRRP_REASONS(X)                                                              \
	X(NONE, "none", "no transition yet")                                           \
	X(STARTUP, "startup", "started: waiting Master_Down_Interval for a master")    \
	X(OWNER, "address_owner", "priority 255: the owner is master at once")         \
	X(CONFIGURED, "configured_master", "state MASTER: master at once (keepalived)") \
	X(MASTER_DOWN, "master_down", "no advert for Master_Down_Interval")            \
	X(MASTER_LEFT, "master_left", "the master sent priority 0; Skew_Time passed")  \
	X(PREEMPTED, "higher_priority", "an advert with a higher priority (or equal, higher address)") \
	X(FAULT, "fault", "a tracked interface went down or a tracked script failed")  \
	X(FAULT_CLEARED, "fault_cleared", "every tracked interface and script is fine again") \
	X(SHUTDOWN, "shutdown", "vipd is stopping")                                    \
	X(SYNC_FAULT, "sync_group_fault", "another member of its sync group is in FAULT") \
	X(SYNC_MASTER, "sync_group_master", "its sync group became MASTER")           \
	X(SYNC_BACKUP, "sync_group_backup", "another member of its sync group went to BACKUP")

enum vrrp_reason {
#define X(e, name, text) VRRP_WHY_##e,
	VRRP_REASONS(X)
#undef X
	VRRP_WHY_MAX
};

extern const char *const vrrp_reason_names[VRRP_WHY_MAX];
const char *vrrp_state_name(enum vrrp_state s);

struct vrrp_fsm_cfg {
	uint8_t version;          /* 2 or 3 */
	uint8_t priority;         /* configured, 1..255 */
	uint16_t adver_int_cs;    /* Advertisement_Interval, centiseconds */
	bool preempt;
	uint64_t preempt_delay_us;
	uint32_t primary;         /* our address, network order: breaks priority ties */
	bool initial_master;      /* state MASTER */
};

struct vrrp_fsm_ops {
	/* Send one advert now with this priority (0 = leaving). */
	void (*send)(void *arg, uint8_t priority);
	/* f->state is already `to`; called after the timers are set. */
	void (*transition)(void *arg, enum vrrp_state from, enum vrrp_state to,
			   enum vrrp_reason why);
};

struct vrrp_sync;

struct vrrp_fsm {
	struct vrrp_fsm_cfg cfg;
	const struct vrrp_fsm_ops *ops;
	void *arg;
	enum vrrp_state state;
	enum vrrp_reason why;      /* of the last transition */
	uint8_t prio;              /* effective priority (tracking may lower it) */
	uint16_t master_adver_cs;  /* Master_Adver_Interval */
	uint64_t adver_at;         /* Master: next advert (µs); 0 = off */
	uint64_t down_at;          /* Backup: Master_Down_Timer (µs); 0 = off */
	bool down_is_skew;         /* down_at came from a priority-0 advert */
	uint64_t preempt_at;       /* preempt_delay: lower masters accepted until; 0 = unset */
	uint32_t master_addr;      /* network order; ours when master, 0 = unknown */
	uint8_t master_prio;
	bool fault;                /* its own tracked objects (the group's are in sync) */
	bool running;
	struct vrrp_sync *sync;    /* NULL = in no sync group */
	bool want_master;          /* Backup held back by its sync group */
};

void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_cfg *cfg,
		   const struct vrrp_fsm_ops *ops, void *arg);
/* Startup event. */
void vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now);
/* Shutdown event: a master sends priority 0; the state becomes Initialize. */
void vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now);
/* A valid advert (vrrp_pkt_check passed) from saddr (network order). */
void vrrp_fsm_advert(struct vrrp_fsm *f, uint64_t now, uint8_t priority,
		     uint16_t adver_int_cs, uint32_t saddr);
/* Fire the timers that are due. */
void vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now);
/* When vrrp_fsm_timer() is due next (µs), UINT64_MAX if no timer runs. */
uint64_t vrrp_fsm_next(const struct vrrp_fsm *f);
/* A tracked object failed (true) or every one is fine again (false). In a
 * sync group, every member follows (see above). */
void vrrp_fsm_set_fault(struct vrrp_fsm *f, uint64_t now, bool fault);
/* New effective priority (1..254; the owner's 255 never changes). A master
 * announces it at once, so that a backup can preempt without waiting. */
void vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now, uint8_t prio);

/* Skew_Time and Master_Down_Interval for the current priority (µs). */
uint64_t vrrp_fsm_skew_us(const struct vrrp_fsm *f);
uint64_t vrrp_fsm_down_interval_us(const struct vrrp_fsm *f);
/* Whether f is in Fault or would be (its own or its group's fault). */
bool vrrp_fsm_faulty(const struct vrrp_fsm *f);

/* ---- sync groups ---------------------------------------------------------- */

#define VRRP_SYNC_MAX 16

struct vrrp_sync {
	struct vrrp_fsm *member[VRRP_SYNC_MAX];
	unsigned n;
	enum vrrp_state state;     /* INIT until a member runs */
	/* The group's state changed (to INIT: every member stopped). */
	void (*transition)(void *arg, enum vrrp_state from, enum vrrp_state to);
	void *arg;
	unsigned depth;            /* inside a group-wide change */
};

void vrrp_sync_init(struct vrrp_sync *g,
		    void (*transition)(void *arg, enum vrrp_state from, enum vrrp_state to),
		    void *arg);
/* Add f (initialised, not started) to g; -1 if g is full or f in a group. */
int vrrp_sync_add(struct vrrp_sync *g, struct vrrp_fsm *f);

/* ---- tracking arithmetic (vrrp_track, vrrp.c) --------------------------------
 *
 * A tracked script's state from its exit statuses, as keepalived counts it:
 * the first result decides (INIT -> OK or KO at once); then `rise`
 * successes in a row take KO to OK and `fall` failures in a row take OK to
 * KO; a result agreeing with the state resets the count.
 */
enum vrrp_script_status {
	VRRP_SCRIPT_INIT = 0,      /* no result yet */
	VRRP_SCRIPT_OK,
	VRRP_SCRIPT_KO,
};

struct vrrp_script_state {
	uint32_t rise, fall;       /* >= 1 */
	enum vrrp_script_status status;
	uint32_t count;            /* results in a row against status */
};

const char *vrrp_script_status_name(enum vrrp_script_status s);
void vrrp_script_state_init(struct vrrp_script_state *s, uint32_t rise, uint32_t fall);
/* One result (exit status 0 = success); true when the status changed. */
bool vrrp_script_result(struct vrrp_script_state *s, bool success);
/* What a script of this weight does to a tracking instance: a priority
 * delta (weight > 0 while OK, weight < 0 while KO), or FAULT (weight 0, KO). */
int vrrp_script_delta(enum vrrp_script_status s, int weight);
bool vrrp_script_faults(enum vrrp_script_status s, int weight);
/* base + delta kept within 1..254; an address owner's 255 never changes. */
uint8_t vrrp_prio_effective(uint8_t base, int delta);

#endif
