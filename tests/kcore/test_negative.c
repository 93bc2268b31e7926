/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Negative tests: every argument of every host call, out of range,
 * misaligned, in the wrong state or naming something the caller does not
 * own; every must-be-zero register; malformed function ids; and every
 * VCPU_RUN finish code used without the exit it finishes.  Each case
 * asserts the exact error name, zero result registers, an unchanged state
 * digest (a failing call changes nothing) and invariants 1-7.
 *
 * The machine ("the zoo") holds a VM in every state at once, so each case
 * is one call on the same machine:
 *   VM 1  VERIFIED; vCPU 0 stopped on an unbacked store, vCPU 1 on an
 *         instruction fetch at IPA 0 (only vCPU 0 gets the entry PC), vCPU 2
 *         never ran
 *   VM 2  CREATED, image loaded, not verified (a good manifest is ready)
 *   VM 3  POWEROFF, still holding its frames
 *   VM 4  CREATED, an empty 2-page image slot
 *   VM 5  FREE
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define IMG_BASE     0x80000000ull
#define DATA_IPA     0x90000000ull
#define NEW_BASE     0xB0000000ull
#define IO_IPA2	     0xA0200000ull
#define MMIO_IPA     0xA0400000ull	/* a page VM 1's guest guards */
#define V1_ENTRY     (IMG_BASE + 0x800) /* where VM 1's vCPU 0 starts vCPU 1 */
#define FORWARDED_FN 0xC5000021ull	/* PV_TIME_ST: a call kcore forwards */
#define RAM_END	     (KF_RAM_BASE + KF_RAM_SIZE)
#define OA_LIMIT     (1ull << 36) /* first pfn past the 48-bit output address space */
#define ALL	     (~0ull)

enum { V_VER = 1, V_LOADED = 2, V_OFF = 3, V_EMPTY = 4, V_FREE = 5, NVMS = 5 };

struct zoo {
	struct kf f;
	uint64_t host_pfn; /* a free host frame */
	uint64_t vm_pfn;   /* VM 1's image frame */
	uint64_t mpfn;	   /* VM 2's good manifest */
	unsigned cases;
};

static struct zoo the_zoo;

static int setup(void **state)
{
	struct zoo *z = &the_zoo;
	struct kf *f = &z->f;
	struct kf_image img = { IMG_BASE, 1, 0x40 };
	uint64_t r[3];

	memset(z, 0, sizeof(*z));
	kf_setup_vms(f, NVMS);

	/* VM 1: three vCPUs, verified. */
	assert_int_equal(kf_vm_loaded(f, &img, 1), V_VER);
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, V_VER, 1, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, V_VER, 2, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, V_VER,
				 kf_manifest(f, &img, 1, IMG_BASE, false), 0, 0, NULL),
			 KC_OK);
	z->vm_pfn = kf_vm_lookup(V_VER, IMG_BASE) >> 12;
	/*
	 * vCPU 0 guards an MMIO page, starts vCPU 1 (PSCI CPU_ON, kcore's
	 * business), then stores to RAM nobody backs: a fault pends.  vCPU 1
	 * stores to the guarded page (an MMIO exit pends), then makes a call
	 * kcore forwards.  vCPU 2 is never started.
	 */
	const struct hm_guest_op prog0[] = {
		{ HM_GOP_SET, 0, 0, 0, KC_GC_MMIO_GUARD_MAP },
		{ HM_GOP_SET, 1, 0, 0, MMIO_IPA },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
		{ HM_GOP_SET, 0, 0, 0, KC_PSCI_CPU_ON64 },
		{ HM_GOP_SET, 1, 0, 0, 1 },
		{ HM_GOP_SET, 2, 0, 0, V1_ENTRY },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_PSCI_SUCCESS },
		{ HM_GOP_STORE, 2, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	const struct hm_guest_op prog1[] = {
		{ HM_GOP_STORE, 5, 8, MMIO_IPA + 8, 0 },
		{ HM_GOP_SET, 0, 0, 0, FORWARDED_FN },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(
		hm_guest_program(f->m, V_VER, 0, IMG_BASE, prog0, sizeof(prog0) / sizeof(prog0[0])),
		0);
	assert_int_equal(
		hm_guest_program(f->m, V_VER, 1, V1_ENTRY, prog1, sizeof(prog1) / sizeof(prog1[0])),
		0);
	assert_int_equal(kf_run(f, V_VER, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(r[0], KC_EXIT_CPU_ON);
	assert_int_equal(r[1], 1);
	assert_int_equal(kf_run(f, V_VER, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(r[0], KC_EXIT_FAULT | KC_EXIT_F_WRITE);
	assert_int_equal(kf_run(f, V_VER, 1, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_MMIO);
	assert_int_equal(r[1], MMIO_IPA + 8);

	/* VM 2: loaded, manifest ready. */
	img.fill = 0x50;
	assert_int_equal(kf_vm_loaded(f, &img, 1), V_LOADED);
	z->mpfn = kf_manifest(f, &img, 1, IMG_BASE, false);

	/* VM 3: verified, then powered off. */
	img.fill = 0x60;
	assert_int_equal(kf_vm_verified(f, &img, 1), V_OFF);
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, V_OFF, 0, 0, 0, NULL), KC_OK);

	/* VM 4: created, one empty slot. */
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], V_EMPTY);
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, V_EMPTY, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, V_EMPTY, IMG_BASE, 0x2000, 0, r), KC_OK);

	z->host_pfn = kf_frame(f);
	kf_check(f);
	*state = z;
	return 0;
}

