/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * host_hvc_snapshot(struct host_call *c, uint64_t snap[95]): a host call,
 * and right after the hvc returns every general register (x0..x30 ->
 * snap[0..30]) and every V register (V0..V31, low half first ->
 * snap[31..94]), before any host code can change them: what kcore left in
 * the host's registers.  c->x[0..3] get the results.  The host's C never
 * touches the V registers (-mgeneral-regs-only); CPACR_EL1.FPEN must be
 * on for the stores.
 */
	.arch_extension fp
	.arch_extension simd

	.section .text.snapshot, "ax"
	.global	host_hvc_snapshot
host_hvc_snapshot:
	sub	sp, sp, #816
	stp	x29, x30, [sp, #0]
	stp	x0, x1, [sp, #16]
	mov	x8, x0
	ldp	x0, x1, [x8, #0]
	ldp	x2, x3, [x8, #16]
	ldp	x4, x5, [x8, #32]
	ldr	x6, [x8, #48]
	hvc	#0
	stp	x0, x1, [sp, #40]
	stp	x2, x3, [sp, #56]
	stp	x4, x5, [sp, #72]
	stp	x6, x7, [sp, #88]
	stp	x8, x9, [sp, #104]
	stp	x10, x11, [sp, #120]
	stp	x12, x13, [sp, #136]
	stp	x14, x15, [sp, #152]
	stp	x16, x17, [sp, #168]
	stp	x18, x19, [sp, #184]
	stp	x20, x21, [sp, #200]
	stp	x22, x23, [sp, #216]
	stp	x24, x25, [sp, #232]
	stp	x26, x27, [sp, #248]
	stp	x28, x29, [sp, #264]
	str	x30, [sp, #280]
	add	x9, sp, #288
	stp	q0, q1, [x9, #0]
	stp	q2, q3, [x9, #32]
	stp	q4, q5, [x9, #64]
	stp	q6, q7, [x9, #96]
	stp	q8, q9, [x9, #128]
	stp	q10, q11, [x9, #160]
	stp	q12, q13, [x9, #192]
	stp	q14, q15, [x9, #224]
	stp	q16, q17, [x9, #256]
	stp	q18, q19, [x9, #288]
	stp	q20, q21, [x9, #320]
	stp	q22, q23, [x9, #352]
	stp	q24, q25, [x9, #384]
	stp	q26, q27, [x9, #416]
	stp	q28, q29, [x9, #448]
	stp	q30, q31, [x9, #480]
	/*
	 * Out: the snapshot (95 words from sp + 40: x0..x30, then V0..V31 at
	 * sp + 288, 16-aligned as a Q store to Device memory, MMU off, needs),
	 * and x0..x3 into *c.
	 */
	ldp	x0, x1, [sp, #16]
	add	x2, sp, #40
	mov	x3, #95
1:	ldr	x4, [x2], #8
	str	x4, [x1], #8
	subs	x3, x3, #1
	b.ne	1b
	ldp	x2, x3, [sp, #40]
	stp	x2, x3, [x0, #0]
	ldp	x2, x3, [sp, #56]
	stp	x2, x3, [x0, #16]
	/* Nothing of the snapshot stays on the stack the next scan reads. */
	add	x2, sp, #40
	mov	x3, #95
2:	str	xzr, [x2], #8
	subs	x3, x3, #1
	b.ne	2b
	ldp	x29, x30, [sp, #0]
	add	sp, sp, #816
	ret
