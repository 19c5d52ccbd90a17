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

size_t sess_mem_size(uint32_t cap)
{
	return align64(sizeof(struct sess_table)) +
	       (size_t)buckets_for(cap) * sizeof(struct sess_bucket) +
	       align64(((size_t)cap + 1) * sizeof(struct sess));
}

struct sess_table *sess_init(void *mem, uint32_t cap, uint32_t now)
{
	struct sess_table *t = mem;
	uint32_t nb = buckets_for(cap);
	uint8_t *p = (uint8_t *)mem + align64(sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->bmask = nb - 1;
	t->buckets = (struct sess_bucket *)p;
	memset(t->buckets, 0, (size_t)nb * sizeof(struct sess_bucket));
	t->pool = (struct sess *)(p + (size_t)nb * sizeof(struct sess_bucket));
	memset(t->pool, 0, sizeof(struct sess));
	/* Thread the free list through tnext; pages are touched once, here. */
	for (uint32_t i = 1; i <= cap; i++)
		t->pool[i].tnext = i < cap ? i + 1 : 0;
	t->free_head = cap ? 1 : 0;
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
		struct sess *s = &t->pool[i];
		/* A second key is not stored: it is rebuilt from the session. */
		struct sess_key rk = sess_reply_key(s);
		if (s->nat_addr && sess_key_eq(&rk, k))
			return s;
	}
	return NULL;
}

static int bucket_free_way(const struct sess_bucket *b, unsigned *used)
{
	int w_free = -1;
	*used = 0;
	for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++) {
		if (b->idx[w])
			(*used)++;
		else if (w_free < 0)
			w_free = (int)w;
	}
	return w_free;
}

static void wheel_link(struct sess_table *t, struct sess *s)
{
	uint32_t i = sess_index(t, s);
	uint32_t slot = s->expire & WHEEL_MASK;
	uint32_t *head = &t->wheel[slot];
	s->tprev = SESS_WHEEL_HEAD | slot;
	s->tnext = *head;
	if (*head)
		t->pool[*head].tprev = i;
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
		t->pool[s->tprev].tnext = s->tnext;
	/* The next one inherits the head marker, or our predecessor. */
	if (s->tnext)
		t->pool[s->tnext].tprev = s->tprev;
}

/*
 * The first choice while it has room, else the second (and the first counts
 * one more overflow): most lookups then touch one bucket, the one the worker
 * prefetched; the second is read only when the first has overflowed.
 */
static struct sess_bucket *pick_bucket(struct sess_table *t, uint64_t h, int *way)
{
	struct sess_bucket *b1 = &t->buckets[sess_b1(t, h)];
	struct sess_bucket *b2 = &t->buckets[sess_b2(t, h)];
	unsigned u;
	int w = bucket_free_way(b1, &u);
	if (w >= 0) {
		*way = w;
		return b1;
	}
	w = bucket_free_way(b2, &u);
	if (w < 0 || b1->ovf == UINT16_MAX)
		return NULL;
	b1->ovf++;
	*way = w;
	return b2;
}

struct sess *sess_insert(struct sess_table *t, const struct sess_key *k,
			 uint64_t h, uint32_t now, uint32_t timeout)
{
	int w;
	if (t->free_head == 0)
		return NULL;
	struct sess_bucket *b = pick_bucket(t, h, &w);
	if (b == NULL)
		return NULL;

	uint32_t i = t->free_head;
	struct sess *s = &t->pool[i];
	t->free_head = s->tnext;
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

static void index_del(struct sess_table *t, uint64_t h, uint32_t i, uint16_t sig, bool any_sig)
{
	struct sess_bucket *bs[2] = { &t->buckets[sess_b1(t, h)], &t->buckets[sess_b2(t, h)] };
	for (unsigned c = 0; c < 2; c++)
		for (unsigned w = 0; w < SESS_BUCKET_WAYS; w++)
			if (bs[c]->idx[w] == i && (any_sig || bs[c]->sig[w] == sig)) {
				bs[c]->idx[w] = 0;
				bs[c]->sig[w] = 0;
				if (c == 1 && bs[0] != bs[1])
					bs[0]->ovf--;
				return;
			}
}

void sess_index_del(struct sess_table *t, const struct sess_key *k, uint64_t h, struct sess *s)
{
	(void)k;
	index_del(t, h, sess_index(t, s), sig_of(h), false);
}

void sess_delete(struct sess_table *t, struct sess *s)
{
	uint64_t h = sess_hash(&s->key);
	uint32_t i = sess_index(t, s);
	index_del(t, h, i, sig_of(h), false);
	wheel_unlink(t, s);
	s->key.pad = 1; /* no live key has it: a stale sess_candidate() never matches */
	s->tnext = t->free_head;
	s->tprev = 0;
	t->free_head = i;
	t->n--;
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
			struct sess *s = &t->pool[i];
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
