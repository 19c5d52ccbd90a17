/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf (vipctl import-keepalived) on the corpus in tests/importer/, found
 * through VIPD_TEST_DATA (tests/unit) as ../importer. For every NAME.conf:
 *
 *   NAME.msgs      the messages, byte for byte (an empty file: none);
 *   NAME.expected  the converted file, byte for byte, when it converts;
 *                  without one the import must fail (exit status 1).
 *
 * Every converted file must also pass conf_load(), vipd's own validator
 * (what `vipd --check` runs). KACONF_UPDATE=1 rewrites .msgs and .expected
 * from the current importer instead of comparing: review the diff.
 *
 * Besides: the seed example in docs/examples converts into the reference
 * scenario; the command line's exit statuses; the size limits; and
 * mutations of every corpus file (cut short, bytes replaced by the
 * characters the grammar cares about) never crash the importer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "ctrl/kaconf.h"

static char corpus[1024];
static char tmpdir[256];

static void paths_init(void)
{
	const char *d = getenv("VIPD_TEST_DATA");

	snprintf(corpus, sizeof(corpus), "%s/../importer", d ? d : "tests/unit");
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_kaconf-XXXXXX");
		if (!mkdtemp(tmpdir))
			tmpdir[0] = '\0';
	}
}

/* The whole file, or NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* conf_load() of text, as `vipd --check -f` would load it. */
static void assert_loads(const char *text, struct vipd_conf **keep)
{
	char path[512];
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/loaded.conf", tmpdir);
	spit(path, text, strlen(text));
	rc = conf_load(path, &c, &e);
	if (rc != 0)
		conf_errors_print(&e, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(e.n, 0);
	conf_errors_clear(&e);
	if (keep)
		*keep = c;
	else
		conf_free(c);
}

/* Run the importer on path; messages into *msgs (malloc'd). */
static int import(const char *path, const struct kaconf_opts *o, char **text, char **msgs)
{
	size_t size = 0;
	FILE *m = open_memstream(msgs, &size);
	int rc;

	assert_non_null(m);
	rc = kaconf_import(path, o, m, text, NULL);
	fclose(m);
	return rc;
}

static void compare(const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		fprintf(stderr, "%s differs.\n--- want\n%s--- got\n%s---\n", what, want, got);
	assert_string_equal(want, got);
}

/* ---- the corpus ------------------------------------------------------------ */

struct corpus_file {
	char name[128];
};

static void test_corpus_file(void **state)
{
	const struct corpus_file *cf = *state;
	char path[1400], *text = NULL, *msgs = NULL, *want;
	bool update = getenv("KACONF_UPDATE") != NULL;
	struct stat st;
	int rc;

	/* Relative names keep the messages and the output free of our paths. */
	assert_int_equal(chdir(corpus), 0);
	rc = import(cf->name, NULL, &text, &msgs);
	snprintf(path, sizeof(path), "%.*s.msgs", (int)strlen(cf->name) - 5, cf->name);
	if (update) {
		spit(path, msgs, strlen(msgs));
	} else {
		want = slurp(path, NULL);
		if (!want)
			fail_msg("%s: no %s", cf->name, path);
		compare(path, want, msgs);
		free(want);
	}
	snprintf(path, sizeof(path), "%.*s.expected", (int)strlen(cf->name) - 5, cf->name);
	if (update) {
		if (rc == 0)
			spit(path, text, strlen(text));
		else
			unlink(path);
	} else if (stat(path, &st) == 0) {
		assert_int_equal(rc, 0);
		want = slurp(path, NULL);
		compare(path, want, text);
		free(want);
	} else {
		assert_int_equal(rc, 1);
		assert_null(text);
	}
	if (rc == 0)
		assert_loads(text, NULL);
	free(text);
	free(msgs);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct corpus_file *)a)->name,
		      ((const struct corpus_file *)b)->name);
}

static unsigned corpus_list(struct corpus_file *files, unsigned max)
{
	DIR *d = opendir(corpus);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);

		if (len > 5 && len < sizeof(files[0].name) &&
		    strcmp(e->d_name + len - 5, ".conf") == 0)
			memcpy(files[n++].name, e->d_name, len + 1); /* len checked */
	}
	closedir(d);
	qsort(files, n, sizeof(files[0]), name_cmp);
	return n;
}

/* The corpus holds what issue 6 asks: >= 10 that convert, >= 5 broken. */
static void test_corpus_size(void **state)
{
	struct corpus_file files[128];
	unsigned n = corpus_list(files, 128), good = 0, bad = 0;
	char path[1400];
	struct stat st;

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%.*s.expected", corpus,
			 (int)strlen(files[i].name) - 5, files[i].name);
		if (strncmp(files[i].name, "bad_", 4) == 0)
			bad++;
		else if (stat(path, &st) == 0)
			good++;
	}
	assert_true(good >= 10);
	assert_true(bad >= 5);
}

