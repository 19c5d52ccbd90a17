/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess: the session table's index as a worker uses it. Round trips and
 * misses, signature twins, templates beside connections, second (NAT reply)
 * keys, a full pool and full buckets, and key alignment. Tests marked "was
 * a bug" keep the defects they found from coming back.
 *
 * The seeded random run against an array model is in test_sess_model.c,
 * the timer wheel in test_sess_wheel.c, cuckoo relocation in
 * test_sess_reloc.c; shared helpers are in sess_test_util.h.
 */
#include <errno.h>

#include "sess_test_util.h"

static void test_init(void **state)
{
	(void)state;
	assert_true(sess_mem_size(1000) > sess_mem_size(10));
	struct sess_table *t = table_new(100, 7);
	_Alignas(8) struct sess_key k = key_of(1);

	assert_int_equal(t->cap, 100);
	assert_int_equal(t->n, 0);
	assert_null(look(t, &k));
	assert_int_equal(sess_expire(t, 1000, BIG_BUDGET, NULL, NULL), 0);
	free(t);
}

static void test_roundtrip(void **state)
{
	enum { CAP = 1000, M = 600 };
	struct sess_table *t = table_new(CAP, 0);
	struct sess *s[M];

	(void)state;
	for (uint32_t i = 0; i < M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		s[i] = ins(t, &k, 0, 100);
		assert_non_null(s[i]);
		assert_memory_equal(&s[i]->key, &k, sizeof(k));
		s[i]->rs = i + 1;
	}
	assert_int_equal(t->n, M);
	for (uint32_t i = 0; i < M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		assert_ptr_equal(look(t, &k), s[i]);
		assert_int_equal(s[i]->rs, i + 1);
	}
	for (uint32_t i = 1; i < M; i += 2)
		sess_delete(t, s[i]);
	assert_int_equal(t->n, M / 2);
	for (uint32_t i = 0; i < M; i++) {
		_Alignas(8) struct sess_key k = key_of(i);

		assert_ptr_equal(look(t, &k), i % 2 ? NULL : s[i]);
	}
	free(t);
}

/* A key that differs from a present one in any single field misses. */
static void test_miss_one_field(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(5), m;

	(void)state;
	assert_non_null(ins(t, &k, 0, 10));
	m = k, m.saddr ^= htonl(1);
	assert_null(look(t, &m));
	m = k, m.daddr ^= htonl(1);
	assert_null(look(t, &m));
	m = k, m.sport ^= htons(1);
	assert_null(look(t, &m));
	m = k, m.dport ^= htons(1);
	assert_null(look(t, &m));
	m = k, m.proto = 17;
	assert_null(look(t, &m));
	m = k, m.kflags = SESS_KEY_TEMPLATE;
	assert_null(look(t, &m));
	/* Source and destination swapped is the reply direction, not a hit. */
	m = k, m.saddr = k.daddr, m.daddr = k.saddr, m.sport = k.dport, m.dport = k.sport;
	assert_null(look(t, &m));
	assert_non_null(look(t, &k));
	free(t);
}

/* The 16-bit signature in the bucket, as sess.c derives it from the hash. */
/* The signature the buckets hold (it once read bits 16-31, which are not
 * the signature: the "twins" then differed in it). */
static uint16_t sig(const struct sess_key *k)
{
	return sess_sig(sess_hash(k));
}

/* Search a key a (numbered from base) and b = a with one field changed by
 * mut, such that both share a signature: only the full key compare tells
 * them apart. */
static bool find_twins(struct sess_key *a, struct sess_key *b,
		       void (*mut)(struct sess_key *, uint32_t), uint32_t tries)
{
	for (uint32_t i = 0; i < tries; i++) {
		*a = key_of(i);
		*b = *a;
		mut(b, i);
		if (memcmp(a, b, sizeof(*a)) != 0 && sig(a) == sig(b))
			return true;
	}
	return false;
}

