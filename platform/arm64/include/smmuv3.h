/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's SMMUv3 driver (docs/SMMU.md, "On arm64"): stage 2 only, a linear stream
 * table and the command and event queues in kcore's image (CORE frames the
 * host never maps), GBPA = abort.  The registers and in-memory formats are
 * the SMMUv3 architecture's (IHI 0070); only what kcore uses is named.
 *
 * smmuv3.c brings the SMMUs up and implements platform.h's seam,
 * smmuv3_cmdq.c submits commands and waits for them (bounded),
 * smmuv3_evtq.c takes and decodes event records.
 */
#ifndef KCORE_ARM64_SMMUV3_H
#define KCORE_ARM64_SMMUV3_H

#include <kcore/kcore.h>
#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- registers (page 0 unless noted) ---- */
#define SMMU_IDR0	       0x0000u
#define SMMU_IDR1	       0x0004u
#define SMMU_IDR5	       0x0014u
#define SMMU_CR0	       0x0020u
#define SMMU_CR0ACK	       0x0024u
#define SMMU_CR1	       0x0028u
#define SMMU_CR2	       0x002cu
#define SMMU_GBPA	       0x0044u
#define SMMU_IRQ_CTRL	       0x0050u
#define SMMU_IRQ_CTRLACK       0x0054u
#define SMMU_GERROR	       0x0060u
#define SMMU_GERRORN	       0x0064u
#define SMMU_STRTAB_BASE       0x0080u
#define SMMU_STRTAB_BASE_CFG   0x0088u
#define SMMU_CMDQ_BASE	       0x0090u
#define SMMU_CMDQ_PROD	       0x0098u
#define SMMU_CMDQ_CONS	       0x009cu
#define SMMU_EVENTQ_BASE       0x00a0u
#define SMMU_EVENTQ_PROD       0x100a8u /* page 1 */
#define SMMU_EVENTQ_CONS       0x100acu /* page 1 */
#define SMMU_MMIO_SIZE	       0x20000u /* both register pages */

#define IDR0_S2P	       (1u << 0)
#define IDR0_TTF(v)	       (((v) >> 2) & 3u) /* bit 1: AArch64 tables */
#define IDR0_COHACC	       (1u << 4)
#define IDR0_VMID16	       (1u << 18)
#define IDR1_SIDSIZE(v)	       ((v) & 0x3fu)
#define IDR1_EVENTQS(v)	       (((v) >> 16) & 0x1fu)
#define IDR1_CMDQS(v)	       (((v) >> 21) & 0x1fu)
#define IDR1_QUEUES_PRESET     (1u << 29)
#define IDR1_TABLES_PRESET     (1u << 30)
#define IDR5_OAS(v)	       ((v) & 7u) /* 0=32 1=36 2=40 3=42 4=44 5=48 6=52 bits */
#define IDR5_GRAN4K	       (1u << 4)

#define CR0_SMMUEN	       (1u << 0)
#define CR0_EVENTQEN	       (1u << 2)
#define CR0_CMDQEN	       (1u << 3)
/* CR1: tables and queues inner+outer write-back, inner shareable */
#define CR1_WB_ISH	       ((3u << 10) | (1u << 8) | (1u << 6) | (3u << 4) | (1u << 2) | (1u << 0))
#define CR2_RECINVSID	       (1u << 1) /* record C_BAD_STREAMID for streams past the table */
#define CR2_PTM		       (1u << 2) /* broadcast TLBIs are the CPU's business, not ours */
#define GBPA_ABORT	       (1u << 20)
#define GBPA_UPDATE	       (1u << 31)
#define GERROR_CMDQ_ERR	       (1u << 0)
#define CMDQ_CONS_ERR(v)       (((v) >> 24) & 0x7fu)
#define Q_BASE_RWA	       (1ull << 62) /* read-allocate (CMDQ), write-allocate (EVENTQ) */
#define STRTAB_BASE_RA	       (1ull << 62)
#define Q_OVFLG		       (1u << 31)

