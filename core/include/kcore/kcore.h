/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/kcore.h — the entry points a platform calls.
 *
 * A platform boots, discovers its memory (DTB on arm64, the machine
 * description on hosted), and hands core a kc_boot_layout.  Core builds its
 * own EL2 map from it; the platform then installs that map (arm64: TTBR0_EL2,
 * MAIR_EL2 = PGT_MAIR_EL2, TCR_EL2 for 48-bit VAs and 4 KiB pages).
 *
 * The host-call and fault entry points join this header with the core
 * issue (VM lifecycle), when they exist.
 */
#ifndef KCORE_KCORE_H
#define KCORE_KCORE_H

#include <kcore/pgt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_MAX_RAM_REGIONS 8
#define KC_MAX_DEVICES	   8

struct kc_region {
	uint64_t base;
	uint64_t size;
};

/*
 * An SMMU as core sees it: which of the layout's devices holds its
 * registers, how many stream ids (0..nstreams-1) kcore's stream table
 * covers, and how many IOVA bits its stage 2 translates (IOVAs at or
 * above 2^ia_bits are EINVAL).
 */
#define KC_MAX_SMMUS	    2
#define KC_SMMU_MAX_STREAMS 256
struct kc_smmu_desc {
	unsigned device;   /* index into kc_boot_layout.devices[] */
	uint32_t nstreams; /* 1..KC_SMMU_MAX_STREAMS */
	unsigned ia_bits;  /* 32..PGT_IA_BITS */
};

struct kc_boot_layout {
	struct kc_region ram[KC_MAX_RAM_REGIONS]; /* all RAM, page aligned, disjoint */
	unsigned nram;
	struct kc_region devices[KC_MAX_DEVICES]; /* MMIO kcore itself uses (console) */
	unsigned ndevices;
	/*
	 * Bit i: devices[i] is shared with the host, which may map it (as
	 * device memory, never executable); kcore keeps using it.  The console
	 * is the one such device: kcore's messages are public, and a host such
	 * as Linux needs the same UART.  Every other kcore device stays out of
	 * the host's and the VMs' reach.  Bits at or above ndevices: EINVAL.
	 */
	uint32_t devices_host_shared;
	/*
	 * The SMMUs kcore drives (docs/SMMU.md).  Each one's MMIO is one of
	 * devices[] (never host-shared: the host must not reach an SMMU's
	 * registers), so core maps it for the platform's driver and keeps it
	 * out of every host and VM table.  Bad entries: EINVAL.
	 */
	struct kc_smmu_desc smmus[KC_MAX_SMMUS];
	unsigned nsmmus;
	struct kc_region image; /* kcore's whole image: text..bss, stacks */
	struct kc_region text;	/* inside image: the only executable range */
	struct kc_region pool;	/* frames for kcore's own tables (CORE) */
};

/*
 * Check `layout` and build kcore's EL2 stage-1 map into `map`, with table
 * pages from `pool` (which must lie inside layout->pool):
 *   - kcore text: read + execute;
 *   - the rest of RAM: read + write, never executable;
 *   - devices: read + write, Device-nGnRE, never executable;
 * all identity mapped (VA = PA).  KC_EINVAL for a malformed layout (a
 * misaligned or overlapping region, text outside image, image or pool
 * outside RAM), KC_ENOMEM if the pool is too small.
 */
int kcore_coremap_build(const struct kc_boot_layout *layout, struct pgt_pool *pool,
			struct pgt *map);

/* Print the layout ("memory map") on the console, one region per line. */
void kcore_print_layout(const struct kc_boot_layout *layout);

/* Name of a KC_* status code ("EINVAL", ...), "E?" for an unknown one. */
const char *kcore_err_name(int status);

/* ---- the running core (DESIGN.md §2-§4) -------------------------------- */

/* Limits fixed at build time; kc_config picks values within them. */
#define KC_MAX_VMS	    255 /* VM ids 1..255; VMID = id, the host is VMID 0 */
#define KC_MAX_VCPUS	    8	/* per VM */
#define KC_MAX_CPUS	    64
#define KC_MAX_TRUSTED_KEYS 4
#define KC_MAX_IODOMS	    64 /* IO domain ids 1..64; the SMMU tag (S2VMID) = id */

struct kc_config {
	unsigned ncpus;		   /* 1..KC_MAX_CPUS */
	unsigned max_vms;	   /* 1..KC_MAX_VMS live VMs */
	unsigned vm_pool_pages;	   /* stage-2 table pages of each VM */
	uint64_t remap_pages;	   /* image pages the write-once window holds, ever */
	unsigned max_iodoms;	   /* 0..KC_MAX_IODOMS IO domains (0: no SMMU calls) */
	unsigned iodom_pool_pages; /* IO table pages of each IO domain */
	unsigned ntrusted_keys;	   /* 0..KC_MAX_TRUSTED_KEYS */
	uint8_t trusted_keys[KC_MAX_TRUSTED_KEYS][65]; /* P-256 points, 0x04||X||Y */
};

/*
 * Bytes of CORE frames kcore_init needs in layout->pool for `cfg` (frame
 * table, table pools, remap window tables), so a platform can reserve them.
 */
uint64_t kcore_core_bytes(const struct kc_boot_layout *layout, const struct kc_config *cfg);

