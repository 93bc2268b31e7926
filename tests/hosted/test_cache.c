/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cache.c — the model's write-back data cache (kcore_hosted/cache.h):
 * a cacheable store leaves a dirty line over memory that still holds the
 * old bytes, a clean writes it back, a non-cacheable reader (a guest with
 * its MMU off) sees memory, and a non-cacheable store under a dirty line is
 * lost when the line is written back.  Guests run through plat_guest_run
 * over a stage 2 built with core's page-table module, as in test_guest.c.
 */
#include <kcore/abi.h>
#include <kcore/pgt.h>
#include <kcore/platform.h>
#include <kcore_hosted/cache.h>
#include <kcore_hosted/guest.h>
#include <kcore_hosted/machine.h>

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (64ull << 20)
#define POOL_BASE  (RAM_BASE + (48ull << 20))
#define VMID	   3u

#define FRAME(n)   (RAM_BASE + 0x1000ull * (n))
#define CODE_IPA   0x80000000ull /* frame 1 */
#define DATA_IPA   0x80001000ull /* frame 2 */
#define DATA_PA	   FRAME(2)

/* The distance between two lines of one set. */
#define SET_STRIDE ((uint64_t)HM_CACHE_SETS * HM_CACHE_LINE)

struct t {
	struct hm_machine *m;
	struct pgt_pool pool;
	struct pgt s2;
	struct kc_guest g;
	struct kc_vcpu_regs regs;
	struct kc_trap trap;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct hm_config cfg = {
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.ncpus = 1,
	};

	if (!t || hm_machine_create(&cfg, &t->m) != 0)
		return -1;
	pgt_pool_init(&t->pool, POOL_BASE, 16);
	if (pgt_init(&t->s2, PGT_S2, VMID, &t->pool) != KC_OK ||
	    pgt_map(&t->s2, CODE_IPA, FRAME(1), 3, PGT_PROT_R | PGT_PROT_X) != KC_OK ||
	    pgt_map(&t->s2, DATA_IPA, DATA_PA, 3, PGT_PROT_R | PGT_PROT_W) != KC_OK)
		return -1;
	t->g = (struct kc_guest){ .vmid = VMID, .vcpu = 0, .s2_root = t->s2.root };
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	hm_machine_destroy(t->m);
	free(t);
	return 0;
}

static void run_fn(unsigned cpu, void *arg)
{
	struct t *t = arg;

	(void)cpu;
	plat_guest_run(&t->g, &t->regs, &t->trap);
}

/* Run `ops` from CODE_IPA until the guest idles; returns its x0. */
static uint64_t guest(struct t *t, const struct hm_guest_op *ops, size_t n)
{
	assert_int_equal(hm_guest_program(t->m, VMID, 0, CODE_IPA, ops, n), 0);
	t->regs.pc = CODE_IPA;
	assert_int_equal(hm_cpu_run(t->m, 0, run_fn, t), 0);
	assert_int_equal(t->trap.esr >> 26, 0x01); /* WFI: the program ran to its end */
	return t->regs.x[0];
}

static uint64_t guest_load(struct t *t, uint64_t ipa)
{
	const struct hm_guest_op ops[] = {
		{ .op = HM_GOP_LOAD, .reg = 0, .size = 8, .addr = ipa },
		{ .op = HM_GOP_WFI },
	};
	return guest(t, ops, 2);
}

static void guest_store(struct t *t, uint64_t ipa, uint64_t v)
{
	const struct hm_guest_op ops[] = {
		{ .op = HM_GOP_SET, .reg = 1, .value = v },
		{ .op = HM_GOP_STORE, .reg = 1, .size = 8, .addr = ipa },
		{ .op = HM_GOP_WFI },
	};
	guest(t, ops, 3);
}

static void put(struct t *t, uint64_t pa, uint64_t v, bool cacheable)
{
	assert_true(hm_mem_write(t->m, pa, &v, 8, cacheable));
}

