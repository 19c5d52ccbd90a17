/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf reader: keepalived.conf and its includes into a tree of keyword
 * nodes, following keepalived's own parser (lib/parser.c):
 *
 *  - one keyword and its arguments per line; a line ending in '\' goes on;
 *  - '{' and '}' are words of their own wherever they stand, so a block may
 *    open on the keyword's line or the next one and close inline;
 *  - '#' and '!' start a comment anywhere outside quotes ("\#" is a '#');
 *  - "..." and '...' quote (the quotes go, adjacent text joins), with \" \'
 *    and \\ inside;
 *  - `include PATTERN` splices files in at that point, wherever it stands;
 *    a relative pattern is relative to the including file's directory, a
 *    glob expands in sorted order. An include that leads back to a file
 *    being read is an error, not an endless loop.
 *
 * A syntax error stops the read: after an unbalanced brace nothing that
 * follows can be attributed to the right block.
 */
#include "kaconf.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void *kaconf_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fputs("vipctl import-keepalived: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *kaconf_strdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(kaconf_alloc(len), s, len);
}

char *kaconf_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = kaconf_alloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return s;
}

void kaconf_logf(struct kaconf_log *lg, bool error, const char *file,
		 unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (error)
		lg->n_err++;
	else
		lg->n_warn++;
	if (!lg->f)
		return;
	if (file && line)
		fprintf(lg->f, "%s:%u: ", file, line);
	else if (file)
		fprintf(lg->f, "%s: ", file);
	if (error)
		fputs("error: ", lg->f);
	va_start(ap, fmt);
	vfprintf(lg->f, fmt, ap);
	va_end(ap);
	fputc('\n', lg->f);
}

/* ---- reader state ---------------------------------------------------------- */

struct kaconf_rd {
	struct kaconf_tree *t;
	struct kaconf_log *lg;
	struct kaconf_node *stack[KACONF_MAX_DEPTH + 1]; /* [0] = the root */
	unsigned depth;
	struct kaconf_node *last; /* the statement a '{' would open */
	struct {
		dev_t dev;
		ino_t ino;
	} open[KACONF_MAX_INCLUDE_DEPTH + 1]; /* files being read, for loops */
	unsigned n_open;
	char *top_dir; /* the top file's directory with '/', or "" */
	bool failed;
};

struct kaconf_tok {
	const char *s;
	bool brace; /* an unquoted '{' or '}' */
};

static void rd_err(struct kaconf_rd *rd, const char *file, unsigned line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void rd_err(struct kaconf_rd *rd, const char *file, unsigned line,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kaconf_logf(rd->lg, true, file, line, "%s", msg);
	rd->failed = true;
}

static void node_free(struct kaconf_node *n)
{
	while (n) {
		struct kaconf_node *next = n->next;

		node_free(n->child);
		for (unsigned i = 0; i < n->n_args; i++)
			free(n->args[i]);
		free(n->args);
		free(n->kw);
		free(n);
		n = next;
	}
}

void kaconf_tree_free(struct kaconf_tree *t)
{
	node_free(t->root.child);
	t->root.child = t->root.last_child = NULL;
	for (unsigned i = 0; i < t->n_files; i++) {
		free(t->files[i]->path);
		free(t->files[i]->show);
		free(t->files[i]);
	}
	t->n_files = 0;
	t->n_nodes = 0;
}

/* ---- lines and words ------------------------------------------------------- */

/*
 * Cut the comment off a physical line (quote aware) and trailing blanks.
 * Returns false on an unterminated quote; *cont when it ends in a lone '\'.
 */
static bool line_clean(char *s, bool *cont)
{
	char q = 0;
	size_t len;

	for (char *p = s; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#' || *p == '!') {
			*p = '\0';
			break;
		}
	}
	if (q)
		return false;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		       s[len - 1] == '\f' || s[len - 1] == '\v'))
		s[--len] = '\0';
	*cont = false;
	if (len && s[len - 1] == '\\') {
		size_t n = 0;

		while (n < len && s[len - 1 - n] == '\\')
			n++;
		if (n % 2) { /* an odd run: the last one is not escaped */
			s[--len] = '\0';
			*cont = true;
		}
	}
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Split a logical line into words. The words' text goes to out (room for
 * strlen(s) + max + 1 bytes: words only shrink, each adds a NUL). Returns
 * the count, or -1 when there are more than max.
 */
static int line_words(const char *s, char *out, struct kaconf_tok *tok, int max)
{
	int n = 0;

	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		if (*s == '{' || *s == '}') {
			tok[n].s = *s == '{' ? "{" : "}";
			tok[n++].brace = true;
			s++;
			continue;
		}
		tok[n].s = out;
		tok[n++].brace = false;
		while (*s && !is_space(*s) && *s != '{' && *s != '}') {
			if (*s == '"' || *s == '\'') {
				char q = *s++;

				while (*s && *s != q) {
					if (*s == '\\' && (s[1] == q || s[1] == '\\'))
						s++;
					*out++ = *s++;
				}
				if (*s)
					s++;
			} else if (*s == '\\' && s[1] && strchr("\"'\\#!{} \t", s[1])) {
				*out++ = s[1];
				s += 2;
			} else {
				*out++ = *s++;
			}
		}
		*out++ = '\0';
	}
}

