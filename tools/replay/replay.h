/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replay.h — kcore's trace format (docs/REPLAY.md): parse a line into an
 * operation, print an operation back as a line, and execute operations on a
 * hosted machine with kcore booted on it, one result per operation.
 *
 * kcore-replay (tools/kcore-replay.c) parses files into operations; the
 * fuzzers (fuzz/) decode bytes into the very same operations, so a fuzzer
 * input can always be written out as a trace a person reads and replays.
 *
 * The executor can also run the oracles after every operation
 * (rp_exec_opts.check_every_op): invariants 1-7 (hm_check), error atomicity
 * (a failed call leaves kcore_digest unchanged), and an independent
 * reference model of frame ownership built from the ABI's frame table
 * (docs/ARCHITECTURE.md), compared with kcore's own records.
 */
#ifndef KCORE_REPLAY_H
#define KCORE_REPLAY_H

#include <kcore/kcore.h>
#include <kcore/manifest.h>
#include <kcore_hosted/guest.h>
#include <kcore_hosted/machine.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the machine a trace runs on ---------------------------------------- */

#define RP_RAM_BASE 0x40000000ull
#define RP_DEV_BASE 0x09000000ull /* one IO range, for VM_MAP_IO and host MMIO accesses */
#define RP_DEV_SIZE 0x00100000ull

enum rp_key {
	RP_KEY_NONE,  /* kcore trusts no key: every VM_VERIFY is EAUTH */
	RP_KEY_TEST,  /* the test key (HMAC-DRBG seed 1), the default */
	RP_KEY_OTHER, /* the "other" key (seed 2), which manifests sign with key=other */
};

struct rp_machine {
	uint64_t ram;	       /* bytes of RAM at RP_RAM_BASE (default 64 MiB) */
	unsigned cpus;	       /* 1..HM_MAX_CPUS (default 2) */
	unsigned vms;	       /* kc_config.max_vms (default 4) */
	unsigned pool;	       /* kc_config.vm_pool_pages (default 64) */
	uint64_t remap;	       /* kc_config.remap_pages (default 4096) */
	enum rp_key key;       /* the key kcore trusts */
	unsigned entropy_fail; /* the first N plat_entropy calls fail */
	/* SMMUs (docs/SMMU.md): 0..2 model SMMUs of RP_SMMU_STREAMS streams, IO domains */
	unsigned smmus;	 /* default 0: no SMMU, every SMMU call KC_ENOTSUP */
	unsigned iodoms; /* kc_config.max_iodoms (default 8 with smmus, else 0) */
	unsigned iopool; /* kc_config.iodom_pool_pages (default 16) */
};

#define RP_SMMU_STREAMS 64u /* stream ids per model SMMU in a trace's machine */

/* The defaults, as `machine` with no arguments. */
void rp_machine_default(struct rp_machine *mc);

/*
 * Guest secrets (invariant 8 of DESIGN.md §4, the confidentiality oracle):
 * any 64-bit value whose upper 48 bits are RP_CANARY_BASE's is a canary a
 * guest keeps to itself (`set x5 SECRET`, `set v3 SECRET`, stored to its
 * private memory).  After every operation the oracle checks that nothing
 * the host sees — call results (VCPU_RUN's exit registers included) and
 * the bytes of every host read — carries a canary, unless the guest handed
 * it over on purpose: the data of an MMIO exit (a store to a page it
 * guarded), the documented argument of a forwarded call, or a page it
 * shares.  A canary the host itself supplied (an argument, a host write)
 * is the host's own knowledge and never counts.
 */
#define RP_CANARY_BASE 0x5ec2e75ec2e70000ull
static inline bool rp_is_canary(uint64_t v)
{
	return (v >> 16) == (RP_CANARY_BASE >> 16);
}

/* ---- operations ----------------------------------------------------------- */

