/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_fsm against RFC 5798 §6.4 / RFC 3768 §6.4 with a simulated clock: the
 * Master_Down_Interval and Skew_Time of both versions to the microsecond,
 * startup (owner, configured MASTER, backup), preemption and its absence,
 * preempt_delay, priority-0 hand-over, equal-priority tie break, v3 learning
 * the master's interval, FAULT and its recovery, priority changes, shutdown,
 * and two routers on a simulated wire. The "network" is a list of what the
 * machine asked to send. Tracking and sync groups: test_vrrp_fsm_track.c.
 */
#include "tests/unit/vrrp_fsm_testlib.h"

static void test_skew_and_down_interval(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 99, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	/* v2: (256 - 99) / 256 s */
	assert_int_equal(vrrp_fsm_skew_us(&f), 157ull * S / 256);
	assert_int_equal(vrrp_fsm_down_interval_us(&f), 3 * S + 157ull * S / 256);
	/* keepalived's default backup (priority 100, advert_int 1): ~3.61 s */
	c = cfg(2, 100, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	assert_int_equal(vrrp_fsm_down_interval_us(&f), 3 * S + 156ull * S / 256);
	/* v3: (256 - 99) × Master_Adver_Interval / 256 with advert_int 0.1 s */
	c = cfg(3, 99, 10);
	vrrp_fsm_init(&f, &c, &ops, &r);
	assert_int_equal(vrrp_fsm_skew_us(&f), 157ull * 100 * MS / 256);
	assert_int_equal(vrrp_fsm_down_interval_us(&f), 300 * MS + 157ull * 100 * MS / 256);
	assert_true(vrrp_fsm_down_interval_us(&f) < 400 * MS);
}

static void test_backup_becomes_master_after_down_interval(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 99, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 10 * S);
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	assert_int_equal(r.why[0], VRRP_WHY_STARTUP);
	assert_int_equal(r.n_sent, 0);
	uint64_t down = 10 * S + vrrp_fsm_down_interval_us(&f);
	assert_int_equal(vrrp_fsm_next(&f), down);
	vrrp_fsm_timer(&f, down - 1);
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	vrrp_fsm_timer(&f, down);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(r.why[1], VRRP_WHY_MASTER_DOWN);
	assert_int_equal(r.n_sent, 1);
	assert_int_equal(r.sent[0], 99);
	assert_int_equal(f.master_addr, c.primary);
}

static void test_owner_and_configured_master_start_as_master(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 255, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, S);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(r.why[0], VRRP_WHY_OWNER);
	assert_int_equal(r.sent[0], 255);

	memset(&r, 0, sizeof(r));
	c = cfg(3, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, S);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(r.from[0], VRRP_ST_INIT);
	assert_int_equal(r.why[0], VRRP_WHY_CONFIGURED);
	assert_int_equal(r.n_sent, 1);
}

static void test_master_adverts_every_interval(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(3, 100, 10);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	run(&f, 0, 1 * S); /* 0.1 s: one at start, then 10 in a second */
	assert_int_equal(r.n_sent, 11);
	for (unsigned i = 0; i < 11; i++)
		assert_int_equal(r.sent[i], 100);
	/* A stalled loop sends one advert, not a burst. */
	vrrp_fsm_timer(&f, 5 * S);
	vrrp_fsm_timer(&f, 5 * S);
	assert_int_equal(r.n_sent, 12);
	assert_int_equal(vrrp_fsm_next(&f), 5 * S + 100 * MS);
}

static void test_master_backs_off_to_higher_priority(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	/* Lower: discarded, we stay master. */
	vrrp_fsm_advert(&f, 10 * MS, 99, 100, ip(9));
	assert_int_equal(f.state, VRRP_ST_MASTER);
	/* Higher: back off, wait for it with the Master_Down_Timer. */
	vrrp_fsm_advert(&f, 20 * MS, 101, 100, ip(1));
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	assert_int_equal(r.why[1], VRRP_WHY_PREEMPTED);
	assert_int_equal(f.master_addr, ip(1));
	assert_int_equal(f.master_prio, 101);
	assert_int_equal(vrrp_fsm_next(&f), 20 * MS + vrrp_fsm_down_interval_us(&f));
	assert_int_equal(f.adver_at, 0);
}

