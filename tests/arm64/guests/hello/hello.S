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
 *  4. powers off with PSCI SYSTEM_OFF.
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

	.section .text.hello, "ax"
	.global	_start
_start:
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
