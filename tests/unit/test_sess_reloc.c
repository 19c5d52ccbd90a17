/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess: cuckoo relocation in the session table's index (see the comment
 * below). Index tests are in test_sess.c, the timer wheel in
 * test_sess_wheel.c; shared helpers are in sess_test_util.h.
 */
#include "sess_test_util.h"

/*
 * Cuckoo relocation: when both buckets of a key are full, sess_insert() and
 * sess_index_add() move other keys to their other bucket to make room. The
 * index is narrowed under the pool here: sess_init() gives 3 ways a session,
 * so a full pool would come long before a full index. bmask = RB - 1 uses
 * only the first RB buckets (the rest stay zeroed; check_index verifies they
 * are never written), so RB * 8 index ways face a pool of RCAP sessions.
 */
#define RB 64u
#define RWAYS (RB * SESS_BUCKET_WAYS)
#define RCAP RWAYS
/* Session indexes are line numbers (sess.h): below sess_init()'s idx_end,
 * which is at most 2.5 times the capacity. */
#define RIDX (3 * RCAP)

struct rsess {
	_Alignas(8) struct sess_key k, r; /* primary, and reply when nat */
	bool live, nat;
	int at[2]; /* bucket * 8 + way of each key when it went in */
};

struct rtab {
	struct sess_table *t;
	uint32_t nb;              /* buckets sess_init() laid out */
	uint64_t rng;
	struct rsess e[RIDX]; /* by session index */
	uint32_t keys;            /* index entries in use */
	uint32_t old_load;        /* keys when an insert first found both buckets full */
	bool old_full;
};

static uint64_t rnext(struct rtab *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static struct rtab *rtab_new(uint64_t seed)
{
	struct rtab *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->rng = seed * 0x9E3779B97F4A7C15ULL | 1;
	m->t = table_new(RCAP, 0);
	m->nb = m->t->bmask + 1;
	assert_true(m->t->idx_end <= RIDX);
	assert_true(m->nb > RB);
	m->t->bmask = RB - 1;
	return m;
}

static bool key_in(const struct sess_table *t, uint32_t b, uint16_t sg, uint64_t h)
{
	return sess_sig(h) == sg && (sess_b1(t, h) == b || sess_b2(t, h) == b);
}

/* Where key k of session i sits (bucket * 8 + way), -1 if nowhere. */
static int where(const struct sess_table *t, const struct sess_key *k, uint32_t i)
{
	uint64_t h = sess_hash(k);
	uint32_t bs[2] = { sess_b1(t, h), sess_b2(t, h) };

	for (unsigned c = 0; c < 2; c++)
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
			if (sess_bucket_at(t, bs[c])->idx[w] == i &&
			    sess_bucket_at(t, bs[c])->sig[w] == sess_sig(h))
				return (int)(bs[c] * SESS_BUCKET_WAYS + w);
	return -1;
}

static bool both_full(const struct sess_table *t, const struct sess_key *k)
{
	uint64_t h = sess_hash(k);
	const struct sess_bucket *bs[2] = { sess_bucket_at(t, sess_b1(t, h)),
					    sess_bucket_at(t, sess_b2(t, h)) };

	for (unsigned c = 0; c < 2; c++)
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
			if (bs[c]->idx[w] == 0)
				return false;
	return true;
}

/*
 * The index recounted from scratch against the model: every used way holds
 * exactly one live key (sig and one of its two buckets), each live key has
 * exactly one way, every ovf equals the number of keys living in their second
 * choice (b1 != b2) with that first choice, nothing was written past bmask,
 * and every key is found.
 */
static void check_index(struct rtab *m)
{
	struct sess_table *t = m->t;
	uint32_t ovf[RB] = { 0 }, used = 0;
	static uint8_t seen[RIDX][2];

	memset(seen, 0, sizeof(seen));
	for (uint32_t b = 0; b < RB; b++)
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
			uint32_t i = sess_bucket_at(t, b)->idx[w];
			uint16_t sg = sess_bucket_at(t, b)->sig[w];

			if (i == 0) {
				assert_int_equal(sg, 0);
				continue;
			}
			assert_in_range(i, 1, RIDX - 1);
			assert_true(sess_idx_valid(t, i));
			assert_true(m->e[i].live);
			uint64_t hp = sess_hash(&m->e[i].k), hr = sess_hash(&m->e[i].r);
			bool p = key_in(t, b, sg, hp), r = m->e[i].nat && key_in(t, b, sg, hr);

			assert_true(p != r); /* exactly one of its keys */
			uint64_t h = r ? hr : hp;
			seen[i][r]++;
			used++;
			if (sess_b1(t, h) != sess_b2(t, h) && b == sess_b2(t, h))
				ovf[sess_b1(t, h)]++;
		}
	for (uint32_t b = 0; b < RB; b++)
		assert_int_equal(sess_bucket_at(t, b)->ovf, ovf[b]);
	static const struct sess_bucket zero;
	for (uint32_t b = RB; b < m->nb; b++)
		assert_memory_equal(sess_bucket_at(t, b), &zero, sizeof(zero));
	assert_int_equal(used, m->keys);
	uint32_t n = 0;
	for (uint32_t i = 1; i < RIDX; i++) {
		if (!m->e[i].live) {
			assert_int_equal(seen[i][0] + seen[i][1], 0);
			continue;
		}
		n++;
		assert_int_equal(seen[i][0], 1);
		assert_int_equal(seen[i][1], m->e[i].nat);
		assert_ptr_equal(look(t, &m->e[i].k), sess_at(t, i));
		if (m->e[i].nat)
			assert_ptr_equal(look(t, &m->e[i].r), sess_at(t, i));
	}
	assert_int_equal(t->n, n);
}

/* Note the first insert the old code (no relocation) would have refused. */
static void note_old(struct rtab *m, const struct sess_key *k)
{
	if (!m->old_full && both_full(m->t, k)) {
		m->old_full = true;
		m->old_load = m->keys;
	}
}

/* A new session with random fields, NAT (a reply key) one time in two, as
 * the worker makes them. False when the index refuses a key. */
static bool radd(struct rtab *m)
{
	_Alignas(8) struct sess_key k;
	uint64_t r = rnext(m);
	uint64_t h = sess_key_set(&k, (uint32_t)r, (uint32_t)(r >> 32), (uint16_t)rnext(m),
				  htons(80), 6, 0);

	if (look(m->t, &k))
		return true; /* drawn twice: not a new session */
	note_old(m, &k);
	struct sess *s = sess_insert(m->t, &k, h, 0, 10);
	if (s == NULL)
		return false;
	uint32_t i = sess_index(m->t, s);
	struct rsess *e = &m->e[i];

	assert_false(e->live);
	*e = (struct rsess){ .k = k, .live = true };
	m->keys++;
	if (rnext(m) & 1) {
		s->nat_addr = (uint32_t)rnext(m) | 1;
		s->nat_port = (uint16_t)rnext(m);
		e->r = sess_reply_key(s);
		if (look(m->t, &e->r) == NULL) {
			note_old(m, &e->r);
			if (sess_index_add(m->t, &e->r, sess_hash(&e->r), s) < 0) {
				/* What the worker does: give the session back. */
				s->nat_addr = 0;
				sess_delete(m->t, s);
				e->live = false;
				m->keys--;
				return false;
			}
			e->nat = true;
			m->keys++;
		} else {
			s->nat_addr = 0;
		}
	}
	e->at[0] = where(m->t, &e->k, i);
	e->at[1] = e->nat ? where(m->t, &e->r, i) : -1;
	return true;
}

static void rdel(struct rtab *m, uint32_t i)
{
	struct rsess *e = &m->e[i];
	struct sess *s = sess_at(m->t, i);

	assert_true(e->live);
	if (e->nat) {
		sess_index_del(m->t, &e->r, sess_hash(&e->r), s);
		m->keys--;
		assert_null(look(m->t, &e->r));
	}
	sess_delete(m->t, s);
	m->keys--;
	e->live = false;
	assert_null(look(m->t, &e->k));
}

static bool moved(const struct rtab *m, uint32_t i)
{
	const struct rsess *e = &m->e[i];

	return where(m->t, &e->k, i) != e->at[0] ||
	       (e->nat && where(m->t, &e->r, i) != e->at[1]);
}

/*
 * Fill to the first refusal, checking the index after every insert. The old
 * code refused the first key whose two buckets were full; with relocation
 * the index fills much further (about 0.6 -> 0.98 of its ways at this size,
 * printed below; larger tables: see sess.c). Then the moved keys are deleted (their deletion must
 * find them where relocation put them, and undo exactly their ovf), and the
 * rest: the index ends empty with every ovf back to 0.
 */
static void test_reloc_load(void **state)
{
	enum { SEEDS = 12 };
	uint32_t old_sum = 0, new_sum = 0, new_min = RWAYS, replies_moved = 0;

	(void)state;
	for (unsigned seed = 1; seed <= SEEDS; seed++) {
		struct rtab *m = rtab_new(seed);

		while (radd(m))
			check_index(m);
		check_index(m); /* a refusal changed nothing */
		assert_true(m->old_full);
		assert_true(m->keys > m->old_load);
		assert_true(m->keys >= RWAYS * 9 / 10);
		old_sum += m->old_load;
		new_sum += m->keys;
		if (m->keys < new_min)
			new_min = m->keys;

		/* Reply keys move too: they are rebuilt from their session. */
		uint32_t nmoved = 0;
		for (uint32_t i = 1; i < RIDX; i++)
			if (m->e[i].live && m->e[i].nat &&
			    where(m->t, &m->e[i].r, i) != m->e[i].at[1])
				replies_moved++;
		for (uint32_t i = 1; i < RIDX; i++)
			if (m->e[i].live && moved(m, i)) {
				rdel(m, i);
				nmoved++;
				check_index(m);
			}
		assert_true(nmoved > 0);
		for (uint32_t i = 1; i < RIDX; i++)
			if (m->e[i].live)
				rdel(m, i);
		check_index(m);
		assert_int_equal(m->keys, 0);
		for (uint32_t b = 0; b < RB; b++)
			assert_int_equal(sess_bucket_at(m->t, b)->ovf, 0);
		free(m->t);
		free(m);
	}
	assert_true(replies_moved > 0);
	print_message("index load at first refusal, %u buckets, mean of %u: "
		      "two-choice %.3f, with relocation %.3f (min %.3f)\n",
		      RB, SEEDS, (double)old_sum / SEEDS / RWAYS, (double)new_sum / SEEDS / RWAYS,
		      (double)new_min / RWAYS);
}

/*
 * Churn at 93-99% index load: inserts that relocate (or are refused, a NAT
 * session then given back), interleaved with deletes of keys that may have
 * been moved, any number of times. The index must stay exact (check_index)
 * through every step.
 */
static void test_reloc_churn(void **state)
{
	struct rtab *m = rtab_new(777);
	uint32_t refused = 0;

	(void)state;
	while (m->keys < RWAYS * 93 / 100)
		assert_true(radd(m));
	for (unsigned step = 0; step < 4000; step++) {
		if (m->keys < RWAYS * 99 / 100 && rnext(m) % 3) {
			refused += !radd(m);
		} else {
			uint32_t i;
			do
				i = 1 + (uint32_t)(rnext(m) % (RIDX - 1));
			while (!m->e[i].live);
			rdel(m, i);
		}
		check_index(m);
	}
	for (uint32_t i = 1; i < RIDX; i++)
		if (m->e[i].live)
			rdel(m, i);
	check_index(m);
	for (uint32_t b = 0; b < RB; b++)
		assert_int_equal(sess_bucket_at(m->t, b)->ovf, 0);
	assert_true(refused > 0);
	print_message("churn at 93-99%% load: %u inserts refused\n", refused);
	free(m->t);
	free(m);
}

/* A key of table t with first choice b1 and second choice b2 (UINT32_MAX:
 * any bucket outside avoid1, avoid2 and b1). */
static struct sess_key key_at(const struct sess_table *t, uint32_t *seq, uint32_t b1,
			      uint32_t b2, uint32_t avoid1, uint32_t avoid2)
{
	for (;; (*seq)++) {
		struct sess_key k = key_of(*seq);
		uint64_t h = sess_hash(&k);
		uint32_t c2 = sess_b2(t, h);

		if (sess_b1(t, h) != b1)
			continue;
		if (b2 != UINT32_MAX ? c2 != b2 : c2 == avoid1 || c2 == avoid2 || c2 == b1)
			continue;
		(*seq)++;
		return k;
	}
}

/*
 * Both buckets of a new key X full, every occupant able to move: one move
 * makes room, and X still gets its first choice (so its lookups read one
 * bucket); the moved key now counts as an overflow of its first choice, and
 * deleting it takes that back.
 */
