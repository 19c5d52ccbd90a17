/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_fsm with tracking and sync groups, on a simulated clock. Tracking: a
 * script's rise/fall counting, weights and priority limits, a script driven
 * by the clock lowering a master below its peer (which takes over) and a
 * weight-0 script making FAULT. Sync groups: FAULT, BACKUP and MASTER moving
 * every member, the "everyone wants master" rule, startup next to a master,
 * the group's own state, and two directors with a group each on a simulated
 * wire failing over and back without flapping.
 */
#include "tests/unit/vrrp_fsm_testlib.h"

/* ---- tracking: scripts ---------------------------------------------------- */

static void test_script_rise_fall(void **st)
{
	(void)st;
	struct vrrp_script_state s;
	vrrp_script_state_init(&s, 2, 3);
	assert_int_equal(s.status, VRRP_SCRIPT_INIT);
	assert_string_equal(vrrp_script_status_name(s.status), "INIT");
	/* The first result decides, whatever rise and fall say. */
	assert_true(vrrp_script_result(&s, true));
	assert_int_equal(s.status, VRRP_SCRIPT_OK);
	/* fall = 3: three failures in a row. */
	assert_false(vrrp_script_result(&s, false));
	assert_false(vrrp_script_result(&s, false));
	assert_false(vrrp_script_result(&s, true)); /* a success resets the count */
	assert_false(vrrp_script_result(&s, false));
	assert_false(vrrp_script_result(&s, false));
	assert_int_equal(s.status, VRRP_SCRIPT_OK);
	assert_true(vrrp_script_result(&s, false));
	assert_int_equal(s.status, VRRP_SCRIPT_KO);
	assert_string_equal(vrrp_script_status_name(s.status), "KO");
	assert_false(vrrp_script_result(&s, false));
	/* rise = 2: two successes in a row. */
	assert_false(vrrp_script_result(&s, true));
	assert_false(vrrp_script_result(&s, false));
	assert_false(vrrp_script_result(&s, true));
	assert_true(vrrp_script_result(&s, true));
	assert_int_equal(s.status, VRRP_SCRIPT_OK);
	/* A first failure decides too; rise/fall 0 count as 1. */
	vrrp_script_state_init(&s, 0, 0);
	assert_true(vrrp_script_result(&s, false));
	assert_int_equal(s.status, VRRP_SCRIPT_KO);
	assert_true(vrrp_script_result(&s, true));
	assert_true(vrrp_script_result(&s, false));
}

static void test_script_weights_and_limits(void **st)
{
	(void)st;
	/* weight > 0 counts while OK, < 0 while KO, 0 means FAULT while KO */
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_OK, 10), 10);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_KO, 10), 0);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_KO, -20), -20);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_OK, -20), 0);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_INIT, -20), 0);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_INIT, 20), 0);
	assert_int_equal(vrrp_script_delta(VRRP_SCRIPT_KO, 0), 0);
	assert_true(vrrp_script_faults(VRRP_SCRIPT_KO, 0));
	assert_false(vrrp_script_faults(VRRP_SCRIPT_OK, 0));
	assert_false(vrrp_script_faults(VRRP_SCRIPT_INIT, 0));
	assert_false(vrrp_script_faults(VRRP_SCRIPT_KO, -20));
	/* priority stays within 1..254; the owner's 255 never moves */
	assert_int_equal(vrrp_prio_effective(100, -20), 80);
	assert_int_equal(vrrp_prio_effective(100, 30), 130);
	assert_int_equal(vrrp_prio_effective(100, -253), 1);
	assert_int_equal(vrrp_prio_effective(10, -20), 1);
	assert_int_equal(vrrp_prio_effective(250, 253), 254);
	assert_int_equal(vrrp_prio_effective(254, 1), 254);
	assert_int_equal(vrrp_prio_effective(255, -253), 255);
	assert_int_equal(vrrp_prio_effective(255, 10), 255);
	assert_int_equal(vrrp_prio_effective(1, 0), 1);
}

/* A tracked script run every second on a simulated clock: what vrrp.c does
 * with the results (priority from weights, FAULT from weight 0). */
struct sim_script {
	struct vrrp_script_state st;
	int weight;
	uint64_t next;           /* next run */
	bool ok;                 /* what the script would return now */
};

