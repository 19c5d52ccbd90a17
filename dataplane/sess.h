/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess: a worker's connection table.
 *
 * Owns: a fixed pool of sessions, a two-choice bucketed hash index over them
 * (one 64-byte bucket of 8 signatures per choice; the first choice is
 * prefetched before the lookup, the second read only after an overflow) and a
 * lazy timer wheel for expiry.
 *
 * Threading: one table per worker lcore, which is its only writer and reader
 * (single owner: no locks, no atomics). Memory is provided by the caller
 * (hugepages on a worker, malloc in unit tests); nothing here allocates after
 * sess_init(). No DPDK dependency.
 *
 * Cost: 64 bytes per session (56 used: a session never straddles two lines)
 * plus 64 bytes per 8 index slots; the index has ~3 slots per session (NAT
 * sessions have a second key) rounded up to a power of two of buckets, a bit
 * per bucket (free homes) and 4 bytes per slot away from home (the free
 * stack): 92 to 110 bytes per session in all (bench/sess_mem.c).
 *
 * Layout: each bucket's line is followed by a session slot, its "home"; a
 * new session takes the home of its key's first-choice bucket when that is
 * free (while the table is not crowded, nearly always), else a slot after the
 * buckets. An established packet's two lines are then one aligned pair that
 * pass 1 prefetches at once, instead of a bucket that must arrive before the
 * worker knows which session line to fetch: with the free slots in random
 * order, as a long-running table's are, that dependent miss cost 40 % of the
 * NAT rate at 100k flows (docs/PERFORMANCE.md, 2026-12-03).
 */
#ifndef VIPD_SESS_H
#define VIPD_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

/* Key flags, in the key so that templates and reply keys never collide with
 * connections. */
#define SESS_KEY_TEMPLATE 0x01
#define SESS_KEY_REPLY 0x02 /* NAT: the real server's side of a connection */

/* Aligned to 8: hashing and comparing read it as two 64-bit words. */
struct sess_key {
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	uint8_t kflags;
	uint16_t pad;
} __attribute__((aligned(8)));

/* What an established flow's packet reads comes first; one line each. */
struct sess {
	struct sess_key key;
	uint32_t rs;      /* real server handle (rs.h) */
	uint32_t expire;  /* tick at which it dies */
	uint16_t svc;     /* service slot */
	uint8_t state;    /* protocol state (tcpstate.h) */
	uint8_t flags;
	uint32_t tnext;   /* timer wheel links */
	uint32_t tprev;   /* SESS_WHEEL_HEAD | slot when first in its slot's list */
	uint32_t aux;     /* template: controlled conns; conn: template index */
	uint32_t nat_addr; /* NAT: real server address of the reply key, 0 = none */
	uint16_t nat_port;
	uint8_t in_port;  /* port index the client's packets arrive on */
	uint8_t cmac[6];  /* client-side next hop: where NAT replies go */
	uint8_t pad;
} __attribute__((aligned(64)));

#define SESS_BUCKET_WAYS 8
struct sess_bucket {
	uint16_t sig[SESS_BUCKET_WAYS];
	uint32_t idx[SESS_BUCKET_WAYS]; /* 0 = empty slot */
	uint16_t ovf; /* keys whose first choice is this bucket, living in their second */
	uint8_t pad[14];
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct sess_bucket, idx) % 16 == 0, "idx is read as two SSE words");

#define SESS_WHEEL_SLOTS 4096 /* power of two; ticks past it lap lazily */
/*
 * A list head records its slot in tprev: after an extension, expire no
 * longer says which slot a session is filed in.
 */
#define SESS_WHEEL_HEAD 0x80000000u