static void test_equal_priority_higher_address_wins(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100); /* we are 10.99.0.3 */
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, MS, 100, 100, ip(2)); /* lower address: ignored */
	assert_int_equal(f.state, VRRP_ST_MASTER);
	/* 10.99.0.200 > 10.99.0.3 as numbers, not as bytes of the last octet only */
	vrrp_fsm_advert(&f, 2 * MS, 100, 100, ip(200));
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	/* Compared in host order: 11.0.0.1 beats 10.99.0.3 although its last byte is lower. */
	memset(&r, 0, sizeof(r));
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, MS, 100, 100, htonl(0x0b000001));
	assert_int_equal(f.state, VRRP_ST_BACKUP);
}

static void test_priority_zero_hand_over_after_skew(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 99, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 500 * MS, 100, 100, ip(2));
	assert_int_equal(f.master_addr, ip(2));
	vrrp_fsm_advert(&f, 700 * MS, 0, 100, ip(2));
	uint64_t at = 700 * MS + vrrp_fsm_skew_us(&f);
	assert_int_equal(vrrp_fsm_next(&f), at);
	vrrp_fsm_timer(&f, at);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(r.why[1], VRRP_WHY_MASTER_LEFT);
	/* v3 at 0.1 s: the hand-over takes Skew_Time = 61 ms */
	memset(&r, 0, sizeof(r));
	c = cfg(3, 99, 10);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 50 * MS, 0, 10, ip(2));
	assert_true(vrrp_fsm_next(&f) - 50 * MS < 62 * MS);
}

static void test_master_answers_priority_zero(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 300 * MS, 0, 100, ip(9));
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(r.n_sent, 2);
	assert_int_equal(vrrp_fsm_next(&f), 1300 * MS);
}

static void test_preempt_and_nopreempt(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	/* preempt: a lower master's adverts are discarded, so we take over
	 * once the down interval since the last accepted one has passed. */
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	uint64_t down = vrrp_fsm_down_interval_us(&f);
	for (uint64_t t = 0; t < down; t += S)
		vrrp_fsm_advert(&f, t, 99, 100, ip(2));
	vrrp_fsm_timer(&f, down);
	assert_int_equal(f.state, VRRP_ST_MASTER);

	/* nopreempt: the lower master keeps the VIPs for as long as it speaks. */
	memset(&r, 0, sizeof(r));
	c.preempt = false;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	for (uint64_t t = 0; t < 30 * S; t += S) {
		vrrp_fsm_advert(&f, t, 99, 100, ip(2));
		run(&f, t, t + S - MS);
	}
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	assert_int_equal(r.n_tr, 1);
	/* ...and takes over when it goes silent. */
	run(&f, 30 * S, 40 * S);
	assert_int_equal(f.state, VRRP_ST_MASTER);
}

static void test_preempt_delay(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.preempt_delay_us = 10 * S;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	/* The first lower advert at 1 s starts the delay: accepted until 11 s. */
	for (uint64_t t = S; t <= 20 * S; t += S) {
		vrrp_fsm_advert(&f, t, 99, 100, ip(2));
		run(&f, t, t + S - MS);
		if (t < 11 * S)
			assert_int_equal(f.state, VRRP_ST_BACKUP);
	}
	assert_int_equal(f.state, VRRP_ST_MASTER);
	/* last accepted advert at 10 s: master at 10 s + down interval */
	assert_int_equal(r.n_tr, 2);
	assert_int_equal(r.why[1], VRRP_WHY_MASTER_DOWN);
}

static void test_v3_learns_master_interval(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(3, 99, 100); /* ours: 1 s */
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 10 * MS, 100, 10, ip(2)); /* master's: 0.1 s */
	assert_int_equal(f.master_adver_cs, 10);
	assert_int_equal(vrrp_fsm_next(&f), 10 * MS + 300 * MS + 157ull * 100 * MS / 256);
	/* v2 never learns: the interval must match (checked by vrrp_pkt). */
	c = cfg(2, 99, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 0, 100, 300, ip(2));
	assert_int_equal(f.master_adver_cs, 100);
	/* Becoming master goes back to our own interval. */
	c = cfg(3, 99, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_advert(&f, 0, 100, 10, ip(2));
	run(&f, 0, S);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	assert_int_equal(f.master_adver_cs, 100);
}