static int teardown(void **state)
{
	struct zoo *z = *state;
	print_message("# %u refusals checked\n", z->cases);
	kf_teardown(&z->f);
	return 0;
}

/*
 * One refused call: exact status, no results, nothing changed, invariants
 * hold.  `line` and `what` say which case failed.
 */
static void refuse(struct zoo *z, int line, const char *what, int want, uint64_t x0, uint64_t x1,
		   uint64_t x2, uint64_t x3, uint64_t x4, uint64_t x5, uint64_t x6)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t x[7] = { x0, x1, x2, x3, x4, x5, x6 };

	kf_digest(&z->f, before);
	int rc = kf_call_regs(&z->f, 0, x);
	if (rc != want)
		fail_msg("line %d: %s: got %s (%d), want %s", line, what, kcore_err_name(rc), rc,
			 kcore_err_name(want));
	if (x[1] || x[2] || x[3])
		fail_msg("line %d: %s: %s returned results", line, what, kcore_err_name(rc));
	kf_digest(&z->f, after);
	if (memcmp(before, after, sizeof(before)))
		fail_msg("line %d: %s: %s, but kcore's state changed", line, what,
			 kcore_err_name(rc));
	kf_check(&z->f);
	z->cases++;
}

#define REFUSE(want, fn, ...)                                                                      \
	refuse(z, __LINE__, #fn "(" #__VA_ARGS__ ")", KC_##want, fn, __VA_ARGS__)

/* The VM id argument (x1) of `fn`: every out-of-range, free and wrong-state value. */
static void bad_vmids(struct zoo *z, uint64_t fn, uint64_t a2, uint64_t a3, uint64_t a4,
		      const uint64_t *wrong_state, unsigned nwrong)
{
	static const uint64_t out_of_range[] = { 0,	     NVMS + 1, KC_MAX_VMS, KC_MAX_VMS + 1,
						 1ull << 32, ALL };
	for (unsigned i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++)
		refuse(z, __LINE__, "vmid out of range", KC_EINVAL, fn, out_of_range[i], a2, a3, a4,
		       0, 0);
	refuse(z, __LINE__, "vmid of a free slot", KC_ENOENT, fn, V_FREE, a2, a3, a4, 0, 0);
	for (unsigned i = 0; i < nwrong; i++)
		refuse(z, __LINE__, "VM in the wrong state", KC_ESTATE, fn, wrong_state[i], a2, a3,
		       a4, 0, 0);
}

/* Each register past the call's arguments, one at a time, set (1 and all ones). */
static void mbz(struct zoo *z, uint64_t fn, unsigned nargs, const uint64_t *good)
{
	for (unsigned reg = nargs + 1; reg <= 6; reg++) {
		for (unsigned v = 0; v < 2; v++) {
			uint64_t x[7] = { fn, 0, 0, 0, 0, 0, 0 };
			for (unsigned i = 1; i <= nargs; i++)
				x[i] = good[i - 1];
			x[reg] = v ? ALL : 1;
			refuse(z, __LINE__, "a must-be-zero register is set", KC_EINVAL, x[0], x[1],
			       x[2], x[3], x[4], x[5], x[6]);
		}
	}
}

static void test_function_ids(void **state)
{
	struct zoo *z = *state;
	static const uint64_t known[] = {
		KC_HC_VERSION,	       KC_HC_VM_CREATE,		 KC_HC_VCPU_CREATE,
		KC_HC_VM_SET_IMAGE,    KC_HC_VM_LOAD_IMAGE_PAGE, KC_HC_VM_VERIFY,
		KC_HC_VCPU_RUN,	       KC_HC_VM_MAP_FAULT,	 KC_HC_VM_MAP_IO,
		KC_HC_VM_POWEROFF,     KC_HC_VM_RECLAIM,	 KC_HC_VM_DESTROY,
		KC_HC_VCPU_INJECT_IRQ, KC_HC_IODOM_ALLOC,	 KC_HC_IODOM_FREE,
		KC_HC_IODOM_ATTACH,    KC_HC_IODOM_DETACH,	 KC_HC_IODOM_MAP,
		KC_HC_IODOM_UNMAP,     KC_HC_IODOM_LOOKUP,	 KC_HC_SMMU_EVENT,
	};
	/* x0 with upper bits set is not the call, whatever its low 32 bits say. */
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		refuse(z, __LINE__, "x0 bit 32 set", KC_ENOTSUP, known[i] | (1ull << 32), 0, 0, 0,
		       0, 0, 0);
		refuse(z, __LINE__, "x0 bit 63 set", KC_ENOTSUP, known[i] | (1ull << 63), 0, 0, 0,
		       0, 0, 0);
		refuse(z, __LINE__, "x0 upper half all ones", KC_ENOTSUP,
		       known[i] | 0xFFFFFFFF00000000ull, 0, 0, 0, 0, 0, 0);
		/* The same number as an SMC32 call (bit 30 clear) or a yielding one (bit 31 clear). */
		refuse(z, __LINE__, "SMC32 form", KC_ENOTSUP, known[i] & ~(1ull << 30), 0, 0, 0, 0,
		       0, 0);
		refuse(z, __LINE__, "yielding form", KC_ENOTSUP, known[i] & ~(1ull << 31), 0, 0, 0,
		       0, 0, 0);
	}
	static const uint64_t unknown[] = {
		0,
		KC_FN(0x15), /* the spare numbers between the SMMU and export calls */
		KC_FN(0x17),
		KC_FN(0x21), /* the first number after the last call */
		KC_FN(0x7F),
		KC_GC_SHARE, /* guest calls are not host calls */
		KC_GC_UNSHARE,
		KC_FN(0xFFFF),
		KC_FN_BASE | 0x10000, /* a number beyond the 16-bit field */
		0xC5000000,	      /* another owner's range */
		KC_PSCI_SYSTEM_OFF,
		ALL,
	};
	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		refuse(z, __LINE__, "unknown function", KC_ENOTSUP, unknown[i], 0, 0, 0, 0, 0, 0);
	/* An unknown call with arguments is still unknown, not malformed. */
	refuse(z, __LINE__, "unknown function with args", KC_ENOTSUP, KC_FN(0x15), 1, 2, 3, 4, 5,
	       6);
}

