/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PSCI relay for the host.  With HCR_EL2.TSC every host SMC lands
 * here; only what is listed reaches the firmware, so the host never
 * reaches EL3 directly and never starts a CPU that skips kcore's EL2 setup
 * (pKVM's nvhe/psci-relay.c follows the same rule).
 */
#include "arm64_psci.h"

#include <kcore/abi.h>
#include <kcore/printf.h>

uint64_t arm64_psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC 1.0 firmware may clobber x4..x17: say so. */
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

static void psci_ret(struct arm64_host_regs *r, int64_t v)
{
	r->x[0] = (uint64_t)v;
}

void arm64_psci_host_smc(struct arm64_host_regs *r)
{
	uint32_t fn = (uint32_t)r->x[0];

	switch (fn) {
	case KC_PSCI_VERSION:
		r->x[0] = arm64_psci_fw_call(fn, 0, 0, 0);
		return;
	case KC_PSCI_SYSTEM_OFF:
		kc_printf("kcore: host PSCI SYSTEM_OFF: powering off\n");
		arm64_psci_fw_call(fn, 0, 0, 0);
		break;
	case KC_PSCI_SYSTEM_RESET:
		kc_printf("kcore: host PSCI SYSTEM_RESET: resetting\n");
		arm64_psci_fw_call(fn, 0, 0, 0);
		break;
	default:
		/* Everything else, PSCI or not, stays out of the firmware. */
		psci_ret(r, KC_PSCI_NOT_SUPPORTED);
		return;
	}
	/* The firmware returned from a call that does not return. */
	psci_ret(r, KC_PSCI_DENIED);
}
