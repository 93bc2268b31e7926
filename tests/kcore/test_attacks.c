/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attack scenarios: a hostile host (and a confused guest) tries to get at
 * memory that is not its own.  Each test says what the attacker wants; each
 * attempt must be refused with nothing changed (the state digest is equal
 * before and after) and invariants 1-7 must hold throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "fixture.h"

#define IMG_BASE 0x80000000ull
#define DATA_IPA 0x90000000ull
#define IO_IPA	 0xA0000000ull
#define RAM_END	 (KF_RAM_BASE + KF_RAM_SIZE)

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup(&the_kf);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

/* A host access (read and write, on `cpu`) that must be refused and change nothing. */
static void refused_access(struct kf *f, unsigned cpu, uint64_t pa)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN], b = 0x77;

	kf_digest(f, before);
	if (hm_host_load(f->m, cpu, pa, &b, 1, NULL) != HM_FAULT_REFUSED)
		fail_msg("CPU %u: the host read 0x%llx", cpu, (unsigned long long)pa);
	if (hm_host_store(f->m, cpu, pa, &b, 1, NULL) != HM_FAULT_REFUSED)
		fail_msg("CPU %u: the host wrote 0x%llx", cpu, (unsigned long long)pa);
	kf_digest(f, after);
	kf_assert_same("refused access", before, after);
	kf_check(f);
}

/* A verified VM whose vCPU 0 stopped on a store fault at DATA_IPA. */
static uint64_t vm_faulted(struct kf *f, uint8_t fill)
{
	struct kf_image img = { IMG_BASE, 1, fill };
	uint64_t r[3];
	uint64_t vmid = kf_vm_verified(f, &img, 1);
	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 2, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog, 2), 0);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	return vmid;
}

/*
 * The host wants to read or write a VM's memory: it touches a frame (on
 * both CPUs, so both TLBs cache it), hands it to the VM, then reaches for
 * it again.  kcore must have unmapped it and invalidated every TLB.
 */
static void test_host_touches_vm_frame(void **state)
{
	struct kf *f = *state;
	uint64_t vmid = vm_faulted(f, 0x10);
	uint64_t pfn = kf_frame(f);
	uint8_t b;

	assert_int_equal(hm_host_load(f->m, 0, pfn << 12, &b, 1, NULL), HM_FAULT_NONE);
	assert_int_equal(hm_host_load(f->m, 1, pfn << 12, &b, 1, NULL), HM_FAULT_NONE);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, pfn, 3, NULL), KC_OK);
	kf_check(f);
	refused_access(f, 0, pfn << 12);
	refused_access(f, 1, pfn << 12);
	refused_access(f, 1, (pfn << 12) + 0xff8);
}

/* The host wants kcore's own memory: its image (text and data) and its pool. */
static void test_host_touches_core(void **state)
{
	struct kf *f = *state;
	struct kc_region pool = hm_kcore_pool(f->m);

	vm_faulted(f, 0x11); /* so the pool holds live tables */
	refused_access(f, 0, KF_RAM_BASE);
	refused_access(f, 0, KF_RAM_BASE + HM_KCORE_TEXT_SIZE);
	refused_access(f, 1, KF_RAM_BASE + HM_KCORE_IMAGE_SIZE - 1);
	for (uint64_t pa = pool.base; pa < pool.base + pool.size; pa += pool.size / 7 & ~0xfffull)
		refused_access(f, 0, pa);
	refused_access(f, 1, pool.base + pool.size - 1);
	/* The host's own stage-2 root and a VM's root sit in the pool too. */
	refused_access(f, 0, kcore_host_s2_root());
	refused_access(f, 0, kc.vms[1].s2.root);
}

/*
 * The host wants to change a boot image after handing it over, so that
 * what runs is not what was measured: before VERIFY (to swap code after the
 * hash) and after (to patch the running guest).
 */