enum rp_kind {
	RP_CALL,       /* a host call: x[0..6] */
	RP_HOST_READ,  /* host load of len bytes at addr, through the host stage 2 */
	RP_HOST_WRITE, /* host store of len bytes of value at addr */
	RP_HOST_CLEAN, /* host DC CIVAC of len bytes at addr, through the host stage 2 */
	RP_GUEST,      /* install a guest program for (vm, vcpu) */
	RP_IMAGE,      /* VM_SET_IMAGE + VM_LOAD_IMAGE_PAGE of fresh host frames */
	RP_MANIFEST,   /* write a signed manifest into a host frame, then VM_VERIFY */
	RP_CHECK,      /* invariants 1-7 and guest EXPECTs */
	RP_CPU,	       /* later lines run on CPU `value` */
	RP_SELFTEST,   /* kcore's crypto known-answer tests, as the arm64 image runs at boot */
	RP_DMA,	       /* a device's DMA through an SMMU: `dma dev=N [smmu=S] read|write ...` */
	RP_EXPORT,     /* export a VM whole (docs/EXPORT.md); the stream is kept */
	RP_IMPORT,     /* import the kept stream into a VM, maybe tampered with */
};

/* How `import` misuses the kept stream, at record `at` (docs/REPLAY.md). */
enum rp_xtamper {
	RP_XT_NONE,
	RP_XT_DATA,	/* flip a bit of the record's frame */
	RP_XT_TAG,	/* flip a bit of its tag */
	RP_XT_META,	/* flip bit 24 of its meta (the gfn or vCPU index) */
	RP_XT_REPLAY,	/* give it twice */
	RP_XT_REORDER,	/* give it after the next one */
	RP_XT_SWAP,	/* exchange its frame with the next record's */
	RP_XT_DROP,	/* leave it out */
	RP_XT_TRUNCATE, /* stop before it */
};

#define RP_MAX_GOPS	  64
#define RP_EXPECT_LEN	  160
#define RP_TAMPER_NONE	  (-1)
#define RP_TAMPER_SIG	  (-2) /* flip a bit of the signature */
#define RP_MAX_IMG_PAGES  4096u
#define RP_MAX_READ_BYTES 4096u

struct rp_op {
	enum rp_kind kind;
	unsigned line; /* source line (0: generated) */
	/* RP_CALL */
	bool raw; /* written as `raw x0=... ` rather than `call NAME ...` */
	uint64_t x[7];
	/* RP_HOST_READ / RP_HOST_WRITE (len 1..8 for writes, 1..RP_MAX_READ_BYTES reads), RP_CPU */
	/* RP_HOST_CLEAN: len 1..2 MiB */
	/* RP_DMA: addr = IOVA, len 1..8 (write) or 1..RP_MAX_READ_BYTES (read), value (write) */
	uint64_t addr, value;
	unsigned len;
	unsigned smmu;	/* RP_DMA: which SMMU (smmu=, default 0) */
	uint32_t dev;	/* RP_DMA: the device's stream id (dev=) */
	bool dma_write; /* RP_DMA: write, else read */
	/* RP_GUEST, RP_IMAGE, RP_MANIFEST */
	uint64_t vm;
	uint16_t vcpu;
	bool at_pc; /* RP_GUEST: start at the vCPU's current pc (no at=) */
	uint64_t at;
	struct hm_guest_op gops[RP_MAX_GOPS];
	unsigned ngops;
	/* RP_IMAGE: guest base, pages (page p holds bytes fill + p) */
	uint64_t base, pages;
	uint8_t fill;
	/* RP_MANIFEST: entry (default: first image's base), signing key, tampering */
	bool has_entry, has_fill, no_verify;
	uint64_t entry;
	enum rp_key sign_key;
	int tamper; /* RP_TAMPER_NONE, RP_TAMPER_SIG, or a byte offset xored with 1 after signing */
	/* RP_MANIFEST: the v2 layout (ram=, dev=); a manifest with either is format v2 */
	unsigned nram, nwin;
	struct kc_manifest_range ram[KC_MANIFEST_MAX_RAM], win[KC_MANIFEST_MAX_WINDOWS];
	/* RP_IMPORT */
	enum rp_xtamper xtamper;
	uint64_t xat;
	/* expected result tokens (`=> ...`), "" for none */
	char expect[RP_EXPECT_LEN];
};

