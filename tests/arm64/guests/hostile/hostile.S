/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "hostile" guest: an EL1 program that tries, one by one, everything a
 * guest must not get — memory outside its RAM (kcore's, the host's,
 * another VM's frames, taken as IPAs; directly, by branching there, and
 * through a stage-1 table it builds itself, AT and DC ZVA included), SMCs
 * to the firmware's services and calls with the wrong immediate, and the
 * system registers kcore keeps from guests — and reports what each attempt
 * got through its UART page (guarded, so each report is an MMIO exit the
 * host reads).  The host checks every answer against docs/VCPU.md
 * (tests/arm64/host/test_hostile.c).  Controls on the way: its own image,
 * its own RAM, its own registers and its UART work.
 *
 * Registers: x19 the UART; x20, x21 ESR_EL1 and FAR_EL1 of the last
 * exception its vector took (0: none); x22 the vector's scratch; x23 the
 * value an attempt got; x24 attempt id; x9 scratch.
 */
#include "hostile.h"

#define KC_GC_SHARE	      0xC6000080
#define KC_GC_UNSHARE	      0xC6000081
#define KC_GC_MMIO_GUARD_MAP  0xC6000082
#define PSCI_VERSION	      0x84000000
#define PSCI_MIGRATE	      0x84000005
#define PSCI_SYSTEM_OFF	      0x84000008
#define SMCCC_ARCH_FEATURES   0x80000001
#define SMCCC_ARCH_WA1	      0x80008000
#define SMCCC_ARCH_WA2	      0x80007fff
#define SIP_CALL	      0xC2000001
#define OEM_CALL	      0xC3000000

/* Its stage 1: 39-bit VA from level 1, 4 KiB granule, TTBR1 walks off, 48-bit IPA. */
#define TCR_VALUE  (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (5 << 32))
#define MAIR_VALUE 0xff00	 /* attr 0 Device-nGnRnE, attr 1 Normal write-back */
#define BLK_NORMAL 0x705	 /* 1 GiB block: valid, attr 1, inner shareable, AF */
#define BLK_DEVICE 0x401	 /* 1 GiB block: valid, attr 0, AF */
#define TBL	   0x3		 /* table descriptor */

	.macro	movimm reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	movk	\reg, #(((\val) >> 32) & 0xffff), lsl #32
	movk	\reg, #(((\val) >> 48) & 0xffff), lsl #48
	.endm

	/* An attempt starts with nothing taken and nothing got. */
	.macro	begin id
	mov	x24, #\id
	mov	x20, xzr
	mov	x21, xzr
	mov	x23, xzr
	.endm

	/* Its four words to the UART. */
	.macro	report
	str	x24, [x19]
	str	x20, [x19]
	str	x21, [x19]
	str	x23, [x19]
	.endm

	/* The canaries in x1..x6 before a call: none may reach the host. */
	.macro	canaries
	.irp	n, 1, 2, 3, 4, 5, 6
	movimm	x\n, (HOSTILE_CANARY | \n)
	.endr
	.endm

	/* x23 = x0 of a call `fn` (x1 = `arg`) by `smc`/`hvc` #`imm`, canaries in x1..x6. */
	.macro	call id, conduit, imm, fn, arg=0
	begin	\id
	canaries
	movimm	x0, \fn
	.if	\arg
	movimm	x1, \arg
	.endif
	\conduit	#\imm
	mov	x23, x0
	report
	.endm

	.macro	load id, addr
	begin	\id
	movimm	x9, \addr
	ldr	x23, [x9]
	report
	.endm

	.macro	store id, addr
	begin	\id
	movimm	x9, \addr
	movimm	x23, (HOSTILE_CANARY | 0xee)
	str	x23, [x9]
	mov	x23, xzr
	report
	.endm

	/* A system register attempt: x9 = 0x77 first (a read that did not happen shows)... */
	.macro	sysbegin id
	begin	\id
	movz	x9, #0x77
	.endm

	/* ... and x23 = x9 after it. */
	.macro	sysend
	mov	x23, x9
	report
	.endm

	.section .text.entry, "ax"
	.global	_start