static void mut_saddr(struct sess_key *k, uint32_t i) { k->saddr = htonl(0x0b000000u | i); }
static void mut_daddr(struct sess_key *k, uint32_t i) { k->daddr = htonl(0xc0a90000u | i); }
static void mut_sport(struct sess_key *k, uint32_t i) { k->sport = htons((uint16_t)(i * 7 + 3)); }
static void mut_dport(struct sess_key *k, uint32_t i) { k->dport = htons((uint16_t)(i * 13 + 1)); }
static void mut_proto(struct sess_key *k, uint32_t i) { (void)i; k->proto = 17; }
static void mut_tmpl(struct sess_key *k, uint32_t i) { (void)i; k->kflags = SESS_KEY_TEMPLATE; }

/* One bucket only (cap 2): every key shares it, and keys with equal
 * signatures must still be told apart by every field. */
static void test_sig_twins(void **state)
{
	static void (*const muts[])(struct sess_key *, uint32_t) = {
		mut_saddr, mut_daddr, mut_sport, mut_dport, mut_proto, mut_tmpl,
	};

	(void)state;
	for (unsigned m = 0; m < N(muts); m++) {
		struct sess_table *t = table_new(2, 0);
		_Alignas(8) struct sess_key a, b;

		assert_int_equal(t->bmask, 0);
		assert_true(find_twins(&a, &b, muts[m], 4000000));
		struct sess *sa = ins(t, &a, 0, 10);

		assert_non_null(sa);
		assert_null(look(t, &b));
		struct sess *sb = ins(t, &b, 0, 10);

		assert_non_null(sb);
		assert_ptr_equal(look(t, &a), sa);
		assert_ptr_equal(look(t, &b), sb);
		sess_delete(t, sa);
		assert_null(look(t, &a));
		assert_ptr_equal(look(t, &b), sb);
		free(t);
	}
}

/* A persistence template and a connection with the same addresses live side
 * by side, and deleting one leaves the other. */
static void test_template_separate(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key c = key_of(9), tk = c;

	(void)state;
	tk.kflags = SESS_KEY_TEMPLATE;
	struct sess *sc = ins(t, &c, 0, 10);
	struct sess *st = ins(t, &tk, 0, 300);

	assert_non_null(sc);
	assert_non_null(st);
	assert_ptr_not_equal(sc, st);
	assert_ptr_equal(look(t, &c), sc);
	assert_ptr_equal(look(t, &tk), st);
	sess_delete(t, sc);
	assert_null(look(t, &c));
	assert_ptr_equal(look(t, &tk), st);
	assert_int_equal(st->key.kflags, SESS_KEY_TEMPLATE);
	sc = ins(t, &c, 0, 10);
	assert_non_null(sc);
	sess_delete(t, st);
	assert_null(look(t, &tk));
	assert_ptr_equal(look(t, &c), sc);
	free(t);
}

/* The NAT reply key of a connection: real server to client, flagged. */
static struct sess_key reply_of(const struct sess_key *k, uint32_t rs_addr)
{
	return (struct sess_key){
		.saddr = rs_addr,
		.daddr = k->saddr,
		.sport = htons(8080),
		.dport = k->sport,
		.proto = k->proto,
		.kflags = SESS_KEY_REPLY,
	};
}

/* Index bookkeeping of second keys: each takes a way, -ENOSPC once the
 * index is full, removing one frees a way, and none of it touches the
 * primary keys. */
