/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_smtp: SMTP_CHECK: connect, read the 220 greeting, "HELO helo_name",
 * expect 250, "QUIT", expect the reply (or the close) - keepalived's
 * dialogue. Replies are parsed line by line (RFC 5321: "NNN-text" continues
 * a multi-line reply, "NNN text" ends it), bounded to 512-byte lines and
 * 4 KB per reply, so a server sending garbage fails at once.
 *
 * Threading: control core only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "hc/hc_pvt.h"

#define HC_SMTP_LINE_MAX 512
#define HC_SMTP_REPLY_MAX 4096

enum hc_smtp_step { HC_SMTP_GREETING = 0, HC_SMTP_HELO, HC_SMTP_QUIT };

static const char *const hc_smtp_step_name[] = { "greeting", "HELO", "QUIT" };

struct hc_smtp_run {
	enum hc_smtp_step step;
	size_t reply_len;
	size_t line_len;
	char line[HC_SMTP_LINE_MAX + 1];
};

static void hc_smtp_cleanup(struct hc_check *ck)
{
	free(ck->run);
	ck->run = NULL;
}

static void hc_smtp_send(struct hc_check *ck, const char *cmd)
{
	if (bufferevent_write(ck->bev, cmd, strlen(cmd)) < 0) {
		hc_fail(ck, HC_R_NOMEM, 0, "SMTP buffer");
		return;
	}
	hc_deadline(ck, HC_PH_EXCHANGE, ck->cc->connect_timeout);
}

/* A whole reply (its last line) with code arrived: next step or verdict. Returns false when the run ended. */
static bool hc_smtp_reply(struct hc_check *ck, int code)
{
	struct hc_smtp_run *r = ck->run;
	char cmd[CONF_STR_MAX + 16];

	switch (r->step) {
	case HC_SMTP_GREETING:
		if (code != 220)
			break;
		snprintf(cmd, sizeof(cmd), "HELO %s\r\n", ck->cc->helo_name);
		r->step = HC_SMTP_HELO;
		hc_smtp_send(ck, cmd);
		return ck->running;
	case HC_SMTP_HELO:
		if (code != 250)
			break;
		r->step = HC_SMTP_QUIT;
		hc_smtp_send(ck, "QUIT\r\n");
		return ck->running;
	case HC_SMTP_QUIT:
		/* The server took our HELO: any answer to QUIT ends a good dialogue. */
		hc_ok(ck);
		return false;
	}
	hc_fail(ck, HC_R_SMTP_REPLY, code, hc_smtp_step_name[r->step]);
	return false;
}

/* One line without its CRLF. Returns false when the run ended. */
static bool hc_smtp_line(struct hc_check *ck, const char *s, size_t n)
{
	if (n < 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || (n > 3 && s[3] != ' ' && s[3] != '-') ||
	    memchr(s, '\0', n)) {
		hc_fail(ck, HC_R_BAD_RESPONSE, 0, "not an SMTP reply");
		return false;
	}
	int code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (n > 3 && s[3] == '-')
		return true; /* more lines of this reply follow */
	((struct hc_smtp_run *)ck->run)->reply_len = 0;
	return hc_smtp_reply(ck, code);
}

static void hc_smtp_read(struct bufferevent *bev, void *arg)
{
	struct hc_check *ck = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[512];
	int n;

	while (ck->running && ck->run && (n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++) {
			struct hc_smtp_run *r = ck->run;
			char c = buf[i];
			if (++r->reply_len > HC_SMTP_REPLY_MAX) {
				hc_fail(ck, HC_R_BAD_RESPONSE, 0, "reply too long");
				return;
			}
			if (c != '\n') {
				if (r->line_len >= HC_SMTP_LINE_MAX) {
					hc_fail(ck, HC_R_BAD_RESPONSE, 0, "reply line too long");
					return;
				}
				r->line[r->line_len++] = c;
				continue;
			}
			size_t len = r->line_len;
			if (len && r->line[len - 1] == '\r')
				len--;
			r->line_len = 0;
			if (!hc_smtp_line(ck, r->line, len))
				return;
		}
	}
}

static void hc_smtp_event(struct bufferevent *bev, short events, void *arg)
{
	struct hc_check *ck = arg;
	struct hc_smtp_run *r = ck->run;
	(void)bev;

	if ((events & BEV_EVENT_EOF) && r && r->step == HC_SMTP_QUIT) {
		hc_ok(ck);
		return;
	}
	if ((events & BEV_EVENT_EOF) && r) {
		char t[64];
		snprintf(t, sizeof(t), "during %s", hc_smtp_step_name[r->step]);
		hc_fail(ck, HC_R_CLOSED, 0, t);
		return;
	}
	hc_conn_bev_error(ck, events);
}

static void hc_smtp_connected(struct hc_check *ck)
{
	struct hc_smtp_run *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		hc_fail(ck, HC_R_NOMEM, 0, "SMTP state");
		return;
	}
	ck->run = r;
	hc_conn_bev(ck, false, NULL, hc_smtp_read, hc_smtp_event);
}

static void hc_smtp_start(struct hc_check *ck)
{
	hc_conn_start(ck, hc_smtp_connected);
}

const struct hc_ops hc_smtp_ops = {
	.type = CONF_CHECK_SMTP,
	.start = hc_smtp_start,
	.cleanup = hc_smtp_cleanup,
};
