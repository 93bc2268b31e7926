/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/machine.h — the hosted machine model, as tests and fuzzers see it.
 *
 * A machine is: RAM (one mmap'd arena, free until touched), device ranges that
 * are not RAM, CPUs (threads), a seeded entropy source, a console capture, and
 * a software MMU + per-CPU TLB model that walks the real Armv8-A descriptors
 * core writes.  Core reaches the machine only through kcore/platform.h, and
 * core has no machine parameter, so exactly one machine is "current" at a
 * time (hm_machine_select).
 *
 * Threading: the machine's own state (TLBs, TLBI log, console, entropy,
 * counters) is safe to use from several CPU threads at once.  Creating,
 * destroying and selecting machines, reading the console capture and the
 * panic hook are for the test's main thread while no CPU runs.
 */
#ifndef KCORE_HOSTED_MACHINE_H
#define KCORE_HOSTED_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_PAGE_SIZE   4096u
#define HM_MAX_DEVICES 8u
#define HM_MAX_CPUS    64u
/* Entries per CPU TLB; replacement is first-free, else round robin. */
#define HM_TLB_ENTRIES 64u
/* Input and output addresses are 48 bits (4 KiB granule, 4 levels from level 0). */
#define HM_VA_BITS     48u

struct hm_machine;

/* An address range [base, base + size). */
struct hm_range {
	uint64_t base;
	uint64_t size;
};

struct hm_config {
	/* RAM: page aligned and non-zero (e.g. 0x40000000 as on QEMU virt); backed lazily. */
	uint64_t ram_base;
	uint64_t ram_size;
	/* MMIO ranges: page aligned, never RAM, never backed. */
	struct hm_range devices[HM_MAX_DEVICES];
	unsigned ndevices;
	unsigned ncpus;	   /* 1..HM_MAX_CPUS */
	uint64_t rng_seed; /* plat_entropy is a deterministic function of it */
	/*
	 * SMMUs (kcore_hosted/smmu.h): 0..HM_MAX_SMMUS, each with smmu_streams
	 * stream ids (0 means 64; at most HM_SMMU_MAX_STREAMS) translating
	 * smmu_ia_bits of IOVA (0 means 48; else 32..48).
	 */
	unsigned nsmmus;
	uint32_t smmu_streams;
	unsigned smmu_ia_bits;
	bool console_echo; /* also copy console output to stdout */
};

/* ---- machines --------------------------------------------------------- */

/*
 * Validate `cfg`, build the machine and make it current.  Returns 0, or
 * -EINVAL for a bad config (the reason is in hm_last_error() and on stderr),
 * -ENOMEM when the arena cannot be mapped.  *out is NULL on failure.
 */
int hm_machine_create(const struct hm_config *cfg, struct hm_machine **out);

/* Unmap and free everything; the machine stops being current.  NULL is fine. */
void hm_machine_destroy(struct hm_machine *m);

/* Make `m` the machine that plat_* act on (NULL: none). */
void hm_machine_select(struct hm_machine *m);
struct hm_machine *hm_machine_current(void);

/* The config the machine was built from. */
const struct hm_config *hm_machine_config(const struct hm_machine *m);

/* Why the last hm_machine_create on this thread failed ("" if it did not). */
const char *hm_last_error(void);

/* ---- physical memory (raw, no MMU) ------------------------------------ */

/*
 * Host pointer to [pa, pa + len) if all of it is RAM (len 0 counts as 1),
 * else NULL.  For tests that build or inspect tables and frames directly.
 * It is the cached view of RAM: where a line is dirty, memory holds other
 * bytes (kcore_hosted/cache.h has the data cache and its own accessors).
 */
void *hm_phys(struct hm_machine *m, uint64_t pa, size_t len);

/* Whether [pa, pa + len) is RAM / lies inside one device range. */
bool hm_is_ram(const struct hm_machine *m, uint64_t pa, uint64_t len);
bool hm_is_device(const struct hm_machine *m, uint64_t pa, uint64_t len);

