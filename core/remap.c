/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The write-once remap window (SeKVM's WriteOnceKernelMapping, DESIGN.md
 * §2): boot-image frames are mapped here in kcore's own EL2 map, read-only,
 * for hashing.  Window pages are handed out by a bump pointer and never
 * reused, and a slot is written once: so the window's table pages grow with
 * every image page ever loaded (one L3 table per 512 pages, i.e. 1/512 of
 * image bytes, plus an L2 per GiB), bounded by kc_config.remap_pages, which
 * kcore_init reserves in the core pool.  Recycling the window needs an
 * all-CPU quiescent epoch and a full EL2 TLB flush: a later step.
 *
 * kc.remap_sum adds up remap_slot_hash(va, pa) over every slot written, so
 * the invariant checker can tell if any slot was ever changed or removed.
 */
#include <kcore/abi.h>

#include "remap.h"
#include "state.h"

uint64_t remap_slot_hash(uint64_t va, kc_paddr_t pa)
{
	/* splitmix64 finaliser over (va, pa): any change moves the sum. */
	uint64_t z = va * 0x9e3779b97f4a7c15ull ^ pa;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int remap_reserve_locked(uint64_t pages, uint64_t *va)
{
	LOCK_ASSERT_HELD(&kc.core_lock);
	if (pages > kc.cfg.remap_pages - kc.remap_next)
		return KC_ENOMEM;
	*va = KC_REMAP_BASE + (kc.remap_next << PGT_PAGE_SHIFT);
	kc.remap_next += pages;
	return KC_OK;
}

int remap_check_locked(uint64_t va, kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.core_lock);
	return pgt_map_check(&kc.coremap, va, pa, PGT_LEAF_LEVEL, PGT_PROT_R);
}

void remap_map_locked(uint64_t va, kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.core_lock);
	if (va < KC_REMAP_BASE || va >= KC_REMAP_BASE + (kc.remap_next << PGT_PAGE_SHIFT))
		plat_panic("remap: slot outside the handed-out window");
	if (pgt_map(&kc.coremap, va, pa, PGT_LEAF_LEVEL, PGT_PROT_R) != KC_OK)
		plat_panic("remap: a checked window slot could not be written");
	kc.remap_filled++;
	kc.remap_sum += remap_slot_hash(va, pa);
}

kc_paddr_t remap_lookup(uint64_t va)
{
	struct pgt_leaf leaf;

	/* Under core_lock: a walk also updates the tree's walk hint. */
	lock_acquire(&kc.core_lock);
	bool found = pgt_lookup(&kc.coremap, va, &leaf);
	lock_release(&kc.core_lock);
	if (!found)
		plat_panic("remap: an image slot that was loaded is not mapped");
	return leaf.pa;
}

const void *remap_page(uint64_t va)
{
	/*
	 * Read through kcore's own map, as EL2 does with its MMU on: the bytes
	 * hashed are those of the frame the window maps, which is the frame
	 * VM_VERIFY will map into the VM.
	 */
	return plat_phys_to_virt(remap_lookup(va & ~(PGT_PAGE_SIZE - 1)));
}
