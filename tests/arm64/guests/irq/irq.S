/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "irq" guest: takes interrupts through its GICv3 virtual CPU
 * interface, the way a kernel does.  It
 *  1. installs its vectors, guards its UART page, enables its CPU
 *     interface (ICC_SRE_EL1.SRE, PMR 0xff, Group 1 on) and unmasks IRQs;
 *  2. waits (WFI: an exit) until it took one interrupt: the host injects
 *     the UART's SPI;
 *  3. arms its virtual timer 100 s ahead for one WFI (the host sees the
 *     deadline), then 1 ms ahead, and waits until it took a second
 *     interrupt: kcore raises the timer's PPI 27 itself;
 *  4. sends itself SGI 1 (ICC_SGI1R_EL1: an exit, the host delivers it)
 *     and waits until it took that too;
 *  5. writes "done\n" and powers off.
 * The IRQ handler acknowledges (ICC_IAR1_EL1), writes "irq NNN\n" with the
 * INTID to the UART, disables the timer if it was the timer's, and EOIs
 * (ICC_EOIR1_EL1): the host reads exactly which interrupts the guest took,
 * and how often, from the UART.  Any other exception writes "!v".
 * x9..x12 belong to the handler, x20 counts interrupts taken.
 */
#include "irq.h"

#define KC_GC_MMIO_GUARD_MAP 0xC6000082
#define PSCI_SYSTEM_OFF	     0x84000008

#define ICC_PMR_EL1	     S3_0_C4_C6_0
#define ICC_IAR1_EL1	     S3_0_C12_C12_0
#define ICC_EOIR1_EL1	     S3_0_C12_C12_1
#define ICC_SRE_EL1	     S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1	     S3_0_C12_C12_7
#define ICC_SGI1R_EL1	     S3_0_C12_C11_5

	.macro	movimm reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	.endm

	/* One byte to the UART (x10 = its address), through w11. */
	.macro	putb c
	mov	w11, #\c
	strb	w11, [x10]
	.endm

	.section .text.entry, "ax"
	.global	_start
_start:
	/* 1. Vectors, UART guard, GIC CPU interface, IRQs unmasked. */
	adr	x0, vectors
	msr	vbar_el1, x0
	mov	x20, xzr
	movimm	x0, KC_GC_MMIO_GUARD_MAP
	movimm	x1, IRQ_UART
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	hvc	#0
	cbnz	x0, fail
	mrs	x0, ICC_SRE_EL1
	orr	x0, x0, #1
	msr	ICC_SRE_EL1, x0
	isb
	mov	x0, #0xff
	msr	ICC_PMR_EL1, x0
	mov	x0, #1
	msr	ICC_IGRPEN1_EL1, x0
	isb
	msr	daifclr, #2

	/* 2. Wait for the host's interrupt. */
1:	wfi
	cbz	x20, 1b

	/*
	 * 3. The virtual timer: armed 100 s ahead for one WFI (its exit shows
	 * the host the deadline, whatever the host's load), then 1 ms from now.
	 */
	mrs	x0, cntfrq_el0
	mov	x1, #100
	mul	x0, x0, x1
	mrs	x1, cntvct_el0
	add	x0, x0, x1
	msr	cntv_cval_el0, x0
	mov	x0, #1			/* ENABLE, not IMASK */
	msr	cntv_ctl_el0, x0
	isb
	wfi
	mrs	x0, cntfrq_el0
	mov	x1, #1000
	udiv	x0, x0, x1
	mrs	x1, cntvct_el0
	add	x0, x0, x1
	msr	cntv_cval_el0, x0
	mov	x0, #1			/* ENABLE, not IMASK */
	msr	cntv_ctl_el0, x0
	isb
2:	wfi
	cmp	x20, #2
	b.lo	2b

	/* 4. SGI 1 to itself (TargetList bit 0: vCPU 0): the host delivers it. */
	movz	x0, #1
	movk	x0, #0x100, lsl #16	/* INTID [27:24] = 1 */
	msr	ICC_SGI1R_EL1, x0
	isb
5:	wfi
	cmp	x20, #3
	b.lo	5b

	/* 5. "done\n", off. */
	msr	daifset, #2
	movimm	x10, IRQ_UART
	putb	'd'
	putb	'o'
	putb	'n'
	putb	'e'
	putb	'\n'
off:	movimm	x0, PSCI_SYSTEM_OFF
	hvc	#0
	b	off

fail:	movimm	x10, IRQ_UART
	putb	'!'
	putb	'v'
	b	off

/* "irq NNN\n" for the INTID in x9 (< 1000), then EOI it. */
irq:	mrs	x9, ICC_IAR1_EL1
	cmp	x9, #1020
	b.hs	3f			/* spurious: nothing to finish */
	add	x20, x20, #1
	movimm	x10, IRQ_UART
	putb	'i'
	putb	'r'
	putb	'q'
	putb	' '
	mov	x12, #100
	udiv	x11, x9, x12
	msub	x12, x11, x12, x9	/* x12 = INTID % 100 */
	add	w11, w11, #'0'
	strb	w11, [x10]
	mov	x11, #10
	udiv	x11, x12, x11
	add	w11, w11, #'0'
	strb	w11, [x10]
	mov	x11, #10
	udiv	x11, x12, x11
	mov	x10, #10
	msub	x12, x11, x10, x12	/* x12 = INTID % 10 */
	movimm	x10, IRQ_UART
	add	w12, w12, #'0'
	strb	w12, [x10]
	putb	'\n'
	cmp	x9, #IRQ_TIMER_PPI
	b.ne	4f
	msr	cntv_ctl_el0, xzr	/* the timer's: done with it */
	isb
4:	msr	ICC_EOIR1_EL1, x9
	isb
3:	eret

unexpected:
	movimm	x10, IRQ_UART
	putb	'!'
	putb	'v'
	b	off

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4
	.balign	0x80
	b	unexpected
	.endr
	.balign	0x80			/* current EL with SP_ELx, IRQ */
	b	irq
	.irp	i, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	0x80
	b	unexpected
	.endr
