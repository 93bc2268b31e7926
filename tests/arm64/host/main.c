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

#include "hello.h"

struct host_frame {
	uint64_t x[19];
	uint64_t x29, x30, pad;
};

struct host_call {
	uint64_t x[7];
};
void host_main(uint64_t dtb);
void host_secondary(uint64_t n);
void host_secondary_entry(void);
void host_el0_load(uint64_t addr);
void host_el0_back(void);
void host_exception(unsigned vector, struct host_frame *f);

static unsigned passed, failed, ntest;

/* ---- console ------------------------------------------------------------ */

/*
 * The host prints through semihosting (SYS_WRITEC, QEMU -semihosting), not
 * the PL011: the UART is kcore's own device, which core keeps out of the
 * host's stage 2.  The character is passed by address, on the stack, which
 * the store just before the call has mapped in the host's stage 2.
 */
static void putc_(char c)
{
	volatile char ch = c;
	register uint64_t x0 __asm__("x0") = 0x03; /* SYS_WRITEC */
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)&ch;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
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

/*
 * Aborts a test asks for: the access helpers below set `abort_expected`,
 * the synchronous vector for the current EL with SP_EL1 (index 4, +0x200)
 * records the syndrome and resumes after the access (a load or store: the
 * next instruction; a branch: its return address).
 */
static volatile bool abort_expected;
static volatile unsigned abort_count;
static volatile uint64_t abort_esr, abort_far, abort_elr, abort_spsr;

static uint64_t sysreg_esr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(v));
	return v;
}

