/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM memory: backing a recorded stage-2 fault with host frames
 * (VM_MAP_FAULT), device pages inside the VM's signed device windows
 * (VM_MAP_IO, claimed in core/ioclaim.c), the guest's SHARE/UNSHARE,
 * and giving every frame back, scrubbed, when the VM is off (VM_RECLAIM).
 *
 * Ownership moves host -> VM as: check every frame, check the VM's table
 * can take the mapping, then commit — owner change, host unmap + TLBI,
 * and only then the VM mapping — all under vm->lock and frames_lock, so
 * nothing is ever half done (SeKVM's W3/W4/W18).
 */
#include <kcore/abi.h>

#include "hostmem.h"
#include "ioclaim.h"
#include "remap.h"
#include "vm.h"

#define VM_RAM_PROT (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X)
#define VM_IO_PROT  (PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE)

/*
 * Whether the n frames at `f` may become a VM's: owned by the host, with no
 * DMA mapping.  One pass over consecutive entries (the 2 MiB hot path).
 */
static int host_frames_free_locked(const frame_t *f, uint64_t n)
{
	/* Owner HOST (0) and count 0: nothing above the gfn field is set. */
	uint64_t busy = 0;
	for (uint64_t i = 0; i < n; i++)
		busy |= f[i] >> FRAME_OWNER_SHIFT;
	if (!busy)
		return KC_OK;
	/* Some frame is not free: say which way, as for a single frame. */
	for (uint64_t i = 0; i < n; i++)
		if (frame_owner(f[i]) != OWNER_HOST)
			return KC_EPERM;
	return KC_EBUSY;
}

/* vm_is_image_range: does [ipa, ipa+size) touch a declared boot image? */
static bool vm_overlaps_image(const struct kc_vm *vm, uint64_t ipa, uint64_t size)
{
	for (unsigned i = 0; i < vm->nimages; i++) {
		const struct kc_image *im = &vm->images[i];
		uint64_t end = im->guest_base + (im->pages << PGT_PAGE_SHIFT);
		if (ipa < end && im->guest_base < ipa + size)
			return true;
	}
	return false;
}

int hc_vm_map_fault(const uint64_t *args, uint64_t *res)
{
	uint64_t vcpu_id = args[1], pfn = args[2], level = args[3];
	struct kc_vm *vm;
	(void)res;

	if (vcpu_id >= KC_MAX_VCPUS || (level != 2 && level != 3) ||
	    pfn >= (1ull << (PGT_OA_BITS - PGT_PAGE_SHIFT)))
		return KC_EINVAL;
	uint64_t n = level == 3 ? 1 : 512;
	if (pfn & (n - 1))
		return KC_EINVAL; /* a block's frames must be 2 MiB aligned (W4) */
	int rc = vm_lock_in(args[0], 1u << VM_VERIFIED, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[vcpu_id];
	enum vcpu_state st = vcpu_state(v);
	if (st == VCPU_FREE) {
		rc = KC_ENOENT;
	} else if (st == VCPU_RUNNING) {
		rc = KC_EBUSY;
	} else if (v->pending != PENDING_FAULT) {
		/* Only a translation fault kcore recorded can be backed (core/vcpu.c). */
		rc = KC_ESTATE;
	}
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	/* The IPA is kcore's record of the fault, never the host's word. */
	uint64_t ipa = v->fault_ipa & ~((n << PGT_PAGE_SHIFT) - 1);
	kc_paddr_t pa = pfn << PGT_PAGE_SHIFT;

	lock_acquire(&kc.frames_lock);
	struct pgt_prep prep;
	frame_t *f = frame_run_locked(pa, n);
	if (!f)
		rc = KC_EINVAL; /* not RAM (or a run across two RAM regions) */
	if (!rc)
		rc = host_frames_free_locked(f, n);
	/*
	 * No image check: the VM is VERIFIED, so its images are mapped, and the
	 * prepare below refuses any overlap with them (KC_EEXIST).
	 */
	if (!rc)
		rc = pgt_map_prepare(&vm->s2, ipa, pa, (unsigned)level, VM_RAM_PROT, &prep);
	if (!rc) {
		/* Owner first, then the host loses it (TLBI), then the VM gets it. */
		frame_t first = frame_make(vm->id, 0, ipa >> PGT_PAGE_SHIFT);
		for (uint64_t i = 0; i < n; i++)
			frame_set(
				&f[i],
				first + i); /* the gfn is the low field: no carry in a 2 MiB run */
		host_unmap_run_locked(pa, n);
		/* Nothing the host left in a cache may reach the VM (ARCHITECTURE.md). */
		plat_dcache_clean_inval_poc(plat_phys_to_virt(pa), n << PGT_PAGE_SHIFT);
		pgt_map_prepared(&vm->s2, &prep, pa, VM_RAM_PROT);
		vm->nframes += n;
		v->pending = PENDING_NONE;
	}
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return rc;
}

/*
 * VM_MAP_IO: device pages into a VM, claimed for it (core/ioclaim.h).  A
 * CREATED VM's manifest is not known yet: its runs are exclusive, and
 * VM_VERIFY refuses it if one lies outside its device windows.  A VERIFIED
 * VM's layout is known: the range must lie inside one window, and is
 * shared if that window is SHARED.
 */
int hc_vm_map_io(const uint64_t *args, uint64_t *res)
{
	uint64_t gpa = args[1], pa = args[2], npages = args[3];
	struct kc_vm *vm;
	(void)res;

	if (npages < 1 || npages > KC_MAX_PAGES_PER_CALL || ((gpa | pa) & (PGT_PAGE_SIZE - 1)) ||
	    gpa >= (1ull << PGT_IA_BITS) || pa >= (1ull << PGT_OA_BITS))
		return KC_EINVAL;
	uint64_t size = npages << PGT_PAGE_SHIFT;
	/* The whole range, not only its start, is inside 48 bits: else it is malformed. */
	if (size > (1ull << PGT_IA_BITS) - gpa || size > (1ull << PGT_OA_BITS) - pa)
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], (1u << VM_CREATED) | (1u << VM_VERIFIED), &vm);
	if (rc)
		return rc;
	/* frame_is_io reads only the boot-time layout: no frame lock needed. */
	for (uint64_t i = 0; i < npages && !rc; i++)
		if (!frame_is_io(pa + (i << PGT_PAGE_SHIFT)))
			rc = KC_EPERM; /* RAM, or kcore's own device */
	if (!rc && vm_overlaps_image(vm, gpa, size))
		rc = KC_EEXIST;
	bool shared = false;
	if (!rc && vm->state == VM_VERIFIED) {
		const struct kc_manifest_range *w = manifest_window_of(&vm->layout, gpa, size);
		if (!w)
			rc = KC_EPERM; /* not where the signed layout has a device (v1: nowhere) */
		else
			shared = (w->flags & KC_MANIFEST_WIN_SHARED) != 0;
	}
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	/* smmu_lock, so that no host IO domain maps the pages meanwhile (core/iodom.c). */
	lock_acquire(&kc.smmu_lock);
	lock_acquire(&kc.frames_lock);
	rc = pgt_map_range_check(&vm->s2, gpa, pa, size, VM_IO_PROT);
	if (!rc)
		rc = ioclaim_check_locked(vm->id, pa, npages, shared);
	if (!rc && !shared)
		rc = iodom_io_busy_locked(pa, npages);
	if (!rc) {
		/* The claim first (an exclusive page leaves the host, TLBI), then the VM's map. */
		ioclaim_add_locked(vm->id, pa, gpa, npages, shared);
		if (pgt_map_range(&vm->s2, gpa, pa, size, VM_IO_PROT) != KC_OK)
			plat_panic("vmmem: a device range failed to map after its check");
	}
	lock_release(&kc.frames_lock);
	lock_release(&kc.smmu_lock);
	lock_release(&vm->lock);
	return rc;
}