/*
 * Take over the machine: check layout and cfg, lay out kcore's metadata in
 * layout->pool, mark kcore's frames CORE and every other RAM frame HOST,
 * and build the EL2 core map.  KC_EINVAL for a bad layout or config,
 * KC_ENOMEM if layout->pool is smaller than kcore_core_bytes().  Resets
 * every piece of kcore state: calling it again starts a new machine.
 */
int kcore_init(const struct kc_boot_layout *layout, const struct kc_config *cfg);

/* The EL2 core map (arm64 installs its root in TTBR0_EL2). */
const struct pgt *kcore_coremap(void);

/* The host's stage-2 root (VTTBR_EL2 of the host, VMID 0). */
kc_paddr_t kcore_host_s2_root(void);
/* The host's stage-2 tree itself (for kcore_touch_desc in checker self-tests). */
const struct pgt *kcore_host_s2(void);

/* Registers of a host call: x0..x6 in; x0 (status) and x1..x3 out. */
struct kc_hcall {
	uint64_t x[7];
};

/* A host `hvc #0` (DESIGN.md §3).  Never panics on any input. */
void kcore_host_call(struct kc_hcall *regs);

/*
 * A host stage-2 fault at `ipa`: KC_OK if kcore mapped it (retry the
 * access), KC_EPERM if the host may not touch it (arm64: inject an abort),
 * KC_ENOMEM if the host's table pool is exhausted.
 */
int kcore_host_fault(uint64_t ipa, bool write);

/*
 * The PSCI functions kcore implements for its guests (core/psci.c) and
 * relays for the host (platform/arm64/psci.c): one list, so PSCI_FEATURES
 * says the same on both sides.  Any other PSCI function is NOT_SUPPORTED.
 */
bool kcore_psci_known(uint32_t fn);

/* ---- invariants (DESIGN.md §4) ------------------------------------------ */

/*
 * Walk the whole state.  Returns 0 if invariants 1-6 hold, else the number
 * of the first one violated, with a sentence naming it in why[0, size):
 *   1 write-once core map   2 core isolation   3 host isolation
 *   4 VM isolation          5 DMA (SMMU) isolation   6 table well-formedness
 * (7, TLB coherence, needs a TLB model: the hosted platform checks it.)
 * For quiescent points only: it takes no locks.
 */
int kcore_check(char *why, size_t size);

/*
 * The same verdict over what changed since the last check (the touch log,
 * core/touch.h): every touched frame against the host's stage 2 at its PA
 * and its VM's at its gfn, every touched descriptor against its tree's leaf
 * rules, every VM whose frames, tables or metadata changed against the
 * checker's own counts.  Falls back to the full walk (kcore_check) when
 * there is no baseline yet (the first check after kcore_init, which turns
 * recording on) or the log overflowed.  kcore_check that passes is a new
 * baseline too.  Quiescent points only, like kcore_check.
 */
int kcore_check_incremental(char *why, size_t size);

/*
 * The incremental check's verdict when nothing was recorded since the last
 * check (a null call): true, counted as an incremental check, if a baseline
 * holds and the log is empty; false if kcore_check_incremental must run.
 * A few instructions, for an always-on checker's fast path (arm64).
 */
bool kcore_check_idle(void);

struct kcore_check_stats {
	uint64_t full;	      /* full walks (kcore_check, and incremental fallbacks) */
	uint64_t incremental; /* checks over the touch log alone */
	uint64_t overflows;   /* incremental checks that fell back: the log was full */
	uint64_t touches;     /* log entries checked */
};
void kcore_check_stats(struct kcore_check_stats *out);

/*
 * For tests that corrupt state by hand, so the incremental checker sees it
 * as kcore's own writers would record it: a frame-table entry of `pa` and
 * its value before, a descriptor of `tree` at (va, level) and its value
 * before, a VM's metadata (state, images, layout, device claims).
 */
void kcore_touch_frame(kc_paddr_t pa, uint64_t old);
void kcore_touch_desc(const struct pgt *tree, uint64_t va, unsigned level, uint64_t old);
void kcore_touch_vm(unsigned id);
/* ... and an IO domain's state or the stream table (core/iodom.c). */
void kcore_touch_io(void);

/*
 * For oracles that run between operations (the fuzzers' error atomicity and
 * reference model), from the same log, before the next check empties it:
 *   kcore_touch_mark       where the log stands now (before a call);
 *   kcore_touch_unchanged  1 if every frame and descriptor recorded since
 *                          `mark` holds its value from before again (a
 *                          failed call changed nothing there), 0 if one does
 *                          not, -1 if the log cannot say (recording off,
 *                          overflowed, or more than KC_TOUCH_UNCHANGED_MAX
 *                          entries since `mark`);
 *   kcore_touch_frames     the indices of the frames touched since the last
 *                          check into idx[0, max), how many, or ~0u if the
 *                          log cannot say or they do not fit.
 */
#define KC_TOUCH_UNCHANGED_MAX 1024u
unsigned kcore_touch_mark(void);
int kcore_touch_unchanged(unsigned mark);
unsigned kcore_touch_frames(uint64_t *idx, unsigned max);

/* SHA-256 of every piece of kcore state a call may change (not the locks). */
#define KC_DIGEST_LEN 32
void kcore_digest(uint8_t out[KC_DIGEST_LEN]);

#endif /* KCORE_KCORE_H */
