/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_fsm_testlib: what the state machine's tests share (test_vrrp_fsm.c,
 * test_vrrp_fsm_track.c): a recorder of what the machine sends and of its
 * transitions, a configuration, addresses, and the simulated clock's run.
 * Header-only: each test program is one translation unit.
 */
#ifndef VIPD_VRRP_FSM_TESTLIB_H
#define VIPD_VRRP_FSM_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "vrrp/vrrp_fsm.h"

#define S 1000000ull
#define MS 1000ull

struct rec {
	unsigned n_sent;
	uint8_t sent[64];
	unsigned n_tr;
	enum vrrp_state from[16], to[16];
	enum vrrp_reason why[16];
};

static inline void rec_send(void *arg, uint8_t prio)
{
	struct rec *r = arg;
	if (r->n_sent < 64)
		r->sent[r->n_sent] = prio;
	r->n_sent++;
}

static inline void rec_tr(void *arg, enum vrrp_state from, enum vrrp_state to, enum vrrp_reason why)
{
	struct rec *r = arg;
	if (r->n_tr < 16) {
		r->from[r->n_tr] = from;
		r->to[r->n_tr] = to;
		r->why[r->n_tr] = why;
	}
	r->n_tr++;
}

static const struct vrrp_fsm_ops ops = { rec_send, rec_tr };

static inline struct vrrp_fsm_cfg cfg(uint8_t version, uint8_t prio, uint16_t adver_cs)
{
	return (struct vrrp_fsm_cfg){
		.version = version,
		.priority = prio,
		.adver_int_cs = adver_cs,
		.preempt = true,
		.primary = htonl(0x0a630003), /* 10.99.0.3 */
	};
}

static inline uint32_t ip(uint8_t last)
{
	return htonl(0x0a630000u | last);
}

/* Run the timers from t0 to t1 in 1 ms steps (what the event loop does). */
static inline void run(struct vrrp_fsm *f, uint64_t t0, uint64_t t1)
{
	for (uint64_t t = t0; t <= t1; t += MS)
		if (vrrp_fsm_next(f) <= t)
			vrrp_fsm_timer(f, t);
}

/* Two machines on a simulated wire: what one sends, the other receives. */
struct wire {
	struct vrrp_fsm *peer;
	uint64_t *now;
	unsigned sent;
};

static inline void wire_send(void *arg, uint8_t prio)
{
	struct wire *w = arg;
	w->sent++;
	uint32_t from = w->peer->cfg.primary == ip(2) ? ip(3) : ip(2);
	vrrp_fsm_advert(w->peer, *w->now, prio, 10, from);
}

/* a (10.99.0.2, priority 100) and b (10.99.0.3, 99), v3 at 0.1 s, on one
 * wire, started at *now (a as the configured master when a_master). */
struct wire_pair {
	struct vrrp_fsm a, b;
	struct wire wa, wb;
};

static inline void wire_pair_start(struct wire_pair *p, uint64_t *now, bool a_master)
{
	static const struct vrrp_fsm_ops wops = { wire_send, NULL };
	struct vrrp_fsm_cfg ca = cfg(3, 100, 10), cb = cfg(3, 99, 10);
	p->wa = (struct wire){ &p->b, now, 0 };
	p->wb = (struct wire){ &p->a, now, 0 };
	ca.primary = ip(2);
	ca.initial_master = a_master;
	cb.primary = ip(3);
	vrrp_fsm_init(&p->a, &ca, &wops, &p->wa);
	vrrp_fsm_init(&p->b, &cb, &wops, &p->wb);
	vrrp_fsm_start(&p->b, *now);
	vrrp_fsm_start(&p->a, *now);
}

#endif
