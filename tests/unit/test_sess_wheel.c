/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess: the session table's timer wheel. Exact expiry ticks, extension and
 * shortening by sess_touch(), the keep-alive callback, the visit budget, laps
 * past SESS_WHEEL_SLOTS and deletion while a slot is half visited. Tests
 * marked "was a bug" keep the defects they found from coming back.
 *
 * Index tests and the random model run are in test_sess.c; shared helpers
 * are in sess_test_util.h.
 */
#include "sess_test_util.h"

/* What the expire callbacks saw; keep/extend let a test play a template. */
struct cb_log {
	uint32_t now;
	unsigned calls;
	struct sess *last;
	unsigned keep;   /* this many calls extend instead of deleting */
	uint32_t extend; /* by this many ticks */
};

static bool cb_record(void *arg, struct sess_table *t, struct sess *s)
{
	struct cb_log *l = arg;

	/* Only due sessions may be offered, and never before their tick. */
	assert_true((int32_t)(s->expire - l->now) <= 0);
	l->calls++;
	l->last = s;
	if (l->keep) {
		l->keep--;
		sess_touch(t, s, l->now, l->extend);
		return false;
	}
	return true;
}

static unsigned run(struct sess_table *t, struct cb_log *l, uint32_t now)
{
	l->now = now;
	return sess_expire(t, now, BIG_BUDGET, cb_record, l);
}

/* Each session dies on exactly its tick, stepping one tick at a time. */
static void test_expire_exact(void **state)
{
	enum { M = 50 };
	struct sess_table *t = table_new(64, 1000);
	struct sess *s[M + 1];
	struct cb_log l = { 0 };

	(void)state;
	for (uint32_t i = 1; i <= M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		s[i] = ins(t, &k, 1000, i);
		assert_non_null(s[i]);
	}
	run(t, &l, 1000);
	assert_int_equal(l.calls, 0);
	for (uint32_t i = 1; i <= M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		run(t, &l, 1000 + i);
		assert_int_equal(l.calls, i);
		assert_ptr_equal(l.last, s[i]);
		assert_null(look(t, &k));
		assert_int_equal(t->n, M - i);
	}
	free(t);
}

/* Without a callback due sessions are simply deleted; late calls catch up. */
static void test_expire_no_cb_and_jump(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key a = key_of(1), b = key_of(2);

	(void)state;
	assert_non_null(ins(t, &a, 0, 10));
	assert_non_null(ins(t, &b, 0, 500));
	assert_int_equal(sess_expire(t, 9, BIG_BUDGET, NULL, NULL), 0);
	assert_non_null(look(t, &a));
	/* One call far past the first expiry: a goes, b is not yet due. */
	assert_int_equal(sess_expire(t, 499, BIG_BUDGET, NULL, NULL), 1);
	assert_null(look(t, &a));
	assert_non_null(look(t, &b));
	sess_expire(t, 500, BIG_BUDGET, NULL, NULL);
	assert_null(look(t, &b));
	assert_int_equal(t->n, 0);
	free(t);
}

/* Extending is a plain store now; the wheel must still honour it. */
static void test_touch_extend(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	struct cb_log l = { 0 };
	struct sess *s = ins(t, &k, 0, 10);

	(void)state;
	assert_non_null(s);
	for (uint32_t now = 1; now < 15; now++) {
		if (now == 5)
			sess_touch(t, s, now, 10);
		run(t, &l, now);
		assert_int_equal(l.calls, 0);
	}
	assert_int_equal(s->expire, 15);
	run(t, &l, 15);
	assert_int_equal(l.calls, 1);
	assert_null(look(t, &k));
	free(t);
}

