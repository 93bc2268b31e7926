/* SPDX-License-Identifier: BSD-2-Clause */
/* Instruction counts for ci/bench (-icount shift=0, -smp 1). */
#include "hello.h"
#include "host.h"

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

/*
 * A VM of one vCPU running a signed guest, its image and manifest in the
 * host pages at `image_pa` and `image_pa` + 4 KiB: its id, or 0.
 */
static uint64_t bench_guest_boot(uint64_t image_pa, const uint8_t *image, size_t image_len,
				 const uint8_t *manifest, size_t manifest_len)
{
	uint64_t vm = 0, idx = 0, manifest_pa = image_pa + 0x1000;

	host_fill_page(image_pa, image, image_len);
	host_fill_page(manifest_pa, manifest, manifest_len);
	if (call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm) != KC_OK ||
	    call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL) != KC_OK ||
	    call(KC_HC_VM_SET_IMAGE, vm, HELLO_BASE, 0x1000, 0, 0, 0, &idx) != KC_OK ||
	    call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, image_pa >> 12, 0, 0, 0, NULL) != KC_OK ||
	    call(KC_HC_VM_VERIFY, vm, manifest_pa >> 12, 0, 0, 0, 0, NULL) != KC_OK)
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
		VMG_IMAGE, guest_spin_image, (size_t)(guest_spin_image_end - guest_spin_image),
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

/* tests/arm64/guests/touch, linked in by guests.S. */
extern const uint8_t guest_touch_image[], guest_touch_image_end[];
extern const uint8_t guest_touch_manifest[], guest_touch_manifest_end[];

/*
 * The touch guest's fault-in round trip.  Its frames: image and manifest
 * at TOUCH_FRAMES, backings from TOUCH_FRAMES + 2 MiB (a 2 MiB region the
 * host has written, so its stage 2 maps it and every VM_MAP_FAULT takes a
 * page out of the host's map, with its TLBI, as it would from Linux).
 */
#define TOUCH_FRAMES  0x4e000000ull
#define TOUCH_BACKING (TOUCH_FRAMES + 0x200000)
#define TOUCH_N	      256 /* pages 0x80002000.. of the guest's 2 MiB, after one to warm */

/*
 * TOUCH_N x {VM_MAP_FAULT(vm, 0, pfn, level 3) by hvc, or a nop; seven
 * movs; VCPU_RUN(vm, 0, RESUME) by hvc, or a nop; pfn++; subs; b.ne}, the
 * status of every call ORed into *bad.  Each round backs the page the
 * guest's last load faulted on and runs it to its next page's fault.
 */
static uint64_t bench_fault_loop(uint64_t vm, uint64_t pfn, bool with_hvc, uint64_t *bad)
{
	uint64_t a, b, acc = 0;
	register uint64_t n __asm__("x9") = TOUCH_N;

	a = pmu_read();
	if (with_hvc)
		__asm__ volatile("1:\tmov x0, %3\n\tmov x1, %5\n\tmov x2, #0\n\tmov x3, %2\n\t"
				 "mov x4, #3\n\tmov x5, #0\n\tmov x6, #0\n\thvc #0\n\t"
				 "orr %1, %1, x0\n\t"
				 "mov x0, %4\n\tmov x1, %5\n\tmov x2, #0\n\tmov x3, #0\n\t"
				 "mov x4, #0\n\tmov x5, #0\n\tmov x6, #0\n\thvc #0\n\t"
				 "orr %1, %1, x0\n\tadd %2, %2, #1\n\tsubs %0, %0, #1\n\tb.ne 1b"
				 : "+r"(n), "+r"(acc), "+r"(pfn)
				 : "r"((uint64_t)KC_HC_VM_MAP_FAULT), "r"((uint64_t)KC_HC_VCPU_RUN),
				   "r"(vm)
				 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "memory");
	else
		__asm__ volatile("1:\tmov x0, %3\n\tmov x1, %5\n\tmov x2, #0\n\tmov x3, %2\n\t"
				 "mov x4, #3\n\tmov x5, #0\n\tmov x6, #0\n\tnop\n\t"
				 "orr %1, %1, x0\n\t"
				 "mov x0, %4\n\tmov x1, %5\n\tmov x2, #0\n\tmov x3, #0\n\t"
				 "mov x4, #0\n\tmov x5, #0\n\tmov x6, #0\n\tnop\n\t"
				 "orr %1, %1, x0\n\tadd %2, %2, #1\n\tsubs %0, %0, #1\n\tb.ne 1b"
				 : "+r"(n), "+r"(acc), "+r"(pfn)
				 : "r"((uint64_t)KC_HC_VM_MAP_FAULT), "r"((uint64_t)KC_HC_VCPU_RUN),
				   "r"(vm)
				 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "memory");
	b = pmu_read();
	*bad = acc;
	return b - a;
}

