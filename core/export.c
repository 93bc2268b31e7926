/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted export of a paused VM (docs/EXPORT.md): the exporting half.
 *
 *   VERIFIED (no vCPU running) --EXPORT_BEGIN--> EXPORTING
 *   EXPORTING --EXPORT_PAGE / EXPORT_VCPU--> EXPORTING (one record each)
 *   EXPORTING --EXPORT_END--> POWEROFF (the session may be imported once)
 *   EXPORTING --EXPORT_ABORT--> VERIFIED (the session is gone for good)
 *
 * Only a paused VM is exported: a running vCPU would change pages and
 * registers under the export, so the stream would be no state the VM was
 * ever in.  A POWEROFF VM is not exported either: its guest may have
 * called SYSTEM_OFF, which never returns, and VM_RECLAIM may already be
 * scrubbing it.  While EXPORTING, every call that could change the VM
 * (VCPU_RUN, VM_MAP_FAULT, VM_MAP_IO, VCPU_INJECT_IRQ, VM_POWEROFF) sees a
 * state it does not accept (KC_ESTATE), so the VM holds still.
 *
 * Pages leave in increasing gfn order, chosen by kcore (the host names only
 * the frame that carries the record): every RAM page and MMIO-guard mark
 * of the VM goes exactly once, and EXPORT_END refuses while one is left.
 * A source VM that ended its export is POWEROFF: it never runs again, so an
 * export is a move, and the one import of its session (core/import.c) is
 * the only way it goes on.
 *
 * Plaintext never touches a host frame: it is copied into a buffer on
 * kcore's stack, sealed there, and only the ciphertext is written out,
 * under frames_lock with the frame checked to be the host's.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "vm.h"
#include "xfer.h"

/* The vCPUs VM_CREATE..VCPU_CREATE made, as a mask. */
static uint32_t vm_vcpu_mask_locked(const struct kc_vm *vm)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < KC_MAX_VCPUS; i++)
		if (vcpu_state(&vm->vcpus[i]) != VCPU_FREE)
			m |= 1u << i;
	return m;
}

int hc_export_begin(const uint64_t *args, uint64_t *res)
{
	struct kc_vm *vm;
	uint8_t salt[XFER_SALT_LEN];

	int rc = vm_lock_in(args[0], 1u << VM_VERIFIED, &vm);
	if (rc)
		return rc;
	for (unsigned i = 0; i < KC_MAX_VCPUS && !rc; i++)
		if (vcpu_state(&vm->vcpus[i]) == VCPU_RUNNING)
			rc = KC_EBUSY; /* not paused: wait for its exit */
	/* A device of its own could write its memory under the export (docs/SMMU.md). */
	if (!rc && iodom_vm_has_domains(vm->id))
		rc = KC_EBUSY;
	if (!rc && !plat_entropy(salt, sizeof(salt)))
		rc = KC_EBUSY; /* no fresh salt now: try again */
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	lock_acquire(&kc.core_lock);
	uint32_t sid = kc.xfer_next_sid;
	if (sid)
		kc.xfer_next_sid = sid + 1; /* wraps to 0 once every id was used */
	lock_release(&kc.core_lock);
	if (!sid) {
		lock_release(&vm->lock);
		return KC_ENOMEM; /* 2^32 - 1 sessions since boot: ids are never reused */
	}
	struct kc_xfer *x = &vm->xfer;
	memset(x, 0, sizeof(*x));
	x->sid = sid;
	memcpy(x->salt, salt, sizeof(salt));
	xfer_key_derive(sid, salt, x->key);
	x->counter = 1;
	vm->state = VM_EXPORTING;
	touch_vm(vm->id);
	res[0] = sid;
	for (unsigned i = 0; i < 8; i++) {
		res[1] |= (uint64_t)salt[i] << (8 * i);
		res[2] |= (uint64_t)salt[8 + i] << (8 * i);
	}
	lock_release(&vm->lock);
	return KC_OK;
}

/*
 * The next thing to export at or above the cursor: a RAM page (*kind
 * PAGE, its frame in *pa) or an MMIO-guard mark (GUARD).  Device leaves are
 * not exported (the importer maps its own devices).  KC_ENOENT when none
 * is left.  vm->lock held.
 */
