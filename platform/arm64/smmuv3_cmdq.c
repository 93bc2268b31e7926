/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMMUv3 command queue: commands go in at PROD, the SMMU consumes them
 * at CONS, and a CMD_SYNC (no interrupt, no MSI: completion is CONS passing
 * it) says every command before it has taken effect.  Every wait is
 * bounded: an SMMU that stops consuming, or reports a command error, is a
 * machine kcore can no longer protect, so kcore stops (plat_panic) with a
 * message rather than hang or carry on with stale translations.
 */
#include <kcore/printf.h>

#include "smmuv3.h"
#include "sysreg.h"

/* Long enough for any real SMMU; QEMU consumes commands at the PROD write. */
#define SMMUV3_WAIT_US 100000u

uint32_t smmuv3_read32(const struct smmuv3 *s, uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(s->base + reg);
}

void smmuv3_write32(const struct smmuv3 *s, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(s->base + reg) = v;
}

void smmuv3_write64(const struct smmuv3 *s, uint32_t reg, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)(s->base + reg) = v;
}

bool smmuv3_wait32(const struct smmuv3 *s, uint32_t reg, uint32_t mask, uint32_t want)
{
	uint64_t start = read_sysreg(cntpct_el0);
	uint64_t ticks = read_sysreg(cntfrq_el0) / 1000000u * SMMUV3_WAIT_US;

	while ((smmuv3_read32(s, reg) & mask) != want)
		if (read_sysreg(cntpct_el0) - start > ticks)
			return false;
	return true;
}

/*
 * One lock per SMMU: core calls the seam from any CPU, and the queue's
 * producer index is shared state.  Taken with nothing else of the
 * driver's held; core's own locks may be held (they come first).
 */
void smmuv3_lock(struct smmuv3 *s)
{
	while (__atomic_exchange_n(&s->lock, 1u, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
			;
}

void smmuv3_unlock(struct smmuv3 *s)
{
	__atomic_store_n(&s->lock, 0u, __ATOMIC_RELEASE);
}

static _Noreturn void smmuv3_dead(const struct smmuv3 *s, const char *what)
{
	kc_printf("kcore: smmu at 0x%llx: %s (CMDQ_PROD 0x%x CONS 0x%x GERROR 0x%x)\n",
		  (unsigned long long)s->base, what, smmuv3_read32(s, SMMU_CMDQ_PROD),
		  smmuv3_read32(s, SMMU_CMDQ_CONS), smmuv3_read32(s, SMMU_GERROR));
	plat_panic("smmuv3: the SMMU stopped consuming commands");
}

static void smmuv3_check_error(const struct smmuv3 *s)
{
	uint32_t gerr = smmuv3_read32(s, SMMU_GERROR) ^ smmuv3_read32(s, SMMU_GERRORN);

	if ((gerr & GERROR_CMDQ_ERR) || CMDQ_CONS_ERR(smmuv3_read32(s, SMMU_CMDQ_CONS)))
		smmuv3_dead(s, "command error");
}

/* Index + wrap bit arithmetic: q has 2^log2 entries, wrap bit at bit log2. */
static uint32_t smmuv3_q_inc(uint32_t p, unsigned log2)
{
	return (p + 1u) & ((2u << log2) - 1u);
}

static bool smmuv3_q_full(uint32_t prod, uint32_t cons, unsigned log2)
{
	uint32_t idx = (1u << log2) - 1u;

	return (prod & idx) == (cons & idx) && ((prod ^ cons) >> log2 & 1u);
}

static uint32_t smmuv3_cons(const struct smmuv3 *s)
{
	return smmuv3_read32(s, SMMU_CMDQ_CONS) & ((2u << s->cmdq_log2) - 1u);
}

static void smmuv3_cmd_put(struct smmuv3 *s, const uint64_t cmd[2])
{
	uint64_t start = read_sysreg(cntpct_el0);
	uint64_t ticks = read_sysreg(cntfrq_el0) / 1000000u * SMMUV3_WAIT_US;
	uint64_t *slot;

	while (smmuv3_q_full(s->cmdq_prod, smmuv3_cons(s), s->cmdq_log2)) {
		smmuv3_check_error(s);
		if (read_sysreg(cntpct_el0) - start > ticks)
			smmuv3_dead(s, "command queue full for too long");
	}
	slot = &s->cmdq[(s->cmdq_prod & ((1u << s->cmdq_log2) - 1u)) * 2u];
	slot[0] = cmd[0];
	slot[1] = cmd[1];
	s->cmdq_prod = smmuv3_q_inc(s->cmdq_prod, s->cmdq_log2);
	/* The entry is in memory (coherent walk: the SMMU snoops) before PROD moves. */
	dsb(st);
	smmuv3_write32(s, SMMU_CMDQ_PROD, s->cmdq_prod);
}

/*
 * Callers hold s->lock, so nobody else produces: the SYNC has completed
 * when CONS has caught up with PROD.  Before that, core's table writes
 * (and the STE writes here) are ordered before the commands by the
 * dsb in smmuv3_cmd_put; after it, no transaction uses what they removed.
 */
void smmuv3_cmd_submit(struct smmuv3 *s, const uint64_t (*cmds)[2], unsigned n)
{
	const uint64_t sync[2] = { CMD_SYNC, 0 };
	uint64_t start, ticks;

	for (unsigned i = 0; i < n; i++)
		smmuv3_cmd_put(s, cmds[i]);
	smmuv3_cmd_put(s, sync);
	start = read_sysreg(cntpct_el0);
	ticks = read_sysreg(cntfrq_el0) / 1000000u * SMMUV3_WAIT_US;
	while (smmuv3_cons(s) != s->cmdq_prod) {
		smmuv3_check_error(s);
		if (read_sysreg(cntpct_el0) - start > ticks)
			smmuv3_dead(s, "CMD_SYNC did not complete in time");
	}
	smmuv3_check_error(s);
	dsb(ish);
}