/* Repeated extensions, as every packet of a flow does, keep it alive. */
static void test_touch_extend_repeated(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	struct cb_log l = { 0 };
	struct sess *s = ins(t, &k, 0, 20);

	(void)state;
	assert_non_null(s);
	for (uint32_t now = 1; now <= 200; now++) {
		sess_touch(t, s, now, 20);
		run(t, &l, now);
	}
	assert_int_equal(l.calls, 0);
	assert_ptr_equal(look(t, &k), s);
	run(t, &l, 219);
	assert_int_equal(l.calls, 0);
	run(t, &l, 220);
	assert_int_equal(l.calls, 1);
	assert_int_equal(t->n, 0);
	free(t);
}

/* Shortening re-files now: it dies at the new tick, and only once. */
static void test_touch_shorten(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	struct cb_log l = { 0 };
	struct sess *s = ins(t, &k, 0, 100);

	(void)state;
	assert_non_null(s);
	run(t, &l, 10);
	sess_touch(t, s, 10, 20);
	run(t, &l, 29);
	assert_int_equal(l.calls, 0);
	assert_non_null(look(t, &k));
	run(t, &l, 30);
	assert_int_equal(l.calls, 1);
	assert_null(look(t, &k));
	/* Its old slot comes up empty. */
	run(t, &l, 200);
	assert_int_equal(l.calls, 1);
	assert_int_equal(t->n, 0);
	free(t);
}

/* A template that still controls connections: the callback extends and
 * returns false, so it lives to the new tick and is offered again. */
static void test_cb_keeps(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	struct cb_log l = { .keep = 2, .extend = 10 };
	struct sess *s;

	(void)state;
	k.kflags = SESS_KEY_TEMPLATE;
	s = ins(t, &k, 0, 10);
	assert_non_null(s);
	run(t, &l, 10);
	assert_int_equal(l.calls, 1);
	assert_ptr_equal(look(t, &k), s);
	assert_int_equal(s->expire, 20);
	run(t, &l, 19);
	assert_int_equal(l.calls, 1);
	run(t, &l, 20);
	assert_int_equal(l.calls, 2);
	assert_ptr_equal(look(t, &k), s);
	run(t, &l, 30);
	assert_int_equal(l.calls, 3);
	assert_null(look(t, &k));
	assert_int_equal(t->n, 0);
	free(t);
}

static bool cb_false(void *arg, struct sess_table *t, struct sess *s)
{
	(void)t;
	(void)s;
	(*(unsigned *)arg)++;
	return false;
}

/* A callback that says "keep" without extending would leave a due session
 * in the wheel forever; the table deletes it instead of leaking it. */
static void test_cb_false_unextended(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	unsigned calls = 0;

	(void)state;
	assert_non_null(ins(t, &k, 0, 10));
	sess_expire(t, 10, BIG_BUDGET, cb_false, &calls);
	assert_int_equal(calls, 1);
	assert_null(look(t, &k));
	assert_int_equal(t->n, 0);
	free(t);
}

/* Insert m sessions expiring at tick exp, keys base.. base+m-1. */
static void insert_run(struct sess_table *t, struct sess **s, uint32_t base,
		       uint32_t m, uint32_t now, uint32_t exp)
{
	for (uint32_t i = 0; i < m; i++) {
		_Alignas(8) struct sess_key k = key_of(base + i);

		s[base + i] = ins(t, &k, now, exp - now);
		assert_non_null(s[base + i]);
	}
}

/* The budget caps visits per call, across slots, and later calls resume. */
static void test_budget(void **state)
{
	struct sess_table *t = table_new(256, 0);
	struct sess *s[150];
	struct cb_log l = { .now = 6 };
	unsigned total = 0, calls = 0;

	(void)state;
	insert_run(t, s, 0, 100, 0, 5);
	insert_run(t, s, 100, 50, 0, 6);
	assert_int_equal(sess_expire(t, 6, 0, cb_record, &l), 0);
	assert_int_equal(t->n, 150);
	while (t->n > 0) {
		unsigned v = sess_expire(t, 6, 30, cb_record, &l);

		assert_in_range(v, 1, 30);
		total += v;
		calls++;
		assert_int_equal(t->n, 150 - total);
		assert_true(calls <= 5);
	}
	assert_int_equal(total, 150);
	assert_int_equal(l.calls, 150);
	assert_int_equal(sess_expire(t, 6, 30, cb_record, &l), 0);
	free(t);
}

