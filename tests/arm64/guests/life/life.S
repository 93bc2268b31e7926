/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "life" guest: a whole VM's life on two vCPUs, as a small EL1
 * program (MMU and caches off, as kcore's reset template leaves it) that
 * kcore runs from its signed image at LIFE_BASE (layout: life.h).
 * vCPU 0:
 *  1. guards its UART page (KC_GC_MMIO_GUARD_MAP) and writes "life\n";
 *  2. stores to LIFE_PAGE (a FAULT exit the host backs with a 4 KiB
 *     frame) and reads it back;
 *  3. stores to the first and the last word of LIFE_BLOCK (one FAULT exit:
 *     the host backs the whole 2 MiB with a block, so the last word does
 *     not fault again) and reads them back;
 *  4. shares LIFE_PAGE (KC_GC_SHARE) and makes the call LIFE_CALL_SHARED:
 *     the host reads LIFE_PAGE_MAGIC there and answers LIFE_HOST_REPLY
 *     in the page's second word, which the guest checks;
 *  5. takes it back (KC_GC_UNSHARE) and makes the call LIFE_CALL_UNSHARED
 *     (the host's load now aborts); the page still holds its magic;
 *  6. starts vCPU 1 with PSCI CPU_ON (kcore answers; the host sees
 *     KC_EXIT_CPU_ON) and meets it at LIFE_FLAG: vCPU 1 stores 1, vCPU 0
 *     stores 2, which vCPU 1 waits for and answers with 3.  Each wait has
 *     a deadline (4 s of the virtual counter), so the exchange completes
 *     only if both vCPUs run at once;
 *  7. writes "bye\n" and powers off with PSCI SYSTEM_OFF.
 * vCPU 1 checks its context id, does its half of 6, and stops with PSCI
 * CPU_OFF.  A step of vCPU 0 that fails writes '!' and a letter instead,
 * then powers off: the host sees it in the UART output.
 */
#include "life.h"

#define KC_GC_SHARE	     0xC6000080
#define KC_GC_UNSHARE	     0xC6000081
#define KC_GC_MMIO_GUARD_MAP 0xC6000082
#define PSCI_CPU_OFF	     0x84000002
#define PSCI_CPU_ON64	     0xC4000003
#define PSCI_SYSTEM_OFF	     0x84000008

	.macro	movimm reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	.endm

	.macro	movimm64 reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	movk	\reg, #(((\val) >> 32) & 0xffff), lsl #32
	movk	\reg, #(((\val) >> 48) & 0xffff), lsl #48
	.endm

	/* A kcore guest call: x0 = id, x1 and x2 as given, x3..x6 zero (the must-be-zero rule). */
	.macro	gcall id, a1, a2
	movimm	x0, \id
	movimm	x1, \a1
	mov	x2, #\a2
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	hvc	#0
	.endm

	.section .text.entry, "ax"
	.global	_start
_start:
	/* 1. The UART, and the first line. */
	gcall	KC_GC_MMIO_GUARD_MAP, LIFE_UART, 0
	mov	w9, #'g'
	cbnz	x0, fail
	adr	x3, hello
	bl	puts

	/* 2. A page of RAM nobody backed yet. */
	movimm	x5, LIFE_PAGE
	movimm64 x6, LIFE_PAGE_MAGIC
	str	x6, [x5]
	ldr	x7, [x5]
	mov	w9, #'f'
	cmp	x6, x7
	b.ne	fail

	/* 3. The 2 MiB region: its first word, then its last (no second fault). */
	movimm	x5, LIFE_BLOCK
	str	x6, [x5]
	movimm	x5, LIFE_BLOCK + LIFE_BLOCK_SIZE - 8
	str	x6, [x5]
	ldr	x7, [x5]
	mov	w9, #'b'
	cmp	x6, x7
	b.ne	fail

	/* 4. Share the page; the host reads it and answers in its second word. */
	gcall	KC_GC_SHARE, (LIFE_PAGE >> 12), 1
	mov	w9, #'s'
	cbnz	x0, fail
	movimm	x0, LIFE_CALL_SHARED
	hvc	#0
	movimm	x5, LIFE_PAGE
	ldr	x7, [x5, #8]
	movimm64 x6, LIFE_HOST_REPLY
	mov	w9, #'h'
	cmp	x6, x7
	b.ne	fail

	/* 5. Take it back: the host's next load aborts; the page is intact. */
	gcall	KC_GC_UNSHARE, (LIFE_PAGE >> 12), 1
	mov	w9, #'u'
	cbnz	x0, fail
	movimm	x0, LIFE_CALL_UNSHARED
	hvc	#0
	movimm	x5, LIFE_PAGE
	ldr	x7, [x5]
	movimm64 x6, LIFE_PAGE_MAGIC
	mov	w9, #'k'
	cmp	x6, x7
	b.ne	fail

	/* 6. vCPU 1, and the meeting at LIFE_FLAG. */
	movimm	x5, LIFE_FLAG
	str	xzr, [x5]
	movimm	x0, PSCI_CPU_ON64
	mov	x1, #1			/* MPIDR Aff0 = vCPU 1 */
	adr	x2, secondary
	movimm	x3, LIFE_CTX
	hvc	#0
	mov	w9, #'o'
	cbnz	x0, fail
	movimm	x5, LIFE_FLAG
	mov	x6, #1
	bl	wait
	mov	w9, #'a'
	cbnz	x0, fail
	mov	x6, #2
	str	x6, [x5]
	mov	x6, #3
	bl	wait
	mov	w9, #'w'
	cbnz	x0, fail

	/* 7. The last line, and off. */
	adr	x3, bye
	bl	puts
off:	movimm	x0, PSCI_SYSTEM_OFF
	hvc	#0
	b	off

/* '!' and the letter in w9, then off. */
fail:	movimm	x1, LIFE_UART
	mov	w4, #'!'
	strb	w4, [x1]
	strb	w9, [x1]
	b	off

/* The string at x3 to the UART, a byte at a time (each store one MMIO exit). */
puts:	movimm	x1, LIFE_UART
1:	ldrb	w4, [x3], #1
	cbz	w4, 2f
	strb	w4, [x1]		/* no writeback: a syndrome the host can emulate */
	b	1b
2:	ret

/*
 * Wait until the word at x5 is x6: x0 = 0, or 1 after 4 s of the virtual
 * counter (the other vCPU is not running).
 */
wait:	mrs	x10, cntfrq_el0
	isb
	mrs	x11, cntvct_el0
	add	x11, x11, x10, lsl #2
1:	ldr	x12, [x5]
	cmp	x12, x6
	b.eq	2f
	isb
	mrs	x13, cntvct_el0
	cmp	x13, x11
	b.lo	1b
	mov	x0, #1
	ret
2:	mov	x0, xzr
	ret

/* vCPU 1, from vCPU 0's CPU_ON: x0 = the context id it passed. */
secondary:
	movimm	x5, LIFE_FLAG
	movimm	x6, LIFE_CTX
	cmp	x0, x6
	b.ne	1f
	mov	x6, #1
	str	x6, [x5]
	mov	x6, #2
	bl	wait
	cbnz	x0, 1f
	mov	x6, #3
	str	x6, [x5]
	b	2f
1:	mov	x6, #0xbad		/* vCPU 0's wait for 3 then fails */
	str	x6, [x5]
2:	movimm	x0, PSCI_CPU_OFF
	hvc	#0
	b	2b

hello:	.asciz	"life\n"
bye:	.asciz	"bye\n"
