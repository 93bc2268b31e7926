/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted import of an exported VM (docs/EXPORT.md): the importing half.
 *
 *   CREATED (empty: vCPUs only) --IMPORT_BEGIN--> IMPORTING
 *   IMPORTING --IMPORT_PAGE / IMPORT_VCPU--> IMPORTING (one record each)
 *   IMPORTING --IMPORT_END (the end token checks)--> VERIFIED (runnable)
 *   IMPORTING --VM_POWEROFF--> POWEROFF (the host gives up; reclaim as usual)
 *
 * Records come in the order they were made: the counter each one is
 * opened with is the importer's own (1, 2, ...), so a record replayed,
 * reordered, dropped, swapped or from another session fails its tag
 * (KC_EAUTH) and changes nothing.  The end record's counter is the last:
 * it opens only after every record before it arrived, once, in order, so
 * an IMPORTING VM becomes runnable exactly when the whole stream is in.
 *
 * The host's frame is read into a buffer on kcore's stack under
 * frames_lock and opened there, never in place while the host can still
 * write it.  A page record's frame then becomes the VM's (host unmapped
 * and invalidated first), and the plaintext is written into it and
 * cleaned to the point of coherency, as VM_MAP_FAULT does for a host frame.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "hostmem.h"
#include "vm.h"
#include "xfer.h"

#define VM_RAM_PROT (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X)

int hc_import_begin(const uint64_t *args, uint64_t *res)
{
	uint64_t sid = args[1], va, desc;
	uint8_t salt[XFER_SALT_LEN];
	unsigned level;
	struct kc_vm *vm;
	(void)res;

	if (!sid || sid > 0xffffffffull)
		return KC_EINVAL;
	for (unsigned i = 0; i < 8; i++) {
		salt[i] = (uint8_t)(args[2] >> (8 * i));
		salt[8 + i] = (uint8_t)(args[3] >> (8 * i));
	}
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	bool vcpus = false;
	for (unsigned i = 0; i < KC_MAX_VCPUS; i++)
		vcpus |= vcpu_state(&vm->vcpus[i]) != VCPU_FREE;
	/* A new VM: vCPUs made, nothing else (no image, no frame, no device, no mark). */
	if (!vcpus || vm->nimages || vm->nframes ||
	    pgt_next_entry(&vm->s2, 0, &va, &desc, &level)) {
		lock_release(&vm->lock);
		return KC_ESTATE;
	}
	lock_acquire(&kc.core_lock);
	struct kc_xfer_ready *slot = NULL;
	for (unsigned i = 0; i < KC_XFER_READY && !slot; i++)
		if (kc.xfer_ready[i].sid == sid)
			slot = &kc.xfer_ready[i];
	if (!slot)
		rc = KC_ENOENT; /* never ended here, aborted, or imported already */
	else if (!crypto_equal(slot->salt, salt, sizeof(salt)))
		rc = KC_EAUTH;
	else
		memset(slot, 0, sizeof(*slot)); /* one import per session: no clone, no rollback */
	lock_release(&kc.core_lock);
	if (!rc) {
		struct kc_xfer *x = &vm->xfer;
		memset(x, 0, sizeof(*x));
		x->sid = (uint32_t)sid;
		memcpy(x->salt, salt, sizeof(salt));
		xfer_key_derive(x->sid, salt, x->key);
		x->counter = 1;
		vm->state = VM_IMPORTING;
		touch_vm(vm->id);
	}
	lock_release(&vm->lock);
	return rc;
}

/*
 * Copy `len` bytes of host frame `pfn` into buf, if it is the host's with
 * count 0; *pa its address.  Takes frames_lock.
 */
static int import_read_frame(uint64_t pfn, void *buf, uint64_t len, kc_paddr_t *pa)
{
	lock_acquire(&kc.frames_lock);
	int rc = xfer_host_frame_locked(pfn, pa);
	if (!rc)
		memcpy(buf, plat_phys_to_virt(*pa), len);
	lock_release(&kc.frames_lock);
	return rc;
}

/* The meta word is well formed for `kind`: else KC_EINVAL. */
static int import_meta_valid(uint64_t meta, uint32_t kind)
{
	if ((meta & KC_XREC_MBZ) || KC_XREC_KIND(meta) != kind)
		return KC_EINVAL;
	if (kind != KC_XREC_PAGE && KC_XREC_COUNT(meta))
		return KC_EINVAL; /* only a page has a share count */
	if (kind == KC_XREC_VCPU && KC_XREC_INDEX(meta) >= KC_MAX_VCPUS)
		return KC_EINVAL;
	if (kind == KC_XREC_END && KC_XREC_INDEX(meta))
		return KC_EINVAL;
	return KC_OK;
}