static void test_host_touches_image(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 2, 0x20 };
	uint64_t vmid = kf_vm_loaded(f, &img, 1);
	uint64_t p0 = kc.vms[vmid].images[0].window_va;
	uint64_t pa0 = 0, pa1 = 0;
	struct pgt_leaf leaf;

	assert_true(pgt_lookup(&kc.coremap, p0, &leaf));
	pa0 = leaf.pa;
	assert_true(pgt_lookup(&kc.coremap, p0 + 0x1000, &leaf));
	pa1 = leaf.pa;
	/* The host wrote these pages itself (kf_frame_with): they were in its TLB. */
	refused_access(f, 0, pa0);
	refused_access(f, 0, pa1 + 0x800);
	uint64_t mpfn = kf_manifest(f, &img, 1, IMG_BASE, false);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vmid, mpfn, 0, 0, NULL), KC_OK);
	kf_check(f);
	refused_access(f, 0, pa0);
	refused_access(f, 1, pa1);
}

/* The host wants two VMs to share one frame behind their backs. */
static void test_one_frame_two_vms(void **state)
{
	struct kf *f = *state;
	uint64_t vm1 = vm_faulted(f, 0x12);
	uint64_t pfn = kf_frame(f);
	uint64_t r[3];

	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm1, 0, pfn, 3, NULL), KC_OK);
	uint64_t vm2 = vm_faulted(f, 0x13);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm2, 0, pfn, 3);
	/* ... nor as a boot image of a third VM. */
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm3 = r[0];
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm3, IMG_BASE, 0x1000, 0, r), KC_OK);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, vm3, 0, pfn, 0);
	/* ... nor its own image frame, loaded into the second VM's stage 2. */
	uint64_t img1 = kf_vm_lookup(vm1, IMG_BASE) >> 12;
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm2, 0, img1, 3);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, vm3, 0, img1, 0);
	/* Even once the guest shares it with the host, it stays VM 1's. */
	assert_int_equal(kf_run(f, vm1, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(kf_guest_call(f, vm1, 0, KC_GC_SHARE, DATA_IPA >> 12, 1), KC_OK);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm2, 0, pfn, 3);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, vm3, 0, pfn, 0);
	assert_int_equal(kf_frame_owner(pfn), (int)vm1);
}

/*
 * The host wants to slip one foreign frame into a 2 MiB block: 511 frames
 * of its own and one that is a VM's (or kcore's).  The whole call must be
 * refused and none of the other 511 may have moved.
 */
static void test_run_with_foreign_frame(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];
	uint64_t vm1 = vm_faulted(f, 0x14);
	uint64_t run = kf_frame_run(f);

	/* Frame 37 of the run goes to another VM as a boot-image page. */
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm2 = r[0];
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm2, IMG_BASE, 0x1000, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm2, 0, run + 37, 0, NULL), KC_OK);
	/* The host touched frame 300 (it is in its stage 2): it must stay so. */
	assert_int_equal(kf_host_try_read(f, (run + 300) << 12), HM_FAULT_NONE);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm1, 0, run, 2);
	for (uint64_t i = 0; i < 512; i++)
		if (i != 37 && kf_frame_owner(run + i) != KF_OWNER_HOST)
			fail_msg("frame %llu of the run changed hands", (unsigned long long)i);
	assert_int_equal(kf_host_try_read(f, (run + 300) << 12), HM_FAULT_NONE);
	/* The last frame of a run is foreign: the check must not stop early. */
	uint64_t run2 = kf_frame_run(f);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm2, IMG_BASE + 0x1000, 0x1000, 0, r),
			 KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm2, 1, run2 + 511, 0, NULL), KC_OK);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm1, 0, run2, 2);
	/* A run that ends in kcore's pool. */
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm1, 0, (RAM_END - (2ull << 20)) >> 12, 2);
	/* A run that starts in kcore's image. */
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_FAULT, vm1, 0, KF_RAM_BASE >> 12, 2);
	/* The honest run still works afterwards. */
	uint64_t run3 = kf_frame_run(f);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm1, 0, run3, 2, NULL), KC_OK);
	kf_check(f);
}