static void sim_tick(struct sim_script *sc, struct vrrp_fsm *f, uint8_t base, uint64_t now)
{
	if (now < sc->next)
		return;
	sc->next = now + S;
	if (!vrrp_script_result(&sc->st, sc->ok))
		return;
	vrrp_fsm_set_fault(f, now, vrrp_script_faults(sc->st.status, sc->weight));
	vrrp_fsm_set_priority(f, now, vrrp_prio_effective(base, vrrp_script_delta(sc->st.status,
										   sc->weight)));
}

static void test_script_weight_moves_master(void **st)
{
	(void)st;
	uint64_t now = 0;
	struct wire_pair p;
	struct vrrp_fsm *a = &p.a, *b = &p.b;
	struct sim_script sc = { .weight = -20, .ok = true };
	vrrp_script_state_init(&sc.st, 2, 2);
	wire_pair_start(&p, &now, true);
	uint64_t ko_at = 0, moved_at = 0, back_at = 0;
	for (; now < 30 * S; now += MS) {
		if (now == 5 * S)
			sc.ok = false;        /* the checked file is removed */
		if (now == 15 * S)
			sc.ok = true;         /* and restored */
		sim_tick(&sc, a, 100, now);
		if (!ko_at && a->prio == 80)
			ko_at = now;
		if (vrrp_fsm_next(a) <= now)
			vrrp_fsm_timer(a, now);
		if (vrrp_fsm_next(b) <= now)
			vrrp_fsm_timer(b, now);
		if (!moved_at && b->state == VRRP_ST_MASTER)
			moved_at = now;
		if (moved_at && !back_at && a->state == VRRP_ST_MASTER)
			back_at = now;
		if (now == 10 * S) {
			assert_int_equal(a->state, VRRP_ST_BACKUP);
			assert_int_equal(b->state, VRRP_ST_MASTER);
			assert_int_equal(a->prio, 80);
		}
	}
	/* fall = 2: the second failing run (runs at 5 s and 6 s) lowers it */
	assert_int_equal(ko_at, 6 * S);
	/* the backup ignores the lower adverts and takes over at its
	 * Master_Down_Interval (3 × 0.1 s + skew), then the old master backs off */
	assert_true(moved_at > ko_at && moved_at - ko_at < 400 * MS);
	/* rise = 2: back to 100 at 16 s; it preempts 99 within one interval */
	assert_int_equal(a->prio, 100);
	assert_true(back_at >= 16 * S && back_at - 16 * S < 400 * MS);
	assert_int_equal(a->state, VRRP_ST_MASTER);
	assert_int_equal(b->state, VRRP_ST_BACKUP);
	/* the owner is not changed by weights */
	assert_int_equal(vrrp_prio_effective(255, vrrp_script_delta(VRRP_SCRIPT_KO, -20)), 255);
}

static void test_script_weight_zero_faults(void **st)
{
	(void)st;
	uint64_t now = 0;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	struct sim_script sc = { .weight = 0, .ok = true };
	vrrp_script_state_init(&sc.st, 1, 2);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, now);
	for (; now <= 12 * S; now += MS) {
		sc.ok = now < 3 * S || now >= 7 * S;
		sim_tick(&sc, &f, 100, now);
		if (vrrp_fsm_next(&f) <= now)
			vrrp_fsm_timer(&f, now);
		if (now == 4 * S + MS) {
			/* fall = 2: runs at 3 s and 4 s */
			assert_int_equal(f.state, VRRP_ST_FAULT);
			assert_int_equal(f.why, VRRP_WHY_FAULT);
			assert_int_equal(r.sent[r.n_sent - 1], 0); /* goodbye */
			assert_int_equal(f.prio, 100);             /* not a priority matter */
		}
		if (now == 7 * S + MS) {
			/* rise = 1: the first success at 7 s clears it */
			assert_int_equal(f.state, VRRP_ST_BACKUP);
			assert_int_equal(f.why, VRRP_WHY_FAULT_CLEARED);
		}
	}
	/* nobody else on the wire: master after 3 × 1 s + skew */
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(f.why, VRRP_WHY_MASTER_DOWN);
}

/* ---- sync groups -------------------------------------------------------------- */

struct grec {
	unsigned n;
	enum vrrp_state from[16], to[16];
};