/*
 * Parse one line of a trace.  Returns 1 with *op filled, 0 for a line with
 * nothing to do (blank, comment), -1 with an error message in err.  A
 * `machine` line fills *mc and returns 2; `mc` also bounds `cpu N`.
 */
int rp_parse_line(const char *line, unsigned lineno, struct rp_machine *mc, struct rp_op *op,
		  char *err, size_t err_size);

/* Write `op` as one trace line (no expectation, no newline). */
void rp_format_op(const struct rp_op *op, char *buf, size_t size);
/* Write the machine line (no newline). */
void rp_format_machine(const struct rp_machine *mc, char *buf, size_t size);

/* Names of host calls ("VM_CREATE"), NULL for an unknown id. */
const char *rp_call_name(uint64_t fn);

/* ---- the executor ----------------------------------------------------- */

struct rp_exec_opts {
	bool check_every_op; /* run every oracle after every operation */
	bool quiet;	     /* console echo off (kcore's own printing) */
	bool fast_digest;    /* error atomicity with a fast hash, not kcore_digest (fuzzers) */
};

struct rp_exec;

/*
 * Create the machine and boot kcore on it.  NULL with a message in err if
 * that fails (bad machine line, kcore_init refused).
 */
struct rp_exec *rp_exec_create(const struct rp_machine *mc, const struct rp_exec_opts *opts,
			       char *err, size_t err_size);
void rp_exec_destroy(struct rp_exec *ex);

/* What one operation did. */
struct rp_result {
	char text[512];	  /* result tokens: "OK vm=1", "EPERM", "OK exit=FAULT ipa=0x..." */
	char note[512];	  /* words only for people (not matched): why a check failed */
	bool mismatch;	  /* op->expect did not hold */
	bool oracle_fail; /* an oracle failed (note says which): the state is not to be trusted */
	int status;	  /* RP_CALL: x0 as a status */
};

/* Record an oracle failure in r (the first one is kept); returns false. */
bool rp_oracle(struct rp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run one operation.  Returns false if an oracle failed (see res->note). */
bool rp_exec_op(struct rp_exec *ex, const struct rp_op *op, struct rp_result *res);

/*
 * After the last operation of a check_every_op run: the full invariant walk
 * (hm_check_full; every operation had the incremental one), compared with
 * the incremental verdict.  False, with words in why, if either fails.
 */
bool rp_exec_final_check(struct rp_exec *ex, char *why, size_t size);

/*
 * What the fuzzers bias their arguments with: live VM ids (per the
 * reference model), the IPA and vCPU of the last stage-2 fault exit,
 * frames handed out recently, fresh host frames.
 */
unsigned rp_exec_live_vms(const struct rp_exec *ex, uint64_t *ids, unsigned max);
/* Live IO domain ids (kcore's records). */
unsigned rp_exec_live_iodoms(const struct rp_exec *ex, uint64_t *ids, unsigned max);
bool rp_exec_last_fault(const struct rp_exec *ex, uint64_t *vm, uint16_t *vcpu, uint64_t *ipa);
/* The i-th most recently used frame (pfn), 0 if none. */
uint64_t rp_exec_recent_frame(const struct rp_exec *ex, unsigned i);
/* The pc of vCPU `vcpu` of `vm` as kcore has it (0 if no such vCPU). */
uint64_t rp_exec_vcpu_pc(const struct rp_exec *ex, uint64_t vm, unsigned vcpu);
struct hm_machine *rp_exec_machine(struct rp_exec *ex);
/*
 * The stream the last `export` line made: its header (session id, salt lo,
 * salt hi) and up to `max` records, each {import call, pfn, meta, tag lo,
 * tag hi}.  Returns the number of records, 0 if there is none.
 */
unsigned rp_exec_stream(const struct rp_exec *ex, uint64_t hdr[3], uint64_t (*rec)[5],
			unsigned max);

/*
 * Does the result match the expectation?  Every token of `expect` must be
 * one of the result's tokens: bare words case-insensitively, key=value with
 * numeric values compared as numbers.
 */
bool rp_expect_match(const char *expect, const char *result);

/* The status name of x0 ("OK", "EPERM", ...). */
const char *rp_status_name(int status);

#endif /* KCORE_REPLAY_H */