/* The host wants to boot code that is not what the key holder signed. */
static void test_tampered_image(void **state)
{
	struct kf *f = *state;
	struct kf_image signed_img = { IMG_BASE, 2, 0x30 };
	struct kf_image loaded_img = { IMG_BASE, 2, 0x31 }; /* different bytes */

	uint64_t vmid = kf_vm_loaded(f, &loaded_img, 1);
	uint64_t mpfn = kf_manifest(f, &signed_img, 1, IMG_BASE, false);
	hm_console_clear(f->m);
	kf_call_refused(f, KC_EAUTH, KC_HC_VM_VERIFY, vmid, mpfn, 0, 0);
	assert_int_equal(kf_vm_state(vmid), KF_VM_CREATED);
	assert_int_equal(kf_vm_lookup(vmid, IMG_BASE), ~0ull); /* nothing mapped */
	/* The operator learns why on kcore's console. */
	assert_non_null(
		strstr(hm_console_text(f->m, NULL),
		       "not verified: an image's SHA-256 differs from what was loaded (EAUTH)"));
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_RUN, vmid, 0, 0, 0);
}

/* Verify with a manifest page; VM stays CREATED unless it is good. */
static void try_manifest(struct kf *f, uint64_t vmid, const uint8_t *buf, int want,
			 const char *what)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t pfn = kf_frame_with(f, buf, 4096);

	kf_digest(f, before);
	int rc = kf_call(f, KC_HC_VM_VERIFY, vmid, pfn, 0, 0, NULL);
	if (rc != want)
		fail_msg("%s: got %s, want %s", what, kcore_err_name(rc), kcore_err_name(want));
	kf_digest(f, after);
	kf_assert_same(what, before, after);
	assert_int_equal(kf_vm_state(vmid), KF_VM_CREATED);
	kf_check(f);
}

/*
 * The host wants kcore to accept a manifest nobody trusted signed: edited
 * fields, a wrong signature, a truncated image list, another key.  After
 * every attempt the VM can still verify with the good manifest.
 */
static void test_tampered_manifest(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 2, 0x40 };
	uint8_t good[4096] = { 0 }, bad[4096];
	uint64_t vmid = kf_vm_loaded(f, &img, 1);
	size_t len = kf_manifest_bytes(f, &img, 1, IMG_BASE, false, good);
	/* Field offsets of docs/MANIFEST.md, and what a flip there must give. */
	static const struct {
		size_t off;
		int want;
		const char *what;
	} flips[] = {
		{ 0, KC_EINVAL, "magic" },
		{ 8, KC_EINVAL, "version" },
		{ 16, KC_EAUTH, "entry pc (+0x10, still inside the image)" },
		{ 17, KC_EAUTH, "entry pc (+0x1000, still inside the image)" },
		{ 19, KC_EINVAL, "entry pc (outside the image)" },
		{ 24 + 1, KC_EINVAL, "image base (misaligned)" },
		{ 24 + 2, KC_EINVAL, "image base (aligned: the entry pc falls outside)" },
		{ 32, KC_EINVAL, "image size (misaligned)" },
		{ 32 + 1, KC_EAUTH, "image size (aligned)" },
		{ 40, KC_EAUTH, "image hash" },
		{ 40 + 31, KC_EAUTH, "image hash, last byte" },
		{ 72, KC_EAUTH, "signature r" },
		{ 72 + 63, KC_EAUTH, "signature s" },
		{ 72 + 64, KC_EINVAL, "a byte after the signature" },
	};
	assert_int_equal(len, 72 + 64);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, good, sizeof(bad));
		bad[flips[i].off] ^= 0x10;
		try_manifest(f, vmid, bad, flips[i].want, flips[i].what);
	}
	/* Truncated: says two images, lists one (the signature sits where entry 2 would). */
	memcpy(bad, good, sizeof(bad));
	bad[12] = 2;
	try_manifest(f, vmid, bad, KC_EINVAL, "nimages 2, one entry");
	/* Signed properly, but for two images while the VM declared one. */
	struct kf_image two[2] = { img, { IMG_BASE + 0x2000, 1, 0x50 } };
	memset(bad, 0, sizeof(bad));
	kf_manifest_bytes(f, two, 2, IMG_BASE, false, bad);
	try_manifest(f, vmid, bad, KC_EINVAL, "signed for other images");
	/* A well-formed manifest from an untrusted key. */
	memset(bad, 0, sizeof(bad));
	kf_manifest_bytes(f, &img, 1, IMG_BASE, true, bad);
	try_manifest(f, vmid, bad, KC_EAUTH, "untrusted key");
	/* An empty page. */
	memset(bad, 0, sizeof(bad));
	try_manifest(f, vmid, bad, KC_EINVAL, "empty page");

	uint64_t pfn = kf_frame_with(f, good, sizeof(good));
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vmid, pfn, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_vm_state(vmid), KF_VM_VERIFIED);
	kf_check(f);
}

