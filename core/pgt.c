/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Armv8-A translation tables (VMSAv8-64, 4 KiB granule, 48-bit input,
 * levels 0..3) for EL2 stage 1 and for stage 2.  See kcore/pgt.h for the
 * rules; the shape of every change is
 *
 *     validate -> walk and count the tables needed -> check the pool
 *     -> allocate and link (top down) -> write the leaf last
 *
 * so that nothing is written unless everything can be.  Descriptors are
 * read and written with single 64-bit atomic accesses: the hardware walker
 * (or another CPU) may read a descriptor while we write it, and must see
 * either the old or the new value, never a torn one.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>
#include <kcore/pgt.h>

#include "touch.h"

/* ---- descriptor encoding (Arm ARM D8.3, "Translation table descriptor formats") ---- */

#define DESC_TYPE_MASK		3ull
#define DESC_TYPE_BLOCK		1ull		 /* levels 1-2 */
#define DESC_TYPE_TABLE		3ull		 /* levels 0-2 */
#define DESC_TYPE_PAGE		3ull		 /* level 3 */
#define DESC_OA_MASK		PGT_DESC_OA_MASK /* output address, bits [47:12] */
#define DESC_SH_INNER		(3ull << 8)
#define DESC_AF			(1ull << 10)
#define DESC_XN			(1ull << 54) /* S1 EL2: XN; S2: XN[1] (no execution at EL1/EL0) */

/* EL2 stage 1 (non-VHE: one VA range, one privilege level). */
#define S1_ATTRIDX(i)		((uint64_t)(i) << 2) /* index into MAIR_EL2 (PGT_MAIR_EL2) */
#define S1_ATTRIDX_MASK		(7ull << 2)
#define S1_ATTR_DEVICE		0
#define S1_ATTR_NORMAL		1
#define S1_AP_RES1		(1ull << 6) /* AP[1] is RES1 in the EL2 regime */
#define S1_AP_RO		(1ull << 7) /* AP[2]: read-only */

/* Stage 2 (FWB off: MemAttr[3:0] gives the memory type directly). */
#define S2_MEMATTR_MASK		(0xFull << 2)
#define S2_MEMATTR_DEVICE_NGNRE (0x1ull << 2)
#define S2_MEMATTR_NORMAL_WB	(0xFull << 2) /* outer and inner write-back */
#define S2_S2AP_R		(1ull << 6)
#define S2_S2AP_W		(1ull << 7)

/* Every bit a leaf of ours may have: anything else is not our encoding. */
#define S1_LEAF_BITS                                                                               \
	(DESC_TYPE_MASK | S1_ATTRIDX_MASK | S1_AP_RES1 | S1_AP_RO | (3ull << 8) | DESC_AF |        \
	 DESC_OA_MASK | DESC_XN)
#define S2_LEAF_BITS                                                                               \
	(DESC_TYPE_MASK | S2_MEMATTR_MASK | S2_S2AP_R | S2_S2AP_W | (3ull << 8) | DESC_AF |        \
	 DESC_OA_MASK | DESC_XN)

#define IA_LIMIT (1ull << PGT_IA_BITS)

static inline unsigned pgt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (PGT_PAGE_SHIFT + 9u * (3u - level))) & (PGT_ENTRIES - 1);
}

static inline uint64_t *pgt_table(kc_paddr_t pa)
{
	return plat_phys_to_virt(pa);
}

