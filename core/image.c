/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signed boot (DESIGN.md §2, docs/MANIFEST.md):
 *
 *   VM_SET_IMAGE        declare a slot (guest base, size) and reserve its
 *                       pages in the write-once remap window;
 *   VM_LOAD_IMAGE_PAGE  take a host frame as the slot's next page: the host
 *                       loses it, kcore maps it read-only in the window;
 *   VM_VERIFY           copy the manifest page in, check its signature with
 *                       the trusted keys, check every image against it by
 *                       hashing the window — exactly the frames that will
 *                       be mapped — and every device page mapped so far
 *                       against its device windows, and only then map the
 *                       images into the VM, keep its signed layout and set
 *                       vCPU 0's first PC to the manifest's entry.
 *
 * A failed VM_VERIFY changes nothing: the VM stays CREATED, unverified.
 */
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/manifest.h>
#include <kcore/mem.h>
#include <kcore/printf.h>

#include "hostmem.h"
#include "ioclaim.h"
#include "remap.h"
#include "vcpu.h"
#include "vm.h"

#define VM_RAM_PROT (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X)

int hc_vm_set_image(const uint64_t *args, uint64_t *res)
{
	uint64_t base = args[1], size = args[2];
	struct kc_vm *vm;

	if (!size || ((base | size) & (PGT_PAGE_SIZE - 1)) || base + size < base ||
	    base + size > (1ull << PGT_IA_BITS))
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	if (vm->nimages == KC_MANIFEST_MAX_IMAGES)
		rc = KC_ENOMEM;
	for (unsigned i = 0; i < vm->nimages && !rc; i++) {
		const struct kc_image *im = &vm->images[i];
		if (base < im->guest_base + (im->pages << PGT_PAGE_SHIFT) &&
		    im->guest_base < base + size)
			rc = KC_EEXIST;
	}
	uint64_t va, desc;
	unsigned level;
	/* Not over a device mapping (VM_MAP_IO) either. */
	if (!rc && pgt_next_entry(&vm->s2, base, &va, &desc, &level) && va < base + size)
		rc = KC_EEXIST;
	if (!rc) {
		lock_acquire(&kc.core_lock);
		rc = remap_reserve_locked(size >> PGT_PAGE_SHIFT, &va);
		lock_release(&kc.core_lock);
	}
	if (!rc) {
		struct kc_image *im = &vm->images[vm->nimages];
		im->guest_base = base;
		im->pages = size >> PGT_PAGE_SHIFT;
		im->loaded = 0;
		im->reclaimed = 0;
		im->window_va = va;
		res[0] = vm->nimages++;
		touch_vm(vm->id);
	}
	lock_release(&vm->lock);
	return rc;
}

int hc_vm_load_image_page(const uint64_t *args, uint64_t *res)
{
	uint64_t index = args[1], pfn = args[2];
	struct kc_vm *vm;
	(void)res;

	if (index >= KC_MANIFEST_MAX_IMAGES || pfn >= (1ull << (PGT_OA_BITS - PGT_PAGE_SHIFT)))
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	struct kc_image *im = &vm->images[index];
	if (index >= vm->nimages) {
		lock_release(&vm->lock);
		return KC_ENOENT;
	}
	if (im->loaded == im->pages) {
		lock_release(&vm->lock);
		return KC_ESTATE; /* the image is complete */
	}
	kc_paddr_t pa = pfn << PGT_PAGE_SHIFT;
	uint64_t slot = im->window_va + (im->loaded << PGT_PAGE_SHIFT);

	lock_acquire(&kc.frames_lock);
	lock_acquire(&kc.core_lock);
	const frame_t *f = frame_of_locked(pa);
	if (!f)
		rc = KC_EINVAL;
	else if (frame_owner(*f) != OWNER_HOST)
		rc = KC_EPERM;
	else if (frame_count(*f))
		rc = KC_EBUSY; /* a device may still write it */
	if (!rc)
		rc = remap_check_locked(slot, pa);
	if (!rc) {
		frame_set(frame_of_locked(pa),
			  frame_make(vm->id, 0, (im->guest_base >> PGT_PAGE_SHIFT) + im->loaded));
		host_unmap_locked(pa);
		/* No dirty line of the host's may differ from what is hashed (ARCHITECTURE.md). */
		plat_dcache_clean_inval_poc(plat_phys_to_virt(pa), PGT_PAGE_SIZE);
		remap_map_locked(slot, pa);
		im->loaded++;
		vm->nframes++;
	}
	lock_release(&kc.core_lock);
	lock_release(&kc.frames_lock);
	lock_release(&vm->lock);
	return rc;
}

/* Tables VM_VERIFY may need to map image `im` page by page (an upper bound). */
static uint64_t image_tables_bound(const struct kc_image *im)
{
	uint64_t end = im->guest_base + (im->pages << PGT_PAGE_SHIFT);
	uint64_t l3 = ((end - 1) >> 21) - (im->guest_base >> 21) + 1;
	uint64_t l2 = ((end - 1) >> 30) - (im->guest_base >> 30) + 1;
	uint64_t l1 = ((end - 1) >> 39) - (im->guest_base >> 39) + 1;
	return l1 + l2 + l3;
}