_start:
	adr	x9, vectors
	msr	vbar_el1, x9
	isb
	movimm	x19, HOSTILE_UART

	/* Guard the UART page (the control for everything after: the reports arrive). */
	movimm	x0, KC_GC_MMIO_GUARD_MAP
	mov	x1, x19
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	hvc	#0
	cbnz	x0, off

	/* Memory outside its RAM, stage 1 off: the IPA is the address. */
	load	HA_LD_LOW, 0x1000
	load	HA_LD_BELOW, (HOSTILE_BASE - 0x1000)
	load	HA_LD_ABOVE, (HOSTILE_BASE + HOSTILE_RAM)
	load	HA_LD_KCORE, HOSTILE_KCORE
	load	HA_LD_HOST, HOSTILE_HOST
	load	HA_LD_CANARY, HOSTILE_HOST_CANARY
	store	HA_ST_CANARY, HOSTILE_HOST_CANARY
	load	HA_LD_OTHER, HOSTILE_OTHER_VM
	store	HA_ST_OTHER, HOSTILE_OTHER_VM
	load	HA_LD_TOP, HOSTILE_IPA_TOP
	begin	HA_EXEC_KCORE
	movimm	x9, HOSTILE_KCORE
	blr	x9		/* the vector returns to x30 */
	report
	begin	HA_LDP_HOST
	movimm	x9, HOSTILE_HOST
	ldp	x23, x22, [x9]
	report
	begin	HA_UART_LDP
	ldp	x23, x22, [x19]
	report
	/* Controls: its own image, its own RAM (a fault the host backs). */
	begin	HA_LD_OWN
	adr	x9, own_magic
	ldr	x23, [x9]
	report
	begin	HA_LD_FRESH
	movimm	x9, HOSTILE_FRESH
	movimm	x22, HOSTILE_OWN_MAGIC
	str	x22, [x9]
	ldr	x23, [x9]
	report

	/* Calls to the firmware and with the wrong immediate: none reaches EL3. */
	call	HA_SMC_MIGRATE, smc, 0, PSCI_MIGRATE, HOSTILE_BASE
	call	HA_SMC_SIP, smc, 0, SIP_CALL
	call	HA_SMC_OEM, smc, 0, OEM_CALL
	call	HA_SMC_WA1, smc, 0, SMCCC_ARCH_WA1
	call	HA_SMC_FEAT_WA1, smc, 0, SMCCC_ARCH_FEATURES, SMCCC_ARCH_WA1
	call	HA_SMC_FEAT_WA2, smc, 0, SMCCC_ARCH_FEATURES, SMCCC_ARCH_WA2
	call	HA_HVC_IMM, hvc, 1, PSCI_VERSION
	call	HA_SMC_IMM, smc, 1, PSCI_VERSION
	call	HA_HVC_VERSION, hvc, 0, PSCI_VERSION

	/* kcore's own calls on frames that are not its: by frame number as a gfn. */
	.irp	what, HA_SHARE_HOST, HA_UNSHARE_KCORE
	begin	\what
	.if	\what == HA_SHARE_HOST
	movimm	x0, KC_GC_SHARE
	movimm	x1, (HOSTILE_HOST >> 12)
	.else
	movimm	x0, KC_GC_UNSHARE
	movimm	x1, (HOSTILE_KCORE >> 12)
	.endif
	mov	x2, #1
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	hvc	#0
	mov	x23, x0
	report
	.endr

	/* System registers kcore keeps from guests. */
	sysbegin HA_MDSCR
	mov	x9, #0xa000		/* MDE | KDE */
	msr	mdscr_el1, x9
	mrs	x9, mdscr_el1
	sysend
	sysbegin HA_DBGBVR
	mov	x9, #0x1000
	msr	dbgbvr0_el1, x9
	mrs	x9, dbgbvr0_el1
	sysend
	sysbegin HA_PMCR
	mrs	x9, pmcr_el0
	sysend
	sysbegin HA_PMCCNTR
	mrs	x9, pmccntr_el0
	sysend
	sysbegin HA_PMCR_W
	msr	pmcr_el0, x9
	sysend
	sysbegin HA_PFR0
	mrs	x9, id_aa64pfr0_el1
	sysend
	sysbegin HA_DFR0
	mrs	x9, id_aa64dfr0_el1
	sysend
	sysbegin HA_MMFR0
	mrs	x9, id_aa64mmfr0_el1
	sysend
	sysbegin HA_ISAR0
	mrs	x9, id_aa64isar0_el1
	sysend
	sysbegin HA_ISAR1
	mrs	x9, id_aa64isar1_el1
	sysend
	sysbegin HA_MMFR1
	mrs	x9, id_aa64mmfr1_el1
	sysend
	sysbegin HA_PFR1
	mrs	x9, id_aa64pfr1_el1
	sysend
	sysbegin HA_SVE
	/*
	 * SVE and FP/SIMD on at its own EL1 (CPACR_EL1.ZEN, FPEN), so the
	 * trap is EL2's (CPTR_EL2.TZ; kcore's lazy FP/SIMD switch first).
	 */
	mrs	x9, cpacr_el1
	orr	x9, x9, #(3 << 16)
	orr	x9, x9, #(3 << 20)
	msr	cpacr_el1, x9
	isb
	movz	x9, #0x77
	.inst	0x04bf5029		/* rdvl x9, #1 */
	sysend
	sysbegin HA_PACGA
	.inst	0x9ac93129		/* pacga x9, x9, x9 */
	sysend
	sysbegin HA_PFR0_W
	msr	s3_0_c0_c4_0, x9	/* ID_AA64PFR0_EL1 */
	sysend
	sysbegin HA_IMPDEF
	mrs	x9, s3_0_c15_c0_0
	sysend
	sysbegin HA_ICH_VTR
	mrs	x9, s3_4_c12_c11_1	/* ICH_VTR_EL2 */
	sysend
	sysbegin HA_CNTVOFF
	mrs	x9, s3_4_c14_c0_3	/* CNTVOFF_EL2 */
	sysend
	sysbegin HA_CNTP_CTL
	mov	x9, #1			/* ENABLE */
	msr	cntp_ctl_el0, x9
	mrs	x9, cntp_ctl_el0
	sysend
	sysbegin HA_CNTP_CVAL
	mrs	x9, cntp_cval_el0
	sysend
	sysbegin HA_ACTLR
	mrs	x9, actlr_el1
	sysend
	sysbegin HA_TPIDR
	mov	x9, #0x1234
	msr	tpidr_el1, x9
	mov	x9, xzr
	mrs	x9, tpidr_el1
	sysend

	/* Its own stage 1, mapping whatever IPAs it likes. */
	begin	HA_MMU_ON
	movimm	x9, HOSTILE_TABLE
	movimm	x22, BLK_DEVICE		/* VA 0: IPA 0, its UART included */
	str	x22, [x9, #0]
	movimm	x22, (0x40000000 | BLK_NORMAL)	/* VA 1 GiB: kcore's, the host's IPAs */
	str	x22, [x9, #8]
	movimm	x22, (0x80000000 | BLK_NORMAL)	/* VA 2 GiB: its RAM, identity */
	str	x22, [x9, #16]
	movimm	x22, (HOSTILE_IPA_FAR | BLK_NORMAL)
	str	x22, [x9, #24]
	movimm	x22, (HOSTILE_HOST | TBL)	/* a "table" in the host's memory */
	str	x22, [x9, #32]
	movimm	x22, BLK_NORMAL		/* VA 5 GiB: IPA 0 again, as Normal memory */
	str	x22, [x9, #40]
	dc	civac, x9		/* written with the MMU off: no stale line for the walker */
	dsb	sy
	msr	ttbr0_el1, x9
	movimm	x22, TCR_VALUE
	msr	tcr_el1, x22
	movimm	x22, MAIR_VALUE
	msr	mair_el1, x22
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mrs	x22, sctlr_el1
	orr	x22, x22, #1		/* M */
	orr	x22, x22, #(1 << 2)	/* C */
	orr	x22, x22, #(1 << 12)	/* I */
	msr	sctlr_el1, x22
	isb
	mrs	x23, sctlr_el1
	report

	load	HA_VA_KCORE, HOSTILE_VA_KCORE
	load	HA_VA_HOST, HOSTILE_VA_HOST
	store	HA_VA_CANARY, HOSTILE_VA_CANARY
	load	HA_VA_FAR, HOSTILE_VA_FAR
	load	HA_VA_WALK, HOSTILE_VA_WALK
	begin	HA_AT_KCORE
	movimm	x9, HOSTILE_VA_KCORE
	at	s1e1r, x9
	isb
	mrs	x23, par_el1
	report
	begin	HA_AT_WALK
	movimm	x9, HOSTILE_VA_WALK
	at	s1e1r, x9
	isb
	mrs	x23, par_el1
	report
	begin	HA_DC_CIVAC
	movimm	x9, HOSTILE_VA_HOST
	dc	civac, x9
	report
	begin	HA_ZVA_HOST
	movimm	x9, HOSTILE_VA_HOST
	dc	zva, x9
	report
	begin	HA_ZVA_CANARY
	movimm	x9, HOSTILE_VA_CANARY
	dc	zva, x9
	report
	begin	HA_ZVA_KCORE
	movimm	x9, HOSTILE_VA_KCORE
	dc	zva, x9
	report
	begin	HA_ZVA_OWN
	movimm	x9, HOSTILE_FRESH
	dc	zva, x9
	ldr	x23, [x9]
	report
	begin	HA_VA_OWN
	adr	x9, own_magic
	ldr	x23, [x9]
	report

	begin	HA_DEV_ID
	movimm	x9, (HOSTILE_WINDOW + 0xfe0)
	ldr	w23, [x9]
	report

	/*
	 * Done: the end mark, then a branch into its device window through
	 * the Normal alias (stage 1 lets it through, stage 2 does not: a
	 * permission fault the host sees; it powers the VM off).
	 */
	mov	x24, #HOSTILE_DONE
	str	x24, [x19]
	movimm	x9, (HOSTILE_VA_LOW_NORMAL + HOSTILE_WINDOW)
	br	x9
off:	movimm	x0, PSCI_SYSTEM_OFF
	hvc	#0
	b	off

	.balign	8
own_magic:
	.quad	HOSTILE_OWN_MAGIC

/*
 * Its vectors: a synchronous exception from EL1 (SP_EL1) records ESR and
 * FAR and goes on after the instruction — or, for an instruction abort (a
 * branch into nothing), back to the caller.  Anything else: off.
 */
	.balign	0x800
vectors:
	.balign	0x80
	b	off			/* EL1t */
	.balign	0x80
	b	off
	.balign	0x80
	b	off
	.balign	0x80
	b	off
	.balign	0x80			/* EL1h, synchronous: +0x200 */
	mrs	x20, esr_el1
	mrs	x21, far_el1
	lsr	x22, x20, #26
	cmp	x22, #0x21
	b.eq	1f
	mrs	x22, elr_el1
	add	x22, x22, #4
	msr	elr_el1, x22
	eret
1:	msr	elr_el1, x30
	eret
	.balign	0x80
	b	off
	.balign	0x80
	b	off
	.balign	0x80
	b	off
