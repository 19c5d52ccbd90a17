/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table's lean-path contract (dataplane/sess.h):
 * - sess_candidate() is computed packets before its use; the session it
 *   points at may be deleted (and its slot reused) in between, so a stale
 *   candidate must never compare equal to the key it was looked up for;
 * - the four ways of hashing a key (sess_hash, sess_key_set,
 *   sess_key_set_words, and for a reply key sess_reply_key_words) agree;
 * - a key's first-choice bucket depends on the client's side only, so a
 *   NAT reply key's is its connection key's (one page of the table for
 *   both), while signature and second choice still depend on the whole key;
 * - structured keys (fields counting up together, addresses differing in
 *   their middle octets) spread over the first choices about as random
 *   keys do: a linear hash put them in a subspace.
 */
#include "sess_test_util.h"

static uint64_t rnd_state = 0x243F6A8885A308D3ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* The home slot of h's first-choice bucket. */
static struct sess *home_of(const struct sess_table *t, uint64_t h)
{
	return (struct sess *)((uint8_t *)sess_bucket_at(t, sess_b1(t, h)) + 64);
}

/* A key at its home is found there before any signature is read. */
static void test_home_found_without_scan(void **state)
{
	(void)state;
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(7);
	uint64_t h = sess_hash(&k);
	struct sess *s = ins(t, &k, 0, 10);
	assert_ptr_equal(s, home_of(t, h));

	/* Signatures that match nothing: only the home's key can find it. */
	struct sess_bucket *b = sess_bucket_at(t, sess_b1(t, h));
	struct sess_bucket saved = *b;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		b->sig[w] = (uint16_t)~sess_sig(h);
	bool absent = true;
	assert_ptr_equal(sess_candidate(t, h, &k, &absent), s);
	assert_false(absent);
	*b = saved;
	free(t);
}

/*
 * sess_home_hit() needs only the hash's low half (pass 1 stores no more);
 * a key away from home is not found there, and sess_candidate_away() then
 * finds it by signature with the whole hash.
 */
static void test_home_hit_from_low_half(void **state)
{
	(void)state;
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(7);
	uint64_t h = sess_hash(&k);
	assert_null(sess_home_hit(t, (uint32_t)h, &k)); /* empty table */
	struct sess *s = ins(t, &k, 0, 10);
	assert_ptr_equal(sess_home_hit(t, (uint32_t)h, &k), s);
	assert_ptr_equal(sess_home_hit(t, (uint32_t)sess_hash_lo(sess_key_word(&k, 0),
							       sess_key_word(&k, 1)), &k), s);

	/* Another key of the same first-choice bucket lives away from home. */
	_Alignas(8) struct sess_key k2;
	uint64_t h2 = 0;
	for (uint32_t i = 8;; i++) {
		k2 = key_of(i);
		h2 = sess_hash(&k2);
		if (sess_b1(t, h2) == sess_b1(t, h))
			break;
	}
	struct sess *s2 = ins(t, &k2, 0, 10);
	assert_non_null(s2);
	assert_ptr_not_equal(s2, s);
	assert_null(sess_home_hit(t, (uint32_t)h2, &k2));
	bool absent = true;
	assert_ptr_equal(sess_candidate_away(t, h2, &absent), s2);
	assert_false(absent);
	assert_ptr_equal(sess_candidate(t, h2, &k2, &absent), s2);
	free(t);
}

static void test_stale_candidate_never_matches(void **state)
{
	(void)state;
	struct sess_table *t = table_new(64, 0);
	_Alignas(8) struct sess_key k = key_of(7), k2 = key_of(8);
	uint64_t h = sess_hash(&k);

	bool absent = false;
	assert_null(sess_candidate(t, h, &k, &absent)); /* empty table: no signature */
	assert_true(absent);
	assert_true(sess_absent(t, h));
	struct sess *s = ins(t, &k, 0, 10);
	assert_non_null(s);
	assert_false(sess_absent(t, h)); /* what makes an earlier "absent" stale */
	struct sess *cand = sess_candidate(t, h, &k, &absent);
	assert_false(absent);
	assert_ptr_equal(cand, s);
	assert_true(sess_key_eq(&cand->key, &k));

	/* Deleted after the candidate was taken: the stale pointer must not match. */
	sess_delete(t, s);
	assert_false(sess_key_eq(&cand->key, &k));
	assert_null(sess_lookup(t, &k, h));

	/* Its slot reused by another flow: still no match for the old key. A key
	 * of the same first-choice bucket gets that bucket's home slot back. */
	for (unsigned j = 9; sess_b1(t, sess_hash(&k2)) != sess_b1(t, h); j++)
		k2 = key_of(j);
	struct sess *s2 = ins(t, &k2, 0, 10);
	assert_ptr_equal(s2, s);
	assert_false(sess_key_eq(&cand->key, &k));
	assert_true(sess_key_eq(&cand->key, &k2));
	free(t);
}

