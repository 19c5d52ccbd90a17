/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_http: HTTP_GET and SSL_GET.
 *
 * Each url of the check is fetched on its own connection, in order; the
 * run is up when every one answers with a status in its status_code ranges
 * (default 200-299) and, when a digest is set, a body whose MD5 matches.
 * Request: "GET path HTTP/1.0" (1.0), plus "Connection: close" (1.0C), or
 * HTTP/1.1 with "Connection: close"; Host is virtualhost, else the target
 * address (with :port when not the scheme's default). The response goes
 * through hc_http_parse, which bounds what a server can make us hold.
 *
 * Threading: control core only.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "hc/hc_http_parse.h"
#include "hc/hc_pvt.h"

/* Without a digest, this much body is enough to call the response complete. */
#define HC_HTTP_BODY_PEEK (1u << 20)
/* With a digest, a larger body fails the check rather than hold the loop. */
#define HC_HTTP_BODY_DIGEST_MAX (64u << 20)

static void hc_http_fetch(struct hc_check *ck);

static bool hc_http_is_tls(const struct hc_check *ck)
{
	return ck->cc->type == CONF_CHECK_SSL_GET;
}

static void hc_http_cleanup(struct hc_check *ck)
{
	struct hc_http *p = ck->run;
	if (p) {
		hc_http_fini(p);
		free(p);
		ck->run = NULL;
	}
}

static bool hc_http_status_ok(const struct conf_url *u, int status)
{
	if (u->n_status == 0)
		return status >= 200 && status <= 299;
	for (unsigned i = 0; i < u->n_status; i++)
		if (status >= u->status[i].lo && status <= u->status[i].hi)
			return true;
	return false;
}

/* The parser finished (rc DONE or an error): judge this url. */
static void hc_http_verdict(struct hc_check *ck, int rc)
{
	struct hc_http *p = ck->run;
	const struct conf_url *u = &ck->cc->urls[ck->url];
	char hex[33];
	char text[80];

	if (rc == HC_HTTP_E_EMPTY) {
		hc_fail(ck, HC_R_CLOSED, 0, NULL);
		return;
	}
	if (rc < 0) {
		hc_fail(ck, HC_R_BAD_RESPONSE, rc, hc_http_strerror(rc));
		return;
	}
	if (!hc_http_status_ok(u, p->status)) {
		hc_fail(ck, HC_R_HTTP_STATUS, p->status, NULL);
		return;
	}
	if (u->digest[0]) {
		hc_http_digest_hex(p, hex);
		if (strcmp(hex, u->digest) != 0) {
			snprintf(text, sizeof(text), "got %s", hex[0] ? hex : "none");
			hc_fail(ck, HC_R_DIGEST, 0, text);
			return;
		}
	}
	if (ck->url + 1 < ck->cc->n_urls) {
		/* Next url, on a new connection (keepalived checks them in turn). */
		hc_http_cleanup(ck);
		hc_conn_close(ck);
		ck->url++;
		hc_http_fetch(ck);
		return;
	}
	hc_ok(ck);
}

static void hc_http_read(struct bufferevent *bev, void *arg)
{
	struct hc_check *ck = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int rc = HC_HTTP_MORE;

	if (ck->run == NULL)
		return; /* bytes before our request went out: nothing asked yet */
	while (rc == HC_HTTP_MORE && evbuffer_get_length(in) > 0) {
		size_t n = evbuffer_get_contiguous_space(in);
		const char *d = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		rc = hc_http_feed(ck->run, d, n);
		evbuffer_drain(in, n);
	}
	if (rc != HC_HTTP_MORE)
		hc_http_verdict(ck, rc);
}

static void hc_http_send(struct hc_check *ck)
{
	const struct conf_check *cc = ck->cc;
	const struct conf_url *u = &cc->urls[ck->url];
	char host[CONF_STR_MAX + 32];
	char req[CONF_STR_MAX * 2 + 256];
	struct hc_http *p = malloc(sizeof(*p));

	if (p == NULL) {
		hc_fail(ck, HC_R_NOMEM, 0, "HTTP parser");
		return;
	}
	ck->run = p;
	if (hc_http_init(p, u->digest[0] != '\0',
			 u->digest[0] ? HC_HTTP_BODY_DIGEST_MAX : HC_HTTP_BODY_PEEK) < 0) {
		hc_fail(ck, HC_R_NOMEM, 0, "MD5 context");
		return;
	}
	if (cc->virtualhost[0]) {
		snprintf(host, sizeof(host), "%s", cc->virtualhost);
	} else {
		char a[INET_ADDRSTRLEN];
		unsigned port = ntohs(ck->dst.sin_port);
		inet_ntop(AF_INET, &ck->dst.sin_addr, a, sizeof(a));
		if (port == (hc_http_is_tls(ck) ? 443u : 80u))
			snprintf(host, sizeof(host), "%s", a);
		else
			snprintf(host, sizeof(host), "%s:%u", a, port);
	}
	bool v11 = strcmp(cc->http_protocol, "1.1") == 0;
	bool close_hdr = v11 || strcmp(cc->http_protocol, "1.0C") == 0;
	int len = snprintf(req, sizeof(req),
			   "GET %s HTTP/1.%c\r\nHost: %s\r\nUser-Agent: vipd-healthcheck\r\n"
			   "Accept: */*\r\n%s\r\n",
			   u->path, v11 ? '1' : '0', host, close_hdr ? "Connection: close\r\n" : "");
	if (len < 0 || (size_t)len >= sizeof(req)) {
		hc_fail(ck, HC_R_CONFIG, 0, "request too long");
		return;
	}
	if (bufferevent_write(ck->bev, req, (size_t)len) < 0) {
		hc_fail(ck, HC_R_NOMEM, 0, "request buffer");
		return;
	}
	hc_deadline(ck, HC_PH_EXCHANGE, cc->connect_timeout);
}

static void hc_http_event(struct bufferevent *bev, short events, void *arg)
{
	struct hc_check *ck = arg;

	if (events & BEV_EVENT_CONNECTED) {
		/* TLS handshake done */
		ck->phase = HC_PH_EXCHANGE;
		hc_http_send(ck);
		return;
	}
	if (ck->phase == HC_PH_EXCHANGE && ck->run && (events & BEV_EVENT_EOF)) {
		/* Whatever arrived with the close first, then the close itself. */
		struct evbuffer *in = bufferevent_get_input(bev);
		int rc = HC_HTTP_MORE;
		while (rc == HC_HTTP_MORE && evbuffer_get_length(in) > 0) {
			size_t n = evbuffer_get_contiguous_space(in);
			rc = hc_http_feed(ck->run, (const char *)evbuffer_pullup(in, (ev_ssize_t)n), n);
			evbuffer_drain(in, n);
		}
		if (rc == HC_HTTP_MORE)
			rc = hc_http_eof(ck->run);
		hc_http_verdict(ck, rc);
		return;
	}
	hc_conn_bev_error(ck, events);
}

static void hc_http_connected(struct hc_check *ck)
{
	bool tls = hc_http_is_tls(ck);
	if (hc_conn_bev(ck, tls, ck->cc->sni, hc_http_read, hc_http_event) < 0)
		return;
	if (!tls)
		hc_http_send(ck);
}

static void hc_http_fetch(struct hc_check *ck)
{
	hc_conn_start(ck, hc_http_connected);
}

const struct hc_ops hc_http_ops = {
	.type = CONF_CHECK_HTTP_GET,
	.start = hc_http_fetch,
	.cleanup = hc_http_cleanup,
};

const struct hc_ops hc_ssl_ops = {
	.type = CONF_CHECK_SSL_GET,
	.start = hc_http_fetch,
	.cleanup = hc_http_cleanup,
};