void host_exception(unsigned vector, struct host_frame *f)
{
	uint64_t esr = sysreg_esr(), far, elr, spsr;

	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, spsr_el1" : "=r"(spsr));
	if (vector == 8) { /* from EL0: host_el0_load's load aborted, or its SVC */
		unsigned ec = (unsigned)(esr >> 26) & 0x3f;

		if (ec != 0x15) { /* not the SVC: an abort */
			abort_count++;
			abort_esr = esr;
			abort_far = far;
			abort_elr = elr;
			abort_spsr = spsr;
		}
		abort_expected = false;
		__asm__ volatile("msr elr_el1, %0" : : "r"((uint64_t)(uintptr_t)host_el0_back));
		__asm__ volatile("msr spsr_el1, %0" : : "r"(0x3c5ull)); /* back at EL1h */
		return;
	}
	if (abort_expected && vector == 4) {
		unsigned ec = (unsigned)(esr >> 26) & 0x3f;

		abort_expected = false;
		abort_count++;
		abort_esr = esr;
		abort_far = far;
		abort_elr = elr;
		abort_spsr = spsr;
		/* An instruction abort on a branch target: go back to the caller. */
		elr = ec == 0x21 ? f->x30 : elr + 4;
		__asm__ volatile("msr elr_el1, %0" : : "r"(elr));
		return;
	}
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

/* Load 8 bytes at `addr`; true if it did not abort.  *pc = the load's address. */
static bool host_load(uint64_t addr, uint64_t *val, uint64_t *pc)
{
	unsigned before = abort_count;
	uint64_t v = 0, at;

	abort_expected = true;
	__asm__ volatile("adr %1, 1f\n"
			 "1:\tldr %0, [%2]"
			 : "+r"(v), "=&r"(at)
			 : "r"(addr)
			 : "memory");
	abort_expected = false;
	if (val)
		*val = v;
	if (pc)
		*pc = at;
	return abort_count == before;
}

static bool host_store(uint64_t addr, uint64_t val)
{
	unsigned before = abort_count;

	abort_expected = true;
	__asm__ volatile("str %0, [%1]" : : "r"(val), "r"(addr) : "memory");
	abort_expected = false;
	return abort_count == before;
}

/* Branch to `addr` (kcore's text): must abort on the fetch. */
static bool host_exec(uint64_t addr)
{
	unsigned before = abort_count;

	abort_expected = true;
	__asm__ volatile("blr %0"
			 :
			 : "r"(addr)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory");
	abort_expected = false;
	return abort_count == before;
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
	/* SMCCC discovery by SMC (Linux's conduit when PSCI is SMC) is answered by kcore. */
	expect("smc: SMCCC_VERSION -> 1.1", (int64_t)smc(KC_SMCCC_VERSION, 0, 0, 0),
	       KC_SMCCC_VERSION_1_1);
	expect("smc: vendor hypervisor UID word 0 is kcore's",
	       (int64_t)smc(KC_SMCCC_HYP_CALL_UID, 0, 0, 0), KC_HYP_UID_0);
	expect("smc: ARCH_FEATURES(ARCH_WORKAROUND_1) -> NOT_SUPPORTED",
	       (int64_t)smc(KC_SMCCC_ARCH_FEATURES, 0x80008000u, 0, 0), KC_PSCI_NOT_SUPPORTED);
}

/* SMCCC discovery by HVC: how a host finds out it runs on kcore. */
static void test_smccc_discovery(void)
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

/* ---- the host's stage 2 ---------------------------------------------------- */

/* Host RAM nobody else owns (kcore sits at the top of RAM and at 0x40080000). */
#define HOST_PAGE_A 0x44000000ull
#define HOST_PAGE_B 0x44100000ull

#define EC_DABT_CUR 0x25u
#define EC_IABT_CUR 0x21u

static unsigned esr_ec(uint64_t esr)
{
	return (unsigned)(esr >> 26) & 0x3fu;
}

/* An injected abort as Linux would see it: the class, SEA, WnR, the FAR. */
static void expect_abort(const char *what, uint64_t addr, unsigned ec, bool write)
{
	result(what,
	       abort_far == addr && esr_ec(abort_esr) == ec && (abort_esr & 0x3fu) == 0x10u &&
		       !!(abort_esr & (1u << 6)) == write && (abort_esr & (1u << 25)) &&
		       (abort_spsr & 0xfu) == 0x5u,
	       "wrong ESR_EL1/FAR_EL1/SPSR_EL1");
	if (abort_far != addr || esr_ec(abort_esr) != ec) {
		puts_("  ESR_EL1 ");
		puthex(abort_esr);
		puts_(" FAR_EL1 ");
		puthex(abort_far);
		putc_('\n');
	}
}

static void test_kcore_memory(void)
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

static void test_vm_frame(void)
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

/* ---- a VM's life through the ABI: the signed hello guest -------------------- */

/* tests/arm64/guests/hello, linked in by guests.S. */
extern const uint8_t guest_hello_image[], guest_hello_image_end[];
extern const uint8_t guest_hello_manifest[], guest_hello_manifest_end[];

/* Host frames the test gives away: the image, the manifest, a fault backing
 * (clear of the DTB, which QEMU puts at 0x48000000, and of the other tests). */
#define VMG_IMAGE    0x4c000000ull
#define VMG_MANIFEST 0x4c001000ull
#define VMG_BACKING  0x4c002000ull

/* Copy `len` bytes into the host page at `pa`, the rest of the page zero. */
static void host_fill_page(uint64_t pa, const uint8_t *src, size_t len)
{
	uint8_t *p = (uint8_t *)(uintptr_t)pa;

	memset(p, 0, 4096);
	memcpy(p, src, len);
}

/*
 * Canaries (S3): the hello guest keeps HELLO_CANARY | n in x19..x28 and
 * V0..V31.  What the host can read after VCPU_RUN — every register, right
 * after the hvc (host_hvc_snapshot, snapshot.S), and its own memory —
 * must never hold one.
 */
void host_hvc_snapshot(struct host_call *c, uint64_t *snap);
extern char __host_start[], __host_size[];

#define SNAP_WORDS 95 /* x0..x30, V0..V31 (two words each) */
static uint64_t snap[SNAP_WORDS];

/*
 * The guest's canaries have 0 < n < 0xf000; the controls below plant the
 * host's own, n >= 0xf000, which the checks for the guest's never count.
 * The tag is loaded at run time: a compiler that folded the test into a
 * masked compare would keep HELLO_CANARY itself in a register, which the
 * snapshot would then find.
 */
#define HOST_CANARY_N 0xf000u
static volatile uint64_t canary_tag = HELLO_CANARY >> 16;

static unsigned canaries_in(const volatile uint64_t *w, size_t n, bool host)
{
	uint64_t tag = canary_tag;
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t low = w[i] & 0xffff;

		if ((w[i] >> 16) == tag && low != 0 && (low >= HOST_CANARY_N) == host)
			k++;
	}
	return k;
}

/* Every word of the host's image, data, BSS and stacks, and the manifest page. */
static unsigned canaries_in_host_memory(bool host)
{
	return canaries_in((const volatile uint64_t *)(uintptr_t)__host_start,
			   (size_t)(uintptr_t)__host_size / 8, host) +
	       canaries_in((const volatile uint64_t *)(uintptr_t)VMG_MANIFEST, 4096 / 8, host);
}

static volatile uint64_t host_planted;
static volatile unsigned host_shift = 16;

/* The checks can fail: a canary the host itself puts in a register or in memory is found. */
static void test_canary_controls(void)
{
	struct host_call k = { { KC_HC_VERSION, 0, 0, 0, 0, 0, 0 } };

	/* CPACR_EL1.FPEN: the snapshot stores the V registers. */
	__asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(3ull << 20) : "memory");

	/* Built at run time: never a literal in the image the scan would see. */
	k.x[5] = (0x5ec2e75ec2e7ull << host_shift) | HOST_CANARY_N;
	host_hvc_snapshot(&k, snap);
	result("canary: the register check finds one the host left in x5 (control)",
	       canaries_in(snap, SNAP_WORDS, true) >= 1, "not found");
	memset(snap, 0, sizeof(snap));
	host_planted = (0x5ec2e75ec2e7ull << host_shift) | HOST_CANARY_N;
	result("canary: the memory scan finds one the host planted (control)",
	       canaries_in_host_memory(true) >= 1, "not found");
	host_planted = 0;
}

