/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The register half of the world switch (guest.c does the system
 * registers): entering a vCPU from its shadow context and coming back.
 *
 * arm64_guest_enter(regs) keeps kcore's own callee-saved registers and
 * the regs pointer on kcore's stack, loads x0..x30 from the shadow context
 * and ERETs (ELR_EL2/SPSR_EL2 and every system register are already the
 * guest's).  While the guest runs VBAR_EL2 is arm64_guest_vectors: any
 * exception from the guest lands in guest_exit, which finds the shadow
 * context at the stack slot guest_enter left (SP_EL2 is kcore's and the
 * guest cannot move it), stores x0..x30 there, puts kcore's registers back,
 * zeroes every other general register (no guest value survives in one) and
 * returns to the caller of arm64_guest_enter with why it came back:
 *   0 synchronous (ESR_EL2 says what), 1 IRQ, 2 FIQ, 3 SError.
 *
 * The same save/restore discipline as KVM's __guest_enter/__guest_exit
 * (arch/arm64/kvm/hyp/entry.S) and Hafnium's vcpu_switch; own code.
 */
#include "arm64_guest.h"
#include "arm64_asm.h"

	.arch_extension fp
	.arch_extension simd

	.section .text.arm64_guest, "ax"

/* uint64_t arm64_guest_enter(struct kc_vcpu_regs *regs) */
	.global	arm64_guest_enter
arm64_guest_enter:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	/* The shadow context's address, where guest_exit looks for it (16 aligned). */
	stp	x0, xzr, [sp, #-16]!

	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret
	/* No speculation past the ERET (Spectre-style straight-line). */
	dsb	nsh
	isb

/*
 * Every exception from the guest: x0/x1 are pushed, x1 = the reason, then
 * guest_exit.  Exceptions taken at EL2 itself (entries 0-7) go to kcore's
 * own vectors, which report them: they are kcore bugs, not guest exits.
 */
	.macro	guest_vector_el2 index
	.balign	0x80
	b	el2_vectors + (\index * 0x80)
	.endm
	.macro	guest_vector_low reason
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\reason
	b	guest_exit
	.endm

	.balign	0x800
	.global	arm64_guest_vectors
arm64_guest_vectors:
	guest_vector_el2 0
	guest_vector_el2 1
	guest_vector_el2 2
	guest_vector_el2 3
	guest_vector_el2 4
	guest_vector_el2 5
	guest_vector_el2 6
	guest_vector_el2 7
	guest_vector_low GUEST_EXIT_SYNC	/* lower EL, AArch64 */
	guest_vector_low GUEST_EXIT_IRQ
	guest_vector_low GUEST_EXIT_FIQ
	guest_vector_low GUEST_EXIT_SERROR
	guest_vector_low GUEST_EXIT_SYNC	/* lower EL, AArch32 (guest EL0) */
	guest_vector_low GUEST_EXIT_IRQ
	guest_vector_low GUEST_EXIT_FIQ
	guest_vector_low GUEST_EXIT_SERROR

guest_exit:
	ldr	x0, [sp, #16]		/* the shadow context, above the pushed x0/x1 */
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	str	x30, [x0, #240]
	ldp	x2, x3, [sp], #16	/* the guest's x0, x1 */
	stp	x2, x3, [x0, #0]
	mov	x0, x1			/* the reason */
	add	sp, sp, #16		/* the shadow context's slot */
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	/* Caller-saved registers: nothing of the guest stays in them. */
	zero_xregs 1, 18
	ret

/*
 * void arm64_fp_save(uint64_t *fp) / arm64_fp_load(const uint64_t *fp):
 * V0..V31 (16 bytes each, V0 first), then FPSR and FPCR: the layout of
 * kc_vcpu_regs.v, .fpsr, .fpcr.  kcore's C never touches these registers
 * (-mgeneral-regs-only), so between the two calls they hold whoever's
 * context was loaded last.
 */
	.global	arm64_fp_save
arm64_fp_save:
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512		/* beyond stp's reach from the base */
	stp	x1, x2, [x0]
	mov	x1, xzr
	mov	x2, xzr
	ret

	.global	arm64_fp_load
arm64_fp_load:
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	mov	x1, xzr
	mov	x2, xzr
	ret