static void test_mbz_registers(void **state)
{
	struct zoo *z = *state;
	/* Arguments that would succeed, so only the extra register can refuse. */
	const uint64_t none[1] = { 0 };
	const uint64_t vcpu[] = { V_EMPTY, 1 };
	const uint64_t set_image[] = { V_EMPTY, NEW_BASE, 0x1000 };
	const uint64_t load[] = { V_EMPTY, 0, z->host_pfn };
	const uint64_t verify[] = { V_LOADED, z->mpfn };
	const uint64_t run[] = { V_VER, 2, KC_RUN_RESUME, 0 };
	const uint64_t map_fault[] = { V_VER, 0, z->host_pfn, 3 };
	const uint64_t map_io[] = { V_EMPTY, IO_IPA2, KF_DEV_BASE, 1 };
	const uint64_t poweroff[] = { V_EMPTY };
	const uint64_t reclaim[] = { V_OFF, 1 };
	const uint64_t destroy[] = { V_OFF };

	mbz(z, KC_HC_VERSION, 0, none);
	mbz(z, KC_HC_VM_CREATE, 0, none);
	mbz(z, KC_HC_VCPU_CREATE, 2, vcpu);
	mbz(z, KC_HC_VM_SET_IMAGE, 3, set_image);
	mbz(z, KC_HC_VM_LOAD_IMAGE_PAGE, 3, load);
	mbz(z, KC_HC_VM_VERIFY, 2, verify);
	mbz(z, KC_HC_VCPU_RUN, 4, run);
	mbz(z, KC_HC_VM_MAP_FAULT, 4, map_fault);
	mbz(z, KC_HC_VM_MAP_IO, 4, map_io);
	mbz(z, KC_HC_VM_POWEROFF, 1, poweroff);
	mbz(z, KC_HC_VM_RECLAIM, 2, reclaim);
	mbz(z, KC_HC_VM_DESTROY, 1, destroy);
}

