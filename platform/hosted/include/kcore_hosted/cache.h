/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/cache.h — the machine's write-back data cache.
 *
 * On hardware a cacheable store lands in a cache line and reaches memory
 * (the point of coherency) only when the line is cleaned or evicted, while
 * a CPU reading with its caches off (a guest with its MMU off) or a device
 * reads memory.  So a host that writes a frame, cleans it, and writes it
 * again leaves two contents: the dirty line (what cacheable readers such as
 * kcore's hash see) and memory (what the guest fetches).  The model keeps
 * exactly that difference, so a missing clean in core shows as a guest
 * running or reading bytes that kcore never saw.
 *
 * Representation: the arena (hm_phys) is the cacheable, coherent view —
 * what kcore reads through plat_phys_to_virt, what the MMU walkers and
 * cacheable host accesses see.  A dirty line is a 64-byte line of RAM whose
 * memory still holds other bytes; the model records those bytes.  Lines
 * that are not dirty hold in memory what the arena holds.
 *
 *   cacheable store (the host: hm_host_store, hm_mem_write(.., true))
 *       a clean line first becomes dirty, keeping its current bytes as its
 *       memory copy; then the arena takes the store
 *   cacheable load   the arena
 *   non-cacheable load (every guest LOAD: the guest runs with stage 1 off)
 *       the memory copy where a line is dirty, else the arena
 *   non-cacheable store (every guest STORE)
 *       memory: the memory copy where a line is dirty (the dirty line keeps
 *       the old cached bytes, and a later clean or eviction writes them back
 *       over the store — as on hardware), else the arena
 *   clean + invalidate (plat_dcache_clean_inval_poc, the host's
 *       hm_host_clean, hm_cache_clean)
 *       every dirty line in the range is written back: memory = arena
 *
 * Not modelled: clean lines holding stale data (a non-cacheable store under
 * a clean cached line), so "invalidate" has nothing to drop; kcore's own
 * stores through plat_phys_to_virt and raw hm_phys / hm_load / hm_store
 * writes, which act on the arena only (written through over a clean line,
 * cached over a dirty one); instruction fetches: a guest's ops are
 * installed apart from memory (kcore_hosted/guest.h), so a fetch translates
 * but reads no bytes — a test shows what an MMU-off guest would execute by
 * LOADing its image words, which read memory exactly as such a fetch does.
 *
 * Bounded: HM_CACHE_SETS x HM_CACHE_WAYS dirty lines, set-associative by
 * PA as a real cache (the set is bits [6 + log2(sets) - 1 : 6] of the PA).
 * A store that needs a line in a full set first evicts one of the set's
 * lines round robin, writing it back — a host can force that by writing
 * lines that alias, which is itself an attack the tests use.  The record
 * table (about 150 KiB) is allocated at the first dirty line, and a
 * destroyed machine's is kept for the next one (fuzzers build one per
 * input); while no line is dirty a clean or a non-cacheable access touches
 * no part of it.
 *
 * Threading: every function is safe on several CPU threads at once.
 */
#ifndef KCORE_HOSTED_CACHE_H
#define KCORE_HOSTED_CACHE_H

#include <kcore_hosted/machine.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_CACHE_LINE 64u
#define HM_CACHE_SETS 256u
#define HM_CACHE_WAYS 8u

/*
 * An access of `len` bytes of RAM at `pa` (all of it RAM, else false and
 * nothing done), cacheable or not, with the semantics above.  For tests of
 * the model; guests and the host reach the same code through their MMUs.
 */
bool hm_mem_read(struct hm_machine *m, uint64_t pa, void *buf, size_t len, bool cacheable);
bool hm_mem_write(struct hm_machine *m, uint64_t pa, const void *buf, size_t len, bool cacheable);

/* Write back and drop every dirty line that [pa, pa + len) touches (by PA, no MMU). */
void hm_cache_clean(struct hm_machine *m, uint64_t pa, uint64_t len);

/* How many lines that [pa, pa + len) touches are dirty. */
uint64_t hm_cache_dirty(struct hm_machine *m, uint64_t pa, uint64_t len);

#endif /* KCORE_HOSTED_CACHE_H */
