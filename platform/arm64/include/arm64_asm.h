/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Assembler macros the EL2 entry and exit paths share (vectors.S,
 * switch.S).  Assembler only.
 */
#ifndef KCORE_ARM64_ASM_H
#define KCORE_ARM64_ASM_H

#ifdef __ASSEMBLER__
/* clang-format off */
/*
 * Zero x\first..x\last, so no value of kcore's or of another world's
 * survives in them when control leaves kcore.  (Assembler: clang-format
 * is off for this block.)
 */
	.macro	zero_xreg n
	mov	x\n, xzr
	.endm
	.macro	zero_xregs first, last
	.altmacro
	.set	.Lzero_xregs_n, \first
	.rept	\last - \first + 1
	zero_xreg %.Lzero_xregs_n
	.set	.Lzero_xregs_n, .Lzero_xregs_n + 1
	.endr
	.noaltmacro
	.endm
/* clang-format on */
#endif

#endif /* KCORE_ARM64_ASM_H */