static void test_second_key_index(void **state)
{
	enum { M = 4, R = 64 };
	struct sess_table *t = table_new(M, 0);
	_Alignas(8) struct sess_key k[M], r[R];
	struct sess *s[M];
	uint32_t added = 0;

	(void)state;
	for (uint32_t i = 0; i < M; i++) {
		k[i] = key_of(i);
		s[i] = ins(t, &k[i], 0, 10);
		assert_non_null(s[i]);
	}
	/* More reply keys than the index has ways: it fills, then refuses. */
	uint32_t ways = (t->bmask + 1) * SESS_BUCKET_WAYS;
	assert_true(R > ways);
	int rc = 0;
	for (uint32_t i = 0; i < R; i++) {
		r[i] = reply_of(&k[0], htonl(0xac100001u + i));
		rc = sess_index_add(t, &r[i], sess_hash(&r[i]), s[0]);
		if (rc)
			break;
		added++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(added + M <= ways);
	for (uint32_t i = 0; i < M; i++)
		assert_ptr_equal(look(t, &k[i]), s[i]);
	/* One removed: exactly one way comes back. */
	sess_index_del(t, &r[0], sess_hash(&r[0]), s[0]);
	assert_int_equal(sess_index_add(t, &r[added], sess_hash(&r[added]), s[0]) == 0 ||
				 sess_index_add(t, &r[0], sess_hash(&r[0]), s[0]) == 0,
			 1);
	for (uint32_t i = 0; i < M; i++)
		assert_ptr_equal(look(t, &k[i]), s[i]);
	free(t);
}

/*
 * Was a bug (fixed): a key added with sess_index_add() (the NAT reply direction, which
 * pkt_not_vip() looks up with kflags SESS_KEY_REPLY) is never found:
 * bucket_find() confirms a signature hit by comparing the probe with
 * s->key, the primary key, and the reply key never equals it.
 * Input: s inserted with key K; sess_index_add(t, R, sess_hash(R), s) == 0
 * with R = reply_of(K). Expected: sess_lookup(t, R, sess_hash(R)) == s.
 * Actual: NULL.
 */
static void test_second_key_lookup(void **state)
{
	(void)state;
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1);
	_Alignas(8) struct sess_key r = reply_of(&k, htonl(0xac100001u));
	struct sess *s = ins(t, &k, 0, 10);

	assert_non_null(s);
	s->nat_addr = r.saddr;
	s->nat_port = r.sport;
	assert_int_equal(sess_index_add(t, &r, sess_hash(&r), s), 0);
	assert_ptr_equal(look(t, &k), s);
	assert_ptr_equal(look(t, &r), s); /* fails: NULL */
	sess_index_del(t, &r, sess_hash(&r), s);
	assert_null(look(t, &r));
	assert_ptr_equal(look(t, &k), s);
	free(t);
}

/*
 * sess_reply_home(): a NAT session at home is its reply key's answer without
 * the signature scan; one away from home, a deleted one, a session without
 * NAT and a reply key differing in any field are not (NULL: the caller's
 * sess_lookup() decides). Whatever it returns, sess_lookup() agrees.
 */
static void test_reply_home(void **state)
{
	(void)state;
	struct sess_table *t = table_new(512, 0);
	unsigned at_home = 0, away = 0;
	for (uint32_t i = 0; i < 400; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		_Alignas(8) struct sess_key r = reply_of(&k, htonl(0xac100001u + i % 4));
		struct sess *s = ins(t, &k, 0, 10);
		assert_non_null(s);
		s->nat_addr = r.saddr;
		s->nat_port = r.sport;
		uint64_t rh = sess_hash(&r);
		/* the reply key's first bucket is its connection key's */
		assert_int_equal(sess_b1(t, rh), sess_b1(t, sess_hash(&k)));
		if (sess_index_add(t, &r, rh, s) != 0) {
			s->nat_addr = 0;
			sess_delete(t, s);
			continue;
		}
		bool home = (uint8_t *)s == (uint8_t *)sess_bucket_at(t, sess_b1(t, rh)) + 64;
		struct sess *h = sess_reply_home(t, rh, &r);
		if (home) {
			at_home++;
			assert_ptr_equal(h, s);
		} else {
			away++;
			assert_null(h);
		}
		assert_ptr_equal(look(t, &r), s);
		/* any one field off: not its session, even looked for in its
		 * bucket (the hash left as the real key's) */
		static const unsigned offs[] = { offsetof(struct sess_key, saddr),
						 offsetof(struct sess_key, daddr),
						 offsetof(struct sess_key, sport),
						 offsetof(struct sess_key, dport),
						 offsetof(struct sess_key, proto) };
		for (unsigned f = 0; f < N(offs); f++) {
			_Alignas(8) struct sess_key x = r;
			((uint8_t *)&x)[offs[f]] ^= 1;
			assert_null(sess_reply_home(t, rh, &x));
			assert_null(sess_reply_home(t, sess_hash(&x), &x));
		}
		if (i % 5 == 0) {
			/* deleted: its slot is free (key.pad 1) whatever its
			 * other fields still hold, and the key gone */
			sess_index_del(t, &r, rh, s);
			sess_delete(t, s);
			assert_null(sess_reply_home(t, rh, &r));
			assert_null(look(t, &r));
		} else if (i % 5 == 1 && home) {
			/* the same session without NAT (DR) has no reply key */
			sess_index_del(t, &r, rh, s);
			s->nat_addr = 0;
			assert_null(sess_reply_home(t, rh, &r));
		}
	}
	/* 400 keys in 512 buckets: both cases are there */
	assert_true(at_home > 100 && away > 10);
	free(t);
}