/* Not-due entries count against the budget too: the wheel cannot stall on
 * a slot full of sessions from later laps. */
static void test_budget_not_due(void **state)
{
	struct sess_table *t = table_new(256, 0);
	struct sess *s[100];
	struct cb_log l = { 0 };

	(void)state;
	insert_run(t, s, 0, 100, 0, 7 + SESS_WHEEL_SLOTS);
	l.now = 7;
	assert_int_equal(sess_expire(t, 7, 40, cb_record, &l), 40);
	assert_int_equal(sess_expire(t, 7, 40, cb_record, &l), 40);
	assert_int_equal(sess_expire(t, 7, 40, cb_record, &l), 20);
	assert_int_equal(l.calls, 0);
	assert_int_equal(t->n, 100);
	assert_int_equal(run(t, &l, 7 + SESS_WHEEL_SLOTS), 100);
	assert_int_equal(l.calls, 100);
	free(t);
}

/* Timeouts of several laps: each slot comes up early and must wait. */
static void test_long_timeouts(void **state)
{
	static const uint32_t to[] = {
		SESS_WHEEL_SLOTS - 1, SESS_WHEEL_SLOTS, SESS_WHEEL_SLOTS + 1,
		5000, 3 * SESS_WHEEL_SLOTS + 7, 14400, /* tcp 900 s at 16 Hz */
	};
	struct sess_table *t = table_new(64, 100);
	struct sess *s[N(to)];
	struct cb_log l = { 0 };
	unsigned dead = 0;

	(void)state;
	for (unsigned i = 0; i < N(to); i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		s[i] = ins(t, &k, 100, to[i]);
		assert_non_null(s[i]);
	}
	for (uint32_t now = 101; now <= 100 + 14400; now++) {
		run(t, &l, now);
		for (unsigned i = 0; i < N(to); i++) {
			if (100 + to[i] != now)
				continue;
			assert_ptr_equal(l.last, s[i]);
			dead++;
		}
		assert_int_equal(l.calls, dead);
	}
	assert_int_equal(t->n, 0);
	free(t);
}

/* Tick counters wrap: expiry compares by signed distance. */
static void test_tick_wrap(void **state)
{
	uint32_t t0 = UINT32_MAX - 20;
	struct sess_table *t = table_new(64, t0);
	_Alignas(8) struct sess_key a = key_of(1), b = key_of(2);
	struct cb_log l = { 0 };

	(void)state;
	assert_non_null(ins(t, &a, t0, 10));
	assert_non_null(ins(t, &b, t0, 40)); /* due at tick 19 after the wrap */
	for (uint32_t d = 1; d <= 40; d++) {
		run(t, &l, t0 + d);
		assert_int_equal(l.calls, (d >= 10) + (d >= 40));
	}
	assert_int_equal(t->n, 0);
	free(t);
}

/* Which sessions the callback was offered, by index (stored in s->rs). */
struct seen_log {
	uint32_t now;
	unsigned n;
	unsigned seen[64];
	bool gone[64]; /* deleted by the test: must never be offered */
};

static bool cb_seen(void *arg, struct sess_table *t, struct sess *s)
{
	struct seen_log *l = arg;

	(void)t;
	assert_in_range(s->rs, 1, l->n);
	assert_false(l->gone[s->rs - 1]);
	assert_true((int32_t)(s->expire - l->now) <= 0);
	assert_int_equal(l->seen[s->rs - 1], 0); /* offered twice: freed twice */
	l->seen[s->rs - 1]++;
	return true;
}