/* Hash image `im` as the window maps it. */
static void image_hash(const struct kc_image *im, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 ctx;

	crypto_sha256_init(&ctx);
	for (uint64_t p = 0; p < im->pages; p++)
		crypto_sha256_update(&ctx, remap_page(im->window_va + (p << PGT_PAGE_SHIFT)),
				     PGT_PAGE_SIZE);
	crypto_sha256_final(&ctx, out);
}

/* Everything VM_VERIFY checks before it changes anything. */
static int verify_check_locked(struct kc_vm *vm, const struct kc_manifest *m, const char **why)
{
	if (m->nimages != vm->nimages) {
		*why = "the manifest lists another number of images than were declared";
		return KC_EINVAL;
	}
	uint64_t tables = 0;
	for (unsigned i = 0; i < m->nimages; i++) {
		const struct kc_image *im = &vm->images[i];
		if (m->images[i].guest_base != im->guest_base ||
		    m->images[i].size != im->pages << PGT_PAGE_SHIFT) {
			*why = "an image's base or size differs from the declared slot";
			return KC_EINVAL;
		}
		tables += image_tables_bound(im);
	}
	for (unsigned i = 0; i < m->nimages; i++) {
		uint8_t digest[CRYPTO_SHA256_LEN];
		image_hash(&vm->images[i], digest);
		if (!crypto_equal(digest, m->images[i].sha256, sizeof(digest))) {
			*why = "an image's SHA-256 differs from what was loaded";
			return KC_EAUTH;
		}
	}
	if (pgt_pool_available(&vm->pool) < tables) {
		*why = "the VM's table pool cannot map the images";
		return KC_ENOMEM;
	}
	return KC_OK;
}

int hc_vm_verify(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1];
	struct kc_vm *vm;
	struct kc_manifest m;
	uint8_t copy[PGT_PAGE_SIZE];
	(void)res;

	if (pfn >= (1ull << (PGT_OA_BITS - PGT_PAGE_SHIFT)))
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	if (vcpu_state(&vm->vcpus[0]) != VCPU_READY || !vm->nimages)
		rc = KC_ESTATE; /* vCPU 0 takes the entry PC; there must be an image */
	for (unsigned i = 0; i < vm->nimages && !rc; i++)
		if (vm->images[i].loaded != vm->images[i].pages)
			rc = KC_ESTATE;
	if (!rc) {
		/* Copy first: the host may go on writing its page while we parse. */
		lock_acquire(&kc.frames_lock);
		const frame_t *f = frame_of_locked(pfn << PGT_PAGE_SHIFT);
		if (!f)
			rc = KC_EINVAL;
		else if (frame_owner(*f) != OWNER_HOST)
			rc = KC_EPERM;
		else
			memcpy(copy, plat_phys_to_virt(pfn << PGT_PAGE_SHIFT), sizeof(copy));
		lock_release(&kc.frames_lock);
	}
	const char *why = NULL;
	/*
	 * No signature is checked before the ECDSA known-answer test passed
	 * (deferred from boot on arm64: crypto.h).  A failure is kcore's own
	 * crypto broken, not anything the host did: fail-stop.
	 */
	if (!rc && !crypto_p256_kat_once())
		plat_panic("crypto: the ECDSA P-256 known-answer test failed");
	if (!rc)
		rc = manifest_parse(copy, sizeof(copy), kc.cfg.trusted_keys, kc.cfg.ntrusted_keys,
				    &m, &why);
	if (!rc)
		rc = verify_check_locked(vm, &m, &why);
	if (!rc) {
		/*
		 * Device pages mapped before the layout was known must lie inside
		 * its windows, over no RAM range (a v1 manifest has no window).
		 * The VM's claims change only under vm->lock, which is held.
		 */
		lock_acquire(&kc.frames_lock);
		rc = ioclaim_verify_locked(vm->id, &m.layout, &why);
		if (!rc)
			ioclaim_apply_layout_locked(vm->id, &m.layout);
		lock_release(&kc.frames_lock);
	}
	/* The operator's clear error; the host only ever sees the status. */
	if (rc && why)
		kc_printf("kcore: VM %u not verified: %s (%s)\n", vm->id, why, kcore_err_name(rc));
	if (!rc) {
		/* The image pages were cleaned when loaded; no stale instruction may remain. */
		plat_icache_inval_all();
		for (unsigned i = 0; i < vm->nimages; i++) {
			const struct kc_image *im = &vm->images[i];
			for (uint64_t p = 0; p < im->pages; p++) {
				uint64_t off = p << PGT_PAGE_SHIFT;
				if (pgt_map(&vm->s2, im->guest_base + off,
					    remap_lookup(im->window_va + off), PGT_LEAF_LEVEL,
					    VM_RAM_PROT) != KC_OK)
					plat_panic(
						"image: mapping a verified image failed after the checks");
			}
		}
		vm->images_mapped = true;
		vm->layout = m.layout;
		vcpu_regs_reset(&vm->vcpus[0].regs, m.entry_pc, 0);
		vm->vcpus[0].power = VCPU_ON; /* only at the signed entry */
		vm->state = VM_VERIFIED;
		touch_vm(vm->id);
	}
	lock_release(&vm->lock);
	return rc;
}