/* ---- the seed example ------------------------------------------------------ */

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* docs/examples/keepalived-lvs-dr.conf is the reference scenario's director1. */
static void test_seed(void **state)
{
	char path[1400], *text = NULL, *msgs = NULL;
	struct vipd_conf *c = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/../../docs/examples/keepalived-lvs-dr.conf", corpus);
	assert_int_equal(import(path, NULL, &text, &msgs), 0);
	compare("seed messages", "", msgs);
	assert_loads(text, &c);
	assert_int_equal(c->n_ports, 1);
	assert_int_equal(c->ports[0].addr, ip("10.99.0.2"));
	assert_int_equal(c->ports[0].prefixlen, 24);
	assert_string_equal(c->global.router_id, "director1");
	assert_int_equal(c->global.n_emails, 1);
	assert_int_equal(c->global.smtp_server, ip("10.99.0.20"));
	assert_int_equal(c->n_vrrp, 1);
	assert_string_equal(c->vrrp[0].name, "VI_1");
	assert_true(c->vrrp[0].initial_master);
	assert_int_equal(c->vrrp[0].vrid, 51);
	assert_int_equal(c->vrrp[0].priority, 100);
	assert_true(c->vrrp[0].auth_pass);
	assert_string_equal(c->vrrp[0].auth_password, "1111");
	assert_int_equal(c->vrrp[0].n_vips, 1);
	assert_int_equal(c->vrrp[0].vips[0], ip("10.99.0.100"));
	assert_true(c->vrrp[0].smtp_alert);
	assert_int_equal(c->n_vs, 1);
	assert_int_equal(c->vs[0].addr, ip("10.99.0.100"));
	assert_int_equal(c->vs[0].port, 80);
	assert_int_equal(c->vs[0].proto, IPPROTO_TCP);
	assert_string_equal(c->vs[0].scheduler, "rr");
	assert_int_equal(c->vs[0].fwd, CONF_FWD_DR);
	assert_int_equal(c->vs[0].persistence_timeout, 50);
	assert_true(c->vs[0].delay_loop == 6);
	assert_int_equal(c->vs[0].n_rs, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct conf_rs *rs = &c->vs[0].rs[i];

		assert_int_equal(rs->addr, ip(i ? "10.99.0.12" : "10.99.0.11"));
		assert_int_equal(rs->port, 80);
		assert_int_equal(rs->weight, 1);
		assert_int_equal(rs->check.type, CONF_CHECK_HTTP_GET);
		assert_int_equal(rs->check.n_urls, 1);
		assert_string_equal(rs->check.urls[0].path, "/");
		assert_int_equal(rs->check.urls[0].n_status, 1);
		assert_int_equal(rs->check.urls[0].status[0].lo, 200);
		assert_true(rs->check.connect_timeout == 3);
		assert_int_equal(rs->check.retry, 3);
		assert_true(rs->check.delay_before_retry == 3);
	}
	conf_free(c);
	free(text);
	free(msgs);
}

/* --address gives the director's address where keepalived.conf has none. */
static void test_address_option(void **state)
{
	struct kaconf_opts o = { .n_addrs = 1 };
	char *text = NULL, *msgs = NULL;
	struct vipd_conf *c = NULL;

	(void)state;
	snprintf(o.addrs[0].ifname, sizeof(o.addrs[0].ifname), "lan7");
	snprintf(o.addrs[0].addr, sizeof(o.addrs[0].addr), "10.10.0.1/16");
	assert_int_equal(chdir(corpus), 0);
	/* LVS only: the option names the one port. */
	assert_int_equal(import("vs_nat_defaults.conf", &o, &text, &msgs), 0);
	assert_null(strstr(msgs, "placeholder"));
	assert_loads(text, &c);
	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].name, "lan7");
	assert_int_equal(c->ports[0].addr, ip("10.10.0.1"));
	assert_int_equal(c->ports[0].prefixlen, 16);
	conf_free(c);
	free(text);
	free(msgs);
}

/* ---- the command line ------------------------------------------------------ */

/* import_keepalived_main(argv), its stdout and stderr sent to /dev/null. */
static int run_main(int argc, ...)
{
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY), rc;
	char *argv[8];
	va_list ap;

	assert_true(out >= 0 && err >= 0 && null >= 0);
	va_start(ap, argc);
	for (int i = 0; i < argc && i < 8; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	rc = import_keepalived_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return rc;
}