/* ---- MMU model -------------------------------------------------------- */

/* The translation regimes kcore programs. */
enum hm_regime {
	HM_REGIME_S1_EL2, /* kcore's own map: EL2 stage 1, non-VHE, TTBR0_EL2 */
	HM_REGIME_S2,	  /* a stage 2 (host or VM), tagged by VMID */
};

/* What an access translates through: the regime's root table and tags. */
struct hm_ctx {
	enum hm_regime regime;
	uint64_t root; /* PA of the level-0 table (TTBR0_EL2 / VTTBR_EL2 BADDR) */
	uint64_t mair; /* S1 only: MAIR_EL2 */
	uint16_t vmid; /* S2 only */
};

static inline struct hm_ctx hm_ctx_el2(uint64_t root, uint64_t mair)
{
	struct hm_ctx c = { .regime = HM_REGIME_S1_EL2, .root = root, .mair = mair };
	return c;
}

static inline struct hm_ctx hm_ctx_s2(uint16_t vmid, uint64_t root)
{
	struct hm_ctx c = { .regime = HM_REGIME_S2, .root = root, .vmid = vmid };
	return c;
}

/*
 * Fault kinds, in the architecture's priority order for one walk.
 *  TRANSLATION  invalid descriptor, level-0 or level-3 "block", input >= 2^48
 *  ADDR_SIZE    non-zero output address bits [51:48], a block whose output
 *               address is not aligned to the block size (the architecture
 *               leaves that CONSTRAINED UNPREDICTABLE; the model is strict so
 *               that core's encoding bugs show), or a misaligned root
 *  EXTERNAL     the walk would read a table outside RAM, or a load/store's
 *               output address has no RAM behind it (no device models yet)
 *  ACCESS_FLAG  leaf with AF = 0 (no hardware AF management)
 *  PERMISSION   the leaf does not allow the access kind
 *  REFUSED      not from a walk: a host access (kcore_hosted/host.h) whose
 *               stage-2 fault kcore's fault handler refused (KC_EPERM); on
 *               arm64 kcore injects an abort into the host instead
 */
enum hm_fault {
	HM_FAULT_NONE = 0,
	HM_FAULT_TRANSLATION,
	HM_FAULT_ADDR_SIZE,
	HM_FAULT_EXTERNAL,
	HM_FAULT_ACCESS_FLAG,
	HM_FAULT_PERMISSION,
	HM_FAULT_REFUSED,
};

enum hm_access_kind {
	HM_READ,
	HM_WRITE,
	HM_EXEC,
};

/* The outcome of a walk or an access. */
struct hm_walk {
	enum hm_fault fault;
	int fault_level; /* 0..3 for walk faults, -1 if none or not from the walk */
	int leaf_level;	 /* 1..3 when a leaf was found (also for AF/permission faults), else -1 */
	uint64_t pa;	 /* output address of the input address (valid with a leaf) */
	uint64_t leaf_size; /* 4 KiB, 2 MiB or 1 GiB */
	uint64_t desc;	    /* the raw leaf descriptor */
	uint8_t attr;	    /* S1: the MAIR byte selected; S2: MemAttr[3:0] */
	bool device;	    /* Device memory (else Normal) */
	bool r, w, x;	    /* what the leaf (and, for S1, its tables) allows */
	bool tlb_hit;	    /* hm_access: served from the TLB */
};

/*
 * Walk ctx's tables for `addr`, bypassing the TLBs; checks no permission
 * (r/w/x say what is allowed).  Never reads outside RAM.
 */
enum hm_fault hm_mmu_walk(struct hm_machine *m, const struct hm_ctx *ctx, uint64_t addr,
			  struct hm_walk *out);

