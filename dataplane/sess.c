/* SPDX-License-Identifier: BSD-3-Clause */
#include "sess.h"

#include <errno.h>
#include <string.h>

#define WHEEL_MASK (SESS_WHEEL_SLOTS - 1)

static uint32_t buckets_for(uint32_t cap)
{
	/*
	 * 3 index slots per session: NAT sessions carry two keys, and at most
	 * two thirds full, first-choice inserts rarely overflow, so lookups
	 * mostly read the one prefetched bucket (8 bytes a slot: cheap).
	 */
	uint64_t want = ((uint64_t)cap * 3 + SESS_BUCKET_WAYS - 1) / SESS_BUCKET_WAYS;
	uint32_t b = 1;
	while (b < want)
		b <<= 1;
	return b;
}

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* Lines of the table: every bucket and its home slot, then the other sessions. */
static size_t lines_for(uint32_t cap)
{
	uint32_t nb = buckets_for(cap);
	uint32_t nhome = nb < cap ? nb : cap;
	return 2 * (size_t)nb + (cap - nhome);
}

/* Bytes of the bitmap of free home slots (one bit a bucket, whole words). */
static size_t homefree_bytes(uint32_t cap)
{
	return align64(((size_t)buckets_for(cap) + 63) / 64 * 8);
}

/* Bytes of the stack of free slots away from home (one index each). */
static size_t freestk_bytes(uint32_t cap)
{
	return align64((lines_for(cap) - 2 * (size_t)buckets_for(cap)) * 4);
}

/* 64 bytes more than the lines: they start on a 128-byte boundary, so that
 * a bucket and its home are one pair for the adjacent-line prefetcher. */
struct sess_mem_parts sess_mem_parts(uint32_t cap)
{
	uint32_t nb = buckets_for(cap);
	return (struct sess_mem_parts){
		.buckets = nb,
		.header = align64(sizeof(struct sess_table)),
		.index = (size_t)nb * 64 + homefree_bytes(cap) + freestk_bytes(cap),
		.sessions = 64 + (lines_for(cap) - nb) * 64,
	};
}

size_t sess_mem_size(uint32_t cap)
{
	struct sess_mem_parts p = sess_mem_parts(cap);
	return p.header + p.index + p.sessions;
}

/*
 * Free slots: those away from home on a stack of indexes (taking or
 * returning one touches the stack's top and that slot), home slots as bits
 * in homefree (taking one's own home touches only the bitmap word and the
 * slot, which pass 1 prefetched with its bucket). A key whose home is taken
 * gets a slot from the stack; with the stack empty (a crowded table), any
 * free home: the bitmap is scanned from a cursor that keeps its place, so a
 * run of inserts reads it about once per pass. Worst case, one free home
 * left in a table of 10M sessions, an insert reads 64k words (tens of
 * microseconds), only when the table is that full; test_capacity fills
 * tables to the last slot.
 *
 * A stack rather than a list threaded through the free slots: in a
 * long-running table the free slots lie in random order, and a list can only
 * be read one miss at a time (each link is in the slot before), which held
 * new flows to one memory latency each. The stack says which slots come
 * next, so a take prefetches the one SESS_FREE_AHEAD takes later.
 */
#define SESS_FREE_AHEAD 4

static inline bool is_home(const struct sess_table *t, uint32_t i)
{
	return i < 2 * t->nb;
}

static inline bool home_free(const struct sess_table *t, uint32_t k)
{
	return (t->homefree[k >> 6] >> (k & 63)) & 1;
}

static void slot_free(struct sess_table *t, uint32_t i)
{
	struct sess *s = sess_at(t, i);
	s->key.pad = 1; /* no live key has it: a stale sess_candidate() never matches */
	s->tprev = 0;
	if (is_home(t, i)) {
		uint32_t k = i >> 1;
		t->homefree[k >> 6] |= 1ULL << (k & 63);
		t->nhome_free++;
	} else {
		t->freestk[t->nfree++] = i;
	}
}

/* Any free home slot (nhome_free > 0), cleared; from the scan cursor on. */
static __attribute__((noinline, cold)) uint32_t any_home(struct sess_table *t)
{
	uint32_t words = (t->nhome + 63) / 64;
	for (uint32_t n = 0; n <= words; n++) {
		uint32_t w = t->home_cursor;
		uint64_t bits = t->homefree[w];
		if (bits) {
			uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(bits);
			t->homefree[w] = bits & (bits - 1);
			t->nhome_free--;
			return 2 * k + 1;
		}
		t->home_cursor = w + 1 < words ? w + 1 : 0;
	}
	return 0; /* unreachable while nhome_free counts right */
}

