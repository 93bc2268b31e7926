/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/pgt.h — Armv8-A VMSA translation tables, as the hardware reads them.
 *
 * One module builds every table kcore owns: the EL2 stage-1 "core map" and
 * the stage-2 tables of the host and of each VM.  Geometry is fixed: 4 KiB
 * granule, 48-bit input addresses, four levels (0..3) starting at level 0.
 * Leaves are 4 KiB pages (level 3), 2 MiB blocks (level 2) or 1 GiB blocks
 * (level 1).
 *
 * Rules the code keeps (SeKVM's transactional page-table argument):
 *  - table pages come zeroed from a pool of CORE frames;
 *  - every table a mapping needs is allocated before anything is written,
 *    so pool exhaustion returns KC_ENOMEM with the tables unchanged;
 *  - intermediate tables are linked before the leaf, the leaf is written
 *    last, and only into an empty slot (KC_EEXIST otherwise);
 *  - removing a leaf is followed by the TLB invalidation for its address.
 *
 * Callers hold the lock of the table they change (the owner's lock).
 */
#ifndef KCORE_PGT_H
#define KCORE_PGT_H

#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

#define PGT_PAGE_SHIFT	 12
#define PGT_PAGE_SIZE	 (1ull << PGT_PAGE_SHIFT)
#define PGT_ENTRIES	 512
#define PGT_IA_BITS	 48 /* input (VA or IPA) bits translated */
#define PGT_OA_BITS	 48 /* output address bits a descriptor holds */
/* A descriptor's output address field, bits [47:12]; the rest are its type and attributes. */
#define PGT_DESC_OA_MASK 0x0000FFFFFFFFF000ull
#define PGT_START_LEVEL	 0
#define PGT_LEAF_LEVEL	 3

/* Bytes mapped by one entry at `level` (0..3). */
static inline uint64_t pgt_level_size(unsigned level)
{
	return 1ull << (PGT_PAGE_SHIFT + 9u * (3u - level));
}

/* Which translation regime a table serves: decides the leaf encoding. */
enum pgt_format {
	PGT_S1_EL2, /* EL2 stage-1 (kcore's own map), non-VHE, single VA range */
	PGT_S2,	    /* stage-2 (host or VM), MemAttr encoding, FWB off */
};

/* Access rights, independent of the format; pgt encodes them. */
#define PGT_PROT_R	(1u << 0)
#define PGT_PROT_W	(1u << 1)
#define PGT_PROT_X	(1u << 2)
#define PGT_PROT_DEVICE (1u << 3) /* Device-nGnRE (else Normal WB, inner shareable) */
#define PGT_PROT_MASK	0xFu
typedef uint32_t pgt_prot_t;

/*
 * MAIR_EL2 value matching the S1 AttrIndx values pgt writes:
 * index 0 = Device-nGnRE (0x04), index 1 = Normal, inner and outer
 * write-back, read- and write-allocate (0xff).
 */
#define PGT_MAIR_EL2 ((0x04ull << 0) | (0xffull << 8))

/*
 * A pool of table pages: a contiguous run of frames kcore owns.  Pages are
 * handed out zeroed.  `free_head` chains returned pages through their first
 * word (a physical address), so the pool needs no memory of its own.
 */
struct pgt_pool {
	kc_paddr_t base;      /* first frame */
	uint64_t npages;      /* frames in the run */
	uint64_t bump;	      /* frames handed out by bumping so far */
	kc_paddr_t free_head; /* returned frames, 0 = none */
	uint64_t nfree;	      /* frames on the free chain */
};

void pgt_pool_init(struct pgt_pool *pool, kc_paddr_t base, uint64_t npages);
uint64_t pgt_pool_available(const struct pgt_pool *pool);
/* True if `pa` is a frame of this pool's run (in use or not). */
bool pgt_pool_contains(const struct pgt_pool *pool, kc_paddr_t pa);

/* A leaf as software sees it (pgt_lookup, pgt_take_next). */
struct pgt_leaf {
	kc_paddr_t pa; /* output address (of `va` itself for pgt_lookup) */
	unsigned level;
	pgt_prot_t prot;
};

/* One translation table tree. */
struct pgt {
	kc_paddr_t root; /* level-0 table */
	enum pgt_format fmt;
	uint16_t vmid;	       /* stage-2 only: tags TLB invalidations */
	struct pgt_pool *pool; /* where this tree's table pages come from */
	/*
	 * Walk hint: the last-level table that maps [hint_base, +2 MiB), so a
	 * fault next to the last one skips three levels.  Sound because tables
	 * are never unlinked while the tree lives (only pgt_destroy frees them,
	 * and clears the hint); 0 = no hint.
	 */
	uint64_t hint_base;
	kc_paddr_t hint_l3;
};

/*
 * Whether the walk hint says a last-level table covers the 2 MiB around
 * `va` (so no 2 MiB block can go there): a cheap "no" before a block
 * attempt; false says nothing.
 */
static inline bool pgt_hint_has_table(const struct pgt *pgt, uint64_t va)
{
	return pgt->hint_l3 && (va & ~((1ull << (PGT_PAGE_SHIFT + 9)) - 1)) == pgt->hint_base;
}

/* Allocate an empty root.  KC_ENOMEM if the pool is empty. */
int pgt_init(struct pgt *pgt, enum pgt_format fmt, uint16_t vmid, struct pgt_pool *pool);

/*
 * Map one leaf: `va` -> `pa` at `level` (3: 4 KiB page, 2: 2 MiB block,
 * 1: 1 GiB block), with `prot`.  Errors, each leaving the tree unchanged:
 * KC_EINVAL for a bad level, misaligned or out-of-range addresses or an
 * empty/contradictory prot (W without R, X with DEVICE); KC_EEXIST if any
 * part of the range is already mapped (by a leaf at any level, or by a
 * table below the requested level); KC_ENOMEM if the pool cannot supply the
 * tables needed.
 */
int pgt_map(struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level, pgt_prot_t prot);

/*
 * What pgt_map(pgt, va, pa, level, prot) would return, without changing
 * anything.  A caller that must change other state first (the frame table)
 * checks here, commits the other state, then maps: pgt_map cannot fail in
 * between as long as the caller holds the table's lock throughout.
 */
int pgt_map_check(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level,
		  pgt_prot_t prot);

/*
 * The same check, keeping what the walk found, so the mapping that follows
 * does not walk again (the fault-in hot path).  pgt_map_prepared must come
 * while the caller still holds the table's lock, with nothing changed in
 * the tree in between; then it cannot fail.
 */
struct pgt_prep {
	uint64_t *slot; /* where the walk stopped */
	unsigned first; /* the level of that slot */
	uint64_t va;
	unsigned level;
};
int pgt_map_prepare(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level,
		    pgt_prot_t prot, struct pgt_prep *prep);
void pgt_map_prepared(struct pgt *pgt, const struct pgt_prep *prep, kc_paddr_t pa, pgt_prot_t prot);

/* Table pages a pgt_map at (va, level) would allocate now (0 if mapped). */
unsigned pgt_tables_needed(const struct pgt *pgt, uint64_t va, unsigned level);

/*
 * Map [va, va+size) -> [pa, pa+size) with the largest leaves that fit
 * (boot-time maps).  All-or-nothing: the tables needed are counted first,
 * so KC_ENOMEM and KC_EEXIST leave the tree unchanged.
 */
int pgt_map_range(struct pgt *pgt, uint64_t va, kc_paddr_t pa, uint64_t size, pgt_prot_t prot);
/*
 * What pgt_map_range would return, without changing anything (its dry
 * run), for a caller that must change other state first: the range then
 * maps without fail while the caller holds the table's lock throughout.
 */
int pgt_map_range_check(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, uint64_t size,
			pgt_prot_t prot);

/*
 * Remove the leaf that maps `va` and invalidate its translation.  The level
 * it sat at is stored in *level if not NULL.  KC_ENOENT if nothing maps va.
 * Table pages stay linked (they are freed by pgt_destroy).
 */
int pgt_unmap(struct pgt *pgt, uint64_t va, unsigned *level);

/*
 * Remove the 4 KiB page that maps `va`, splitting a block that covers it
 * first (pgt_split_block, down to pages), so the rest of the block stays
 * mapped; then invalidate the page.  KC_ENOENT if nothing maps va.  For a
 * tree whose pool is sized to map everything a page at a time (the host's
 * stage 2), so a split that finds the pool empty is kcore's own
 * inconsistency: it fail-stops rather than leave the page mapped.
 */
int pgt_unmap_page(struct pgt *pgt, uint64_t va);

/*
 * Replace the block that maps `va` by a table of the next level's leaves
 * with the same output addresses and rights.  Break-before-make: the block
 * is removed and its translation invalidated before the table is linked,
 * so no TLB can hold both.  KC_ENOENT if no block maps va (nothing, or a
 * page), KC_ENOMEM if the pool has no page for the table (unchanged).
 */
int pgt_split_block(struct pgt *pgt, uint64_t va);

/*
 * Remove every leaf inside [va, va+size) (page aligned; a leaf must not
 * straddle either end) and invalidate the range once, as one
 * plat_tlbi_*_range-like step: one walk per last-level table instead of
 * one walk and one TLBI per page.  Returns the number of leaves removed.
 */
uint64_t pgt_unmap_range(struct pgt *pgt, uint64_t va, uint64_t size);

/*
 * Visit every non-empty entry that is not a table (a leaf, or a non-zero
 * descriptor that is neither), in address order, in one pass over the tree
 * (pgt_next_entry restarts from the root on every call).  The visitor
 * returns false to stop; pgt_for_each_entry then returns false too.  For
 * whole-tree readers: the invariant checker and digests.
 */
typedef bool (*pgt_visit_fn)(void *ctx, uint64_t va, uint64_t desc, unsigned level);
bool pgt_for_each_entry(const struct pgt *pgt, pgt_visit_fn fn, void *ctx);

/*
 * Remove the 4 KiB page that maps `va` WITHOUT invalidating, and give its
 * output address in *pa: for a tree whose translations no CPU caches (an
 * IO table, core/iodom.c: the caller invalidates the SMMUs once for its
 * whole range).  KC_ENOENT if no page maps va (nothing, or a block).
 */
int pgt_take_page(struct pgt *pgt, uint64_t va, kc_paddr_t *pa);

/*
 * Find the first leaf at or above `from`, remove it WITHOUT invalidating,
 * and return it (VM_RECLAIM: the VM can no longer run, and one VMID-wide
 * invalidation follows the whole batch).  False when there is none.
 */
bool pgt_take_next(struct pgt *pgt, uint64_t from, uint64_t *va, struct pgt_leaf *leaf);

/*
 * Software marks: a non-zero but invalid (bit 0 clear) last-level
 * descriptor in a VM's stage 2, so the hardware sees a translation fault
 * while kcore remembers something about that IPA without a structure that
 * grows with the address space.  A mark occupies its slot: pgt_map over it
 * is KC_EEXIST, and pgt_take_next clears marks as it passes.  Only VM
 * trees (PGT_S2 with vmid != 0) hold marks; pgt_check refuses them
 * elsewhere.  The one mark today: the guest declared the page MMIO it
 * lets the host emulate (MMIO guard, core/mmioguard.c).
 */
#define PGT_MARK_MMIO_GUARD 0x134ull /* 0x4d << 2: bits [1:0] = 0b00, invalid */

static inline bool pgt_is_mark(uint64_t desc, unsigned level)
{
	return level == PGT_LEAF_LEVEL && desc == PGT_MARK_MMIO_GUARD;
}

/*
 * Put `mark` in the empty last-level slot of `va`, allocating tables.
 * KC_EINVAL (bad va, unknown mark, not a VM tree), KC_EEXIST (anything
 * maps or marks va), KC_ENOMEM (the pool); the tree is unchanged on error.
 */
int pgt_mark(struct pgt *pgt, uint64_t va, uint64_t mark);
/* The mark at `va`, 0 if none (a leaf, nothing, or no table down to level 3). */
uint64_t pgt_mark_at(const struct pgt *pgt, uint64_t va);
/* Remove `mark` from `va`: KC_ENOENT if it is not there. */
int pgt_unmark(struct pgt *pgt, uint64_t va, uint64_t mark);

/* Software walk: the leaf mapping `va`, if any. */
bool pgt_lookup(const struct pgt *pgt, uint64_t va, struct pgt_leaf *out);

/*
 * Iterate: the first non-empty entry at or above `from` that is not a table
 * (a leaf, or a non-zero descriptor that is neither: the invariant checker
 * reports those).  Fills *va (the entry's base address), *desc and *level;
 * false when there is none.
 */
bool pgt_next_entry(const struct pgt *pgt, uint64_t from, uint64_t *va, uint64_t *desc,
		    unsigned *level);

/*
 * Check that the tree is well formed, following no pointer before checking
 * it: every table descriptor points to a page of the tree's own pool and
 * has no other bits, every other non-zero entry is a leaf pgt_decode_leaf
 * accepts at its level, and the tree holds exactly the pool's pages in use
 * (so none is linked twice or lost).  Returns NULL, or what is wrong.
 */
const char *pgt_check(const struct pgt *pgt, uint64_t *tables);
/*
 * For the incremental checker: why descriptor `d` at `level` is nothing this
 * tree may hold (pgt_check's words: a malformed table link, one outside the
 * pool, a mark where none may be, a bad leaf), or NULL.  0 is fine.
 */
const char *pgt_check_entry(const struct pgt *pgt, uint64_t d, unsigned level);
/*
 * The descriptor at (va, level), following only table links into the
 * tree's pool: false if the walk stops above `level` (no table there).
 */
bool pgt_entry_at(const struct pgt *pgt, uint64_t va, unsigned level, uint64_t *desc);
/*
 * The non-zero entry at the end of the walk for va (a leaf, or anything
 * non-zero at level 3, marks included): its descriptor and level.
 */
bool pgt_leaf_at(const struct pgt *pgt, uint64_t va, uint64_t *desc, unsigned *level);

/* Free every table page of the tree back to its pool (after the last use). */
void pgt_destroy(struct pgt *pgt);

/* Number of table pages currently linked in the tree (root included). */
uint64_t pgt_count_tables(const struct pgt *pgt);

/* Raw encoding, exposed for the invariant checker and tests. */
uint64_t pgt_encode_leaf(enum pgt_format fmt, kc_paddr_t pa, unsigned level, pgt_prot_t prot);
bool pgt_decode_leaf(enum pgt_format fmt, uint64_t desc, unsigned level, kc_paddr_t *pa,
		     pgt_prot_t *prot);

#endif /* KCORE_PGT_H */
