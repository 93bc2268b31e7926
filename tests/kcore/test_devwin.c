/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device windows (docs/MANIFEST.md, format v2; docs/ARCHITECTURE.md,
 * "Device windows"), through the ABI on the hosted model.  A hostile host
 * wants a device where the guest expects RAM, one device page in two VMs,
 * or a device a VM drives kept within its own reach.  Each attempt is
 * refused with nothing changed (the state digest is equal before and
 * after), invariants 1-7 hold after every step, and each test has its
 * control: the same action where the signed layout allows it succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define IMG_BASE  0x80000000ull /* inside the layout's RAM range */
#define AFTER_IMG 0x80001000ull /* right after a one-page image: RAM, says the manifest */
#define IO_IPA	  KF_LAYOUT_IO	/* inside the layout's device window */
#define DEV_P	  KF_DEV_BASE	/* device pages the host hands out */
#define DEV_Q	  (KF_DEV_BASE + 0x10000)
#define DEV_FREE  (KF_DEV_BASE + 0x80000) /* never mapped into a VM */

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup_vms(&the_kf, 8);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

/* A host call that must return `want`; a refused one must change nothing. */
static void call_is(struct kf *f, int want, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4)
{
	if (want != KC_OK) {
		kf_call_refused(f, want, fn, a1, a2, a3, a4);
		return;
	}
	int rc = kf_call(f, fn, a1, a2, a3, a4, NULL);
	if (rc != KC_OK)
		fail_msg("call 0x%llx(%llu, 0x%llx, 0x%llx): got %s, want OK",
			 (unsigned long long)fn, (unsigned long long)a1, (unsigned long long)a2,
			 (unsigned long long)a3, kcore_err_name(rc));
	kf_check(f);
}

/* The host's load and store of device page `pa`, on both CPUs: all `want`. */
static void host_access_is(struct kf *f, uint64_t pa, enum hm_fault want)
{
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		uint8_t b = 0x5a;
		enum hm_fault got = hm_host_load(f->m, cpu, pa, &b, 1, NULL);
		if (got == want)
			got = hm_host_store(f->m, cpu, pa, &b, 1, NULL);
		if (got != want)
			fail_msg("CPU %u: host access to 0x%llx gave fault %d, want %d", cpu,
				 (unsigned long long)pa, got, want);
	}
	kf_check(f);
}

/* A CREATED VM with vCPU 0 and a one-page image at IMG_BASE, filled with `fill`. */
static uint64_t vm_loaded(struct kf *f, uint8_t fill, struct kf_image *img)
{
	*img = (struct kf_image){ IMG_BASE, 1, fill };
	return kf_vm_loaded(f, img, 1);
}

/* kcore told the operator `why` on its console (since the last check). */
static void console_says(struct kf *f, const char *why)
{
	const char *text = hm_console_text(f->m, NULL);
	if (!strstr(text, why))
		fail_msg("the console does not say \"%s\":\n%s", why, text);
	hm_console_clear(f->m);
}

/* VM_VERIFY with a v2 manifest for `img` declaring `l` (NULL: v1). */
static void verify_is(struct kf *f, int want, uint64_t vmid, const struct kf_image *img,
		      const struct kc_manifest_layout *l)
{
	uint64_t mpfn = kf_manifest_v2(f, img, 1, IMG_BASE, l);
	call_is(f, want, KC_HC_VM_VERIFY, vmid, mpfn, 0, 0);
	assert_int_equal(kf_vm_state(vmid), want == KC_OK ? KF_VM_VERIFIED : KF_VM_CREATED);
}

/*
 * The host maps a device page where the manifest says RAM — right after
 * the image — while the VM is being built, when kcore cannot know the
 * layout yet.  VM_VERIFY sees it against the signed layout and refuses.
 */
