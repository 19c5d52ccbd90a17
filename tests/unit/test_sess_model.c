/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess: a seeded random run of the session table against an array model
 * (insert, lookup, delete, touch, expire through the wheel's callback),
 * which closes the gaps between test_sess.c's hand-written cases.
 */
#include <stdlib.h>

#include "sess_test_util.h"

/*
 * The random run. Keys come in pairs with the same addresses, one a
 * connection and one a template; the model is an array indexed by key
 * number, which each session also carries in rs so the callback can check
 * it against the model.
 */
#define MK 3000
#define MCAP 2048
#define MOPS 100000

struct mentry {
	_Alignas(8) struct sess_key k;
	struct sess *s;
	uint32_t expire;
	bool live;
};

struct model {
	struct sess_table *t;
	struct mentry e[MK];
	unsigned live;
	uint32_t now;
	bool touch;
};

static bool cb_model(void *arg, struct sess_table *t, struct sess *s)
{
	struct model *m = arg;

	(void)t;
	assert_in_range(s->rs, 1, MK);
	struct mentry *e = &m->e[s->rs - 1];
	assert_true(e->live);
	assert_ptr_equal(e->s, s);
	assert_int_equal(e->expire, s->expire);
	assert_true((int32_t)(s->expire - m->now) <= 0);
	e->live = false;
	m->live--;
	return true;
}

static uint32_t rand_timeout(void)
{
	/* Mostly short, some past a lap of the wheel. */
	return rand() % 4 ? 1 + (uint32_t)rand() % 300 : 1 + (uint32_t)rand() % 9000;
}

static void model_insert(struct model *m, struct mentry *e, uint32_t i)
{
	if (e->live) {
		assert_ptr_equal(look(m->t, &e->k), e->s);
		return;
	}
	uint32_t to = rand_timeout();
	struct sess *s = ins(m->t, &e->k, m->now, to);

	if (s == NULL) {
		/* Clean refusal: only when the pool is full (buckets have room to
		 * spare at this load), and nothing became findable. */
		assert_int_equal(m->live, MCAP);
		assert_null(look(m->t, &e->k));
		return;
	}
	s->rs = i + 1;
	*e = (struct mentry){ .k = e->k, .s = s, .expire = m->now + to, .live = true };
	m->live++;
}

static void model_lookup(struct model *m, struct mentry *e, uint32_t i)
{
	struct sess *s = look(m->t, &e->k);

	assert_ptr_equal(s, e->live ? e->s : NULL);
	if (s) {
		assert_memory_equal(&s->key, &e->k, sizeof(e->k));
		assert_int_equal(s->rs, i + 1);
	}
}

static void model_delete(struct model *m, struct mentry *e)
{
	if (!e->live)
		return;
	sess_delete(m->t, e->s);
	e->live = false;
	m->live--;
	assert_null(look(m->t, &e->k));
}

static void model_touch(struct model *m, struct mentry *e)
{
	if (!e->live)
		return;
	uint32_t to = rand_timeout();

	sess_touch(m->t, e->s, m->now, to);
	e->expire = m->now + to;
	assert_int_equal(e->s->expire, e->expire);
}

static void model_expire(struct model *m)
{
	unsigned budget = rand() % 4 ? (unsigned)rand() % 64 : BIG_BUDGET;

	m->now += (uint32_t)rand() % 4;
	assert_true(sess_expire(m->t, m->now, budget, cb_model, m) <= budget);
	/* Whatever is older than the wheel's position must be gone. */
	for (uint32_t i = 0; i < MK; i++)
		if (m->e[i].live)
			assert_true((int32_t)(m->e[i].expire - m->t->wheel_now) >= 0);
	if (budget == BIG_BUDGET)
		assert_int_equal(m->t->wheel_now, m->now + 1);
}

static void model_step(struct model *m)
{
	uint32_t i = (uint32_t)rand() % MK;
	struct mentry *e = &m->e[i];
	int r = rand() % 100;

	if (r < 35)
		model_insert(m, e, i);
	else if (r < 60)
		model_lookup(m, e, i);
	else if (r < 75)
		model_delete(m, e);
	else if (r < 85 && m->touch)
		model_touch(m, e);
	else
		model_expire(m);
	assert_int_equal(m->t->n, m->live);
}

/* Everything the model holds is findable, then the table empties fully and
 * the pool refills to cap: the free slots survived. */
static void model_drain(struct model *m)
{
	for (uint32_t i = 0; i < MK; i++) {
		model_lookup(m, &m->e[i], i);
		model_delete(m, &m->e[i]);
	}
	assert_int_equal(m->t->n, 0);
	for (uint32_t i = 0; i < MCAP; i++) {
		_Alignas(8) struct sess_key k = key_of(100000 + i);

		assert_non_null(ins(m->t, &k, m->now, 10));
	}
	assert_int_equal(m->t->n, MCAP);
}

static void run_model(unsigned seed, bool touch)
{
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	srand(seed);
	m->now = (uint32_t)rand();
	m->t = table_new(MCAP, m->now);
	m->touch = touch;
	for (uint32_t i = 0; i < MK; i++) {
		m->e[i].k = key_of(i / 2);
		m->e[i].k.kflags = i % 2 ? SESS_KEY_TEMPLATE : 0;
	}
	for (unsigned op = 0; op < MOPS; op++)
		model_step(m);
	model_drain(m);
	free(m->t);
	free(m);
}

static void test_random_model(void **state)
{
	(void)state;
	run_model(20240601, false);
}

/* Was a bug (fixed): the same random run with sess_touch() mixed in (what every
 * packet does) corrupts the wheel: see test_refile_loses_neighbour in
 * test_sess_wheel.c. */
static void test_random_model_touch(void **state)
{
	(void)state;
	run_model(20240601, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_random_model_touch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
