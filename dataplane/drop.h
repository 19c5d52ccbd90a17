/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drop: every reason a worker drops a packet, in one X-macro list that gives
 * the enum, the log strings and the telemetry names at once.
 */
#ifndef VIPD_DROP_H
#define VIPD_DROP_H

#define VIPD_DROP_REASONS(X)                                                  \
	X(ETH_TRUNC, "eth_truncated", "frame shorter than an Ethernet header") \
	X(L2_OTHER, "l2_other_host", "unicast frame for another MAC")          \
	X(ARP_TRUNC, "arp_truncated", "ARP packet too short")                  \
	X(IP_TRUNC, "ip_truncated", "IPv4 header cut short")                   \
	X(IP_VERSION, "ip_bad_version", "IP version is not 4")                 \
	X(IP_IHL, "ip_bad_ihl", "IPv4 header length below 20 bytes")           \
	X(IP_LEN, "ip_bad_length", "IPv4 total length disagrees with frame")   \
	X(IP_CSUM, "ip_bad_checksum", "IPv4 header checksum wrong")            \
	X(IP_FRAG, "ip_fragment", "fragment to a VIP (no reassembly)")        \
	X(IP_TTL, "ip_ttl_expired", "TTL would reach zero")                    \
	X(L4_TRUNC, "l4_truncated", "TCP/UDP header cut short")                \
	X(L4_HDR, "l4_bad_header", "TCP data offset or UDP length invalid")    \
	X(VIP_PROTO, "vip_bad_proto", "protocol without a service on a VIP")   \
	X(NO_SERVICE, "no_service", "VIP port without a virtual service")      \
	X(TCP_NOT_SYN, "tcp_no_session", "TCP non-SYN packet without a session") \
	X(NO_DEST, "no_dest", "no real server available")                     \
	X(NAT_NO_SESSION, "nat_reply_no_session", "NAT real server packet without a session") \
	X(ICMP_NO_SESSION, "icmp_no_session", "ICMP error quoting no known flow") \
	X(TUN_TOO_BIG, "tun_frag_needed", "too big for the tunnel (DF: ICMP sent back)") \
	X(TUN_NO_ROOM, "tun_no_headroom", "no mbuf headroom for the tunnel header") \
	X(NAT_SLOT, "nat_slot_mismatch", "NAT real server's slot names another VIP:port") \
	X(REDIR_FULL, "redirect_ring_full", "ring to the owning worker full")   \
	X(DEST_GONE, "dest_unavailable", "session's real server is down or removed") \
	X(SESS_FULL, "session_table_full", "no room for a new session")        \
	X(NO_NEIGH, "neigh_unresolved", "real server MAC not resolved yet")    \
	X(NO_KERNEL, "no_kernel_path", "packet for the kernel on a port without TAP") \
	X(EXCP_FULL, "kernel_ring_full", "exception ring to the control core full") \
	X(TX_FULL, "tx_full", "transmit queue full")

enum vipd_drop {
#define X(e, name, text) VIPD_DROP_##e,
	VIPD_DROP_REASONS(X)
#undef X
	VIPD_DROP_MAX
};

extern const char *const vipd_drop_names[VIPD_DROP_MAX];
extern const char *const vipd_drop_texts[VIPD_DROP_MAX];

#endif
