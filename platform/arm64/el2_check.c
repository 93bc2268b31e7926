/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL2 checker configuration: the invariants the hosted tests check
 * after every step (kcore_check, DESIGN.md §4) are checked on the real
 * machine after every host call and host fault, and the first violation
 * stops the machine (fail-stop: a broken invariant is never run on).
 * kcore_check takes no locks, so in this configuration one CPU at a time
 * handles a host call or fault, except while it runs a guest (pause and
 * resume, from plat_guest_run); the SMC/PSCI path does not touch core.
 */
#include "arm64_check.h"

#include <kcore/kcore.h>
#include <kcore/platform.h>
#include <kcore/printf.h>

#include "semihost.h"

bool arm64_check_selftest_corrupt;

static uint32_t check_lock;
static uint64_t check_count;

void arm64_check_enter(void)
{
	if (!KCORE_EL2_CHECK)
		return;
	while (__atomic_exchange_n(&check_lock, 1u, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&check_lock, __ATOMIC_RELAXED))
			;
}

void arm64_check_pause(void)
{
	__atomic_store_n(&check_lock, 0u, __ATOMIC_RELEASE);
}

void arm64_check_resume(void)
{
	arm64_check_enter();
}

/*
 * The fail-stop self-test: a table descriptor in the host's stage-2 root
 * (the last slot, IPAs nobody uses) pointing at kcore's own image.  The
 * checker must name it; nothing runs on after.
 */
static void check_corrupt_host_s2(void)
{
	extern char __image_start[];
	uint64_t *root = plat_phys_to_virt(kcore_host_s2_root());

	root[511] = ((uint64_t)(uintptr_t)__image_start & PGT_DESC_OA_MASK) | 3u;
	plat_barrier_tables();
	arm64_check_selftest_corrupt = false;
}

void arm64_check_leave(const char *after)
{
	char why[160];
	int bad;

	if (!KCORE_EL2_CHECK)
		return;
	if (arm64_check_selftest_corrupt)
		check_corrupt_host_s2();
	bad = kcore_check(why, sizeof(why));
	if (bad) {
		kc_printf("kcore: EL2 checker: invariant %d violated after a %s on CPU %u: %s\n",
			  bad, after, plat_cpu_id(), why);
		kc_printf("kcore: stopping (exit status %d)\n", KCORE_EXIT_CHECK);
		semihost_exit(KCORE_EXIT_CHECK);
	}
	check_count++;
	__atomic_store_n(&check_lock, 0u, __ATOMIC_RELEASE);
}

void arm64_check_report(void)
{
	if (KCORE_EL2_CHECK)
		kc_printf("kcore: EL2 checker: %llu checks, no violation\n",
			  (unsigned long long)check_count);
}