/* A free slot for a key of first-choice bucket k, taken; 0 when none. */
static inline uint32_t slot_take(struct sess_table *t, uint32_t k)
{
	if (k < t->nhome && home_free(t, k)) {
		t->homefree[k >> 6] &= ~(1ULL << (k & 63));
		t->nhome_free--;
		return 2 * k + 1;
	}
	if (t->nfree) {
		uint32_t i = t->freestk[--t->nfree];
		if (t->nfree >= SESS_FREE_AHEAD)
			sess_prefetch_line(sess_at(t, t->freestk[t->nfree - SESS_FREE_AHEAD]));
		return i;
	}
	return t->nhome_free ? any_home(t) : 0;
}

struct sess_table *sess_init(void *mem, uint32_t cap, uint32_t now)
{
	struct sess_table *t = mem;
	uint32_t nb = buckets_for(cap);
	uint8_t *p = (uint8_t *)mem + align64(sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->bmask = nb - 1;
	t->nb = nb;
	t->nhome = nb < cap ? nb : cap;
	t->idx_end = (uint32_t)lines_for(cap);
	t->homefree = (uint64_t *)p;
	t->freestk = (uint32_t *)(p + homefree_bytes(cap));
	t->lines = (uint8_t *)(((uintptr_t)(p + homefree_bytes(cap) + freestk_bytes(cap)) + 127) &
			       ~(uintptr_t)127);
	/* Pages are touched once, here. */
	memset(p, 0, (size_t)(t->lines - p) + lines_for(cap) * 64);
	for (uint32_t k = 0; k < t->nhome; k++)
		slot_free(t, 2 * k + 1);
	/* Never sessions, but sess_candidate() compares their keys too. */
	for (uint32_t k = t->nhome; k < nb; k++)
		sess_at(t, 2 * k + 1)->key.pad = 1;
	/* The stack pops in address order: the last slot goes on first. */
#ifndef SESS_SHUFFLE_FREE
	for (uint32_t i = t->idx_end; i-- > 2 * nb;)
		slot_free(t, i);
#else
	/*
	 * Experiments only (-DSESS_SHUFFLE_FREE): the slots away from home in a
	 * random order, as a long-running table's free stack is, rather than in
	 * the order of their addresses (docs/PERFORMANCE.md, 2026-12-03). A
	 * full-period LCG over the next power of two visits each once.
	 */
	uint32_t m = 1;
	while (m < t->idx_end - 2 * nb)
		m <<= 1;
	for (uint32_t k = 0, x = 0; k < m; k++) {
		x = (x * 1664525u + 1013904223u) & (m - 1);
		if (2 * nb + x < t->idx_end)
			slot_free(t, 2 * nb + x);
	}
#endif
	t->wheel_now = now;
	return t;
}

static inline uint16_t sig_of(uint64_t h)
{
	return sess_sig(h);
}

struct sess *sess_find_reply(struct sess_table *t, const struct sess_bucket *b, unsigned ways,
			     const struct sess_key *k)
{
	while (ways) {
		unsigned w = (unsigned)__builtin_ctz(ways);
		ways &= ways - 1;
		uint32_t i = b->idx[w];
		if (i == 0)
			continue;
		struct sess *s = sess_at(t, i);
		/* A second key is not stored: it is rebuilt from the session. */
		struct sess_key rk = sess_reply_key(s);
		if (s->nat_addr && sess_key_eq(&rk, k))
			return s;
	}
	return NULL;
}

/* The first empty way of b, or -1 when it is full. */
static int bucket_free_way(const struct sess_bucket *b)
{
#if defined(__SSE2__)
	const __m128i *v = (const __m128i *)b->idx;
	__m128i z = _mm_setzero_si128();
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128(&v[0]), z);
	__m128i hi = _mm_cmpeq_epi32(_mm_load_si128(&v[1]), z);
	/* Lanes of 0 or -1 pack to 16-bit, then to 8-bit lanes: one bit per way. */
	unsigned m = (unsigned)_mm_movemask_epi8(
		_mm_packs_epi16(_mm_packs_epi32(lo, hi), z));
	return m ? __builtin_ctz(m) : -1;
#else
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
		if (b->idx[w] == 0)
			return (int)w;
	return -1;
#endif
}

