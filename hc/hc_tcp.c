/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_tcp: TCP_CHECK: up when a TCP connection opens within connect_timeout.
 *
 * The connection is closed with a reset (SO_LINGER 0), as HAProxy does for
 * its health checks: a FIN would leave one TIME_WAIT socket on the director
 * per check, 600,000 of them at 10,000 checks a second, while the server
 * gains nothing from a graceful close of a connection that carried no data.
 *
 * Threading: control core only.
 */
#include <sys/socket.h>

#include "hc/hc_pvt.h"

static void hc_tcp_connected(struct hc_check *ck)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(ck->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_ok(ck);
}

static void hc_tcp_start(struct hc_check *ck)
{
	hc_conn_start(ck, hc_tcp_connected);
}

static void hc_tcp_cleanup(struct hc_check *ck)
{
	(void)ck;
}

const struct hc_ops hc_tcp_ops = {
	.type = CONF_CHECK_TCP,
	.start = hc_tcp_start,
	.cleanup = hc_tcp_cleanup,
};
