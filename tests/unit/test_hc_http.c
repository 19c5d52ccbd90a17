/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_http_parse: the HTTP_GET/SSL_GET response parser. Valid responses
 * (every status, Content-Length, chunked, close-delimited, 1xx interim,
 * no-body statuses), fed whole and byte by byte; the body's MD5; and what
 * a broken or hostile server can send: garbage, a missing status line,
 * truncation, huge headers, endless header lines, bad lengths and chunks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hc/hc_http_parse.h"

/* MD5("hello\n"), as `printf 'hello\n' | md5sum` prints it */
#define MD5_HELLO "b1946ac92492d2347c6235b4d2611184"
/* MD5("") */
#define MD5_EMPTY "d41d8cd98f00b204e9800998ecf8427e"

static struct hc_http *new_parser(bool digest, uint64_t body_max)
{
	struct hc_http *p = malloc(sizeof(*p));
	assert_non_null(p);
	assert_int_equal(hc_http_init(p, digest, body_max), 0);
	return p;
}

static void del(struct hc_http *p)
{
	hc_http_fini(p);
	free(p);
}

/* Feed s whole (step 0) or in pieces of step bytes; then EOF if eof. */
static int run(struct hc_http *p, const char *s, size_t len, size_t step, bool eof)
{
	int rc = HC_HTTP_MORE;
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len && rc == HC_HTTP_MORE; i += step)
		rc = hc_http_feed(p, s + i, len - i < step ? len - i : step);
	if (rc == HC_HTTP_MORE && eof)
		rc = hc_http_eof(p);
	return rc;
}

static int parse(const char *s, bool eof, int *status)
{
	struct hc_http *p = new_parser(false, 1 << 20);
	int rc = run(p, s, strlen(s), 0, eof);
	/* byte by byte must agree */
	struct hc_http *q = new_parser(false, 1 << 20);
	assert_int_equal(run(q, s, strlen(s), 1, eof), rc);
	assert_int_equal(q->status, p->status);
	if (status)
		*status = p->status;
	del(p);
	del(q);
	return rc;
}

static void test_simple_200(void **st)
{
	(void)st;
	int status;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n", false, &status),
			 HC_HTTP_DONE);
	assert_int_equal(status, 200);
	/* no reason phrase, LF-only lines, HTTP/1.0 */
	assert_int_equal(parse("HTTP/1.0 503\nContent-Length: 0\n\n", false, &status), HC_HTTP_DONE);
	assert_int_equal(status, 503);
}

static void test_statuses(void **st)
{
	(void)st;
	int codes[] = { 200, 201, 204, 301, 302, 304, 404, 418, 500, 503, 599 };
	char buf[128];
	int status;
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d Whatever\r\nContent-Length: 0\r\n\r\n", codes[i]);
		assert_int_equal(parse(buf, false, &status), HC_HTTP_DONE);
		assert_int_equal(status, codes[i]);
	}
}

/* 204 and 304 have no body even without a length; nginx's "return 204" works. */
static void test_no_body_statuses(void **st)
{
	(void)st;
	int status;
	assert_int_equal(parse("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", false, &status),
			 HC_HTTP_DONE);
	assert_int_equal(status, 204);
	assert_int_equal(parse("HTTP/1.1 304 Not Modified\r\n\r\n", false, &status), HC_HTTP_DONE);
}

static void test_interim_100_skipped(void **st)
{
	(void)st;
	int status;
	assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
			       "\r\nok", false, &status), HC_HTTP_DONE);
	assert_int_equal(status, 200);
}

static void test_content_length_body_and_digest(void **st)
{
	(void)st;
	const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
	char hex[33];
	for (size_t step = 0; step <= 7; step++) {
		struct hc_http *p = new_parser(true, 1 << 20);
		assert_int_equal(run(p, r, strlen(r), step, false), HC_HTTP_DONE);
		assert_int_equal(p->body_len, 6);
		hc_http_digest_hex(p, hex);
		assert_string_equal(hex, MD5_HELLO);
		del(p);
	}
	/* bytes after the body (a pipelining server, garbage) are ignored */
	struct hc_http *p = new_parser(true, 1 << 20);
	const char *r2 = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\nEXTRA";
	assert_int_equal(run(p, r2, strlen(r2), 0, false), HC_HTTP_DONE);
	hc_http_digest_hex(p, hex);
	assert_string_equal(hex, MD5_HELLO);
	del(p);
}