static void test_device_where_the_manifest_says_ram(void **state)
{
	struct kf *f = *state;
	struct kc_manifest_layout l;
	struct kf_image img;

	kf_layout(&l, false);
	uint64_t vm = vm_loaded(f, 0x10, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm, AFTER_IMG, DEV_P, 1);
	verify_is(f, KC_EPERM, vm, &img, &l);
	console_says(f,
		     "not verified: an IO mapping lies over a RAM range of the manifest (EPERM)");
	/* Straddling the window's start (one page in RAM, one in the window) is no better. */
	uint64_t vm2 = vm_loaded(f, 0x11, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm2, IO_IPA - 0x1000, DEV_Q, 2);
	verify_is(f, KC_EPERM, vm2, &img, &l);
	console_says(f, "over a RAM range");
	/* Past the window's end, into undeclared space: outside every window. */
	call_is(f, KC_OK, KC_HC_VM_POWEROFF, vm2, 0, 0, 0);
	call_is(f, KC_OK, KC_HC_VM_RECLAIM, vm2, 100, 0, 0);
	call_is(f, KC_OK, KC_HC_VM_DESTROY, vm2, 0, 0, 0);
	vm2 = vm_loaded(f, 0x11, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm2, IO_IPA + KF_LAYOUT_IO_SIZE - 0x1000, DEV_Q, 2);
	verify_is(f, KC_EPERM, vm2, &img, &l);
	console_says(f, "an IO mapping lies outside every device window (EPERM)");

	/* Control: the same device page, in the window the manifest declares. */
	call_is(f, KC_OK, KC_HC_VM_POWEROFF, vm, 0, 0, 0);
	call_is(f, KC_OK, KC_HC_VM_RECLAIM, vm, 100, 0, 0);
	uint64_t vm3 = vm_loaded(f, 0x12, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm3, IO_IPA, DEV_P, 1);
	verify_is(f, KC_OK, vm3, &img, &l);
	assert_int_equal(kf_vm_lookup(vm3, IO_IPA), DEV_P);

	/* Once verified the layout is known: RAM and undeclared space are refused at once. */
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, vm3, AFTER_IMG, DEV_FREE, 1);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, vm3, 0xB0000000, DEV_FREE, 1);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, vm3, IO_IPA + KF_LAYOUT_IO_SIZE - 0x1000, DEV_FREE,
		2);
	/* Control: inside the window it is accepted, and exclusive (not SHARED). */
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm3, IO_IPA + 0x1000, DEV_FREE, 1);
	bool shared = true;
	assert_int_equal(kf_io_claim(DEV_FREE, &shared), vm3);
	assert_false(shared);
}

/* A v1 manifest declares no device window: its VM can have no device. */
static void test_v1_vm_with_a_device(void **state)
{
	struct kf *f = *state;
	struct kf_image img;

	uint64_t vm = vm_loaded(f, 0x20, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm, IO_IPA, DEV_P, 1);
	verify_is(f, KC_EPERM, vm, &img, NULL);
	console_says(f, "an IO mapping, but the manifest declares no device window (EPERM)");
	/* Control: the same v1 manifest, for a VM without a device. */
	uint64_t vm2 = vm_loaded(f, 0x20, &img);
	verify_is(f, KC_OK, vm2, &img, NULL);
	/* ...which then cannot get one either. */
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, DEV_Q, 1);
}

/*
 * The host maps one device page into two VMs.  Refused unless both
 * manifests put it in a SHARED window.
 */
static void test_device_page_in_two_vms(void **state)
{
	struct kf *f = *state;
	struct kc_manifest_layout mine, shared;
	struct kf_image img, img_a, img_e;

	kf_layout(&mine, false);
	kf_layout(&shared, true);
	/* VM A holds DEV_P (not verified yet: exclusive). */
	uint64_t a = vm_loaded(f, 0x30, &img_a);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, a, IO_IPA, DEV_P, 1);
	uint64_t b = vm_loaded(f, 0x31, &img);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, b, IO_IPA, DEV_P, 1);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, b, IO_IPA, DEV_P - 0x3000, 4); /* a run over it */
	/* Control: another device page is B's for the asking. */
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, b, IO_IPA, DEV_P + 0x1000, 1);
	/* A verified with a window that is not SHARED: still A's alone. */
	verify_is(f, KC_OK, a, &img_a, &mine);
	uint64_t c = kf_vm_verified_v2(f, &img, 1, &shared);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, c, IO_IPA, DEV_P, 1);

	/* SHARED windows in both manifests: both VMs may map DEV_Q, after VERIFY. */
	uint64_t d = kf_vm_verified_v2(f, &img, 1, &shared);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, c, IO_IPA, DEV_Q, 1);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, d, IO_IPA + 0x2000, DEV_Q, 1);
	assert_int_equal(kf_vm_lookup(c, IO_IPA), DEV_Q);
	assert_int_equal(kf_vm_lookup(d, IO_IPA + 0x2000), DEV_Q);
	/* ...but not a VM whose window for it is not SHARED. */
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, a, IO_IPA + 0x1000, DEV_Q, 1);
	/* And a CREATED VM's claim is exclusive until VERIFY: no sharing before. */
	uint64_t e = vm_loaded(f, 0x32, &img_e);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, e, IO_IPA, DEV_Q, 1);
	/* A run mapped while CREATED becomes shared when VERIFY finds it in a SHARED window. */
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, e, IO_IPA, DEV_Q + 0x1000, 1);
	call_is(f, KC_EPERM, KC_HC_VM_MAP_IO, d, IO_IPA + 0x3000, DEV_Q + 0x1000, 1);
	verify_is(f, KC_OK, e, &img_e, &shared);
	bool is_shared = false;
	assert_int_equal(kf_io_claim(DEV_Q + 0x1000, &is_shared), e);
	assert_true(is_shared);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, d, IO_IPA + 0x3000, DEV_Q + 0x1000, 1);
}

