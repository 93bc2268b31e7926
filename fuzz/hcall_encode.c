/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hcall-encode TRACE OUT — turn a kcore-replay trace into a fuzz_hcall input
 * that replays exactly that trace (every argument a literal), so the
 * committed traces seed the fuzzer's corpus (fuzz/make-corpus.sh).
 * Exit status 1 if the trace's machine or an operation has no encoding.
 */
#include "hcall_codec.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	static uint8_t out[1 << 16];
	char buf[4096], err[300];
	size_t len = 0;
	unsigned lineno = 0, nops = 0;
	struct rp_machine mc;
	struct rp_op op;

	if (argc != 3) {
		fprintf(stderr, "usage: hcall-encode TRACE OUT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	rp_machine_default(&mc);
	/* The header goes first: parse everything, then encode. */
	static struct rp_op ops[FZ_MAX_OPS];
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		buf[strcspn(buf, "#\r\n")] = 0;
		/* Multi-line guest programs, as kcore-replay joins them. */
		while (strchr(buf, '{') && !strchr(buf, '}')) {
			char more[1024];
			if (!fgets(more, sizeof(more), f))
				break;
			lineno++;
			more[strcspn(more, "#\r\n")] = 0;
			if (strlen(buf) + strlen(more) + 3 >= sizeof(buf))
				break;
			strcat(buf, "; ");
			strcat(buf, more);
		}
		int rc = rp_parse_line(buf, lineno, &mc, &op, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "%s:%s\n", argv[1], err);
			fclose(f);
			return 1;
		}
		if (rc == 1) {
			if (nops == FZ_MAX_OPS) {
				fprintf(stderr, "%s: more than %u operations\n", argv[1],
					FZ_MAX_OPS);
				fclose(f);
				return 1;
			}
			ops[nops++] = op;
		}
	}
	fclose(f);
	if (!fz_encode_machine(&mc, out, sizeof(out), &len)) {
		fprintf(stderr, "%s: the machine line has no fuzz_hcall header class\n", argv[1]);
		return 1;
	}
	for (unsigned i = 0; i < nops; i++)
		if (!fz_encode_op(&ops[i], out, sizeof(out), &len)) {
			fprintf(stderr, "%s:line %u: no encoding for this operation\n", argv[1],
				ops[i].line);
			return 1;
		}
	FILE *o = fopen(argv[2], "wb");
	if (!o || fwrite(out, 1, len, o) != len || fclose(o)) {
		perror(argv[2]);
		return 2;
	}
	return 0;
}
