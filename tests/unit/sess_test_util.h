/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the session table unit tests (test_sess.c,
 * test_sess_wheel.c, test_sess_reloc.c).
 *
 * Memory is filled with garbage before sess_init() so that nothing passes by
 * relying on zeroed pages. Keys are kept 8-aligned because sess_hash() and the
 * key compare read them as two uint64_t (see test_key_alignment in
 * test_sess.c).
 */
#ifndef VIPD_SESS_TEST_UTIL_H
#define VIPD_SESS_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sess.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BIG_BUDGET 1000000u

static inline struct sess_table *table_new(uint32_t cap, uint32_t now)
{
	size_t sz = sess_mem_size(cap);
	void *mem;

	/* aligned_alloc wants a multiple of the alignment; the API promises it. */
	assert_int_equal(sz % 64, 0);
	mem = aligned_alloc(64, sz);
	assert_non_null(mem);
	memset(mem, 0xa5, sz);
	struct sess_table *t = sess_init(mem, cap, now);
	assert_ptr_equal(t, mem);
	return t;
}

/* Distinct keys for distinct i, spread over every field that is hashed. */
static inline struct sess_key key_of(uint32_t i)
{
	return (struct sess_key){
		.saddr = htonl(0x0a000000u | (i & 0xffffff)),
		.daddr = htonl(0xc0a80001u),
		.sport = htons((uint16_t)(1024 + i % 60000)),
		.dport = htons(80),
		.proto = 6,
	};
}

static inline struct sess *ins(struct sess_table *t, const struct sess_key *k,
			       uint32_t now, uint32_t timeout)
{
	return sess_insert(t, k, sess_hash(k), now, timeout);
}

static inline struct sess *look(struct sess_table *t, const struct sess_key *k)
{
	return sess_lookup(t, k, sess_hash(k));
}

#endif /* VIPD_SESS_TEST_UTIL_H */
