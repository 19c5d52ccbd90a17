/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rs: stable slots for real servers and services.
 *
 * A real server keeps its slot (and so its counters, its resolved MAC and the
 * sessions that point at it) for as long as it exists, across snapshots.
 * Sessions hold a handle = generation << 16 | index; removing a real server
 * bumps the generation, so stale sessions see the mismatch and follow
 * expire_nodest_conn. A freed index is reused only after an RCU grace period.
 *
 * Threading: the control core is the only writer. Workers read slots; the
 * fields a worker may see change while it runs (gen, mac, eth_lo) are single
 * atomic words. Everything else is written before the gen that publishes it.
 */
#ifndef VIPD_RS_H
#define VIPD_RS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_MAX 65536u
#define SVC_MAX 4096u

#define RS_MAC_VALID (1ULL << 63)
/* Up (health) lives in the MAC word: the fast path tests both in one load. */
#define RS_MAC_UP (1ULL << 62)
#define RS_MAC_GO (RS_MAC_VALID | RS_MAC_UP)

struct rs_slot {
	uint32_t gen;      /* atomic; matches live handles */
	uint32_t addr;     /* network order */
	uint16_t port;     /* network order */
	uint16_t out_port; /* DPDK port that reaches it */
	uint8_t fwd;       /* enum conf_fwd */
	/* control only: allocated, until reclaimed. Until then its traffic
	 * counters are part of its service's (rs_svc_traffic()). */
	uint8_t held;
	uint8_t live;      /* control only: slot in use */
	uint8_t static_mac;
	uint64_t mac;      /* atomic: RS_MAC_VALID | RS_MAC_UP (health) | 48-bit MAC */
	uint16_t svc;      /* owning service slot */
	/* NAT: the service's VIP and port (network order) and the checksum
	 * differences of rewriting them to addr and port (xmit_nat_dnat()). */
	uint16_t nat_vport;
	uint32_t nat_vaddr;
	uint16_t nat_dip, nat_dl4;
	/* TUN: the outer header's checksum over what all packets share
	 * (xmit_tun_sum()), and its addresses as one word (tun_sd below). */
	uint16_t tun_sum;
	uint16_t tun_max;  /* the longest inner packet out_port's MTU lets through */
	/* Where out_port's tx queue lies in a struct worker (worker.h): the
	 * same in every worker, so the lean path needs no multiply. */
	uint32_t txq_off;
	/*
	 * The frame's first 12 bytes towards it, as two stores write them
	 * (rs_write_eth()): eth_lo (atomic) is the MAC word's 48 bits and
	 * out_port's first two bytes, eth_hi out_port's other four. Worked
	 * out when the MAC changes, not for each packet.
	 */
	uint32_t eth_hi;
	uint64_t eth_lo;
	uint64_t tun_sd; /* the outer source (out_port's address) | addr << 32 */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct rs_slot) == 64, "a real server is one cache line");

extern struct rs_slot *rs_slots;
/*
 * Bumped (release) after any slot's health or gen changes: a worker that saw
 * the same value (acquire) may reuse what it derived from them.
 */
extern uint32_t rs_avail_gen;

static inline uint32_t rs_handle_idx(uint32_t h)
{
	return h & 0xffff;
}

static inline uint32_t rs_handle_gen(uint32_t h)
{
	return h >> 16;
}

/* The slot of handle h if it is still the same real server, else NULL. */
static inline struct rs_slot *rs_get(uint32_t h)
{
	struct rs_slot *r = &rs_slots[rs_handle_idx(h)];
	if (__atomic_load_n(&r->gen, __ATOMIC_ACQUIRE) != rs_handle_gen(h))
		return NULL;
	return r;
}

/* Acquire: rs_write_eth() reads the frame's words after it (free on x86). */
static inline uint64_t rs_mac(const struct rs_slot *r)
{
	return __atomic_load_n(&r->mac, __ATOMIC_ACQUIRE);
}

/*
 * rs_get() in two steps: the slot of handle h, unchecked, then whether h
 * still names its real server.
 */
static inline struct rs_slot *rs_slot_of(uint32_t h)
{
	return &rs_slots[rs_handle_idx(h)];
}