static void grec_tr(void *arg, enum vrrp_state from, enum vrrp_state to)
{
	struct grec *g = arg;
	if (g->n < 16) {
		g->from[g->n] = from;
		g->to[g->n] = to;
	}
	g->n++;
}

/* Two members on their own recorders, in one group. */
struct pair {
	struct rec ra, rb;
	struct vrrp_fsm a, b;
	struct vrrp_sync g;
	struct grec gr;
};

static void pair_init(struct pair *p, bool master)
{
	memset(p, 0, sizeof(*p));
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = master;
	vrrp_fsm_init(&p->a, &c, &ops, &p->ra);
	vrrp_fsm_init(&p->b, &c, &ops, &p->rb);
	vrrp_sync_init(&p->g, grec_tr, &p->gr);
	assert_int_equal(vrrp_sync_add(&p->g, &p->a), 0);
	assert_int_equal(vrrp_sync_add(&p->g, &p->b), 0);
	assert_int_equal(vrrp_sync_add(&p->g, &p->a), -1); /* one group per fsm */
}

static void pair_run(struct pair *p, uint64_t t0, uint64_t t1)
{
	for (uint64_t t = t0; t <= t1; t += MS) {
		if (vrrp_fsm_next(&p->a) <= t)
			vrrp_fsm_timer(&p->a, t);
		if (vrrp_fsm_next(&p->b) <= t)
			vrrp_fsm_timer(&p->b, t);
	}
}

static void test_sync_fault_moves_every_member(void **st)
{
	(void)st;
	struct pair p;
	pair_init(&p, true);
	assert_int_equal(p.g.state, VRRP_ST_INIT);
	vrrp_fsm_start(&p.a, 0);
	vrrp_fsm_start(&p.b, 0);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.g.state, VRRP_ST_MASTER);
	/* b's script fails: a follows it into FAULT, both say goodbye */
	vrrp_fsm_set_fault(&p.b, S, true);
	assert_int_equal(p.b.state, VRRP_ST_FAULT);
	assert_int_equal(p.b.why, VRRP_WHY_FAULT);
	assert_int_equal(p.a.state, VRRP_ST_FAULT);
	assert_int_equal(p.a.why, VRRP_WHY_SYNC_FAULT);
	assert_int_equal(p.ra.sent[p.ra.n_sent - 1], 0);
	assert_int_equal(p.rb.sent[p.rb.n_sent - 1], 0);
	assert_true(vrrp_fsm_faulty(&p.a));
	assert_false(p.a.fault);
	assert_int_equal(p.g.state, VRRP_ST_FAULT);
	/* a's own fault comes and goes: b's still holds the group */
	vrrp_fsm_set_fault(&p.a, 2 * S, true);
	vrrp_fsm_set_fault(&p.a, 3 * S, false);
	assert_int_equal(p.a.state, VRRP_ST_FAULT);
	/* cleared: both leave FAULT together, as backups */
	vrrp_fsm_set_fault(&p.b, 4 * S, false);
	assert_int_equal(p.a.state, VRRP_ST_BACKUP);
	assert_int_equal(p.b.state, VRRP_ST_BACKUP);
	assert_int_equal(p.a.why, VRRP_WHY_FAULT_CLEARED);
	assert_int_equal(p.g.state, VRRP_ST_BACKUP);
	/* nobody else: both become master, the group once */
	pair_run(&p, 4 * S, 9 * S);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.g.state, VRRP_ST_MASTER);
	/* group: INIT -> MASTER -> FAULT -> BACKUP -> MASTER, nothing in between */
	assert_int_equal(p.gr.n, 4);
	assert_int_equal(p.gr.to[0], VRRP_ST_MASTER);
	assert_int_equal(p.gr.to[1], VRRP_ST_FAULT);
	assert_int_equal(p.gr.to[2], VRRP_ST_BACKUP);
	assert_int_equal(p.gr.to[3], VRRP_ST_MASTER);
	/* starting while another member is faulty starts in FAULT */
	pair_init(&p, false);
	vrrp_fsm_set_fault(&p.a, 0, true);
	vrrp_fsm_start(&p.a, 0);
	vrrp_fsm_start(&p.b, 0);
	assert_int_equal(p.b.state, VRRP_ST_FAULT);
	assert_int_equal(p.b.why, VRRP_WHY_SYNC_FAULT);
	/* stopping every member: the group goes back to INIT (notify STOP) */
	vrrp_fsm_stop(&p.a, S);
	assert_int_equal(p.g.state, VRRP_ST_FAULT);
	vrrp_fsm_stop(&p.b, S);
	assert_int_equal(p.g.state, VRRP_ST_INIT);
	assert_int_equal(p.gr.to[p.gr.n - 1], VRRP_ST_INIT);
}

