/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert: the SMTP dialogue against a tiny scripted SMTP server that runs on
 * the same libevent loop, on 127.0.0.1, inside the test process.
 *
 * Timing asserts are loose (loaded 2-core machine, ASan): they check the
 * order of magnitude (the timeout, not the default 30 s), not milliseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf/conf.h"
#include "ctrl/alert.h"

/* ---- the fake SMTP server ---- */

enum fake_mode {
	FAKE_OK,
	FAKE_SILENT,      /* accepts, never says a word */
	FAKE_REJECT_MAIL, /* 550 to MAIL FROM */
	FAKE_REJECT_RCPT1, /* 550 to the first RCPT TO only */
	FAKE_REJECT_RCPTS, /* 550 to every RCPT TO */
	FAKE_CLOSE_HELO,  /* closes the connection instead of answering HELO */
	FAKE_GARBAGE,     /* answers HELO with something that is not SMTP */
};

#define FAKE_MAX_CONNS 128

struct fake_conn {
	struct bufferevent *bev;
	struct evbuffer *cmds; /* the client's command lines, CRLF kept */
	struct evbuffer *data; /* between DATA and ".", raw (dot-stuffed) */
	unsigned rcpts;
	bool in_data, closing, closed, active;
};

static struct {
	struct evconnlistener *lis;
	uint16_t port;
	enum fake_mode mode;
	unsigned n_conns, open;
	/* Sessions from accept to QUIT: the client frees its slot only after QUIT. */
	unsigned active, max_active;
	struct fake_conn conns[FAKE_MAX_CONNS];
} fake;

static struct event_base *base;

static void fake_inactive(struct fake_conn *c)
{
	if (c->active) {
		c->active = false;
		fake.active--;
	}
}

static void fake_close(struct fake_conn *c)
{
	if (c->closed)
		return;
	fake_inactive(c);
	c->closed = true;
	bufferevent_free(c->bev);
	c->bev = NULL;
	fake.open--;
}

static void fake_reply(struct fake_conn *c, const char *s)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\r\n", s);
}

static void fake_on_write(struct bufferevent *bev, void *arg)
{
	struct fake_conn *c = arg;
	(void)bev;
	if (c->closing)
		fake_close(c);
}

static void fake_on_read(struct bufferevent *bev, void *arg)
{
	struct fake_conn *c = arg;
	char *line;
	size_t len;

	/* CRLF_STRICT: a client line ending in a bare LF stays unread and fails the test. */
	while (!c->closed && (line = evbuffer_readln(bufferevent_get_input(bev), &len,
						      EVBUFFER_EOL_CRLF_STRICT))) {
		if (fake.mode == FAKE_SILENT) {
			free(line);
			continue;
		}
		if (c->in_data) {
			if (strcmp(line, ".") == 0) {
				c->in_data = false;
				fake_reply(c, "250 2.0.0 Ok: queued as FAKE1");
			} else {
				evbuffer_add_printf(c->data, "%s\r\n", line);
			}
			free(line);
			continue;
		}
		evbuffer_add_printf(c->cmds, "%s\r\n", line);
		if (strncmp(line, "HELO ", 5) == 0) {
			if (fake.mode == FAKE_CLOSE_HELO) {
				free(line);
				fake_close(c);
				return;
			}
			fake_reply(c, fake.mode == FAKE_GARBAGE ? "Hello there" : "250 fake.test");
		} else if (strncmp(line, "MAIL FROM:", 10) == 0) {
			fake_reply(c, fake.mode == FAKE_REJECT_MAIL ? "550 5.7.1 sender refused"
								     : "250 2.1.0 Ok");
		} else if (strncmp(line, "RCPT TO:", 8) == 0) {
			bool reject = fake.mode == FAKE_REJECT_RCPTS ||
				      (fake.mode == FAKE_REJECT_RCPT1 && c->rcpts == 0);
			c->rcpts++;
			/* A multi-line reply, to check that only the last line counts. */
			fake_reply(c, reject ? "550 5.1.1 no such user" : "250-Ok\r\n250 2.1.5 Ok");
		} else if (strcmp(line, "DATA") == 0) {
			c->in_data = true;
			fake_reply(c, "354 End data with <CR><LF>.<CR><LF>");
		} else if (strcmp(line, "QUIT") == 0) {
			fake_inactive(c);
			fake_reply(c, "221 2.0.0 Bye");
			c->closing = true;
		} else {
			fake_reply(c, "502 5.5.2 Error: command not recognized");
		}
		free(line);
	}
}