static void wheel_link(struct sess_table *t, struct sess *s)
{
	uint32_t i = sess_index(t, s);
	uint32_t slot = s->expire & WHEEL_MASK;
	uint32_t *head = &t->wheel[slot];
	s->tprev = SESS_WHEEL_HEAD | slot;
	s->tnext = *head;
	if (*head)
		sess_at(t, *head)->tprev = i;
	*head = i;
}

static void wheel_unlink(struct sess_table *t, struct sess *s)
{
	uint32_t i = sess_index(t, s);
	if (t->wheel_cursor == i)
		t->wheel_cursor = s->tnext;
	if (s->tprev & SESS_WHEEL_HEAD)
		t->wheel[s->tprev & WHEEL_MASK] = s->tnext;
	else
		sess_at(t, s->tprev)->tnext = s->tnext;
	/* The next one inherits the head marker, or our predecessor. */
	if (s->tnext)
		sess_at(t, s->tnext)->tprev = s->tprev;
}

/*
 * Cuckoo relocation, when both buckets of a new key are full: a breadth-first
 * search from them for a chain of keys, each of which can move to its other
 * bucket, the last one into a free way. Bounded so that an insert on a worker
 * never stalls: each probe reads one session (to rehash its key) and at most
 * one bucket, RELOC_PROBES of each at most. Breadth-first, 48 probes cover
 * the 16 keys one move away and 4 of the 16 buckets two moves away; a third
 * move would only be tried after 16 + 128 probes, so chains stop at two.
 * Measured (random keys, half of them NAT with a reply key), the index load
 * at the first failed insert goes from 0.38 to 0.94 of its ways at 16384
 * buckets, 0.62 to 0.98 at 64; 32 probes give 0.91, 96 give 0.97.
 */
#define RELOC_MOVES 2
#define RELOC_PROBES 48
#define RELOC_NODES (2 + 2 * SESS_BUCKET_WAYS) /* the roots and what one move reaches */

struct reloc_node {
	uint32_t b;     /* this bucket (full) */
	int8_t parent;  /* node whose key at way moves here, -1 for a root */
	uint8_t way;
	uint8_t depth;  /* moves between it and its root */
	bool up;        /* that key moves from its first choice to its second */
};

/* Whether the key of hash h could sit in bucket b with signature sig. */
static bool key_fits(const struct sess_table *t, uint32_t b, uint16_t sig, uint64_t h)
{
	return sig_of(h) == sig && (sess_b1(t, h) == b || sess_b2(t, h) == b);
}

/*
 * The hash of the key way w of bucket b holds. Buckets store only a signature
 * and a pool index, so the key is the session's primary one or its reply key
 * (rebuilt: valid while nat_addr is set), whichever fits this bucket and
 * signature. If both fit (same signature, a shared bucket), this way may be
 * either key's: it is left alone rather than moved under the wrong key, which
 * could leave the other key outside its two buckets (test_reloc_ambiguous) or
 * an ovf count off by one. If neither fits, it is not moved either.
 */
static bool way_hash(const struct sess_table *t, uint32_t b, unsigned w, uint64_t *hp)
{
	const struct sess_bucket *bk = sess_bucket_at(t, b);
	const struct sess *s = sess_at(t, bk->idx[w]);
	uint16_t sig = bk->sig[w];
	uint64_t h = sess_hash(&s->key);
	bool prim = key_fits(t, b, sig, h);

	if (s->nat_addr) {
		struct sess_key rk = sess_reply_key(s);
		uint64_t rh = sess_hash(&rk);
		if (key_fits(t, b, sig, rh)) {
			if (prim)
				return false;
			*hp = rh;
			return true;
		}
	}
	*hp = h;
	return prim;
}

/*
 * Move way sw of bucket src to way dw of bucket dst. ovf stays exact: a key
 * leaving its first choice (up) counts as an overflow of that bucket (src);
 * one going back to its first choice (dst) no longer does.
 */
static void move_way(struct sess_table *t, uint32_t src, unsigned sw, uint32_t dst, unsigned dw,
		     bool up)
{
	struct sess_bucket *s = sess_bucket_at(t, src), *d = sess_bucket_at(t, dst);
	d->sig[dw] = s->sig[sw];
	d->idx[dw] = s->idx[sw];
	s->sig[sw] = 0;
	s->idx[sw] = 0;
	if (up)
		s->ovf++;
	else
		d->ovf--;
}

static bool queued(const struct reloc_node *q, unsigned n, uint32_t b)
{
	for (unsigned i = 0; i < n; i++)
		if (q[i].b == b)
			return true;
	return false;
}

