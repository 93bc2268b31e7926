/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exceptions kcore gives a guest instead of an exit (docs/VCPU.md, "What a
 * guest gets instead of an exit"): a synchronous external abort for an
 * access no one can ever back, an UNDEF for a system register it must not
 * reach.  Core-private.
 */
#ifndef KCORE_INJECT_H
#define KCORE_INJECT_H

#include <kcore/platform.h>
#include <stdbool.h>

#include "state.h"
#include "trap.h"

/*
 * Whether the abort `ti` of a vCPU of `vm` is on an IPA nothing can ever
 * back: outside every RAM range and device window of the VM's signed v2
 * layout, or beyond the IPA space.  A v1 VM declares no layout: for it
 * only the latter.  vm->lock held (the layout is fixed once VERIFIED).
 */
bool inject_abort_wanted_locked(const struct kc_vm *vm, const struct trap_info *ti);

/*
 * Take a synchronous external abort to the guest's EL1 for the data or
 * instruction abort `ti` (FAR_EL2 `far`), as the architecture does:
 * ESR_EL1, FAR_EL1, ELR_EL1 = the faulting PC, SPSR_EL1 = the old PSTATE,
 * PC = VBAR_EL1 + the vector for where it came from, PSTATE = EL1h with
 * D, A, I, F masked.
 */
void inject_sea(struct kc_vcpu_regs *r, const struct trap_info *ti, uint64_t far);

/* The same for an UNDEFINED instruction (ESR_EL1.EC 0, Unknown reason) at the PC. */
void inject_undef(struct kc_vcpu_regs *r, const struct trap_info *ti);

/*
 * A physical SError interrupted the guest: make a virtual SError pending for
 * it (HCR_EL2.VSE), which it takes at its own SError vector once PSTATE.A
 * is clear, as it would have taken the physical one.
 */
void inject_vserror(struct kc_vcpu_regs *r);

#endif /* KCORE_INJECT_H */
