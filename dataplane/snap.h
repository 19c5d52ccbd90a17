/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snap: the immutable view of services and VIPs that workers forward with.
 *
 * Owns: building a snapshot from the loaded config plus the control core's
 * slot assignments, the lookups workers do on it, and publishing it.
 *
 * Threading: built and published by the control core only; workers load the
 * current pointer once per poll loop and never write to it. The old snapshot
 * is freed after an RCU (QSBR) grace period, never under a worker's feet.
 */
#ifndef VIPD_SNAP_H
#define VIPD_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/sched.h"

#if defined(__SSE4_2__) && defined(__x86_64__)
#include <nmmintrin.h>
#endif

struct vipd_conf;

struct snap_rs {
	uint32_t handle; /* rs.h */
	uint32_t weight; /* effective: 0 when down or quiesced */
	uint32_t u_threshold; /* connection limit, 0 = none */
	uint32_t l_threshold; /* overloaded until below it; 0 = 3/4 u (sched_overloaded) */
	uint8_t up;           /* its health check's verdict (inhibit keeps it in place) */
};

struct snap_svc {
	uint32_t vip;      /* network order */
	uint16_t vport;    /* network order */
	uint8_t proto;
	uint8_t fwd;
	uint8_t owned;     /* its VIP is ours now (VRRP): the fast path's test */
	uint8_t counts;    /* scheduling reads conn counts (scheduler or a threshold) */
	uint8_t nat;       /* some real server (or the sorry server) is NAT */
	uint16_t slot;     /* stable service slot (counters, sched state) */
	uint16_t n_rs;
	const struct sched_ops *sched;
	struct sched_svc sv;    /* table schedulers' data, flags */
	uint32_t persist_ticks; /* 0 = no persistence */
	uint32_t persist_mask;  /* network order */
	struct snap_rs *rs;
};

struct snap_vip {
	uint32_t addr;  /* network order */
	uint16_t port;  /* DPDK port it is announced on */
	uint8_t owned;  /* 1: this director answers ARP and forwards for it */
	uint8_t vmac_vrid; /* use_vmac: answer with 00:00:5e:00:01:vrid; 0 = port MAC */
};

/* VRRP's virtual MAC 00:00:5e:00:01:{vrid} (RFC 5798 section 7.3). */
static inline bool snap_is_vmac(const uint8_t *a)
{
	return a[0] == 0x00 && a[1] == 0x00 && a[2] == 0x5e && a[3] == 0x00 && a[4] == 0x01;
}

/*
 * A NAT real server's endpoint (network-order address and port, protocol)
 * as one word, the key of the snapshot's table of them: its packets are
 * replies to translate back. Never 0 (the protocol is not): 0 is an empty
 * slot.
 */
static inline uint64_t snap_natrs_key(uint32_t addr, uint16_t port, uint8_t proto)
{
	return addr | (uint64_t)port << 32 | (uint64_t)proto << 48;
}

#define SNAP_VIP_FILTER_BITS 4096 /* 512 bytes: 50 VIPs leave 99 % of its bits clear */

struct snap {
	uint32_t version;
	uint32_t n_svc, n_vip;
	struct snap_svc *svc;
	struct snap_vip *vip;
	uint32_t svc_hmask, vip_hmask;
	uint16_t *svc_hash; /* index + 1, 0 = empty; linear probing */
	uint16_t *vip_hash;
	/* VRIDs whose virtual MAC this director holds now (use_vmac, master). */
	uint8_t vmac_held[32];
	uint32_t n_natrs, natrs_hmask;
	uint64_t *natrs_keys; /* snap_natrs_key()s, 0 = empty; linear probing */
	/*
	 * With several workers, a client's packets (both directions) are handled
	 * by the worker hash(client address & owner_mask) picks: the shortest
	 * persistence netmask, so that a client's template lives on one worker.
	 */
	uint32_t owner_mask;
	/* Timeouts in ticks (dataplane/clock.h). */
	uint32_t t_tcp, t_tcpfin, t_udp; /* the configurable ones (ipvsadm --set) */
	bool sloppy_tcp, expire_nodest, no_service_reply;
	/*
	 * A bit for each VIP address (held or not, a service's or VRRP's) at
	 * snap_vip_bit(): clear means no VIP. A NAT reply's destination (its
	 * client) is tested here before any lookup; a false positive costs the
	 * lookup, nothing else. Last: the fields above share lines.
	 */
	uint64_t vip_filter[SNAP_VIP_FILTER_BITS / 64];
};

