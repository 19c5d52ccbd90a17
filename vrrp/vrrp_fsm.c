/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_fsm.h"

#include <arpa/inet.h>
#include <string.h>

const char *const vrrp_reason_names[VRRP_WHY_MAX] = {
#define X(e, name, text) name,
	VRRP_REASONS(X)
#undef X
};

const char *vrrp_state_name(enum vrrp_state s)
{
	static const char *const n[VRRP_ST_MAX] = { "INIT", "BACKUP", "MASTER", "FAULT" };
	return s < VRRP_ST_MAX ? n[s] : "?";
}

#define CS_US 10000ull /* one centisecond */

uint64_t vrrp_fsm_skew_us(const struct vrrp_fsm *f)
{
	uint64_t k = 256u - f->prio;
	if (f->cfg.version == 2)
		return k * 1000000ull / 256;
	return k * f->master_adver_cs * CS_US / 256;
}

uint64_t vrrp_fsm_down_interval_us(const struct vrrp_fsm *f)
{
	return 3 * f->master_adver_cs * CS_US + vrrp_fsm_skew_us(f);
}

static uint64_t adver_us(const struct vrrp_fsm *f)
{
	return f->cfg.adver_int_cs * CS_US;
}

void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_cfg *cfg,
		   const struct vrrp_fsm_ops *ops, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->ops = ops;
	f->arg = arg;
	f->state = VRRP_ST_INIT;
	f->why = VRRP_WHY_NONE;
	f->prio = cfg->priority;
	f->master_adver_cs = cfg->adver_int_cs;
}

static void enter(struct vrrp_fsm *f, enum vrrp_state to, enum vrrp_reason why)
{
	enum vrrp_state from = f->state;
	f->state = to;
	f->why = why;
	if (f->ops->transition)
		f->ops->transition(f->arg, from, to, why);
}

static void say(struct vrrp_fsm *f, uint8_t prio)
{
	if (f->ops->send)
		f->ops->send(f->arg, prio);
}

/*
 * RFC 5798 order: send an advert, broadcast gratuitous ARPs, start the
 * Adver_Timer, become Master. The caller's transition takes the VIPs (and
 * sends the ARPs) before the advert goes out, so that a preempted master
 * only lets go once we own them: a moment of two owners costs nothing in
 * DR, a moment of none drops packets.
 */
static void become_master(struct vrrp_fsm *f, uint64_t now, enum vrrp_reason why)
{
	f->down_at = 0;
	f->down_is_skew = false;
	f->preempt_at = 0;
	f->adver_at = now + adver_us(f);
	f->master_adver_cs = f->cfg.adver_int_cs;
	f->master_addr = f->cfg.primary;
	f->master_prio = f->prio;
	enter(f, VRRP_ST_MASTER, why);
	say(f, f->prio);
}

static void become_backup(struct vrrp_fsm *f, uint64_t now, enum vrrp_reason why)
{
	f->adver_at = 0;
	f->down_is_skew = false;
	f->preempt_at = 0;
	f->down_at = now + vrrp_fsm_down_interval_us(f);
	enter(f, VRRP_ST_BACKUP, why);
}

/* The Startup event of the Initialize state. */
static void startup(struct vrrp_fsm *f, uint64_t now, bool first)
{
	f->master_adver_cs = f->cfg.adver_int_cs;
	f->master_addr = 0;
	f->master_prio = 0;
	if (f->prio == 255)
		become_master(f, now, VRRP_WHY_OWNER);
	else if (first && f->cfg.initial_master)
		become_master(f, now, VRRP_WHY_CONFIGURED);
	else
		become_backup(f, now, first ? VRRP_WHY_STARTUP : VRRP_WHY_FAULT_CLEARED);
}

void vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now)
{
	if (f->running)
		return;
	f->running = true;
	if (f->fault)
		enter(f, VRRP_ST_FAULT, VRRP_WHY_FAULT);
	else
		startup(f, now, true);
}

void vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now)
{
	(void)now;
	if (!f->running)
		return;
	if (f->state == VRRP_ST_MASTER)
		say(f, 0); /* backups take over after Skew_Time, not 3 intervals */
	f->running = false;
	f->adver_at = 0;
	f->down_at = 0;
	f->master_addr = 0;
	enter(f, VRRP_ST_INIT, VRRP_WHY_SHUTDOWN);
}

/* Equal priorities: the higher primary address wins (RFC 5798 §6.4.3). */
static bool beats_us(const struct vrrp_fsm *f, uint8_t prio, uint32_t saddr)
{
	if (prio != f->prio)
		return prio > f->prio;
	return ntohl(saddr) > ntohl(f->cfg.primary);
}

