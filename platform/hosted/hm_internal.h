/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hm_internal.h — the hosted machine's private state, shared by the files of
 * platform/hosted/ only.  Tests and fuzzers use kcore_hosted/machine.h.
 */
#ifndef KCORE_HOSTED_INTERNAL_H
#define KCORE_HOSTED_INTERNAL_H

#include <kcore_hosted/cache.h>
#include <kcore_hosted/machine.h>
#include <kcore_hosted/smmu.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One cached translation. */
struct hm_tlb_entry {
	bool valid;
	enum hm_regime regime;
	uint16_t vmid;	     /* S2 only */
	uint64_t in_base;    /* input address of the leaf, aligned to size */
	uint64_t size;	     /* leaf size: the range the entry covers */
	struct hm_walk walk; /* the walk that filled it (pa is of in_base) */
	struct hm_ctx ctx;   /* root (and MAIR) it was walked at: not a tag, for hm_tlb_coherent */
};

/*
 * One CPU's TLB.  Its lock is held across lookup + walk + fill, so a TLBI
 * (which takes every CPU's lock in turn) either precedes a walk, which then
 * sees the new tables, or follows the fill and drops it.
 */
struct hm_tlb {
	pthread_mutex_t lock;
	pthread_mutex_t inflight; /* held by a data access of this CPU (data.c); hm_tlbi waits */
	struct hm_tlb_entry e[HM_TLB_ENTRIES];
	unsigned next_victim;
	unsigned long guest_flushes; /* plat_guest_flush_local on this CPU */
};

/* smmu.c: one stream's configuration (table entry or cached copy). */
struct hm_ste {
	bool valid;    /* translates (else aborts) */
	uint16_t tag;  /* S2VMID of its IOTLB entries */
	uint64_t root; /* stage-2 level-0 table */
};

struct hm_iotlb_entry {
	bool valid;
	uint16_t tag;
	uint64_t iova; /* page */
	uint64_t pa;   /* page */
	bool r, w;
	uint64_t root; /* the root it was walked from: not a tag, for hm_smmu_coherent */
};

struct hm_smmu_event_rec {
	unsigned smmu;
	uint32_t sid;
	enum hm_dma_fault fault;
	bool write;
	uint64_t iova;
};

struct hm_smmu {
	struct hm_ste table[HM_SMMU_MAX_STREAMS];
	struct hm_ste cfg_cache[HM_SMMU_MAX_STREAMS];
	bool cached[HM_SMMU_MAX_STREAMS];
	struct hm_iotlb_entry iotlb[HM_IOTLB_ENTRIES];
	unsigned next_victim;
};

struct hm_machine {
	struct hm_config cfg;

	/* smmu.c: one lock for the SMMUs, their caches and the event queue */
	pthread_mutex_t smmu_lock;
	struct hm_smmu smmus[HM_MAX_SMMUS];
	struct hm_smmu_event_rec events[HM_SMMU_EVENTS];
	unsigned ev_head, ev_len;
	uint64_t ev_lost;
	struct hm_smmu_stats smmu_stats;

	/* arena.c */
	void *map; /* the whole mapping, guard pages included */
	size_t map_size;
	uint8_t *ram; /* host address of cfg.ram_base */

	/* tlb.c */
	struct hm_tlb *tlbs; /* cfg.ncpus of them */
	pthread_mutex_t log_lock;
	struct hm_tlbi_rec *log;
	size_t log_len, log_cap;
	uint64_t log_seq;

	/* console.c */
	pthread_mutex_t console_lock;
	char *console;
	size_t console_len, console_cap;

	/* entropy.c */
	pthread_mutex_t rng_lock;
	uint64_t rng_state;
	unsigned rng_fail_next;

	/* data.c: the device-access log */
	pthread_mutex_t dev_lock;
	struct hm_dev_access *dev_log;
	size_t dev_len, dev_cap;
	uint64_t dev_seq;

	/* guest.c: programs by (VMID, vCPU), EXPECT failures */
	pthread_mutex_t guest_lock;
	struct hm_gprog **progs;
	size_t nprogs, progs_cap;
	unsigned guest_failures;
	char guest_msg[200];
	uint64_t guest_irq; /* bit c: a physical IRQ waits for CPU c (hm_guest_irq) */

	/* cache.c: the dirty lines of the write-back data cache */
	pthread_mutex_t cache_lock;
	uint64_t cache_ndirty;	      /* also read without the lock: the fast paths */
	struct hm_cache_table *cache; /* allocated at the first dirty line */

	/* counters, updated atomically */
	struct hm_stats stats;
};

/* The current machine, or plat_panic naming `who`. */
struct hm_machine *hm_current_or_panic(const char *who);

/* A misuse of the model by a test: a fail-stop through plat_panic. */
_Noreturn void hm_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A full fence, standing in for DSB/ISB.  gcc cannot instrument a standalone
 * fence for ThreadSanitizer (-Wtsan), so under TSan a seq_cst read-modify-write
 * of a shared word does the job: still a compiler and CPU barrier, and one
 * TSan understands.
 */