/*
 * The host wants to take a VM's frames back while the VM runs.  Not while
 * it is VERIFIED (ESTATE); and not while a vCPU is still inside VCPU_RUN on
 * another CPU after a poweroff (EBUSY).  The model cannot hold a vCPU
 * inside a run while another CPU calls in without a race, so the second
 * part sets the vCPU RUNNING through kcore's state, as VCPU_RUN does.
 */
static void test_reclaim_running_vm(void **state)
{
	struct kf *f = *state;
	uint64_t vmid = vm_faulted(f, 0x15);
	uint64_t r[3];

	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, kf_frame(f), 3, NULL), KC_OK);
	kf_call_refused(f, KC_ESTATE, KC_HC_VM_RECLAIM, vmid, 100, 0, 0);
	kf_call_refused(f, KC_ESTATE, KC_HC_VM_DESTROY, vmid, 0, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), KC_OK);
	kc.vms[vmid].vcpus[0].state = VCPU_RUNNING;
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_RECLAIM, vmid, 100, 0, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_DESTROY, vmid, 0, 0, 0);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_RUN, vmid, 0, 0, 0);
	kc.vms[vmid].vcpus[0].state = VCPU_READY;
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vmid, 100, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	kf_check(f);
}

/*
 * A VM powered off while it still shares a page the host has mapped: the
 * host must not keep reaching the frame while VM_RECLAIM scrubs it (on
 * another CPU it could read it half scrubbed, or write under the memset so
 * it comes back dirty).  RECLAIM takes the frame from the host's stage 2
 * first; it comes back scrubbed and the host faults it in again.
 */
static void test_reclaim_shared_page(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x71 };
	struct pgt_leaf leaf;
	uint64_t r[3], v = 0;

	uint64_t vmid = kf_vm_verified(f, &img, 1);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK); /* no program: WFI */
	assert_int_equal(kf_guest_call(f, vmid, 0, KC_GC_SHARE, IMG_BASE >> 12, 1), KC_OK);
	uint64_t pa = kf_vm_lookup(vmid, IMG_BASE);
	assert_int_equal(kf_host_try_write(f, pa), HM_FAULT_NONE); /* the host maps it now */
	assert_true(pgt_lookup(&kc.host_s2, pa, &leaf));
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vmid, 100, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	assert_int_equal(kf_frame_owner(pa >> 12), KF_OWNER_HOST);
	/* Unmapped for the scrub (the TLBI with it), ... */
	assert_false(pgt_lookup(&kc.host_s2, pa, &leaf));
	/* ... scrubbed, and the host's again on its next touch. */
	assert_int_equal(hm_host_load(f->m, 0, pa, &v, sizeof(v), NULL), HM_FAULT_NONE);
	assert_int_equal(v, 0);
	kf_check(f);
}

