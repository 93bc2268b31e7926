/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * System register access and the register fields the arm64 platform uses.
 * Registers without an assembler name in every toolchain (RNDR needs
 * -march=armv8.5-a+rng) are spelled by encoding, so the image builds with
 * the baseline -march of both cross files.
 */
#ifndef KCORE_ARM64_SYSREG_H
#define KCORE_ARM64_SYSREG_H

#include <stdint.h>

#define read_sysreg(reg)                                                                           \
	({                                                                                         \
		uint64_t __val;                                                                    \
		__asm__ volatile("mrs %0, " #reg : "=r"(__val));                                   \
		__val;                                                                             \
	})

#define write_sysreg(reg, val)                                                                     \
	__asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

#define isb()		   __asm__ volatile("isb" : : : "memory")
#define dsb(opt)	   __asm__ volatile("dsb " #opt : : : "memory")

/* SCTLR_EL2 (non-VHE); RES1 bits 4, 5, 11, 16, 18, 22, 23, 28, 29 */
#define SCTLR_EL2_RES1	   0x30c50830ull
#define SCTLR_EL2_M	   (1ull << 0)	/* stage-1 MMU */
#define SCTLR_EL2_A	   (1ull << 1)	/* alignment checks */
#define SCTLR_EL2_C	   (1ull << 2)	/* data caches */
#define SCTLR_EL2_SA	   (1ull << 3)	/* SP alignment check */
#define SCTLR_EL2_I	   (1ull << 12) /* instruction caches */
#define SCTLR_EL2_WXN	   (1ull << 19) /* writable implies execute-never */
#define SCTLR_EL2_EE	   (1ull << 25) /* big-endian data */

/* TCR_EL2 (non-VHE: one VA range, TTBR0_EL2) */
#define TCR_EL2_RES1	   ((1ull << 31) | (1ull << 23))
#define TCR_EL2_T0SZ(bits) ((uint64_t)(64u - (bits)) << 0)
#define TCR_EL2_IRGN0_WBWA (1ull << 8)
#define TCR_EL2_ORGN0_WBWA (1ull << 10)
#define TCR_EL2_SH0_INNER  (3ull << 12)
#define TCR_EL2_TG0_4K	   (0ull << 14)
#define TCR_EL2_PS_SHIFT   16

/* ID_AA64MMFR0_EL1.PARange: 0=32 1=36 2=40 3=42 4=44 5=48 6=52 bits */
#define MMFR0_PARANGE(v)   ((v) & 0xfu)
#define PARANGE_48	   5u

/* ID_AA64ISAR0_EL1.RNDR [63:60]: non-zero = FEAT_RNG (RNDR, RNDRRS) */
#define ISAR0_RNDR(v)	   (((v) >> 60) & 0xfu)

/* HCR_EL2 */
#define HCR_EL2_VM	   (1ull << 0)	/* stage 2 on for EL1&0 */
#define HCR_EL2_TSC	   (1ull << 19) /* EL1 SMC traps to EL2 (EC 0x17) */
#define HCR_EL2_RW	   (1ull << 31) /* EL1 is AArch64 */
#define HCR_EL2_APK	   (1ull << 40) /* pointer-auth key registers do not trap */
#define HCR_EL2_API	   (1ull << 41) /* pointer-auth instructions do not trap */

/* VTTBR_EL2.VMID [63:48] (16 bits with VTCR_EL2.VS=1, else [55:48]) */
#define VTTBR_VMID_SHIFT   48
#define VTTBR_VMID_MASK	   (0xffffull << VTTBR_VMID_SHIFT)

/* PAR_EL1 after AT: F (fault) in bit 0, PA[47:12] in [47:12] */
#define PAR_F		   (1ull << 0)
#define PAR_PA(v)	   ((v) & 0x0000fffffffff000ull)

/* ESR_ELx */
#define ESR_EC(esr)	   (((esr) >> 26) & 0x3fu)
#define ESR_IL		   (1ull << 25)
#define ESR_ISS(esr)	   ((esr) & 0x1ffffffu)
#define ESR_EC_UNKNOWN	   0x00u

/* CTR_EL0.DminLine [19:16]: log2 of the smallest D-cache line in words */
#define CTR_DMINLINE(v)	   (((v) >> 16) & 0xfu)
/* CTR_EL0.DIC [29]: instruction fetches are coherent with data, no IC needed */
#define CTR_DIC		   (1ull << 29)

#endif /* KCORE_ARM64_SYSREG_H */