static void test_vcpu_create(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_VER, V_OFF };

	bad_vmids(z, KC_HC_VCPU_CREATE, 1, 0, 0, wrong, 2);
	REFUSE(EINVAL, KC_HC_VCPU_CREATE, V_EMPTY, KC_MAX_VCPUS, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_CREATE, V_EMPTY, 1ull << 32, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_CREATE, V_EMPTY, ALL, 0, 0, 0, 0);
	REFUSE(EEXIST, KC_HC_VCPU_CREATE, V_EMPTY, 0, 0, 0, 0, 0);
}

static void test_set_image(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_VER, V_OFF };

	bad_vmids(z, KC_HC_VM_SET_IMAGE, NEW_BASE, 0x1000, 0, wrong, 2);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE + 8, 0x1000, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE, 0x1008, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, (1ull << 48) - 0x1000, 0x2000, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, 1ull << 48, 0x1000, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, 0xFFFFFFFFFFFFF000ull, 0x2000, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE, 0xFFFFFFFFFFFFF000ull, 0, 0, 0);
	REFUSE(EEXIST, KC_HC_VM_SET_IMAGE, V_EMPTY, IMG_BASE + 0x1000, 0x1000, 0, 0, 0);
	REFUSE(EEXIST, KC_HC_VM_SET_IMAGE, V_EMPTY, IMG_BASE - 0x1000, 0x2000, 0, 0, 0);
	/* More window than kcore has (remap_pages = 4096): nothing reserved. */
	REFUSE(ENOMEM, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE, 4097ull << 12, 0, 0, 0);
}

static void test_set_image_slots_exhausted(void **state)
{
	struct zoo *z = *state;
	uint64_t r[3];

	/* VM 4 has one slot; fill the other seven, then the ninth is refused. */
	for (unsigned i = 1; i < KC_MANIFEST_MAX_IMAGES; i++)
		assert_int_equal(kf_call(&z->f, KC_HC_VM_SET_IMAGE, V_EMPTY,
					 NEW_BASE + ((uint64_t)i << 21), 0x1000, 0, r),
				 KC_OK);
	REFUSE(ENOMEM, KC_HC_VM_SET_IMAGE, V_EMPTY, NEW_BASE + (9ull << 21), 0x1000, 0, 0, 0);
}

static void test_load_image_page(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_VER, V_OFF };
	uint64_t h = z->host_pfn;

	bad_vmids(z, KC_HC_VM_LOAD_IMAGE_PAGE, 0, h, 0, wrong, 2);
	REFUSE(ESTATE, KC_HC_VM_LOAD_IMAGE_PAGE, V_LOADED, 0, h, 0, 0, 0); /* complete */
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, KC_MANIFEST_MAX_IMAGES, h, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, ALL, h, 0, 0, 0);
	REFUSE(ENOENT, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 1, h, 0, 0, 0); /* not declared */
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, OA_LIMIT, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, ALL, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, RAM_END >> 12, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, KF_DEV_BASE >> 12, 0, 0, 0);
	/* Wrong owner. */
	REFUSE(EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, KF_RAM_BASE >> 12, 0, 0, 0);
	REFUSE(EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, (RAM_END >> 12) - 1, 0, 0, 0);
	REFUSE(EPERM, KC_HC_VM_LOAD_IMAGE_PAGE, V_EMPTY, 0, z->vm_pfn, 0, 0, 0);
}

