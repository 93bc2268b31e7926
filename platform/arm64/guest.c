/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest world switch: not on arm64 yet (the next issue adds guests).
 * Until then a vCPU "runs" no instruction and stops at once with an
 * unknown trap (ESR_EL2 = 0), so VCPU_RUN, now reachable from a real host
 * call, answers KC_EXIT_UNKNOWN and changes nothing in the guest.  Only a
 * VM verified against a built-in key gets this far, and the arm64 test
 * images trust a key whose private half was never kept.
 */
#include <kcore/platform.h>

void plat_guest_run(const struct kc_guest *g, struct kc_vcpu_regs *regs, struct kc_trap *trap)
{
	(void)g;
	(void)regs;
	trap->esr = 0;
	trap->far = 0;
	trap->hpfar = 0;
}
