/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host: a freestanding EL1 program kcore enters the way it
 * will enter Linux.  It runs a list of tests against kcore from below,
 * prints one line per test ("ok N - name" / "not ok N - name: why") and a
 * final "N passed, N failed" line, then powers off through kcore's PSCI
 * relay.  Any exception it did not ask for is reported and ends the run
 * without a summary, which the QEMU harness counts as a failure.
 */
#include <kcore/abi.h>
#include <libfdt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UART_BASE 0x09000000ull /* QEMU virt's PL011 (the host's console) */

struct host_frame {
	uint64_t x[19];
	uint64_t x29, x30, pad;
};

struct host_call {
	uint64_t x[7];
};

void host_main(uint64_t dtb);
void host_exception(unsigned vector, struct host_frame *f);

static unsigned passed, failed, ntest;

/* ---- console ------------------------------------------------------------ */

static void putc_(char c)
{
	volatile uint32_t *uart = (volatile uint32_t *)(uintptr_t)UART_BASE;

	while (uart[0x18 / 4] & (1u << 5)) /* FR.TXFF */
		;
	uart[0] = (uint32_t)c;
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void puthex(uint64_t v)
{
	puts_("0x");
	for (int s = 60; s >= 0; s -= 4)
		putc_("0123456789abcdef"[(v >> s) & 0xf]);
}

static void putdec(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = '\0';
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(&b[i]);
}

/* ---- calls into kcore --------------------------------------------------- */

static void hvc(struct host_call *c)
{
	register uint64_t x0 __asm__("x0") = c->x[0];
	register uint64_t x1 __asm__("x1") = c->x[1];
	register uint64_t x2 __asm__("x2") = c->x[2];
	register uint64_t x3 __asm__("x3") = c->x[3];
	register uint64_t x4 __asm__("x4") = c->x[4];
	register uint64_t x5 __asm__("x5") = c->x[5];
	register uint64_t x6 __asm__("x6") = c->x[6];

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
			 :
			 : "memory");
	c->x[0] = x0;
	c->x[1] = x1;
	c->x[2] = x2;
	c->x[3] = x3;
	c->x[4] = x4;
	c->x[5] = x5;
	c->x[6] = x6;
}

static int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		    uint64_t a6, uint64_t *r1)
{
	struct host_call c = { { fn, a1, a2, a3, a4, a5, a6 } };

	hvc(&c);
	if (r1)
		*r1 = c.x[1];
	return (int64_t)c.x[0];
}

static uint64_t smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

static _Noreturn void power_off(void)
{
	smc(KC_PSCI_SYSTEM_OFF, 0, 0, 0);
	puts_("host: SYSTEM_OFF returned\n");
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- exceptions ----------------------------------------------------------- */

void host_exception(unsigned vector, struct host_frame *f)
{
	uint64_t esr, far, elr;

	(void)f;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	puts_("host: unexpected exception, vector ");
	putdec(vector);
	puts_(" ESR_EL1 ");
	puthex(esr);
	puts_(" FAR_EL1 ");
	puthex(far);
	puts_(" ELR_EL1 ");
	puthex(elr);
	puts_("\nhost: stopping without a summary\n");
	power_off();
}

/* ---- the tests ------------------------------------------------------------ */

static void result(const char *name, bool ok, const char *why)
{
	ntest++;
	if (ok) {
		passed++;
		puts_("ok ");
	} else {
		failed++;
		puts_("not ok ");
	}
	putdec(ntest);
	puts_(" - ");
	puts_(name);
	if (!ok && why) {
		puts_(": ");
		puts_(why);
	}
	putc_('\n');
}

static void expect(const char *name, int64_t got, int64_t want)
{
	ntest++;
	if (got == want) {
		passed++;
		puts_("ok ");
	} else {
		failed++;
		puts_("not ok ");
	}
	putdec(ntest);
	puts_(" - ");
	puts_(name);
	if (got != want) {
		puts_(": got ");
		puthex((uint64_t)got);
		puts_(", want ");
		puthex((uint64_t)want);
	}
	putc_('\n');
}

static void test_el1(void)
{
	uint64_t el;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	expect("el1: the host runs at EL1", (int64_t)((el >> 2) & 3), 1);
}

/* kcore's memory, from the DTB's /reserved-memory kcore@... no-map nodes. */
static struct {
	uint64_t base, size;
} kc_ranges[4];
static unsigned nkc_ranges;

static void test_dtb(const void *fdt)
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

static void test_host_calls(void)
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

static void test_smc(void)
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
}

void host_main(uint64_t dtb)
{
	puts_("host: stand-in host at EL1, DTB at ");
	puthex(dtb);
	putc_('\n');
	test_el1();
	test_dtb((const void *)(uintptr_t)dtb);
	test_host_calls();
	test_smc();
	putdec(passed);
	puts_(" passed, ");
	putdec(failed);
	puts_(" failed\n");
	power_off();
}