/*
 * An access by `cpu`: TLB first (a hit is used even if the tables changed
 * since — that is the point), else walk and cache a successful translation,
 * then check permission for `kind`.  Returns out->fault.
 */
enum hm_fault hm_access(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
			enum hm_access_kind kind, struct hm_walk *out);

/*
 * Copy `len` bytes at input address `addr` through hm_access, page by page.
 * Stops at the first fault (earlier pages are already copied) and returns
 * it; `out` (may be NULL) describes the last page tried.
 */
enum hm_fault hm_load(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
		      void *buf, size_t len, struct hm_walk *out);
enum hm_fault hm_store(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
		       const void *buf, size_t len, struct hm_walk *out);

/* ---- TLB model -------------------------------------------------------- */

/* Valid entries in `cpu`'s TLB. */
unsigned hm_tlb_count(struct hm_machine *m, unsigned cpu);

/*
 * plat_guest_flush_local: drops `cpu`'s entries of `vmid` only, is not
 * logged as a TLBI (it is no broadcast), and counts; hm_guest_flush_count
 * says how many `cpu` made.
 */
void hm_tlb_flush_local(struct hm_machine *m, unsigned cpu, uint16_t vmid);
unsigned long hm_guest_flush_count(struct hm_machine *m, unsigned cpu);

/* Empty every TLB without logging (a reset, not a TLBI core issued). */
void hm_tlb_reset(struct hm_machine *m);

enum hm_tlbi_kind {
	HM_TLBI_EL2_VA,	  /* plat_tlbi_el2_va(addr) */
	HM_TLBI_EL2_ALL,  /* plat_tlbi_el2_all() */
	HM_TLBI_S2_IPA,	  /* plat_tlbi_s2_ipa(vmid, addr) */
	HM_TLBI_S2_VMID,  /* plat_tlbi_s2_vmid(vmid) */
	HM_TLBI_S2_RANGE, /* plat_tlbi_s2_range(vmid, addr, size) */
};

#define HM_NO_CPU (~0u)

/* One plat_tlbi_* call, in order. */
struct hm_tlbi_rec {
	uint64_t seq; /* per machine, from 1, never reset */
	enum hm_tlbi_kind kind;
	uint16_t vmid;	  /* S2 kinds, else 0 */
	uint64_t addr;	  /* VA / IPA kinds, else 0 */
	uint64_t size;	  /* S2_RANGE: bytes from addr, else 0 */
	unsigned cpu;	  /* issuing CPU, HM_NO_CPU if the thread ran none */
	unsigned dropped; /* TLB entries it removed, over all CPUs */
};

/*
 * Copy up to `max` records (oldest first) into `out` (may be NULL if max is
 * 0); returns how many the log holds.
 */
size_t hm_tlbi_log_read(struct hm_machine *m, struct hm_tlbi_rec *out, size_t max);
void hm_tlbi_log_clear(struct hm_machine *m);

/*
 * Invariant 7 of DESIGN.md §4 (TLB coherence), hosted only: re-walk every
 * valid entry of every CPU's TLB at the root (and MAIR) it was filled from,
 * and compare what the tables say now with what the entry caches: output
 * address, leaf size, r/w/x and memory type (Device or Normal, attribute).
 * Strict: any difference counts, a permission upgrade or a leaf split
 * included, since the TLB would keep the old one until a TLBI.  Returns true
 * if every entry agrees; else false with the first disagreement in `why`
 * (may be NULL), e.g. "CPU 1 TLB holds S2 VMID 3 IPA 0x80000000 -> PA
 * 0x40200000 (2 MiB, rw-, Normal), tables now: translation fault at level 2".
 */
bool hm_tlb_coherent(struct hm_machine *m, char *why, size_t why_size);

/* ---- device accesses ---------------------------------------------------- */

