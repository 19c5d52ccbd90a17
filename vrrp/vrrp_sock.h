/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_sock: the raw IPPROTO_VRRP socket of one kernel interface (a port's
 * TAP twin). Adverts leave through the kernel, the TAP, vipd's kernel path
 * and the port, and come back the same way (the workers hand multicast and
 * the director's own traffic to the kernel), so VRRP needs nothing from the
 * dataplane.
 *
 * The socket is bound to the interface (SO_BINDTODEVICE), joined to
 * 224.0.0.18 there, non-blocking, with IP_HDRINCL (we write TTL 255 and the
 * source address ourselves) and multicast loop off (our own adverts must not
 * come back to us).
 *
 * Threading: control core only. No DPDK.
 */
#ifndef VIPD_VRRP_SOCK_H
#define VIPD_VRRP_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Open the socket on ifname; join the VRRP group unless only unicast is used.
 * Returns the fd or -errno. */
int vrrp_sock_open(const char *ifname, bool multicast);
/* Send one whole IPv4 packet (from vrrp_pkt_build) to daddr (network order);
 * 0 or -errno (-EAGAIN when the socket buffer is full: the advert is lost,
 * as on a congested wire). */
int vrrp_sock_send(int fd, const uint8_t *pkt, size_t len, uint32_t daddr);
/* Receive one packet (IPv4 header included); its length, or -errno
 * (-EAGAIN: nothing queued). */
ssize_t vrrp_sock_recv(int fd, uint8_t *buf, size_t cap);

#endif
