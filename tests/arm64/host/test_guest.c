/* SPDX-License-Identifier: BSD-2-Clause */
/* A VM's life through the ABI on the real world switch: the signed hello guest. */
#include "hello.h"
#include "host.h"
#include <string.h>

/* tests/arm64/guests/hello, linked in by guests.S. */
extern const uint8_t guest_hello_image[], guest_hello_image_end[];
extern const uint8_t guest_hello_manifest[], guest_hello_manifest_end[];

/* Copy `len` bytes into the host page at `pa`, the rest of the page zero. */
void host_fill_page(uint64_t pa, const uint8_t *src, size_t len)
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
 * The host's own FP/SIMD values, left in the registers for VCPU_RUN: the
 * hello guest checks its first FP/SIMD read gives kcore's zeros, not these
 * (kcore switches FP/SIMD lazily, see platform/arm64/guest.c).  The host is
 * built -mgeneral-regs-only: nothing of its C touches them after this.
 */
static void host_fill_fp(void)
{
	__asm__ volatile(
		".arch_extension fp\n\t.arch_extension simd\n\t"
		".irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, "
		"19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n\t"
		"movi v\\n\\().16b, #0xa5\n\t"
		".endr\n\t"
		"msr fpcr, %0\n\t"
		"msr fpsr, %1"
		:
		: "r"(1ull << 22) /* RMode: towards +infinity */, "r"(1ull << 27) /* QC */
		: "memory");
}

/*
 * The hello VM's whole life.  Run twice: the second VM gets the first's id,
 * so VMID, and must see only its own memory (its store to HELLO_FRESH
 * faults again).  Under QEMU's TCG this cannot catch a missing TLBI: QEMU
 * drops its guest TLB whenever VTTBR_EL2's VMID changes (checked: the test
 * passes with plat_tlbi_s2_vmid's TLBI removed).  Returns the VM's id.
 */
uint64_t test_guest_hello(void)
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
	host_fill_fp();
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

void test_guest_vmid_reuse(uint64_t first)
{
	puts_("guest: the same life again, in a VM with the same id (VMID)\n");
	expect("guest: the second hello VM reuses the first's id", (int64_t)test_guest_hello(),
	       (int64_t)first);
}
