/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-CPU state: the MPIDR <-> index table, per-CPU EL2 stacks, and what
 * a CPU that kcore started needs before it can enter the host.
 */
#include "arm64_percpu.h"

#include <kcore/platform.h>

#include "arm64_host.h"
#include "sysreg.h"

static struct arm64_cpu arm64_cpus[ARM64_MAX_CPUS];
static unsigned arm64_ncpus = 1;

/*
 * Every CPU's EL2 stack (the boot CPU's first entry uses start.S's own);
 * start.S computes a secondary's from its index.
 */
extern uint8_t arm64_cpu_stacks[ARM64_MAX_CPUS][ARM64_CPU_STACK_SIZE];
uint8_t arm64_cpu_stacks[ARM64_MAX_CPUS][ARM64_CPU_STACK_SIZE] __attribute__((aligned(16)));

/* Read by start.S with the MMU off: MAIR, TCR, TTBR0, SCTLR of EL2. */
struct arm64_mmu_regs {
	uint64_t mair, tcr, ttbr0, sctlr;
};
extern struct arm64_mmu_regs arm64_secondary_mmu;
struct arm64_mmu_regs arm64_secondary_mmu;

bool arm64_percpu_init(const uint64_t *mpidr, unsigned n, uint64_t boot_mpidr)
{
	unsigned k = 1;
	bool found = false;

	boot_mpidr &= ARM64_MPIDR_AFF_MASK;
	arm64_cpus[0].mpidr = boot_mpidr;
	arm64_cpus[0].state = ARM64_CPU_ON;
	if (n == 0) {
		arm64_ncpus = 1;
		return true;
	}
	for (unsigned i = 0; i < n && i < ARM64_MAX_CPUS; i++) {
		uint64_t m = mpidr[i] & ARM64_MPIDR_AFF_MASK;

		if (m == boot_mpidr) {
			found = true;
			continue;
		}
		if (k == ARM64_MAX_CPUS)
			return false;
		arm64_cpus[k].mpidr = m;
		arm64_cpus[k].state = ARM64_CPU_OFF;
		k++;
	}
	arm64_ncpus = k;
	return found;
}

unsigned arm64_percpu_count(void)
{
	return arm64_ncpus;
}

int arm64_percpu_index(uint64_t mpidr)
{
	mpidr &= ARM64_MPIDR_AFF_MASK;
	for (unsigned i = 0; i < arm64_ncpus; i++)
		if (arm64_cpus[i].mpidr == mpidr)
			return (int)i;
	return -1;
}

struct arm64_cpu *arm64_percpu(unsigned index)
{
	return &arm64_cpus[index];
}

uint64_t arm64_percpu_stack_top(unsigned index)
{
	return (uint64_t)(uintptr_t)&arm64_cpu_stacks[index][ARM64_CPU_STACK_SIZE];
}

void arm64_percpu_publish_mmu(void)
{
	arm64_secondary_mmu.mair = read_sysreg(mair_el2);
	arm64_secondary_mmu.tcr = read_sysreg(tcr_el2);
	arm64_secondary_mmu.ttbr0 = read_sysreg(ttbr0_el2);
	arm64_secondary_mmu.sctlr = read_sysreg(sctlr_el2);
	plat_dcache_clean_inval_poc(&arm64_secondary_mmu, sizeof(arm64_secondary_mmu));
}

_Noreturn void arm64_secondary_main(uint64_t index)
{
	struct arm64_cpu *c = &arm64_cpus[index];
	uint64_t entry = c->host_entry, ctx = c->host_ctx;

	__atomic_store_n(&c->state, ARM64_CPU_ON, __ATOMIC_RELEASE);
	arm64_host_enter(entry, ctx, arm64_percpu_stack_top((unsigned)index));
}