/*
 * A stale TLB entry after VM id reuse: the host wants the new VM 1 to see
 * (or the old VM 1's leftovers to reach) a frame through a translation
 * cached for the old VM 1.  The old VM runs on CPU 1, so CPU 1's TLB holds
 * VMID 1's DATA_IPA; the new VM 1 maps a different frame at DATA_IPA and
 * must read that frame's bytes on CPU 1.
 */
static void test_vmid_reuse_stale_tlb(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x60 };
	uint64_t r[3], a = 0xAAAAAAAAAAAAAAAAull, b = 0xBBBBBBBBBBBBBBBBull;
	const struct hm_guest_op prog_old[] = {
		{ HM_GOP_LOAD, 1, 8, DATA_IPA, 0 },
		{ HM_GOP_EXPECT, 1, 0, 0, 0xAAAAAAAAAAAAAAAAull },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	const struct hm_guest_op prog_new[] = {
		{ HM_GOP_LOAD, 1, 8, DATA_IPA, 0 },
		{ HM_GOP_EXPECT, 1, 0, 0, 0xBBBBBBBBBBBBBBBBull },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};

	uint64_t vmid = kf_vm_verified(f, &img, 1);
	uint64_t fa = kf_frame_with(f, &a, 8);
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog_old, 3), 0);
	assert_int_equal(kf_call_on(f, 1, KC_HC_VCPU_RUN, vmid, 0, 0, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, fa, 3, NULL), KC_OK);
	assert_int_equal(kf_call_on(f, 1, KC_HC_VCPU_RUN, vmid, 0, 0, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	assert_true(hm_tlb_count(f->m, 1) > 0);
	kf_check(f);

	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vmid, 1000, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), KC_OK);
	kf_check(f);

	img.fill = 0x61;
	assert_int_equal(kf_vm_verified(f, &img, 1), vmid); /* the same id again */
	uint64_t fb = kf_frame_with(f, &b, 8);
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog_new, 3), 0);
	assert_int_equal(kf_call_on(f, 1, KC_HC_VCPU_RUN, vmid, 0, 0, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT); /* no stale translation hit */
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, fb, 3, NULL), KC_OK);
	assert_int_equal(kf_call_on(f, 1, KC_HC_VCPU_RUN, vmid, 0, 0, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	char msg[200];
	if (hm_guest_failures(f->m, msg, sizeof(msg)))
		fail_msg("the new VM read through a stale translation: %s", msg);
	char why[200];
	if (!hm_tlb_coherent(f->m, why, sizeof(why)))
		fail_msg("%s", why);
	kf_check(f);
}

/*
 * A guest wants the host to get frames it does not own: SHARE of an IPA
 * with nothing behind it, of its device page, or beyond its address space.
 * Each returns an error in x0 and changes nothing.
 */
static void test_guest_shares_what_it_does_not_own(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x70 };
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t r[3];

	struct kc_manifest_layout layout;
	kf_layout(&layout, false);
	uint64_t vmid = kf_vm_loaded(f, &img, 1);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, vmid, IO_IPA, KF_DEV_BASE, 1, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vmid,
				 kf_manifest_v2(f, &img, 1, IMG_BASE, &layout), 0, 0, NULL),
			 KC_OK);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK); /* no program: WFI */
	static const struct {
		uint64_t gfn, n;
		int want;
	} tries[] = {
		{ DATA_IPA >> 12, 1, KC_ENOENT },    { IO_IPA >> 12, 1, KC_ENOENT },
		{ KF_RAM_BASE >> 12, 1, KC_ENOENT }, /* kcore's frame number, as a gfn */
		{ IMG_BASE >> 12, 2, KC_ENOENT },    /* its page, then nothing */
		{ 1ull << 36, 1, KC_ENOENT },	     { ~0ull, 1, KC_EINVAL }, /* gfn + n wraps */
		{ IMG_BASE >> 12, 0, KC_EINVAL },
	};
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		kf_digest_noregs(f, before);
		int64_t rc = kf_guest_call(f, vmid, 0, KC_GC_SHARE, tries[i].gfn, tries[i].n);
		if (rc != tries[i].want)
			fail_msg("SHARE try %zu: got %s", i, kcore_err_name((int)rc));
		kf_digest_noregs(f, after);
		kf_assert_same("refused SHARE", before, after);
		kf_check(f);
	}
	assert_int_equal(kf_host_try_read(f, kf_vm_lookup(vmid, IMG_BASE)), HM_FAULT_REFUSED);
}