static uint64_t get(struct t *t, uint64_t pa, bool cacheable)
{
	uint64_t v = 0;

	assert_true(hm_mem_read(t->m, pa, &v, 8, cacheable));
	return v;
}

/* A cacheable store is a dirty line: cacheable readers see it, memory does not. */
static void test_store_is_a_dirty_line(void **state)
{
	struct t *t = *state;

	put(t, DATA_PA + 8, 0x1111, true);
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA, HM_PAGE_SIZE), 1);
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA + 64, 64), 0);
	assert_int_equal(get(t, DATA_PA + 8, true), 0x1111);
	assert_int_equal(*(uint64_t *)hm_phys(t->m, DATA_PA + 8, 8), 0x1111); /* the cached view */
	assert_int_equal(get(t, DATA_PA + 8, false), 0);		      /* memory */
	/* A second store to the line keeps memory as it was before the first. */
	put(t, DATA_PA + 16, 0x2222, true);
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA, HM_PAGE_SIZE), 1);
	assert_int_equal(get(t, DATA_PA + 16, false), 0);
	/* A store across a line boundary dirties both lines. */
	uint8_t b[16];
	memset(b, 0x5a, sizeof(b));
	assert_true(hm_mem_write(t->m, DATA_PA + 120, b, sizeof(b), true));
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA, HM_PAGE_SIZE), 3);
}

/* A clean writes the line back: memory holds what the cache held. */
static void test_clean_writes_back(void **state)
{
	struct t *t = *state;
	struct hm_stats st;

	put(t, DATA_PA, 0xa1, true);
	put(t, DATA_PA + 0x800, 0xa2, true);
	hm_cache_clean(t->m, DATA_PA, 64);
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA, HM_PAGE_SIZE), 1);
	assert_int_equal(get(t, DATA_PA, false), 0xa1);
	assert_int_equal(get(t, DATA_PA + 0x800, false), 0);
	/* kcore's clean takes the address plat_phys_to_virt gave. */
	plat_dcache_clean_inval_poc(plat_phys_to_virt(DATA_PA), HM_PAGE_SIZE);
	assert_int_equal(hm_cache_dirty(t->m, DATA_PA, HM_PAGE_SIZE), 0);
	assert_int_equal(get(t, DATA_PA + 0x800, false), 0xa2);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_writebacks, 2);
	assert_int_equal(st.dcache_clean_inval, 1);
	/* Cleaning clean lines changes nothing. */
	plat_dcache_clean_inval_poc(plat_phys_to_virt(DATA_PA), HM_PAGE_SIZE);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_writebacks, 2);
}

/*
 * The attack's shape: write Y, clean, write X.  A cacheable reader (kcore
 * hashing) sees X; a guest with its MMU off loads Y — until a clean.
 */
static void test_guest_mmu_off_reads_memory(void **state)
{
	struct t *t = *state;

	put(t, DATA_PA, 0x5959, true); /* Y */
	hm_cache_clean(t->m, DATA_PA, 8);
	put(t, DATA_PA, 0x5858, true); /* X, dirty */
	assert_int_equal(get(t, DATA_PA, true), 0x5858);
	assert_int_equal(guest_load(t, DATA_IPA), 0x5959);
	/* Control: once the line is cleaned the guest sees what the cache held. */
	hm_cache_clean(t->m, DATA_PA, 8);
	assert_int_equal(guest_load(t, DATA_IPA), 0x5858);
}

/*
 * A guest store under a dirty line goes to memory; the line keeps the old
 * cached bytes, and writing it back loses the guest's store.
 */
