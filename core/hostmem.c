/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's stage 2: an identity map built lazily on host faults
 * (DESIGN.md §3).  A frame is mapped only if the frame table says the host
 * may touch it — IO space no VM holds alone (device attributes), a host
 * frame, a VM frame the VM shared (count > 0), or a kcore device the boot
 * layout shares with the host (the console).  Anything else is refused
 * before anything is mapped: never map first and complain later (SeKVM's W2).
 *
 * The largest leaf that fits one owner: a fault on a host frame whose
 * whole 2 MiB-aligned run is the host's maps that run as one block, so a
 * host (Linux) takes one fault per 2 MiB it touches, not one per page, and
 * holds one TLB entry for it (pKVM does the same).  Anything else - a run
 * with a frame that is not the host's, a shared VM frame, IO - is mapped a
 * page at a time.
 *
 * Frames leave the host through host_unmap_locked / host_unmap_run_locked,
 * which remove the mapping and invalidate the host's TLB entry for it; a
 * block over a leaving frame is split first (pgt_unmap_page), so the rest
 * of the run stays mapped.  The split never runs out of tables: the host's
 * pool holds one last-level table per 2 MiB of RAM (core/init.c), as if
 * everything were mapped a page at a time.
 */
#include <kcore/abi.h>

#include "hostmem.h"
#include "ioclaim.h"
#include "state.h"

#define HOST_BLOCK_LEVEL 2
#define HOST_BLOCK_PAGES 512u

/* Whether the 2 MiB-aligned run around `pa` is RAM of one region, every frame the host's. */
static bool host_block_fits_locked(kc_paddr_t pa)
{
	const frame_t *f =
		frame_run_locked(pa & ~(pgt_level_size(HOST_BLOCK_LEVEL) - 1), HOST_BLOCK_PAGES);
	uint64_t owners = 0;

	if (!f)
		return false;
	/* Owner HOST is 0: one OR over the run (the DMA count may be anything). */
	for (unsigned i = 0; i < HOST_BLOCK_PAGES; i++)
		owners |= f[i] & (FRAME_OWNER_MASK << FRAME_OWNER_SHIFT);
	return !owners;
}

int kcore_host_fault(uint64_t ipa, bool write)
{
	(void)write; /* the host gets read-write-execute on what it may touch */
	if (!kc.up || ipa >= (1ull << PGT_IA_BITS))
		return KC_EPERM;
	kc_paddr_t pa = ipa & ~(PGT_PAGE_SIZE - 1);
	pgt_prot_t prot;

	lock_acquire(&kc.frames_lock);
	const frame_t *f = frame_of_locked(pa);
	if (!f) {
		/*
		 * IO no VM holds alone (VM_MAP_IO), or a kcore device the layout
		 * shares with the host (the console); every other kcore device is
		 * refused.  Either way a device: never executable.
		 */
		bool ok = frame_is_io(pa) ? !ioclaim_host_denied_locked(pa)
					  : frame_is_host_shared_device(pa);
		if (!ok) {
			lock_release(&kc.frames_lock);
			return KC_EPERM;
		}
		prot = PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE;
	} else if (frame_owner(*f) == OWNER_HOST ||
		   (frame_owner(*f) != OWNER_CORE && frame_count(*f) > 0)) {
		prot = PGT_PROT_R | PGT_PROT_W | PGT_PROT_X;
	} else {
		lock_release(&kc.frames_lock);
		return KC_EPERM;
	}
	/* Still under frames_lock, so the frame cannot change hands meanwhile. */
	int rc = KC_OK;
	unsigned tables = 0;
	if (prot & PGT_PROT_DEVICE) {
		/*
		 * IO space is all of the 48-bit space that is not RAM: a host that
		 * faults all over it must not use up the tables its RAM needs.
		 * Device tables come out of their own share of the pool.
		 */
		tables = pgt_tables_needed(&kc.host_s2, pa, PGT_LEAF_LEVEL);
		if (kc.host_io_tables + tables > KC_HOST_IO_TABLES)
			rc = KC_ENOMEM;
	}
	if (!rc) {
		rc = KC_EEXIST;
		if (!(prot & PGT_PROT_DEVICE) && frame_owner(*f) == OWNER_HOST &&
		    !pgt_hint_has_table(&kc.host_s2, pa)) {
			kc_paddr_t base = pa & ~(pgt_level_size(HOST_BLOCK_LEVEL) - 1);
			struct pgt_prep prep;
			/*
			 * The table first: EEXIST when the run already has pages (a split,
			 * or a run that was mixed), so only a first touch scans the frames.
			 */
			rc = pgt_map_prepare(&kc.host_s2, base, base, HOST_BLOCK_LEVEL, prot,
					     &prep);
			if (!rc && host_block_fits_locked(pa))
				pgt_map_prepared(&kc.host_s2, &prep, base, prot);
			else if (rc != KC_ENOMEM)
				rc = KC_EEXIST;
		}
		if (rc == KC_EEXIST)
			rc = pgt_map(&kc.host_s2, pa, pa, PGT_LEAF_LEVEL, prot);
	}
	if (!rc)
		kc.host_io_tables += tables;
	lock_release(&kc.frames_lock);
	/* Another CPU mapped it first: the mapping is there, retry the access. */
	return rc == KC_EEXIST ? KC_OK : rc;
}

/*
 * A block over `at` that sticks out of [pa, pa + size): split it, so the
 * pages outside the run stay the host's.  A block wholly inside goes whole.
 */
static void host_split_edge_locked(kc_paddr_t at, kc_paddr_t pa, uint64_t size)
{
	struct pgt_leaf leaf;

	if (!pgt_lookup(&kc.host_s2, at, &leaf) || leaf.level == PGT_LEAF_LEVEL)
		return;
	uint64_t bsize = pgt_level_size(leaf.level), base = at & ~(bsize - 1);
	if (base >= pa && base + bsize <= pa + size)
		return;
	if (pgt_split_block(&kc.host_s2, at) != KC_OK)
		plat_panic("hostmem: no table to split a host block (the pool is sized for pages)");
}

void host_unmap_locked(kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	/* KC_ENOENT is fine: the host never touched the frame. */
	(void)pgt_unmap_page(&kc.host_s2, pa);
}

/* More than one page: split the blocks that stick out, then one walk and one range TLBI. */
static __attribute__((noinline)) void host_unmap_pages_locked(kc_paddr_t pa, uint64_t n)
{
	uint64_t size = n << PGT_PAGE_SHIFT;

	host_split_edge_locked(pa, pa, size);
	host_split_edge_locked(pa + size - 1, pa, size);
	(void)pgt_unmap_range(&kc.host_s2, pa, size);
}

void host_unmap_run_locked(kc_paddr_t pa, uint64_t n)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	/* One page is the fault-in hot path: no frame to set up, a tail call. */
	if (n == 1)
		(void)pgt_unmap_page(&kc.host_s2, pa);
	else
		host_unmap_pages_locked(pa, n);
}