static void test_chunked_body_and_digest(void **st)
{
	(void)st;
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"3\r\nhel\r\n"
			"1;ext=1\r\nl\r\n"
			"2 \r\no\n\r\n"
			"0\r\nX-Trailer: t\r\n\r\n";
	char hex[33];
	for (size_t step = 0; step <= 9; step++) {
		struct hc_http *p = new_parser(true, 1 << 20);
		assert_int_equal(run(p, r, strlen(r), step, false), HC_HTTP_DONE);
		assert_int_equal(p->body_len, 6);
		hc_http_digest_hex(p, hex);
		assert_string_equal(hex, MD5_HELLO);
		del(p);
	}
	/* chunked wins over a Content-Length (RFC 9112) */
	struct hc_http *p = new_parser(true, 1 << 20);
	const char *r2 = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
			 "6\r\nhello\n\r\n0\r\n\r\n";
	assert_int_equal(run(p, r2, strlen(r2), 0, false), HC_HTTP_DONE);
	hc_http_digest_hex(p, hex);
	assert_string_equal(hex, MD5_HELLO);
	del(p);
}

static void test_close_delimited_body(void **st)
{
	(void)st;
	const char *r = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\n";
	char hex[33];
	struct hc_http *p = new_parser(true, 1 << 20);
	assert_int_equal(run(p, r, strlen(r), 3, false), HC_HTTP_MORE);
	assert_int_equal(hc_http_eof(p), HC_HTTP_DONE);
	hc_http_digest_hex(p, hex);
	assert_string_equal(hex, MD5_HELLO);
	del(p);
	/* a Transfer-Encoding that is not chunked: also until close */
	p = new_parser(true, 1 << 20);
	const char *r2 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n";
	assert_int_equal(run(p, r2, strlen(r2), 0, true), HC_HTTP_DONE);
	hc_http_digest_hex(p, hex);
	assert_string_equal(hex, MD5_EMPTY);
	del(p);
}

/* Without a digest, a body past body_max is not read to the end. */
static void test_body_limits(void **st)
{
	(void)st;
	char head[128];
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 1 << 30);
	struct hc_http *p = new_parser(false, 1000);
	char body[4096];
	memset(body, 'x', sizeof(body));
	assert_int_equal(run(p, head, strlen(head), 0, false), HC_HTTP_MORE);
	assert_int_equal(hc_http_feed(p, body, sizeof(body)), HC_HTTP_DONE);
	del(p);
	/* with a digest it is an error */
	p = new_parser(true, 1000);
	assert_int_equal(run(p, head, strlen(head), 0, false), HC_HTTP_MORE);
	assert_int_equal(hc_http_feed(p, body, sizeof(body)), HC_HTTP_E_BODY);
	/* sticky */
	assert_int_equal(hc_http_feed(p, "x", 1), HC_HTTP_E_BODY);
	assert_int_equal(hc_http_eof(p), HC_HTTP_E_BODY);
	del(p);
}

static void test_garbage_fails_at_once(void **st)
{
	(void)st;
	const char *g[] = {
		"garbage\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "\x16\x03\x01\x02\x00", "<html>",
		"HTTP/2 200\r\n", "HTTP/1.1 2OO OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
	};
	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct hc_http *p = new_parser(false, 1 << 20);
		int rc = run(p, g[i], strlen(g[i]), 0, false);
		assert_int_equal(rc, HC_HTTP_E_STATUS);
		del(p);
	}
	/* the first wrong byte is enough: no newline, no timeout needed */
	struct hc_http *p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_feed(p, "X", 1), HC_HTTP_E_STATUS);
	del(p);
	p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_feed(p, "HTT", 3), HC_HTTP_MORE);
	assert_int_equal(hc_http_feed(p, "Q", 1), HC_HTTP_E_STATUS);
	del(p);
	/* random bytes never crash it and never make a response */
	srand(1);
	for (int k = 0; k < 2000; k++) {
		char buf[512];
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)rand();
		p = new_parser(true, 1 << 20);
		int rc = run(p, buf, n, (size_t)(rand() % 17), true);
		assert_true(rc < 0);
		del(p);
	}
}

static void test_missing_status_line(void **st)
{
	(void)st;
	/* headers straight away */
	assert_int_equal(parse("Content-Length: 0\r\n\r\n", true, NULL), HC_HTTP_E_STATUS);
	/* nothing at all */
	struct hc_http *p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_eof(p), HC_HTTP_E_EMPTY);
	del(p);
	/* a bare body */
	assert_int_equal(parse("hello\n", true, NULL), HC_HTTP_E_STATUS);
}

static void test_truncated(void **st)
{
	(void)st;
	const char *t[] = {
		"HTTP/1.1 200",                                     /* mid status line */
		"HTTP/1.1 200 OK\r\nContent-Le",                    /* mid header */
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",       /* no end of head */
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", /* short body */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", /* mid chunk */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", /* no last chunk */
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(parse(t[i], true, NULL), HC_HTTP_E_TRUNCATED);
}

static void test_malformed_headers(void **st)
{
	(void)st;
	const char *h[] = {
		"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	};
	for (unsigned i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		assert_int_equal(parse(h[i], true, NULL), HC_HTTP_E_HEADER);
	/* a NUL inside a header */
	const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n";
	struct hc_http *p = new_parser(false, 1 << 20);
	assert_int_equal(run(p, nul, sizeof(nul) - 1, 0, true), HC_HTTP_E_HEADER);
	del(p);
	/* obs-fold after a header is tolerated */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nX: a\r\n  b\r\nContent-Length: 0\r\n\r\n", false,
			       NULL), HC_HTTP_DONE);
}

static void test_bad_content_length(void **st)
{
	(void)st;
	const char *h[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
	};
	for (unsigned i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		assert_int_equal(parse(h[i], true, NULL), HC_HTTP_E_LENGTH);
	/* the same value twice is one length */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2, 2\r\n\r\nok",
			       false, NULL), HC_HTTP_DONE);
}

