/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "hello" guest: a tiny EL1 program (MMU and caches off, as kcore's
 * reset template leaves it) that kcore runs from its signed image at
 * HELLO_BASE.  It
 *  1. guards the page of its UART (KC_GC_MMIO_GUARD_MAP), so its stores
 *     there become MMIO exits the host emulates;
 *  2. writes "hello\n" to the UART's data register, one byte at a time;
 *  3. stores a value to RAM it was not given (HELLO_FRESH, outside its
 *     image): a FAULT exit the host backs with a frame of its own, and the
 *     value reads back;
 *  4. reads registers kcore hides (they trap, kcore answers) and
 *     powers off with PSCI SYSTEM_OFF.
 * Before its first FP/SIMD write it checks V0..V31, FPSR and FPCR are
 * kcore's reset values (zero), never what the host left in its own
 * registers before VCPU_RUN (kcore switches FP/SIMD lazily: a guest's
 * first access traps and loads the guest's).
 * Throughout, x19..x28 and V0..V31 hold canaries (HELLO_CANARY | n, see
 * hello.h) that only the guest has: every exit must keep them (checked
 * before the power-off) and none may reach the host (the host checks its
 * registers after every VCPU_RUN, and its memory).
 * A step that fails writes '!' and a letter instead, then powers off: the
 * host sees it in the UART output.
 */
#include "hello.h"

#define KC_GC_MMIO_GUARD_MAP 0xC6000082
#define PSCI_SYSTEM_OFF	     0x84000008

	.macro	movimm reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	.endm

	/* \reg = HELLO_CANARY | \n (hello.h: 0x5ec2e75ec2e7xxxx). */
	.macro	canary reg, n
	movz	\reg, #\n
	movk	\reg, #0xc2e7, lsl #16
	movk	\reg, #0xe75e, lsl #32
	movk	\reg, #0x5ec2, lsl #48
	.endm

	.arch_extension fp
	.arch_extension simd

	.section .text.entry, "ax"
	.global	_start
_start:
	/* 0. The canaries in x19..x28 (V0..V31 after step 1). */
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	canary	x\n, 0x\n
	.endr

	/* 1. Guard the UART page: x1 = its IPA, x2..x6 must be zero. */
	movimm	x0, KC_GC_MMIO_GUARD_MAP
	movimm	x1, HELLO_UART
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	hvc	#0
	mov	w9, #'g'
	cbnz	x0, fail

	/*
	 * FP/SIMD on at EL1 (CPACR_EL1.FPEN).  Its registers are kcore's
	 * reset values, zero: the host filled its own with a pattern before
	 * this VCPU_RUN.  Then the canaries in V0..V31.
	 */
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	isb
	mov	w9, #'v'
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	fmov	x10, d\n
	cbnz	x10, fail
	mov	x10, v\n\().d[1]
	cbnz	x10, fail
	.endr
	mrs	x10, fpsr
	cbnz	x10, fail
	mrs	x10, fpcr
	cbnz	x10, fail
	canary	x10, 0x100
	canary	x11, 0x200
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	fmov	d\n, x10
	mov	v\n\().d[1], x11
	.endr
	mov	x10, xzr
	mov	x11, xzr

	/* 2. "hello\n", byte by byte, to UARTDR (offset 0). */
	movimm	x1, HELLO_UART
	adr	x3, message
1:	ldrb	w4, [x3], #1
	cbz	w4, 2f
	strb	w4, [x1]		/* no writeback: a syndrome the host can emulate */
	b	1b

	/* 3. A store to RAM nobody backed yet, then read it back. */
2:	movimm	x5, HELLO_FRESH
	movimm	x6, 0x6b636f72
	str	x6, [x5]
	ldr	x7, [x5]
	mov	w9, #'f'
	cmp	x6, x7
	b.ne	fail

	/*
	 * What kcore keeps from guests traps and kcore answers, with no exit
	 * (core/sysreg.c): ID_AA64PFR0_EL1 is its fixed value (EL0/EL1
	 * AArch64, FP, AdvSIMD, GICv3 system registers), ID_AA64ISAR1_EL1 (pointer auth...) and the
	 * debug registers read as zero, and a write to MDSCR_EL1 is ignored.
	 * (The PMU is UNDEFINED: the hostile guest tries it.)
	 */
	mov	w9, #'i'
	mrs	x10, id_aa64pfr0_el1
	movimm	x11, 0x01000011
	cmp	x10, x11
	b.ne	fail
	mrs	x10, id_aa64isar1_el1
	cbnz	x10, fail
	mov	w9, #'p'
	mrs	x10, dbgbvr0_el1
	cbnz	x10, fail
	mov	w9, #'d'
	mov	x10, #(1 << 15)		/* MDSCR_EL1.MDE */
	msr	mdscr_el1, x10
	mrs	x10, mdscr_el1
	cbnz	x10, fail

	/* The canaries are all still there. */
	mov	w9, #'r'
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
	canary	x10, 0x\n
	cmp	x10, x\n
	b.ne	fail
	.endr
	canary	x11, 0x100
	canary	x12, 0x200
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	fmov	x10, d\n
	cmp	x10, x11
	b.ne	fail
	mov	x10, v\n\().d[1]
	cmp	x10, x12
	b.ne	fail
	.endr

	/* 4. Power off. */
off:	movimm	x0, PSCI_SYSTEM_OFF
	hvc	#0
	b	off

/* '!' and the letter in w9, then off. */
fail:	movimm	x1, HELLO_UART
	mov	w4, #'!'
	strb	w4, [x1]
	strb	w9, [x1]
	b	off

message:
	.asciz	"hello\n"