static void test_cli(void **state)
{
	char out[512], *got, *want;

	(void)state;
	assert_int_equal(chdir(corpus), 0);
	snprintf(out, sizeof(out), "%s/out.conf", tmpdir);
	assert_int_equal(run_main(0), 2);
	assert_int_equal(run_main(1, "--bogus"), 2);
	assert_int_equal(run_main(2, "a.conf", "b.conf"), 2);
	assert_int_equal(run_main(2, "checks.conf", "-o"), 2);
	assert_int_equal(run_main(3, "checks.conf", "--address", "eth0"), 2);
	assert_int_equal(run_main(3, "checks.conf", "-a", "eth0=10.0.0.1/33"), 2);
	assert_int_equal(run_main(1, "--help"), 0);
	assert_int_equal(run_main(1, "no-such-file.conf"), 1);
	assert_int_equal(run_main(1, "bad_quote.conf"), 1);
	assert_int_equal(run_main(3, "checks.conf", "-o", out), 0);
	got = slurp(out, NULL);
	want = slurp("checks.expected", NULL);
	assert_non_null(got);
	assert_non_null(want);
	assert_string_equal(got, want);
	free(got);
	/* A failed import leaves an existing output alone. */
	assert_int_equal(run_main(3, "bad_values.conf", "--output", out), 1);
	got = slurp(out, NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);
	unlink(out);
}

/* ---- limits and robustness ------------------------------------------------- */

static void expect_error(const char *text, size_t len, const char *msg)
{
	char path[512], *out = NULL, *msgs = NULL;

	snprintf(path, sizeof(path), "%s/limit.conf", tmpdir);
	spit(path, text, len);
	assert_int_equal(import(path, NULL, &out, &msgs), 1);
	if (!strstr(msgs, msg))
		fail_msg("'%s' not in: %s", msg, msgs);
	free(msgs);
}

static void test_limits(void **state)
{
	size_t size = KACONF_MAX_LINE + 100;
	char *buf = malloc(size + 1), path[512];

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', size);
	buf[size] = '\0';
	expect_error(buf, size, "line longer than");
	buf[0] = '\0';
	for (int i = 0; i <= KACONF_MAX_DEPTH; i++)
		strcat(buf, "a {\n");
	expect_error(buf, strlen(buf), "nested deeper than");
	buf[0] = '\0';
	for (int i = 0; i <= KACONF_MAX_WORDS; i++)
		strcat(buf, "w ");
	expect_error(buf, strlen(buf), "more than 64 words");
	expect_error("global_defs {\0}\n", 16, "NUL byte");
	snprintf(path, sizeof(path), "include %s\n", tmpdir);
	expect_error(path, strlen(path), "Is a directory");
	snprintf(path, sizeof(path), "include limit.conf\n");
	expect_error(path, strlen(path), "include loop");
	free(buf);
}

/* Cut short anywhere, bytes replaced: exit status 0 or 1, never a crash. */
static void test_mutations(void **state)
{
	static const char subst[] = "{}\"'#!\\\n x/.0-";
	struct corpus_file files[128];
	unsigned n = corpus_list(files, 128), seed = 12345;
	char src[1400], path[512], *text, *msgs;

	(void)state;
	snprintf(path, sizeof(path), "%s/mutant.conf", tmpdir);
	for (unsigned f = 0; f < n; f++) {
		size_t len;
		char *orig, *m;

		snprintf(src, sizeof(src), "%s/%.127s", corpus, files[f].name);
		orig = slurp(src, &len);
		assert_non_null(orig);
		m = malloc(len + 1);
		assert_non_null(m);
		for (unsigned k = 0; k < 150 && len; k++) {
			size_t cut = len, at;

			memcpy(m, orig, len + 1);
			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % len;
			if (k % 3 == 1) {
				cut = at;
			} else if (k % 3 == 2) {
				/* any byte, NUL and high ones included, for a stretch */
				for (size_t i = at; i < len && i < at + 8; i++) {
					seed = seed * 1103515245u + 12345u;
					m[i] = (char)(seed >> 16);
				}
			} else {
				m[at] = subst[(seed >> 20) % (sizeof(subst) - 1)];
			}
			spit(path, m, cut);
			text = msgs = NULL;
			int rc = import(path, NULL, &text, &msgs);

			assert_true(rc == 0 || rc == 1);
			assert_true((rc == 0) == (text != NULL));
			free(text);
			free(msgs);
		}
		free(m);
		free(orig);
	}
	unlink(path);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_corpus_size),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_address_option),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mutations),
	};
	static struct corpus_file files[128];
	struct CMUnitTest tests[128 + sizeof(fixed) / sizeof(fixed[0])];
	unsigned n, t = 0;
	char sub[600];
	int rc;

	paths_init();
	if (!tmpdir[0]) {
		fprintf(stderr, "test_kaconf: cannot make a temporary directory\n");
		return 1;
	}
	n = corpus_list(files, 128);
	for (unsigned i = 0; i < n; i++) {
		struct CMUnitTest u = cmocka_unit_test_prestate(test_corpus_file, &files[i]);

		u.name = files[i].name;
		tests[t++] = u;
	}
	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[t++] = fixed[i];
	rc = _cmocka_run_group_tests("kaconf", tests, t, NULL, NULL);
	snprintf(sub, sizeof(sub), "%s/loaded.conf", tmpdir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/limit.conf", tmpdir);
	unlink(sub);
	rmdir(tmpdir);
	return rc;
}