static void test_hash_forms_agree(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t r = rnd(), q = rnd();
		uint8_t kflags = (uint8_t)(i % 3 == 0 ? SESS_KEY_REPLY : i % 3 == 1 ? 0 : SESS_KEY_TEMPLATE);
		_Alignas(8) struct sess_key a, b;
		uint64_t ha = sess_key_set(&a, (uint32_t)r, (uint32_t)(r >> 32), (uint16_t)q,
					   (uint16_t)(q >> 16), (uint8_t)(q >> 32), kflags);
		uint64_t w0, w1;
		memcpy(&w0, &a, 8);
		memcpy(&w1, (const uint8_t *)&a + 8, 8);
		uint64_t hb = sess_key_set_words(&b, w0, w1);
		assert_true(sess_key_eq(&a, &b));
		assert_true(ha == hb);
		assert_true(ha == sess_hash(&a));
		if (kflags == SESS_KEY_REPLY) { /* fast_reply()'s, from the frame's words */
			_Alignas(8) struct sess_key c;
			uint32_t ports = (uint32_t)q;
			uint64_t hc = sess_reply_key_words(&c, r, ports, (uint8_t)(q >> 32));
			assert_true(sess_key_eq(&a, &c));
			assert_true(ha == hc);
		}
	}
}

static void test_reply_first_choice_is_client_side(void **state)
{
	(void)state;
	struct sess_table *t = table_new(1 << 16, 0);
	enum { CLIENTS = 200, SERVERS = 64 };

	for (unsigned c = 0; c < CLIENTS; c++) {
		uint32_t caddr = (uint32_t)rnd();
		uint16_t cport = (uint16_t)rnd();
		uint8_t proto = c % 2 ? 6 : 17;
		uint32_t b1 = sess_reply_b1hash(caddr, cport, proto) & t->bmask;
		uint16_t sigs[2 * SERVERS];
		unsigned b2_differs = 0;
		for (unsigned s = 0; s < SERVERS; s++) {
			_Alignas(8) struct sess_key rk, ck;
			/* Whatever the VIP and the real server, the bucket of the
			 * connection key, which pass 1 fetched: reply keys and
			 * connection keys alike. */
			uint64_t h = sess_key_set(&rk, (uint32_t)rnd(), caddr, (uint16_t)rnd(), cport,
						  proto, SESS_KEY_REPLY);
			uint64_t hc = sess_key_set(&ck, caddr, (uint32_t)rnd(), cport,
						   (uint16_t)rnd(), proto, 0);
			assert_int_equal(sess_b1(t, h), b1);
			assert_int_equal(sess_b1(t, hc), b1);
			sigs[2 * s] = sess_sig(h);
			sigs[2 * s + 1] = sess_sig(hc);
			b2_differs += (sess_b2(t, h) != b1) + (sess_b2(t, hc) != b1);
		}
		/* The signature and second choice still tell the keys apart. */
		unsigned same = 0;
		for (unsigned i = 0; i < 2 * SERVERS; i++)
			for (unsigned j = i + 1; j < 2 * SERVERS; j++)
				same += sigs[i] == sigs[j];
		assert_true(same <= 2);
		assert_true(b2_differs >= 2 * SERVERS - 2);
	}
	/* Other client sides, other first choices: port or protocol alone. */
	unsigned same_b1 = 0;
	for (unsigned i = 0; i < 1000; i++) {
		uint32_t caddr = (uint32_t)rnd();
		uint16_t cport = (uint16_t)rnd();
		_Alignas(8) struct sess_key k1, k2, k3;
		uint64_t h1 = sess_key_set(&k1, caddr, 0x6400000a, cport, 80, 6, 0);
		uint64_t h2 = sess_key_set(&k2, caddr, 0x6400000a, (uint16_t)(cport + 1), 80, 6, 0);
		uint64_t h3 = sess_key_set(&k3, caddr, 0x6400000a, cport, 80, 17, 0);
		same_b1 += (sess_b1(t, h1) == sess_b1(t, h2)) + (sess_b1(t, h1) == sess_b1(t, h3));
	}
	assert_true(same_b1 <= 5);
	free(t);
}

/* Reply keys of one client to many real servers all start in one bucket: the
 * overflow to their second choices must keep every one of them findable. */
static void test_reply_keys_of_one_client(void **state)
{
	(void)state;
	enum { M = 40 };
	struct sess_table *t = table_new(256, 0);
	_Alignas(8) struct sess_key k[M], r[M];
	struct sess *s[M];

	for (unsigned i = 0; i < M; i++) {
		/* One client address and port, M services (VIP ports) and real servers. */
		k[i] = key_of(1);
		k[i].dport = htons((uint16_t)(1000 + i));
		s[i] = ins(t, &k[i], 0, 10);
		assert_non_null(s[i]);
		s[i]->nat_addr = htonl(0xac100001u + i);
		s[i]->nat_port = htons(8080);
		r[i] = sess_reply_key(s[i]);
		assert_int_equal(sess_index_add(t, &r[i], sess_hash(&r[i]), s[i]), 0);
	}
	for (unsigned i = 0; i < M; i++) {
		bool absent;
		assert_ptr_equal(sess_lookup(t, &k[i], sess_hash(&k[i])), s[i]);
		assert_ptr_equal(sess_lookup(t, &r[i], sess_hash(&r[i])), s[i]);
		/* Most of them live in their second bucket: never "absent". */
		(void)sess_candidate(t, sess_hash(&r[i]), &r[i], &absent);
		assert_false(absent);
		assert_false(sess_absent(t, sess_hash(&r[i])));
	}
	for (unsigned i = 0; i < M; i += 2) {
		sess_index_del(t, &r[i], sess_hash(&r[i]), s[i]);
		s[i]->nat_addr = 0;
		sess_delete(t, s[i]);
	}
	for (unsigned i = 0; i < M; i++) {
		struct sess *want = i % 2 ? s[i] : NULL;
		assert_ptr_equal(sess_lookup(t, &k[i], sess_hash(&k[i])), want);
		assert_ptr_equal(sess_lookup(t, &r[i], sess_hash(&r[i])), want);
	}
	free(t);
}

