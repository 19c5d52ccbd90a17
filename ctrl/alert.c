/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert: email alerts spoken over SMTP on libevent bufferevents.
 *
 * One connection per email, as keepalived does, with at most
 * ALERT_MAX_INFLIGHT at once and ALERT_QUEUE_MAX waiting: a burst of state
 * changes with a dead SMTP server costs a bounded number of fds and memory,
 * the oldest waiting email is dropped first. Each step of the dialogue
 * (connect, every reply) must complete within smtp_connect_timeout; a failure
 * is logged with its reason and counted, never retried.
 *
 * alert_send() only queues and wakes a deferred event: no socket work (and
 * no failure handling) ever happens inside the caller.
 */
#include "ctrl/alert.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf/conf.h"
#include "ctrl/log.h"

/* A reply line longer than this without a line end is a protocol error. */
#define ALERT_LINE_MAX 4096

struct alert_msg {
	TAILQ_ENTRY(alert_msg) link;
	time_t when; /* of the event, not of the delivery: the Date header */
	char *subject;
	char *body;
};
TAILQ_HEAD(alert_msg_list, alert_msg);

enum alert_phase {
	ALERT_CONNECT,
	ALERT_GREETING,
	ALERT_HELO,
	ALERT_MAIL,
	ALERT_RCPT,
	ALERT_DATA,
	ALERT_BODY,
	ALERT_QUIT,
};

static const char *const alert_phase_name[] = {
	[ALERT_CONNECT] = "connect",    [ALERT_GREETING] = "greeting", [ALERT_HELO] = "HELO",
	[ALERT_MAIL] = "MAIL FROM",     [ALERT_RCPT] = "RCPT TO",      [ALERT_DATA] = "DATA",
	[ALERT_BODY] = "end of data",   [ALERT_QUIT] = "QUIT",
};

struct alert_sess {
	TAILQ_ENTRY(alert_sess) link;
	struct bufferevent *bev;
	struct event *timer;
	struct alert_msg *msg;
	enum alert_phase phase;
	unsigned rcpt;    /* recipient whose RCPT reply is awaited */
	unsigned rcpt_ok; /* recipients accepted */
	bool done;        /* counted as sent or failed */
};
TAILQ_HEAD(alert_sess_list, alert_sess);

static struct event_base *alert_base;
static struct conf_global alert_g;
static bool alert_enabled;
static struct event *alert_kick;
static struct alert_msg_list alert_queue = TAILQ_HEAD_INITIALIZER(alert_queue);
static unsigned alert_n_queued;
static struct alert_sess_list alert_sessions = TAILQ_HEAD_INITIALIZER(alert_sessions);
static unsigned alert_n_inflight;
static struct alert_stats alert_st;
static char alert_server[INET_ADDRSTRLEN + 8];

static void alert_msg_free(struct alert_msg *m)
{
	free(m->subject);
	free(m->body);
	free(m);
}

static struct timeval alert_tv(double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
	return tv;
}

/* ---- the message ---- */

/* RFC 5322 date in local time, without the locale's day and month names. */
static void alert_date(time_t t, char *buf, size_t len)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	localtime_r(&t, &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday % 7],
		 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, sign, off / 60, off % 60);
}

/* A header value on one line (the subject is already clean; the rest is config). */
static void alert_add_header(struct evbuffer *out, const char *name, const char *value)
{
	evbuffer_add_printf(out, "%s: ", name);
	for (const char *p = value; *p; p++) {
		char c = iscntrl((unsigned char)*p) ? ' ' : *p;
		evbuffer_add(out, &c, 1);
	}
	evbuffer_add(out, "\r\n", 2);
}

/*
 * Headers, the body with CRLF line ends and dot-stuffing (RFC 5321 4.5.2: a
 * line starting with '.' gets another), and the terminating ".".
 */
static void alert_add_message(struct evbuffer *out, const struct alert_msg *m)
{
	char date[64];

	alert_date(m->when, date, sizeof(date));
	alert_add_header(out, "Date", date);
	alert_add_header(out, "From", alert_g.email_from);
	alert_add_header(out, "Subject", m->subject);
	alert_add_header(out, "X-Mailer", "vipd");
	evbuffer_add_printf(out, "To: ");
	for (unsigned i = 0; i < alert_g.n_emails; i++)
		evbuffer_add_printf(out, "%s%s", i ? ", " : "", alert_g.emails[i]);
	evbuffer_add_printf(out, "\r\n\r\n");

	const char *p = m->body;
	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t keep = n;
		if (keep && p[keep - 1] == '\r')
			keep--;
		if (*p == '.')
			evbuffer_add(out, ".", 1);
		for (size_t i = 0; i < keep; i++)
			if (p[i] != '\r') /* a bare CR is not allowed in SMTP data */
				evbuffer_add(out, &p[i], 1);
		evbuffer_add(out, "\r\n", 2);
		p += n;
		if (*p == '\n')
			p++;
	}
	evbuffer_add(out, ".\r\n", 3);
}