static void fake_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		fake_close(arg);
}

static void fake_on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
			   int socklen, void *arg)
{
	(void)lis;
	(void)sa;
	(void)socklen;
	(void)arg;
	assert_true(fake.n_conns < FAKE_MAX_CONNS);
	struct fake_conn *c = &fake.conns[fake.n_conns++];
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->cmds = evbuffer_new();
	c->data = evbuffer_new();
	bufferevent_setcb(c->bev, fake_on_read, fake_on_write, fake_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	fake.open++;
	c->active = true;
	if (++fake.active > fake.max_active)
		fake.max_active = fake.active;
	if (fake.mode != FAKE_SILENT)
		fake_reply(c, "220-fake.test ESMTP\r\n220 ready");
}

static void fake_start(enum fake_mode mode)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);

	memset(&fake, 0, sizeof(fake));
	fake.mode = mode;
	fake.lis = evconnlistener_new_bind(base, fake_on_accept, NULL,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
					   (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(fake.lis);
	getsockname(evconnlistener_get_fd(fake.lis), (struct sockaddr *)&sin, &sl);
	fake.port = ntohs(sin.sin_port);
}

static void fake_stop(void)
{
	for (unsigned i = 0; i < fake.n_conns; i++) {
		fake_close(&fake.conns[i]);
		evbuffer_free(fake.conns[i].cmds);
		evbuffer_free(fake.conns[i].data);
	}
	if (fake.lis)
		evconnlistener_free(fake.lis);
	memset(&fake, 0, sizeof(fake));
}

/* A NUL-terminated copy of an evbuffer, for string asserts. */
static char *fake_str(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	evbuffer_copyout(b, s, n);
	s[n] = '\0';
	return s;
}

/* ---- helpers ---- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(bool *)arg = true;
}

static unsigned ticks;

static void on_tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	ticks++;
}

/* Loop until every email is done and the server has seen every connection end. */
static bool wait_idle(double max_s)
{
	bool expired = false;
	struct event *t = evtimer_new(base, on_deadline, &expired);
	struct timeval tv = { (time_t)max_s, (suseconds_t)((max_s - (time_t)max_s) * 1e6) };
	evtimer_add(t, &tv);
	while (!expired && (alert_pending() || fake.open))
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return !expired;
}

static struct conf_global conf(uint16_t port, double timeout)
{
	struct conf_global g;
	memset(&g, 0, sizeof(g));
	strcpy(g.router_id, "lb-test");
	g.n_emails = 2;
	strcpy(g.emails[0], "a@example.org");
	strcpy(g.emails[1], "b@example.org");
	strcpy(g.email_from, "lb@example.org");
	g.smtp_server = htonl(INADDR_LOOPBACK);
	g.smtp_port = port;
	g.smtp_connect_timeout = timeout;
	return g;
}

static int setup(void **state)
{
	(void)state;
	base = event_base_new();
	ticks = 0;
	return base ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	alert_stop();
	fake_stop();
	event_base_free(base);
	base = NULL;
	return 0;
}

static void start_with(enum fake_mode mode, double timeout)
{
	fake_start(mode);
	struct conf_global g = conf(fake.port, timeout);
	assert_int_equal(alert_init(base, &g), 0);
}

static void expect_counters(uint64_t sent, uint64_t failed)
{
	uint64_t s, f;
	alert_counters(&s, &f);
	assert_int_equal(s, sent);
	assert_int_equal(f, failed);
}

/* ---- tests ---- */

static void test_dialogue(void **state)
{
	(void)state;
	start_with(FAKE_OK, 5);
	alert_send("[lb-test] Realserver [10.99.0.11]:80 - DOWN",
		   "=> TCP CHECK failed on service <=\n.leading dot\r\n\nlast line, no newline");
	/* Nothing happens inside alert_send: no connection yet. */
	assert_int_equal(fake.n_conns, 0);
	assert_int_equal(alert_pending(), 1);
	assert_true(wait_idle(20));
	expect_counters(1, 0);
	assert_int_equal(fake.n_conns, 1);

	char *cmds = fake_str(fake.conns[0].cmds);
	assert_string_equal(cmds, "HELO lb-test\r\n"
				  "MAIL FROM:<lb@example.org>\r\n"
				  "RCPT TO:<a@example.org>\r\n"
				  "RCPT TO:<b@example.org>\r\n"
				  "DATA\r\n"
				  "QUIT\r\n");
	free(cmds);

	char *data = fake_str(fake.conns[0].data);
	/* Date first, in RFC 5322 form and about now. */
	assert_int_equal(strncmp(data, "Date: ", 6), 0);
	struct tm tm = { 0 };
	char *end = strptime(data + 6, "%a, %d %b %Y %H:%M:%S %z", &tm);
	assert_non_null(end);
	assert_int_equal(strncmp(end, "\r\n", 2), 0);
	long gmtoff = tm.tm_gmtoff;
	time_t when = timegm(&tm) - gmtoff;
	assert_true(labs((long)(when - time(NULL))) < 120);
	assert_string_equal(end + 2, "From: lb@example.org\r\n"
				     "Subject: [lb-test] Realserver [10.99.0.11]:80 - DOWN\r\n"
				     "X-Mailer: vipd\r\n"
				     "To: a@example.org, b@example.org\r\n"
				     "\r\n"
				     "=> TCP CHECK failed on service <=\r\n"
				     "..leading dot\r\n" /* dot-stuffed */
				     "\r\n"
				     "last line, no newline\r\n");
	free(data);

	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.queued, 0);
}