static int export_next_locked(const struct kc_vm *vm, uint64_t *gfn, kc_paddr_t *pa, uint32_t *kind)
{
	uint64_t from = vm->xfer.next_gfn << PGT_PAGE_SHIFT, va, desc;
	unsigned level;

	LOCK_ASSERT_HELD(&vm->lock);
	while (pgt_next_entry(&vm->s2, from, &va, &desc, &level)) {
		uint64_t at = va > from ? va : from; /* inside a 2 MiB block: the page at `from` */
		pgt_prot_t prot;
		kc_paddr_t leaf_pa;
		if (pgt_is_mark(desc, level)) {
			*kind = KC_XREC_GUARD;
			*gfn = at >> PGT_PAGE_SHIFT;
			return KC_OK;
		}
		if (!pgt_decode_leaf(PGT_S2, desc, level, &leaf_pa, &prot))
			plat_panic("export: a VM's stage 2 holds an entry that is no leaf");
		if (!(prot & PGT_PROT_DEVICE)) {
			*kind = KC_XREC_PAGE;
			*gfn = at >> PGT_PAGE_SHIFT;
			*pa = leaf_pa + (at - va);
			return KC_OK;
		}
		from = va + pgt_level_size(level);
	}
	return KC_ENOENT;
}

/*
 * Write a sealed record's `len` bytes into host frame `pfn` if it is still
 * the host's with count 0 (another CPU may have given it away since it was
 * first checked).  Takes frames_lock.
 */
static int export_write_frame(uint64_t pfn, const void *buf, uint64_t len)
{
	kc_paddr_t pa;

	lock_acquire(&kc.frames_lock);
	int rc = xfer_host_frame_locked(pfn, &pa);
	if (!rc)
		memcpy(plat_phys_to_virt(pa), buf, len);
	lock_release(&kc.frames_lock);
	return rc;
}

/* Results of a record: x1 meta, x2 and x3 the tag. */
static void export_results(uint64_t meta, const uint8_t tag[CRYPTO_AEAD_TAG_LEN], uint64_t *res)
{
	res[0] = meta;
	xfer_tag_to_words(tag, &res[1], &res[2]);
}

int hc_export_page(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1], gfn = 0;
	uint8_t buf[PGT_PAGE_SIZE] __attribute__((aligned(16)));
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	kc_paddr_t pa = 0, host_pa;
	uint32_t kind = 0;
	unsigned count = 0;
	struct kc_vm *vm;

	int rc = vm_lock_in(args[0], 1u << VM_EXPORTING, &vm);
	if (rc)
		return rc;
	rc = export_next_locked(vm, &gfn, &pa, &kind);
	lock_acquire(&kc.frames_lock);
	if (!rc)
		rc = xfer_host_frame_locked(pfn, &host_pa);
	if (!rc && kind == KC_XREC_PAGE) {
		const frame_t *f = frame_of_locked(pa);
		if (!f || frame_owner(*f) != vm->id)
			plat_panic("export: a VM leaf maps a frame the VM does not own");
		count = frame_count(*f); /* shared with the host: it stays so after import */
	}
	lock_release(&kc.frames_lock);
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	uint64_t meta = KC_XREC_META(kind, count, gfn), len = xfer_payload_len(kind);
	if (len)
		memcpy(buf, plat_phys_to_virt(pa), len);
	xfer_seal(&vm->xfer, meta, buf, len, tag);
	rc = export_write_frame(pfn, buf, len);
	if (!rc) {
		vm->xfer.counter++;
		vm->xfer.next_gfn = gfn + 1;
		if (kind == KC_XREC_PAGE)
			vm->xfer.pages++;
		else
			vm->xfer.guards++;
		export_results(meta, tag, res);
	}
	/*
	 * On success buf holds exactly what the host frame now holds: nothing
	 * to scrub.  A failed write means this ciphertext was never seen, so no
	 * nonce was spent: it must not survive even on kcore's stack (a shared
	 * page may differ by the retry, under the same nonce).
	 */
	if (rc)
		xfer_scrub(buf, len);
	lock_release(&vm->lock);
	return rc;
}

