/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpstate: IPVS's TCP connection states (ip_vs_proto_tcp.c), as tables of
 * events (SYN, FIN, ACK, RST) by current state, for three views: INPUT
 * (client to server through a NAT director), OUTPUT (server replies through
 * it) and INPUT_ONLY (DR and TUN: the director sees only the client's side).
 * Pure and side-effect free.
 */
#ifndef VIPD_TCPSTATE_H
#define VIPD_TCPSTATE_H

#include <stdbool.h>
#include <stdint.h>

enum tcpstate {
	TCPS_NONE = 0,
	TCPS_ESTABLISHED,
	TCPS_SYN_SENT,
	TCPS_SYN_RECV,
	TCPS_FIN_WAIT,
	TCPS_TIME_WAIT,
	TCPS_CLOSE,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_LISTEN,
	TCPS_SYNACK,
	TCPS_UDP, /* not TCP: one state, one timeout */
	TCPS_MAX
};

enum tcpdir { TCPDIR_INPUT = 0, TCPDIR_OUTPUT, TCPDIR_INPUT_ONLY, TCPDIR_MAX };

#define TCP_FL_FIN 0x01
#define TCP_FL_SYN 0x02
#define TCP_FL_RST 0x04
#define TCP_FL_ACK 0x10

enum { TCPEV_SYN, TCPEV_FIN, TCPEV_ACK, TCPEV_RST, TCPEV_MAX };

/* IPVS's order: RST, then SYN, then FIN, then ACK; none of them: no event. */
static inline int tcpstate_event(uint8_t flags)
{
	if (flags & TCP_FL_RST)
		return TCPEV_RST;
	if (flags & TCP_FL_SYN)
		return TCPEV_SYN;
	if (flags & TCP_FL_FIN)
		return TCPEV_FIN;
	if (flags & TCP_FL_ACK)
		return TCPEV_ACK;
	return -1;
}

static inline uint8_t tcpstate_next(enum tcpdir dir, uint8_t state, uint8_t flags)
{
#define sNO TCPS_NONE
#define sES TCPS_ESTABLISHED
#define sSS TCPS_SYN_SENT
#define sSR TCPS_SYN_RECV
#define sFW TCPS_FIN_WAIT
#define sTW TCPS_TIME_WAIT
#define sCL TCPS_CLOSE
#define sCW TCPS_CLOSE_WAIT
#define sLA TCPS_LAST_ACK
#define sLI TCPS_LISTEN
#define sSA TCPS_SYNACK
	static const uint8_t next[TCPDIR_MAX][TCPEV_MAX][TCPS_SYNACK + 1] = {
		[TCPDIR_INPUT] = {
		/*        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
		/*syn*/ { sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
		/*fin*/ { sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW },
		/*ack*/ { sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
		/*rst*/ { sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR },
		},
		[TCPDIR_OUTPUT] = {
		/*syn*/ { sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR },
		/*fin*/ { sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW },
		/*ack*/ { sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES },
		/*rst*/ { sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL },
		},
		[TCPDIR_INPUT_ONLY] = {
		/*syn*/ { sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
		/*fin*/ { sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW },
		/*ack*/ { sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
		/*rst*/ { sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR },
		},
	};
#undef sNO
#undef sES
#undef sSS
#undef sSR
#undef sFW
#undef sTW
#undef sCL
#undef sCW
#undef sLA
#undef sLI
#undef sSA
	int ev = tcpstate_event(flags);
	if (ev < 0 || state > TCPS_SYNACK)
		return state;
	return next[dir][ev][state];
}

/* A state a new SYN may replace with a fresh connection (port reuse). */
static inline bool tcpstate_closing(uint8_t state)
{
	return state == TCPS_CLOSE || state == TCPS_TIME_WAIT || state == TCPS_FIN_WAIT ||
	       state == TCPS_CLOSE_WAIT || state == TCPS_LAST_ACK;
}

/* Seconds IPVS gives each state; ESTABLISHED, FIN_WAIT and UDP are configured. */
static inline uint32_t tcpstate_fixed_secs(uint8_t state)
{
	static const uint16_t secs[TCPS_MAX] = {
		[TCPS_NONE] = 2, [TCPS_SYN_SENT] = 120, [TCPS_SYN_RECV] = 60,
		[TCPS_TIME_WAIT] = 120, [TCPS_CLOSE] = 10, [TCPS_CLOSE_WAIT] = 60,
		[TCPS_LAST_ACK] = 30, [TCPS_LISTEN] = 120, [TCPS_SYNACK] = 120,
	};
	return state < TCPS_MAX ? secs[state] : 10;
}

static inline const char *tcpstate_name(uint8_t state)
{
	static const char *const names[TCPS_MAX] = {
		[TCPS_NONE] = "NONE", [TCPS_ESTABLISHED] = "ESTABLISHED",
		[TCPS_SYN_SENT] = "SYN_SENT", [TCPS_SYN_RECV] = "SYN_RECV",
		[TCPS_FIN_WAIT] = "FIN_WAIT", [TCPS_TIME_WAIT] = "TIME_WAIT",
		[TCPS_CLOSE] = "CLOSE", [TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCPS_LAST_ACK] = "LAST_ACK", [TCPS_LISTEN] = "LISTEN",
		[TCPS_SYNACK] = "SYNACK", [TCPS_UDP] = "UDP",
	};
	return state < TCPS_MAX ? names[state] : "?";
}

#endif
