/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore-replay — run kcore trace files (docs/REPLAY.md) on the hosted
 * machine model, one result line per input line.
 *
 *   kcore-replay [-q] [--comments] [--check-every-op] FILE...     ("-" reads stdin)
 *
 * A line may end in "=> EXPECTED": if the result does not match, the line
 * is reported and the exit status is 1, so a trace is a regression test.
 * Every file is parsed completely before it runs: an unknown or malformed
 * line is reported with its number and nothing runs (exit status 2).
 * --check-every-op runs the fuzzers' oracles after every line: invariants
 * 1-7, error atomicity of failed calls, the frame-ownership model.
 */
#include "replay/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kr_line {
	struct rp_op op;
	char text[160];	   /* the line as written, without comment and expectation, maybe cut */
	char comment[160]; /* its comment (--comments); a line with only a comment has kind < 0 */
	bool only_comment;
};

/* A guest program may span lines: `guest ... {`, one op per line, `}`. */
#define KR_MAX_LINE 4096

static void kr_usage(FILE *f)
{
	fprintf(f, "usage: kcore-replay [-q] [--comments] [--check-every-op] FILE...\n"
		   "  -q                 print only failures and a summary per file\n"
		   "  --comments         also print each line's comment (for people: ci/demo)\n"
		   "  --check-every-op   after every line: invariants 1-7, error atomicity,\n"
		   "                     the reference model of frame ownership\n"
		   "Trace format: docs/REPLAY.md.  Exit status: 0 all lines as expected,\n"
		   "1 an expectation or oracle failed, 2 a malformed trace or a usage error.\n");
}