/*
 * Free a way in bucket r1 or r2 (both full) by relocation: returns the bucket
 * (r1 or r2) and sets *way, or returns UINT32_MAX with nothing changed. The
 * search is breadth-first, r1 before r2, so the shortest chain wins and, at
 * equal length, the new key gets its first choice. Queued buckets are
 * distinct, so a chain never passes a bucket twice and its moves, done from
 * the free end back to the root, each land in the way the previous one freed.
 * Out of line and cold: inlined, its registers made every insert save and
 * restore registers (bench/instr_count.sh --new-flows).
 */
static __attribute__((noinline, cold)) uint32_t make_room(struct sess_table *t, uint32_t r1,
							  uint32_t r2, unsigned *way)
{
	struct reloc_node q[RELOC_NODES];
	unsigned n = 0, probes = 0;

	q[n++] = (struct reloc_node){ .b = r1, .parent = -1 };
	/* The new key in r2 would count as an overflow of r1: room for it? */
	if (r2 != r1 && sess_bucket_at(t, r1)->ovf != UINT16_MAX)
		q[n++] = (struct reloc_node){ .b = r2, .parent = -1 };

	for (unsigned x = 0; x < n; x++) {
		const struct reloc_node *nd = &q[x];
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
			uint64_t h;
			if (probes++ == RELOC_PROBES)
				return UINT32_MAX;
			if (!way_hash(t, nd->b, w, &h))
				continue;
			uint32_t c1 = sess_b1(t, h), c2 = sess_b2(t, h);
			if (c1 == c2)
				continue; /* no other bucket */
			bool up = nd->b == c1;
			uint32_t alt = up ? c2 : c1;
			if (up && sess_bucket_at(t, c1)->ovf == UINT16_MAX)
				continue;
			int f = bucket_free_way(sess_bucket_at(t, alt));
			if (f >= 0) {
				/* Found: shift the chain one step towards the free way. */
				unsigned dw = w;
				move_way(t, nd->b, w, alt, (unsigned)f, up);
				for (; nd->parent >= 0; nd = &q[nd->parent]) {
					move_way(t, q[nd->parent].b, nd->way, nd->b, dw, nd->up);
					dw = nd->way;
				}
				*way = dw;
				return nd->b;
			}
			if (nd->depth + 1 < RELOC_MOVES && n < RELOC_NODES && !queued(q, n, alt))
				q[n++] = (struct reloc_node){ .b = alt, .parent = (int8_t)x,
							      .way = (uint8_t)w,
							      .depth = (uint8_t)(nd->depth + 1),
							      .up = up };
		}
	}
	return UINT32_MAX;
}

/* pick_bucket() when the first choice is full: the second, or relocation. */
static __attribute__((noinline)) struct sess_bucket *pick_second(struct sess_table *t, uint32_t i1,
								 uint32_t i2, int *way)
{
	struct sess_bucket *b1 = sess_bucket_at(t, i1);
	struct sess_bucket *b2 = sess_bucket_at(t, i2);
	int w = bucket_free_way(b2);
	if (w < 0) {
		unsigned rw;
		uint32_t r = make_room(t, i1, i2, &rw);
		if (r == UINT32_MAX)
			return NULL;
		*way = (int)rw;
		if (r == i1)
			return b1;
		b1->ovf++; /* make_room checked it has room */
		return b2;
	}
	if (b1->ovf == UINT16_MAX)
		return NULL;
	b1->ovf++;
	*way = w;
	return b2;
}

/*
 * A bucket with a free way for hash h, and the way; NULL when none can be
 * made. The first choice while it has room, else the second (and the first
 * counts one more overflow): most lookups then touch one bucket, the one the
 * worker prefetched; the second is read only when the first has overflowed.
 * With both full, relocation makes room in one of them (make_room). The
 * common case is inline and saves no registers.
 */
static inline struct sess_bucket *pick_bucket(struct sess_table *t, uint64_t h, int *way)
{
	uint32_t i1 = sess_b1(t, h);
	struct sess_bucket *b1 = sess_bucket_at(t, i1);
	int w = bucket_free_way(b1);
	if (__builtin_expect(w >= 0, 1)) {
		*way = w;
		return b1;
	}
	return pick_second(t, i1, sess_b2(t, h), way);
}

