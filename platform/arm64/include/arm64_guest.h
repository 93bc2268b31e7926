/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The world switch (guest.c, switch.S): what the assembly half and the C
 * half share.
 */
#ifndef KCORE_ARM64_GUEST_H
#define KCORE_ARM64_GUEST_H

/* Why arm64_guest_enter came back (the vector the guest's exception took). */
#define GUEST_EXIT_SYNC	  0
#define GUEST_EXIT_IRQ	  1
#define GUEST_EXIT_FIQ	  2
#define GUEST_EXIT_SERROR 3

#ifndef __ASSEMBLER__
#include <kcore/platform.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(GUEST_EXIT_SYNC == KC_TRAP_SYNC && GUEST_EXIT_IRQ == KC_TRAP_IRQ &&
		       GUEST_EXIT_FIQ == KC_TRAP_FIQ && GUEST_EXIT_SERROR == KC_TRAP_SERROR,
	       "the exit reason is the trap kind");

/* switch.S walks kc_vcpu_regs by these offsets. */
_Static_assert(offsetof(struct kc_vcpu_regs, x) == 0, "x0 first");
_Static_assert(offsetof(struct kc_vcpu_regs, fpsr) == offsetof(struct kc_vcpu_regs, v) + 512,
	       "FPSR after V31");
_Static_assert(offsetof(struct kc_vcpu_regs, fpcr) == offsetof(struct kc_vcpu_regs, fpsr) + 8,
	       "FPCR after FPSR");

/* Load x0..x30 from `regs`, ERET, and on the guest's next exception save them back. */
uint64_t arm64_guest_enter(struct kc_vcpu_regs *regs);

/* V0..V31, FPSR, FPCR to or from 528 bytes at `fp`. */
void arm64_fp_save(uint64_t *fp);
void arm64_fp_load(const uint64_t *fp);

/* The vector table while a guest runs (2 KiB aligned). */
extern char arm64_guest_vectors[];
/* kcore's own (vectors.S). */
extern char el2_vectors[];
#endif

#endif /* KCORE_ARM64_GUEST_H */