static void test_reject_mail_from(void **state)
{
	(void)state;
	start_with(FAKE_REJECT_MAIL, 5);
	alert_send("subject", "body");
	assert_true(wait_idle(20));
	expect_counters(0, 1);
	char *cmds = fake_str(fake.conns[0].cmds);
	assert_string_equal(cmds, "HELO lb-test\r\nMAIL FROM:<lb@example.org>\r\nQUIT\r\n");
	free(cmds);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.bad_replies, 1);
}

static void test_one_recipient_rejected(void **state)
{
	(void)state;
	start_with(FAKE_REJECT_RCPT1, 5);
	alert_send("subject", "body");
	assert_true(wait_idle(20));
	expect_counters(1, 0); /* b@ still gets it */
	char *cmds = fake_str(fake.conns[0].cmds);
	assert_string_equal(cmds, "HELO lb-test\r\nMAIL FROM:<lb@example.org>\r\n"
				  "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
				  "DATA\r\nQUIT\r\n");
	free(cmds);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.rcpt_rejected, 1);
}

static void test_all_recipients_rejected(void **state)
{
	(void)state;
	start_with(FAKE_REJECT_RCPTS, 5);
	alert_send("subject", "body");
	assert_true(wait_idle(20));
	expect_counters(0, 1);
	char *cmds = fake_str(fake.conns[0].cmds);
	assert_string_equal(cmds, "HELO lb-test\r\nMAIL FROM:<lb@example.org>\r\n"
				  "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n");
	free(cmds);
}

static void test_server_closes(void **state)
{
	(void)state;
	start_with(FAKE_CLOSE_HELO, 5);
	alert_send("subject", "body");
	assert_true(wait_idle(20));
	expect_counters(0, 1);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.closed, 1);
}

static void test_garbage_reply(void **state)
{
	(void)state;
	start_with(FAKE_GARBAGE, 5);
	alert_send("subject", "body");
	assert_true(wait_idle(20));
	expect_counters(0, 1);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.bad_replies, 1);
}

/* A port where nothing listens: bound (so nobody else takes it) but not listening. */
static void test_connection_refused(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);

	struct conf_global g = conf(ntohs(sin.sin_port), 30);
	assert_int_equal(alert_init(base, &g), 0);
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = { 0, 10000 };
	event_add(tick, &tv);

	double t0 = now_s();
	for (int i = 0; i < 3; i++)
		alert_send("subject", "body");
	assert_true(now_s() - t0 < 0.5); /* queued, not sent, inside alert_send */
	assert_true(wait_idle(20));
	double took = now_s() - t0;
	event_free(tick);
	close(fd);
	print_message("3 refused connections reported after %.3f s\n", took);
	expect_counters(0, 3);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.connect_errors, 3);
	assert_true(took < 10); /* refused at once, not after the 30 s timeout */
}

