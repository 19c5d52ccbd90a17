/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `vipctl import-keepalived`: the command line around kaconf. It needs no
 * running vipd, so vipctl dispatches it before opening the telemetry socket.
 *
 * Exit status: 0 when a configuration was written (warnings or not), 1 when
 * the keepalived.conf has an error (FILE:LINE on stderr; nothing written) or
 * the output cannot be written, 2 on a usage error.
 */
#include "kaconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kaconf_import(const char *path, const struct kaconf_opts *opts, FILE *msgs,
		  char **text, unsigned *n_warn)
{
	struct kaconf_log lg = { .f = msgs };
	const struct kaconf_node **origin = NULL;
	struct kaconf_tree t;
	unsigned n_lines = 0;
	int rc = 1;

	*text = NULL;
	if (kaconf_read(path, &t, &lg) == 0 &&
	    kaconf_convert(&t, opts, &lg, text, &origin, &n_lines) == 0) {
		if ((opts && opts->no_validate) ||
		    kaconf_validate(*text, origin, n_lines, &lg) == 0) {
			rc = 0;
		} else {
			free(*text);
			*text = NULL;
		}
	}
	free(origin);
	kaconf_tree_free(&t);
	if (n_warn)
		*n_warn = lg.n_warn;
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vipctl import-keepalived KEEPALIVED.CONF [-o VIPD.CONF] [-a IFNAME=A.B.C.D/LEN]...\n"
		"  Convert a keepalived.conf (with its includes) into a vipd configuration,\n"
		"  written to VIPD.CONF or stdout. Options vipd cannot express are reported\n"
		"  on stderr as FILE:LINE: KEYWORD: not supported by vipd (WHY).\n"
		"  -o, --output FILE     write here (atomically) instead of stdout\n"
		"  -a, --address IFNAME=A.B.C.D/LEN\n"
		"                        the director's own address on an interface; keepalived.conf\n"
		"                        has none (unicast_src_ip is used when present)\n"
		"exit status: 0 written (warnings allowed), 1 error in the input, 2 usage\n");
}

/* IFNAME=A.B.C.D/LEN into the options; false if it is not that. */
static bool parse_address(const char *s, struct kaconf_opts *o)
{
	const char *eq = strchr(s, '='), *slash;
	char ip[20], norm[16], *end;
	unsigned long len;
	uint32_t a;

	if (!eq || eq == s || eq - s > 15 || o->n_addrs == KACONF_MAX_ADDR_OPTS)
		return false;
	slash = strchr(eq, '/');
	if (!slash || slash - eq - 1 >= (long)sizeof(ip) || !slash[1])
		return false;
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - eq - 1), eq + 1);
	len = strtoul(slash + 1, &end, 10);
	if (*end || len < 1 || len > 32 || kaconf_parse_ip(ip, &a) != 1)
		return false;
	snprintf(o->addrs[o->n_addrs].ifname, sizeof(o->addrs[0].ifname), "%.*s",
		 (int)(eq - s), s);
	snprintf(o->addrs[o->n_addrs].addr, sizeof(o->addrs[0].addr), "%s/%lu",
		 kaconf_ip_str(a, norm), len);
	o->n_addrs++;
	return true;
}

/* Write beside the target, then rename: a failed run leaves OUT as it was. */
static int write_out(const char *out, const char *text)
{
	char *tmp = kaconf_fmt("%s.XXXXXX", out);
	int fd = mkstemp(tmp);
	size_t len = strlen(text);
	FILE *f;

	if (fd < 0) {
		fprintf(stderr, "vipctl import-keepalived: %s: %s\n", out, strerror(errno));
		free(tmp);
		return 1;
	}
	f = fdopen(fd, "w");
	if (!f || fwrite(text, 1, len, f) != len || fflush(f) != 0 || fsync(fd) != 0 ||
	    fclose(f) != 0 || rename(tmp, out) != 0) {
		fprintf(stderr, "vipctl import-keepalived: %s: %s\n", out, strerror(errno));
		if (!f)
			close(fd);
		unlink(tmp);
		free(tmp);
		return 1;
	}
	free(tmp);
	return 0;
}

int import_keepalived_main(int argc, char **argv)
{
	struct kaconf_opts o = { 0 };
	const char *in = NULL, *out = NULL;
	unsigned warns = 0;
	char *text;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
		    strcmp(a, "-a") == 0 || strcmp(a, "--address") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "vipctl import-keepalived: %s needs a value\n", a);
				usage(stderr);
				return 2;
			}
			val = argv[++i];
		} else if (strncmp(a, "--output=", 9) == 0 || strncmp(a, "--address=", 10) == 0) {
			val = strchr(a, '=') + 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vipctl import-keepalived: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (in) {
			fprintf(stderr, "vipctl import-keepalived: one input file only ('%s')\n", a);
			usage(stderr);
			return 2;
		} else {
			in = a;
			continue;
		}
		if (a[1] == 'o' || a[2] == 'o') {
			out = val;
		} else if (!parse_address(val, &o)) {
			fprintf(stderr, "vipctl import-keepalived: --address '%s' is not IFNAME=A.B.C.D/LEN\n",
				val);
			return 2;
		}
	}
	if (!in || (out && !*out)) {
		usage(stderr);
		return 2;
	}
	rc = kaconf_import(in, &o, stderr, &text, &warns);
	if (rc != 0) {
		fprintf(stderr, "vipctl import-keepalived: %s not converted\n", in);
		return 1;
	}
	if (out) {
		rc = write_out(out, text);
	} else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "vipctl import-keepalived: stdout: %s\n", strerror(errno));
		rc = 1;
	}
	if (rc == 0 && warns)
		fprintf(stderr, "vipctl import-keepalived: %s converted with %u warning%s: read them and every CHECK note%s%s\n",
			in, warns, warns == 1 ? "" : "s", out ? " in " : "", out ? out : "");
	free(text);
	return rc;
}