/*
 * The host keeps reaching a device page it gave a VM.  It loses it (unmap
 * and TLBI: invariant 7 checks the TLBs) while the VM holds it, and gets it
 * back when the VM gives it back.
 */
static void test_host_access_to_a_held_device_page(void **state)
{
	struct kf *f = *state;
	struct kc_manifest_layout l;
	struct kf_image img;

	kf_layout(&l, false);
	/* The host has DEV_P mapped and in both CPUs' TLBs. */
	host_access_is(f, DEV_P, HM_FAULT_NONE);
	uint64_t vm = vm_loaded(f, 0x40, &img);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, vm, IO_IPA, DEV_P, 4);
	for (unsigned p = 0; p < 4; p++)
		host_access_is(f, DEV_P + p * 0x1000, HM_FAULT_REFUSED);
	/* Control: a device page no VM holds stays the host's. */
	host_access_is(f, DEV_FREE, HM_FAULT_NONE);
	verify_is(f, KC_OK, vm, &img, &l);
	host_access_is(f, DEV_P, HM_FAULT_REFUSED);
	call_is(f, KC_OK, KC_HC_VM_POWEROFF, vm, 0, 0, 0);
	host_access_is(f, DEV_P, HM_FAULT_REFUSED); /* off, but not given back yet */

	/* VM_RECLAIM takes the VM's leaves in IPA order: the image, then one device page. */
	call_is(f, KC_OK, KC_HC_VM_RECLAIM, vm, 2, 0, 0);
	host_access_is(f, DEV_P, HM_FAULT_NONE);
	host_access_is(f, DEV_P + 0x1000, HM_FAULT_REFUSED);
	call_is(f, KC_OK, KC_HC_VM_RECLAIM, vm, 100, 0, 0);
	for (unsigned p = 0; p < 4; p++)
		host_access_is(f, DEV_P + p * 0x1000, HM_FAULT_NONE);
	call_is(f, KC_OK, KC_HC_VM_DESTROY, vm, 0, 0, 0);

	/* A VM destroyed with its device leaves still mapped gives them back too. */
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, r[0], IO_IPA, DEV_Q, 2);
	host_access_is(f, DEV_Q + 0x1000, HM_FAULT_REFUSED);
	call_is(f, KC_OK, KC_HC_VM_POWEROFF, r[0], 0, 0, 0);
	call_is(f, KC_OK, KC_HC_VM_DESTROY, r[0], 0, 0, 0); /* no frames: nothing to reclaim */
	host_access_is(f, DEV_Q + 0x1000, HM_FAULT_NONE);
	assert_int_equal(kf_io_claim(DEV_Q, NULL), 0);

	/* A SHARED window's pages stay within the host's reach. */
	kf_layout(&l, true);
	uint64_t s = kf_vm_verified_v2(f, &img, 1, &l);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, s, IO_IPA, DEV_FREE, 1);
	host_access_is(f, DEV_FREE, HM_FAULT_NONE);
}

/* The claims table is bounded: full is ENOMEM, before anything changes. */
static void test_claims_table_full(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];
	unsigned made = 0;

	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	/* One run per call: a VM may map a device page at several IPAs (aliases). */
	for (;; made++) {
		int rc = kf_call(f, KC_HC_VM_MAP_IO, vm, IO_IPA + made * 0x1000ull, DEV_P, 1, r);
		if (rc != KC_OK) {
			assert_int_equal(rc, KC_ENOMEM);
			break;
		}
		assert_true(made < 100000);
	}
	print_message("# %u device runs fit the claims table\n", made);
	assert_true(made >= 64);
	call_is(f, KC_ENOMEM, KC_HC_VM_MAP_IO, vm, 0xB0000000, DEV_Q, 1);
	/* Control: giving them back makes room again. */
	call_is(f, KC_OK, KC_HC_VM_POWEROFF, vm, 0, 0, 0);
	call_is(f, KC_OK, KC_HC_VM_DESTROY, vm, 0, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	call_is(f, KC_OK, KC_HC_VM_MAP_IO, r[0], 0xB0000000, DEV_Q, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_where_the_manifest_says_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1_vm_with_a_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_page_in_two_vms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_access_to_a_held_device_page, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_claims_table_full, setup, teardown),
	};
	return cmocka_run_group_tests_name("devwin", tests, NULL, NULL);
}