static void kr_trim_text(const char *line, char *out, size_t size)
{
	size_t end = strcspn(line, "#\r\n");
	const char *arrow = strstr(line, "=>");
	if (arrow && (size_t)(arrow - line) < end)
		end = (size_t)(arrow - line);
	while (*line == ' ' || *line == '\t')
		line++, end--;
	while (end && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (end >= size) {
		/* A long guest program: its start and how it goes on. */
		memcpy(out, line, size - 8);
		memcpy(out + size - 8, " ... }", 7);
		return;
	}
	memcpy(out, line, end);
	out[end] = 0;
}

/* Returns 0, 1 (a line failed) or 2 (the file could not be read or parsed). */
/* The comment of a line ("" if none), without '#' and surrounding blanks. */
static void kr_comment(const char *line, char *out, size_t size)
{
	const char *h = strchr(line, '#');
	out[0] = 0;
	if (!h)
		return;
	h++;
	while (*h == ' ' || *h == '\t')
		h++;
	snprintf(out, size, "%s", h);
	out[strcspn(out, "\r\n")] = 0;
}

static int kr_run_file(const char *path, bool quiet, bool check, bool comments)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		perror(path);
		return 2;
	}
	struct rp_machine mc;
	rp_machine_default(&mc);
	struct kr_line *lines = NULL;
	size_t n = 0, cap = 0;
	char buf[KR_MAX_LINE], err[300];
	unsigned lineno = 0, bad = 0;
	bool seen_op = false;

	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			fprintf(stderr, "%s:%u: line longer than %zu characters\n", path, lineno,
				sizeof(buf) - 2);
			bad++;
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		unsigned first_line = lineno;
		char comment[160];
		kr_comment(buf, comment, sizeof(comment));
		buf[strcspn(buf, "#\r\n")] = 0;
		if (strchr(buf, '{') && !strchr(buf, '}')) {
			/* Join the block's lines, comments dropped, with ';' between ops. */
			char more[KR_MAX_LINE];
			bool closed = false;
			while (!closed && fgets(more, sizeof(more), f)) {
				lineno++;
				more[strcspn(more, "#\r\n")] = 0;
				closed = strchr(more, '}') != NULL;
				if (strlen(buf) + strlen(more) + 3 >= sizeof(buf)) {
					fprintf(stderr, "%s:%u: guest program too long\n", path,
						lineno);
					bad++;
					break;
				}
				strcat(buf, "; ");
				strcat(buf, more);
			}
			if (!closed) {
				fprintf(stderr, "%s:line %u: '{' without '}'\n", path, first_line);
				bad++;
				continue;
			}
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			struct kr_line *nl = realloc(lines, cap * sizeof(*lines));
			if (!nl) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(lines);
				return 2;
			}
			lines = nl;
		}
		int rc = rp_parse_line(buf, first_line, &mc, &lines[n].op, err, sizeof(err));
		memcpy(lines[n].comment, comment, sizeof(comment));
		lines[n].only_comment = false;
		if (rc == 0 && comments && comment[0] && seen_op &&
		    strncmp(comment, "SPDX", 4) != 0) {
			lines[n].only_comment = true; /* shown between the results */
			n++;
		}
		if (rc < 0) {
			fprintf(stderr, "%s:%s\n", path, err);
			bad++;
		} else if (rc == 2 && seen_op) {
			fprintf(stderr,
				"%s:line %u: the machine line must come before any operation\n",
				path, first_line);
			bad++;
		} else if (rc == 1) {
			seen_op = true;
			if (lines[n].op.kind == RP_GUEST) {
				/* One line however it was written: "guest ... { op; op; ... }". */
				char canon[KR_MAX_LINE];
				rp_format_op(&lines[n].op, canon, sizeof(canon));
				kr_trim_text(canon, lines[n].text, sizeof(lines[n].text));
			} else {
				kr_trim_text(buf, lines[n].text, sizeof(lines[n].text));
			}
			n++;
		}
	}
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "%s: %u malformed line%s, nothing run\n", path, bad,
			bad == 1 ? "" : "s");
		free(lines);
		return 2;
	}

	struct rp_exec_opts opts = { .check_every_op = check, .quiet = quiet };
	struct rp_exec *ex = rp_exec_create(&mc, &opts, err, sizeof(err));
	if (!ex) {
		fprintf(stderr, "%s: %s\n", path, err);
		free(lines);
		return 2;
	}
	rp_format_machine(&mc, buf, sizeof(buf));
	if (!quiet)
		printf("== %s: %s\n", path, buf);
	unsigned failed = 0, expected = 0, nops = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rp_op *op = &lines[i].op;
		struct rp_result r;
		if (lines[i].only_comment) {
			if (!quiet)
				printf("   # %s\n", lines[i].comment);
			continue;
		}
		bool ok = rp_exec_op(ex, op, &r);
		nops++;
		expected += op->expect[0] != 0;
		bool fail = !ok || r.mismatch;
		if (!quiet || fail) {
			printf("%u: %s -> %s", op->line, lines[i].text, r.text);
			if (comments && lines[i].comment[0])
				printf("   # %s", lines[i].comment);
			printf("\n");
		}
		if (r.note[0] && (!quiet || fail))
			printf("%u:   %s\n", op->line, r.note);
		if (r.mismatch) {
			printf("%u:   MISMATCH: expected %s\n", op->line, op->expect);
			fprintf(stderr, "%s:%u: expected '%s', got '%s'\n", path, op->line,
				op->expect, r.text);
			failed++;
		}
		if (!ok) {
			fprintf(stderr, "%s:%u: oracle failed: %s\n", path, op->line, r.note);
			failed++;
			break; /* kcore's state is not to be trusted any more */
		}
	}
	char why[300];
	if (check && !failed && !rp_exec_final_check(ex, why, sizeof(why))) {
		fprintf(stderr, "%s: the final full check failed: %s\n", path, why);
		failed++;
	}
	printf("== %s: %u operations, %u with expectations, %u failed\n", path, nops, expected,
	       failed);
	rp_exec_destroy(ex);
	free(lines);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool quiet = false, check = false, comments = false;
	int first = 1, worst = 0;

	for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
		if (!strcmp(argv[first], "-q")) {
			quiet = true;
		} else if (!strcmp(argv[first], "--comments")) {
			comments = true;
		} else if (!strcmp(argv[first], "--check-every-op")) {
			check = true;
		} else if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
			kr_usage(stdout);
			return 0;
		} else if (!strcmp(argv[first], "--")) {
			first++;
			break;
		} else {
			fprintf(stderr, "kcore-replay: unknown option %s\n", argv[first]);
			kr_usage(stderr);
			return 2;
		}
	}
	if (first == argc) {
		kr_usage(stderr);
		return 2;
	}
	for (int i = first; i < argc; i++) {
		int rc = kr_run_file(argv[i], quiet, check, comments);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