/* "absent" is a proof: never claimed for a key in the table, even one that
 * overflowed to its second bucket, and claimed for most keys that are not. */
static void test_absent_is_a_proof(void **state)
{
	(void)state;
	enum { CAP = 4096, KEYS = 3500 };
	struct sess_table *t = table_new(CAP, 0);
	unsigned claimed = 0, at_home = 0;

	for (uint32_t i = 0; i < KEYS; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		assert_non_null(ins(t, &k, 0, 10));
	}
	for (uint32_t i = 0; i < 2 * KEYS; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		uint64_t h = sess_hash(&k);
		bool absent;
		struct sess *c = sess_candidate(t, h, &k, &absent);
		assert_true(absent == sess_absent(t, h));
		if (i < KEYS) {
			assert_false(absent);
			/* A candidate with k's key is k's session, at home or not. */
			struct sess *s = sess_lookup(t, &k, h);
			if (c != NULL && sess_key_eq(&c->key, &k))
				assert_ptr_equal(c, s);
			else
				assert_true(s != home_of(t, h));
			at_home += c == s && c == home_of(t, h);
		} else {
			claimed += absent;
		}
	}
	/* Fewer homes than keys here: most homes hold their own bucket's key. */
	assert_true(at_home > t->nhome / 2);
	/* The index is sized for NAT's second keys: most buckets are sparse. */
	assert_true(claimed > KEYS / 2);
	free(t);
}

/* Distinct first choices of n keys of a pattern in nb buckets, against the
 * number random keys would reach, nb (1 - (1 - 1/nb)^n). */
static double spread(unsigned pattern, unsigned n, unsigned nb)
{
	uint8_t *seen = calloc(nb, 1);
	unsigned d = 0;
	assert_non_null(seen);
	for (unsigned i = 0; i < n; i++) {
		_Alignas(8) struct sess_key k = key_of(i);
		if (pattern == 1) {
			/* Clients in many /24s, one source port (DNS from resolvers). */
			k.saddr = htonl(0x0a000000u | (i << 8));
			k.sport = htons(53);
		} else if (pattern == 2) {
			/* Address and port counting up together, 256 ports a /16 host. */
			k.saddr = htonl(0x0a000000u | (i & 255) | (i >> 8) << 16);
			k.sport = htons((uint16_t)(1024 + (i & 255)));
		} else if (pattern == 3) {
			/* bench/gen_pcap.py's: a /16 of clients, then the next port. */
			k.saddr = htonl(0x0a010000u + i % 65534 + 1);
			k.sport = htons((uint16_t)(1024 + i / 65534));
			k.daddr = htonl(0x0a000064u);
			k.dport = htons(53);
			k.proto = 17;
		}
		uint32_t b = (uint32_t)sess_hash(&k) & (nb - 1);
		d += !seen[b]++;
	}
	free(seen);
	double none = 1; /* chance that no random key lands in a given bucket */
	for (unsigned i = 0; i < n; i++)
		none *= 1 - 1.0 / nb;
	return d / (nb * (1 - none));
}

static void test_structured_keys_spread(void **state)
{
	(void)state;
	static const unsigned sizes[][2] = { { 1000, 1024 }, { 3500, 2048 }, { 10000, 8192 },
					     { 60000, 65536 } };
	for (unsigned p = 0; p < 4; p++)
		for (unsigned z = 0; z < 4; z++)
			assert_true(spread(p, sizes[z][0], sizes[z][1]) > 0.8);
	/* The address's last octets and the port apart: a linear hash of the
	 * client side reached half the buckets (0.59 of random keys' reach). */
	assert_true(spread(3, 2000000, 1u << 20) > 0.9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_found_without_scan),
		cmocka_unit_test(test_home_hit_from_low_half),
		cmocka_unit_test(test_stale_candidate_never_matches),
		cmocka_unit_test(test_absent_is_a_proof),
		cmocka_unit_test(test_structured_keys_spread),
		cmocka_unit_test(test_hash_forms_agree),
		cmocka_unit_test(test_reply_first_choice_is_client_side),
		cmocka_unit_test(test_reply_keys_of_one_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
