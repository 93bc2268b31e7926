/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM memory: backing a recorded stage-2 fault with host frames
 * (VM_MAP_FAULT), device frames (VM_MAP_IO), the guest's SHARE/UNSHARE,
 * and giving every frame back, scrubbed, when the VM is off (VM_RECLAIM).
 *
 * Ownership moves host -> VM as: check every frame, check the VM's table
 * can take the mapping, then commit — owner change, host unmap + TLBI,
 * and only then the VM mapping — all under vm->lock, frames_lock and
 * host_lock, so nothing is ever half done (SeKVM's W3/W4/W18).
 */
#include <kcore/abi.h>

#include "hostmem.h"
#include "remap.h"
#include "vm.h"

#define VM_RAM_PROT (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X)
#define VM_IO_PROT  (PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE)

/* A host frame that may become a VM's: owned by the host, no DMA mapping. */
static int host_frame_free_locked(kc_paddr_t pa)
{
	const frame_t *f = frame_of_locked(pa);

	if (!f)
		return KC_EINVAL; /* not RAM */
	if (frame_owner(*f) != OWNER_HOST)
		return KC_EPERM;
	return frame_count(*f) ? KC_EBUSY : KC_OK;
}

/* DFSC/IFSC "translation fault": the only fault that a new mapping fixes. */
static bool esr_is_translation_fault(uint64_t esr)
{
	return ((esr & 0x3f) >> 2) == 0x1;
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
	if (v->state == VCPU_FREE) {
		rc = KC_ENOENT;
	} else if (v->state == VCPU_RUNNING) {
		rc = KC_EBUSY;
	} else if (v->pending != PENDING_FAULT || !esr_is_translation_fault(v->fault_esr)) {
		rc = KC_ESTATE; /* only a fault kcore recorded can be backed */
	}
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	/* The IPA is kcore's record of the fault, never the host's word. */
	uint64_t ipa = v->fault_ipa & ~((n << PGT_PAGE_SHIFT) - 1);
	kc_paddr_t pa = pfn << PGT_PAGE_SHIFT;

	lock_acquire(&kc.frames_lock);
	lock_acquire(&kc.host_lock);
	for (uint64_t i = 0; i < n && !rc; i++)
		rc = host_frame_free_locked(pa + (i << PGT_PAGE_SHIFT));
	if (!rc && vm_overlaps_image(vm, ipa, n << PGT_PAGE_SHIFT))
		rc = KC_EEXIST;
	if (!rc)
		rc = pgt_map_check(&vm->s2, ipa, pa, (unsigned)level, VM_RAM_PROT);
	if (!rc) {
		for (uint64_t i = 0; i < n; i++) {
			kc_paddr_t p = pa + (i << PGT_PAGE_SHIFT);
			*frame_of_locked(p) = frame_make(vm->id, 0, (ipa >> PGT_PAGE_SHIFT) + i);
			host_unmap_locked(p);
		}
		if (pgt_map(&vm->s2, ipa, pa, (unsigned)level, VM_RAM_PROT) != KC_OK)
			plat_panic("vmmem: a checked VM mapping failed");
		vm->nframes += n;
		v->pending = PENDING_NONE;
	}
	lock_release(&kc.host_lock);
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return rc;
}

int hc_vm_map_io(const uint64_t *args, uint64_t *res)
{
	uint64_t gpa = args[1], pa = args[2], npages = args[3];
	struct kc_vm *vm;
	(void)res;

	if (npages < 1 || npages > KC_MAX_PAGES_PER_CALL || ((gpa | pa) & (PGT_PAGE_SIZE - 1)) ||
	    gpa >= (1ull << PGT_IA_BITS) || pa >= (1ull << PGT_OA_BITS))
		return KC_EINVAL;
	uint64_t size = npages << PGT_PAGE_SHIFT;
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	/* frame_is_io reads only the boot-time layout: no frame lock needed. */
	for (uint64_t i = 0; i < npages && !rc; i++)
		if (!frame_is_io(pa + (i << PGT_PAGE_SHIFT)))
			rc = KC_EPERM; /* RAM, or kcore's own device */
	if (!rc && vm_overlaps_image(vm, gpa, size))
		rc = KC_EEXIST;
	if (!rc)
		rc = pgt_map_range(&vm->s2, gpa, pa, size, VM_IO_PROT); /* all or nothing */
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
		lock_acquire(&kc.host_lock);
		for (uint64_t i = 0; i < n; i++) {
			kc_paddr_t pa = 0;
			if (vm_gfn_frame_locked(vm, gfn + i, &pa) != KC_OK)
				plat_panic("vmmem: a frame checked under the lock went away");
			frame_t *f = frame_of_locked(pa);
			unsigned count = frame_count(*f) + (share ? 1 : -1u);
			*f = frame_make(vm->id, count, frame_gfn(*f));
			if (!count)
				host_unmap_locked(pa); /* the host loses it again */
		}
		lock_release(&kc.host_lock);
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

/* Return one VM frame to the host, scrubbed. */
static void vm_frame_return_locked(struct kc_vm *vm, kc_paddr_t pa)
{
	frame_t *f = frame_of_locked(pa);

	if (!f || frame_owner(*f) != vm->id)
		plat_panic("vmmem: reclaiming a frame the VM does not own");
	frame_scrub(pa);
	*f = frame_make(OWNER_HOST, 0, 0);
	vm->nframes--;
}

int hc_vm_reclaim(const uint64_t *args, uint64_t *res)
{
	uint64_t max = args[1], done = 0;
	struct kc_vm *vm;

	if (max < 1)
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_POWEROFF, &vm);
	if (rc)
		return rc;
	for (unsigned i = 0; i < KC_MAX_VCPUS; i++) {
		if (vm->vcpus[i].state == VCPU_RUNNING) {
			lock_release(&vm->lock);
			return KC_EBUSY; /* not until its last exit */
		}
	}
	lock_acquire(&kc.frames_lock);
	lock_acquire(&kc.host_lock);
	/* Image frames never mapped into the VM: found through the window. */
	for (unsigned i = 0; i < vm->nimages && !vm->images_mapped && done < max; i++) {
		struct kc_image *im = &vm->images[i];
		for (; im->reclaimed < im->loaded && done < max; im->reclaimed++, done++)
			vm_frame_return_locked(vm, remap_lookup(im->window_va +
								(im->reclaimed << PGT_PAGE_SHIFT)));
	}
	/*
	 * Everything the VM's stage 2 maps, in IPA order from the cursor.  A
	 * 2 MiB block goes back whole, so one call may return up to max + 511;
	 * a device leaf counts as one unit of work.
	 */
	uint64_t va, desc;
	unsigned level;
	while (done < max && pgt_next_entry(&vm->s2, vm->reclaim_cursor, &va, &desc, &level)) {
		struct pgt_leaf leaf;
		if (!pgt_lookup(&vm->s2, va, &leaf))
			plat_panic("vmmem: a VM table entry kcore cannot decode");
		uint64_t n = pgt_level_size(leaf.level) >> PGT_PAGE_SHIFT;
		if (pgt_unmap(&vm->s2, va, NULL) != KC_OK)
			plat_panic("vmmem: a leaf found by the walk cannot be removed");
		if (leaf.prot & PGT_PROT_DEVICE) {
			done++; /* no frame to return, but work all the same */
		} else {
			for (uint64_t i = 0; i < n; i++)
				vm_frame_return_locked(vm, leaf.pa + (i << PGT_PAGE_SHIFT));
			done += n;
		}
		vm->reclaim_cursor = va + pgt_level_size(leaf.level);
	}
	res[0] = vm->nframes;
	lock_release(&kc.host_lock);
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return KC_OK;
}