/*
 * The hello VM's whole life.  Run twice: the second VM gets the first's id,
 * so VMID, and must see only its own memory (its store to HELLO_FRESH
 * faults again).  Under QEMU's TCG this cannot catch a missing TLBI: QEMU
 * drops its guest TLB whenever VTTBR_EL2's VMID changes (checked: the test
 * passes with plat_tlbi_s2_vmid's TLBI removed).  Returns the VM's id.
 */
static uint64_t test_guest_hello(void)
{
	size_t image_len = (size_t)(guest_hello_image_end - guest_hello_image);
	size_t manifest_len = (size_t)(guest_hello_manifest_end - guest_hello_manifest);
	uint64_t vm = 0, idx = 0, left = 1, v = 1, finish = KC_RUN_RESUME;
	char out[32];
	unsigned nout = 0, runs, mmio = 0, faults = 0, leaks = 0;
	bool off = false;

	if (!HOST_GUEST_KEY_TRUSTED) {
		result("guest: hello # SKIP the image does not trust tests/arm64/guests/test-guest.pub",
		       true, NULL);
		return 0;
	}
	result("guest: the image and manifest fit a page each",
	       image_len <= 4096 && manifest_len <= 4096, "too big");
	host_fill_page(VMG_IMAGE, guest_hello_image, image_len);
	host_fill_page(VMG_MANIFEST, guest_hello_manifest, manifest_len);
	expect("guest: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("guest: VCPU_CREATE", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("guest: VM_SET_IMAGE",
	       call(KC_HC_VM_SET_IMAGE, vm, HELLO_BASE, 0x1000, 0, 0, 0, &idx), KC_OK);
	expect("guest: VM_LOAD_IMAGE_PAGE",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, VMG_IMAGE >> 12, 0, 0, 0, NULL), KC_OK);
	result("guest: the VM's image frame aborts a host load", !host_load(VMG_IMAGE, NULL, NULL),
	       "the host read a VM's frame");
	result("guest: the manifest page is still the host's (control)",
	       host_load(VMG_MANIFEST, NULL, NULL), "aborted");
	expect("guest: VM_VERIFY with the signed manifest",
	       call(KC_HC_VM_VERIFY, vm, VMG_MANIFEST >> 12, 0, 0, 0, 0, NULL), KC_OK);

	test_canary_controls();
	for (runs = 0; runs < 64 && !off; runs++) {
		struct host_call c = { { KC_HC_VCPU_RUN, vm, 0, finish, 0, 0, 0 } };

		finish = KC_RUN_RESUME;
		host_hvc_snapshot(&c, snap);
		leaks += canaries_in(snap, SNAP_WORDS, false);
		if ((int64_t)c.x[0] != KC_OK) {
			expect("guest: VCPU_RUN", (int64_t)c.x[0], KC_OK);
			break;
		}
		switch (KC_EXIT_KIND(c.x[1])) {
		case KC_EXIT_MMIO:
			mmio++;
			if ((c.x[1] & KC_EXIT_F_WRITE) && c.x[2] == HELLO_UART &&
			    nout < sizeof(out) - 1)
				out[nout++] = (char)c.x[3];
			finish = KC_RUN_MMIO_DONE;
			break;
		case KC_EXIT_FAULT:
			/* One fault is expected: stop at a second rather than loop. */
			if (faults++) {
				result("guest: one fault", false, "the guest faulted again");
				runs = 64;
				break;
			}
			expect("guest: the fault is the write to the fresh page", (int64_t)c.x[2],
			       HELLO_FRESH);
			/* An MMIO access the guest never made cannot be completed. */
			expect("guest: MMIO_DONE on a FAULT exit -> ESTATE",
			       call(KC_HC_VCPU_RUN, vm, 0, KC_RUN_MMIO_DONE, 0x41, 0, 0, NULL),
			       KC_ESTATE);
			expect("guest: VM_MAP_FAULT with a fresh host frame",
			       call(KC_HC_VM_MAP_FAULT, vm, 0, VMG_BACKING >> 12, 3, 0, 0, NULL),
			       KC_OK);
			break;
		case KC_EXIT_POWEROFF:
			off = true;
			break;
		default:
			puts_("guest: unexpected exit ");
			puthex(c.x[1]);
			puts_(" x2 ");
			puthex(c.x[2]);
			putc_('\n');
			runs = 64;
			break;
		}
	}
	memset(snap, 0, sizeof(snap));
	result("canary: none of the guest's in the host's registers after any VCPU_RUN", leaks == 0,
	       "a guest register reached the host");
	result("canary: none in the host's memory", canaries_in_host_memory(false) == 0,
	       "a guest register reached host memory");
	out[nout] = '\0';
	puts_("guest: the hello VM wrote: ");
	puts_(out);
	result("guest: it powered off", off, "no POWEROFF exit");
	result("guest: its UART said \"hello\\n\"", nout == 6 && memcmp(out, "hello\n", 6) == 0,
	       "wrong output");
	result("guest: one MMIO exit per byte, one fault", mmio == 6 && faults == 1,
	       "wrong exit counts");
	result("guest: the backing frame aborts a host load while the VM owns it",
	       !host_load(VMG_BACKING, NULL, NULL), "the host read a VM's frame");
	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, 0, &left) != KC_OK)
			break;
	expect("guest: VM_RECLAIM until no frame is left", (int64_t)left, 0);
	expect("guest: VM_DESTROY", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	result("guest: the image frame is the host's again", host_load(VMG_IMAGE, &v, NULL),
	       "aborted");
	result("guest: ... scrubbed", v == 0, "old contents visible");
	result("guest: the backing frame is the host's again, scrubbed",
	       host_load(VMG_BACKING, &v, NULL) && v == 0, "aborted or not scrubbed");
	return vm;
}

