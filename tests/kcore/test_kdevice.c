/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's own devices (kc_boot_layout.devices) and the one exception to
 * their isolation: a device the layout shares with the host
 * (devices_host_shared, the console on arm64, which a Linux host needs).
 * The host may map a shared kcore device, as device memory and never
 * executable; every other kcore device is refused to the host; no VM may
 * claim either (they are not IO).  The same page is booted shared and not
 * shared, so each refusal has its control; plain IO next to them is the
 * host's and a VM's as always.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "fixture.h"

#include <kcore_hosted/boot.h>
#include <kcore_hosted/host.h>

#define CONSOLE KF_DEV_BASE		/* kcore's console: shared or not, per test */
#define SECRET	(KF_DEV_BASE + 0x1000)	/* kcore's, never shared */
#define PLAIN	(KF_DEV_BASE + 0x10000) /* IO: the host's, and a VM's to claim */
#define IO_IPA	0x10000000ull

static struct kf the_kf;

/* The fixture's machine, with CONSOLE and SECRET listed as kcore's devices. */
static void boot(struct kf *f, uint32_t host_shared, int want)
{
	struct hm_config mc = {
		.ram_base = KF_RAM_BASE,
		.ram_size = KF_RAM_SIZE,
		.devices = { { KF_DEV_BASE, KF_DEV_SIZE } },
		.ndevices = 1,
		.ncpus = 2,
		.rng_seed = 42,
	};
	const struct kc_region kdev[] = { { CONSOLE, 0x1000 }, { SECRET, 0x1000 } };

	memset(f, 0, sizeof(*f));
	assert_int_equal(hm_machine_create(&mc, &f->m), 0);
	f->cfg.max_vms = 2;
	f->cfg.vm_pool_pages = 64;
	f->cfg.remap_pages = 64;
	assert_int_equal(hm_kcore_boot_devices(f->m, &f->cfg, kdev, 2, host_shared), want);
	f->next_frame = KF_HOST_FRAMES >> 12;
	if (want == KC_OK)
		kf_check(f);
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

static void host_refused(struct kf *f, uint64_t pa)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint32_t v = 0x6b;
	struct pgt_leaf leaf;

	kf_digest(f, before);
	if (hm_host_load(f->m, 0, pa, &v, sizeof(v), NULL) != HM_FAULT_REFUSED)
		fail_msg("the host read kcore device page 0x%llx", (unsigned long long)pa);
	if (hm_host_store(f->m, 1, pa, &v, sizeof(v), NULL) != HM_FAULT_REFUSED)
		fail_msg("the host wrote kcore device page 0x%llx", (unsigned long long)pa);
	assert_false(pgt_lookup(&kc.host_s2, pa, &leaf));
	kf_digest(f, after);
	kf_assert_same("refused access", before, after);
	kf_check(f);
}

/* The host maps `pa` as a device: read-write, never executable. */
static void host_maps_device(struct kf *f, uint64_t pa)
{
	uint32_t v = 0x6b;
	struct pgt_leaf leaf;

	assert_int_equal(hm_host_store(f->m, 1, pa, &v, sizeof(v), NULL), HM_FAULT_NONE);
	assert_int_equal(hm_host_load(f->m, 0, pa, &v, sizeof(v), NULL), HM_FAULT_NONE);
	assert_true(pgt_lookup(&kc.host_s2, pa, &leaf));
	assert_int_equal(leaf.level, PGT_LEAF_LEVEL);
	assert_true(leaf.pa == pa);
	assert_true((leaf.prot & (PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE)) ==
		    (PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE));
	assert_false(leaf.prot & PGT_PROT_X);
	kf_check(f);
}

static uint64_t vm_created(struct kf *f)
{
	uint64_t r[3];

	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	return r[0];
}

/* Not shared: the console is kcore's alone, like any kcore device. */
static void test_unshared_console_refused(void **state)
{
	struct kf *f = *state;

	boot(f, 0, KC_OK);
	host_refused(f, CONSOLE);
	host_refused(f, CONSOLE + 0xffc);
	host_refused(f, SECRET);
	host_maps_device(f, PLAIN); /* control: IO is the host's */
}

/* Shared: the host maps the console (as Linux needs), never SECRET. */
static void test_shared_console_mapped(void **state)
{
	struct kf *f = *state;

	boot(f, 1u << 0, KC_OK);
	host_maps_device(f, CONSOLE);
	host_refused(f, SECRET);
	host_maps_device(f, PLAIN);
}

/* Shared with the host is not IO: no VM may claim a kcore device, shared or not. */
static void test_vm_never_claims_a_kcore_device(void **state)
{
	struct kf *f = *state;

	boot(f, 1u << 0, KC_OK);
	uint64_t vm = vm_created(f);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm, IO_IPA, CONSOLE, 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm, IO_IPA, SECRET, 1);
	kf_call_refused(f, KC_EPERM, KC_HC_VM_MAP_IO, vm, IO_IPA, SECRET, 2);
	/* Control: plain IO goes to the VM, and then out of the host's reach. */
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, vm, IO_IPA, PLAIN, 1, NULL), KC_OK);
	kf_check(f);
	host_maps_device(f, CONSOLE); /* the host keeps the console all along */
}

/* Only listed devices can be shared: a bit past ndevices is a malformed layout. */
static void test_share_bit_past_the_devices(void **state)
{
	struct kf *f = *state;

	boot(f, 1u << 2, KC_EINVAL);
}

/* The checker: a host mapping of an unshared kcore device breaks invariant 3. */
static void test_checker_sees_a_mapped_kcore_device(void **state)
{
	struct kf *f = *state;
	char why[200];

	boot(f, 1u << 0, KC_OK);
	host_maps_device(f, CONSOLE); /* control: the shared one is allowed */
	assert_int_equal(pgt_map(&kc.host_s2, SECRET, SECRET, PGT_LEAF_LEVEL,
				 PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE),
			 KC_OK);
	assert_int_equal(hm_check(f->m, why, sizeof(why)), 3);
	assert_non_null(strstr(why, "neither RAM nor IO"));
	assert_int_equal(pgt_unmap_page(&kc.host_s2, SECRET), KC_OK);
	kf_check(f);
}

static int setup(void **state)
{
	*state = &the_kf;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unshared_console_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_console_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_never_claims_a_kcore_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_share_bit_past_the_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checker_sees_a_mapped_kcore_device, setup,
						teardown),
	};
	return cmocka_run_group_tests_name("kdevice", tests, NULL, NULL);
}
