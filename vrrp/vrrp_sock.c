/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_sock.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrrp/vrrp_pkt.h"

static int opt(int fd, int level, int name, const void *v, socklen_t len)
{
	return setsockopt(fd, level, name, v, len) < 0 ? -errno : 0;
}

int vrrp_sock_open(const char *ifname, bool multicast)
{
	unsigned ifindex = if_nametoindex(ifname);
	if (ifindex == 0)
		return -ENODEV;
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	if (fd < 0)
		return -errno;
	int one = 1, zero = 0, ttl = VRRP_TTL;
	/* Room for a burst of adverts (a flood must cost drops, not stalls). */
	int rcvbuf = 1 << 20;
	struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };
	int rc = opt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1);
	if (!rc)
		rc = opt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	if (!rc)
		rc = opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero));
	if (!rc)
		rc = opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	if (!rc)
		rc = opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
	if (!rc)
		(void)opt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!rc && multicast) {
		mr.imr_multiaddr.s_addr = htonl(VRRP_MCAST_GROUP);
		rc = opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int vrrp_sock_send(int fd, const uint8_t *pkt, size_t len, uint32_t daddr)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = daddr };
	ssize_t n = sendto(fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

ssize_t vrrp_sock_recv(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}