static void delete_key(struct sess_table *t, struct sess **s, struct seen_log *l, uint32_t i)
{
	assert_non_null(s[i]);
	sess_delete(t, s[i]);
	s[i] = NULL;
	l->gone[i] = true;
}

static uint32_t index_at_cursor(struct sess_table *t, struct sess **s, unsigned m)
{
	assert_int_not_equal(t->wheel_cursor, 0);
	for (uint32_t i = 0; i < m; i++)
		if (s[i] == sess_at(t, t->wheel_cursor))
			return i;
	fail_msg("cursor %u is not a live session", t->wheel_cursor);
	return 0;
}

/* Stop mid-slot and delete, in turn, the entry the wheel resumes at, one
 * already visited and the slot's last one: resuming must not touch freed
 * entries, and every due survivor is offered exactly once. */
static void test_delete_mid_slot(void **state)
{
	enum { M = 12, DUE = 6 };
	struct sess_table *t = table_new(64, 0);
	struct sess *s[M];
	struct seen_log l = { .now = 5, .n = M };

	(void)state;
	/* Interleaved: due now and due a lap later share slot 5. */
	for (uint32_t i = 0; i < M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		s[i] = ins(t, &k, 0, i % 2 ? 5 + SESS_WHEEL_SLOTS : 5);
		assert_non_null(s[i]);
		s[i]->rs = i + 1;
	}
	assert_int_equal(sess_expire(t, 5, 3, cb_seen, &l), 3);
	delete_key(t, s, &l, index_at_cursor(t, s, M));
	assert_int_equal(sess_expire(t, 5, 2, cb_seen, &l), 2);
	/* Entries are pushed at the head: the last inserted (not due) was
	 * visited first and kept; the first inserted is the slot's tail. */
	delete_key(t, s, &l, M - 1);
	delete_key(t, s, &l, 0);
	assert_true(sess_expire(t, 5, BIG_BUDGET, cb_seen, &l) > 0);

	unsigned live = 0;
	for (uint32_t i = 0; i < M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		bool due = i % 2 == 0;

		assert_int_equal(l.seen[i], due && !l.gone[i] ? 1 : 0);
		assert_ptr_equal(look(t, &k), due ? NULL : s[i]);
		live += !due && s[i];
	}
	assert_int_equal(t->n, live);
	/* The lap: the rest go, the deleted are not seen again. */
	l.now = 5 + SESS_WHEEL_SLOTS;
	sess_expire(t, l.now, BIG_BUDGET, cb_seen, &l);
	for (uint32_t i = 0; i < M; i++)
		assert_int_equal(l.seen[i], l.gone[i] ? 0 : 1);
	assert_int_equal(t->n, 0);
	free(t);
}

/*
 * Was a bug (fixed): re-filing an extended session unlinks it from the wrong slot.
 * wheel_unlink() finds the list head through s->expire, but after an
 * extension s->expire already names the new slot while s still sits in the
 * old one. When s is the head of its old slot, sess_expire()'s re-file writes
 * the old slot's tail over the new slot's head: every session filed in the
 * new slot is dropped from the wheel (never expires, a leak), and the old
 * slot keeps pointing at s, which is offered again a lap after it was freed
 * (double delete, n underflow, a free slot handed out twice).
 * Input: B expires at 15; A expires at 10 (alone in slot 10); at tick 5
 * sess_touch(A, now 5, timeout 10). Expected: A and B both expire at tick 15.
 * Actual: only A expires; B stays in the table forever.
 */