struct sess *sess_insert(struct sess_table *t, const struct sess_key *k,
			 uint64_t h, uint32_t now, uint32_t timeout)
{
	int w;
	if (t->n == t->cap)
		return NULL;
	struct sess_bucket *b = pick_bucket(t, h, &w);
	if (b == NULL)
		return NULL;

	uint32_t i = slot_take(t, sess_b1(t, h));
	struct sess *s = sess_at(t, i);
	memset(s, 0, sizeof(*s));
	s->key = *k;
	s->expire = now + timeout;
	b->sig[w] = sig_of(h);
	b->idx[w] = i;
	wheel_link(t, s);
	t->n++;
	return s;
}

int sess_index_add(struct sess_table *t, const struct sess_key *k, uint64_t h, struct sess *s)
{
	(void)k; /* the key stays with the caller; buckets hold only signatures */
	int w;
	struct sess_bucket *b = pick_bucket(t, h, &w);
	if (b == NULL)
		return -ENOSPC;
	b->sig[w] = sig_of(h);
	b->idx[w] = sess_index(t, s);
	return 0;
}

/*
 * Remove the way of session i's key of hash h. A NAT session's two keys
 * share their first bucket, and when their signatures are equal too, a way
 * (i, sig) there may be the other key's, while one in this key's second
 * bucket is this key's (or, both keys having that second bucket as well,
 * either's: they are then interchangeable). So when the first bucket has
 * overflowed (only then can this key be in its second), the second is
 * searched first: taking the look-alike in the first left this key's way
 * and the overflow count behind for good (test_sess_reloc.c). Otherwise the
 * second bucket is not read at all.
 */
static void index_del(struct sess_table *t, uint64_t h, uint32_t i, uint16_t sig)
{
	struct sess_bucket *b1 = sess_bucket_at(t, sess_b1(t, h));
	struct sess_bucket *b2 = sess_bucket_at(t, sess_b2(t, h));
	struct sess_bucket *bs[2] = { b1, b2 };
	if (b1->ovf) {
		bs[0] = b2;
		bs[1] = b1;
	}
	for (unsigned c = 0; c < 2; c++)
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
			if (bs[c]->idx[w] == i && bs[c]->sig[w] == sig) {
				bs[c]->idx[w] = 0;
				bs[c]->sig[w] = 0;
				if (bs[c] == b2 && b2 != b1)
					b1->ovf--;
				return;
			}
}

void sess_index_del(struct sess_table *t, const struct sess_key *k, uint64_t h, struct sess *s)
{
	(void)k;
	index_del(t, h, sess_index(t, s), sig_of(h));
}

void sess_delete(struct sess_table *t, struct sess *s)
{
	/* Already free (a bug elsewhere): pushing it again would hand the slot
	 * out twice, and could run the free stack past its end. */
	if (s->key.pad)
		return;
	uint64_t h = sess_hash(&s->key);
	uint32_t i = sess_index(t, s);
	index_del(t, h, i, sig_of(h));
	wheel_unlink(t, s);
	slot_free(t, i);
	t->n--;
	t->dels++;
}

void sess_touch(struct sess_table *t, struct sess *s, uint32_t now, uint32_t timeout)
{
	uint32_t exp = now + timeout;
	if ((int32_t)(exp - s->expire) >= 0) {
		s->expire = exp;
		return;
	}
	wheel_unlink(t, s);
	s->expire = exp;
	wheel_link(t, s);
}

unsigned sess_expire(struct sess_table *t, uint32_t now, unsigned budget,
		     sess_expire_fn cb, void *arg)
{
	unsigned visited = 0;
	while (visited < budget && (int32_t)(now - t->wheel_now) >= 0) {
		uint32_t slot = t->wheel_now & WHEEL_MASK;
		uint32_t i = t->wheel_cursor ? t->wheel_cursor : t->wheel[slot];
		while (i && visited < budget) {
			struct sess *s = sess_at(t, i);
			uint32_t next = s->tnext;
			visited++;
			t->wheel_cursor = next;
			bool due = (int32_t)(s->expire - t->wheel_now) <= 0;
			if (due && (cb == NULL || cb(arg, t, s) ||
				    (int32_t)(s->expire - t->wheel_now) <= 0)) {
				sess_delete(t, s);
			} else if ((s->expire & WHEEL_MASK) != slot) {
				/* Extended since it was filed: re-file lazily. */
				wheel_unlink(t, s);
				wheel_link(t, s);
			}
			i = next;
		}
		if (i != 0)
			break; /* budget ran out inside this slot */
		t->wheel_cursor = 0;
		t->wheel_now++;
	}
	return visited;
}