/* ---- the tree -------------------------------------------------------------- */

static struct kaconf_node *node_add(struct kaconf_rd *rd, const struct kaconf_file *f,
				    unsigned line, struct kaconf_tok *tok, int n)
{
	struct kaconf_node *p = rd->stack[rd->depth];
	struct kaconf_node *nd;

	if (rd->t->n_nodes >= KACONF_MAX_NODES) {
		rd_err(rd, f->path, line, "more than %d keywords", KACONF_MAX_NODES);
		return NULL;
	}
	nd = kaconf_alloc(sizeof(*nd));
	nd->file = f;
	nd->line = line;
	nd->kw = kaconf_strdup(tok[0].s);
	nd->n_args = (unsigned)(n - 1);
	nd->args = kaconf_alloc(sizeof(char *) * (size_t)(n > 1 ? n - 1 : 1));
	for (int i = 1; i < n; i++)
		nd->args[i - 1] = kaconf_strdup(tok[i].s);
	nd->parent = p;
	if (p->last_child)
		p->last_child->next = nd;
	else
		p->child = nd;
	p->last_child = nd;
	rd->t->n_nodes++;
	return nd;
}

static int read_file(struct kaconf_rd *rd, const char *path, const char *from_file,
		     unsigned from_line);

static void do_include(struct kaconf_rd *rd, const struct kaconf_file *f,
		       unsigned line, struct kaconf_tok *tok, int n)
{
	const char *pat = n > 1 && !tok[1].brace ? tok[1].s : NULL;
	const char *slash = strrchr(f->path, '/');
	glob_t g = { 0 };
	char *full;
	int rc;

	if (!pat || n > 2) {
		rd_err(rd, f->path, line, "include takes one file name or pattern");
		return;
	}
	/* keepalived reads an include relative to the including file's directory. */
	if (pat[0] == '/' || !slash)
		full = kaconf_strdup(pat);
	else
		full = kaconf_fmt("%.*s/%s", (int)(slash - f->path), f->path, pat);
	rc = glob(full, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		if (strpbrk(pat, "*?["))
			kaconf_logf(rd->lg, false, f->path, line,
				    "include: no file matches '%s'", full);
		else
			rd_err(rd, f->path, line, "include: cannot read '%s': %s", full,
			       strerror(ENOENT));
	} else if (rc != 0) {
		rd_err(rd, f->path, line, "include: cannot expand '%s'", full);
	} else {
		for (size_t i = 0; i < g.gl_pathc && !rd->failed; i++)
			read_file(rd, g.gl_pathv[i], f->path, line);
	}
	globfree(&g);
	free(full);
}

/* Feed one logical line's words to the tree. */
static void feed(struct kaconf_rd *rd, const struct kaconf_file *f, unsigned line,
		 struct kaconf_tok *tok, int n)
{
	int i = 0;

	if (n > 0 && !tok[0].brace && strcmp(tok[0].s, "include") == 0) {
		rd->last = NULL;
		do_include(rd, f, line, tok, n);
		return;
	}
	while (i < n && !rd->failed) {
		if (tok[i].brace && tok[i].s[0] == '{') {
			if (!rd->last || rd->last->block) {
				rd_err(rd, f->path, line, "'{' does not follow a keyword");
				return;
			}
			if (rd->depth == KACONF_MAX_DEPTH) {
				rd_err(rd, f->path, line, "blocks nested deeper than %d",
				       KACONF_MAX_DEPTH);
				return;
			}
			rd->last->block = true;
			rd->last->block_line = line;
			rd->stack[++rd->depth] = rd->last;
			rd->last = NULL;
			i++;
		} else if (tok[i].brace) {
			if (rd->depth == 0) {
				rd_err(rd, f->path, line, "'}' without a matching '{'");
				return;
			}
			rd->depth--;
			rd->last = NULL;
			i++;
		} else {
			int j = i + 1;

			while (j < n && !tok[j].brace)
				j++;
			rd->last = node_add(rd, f, line, tok + i, j - i);
			i = j;
		}
	}
}

static bool has_nul(const char *buf, size_t len)
{
	return memchr(buf, '\0', len) != NULL;
}

static struct kaconf_file *file_add(struct kaconf_rd *rd, const char *path)
{
	struct kaconf_file *f = kaconf_alloc(sizeof(*f));
	size_t dl = strlen(rd->top_dir);

	f->path = kaconf_strdup(path);
	if (rd->t->n_files == 0) {
		const char *b = strrchr(path, '/');

		f->show = kaconf_strdup(b ? b + 1 : path);
	} else if (dl && strncmp(path, rd->top_dir, dl) == 0) {
		f->show = kaconf_strdup(path + dl);
	} else {
		f->show = kaconf_strdup(path);
	}
	rd->t->files[rd->t->n_files++] = f;
	return f;
}

