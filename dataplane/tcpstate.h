/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpstate: connection states seen from the director's side of a flow.
 *
 * In DR (and TUN) the director sees only client-to-server packets, so this is
 * IPVS's "input only" view: a table of events (SYN, FIN, ACK, RST) by current
 * state, pure and side-effect free.
 */
#ifndef VIPD_TCPSTATE_H
#define VIPD_TCPSTATE_H

#include <stdint.h>

enum tcpstate {
	TCPS_NONE = 0,
	TCPS_SYN_RECV,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT,
	TCPS_CLOSE,
	TCPS_UDP, /* not TCP: one state, one timeout */
	TCPS_MAX
};

enum tcpev { TCPEV_SYN, TCPEV_FIN, TCPEV_ACK, TCPEV_RST, TCPEV_MAX };

#define TCP_FL_FIN 0x01
#define TCP_FL_SYN 0x02
#define TCP_FL_RST 0x04
#define TCP_FL_ACK 0x10

static inline enum tcpev tcpstate_event(uint8_t flags)
{
	if (flags & TCP_FL_RST)
		return TCPEV_RST;
	if (flags & TCP_FL_SYN)
		return TCPEV_SYN;
	if (flags & TCP_FL_FIN)
		return TCPEV_FIN;
	return TCPEV_ACK;
}

static inline uint8_t tcpstate_next(uint8_t state, uint8_t flags)
{
	/* rows: current state; columns: SYN, FIN, ACK, RST */
	static const uint8_t next[TCPS_MAX][TCPEV_MAX] = {
		[TCPS_NONE] = { TCPS_SYN_RECV, TCPS_FIN_WAIT, TCPS_ESTABLISHED, TCPS_CLOSE },
		[TCPS_SYN_RECV] = { TCPS_SYN_RECV, TCPS_FIN_WAIT, TCPS_ESTABLISHED, TCPS_CLOSE },
		[TCPS_ESTABLISHED] = { TCPS_ESTABLISHED, TCPS_FIN_WAIT, TCPS_ESTABLISHED, TCPS_CLOSE },
		[TCPS_FIN_WAIT] = { TCPS_SYN_RECV, TCPS_FIN_WAIT, TCPS_FIN_WAIT, TCPS_CLOSE },
		[TCPS_CLOSE] = { TCPS_SYN_RECV, TCPS_CLOSE, TCPS_CLOSE, TCPS_CLOSE },
		[TCPS_UDP] = { TCPS_UDP, TCPS_UDP, TCPS_UDP, TCPS_UDP },
	};
	return next[state < TCPS_MAX ? state : TCPS_CLOSE][tcpstate_event(flags)];
}

#endif