static void test_reloc_first_choice(void **state)
{
	struct rtab *m = rtab_new(1);
	struct sess_table *t = m->t;
	uint32_t seq = 0, a = 5, b = 9;
	struct sess *sa[SESS_BUCKET_WAYS], *sb[SESS_BUCKET_WAYS];
	_Alignas(8) struct sess_key ka[SESS_BUCKET_WAYS], kb[SESS_BUCKET_WAYS];

	(void)state;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
		ka[w] = key_at(t, &seq, a, UINT32_MAX, a, b);
		kb[w] = key_at(t, &seq, b, UINT32_MAX, a, b);
		sa[w] = ins(t, &ka[w], 0, 10);
		sb[w] = ins(t, &kb[w], 0, 10);
		assert_non_null(sa[w]);
		assert_non_null(sb[w]);
	}
	_Alignas(8) struct sess_key x = key_at(t, &seq, a, b, 0, 0);
	assert_true(both_full(t, &x));
	assert_int_equal(sess_bucket_at(t, a)->ovf, 0);

	struct sess *sx = ins(t, &x, 0, 10);
	assert_non_null(sx);
	int at = where(t, &x, sess_index(t, sx));
	assert_int_equal(at / SESS_BUCKET_WAYS, a);
	assert_ptr_equal(look(t, &x), sx);
	/* One of a's keys went to its second choice: one overflow of a. */
	assert_int_equal(sess_bucket_at(t, a)->ovf, 1);
	assert_int_equal(sess_bucket_at(t, b)->ovf, 0);
	unsigned out = SESS_BUCKET_WAYS;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
		assert_ptr_equal(look(t, &ka[w]), sa[w]);
		assert_ptr_equal(look(t, &kb[w]), sb[w]);
		if (where(t, &ka[w], sess_index(t, sa[w])) / SESS_BUCKET_WAYS != (int)a)
			out = w;
	}
	assert_int_not_equal(out, SESS_BUCKET_WAYS);
	sess_delete(t, sa[out]);
	assert_null(look(t, &ka[out]));
	assert_int_equal(sess_bucket_at(t, a)->ovf, 0);
	assert_ptr_equal(look(t, &x), sx);
	free(t);
	free(m);
}

/* The next key_of(*seq) with both choices in bucket b: it can never move. */
static struct sess_key key_stuck(const struct sess_table *t, uint32_t *seq, uint32_t b)
{
	for (;; (*seq)++) {
		struct sess_key k = key_of(*seq);
		uint64_t h = sess_hash(&k);

		if (sess_b1(t, h) == b && sess_b2(t, h) == b) {
			(*seq)++;
			return k;
		}
	}
}

/*
 * A connection key P (its two buckets X != W) and the reply key R of a NAT
 * session with P and real server address fake->nat_addr, sharing P's
 * signature and first bucket X, R's second choice neither X nor W. About one
 * reply address in 64k shares P's signature: they are searched.
 */
struct sig_pair {
	_Alignas(8) struct sess_key p, r;
	uint64_t hp, hr;
	uint32_t x, wb, r2;
};

static void same_sig_pair(const struct sess_table *t, struct sess *fake, struct sig_pair *q)
{
	for (uint32_t j = 1;; j++) {
		q->p = key_of(j);
		q->hp = sess_hash(&q->p);
		q->x = sess_b1(t, q->hp);
		q->wb = sess_b2(t, q->hp);
		if (q->x != q->wb)
			break;
	}
	fake->key = q->p;
	bool found = false;
	for (uint32_t a = 1; a < (1u << 28) && !found; a++) {
		fake->nat_addr = a;
		q->r = sess_reply_key(fake);
		q->hr = sess_hash(&q->r);
		q->r2 = sess_b2(t, q->hr);
		found = sess_sig(q->hr) == sess_sig(q->hp) && q->r2 != q->x && q->r2 != q->wb;
	}
	assert_true(found);
	assert_int_equal(sess_b1(t, q->hr), q->x);
}

/*
 * A NAT session whose two keys P and R share a signature: both start in
 * bucket X (a reply key's first choice is its connection key's), P with W
 * as its second choice, R with another. X's two ways holding (session,
 * signature) each fit both keys, so relocation must leave them: a way moved
 * as P's when it was R's would, after a second such move, leave R in
 * neither of its buckets, and the ovf counts off. Here every other way of
 * the new key's buckets is stuck, so the insert must fail and change
 * nothing.
 */
