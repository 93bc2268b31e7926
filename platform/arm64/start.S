/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's first instructions.  The image starts with an arm64 Linux Image
 * header (Documentation/arch/arm64/booting.rst), so QEMU -kernel and boot
 * loaders (U-Boot booti, ...) treat it as a kernel: they load it at a
 * 2 MiB-aligned RAM base + text_offset (QEMU virt: 0x40080000, where it is
 * linked), enter it at EL2 with the MMU and D-cache off, and pass the DTB
 * address in x0.  Booted as an ELF instead, QEMU passes x0 = 0 and no DTB,
 * which kcore_arm64_main reports.
 *
 * Until the MMU is on, every data access is Device-nGnRnE: nothing here
 * (nor in C, built with -mstrict-align) may access memory unaligned.
 */

#include "arm64_percpu.h"

	.section .text.head, "ax"
	.global	_start
_start:
	b	el2_entry		/* code0: branch over the header */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset from a 2 MiB-aligned RAM base */
	.quad	__image_size		/* image_size: the loader keeps the DTB clear of .bss too */
	.quad	0x2			/* flags: little-endian, 4 KiB pages, base near start of RAM */
	.quad	0			/* res2 */
	.quad	0			/* res3 */
	.quad	0			/* res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: no PE/COFF header */

el2_entry:
	mov	x19, x0			/* DTB (0 when booted as an ELF) */

	/*
	 * kcore is linked at a fixed address and is not relocatable (its
	 * data holds absolute pointers): anywhere else, stop before using
	 * any of it.  There is no console to say so yet; a test times out.
	 */
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.ne	park

	adrp	x1, el2_stack_top
	add	x1, x1, :lo12:el2_stack_top
	mov	sp, x1

	/* .bss is not in the raw image (objcopy drops NOLOAD sections). */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16	/* link.ld keeps both ends 16-byte aligned */
	b	1b
2:
	mov	x29, xzr		/* terminate frame-record chains here */
	mov	x30, xzr

	mrs	x0, CurrentEL
	ubfx	x0, x0, #2, #2
	cmp	x0, #2
	b.ne	3f

	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	msr	tpidr_el2, xzr		/* dense CPU id 0 (plat_cpu_id): the boot CPU */
	/*
	 * A known HCR_EL2: E2H = 0 (non-VHE, the EL2 translation regime
	 * kcore's tables are built for), TGE = 0, VM = 0, RW = 1.
	 */
	mov	x1, #(1 << 31)
	msr	hcr_el2, x1
	isb

	mov	x0, x19
	bl	kcore_arm64_main	/* does not return */
	b	park

3:	/* Not at EL2 (x0 = the EL): report on the default UART and exit. */
	bl	kcore_arm64_wrong_el

park:
	wfi
	b	park

/*
 * arm64_secondary_entry: where the firmware starts a CPU kcore's PSCI
 * relay turned on (CPU_ON, or the wake-up from a power-down CPU_SUSPEND),
 * at EL2 with the MMU and caches off, x0 = the CPU's index.  Before any
 * memory access but the cleaned arm64_secondary_mmu, the MMU goes on with
 * the boot CPU's registers (core's map): no stack, no C, until then, so
 * nothing is read or written non-cacheably that caches could shadow.
 * Then vectors, the CPU id, a known HCR_EL2, this CPU's stack, and C.
 */
	.ltorg

	.section .text, "ax"
	.global	arm64_secondary_entry
arm64_secondary_entry:
	mov	x19, x0
	adrp	x1, arm64_secondary_mmu
	add	x1, x1, :lo12:arm64_secondary_mmu
	ldp	x2, x3, [x1]
	msr	mair_el2, x2
	msr	tcr_el2, x3
	ldp	x2, x3, [x1, #16]
	msr	ttbr0_el2, x2
	isb
	tlbi	alle2
	ic	iallu
	dsb	nsh
	isb
	msr	sctlr_el2, x3
	isb

	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	msr	tpidr_el2, x19		/* plat_cpu_id */
	mov	x1, #(1 << 31)
	msr	hcr_el2, x1
	isb

	/* sp = &arm64_cpu_stacks[index + 1][0], the top of this CPU's stack */
	adrp	x1, arm64_cpu_stacks
	add	x1, x1, :lo12:arm64_cpu_stacks
	add	x2, x19, #1
	mov	x3, #ARM64_CPU_STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	arm64_secondary_main	/* does not return */
	b	park

	.ltorg

	.section .bss.el2_stack, "aw", %nobits
	.balign	16
el2_stack:
	.space	0x8000			/* 32 KiB: BearSSL's P-256 verify is the deepest user */
	.global	el2_stack_top
el2_stack_top:
