/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform.c — kcore/platform.h for the hosted machine.
 *
 * Thin glue: each plat_* acts on the current machine through the model's
 * modules.  A data-cache clean writes back the model's dirty lines
 * (kcore_hosted/cache.h); the instruction cache is not modelled (guest
 * fetches read no bytes), and barriers have no effect beyond a real fence.
 * All of them are counted so tests can see that core issued them.
 */
#include "hm_internal.h"

#include <kcore/platform.h>

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static hm_panic_hook hm_hook;

#if HM_TSAN
unsigned hm_fence_word;
#endif

hm_panic_hook hm_set_panic_hook(hm_panic_hook hook)
{
	return __atomic_exchange_n(&hm_hook, hook, __ATOMIC_ACQ_REL);
}

_Noreturn void plat_panic(const char *why)
{
	hm_panic_hook hook = __atomic_load_n(&hm_hook, __ATOMIC_ACQUIRE);

	fprintf(stderr, "kcore panic: %s\n", why);
	fflush(stderr);
	if (hook)
		hook(why);
	abort();
}

void *plat_phys_to_virt(kc_paddr_t pa)
{
	struct hm_machine *m = hm_current_or_panic("plat_phys_to_virt");
	void *p = hm_phys(m, pa, 1);

	if (!p)
		hm_bug("plat_phys_to_virt: PA 0x%" PRIx64 " is not RAM", (uint64_t)pa);
	return p;
}

/*
 * The real TLBIs start with DSB ISHST so that core's descriptor writes are
 * seen by the walkers; the model's walkers read the arena directly, and the
 * fence keeps the compiler from sinking the writes past the invalidation.
 */
void plat_tlbi_el2_va(uint64_t va)
{
	hm_fence();
	hm_tlbi(hm_current_or_panic("plat_tlbi_el2_va"), HM_TLBI_EL2_VA, 0, va, 0);
}

void plat_tlbi_el2_all(void)
{
	hm_fence();
	hm_tlbi(hm_current_or_panic("plat_tlbi_el2_all"), HM_TLBI_EL2_ALL, 0, 0, 0);
}

void plat_tlbi_s2_ipa(uint16_t vmid, uint64_t ipa)
{
	hm_fence();
	hm_tlbi(hm_current_or_panic("plat_tlbi_s2_ipa"), HM_TLBI_S2_IPA, vmid, ipa, 0);
}

void plat_tlbi_s2_range(uint16_t vmid, uint64_t ipa, uint64_t size)
{
	hm_tlbi(hm_current_or_panic("plat_tlbi_s2_range"), HM_TLBI_S2_RANGE, vmid, ipa, size);
}

void plat_tlbi_s2_vmid(uint16_t vmid)
{
	hm_fence();
	hm_tlbi(hm_current_or_panic("plat_tlbi_s2_vmid"), HM_TLBI_S2_VMID, vmid, 0, 0);
}

/* The guest's entries in the model are its stage-2 regime's, tagged with its VMID. */
void plat_guest_flush_local(const struct kc_guest *g)
{
	hm_tlb_flush_local(hm_current_or_panic("plat_guest_flush_local"), plat_cpu_id(), g->vmid);
}

void plat_dcache_clean_inval_poc(const void *va, size_t len)
{
	struct hm_machine *m = hm_current_or_panic("plat_dcache_clean_inval_poc");

	uint64_t pa = hm_virt_to_phys(m, va, len);

	hm_fence();
	hm_stat_add(m, dcache_clean_inval);
	hm_cache_clean(m, pa, len); /* one load when no line is dirty */
}

void plat_icache_inval_all(void)
{
	struct hm_machine *m = hm_current_or_panic("plat_icache_inval_all");

	hm_fence();
	hm_stat_add(m, icache_inval_all);
}

void plat_barrier_tables(void)
{
	struct hm_machine *m = hm_machine_current();

	hm_fence();
	if (m)
		hm_stat_add(m, barrier_tables);
}

void plat_barrier_full(void)
{
	struct hm_machine *m = hm_machine_current();

	hm_fence();
	if (m)
		hm_stat_add(m, barrier_full);
}

void plat_spin_wait(void)
{
	sched_yield(); /* more CPU threads than cores: a spinning waiter would starve the holder */
}

unsigned plat_cpu_id(void)
{
	struct hm_machine *m = hm_current_or_panic("plat_cpu_id");
	unsigned cpu = hm_cpu_current();

	if (cpu == HM_NO_CPU)
		hm_bug("plat_cpu_id: this thread runs no CPU (use hm_cpu_run or hm_run_parallel)");
	if (cpu >= m->cfg.ncpus)
		hm_bug("plat_cpu_id: CPU %u but the machine has %u", cpu, m->cfg.ncpus);
	return cpu;
}

bool plat_entropy(void *buf, size_t len)
{
	return hm_entropy_fill(hm_current_or_panic("plat_entropy"), buf, len);
}

void plat_console_write(const char *s, size_t len)
{
	hm_console_append(hm_current_or_panic("plat_console_write"), s, len);
}
