/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-call handlers (core/vm.c, core/vmmem.c, core/image.c, core/vcpu.c)
 * and guest-call handlers.  Core-private.
 *
 * Every handler gets the call's arguments (x1..x5, already checked against
 * the must-be-zero rule by core/hvc.c) and fills its results (x1..x3).  A
 * handler that returns an error has changed nothing: it validates, takes its
 * locks in the documented order, checks everything, and only then commits.
 */
#ifndef KCORE_VM_H
#define KCORE_VM_H

#include <kcore/abi.h>
#include <stdint.h>

#include "state.h"

typedef int (*hc_handler)(const uint64_t *args, uint64_t *res);

/* kcore is up: the host-call dispatcher takes every call from now on (core/hvc.c). */
void hc_open_calls(void);

int hc_vm_create(const uint64_t *args, uint64_t *res);
int hc_vcpu_create(const uint64_t *args, uint64_t *res);
int hc_vm_poweroff(const uint64_t *args, uint64_t *res);
int hc_vm_destroy(const uint64_t *args, uint64_t *res);
int hc_vm_set_image(const uint64_t *args, uint64_t *res);
int hc_vm_load_image_page(const uint64_t *args, uint64_t *res);
int hc_vm_verify(const uint64_t *args, uint64_t *res);
int hc_vm_map_fault(const uint64_t *args, uint64_t *res);
int hc_vm_map_io(const uint64_t *args, uint64_t *res);
int hc_vm_reclaim(const uint64_t *args, uint64_t *res);
int hc_vcpu_run(const uint64_t *args, uint64_t *res);
int hc_vcpu_inject_irq(const uint64_t *args, uint64_t *res);
/* IO domains and the SMMU (core/iodom.c). */
int hc_iodom_alloc(const uint64_t *args, uint64_t *res);
int hc_iodom_free(const uint64_t *args, uint64_t *res);
int hc_iodom_attach(const uint64_t *args, uint64_t *res);
int hc_iodom_detach(const uint64_t *args, uint64_t *res);
int hc_iodom_map(const uint64_t *args, uint64_t *res);
int hc_iodom_unmap(const uint64_t *args, uint64_t *res);
int hc_iodom_lookup(const uint64_t *args, uint64_t *res);
int hc_smmu_event(const uint64_t *args, uint64_t *res);

/* Guest calls, from a running vCPU of `vm` (vm->lock not held). */
int gc_share(struct kc_vm *vm, uint64_t gfn, uint64_t n);
int gc_unshare(struct kc_vm *vm, uint64_t gfn, uint64_t n);
int gc_mmio_guard_map(struct kc_vm *vm, uint64_t ipa);
int gc_mmio_guard_unmap(struct kc_vm *vm, uint64_t ipa);

/*
 * Lock VM `id` if its state is in `states` (a mask of 1u << enum vm_state).
 * KC_EINVAL for an id out of range, KC_ENOENT for a free id, KC_ESTATE for
 * another state; on KC_OK *out is locked.
 */
static inline int vm_lock_in(uint64_t id, unsigned states, struct kc_vm **out)
{
	struct kc_vm *vm = vm_get(id);

	if (!vm)
		return KC_EINVAL;
	lock_acquire(&vm->lock);
	if (vm->state == VM_FREE || !(states & (1u << vm->state))) {
		int rc = vm->state == VM_FREE ? KC_ENOENT : KC_ESTATE;
		lock_release(&vm->lock);
		return rc;
	}
	*out = vm;
	return KC_OK;
}
void vm_set_poweroff_locked(struct kc_vm *vm);

/*
 * Lock VM `id` for taking it apart: it must be POWEROFF and every vCPU
 * must have made its last exit (KC_EBUSY while one still runs).  Errors as
 * vm_lock_in; on KC_OK *out is locked.
 */
int vm_lock_off_idle(uint64_t id, struct kc_vm **out);

/* Largest number of pages one call maps, shares or returns (bounded work). */
#define KC_MAX_PAGES_PER_CALL 512u

#endif /* KCORE_VM_H */
