/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's locks under real threads: three CPUs each drive a VM through
 * faults, shares and power-off while a fourth CPU keeps touching host
 * memory, including frames the others are handing to their VMs.  Then the
 * three tear their VMs down at the same time.  Afterwards the invariants
 * (1-7) hold, every guest read back what it wrote, and the frame counts add
 * up.  ASan sees every access; a TSan build (-Db_sanitize=thread) runs the
 * same test for data races.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define NVMS		3
#define PAGES_PER_VM	48
#define IMG_BASE	0x80000000ull
#define DATA_IPA	0x90000000ull
/* Each driver CPU takes host frames from its own 4 MiB range. */
#define CPU_FRAMES(cpu) ((KF_HOST_FRAMES + ((uint64_t)(cpu) + 2) * (4ull << 20)) >> 12)

struct race {
	struct kf *f;
	uint64_t vmid[NVMS];
	int errors[4];
	uint64_t faults[NVMS];
};

static int call_on(struct kf *f, unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t r[3])
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, 0, 0 } };
	if (hm_host_call(f->m, cpu, &h))
		return KC_EINVAL;
	if (r)
		memcpy(r, &h.x[1], 3 * sizeof(uint64_t));
	return (int)(int64_t)h.x[0];
}

/* The guest: fault in PAGES_PER_VM pages, read them back, share one, off. */
static void install_program(struct kf *f, uint64_t vmid)
{
	static struct hm_guest_op ops[4 * PAGES_PER_VM + 16];
	size_t n = 0;

	for (unsigned p = 0; p < PAGES_PER_VM; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_SET, 3, 0, 0, vmid << 32 | p };
		ops[n++] = (struct hm_guest_op){ HM_GOP_STORE, 3, 8, DATA_IPA + p * 4096ull, 0 };
	}
	for (unsigned p = 0; p < PAGES_PER_VM; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_LOAD, 4, 8, DATA_IPA + p * 4096ull, 0 };
		ops[n++] = (struct hm_guest_op){ HM_GOP_EXPECT, 4, 0, 0, vmid << 32 | p };
	}
	const struct hm_guest_op tail[] = {
		/* Guest calls take no stray arguments: x3 and x4 must be zero. */
		{ HM_GOP_SET, 3, 0, 0, 0 },
		{ HM_GOP_SET, 4, 0, 0, 0 },
		{ HM_GOP_SET, 0, 0, 0, KC_GC_SHARE },
		{ HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
		{ HM_GOP_SET, 0, 0, 0, KC_GC_UNSHARE },
		{ HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
		{ HM_GOP_SET, 0, 0, 0, KC_PSCI_SYSTEM_OFF },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
	};
	memcpy(&ops[n], tail, sizeof(tail));
	n += sizeof(tail) / sizeof(tail[0]);
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, ops, n), 0);
}

/* CPUs 0..2 run their VM to power-off; CPU 3 plays a busy host. */
static void drive(unsigned cpu, void *arg)
{
	struct race *r = arg;
	struct kf *f = r->f;

	if (cpu == NVMS) {
		/* Touch host frames, including every driver's range, while they give them away. */
		for (unsigned round = 0; round < 4; round++) {
			for (unsigned d = 0; d < NVMS; d++) {
				for (unsigned p = 0; p < PAGES_PER_VM; p++) {
					uint64_t pa = (CPU_FRAMES(d) + p) << 12, v = 0;
					enum hm_fault e = hm_host_load(f->m, cpu, pa, &v, 8, NULL);
					/* Either still the host's, or already the VM's: never anything else. */
					if (e != HM_FAULT_NONE && e != HM_FAULT_REFUSED)
						r->errors[cpu]++;
					if (e == HM_FAULT_NONE && v != 0 && v >> 32 != r->vmid[d])
						r->errors
							[cpu]++; /* another VM's data in a host frame */
				}
			}
		}
		return;
	}
	uint64_t vmid = r->vmid[cpu], next = CPU_FRAMES(cpu), res[3];
	for (unsigned steps = 0; steps < 4 * PAGES_PER_VM; steps++) {
		if (call_on(f, cpu, KC_HC_VCPU_RUN, vmid, 0, KC_RUN_RESUME, 0, res) != KC_OK) {
			r->errors[cpu]++;
			return;
		}
		if (KC_EXIT_KIND(res[0]) == KC_EXIT_POWEROFF)
			return;
		if (KC_EXIT_KIND(res[0]) != KC_EXIT_FAULT ||
		    call_on(f, cpu, KC_HC_VM_MAP_FAULT, vmid, 0, next++, 3, NULL) != KC_OK) {
			r->errors[cpu]++;
			return;
		}
		r->faults[cpu]++;
	}
	r->errors[cpu]++; /* never powered off */
}

static void teardown_vm(unsigned cpu, void *arg)
{
	struct race *r = arg;
	uint64_t res[3] = { 1, 0, 0 };

	if (cpu >= NVMS)
		return;
	while (res[0])
		if (call_on(r->f, cpu, KC_HC_VM_RECLAIM, r->vmid[cpu], 7, 0, 0, res) != KC_OK) {
			r->errors[cpu]++;
			return;
		}
	if (call_on(r->f, cpu, KC_HC_VM_DESTROY, r->vmid[cpu], 0, 0, 0, NULL) != KC_OK)
		r->errors[cpu]++;
}

static void test_vms_race_with_a_busy_host(void **state)
{
	(void)state;
	static struct kf f;
	struct race r = { .f = &f };
	struct hm_config mc = {
		.ram_base = KF_RAM_BASE,
		.ram_size = KF_RAM_SIZE,
		.ncpus = NVMS + 1,
	};

	/* kf_setup's machine has 2 CPUs: build a 4-CPU one the same way. */
	kf_setup(&f);
	hm_machine_destroy(f.m);
	assert_int_equal(hm_machine_create(&mc, &f.m), 0);
	assert_int_equal(hm_kcore_boot(f.m, &f.cfg), KC_OK);

	for (unsigned i = 0; i < NVMS; i++) {
		struct kf_image img = { IMG_BASE, 2, (uint8_t)(0x20 * (i + 1)) };
		r.vmid[i] = kf_vm_verified(&f, &img, 1);
		install_program(&f, r.vmid[i]);
	}
	kf_check(&f);

	assert_int_equal(hm_run_parallel(f.m, drive, &r), 0);
	kf_check(&f);
	for (unsigned c = 0; c <= NVMS; c++)
		assert_int_equal(r.errors[c], 0);
	for (unsigned i = 0; i < NVMS; i++)
		assert_int_equal(r.faults[i], PAGES_PER_VM);

	assert_int_equal(hm_run_parallel(f.m, teardown_vm, &r), 0);
	kf_check(&f);
	for (unsigned c = 0; c < NVMS; c++)
		assert_int_equal(r.errors[c], 0);
	/* Every id is free again: the next three creates get 1, 2, 3. */
	for (unsigned i = 0; i < NVMS; i++) {
		uint64_t res[3];
		assert_int_equal(kf_call(&f, KC_HC_VM_CREATE, 0, 0, 0, 0, res), KC_OK);
		assert_int_equal(res[0], i + 1);
	}
	kf_check(&f);
	kf_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vms_race_with_a_busy_host),
	};
	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