static void test_fault_and_recovery(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_set_fault(&f, S, true);
	assert_int_equal(f.state, VRRP_ST_FAULT);
	assert_int_equal(r.sent[r.n_sent - 1], 0); /* goodbye */
	assert_int_equal(vrrp_fsm_next(&f), UINT64_MAX);
	unsigned sent = r.n_sent;
	vrrp_fsm_advert(&f, 2 * S, 50, 100, ip(2)); /* ignored in FAULT */
	run(&f, S, 20 * S);
	assert_int_equal(f.state, VRRP_ST_FAULT);
	assert_int_equal(r.n_sent, sent);
	/* Recovery: backup first (not the configured MASTER again). */
	vrrp_fsm_set_fault(&f, 20 * S, false);
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	assert_int_equal(f.why, VRRP_WHY_FAULT_CLEARED);
	run(&f, 20 * S, 25 * S);
	assert_int_equal(f.state, VRRP_ST_MASTER);
	/* Starting while faulty starts in FAULT. */
	memset(&r, 0, sizeof(r));
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_set_fault(&f, 0, true);
	vrrp_fsm_start(&f, 0);
	assert_int_equal(f.state, VRRP_ST_FAULT);
	assert_int_equal(r.n_sent, 0);
}

static void test_priority_change(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(2, 100, 100);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_set_priority(&f, 500 * MS, 50);
	assert_int_equal(r.n_sent, 2);
	assert_int_equal(r.sent[1], 50); /* announced at once */
	assert_int_equal(vrrp_fsm_next(&f), 1500 * MS);
	/* Now a 99 preempts us. */
	vrrp_fsm_advert(&f, 600 * MS, 99, 100, ip(2));
	assert_int_equal(f.state, VRRP_ST_BACKUP);
	/* The owner's priority never changes. */
	c = cfg(2, 255, 100);
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_set_priority(&f, 0, 100);
	assert_int_equal(f.prio, 255);
}

static void test_shutdown(void **st)
{
	(void)st;
	struct rec r = { 0 };
	struct vrrp_fsm f;
	struct vrrp_fsm_cfg c = cfg(3, 100, 10);
	c.initial_master = true;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_stop(&f, 50 * MS);
	assert_int_equal(f.state, VRRP_ST_INIT);
	assert_int_equal(r.sent[r.n_sent - 1], 0);
	assert_int_equal(r.to[r.n_tr - 1], VRRP_ST_INIT);
	assert_int_equal(r.why[r.n_tr - 1], VRRP_WHY_SHUTDOWN);
	assert_int_equal(vrrp_fsm_next(&f), UINT64_MAX);
	/* A backup leaves silently. */
	memset(&r, 0, sizeof(r));
	c.initial_master = false;
	vrrp_fsm_init(&f, &c, &ops, &r);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_stop(&f, MS);
	assert_int_equal(r.n_sent, 0);
	assert_string_equal(vrrp_state_name(f.state), "INIT");
	assert_string_equal(vrrp_reason_names[VRRP_WHY_SHUTDOWN], "shutdown");
}

/* Two machines on one simulated wire: the election converges on the higher. */
static void test_two_routers_converge(void **st)
{
	(void)st;
	uint64_t now = 0;
	struct wire_pair p;
	struct vrrp_fsm *a = &p.a, *b = &p.b;
	wire_pair_start(&p, &now, false);
	for (; now < 2 * S; now += MS) {
		if (vrrp_fsm_next(a) <= now)
			vrrp_fsm_timer(a, now);
		if (vrrp_fsm_next(b) <= now)
			vrrp_fsm_timer(b, now);
	}
	assert_int_equal(a->state, VRRP_ST_MASTER);
	assert_int_equal(b->state, VRRP_ST_BACKUP);
	/* a dies silently: b is master within 3 × 0.1 s + skew < 400 ms */
	uint64_t died = now;
	a->running = false;
	while (b->state != VRRP_ST_MASTER) {
		now += MS;
		if (vrrp_fsm_next(b) <= now)
			vrrp_fsm_timer(b, now);
	}
	assert_true(now - died < 400 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skew_and_down_interval),
		cmocka_unit_test(test_backup_becomes_master_after_down_interval),
		cmocka_unit_test(test_owner_and_configured_master_start_as_master),
		cmocka_unit_test(test_master_adverts_every_interval),
		cmocka_unit_test(test_master_backs_off_to_higher_priority),
		cmocka_unit_test(test_equal_priority_higher_address_wins),
		cmocka_unit_test(test_priority_zero_hand_over_after_skew),
		cmocka_unit_test(test_master_answers_priority_zero),
		cmocka_unit_test(test_preempt_and_nopreempt),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_v3_learns_master_interval),
		cmocka_unit_test(test_fault_and_recovery),
		cmocka_unit_test(test_priority_change),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_two_routers_converge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