struct sess_table {
	uint32_t cap;       /* sessions */
	uint32_t n;         /* in use */
	uint32_t bmask;     /* buckets - 1 */
	uint32_t nfree;     /* free slots away from home: freestk[0 .. nfree - 1] */
	uint32_t wheel_now; /* next tick the wheel must visit */
	uint32_t wheel_cursor; /* entry of the slot being visited, 0 = start */
	uint32_t nb;        /* buckets */
	uint32_t nhome;     /* buckets whose next line is a session: min(nb, cap) */
	uint32_t idx_end;   /* session indexes are below it */
	uint32_t nhome_free;  /* home slots free (bits set in homefree) */
	uint32_t home_cursor; /* homefree word a search for any free home starts at */
	/*
	 * Sessions deleted so far (wraps): a caller holding session pointers
	 * whose keys it compared sees from it whether they may have changed.
	 */
	uint32_t dels;
	uint64_t *homefree;   /* bit k: bucket k's home slot is free */
	uint32_t *freestk;    /* free slots away from home, a stack: the top is taken next */
	/*
	 * 64-byte lines, from a 128-byte boundary: line 2k is bucket k, line
	 * 2k + 1 (k < nhome) its home slot, lines from 2 nb the other sessions.
	 * A session's index is its line number (0, a bucket's, means none).
	 */
	uint8_t *lines;
	uint32_t wheel[SESS_WHEEL_SLOTS];
};

static inline struct sess_bucket *sess_bucket_at(const struct sess_table *t, uint32_t k)
{
	return (struct sess_bucket *)(t->lines + ((size_t)k << 7));
}

static inline struct sess *sess_at(const struct sess_table *t, uint32_t i)
{
	return (struct sess *)(t->lines + ((size_t)i << 6));
}

/* Whether index i names a session slot (it may be free). */
static inline bool sess_idx_valid(const struct sess_table *t, uint32_t i)
{
	return i < t->idx_end && (i >= 2 * t->nb || ((i & 1) && i < 2 * t->nhome));
}

/*
 * The live session at index i, or NULL (not a session slot, or free: free
 * slots carry key.pad = 1, live keys 0). For walks over the whole table.
 */
static inline struct sess *sess_live_at(const struct sess_table *t, uint32_t i)
{
	if (!sess_idx_valid(t, i))
		return NULL;
	struct sess *s = sess_at(t, i);
	return s->key.pad == 0 && s->key.proto != 0 ? s : NULL;
}

/* Bytes needed for a table of cap sessions (including the struct). */
size_t sess_mem_size(uint32_t cap);
/* What a table of cap sessions is made of (sess_mem_size() is their sum). */
struct sess_mem_parts {
	uint32_t buckets;
	size_t header;   /* struct sess_table with the timer wheel */
	size_t index;    /* the buckets' lines and the bitmap of free homes */
	size_t sessions; /* the session slots' lines, and the 64 that align them */
};
struct sess_mem_parts sess_mem_parts(uint32_t cap);
/* Lay out a table in mem (sess_mem_size(cap) bytes, 64-byte aligned). */
struct sess_table *sess_init(void *mem, uint32_t cap, uint32_t now);

/*
 * A key's 64-bit hash: the low 32 bits choose the first bucket, the high 32
 * the second and the signature (their top 16).
 *
 * The first bucket comes from the client's side of the key alone (address,
 * port, protocol: for a connection its source, for a NAT reply key its
 * destination), so a NAT session's two keys start in one bucket, whose home
 * holds the session: making it reads one random line and page of the
 * table, not two (the reply bucket could be fetched only four packets
 * ahead), and a reply packet finds bucket and session on one page too. NAT
 * new flows ran ~1.25 times as fast (docs/PERFORMANCE.md, 2026-12-03, ninth
 * round). Keys of one client address and port (to several VIPs, or a
 * connection and its reply key) share that bucket, 8 ways and its home; the
 * rest overflow to their second choices, which, like the signature, come
 * from the whole key.
 *
 * On x86 (SSE4.2, which DPDK's builds require; meson.build sets it for every
 * target, the unit tests too) both halves are CRC32-C: the low half of the
 * client side (port and protocol plus the address times a constant), the
 * high half of the whole key's two words (first word, then the sum of both)
 * mixed (multiply, xorshift, multiply: a plain product left the signatures
 * of keys that differ in a fixed bit pattern correlated). Pass 1 computes
 * the low half for every packet before the bucket's prefetch can start (a
 * multiply and a CRC, 3 cycles each); the high half waits until a packet
 * misses its home. Against the multiply-xorshift below, which is the
 * fallback elsewhere, NAT at 100k flows ran 1.04 to 1.09 times as fast
 * (bench/ab_bench.sh, docs/PERFORMANCE.md): pass 1's chain from the packet's
 * words to the prefetch is what it shortens. CRC is linear, so colliding
 * keys are easy to make; the mixer below is not keyed either, and colliding
 * flows only crowd their own two buckets (a full pair refuses their new
 * flows, counted as sess_full).
 */