static void backup_rx(struct vrrp_fsm *f, uint64_t now, uint8_t prio, uint16_t adver_cs,
		      uint32_t saddr)
{
	if (prio == 0) {
		f->down_at = now + vrrp_fsm_skew_us(f);
		f->down_is_skew = true;
		return;
	}
	bool lower = prio < f->prio;
	bool delaying = lower && f->cfg.preempt && f->cfg.preempt_delay_us &&
			(f->preempt_at == 0 || now < f->preempt_at);
	if (lower && f->cfg.preempt && !delaying)
		return; /* discard: our Master_Down_Timer will preempt it */
	if (delaying && f->preempt_at == 0)
		f->preempt_at = now + f->cfg.preempt_delay_us;
	else if (!lower)
		f->preempt_at = 0; /* the delay counts from the next lower master */
	if (f->cfg.version == 3)
		f->master_adver_cs = adver_cs;
	f->down_at = now + vrrp_fsm_down_interval_us(f);
	f->down_is_skew = false;
	f->master_addr = saddr;
	f->master_prio = prio;
}

static void master_rx(struct vrrp_fsm *f, uint64_t now, uint8_t prio, uint16_t adver_cs,
		      uint32_t saddr)
{
	if (prio == 0) {
		/* Another master is leaving: assert ourselves at once. */
		say(f, f->prio);
		f->adver_at = now + adver_us(f);
		return;
	}
	if (!beats_us(f, prio, saddr))
		return;
	f->adver_at = 0;
	if (f->cfg.version == 3)
		f->master_adver_cs = adver_cs;
	f->master_addr = saddr;
	f->master_prio = prio;
	f->down_is_skew = false;
	f->preempt_at = 0;
	f->down_at = now + vrrp_fsm_down_interval_us(f);
	enter(f, VRRP_ST_BACKUP, VRRP_WHY_PREEMPTED);
}

void vrrp_fsm_advert(struct vrrp_fsm *f, uint64_t now, uint8_t priority,
		     uint16_t adver_int_cs, uint32_t saddr)
{
	if (!f->running)
		return;
	if (f->state == VRRP_ST_BACKUP)
		backup_rx(f, now, priority, adver_int_cs, saddr);
	else if (f->state == VRRP_ST_MASTER)
		master_rx(f, now, priority, adver_int_cs, saddr);
	/* Initialize and Fault ignore adverts. */
}

void vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now)
{
	if (!f->running)
		return;
	if (f->state == VRRP_ST_MASTER && f->adver_at && now >= f->adver_at) {
		say(f, f->prio);
		/* From now, not from the missed deadline: a stalled loop must not
		 * make up with a burst. */
		f->adver_at = now + adver_us(f);
	} else if (f->state == VRRP_ST_BACKUP && f->down_at && now >= f->down_at) {
		become_master(f, now, f->down_is_skew ? VRRP_WHY_MASTER_LEFT : VRRP_WHY_MASTER_DOWN);
	}
}

uint64_t vrrp_fsm_next(const struct vrrp_fsm *f)
{
	if (!f->running)
		return UINT64_MAX;
	if (f->state == VRRP_ST_MASTER && f->adver_at)
		return f->adver_at;
	if (f->state == VRRP_ST_BACKUP && f->down_at)
		return f->down_at;
	return UINT64_MAX;
}

void vrrp_fsm_set_fault(struct vrrp_fsm *f, uint64_t now, bool fault)
{
	if (f->fault == fault)
		return;
	f->fault = fault;
	if (!f->running)
		return;
	if (fault) {
		/* keepalived: a master going to FAULT says goodbye, so the backup
		 * does not wait 3 intervals (useless if the link is cut, harmless). */
		if (f->state == VRRP_ST_MASTER)
			say(f, 0);
		f->adver_at = 0;
		f->down_at = 0;
		f->master_addr = 0;
		enter(f, VRRP_ST_FAULT, VRRP_WHY_FAULT);
	} else if (f->state == VRRP_ST_FAULT) {
		startup(f, now, false);
	}
}

void vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now, uint8_t prio)
{
	if (f->cfg.priority == 255 || prio == 0 || prio == 255 || prio == f->prio)
		return;
	f->prio = prio;
	if (f->running && f->state == VRRP_ST_MASTER) {
		f->master_prio = prio;
		say(f, prio);
		f->adver_at = now + adver_us(f);
	}
}
