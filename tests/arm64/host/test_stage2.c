/* SPDX-License-Identifier: BSD-2-Clause */
/* The host's stage 2: kcore's memory and a VM's frames abort, the host's own do not. */
#include "host.h"

void test_kcore_memory(void)
{
	uint64_t v = 0, pc = 0;

	/* Controls: host RAM reads and writes without an abort. */
	result("s2: host RAM store (control)", host_store(HOST_PAGE_A, 0x686f7374), "aborted");
	result("s2: host RAM load (control)", host_load(HOST_PAGE_A, &v, NULL) && v == 0x686f7374,
	       "aborted or wrong value");
	for (unsigned i = 0; i < nkc_ranges; i++) {
		uint64_t base = kc_ranges[i].base, last = base + kc_ranges[i].size - 8;

		result("s2: load from kcore's memory aborts", !host_load(base, NULL, &pc),
		       "the host read kcore's memory");
		expect_abort("s2: ... as a data abort, SEA, FAR = the address", base, EC_DABT_CUR,
			     false);
		result("s2: ... ELR_EL1 = the load", abort_elr == pc, "ELR_EL1 elsewhere");
		result("s2: load from the last word of the range aborts",
		       !host_load(last, NULL, NULL), "the host read kcore's memory");
		expect_abort("s2: ... FAR = that word", last, EC_DABT_CUR, false);
		result("s2: store to kcore's memory aborts", !host_store(base + 0x40, 0),
		       "the host wrote kcore's memory");
		expect_abort("s2: ... with WnR = 1", base + 0x40, EC_DABT_CUR, true);
	}
	if (nkc_ranges) {
		/* kcore's text is the start of its image: fetching from it aborts. */
		result("s2: branch into kcore's text aborts",
		       !host_exec(kc_ranges[0].base == 0x40080000 ? kc_ranges[0].base
								  : kc_ranges[1].base),
		       "the host ran kcore's code");
		expect_abort("s2: ... as an instruction abort", 0x40080000, EC_IABT_CUR, false);
	}
	result("s2: host RAM still reachable after the aborts", host_load(HOST_PAGE_A, &v, NULL),
	       "aborted");

	/* From EL0 (a Linux process): the abort comes in at VBAR_EL1 + 0x400, EC 0x24. */
	{
		unsigned before = abort_count;

		host_el0_load(HOST_PAGE_A);
		result("s2: EL0 load from host RAM (control)", abort_count == before, "aborted");
		if (nkc_ranges) {
			host_el0_load(kc_ranges[0].base);
			result("s2: EL0 load from kcore's memory aborts to VBAR_EL1 + 0x400",
			       abort_count == before + 1, "no abort at the lower-EL vector");
			result("s2: ... EC 0x24 (from a lower EL), SEA, FAR = the address, SPSR EL0t",
			       esr_ec(abort_esr) == 0x24 && (abort_esr & 0x3fu) == 0x10u &&
				       abort_far == kc_ranges[0].base && (abort_spsr & 0xfu) == 0,
			       "wrong ESR_EL1/FAR_EL1/SPSR_EL1");
		}
	}
}

void test_vm_frame(void)
{
	uint64_t vm = 0, idx = 0, v = 0;

	result("s2: host frame store before donation (control)", host_store(HOST_PAGE_B, 0x1234),
	       "aborted");
	expect("s2: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("s2: VM_SET_IMAGE", call(KC_HC_VM_SET_IMAGE, vm, 0x80000000, 0x1000, 0, 0, 0, &idx),
	       KC_OK);
	expect("s2: VM_LOAD_IMAGE_PAGE",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, HOST_PAGE_B >> 12, 0, 0, 0, NULL), KC_OK);
	result("s2: load from the VM's image frame aborts", !host_load(HOST_PAGE_B, NULL, NULL),
	       "the host read a VM's frame");
	expect_abort("s2: ... FAR = the frame", HOST_PAGE_B, EC_DABT_CUR, false);
	result("s2: store to the VM's image frame aborts", !host_store(HOST_PAGE_B + 8, 0),
	       "the host wrote a VM's frame");
	expect_abort("s2: ... FAR = the frame, WnR = 1", HOST_PAGE_B + 8, EC_DABT_CUR, true);
	result("s2: the next frame is still the host's (control)",
	       host_load(HOST_PAGE_B + 0x1000, NULL, NULL), "aborted");
	expect("s2: VM_POWEROFF", call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("s2: VM_RECLAIM", call(KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, 0, NULL), KC_OK);
	expect("s2: VM_DESTROY", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	result("s2: the reclaimed frame is the host's again", host_load(HOST_PAGE_B, &v, NULL),
	       "aborted");
	result("s2: ... and scrubbed", v == 0, "old contents visible");
}