static inline uint64_t sess_hash_words(uint64_t w0, uint64_t w1);

/* w1's client side (a connection key's source port and protocol). */
#define SESS_W1_CLIENT 0x000000ff0000ffffULL

static inline uint64_t sess_mix64(uint64_t h)
{
	h *= 0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	return h;
}

/*
 * The first-choice hash of a client side: c0 its address, c1 its port with
 * the protocol at bit 32 (as in a connection key's second word).
 */
static inline uint32_t sess_hash_client(uint64_t c0, uint64_t c1)
{
#if defined(__SSE4_2__) && defined(__x86_64__)
	/*
	 * CRC is linear: of the address and port words alone (the two CRCs
	 * of the whole key, address and port as a sum), keys whose fields
	 * move together (address and port counting up, addresses that differ
	 * in their last octets only) kept their low bits in a subspace: half
	 * the first choices random keys reach, for bench/gen_pcap.py's 2M
	 * flows. The product's carries spread the address over the whole
	 * word first (3 cycles, as the CRC of the address it replaces).
	 */
	return (uint32_t)_mm_crc32_u64(0x9E3779B9u, c1 + c0 * 0x9E3779B97F4A7C15ULL);
#else
	return (uint32_t)(sess_mix64(c0 << 32 | (uint16_t)c1 | (c1 >> 32) << 16) >> 32);
#endif
}

/* The low half of sess_hash_words(w0, w1): what the first bucket comes from. */
static inline uint32_t sess_hash_lo(uint64_t w0, uint64_t w1)
{
	return sess_hash_client((uint32_t)w0, w1 & SESS_W1_CLIENT);
}

/* The high half of sess_hash_words(w0, w1), in the high half: the signature
 * and the second choice, from the whole key. */
static inline uint64_t sess_hash_hi(uint64_t w0, uint64_t w1)
{
#if defined(__SSE4_2__) && defined(__x86_64__)
	uint64_t c = (uint32_t)_mm_crc32_u64(_mm_crc32_u64(0x9E3779B9u, w0), w1 + w0);
	uint64_t hi = sess_mix64(c);
#else
	uint64_t hi = w0 * 0x9E3779B97F4A7C15ULL ^ w1 * 0xC2B2AE3D27D4EB4FULL;
	hi ^= hi >> 29;
	hi *= 0xBF58476D1CE4E5B9ULL;
#endif
	return hi & 0xffffffff00000000ULL;
}
static inline uint64_t sess_hash_words(uint64_t w0, uint64_t w1)
{
	return sess_hash_hi(w0, w1) | sess_hash_lo(w0, w1);
}

/*
 * A NAT reply key's first-choice bucket: its client side's (destination
 * address, port, protocol), which is its connection key's first bucket. The
 * signature and the second choice come from the whole key.
 */
static inline uint32_t sess_reply_b1hash(uint32_t caddr, uint16_t cport, uint8_t proto)
{
	return sess_hash_client(caddr, (uint64_t)proto << 32 | cport);
}

static inline uint64_t sess_hash_reply_fix(uint64_t h, uint32_t caddr, uint16_t cport,
					   uint8_t proto, uint8_t kflags)
{
	if (kflags & SESS_KEY_REPLY)
		h = (h & 0xffffffff00000000ULL) | sess_reply_b1hash(caddr, cport, proto);
	return h;
}

/*
 * Word i (0 or 1) of a key. Through memcpy, not a uint64_t pointer: that
 * would break C's aliasing rules, and GCC then may read a key built field by
 * field on the stack before its stores (it did, once make_room() stopped
 * being inlined: test_sess_reloc caught it). The code is the same load.
 */
static inline uint64_t sess_key_word(const struct sess_key *k, unsigned i)
{
	uint64_t w;
	memcpy(&w, (const uint8_t *)k + 8 * i, 8);
	return w;
}

static inline uint64_t sess_hash(const struct sess_key *k)
{
	return sess_hash_reply_fix(sess_hash_words(sess_key_word(k, 0), sess_key_word(k, 1)),
				   k->daddr, k->dport, k->proto, k->kflags);
}