/* A recycled pool entry comes back zeroed: no state leaks between flows. */
static void test_insert_zeroes(void **state)
{
	struct sess_table *t = table_new(4, 0);
	_Alignas(8) struct sess_key a = key_of(1), b = key_of(2);
	struct sess *s = ins(t, &a, 0, 10);

	(void)state;
	assert_non_null(s);
	s->rs = 77, s->aux = 3, s->svc = 4, s->state = 5, s->flags = 6;
	s->nat_addr = 8, s->nat_port = 9, s->in_port = 10;
	memset(s->cmac, 0xff, sizeof(s->cmac));
	sess_delete(t, s);
	s = ins(t, &b, 0, 10);
	assert_non_null(s);
	assert_int_equal(s->rs, 0);
	assert_int_equal(s->aux, 0);
	assert_int_equal(s->svc, 0);
	assert_int_equal(s->state, 0);
	assert_int_equal(s->flags, 0);
	assert_int_equal(s->nat_addr, 0);
	assert_int_equal(s->nat_port, 0);
	assert_int_equal(s->in_port, 0);
	static const uint8_t zero_mac[6];
	assert_memory_equal(s->cmac, zero_mac, sizeof(zero_mac));
	assert_int_equal(s->expire, 10);
	free(t);
}

/* Keys i in [from, to) that are present map to s[i]; the rest miss. */
static void check_present(struct sess_table *t, struct sess **s, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		struct sess *f = look(t, &k);

		assert_ptr_equal(f, s[i]);
		if (f)
			assert_memory_equal(&f->key, &k, sizeof(k));
	}
}

/* Insert keys until the pool is full; a NULL must change nothing. */
static uint32_t fill(struct sess_table *t, struct sess **s, uint32_t keys)
{
	uint32_t fails = 0;

	for (uint32_t i = 0; i < keys; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		uint32_t n = t->n;

		s[i] = ins(t, &k, 0, 10);
		if (s[i] == NULL) {
			fails++;
			assert_int_equal(t->n, n);
		} else {
			assert_int_equal(t->n, n + 1);
		}
	}
	return fails;
}

static void capacity_case(uint32_t cap)
{
	uint32_t keys = cap * 2 + 8;
	struct sess **s = calloc(keys, sizeof(*s));
	struct sess_table *t = table_new(cap, 0);

	assert_non_null(s);
	/* Twice as many keys as cap: enough to reach a full pool even if a few
	 * land on full buckets, and then every further insert must fail. */
	uint32_t fails = fill(t, s, keys);
	assert_int_equal(t->n, cap);
	assert_int_equal(fails, keys - cap);
	check_present(t, s, 0, keys);

	/* Free half of what is present: the same keys go back in. */
	uint32_t freed = 0;
	for (uint32_t i = 0; i < keys; i++)
		if (s[i] && i % 2) {
			sess_delete(t, s[i]);
			s[i] = NULL;
			freed++;
		}
	assert_int_equal(t->n, cap - freed);
	check_present(t, s, 0, keys);
	for (uint32_t i = 1; i < keys && t->n < cap; i += 2) {
		_Alignas(8) struct sess_key k = key_of(i);

		s[i] = ins(t, &k, 0, 10);
		assert_non_null(s[i]);
	}
	assert_int_equal(t->n, cap);
	check_present(t, s, 0, keys);
	free(t);
	free(s);
}