/*
 * arm64_guest_fault4k_instr: a guest's first touch of a 4 KiB page,
 * through its FAULT exit, the host's VM_MAP_FAULT and VCPU_RUN, to the
 * retried load: guest instruction to guest instruction, all ELs, as
 * arm64_guest_exit_instr.  kcore traps the PMU for guests, so the host
 * counts: its loop of {VM_MAP_FAULT; VCPU_RUN -> next FAULT} over
 * TOUCH_N pages, over TOUCH_N, minus the guest's two loop instructions
 * (add, b) that are neither the access nor its handling (the faulting
 * load does not retire; its retry does, and is counted as the exit figure
 * counts the guest's hvc).  arm64_guest_fault4k_el2_instr: the same minus
 * the host loop with nop for each hvc and minus all three guest
 * instructions: kcore alone, both calls.
 */
static void bench_guest_fault4k(void)
{
	uint64_t vm = bench_guest_boot(TOUCH_FRAMES, guest_touch_image,
				       (size_t)(guest_touch_image_end - guest_touch_image),
				       guest_touch_manifest,
				       (size_t)(guest_touch_manifest_end - guest_touch_manifest));
	uint64_t x1 = 0, x2 = 0, all, host_loop, bad = 0, bad_nop = 0;
	struct host_call c = { { KC_HC_VCPU_RUN, vm, 0, KC_RUN_RESUME, 0, 0, 0 } };

	/* The host's own frames first: its stage 2 maps the region (one block). */
	for (uint64_t pa = TOUCH_BACKING; pa < TOUCH_BACKING + (TOUCH_N + 1) * 0x1000ull;
	     pa += 0x1000)
		*(volatile uint64_t *)(uintptr_t)pa = 0;
	if (vm) {
		hvc(&c);
		x1 = c.x[1];
		x2 = c.x[2];
	}
	if (!vm || c.x[0] != KC_OK || KC_EXIT_KIND(x1) != KC_EXIT_FAULT || x2 != 0x80001000) {
		puts_("bench: the touch guest did not reach its first fault\n");
		return;
	}
	/* Warm: the first page splits the host's block and the loop's code is fetched. */
	if (call(KC_HC_VM_MAP_FAULT, vm, 0, TOUCH_BACKING >> 12, 3, 0, 0, NULL) != KC_OK ||
	    call(KC_HC_VCPU_RUN, vm, 0, KC_RUN_RESUME, 0, 0, 0, &x1) != KC_OK ||
	    KC_EXIT_KIND(x1) != KC_EXIT_FAULT) {
		puts_("bench: the touch guest's first page did not map\n");
		return;
	}
	all = bench_fault_loop(vm, (TOUCH_BACKING >> 12) + 1, true, &bad);
	host_loop = bench_fault_loop(vm, 0, false, &bad_nop);
	if (bad) {
		puts_("bench: a call of the fault loop failed\n");
		return;
	}
	bench_line("arm64_guest_fault4k_instr", all / TOUCH_N - 2);
	bench_line("arm64_guest_fault4k_el2_instr", (all - host_loop) / TOUCH_N - 3);
}

void run_bench(void)
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
	if (HOST_GUEST_KEY_TRUSTED) {
		bench_guest_exit();
		bench_guest_fault4k();
	}
}