/*
 * Fill k from its fields with two 64-bit stores (a later 64-bit load of k
 * then forwards from the store buffer instead of stalling) and return its
 * hash, computed from the same registers.
 */
static inline uint64_t sess_key_set(struct sess_key *k, uint32_t saddr, uint32_t daddr,
				    uint16_t sport, uint16_t dport, uint8_t proto, uint8_t kflags)
{
	uint64_t w0, w1;
	struct sess_key tmp = { saddr, daddr, sport, dport, proto, kflags, 0 };
	memcpy(&w0, &tmp, 8);
	memcpy(&w1, (const uint8_t *)&tmp + 8, 8);
	memcpy(k, &tmp, sizeof(tmp));
	return sess_hash_reply_fix(sess_hash_words(w0, w1), daddr, dport, proto, kflags);
}

/*
 * The same from the key's two words as they lie in memory (w0: saddr, daddr;
 * w1: sport, dport, proto, kflags, pad), e.g. loaded straight from a packet.
 */
static inline uint64_t sess_key_set_words(struct sess_key *k, uint64_t w0, uint64_t w1)
{
	memcpy(k, &w0, 8);
	memcpy((uint8_t *)k + 8, &w1, 8);
	return sess_hash_reply_fix(sess_hash_words(w0, w1), k->daddr, k->dport, k->proto,
				   k->kflags);
}

/*
 * A NAT reply key from a frame's words (w0: source and destination address,
 * ports: both ports, as the frame holds them): sess_key_set()'s key and hash
 * without its field-by-field assembly, and with no first-choice hash of the
 * words that the reply's own (its client side's) replaces.
 */
static inline uint64_t sess_reply_key_words(struct sess_key *k, uint64_t w0, uint32_t ports,
					    uint8_t proto)
{
	uint64_t w1 = ports | (uint64_t)proto << 32 | (uint64_t)SESS_KEY_REPLY << 40;
	memcpy(k, &w0, 8);
	memcpy((uint8_t *)k + 8, &w1, 8);
	/* The client is the destination: its address and port, the protocol. */
	return sess_hash_hi(w0, w1) | sess_hash_client(w0 >> 32, (uint64_t)proto << 32 | ports >> 16);
}

static inline uint32_t sess_b1(const struct sess_table *t, uint64_t h)
{
	return (uint32_t)h & t->bmask;
}

static inline uint32_t sess_b2(const struct sess_table *t, uint64_t h)
{
	return (uint32_t)(h >> 32) & t->bmask;
}

/* asm volatile: GCC otherwise drops a prefetch whose result nothing uses. */
static inline __attribute__((always_inline)) void sess_prefetch_line(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetcht0 %0" : : "m"(*(const volatile char *)p));
#else
	__builtin_prefetch(p);
#endif
}

/*
 * The first choice only (the second is read when the first has overflowed),
 * from the hash's low half (sess_hash_lo()): given separately, its address
 * need not wait for the high half's mixing.
 */
/*
 * What finding a first-choice bucket and its home needs, copied out of the
 * table for a burst: in locals, the packet path's byte stores (which may
 * alias anything) no longer make the compiler reload them for each packet.
 */
struct sess_home {
	uint8_t *lines;
	uint32_t bmask;
};

static inline struct sess_home sess_home_of(const struct sess_table *t)
{
	return (struct sess_home){ .lines = t->lines, .bmask = t->bmask };
}

static inline __attribute__((always_inline)) const uint8_t *sess_home_bucket(struct sess_home v,
									       uint32_t lo)
{
	return v.lines + ((size_t)(lo & v.bmask) << 7);
}

static inline __attribute__((always_inline)) void sess_home_prefetch(struct sess_home v,
								      uint32_t lo)
{
	const uint8_t *b = sess_home_bucket(v, lo);
	sess_prefetch_line(b);
	sess_prefetch_line(b + 64); /* its home session */
}

static inline __attribute__((always_inline)) void sess_prefetch_lo(const struct sess_table *t,
								    uint32_t lo)
{
	sess_home_prefetch(sess_home_of(t), lo);
}

static inline __attribute__((always_inline)) void sess_prefetch(const struct sess_table *t,
								 uint64_t h)
{
	sess_prefetch_lo(t, (uint32_t)h);
}