/*
 * The model has no device models: a guest or host load (kcore_hosted/guest.h,
 * host.h) whose output address lies in a device range reads zeros, a store
 * there is dropped, and either is logged here so tests can see that (and
 * where) an access reached MMIO.  What decides is the output address, as on
 * hardware, not the leaf's memory type; `device_attr` records the type so a
 * test can also check that an MMIO mapping is Device memory.  (hm_load and
 * hm_store stay raw copies: they report a non-RAM output as EXTERNAL.)
 */
struct hm_dev_access {
	uint64_t seq;	  /* per machine, from 1, never reset */
	unsigned cpu;	  /* the CPU that made the access */
	uint16_t vmid;	  /* stage-2 VMID of the access (0: the host) */
	uint64_t ipa;	  /* input address */
	uint64_t pa;	  /* device address reached */
	uint64_t size;	  /* bytes (1..8 for a guest, up to a page for a host copy) */
	bool write;	  /* store (dropped) or load (read as zero) */
	uint64_t value;	  /* a store's first min(size, 8) bytes, little-endian; 0 for loads */
	bool device_attr; /* the leaf was Device memory */
};

/* As hm_tlbi_log_read: copies up to `max` oldest first, returns how many the log holds. */
size_t hm_dev_log_read(struct hm_machine *m, struct hm_dev_access *out, size_t max);
void hm_dev_log_clear(struct hm_machine *m);

/* ---- console ---------------------------------------------------------- */

/* Everything plat_console_write wrote since the last clear, NUL terminated. */
const char *hm_console_text(struct hm_machine *m, size_t *len);
void hm_console_clear(struct hm_machine *m);

/* ---- entropy ---------------------------------------------------------- */

/* The next `n` plat_entropy calls fail (return false, buffer poisoned). */
void hm_entropy_fail_next(struct hm_machine *m, unsigned n);

/* ---- CPUs ------------------------------------------------------------- */

typedef void (*hm_cpu_fn)(unsigned cpu, void *arg);

/*
 * Select `m` and run fn(cpu, arg) on the calling thread as CPU `cpu`
 * (plat_cpu_id() returns it meanwhile; nesting restores the outer CPU).
 * Returns 0, or -EINVAL for a CPU the machine does not have.
 */
int hm_cpu_run(struct hm_machine *m, unsigned cpu, hm_cpu_fn fn, void *arg);

/*
 * Select `m` and run fn(cpu, arg) on one new thread per CPU, released
 * together, then join them all.  Returns 0, or a negative errno if threads
 * could not be created (the CPUs that did start still run, and are joined).
 */
int hm_run_parallel(struct hm_machine *m, hm_cpu_fn fn, void *arg);

/* The calling thread's CPU, or HM_NO_CPU (unlike plat_cpu_id, never panics). */
unsigned hm_cpu_current(void);

/* ---- fail-stop and counters ------------------------------------------- */

/*
 * Called by plat_panic with its message, after printing it to stderr.  The
 * hook may longjmp out (tests use that to prove a panic is reached); if it
 * returns, plat_panic aborts.  Returns the previous hook.
 */
typedef void (*hm_panic_hook)(const char *why);
hm_panic_hook hm_set_panic_hook(hm_panic_hook hook);

/* Calls core made that have no other visible effect on the model. */
struct hm_stats {
	uint64_t dcache_clean_inval; /* plat_dcache_clean_inval_poc */
	uint64_t icache_inval_all;   /* plat_icache_inval_all */
	uint64_t cache_writebacks;   /* dirty lines written back (cleans and evictions) */
	uint64_t cache_evictions;    /* ... of which evicted to make room (cache.h) */
	uint64_t barrier_tables;     /* plat_barrier_tables */
	uint64_t barrier_full;	     /* plat_barrier_full */
	uint64_t entropy_calls;	     /* plat_entropy, failed ones included */
	uint64_t tlb_hits, tlb_misses, tlb_evictions;
};

void hm_stats_read(struct hm_machine *m, struct hm_stats *out);

#endif /* KCORE_HOSTED_MACHINE_H */