/* Caps around bucket rounding, including the tightest (682, 5461: the
 * index is exactly 1.5 slots per session, a power of two of buckets). */
static void test_capacity(void **state)
{
	static const uint32_t caps[] = { 1, 2, 5, 6, 8, 9, 64, 682, 1000, 4096, 5461 };

	(void)state;
	for (unsigned i = 0; i < N(caps); i++)
		capacity_case(caps[i]);
}

/*
 * A new session takes the home slot of its first-choice bucket (the line
 * after it, so that one prefetch pair brings both) when that slot is free,
 * and a slot after the buckets when it is not; a freed home slot goes back
 * to its own bucket's next key.
 */
static void test_home_slots(void **state)
{
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(1), k2 = key_of(2);
	uint64_t h = sess_hash(&k);
	uint32_t b = sess_b1(t, h);

	(void)state;
	/* A bucket and its home are one 128-byte pair. */
	assert_int_equal((uintptr_t)sess_bucket_at(t, 0) % 128, 0);
	struct sess *s = ins(t, &k, 0, 10);
	assert_non_null(s);
	assert_ptr_equal((uint8_t *)s, (uint8_t *)sess_bucket_at(t, b) + 64);
	assert_int_equal(sess_index(t, s), 2 * b + 1);
	for (uint32_t j = 3; sess_b1(t, sess_hash(&k2)) != b; j++)
		k2 = key_of(j);
	struct sess *s2 = ins(t, &k2, 0, 10);
	assert_non_null(s2);
	assert_true(sess_index(t, s2) >= 2 * t->nb);
	assert_true(sess_idx_valid(t, sess_index(t, s2)));
	assert_false(sess_idx_valid(t, 2 * b)); /* a bucket's own line */
	assert_ptr_equal(look(t, &k), s);
	assert_ptr_equal(look(t, &k2), s2);
	sess_delete(t, s);
	assert_ptr_equal(look(t, &k2), s2);
	assert_ptr_equal(ins(t, &k, 0, 10), s);
	free(t);
}

/*
 * Slots away from home come off a stack, in address order in a fresh table;
 * a freed one is the next handed out; deleting a free slot again changes
 * nothing (pushed twice, it would be handed out twice and the stack could
 * run past its end).
 */
static void test_free_stack(void **state)
{
	enum { CAP = 2000 };
	struct sess_table *t = table_new(CAP, 0);
	struct sess *away[2] = { NULL, NULL };
	unsigned n_away = 0;
	uint32_t nfree0 = t->nfree;

	(void)state;
	assert_int_equal(nfree0, t->idx_end - 2 * t->nb);
	for (uint32_t i = 0; n_away < 2 && i < CAP; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		struct sess *s = ins(t, &k, 0, 10);

		assert_non_null(s);
		if (sess_index(t, s) >= 2 * t->nb)
			away[n_away++] = s;
	}
	assert_int_equal(n_away, 2);
	assert_int_equal(sess_index(t, away[0]), 2 * t->nb);
	assert_int_equal(sess_index(t, away[1]), 2 * t->nb + 1);
	assert_int_equal(t->nfree, nfree0 - 2);

	uint32_t n = t->n;
	_Alignas(8) struct sess_key k0 = away[0]->key;
	sess_delete(t, away[0]);
	assert_int_equal(t->n, n - 1);
	assert_int_equal(t->nfree, nfree0 - 1);
	sess_delete(t, away[0]); /* already free */
	assert_int_equal(t->n, n - 1);
	assert_int_equal(t->nfree, nfree0 - 1);
	assert_null(look(t, &k0));

	/* The freed slot is the next one away from home. */
	for (uint32_t i = CAP;; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		struct sess *s = ins(t, &k, 0, 10);

		assert_non_null(s);
		if (sess_index(t, s) >= 2 * t->nb) {
			assert_ptr_equal(s, away[0]);
			break;
		}
	}
	free(t);
}

