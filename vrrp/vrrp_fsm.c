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

static void sync_after(struct vrrp_fsm *f, uint64_t now, enum vrrp_state from,
		       enum vrrp_state to, enum vrrp_reason why);

static void enter(struct vrrp_fsm *f, uint64_t now, enum vrrp_state to, enum vrrp_reason why)
{
	enum vrrp_state from = f->state;
	f->state = to;
	f->why = why;
	f->want_master = false;
	if (f->ops->transition)
		f->ops->transition(f->arg, from, to, why);
	if (f->sync)
		sync_after(f, now, from, to, why);
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
	enter(f, now, VRRP_ST_MASTER, why);
	say(f, f->prio);
}

static void become_backup(struct vrrp_fsm *f, uint64_t now, enum vrrp_reason why)
{
	f->adver_at = 0;
	f->down_is_skew = false;
	f->preempt_at = 0;
	f->down_at = now + vrrp_fsm_down_interval_us(f);
	enter(f, now, VRRP_ST_BACKUP, why);
}

static bool sync_has_master(const struct vrrp_fsm *f);

/* The Startup event of the Initialize state. */
static void startup(struct vrrp_fsm *f, uint64_t now, bool first)
{
	f->master_adver_cs = f->cfg.adver_int_cs;
	f->master_addr = 0;
	f->master_prio = 0;
	if (f->prio == 255)
		become_master(f, now, VRRP_WHY_OWNER);
	else if (sync_has_master(f))
		become_master(f, now, VRRP_WHY_SYNC_MASTER);
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
	if (vrrp_fsm_faulty(f))
		enter(f, now, VRRP_ST_FAULT, f->fault ? VRRP_WHY_FAULT : VRRP_WHY_SYNC_FAULT);
	else
		startup(f, now, true);
}

void vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now)
{
	if (!f->running)
		return;
	if (f->state == VRRP_ST_MASTER)
		say(f, 0); /* backups take over after Skew_Time, not 3 intervals */
	f->running = false;
	f->adver_at = 0;
	f->down_at = 0;
	f->master_addr = 0;
	enter(f, now, VRRP_ST_INIT, VRRP_WHY_SHUTDOWN);
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
	f->want_master = false; /* a master we accept: no longer pressing the group */
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
	enter(f, now, VRRP_ST_BACKUP, VRRP_WHY_PREEMPTED);
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

static bool sync_may_master(const struct vrrp_fsm *f);

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
		if (!sync_may_master(f)) {
			/* Held back by the group: wait, wanting, and look again. */
			f->want_master = true;
			f->down_at = now + f->master_adver_cs * CS_US;
			return;
		}
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

/* Enter or leave Fault as f's own and its group's faults say. */
static void refresh_fault(struct vrrp_fsm *f, uint64_t now, enum vrrp_reason why)
{
	if (!f->running)
		return;
	bool fault = vrrp_fsm_faulty(f);
	if (fault && f->state != VRRP_ST_FAULT) {
		/* keepalived: a master going to FAULT says goodbye, so the backup
		 * does not wait 3 intervals (useless if the link is cut, harmless). */
		if (f->state == VRRP_ST_MASTER)
			say(f, 0);
		f->adver_at = 0;
		f->down_at = 0;
		f->master_addr = 0;
		enter(f, now, VRRP_ST_FAULT, why);
	} else if (!fault && f->state == VRRP_ST_FAULT) {
		startup(f, now, false);
	}
}

static void sync_update(struct vrrp_sync *g);

void vrrp_fsm_set_fault(struct vrrp_fsm *f, uint64_t now, bool fault)
{
	if (f->fault == fault)
		return;
	f->fault = fault;
	struct vrrp_sync *g = f->sync;
	if (g == NULL) {
		refresh_fault(f, now, VRRP_WHY_FAULT);
		return;
	}
	g->depth++;
	refresh_fault(f, now, VRRP_WHY_FAULT);
	for (unsigned i = 0; i < g->n; i++)
		if (g->member[i] != f)
			refresh_fault(g->member[i], now, VRRP_WHY_SYNC_FAULT);
	g->depth--;
	sync_update(g);
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

bool vrrp_fsm_faulty(const struct vrrp_fsm *f)
{
	if (f->fault)
		return true;
	for (unsigned i = 0; f->sync && i < f->sync->n; i++)
		if (f->sync->member[i]->fault)
			return true;
	return false;
}

/* ---- sync groups ---------------------------------------------------------- */

void vrrp_sync_init(struct vrrp_sync *g,
		    void (*transition)(void *arg, enum vrrp_state from, enum vrrp_state to),
		    void *arg)
{
	memset(g, 0, sizeof(*g));
	g->state = VRRP_ST_INIT;
	g->transition = transition;
	g->arg = arg;
}

int vrrp_sync_add(struct vrrp_sync *g, struct vrrp_fsm *f)
{
	if (g->n == VRRP_SYNC_MAX || f->sync)
		return -1;
	g->member[g->n++] = f;
	f->sync = g;
	return 0;
}

/* Another running member is Master. */
static bool sync_has_master(const struct vrrp_fsm *f)
{
	for (unsigned i = 0; f->sync && i < f->sync->n; i++) {
		const struct vrrp_fsm *m = f->sync->member[i];
		if (m != f && m->running && m->state == VRRP_ST_MASTER)
			return true;
	}
	return false;
}

/* Every other running member is Master or a Backup that wants to be. */
static bool sync_may_master(const struct vrrp_fsm *f)
{
	for (unsigned i = 0; f->sync && i < f->sync->n; i++) {
		const struct vrrp_fsm *m = f->sync->member[i];
		if (m == f || !m->running || m->state == VRRP_ST_MASTER)
			continue;
		if (m->state != VRRP_ST_BACKUP || !m->want_master)
			return false;
	}
	return true;
}

/* The group's state from its members; the callback on a change. */
static void sync_update(struct vrrp_sync *g)
{
	if (g->depth)
		return;
	unsigned running = 0;
	bool fault = false, master = true, backup = true;
	for (unsigned i = 0; i < g->n; i++) {
		const struct vrrp_fsm *m = g->member[i];
		if (!m->running)
			continue;
		running++;
		fault |= m->state == VRRP_ST_FAULT;
		master &= m->state == VRRP_ST_MASTER;
		backup &= m->state == VRRP_ST_BACKUP;
	}
	/* Members starting or stopping one after the other, or on their way to
	 * the same state: the group keeps its state meanwhile. */
	enum vrrp_state to = running == 0		  ? VRRP_ST_INIT
			     : fault			  ? VRRP_ST_FAULT
			     : running < g->n		  ? g->state
			     : master			  ? VRRP_ST_MASTER
			     : backup			  ? VRRP_ST_BACKUP
							  : g->state;
	if (to == g->state)
		return;
	enum vrrp_state from = g->state;
	g->state = to;
	if (g->transition)
		g->transition(g->arg, from, to);
}

/* After a member's transition: the others follow (see vrrp_fsm.h). */
static void sync_after(struct vrrp_fsm *f, uint64_t now, enum vrrp_state from,
		       enum vrrp_state to, enum vrrp_reason why)
{
	struct vrrp_sync *g = f->sync;
	g->depth++;
	for (unsigned i = 0; i < g->n; i++) {
		struct vrrp_fsm *m = g->member[i];
		if (m == f || !m->running)
			continue;
		if (to == VRRP_ST_MASTER && why != VRRP_WHY_SYNC_MASTER &&
		    m->state == VRRP_ST_BACKUP) {
			become_master(m, now, VRRP_WHY_SYNC_MASTER);
		} else if (to == VRRP_ST_BACKUP && from == VRRP_ST_MASTER &&
			   why != VRRP_WHY_SYNC_BACKUP && m->state == VRRP_ST_MASTER) {
			/* Say goodbye: the peer's member takes over after Skew_Time
			 * instead of a whole Master_Down_Interval without an owner. */
			say(m, 0);
			m->master_addr = 0;
			become_backup(m, now, VRRP_WHY_SYNC_BACKUP);
		}
	}
	g->depth--;
	sync_update(g);
}

/* ---- tracking arithmetic ------------------------------------------------------ */

const char *vrrp_script_status_name(enum vrrp_script_status s)
{
	return s == VRRP_SCRIPT_OK ? "OK" : s == VRRP_SCRIPT_KO ? "KO" : "INIT";
}

void vrrp_script_state_init(struct vrrp_script_state *s, uint32_t rise, uint32_t fall)
{
	memset(s, 0, sizeof(*s));
	s->rise = rise ? rise : 1;
	s->fall = fall ? fall : 1;
	s->status = VRRP_SCRIPT_INIT;
}

bool vrrp_script_result(struct vrrp_script_state *s, bool success)
{
	enum vrrp_script_status want = success ? VRRP_SCRIPT_OK : VRRP_SCRIPT_KO;
	if (s->status == VRRP_SCRIPT_INIT) {
		s->status = want;
		s->count = 0;
		return true;
	}
	if (s->status == want) {
		s->count = 0;
		return false;
	}
	if (++s->count < (success ? s->rise : s->fall))
		return false;
	s->status = want;
	s->count = 0;
	return true;
}

int vrrp_script_delta(enum vrrp_script_status s, int weight)
{
	if (weight > 0 && s == VRRP_SCRIPT_OK)
		return weight;
	if (weight < 0 && s == VRRP_SCRIPT_KO)
		return weight;
	return 0;
}

bool vrrp_script_faults(enum vrrp_script_status s, int weight)
{
	return weight == 0 && s == VRRP_SCRIPT_KO;
}

uint8_t vrrp_prio_effective(uint8_t base, int delta)
{
	if (base == 255)
		return 255;
	int p = (int)base + delta;
	return (uint8_t)(p < 1 ? 1 : p > 254 ? 254 : p);
}
