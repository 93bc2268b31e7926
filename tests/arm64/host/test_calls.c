/* SPDX-License-Identifier: BSD-2-Clause */
/* The host's view of kcore's interface: EL1, the DTB kcore edited, host calls, SMCs. */
#include "host.h"
#include <libfdt.h>
#include <string.h>

void test_el1(void)
{
	uint64_t el;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	expect("el1: the host runs at EL1", (int64_t)((el >> 2) & 3), 1);
}

struct host_range kc_ranges[4];
unsigned nkc_ranges;

void test_dtb(const void *fdt)
{
	int node, child;

	result("dtb: valid header", fdt_check_header(fdt) == 0, "fdt_check_header");
	node = fdt_path_offset(fdt, "/reserved-memory");
	result("dtb: /reserved-memory present", node >= 0, "no node");
	if (node < 0)
		return;
	fdt_for_each_subnode(child, fdt, node)
	{
		const char *name = fdt_get_name(fdt, child, NULL);
		const fdt32_t *reg;
		int len;

		if (!name || strlen(name) < 6 || memcmp(name, "kcore@", 6) != 0 || nkc_ranges == 4)
			continue;
		reg = fdt_getprop(fdt, child, "reg", &len);
		if (!reg || len != 16 || !fdt_getprop(fdt, child, "no-map", NULL))
			continue;
		kc_ranges[nkc_ranges].base =
			((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
		kc_ranges[nkc_ranges].size =
			((uint64_t)fdt32_to_cpu(reg[2]) << 32) | fdt32_to_cpu(reg[3]);
		nkc_ranges++;
	}
	/* kcore's image (0x40080000) and its pool: two no-map ranges. */
	expect("dtb: kcore's image and pool reserved no-map", nkc_ranges, 2);
	result("dtb: kcore's image (0x40080000) is one of them",
	       (nkc_ranges > 0 && kc_ranges[0].base == 0x40080000) ||
		       (nkc_ranges > 1 && kc_ranges[1].base == 0x40080000),
	       "no range at 0x40080000");
	result("dtb: /memory still there",
	       fdt_path_offset(fdt, "/memory@40000000") >= 0 ||
		       fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7) >= 0,
	       "no memory node");
}

#define ALL ~0ull

void test_host_calls(void)
{
	uint64_t r1 = 0, vm = 0;

	/* Controls first: the calls work when made right. */
	expect("hvc: VERSION ok", call(KC_HC_VERSION, 0, 0, 0, 0, 0, 0, &r1), KC_OK);
	expect("hvc: VERSION returns the ABI version", (int64_t)r1, KC_ABI_VERSION);
	/* Refusals, as tests/kcore/test_negative.c: an unknown id, ids out of range. */
	expect("hvc: unknown kcore id -> NOT_SUPPORTED", call(KC_FN(0x7f), 0, 0, 0, 0, 0, 0, &r1),
	       KC_ENOTSUP);
	expect("hvc: refused call returns x1 = 0", (int64_t)r1, 0);
	expect("hvc: id with upper bits set -> NOT_SUPPORTED",
	       call((1ull << 32) | KC_HC_VERSION, 0, 0, 0, 0, 0, 0, NULL), KC_ENOTSUP);
	expect("hvc: foreign SMCCC id -> NOT_SUPPORTED", call(0x82000000u, 0, 0, 0, 0, 0, 0, NULL),
	       KC_ENOTSUP);
	/* Every register past a call's arguments must be zero. */
	for (unsigned i = 1; i < 7; i++) {
		uint64_t a[7] = { 0 };

		a[i] = ALL;
		expect("hvc: VERSION with a non-zero MBZ register -> EINVAL",
		       call(KC_HC_VERSION, a[1], a[2], a[3], a[4], a[5], a[6], NULL), KC_EINVAL);
	}
	expect("hvc: VM_CREATE with x1 != 0 -> EINVAL",
	       call(KC_HC_VM_CREATE, 1, 0, 0, 0, 0, 0, NULL), KC_EINVAL);
	expect("hvc: VM_DESTROY of a VM that does not exist -> refused",
	       call(KC_HC_VM_DESTROY, 200, 0, 0, 0, 0, 0, NULL) < 0, 1);

	/* The happy path, the control for the refusals above. */
	expect("hvc: VM_CREATE ok", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	result("hvc: VM_CREATE gives a VM id", vm >= 1 && vm <= 255, "bad id");
	expect("hvc: VCPU_CREATE ok", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("hvc: VCPU_CREATE again -> EEXIST", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL),
	       KC_EEXIST);
	expect("hvc: VCPU_CREATE with x3 != 0 -> EINVAL",
	       call(KC_HC_VCPU_CREATE, vm, 1, 1, 0, 0, 0, NULL), KC_EINVAL);
	expect("hvc: VM_DESTROY of a live VM -> ESTATE",
	       call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_ESTATE);
	expect("hvc: VM_POWEROFF ok", call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("hvc: VM_DESTROY ok", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("hvc: VM_DESTROY again -> refused",
	       call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL) < 0, 1);

	/* Only HVC #0 carries calls. */
	{
		register uint64_t x0 __asm__("x0") = KC_HC_VERSION;

		__asm__ volatile("hvc #1" : "+r"(x0) : : "x1", "x2", "x3", "memory");
		expect("hvc #1 -> NOT_SUPPORTED", (int64_t)x0, KC_ENOTSUP);
	}
}

void test_smc(void)
{
	/* Control: PSCI_VERSION reaches the firmware through kcore (1.0 or later). */
	result("smc: PSCI_VERSION relayed", smc(KC_PSCI_VERSION, 0, 0, 0) >= KC_PSCI_VERSION_1_0,
	       "version below 1.0");
	expect("smc: unknown PSCI function -> NOT_SUPPORTED", (int64_t)smc(0x8400001fu, 0, 0, 0),
	       KC_PSCI_NOT_SUPPORTED);
	/* QEMU's firmware answers MIGRATE_INFO_TYPE (2): only kcore's filter says no. */
	expect("smc: MIGRATE_INFO_TYPE stays out of the firmware -> NOT_SUPPORTED",
	       (int64_t)smc(0x84000006u, 0, 0, 0), KC_PSCI_NOT_SUPPORTED);
	expect("smc: SiP service call -> NOT_SUPPORTED", (int64_t)smc(0xc2000001u, 0, 0, 0),
	       KC_PSCI_NOT_SUPPORTED);
	/* SMCCC discovery by SMC (Linux's conduit when PSCI is SMC) is answered by kcore. */
	expect("smc: PSCI_FEATURES(SMCCC_VERSION) -> SUCCESS: the version call exists",
	       (int64_t)smc(KC_PSCI_FEATURES, KC_SMCCC_VERSION, 0, 0), KC_PSCI_SUCCESS);
	expect("smc: PSCI_FEATURES(an unknown function) -> NOT_SUPPORTED (control)",
	       (int64_t)smc(KC_PSCI_FEATURES, 0x8400001fu, 0, 0), KC_PSCI_NOT_SUPPORTED);
	expect("smc: SMCCC_VERSION -> 1.1", (int64_t)smc(KC_SMCCC_VERSION, 0, 0, 0),
	       KC_SMCCC_VERSION_1_1);
	expect("smc: vendor hypervisor UID word 0 is kcore's",
	       (int64_t)smc(KC_SMCCC_HYP_CALL_UID, 0, 0, 0), KC_HYP_UID_0);
	expect("smc: ARCH_FEATURES(ARCH_WORKAROUND_1) -> NOT_SUPPORTED",
	       (int64_t)smc(KC_SMCCC_ARCH_FEATURES, 0x80008000u, 0, 0), KC_PSCI_NOT_SUPPORTED);
}

/* SMCCC discovery by HVC: how a host finds out it runs on kcore. */
void test_smccc_discovery(void)
{
	struct host_call c = { { KC_SMCCC_HYP_CALL_UID, 0, 0, 0, 0, 0, 0 } };

	expect("hvc: SMCCC_VERSION -> 1.1", call(KC_SMCCC_VERSION, 0, 0, 0, 0, 0, 0, NULL),
	       KC_SMCCC_VERSION_1_1);
	hvc(&c);
	result("hvc: vendor hypervisor UID is kcore's",
	       c.x[0] == KC_HYP_UID_0 && c.x[1] == KC_HYP_UID_1 && c.x[2] == KC_HYP_UID_2 &&
		       c.x[3] == KC_HYP_UID_3,
	       "another UID");
	expect("hvc: ARCH_FEATURES(ARCH_FEATURES) -> 0",
	       call(KC_SMCCC_ARCH_FEATURES, KC_SMCCC_ARCH_FEATURES, 0, 0, 0, 0, 0, NULL), 0);
}