static void test_reloc_ambiguous(void **state)
{
	struct rtab *m = rtab_new(1);
	struct sess_table *t = m->t;
	struct sess fake = { .nat_port = htons(8080) };
	struct sig_pair q;
	uint32_t seq = 1000;

	(void)state;
	same_sig_pair(t, &fake, &q);
	const struct sess_key p = q.p, r = q.r;
	uint64_t hr = q.hr;
	uint32_t x = q.x, wb = q.wb;

	struct sess *s = ins(t, &p, 0, 10);
	assert_non_null(s);
	uint32_t i = sess_index(t, s);
	s->nat_addr = fake.nat_addr;
	s->nat_port = fake.nat_port;
	assert_int_equal(sess_index_add(t, &r, hr, s), 0);
	assert_int_equal(where(t, &p, i) / SESS_BUCKET_WAYS, (int)x);
	assert_int_equal(where(t, &r, i) / SESS_BUCKET_WAYS, (int)x);

	/* X's other ways and all of a bucket Y hold keys that cannot move. */
	uint32_t y = 0;
	while (y == x || y == wb)
		y++;
	for (unsigned w = 2; w < SESS_BUCKET_WAYS; w++) {
		_Alignas(8) struct sess_key k = key_stuck(t, &seq, x);
		assert_non_null(ins(t, &k, 0, 10));
	}
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
		_Alignas(8) struct sess_key k = key_stuck(t, &seq, y);
		assert_non_null(ins(t, &k, 0, 10));
	}
	_Alignas(8) struct sess_key nk = key_at(t, &seq, x, y, 0, 0);
	uint32_t n = t->n;

	assert_true(both_full(t, &nk));
	assert_null(ins(t, &nk, 0, 10));
	assert_int_equal(t->n, n);
	unsigned in_x = 0;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		in_x += sess_bucket_at(t, x)->idx[w] == i;
	assert_int_equal(in_x, 2);
	assert_ptr_equal(look(t, &p), s);
	assert_ptr_equal(look(t, &r), s);
	for (uint32_t b = 0; b < RB; b++)
		assert_int_equal(sess_bucket_at(t, b)->ovf, 0);
	/* And both keys still delete cleanly (R first, as sess_end() does;
	 * until the session goes, P's way still answers for R). */
	sess_index_del(t, &r, hr, s);
	in_x = 0;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		in_x += sess_bucket_at(t, x)->idx[w] == i;
	assert_int_equal(in_x, 1);
	assert_ptr_equal(look(t, &p), s);
	sess_delete(t, s);
	assert_null(look(t, &p));
	assert_null(look(t, &r));
	assert_int_equal(where(t, &r, i), -1);
	assert_int_equal(where(t, &p, i), -1);
	free(t);
	free(m);
}

/* Ways of bucket b holding session index i. */
static unsigned ways_of(const struct sess_table *t, uint32_t b, uint32_t i)
{
	unsigned n = 0;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		n += sess_bucket_at(t, b)->idx[w] == i;
	return n;
}

/*
 * A NAT session whose keys P and R share a signature, P in their common
 * first bucket X, R overflowed to its second choice (X was full). Deleting
 * R, then the session (sess_end()'s order), must leave no way of it behind
 * and X's overflow count as it was: R's way is the one in its second
 * bucket, not the look-alike in X (taking that one left R's way and X's
 * count behind for good).
 */
static void test_shared_signature_overflow_deletes_cleanly(void **state)
{
	struct rtab *m = rtab_new(1);
	struct sess_table *t = m->t;
	struct sess fake = { .nat_port = htons(8080) };
	struct sig_pair q;
	uint32_t seq = 5000;

	(void)state;
	same_sig_pair(t, &fake, &q);
	const struct sess_key p = q.p, r = q.r;
	uint64_t hr = q.hr;
	uint32_t x = q.x, wb = q.wb, r2 = q.r2;

	struct sess *s = ins(t, &p, 0, 10);
	assert_non_null(s);
	uint32_t i = sess_index(t, s);
	assert_int_equal(ways_of(t, x, i), 1);
	/* X full of other keys, each of which could still move. */
	for (unsigned w = 1; w < SESS_BUCKET_WAYS; w++) {
		_Alignas(8) struct sess_key k = key_at(t, &seq, x, UINT32_MAX, x, r2);
		assert_non_null(ins(t, &k, 0, 10));
	}
	uint16_t ovf0 = sess_bucket_at(t, x)->ovf;
	s->nat_addr = fake.nat_addr;
	s->nat_port = fake.nat_port;
	assert_int_equal(sess_index_add(t, &r, hr, s), 0);
	assert_int_equal(ways_of(t, r2, i), 1);
	assert_int_equal(sess_bucket_at(t, x)->ovf, ovf0 + 1);
	assert_ptr_equal(look(t, &p), s);
	assert_ptr_equal(look(t, &r), s);

	sess_index_del(t, &r, hr, s);
	assert_int_equal(ways_of(t, r2, i), 0);
	assert_int_equal(ways_of(t, x, i), 1);
	assert_int_equal(sess_bucket_at(t, x)->ovf, ovf0);
	assert_ptr_equal(look(t, &p), s);
	sess_delete(t, s);
	assert_int_equal(ways_of(t, x, i) + ways_of(t, r2, i) + ways_of(t, wb, i), 0);
	assert_int_equal(sess_bucket_at(t, x)->ovf, ovf0);
	free(t);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reloc_load),
		cmocka_unit_test(test_reloc_churn),
		cmocka_unit_test(test_reloc_first_choice),
		cmocka_unit_test(test_reloc_ambiguous),
		cmocka_unit_test(test_shared_signature_overflow_deletes_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