/* Built with ThreadSanitizer: gcc says so with __SANITIZE_THREAD__, clang (19) only with __has_feature. */
#if defined(__SANITIZE_THREAD__)
#define HM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HM_TSAN 1
#endif
#endif
#ifndef HM_TSAN
#define HM_TSAN 0
#endif

#if HM_TSAN
extern unsigned hm_fence_word;
#define hm_fence() ((void)__atomic_fetch_add(&hm_fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define hm_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * The reader's half of hm_fence, for a walker that follows a pointer core
 * published after a barrier (plat_barrier_tables: zero a table page, fence,
 * link it with a relaxed store).  The walker loads the link with acquire,
 * which pairs with that fence in C11; ThreadSanitizer does not see fences,
 * so under it the walker also acquires the word hm_fence's read-modify-
 * writes release.  On hardware the writer's DSB and the walk's address
 * dependency give the same order.
 */
#if HM_TSAN
#define hm_fence_acquire() ((void)__atomic_load_n(&hm_fence_word, __ATOMIC_ACQUIRE))
#else
#define hm_fence_acquire() ((void)0)
#endif

#define hm_stat_add(m, field) __atomic_fetch_add(&(m)->stats.field, 1, __ATOMIC_RELAXED)

/* arena.c */
int hm_arena_map(struct hm_machine *m);
void hm_arena_unmap(struct hm_machine *m);

/* tlb.c */
int hm_tlb_init(struct hm_machine *m);
void hm_tlb_fini(struct hm_machine *m);
void hm_tlbi(struct hm_machine *m, enum hm_tlbi_kind kind, uint16_t vmid, uint64_t addr,
	     uint64_t size);
/* Lookup + walk + fill for `cpu` under its lock; the walk result is in *out. */
enum hm_fault hm_tlb_translate(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			       uint64_t addr, struct hm_walk *out);

/* data.c */
void hm_data_init(struct hm_machine *m);
void hm_data_fini(struct hm_machine *m);
/*
 * One data access of `len` bytes within one page by `cpu` through `ctx`
 * (hm_access, so TLB and permission included): RAM is read or written
 * (single-copy atomic for an aligned 1/2/4/8-byte access) through the data
 * cache if `cacheable` (the host) or to memory if not (a guest, MMU off:
 * kcore_hosted/cache.h), a device range reads zeros / drops the store and
 * is logged, anything else is HM_FAULT_EXTERNAL with fault_level -1.
 * Returns out->fault.
 */
enum hm_fault hm_data_access(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			     uint64_t addr, void *buf, size_t len, bool write, bool cacheable,
			     struct hm_walk *out);
/*
 * DC CIVAC of [addr, addr + len) within one page by `cpu` through `ctx`:
 * translated as a read (faults as for a load); on RAM every dirty line it
 * touches is written back, on a device range nothing happens, anything
 * else is HM_FAULT_EXTERNAL.  Returns out->fault.
 */
enum hm_fault hm_data_clean(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			    uint64_t addr, size_t len, struct hm_walk *out);

/*
 * Copy `len` bytes between the arena at `ram` and `buf`, single-copy atomic
 * for an aligned access of 1, 2, 4 or 8 bytes.
 */
void hm_ram_copy(uint8_t *ram, void *buf, size_t len, bool write);

/* cache.c */
struct hm_cache_table;
void hm_cache_init(struct hm_machine *m);
void hm_cache_fini(struct hm_machine *m);
/* Whether any line is dirty: when not, no access needs the cache. */
static inline bool hm_cache_any(struct hm_machine *m)
{
	return __atomic_load_n(&m->cache_ndirty, __ATOMIC_ACQUIRE) != 0;
}
/*
 * An access of RAM [pa, pa + len) (arena bytes at `ram`) that involves the
 * cache: a cacheable store, or a non-cacheable access while a line is dirty.
 */
void hm_cache_access(struct hm_machine *m, uint64_t pa, uint8_t *ram, void *buf, size_t len,
		     bool write, bool cacheable);
/* The PA of `va`, an arena address for `len` bytes (plat_phys_to_virt's inverse). */
uint64_t hm_virt_to_phys(struct hm_machine *m, const void *va, size_t len);

/* smmu.c */
void hm_smmu_init(struct hm_machine *m);
void hm_smmu_fini(struct hm_machine *m);

/* guest.c */
struct hm_gprog;
void hm_guest_init(struct hm_machine *m);
void hm_guest_fini(struct hm_machine *m);

/* console.c */
void hm_console_init(struct hm_machine *m);
void hm_console_fini(struct hm_machine *m);
void hm_console_append(struct hm_machine *m, const char *s, size_t len);

/* entropy.c */
void hm_entropy_init(struct hm_machine *m);
void hm_entropy_fini(struct hm_machine *m);
bool hm_entropy_fill(struct hm_machine *m, void *buf, size_t len);

#endif /* KCORE_HOSTED_INTERNAL_H */
