/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vCPU boundary (docs/VCPU.md): what runs inside VCPU_RUN between the
 * guest trapping and kcore deciding whether the host needs to know.
 * Core-private.
 *
 *   core/vcpu.c      VCPU_RUN, exits, completing an exit, the reset template
 *   core/gcall.c     guest calls: SMCCC decoding, kcore's own, forwarding
 *   core/psci.c      the guest's PSCI, answered by kcore
 *   core/mmioguard.c the pages a guest lets the host emulate
 *   core/sysreg.c    trapped system register accesses
 *
 * Every handler here runs on the CPU that runs vCPU `self` (state
 * RUNNING, so its registers are this CPU's to touch) with vm->lock NOT
 * held; a handler that reads or changes anything else of the VM takes it.
 */
#ifndef KCORE_VCPU_H
#define KCORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h"
#include "trap.h"

/*
 * Set `r` to the state a vCPU starts in (EL1h, interrupts masked, MMU and
 * caches off, every other register zero), at `pc` with x0 = `x0`.  The one
 * place a vCPU's registers are (re)initialised: nothing of an earlier life
 * of the vCPU, another vCPU or the host survives it.
 */
void vcpu_regs_reset(struct kc_vcpu_regs *r, uint64_t pc, uint64_t x0);

/*
 * A guest `hvc #imm` from vCPU `self`: returns true if kcore answered it
 * (x0.. set, the guest goes on), false if the run ends with `res` (x1..x3
 * of VCPU_RUN) filled.
 */
bool gcall_handle(struct kc_vm *vm, unsigned self, uint16_t imm, uint64_t res[3]);

/* A PSCI call `fn` (already known to be in PSCI's range): as gcall_handle. */
bool psci_handle(struct kc_vm *vm, unsigned self, uint32_t fn, uint64_t res[3]);

/* Whether the page of `ipa` is one the guest guarded.  vm->lock held. */
bool mmio_guard_covers_locked(const struct kc_vm *vm, uint64_t ipa);

/* A trapped MRS/MSR of vCPU `v`: emulated in kcore, never an exit. */
void sysreg_handle(struct kc_vcpu *v, const struct trap_info *ti);

#endif /* KCORE_VCPU_H */
