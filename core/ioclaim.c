/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device-page claims (core/ioclaim.h): which VM holds which device pages,
 * so that a page mapped through a window that is not SHARED is never in
 * two VMs, and never in the host's reach while a VM holds it.
 *
 * The table is small and bounded (KC_IOCLAIMS_MAX runs, one per VM_MAP_IO),
 * and only VM_MAP_IO, VM_VERIFY, VM_RECLAIM, VM_DESTROY and the host's
 * faults on device space look at it, so a linear scan does.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "hostmem.h"
#include "ioclaim.h"
#include "state.h"

struct ioclaim_table ioclaims;

void ioclaim_reset(void)
{
	memset(&ioclaims, 0, sizeof(ioclaims));
}

static uint64_t ioclaim_bytes(const struct ioclaim *c)
{
	return (uint64_t)c->npages << PGT_PAGE_SHIFT;
}

/* Device addresses are below 2^48 (checked by the callers): no sum wraps. */
static bool ioclaim_overlaps(const struct ioclaim *c, kc_paddr_t pa, uint64_t size)
{
	return pa < c->pa + ioclaim_bytes(c) && c->pa < pa + size;
}

int ioclaim_check_locked(uint16_t vmid, kc_paddr_t pa, uint64_t npages, bool shared)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < ioclaims.n; i++) {
		const struct ioclaim *c = &ioclaims.runs[i];
		if (c->vmid != vmid && (!shared || !c->shared) &&
		    ioclaim_overlaps(c, pa, npages << PGT_PAGE_SHIFT))
			return KC_EPERM; /* another VM's device, or ours to keep */
	}
	return ioclaims.n < KC_IOCLAIMS_MAX ? KC_OK : KC_ENOMEM;
}

void ioclaim_add_locked(uint16_t vmid, kc_paddr_t pa, uint64_t gpa, uint64_t npages, bool shared)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	if (ioclaims.n >= KC_IOCLAIMS_MAX)
		plat_panic("ioclaim: adding a run to a full table after the check");
	/* The host loses an exclusive page before any VM can reach it. */
	if (!shared)
		host_unmap_run_locked(pa, npages);
	touch_vm(vmid);
	ioclaims.runs[ioclaims.n++] = (struct ioclaim){
		.pa = pa, .gpa = gpa, .npages = (uint32_t)npages, .vmid = vmid, .shared = shared
	};
}

bool ioclaim_host_denied_locked(kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < ioclaims.n; i++)
		if (!ioclaims.runs[i].shared && ioclaim_overlaps(&ioclaims.runs[i], pa, 1))
			return true;
	return false;
}

int ioclaim_verify_locked(uint16_t vmid, const struct kc_manifest_layout *l, const char **why)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < ioclaims.n; i++) {
		const struct ioclaim *c = &ioclaims.runs[i];
		if (c->vmid != vmid)
			continue;
		if (manifest_overlaps_ram(l, c->gpa, ioclaim_bytes(c))) {
			*why = "an IO mapping lies over a RAM range of the manifest";
			return KC_EPERM;
		}
		if (!manifest_window_of(l, c->gpa, ioclaim_bytes(c))) {
			*why = l->nwin ? "an IO mapping lies outside every device window"
				       : "an IO mapping, but the manifest declares no device window";
			return KC_EPERM;
		}
	}
	return KC_OK;
}

void ioclaim_apply_layout_locked(uint16_t vmid, const struct kc_manifest_layout *l)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < ioclaims.n; i++) {
		struct ioclaim *c = &ioclaims.runs[i];
		if (c->vmid != vmid)
			continue;
		const struct kc_manifest_range *w = manifest_window_of(l, c->gpa, ioclaim_bytes(c));
		if (!w)
			plat_panic("ioclaim: a run outside the windows VM_VERIFY checked");
		touch_vm(vmid);
		/* Exclusive overlapped nothing, so it may become shared; never the reverse. */
		c->shared = (w->flags & KC_MANIFEST_WIN_SHARED) != 0;
	}
}

/* Drop run i: the last one takes its place. */
static void ioclaim_remove(unsigned i)
{
	ioclaims.runs[i] = ioclaims.runs[--ioclaims.n];
	memset(&ioclaims.runs[ioclaims.n], 0, sizeof(ioclaims.runs[0]));
}

void ioclaim_release_leaf_locked(uint16_t vmid, uint64_t gpa, kc_paddr_t pa, uint64_t size)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	/*
	 * Reclaim takes leaves in IPA order, and a run's leaves map consecutive
	 * IPAs from its gpa, so the leaf is always a run's front.
	 */
	for (unsigned i = 0; i < ioclaims.n; i++) {
		struct ioclaim *c = &ioclaims.runs[i];
		if (c->vmid != vmid || c->gpa != gpa)
			continue;
		if (c->pa != pa || size > ioclaim_bytes(c))
			plat_panic("ioclaim: a device leaf differs from the run that claims it");
		touch_vm(vmid);
		c->pa += size;
		c->gpa += size;
		c->npages -= (uint32_t)(size >> PGT_PAGE_SHIFT);
		if (!c->npages)
			ioclaim_remove(i);
		return;
	}
	plat_panic("ioclaim: a device leaf without a claim");
}

void ioclaim_release_vm_locked(uint16_t vmid)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < ioclaims.n;) {
		if (ioclaims.runs[i].vmid == vmid) {
			touch_vm(vmid);
			ioclaim_remove(i); /* the last run moved here: look at i again */
		} else {
			i++;
		}
	}
}
