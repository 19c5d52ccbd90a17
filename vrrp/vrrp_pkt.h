/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_pkt: VRRP advertisements on the wire, version 2 (RFC 3768, with the
 * simple-text "PASS" authentication) and version 3 (RFC 5798, IPv4, checksum
 * over the pseudo-header): build, parse, and the receive checks the RFCs
 * require. No I/O here and no DPDK: the buffers are whole IPv4 packets, as a
 * raw socket delivers them and as an IP_HDRINCL socket sends them.
 *
 * Every reason a received advert is refused is a named entry of one X-macro
 * list (like dataplane/drop.h), so each has a counter and a telemetry name; a
 * refused advert is counted and never acted on.
 *
 * Threading: pure functions; the name tables are constant.
 */
#ifndef VIPD_VRRP_PKT_H
#define VIPD_VRRP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_IPPROTO 112
#define VRRP_MCAST_GROUP 0xe0000012u /* 224.0.0.18, host order */
#define VRRP_TTL 255
#define VRRP_TYPE_ADVERT 1
#define VRRP_HDR_LEN 8
#define VRRP_AUTH_LEN 8     /* v2: always present, zero without authentication */
#define VRRP_AUTH_NONE 0
#define VRRP_AUTH_PASS 1
#define VRRP_AUTH_AH 2      /* obsolete (RFC 3768 removed it); refused */
#define VRRP_PRIO_STOP 0    /* "the master is leaving" */
#define VRRP_PRIO_OWNER 255 /* the owner of the virtual addresses */
#define VRRP_MAX_ADDRS 64   /* what we accept in a received advert */
#define VRRP_IP_HDR_LEN 20
#define VRRP_PKT_MAX (60 + VRRP_HDR_LEN + 4 * 255 + VRRP_AUTH_LEN)

#define VRRP_BAD_REASONS(X)                                                          \
	X(TRUNC, "truncated", "shorter than an IPv4 and a VRRP header")                 \
	X(IP_HDR, "ip_bad_header", "IPv4 version, header length or total length wrong") \
	X(NOT_VRRP, "not_vrrp", "IP protocol is not 112")                              \
	X(VRID, "unknown_vrid", "no instance with this VRID on the interface")         \
	X(TTL, "ttl_not_255", "IP TTL is not 255 (the advert crossed a router)")       \
	X(VERSION, "bad_version", "VRRP version is not the instance's")                \
	X(TYPE, "bad_type", "VRRP type is not ADVERTISEMENT (1)")                      \
	X(LENGTH, "bad_length", "VRRP length disagrees with its address count")       \
	X(CSUM, "bad_checksum", "VRRP checksum wrong")                                 \
	X(INTERVAL, "advert_int_mismatch", "v2: advert interval differs from ours")   \
	X(INTERVAL_ZERO, "advert_int_zero", "advert interval 0")                      \
	X(ADDR_COUNT, "addr_count_mismatch", "address count differs from ours")       \
	X(ADDR_LIST, "addr_list_mismatch", "addresses differ from ours")              \
	X(AUTH_TYPE, "auth_type_mismatch", "v2: authentication type differs from ours") \
	X(AUTH, "auth_failed", "v2: password differs from ours")                       \
	X(SOURCE, "unknown_source", "unicast: the sender is not a unicast_peer")      \
	X(OWN, "own_address", "sent from our own address (looped back)")

enum vrrp_bad {
#define X(e, name, text) VRRP_BAD_##e,
	VRRP_BAD_REASONS(X)
#undef X
	VRRP_BAD_MAX
};
/* What vrrp_pkt_parse / vrrp_pkt_check return for an acceptable advert. */
#define VRRP_PKT_OK VRRP_BAD_MAX

extern const char *const vrrp_bad_names[VRRP_BAD_MAX];
extern const char *const vrrp_bad_texts[VRRP_BAD_MAX];

/* A parsed advert; pointers point into the caller's buffer. */
struct vrrp_adv {
	uint32_t saddr, daddr;  /* network order */
	uint8_t ttl;
	uint8_t version, type, vrid, priority, naddr;
	uint8_t auth_type;      /* v2 only */
	uint16_t adver_int_cs;  /* v2: seconds × 100; v3: the 12-bit centiseconds */
	const uint8_t *vrrp;    /* the VRRP message */
	uint16_t vrrp_len;
	const uint8_t *addrs;   /* naddr × 4 bytes, network order */
	const uint8_t *auth;    /* v2: 8 bytes when present, else NULL */
};

/* What one instance sends and expects. */
struct vrrp_pkt_cfg {
	uint8_t version;        /* 2 or 3 */
	uint8_t vrid;
	uint16_t adver_int_cs;  /* centiseconds (v2: a multiple of 100) */
	bool auth_pass;         /* v2 only */
	uint8_t pass[VRRP_AUTH_LEN]; /* zero padded */
	uint8_t naddr;
	const uint32_t *addrs;  /* network order */
	uint32_t saddr;         /* our primary address, network order */
	const uint32_t *peers;  /* unicast peers (network order); n_peers 0 = multicast */
	unsigned n_peers;
};

/* RFC 1071 sum of len bytes folded into sum (not complemented). */
uint32_t vrrp_sum(const void *p, size_t len, uint32_t sum);
uint16_t vrrp_fold(uint32_t sum);

/*
 * Structure only: IPv4 header, protocol, enough bytes for the VRRP header.
 * Fills *a and returns VRRP_PKT_OK, or TRUNC / IP_HDR / NOT_VRRP. The VRID is
 * then known, so the caller can pick the instance for vrrp_pkt_check().
 */
enum vrrp_bad vrrp_pkt_parse(const uint8_t *buf, size_t len, struct vrrp_adv *a);

/*
 * The receive checks of RFC 3768 §7.1 / RFC 5798 §7.1 for instance c, in
 * that order: own address, unicast source, TTL, version, type, length,
 * checksum, interval (v2), authentication (v2), address count and list (an
 * advert from the owner, priority 255, passes with other addresses, as the
 * RFCs allow). VRRP_PKT_OK or the first failure.
 */
enum vrrp_bad vrrp_pkt_check(const struct vrrp_adv *a, const struct vrrp_pkt_cfg *c);

/*
 * Build the advert of c with this priority into buf: a whole IPv4 packet
 * (TOS 0xc0, TTL 255, protocol 112, header checksum filled in) from c->saddr
 * to daddr (network order). Returns its length, 0 if cap is too small.
 */
size_t vrrp_pkt_build(uint8_t *buf, size_t cap, const struct vrrp_pkt_cfg *c,
		      uint8_t priority, uint32_t daddr, uint16_t ip_id);

#endif