static void test_guest_vmid_reuse(uint64_t first)
{
	puts_("guest: the same life again, in a VM with the same id (VMID)\n");
	expect("guest: the second hello VM reuses the first's id", (int64_t)test_guest_hello(),
	       (int64_t)first);
}

/* ---- every CPU through kcore ------------------------------------------------ */

#define MAX_CPUS   8
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
static uint64_t cpu_mpidr[MAX_CPUS];
static unsigned ncpus;

static uint64_t read_mpidr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v & AFF_MASK;
}

static uint64_t now_ms(void)
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

static void read_cpus(const void *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;

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

static bool wait_off(unsigned n)
{
	uint64_t t0 = now_ms();

	while (smc(KC_PSCI_AFFINITY_INFO64, cpu_mpidr[n], 0, 0) != 1 /* OFF */)
		if (now_ms() - t0 > 10000)
			return false;
	return true;
}

static void test_smp(const void *fdt)
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

/* ---- instruction counts (ci/bench; -icount shift=0, -smp 1) ------------------ */

/*
 * PMU event counter 0 counts INST_RETIRED (0x08) at EL1 and, with NSH
 * (bit 27), at EL2, but not at EL0 (U, bit 30): what a host call or fault
 * costs kcore shows up as the difference from the same code without it
 * (../shared/reference/arm64-host-notes.md §4).  Under icount the count is
 * exact; without icount QEMU has no INST_RETIRED and the figures say 0.
 */
#define PMU_EVTYPE_INST_EL1_EL2 0x48000008ull
#define BENCH_N			1000
#define BENCH_PAGES		16

static void pmu_start(void)
{
	__asm__ volatile("msr pmevtyper0_el0, %0" : : "r"(PMU_EVTYPE_INST_EL1_EL2));
	__asm__ volatile("msr pmcntenset_el0, %0" : : "r"(1ull));
	__asm__ volatile("msr pmcr_el0, %0\n\tisb" : : "r"(1ull | 2ull)); /* E, P (reset) */
}

static uint64_t pmu_read(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, pmevcntr0_el0" : "=r"(v) : : "memory");
	return v;
}

/* N x {mov x0, VERSION; hvc #0 or nop; subs; b.ne}: instructions counted. */
static uint64_t bench_loop(bool with_hvc)
{
	uint64_t a, b;
	register uint64_t n __asm__("x9") = BENCH_N;

	a = pmu_read();
	if (with_hvc)
		__asm__ volatile("1:\tmov x0, %1\n\thvc #0\n\tsubs %0, %0, #1\n\tb.ne 1b"
				 : "+r"(n)
				 : "r"((uint64_t)KC_HC_VERSION)
				 : "x0", "x1", "x2", "x3", "memory");
	else
		__asm__ volatile("1:\tmov x0, %1\n\tnop\n\tsubs %0, %0, #1\n\tb.ne 1b"
				 : "+r"(n)
				 : "r"((uint64_t)KC_HC_VERSION)
				 : "x0", "x1", "x2", "x3", "memory");
	b = pmu_read();
	return b - a;
}

/* One load from `addr` between two counter reads: instructions counted. */
static uint64_t bench_touch(uint64_t addr)
{
	uint64_t a, b, v;

	__asm__ volatile("mrs %0, pmevcntr0_el0\n\t"
			 "ldr %2, [%3]\n\t"
			 "mrs %1, pmevcntr0_el0"
			 : "=&r"(a), "=&r"(b), "=&r"(v)
			 : "r"(addr)
			 : "memory");
	(void)v;
	return b - a;
}

/* Average first touch minus second touch over pages at `base` + k * `stride`. */
static uint64_t bench_faults(uint64_t base, uint64_t stride)
{
	uint64_t sum = 0;

	for (unsigned k = 0; k < BENCH_PAGES; k++) {
		uint64_t first = bench_touch(base + k * stride);
		uint64_t again = bench_touch(base + k * stride);

		sum += first - again;
	}
	return sum / BENCH_PAGES;
}

static void bench_line(const char *name, uint64_t v)
{
	puts_("bench: ");
	puts_(name);
	putc_(' ');
	putdec(v);
	putc_('\n');
}

/* tests/arm64/guests/spin, linked in by guests.S. */
extern const uint8_t guest_spin_image[], guest_spin_image_end[];
extern const uint8_t guest_spin_manifest[], guest_spin_manifest_end[];

/* A VM of one vCPU running a signed guest, built in the VMG_* frames: its id, or 0. */
static uint64_t bench_guest_boot(const uint8_t *image, size_t image_len, const uint8_t *manifest,
				 size_t manifest_len)
{
	uint64_t vm = 0, idx = 0;

	host_fill_page(VMG_IMAGE, image, image_len);
	host_fill_page(VMG_MANIFEST, manifest, manifest_len);
	if (call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm) != KC_OK ||
	    call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL) != KC_OK ||
	    call(KC_HC_VM_SET_IMAGE, vm, HELLO_BASE, 0x1000, 0, 0, 0, &idx) != KC_OK ||
	    call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, VMG_IMAGE >> 12, 0, 0, 0, NULL) != KC_OK ||
	    call(KC_HC_VM_VERIFY, vm, VMG_MANIFEST >> 12, 0, 0, 0, 0, NULL) != KC_OK)
		return 0;
	return vm;
}

