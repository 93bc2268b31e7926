/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GICv3 virtual CPU interface of a running guest (vgic.c): its ICH_*
 * state in and out of the hardware, around the world switch.
 */
#ifndef KCORE_ARM64_VGIC_H
#define KCORE_ARM64_VGIC_H

#include <kcore/platform.h>

/*
 * Load `g` into the list registers, ICH_VMCR/APRs of CPU `cpu` (the
 * caller's), and enable the interface (ICH_HCR_EL2.En).  Returns the list
 * registers it wrote (bit n: ICH_LR<n>_EL2), for arm64_vgic_save.
 */
unsigned arm64_vgic_load(const struct kc_vgic *g, unsigned cpu);

/*
 * Store the guest's interface state into `g` (the list registers in
 * `used`: the others it cannot have touched) and leave nothing of it in
 * a register.
 */
void arm64_vgic_save(struct kc_vgic *g, unsigned used);

#endif /* KCORE_ARM64_VGIC_H */
