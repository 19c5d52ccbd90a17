/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_conn: the sockets of the network checkers.
 *
 * A check's socket is bound to the director's own address on the port that
 * reaches the target (or bindto), so it leaves through that port's TAP twin
 * and the kernel, exactly as keepalived's would. connect() is non-blocking
 * and its completion is one EV_WRITE event whose SO_ERROR names the reason
 * ("connection refused", "unreachable"), which a bufferevent would blur.
 * Once connected, the stream checkers talk through a bufferevent, an
 * OpenSSL one (with SNI) for SSL_GET.
 *
 * TLS: like keepalived's SSL_GET without a ca, the server's certificate is
 * not verified: the check is whether the service answers, not who it is.
 *
 * Threading: control core only.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hc/hc_pvt.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static SSL_CTX *hc_ssl_ctx;

int hc_tls_init(void)
{
	if (hc_ssl_ctx)
		return 0;
	OPENSSL_init_ssl(0, NULL);
	hc_ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (hc_ssl_ctx == NULL)
		return -ENOMEM;
	SSL_CTX_set_verify(hc_ssl_ctx, SSL_VERIFY_NONE, NULL);
	/* Every check is a fresh handshake: a resumed session would hide a broken server key. */
	SSL_CTX_set_session_cache_mode(hc_ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(hc_ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
	return 0;
}

void hc_tls_fini(void)
{
	SSL_CTX_free(hc_ssl_ctx);
	hc_ssl_ctx = NULL;
}

int hc_sock_open(struct hc_check *ck, int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int e;

	if (fd < 0) {
		hc_fail(ck, errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM ? HC_R_NOMEM : HC_R_SOCKET, errno, NULL);
		return -1;
	}
	if (ck->src.sin_addr.s_addr) {
		/*
		 * Pick the source port at connect() time, per destination: with a
		 * bound address the kernel would otherwise give every check its own
		 * port out of one shared range, which 10,000 checks a second exhaust.
		 */
		int one = 1;
		if (type == SOCK_STREAM)
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&ck->src, sizeof(ck->src)) < 0) {
			e = errno;
			close(fd);
			hc_fail(ck, HC_R_BIND, e, NULL);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&ck->dst, sizeof(ck->dst)) < 0 &&
	    errno != EINPROGRESS) {
		e = errno;
		close(fd);
		hc_fail(ck, hc_result_from_errno(e), e, NULL);
		return -1;
	}
	ck->fd = fd;
	return fd;
}

static void hc_conn_writable(evutil_socket_t fd, short what, void *arg)
{
	struct hc_check *ck = arg;
	int err = 0;
	socklen_t len = sizeof(err);
	(void)what;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	event_free(ck->io);
	ck->io = NULL;
	if (err) {
		hc_fail(ck, hc_result_from_errno(err), err, NULL);
		return;
	}
	ck->on_connected(ck);
}

void hc_conn_start(struct hc_check *ck, hc_connected_fn cb)
{
	hc_deadline(ck, HC_PH_CONNECT, ck->cc->connect_timeout);
	if (hc_sock_open(ck, SOCK_STREAM) < 0)
		return;
	ck->on_connected = cb;
	ck->io = event_new(hc_base, ck->fd, EV_WRITE, hc_conn_writable, ck);
	if (ck->io == NULL || event_add(ck->io, NULL) < 0) {
		hc_fail(ck, HC_R_NOMEM, 0, "connect event");
		return;
	}
}

int hc_conn_bev(struct hc_check *ck, bool tls, const char *sni,
		void (*readcb)(struct bufferevent *, void *),
		void (*eventcb)(struct bufferevent *, short, void *))
{
	struct bufferevent *bev;

	if (tls) {
		SSL *ssl = SSL_new(hc_ssl_ctx);
		if (ssl == NULL) {
			hc_fail(ck, HC_R_NOMEM, 0, "SSL_new");
			return -1;
		}
		if (sni && *sni && SSL_set_tlsext_host_name(ssl, sni) != 1) {
			SSL_free(ssl);
			hc_fail(ck, HC_R_CONFIG, 0, "SNI name refused by OpenSSL");
			return -1;
		}
		bev = bufferevent_openssl_socket_new(hc_base, ck->fd, ssl, BUFFEREVENT_SSL_CONNECTING,
						     BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			/*
			 * On this path (allocation failure) libevent 2.1 frees ssl
			 * itself (BEV_OPT_CLOSE_ON_FREE) and leaves the fd to us.
			 */
			hc_fail(ck, HC_R_NOMEM, 0, "TLS bufferevent");
			return -1;
		}
		/* Servers that close without close_notify still delimit a body. */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		ck->phase = HC_PH_TLS;
	} else {
		bev = bufferevent_socket_new(hc_base, ck->fd, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			hc_fail(ck, HC_R_NOMEM, 0, "bufferevent");
			return -1;
		}
		ck->phase = HC_PH_EXCHANGE;
	}
	ck->fd = -1; /* the bufferevent closes it */
	ck->bev = bev;
	/* Each phase gets the whole connect_timeout, as keepalived's read does. */
	hc_deadline(ck, ck->phase, ck->cc->connect_timeout);
	bufferevent_setcb(bev, readcb, NULL, eventcb, ck);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return 0;
}

void hc_conn_bev_error(struct hc_check *ck, short events)
{
	int e = EVUTIL_SOCKET_ERROR();
	char buf[96];

	if (ck->phase == HC_PH_TLS) {
		unsigned long ssl_err = ck->bev ? bufferevent_get_openssl_error(ck->bev) : 0;
		if (ssl_err) {
			ERR_error_string_n(ssl_err, buf, sizeof(buf));
			hc_fail(ck, HC_R_TLS_FAILED, 0, buf);
		} else if (events & BEV_EVENT_EOF) {
			hc_fail(ck, HC_R_TLS_FAILED, 0, "connection closed by the server");
		} else {
			hc_fail(ck, HC_R_TLS_FAILED, e, e ? strerror(e) : "handshake error");
		}
		return;
	}
	if (events & BEV_EVENT_EOF) {
		hc_fail(ck, HC_R_CLOSED, 0, NULL);
		return;
	}
	if (e == ECONNRESET || e == EPIPE) {
		hc_fail(ck, HC_R_RESET, e, NULL);
		return;
	}
	hc_fail(ck, HC_R_IO_ERROR, e, NULL);
}

void hc_conn_close(struct hc_check *ck)
{
	if (ck->io) {
		event_free(ck->io);
		ck->io = NULL;
	}
	if (ck->bev) {
		bufferevent_free(ck->bev);
		ck->bev = NULL;
	}
	if (ck->fd >= 0) {
		close(ck->fd);
		ck->fd = -1;
	}
}