/* The key of a NAT session's reply direction (real server -> client). */
static inline struct sess_key sess_reply_key(const struct sess *s)
{
	struct sess_key k = {
		.saddr = s->nat_addr,
		.daddr = s->key.saddr,
		.sport = s->nat_port,
		.dport = s->key.sport,
		.proto = s->key.proto,
		.kflags = SESS_KEY_REPLY,
	};
	return k;
}

static inline uint32_t sess_index(const struct sess_table *t, const struct sess *s)
{
	return (uint32_t)(((const uint8_t *)s - t->lines) >> 6);
}

static inline uint16_t sess_sig(uint64_t h)
{
	return (uint16_t)(h >> 48);
}

static inline bool sess_key_eq(const struct sess_key *a, const struct sess_key *b)
{
	return ((sess_key_word(a, 0) ^ sess_key_word(b, 0)) |
		(sess_key_word(a, 1) ^ sess_key_word(b, 1))) == 0;
}

/* Ways of b whose signature is sig, as a bit mask. */
static inline unsigned sess_sig_match(const struct sess_bucket *b, uint16_t sig)
{
#if defined(__SSE2__)
	__m128i v = _mm_load_si128((const __m128i *)b->sig);
	__m128i m = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));
	/* Lanes of 0 or -1 pack to bytes of 0 or -1: one mask bit per way. */
	return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(m, _mm_setzero_si128()));
#else
	unsigned r = 0;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		r |= (unsigned)(b->sig[w] == sig) << w;
	return r;
#endif
}

/* Out of line: the rare reply-key case (NAT), rebuilt from the session. */
struct sess *sess_find_reply(struct sess_table *t, const struct sess_bucket *b, unsigned ways,
			     const struct sess_key *k);

static inline struct sess *sess_bucket_find(struct sess_table *t, const struct sess_bucket *b,
					    const struct sess_key *k, uint16_t sig)
{
	unsigned ways = sess_sig_match(b, sig);
	if (ways == 0)
		return NULL;
	if (k->kflags & SESS_KEY_REPLY)
		return sess_find_reply(t, b, ways, k);
	while (ways) {
		unsigned w = (unsigned)__builtin_ctz(ways);
		ways &= ways - 1;
		uint32_t i = b->idx[w];
		if (i && sess_key_eq(&sess_at(t, i)->key, k))
			return sess_at(t, i);
	}
	return NULL;
}

/* k's session when it lives in the home slot of bucket (its first choice's line), else NULL. */
static inline __attribute__((always_inline)) struct sess *
sess_home_at(const uint8_t *bucket, const struct sess_key *k)
{
	struct sess *home = (struct sess *)(uintptr_t)(bucket + 64);
	return sess_key_eq(&home->key, k) ? home : NULL;
}

/*
 * k's session when it lives in its first-choice bucket's home slot, else
 * NULL: sess_candidate()'s common case from the hash's low half alone (the
 * first choice is its low bits; only the signature needs the high half).
 */
static inline __attribute__((always_inline)) struct sess *
sess_home_find(struct sess_home v, uint32_t lo, const struct sess_key *k)
{
	return sess_home_at(sess_home_bucket(v, lo), k);
}

static inline __attribute__((always_inline)) struct sess *
sess_home_hit(const struct sess_table *t, uint32_t lo, const struct sess_key *k)
{
	return sess_home_find(sess_home_of(t), lo, k);
}

/*
 * Once the first-choice bucket is in cache: the session its signature points
 * at, prefetched, or NULL. A candidate is not a match: compare its key (a
 * deleted session's key never compares equal), and on a mismatch do the full
 * sess_lookup().
 *
 * k in its bucket's home slot, the line fetched with the bucket, is most
 * established packets' case: that key compared first spares the signature
 * scan. A home may hold any key (a crowded table hands out any free home),
 * but a key equal to k is k's session; a free slot's or a line without a
 * home's never is (key.pad = 1).
 */
/* sess_candidate() after a miss at home (sess_home_hit()): the signature scan. */
static inline __attribute__((always_inline)) struct sess *
sess_candidate_away(const struct sess_table *t, uint64_t h, bool *absent)
{
	const struct sess_bucket *b = sess_bucket_at(t, sess_b1(t, h));
	unsigned ways = sess_sig_match(b, sess_sig(h));
	/* No signature here and nothing overflowed from here: not in the table
	 * (until an insert: sess_absent() says whether it still holds). */
	*absent = ways == 0 && b->ovf == 0;
	if (ways == 0)
		return NULL;
	struct sess *s = sess_at(t, b->idx[__builtin_ctz(ways)]);
	sess_prefetch_line(s);
	return s;
}