static void test_verify(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_VER, V_OFF };

	bad_vmids(z, KC_HC_VM_VERIFY, z->mpfn, 0, 0, wrong, 2);
	REFUSE(ESTATE, KC_HC_VM_VERIFY, V_EMPTY, z->mpfn, 0, 0, 0, 0); /* nothing loaded */
	REFUSE(EINVAL, KC_HC_VM_VERIFY, V_LOADED, OA_LIMIT, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_VERIFY, V_LOADED, ALL, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_VERIFY, V_LOADED, KF_DEV_BASE >> 12, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_VERIFY, V_LOADED, RAM_END >> 12, 0, 0, 0, 0);
	REFUSE(EPERM, KC_HC_VM_VERIFY, V_LOADED, KF_RAM_BASE >> 12, 0, 0, 0, 0);
	REFUSE(EPERM, KC_HC_VM_VERIFY, V_LOADED, (RAM_END >> 12) - 1, 0, 0, 0, 0);
	REFUSE(EPERM, KC_HC_VM_VERIFY, V_LOADED, z->vm_pfn, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_VERIFY, V_LOADED, z->host_pfn, 0, 0, 0, 0); /* no manifest there */
}

static void test_vcpu_run(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_LOADED, V_OFF, V_EMPTY };

	bad_vmids(z, KC_HC_VCPU_RUN, 2, KC_RUN_RESUME, 0, wrong, 3);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, KC_MAX_VCPUS, 0, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, ALL, 0, 0, 0, 0);
	REFUSE(ENOENT, KC_HC_VCPU_RUN, V_VER, 3, 0, 0, 0, 0); /* never created */
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 2, 0, 0, 0, 0); /* never started by the guest */
	/* finish codes: beyond the last, and each without the exit it finishes. */
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 0, 3, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 0, ALL, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 2, 3, 0, 0, 0); /* malformed before state */
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 0, KC_RUN_RESUME, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 0, KC_RUN_RESUME, ALL, 0, 0);
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 2, KC_RUN_MMIO_DONE, 0, 0, 0);
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 2, KC_RUN_CALL_DONE, 0, 0, 0);
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 0, KC_RUN_MMIO_DONE, 0, 0, 0); /* RAM: no MMIO */
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 0, KC_RUN_CALL_DONE, 0, 0, 0); /* a fault pends */
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 1, KC_RUN_CALL_DONE, 0, 0, 0); /* MMIO pends */
	/* A store takes no data back. */
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 1, KC_RUN_MMIO_DONE, 5, 0, 0);
}

static void test_vcpu_run_call_pending(void **state)
{
	struct zoo *z = *state;
	uint64_t r[3];

	/* Emulate vCPU 1's store; it goes on to a call kcore forwards to the host. */
	assert_int_equal(kf_run(&z->f, V_VER, 1, KC_RUN_MMIO_DONE, 0, r), KC_OK);
	assert_int_equal(r[0], KC_EXIT_CALL);
	assert_int_equal(r[1], FORWARDED_FN);
	assert_int_equal(r[2], 0); /* PV_TIME_ST takes no argument: none is shown */
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 1, KC_RUN_MMIO_DONE, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 1, KC_RUN_RESUME, 7, 0, 0);
	REFUSE(EINVAL, KC_HC_VCPU_RUN, V_VER, 1, 3, 0, 0, 0);
	REFUSE(ESTATE, KC_HC_VM_MAP_FAULT, V_VER, 1, z->host_pfn, 3, 0,
	       0); /* a call, not a fault */
	assert_int_equal(kf_run(&z->f, V_VER, 1, KC_RUN_CALL_DONE, 0, r), KC_OK);
	REFUSE(ESTATE, KC_HC_VCPU_RUN, V_VER, 1, KC_RUN_CALL_DONE, 0, 0, 0); /* done already */
}