/* Read the whole file into memory, bounded. NULL after a reported error. */
static char *slurp(struct kaconf_rd *rd, FILE *fp, const char *path,
		   const char *from_file, unsigned from_line, size_t *len)
{
	char *buf = kaconf_alloc(KACONF_MAX_FILE_SIZE + 2);

	*len = fread(buf, 1, KACONF_MAX_FILE_SIZE + 1, fp);
	if (ferror(fp)) {
		rd_err(rd, from_file ? from_file : path, from_line,
		       "cannot read '%s': %s", path, strerror(errno));
	} else if (*len > KACONF_MAX_FILE_SIZE) {
		rd_err(rd, path, 0, "larger than %u bytes", KACONF_MAX_FILE_SIZE);
	} else if (has_nul(buf, *len)) {
		rd_err(rd, path, 0, "holds a NUL byte: not a text file");
	} else {
		buf[*len] = '\0';
		return buf;
	}
	free(buf);
	return NULL;
}

static void read_lines(struct kaconf_rd *rd, const struct kaconf_file *f, char *buf)
{
	struct kaconf_tok tok[KACONF_MAX_WORDS];
	char *logical = kaconf_alloc(KACONF_MAX_LINE + 1);
	char *words = kaconf_alloc(KACONF_MAX_LINE + KACONF_MAX_WORDS + 2);
	size_t used = 0;
	unsigned lineno = 0, start = 0;
	char *p = buf;

	while (*p && !rd->failed) {
		char *nl = strchr(p, '\n');
		size_t plen = nl ? (size_t)(nl - p) : strlen(p);
		bool cont;

		lineno++;
		if (!used)
			start = lineno;
		if (used + plen > KACONF_MAX_LINE) {
			rd_err(rd, f->path, start, "line longer than %d bytes", KACONF_MAX_LINE);
			break;
		}
		memcpy(logical + used, p, plen);
		logical[used + plen] = '\0';
		p = nl ? nl + 1 : p + plen;
		if (!line_clean(logical + used, &cont)) {
			rd_err(rd, f->path, lineno, "unterminated quote");
			break;
		}
		used = strlen(logical);
		if (cont && *p)
			continue;
		int n = line_words(logical, words, tok, KACONF_MAX_WORDS);

		if (n < 0)
			rd_err(rd, f->path, start, "more than %d words on a line",
			       KACONF_MAX_WORDS);
		else
			feed(rd, f, start, tok, n);
		used = 0;
	}
	free(words);
	free(logical);
}

static int read_file(struct kaconf_rd *rd, const char *path, const char *from_file,
		     unsigned from_line)
{
	const char *why = NULL;
	struct stat st;
	FILE *fp;
	char *buf;
	size_t len;

	if (rd->n_open > KACONF_MAX_INCLUDE_DEPTH) {
		rd_err(rd, from_file, from_line, "includes nested deeper than %d",
		       KACONF_MAX_INCLUDE_DEPTH);
		return -1;
	}
	if (rd->t->n_files >= KACONF_MAX_FILES) {
		rd_err(rd, from_file, from_line, "more than %d files", KACONF_MAX_FILES);
		return -1;
	}
	/* Only regular files: a directory, FIFO or device is no configuration. */
	fp = fopen(path, "r");
	if (!fp)
		why = strerror(errno);
	else if (fstat(fileno(fp), &st) != 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = strerror(EISDIR);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (why) {
		if (from_file)
			rd_err(rd, from_file, from_line, "include: cannot read '%s': %s",
			       path, why);
		else
			rd_err(rd, path, 0, "cannot read: %s", why);
		if (fp)
			fclose(fp);
		return -1;
	}
	for (unsigned i = 0; i < rd->n_open; i++) {
		if (rd->open[i].dev == st.st_dev && rd->open[i].ino == st.st_ino) {
			rd_err(rd, from_file, from_line,
			       "include loop: '%s' is already being read", path);
			fclose(fp);
			return -1;
		}
	}
	buf = slurp(rd, fp, path, from_file, from_line, &len);
	fclose(fp);
	if (!buf)
		return -1;
	rd->open[rd->n_open].dev = st.st_dev;
	rd->open[rd->n_open].ino = st.st_ino;
	rd->n_open++;
	read_lines(rd, file_add(rd, path), buf);
	rd->n_open--;
	free(buf);
	return rd->failed ? -1 : 0;
}

int kaconf_read(const char *path, struct kaconf_tree *t, struct kaconf_log *lg)
{
	struct kaconf_rd rd = { .t = t, .lg = lg };
	const char *slash = strrchr(path, '/');

	memset(t, 0, sizeof(*t));
	rd.stack[0] = &t->root;
	rd.top_dir = slash ? kaconf_fmt("%.*s/", (int)(slash - path), path)
			   : kaconf_strdup("");
	read_file(&rd, path, NULL, 0);
	if (!rd.failed && rd.depth > 0) {
		const struct kaconf_node *open = rd.stack[rd.depth];

		rd_err(&rd, open->file->path, open->block_line,
		       "the '{' of %s is never closed", open->kw);
	}
	free(rd.top_dir);
	return rd.failed ? -1 : 0;
}
