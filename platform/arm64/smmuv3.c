/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMMUv3 driver (platform.h, "the SMMUs"; docs/SMMU.md, "On arm64"): brings
 * up the SMMUs the boot layout lists and programs their stream table for
 * core.  Stage 2 only: core's IO tables are the CPU's stage-2 format, one
 * per IO domain, and an attached stream's STE points at its domain's root
 * with the domain's tag as S2VMID.  Every other stream aborts.
 *
 * The stream table and both queues live in kcore's image (.bss), so they
 * are CORE frames from the first instruction: never in the host's or a
 * VM's stage 2, never given away.
 */
#include <kcore/mem.h>
#include <kcore/printf.h>

#include "smmuv3.h"
#include "sysreg.h"

struct smmuv3 smmuv3_units[KC_MAX_SMMUS];
unsigned smmuv3_count;

/*
 * The SMMU aligns a linear stream table to its size and a queue to its
 * size (IHI 0070 6.3.23/6.3.26): KC_SMMU_MAX_STREAMS x 64 B = 16 KiB.
 */
static uint64_t smmuv3_strtab[KC_MAX_SMMUS][KC_SMMU_MAX_STREAMS * STE_DWORDS]
	__attribute__((aligned(KC_SMMU_MAX_STREAMS * STE_DWORDS * 8)));
static uint64_t smmuv3_cmdq_mem[KC_MAX_SMMUS][(1u << SMMUV3_CMDQ_LOG2) * 2]
	__attribute__((aligned((1u << SMMUV3_CMDQ_LOG2) * 16)));
static uint64_t smmuv3_evtq_mem[KC_MAX_SMMUS][(1u << SMMUV3_EVTQ_LOG2) * 4]
	__attribute__((aligned((1u << SMMUV3_EVTQ_LOG2) * 32)));

static const unsigned smmuv3_oas_bits[] = { 32, 36, 40, 42, 44, 48, 52, 52 };

bool smmuv3_probe(uint64_t base, struct kc_smmu_desc *desc, const char **why)
{
	const volatile uint32_t *r = (const volatile uint32_t *)(uintptr_t)base;
	uint32_t idr0 = r[SMMU_IDR0 / 4], idr1 = r[SMMU_IDR1 / 4], idr5 = r[SMMU_IDR5 / 4];
	unsigned oas = IDR5_OAS(idr5) > 5 ? 5 : IDR5_OAS(idr5);
	unsigned sidsize = IDR1_SIDSIZE(idr1);

	if (!(idr0 & IDR0_S2P))
		*why = "no stage 2 (IDR0.S2P = 0): kcore's IO tables are stage-2 tables";
	else if (!(IDR0_TTF(idr0) & 2u))
		*why = "no AArch64 table format (IDR0.TTF)";
	else if (!(idr0 & IDR0_COHACC))
		*why = "table walks not coherent (IDR0.COHACC = 0): kcore writes its tables "
		       "through the cache";
	else if (!(idr5 & IDR5_GRAN4K))
		*why = "no 4 KiB granule (IDR5.GRAN4K = 0)";
	else if (oas < 2)
		*why = "fewer than 40 output address bits: stage 2 cannot start at level 0";
	else if (idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET))
		*why = "fixed table or queue addresses (IDR1.*_PRESET): not in kcore's memory";
	else if (IDR1_CMDQS(idr1) == 0 || IDR1_EVENTQS(idr1) == 0)
		*why = "command or event queue of a single entry";
	else {
		desc->nstreams = sidsize >= 8 ? KC_SMMU_MAX_STREAMS : 1u << sidsize;
		/*
		 * IOVA bits = the stage-2 input size: as wide as the output
		 * (S2T0SZ >= 64 - S2PS, IHI 0070 5.2), at most 48 (4 levels
		 * from level 0, the CPU's stage-2 format core writes).
		 */
		desc->ia_bits = smmuv3_oas_bits[oas];
		return true;
	}
	return false;
}

