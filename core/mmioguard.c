/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MMIO guard (after pKVM's MMIO_GUARD_MAP/UNMAP): the guest declares,
 * page by page, where it expects devices the host emulates.  Only a
 * load/store to such a page ever shows the host a register value, and only
 * such an access can be completed by the host (MMIO_DONE); every other
 * stage-2 fault is "back it with memory or let it happen again".  A guest
 * that never guards a page gets no MMIO emulation at all: that is how a
 * guest written before the guard is treated (docs/VCPU.md).
 *
 * A guarded page is recorded in the VM's own stage 2, as a software mark
 * in its last-level slot (PGT_MARK_MMIO_GUARD: invalid to the hardware, so
 * an access still faults).  No new structure grows with the address space;
 * the mark occupies the slot, so the host cannot back a guarded page with
 * memory (VM_MAP_FAULT and VM_MAP_IO get KC_EEXIST), and the guest cannot
 * guard a page that is mapped.  Marks go with the tree at reclaim.
 */
#include <kcore/abi.h>

#include "vcpu.h"
#include "vm.h"

bool mmio_guard_covers_locked(const struct kc_vm *vm, uint64_t ipa)
{
	LOCK_ASSERT_HELD(&vm->lock);
	return pgt_mark_at(&vm->s2, ipa & ~(PGT_PAGE_SIZE - 1)) == PGT_MARK_MMIO_GUARD;
}

static bool mmio_guard_ipa_valid(uint64_t ipa)
{
	return !(ipa & (PGT_PAGE_SIZE - 1)) && ipa < (1ull << PGT_IA_BITS);
}

int gc_mmio_guard_map(struct kc_vm *vm, uint64_t ipa)
{
	if (!mmio_guard_ipa_valid(ipa))
		return KC_EINVAL;
	lock_acquire(&vm->lock);
	int rc = KC_OK;
	/* Guarding a guarded page again is no change, and no error (pKVM does the same). */
	if (!mmio_guard_covers_locked(vm, ipa))
		rc = pgt_mark(&vm->s2, ipa, PGT_MARK_MMIO_GUARD); /* KC_EEXIST over a mapping */
	lock_release(&vm->lock);
	return rc;
}

int gc_mmio_guard_unmap(struct kc_vm *vm, uint64_t ipa)
{
	if (!mmio_guard_ipa_valid(ipa))
		return KC_EINVAL;
	lock_acquire(&vm->lock);
	int rc = pgt_unmark(&vm->s2, ipa, PGT_MARK_MMIO_GUARD); /* KC_ENOENT if not guarded */
	lock_release(&vm->lock);
	return rc;
}
