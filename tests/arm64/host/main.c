/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host: a freestanding EL1 program kcore enters the way it
 * will enter Linux.  It runs a list of tests against kcore from below,
 * prints one line per test ("ok N - name" / "not ok N - name: why") and a
 * final "N passed, N failed" line, then powers off through kcore's PSCI
 * relay.  Any exception it did not ask for is reported and ends the run
 * without a summary, which the QEMU harness counts as a failure.
 */
#include <libfdt.h>
#include <string.h>

#include "host.h"

/* Is `want` in the DTB's /chosen bootargs (QEMU -append)? */
static bool host_bootarg(const void *fdt, const char *want)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	const char *args = chosen >= 0 ? fdt_getprop(fdt, chosen, "bootargs", &len) : NULL;

	if (!args || len <= 0 || args[len - 1] != '\0')
		return false;
	for (const char *p = args; *p; p++)
		if (strlen(p) >= strlen(want) && memcmp(p, want, strlen(want)) == 0)
			return true;
	return false;
}

void host_main(uint64_t dtb)
{
	puts_("host: stand-in host at EL1, DTB at ");
	puthex(dtb);
	putc_('\n');
	if (host_bootarg((const void *)(uintptr_t)dtb, "kcore-host.bench")) {
		run_bench();
		power_off();
	}
	if (host_bootarg((const void *)(uintptr_t)dtb, "kcore-host.dma-demo")) {
		run_dma_demo((const void *)(uintptr_t)dtb);
		power_off();
	}
	if (host_bootarg((const void *)(uintptr_t)dtb, "kcore-host.demo")) {
		run_demo();
		power_off();
	}
	test_el1();
	test_dtb((const void *)(uintptr_t)dtb);
	test_host_calls();
	test_smc();
	test_smccc_discovery();
	test_kcore_memory();
	test_vm_frame();
	test_guest_vmid_reuse(test_guest_hello());
	test_snapshot();
	test_irq();
	test_hostile();
	test_smp((const void *)(uintptr_t)dtb);
	test_vm_smp();
	test_smmu((const void *)(uintptr_t)dtb);
	putdec(passed);
	puts_(" passed, ");
	putdec(failed);
	puts_(" failed\n");
	power_off();
}