static void smmuv3_ste_write(struct smmuv3 *s, uint32_t sid, const uint64_t ste[STE_DWORDS])
{
	volatile uint64_t *e = &s->strtab[sid * STE_DWORDS];

	/* dword 0 (V, Config) last: the SMMU may fetch the entry at any time. */
	for (unsigned i = 1; i < STE_DWORDS; i++)
		e[i] = ste[i];
	dsb(st);
	e[0] = ste[0];
}

static void smmuv3_cfgi_ste(struct smmuv3 *s, uint32_t sid)
{
	const uint64_t cmd[1][2] = { { CMD_CFGI_STE | ((uint64_t)sid << 32), 1 /* leaf */ } };

	smmuv3_cmd_submit(s, cmd, 1);
}

static bool smmuv3_bring_up(struct smmuv3 *s, const char **why)
{
	uint32_t idr0 = smmuv3_read32(s, SMMU_IDR0), idr1 = smmuv3_read32(s, SMMU_IDR1);
	uint32_t gbpa;
	uint64_t cmds[2][2] = { { CMD_CFGI_ALL, 31 /* Range: all streams */ },
				{ CMD_TLBI_NSNH_ALL, 0 } };

	(void)idr0;
	s->cmdq_log2 = IDR1_CMDQS(idr1) < SMMUV3_CMDQ_LOG2 ? IDR1_CMDQS(idr1) : SMMUV3_CMDQ_LOG2;
	s->evtq_log2 =
		IDR1_EVENTQS(idr1) < SMMUV3_EVTQ_LOG2 ? IDR1_EVENTQS(idr1) : SMMUV3_EVTQ_LOG2;

	/*
	 * First GBPA = abort (its update protocol: wait for Update = 0,
	 * write with Update = 1, wait for Update = 0), then SMMUEN = 0: from
	 * here until SMMUEN = 1 every transaction aborts, whatever a firmware
	 * or an earlier boot left programmed.
	 */
	if (!smmuv3_wait32(s, SMMU_GBPA, GBPA_UPDATE, 0)) {
		*why = "GBPA update still pending from before kcore";
		return false;
	}
	gbpa = smmuv3_read32(s, SMMU_GBPA);
	smmuv3_write32(s, SMMU_GBPA, gbpa | GBPA_ABORT | GBPA_UPDATE);
	if (!smmuv3_wait32(s, SMMU_GBPA, GBPA_UPDATE, 0) ||
	    !(smmuv3_read32(s, SMMU_GBPA) & GBPA_ABORT)) {
		*why = "GBPA.ABORT did not take";
		return false;
	}
	smmuv3_write32(s, SMMU_CR0, 0);
	if (!smmuv3_wait32(s, SMMU_CR0ACK, ~0u, 0)) {
		*why = "CR0ACK did not follow SMMUEN = 0";
		return false;
	}
	/* No interrupts: kcore polls its queues; acknowledge stale global errors. */
	smmuv3_write32(s, SMMU_IRQ_CTRL, 0);
	if (!smmuv3_wait32(s, SMMU_IRQ_CTRLACK, ~0u, 0)) {
		*why = "IRQ_CTRLACK did not follow IRQ_CTRL = 0";
		return false;
	}
	smmuv3_write32(s, SMMU_GERRORN, smmuv3_read32(s, SMMU_GERROR));

	/* Every stream valid and aborting (V = 1, Config = abort). */
	for (uint32_t sid = 0; sid < s->nstreams; sid++) {
		memset(&s->strtab[sid * STE_DWORDS], 0, STE_DWORDS * 8);
		s->strtab[sid * STE_DWORDS] = STE0_V | STE0_CONFIG_ABORT;
	}
	memset(s->cmdq, 0, (8u << s->cmdq_log2) * 2);
	memset(s->evtq, 0, (8u << s->evtq_log2) * 4);
	dsb(sy);

	smmuv3_write64(s, SMMU_STRTAB_BASE, (uint64_t)(uintptr_t)s->strtab | STRTAB_BASE_RA);
	smmuv3_write32(s, SMMU_STRTAB_BASE_CFG, s->log2_streams); /* FMT = linear */
	smmuv3_write64(s, SMMU_CMDQ_BASE, (uint64_t)(uintptr_t)s->cmdq | Q_BASE_RWA | s->cmdq_log2);
	smmuv3_write32(s, SMMU_CMDQ_PROD, 0);
	smmuv3_write32(s, SMMU_CMDQ_CONS, 0);
	s->cmdq_prod = 0;
	smmuv3_write64(s, SMMU_EVENTQ_BASE,
		       (uint64_t)(uintptr_t)s->evtq | Q_BASE_RWA | s->evtq_log2);
	smmuv3_write32(s, SMMU_EVENTQ_PROD, 0);
	smmuv3_write32(s, SMMU_EVENTQ_CONS, 0);
	smmuv3_write32(s, SMMU_CR1, CR1_WB_ISH);
	smmuv3_write32(s, SMMU_CR2, CR2_RECINVSID | CR2_PTM);

	/* Commands first, so nothing cached from before kcore survives SMMUEN. */
	smmuv3_write32(s, SMMU_CR0, CR0_CMDQEN);
	if (!smmuv3_wait32(s, SMMU_CR0ACK, ~0u, CR0_CMDQEN)) {
		*why = "CR0ACK did not follow CMDQEN";
		return false;
	}
	smmuv3_cmd_submit(s, (const uint64_t(*)[2])cmds, 2);
	smmuv3_write32(s, SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN);
	if (!smmuv3_wait32(s, SMMU_CR0ACK, ~0u, CR0_CMDQEN | CR0_EVENTQEN)) {
		*why = "CR0ACK did not follow EVENTQEN";
		return false;
	}
	smmuv3_write32(s, SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
	if (!smmuv3_wait32(s, SMMU_CR0ACK, ~0u, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN)) {
		*why = "CR0ACK did not follow SMMUEN";
		return false;
	}
	return true;
}

bool smmuv3_init(const struct kc_boot_layout *l, const char **why)
{
	smmuv3_count = 0;
	for (unsigned i = 0; i < l->nsmmus && i < KC_MAX_SMMUS; i++) {
		struct smmuv3 *s = &smmuv3_units[i];
		const struct kc_smmu_desc *d = &l->smmus[i];
		unsigned oas = IDR5_OAS(0);

		memset(s, 0, sizeof(*s));
		s->base = l->devices[d->device].base;
		s->nstreams = d->nstreams;
		while ((1u << s->log2_streams) < s->nstreams)
			s->log2_streams++;
		s->ia_bits = d->ia_bits;
		oas = IDR5_OAS(smmuv3_read32(s, SMMU_IDR5));
		s->s2ps = oas > 5 ? 5 : oas;
		s->strtab = smmuv3_strtab[i];
		s->cmdq = smmuv3_cmdq_mem[i];
		s->evtq = smmuv3_evtq_mem[i];
		if (!smmuv3_bring_up(s, why))
			return false;
		smmuv3_count = i + 1;
		kc_printf("kcore: smmu %u at 0x%08llx: %u streams, stage 2, %u-bit IOVA, "
			  "GBPA abort\n",
			  i, (unsigned long long)s->base, s->nstreams, s->ia_bits);
	}
	return true;
}

static struct smmuv3 *smmuv3_get(unsigned smmu)
{
	if (smmu >= smmuv3_count)
		plat_panic("smmuv3: an SMMU the layout does not list");
	return &smmuv3_units[smmu];
}

/*
 * Any change to a stream goes through abort: Config = abort, CFGI_STE,
 * SYNC (no transaction uses the old configuration any more), then the new
 * fields with dword 0 last, CFGI_STE, SYNC.  The abort STE stays valid, so
 * a transaction in between is stopped quietly, never a C_BAD_STE.
 */
void plat_smmu_stream_set(unsigned smmu, uint32_t sid, uint16_t tag, kc_paddr_t root)
{
	struct smmuv3 *s = smmuv3_get(smmu);
	uint64_t ste[STE_DWORDS] = { STE0_V | STE0_CONFIG_ABORT };
	volatile uint64_t *e;
	bool was_s2;
	uint16_t old_tag;

	if (sid >= s->nstreams)
		plat_panic("smmuv3: stream id past the stream table");
	smmuv3_lock(s);
	e = &s->strtab[sid * STE_DWORDS];
	was_s2 = (e[0] & STE0_CONFIG_MASK) == STE0_CONFIG_S2;
	old_tag = (uint16_t)(e[2] & 0xffffu);
	if (was_s2) {
		e[0] = STE0_V | STE0_CONFIG_ABORT;
		smmuv3_cfgi_ste(s, sid);
		/* The old domain's translations must not outlive the stream's use of them. */
		const uint64_t tlbi[1][2] = { { CMD_TLBI_S12_VMALL | ((uint64_t)old_tag << 32),
						0 } };
		smmuv3_cmd_submit(s, tlbi, 1);
	}
	if (root != 0) {
		ste[0] = STE0_V | STE0_CONFIG_S2;
		ste[1] = STE1_SHCFG_INCOMING;
		ste[2] = STE2_S2VMID(tag) | STE2_S2T0SZ(64u - s->ia_bits) | STE2_S2SL0_L0 |
			 STE2_S2IR0_WBWA | STE2_S2OR0_WBWA | STE2_S2SH0_ISH | STE2_S2TG_4K |
			 STE2_S2PS(s->s2ps) | STE2_S2AA64 | STE2_S2R;
		ste[3] = root & STE3_S2TTB_MASK;
		smmuv3_ste_write(s, sid, ste);
		smmuv3_cfgi_ste(s, sid);
	} else if (!was_s2) {
		/* Already aborting: the contract still wants its config re-read. */
		smmuv3_ste_write(s, sid, ste);
		smmuv3_cfgi_ste(s, sid);
	} else {
		smmuv3_ste_write(s, sid, ste);
	}
	smmuv3_unlock(s);
}

/* Over this many pages one VMALL is cheaper than a TLBI_S2_IPA per page. */
#define SMMUV3_TLBI_PAGES_MAX 16u

void plat_smmu_tlbi_range(uint16_t tag, uint64_t iova, uint64_t size)
{
	uint64_t pages = (size + PGT_PAGE_SIZE - 1) >> PGT_PAGE_SHIFT;

	if (pages > SMMUV3_TLBI_PAGES_MAX) {
		plat_smmu_tlbi_tag(tag);
		return;
	}
	for (unsigned i = 0; i < smmuv3_count; i++) {
		struct smmuv3 *s = &smmuv3_units[i];
		uint64_t cmds[SMMUV3_TLBI_PAGES_MAX][2];

		for (uint64_t p = 0; p < pages; p++) {
			uint64_t a = (iova & ~(PGT_PAGE_SIZE - 1)) + (p << PGT_PAGE_SHIFT);

			/* Leaf = 0: also any walk cache entry of a table core freed. */
			cmds[p][0] = CMD_TLBI_S2_IPA | ((uint64_t)tag << 32);
			cmds[p][1] = a & 0x000ffffffffff000ull;
		}
		smmuv3_lock(s);
		smmuv3_cmd_submit(s, (const uint64_t(*)[2])cmds, (unsigned)pages);
		smmuv3_unlock(s);
	}
}

void plat_smmu_tlbi_tag(uint16_t tag)
{
	const uint64_t cmd[1][2] = { { CMD_TLBI_S12_VMALL | ((uint64_t)tag << 32), 0 } };

	for (unsigned i = 0; i < smmuv3_count; i++) {
		smmuv3_lock(&smmuv3_units[i]);
		smmuv3_cmd_submit(&smmuv3_units[i], cmd, 1);
		smmuv3_unlock(&smmuv3_units[i]);
	}
}