/* ---- sessions ---- */

static void alert_sess_free(struct alert_sess *s)
{
	TAILQ_REMOVE(&alert_sessions, s, link);
	alert_n_inflight--;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->timer)
		event_free(s->timer);
	if (s->msg)
		alert_msg_free(s->msg);
	free(s);
	/* A slot is free: start the next waiting email from the loop. */
	if (alert_kick && alert_n_queued)
		event_active(alert_kick, EV_TIMEOUT, 1);
}

static void alert_arm(struct alert_sess *s)
{
	struct timeval tv = alert_tv(alert_g.smtp_connect_timeout);
	evtimer_add(s->timer, &tv);
}

/* Count the failure once, log why, and close (no QUIT: see alert_fail_quit). */
static void alert_fail(struct alert_sess *s, uint64_t *counter, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void alert_fail(struct alert_sess *s, uint64_t *counter, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!s->done) {
		s->done = true;
		alert_st.failed++;
		(*counter)++;
		VLOG_ERR("alert: email '%s' via %s not sent: %s", s->msg->subject, alert_server, why);
	}
	alert_sess_free(s);
}

static void alert_cmd(struct alert_sess *s, enum alert_phase next, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void alert_cmd(struct alert_sess *s, enum alert_phase next, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
	s->phase = next;
	alert_arm(s);
}

/*
 * A rejected command after the greeting: count and log it, then say QUIT
 * politely (as keepalived does) and close on its reply or the timeout.
 */
static void alert_fail_quit(struct alert_sess *s, int code, const char *line)
{
	if (!s->done) {
		s->done = true;
		alert_st.failed++;
		alert_st.bad_replies++;
		VLOG_ERR("alert: email '%s' via %s not sent: %s answered %d: %s", s->msg->subject,
			 alert_server, alert_phase_name[s->phase], code, line);
	}
	alert_cmd(s, ALERT_QUIT, "QUIT");
}

/* One complete reply (its last line) in the current phase; false once s is freed. */
static bool alert_reply(struct alert_sess *s, int code, const char *line)
{
	static const int expect[] = {
		[ALERT_GREETING] = 220, [ALERT_HELO] = 250, [ALERT_MAIL] = 250,
		[ALERT_DATA] = 354,     [ALERT_BODY] = 250,
	};

	switch (s->phase) {
	case ALERT_QUIT:
		alert_sess_free(s); /* whatever it says: we are done */
		return false;
	case ALERT_CONNECT:
		alert_fail(s, &alert_st.bad_replies, "data before the connection was up");
		return false;
	case ALERT_RCPT:
		/* One bad address must not silence the others: go on without it. */
		if (code == 250 || code == 251) {
			s->rcpt_ok++;
		} else {
			alert_st.rcpt_rejected++;
			VLOG_WARN("alert: %s rejected recipient %s: %d %s", alert_server,
				  alert_g.emails[s->rcpt], code, line);
		}
		if (++s->rcpt < alert_g.n_emails)
			alert_cmd(s, ALERT_RCPT, "RCPT TO:<%s>", alert_g.emails[s->rcpt]);
		else if (s->rcpt_ok == 0)
			alert_fail_quit(s, code, line);
		else
			alert_cmd(s, ALERT_DATA, "DATA");
		return true;
	default:
		break;
	}
	if (code != expect[s->phase]) {
		alert_fail_quit(s, code, line);
		return true;
	}
	switch (s->phase) {
	case ALERT_GREETING:
		alert_cmd(s, ALERT_HELO, "HELO %s", alert_g.router_id);
		break;
	case ALERT_HELO:
		alert_cmd(s, ALERT_MAIL, "MAIL FROM:<%s>", alert_g.email_from);
		break;
	case ALERT_MAIL:
		s->rcpt = 0;
		alert_cmd(s, ALERT_RCPT, "RCPT TO:<%s>", alert_g.emails[0]);
		break;
	case ALERT_DATA:
		alert_add_message(bufferevent_get_output(s->bev), s->msg);
		s->phase = ALERT_BODY;
		alert_arm(s);
		break;
	case ALERT_BODY:
		s->done = true;
		alert_st.sent++;
		VLOG_INFO("alert: email '%s' sent via %s", s->msg->subject, alert_server);
		alert_cmd(s, ALERT_QUIT, "QUIT");
		break;
	default:
		break;
	}
	return true;
}

static void alert_on_read(struct bufferevent *bev, void *arg)
{
	struct alert_sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF))) {
		/* "250-more follows", "250 last line" or "250": 3 digits first. */
		bool ok = len >= 3 && isdigit((unsigned char)line[0]) &&
			  isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]) &&
			  (len == 3 || line[3] == ' ' || line[3] == '-');
		if (!ok) {
			alert_fail(s, &alert_st.bad_replies, "%s: not an SMTP reply: '%.80s'",
				   alert_phase_name[s->phase], line);
			free(line);
			return;
		}
		if (len > 3 && line[3] == '-') {
			free(line);
			continue;
		}
		bool alive = alert_reply(s, atoi(line), len > 4 ? line + 4 : "");
		free(line);
		if (!alive)
			return;
	}
	if (evbuffer_get_length(in) > ALERT_LINE_MAX)
		alert_fail(s, &alert_st.bad_replies, "%s: reply line too long",
			   alert_phase_name[s->phase]);
}