/*
 * The tables' hash: every input bit reaches the low bits the tables' masks
 * keep. A product alone carries a bit only upwards: addresses in one /24
 * differ in the top byte of their network-order word, and the old hash
 * (the product's high half) never let that byte reach the index (all of a
 * subnet's VIPs or real servers in one slot, each lookup a walk along them).
 * Folding the halves together before and after one multiply spreads a
 * subnet's addresses and a VIP's ports as random keys spread (test_snap.c).
 */
static inline uint32_t snap_mix(uint32_t a, uint32_t b)
{
	uint64_t h = (uint64_t)a << 32 | b;
	h ^= h >> 32;
	h *= 0x9E3779B97F4A7C15ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* The top bits of a multiplicative hash: every bit of the address reaches them. */
static inline uint32_t snap_vip_bit(uint32_t addr)
{
	return (addr * 0x9E3779B1u) >> (32 - __builtin_ctz(SNAP_VIP_FILTER_BITS));
}

static inline void snap_vip_filter_add(struct snap *s, uint32_t addr)
{
	uint32_t b = snap_vip_bit(addr);
	s->vip_filter[b / 64] |= 1ULL << (b % 64);
}

/* False: addr is no VIP of s. True: it may be (snap_vip_find() says). */
static inline bool snap_vip_maybe(const struct snap *s, uint32_t addr)
{
	uint32_t b = snap_vip_bit(addr);
	return (s->vip_filter[b / 64] >> (b % 64)) & 1;
}

static inline const struct snap_vip *snap_vip_find(const struct snap *s, uint32_t addr)
{
	for (uint32_t i = snap_mix(addr, 0) & s->vip_hmask;; i = (i + 1) & s->vip_hmask) {
		uint16_t e = s->vip_hash[i];
		if (e == 0)
			return NULL;
		if (s->vip[e - 1].addr == addr)
			return &s->vip[e - 1];
	}
}

static inline const struct snap_svc *snap_svc_find(const struct snap *s, uint32_t vip,
						   uint16_t vport, uint8_t proto)
{
	uint32_t k2 = (uint32_t)vport << 8 | proto;
	for (uint32_t i = snap_mix(vip, k2) & s->svc_hmask;; i = (i + 1) & s->svc_hmask) {
		uint16_t e = s->svc_hash[i];
		if (e == 0)
			return NULL;
		const struct snap_svc *v = &s->svc[e - 1];
		if (v->vip == vip && v->vport == vport && v->proto == proto)
			return v;
	}
}

/*
 * The NAT real server table's hash. A CRC spreads a /24's addresses (the
 * top byte of the word), ports and protocols over the low bits in one
 * instruction, where a multiply needs folds around it (snap_mix()).
 */
static inline uint32_t snap_natrs_hash(uint64_t k)
{
#if defined(__SSE4_2__) && defined(__x86_64__)
	return (uint32_t)_mm_crc32_u64(0x9E3779B9u, k);
#else
	return snap_mix((uint32_t)k, (uint32_t)(k >> 32));
#endif
}

static inline bool snap_natrs_has_key(const struct snap *s, uint64_t k)
{
	for (uint32_t i = snap_natrs_hash(k) & s->natrs_hmask;; i = (i + 1) & s->natrs_hmask) {
		uint64_t e = s->natrs_keys[i];
		if (e == k)
			return true;
		if (e == 0)
			return false;
	}
}

static inline bool snap_natrs_has(const struct snap *s, uint32_t addr, uint16_t port,
				   uint8_t proto)
{
	return s->n_natrs != 0 && snap_natrs_has_key(s, snap_natrs_key(addr, port, proto));
}

/* What a snapshot is built from: the config plus the control core's state. */
struct snap_src {
	const struct vipd_conf *conf;
	const uint16_t *port_ids;   /* config port index -> DPDK port id */
	/* Per config service: its slot and the real servers to schedule over
	 * (effective weights: health, inhibit_on_failure, sorry server applied). */
	const uint16_t *svc_slot;
	const struct snap_rs *const *rs;
	const uint16_t *n_rs;
	bool (*vip_owned)(uint32_t addr, void *arg); /* VRRP: do we hold it now */
	void *arg;
};

/* Returns a malloc'ed snapshot (one block) or NULL. */
struct snap *snap_build(const struct snap_src *src);
void snap_free(struct snap *s);

#endif