/* ---- stream table entries: 8 doublewords ---- */
#define STE_DWORDS	       8u
#define STE0_V		       (1ull << 0)
#define STE0_CONFIG_ABORT      (0ull << 1)
#define STE0_CONFIG_S2	       (6ull << 1) /* stage 1 bypass, stage 2 translate */
#define STE0_CONFIG_MASK       (7ull << 1)
#define STE1_SHCFG_INCOMING    (1ull << 44)
#define STE2_S2VMID(v)	       ((uint64_t)(v) & 0xffffu)
#define STE2_S2T0SZ(v)	       ((uint64_t)(v) << 32)
#define STE2_S2SL0_L0	       (2ull << 38) /* 4 KiB granule: walks start at level 0 */
#define STE2_S2IR0_WBWA	       (1ull << 40)
#define STE2_S2OR0_WBWA	       (1ull << 42)
#define STE2_S2SH0_ISH	       (3ull << 44)
#define STE2_S2TG_4K	       (0ull << 46)
#define STE2_S2PS(v)	       ((uint64_t)(v) << 48)
#define STE2_S2AA64	       (1ull << 51)
#define STE2_S2R	       (1ull << 58) /* record stage-2 faults in the event queue */
#define STE3_S2TTB_MASK	       0x000ffffffffffff0ull

/* ---- commands: 2 doublewords ---- */
#define CMD_CFGI_STE	       0x03u
#define CMD_CFGI_ALL	       0x04u /* CFGI_STE_RANGE with Range = 31 */
#define CMD_TLBI_S12_VMALL     0x28u
#define CMD_TLBI_S2_IPA	       0x2au
#define CMD_TLBI_NSNH_ALL      0x30u
#define CMD_SYNC	       0x46u

/* ---- event records: 4 doublewords ---- */
#define EVT_F_UUT	       0x01u
#define EVT_C_BAD_STREAMID     0x02u
#define EVT_C_BAD_STE	       0x04u
#define EVT_F_STREAM_DISABLED  0x06u
#define EVT_F_TRANSL_FORBIDDEN 0x07u
#define EVT_F_TRANSLATION      0x10u
#define EVT_F_ADDR_SIZE	       0x11u
#define EVT_F_ACCESS	       0x12u
#define EVT_F_PERMISSION       0x13u

/* Queue sizes kcore uses (log2 entries), capped by IDR1. */
#define SMMUV3_CMDQ_LOG2       8u /* 256 x 16 B = 4 KiB */
#define SMMUV3_EVTQ_LOG2       8u /* 256 x 32 B = 8 KiB: QEMU records a stopped DMA per 4 bytes */

struct smmuv3 {
	uint64_t base; /* MMIO, identity-mapped by the core map */
	uint32_t nstreams;
	unsigned log2_streams;
	unsigned ia_bits;
	unsigned s2ps; /* STE.S2PS: IDR5.OAS capped at 48 bits */
	uint64_t *strtab;
	uint64_t *cmdq;
	unsigned cmdq_log2;
	uint32_t cmdq_prod; /* our copy: index and wrap bit */
	uint64_t *evtq;
	unsigned evtq_log2;
	uint32_t lock;
};

extern struct smmuv3 smmuv3_units[KC_MAX_SMMUS];
extern unsigned smmuv3_count;

/*
 * Read an SMMU's ID registers (MMU off or on: the access is to its
 * physical address) and decide whether kcore can drive it: stage 2,
 * AArch64 tables, 4 KiB granule, coherent table walks, at least 40 output
 * bits, tables and queues kcore may place.  false with *why if not.
 */
bool smmuv3_probe(uint64_t base, struct kc_smmu_desc *desc, const char **why);

/*
 * Bring every SMMU of the layout up (after the MMU is on: the registers
 * are reached through the core map): GBPA = abort, every stream aborting,
 * queues on, caches invalidated, SMMUEN.  Prints one line per SMMU.  false
 * with *why if one does not respond; the boot must then stop.
 */
bool smmuv3_init(const struct kc_boot_layout *l, const char **why);

/* smmuv3_cmdq.c: queue `n` commands and wait until the SMMU consumed a CMD_SYNC after them. */
void smmuv3_cmd_submit(struct smmuv3 *s, const uint64_t (*cmds)[2], unsigned n);
void smmuv3_lock(struct smmuv3 *s);
void smmuv3_unlock(struct smmuv3 *s);
/* Wait (bounded) until (reg & mask) == want; false on timeout. */
bool smmuv3_wait32(const struct smmuv3 *s, uint32_t reg, uint32_t mask, uint32_t want);
uint32_t smmuv3_read32(const struct smmuv3 *s, uint32_t reg);
void smmuv3_write32(const struct smmuv3 *s, uint32_t reg, uint32_t v);
void smmuv3_write64(const struct smmuv3 *s, uint32_t reg, uint64_t v);

#endif /* KCORE_ARM64_SMMUV3_H */
