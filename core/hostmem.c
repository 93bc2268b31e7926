/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's stage 2: an identity map built lazily on host faults
 * (DESIGN.md §3).  A frame is mapped only if the frame table says the host
 * may touch it — IO space no VM holds alone (device attributes), a host
 * frame, or a VM frame the VM shared (count > 0).  Anything else is refused
 * before anything is mapped: never map first and complain later (SeKVM's W2).
 *
 * Frames leave the host through host_unmap_locked, which removes the
 * mapping and invalidates the host's TLB entry for it.
 */
#include <kcore/abi.h>

#include "hostmem.h"
#include "ioclaim.h"
#include "state.h"

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
		/* kcore's own device, or one a VM holds alone (VM_MAP_IO). */
		if (!frame_is_io(pa) || ioclaim_host_denied_locked(pa)) {
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
	if (!rc)
		rc = pgt_map(&kc.host_s2, pa, pa, PGT_LEAF_LEVEL, prot);
	if (!rc)
		kc.host_io_tables += tables;
	lock_release(&kc.frames_lock);
	/* Another CPU mapped it first: the mapping is there, retry the access. */
	return rc == KC_EEXIST ? KC_OK : rc;
}

void host_unmap_locked(kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	/* KC_ENOENT is fine: the host never touched the frame. */
	(void)pgt_unmap(&kc.host_s2, pa, NULL);
}

void host_unmap_run_locked(kc_paddr_t pa, uint64_t n)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	if (n == 1) {
		(void)pgt_unmap(&kc.host_s2, pa, NULL);
		return;
	}
	/* The host maps 4 KiB pages only: one walk and one range TLBI for all. */
	(void)pgt_unmap_range(&kc.host_s2, pa, n << PGT_PAGE_SHIFT);
}
