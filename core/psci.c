/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's PSCI (Arm DEN0022, v1.0), answered by kcore and never by the
 * host: which vCPU runs, and from where, is the guest's word alone.
 *
 *   CPU_ON         the caller names the target (MPIDR Aff0 = vCPU index,
 *                  every other affinity field zero), its entry PC and a
 *                  context id; kcore resets the target from the template
 *                  (core/vcpu.c) with those two, marks it on, and exits
 *                  KC_EXIT_CPU_ON so the host can schedule it.  The host
 *                  can neither change the entry nor run a vCPU the guest
 *                  never started (VCPU_RUN: KC_ESTATE).
 *   CPU_OFF        the caller's registers are scrubbed and it is off until
 *                  a CPU_ON (exit KC_EXIT_CPU_OFF); it never "returns".
 *   CPU_SUSPEND    standby only: the guest waits (exit KC_EXIT_WFI) and
 *                  resumes after the call with SUCCESS.
 *   AFFINITY_INFO  level 0 only: ON or OFF as kcore records it.
 *   SYSTEM_OFF     the VM is POWEROFF (exit KC_EXIT_POWEROFF).
 *   SYSTEM_RESET   the same, flagged KC_EXIT_F_RESET: kcore does not reset
 *                  a VM in place, the host may build it again from its
 *                  signed image.
 *   VERSION        1.0;  FEATURES: SUCCESS for the calls above.
 * Any other PSCI function: NOT_SUPPORTED, without an exit.
 *
 * SMC32 ids take their arguments in W registers: the upper halves are
 * ignored, as the convention says.
 */
#include <kcore/abi.h>
#include <kcore/kcore.h>

#include "vcpu.h"
#include "vm.h"

#define PSCI_SMC64 (1u << 30)

bool kcore_psci_known(uint32_t fn)
{
	switch (fn) {
	case KC_PSCI_VERSION:
	case KC_PSCI_CPU_SUSPEND:
	case KC_PSCI_CPU_SUSPEND64:
	case KC_PSCI_CPU_OFF:
	case KC_PSCI_CPU_ON:
	case KC_PSCI_CPU_ON64:
	case KC_PSCI_AFFINITY_INFO:
	case KC_PSCI_AFFINITY_INFO64:
	case KC_PSCI_SYSTEM_OFF:
	case KC_PSCI_SYSTEM_RESET:
	case KC_PSCI_FEATURES:
		return true;
	default:
		return false;
	}
}

/* The vCPU index an MPIDR names, or -1 if it names none of this VM's. */
static int psci_target(const struct kc_vm *vm, uint64_t mpidr)
{
	/* Aff0 only: Aff1..Aff3 (bits [23:8], [39:32]) must be zero. */
	if (mpidr >= KC_MAX_VCPUS || vcpu_state(&vm->vcpus[mpidr]) == VCPU_FREE)
		return -1;
	return (int)mpidr;
}

static int64_t psci_cpu_on(struct kc_vm *vm, uint64_t mpidr, uint64_t entry, uint64_t ctx,
			   unsigned *target)
{
	int64_t ret = KC_PSCI_SUCCESS;

	if (entry & 3 || entry >= (1ull << PGT_IA_BITS))
		return KC_PSCI_INVALID_ADDRESS;
	lock_acquire(&vm->lock);
	int t = psci_target(vm, mpidr);
	if (t < 0) {
		ret = KC_PSCI_INVALID_PARAMS;
	} else if (vm->vcpus[t].power == VCPU_ON || vcpu_state(&vm->vcpus[t]) == VCPU_RUNNING) {
		/* Running means on its way out of a CPU_OFF: its registers are not ours yet. */
		ret = KC_PSCI_ALREADY_ON;
	} else {
		struct kc_vcpu *v = &vm->vcpus[t];
		vcpu_regs_reset(&v->regs, entry, ctx);
		v->pending = PENDING_NONE;
		v->power = VCPU_ON;
		*target = (unsigned)t;
	}
	lock_release(&vm->lock);
	return ret;
}

static int64_t psci_affinity_info(struct kc_vm *vm, uint64_t mpidr, uint64_t level)
{
	int64_t ret;

	if (level != 0)
		return KC_PSCI_INVALID_PARAMS;
	lock_acquire(&vm->lock);
	int t = psci_target(vm, mpidr);
	if (t < 0)
		ret = KC_PSCI_INVALID_PARAMS;
	else
		ret = vm->vcpus[t].power == VCPU_ON ? KC_PSCI_AFF_ON : KC_PSCI_AFF_OFF;
	lock_release(&vm->lock);
	return ret;
}

bool psci_handle(struct kc_vm *vm, unsigned self, uint32_t fn, uint64_t res[3])
{
	struct kc_vcpu *v = &vm->vcpus[self];
	uint64_t *x = v->regs.x;
	uint64_t mask = fn & PSCI_SMC64 ? ~0ull : 0xffffffffull;
	uint64_t a1 = x[1] & mask, a2 = x[2] & mask, a3 = x[3] & mask;
	int64_t ret;
	unsigned target = 0;

	switch (fn) {
	case KC_PSCI_VERSION:
		ret = KC_PSCI_VERSION_1_0;
		break;
	case KC_PSCI_FEATURES:
		ret = kcore_psci_known((uint32_t)a1) || (uint32_t)a1 == KC_SMCCC_VERSION
			      ? KC_PSCI_SUCCESS
			      : KC_PSCI_NOT_SUPPORTED;
		break;
	case KC_PSCI_CPU_SUSPEND:
	case KC_PSCI_CPU_SUSPEND64:
		x[0] = KC_PSCI_SUCCESS;
		res[0] = KC_EXIT_WFI;
		return false;
	case KC_PSCI_CPU_OFF:
		lock_acquire(&vm->lock);
		v->power = VCPU_OFF;
		lock_release(&vm->lock);
		/* Nothing of this life stays: CPU_ON starts it afresh. */
		vcpu_regs_reset(&v->regs, 0, 0);
		res[0] = KC_EXIT_CPU_OFF;
		return false;
	case KC_PSCI_CPU_ON:
	case KC_PSCI_CPU_ON64:
		ret = psci_cpu_on(vm, a1, a2, a3, &target);
		x[0] = (uint64_t)ret;
		if (ret != KC_PSCI_SUCCESS)
			return true;
		res[0] = KC_EXIT_CPU_ON;
		res[1] = target;
		return false;
	case KC_PSCI_AFFINITY_INFO:
	case KC_PSCI_AFFINITY_INFO64:
		ret = psci_affinity_info(vm, a1, a2);
		break;
	case KC_PSCI_SYSTEM_OFF:
	case KC_PSCI_SYSTEM_RESET:
		lock_acquire(&vm->lock);
		if (vm->state == VM_VERIFIED)
			vm_set_poweroff_locked(vm);
		lock_release(&vm->lock);
		res[0] = KC_EXIT_POWEROFF | (fn == KC_PSCI_SYSTEM_RESET ? KC_EXIT_F_RESET : 0);
		return false;
	default:
		ret = KC_PSCI_NOT_SUPPORTED;
		break;
	}
	x[0] = (uint64_t)ret;
	return true;
}