static void test_sync_backup_follows(void **st)
{
	(void)st;
	struct pair p;
	pair_init(&p, true);
	vrrp_fsm_start(&p.a, 0);
	vrrp_fsm_start(&p.b, 0);
	unsigned sent_b = p.rb.n_sent;
	/* a higher priority on a's wire: a backs off, b goes with it, saying 0 */
	vrrp_fsm_advert(&p.a, S, 110, 100, ip(9));
	assert_int_equal(p.a.state, VRRP_ST_BACKUP);
	assert_int_equal(p.a.why, VRRP_WHY_PREEMPTED);
	assert_int_equal(p.b.state, VRRP_ST_BACKUP);
	assert_int_equal(p.b.why, VRRP_WHY_SYNC_BACKUP);
	assert_int_equal(p.rb.n_sent, sent_b + 1);
	assert_int_equal(p.rb.sent[sent_b], 0);
	assert_int_equal(p.g.state, VRRP_ST_BACKUP);
	/* b's timer fires but a keeps hearing the better master: b waits */
	for (uint64_t t = S; t <= 10 * S; t += MS) {
		if (t % S == 0)
			vrrp_fsm_advert(&p.a, t, 110, 100, ip(9));
		if (vrrp_fsm_next(&p.b) <= t)
			vrrp_fsm_timer(&p.b, t);
	}
	assert_int_equal(p.b.state, VRRP_ST_BACKUP);
	assert_true(p.b.want_master);
	assert_false(p.a.want_master);
	/* now the better master is gone: a's timer completes the group */
	pair_run(&p, 10 * S, 15 * S);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.why, VRRP_WHY_SYNC_MASTER);
	assert_int_equal(p.a.why, VRRP_WHY_MASTER_DOWN);
	assert_int_equal(p.g.state, VRRP_ST_MASTER);
}

static void test_sync_master_pulls_and_startup(void **st)
{
	(void)st;
	struct pair p;
	pair_init(&p, false);
	vrrp_fsm_start(&p.a, 0);
	vrrp_fsm_start(&p.b, 0);
	assert_int_equal(p.g.state, VRRP_ST_BACKUP);
	/* a's timer fires first: b does not want yet, a waits */
	uint64_t down = vrrp_fsm_down_interval_us(&p.a);
	vrrp_fsm_timer(&p.a, down);
	assert_int_equal(p.a.state, VRRP_ST_BACKUP);
	assert_true(p.a.want_master);
	/* b's fires: the group is complete, both are master at once */
	vrrp_fsm_timer(&p.b, down + MS);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.a.why, VRRP_WHY_SYNC_MASTER);
	assert_int_equal(p.b.why, VRRP_WHY_MASTER_DOWN);
	assert_false(p.a.want_master);
	/* a member starting next to a master starts as master */
	pair_init(&p, false);
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&p.a, &c, &ops, &p.ra);
	p.a.sync = &p.g; /* re-initialised: still the group's */
	vrrp_fsm_start(&p.a, 0);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.g.state, VRRP_ST_INIT); /* b does not run yet */
	vrrp_fsm_start(&p.b, MS);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.why, VRRP_WHY_SYNC_MASTER);
	assert_int_equal(p.g.state, VRRP_ST_MASTER);
	assert_int_equal(p.gr.n, 1);
	/* a configured MASTER pulls a running backup along */
	pair_init(&p, false);
	vrrp_fsm_start(&p.b, 0);
	assert_int_equal(p.b.state, VRRP_ST_BACKUP);
	p.a.cfg.initial_master = true;
	vrrp_fsm_start(&p.a, MS);
	assert_int_equal(p.a.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.state, VRRP_ST_MASTER);
	assert_int_equal(p.b.why, VRRP_WHY_SYNC_MASTER);
	assert_string_equal(vrrp_reason_names[VRRP_WHY_SYNC_MASTER], "sync_group_master");
}

