/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "hostile" guest's layout and report format, shared by its code
 * (hostile.S), its manifest (meson.build: one image at HOSTILE_BASE in
 * 2 MiB of RAM from there, no device window) and the stand-in host that
 * runs it and checks every answer (tests/arm64/host/test_hostile.c).
 */
#ifndef KCORE_GUEST_HOSTILE_H
#define KCORE_GUEST_HOSTILE_H

#define HOSTILE_BASE	      0x80000000 /* its image, and the start of its RAM */
#define HOSTILE_RAM	      0x00200000
#define HOSTILE_FRESH	      0x80100000 /* its own RAM, outside the image: the host backs it */
#define HOSTILE_TABLE	      0x80101000 /* its own RAM: its stage-1 level-1 table */
#define HOSTILE_UART	      0x09000000 /* the page it guards: its reports go there */
/*
 * Its device window (meson.build signs it in): the host maps a real device
 * page there, QEMU virt's PL031 RTC, whose PeriphID0 (offset 0xfe0) reads
 * 0x31.  Device pages are never executable at stage 2: a branch there is a
 * stage-2 permission fault, whose HPFAR_EL2 the hardware does not promise.
 */
#define HOSTILE_WINDOW	      0x20000000
#define HOSTILE_DEVICE_PA     0x09010000
#define HOSTILE_DEVICE_ID     0x31

/*
 * Physical addresses it tries as IPAs: kcore's image, the host's image, a
 * host page holding canaries, and a frame of another VM's image (the host
 * puts both there before it runs the guest).
 */
#define HOSTILE_KCORE	      0x40080000
#define HOSTILE_HOST	      0x42000000
#define HOSTILE_HOST_CANARY   0x4d100000
#define HOSTILE_OTHER_VM      0x4d003000
#define HOSTILE_IPA_TOP	      0xfffffffff000 /* the last page of a 48-bit IPA space */
#define HOSTILE_IPA_FAR	      0x8000000000   /* 2^39: what its stage 1 maps at VA 0xc0000000 */

/* Through its own stage 1 (MMU on): VA -> IPA as its level-1 table says. */
#define HOSTILE_VA_KCORE      0x40080000  /* 1 GiB block at IPA 0x40000000 */
#define HOSTILE_VA_HOST	      0x42000000  /* the same block */
#define HOSTILE_VA_CANARY     0x4d100000  /* the same block */
#define HOSTILE_VA_FAR	      0xc0000000  /* block at IPA HOSTILE_IPA_FAR */
#define HOSTILE_VA_WALK	      0x100000000 /* a level-2 table at IPA HOSTILE_HOST */
#define HOSTILE_VA_LOW_NORMAL 0x140000000 /* IPA 0, Normal: a fetch passes stage 1 */

/* Canaries it keeps in x1..x6 across its calls: HOSTILE_CANARY | n. */
#define HOSTILE_CANARY	      0x5ec2e75ec2e70000

/*
 * Each attempt is reported as four 64-bit stores to HOSTILE_UART: the
 * attempt's id, ESR_EL1 of the exception it took (0: none), FAR_EL1 of it
 * (0: none), and the value it got (the register it loaded, x0 of a call,
 * PAR_EL1...).  After the last, HOSTILE_DONE as an id; then it branches
 * into its device window (through a Normal stage-1 alias): a stage-2
 * permission fault the host must see at HOSTILE_WINDOW, and the host
 * powers it off.
 */
#define HOSTILE_DONE	      0xd0e