static inline uint64_t desc_read(const uint64_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

static inline void desc_write(uint64_t *slot, uint64_t desc)
{
	__atomic_store_n(slot, desc, __ATOMIC_RELAXED);
}

/*
 * Every store into a tree goes through here: with recording on, the touch
 * log gets the slot as (tree, va at level, level) and its old value, for
 * the incremental checker (core/touch.h).  Off, it costs a load and a branch.
 */
static inline void desc_set(const struct pgt *pgt, uint64_t va, unsigned level, uint64_t *slot,
			    uint64_t desc)
{
	if (touch_on())
		touch_desc_record(pgt, va, level, slot);
	desc_write(slot, desc);
}

#define L3_REGION (pgt_level_size(2)) /* what one last-level table maps */

/* The last-level table for `va`, if the walk hint knows it. */
static inline uint64_t *pgt_hint(const struct pgt *pgt, uint64_t va)
{
	if (pgt->hint_l3 && (va & ~(L3_REGION - 1)) == pgt->hint_base)
		return pgt_table(pgt->hint_l3);
	return NULL;
}

/*
 * Remember the last-level table a walk reached.  Walks take a const tree;
 * the hint is a cache beside the tree, never part of what it maps.
 */
static inline void pgt_hint_set(const struct pgt *pgt, uint64_t va, kc_paddr_t l3)
{
	struct pgt *w = (struct pgt *)pgt;
	w->hint_base = va & ~(L3_REGION - 1);
	w->hint_l3 = l3;
}

static inline bool desc_is_table(uint64_t desc, unsigned level)
{
	return level < PGT_LEAF_LEVEL && (desc & DESC_TYPE_MASK) == DESC_TYPE_TABLE;
}

/* A valid leaf at `level`: a page at level 3, a block at levels 1 and 2. */
static inline bool desc_is_leaf(uint64_t desc, unsigned level)
{
	if (level == PGT_LEAF_LEVEL)
		return (desc & DESC_TYPE_MASK) == DESC_TYPE_PAGE;
	return level >= 1 && (desc & DESC_TYPE_MASK) == DESC_TYPE_BLOCK;
}

/*
 * The rules, for each of the 16 possible prot values:
 *  - readable (no write-only or execute-only mappings);
 *  - never executable from a device;
 *  - at EL2, never writable and executable at once (W^X: kcore's own code
 *    is never writable).
 * Evaluated once into a bit mask per format, so the map path tests a bit.
 */
#define prot_rule_const(fmt, p)                                                                    \
	(((p) & PGT_PROT_R) && !(((p) & PGT_PROT_DEVICE) && ((p) & PGT_PROT_X)) &&                 \
	 !((fmt) == PGT_S1_EL2 && ((p) & PGT_PROT_W) && ((p) & PGT_PROT_X)))
#define PROT_BIT(fmt, p) ((uint32_t)prot_rule_const(fmt, p) << (p))
#define PROT_MASK(fmt)                                                                             \
	(PROT_BIT(fmt, 0) | PROT_BIT(fmt, 1) | PROT_BIT(fmt, 2) | PROT_BIT(fmt, 3) |               \
	 PROT_BIT(fmt, 4) | PROT_BIT(fmt, 5) | PROT_BIT(fmt, 6) | PROT_BIT(fmt, 7) |               \
	 PROT_BIT(fmt, 8) | PROT_BIT(fmt, 9) | PROT_BIT(fmt, 10) | PROT_BIT(fmt, 11) |             \
	 PROT_BIT(fmt, 12) | PROT_BIT(fmt, 13) | PROT_BIT(fmt, 14) | PROT_BIT(fmt, 15))
static const uint32_t prot_valid_mask[2] = {
	[PGT_S1_EL2] = PROT_MASK(PGT_S1_EL2),
	[PGT_S2] = PROT_MASK(PGT_S2),
};

static inline bool prot_valid(enum pgt_format fmt, pgt_prot_t prot)
{
	return prot <= PGT_PROT_MASK && ((prot_valid_mask[fmt & 1] >> prot) & 1);
}

uint64_t pgt_encode_leaf(enum pgt_format fmt, kc_paddr_t pa, unsigned level, pgt_prot_t prot)
{
	uint64_t d = (pa & DESC_OA_MASK) | DESC_AF;

	d |= level == PGT_LEAF_LEVEL ? DESC_TYPE_PAGE : DESC_TYPE_BLOCK;
	if (!(prot & PGT_PROT_X))
		d |= DESC_XN;
	if (fmt == PGT_S1_EL2) {
		d |= S1_AP_RES1;
		if (!(prot & PGT_PROT_W))
			d |= S1_AP_RO;
		if (prot & PGT_PROT_DEVICE)
			d |= S1_ATTRIDX(S1_ATTR_DEVICE);
		else
			d |= S1_ATTRIDX(S1_ATTR_NORMAL) | DESC_SH_INNER;
	} else {
		if (prot & PGT_PROT_R)
			d |= S2_S2AP_R;
		if (prot & PGT_PROT_W)
			d |= S2_S2AP_W;
		if (prot & PGT_PROT_DEVICE)
			d |= S2_MEMATTR_DEVICE_NGNRE;
		else
			d |= S2_MEMATTR_NORMAL_WB | DESC_SH_INNER;
	}
	return d;
}

/*
 * Strict decode: true only for exactly the encodings pgt_encode_leaf
 * produces (the invariant checker relies on this to find foreign bits).
 */
bool pgt_decode_leaf(enum pgt_format fmt, uint64_t desc, unsigned level, kc_paddr_t *pa,
		     pgt_prot_t *prot)
{
	if (level > PGT_LEAF_LEVEL || !desc_is_leaf(desc, level) || !(desc & DESC_AF))
		return false;
	uint64_t oa = desc & DESC_OA_MASK;
	if (oa & (pgt_level_size(level) - 1))
		return false; /* a block's output must be aligned to its size */

	pgt_prot_t p = PGT_PROT_R;
	if (!(desc & DESC_XN))
		p |= PGT_PROT_X;
	uint64_t sh = desc & (3ull << 8);
	if (fmt == PGT_S1_EL2) {
		if (desc & ~S1_LEAF_BITS || !(desc & S1_AP_RES1))
			return false;
		if (!(desc & S1_AP_RO))
			p |= PGT_PROT_W;
		uint64_t attr = desc & S1_ATTRIDX_MASK;
		if (attr == S1_ATTRIDX(S1_ATTR_DEVICE) && sh == 0)
			p |= PGT_PROT_DEVICE;
		else if (attr != S1_ATTRIDX(S1_ATTR_NORMAL) || sh != DESC_SH_INNER)
			return false;
	} else {
		if (desc & ~S2_LEAF_BITS || !(desc & S2_S2AP_R))
			return false;
		if (desc & S2_S2AP_W)
			p |= PGT_PROT_W;
		uint64_t attr = desc & S2_MEMATTR_MASK;
		if (attr == S2_MEMATTR_DEVICE_NGNRE && sh == 0)
			p |= PGT_PROT_DEVICE;
		else if (attr != S2_MEMATTR_NORMAL_WB || sh != DESC_SH_INNER)
			return false;
	}
	if (!prot_valid(fmt, p))
		return false;
	*pa = oa;
	*prot = p;
	return true;
}

/* ---- the pool of table pages ---- */

void pgt_pool_init(struct pgt_pool *pool, kc_paddr_t base, uint64_t npages)
{
	pool->base = base;
	pool->npages = npages;
	pool->bump = 0;
	pool->free_head = 0;
	pool->nfree = 0;
}

uint64_t pgt_pool_available(const struct pgt_pool *pool)
{
	return pool->npages - pool->bump + pool->nfree;
}

bool pgt_pool_contains(const struct pgt_pool *pool, kc_paddr_t pa)
{
	return pa >= pool->base && (pa - pool->base) / PGT_PAGE_SIZE < pool->npages;
}

/* Callers have checked pgt_pool_available() first: running dry here is a bug. */
static kc_paddr_t pool_alloc(struct pgt_pool *pool)
{
	kc_paddr_t pa;

	if (pool->nfree) {
		pa = pool->free_head;
		pool->free_head = *(kc_paddr_t *)pgt_table(pa);
		pool->nfree--;
	} else if (pool->bump < pool->npages) {
		pa = pool->base + pool->bump * PGT_PAGE_SIZE;
		pool->bump++;
	} else {
		plat_panic("pgt: table pool ran dry after its reservation was checked");
	}
	memset(pgt_table(pa), 0, PGT_PAGE_SIZE);
	return pa;
}

static void pool_free(struct pgt_pool *pool, kc_paddr_t pa)
{
	if (!pgt_pool_contains(pool, pa))
		plat_panic("pgt: freeing a table page that is not from this pool");
	*(kc_paddr_t *)pgt_table(pa) = pool->free_head;
	pool->free_head = pa;
	pool->nfree++;
}

/* ---- trees ---- */

int pgt_init(struct pgt *pgt, enum pgt_format fmt, uint16_t vmid, struct pgt_pool *pool)
{
	if (fmt != PGT_S1_EL2 && fmt != PGT_S2)
		return KC_EINVAL;
	if (pgt_pool_available(pool) < 1)
		return KC_ENOMEM;
	pgt->fmt = fmt;
	pgt->vmid = vmid;
	pgt->pool = pool;
	pgt->hint_l3 = 0;
	pgt->root = pool_alloc(pool);
	return KC_OK;
}

/*
 * Where a new leaf at (va, level) would go.  Walks the existing tree without
 * changing it.  Returns KC_OK with `*missing` = the number of tables that
 * must be created (and `*slot` = the leaf's slot when none are missing), or
 * KC_EEXIST if a leaf or a table already covers part of the range.
 */
static int pgt_probe(const struct pgt *pgt, uint64_t va, unsigned level, unsigned *missing,
		     uint64_t **slot, unsigned *first_missing)
{
	kc_paddr_t table = pgt->root;
	uint64_t *l3 = level == PGT_LEAF_LEVEL ? pgt_hint(pgt, va) : NULL;

	if (l3) {
		*slot = &l3[pgt_index(va, PGT_LEAF_LEVEL)];
		if (desc_read(*slot) != 0)
			return KC_EEXIST;
		*missing = 0;
		*first_missing = level;
		return KC_OK;
	}
	for (unsigned l = PGT_START_LEVEL; l < level; l++) {
		uint64_t d = desc_read(&pgt_table(table)[pgt_index(va, l)]);
		if (desc_is_table(d, l)) {
			table = d & DESC_OA_MASK;
			if (l + 1 == PGT_LEAF_LEVEL)
				pgt_hint_set(pgt, va, table);
			continue;
		}
		if (desc_is_leaf(d, l))
			return KC_EEXIST; /* a larger block already maps va */
		*missing = level - l;
		*first_missing = l;
		*slot = &pgt_table(table)[pgt_index(va, l)];
		return KC_OK;
	}
	*slot = &pgt_table(table)[pgt_index(va, level)];
	if (desc_read(*slot) != 0)
		return KC_EEXIST; /* a leaf, or a table of finer mappings */
	*missing = 0;
	*first_missing = level;
	return KC_OK;
}

/*
 * Link the `missing` tables starting at `slot` (which sits at level
 * `first`), then write the leaf.  The pool holds enough pages.
 */
static void pgt_commit(struct pgt *pgt, uint64_t va, unsigned first, uint64_t *slot, unsigned level,
		       uint64_t leaf)
{
	for (unsigned l = first; l < level; l++) {
		kc_paddr_t next = pool_alloc(pgt->pool);
		/* The zeroed table must be visible before the link to it is. */
		plat_barrier_tables();
		desc_set(pgt, va, l, slot, next | DESC_TYPE_TABLE);
		slot = &pgt_table(next)[pgt_index(va, l + 1)];
		if (l + 1 == PGT_LEAF_LEVEL)
			pgt_hint_set(pgt, va, next);
	}
	desc_set(pgt, va, level, slot, leaf);
	/*
	 * invalid -> valid needs no TLB invalidation (a translation fault is
	 * never cached), only visibility to the walkers.
	 */
	plat_barrier_tables();
}

static bool pgt_args_valid(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level,
			   pgt_prot_t prot)
{
	if (level < 1 || level > PGT_LEAF_LEVEL)
		return false;
	uint64_t size = pgt_level_size(level);
	if ((va | pa) & (size - 1))
		return false;
	if (va >= IA_LIMIT || pa >= (1ull << PGT_OA_BITS))
		return false;
	return prot_valid(pgt->fmt, prot);
}

int pgt_map_prepare(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level,
		    pgt_prot_t prot, struct pgt_prep *prep)
{
	unsigned missing;

	if (!pgt_args_valid(pgt, va, pa, level, prot))
		return KC_EINVAL;
	int rc = pgt_probe(pgt, va, level, &missing, &prep->slot, &prep->first);
	if (rc)
		return rc;
	prep->va = va;
	prep->level = level;
	return pgt_pool_available(pgt->pool) < missing ? KC_ENOMEM : KC_OK;
}

void pgt_map_prepared(struct pgt *pgt, const struct pgt_prep *prep, kc_paddr_t pa, pgt_prot_t prot)
{
	uint64_t leaf = pgt_encode_leaf(pgt->fmt, pa, prep->level, prot);

	if (prep->first == prep->level) {
		/* The common case: every table exists, only the leaf is new. */
		desc_set(pgt, prep->va, prep->level, prep->slot, leaf);
		plat_barrier_tables();
		return;
	}
	pgt_commit(pgt, prep->va, prep->first, prep->slot, prep->level, leaf);
}

unsigned pgt_tables_needed(const struct pgt *pgt, uint64_t va, unsigned level)
{
	unsigned missing, first;
	uint64_t *slot;

	if (level < 1 || level > PGT_LEAF_LEVEL || va >= IA_LIMIT ||
	    pgt_probe(pgt, va, level, &missing, &slot, &first))
		return 0;
	return missing;
}

int pgt_map_check(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level,
		  pgt_prot_t prot)
{
	struct pgt_prep prep;

	return pgt_map_prepare(pgt, va, pa, level, prot, &prep);
}

int pgt_map(struct pgt *pgt, uint64_t va, kc_paddr_t pa, unsigned level, pgt_prot_t prot)
{
	struct pgt_prep prep;
	int rc = pgt_map_prepare(pgt, va, pa, level, prot, &prep);

	if (!rc)
		pgt_map_prepared(pgt, &prep, pa, prot);
	return rc;
}

/* The largest leaf level (1..3) for the next piece of a range. */
static unsigned range_level(uint64_t va, kc_paddr_t pa, uint64_t left)
{
	for (unsigned level = 1; level < PGT_LEAF_LEVEL; level++) {
		uint64_t size = pgt_level_size(level);
		if (!((va | pa) & (size - 1)) && left >= size)
			return level;
	}
	return PGT_LEAF_LEVEL;
}

/* Bytes from va to the end of its last-level table's region, at most `left`. */
static uint64_t leaf_run(uint64_t va, uint64_t left)
{
	uint64_t to_end = L3_REGION - (va & (L3_REGION - 1));
	return left < to_end ? left : to_end;
}

int pgt_map_range_check(const struct pgt *pgt, uint64_t va, kc_paddr_t pa, uint64_t size,
			pgt_prot_t prot)
{
	if (!size || (size & (PGT_PAGE_SIZE - 1)) || va + size < va || va + size > IA_LIMIT ||
	    pa + size < pa || pa + size > (1ull << PGT_OA_BITS))
		return KC_EINVAL;
	if (!pgt_args_valid(pgt, va, pa, PGT_LEAF_LEVEL, prot))
		return KC_EINVAL;

	/*
	 * Dry run: check every piece and count the tables it needs.  Pieces go
	 * up in address order, so a table planned for an earlier piece is
	 * recognised by its region (the va range its parent entry covers).
	 */
	uint64_t planned[PGT_LEAF_LEVEL + 1];
	for (unsigned l = 0; l <= PGT_LEAF_LEVEL; l++)
		planned[l] = ~0ull;
	uint64_t need = 0;
	for (uint64_t off = 0; off < size;) {
		unsigned level = range_level(va + off, pa + off, size - off);
		unsigned missing, first;
		uint64_t *slot;
		int rc = pgt_probe(pgt, va + off, level, &missing, &slot, &first);
		if (rc)
			return rc;
		for (unsigned l = first + 1; l <= level && missing; l++) {
			uint64_t region = (va + off) & ~(pgt_level_size(l - 1) - 1);
			if (planned[l] != region) {
				planned[l] = region;
				need++;
			}
		}
		if (level != PGT_LEAF_LEVEL) {
			off += pgt_level_size(level);
			continue;
		}
		/*
		 * A page: the rest of its last-level table's region is pages too
		 * (no block fits before the region ends).  An existing table must
		 * have all their slots empty; a table still to be made has.
		 */
		uint64_t run = leaf_run(va + off, size - off);
		for (uint64_t k = 1; !missing && k < run >> PGT_PAGE_SHIFT; k++)
			if (desc_read(&slot[k]) != 0)
				return KC_EEXIST;
		off += run;
	}
	if (pgt_pool_available(pgt->pool) < need)
		return KC_ENOMEM;
	return KC_OK;
}

int pgt_map_range(struct pgt *pgt, uint64_t va, kc_paddr_t pa, uint64_t size, pgt_prot_t prot)
{
	int rc = pgt_map_range_check(pgt, va, pa, size, prot);
	if (rc)
		return rc;

	/* Commit: each piece now finds the tables earlier pieces linked. */
	for (uint64_t off = 0; off < size;) {
		unsigned level = range_level(va + off, pa + off, size - off);
		unsigned missing, first;
		uint64_t *slot;
		if (pgt_probe(pgt, va + off, level, &missing, &slot, &first))
			plat_panic("pgt: range piece conflicts after the dry run passed");
		uint64_t leaf = pgt_encode_leaf(pgt->fmt, pa + off, level, prot);
		pgt_commit(pgt, va + off, first, slot, level, leaf);
		if (level != PGT_LEAF_LEVEL) {
			off += pgt_level_size(level);
			continue;
		}
		/* The rest of the run, into the table the first page is now in. */
		uint64_t run = leaf_run(va + off, size - off);
		uint64_t *l3 = pgt_hint(pgt, va + off);
		if (!l3)
			plat_panic("pgt: no last-level table right after mapping a page in it");
		slot = &l3[pgt_index(va + off, PGT_LEAF_LEVEL)];
		for (uint64_t k = 1; k < run >> PGT_PAGE_SHIFT; k++)
			desc_set(pgt, va + off + (k << PGT_PAGE_SHIFT), PGT_LEAF_LEVEL, &slot[k],
				 leaf + (k << PGT_PAGE_SHIFT)); /* the OA field */
		plat_barrier_tables();
		off += run;
	}
	return KC_OK;
}

/* The leaf slot mapping va, or NULL; *level gets its level. */
__attribute__((always_inline)) static inline uint64_t *
pgt_find_leaf_inline(const struct pgt *pgt, uint64_t va, unsigned *level)
{
	kc_paddr_t table = pgt->root;
	uint64_t *l3 = pgt_hint(pgt, va);

	if (va >= IA_LIMIT)
		return NULL;
	if (l3) {
		/* Its parent entry is a table: no larger leaf can map va. */
		uint64_t *slot = &l3[pgt_index(va, PGT_LEAF_LEVEL)];
		*level = PGT_LEAF_LEVEL;
		return desc_is_leaf(desc_read(slot), PGT_LEAF_LEVEL) ? slot : NULL;
	}
	for (unsigned l = PGT_START_LEVEL; l <= PGT_LEAF_LEVEL; l++) {
		uint64_t *slot = &pgt_table(table)[pgt_index(va, l)];
		uint64_t d = desc_read(slot);
		if (desc_is_leaf(d, l)) {
			*level = l;
			return slot;
		}
		if (!desc_is_table(d, l))
			return NULL;
		table = d & DESC_OA_MASK;
		if (l + 1 == PGT_LEAF_LEVEL)
			pgt_hint_set(pgt, va, table);
	}
	return NULL;
}

static uint64_t *pgt_find_leaf(const struct pgt *pgt, uint64_t va, unsigned *level)
{
	return pgt_find_leaf_inline(pgt, va, level);
}

int pgt_take_page(struct pgt *pgt, uint64_t va, kc_paddr_t *pa)
{
	unsigned level;
	uint64_t *slot = pgt_find_leaf_inline(pgt, va, &level);

	if (!slot || level != PGT_LEAF_LEVEL)
		return KC_ENOENT;
	*pa = desc_read(slot) & DESC_OA_MASK;
	/* valid -> invalid, no TLBI: the caller invalidates the tree's own TLBs. */
	desc_set(pgt, va, PGT_LEAF_LEVEL, slot, 0);
	return KC_OK;
}

int pgt_split_block(struct pgt *pgt, uint64_t va)
{
	unsigned level;
	uint64_t *slot = pgt_find_leaf(pgt, va, &level);
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (!slot || level == PGT_LEAF_LEVEL)
		return KC_ENOENT;
	if (!pgt_decode_leaf(pgt->fmt, desc_read(slot), level, &pa, &prot))
		plat_panic("pgt: a leaf kcore cannot decode");
	if (!pgt_pool_available(pgt->pool))
		return KC_ENOMEM;
	kc_paddr_t next = pool_alloc(pgt->pool);
	uint64_t *t = pgt_table(next), sub = pgt_level_size(level + 1);
	/*
	 * Every entry is the first with its output address moved on by i
	 * sub-blocks: the address field is the descriptor's bits [47:n] and
	 * the attributes are the same for all 512, so one encode does (a
	 * split is on the path of a VM's first page in a host 2 MiB block).
	 */
	uint64_t first = pgt_encode_leaf(pgt->fmt, pa, level + 1, prot);
	uint64_t base = va & ~(pgt_level_size(level) - 1);
	for (unsigned i = 0; i < PGT_ENTRIES; i++)
		desc_set(pgt, base + i * sub, level + 1, &t[i], first + i * sub);
	/*
	 * Break before make: the TLBI makes the table's entries visible to the
	 * walkers first (platform.h), drops the block, and completes before the
	 * link is written.
	 */
	desc_set(pgt, base, level, slot, 0);
	if (pgt->fmt == PGT_S1_EL2)
		plat_tlbi_el2_va(base);
	else
		plat_tlbi_s2_ipa(pgt->vmid, base);
	desc_set(pgt, base, level, slot, next | DESC_TYPE_TABLE);
	plat_barrier_tables();
	if (level + 1 == PGT_LEAF_LEVEL)
		pgt_hint_set(pgt, va, next);
	return KC_OK;
}

/* The cold half of pgt_unmap_page: split whatever block covers va down to pages. */
static __attribute__((noinline)) void pgt_split_to_pages(struct pgt *pgt, uint64_t va)
{
	unsigned level;

	while (pgt_find_leaf(pgt, va, &level) && level != PGT_LEAF_LEVEL)
		if (pgt_split_block(pgt, va) != KC_OK)
			plat_panic("pgt: no table to split a block in a tree sized for pages");
}

int pgt_unmap_page(struct pgt *pgt, uint64_t va)
{
	unsigned level;
	uint64_t *slot = pgt_find_leaf_inline(pgt, va, &level);

	if (!slot)
		return KC_ENOENT;
	if (level != PGT_LEAF_LEVEL) {
		pgt_split_to_pages(pgt, va);
		slot = pgt_find_leaf(pgt, va, &level);
	}
	desc_set(pgt, va, PGT_LEAF_LEVEL, slot, 0);
	/* valid -> invalid: the old translation may be cached; drop it. */
	if (pgt->fmt == PGT_S1_EL2)
		plat_tlbi_el2_va(va & ~(PGT_PAGE_SIZE - 1));
	else
		plat_tlbi_s2_ipa(pgt->vmid, va & ~(PGT_PAGE_SIZE - 1));
	return KC_OK;
}

int pgt_unmap(struct pgt *pgt, uint64_t va, unsigned *level_out)
{
	unsigned level;
	uint64_t *slot = pgt_find_leaf_inline(pgt, va, &level);

	if (!slot)
		return KC_ENOENT;
	desc_set(pgt, va, level, slot, 0);
	uint64_t base = va & ~(pgt_level_size(level) - 1);
	/* valid -> invalid: the old translation may be cached; drop it. */
	if (pgt->fmt == PGT_S1_EL2)
		plat_tlbi_el2_va(base);
	else
		plat_tlbi_s2_ipa(pgt->vmid, base);
	if (level_out)
		*level_out = level;
	return KC_OK;
}

static bool pgt_next_in(kc_paddr_t table, unsigned level, uint64_t base, uint64_t from,
			uint64_t *va, uint64_t *desc, unsigned *level_out, uint64_t **slot);

/*
 * Whole-table walks (the iterator, the checker) skip empty stretches 8
 * entries at a time: most of a 512-entry table is empty, and the invariant
 * checker walks every table after every operation in tests and fuzzing.
 * Plain loads, so the compiler can do the 8 at once: the walkers run with
 * the tree's lock held or at a quiescent point, never against a writer.
 */
#define PGT_CHUNK 8

static inline bool pgt_chunk_empty(const uint64_t *t, unsigned i)
{
	uint64_t any = 0;
	for (unsigned k = 0; k < PGT_CHUNK; k++)
		any |= t[i + k];
	return !any;
}

/* Clear the leaves of table `table` (at `level`, covering from `base`) inside [va, end). */
static uint64_t pgt_clear_in(const struct pgt *pgt, kc_paddr_t table, unsigned level, uint64_t base,
			     uint64_t va, uint64_t end)
{
	uint64_t *t = pgt_table(table), size = pgt_level_size(level), n = 0;
	unsigned i = va > base ? (unsigned)((va - base) / size) : 0;
	uint64_t left = (end - base - (uint64_t)i * size + size - 1) / size;
	unsigned stop = left < PGT_ENTRIES - i ? i + (unsigned)left : PGT_ENTRIES;

	if (level == PGT_LEAF_LEVEL) {
		/* The hot case (a 2 MiB run leaving the host): one pass over the pages. */
		for (; i < stop; i++) {
			uint64_t d = desc_read(&t[i]);
			if (!d)
				continue;
			if ((d & DESC_TYPE_MASK) != DESC_TYPE_PAGE)
				plat_panic("pgt: a non-page entry in a last-level table");
			desc_set(pgt, base + (uint64_t)i * size, level, &t[i], 0);
			n++;
		}
		return n;
	}
	for (; i < stop; i++) {
		uint64_t d = desc_read(&t[i]), at = base + (uint64_t)i * size;
		if (desc_is_table(d, level)) {
			n += pgt_clear_in(pgt, d & DESC_OA_MASK, level + 1, at, va, end);
		} else if (desc_is_leaf(d, level)) {
			if (at < va || at + size > end)
				plat_panic("pgt: a range unmap would split a leaf");
			desc_set(pgt, at, level, &t[i], 0);
			n++;
		}
	}
	return n;
}

uint64_t pgt_unmap_range(struct pgt *pgt, uint64_t va, uint64_t size)
{
	if (!size || ((va | size) & (PGT_PAGE_SIZE - 1)) || va + size < va || va + size > IA_LIMIT)
		plat_panic("pgt: malformed range unmap (a kcore bug, ranges are kcore's own)");
	uint64_t n = pgt_clear_in(pgt, pgt->root, PGT_START_LEVEL, 0, va, va + size);
	/* valid -> invalid: drop the old translations, once for the range. */
	if (n && pgt->fmt == PGT_S1_EL2)
		plat_tlbi_el2_all();
	else if (n)
		plat_tlbi_s2_range(pgt->vmid, va, size);
	return n;
}

bool pgt_take_next(struct pgt *pgt, uint64_t from, uint64_t *va, struct pgt_leaf *leaf)
{
	uint64_t desc;
	unsigned level;

	uint64_t *slot;

	for (;;) {
		if (!pgt->root || from >= IA_LIMIT ||
		    !pgt_next_in(pgt->root, PGT_START_LEVEL, 0, from, va, &desc, &level, &slot))
			return false;
		if (!pgt_is_mark(desc, level))
			break;
		/* A mark maps nothing: it goes with the tree, silently. */
		desc_set(pgt, *va, level, slot, 0);
		from = *va + PGT_PAGE_SIZE;
	}
	if (!pgt_decode_leaf(pgt->fmt, desc, level, &leaf->pa, &leaf->prot))
		plat_panic("pgt: a table entry kcore cannot decode");
	leaf->level = level;
	desc_set(pgt, *va, level, slot, 0);
	return true;
}

static bool pgt_may_mark(const struct pgt *pgt)
{
	return pgt->fmt == PGT_S2 && pgt->vmid != 0;
}

/* The last-level slot of va, or NULL if a leaf or an empty entry stops the walk first. */
static uint64_t *pgt_find_l3_slot(const struct pgt *pgt, uint64_t va)
{
	kc_paddr_t table = pgt->root;

	if (va >= IA_LIMIT || !table)
		return NULL;
	for (unsigned l = PGT_START_LEVEL; l < PGT_LEAF_LEVEL; l++) {
		uint64_t d = desc_read(&pgt_table(table)[pgt_index(va, l)]);
		if (!desc_is_table(d, l))
			return NULL;
		table = d & DESC_OA_MASK;
	}
	return &pgt_table(table)[pgt_index(va, PGT_LEAF_LEVEL)];
}

int pgt_mark(struct pgt *pgt, uint64_t va, uint64_t mark)
{
	unsigned missing, first;
	uint64_t *slot;

	if (!pgt_may_mark(pgt) || !pgt_is_mark(mark, PGT_LEAF_LEVEL) || va >= IA_LIMIT ||
	    (va & (PGT_PAGE_SIZE - 1)))
		return KC_EINVAL;
	int rc = pgt_probe(pgt, va, PGT_LEAF_LEVEL, &missing, &slot, &first);
	if (rc)
		return rc;
	if (pgt_pool_available(pgt->pool) < missing)
		return KC_ENOMEM;
	/* invalid -> invalid: nothing a TLB could hold changes. */
	pgt_commit(pgt, va, first, slot, PGT_LEAF_LEVEL, mark);
	return KC_OK;
}

uint64_t pgt_mark_at(const struct pgt *pgt, uint64_t va)
{
	const uint64_t *slot = pgt_find_l3_slot(pgt, va);
	uint64_t d = slot ? desc_read(slot) : 0;

	return pgt_is_mark(d, PGT_LEAF_LEVEL) ? d : 0;
}

int pgt_unmark(struct pgt *pgt, uint64_t va, uint64_t mark)
{
	uint64_t *slot = pgt_find_l3_slot(pgt, va);

	if (!slot || desc_read(slot) != mark || !pgt_is_mark(mark, PGT_LEAF_LEVEL))
		return KC_ENOENT;
	desc_set(pgt, va, PGT_LEAF_LEVEL, slot, 0);
	return KC_OK;
}

bool pgt_lookup(const struct pgt *pgt, uint64_t va, struct pgt_leaf *out)
{
	unsigned level;
	const uint64_t *slot = pgt_find_leaf(pgt, va, &level);
	kc_paddr_t base;
	pgt_prot_t prot;

	if (!slot || !pgt_decode_leaf(pgt->fmt, desc_read(slot), level, &base, &prot))
		return false;
	out->pa = base | (va & (pgt_level_size(level) - 1));
	out->level = level;
	out->prot = prot;
	return true;
}

/* pgt_next_entry below `table` (at `level`, covering from `base`). */
static bool pgt_next_in(kc_paddr_t table, unsigned level, uint64_t base, uint64_t from,
			uint64_t *va, uint64_t *desc, unsigned *level_out, uint64_t **slot)
{
	const uint64_t *t = pgt_table(table);
	uint64_t size = pgt_level_size(level);
	unsigned i = from > base ? (unsigned)((from - base) / size) : 0;

	for (; i < PGT_ENTRIES; i++) {
		if (!(i % PGT_CHUNK) && pgt_chunk_empty(t, i)) {
			i += PGT_CHUNK - 1;
			continue;
		}
		uint64_t d = desc_read(&t[i]);
		uint64_t at = base + (uint64_t)i * size;
		if (!d)
			continue;
		if (desc_is_table(d, level)) {
			if (pgt_next_in(d & DESC_OA_MASK, level + 1, at, from, va, desc, level_out,
					slot))
				return true;
			continue;
		}
		if (at + size <= from)
			continue; /* a leaf that ends below `from` */
		*va = at;
		*desc = d;
		*level_out = level;
		*slot = (uint64_t *)&t[i];
		return true;
	}
	return false;
}

static bool pgt_visit_in(kc_paddr_t table, unsigned level, uint64_t base, pgt_visit_fn fn,
			 void *ctx)
{
	const uint64_t *t = pgt_table(table);
	uint64_t size = pgt_level_size(level);

	for (unsigned i = 0; i < PGT_ENTRIES; i++) {
		if (!(i % PGT_CHUNK) && pgt_chunk_empty(t, i)) {
			i += PGT_CHUNK - 1;
			continue;
		}
		uint64_t d = desc_read(&t[i]);
		if (!d)
			continue;
		uint64_t at = base + (uint64_t)i * size;
		if (desc_is_table(d, level)
			    ? !pgt_visit_in(d & DESC_OA_MASK, level + 1, at, fn, ctx)
			    : !fn(ctx, at, d, level))
			return false;
	}
	return true;
}

bool pgt_for_each_entry(const struct pgt *pgt, pgt_visit_fn fn, void *ctx)
{
	return !pgt->root || pgt_visit_in(pgt->root, PGT_START_LEVEL, 0, fn, ctx);
}

bool pgt_next_entry(const struct pgt *pgt, uint64_t from, uint64_t *va, uint64_t *desc,
		    unsigned *level)
{
	uint64_t *slot;

	if (!pgt->root || from >= IA_LIMIT)
		return false;
	return pgt_next_in(pgt->root, PGT_START_LEVEL, 0, from, va, desc, level, &slot);
}

/* Visit every table page below `table` (at `level`), deepest first. */
static uint64_t pgt_walk_tables(struct pgt *pgt, kc_paddr_t table, unsigned level, bool free)
{
	uint64_t n = 1;

	if (level < PGT_LEAF_LEVEL) {
		const uint64_t *t = pgt_table(table);
		for (unsigned i = 0; i < PGT_ENTRIES; i++) {
			uint64_t d = desc_read(&t[i]);
			if (desc_is_table(d, level))
				n += pgt_walk_tables(pgt, d & DESC_OA_MASK, level + 1, free);
		}
	}
	if (free)
		pool_free(pgt->pool, table);
	return n;
}

static const char *pgt_check_table(const struct pgt *pgt, kc_paddr_t table, unsigned level,
				   uint64_t *n)
{
	const uint64_t *t = pgt_table(table);
	/*
	 * The bits other than the output address of the last leaf here that
	 * decoded.  Whether a leaf decodes depends only on those bits and on the
	 * address's alignment to the leaf size, so a leaf with the same bits and
	 * an aligned address decodes too: runs of pages (kcore's own map has
	 * hundreds) pass with one compare each.
	 */
	uint64_t good_attrs = ~0ull;

	if (++*n > pgt->pool->npages)
		return "more tables linked than the pool holds (a table linked twice)";
	for (unsigned i = 0; i < PGT_ENTRIES; i++) {
		if (!(i % PGT_CHUNK) && pgt_chunk_empty(t, i)) {
			i += PGT_CHUNK - 1;
			continue;
		}
		uint64_t d = desc_read(&t[i]);
		kc_paddr_t pa;
		pgt_prot_t prot;
		if (!d)
			continue;
		if (desc_is_table(d, level)) {
			kc_paddr_t next = d & DESC_OA_MASK;
			if (d != (next | DESC_TYPE_TABLE))
				return "a table descriptor has bits other than type and address";
			if (!pgt_pool_contains(pgt->pool, next))
				return "a table descriptor points outside the tree's pool";
			const char *why = pgt_check_table(pgt, next, level + 1, n);
			if (why)
				return why;
		} else if ((d & ~DESC_OA_MASK) == good_attrs &&
			   !(d & DESC_OA_MASK & (pgt_level_size(level) - 1))) {
			continue; /* as the last leaf that decoded, at another aligned address */
		} else if (pgt_is_mark(d, level)) {
			if (!pgt_may_mark(pgt))
				return "a software mark in a tree that holds none";
		} else if (!pgt_decode_leaf(pgt->fmt, d, level, &pa, &prot)) {
			return "an entry is neither a table nor a leaf kcore writes";
		} else {
			good_attrs = d & ~DESC_OA_MASK;
		}
	}
	return NULL;
}

const char *pgt_check(const struct pgt *pgt, uint64_t *tables)
{
	uint64_t n = 0;

	*tables = 0;
	if (!pgt_pool_contains(pgt->pool, pgt->root) || (pgt->root & (PGT_PAGE_SIZE - 1)))
		return "the root is not a page of the tree's pool";
	if (pgt->pool->bump > pgt->pool->npages || pgt->pool->nfree > pgt->pool->bump)
		return "the pool's counters are inconsistent";
	const char *why = pgt_check_table(pgt, pgt->root, PGT_START_LEVEL, &n);
	*tables = n;
	if (!why && n != pgt->pool->bump - pgt->pool->nfree)
		why = "the tree does not hold exactly the pool's pages in use";
	return why;
}

const char *pgt_check_entry(const struct pgt *pgt, uint64_t d, unsigned level)
{
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (!d)
		return NULL;
	if (desc_is_table(d, level)) {
		kc_paddr_t next = d & DESC_OA_MASK;
		if (d != (next | DESC_TYPE_TABLE))
			return "a table descriptor has bits other than type and address";
		if (!pgt_pool_contains(pgt->pool, next))
			return "a table descriptor points outside the tree's pool";
		return NULL;
	}
	if (pgt_is_mark(d, level))
		return pgt_may_mark(pgt) ? NULL : "a software mark in a tree that holds none";
	if (!pgt_decode_leaf(pgt->fmt, d, level, &pa, &prot))
		return "an entry is neither a table nor a leaf kcore writes";
	return NULL;
}

bool pgt_entry_at(const struct pgt *pgt, uint64_t va, unsigned level, uint64_t *desc)
{
	kc_paddr_t table = pgt->root;

	*desc = 0;
	if (!table || va >= IA_LIMIT || level > PGT_LEAF_LEVEL)
		return false;
	for (unsigned l = PGT_START_LEVEL;; l++) {
		uint64_t d = desc_read(&pgt_table(table)[pgt_index(va, l)]);
		if (l == level) {
			*desc = d;
			return true;
		}
		if (!desc_is_table(d, l) || !pgt_pool_contains(pgt->pool, d & DESC_OA_MASK))
			return false;
		table = d & DESC_OA_MASK;
	}
}

bool pgt_leaf_at(const struct pgt *pgt, uint64_t va, uint64_t *desc, unsigned *level)
{
	kc_paddr_t table = pgt->root;

	if (!table || va >= IA_LIMIT)
		return false;
	for (unsigned l = PGT_START_LEVEL; l <= PGT_LEAF_LEVEL; l++) {
		uint64_t d = desc_read(&pgt_table(table)[pgt_index(va, l)]);
		if (desc_is_leaf(d, l) || (l == PGT_LEAF_LEVEL && d)) {
			*desc = d;
			*level = l;
			return true;
		}
		if (!desc_is_table(d, l) || !pgt_pool_contains(pgt->pool, d & DESC_OA_MASK))
			return false;
		table = d & DESC_OA_MASK;
	}
	return false;
}

void pgt_destroy(struct pgt *pgt)
{
	if (pgt->root)
		pgt_walk_tables(pgt, pgt->root, PGT_START_LEVEL, true);
	pgt->root = 0;
	pgt->hint_l3 = 0; /* its tables are gone */
}

uint64_t pgt_count_tables(const struct pgt *pgt)
{
	/* Counting does not change the tree; the cast only shares the walker. */
	return pgt->root ? pgt_walk_tables((struct pgt *)pgt, pgt->root, PGT_START_LEVEL, false)
			 : 0;
}