static inline bool rs_same(const struct rs_slot *r, uint32_t h)
{
	return __atomic_load_n(&r->gen, __ATOMIC_ACQUIRE) == rs_handle_gen(h);
}

/* Both RS_MAC_GO bits (the top two) set: up and its MAC known. */
static inline bool rs_mac_go(uint64_t mac)
{
	return mac >= RS_MAC_GO;
}

/*
 * rs_mac_go(rs_mac(r)) from the MAC word's top byte alone (bits 48 to 61 are
 * always 0): one compare with memory, where the whole word needs a 64-bit
 * constant in a register. Acquire, as rs_mac().
 */
static inline bool rs_go(const struct rs_slot *r)
{
	const uint8_t *top = (const uint8_t *)&r->mac +
			     (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 7 : 0);
	return __atomic_load_n(top, __ATOMIC_ACQUIRE) >= (uint8_t)(RS_MAC_GO >> 56);
}

/* Control core, before the slot is published: the source half of the frame's words. */
static inline void rs_eth_src(struct rs_slot *r, uint64_t src_mac)
{
	r->eth_hi = (uint32_t)(src_mac >> 16);
	__atomic_store_n(&r->eth_lo, (src_mac << 48) | (r->eth_lo & 0xffffffffffffULL),
			 __ATOMIC_RELAXED);
}

/*
 * The destination and source MACs of a frame to r (12 bytes at eth), in two
 * stores. Only after r's MAC word said RS_MAC_VALID: rs_set_mac() writes
 * eth_lo before it, so the MAC read here is that one or a newer one.
 */
static inline void rs_write_eth(const struct rs_slot *r, void *eth)
{
	uint64_t lo = __atomic_load_n(&r->eth_lo, __ATOMIC_RELAXED);
	uint32_t hi = r->eth_hi;
	__builtin_memcpy(eth, &lo, 8);
	__builtin_memcpy((uint8_t *)eth + 8, &hi, 4);
}

/* Its health check's verdict (rs_set_avail): may it take packets? */
static inline bool rs_up(const struct rs_slot *r)
{
	return (rs_mac(r) & RS_MAC_UP) != 0;
}

/* Control core. */
int rs_init(void);
/* What a real server's slot is made from; addresses and ports in network order. */
struct rs_spec {
	uint32_t addr;     /* the real server */
	uint16_t port;
	uint8_t fwd;       /* enum conf_fwd */
	uint16_t out_port; /* port index that reaches it */
	uint32_t src;      /* that port's own address: TUN's outer source */
	uint64_t src_mac;  /* that port's MAC, the low 48 bits (port_info.mac64) */
	uint16_t mtu;      /* that port's MTU */
	uint16_t svc;      /* service slot */
	uint32_t vaddr;    /* the service's VIP and port: what NAT rewrites */
	uint16_t vport;
};

/* A new slot for a real server; returns its handle or -ENOSPC. */
int64_t rs_alloc(const struct rs_spec *sp);
/* Retire a handle: workers stop using it at once; the index is reusable after rs_reclaim(). */
void rs_retire(uint32_t handle);
/* Make retired indexes reusable; call only after an RCU grace period. */
void rs_reclaim(void);
void rs_set_avail(uint32_t handle, bool up);
void rs_set_mac(uint32_t handle, const uint8_t mac[6], bool is_static);
/* Fill mac and return true when known. */
bool rs_mac_bytes(const struct rs_slot *r, uint8_t mac[6]);

/*
 * A service's slot. A freed slot is reused only after rs_reclaim(): until
 * then real servers retired with it may still carry its index.
 */
int svc_slot_alloc(void);
void svc_slot_free(int slot);

/*
 * Control core. A service's traffic (pkts, bytes, out_pkts, out_bytes) is
 * counted only per real server: workers save a counter pair a packet. This
 * adds into per_svc[SVC_MAX] what every held slot counted, by its service;
 * what reclaimed slots had counted rs_reclaim() folded into the control
 * core's service counters, which stats_sum_ctr(false, ...) includes. The
 * sum of both only grows: a slot's counts move from one to the other at
 * once, after workers stopped counting into it.
 */
struct stats_ctr;
void rs_svc_traffic(struct stats_ctr *per_svc);

#endif