/*
 * Find the frame behind guest frame `gfn` of `vm`: KC_OK and *pa, or
 * KC_ENOENT if the VM has nothing there or only a device.
 */
static int vm_gfn_frame_locked(struct kc_vm *vm, uint64_t gfn, kc_paddr_t *pa)
{
	struct pgt_leaf leaf;

	if (gfn >= (1ull << (PGT_IA_BITS - PGT_PAGE_SHIFT)) ||
	    !pgt_lookup(&vm->s2, gfn << PGT_PAGE_SHIFT, &leaf) || (leaf.prot & PGT_PROT_DEVICE))
		return KC_ENOENT;
	*pa = leaf.pa;
	return KC_OK;
}

/* SHARE and UNSHARE: check all n frames, then change all of them. */
static int gc_share_common(struct kc_vm *vm, uint64_t gfn, uint64_t n, bool share)
{
	int rc = KC_OK;

	if (n < 1 || n > KC_MAX_PAGES_PER_CALL || gfn + n < gfn)
		return KC_EINVAL;
	lock_acquire(&vm->lock);
	lock_acquire(&kc.frames_lock);
	for (uint64_t i = 0; i < n && !rc; i++) {
		kc_paddr_t pa;
		rc = vm_gfn_frame_locked(vm, gfn + i, &pa);
		if (rc)
			break;
		const frame_t *f = frame_of_locked(pa);
		if (!f || frame_owner(*f) != vm->id)
			plat_panic("vmmem: a VM leaf maps a frame the VM does not own");
		if (share && frame_count(*f) == FRAME_COUNT_MAX)
			rc = KC_EBUSY;
		if (!share && frame_count(*f) == 0)
			rc = KC_EPERM; /* not shared */
	}
	if (!rc) {
		for (uint64_t i = 0; i < n; i++) {
			kc_paddr_t pa = 0;
			if (vm_gfn_frame_locked(vm, gfn + i, &pa) != KC_OK)
				plat_panic("vmmem: a frame checked under the lock went away");
			frame_t *f = frame_of_locked(pa);
			unsigned count = frame_count(*f) + (share ? 1 : -1u);
			frame_set(f, frame_make(vm->id, count, frame_gfn(*f)));
			if (!count) {
				host_unmap_locked(pa); /* the host loses it again */
				/* ... and no line it dirtied may be written back over the VM's data. */
				plat_dcache_clean_inval_poc(plat_phys_to_virt(pa), PGT_PAGE_SIZE);
			}
		}
	}
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return rc;
}

