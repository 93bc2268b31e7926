/* SPDX-License-Identifier: BSD-2-Clause */
/* Every CPU through kcore's PSCI relay, making host calls at once. */
#include "host.h"
#include <libfdt.h>
#include <string.h>

#define MAX_CPUS   HOST_MAX_CPUS
#define CALL_ITERS 40
#define AFF_MASK   0xff00ffffffull

/*
 * What each secondary reports.  The host runs with its MMU off, so these
 * are Device accesses, coherent between CPUs: plain stores and polling,
 * no exclusives (not guaranteed on Device memory).
 */
static struct {
	volatile uint64_t done, el, mpidr, ok, bad, rounds;
} reports[MAX_CPUS];
static volatile uint64_t release_cpus;
uint64_t cpu_mpidr[MAX_CPUS];
unsigned ncpus;
void (*volatile host_cpu_job[MAX_CPUS])(unsigned n);

uint64_t read_mpidr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v & AFF_MASK;
}

uint64_t now_ms(void)
{
	uint64_t cnt, frq;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	return cnt / (frq / 1000);
}

/* A VM's whole short life and VERSION, CALL_ITERS times: counts what went right. */
static void call_storm(uint64_t *ok, uint64_t *bad)
{
	for (unsigned i = 0; i < CALL_ITERS; i++) {
		uint64_t vm = 0, v = 0;
		bool good = call(KC_HC_VERSION, 0, 0, 0, 0, 0, 0, &v) == KC_OK &&
			    v == KC_ABI_VERSION &&
			    call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm) == KC_OK &&
			    call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL) == KC_OK &&
			    call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL) == KC_OK &&
			    call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL) == KC_OK;
		if (good)
			(*ok)++;
		else
			(*bad)++;
	}
}

void host_secondary(uint64_t n)
{
	uint64_t el, ok = 0, bad = 0;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	if (n >= MAX_CPUS)
		for (;;)
			__asm__ volatile("wfi");
	if (host_cpu_job[n]) {
		/* Another test's work (test_vm_smp.c): then off, for the next CPU_ON. */
		host_cpu_job[n](n);
		smc(KC_PSCI_CPU_OFF, 0, 0, 0);
		for (;;)
			__asm__ volatile("wfi");
	}
	call_storm(&ok, &bad);
	reports[n].el = (el >> 2) & 3;
	reports[n].mpidr = read_mpidr();
	reports[n].ok = ok;
	reports[n].bad = bad;
	reports[n].rounds++;
	__asm__ volatile("dsb sy" : : : "memory");
	reports[n].done = 1;
	while (!release_cpus)
		;
	reports[n].done = 0;
	smc(KC_PSCI_CPU_OFF, 0, 0, 0);
	reports[n].bad = ~0ull; /* CPU_OFF returned */
	for (;;)
		__asm__ volatile("wfi");
}

void read_cpus(const void *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;

	ncpus = 0;
	fdt_for_each_subnode(node, fdt, cpus)
	{
		const fdt32_t *reg;
		int len;
		const char *type = fdt_getprop(fdt, node, "device_type", &len);

		if (!type || len != 4 || memcmp(type, "cpu", 4) != 0 || ncpus == MAX_CPUS)
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (reg && len == 4)
			cpu_mpidr[ncpus++] = fdt32_to_cpu(reg[0]);
		else if (reg && len == 8)
			cpu_mpidr[ncpus++] =
				((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
	}
}

static bool wait_done(unsigned n, uint64_t want)
{
	uint64_t t0 = now_ms();

	while (reports[n].done != want)
		if (now_ms() - t0 > 10000)
			return false;
	return true;
}

bool wait_off(unsigned n)
{
	uint64_t t0 = now_ms();

	while (smc(KC_PSCI_AFFINITY_INFO64, cpu_mpidr[n], 0, 0) != 1 /* OFF */)
		if (now_ms() - t0 > 10000)
			return false;
	return true;
}

void test_smp(const void *fdt)
{
	uint64_t entry = (uint64_t)(uintptr_t)host_secondary_entry, boot = read_mpidr();
	uint64_t ok = 0, bad = 0;
	unsigned started = 0, idx[MAX_CPUS];

	read_cpus(fdt);
	expect("smp: the DTB lists 4 CPUs", ncpus, 4);
	expect("smp: CPU_ON of an MPIDR nobody has -> INVALID_PARAMS",
	       (int64_t)smc(KC_PSCI_CPU_ON64, 0xfe, entry, 1), KC_PSCI_INVALID_PARAMS);
	expect("smp: CPU_ON of the running boot CPU -> ALREADY_ON",
	       (int64_t)smc(KC_PSCI_CPU_ON64, boot, entry, 1), KC_PSCI_ALREADY_ON);
	for (unsigned i = 0; i < ncpus; i++) {
		if ((cpu_mpidr[i] & AFF_MASK) == boot)
			continue;
		idx[started] = i;
		started++;
		expect("smp: CPU_ON of a secondary",
		       (int64_t)smc(KC_PSCI_CPU_ON64, cpu_mpidr[i], entry, i), KC_PSCI_SUCCESS);
	}
	/* The boot CPU makes the same calls while the others do. */
	call_storm(&ok, &bad);
	result("smp: the boot CPU's calls, concurrent with the others'",
	       bad == 0 && ok == CALL_ITERS, "a call failed");
	for (unsigned k = 0; k < started; k++) {
		unsigned i = idx[k];

		result("smp: a secondary came up and reported", wait_done(i, 1), "timed out");
		expect("smp: ... at EL1", (int64_t)reports[i].el, 1);
		result("smp: ... on the CPU it was started on (MPIDR)",
		       reports[i].mpidr == (cpu_mpidr[i] & AFF_MASK), "MPIDR differs");
		expect("smp: ... all its concurrent host calls right", (int64_t)reports[i].ok,
		       CALL_ITERS);
	}
	if (started)
		expect("smp: CPU_ON of a CPU already on -> ALREADY_ON",
		       (int64_t)smc(KC_PSCI_CPU_ON64, cpu_mpidr[idx[0]], entry, idx[0]),
		       KC_PSCI_ALREADY_ON);
	release_cpus = 1;
	for (unsigned k = 0; k < started; k++)
		result("smp: CPU_OFF through kcore: AFFINITY_INFO says OFF", wait_off(idx[k]),
		       "still on");
	release_cpus = 0;
	if (started) {
		unsigned i = idx[0];

		expect("smp: CPU_ON again after CPU_OFF",
		       (int64_t)smc(KC_PSCI_CPU_ON64, cpu_mpidr[i], entry, i), KC_PSCI_SUCCESS);
		result("smp: ... it came back through kcore",
		       wait_done(i, 1) && reports[i].rounds == 2, "timed out");
		release_cpus = 1;
		result("smp: ... and went off again", wait_off(i), "still on");
	}
}
