/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_hcall — the whole hypercall interface under libFuzzer (docs/FUZZING.md).
 *
 * Each input is a machine header and up to FZ_MAX_OPS operations
 * (hcall_codec.h): host calls, host memory accesses, guest programs run by
 * VCPU_RUN, boot images and manifests (good, tampered, untrusted).  A fresh
 * machine per input; nothing carries over.  After every operation the
 * executor's oracles run (tools/replay/exec.c): invariants 1-7, error
 * atomicity, the reference model of frame ownership.  An oracle failure
 * aborts, so libFuzzer records the input as a crash.
 *
 * With KCORE_FUZZ_TRACE=FILE the input is also written out as a
 * kcore-replay trace, one line per operation with its result as the
 * expectation, flushed before each operation runs: a crash leaves the line
 * that caused it last.  `kcore-replay --check-every-op FILE` replays it.
 */
#include "hcall_codec.h"

#include <kcore_hosted/boot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * KCORE_FUZZ_FULL_EVERY=N: the full invariant walk every N checks (default
 * HM_CHECK_FULL_EVERY) beside the incremental check after every operation;
 * N = 1 is the full walk alone after every operation, as before the
 * incremental checker (docs/FUZZING.md compares the two).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *n = getenv("KCORE_FUZZ_FULL_EVERY");
	if (n && *n)
		hm_check_set_full_every((unsigned)strtoul(n, NULL, 10));
	return 0;
}

static FILE *fz_trace_file(void)
{
	static FILE *f;
	static bool tried;
	if (!tried) {
		tried = true;
		const char *path = getenv("KCORE_FUZZ_TRACE");
		if (path && *path) {
			f = fopen(path, "w");
			if (!f)
				perror(path);
		}
	}
	return f;
}

/* Spaces that line expectations up in column 58, as in the hand-written traces. */
static int fz_pad(const char *line)
{
	size_t n = strlen(line);
	return n < 56 ? (int)(56 - n) : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size, 0, 0 };
	struct rp_machine mc;
	char err[300], line[4096];
	FILE *trace = fz_trace_file();

	if (!fz_decode_machine(&in, &mc))
		return 0;
	if (trace) {
		rp_format_machine(&mc, line, sizeof(line));
		fprintf(trace,
			"# SPDX-License-Identifier: BSD-2-Clause\n"
			"# written by fuzz_hcall (KCORE_FUZZ_TRACE); replay with\n"
			"#   kcore-replay --check-every-op FILE\n%s\n",
			line);
		fflush(trace);
	}
	struct rp_exec_opts opts = { .check_every_op = true, .quiet = true, .fast_digest = true };
	struct rp_exec *ex = rp_exec_create(&mc, &opts, err, sizeof(err));
	if (!ex) {
		if (trace)
			fprintf(trace, "# kcore did not boot: %s\n", err);
		return 0; /* a machine kcore refuses to boot on (too small): nothing to test */
	}
	struct rp_op op;
	struct rp_result res;
	for (unsigned n = 0; n < FZ_MAX_OPS && fz_decode_op(&in, ex, &mc, &op); n++) {
		if (trace) {
			rp_format_op(&op, line, sizeof(line));
			fputs(line, trace);
			fflush(trace);
		}
		bool ok = rp_exec_op(ex, &op, &res);
		if (trace) {
			if (ok)
				fprintf(trace, "%*s=> %s\n", fz_pad(line), "", res.text);
			else
				fprintf(trace, "   # ORACLE FAILURE: %s (result: %s)\n", res.note,
					res.text);
			fflush(trace);
		}
		if (!ok) {
			fprintf(stderr, "fuzz_hcall: oracle failure after operation %u: %s\n", n,
				res.note);
			rp_format_op(&op, line, sizeof(line));
			fprintf(stderr, "fuzz_hcall: the operation: %s -> %s\n", line, res.text);
			abort();
		}
	}
	/* The full walk at the end, compared with the incremental checks that ran after every op. */
	if (!rp_exec_final_check(ex, err, sizeof(err))) {
		fprintf(stderr, "fuzz_hcall: the final full check failed: %s\n", err);
		abort();
	}
	rp_exec_destroy(ex);
	return 0;
}