static void test_map_fault(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_LOADED, V_OFF, V_EMPTY };
	uint64_t h = z->host_pfn;

	bad_vmids(z, KC_HC_VM_MAP_FAULT, 0, h, 3, wrong, 3);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, KC_MAX_VCPUS, h, 3, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, ALL, h, 3, 0, 0);
	static const uint64_t levels[] = { 0, 1, 4, 5, ALL };
	for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		refuse(z, __LINE__, "level not 2 or 3", KC_EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, h,
		       levels[i], 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, OA_LIMIT, 3, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, ALL, 3, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, OA_LIMIT - 512, 2, 0, 0); /* past RAM */
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, (KF_HOST_FRAMES >> 12) + 1, 2, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, (KF_HOST_FRAMES >> 12) + 256, 2, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, KF_DEV_BASE >> 12, 3, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_FAULT, V_VER, 0, RAM_END >> 12, 3, 0, 0);
	REFUSE(ENOENT, KC_HC_VM_MAP_FAULT, V_VER, 3, h, 3, 0, 0); /* no such vCPU */
	REFUSE(ESTATE, KC_HC_VM_MAP_FAULT, V_VER, 2, h, 3, 0, 0); /* no fault recorded */
	REFUSE(EPERM, KC_HC_VM_MAP_FAULT, V_VER, 0, KF_RAM_BASE >> 12, 3, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_FAULT, V_VER, 0, (RAM_END >> 12) - 1, 3, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_FAULT, V_VER, 0, z->vm_pfn, 3, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_FAULT, V_VER, 0, KF_RAM_BASE >> 12, 2, 0, 0);
}

static void test_map_io(void **state)
{
	struct zoo *z = *state;
	const uint64_t wrong[] = { V_OFF };

	bad_vmids(z, KC_HC_VM_MAP_IO, IO_IPA2, KF_DEV_BASE, 1, wrong, 1);
	/* VM 1 was verified with a v1 manifest: it has no device window at all. */
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_VER, IO_IPA2, KF_DEV_BASE, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_DEV_BASE, 0, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_DEV_BASE, 513, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_DEV_BASE, ALL, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2 + 4, KF_DEV_BASE, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_DEV_BASE + 4, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, 1ull << 48, KF_DEV_BASE, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, 1ull << 48, 1, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, (1ull << 48) - 0x1000, KF_DEV_BASE, 2, 0, 0);
	/* A device range that runs past 2^48 is malformed too, not "not IO". */
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, (1ull << 48) - 0x1000, 2, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, (1ull << 48) - 0x200000, 513, 0, 0);
	REFUSE(EINVAL, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, (1ull << 48) - 0x1000, 512, 0,
	       0); /* Not device space: RAM of each owner, or a range that runs into RAM. */
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, z->host_pfn << 12, 1, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_RAM_BASE, 1, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, RAM_END - 0x1000, 1, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, z->vm_pfn << 12, 1, 0, 0);
	REFUSE(EPERM, KC_HC_VM_MAP_IO, V_EMPTY, IO_IPA2, KF_RAM_BASE - 0x1000, 2, 0, 0);
	REFUSE(EEXIST, KC_HC_VM_MAP_IO, V_EMPTY, IMG_BASE, KF_DEV_BASE, 1, 0, 0);
	REFUSE(EEXIST, KC_HC_VM_MAP_IO, V_EMPTY, IMG_BASE - 0x1000, KF_DEV_BASE, 2, 0, 0);
}

static void test_poweroff_reclaim_destroy(void **state)
{
	struct zoo *z = *state;
	const uint64_t off[] = { V_OFF };
	const uint64_t on[] = { V_VER, V_LOADED, V_EMPTY };

	bad_vmids(z, KC_HC_VM_POWEROFF, 0, 0, 0, off, 1);
	bad_vmids(z, KC_HC_VM_RECLAIM, 1, 0, 0, on, 3);
	REFUSE(EINVAL, KC_HC_VM_RECLAIM, V_OFF, 0, 0, 0, 0, 0);
	bad_vmids(z, KC_HC_VM_DESTROY, 0, 0, 0, on, 3);
	REFUSE(EBUSY, KC_HC_VM_DESTROY, V_OFF, 0, 0, 0, 0, 0); /* frames not reclaimed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_function_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbz_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_image_slots_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_image_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_run_call_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_reclaim_destroy, setup, teardown),
	};
	return cmocka_run_group_tests_name("negative", tests, NULL, NULL);
}
