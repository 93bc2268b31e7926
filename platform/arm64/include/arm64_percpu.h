/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-CPU state on arm64.  A CPU's index (plat_cpu_id, TPIDR_EL2) is its
 * position in a table built from the DTB's /cpus, the boot CPU first;
 * PSCI CPU_ON names CPUs by MPIDR and the table turns one into the other.
 */
#ifndef KCORE_ARM64_PERCPU_H
#define KCORE_ARM64_PERCPU_H

/* Bytes of EL2 stack per CPU: BearSSL's P-256 verify is the deepest user. */
#define ARM64_CPU_STACK_SIZE 0x8000

/* MPIDR_EL1 affinity fields Aff3 [39:32], Aff2..Aff0 [23:0]. */
#define ARM64_MPIDR_AFF_MASK 0xff00ffffffull

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "arm64_fdt.h"
#include "sysreg.h"

/*
 * This CPU's dense index (plat_cpu_id), inline for the world switch:
 * start.S puts it in TPIDR_EL2 (0: one CPU until PSCI bring-up).
 */
static inline unsigned arm64_cpu_index(void)
{
	return (unsigned)read_sysreg(tpidr_el2);
}

enum arm64_cpu_state {
	ARM64_CPU_OFF,
	ARM64_CPU_ON_PENDING, /* CPU_ON accepted, the CPU has not entered the host yet */
	ARM64_CPU_ON,
};

struct arm64_cpu {
	uint64_t mpidr;	     /* affinity bits only */
	uint32_t state;	     /* enum arm64_cpu_state, changed atomically */
	uint64_t host_entry; /* where the host asked this CPU to start (CPU_ON, CPU_SUSPEND) */
	uint64_t host_ctx;   /* and the context id it gets in x0 */
	void *vcpu;	     /* the vCPU loaded on this CPU (the guests issue); NULL */
};

/*
 * Build the table from the DTB's CPU list with the boot CPU (boot_mpidr)
 * at index 0.  False if the boot CPU is not in a non-empty list.  With no
 * list the boot CPU is the only CPU.
 */
bool arm64_percpu_init(const uint64_t *mpidr, unsigned n, uint64_t boot_mpidr);

/* Number of CPUs in the table (kc_config.ncpus). */
unsigned arm64_percpu_count(void);

/* The index of the CPU with this MPIDR (affinity bits compared), or -1. */
int arm64_percpu_index(uint64_t mpidr);

/* The state of CPU `index` (< arm64_percpu_count()). */
struct arm64_cpu *arm64_percpu(unsigned index);

/* The top of CPU `index`'s EL2 stack. */
uint64_t arm64_percpu_stack_top(unsigned index);

/*
 * What a CPU coming up through arm64_secondary_entry (start.S) loads
 * before its MMU is on: the boot CPU's EL2 translation registers.  Filled
 * once the boot CPU's MMU is on, and cleaned to the PoC for readers with
 * caches off.
 */
void arm64_percpu_publish_mmu(void);

/* A CPU started by kcore's CPU_ON (or resuming from a power-down suspend). */
_Noreturn void arm64_secondary_main(uint64_t index);

/* start.S: the entry point kcore gives the firmware; x0 = the CPU's index. */
void arm64_secondary_entry(void);
#endif

#endif /* KCORE_ARM64_PERCPU_H */