int hc_export_vcpu(const uint64_t *args, uint64_t *res)
{
	uint64_t idx = args[1], pfn = args[2];
	struct xfer_vcpu rec;
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	kc_paddr_t host_pa;
	struct kc_vm *vm;

	if (idx >= KC_MAX_VCPUS)
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_EXPORTING, &vm);
	if (rc)
		return rc;
	const struct kc_vcpu *v = &vm->vcpus[idx];
	if (vcpu_state(v) == VCPU_FREE)
		rc = KC_ENOENT;
	else if (vm->xfer.vcpus & (1u << idx))
		rc = KC_EEXIST; /* each vCPU once */
	if (!rc) {
		lock_acquire(&kc.frames_lock);
		rc = xfer_host_frame_locked(pfn, &host_pa);
		lock_release(&kc.frames_lock);
	}
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	memset(&rec, 0, sizeof(rec));
	rec.power = v->power;
	rec.pending = v->pending;
	rec.fault_ipa = v->fault_ipa;
	rec.fault_esr = v->fault_esr;
	rec.regs = v->regs;
	uint64_t meta = KC_XREC_META(KC_XREC_VCPU, 0, idx);
	xfer_seal(&vm->xfer, meta, &rec, sizeof(rec), tag);
	rc = export_write_frame(pfn, &rec, sizeof(rec));
	if (!rc) {
		vm->xfer.counter++;
		vm->xfer.vcpus |= 1u << idx;
		export_results(meta, tag, res);
	}
	xfer_scrub(&rec, sizeof(rec));
	lock_release(&vm->lock);
	return rc;
}

/* The session is over: its key goes, and the VM is `state` again. */
static void export_close_locked(struct kc_vm *vm, enum vm_state state)
{
	xfer_scrub(&vm->xfer, sizeof(vm->xfer));
	if (state == VM_POWEROFF)
		vm_set_poweroff_locked(vm);
	else
		vm->state = state;
	touch_vm(vm->id);
}

int hc_export_end(const uint64_t *args, uint64_t *res)
{
	uint64_t pfn = args[1], gfn;
	struct xfer_end rec;
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	kc_paddr_t pa, host_pa;
	uint32_t kind;
	struct kc_vm *vm;

	int rc = vm_lock_in(args[0], 1u << VM_EXPORTING, &vm);
	if (rc)
		return rc;
	/* Everything went, each once: no page is left above the cursor, every vCPU is out. */
	if (export_next_locked(vm, &gfn, &pa, &kind) != KC_ENOENT ||
	    vm->xfer.vcpus != vm_vcpu_mask_locked(vm)) {
		lock_release(&vm->lock);
		return KC_ESTATE;
	}
	memset(&rec, 0, sizeof(rec));
	rec.pages = vm->xfer.pages;
	rec.guards = vm->xfer.guards;
	rec.vcpus = vm->xfer.vcpus;
	rec.records = vm->xfer.counter;
	rec.layout = vm->layout;
	uint64_t meta = KC_XREC_META(KC_XREC_END, 0, 0);
	xfer_seal(&vm->xfer, meta, &rec, sizeof(rec), tag);

	lock_acquire(&kc.frames_lock);
	rc = xfer_host_frame_locked(pfn, &host_pa);
	struct kc_xfer_ready *slot = NULL;
	lock_acquire(&kc.core_lock);
	for (unsigned i = 0; i < KC_XFER_READY && !slot; i++)
		if (!kc.xfer_ready[i].sid)
			slot = &kc.xfer_ready[i];
	if (!rc && !slot)
		rc = KC_ENOMEM; /* import some first */
	if (!rc) {
		memcpy(plat_phys_to_virt(host_pa), &rec, sizeof(rec));
		slot->sid = vm->xfer.sid;
		memcpy(slot->salt, vm->xfer.salt, sizeof(slot->salt));
	}
	lock_release(&kc.core_lock);
	lock_release(&kc.frames_lock);
	xfer_scrub(&rec, sizeof(rec));
	if (!rc) {
		export_results(meta, tag, res);
		export_close_locked(vm, VM_POWEROFF);
	}
	lock_release(&vm->lock);
	return rc;
}

int hc_export_abort(const uint64_t *args, uint64_t *res)
{
	uint8_t tag[CRYPTO_AEAD_TAG_LEN], none[1] = { 0 };
	struct kc_vm *vm;

	int rc = vm_lock_in(args[0], 1u << VM_EXPORTING, &vm);
	if (rc)
		return rc;
	/*
	 * The abort token: the next counter under the session key, so it
	 * proves the stream stopped there.  The session is never registered
	 * for import, and its key is gone: nothing of it can be imported.
	 */
	uint64_t meta = KC_XREC_META(KC_XREC_ABORT, 0, vm->xfer.counter & ((1ull << 36) - 1));
	xfer_seal(&vm->xfer, meta, none, 0, tag);
	export_results(meta, tag, res);
	export_close_locked(vm, VM_VERIFIED);
	lock_release(&vm->lock);
	return KC_OK;
}
