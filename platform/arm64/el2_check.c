/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL2 checker configuration: the invariants the hosted tests check
 * after every step (kcore_check, DESIGN.md §4) are checked on the real
 * machine after every host call and host fault, and the first violation
 * stops the machine (fail-stop: a broken invariant is never run on).  With
 * KCORE_EL2_CHECK 2 (-Del2_check=incremental) the check is the incremental
 * one (kcore_check_incremental: what the call changed), cheap enough to
 * leave on in a debug build for a board; the full walk then runs at the
 * first check, on an overflowed touch log, every
 * KCORE_EL2_CHECK_FULL_EVERY checks and at SYSTEM_OFF.
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
static uint32_t check_since_full; /* incremental: checks since the last full walk */

static void check_stop(int bad, const char *after, const char *why)
{
	kc_printf("kcore: EL2 checker: invariant %d violated after a %s on CPU %u: %s\n", bad,
		  after, plat_cpu_id(), why);
	kc_printf("kcore: stopping (exit status %d)\n", KCORE_EXIT_CHECK);
	semihost_exit(KCORE_EXIT_CHECK);
}

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

	/* Recorded as desc_set would, so the incremental checker is the one asked. */
	kcore_touch_desc(kcore_host_s2(), 511ull << 39, 0, root[511]);
	root[511] = ((uint64_t)(uintptr_t)__image_start & PGT_DESC_OA_MASK) | 3u;
	plat_barrier_tables();
	arm64_check_selftest_corrupt = false;
}

static __attribute__((noinline)) void check_leave_slow(const char *after);

void arm64_check_leave(const char *after)
{
	if (!KCORE_EL2_CHECK)
		return;
	/* Incremental and nothing changed (a null call): no buffer, no walk. */
	if (KCORE_EL2_CHECK == 2 && !arm64_check_selftest_corrupt &&
	    check_since_full + 1 < KCORE_EL2_CHECK_FULL_EVERY && kcore_check_idle()) {
		check_since_full++;
		check_count++;
		__atomic_store_n(&check_lock, 0u, __ATOMIC_RELEASE);
		return;
	}
	check_leave_slow(after);
}

void arm64_check_host_call(struct kc_hcall *regs)
{
	arm64_check_enter();
	kcore_host_call(regs);
	arm64_check_leave("host call");
}

static void check_leave_slow(const char *after)
{
	char why[160];
	int bad;

	/* Incremental: after a few checks, so the first (a full walk) is not the one that sees it. */
	if (arm64_check_selftest_corrupt && (KCORE_EL2_CHECK != 2 || check_count >= 8))
		check_corrupt_host_s2();
	if (KCORE_EL2_CHECK == 2 && ++check_since_full < KCORE_EL2_CHECK_FULL_EVERY) {
		bad = kcore_check_incremental(why, sizeof(why));
	} else {
		check_since_full = 0;
		bad = kcore_check(why, sizeof(why));
	}
	if (bad)
		check_stop(bad, after, why);
	check_count++;
	__atomic_store_n(&check_lock, 0u, __ATOMIC_RELEASE);
}

void arm64_check_report(void)
{
	if (KCORE_EL2_CHECK == 2) {
		char why[160];
		struct kcore_check_stats s;
		/* The last word is the full walk's: nothing slipped past the log. */
		arm64_check_enter();
		int bad = kcore_check(why, sizeof(why));
		if (bad)
			check_stop(bad, "final full walk", why);
		__atomic_store_n(&check_lock, 0u, __ATOMIC_RELEASE);
		kcore_check_stats(&s);
		kc_printf("kcore: EL2 checker: %llu incremental, %llu full walks (%llu on a full "
			  "log)\n",
			  (unsigned long long)s.incremental, (unsigned long long)s.full,
			  (unsigned long long)s.overflows);
	}
	if (KCORE_EL2_CHECK)
		kc_printf("kcore: EL2 checker: %llu checks, no violation\n",
			  (unsigned long long)check_count);
}