/* Attempt ids (the host's table in test_hostile.c says what each must get). */
#define HA_LD_LOW	      0x01 /* load below its RAM */
#define HA_LD_BELOW	      0x02 /* load from the page below its RAM */
#define HA_LD_ABOVE	      0x03 /* load from the page above its RAM */
#define HA_LD_KCORE	      0x04 /* load from kcore's image, as an IPA */
#define HA_LD_HOST	      0x05 /* load from the host's image, as an IPA */
#define HA_LD_CANARY	      0x06 /* load from the host's canary page, as an IPA */
#define HA_ST_CANARY	      0x07 /* store to it */
#define HA_LD_OTHER	      0x08 /* load from another VM's frame, as an IPA */
#define HA_ST_OTHER	      0x09 /* store to it */
#define HA_LD_TOP	      0x0a /* load from the top of the IPA space */
#define HA_EXEC_KCORE	      0x0b /* branch to kcore's image */
#define HA_LDP_HOST	      0x0c /* load pair (no syndrome to emulate) from the host's image */
#define HA_LD_OWN	      0x0d /* control: load from its own image */
#define HA_LD_FRESH	      0x0e /* control: store and load its own RAM (the host backs it) */
#define HA_UART_LDP	      0x0f /* load pair from its UART page: nothing to emulate */
#define HA_SMC_MIGRATE	      0x20 /* smc PSCI MIGRATE */
#define HA_SMC_SIP	      0x21 /* smc SiP service call */
#define HA_SMC_OEM	      0x22 /* smc OEM service call */
#define HA_SMC_WA1	      0x23 /* smc SMCCC_ARCH_WORKAROUND_1 */
#define HA_SMC_FEAT_WA1	      0x24 /* smc SMCCC_ARCH_FEATURES(WORKAROUND_1) */
#define HA_SMC_FEAT_WA2	      0x25 /* smc SMCCC_ARCH_FEATURES(WORKAROUND_2) */
#define HA_HVC_IMM	      0x26 /* hvc #1 PSCI_VERSION */
#define HA_SMC_IMM	      0x27 /* smc #1 PSCI_VERSION */
#define HA_HVC_VERSION	      0x28 /* control: hvc #0 PSCI_VERSION */
#define HA_MDSCR	      0x30 /* msr MDSCR_EL1 (MDE | KDE), mrs it back */
#define HA_DBGBVR	      0x31 /* msr DBGBVR0_EL1, mrs it back */
#define HA_PMCR		      0x32 /* mrs PMCR_EL0 */
#define HA_PMCCNTR	      0x33 /* mrs PMCCNTR_EL0 */
#define HA_PMCR_W	      0x34 /* msr PMCR_EL0 */
#define HA_PFR0		      0x35 /* mrs ID_AA64PFR0_EL1 */
#define HA_DFR0		      0x36 /* mrs ID_AA64DFR0_EL1 */
#define HA_MMFR0	      0x37 /* mrs ID_AA64MMFR0_EL1 */
#define HA_PFR0_W	      0x38 /* msr ID_AA64PFR0_EL1 */
#define HA_IMPDEF	      0x39 /* mrs S3_0_C15_C0_0 */
#define HA_ICH_VTR	      0x3a /* mrs ICH_VTR_EL2 */
#define HA_CNTVOFF	      0x3b /* mrs CNTVOFF_EL2 */
#define HA_CNTP_CTL	      0x3c /* msr CNTP_CTL_EL0 (enable), mrs it back */
#define HA_CNTP_CVAL	      0x3d /* mrs CNTP_CVAL_EL0 */
#define HA_ACTLR	      0x3e /* mrs ACTLR_EL1 */
#define HA_TPIDR	      0x3f /* control: msr/mrs TPIDR_EL1, its own */
#define HA_MMU_ON	      0x40 /* control: its stage 1 on; value = SCTLR_EL1 */
#define HA_VA_KCORE	      0x41 /* load through its stage 1 from kcore's IPA */
#define HA_VA_HOST	      0x42 /* ... from the host's */
#define HA_VA_CANARY	      0x43 /* store through it to the host's canary page */
#define HA_VA_FAR	      0x44 /* load from an IPA far above its RAM */
#define HA_VA_WALK	      0x45 /* load where its walk reads a table at the host's IPA */
#define HA_AT_KCORE	      0x46 /* AT S1E1R of HOSTILE_VA_KCORE: value = PAR_EL1 */
#define HA_AT_WALK	      0x47 /* AT S1E1R of HOSTILE_VA_WALK: value = PAR_EL1 */
#define HA_DC_CIVAC	      0x48 /* DC CIVAC of HOSTILE_VA_HOST */
#define HA_ZVA_HOST	      0x49 /* DC ZVA of HOSTILE_VA_HOST */
#define HA_ZVA_CANARY	      0x4a /* DC ZVA of HOSTILE_VA_CANARY */
#define HA_ZVA_KCORE	      0x4b /* DC ZVA of HOSTILE_VA_KCORE */
#define HA_ZVA_OWN	      0x4c /* control: DC ZVA of its own RAM, then a load: 0 */
#define HA_VA_OWN	      0x4d /* control: a load of its own image through its stage 1 */
#define HA_DEV_ID	      0x4e /* control: a load from the device the host mapped in its window */
#define HA_SHARE_HOST	      0x4f /* SHARE the host's image page, by its frame number as a gfn */
#define HA_UNSHARE_KCORE      0x50 /* UNSHARE kcore's, the same way */
#define HA_ISAR0	      0x51 /* mrs ID_AA64ISAR0_EL1 */
#define HA_ISAR1	      0x52 /* mrs ID_AA64ISAR1_EL1 (pointer authentication...) */
#define HA_MMFR1	      0x53 /* mrs ID_AA64MMFR1_EL1 (VHE, PAN, LOR...) */
#define HA_PFR1		      0x54 /* mrs ID_AA64PFR1_EL1 (MTE, SSBS, SME...) */
#define HA_SVE		      0x55 /* rdvl: an SVE instruction (CPTR_EL2.TZ traps it) */
#define HA_PACGA	      0x56 /* pacga: a pointer-auth instruction (HCR_EL2.API clear) */
#define HOSTILE_OWN_MAGIC     0x6c69747368 /* what HA_LD_OWN/HA_VA_OWN read: "hstil" */

#endif
