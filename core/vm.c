/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM and vCPU lifecycle (DESIGN.md §2):
 *
 *   VM:   FREE --VM_CREATE--> CREATED --VM_VERIFY--> VERIFIED
 *         CREATED/VERIFIED --VM_POWEROFF or guest SYSTEM_OFF--> POWEROFF
 *         POWEROFF --VM_RECLAIM (until nothing remains), VM_DESTROY--> FREE
 *   vCPU: FREE --VCPU_CREATE (VM CREATED)--> READY <--VCPU_RUN--> RUNNING
 *
 * VM ids are bounded (kc_config.max_vms) and reused: VM_DESTROY frees an id
 * only when every frame went back scrubbed, and it drops every TLB entry
 * tagged with the id's VMID first, so a new VM with the same id cannot
 * reach what the old one had (SeKVM never reused ids, and ran out at 16).
 */
#include <kcore/abi.h>
#include <kcore/mem.h>
#include <stddef.h>

#include "ioclaim.h"
#include "vcpu.h"
#include "vm.h"

/* hc_vm_destroy clears everything after the lock: it must come first. */
_Static_assert(offsetof(struct kc_vm, lock) == 0, "struct kc_vm must start with its lock");

int hc_vm_create(const uint64_t *args, uint64_t *res)
{
	(void)args;
	/* The lowest free id: ids are small and reused. */
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++) {
		struct kc_vm *vm = &kc.vms[id];
		lock_acquire(&vm->lock);
		if (vm->state != VM_FREE) {
			lock_release(&vm->lock);
			continue;
		}
		/* Each id owns a fixed run of CORE frames for its tables. */
		pgt_pool_init(&vm->pool,
			      kc.vm_pools +
				      ((uint64_t)(id - 1) * kc.cfg.vm_pool_pages << PGT_PAGE_SHIFT),
			      kc.cfg.vm_pool_pages);
		if (pgt_init(&vm->s2, PGT_S2, (uint16_t)id, &vm->pool) != KC_OK)
			plat_panic("vm: an empty VM pool has no page for a root");
		/* No vCPU of it ran anywhere yet: its first on each CPU flushes there. */
		memset(vm->last_vcpu_ran, VCPU_NONE, sizeof(vm->last_vcpu_ran));
		vm->state = VM_CREATED;
		touch_vm(id);
		lock_release(&vm->lock);
		res[0] = id;
		return KC_OK;
	}
	return KC_ENOMEM;
}

int hc_vcpu_create(const uint64_t *args, uint64_t *res)
{
	struct kc_vm *vm;
	(void)res;

	if (args[1] >= KC_MAX_VCPUS)
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_CREATED, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[args[1]];
	if (vcpu_state(v) != VCPU_FREE) {
		rc = KC_EEXIST;
	} else {
		memset(v, 0, sizeof(*v));
		vcpu_regs_reset(&v->regs, 0, 0);
		v->power =
			VCPU_OFF; /* vCPU 0 starts at VM_VERIFY, the rest at the guest's CPU_ON */
		vcpu_state_set(v, VCPU_READY);
	}
	lock_release(&vm->lock);
	return rc;
}

void vm_set_poweroff_locked(struct kc_vm *vm)
{
	LOCK_ASSERT_HELD(&vm->lock);
	/* An import given up (or an export ended): its session key goes with it. */
	memset(&vm->xfer, 0, sizeof(vm->xfer));
	vm->state = VM_POWEROFF;
	vm->reclaim_cursor = 0;
	touch_vm(vm->id);
}

int hc_vm_poweroff(const uint64_t *args, uint64_t *res)
{
	struct kc_vm *vm;
	(void)res;

	/* An import that will not finish is given up here; an export must be aborted first. */
	int rc = vm_lock_in(args[0],
			    (1u << VM_CREATED) | (1u << VM_VERIFIED) | (1u << VM_IMPORTING), &vm);
	if (rc)
		return rc;
	/* A vCPU running elsewhere stops at its next exit: VCPU_RUN needs VERIFIED. */
	vm_set_poweroff_locked(vm);
	lock_release(&vm->lock);
	return KC_OK;
}

int vm_lock_off_idle(uint64_t id, struct kc_vm **out)
{
	struct kc_vm *vm;
	int rc = vm_lock_in(id, 1u << VM_POWEROFF, &vm);

	if (rc)
		return rc;
	for (unsigned i = 0; i < KC_MAX_VCPUS; i++) {
		if (vcpu_state(&vm->vcpus[i]) == VCPU_RUNNING) {
			lock_release(&vm->lock);
			return KC_EBUSY; /* not until its last exit */
		}
	}
	*out = vm;
	return KC_OK;
}

int hc_vm_destroy(const uint64_t *args, uint64_t *res)
{
	struct kc_vm *vm;
	(void)res;

	int rc = vm_lock_off_idle(args[0], &vm);
	if (rc)
		return rc;
	if (vm->nframes || iodom_vm_has_domains(vm->id)) {
		lock_release(&vm->lock);
		return KC_EBUSY; /* VM_RECLAIM first, IODOM_FREE of its domains before that */
	}
	pgt_destroy(&vm->s2);
	/*
	 * Reclaim invalidated each leaf it removed; this catches anything else
	 * tagged with the VMID (IO mappings, walk caches) before the id is reused.
	 */
	plat_tlbi_s2_vmid(vm->id);
	/* Device pages the VM still mapped go back only now that it cannot reach them. */
	lock_acquire(&kc.frames_lock);
	ioclaim_release_vm_locked(vm->id);
	lock_release(&kc.frames_lock);
	uint16_t id = vm->id;
	memset((char *)vm + sizeof(vm->lock), 0, sizeof(*vm) - sizeof(vm->lock));
	vm->id = id;
	vm->state = VM_FREE;
	touch_vm(id);
	lock_release(&vm->lock);
	return KC_OK;
}
