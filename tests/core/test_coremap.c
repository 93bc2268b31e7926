/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_coremap_build: malformed layouts are refused before anything is
 * built, and a good layout gives exactly the EL2 map promised (text R+X,
 * other RAM R+W never X, devices Device R+W) — checked by the MMU model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore_hosted/machine.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1ull << 30)
#define UART	 0x09000000ull

static struct hm_machine *machine;

static int setup(void **state)
{
	struct hm_config cfg = {
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.devices = { { UART, 0x1000 } },
		.ndevices = 1,
		.ncpus = 1,
	};
	(void)state;
	assert_int_equal(hm_machine_create(&cfg, &machine), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hm_machine_destroy(machine);
	return 0;
}

/* Like the arm64 image's: RAM, the UART, image at +512 KiB, pool in the image. */
static struct kc_boot_layout good_layout(void)
{
	struct kc_boot_layout l = {
		.ram = { { RAM_BASE, RAM_SIZE } },
		.nram = 1,
		.devices = { { UART, 0x1000 } },
		.ndevices = 1,
		.image = { RAM_BASE + 0x80000, 0x80000 },
		.text = { RAM_BASE + 0x80000, 0x10000 },
		.pool = { RAM_BASE + 0xc0000, 16 * 4096 },
	};
	return l;
}

static int build(const struct kc_boot_layout *l, struct pgt *map)
{
	struct pgt_pool pool;
	pgt_pool_init(&pool, l->pool.base, l->pool.size / 4096);
	return kcore_coremap_build(l, &pool, map);
}

static struct hm_walk walk(const struct pgt *map, uint64_t va)
{
	struct hm_ctx ctx = hm_ctx_el2(map->root, PGT_MAIR_EL2);
	struct hm_walk w;
	hm_mmu_walk(machine, &ctx, va, &w);
	return w;
}

static void test_good_layout_maps_as_promised(void **state)
{
	struct kc_boot_layout l = good_layout();
	struct pgt map;
	(void)state;

	assert_int_equal(build(&l, &map), KC_OK);
	struct hm_walk w = walk(&map, l.text.base + 0x1234);
	assert_int_equal(w.fault, HM_FAULT_NONE);
	assert_int_equal(w.pa, l.text.base + 0x1234);
	assert_true(w.r && !w.w && w.x);
	w = walk(&map, l.text.base + l.text.size); /* first byte after text */
	assert_true(w.r && w.w && !w.x);
	w = walk(&map, l.text.base - 1);
	assert_true(w.r && w.w && !w.x);
	w = walk(&map, RAM_BASE + RAM_SIZE - 8);
	assert_int_equal(w.pa, RAM_BASE + RAM_SIZE - 8);
	assert_true(w.r && w.w && !w.x && !w.device);
	w = walk(&map, UART);
	assert_true(w.device && w.r && w.w && !w.x);
	/* Nothing else. */
	assert_int_equal(walk(&map, UART + 0x1000).fault, HM_FAULT_TRANSLATION);
	assert_int_equal(walk(&map, RAM_BASE + RAM_SIZE).fault, HM_FAULT_TRANSLATION);
	assert_int_equal(walk(&map, 0).fault, HM_FAULT_TRANSLATION);
	/* No byte of RAM is both writable and executable. */
	for (uint64_t a = RAM_BASE; a < RAM_BASE + RAM_SIZE; a += 0x1000) {
		w = walk(&map, a);
		assert_int_equal(w.fault, HM_FAULT_NONE);
		assert_false(w.w && w.x);
		if (a >= RAM_BASE + 0x200000 && a < RAM_BASE + RAM_SIZE - 0x200000)
			a += 0x1ff000; /* blocks: one probe per 2 MiB is enough */
	}
}

static void test_malformed_layouts_are_refused(void **state)
{
	struct pgt map;
	(void)state;
	struct kc_boot_layout l;

#define REFUSED(...)                                                                               \
	do {                                                                                       \
		l = good_layout();                                                                 \
		__VA_ARGS__;                                                                       \
		assert_int_equal(build(&l, &map), KC_EINVAL);                                      \
	} while (0)

	REFUSED(l.nram = 0);
	REFUSED(l.nram = KC_MAX_RAM_REGIONS + 1);
	REFUSED(l.ndevices = KC_MAX_DEVICES + 1);
	REFUSED(l.ram[0].size = 0);
	REFUSED(l.ram[0].base += 0x800);
	REFUSED(l.ram[0].size = ~0ull - 0xfff); /* wraps */
	REFUSED((l.nram = 2, l.ram[1] = (struct kc_region){ RAM_BASE + 0x1000, 0x1000 }));
	REFUSED(l.devices[0] = (struct kc_region){ RAM_BASE, 0x1000 }); /* device in RAM */
	REFUSED((l.ndevices = 2, l.devices[1] = l.devices[0]));		/* devices overlap */
	REFUSED(l.text.base = RAM_BASE + 0x70000);			/* text outside image */
	REFUSED(l.image.base = RAM_BASE + RAM_SIZE);			/* image outside RAM */
	REFUSED(l.pool.base = 0x1000);					/* pool outside RAM */
	REFUSED(l.pool.base = l.text.base);				/* pool over text */
	REFUSED(l.text.size = 0x800);
	/* SMMUs (docs/SMMU.md): a kcore device, never the host's, sane streams and IOVA bits. */
#define SMMU_OK                                                                                    \
	(l.ndevices = 2, l.devices[1] = (struct kc_region){ 0x0a000000, 0x20000 }, l.nsmmus = 1,   \
	 l.smmus[0] = (struct kc_smmu_desc){ 1, 64, 48 })
	REFUSED((SMMU_OK, l.smmus[0].device = 2));     /* not a listed device */
	REFUSED((SMMU_OK, l.devices_host_shared = 2)); /* the host's */
	REFUSED((SMMU_OK, l.smmus[0].nstreams = 0));   /* no stream */
	REFUSED((SMMU_OK, l.smmus[0].nstreams = KC_SMMU_MAX_STREAMS + 1));
	REFUSED((SMMU_OK, l.smmus[0].ia_bits = 31));
	REFUSED((SMMU_OK, l.smmus[0].ia_bits = PGT_IA_BITS + 1));
	REFUSED((SMMU_OK, l.nsmmus = KC_MAX_SMMUS + 1));
	REFUSED((SMMU_OK, l.nsmmus = 2, l.smmus[1] = l.smmus[0])); /* one device, two SMMUs */
#undef REFUSED
	/* The controls: the same SMMU well described, at both ends of each range. */
	l = good_layout();
	SMMU_OK;
	assert_int_equal(build(&l, &map), KC_OK);
	l.smmus[0].nstreams = KC_SMMU_MAX_STREAMS;
	l.smmus[0].ia_bits = 32;
	l.devices_host_shared = 1; /* the UART may be shared, the SMMU is not */
	assert_int_equal(build(&l, &map), KC_OK);
#undef SMMU_OK

	/* The table pages must come from inside the layout's pool. */
	l = good_layout();
	struct pgt_pool pool;
	pgt_pool_init(&pool, l.pool.base, l.pool.size / 4096 + 1);
	assert_int_equal(kcore_coremap_build(&l, &pool, &map), KC_EINVAL);
	pgt_pool_init(&pool, l.pool.base - 4096, 2);
	assert_int_equal(kcore_coremap_build(&l, &pool, &map), KC_EINVAL);
	pgt_pool_init(&pool, l.pool.base + 4096, l.pool.size / 4096);
	assert_int_equal(kcore_coremap_build(&l, &pool, &map), KC_EINVAL);
	pgt_pool_init(&pool, l.pool.base + 4096, l.pool.size / 4096 - 1);
	assert_int_equal(kcore_coremap_build(&l, &pool, &map), KC_OK);
}

static void test_small_pool_is_enomem_and_nothing_kept(void **state)
{
	struct kc_boot_layout l = good_layout();
	struct pgt_pool pool;
	struct pgt map;
	(void)state;

	l.pool.size = 3 * 4096; /* root, L1, L2: no room for the L3 tables at text's edges */
	pgt_pool_init(&pool, l.pool.base, 3);
	assert_int_equal(kcore_coremap_build(&l, &pool, &map), KC_ENOMEM);
	assert_int_equal(pgt_pool_available(&pool), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_layout_maps_as_promised),
		cmocka_unit_test(test_malformed_layouts_are_refused),
		cmocka_unit_test(test_small_pool_is_enomem_and_nothing_kept),
	};
	return cmocka_run_group_tests_name("coremap", tests, setup, teardown);
}