/* The host wants to name the IPA a frame goes to, with no fault recorded. */
static void test_map_fault_without_fault(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x71 };
	uint64_t vmid = kf_vm_verified(f, &img, 1);
	uint64_t pfn = kf_frame(f);

	kf_call_refused(f, KC_ESTATE, KC_HC_VM_MAP_FAULT, vmid, 0, pfn, 3);
	kf_call_refused(f, KC_ESTATE, KC_HC_VM_MAP_FAULT, vmid, 0, pfn & ~511ull, 2);
	/* After a fault was backed, the record is gone: no second frame behind it. */
	uint64_t vm2 = vm_faulted(f, 0x72);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm2, 0, kf_frame(f), 3, NULL), KC_OK);
	kf_call_refused(f, KC_ESTATE, KC_HC_VM_MAP_FAULT, vm2, 0, kf_frame(f), 3);
}

/*
 * The host wants RAM in a VM as "device" memory: its own RAM (bypassing
 * ownership), kcore's, or another VM's.
 */
static void test_map_io_of_ram(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x73 };
	uint64_t vm1 = kf_vm_verified(f, &img, 1);
	uint64_t vm2 = kf_vm_loaded(f, &img, 1);
	struct kc_region pool = hm_kcore_pool(f->m);

	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, kf_frame(f) << 12, 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, KF_RAM_BASE, 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, pool.base, 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, kf_vm_lookup(vm1, IMG_BASE), 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm2, IO_IPA, KF_RAM_BASE - 0x10000, 32);
}

/*
 * The host wants its stage 2 to map kcore's pages: fault on them directly
 * (as a host abort would) — kcore's image, pool and table roots.
 */
static void call_host_fault(unsigned cpu, void *arg)
{
	uint64_t *io = arg;
	(void)cpu;
	io[1] = (uint64_t)(int64_t)kcore_host_fault(io[0], true);
}

static void test_host_fault_on_core(void **state)
{
	struct kf *f = *state;
	struct kc_region pool = hm_kcore_pool(f->m);
	const uint64_t pas[] = {
		KF_RAM_BASE,	      KF_RAM_BASE + 0x1234, pool.base, pool.base + pool.size - 8,
		kcore_host_s2_root(), 1ull << 48,	    ~0ull
	};
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];

	for (size_t i = 0; i < sizeof(pas) / sizeof(pas[0]); i++) {
		uint64_t io[2] = { pas[i], 0 };
		kf_digest(f, before);
		assert_int_equal(hm_cpu_run(f->m, 0, call_host_fault, io), 0);
		if ((int64_t)io[1] != KC_EPERM)
			fail_msg("host fault at 0x%llx: %s", (unsigned long long)pas[i],
				 kcore_err_name((int)(int64_t)io[1]));
		kf_digest(f, after);
		kf_assert_same("refused host fault", before, after);
		kf_check(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_touches_vm_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_touches_core, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_touches_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_frame_two_vms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_with_foreign_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_running_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_shared_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmid_reuse_stale_tlb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_shares_what_it_does_not_own, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_map_fault_without_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_io_of_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_fault_on_core, setup, teardown),
	};
	return cmocka_run_group_tests_name("attacks", tests, NULL, NULL);
}