/*
 * N x {VCPU_RUN(vm, 0, CALL_DONE, 0) by hvc, or a nop; subs; b.ne}: the
 * spin guest's exit round trip, everything counted: its four instructions,
 * kcore's entry and exit, and the host's loop around the hvc.
 */
static uint64_t bench_guest_loop(uint64_t vm, bool with_hvc)
{
	uint64_t a, b;
	register uint64_t n __asm__("x9") = BENCH_N;

	a = pmu_read();
	if (with_hvc)
		__asm__ volatile(
			"1:\tmov x0, %1\n\tmov x1, %2\n\tmov x2, #0\n\tmov x3, #2\n\t"
			"mov x4, #0\n\tmov x5, #0\n\tmov x6, #0\n\thvc #0\n\tsubs %0, %0, #1\n\tb.ne 1b"
			: "+r"(n)
			: "r"((uint64_t)KC_HC_VCPU_RUN), "r"(vm)
			: "x0", "x1", "x2", "x3", "x4", "x5", "x6", "memory");
	else
		__asm__ volatile(
			"1:\tmov x0, %1\n\tmov x1, %2\n\tmov x2, #0\n\tmov x3, #2\n\t"
			"mov x4, #0\n\tmov x5, #0\n\tmov x6, #0\n\tnop\n\tsubs %0, %0, #1\n\tb.ne 1b"
			: "+r"(n)
			: "r"((uint64_t)KC_HC_VCPU_RUN), "r"(vm)
			: "x0", "x1", "x2", "x3", "x4", "x5", "x6", "memory");
	b = pmu_read();
	return b - a;
}