static void test_refile_loses_neighbour(void **state)
{
	struct sess *s[2];
	struct seen_log l = { .n = 2 };

	(void)state;
	struct sess_table *t = table_new(64, 0);

	insert_run(t, s, 0, 1, 0, 15);  /* B */
	insert_run(t, s, 1, 1, 0, 10);  /* A */
	s[0]->rs = 1, s[1]->rs = 2;
	for (l.now = 1; l.now <= 15 + SESS_WHEEL_SLOTS; l.now++) {
		if (l.now == 5)
			sess_touch(t, s[1], 5, 10);
		sess_expire(t, l.now, BIG_BUDGET, cb_seen, &l);
		if (l.now == 15) {
			assert_int_equal(l.seen[1], 1); /* A */
			assert_int_equal(l.seen[0], 1); /* B: fails, never offered */
		}
	}
	assert_int_equal(t->n, 0);
	free(t);
}

/*
 * Was a bug (fixed): same root cause through sess_touch(): shortening a session that was
 * extended earlier (established -> FIN: 900 s touched on every packet, then
 * 120 s) unlinks it via the slot of its extended expiry instead of the slot
 * it is filed in.
 * Input: A expires at 100, B at 200; sess_touch(A, 1, 199) (A -> 200, still
 * filed in slot 100), then sess_touch(A, 2, 20) (A -> 22).
 * Expected: A expires at 22, B at 200, each offered once, n == 0 after.
 * Actual: slot 200 loses B (never expires), slot 100 still points at A, so A
 * is offered again at tick 100 after being freed.
 */
static void test_shorten_after_extend(void **state)
{
	struct sess *s[2];
	struct seen_log l = { .n = 2 };

	(void)state;
	struct sess_table *t = table_new(64, 0);

	insert_run(t, s, 0, 1, 0, 200); /* B */
	insert_run(t, s, 1, 1, 0, 100); /* A */
	s[0]->rs = 1, s[1]->rs = 2;
	sess_touch(t, s[1], 1, 199);
	sess_touch(t, s[1], 2, 20);
	for (l.now = 1; l.now <= 200 + SESS_WHEEL_SLOTS; l.now++) {
		sess_expire(t, l.now, BIG_BUDGET, cb_seen, &l);
		assert_int_equal(l.seen[1], l.now >= 22);  /* A */
		assert_int_equal(l.seen[0], l.now >= 200); /* B */
	}
	assert_int_equal(t->n, 0);
	free(t);
}

/*
 * Was a bug (fixed): the template keep-alive path (on_expire() extends and returns false)
 * hits the same wrong-slot unlink.
 * Input: connection C expires at 20; template T expires at 10 (alone in slot
 * 10); the callback extends T by 10 once. Expected: at tick 20 both C and T
 * are offered. Actual: C is dropped from the wheel and never expires.
 */
static void test_cb_keep_loses_neighbour(void **state)
{
	_Alignas(8) struct sess_key c = key_of(1), tk = key_of(2);
	struct cb_log l = { .keep = 1, .extend = 10 };

	(void)state;
	struct sess_table *t = table_new(64, 0);

	tk.kflags = SESS_KEY_TEMPLATE;
	assert_non_null(ins(t, &c, 0, 20));
	assert_non_null(ins(t, &tk, 0, 10));
	run(t, &l, 10);
	assert_int_equal(l.calls, 1);
	run(t, &l, 20);
	assert_int_equal(l.calls, 3); /* fails: 2, C was never offered */
	assert_null(look(t, &c));
	assert_int_equal(t->n, 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expire_exact),
		cmocka_unit_test(test_expire_no_cb_and_jump),
		cmocka_unit_test(test_touch_extend),
		cmocka_unit_test(test_touch_extend_repeated),
		cmocka_unit_test(test_touch_shorten),
		cmocka_unit_test(test_cb_keeps),
		cmocka_unit_test(test_cb_false_unextended),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_not_due),
		cmocka_unit_test(test_long_timeouts),
		cmocka_unit_test(test_tick_wrap),
		cmocka_unit_test(test_delete_mid_slot),
		cmocka_unit_test(test_refile_loses_neighbour),
		cmocka_unit_test(test_shorten_after_extend),
		cmocka_unit_test(test_cb_keep_loses_neighbour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