static void test_silent_server_times_out(void **state)
{
	(void)state;
	start_with(FAKE_SILENT, 0.5);
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = { 0, 10000 };
	event_add(tick, &tv);

	double t0 = now_s();
	alert_send("subject", "body");
	bool expired = false;
	struct event *t = evtimer_new(base, on_deadline, &expired);
	struct timeval max = { 20, 0 };
	evtimer_add(t, &max);
	while (!expired && alert_pending())
		event_base_loop(base, EVLOOP_ONCE);
	double took = now_s() - t0;
	event_free(t);
	event_free(tick);
	print_message("silent server: failed after %.3f s (timeout 0.5), %u ticks meanwhile\n",
		      took, ticks);
	assert_false(expired);
	expect_counters(0, 1);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(fake.n_conns, 1);
	assert_true(took >= 0.45);
	assert_true(took < 10);
	assert_true(ticks >= 10); /* the loop kept running */
}

/* A burst beyond the queue: the oldest are dropped; fds stay bounded. */
static void test_queue_overflow(void **state)
{
	(void)state;
	start_with(FAKE_OK, 10);
	const unsigned n = ALERT_QUEUE_MAX + 6;
	for (unsigned i = 0; i < n; i++) {
		char subject[32];
		snprintf(subject, sizeof(subject), "alert #%u", i);
		alert_send(subject, "body");
	}
	assert_int_equal(alert_pending(), ALERT_QUEUE_MAX);
	assert_true(wait_idle(60));
	expect_counters(ALERT_QUEUE_MAX, 6);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(fake.n_conns, ALERT_QUEUE_MAX);
	assert_true(fake.max_active <= ALERT_MAX_INFLIGHT);
	assert_true(fake.max_active >= 2); /* and they do run side by side */

	/* Exactly #6..#69 arrived, each once. */
	unsigned seen[ALERT_QUEUE_MAX + 6] = { 0 };
	for (unsigned c = 0; c < fake.n_conns; c++) {
		char *data = fake_str(fake.conns[c].data);
		char *p = strstr(data, "\r\nSubject: alert #");
		assert_non_null(p);
		unsigned k = (unsigned)atoi(p + strlen("\r\nSubject: alert #"));
		assert_true(k >= 6 && k < n);
		seen[k]++;
		free(data);
	}
	for (unsigned i = 6; i < n; i++)
		assert_int_equal(seen[i], 1);
}

/* CR/LF in the subject must not forge headers. */
static void test_header_injection(void **state)
{
	(void)state;
	start_with(FAKE_OK, 5);
	alert_send("down\r\nBcc: victim@example.org", "body");
	assert_true(wait_idle(20));
	expect_counters(1, 0);
	char *data = fake_str(fake.conns[0].data);
	assert_non_null(strstr(data, "\r\nSubject: down  Bcc: victim@example.org\r\n"));
	assert_null(strstr(data, "\r\nBcc:"));
	free(data);
}

static void test_disabled(void **state)
{
	(void)state;
	struct conf_global g = conf(25, 5);
	g.smtp_server = 0;
	assert_int_equal(alert_init(base, &g), 0);
	alert_send("subject", "body");
	assert_int_equal(alert_pending(), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	expect_counters(0, 0);
}

/* alert_stop drops what is in flight or waiting, and counts it. */
static void test_stop_drops(void **state)
{
	(void)state;
	start_with(FAKE_SILENT, 30);
	for (int i = 0; i < 6; i++)
		alert_send("subject", "body");
	/* Let the first ones connect. */
	for (int i = 0; i < 20 && fake.n_conns < ALERT_MAX_INFLIGHT; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(alert_pending(), 6);
	alert_stop();
	expect_counters(0, 6);
	struct alert_stats st;
	alert_get_stats(&st);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(alert_pending(), 0);
	alert_send("after stop", "is a no-op");
	assert_int_equal(alert_pending(), 0);
	/* And it can start again (a reload). */
	struct conf_global g = conf(fake.port, 5);
	assert_int_equal(alert_init(base, &g), 0);
	assert_int_equal(alert_init(base, &g), -EBUSY);
}

static void test_drain(void **state)
{
	(void)state;
	start_with(FAKE_OK, 5);
	assert_int_equal(alert_drain(1), 0);
	alert_send("one", "body");
	alert_send("two", "body");
	assert_int_equal(alert_drain(20), 0);
	expect_counters(2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dialogue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_mail_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_recipient_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_recipients_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_server_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