static void bench_guest_exit(void)
{
	uint64_t vm = bench_guest_boot(
		guest_spin_image, (size_t)(guest_spin_image_end - guest_spin_image),
		guest_spin_manifest, (size_t)(guest_spin_manifest_end - guest_spin_manifest));
	uint64_t x1 = 0, all, host_loop;

	/* The first run leaves it at its first CALL exit; every later one answers it. */
	if (!vm || call(KC_HC_VCPU_RUN, vm, 0, KC_RUN_RESUME, 0, 0, 0, &x1) != KC_OK ||
	    KC_EXIT_KIND(x1) != KC_EXIT_CALL) {
		puts_("bench: the spin guest did not reach its first call exit\n");
		return;
	}
	(void)bench_guest_loop(vm, true); /* warm */
	all = bench_guest_loop(vm, true);
	host_loop = bench_guest_loop(vm, false);
	bench_line("arm64_guest_exit_instr", all / BENCH_N);
	bench_line("arm64_guest_exit_el2_instr", (all - host_loop) / BENCH_N - 4);
}

static void run_bench(void)
{
	uint64_t vm = 0, idx = 0;
	uint64_t hvc, nop;

	pmu_start();
	(void)bench_loop(true); /* warm: the code's pages are mapped */
	(void)bench_loop(false);
	hvc = bench_loop(true);
	nop = bench_loop(false);
	bench_line("arm64_hostcall_instr", (hvc - nop) / BENCH_N);
	/*
	 * 4 KiB faults: pages of a 2 MiB region that is not all the host's
	 * (one of its frames is a VM's image page), so only the page is mapped.
	 */
	call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm);
	call(KC_HC_VM_SET_IMAGE, vm, 0x80000000, 0x1000, 0, 0, 0, &idx);
	call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, 0x46000000 >> 12, 0, 0, 0, NULL);
	(void)bench_touch(0x46001000); /* the region's level-3 table exists from here on */
	bench_line("arm64_hostfault_instr", bench_faults(0x46002000, 0x1000));
	/* Faults in 2 MiB regions wholly the host's: each may map the whole block. */
	bench_line("arm64_hostfault_2m_instr", bench_faults(0x50000000, 0x200000));
	if (HOST_GUEST_KEY_TRUSTED)
		bench_guest_exit();
}

static bool bench_mode(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	const char *args = chosen >= 0 ? fdt_getprop(fdt, chosen, "bootargs", &len) : NULL;
	const char *want = "kcore-host.bench";

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
	if (bench_mode((const void *)(uintptr_t)dtb)) {
		run_bench();
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
	test_smp((const void *)(uintptr_t)dtb);
	putdec(passed);
	puts_(" passed, ");
	putdec(failed);
	puts_(" failed\n");
	power_off();
}
