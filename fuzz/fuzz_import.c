/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_import — encrypted import under libFuzzer (docs/EXPORT.md,
 * docs/FUZZING.md).
 *
 * Each input starts from the same machine: a VM whose guest wrote secrets
 * into memory and registers, guarded a page, shared another and paused, is
 * exported (a kcore-replay `export` line), and a second VM with the same
 * vCPUs waits to import it.  The input is then a list of actions: import a
 * genuine record (any of them, in any order, any number of times), a
 * genuine record with one field or frame byte changed, a record made of
 * input bytes, IMPORT_BEGIN with a header that may be changed, or a call
 * that would run, stop or take apart the importer.
 *
 * Oracles, after every action: everything kcore-replay --check-every-op
 * checks (invariants 1-7, error atomicity: a refused call changed nothing,
 * the ownership model, the confidentiality oracle); and the import's own:
 * every record kcore accepts is the genuine one at that position of the
 * stream (so nothing forged, replayed, reordered or dropped ever gets in),
 * an accepted page holds exactly what the source VM had at that gfn and an
 * accepted vCPU exactly the source's registers, and the importer is
 * runnable only once the whole stream, end token included, is in.  Any
 * failure aborts: libFuzzer keeps the input as a crash.
 */
#include "../core/state.h"
#include "../tools/replay/replay.h"

#include <kcore/abi.h>
#include <kcore_hosted/machine.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FI_SRC	   1 /* the exported VM */
#define FI_DST	   2 /* the importer */
#define FI_MAX_REC 16
#define FI_MAX_OPS 64

static const char *const fi_setup[] = {
	"machine ram=64M cpus=1 vms=4",
	"call VM_CREATE",
	"call VCPU_CREATE vm=1 vcpu=0",
	"call VCPU_CREATE vm=1 vcpu=1",
	"image vm=1 base=0x80000000 pages=2 fill=0x40",
	"manifest vm=1",
	"guest vm=1 vcpu=0 { set x2 SECRET; store x2 8 0x90000008; set v3 SECRET; "
	"set x0 MMIO_GUARD_MAP; set x1 0xA0000000; set x2 0; hvc; "
	"store x1 8 0x90001000; set x0 SHARE; set x1 0x90001; set x2 1; hvc; set x2 SECRET; wfi }",
	"call VCPU_RUN vm=1 vcpu=0",
	"call VM_MAP_FAULT vm=1 vcpu=0 pfn=0x40400 level=3",
	"call VCPU_RUN vm=1 vcpu=0",
	"call VM_MAP_FAULT vm=1 vcpu=0 pfn=0x40401 level=3",
	"call VCPU_RUN vm=1 vcpu=0",
	"export vm=1",
	"call VM_CREATE",
	"call VCPU_CREATE vm=2 vcpu=0",
	"call VCPU_CREATE vm=2 vcpu=1",
};
#define FI_NSETUP (sizeof(fi_setup) / sizeof(fi_setup[0]))

struct fi_in {
	const uint8_t *p;
	size_t n, at;
};

static uint8_t fi_u8(struct fi_in *in)
{
	return in->at < in->n ? in->p[in->at++] : 0;
}

static uint64_t fi_u64(struct fi_in *in)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fi_u8(in) << (8 * i);
	return v;
}

static void fi_fail(const char *what, unsigned op)
{
	fprintf(stderr, "fuzz_import: %s (action %u)\n", what, op);
	abort();
}

static bool fi_exec(struct rp_exec *ex, const struct rp_op *op, struct rp_result *res, unsigned n)
{
	bool ok = rp_exec_op(ex, op, res);
	if (!ok) {
		fprintf(stderr, "fuzz_import: oracle: %s (result %s)\n", res->note, res->text);
		fi_fail("an oracle failed", n);
	}
	return res->status == KC_OK;
}