int hc_import_page(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1], meta = args[2];
	uint8_t buf[PGT_PAGE_SIZE] __attribute__((aligned(16)));
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	struct pgt_prep prep;
	kc_paddr_t pa;
	struct kc_vm *vm;
	(void)res;

	uint32_t kind = KC_XREC_KIND(meta);
	int rc = import_meta_valid(meta, kind == KC_XREC_GUARD ? KC_XREC_GUARD : KC_XREC_PAGE);
	if (rc)
		return rc;
	uint64_t gfn = KC_XREC_INDEX(meta), ipa = gfn << PGT_PAGE_SHIFT,
		 len = xfer_payload_len(kind);
	if (ipa >= (1ull << PGT_IA_BITS))
		return KC_EINVAL;
	xfer_tag_from_words(args[3], args[4], tag);
	rc = vm_lock_in(args[0], 1u << VM_IMPORTING, &vm);
	if (rc)
		return rc;
	if (gfn < vm->xfer.next_gfn)
		rc = KC_EAUTH; /* kcore's streams never go back: a replay or a reordering */
	if (!rc)
		rc = import_read_frame(pfn, buf, len, &pa);
	/* The VM's table can take it (no lock but the VM's: only its own calls change it). */
	if (!rc && kind == KC_XREC_PAGE)
		rc = pgt_map_prepare(&vm->s2, ipa, pa, PGT_LEAF_LEVEL, VM_RAM_PROT, &prep);
	if (!rc && !xfer_open(&vm->xfer, meta, buf, len, tag))
		rc = KC_EAUTH;
	if (!rc && kind == KC_XREC_GUARD) {
		rc = pgt_mark(&vm->s2, ipa, PGT_MARK_MMIO_GUARD); /* all or nothing */
	} else if (!rc) {
		lock_acquire(&kc.frames_lock);
		/* Still the host's?  Another CPU may have given it away since the copy. */
		rc = xfer_host_frame_locked(pfn, &pa);
		if (!rc) {
			frame_t *f = frame_of_locked(pa);
			/* Owner first, then the host loses it (TLBI), then the data, then the VM. */
			frame_set(f, frame_make(vm->id, KC_XREC_COUNT(meta), gfn));
			/*
			 * The host's mapping goes; a page the guest had shared
			 * (count > 0) the host may fault back in, as before.
			 */
			host_unmap_locked(pa);
			memcpy(plat_phys_to_virt(pa), buf, len);
			plat_dcache_clean_inval_poc(plat_phys_to_virt(pa), PGT_PAGE_SIZE);
			pgt_map_prepared(&vm->s2, &prep, pa, VM_RAM_PROT);
			vm->nframes++;
		}
		lock_release(&kc.frames_lock);
	}
	if (!rc) {
		vm->xfer.counter++;
		vm->xfer.next_gfn = gfn + 1;
		if (kind == KC_XREC_PAGE)
			vm->xfer.pages++;
		else
			vm->xfer.guards++;
	}
	xfer_scrub(buf, len);
	lock_release(&vm->lock);
	return rc;
}

int hc_import_vcpu(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1], meta = args[2];
	struct xfer_vcpu rec;
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	kc_paddr_t pa;
	struct kc_vm *vm;
	(void)res;

	int rc = import_meta_valid(meta, KC_XREC_VCPU);
	if (rc)
		return rc;
	unsigned idx = (unsigned)KC_XREC_INDEX(meta);
	xfer_tag_from_words(args[3], args[4], tag);
	rc = vm_lock_in(args[0], 1u << VM_IMPORTING, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[idx];
	if (vcpu_state(v) == VCPU_FREE)
		rc = KC_ENOENT; /* the importer makes the same vCPUs before IMPORT_BEGIN */
	else if (vm->xfer.vcpus & (1u << idx))
		rc = KC_EEXIST;
	if (!rc)
		rc = import_read_frame(pfn, &rec, sizeof(rec), &pa);
	if (!rc && !xfer_open(&vm->xfer, meta, &rec, sizeof(rec), tag))
		rc = KC_EAUTH;
	/* kcore sealed it, so it is one of kcore's states; checked all the same. */
	if (!rc && (rec.power > VCPU_ON || rec.pending > PENDING_CALL))
		rc = KC_EINVAL;
	if (!rc) {
		v->power = (enum vcpu_power)rec.power;
		v->pending = (enum vcpu_pending)rec.pending;
		v->fault_ipa = rec.fault_ipa;
		v->fault_esr = rec.fault_esr;
		v->regs = rec.regs;
		vm->xfer.counter++;
		vm->xfer.vcpus |= 1u << idx;
	}
	xfer_scrub(&rec, sizeof(rec));
	lock_release(&vm->lock);
	return rc;
}

int hc_import_end(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1], meta = args[2];
	struct xfer_end rec;
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	kc_paddr_t pa;
	struct kc_vm *vm;
	(void)res;

	int rc = import_meta_valid(meta, KC_XREC_END);
	if (rc)
		return rc;
	xfer_tag_from_words(args[3], args[4], tag);
	rc = vm_lock_in(args[0], 1u << VM_IMPORTING, &vm);
	if (rc)
		return rc;
	rc = import_read_frame(pfn, &rec, sizeof(rec), &pa);
	/* Opens only as the stream's last record: every one before it came, in order. */
	if (!rc && !xfer_open(&vm->xfer, meta, &rec, sizeof(rec), tag))
		rc = KC_EAUTH;
	uint32_t made = 0;
	for (unsigned i = 0; i < KC_MAX_VCPUS; i++)
		if (vcpu_state(&vm->vcpus[i]) != VCPU_FREE)
			made |= 1u << i;
	/* The counts say the same (they must, if kcore sealed it); the vCPUs match the source's. */
	if (!rc && (rec.records != vm->xfer.counter || rec.pages != vm->xfer.pages ||
		    rec.guards != vm->xfer.guards || rec.vcpus != vm->xfer.vcpus))
		rc = KC_EAUTH;
	if (!rc && made != vm->xfer.vcpus)
		rc = KC_ESTATE; /* a vCPU the source did not have: power the VM off */
	if (!rc) {
		vm->layout = rec.layout;
		vm->images_mapped = true; /* what was mapped came as pages */
		xfer_scrub(&vm->xfer, sizeof(vm->xfer));
		vm->state = VM_VERIFIED;
		touch_vm(vm->id);
	}
	xfer_scrub(&rec, sizeof(rec));
	lock_release(&vm->lock);
	return rc;
}