static inline __attribute__((always_inline)) struct sess *
sess_candidate(const struct sess_table *t, uint64_t h, const struct sess_key *k, bool *absent)
{
	struct sess *home = sess_home_hit(t, (uint32_t)h, k);
	if (__builtin_expect(home != NULL, 1)) {
		*absent = false;
		return home;
	}
	return sess_candidate_away(t, h, absent);
}

/*
 * A NAT reply key's session when it lives in the home of the key's first
 * bucket, else NULL (then sess_lookup()). A reply key shares its first
 * bucket with its session's connection key (sess_hash_words()), so a session
 * at home is found without the signature scan: its reply key rebuilt from
 * its fields equals k. A free slot, or a line without a home, has key.pad 1.
 */
static inline struct sess *sess_reply_home(const struct sess_table *t, uint64_t h,
					   const struct sess_key *k)
{
	struct sess *home = (struct sess *)(uintptr_t)((const uint8_t *)sess_bucket_at(
							       t, sess_b1(t, h)) + 64);
	if (home->key.pad == 0 && home->nat_addr == k->saddr && home->nat_port == k->sport &&
	    home->key.saddr == k->daddr && home->key.sport == k->dport &&
	    home->key.proto == k->proto)
		return home;
	return NULL;
}

/* k (hash h) is not in the table: a cheaper answer than a lookup's NULL. */
static inline bool sess_absent(const struct sess_table *t, uint64_t h)
{
	const struct sess_bucket *b = sess_bucket_at(t, sess_b1(t, h));
	return b->ovf == 0 && sess_sig_match(b, sess_sig(h)) == 0;
}

static inline struct sess *sess_lookup(struct sess_table *t, const struct sess_key *k, uint64_t h)
{
	uint16_t sig = sess_sig(h);
	const struct sess_bucket *b1 = sess_bucket_at(t, sess_b1(t, h));
	struct sess *s = sess_bucket_find(t, b1, k, sig);
	if (s || b1->ovf == 0)
		return s;
	return sess_bucket_find(t, sess_bucket_at(t, sess_b2(t, h)), k, sig);
}
/*
 * Add k (not present) expiring at now + timeout. Returns the zeroed session
 * with its key set, or NULL when the pool is full or both buckets are full
 * and a bounded relocation of other keys (cuckoo) finds no room.
 */
struct sess *sess_insert(struct sess_table *t, const struct sess_key *k,
			 uint64_t h, uint32_t now, uint32_t timeout);
/* Remove s and its primary key; remove any extra key first (sess_index_del). */
void sess_delete(struct sess_table *t, struct sess *s);
/*
 * A second key for s (NAT reply direction); -ENOSPC as sess_insert() fails.
 * k must be sess_reply_key(s) (nat_addr and nat_port set) for as long as it
 * is indexed: relocation rebuilds it from s to find the key's other bucket.
 */
int sess_index_add(struct sess_table *t, const struct sess_key *k, uint64_t h, struct sess *s);
void sess_index_del(struct sess_table *t, const struct sess_key *k, uint64_t h, struct sess *s);
/*
 * Push s's expiry to now + timeout. Extending costs a store (the wheel
 * re-files it lazily when its old slot comes up); shortening re-files it now.
 */
void sess_touch(struct sess_table *t, struct sess *s, uint32_t now, uint32_t timeout);

/*
 * Called for each due session: return true to delete it, or false after
 * extending it with sess_touch() (e.g. a template that still controls
 * connections). It must not delete any session (s included): the walk holds
 * a pointer to the next one.
 */
typedef bool (*sess_expire_fn)(void *arg, struct sess_table *t, struct sess *s);
/*
 * Advance the wheel towards now, expiring due sessions, visiting at most budget entries so that a worker never
 * stalls. Returns the number of entries visited.
 */
unsigned sess_expire(struct sess_table *t, uint32_t now, unsigned budget,
		     sess_expire_fn cb, void *arg);

#endif