/* Two directors, each with a group of two instances (vrid 1 and 2); each
 * instance's adverts reach its twin on the other director. */
struct director {
	struct vrrp_fsm in[2];
	struct vrrp_sync g;
	struct grec gr;
	struct wire w[2];
};

static void test_sync_two_directors_fail_over_together(void **st)
{
	(void)st;
	uint64_t now = 0;
	static struct director d1, d2;
	static const struct vrrp_fsm_ops wops = { wire_send, NULL };
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	vrrp_sync_init(&d1.g, grec_tr, &d1.gr);
	vrrp_sync_init(&d2.g, grec_tr, &d2.gr);
	for (unsigned k = 0; k < 2; k++) {
		struct vrrp_fsm_cfg c1 = cfg(3, 100, 10), c2 = cfg(3, 99, 10);
		c1.primary = ip(2);
		c1.initial_master = true;
		c2.primary = ip(3);
		d1.w[k] = (struct wire){ &d2.in[k], &now, 0 };
		d2.w[k] = (struct wire){ &d1.in[k], &now, 0 };
		vrrp_fsm_init(&d1.in[k], &c1, &wops, &d1.w[k]);
		vrrp_fsm_init(&d2.in[k], &c2, &wops, &d2.w[k]);
		vrrp_sync_add(&d1.g, &d1.in[k]);
		vrrp_sync_add(&d2.g, &d2.in[k]);
	}
	for (unsigned k = 0; k < 2; k++) {
		vrrp_fsm_start(&d2.in[k], now);
		vrrp_fsm_start(&d1.in[k], now);
	}
	struct vrrp_fsm *all[4] = { &d1.in[0], &d1.in[1], &d2.in[0], &d2.in[1] };
	uint64_t failed_at = 0, moved_at = 0, back_at = 0;
	for (; now < 20 * S; now += MS) {
		if (now == 3 * S) {
			failed_at = now;
			vrrp_fsm_set_fault(&d1.in[1], now, true); /* instance 2's script */
		}
		if (now == 10 * S)
			vrrp_fsm_set_fault(&d1.in[1], now, false);
		for (unsigned i = 0; i < 4; i++)
			if (vrrp_fsm_next(all[i]) <= now)
				vrrp_fsm_timer(all[i], now);
		if (failed_at && !moved_at && d2.in[0].state == VRRP_ST_MASTER &&
		    d2.in[1].state == VRRP_ST_MASTER)
			moved_at = now;
		if (now > 10 * S && !back_at && d1.in[0].state == VRRP_ST_MASTER &&
		    d1.in[1].state == VRRP_ST_MASTER)
			back_at = now;
		if (now == 2 * S || now == 19 * S) {
			assert_int_equal(d1.g.state, VRRP_ST_MASTER);
			assert_int_equal(d2.g.state, VRRP_ST_BACKUP);
		}
		if (now == 9 * S) {
			assert_int_equal(d1.g.state, VRRP_ST_FAULT);
			assert_int_equal(d1.in[0].state, VRRP_ST_FAULT);
			assert_int_equal(d2.g.state, VRRP_ST_MASTER);
		}
	}
	/* both VIPs moved together, within Skew_Time of the goodbye */
	assert_true(moved_at - failed_at < 100 * MS);
	/* back (preempt) within the Master_Down_Interval, both together */
	assert_true(back_at - 10 * S < 400 * MS);
	for (unsigned k = 0; k < 2; k++) {
		assert_int_equal(d1.in[k].state, VRRP_ST_MASTER);
		assert_int_equal(d2.in[k].state, VRRP_ST_BACKUP);
	}
	/* no flapping: d1 MASTER, FAULT, BACKUP, MASTER; d2 BACKUP, MASTER, BACKUP */
	assert_int_equal(d1.gr.n, 4);
	assert_int_equal(d2.gr.n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_rise_fall),
		cmocka_unit_test(test_script_weights_and_limits),
		cmocka_unit_test(test_script_weight_moves_master),
		cmocka_unit_test(test_script_weight_zero_faults),
		cmocka_unit_test(test_sync_fault_moves_every_member),
		cmocka_unit_test(test_sync_backup_follows),
		cmocka_unit_test(test_sync_master_pulls_and_startup),
		cmocka_unit_test(test_sync_two_directors_fail_over_together),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