static void alert_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct alert_sess *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		s->phase = ALERT_GREETING;
		alert_arm(s);
		return;
	}
	if (s->phase == ALERT_QUIT && s->done) {
		alert_sess_free(s); /* the server closed after QUIT (or before its reply) */
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();
		alert_fail(s, s->phase == ALERT_CONNECT ? &alert_st.connect_errors : &alert_st.closed,
			   "%s: %s", alert_phase_name[s->phase],
			   err ? evutil_socket_error_to_string(err) : "socket error");
	} else {
		alert_fail(s, &alert_st.closed, "%s: connection closed by the server",
			   alert_phase_name[s->phase]);
	}
}

static void alert_on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct alert_sess *s = arg;

	(void)fd;
	(void)ev;
	if (s->phase == ALERT_QUIT && s->done) {
		alert_sess_free(s);
		return;
	}
	alert_fail(s, &alert_st.timeouts, "%s: no answer within %.3g s", alert_phase_name[s->phase],
		   alert_g.smtp_connect_timeout);
}

static void alert_start(struct alert_msg *m)
{
	struct alert_sess *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		alert_st.failed++;
		alert_st.no_memory++;
		VLOG_ERR("alert: email '%s' not sent: out of memory", m->subject);
		alert_msg_free(m);
		return;
	}
	s->msg = m;
	s->phase = ALERT_CONNECT;
	TAILQ_INSERT_TAIL(&alert_sessions, s, link);
	alert_n_inflight++;
	s->timer = evtimer_new(alert_base, alert_on_timeout, s);
	s->bev = bufferevent_socket_new(alert_base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->timer == NULL || s->bev == NULL) {
		alert_fail(s, &alert_st.no_memory, "out of memory");
		return;
	}
	bufferevent_setcb(s->bev, alert_on_read, NULL, alert_on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);

	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = alert_g.smtp_server;
	sin.sin_port = htons(alert_g.smtp_port);
	alert_arm(s);
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		int err = EVUTIL_SOCKET_ERROR();
		alert_fail(s, &alert_st.connect_errors, "connect: %s",
			   err ? evutil_socket_error_to_string(err) : "failed");
	}
}

/* Start waiting emails while there is a free slot. Runs from the loop. */
static void alert_on_kick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	while (alert_n_inflight < ALERT_MAX_INFLIGHT && alert_n_queued) {
		struct alert_msg *m = TAILQ_FIRST(&alert_queue);
		TAILQ_REMOVE(&alert_queue, m, link);
		alert_n_queued--;
		alert_start(m);
	}
}

/* ---- API ---- */