static void test_guest_store_lost_to_writeback(void **state)
{
	struct t *t = *state;

	put(t, DATA_PA, 0x4848, true); /* the host's dirty line */
	guest_store(t, DATA_IPA, 0x6767);
	assert_int_equal(guest_load(t, DATA_IPA), 0x6767); /* memory has it ... */
	assert_int_equal(get(t, DATA_PA, true), 0x4848);   /* ... the cache has not */
	hm_cache_clean(t->m, DATA_PA, HM_PAGE_SIZE);
	assert_int_equal(guest_load(t, DATA_IPA), 0x4848); /* lost */
	/* Control: with no dirty line the store reaches both views and stays. */
	guest_store(t, DATA_IPA, 0x6868);
	assert_int_equal(get(t, DATA_PA, true), 0x6868);
	hm_cache_clean(t->m, DATA_PA, HM_PAGE_SIZE);
	assert_int_equal(guest_load(t, DATA_IPA), 0x6868);
}

/* A full set evicts (and writes back) round robin; the table stays bounded. */
static void test_full_set_evicts(void **state)
{
	struct t *t = *state;
	struct hm_stats st;
	uint64_t base = FRAME(64);

	for (unsigned i = 0; i < HM_CACHE_WAYS; i++)
		put(t, base + i * SET_STRIDE, 0x100 + i, true);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_evictions, 0);
	assert_int_equal(get(t, base, false), 0);
	/* One more line of the same set: the first goes back to memory. */
	put(t, base + HM_CACHE_WAYS * SET_STRIDE, 0x1ff, true);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_evictions, 1);
	assert_int_equal(get(t, base, false), 0x100);
	assert_int_equal(get(t, base + SET_STRIDE, false), 0);
	assert_int_equal(hm_cache_dirty(t->m, base, (HM_CACHE_WAYS + 1) * SET_STRIDE),
			 HM_CACHE_WAYS);
	/* Lines of another set are not touched. */
	put(t, base + HM_CACHE_LINE, 0x77, true);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_evictions, 1);
}

/* A clean larger than the cache (a 2 MiB block) visits the table once and misses nothing. */
static void test_large_clean(void **state)
{
	struct t *t = *state;
	uint64_t base = RAM_BASE + (4ull << 20);

	for (uint64_t off = 0; off < (2ull << 20); off += 0x1040)
		put(t, base + off, off | 1, true);
	put(t, base - 8, 0xee, true);		 /* just below: stays dirty */
	put(t, base + (2ull << 20), 0xef, true); /* just above: stays dirty */
	uint64_t dirty = hm_cache_dirty(t->m, base, 2ull << 20);
	assert_true(dirty > 0);
	plat_dcache_clean_inval_poc(plat_phys_to_virt(base), 2ull << 20);
	assert_int_equal(hm_cache_dirty(t->m, base, 2ull << 20), 0);
	assert_int_equal(hm_cache_dirty(t->m, base - 64, 64), 1);
	assert_int_equal(hm_cache_dirty(t->m, base + (2ull << 20), 64), 1);
	for (uint64_t off = 0; off < (2ull << 20); off += 0x1040 * 37)
		assert_int_equal(get(t, base + off, false), off | 1);
}

/* No dirty line: nothing is consulted, nothing written back, no table allocated. */
static void test_no_dirty_line_is_free(void **state)
{
	struct t *t = *state;
	struct hm_stats st;

	*(uint64_t *)hm_phys(t->m, DATA_PA, 8) = 0x33; /* a raw write: both views */
	assert_int_equal(guest_load(t, DATA_IPA), 0x33);
	plat_dcache_clean_inval_poc(plat_phys_to_virt(DATA_PA), HM_PAGE_SIZE);
	guest_store(t, DATA_IPA, 0x34);
	assert_int_equal(get(t, DATA_PA, true), 0x34);
	assert_int_equal(hm_cache_dirty(t->m, RAM_BASE, RAM_SIZE), 0);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.cache_writebacks, 0);
	assert_false(hm_mem_read(t->m, RAM_BASE + RAM_SIZE, &st, 8, false)); /* not RAM */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_store_is_a_dirty_line),
		T(test_clean_writes_back),
		T(test_guest_mmu_off_reads_memory),
		T(test_guest_store_lost_to_writeback),
		T(test_full_set_evicts),
		T(test_large_clean),
		T(test_no_dirty_line_is_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