static void test_capacity_zero(void **state)
{
	struct sess_table *t = table_new(0, 0);
	_Alignas(8) struct sess_key k = key_of(1);

	(void)state;
	assert_null(ins(t, &k, 0, 10));
	assert_null(look(t, &k));
	assert_int_equal(t->n, 0);
	free(t);
}

/* Keys whose two bucket choices are both bucket 0 (found by search). */
static uint32_t colliding_keys(const struct sess_table *t, uint32_t *out, uint32_t want)
{
	uint32_t got = 0;

	for (uint32_t i = 0; got < want && i < 10000000; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		uint64_t h = sess_hash(&k);

		if (sess_b1(t, h) == 0 && sess_b2(t, h) == 0)
			out[got++] = i;
	}
	return got;
}

/* Both buckets full while the pool has room: NULL, and nothing consumed. */
static void test_buckets_full(void **state)
{
	enum { W = SESS_BUCKET_WAYS };
	struct sess_table *t = table_new(64, 0);
	uint32_t id[W + 1];
	struct sess *s[W + 1];

	(void)state;
	assert_int_equal(colliding_keys(t, id, W + 1), W + 1);
	for (unsigned i = 0; i < W; i++) {
		_Alignas(8) struct sess_key k = key_of(id[i]);

		s[i] = ins(t, &k, 0, 10);
		assert_non_null(s[i]);
	}
	_Alignas(8) struct sess_key extra = key_of(id[W]);
	uint32_t nfree = t->nfree;

	assert_null(ins(t, &extra, 0, 10));
	assert_int_equal(t->n, W);
	assert_int_equal(t->nfree, nfree);
	assert_null(look(t, &extra));
	for (unsigned i = 0; i < W; i++) {
		_Alignas(8) struct sess_key k = key_of(id[i]);

		assert_ptr_equal(look(t, &k), s[i]);
	}
	/* Room in one bucket again: the refused key now fits. */
	sess_delete(t, s[3]);
	s[W] = ins(t, &extra, 0, 10);
	assert_non_null(s[W]);
	assert_ptr_equal(look(t, &extra), s[W]);
	free(t);
}

/* The shape of struct pkt_info (dataplane/pkt.h): three bytes, then the key,
 * which used to land 4 bytes off an 8-byte boundary. */
struct pkt_like {
	uint8_t verdict, drop, tcp_flags;
	struct sess_key key;
	uint64_t hash;
};

/*
 * Was a bug (fixed; undefined behaviour, silent on x86): struct sess_key is only 4-byte
 * aligned, but sess_hash() and key_eq() read it through uint64_t pointers
 * (misaligned loads, and an aliasing violation). struct pkt_info puts its
 * key at offset 4. Input: lookup of a key stored like pkt_info's. Expected:
 * no diagnostics. Actual: run unskipped under -fsanitize=undefined, UBSan
 * reports "load of misaligned address ... for type 'const uint64_t'".
 */
static void test_key_alignment(void **state)
{
	struct pkt_like pi = { .key = key_of(3) };

	(void)state;
	struct sess_table *t = table_new(64, 0);

	/* The key type carries its alignment now, wherever it is embedded. */
	assert_int_equal(offsetof(struct pkt_like, key) % 8, 0);
	pi.hash = sess_hash(&pi.key);
	struct sess *s = sess_insert(t, &pi.key, pi.hash, 0, 10);
	assert_non_null(s);
	assert_ptr_equal(sess_lookup(t, &pi.key, pi.hash), s);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_miss_one_field),
		cmocka_unit_test(test_sig_twins),
		cmocka_unit_test(test_template_separate),
		cmocka_unit_test(test_insert_zeroes),
		cmocka_unit_test(test_second_key_index),
		cmocka_unit_test(test_second_key_lookup),
		cmocka_unit_test(test_reply_home),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_capacity_zero),
		cmocka_unit_test(test_home_slots),
		cmocka_unit_test(test_free_stack),
		cmocka_unit_test(test_buckets_full),
		cmocka_unit_test(test_key_alignment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