/* One host call with all its registers. */
static int fi_call(struct rp_exec *ex, const uint64_t x[7], unsigned n)
{
	struct rp_op op;
	struct rp_result res;
	memset(&op, 0, sizeof(op));
	op.kind = RP_CALL;
	op.raw = true;
	memcpy(op.x, x, sizeof(op.x));
	fi_exec(ex, &op, &res, n);
	return res.status;
}

/* After an accepted record: it is the genuine one, and what it brought is the source's. */
static void fi_check_accepted(struct rp_exec *ex, const uint64_t x[7], uint64_t (*rec)[5],
			      unsigned nrec, unsigned pos, unsigned n)
{
	if (pos >= nrec || x[0] != rec[pos][0] || x[3] != rec[pos][2] || x[4] != rec[pos][3] ||
	    x[5] != rec[pos][4])
		fi_fail("kcore accepted a record that is not the next genuine one", n);
	struct hm_machine *m = rp_exec_machine(ex);
	const struct kc_vm *src = &kc.vms[FI_SRC], *dst = &kc.vms[FI_DST];
	uint64_t meta = x[3], idx = KC_XREC_INDEX(meta);
	if (x[0] == KC_HC_IMPORT_PAGE && KC_XREC_KIND(meta) == KC_XREC_PAGE) {
		struct pgt_leaf a, b;
		if (!pgt_lookup(&src->s2, idx << 12, &a) || !pgt_lookup(&dst->s2, idx << 12, &b))
			fi_fail("an imported page is not mapped where the source had it", n);
		const void *pa = hm_phys(m, a.pa & ~0xfffull, 4096);
		const void *pb = hm_phys(m, b.pa & ~0xfffull, 4096);
		if (!pa || !pb || memcmp(pa, pb, 4096))
			fi_fail("an imported page differs from the source's", n);
	}
	if (x[0] == KC_HC_IMPORT_VCPU &&
	    memcmp(&src->vcpus[idx].regs, &dst->vcpus[idx].regs, sizeof(struct kc_vcpu_regs)))
		fi_fail("an imported vCPU differs from the source's", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fi_in in = { data, size, 0 };
	static struct rp_op setup[FI_NSETUP];
	static unsigned nsetup;
	static struct rp_machine mc;
	struct rp_result res;
	char err[300];

	if (!nsetup) {
		/* Parse the script once; every input runs it on a fresh machine. */
		for (unsigned i = 0; i < FI_NSETUP; i++) {
			int rc = rp_parse_line(fi_setup[i], i + 1, &mc, &setup[nsetup], err,
					       sizeof(err));
			if (rc < 0) {
				fprintf(stderr, "fuzz_import: setup line %u: %s\n", i + 1, err);
				abort();
			}
			nsetup += rc == 1;
		}
	}
	struct rp_exec_opts opts = { .check_every_op = true, .quiet = true, .fast_digest = true };
	struct rp_exec *ex = rp_exec_create(&mc, &opts, err, sizeof(err));
	if (!ex) {
		fprintf(stderr, "fuzz_import: %s\n", err);
		abort();
	}
	for (unsigned i = 0; i < nsetup; i++)
		if (!fi_exec(ex, &setup[i], &res, 0)) {
			fprintf(stderr, "fuzz_import: setup step %u: %s\n", i, res.text);
			abort();
		}
	uint64_t hdr[3], rec[FI_MAX_REC][5];
	unsigned nrec = rp_exec_stream(ex, hdr, rec, FI_MAX_REC);
	if (nrec < 4)
		fi_fail("the setup made no stream", 0);

	unsigned accepted = 0; /* records the importer took, in order */
	bool begun = false;
	for (unsigned n = 1; n <= FI_MAX_OPS && in.at < in.n; n++) {
		uint8_t a = fi_u8(&in);
		uint64_t x[7] = { 0 };
		const uint64_t *g = rec[(a >> 3) % nrec];
		switch (a & 7) {
		case 0: /* the next genuine record: lets a run get all the way through */
		case 1:
		case 2: /* a genuine record, any of them */
			if (!(a & 7))
				g = rec[accepted < nrec ? accepted : nrec - 1];
			x[0] = g[0], x[1] = FI_DST, x[2] = g[1], x[3] = g[2], x[4] = g[3],
			x[5] = g[4];
			break;
		case 3: { /* a genuine record with one field changed */
			x[0] = g[0], x[1] = FI_DST, x[2] = g[1], x[3] = g[2], x[4] = g[3],
			x[5] = g[4];
			uint8_t f = fi_u8(&in);
			uint64_t v = fi_u64(&in);
			if ((f & 7) < 6)
				x[1 + (f & 7)] ^= v ? v : 1; /* vm, pfn, meta, tags, x6 */
			else
				x[0] = (f & 8)	  ? KC_HC_IMPORT_VCPU
				       : (f & 16) ? KC_HC_IMPORT_END
						  : KC_HC_IMPORT_PAGE;
			break;
		}
		case 4: { /* bytes of a genuine record's frame changed (by the host, as it may) */
			struct rp_op op;
			memset(&op, 0, sizeof(op));
			op.kind = RP_HOST_WRITE;
			op.addr = (g[1] << 12) + (fi_u8(&in) & 0xf8) * 16u;
			op.value = fi_u64(&in);
			op.len = 8;
			fi_exec(ex, &op, &res, n); /* refused if the frame is a VM's by now */
			continue;
		}
		case 5: /* a record made up */
			x[0] = KC_HC_IMPORT_PAGE + (fi_u8(&in) % 3);
			x[1] = FI_DST;
			x[2] = rec[fi_u8(&in) % nrec][1];
			x[3] = fi_u64(&in), x[4] = fi_u64(&in), x[5] = fi_u64(&in);
			break;
		case 6: { /* IMPORT_BEGIN, the header maybe changed */
			uint8_t f = fi_u8(&in);
			x[0] = KC_HC_IMPORT_BEGIN, x[1] = FI_DST;
			x[2] = hdr[0], x[3] = hdr[1], x[4] = hdr[2];
			if (f & 1) {
				uint64_t v = fi_u64(&in);
				x[2 + (f >> 1) % 3] ^= v ? v : 1; /* changed, for sure */
			}
			int st = fi_call(ex, x, n);
			if (st == KC_OK) {
				if (begun || (f & 1))
					fi_fail("IMPORT_BEGIN took a changed header or a used session",
						n);
				begun = true;
			}
			continue;
		}
		default: { /* run, stop or take the importer apart */
			uint8_t f = fi_u8(&in) % 4;
			static const uint64_t calls[4] = { KC_HC_VCPU_RUN, KC_HC_VM_POWEROFF,
							   KC_HC_VM_RECLAIM, KC_HC_VM_DESTROY };
			x[0] = calls[f], x[1] = FI_DST, x[2] = f == 2 ? 1000 : 0;
			int st = fi_call(ex, x, n);
			if (f == 0 && st == KC_OK && accepted != nrec)
				fi_fail("an importer ran before its stream was complete", n);
			continue;
		}
		}
		if (!begun) {
			uint64_t b[7] = { KC_HC_IMPORT_BEGIN, FI_DST, hdr[0], hdr[1], hdr[2] };
			if (fi_call(ex, b, n) == KC_OK)
				begun = true;
		}
		if (fi_call(ex, x, n) == KC_OK) {
			fi_check_accepted(ex, x, rec, nrec, accepted, n);
			accepted++;
		}
		/* Runnable (VERIFIED) only with every record in, the end token last. */
		bool runnable = kc.vms[FI_DST].state == VM_VERIFIED;
		if (runnable != (accepted == nrec) && kc.vms[FI_DST].state != VM_POWEROFF &&
		    kc.vms[FI_DST].state != VM_FREE)
			fi_fail("the importer's state does not match the records it took", n);
	}
	rp_exec_destroy(ex);
	return 0;
}