void alert_send(const char *subject, const char *body)
{
	if (!alert_enabled) {
		VLOG_DEBUG("alert: no smtp_server or notification_email: not sent: %s",
			   subject ? subject : "");
		return;
	}
	if (alert_n_queued >= ALERT_QUEUE_MAX) {
		struct alert_msg *old = TAILQ_FIRST(&alert_queue);
		TAILQ_REMOVE(&alert_queue, old, link);
		alert_n_queued--;
		alert_st.failed++;
		alert_st.dropped++;
		VLOG_WARN("alert: %u emails waiting: dropped the oldest '%s'", ALERT_QUEUE_MAX,
			  old->subject);
		alert_msg_free(old);
	}
	struct alert_msg *m = calloc(1, sizeof(*m));
	if (m) {
		m->subject = strdup(subject ? subject : "");
		m->body = strdup(body ? body : "");
	}
	if (m == NULL || m->subject == NULL || m->body == NULL) {
		alert_st.failed++;
		alert_st.no_memory++;
		VLOG_ERR("alert: email '%s' not queued: out of memory", subject ? subject : "");
		if (m)
			alert_msg_free(m);
		return;
	}
	/* One line: CR/LF would forge headers (and log lines). */
	for (char *p = m->subject; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
	m->when = time(NULL);
	TAILQ_INSERT_TAIL(&alert_queue, m, link);
	alert_n_queued++;
	event_active(alert_kick, EV_TIMEOUT, 1);
}

void alert_counters(uint64_t *sent, uint64_t *failed)
{
	if (sent)
		*sent = alert_st.sent;
	if (failed)
		*failed = alert_st.failed;
}

void alert_get_stats(struct alert_stats *out)
{
	*out = alert_st;
	out->queued = alert_n_queued;
	out->inflight = alert_n_inflight;
}

unsigned alert_pending(void)
{
	return alert_n_queued + alert_n_inflight;
}

int alert_init(struct event_base *base, const struct conf_global *g)
{
	if (base == NULL || g == NULL)
		return -EINVAL;
	if (alert_base)
		return -EBUSY;
	alert_kick = event_new(base, -1, 0, alert_on_kick, NULL);
	if (alert_kick == NULL)
		return -ENOMEM;
	alert_base = base;
	/* A copy: a reload frees the old configuration while emails may be in flight. */
	alert_g = *g;
	alert_enabled = g->smtp_server != 0 && g->n_emails > 0;
	memset(&alert_st, 0, sizeof(alert_st));
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &g->smtp_server, ip, sizeof(ip));
	snprintf(alert_server, sizeof(alert_server), "%s:%u", ip, (unsigned)g->smtp_port);
	if (g->smtp_server && g->n_emails == 0)
		VLOG_WARN("alert: smtp_server %s set but no notification_email: no email",
			  alert_server);
	else if (alert_enabled)
		VLOG_INFO("alert: emails to %u address(es) via %s", g->n_emails, alert_server);
	return 0;
}

static void alert_on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(bool *)arg = true;
}

int alert_drain(double max_s)
{
	bool expired = false;

	if (alert_base == NULL || alert_pending() == 0)
		return 0;
	struct event *deadline = evtimer_new(alert_base, alert_on_deadline, &expired);
	if (deadline == NULL)
		return -ENOMEM;
	struct timeval tv = alert_tv(max_s > 0 ? max_s : 0);
	evtimer_add(deadline, &tv);
	while (alert_pending() && !expired)
		if (event_base_loop(alert_base, EVLOOP_ONCE) < 0)
			break; /* called from inside the loop: cannot wait here */
	event_free(deadline);
	return alert_pending() ? -ETIMEDOUT : 0;
}

void alert_stop(void)
{
	struct alert_msg *m;
	unsigned lost = 0;

	if (alert_base == NULL)
		return;
	while (!TAILQ_EMPTY(&alert_sessions)) {
		struct alert_sess *s = TAILQ_FIRST(&alert_sessions);
		if (!s->done) {
			s->done = true;
			lost++;
		}
		alert_sess_free(s);
	}
	while ((m = TAILQ_FIRST(&alert_queue))) {
		TAILQ_REMOVE(&alert_queue, m, link);
		alert_n_queued--;
		alert_msg_free(m);
		lost++;
	}
	if (lost) {
		alert_st.failed += lost;
		alert_st.dropped += lost;
		VLOG_WARN("alert: %u emails not sent at shutdown", lost);
	}
	event_free(alert_kick);
	alert_kick = NULL;
	alert_base = NULL;
	alert_enabled = false;
}

/* ---- vipd module ---- */

int alert_module_start(struct event_base *base, const struct vipd_conf *c)
{
	return alert_init(base, &c->global);
}

void alert_module_stop(void)
{
	/* The other modules have stopped and may have queued their last emails. */
	if (alert_drain(ALERT_STOP_WAIT_S) == -ETIMEDOUT)
		VLOG_WARN("alert: emails still pending after %g s", (double)ALERT_STOP_WAIT_S);
	alert_stop();
}