static void test_bad_chunks(void **st)
{
	(void)st;
	const char *h[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n",
	};
	for (unsigned i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		assert_int_equal(parse(h[i], true, NULL), HC_HTTP_E_CHUNK);
	/* an endless chunk size line */
	struct hc_http *p = new_parser(false, 1 << 20);
	const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(run(p, head, strlen(head), 0, false), HC_HTTP_MORE);
	char ones[1024];
	memset(ones, ';', sizeof(ones));
	ones[0] = '1';
	assert_int_equal(hc_http_feed(p, ones, sizeof(ones)), HC_HTTP_E_CHUNK);
	del(p);
}

static void test_huge_headers(void **st)
{
	(void)st;
	/* one endless header line */
	struct hc_http *p = new_parser(false, 1 << 20);
	const char *s = "HTTP/1.1 200 OK\r\nX-Big: ";
	assert_int_equal(run(p, s, strlen(s), 0, false), HC_HTTP_MORE);
	char a[1000];
	memset(a, 'a', sizeof(a));
	int rc = HC_HTTP_MORE;
	for (int i = 0; i < 100 && rc == HC_HTTP_MORE; i++)
		rc = hc_http_feed(p, a, sizeof(a));
	assert_int_equal(rc, HC_HTTP_E_TOO_BIG);
	assert_true(p->in_len <= HC_HTTP_LINE_MAX + 1000 + 64);
	del(p);
	/* an endless status line */
	p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_feed(p, "HTTP/1.1 200 ", 13), HC_HTTP_MORE);
	rc = HC_HTTP_MORE;
	for (int i = 0; i < 100 && rc == HC_HTTP_MORE; i++)
		rc = hc_http_feed(p, a, sizeof(a));
	assert_int_equal(rc, HC_HTTP_E_TOO_BIG);
	del(p);
	/* many headers, each short, adding up past the head limit or the count */
	p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_feed(p, "HTTP/1.1 200 OK\r\n", 17), HC_HTTP_MORE);
	rc = HC_HTTP_MORE;
	for (int i = 0; i < 100000 && rc == HC_HTTP_MORE; i++)
		rc = hc_http_feed(p, "X-A: b\r\n", 8);
	assert_int_equal(rc, HC_HTTP_E_TOO_BIG);
	del(p);
	p = new_parser(false, 1 << 20);
	assert_int_equal(hc_http_feed(p, "HTTP/1.1 200 OK\r\n", 17), HC_HTTP_MORE);
	char line[HC_HTTP_LINE_MAX - 16];
	memset(line, 'v', sizeof(line));
	memcpy(line, "X-Long: ", 8);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	rc = HC_HTTP_MORE;
	for (int i = 0; i < 100 && rc == HC_HTTP_MORE; i++)
		rc = hc_http_feed(p, line, sizeof(line));
	assert_int_equal(rc, HC_HTTP_E_TOO_BIG);
	assert_true(p->head_len <= HC_HTTP_HEAD_MAX + sizeof(line));
	del(p);
	/* endless 100 Continue responses are bounded by the same head limit */
	p = new_parser(false, 1 << 20);
	rc = HC_HTTP_MORE;
	for (int i = 0; i < 100000 && rc == HC_HTTP_MORE; i++)
		rc = hc_http_feed(p, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	assert_int_equal(rc, HC_HTTP_E_TOO_BIG);
	del(p);
}

static void test_strerror(void **st)
{
	(void)st;
	for (int rc = HC_HTTP_E_NOMEM; rc <= HC_HTTP_DONE; rc++)
		assert_string_not_equal(hc_http_strerror(rc), "unknown error");
	assert_string_equal(hc_http_strerror(HC_HTTP_E_STATUS), "no valid status line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_200),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_no_body_statuses),
		cmocka_unit_test(test_interim_100_skipped),
		cmocka_unit_test(test_content_length_body_and_digest),
		cmocka_unit_test(test_chunked_body_and_digest),
		cmocka_unit_test(test_close_delimited_body),
		cmocka_unit_test(test_body_limits),
		cmocka_unit_test(test_garbage_fails_at_once),
		cmocka_unit_test(test_missing_status_line),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_bad_content_length),
		cmocka_unit_test(test_bad_chunks),
		cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