int gc_share(struct kc_vm *vm, uint64_t gfn, uint64_t n)
{
	return gc_share_common(vm, gfn, n, true);
}

int gc_unshare(struct kc_vm *vm, uint64_t gfn, uint64_t n)
{
	return gc_share_common(vm, gfn, n, false);
}

/*
 * Give the n frames from `pa` (one RAM region) back to the host: scrubbed
 * first, then the host's.  A run is scrubbed in one go.
 */
static void vm_frames_return_locked(struct kc_vm *vm, kc_paddr_t pa, uint64_t n)
{
	frame_t *f = frame_run_locked(pa, n);

	if (!f)
		plat_panic("vmmem: reclaiming a run that is not RAM of one region");
	for (uint64_t i = 0; i < n; i++) {
		if (frame_owner(f[i]) != vm->id)
			plat_panic("vmmem: reclaiming a frame the VM does not own");
		/*
		 * Shared with the host (the VM was powered off before it
		 * unshared): the host loses it for the scrub, as UNSHARE would
		 * take it, so it neither reads it half scrubbed nor writes into
		 * it under the memset (which would come back not scrubbed); it
		 * faults it in again once it is its own.  test_stress under TSan
		 * saw a host load on another CPU race the memset.
		 */
		if (frame_count(f[i]))
			host_unmap_locked(pa + (i << PGT_PAGE_SHIFT));
	}
	frame_scrub(pa, n);
	for (uint64_t i = 0; i < n; i++)
		frame_set(&f[i], frame_make(OWNER_HOST, 0, 0));
	vm->nframes -= n;
}

/* Frames waiting to go back, merged while they are physically consecutive. */
struct reclaim_run {
	kc_paddr_t pa;
	uint64_t n;
};

static void reclaim_add_locked(struct kc_vm *vm, struct reclaim_run *run, kc_paddr_t pa, uint64_t n)
{
	/* Consecutive frames of one region merge: one memset and one cache clean per run. */
	if (run->n && pa == run->pa + (run->n << PGT_PAGE_SHIFT) &&
	    frame_run_locked(run->pa, run->n + n)) {
		run->n += n;
		return;
	}
	if (run->n)
		vm_frames_return_locked(vm, run->pa, run->n);
	run->pa = pa;
	run->n = n;
}

int hc_vm_reclaim(const uint64_t *args, uint64_t *res)
{
	uint64_t max = args[1], done = 0;
	struct kc_vm *vm;

	if (max < 1)
		return KC_EINVAL;
	int rc = vm_lock_off_idle(args[0], &vm);
	if (rc)
		return rc;
	if (iodom_vm_has_domains(vm->id)) {
		/* A device may still reach its frames: IODOM_FREE of its domains first. */
		lock_release(&vm->lock);
		return KC_EBUSY;
	}
	lock_acquire(&kc.frames_lock);
	struct reclaim_run run = { 0, 0 };
	/* Image frames never mapped into the VM: found through the window. */
	for (unsigned i = 0; i < vm->nimages && !vm->images_mapped && done < max; i++) {
		struct kc_image *im = &vm->images[i];
		for (; im->reclaimed < im->loaded && done < max; im->reclaimed++, done++)
			reclaim_add_locked(
				vm, &run,
				remap_lookup(im->window_va + (im->reclaimed << PGT_PAGE_SHIFT)), 1);
	}
	/*
	 * Everything the VM's stage 2 maps, in IPA order from the cursor.  A
	 * 2 MiB block goes back whole, so one call may return up to max + 511;
	 * a device leaf counts as one unit of work.  Leaves are removed without
	 * a TLBI each: the VM is off and none of its vCPUs runs, so no CPU can
	 * use a stale entry of its VMID, and one VMID-wide invalidation below
	 * drops them all before the call returns.
	 */
	uint64_t va;
	struct pgt_leaf leaf;
	bool removed = false;
	while (done < max && pgt_take_next(&vm->s2, vm->reclaim_cursor, &va, &leaf)) {
		uint64_t n = pgt_level_size(leaf.level) >> PGT_PAGE_SHIFT;
		removed = true;
		if (leaf.prot & PGT_PROT_DEVICE) {
			/*
			 * No frame to return, but work all the same; the device pages
			 * go back to the host (or other VMs) only after the TLBI below,
			 * since both need frames_lock to take them.
			 */
			ioclaim_release_leaf_locked(vm->id, va, leaf.pa,
						    pgt_level_size(leaf.level));
			done++;
		} else {
			reclaim_add_locked(vm, &run, leaf.pa, n);
			done += n;
		}
		vm->reclaim_cursor = va + pgt_level_size(leaf.level);
	}
	if (run.n)
		vm_frames_return_locked(vm, run.pa, run.n);
	if (removed)
		plat_tlbi_s2_vmid(vm->id);
	res[0] = vm->nframes;
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return KC_OK;
}
