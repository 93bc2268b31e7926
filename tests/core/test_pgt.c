/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/pgt.c against the hosted MMU model.  The model walks descriptors with
 * its own, independent reading of the architecture, so every mapping core
 * writes is checked by a second implementation: output address, level,
 * permissions and memory type.  Also: all-or-nothing failures (EEXIST,
 * ENOMEM, EINVAL change no byte of the tables or the pool), and the TLB
 * invalidation that must follow every unmap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kcore/abi.h>
#include <kcore/pgt.h>
#include <kcore_hosted/machine.h>

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (1ull << 30)
#define POOL_BASE  (RAM_BASE + 0x100000)
#define POOL_PAGES 32u
#define KIB	   1024ull
#define MIB	   (1024 * KIB)
#define GIB	   (1024 * MIB)

struct fixture {
	struct hm_machine *m;
	struct pgt_pool pool;
	struct pgt s2, s1;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hm_config cfg = {
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.devices = { { 0x09000000, 0x1000 } },
		.ndevices = 1,
		.ncpus = 2,
		.rng_seed = 1,
	};
	assert_non_null(f);
	assert_int_equal(hm_machine_create(&cfg, &f->m), 0);
	pgt_pool_init(&f->pool, POOL_BASE, POOL_PAGES);
	assert_int_equal(pgt_init(&f->s2, PGT_S2, 7, &f->pool), KC_OK);
	assert_int_equal(pgt_init(&f->s1, PGT_S1_EL2, 0, &f->pool), KC_OK);
	hm_tlbi_log_clear(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	hm_machine_destroy(f->m);
	free(f);
	return 0;
}

/* Everything a failed call must leave alone: the pool bookkeeping and bytes. */
struct snapshot {
	struct pgt_pool pool;
	unsigned char *bytes;
};

static void snap(struct fixture *f, struct snapshot *s)
{
	s->pool = f->pool;
	s->bytes = malloc(POOL_PAGES * PGT_PAGE_SIZE);
	assert_non_null(s->bytes);
	memcpy(s->bytes, hm_phys(f->m, POOL_BASE, POOL_PAGES * PGT_PAGE_SIZE),
	       POOL_PAGES * PGT_PAGE_SIZE);
}

static void assert_unchanged(struct fixture *f, struct snapshot *s)
{
	assert_memory_equal(&s->pool, &f->pool, sizeof(f->pool));
	assert_memory_equal(s->bytes, hm_phys(f->m, POOL_BASE, POOL_PAGES * PGT_PAGE_SIZE),
			    POOL_PAGES * PGT_PAGE_SIZE);
	free(s->bytes);
}

static struct hm_walk walk(struct fixture *f, const struct pgt *t, uint64_t addr)
{
	struct hm_ctx ctx =
		t->fmt == PGT_S2 ? hm_ctx_s2(t->vmid, t->root) : hm_ctx_el2(t->root, PGT_MAIR_EL2);
	struct hm_walk w;
	hm_mmu_walk(f->m, &ctx, addr, &w);
	return w;
}

static void test_s2_page_block_and_gib(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;

	assert_int_equal(pgt_map(&f->s2, 0x80001000, 0x40200000, 3, rw), KC_OK);
	assert_int_equal(pgt_map(&f->s2, 0x80400000, 0x40400000, 2, rw | PGT_PROT_X), KC_OK);
	assert_int_equal(pgt_map(&f->s2, 1ull << 40, 0x40000000, 1, PGT_PROT_R), KC_OK);

	struct hm_walk w = walk(f, &f->s2, 0x80001234);
	assert_int_equal(w.fault, HM_FAULT_NONE);
	assert_int_equal(w.leaf_level, 3);
	assert_int_equal(w.pa, 0x40200234);
	assert_true(w.r && w.w && !w.x && !w.device);

	w = walk(f, &f->s2, 0x80400000 + 0x1ff123);
	assert_int_equal(w.fault, HM_FAULT_NONE);
	assert_int_equal(w.leaf_level, 2);
	assert_int_equal(w.pa, 0x40400000 + 0x1ff123);
	assert_true(w.r && w.w && w.x);

	w = walk(f, &f->s2, (1ull << 40) + 0x3fffffff);
	assert_int_equal(w.leaf_level, 1);
	assert_int_equal(w.pa, 0x7fffffff);
	assert_true(w.r && !w.w && !w.x);

	/* Next to each mapping: nothing. */
	assert_int_equal(walk(f, &f->s2, 0x80000000).fault, HM_FAULT_TRANSLATION);
	assert_int_equal(walk(f, &f->s2, 0x80002000).fault, HM_FAULT_TRANSLATION);
	assert_int_equal(walk(f, &f->s2, 0x80600000).fault, HM_FAULT_TRANSLATION);

	/* Core's own software walk agrees with the model. */
	struct pgt_leaf leaf;
	assert_true(pgt_lookup(&f->s2, 0x80400010, &leaf));
	assert_int_equal(leaf.pa, 0x40400010);
	assert_int_equal(leaf.level, 2);
	assert_int_equal(leaf.prot, rw | PGT_PROT_X);
	assert_false(pgt_lookup(&f->s2, 0x80002000, &leaf));
}

static void test_memory_types_and_s1_permissions(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pgt_map(&f->s2, 0x09000000, 0x09000000, 3,
				 PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE),
			 KC_OK);
	struct hm_walk w = walk(f, &f->s2, 0x09000000);
	assert_true(w.device && w.r && w.w && !w.x);

	assert_int_equal(pgt_map(&f->s1, 0x40080000, 0x40080000, 3, PGT_PROT_R | PGT_PROT_X),
			 KC_OK);
	assert_int_equal(pgt_map(&f->s1, 0x40081000, 0x40081000, 3, PGT_PROT_R), KC_OK);
	assert_int_equal(pgt_map(&f->s1, 0x40082000, 0x40082000, 3, PGT_PROT_R | PGT_PROT_W),
			 KC_OK);
	assert_int_equal(pgt_map(&f->s1, 0x09000000, 0x09000000, 3,
				 PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE),
			 KC_OK);
	w = walk(f, &f->s1, 0x40080000);
	assert_true(w.r && !w.w && w.x && !w.device);
	assert_int_equal(w.attr, 0xff);
	w = walk(f, &f->s1, 0x40081000);
	assert_true(w.r && !w.w && !w.x);
	w = walk(f, &f->s1, 0x40082000);
	assert_true(w.r && w.w && !w.x);
	w = walk(f, &f->s1, 0x09000000);
	assert_true(w.device && w.r && w.w && !w.x);
	assert_int_equal(w.attr, 0x04);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct snapshot s;

	snap(f, &s);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000000, 0, rw), KC_EINVAL);   /* level 0 */
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000000, 4, rw), KC_EINVAL);   /* level 4 */
	assert_int_equal(pgt_map(&f->s2, 0x1800, 0x40000000, 3, rw), KC_EINVAL);   /* va */
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000800, 3, rw), KC_EINVAL);   /* pa */
	assert_int_equal(pgt_map(&f->s2, 0x201000, 0x40000000, 2, rw), KC_EINVAL); /* 2M va */
	assert_int_equal(pgt_map(&f->s2, 0x200000, 0x40001000, 2, rw), KC_EINVAL); /* 2M pa */
	assert_int_equal(pgt_map(&f->s2, 1ull << 48, 0x40000000, 3, rw), KC_EINVAL);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 1ull << 48, 3, rw), KC_EINVAL);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000000, 3, 0), KC_EINVAL);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000000, 3, PGT_PROT_W), KC_EINVAL);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40000000, 3, 1u << 7), KC_EINVAL);
	assert_int_equal(
		pgt_map(&f->s2, 0x1000, 0x9000000, 3, PGT_PROT_R | PGT_PROT_X | PGT_PROT_DEVICE),
		KC_EINVAL);
	/* W^X at EL2. */
	assert_int_equal(pgt_map(&f->s1, 0x1000, 0x40000000, 3, rw | PGT_PROT_X), KC_EINVAL);
	assert_int_equal(pgt_map_range(&f->s2, 0x1000, 0x40000000, 0, rw), KC_EINVAL);
	assert_int_equal(pgt_map_range(&f->s2, 0x1000, 0x40000000, 0x800, rw), KC_EINVAL);
	assert_int_equal(pgt_map_range(&f->s2, ~0ull - 0xfff, 0x40000000, 0x2000, rw), KC_EINVAL);
	assert_unchanged(f, &s);
}

static void test_overlap_is_refused_unchanged(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct snapshot s;

	assert_int_equal(pgt_map(&f->s2, 0x80201000, 0x40201000, 3, rw), KC_OK);
	assert_int_equal(pgt_map(&f->s2, 0x80400000, 0x40400000, 2, rw), KC_OK);
	snap(f, &s);
	/* same page again, even to the same frame */
	assert_int_equal(pgt_map(&f->s2, 0x80201000, 0x40201000, 3, rw), KC_EEXIST);
	/* a block over a table holding a page */
	assert_int_equal(pgt_map(&f->s2, 0x80200000, 0x40200000, 2, rw), KC_EEXIST);
	/* a page inside a block */
	assert_int_equal(pgt_map(&f->s2, 0x80401000, 0x40401000, 3, rw), KC_EEXIST);
	/* a range that runs into the page */
	assert_int_equal(pgt_map_range(&f->s2, 0x80100000, 0x40100000, 0x102000, rw), KC_EEXIST);
	assert_unchanged(f, &s);
}

static void test_pool_exhaustion_changes_nothing(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct pgt_pool small;
	struct pgt t;

	/* Root + 3 tables for a first 4 KiB page: give it root + 2. */
	pgt_pool_init(&small, POOL_BASE + 16 * PGT_PAGE_SIZE, 3);
	assert_int_equal(pgt_init(&t, PGT_S2, 9, &small), KC_OK);
	struct snapshot s;
	snap(f, &s);
	struct pgt_pool before = small;
	assert_int_equal(pgt_map(&t, 0x5000, 0x40005000, 3, rw), KC_ENOMEM);
	assert_memory_equal(&before, &small, sizeof(small));
	assert_unchanged(f, &s);
	/* A 2 MiB block needs one table less: it fits. */
	assert_int_equal(pgt_map(&t, 0x200000, 0x40200000, 2, rw), KC_OK);
	assert_int_equal(pgt_pool_available(&small), 0);
	assert_int_equal(walk(f, &t, 0x200000).pa, 0x40200000);
	/* Full pool: a mapping that needs no table still works. */
	assert_int_equal(pgt_map(&t, 0x400000, 0x40400000, 2, rw), KC_OK);

	/* map_range is all or nothing too: 2 pages in two 2 MiB regions. */
	struct pgt_pool p3;
	struct pgt u;
	pgt_pool_init(&p3, POOL_BASE + 20 * PGT_PAGE_SIZE, 5);
	assert_int_equal(pgt_init(&u, PGT_S2, 10, &p3), KC_OK);
	snap(f, &s);
	before = p3;
	/* [2M - 4K, 2M + 4K): L1, L2, then two L3 tables = 4 > 4 available? no: 4 == 4 */
	assert_int_equal(pgt_map_range(&u, 0x1ff000, 0x401ff000, 0x2000, rw), KC_OK);
	assert_int_equal(pgt_pool_available(&p3), 0);
	assert_int_equal(walk(f, &u, 0x1ff000).pa, 0x401ff000);
	assert_int_equal(walk(f, &u, 0x200000).pa, 0x40200000);
	free(s.bytes);

	/* One table short: nothing written. */
	struct pgt_pool p4;
	struct pgt v;
	pgt_pool_init(&p4, POOL_BASE + 26 * PGT_PAGE_SIZE, 4);
	assert_int_equal(pgt_init(&v, PGT_S2, 11, &p4), KC_OK);
	snap(f, &s);
	before = p4;
	assert_int_equal(pgt_map_range(&v, 0x1ff000, 0x401ff000, 0x2000, rw), KC_ENOMEM);
	assert_memory_equal(&before, &p4, sizeof(p4));
	assert_unchanged(f, &s);
}

/* pgt_map_range_check answers what pgt_map_range will, and changes nothing. */
static void test_map_range_check_predicts(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct pgt_pool p4;
	struct pgt v;
	struct snapshot s;
	static const struct {
		uint64_t va, size;
	} ranges[] = {
		{ 0x1ff000, 0x2000 },	/* needs 4 tables: ENOMEM in a 4-page pool */
		{ 0x200000, 0x200000 }, /* a 2 MiB block: 2 tables */
		{ 0x0, 0x0 },		/* EINVAL */
		{ 0x201000, 0x1000 },	/* inside the block: EEXIST */
		{ 0x400000, 0x1000 },	/* one more table: fits */
		{ 0x401000, 0x3000 },	/* no more tables */
		{ 0x402000, 0x1000 },	/* EEXIST */
		{ 0x80000000, 0x1000 }, /* 2 tables, 0 left: ENOMEM */
	};

	pgt_pool_init(&p4, POOL_BASE + 26 * PGT_PAGE_SIZE, 4);
	assert_int_equal(pgt_init(&v, PGT_S2, 11, &p4), KC_OK);
	for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct pgt_pool before = p4;
		snap(f, &s);
		int want = pgt_map_range_check(&v, ranges[i].va, 0x40000000 + ranges[i].va,
					       ranges[i].size, rw);
		assert_memory_equal(&before, &p4, sizeof(p4));
		assert_unchanged(f, &s);
		int got = pgt_map_range(&v, ranges[i].va, 0x40000000 + ranges[i].va, ranges[i].size,
					rw);
		if (got != want)
			fail_msg("range %u: check said %d, map_range did %d", i, want, got);
	}
}

static void test_map_range_uses_largest_leaves(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;

	/* 4 KiB pages up to 2 MiB, 2 MiB blocks up to 1 GiB, one 1 GiB block, then back. */
	uint64_t va = GIB - 2 * MIB - 8 * KIB;
	uint64_t size = 2 * GIB + 4 * MIB + 16 * KIB;
	assert_int_equal(pgt_map_range(&f->s2, va, va, size, rw), KC_OK);
	assert_int_equal(walk(f, &f->s2, va).leaf_level, 3);
	assert_int_equal(walk(f, &f->s2, GIB - 2 * MIB).leaf_level, 2);
	assert_int_equal(walk(f, &f->s2, GIB).leaf_level, 1);
	assert_int_equal(walk(f, &f->s2, 2 * GIB).leaf_level, 1);
	assert_int_equal(walk(f, &f->s2, 3 * GIB).leaf_level, 2);
	assert_int_equal(walk(f, &f->s2, va + size - PGT_PAGE_SIZE).leaf_level, 3);
	assert_int_equal(walk(f, &f->s2, va + size).fault, HM_FAULT_TRANSLATION);
	assert_int_equal(walk(f, &f->s2, va - PGT_PAGE_SIZE).fault, HM_FAULT_TRANSLATION);
	for (uint64_t a = va; a < va + size; a += 123 * MIB + 4 * KIB) {
		struct hm_walk w = walk(f, &f->s2, a);
		assert_int_equal(w.fault, HM_FAULT_NONE);
		assert_int_equal(w.pa, a);
	}
	/* root, one L1, L2 for GiB 0 and GiB 3, an L3 at each end */
	assert_int_equal(pgt_count_tables(&f->s2), 1 + 1 + 2 + 2);
}

static void test_unmap_invalidates_the_tlb(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct hm_ctx ctx = hm_ctx_s2(f->s2.vmid, f->s2.root);
	struct hm_walk w;
	struct hm_tlbi_rec rec[4];

	assert_int_equal(pgt_map(&f->s2, 0x80000000, 0x40000000, 2, rw), KC_OK);
	/* Fill CPU 1's TLB with the block. */
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x80012345, HM_READ, &w), HM_FAULT_NONE);
	assert_int_equal(hm_tlb_count(f->m, 1), 1);

	unsigned level = 0;
	assert_int_equal(pgt_unmap(&f->s2, 0x80012345, &level), KC_OK);
	assert_int_equal(level, 2);
	/* Exactly one TLBI, for this VMID and the block's address, and it hit. */
	assert_int_equal(hm_tlbi_log_read(f->m, rec, 4), 1);
	assert_int_equal(rec[0].kind, HM_TLBI_S2_IPA);
	assert_int_equal(rec[0].vmid, 7);
	assert_int_equal(rec[0].addr, 0x80000000);
	assert_int_equal(rec[0].dropped, 1);
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x80012345, HM_READ, &w), HM_FAULT_TRANSLATION);
	assert_int_equal(pgt_unmap(&f->s2, 0x80012345, NULL), KC_ENOENT);

	/* Same for the EL2 map. */
	struct hm_ctx c1 = hm_ctx_el2(f->s1.root, PGT_MAIR_EL2);
	hm_tlbi_log_clear(f->m);
	assert_int_equal(pgt_map(&f->s1, 0x40003000, 0x40003000, 3, PGT_PROT_R), KC_OK);
	assert_int_equal(hm_access(f->m, 0, &c1, 0x40003008, HM_READ, &w), HM_FAULT_NONE);
	assert_int_equal(pgt_unmap(&f->s1, 0x40003008, NULL), KC_OK);
	assert_int_equal(hm_tlbi_log_read(f->m, rec, 4), 1);
	assert_int_equal(rec[0].kind, HM_TLBI_EL2_VA);
	assert_int_equal(rec[0].addr, 0x40003000);
	assert_int_equal(hm_access(f->m, 0, &c1, 0x40003008, HM_READ, &w), HM_FAULT_TRANSLATION);
}

static void test_unmap_range_one_invalidation(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct hm_ctx ctx = hm_ctx_s2(f->s2.vmid, f->s2.root);
	struct hm_tlbi_rec rec[4];
	struct hm_walk w;

	/* 512 pages in [2 MiB, 4 MiB), one neighbour above; two in CPU 1's TLB. */
	for (uint64_t i = 0; i < 512; i++)
		assert_int_equal(pgt_map(&f->s2, 0x200000 + i * 4096, 0x40200000 + i * 4096, 3, rw),
				 KC_OK);
	assert_int_equal(pgt_map(&f->s2, 0x400000, 0x40400000, 3, rw), KC_OK);
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x200000, HM_READ, &w), HM_FAULT_NONE);
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x3ff000, HM_READ, &w), HM_FAULT_NONE);
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x400000, HM_READ, &w), HM_FAULT_NONE);
	hm_tlbi_log_clear(f->m);

	assert_int_equal(pgt_unmap_range(&f->s2, 0x200000, 0x200000), 512);
	assert_int_equal(hm_tlbi_log_read(f->m, rec, 4), 1); /* one, not 512 */
	assert_int_equal(rec[0].kind, HM_TLBI_S2_RANGE);
	assert_int_equal(rec[0].vmid, 7);
	assert_int_equal(rec[0].addr, 0x200000);
	assert_int_equal(rec[0].size, 0x200000);
	assert_int_equal(rec[0].dropped, 2); /* the neighbour's entry stays */
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x3ff000, HM_READ, &w), HM_FAULT_TRANSLATION);
	assert_int_equal(hm_access(f->m, 1, &ctx, 0x400000, HM_READ, &w), HM_FAULT_NONE);
	assert_true(w.tlb_hit);

	/* Nothing there: nothing removed, nothing invalidated. */
	hm_tlbi_log_clear(f->m);
	assert_int_equal(pgt_unmap_range(&f->s2, 0x200000, 0x200000), 0);
	assert_int_equal(hm_tlbi_log_read(f->m, rec, 4), 0);
}

static void test_take_next_and_prepare(void **state)
{
	struct fixture *f = *state;
	pgt_prot_t rw = PGT_PROT_R | PGT_PROT_W;
	struct pgt_prep prep;
	struct pgt_leaf leaf;
	struct hm_tlbi_rec rec[2];
	uint64_t va;

	/* prepare + map_prepared == pgt_map; a taken slot is refused at prepare. */
	assert_int_equal(pgt_map_prepare(&f->s2, 0x5000, 0x40005000, 3, rw, &prep), KC_OK);
	pgt_map_prepared(&f->s2, &prep, 0x40005000, rw);
	assert_int_equal(walk(f, &f->s2, 0x5008).pa, 0x40005008);
	assert_int_equal(pgt_map_prepare(&f->s2, 0x5000, 0x40006000, 3, rw, &prep), KC_EEXIST);
	assert_int_equal(pgt_map_prepare(&f->s2, 0x5800, 0x40006000, 3, rw, &prep), KC_EINVAL);
	assert_int_equal(pgt_map(&f->s2, 0x40000000, 0x40200000, 2, rw), KC_OK);

	/* take_next hands out leaves in address order and invalidates nothing. */
	hm_tlbi_log_clear(f->m);
	assert_true(pgt_take_next(&f->s2, 0, &va, &leaf));
	assert_int_equal(va, 0x5000);
	assert_int_equal(leaf.pa, 0x40005000);
	assert_int_equal(leaf.level, 3);
	assert_true(pgt_take_next(&f->s2, va + 4096, &va, &leaf));
	assert_int_equal(va, 0x40000000);
	assert_int_equal(leaf.level, 2);
	assert_int_equal(leaf.prot, rw);
	assert_false(pgt_take_next(&f->s2, 0, &va, &leaf));
	assert_int_equal(hm_tlbi_log_read(f->m, rec, 2), 0);
	assert_int_equal(walk(f, &f->s2, 0x5000).fault, HM_FAULT_TRANSLATION);
}

static void test_decode_is_strict(void **state)
{
	(void)state;
	kc_paddr_t pa;
	pgt_prot_t prot;
	uint64_t d = pgt_encode_leaf(PGT_S2, 0x40200000, 2, PGT_PROT_R | PGT_PROT_W);

	assert_true(pgt_decode_leaf(PGT_S2, d, 2, &pa, &prot));
	assert_int_equal(pa, 0x40200000);
	assert_int_equal(prot, PGT_PROT_R | PGT_PROT_W);
	assert_false(pgt_decode_leaf(PGT_S2, d, 3, &pa, &prot));		 /* block at L3 */
	assert_false(pgt_decode_leaf(PGT_S2, d | (1ull << 11), 2, &pa, &prot));	 /* RES0 bit */
	assert_false(pgt_decode_leaf(PGT_S2, d | (1ull << 55), 2, &pa, &prot));	 /* SW bit */
	assert_false(pgt_decode_leaf(PGT_S2, d & ~(1ull << 10), 2, &pa, &prot)); /* AF=0 */
	assert_false(pgt_decode_leaf(PGT_S2, d | 0x1000, 2, &pa, &prot));	 /* misaligned */
	assert_false(pgt_decode_leaf(PGT_S1_EL2, d, 2, &pa, &prot));		 /* other format */
	/* S1 writable + executable is not an encoding kcore ever writes. */
	uint64_t s1 = pgt_encode_leaf(PGT_S1_EL2, 0x40000000, 3, PGT_PROT_R | PGT_PROT_W);
	assert_true(pgt_decode_leaf(PGT_S1_EL2, s1, 3, &pa, &prot));
	assert_false(pgt_decode_leaf(PGT_S1_EL2, s1 & ~(1ull << 54), 3, &pa, &prot));
}

/*
 * Software marks (the MMIO guard): invalid to the walker, they occupy their
 * slot, cannot be put over a mapping, go with the tree at take_next, and
 * only VM trees may hold them.
 */
static void test_marks(void **state)
{
	struct fixture *f = *state;
	struct hm_walk w;
	uint64_t tables;
	const uint64_t va = 0x80200000ull;
	/* Trees with pools of their own, so pgt_check can account for every page. */
	struct pgt_pool vm_pool, host_pool;
	struct pgt vm, host;
	pgt_pool_init(&vm_pool, RAM_BASE + 0x200000, 16);
	pgt_pool_init(&host_pool, RAM_BASE + 0x300000, 16);
	assert_int_equal(pgt_init(&vm, PGT_S2, 7, &vm_pool), KC_OK);
	assert_int_equal(pgt_init(&host, PGT_S2, 0, &host_pool), KC_OK);

	assert_int_equal(pgt_mark(&vm, va + 8, PGT_MARK_MMIO_GUARD), KC_EINVAL);
	assert_int_equal(pgt_mark(&vm, va, 0x4), KC_EINVAL); /* not a mark kcore knows */
	assert_int_equal(pgt_mark(&f->s1, va, PGT_MARK_MMIO_GUARD), KC_EINVAL);
	assert_int_equal(pgt_mark(&host, va, PGT_MARK_MMIO_GUARD), KC_EINVAL);
	assert_int_equal(pgt_mark_at(&vm, va), 0);
	assert_int_equal(pgt_mark(&vm, va, PGT_MARK_MMIO_GUARD), KC_OK);
	assert_int_equal(pgt_mark_at(&vm, va), PGT_MARK_MMIO_GUARD);
	assert_int_equal(pgt_mark_at(&vm, va + PGT_PAGE_SIZE), 0);
	assert_null(pgt_check(&vm, &tables));
	/* The hardware sees a translation fault. */
	struct hm_ctx ctx = hm_ctx_s2(7, vm.root);
	assert_int_equal(hm_mmu_walk(f->m, &ctx, va, &w), HM_FAULT_TRANSLATION);
	/* Occupied: no page over it, no block over its table, no second mark. */
	assert_int_equal(pgt_map(&vm, va, RAM_BASE, 3, PGT_PROT_R), KC_EEXIST);
	assert_int_equal(pgt_map(&vm, va, RAM_BASE, 2, PGT_PROT_R), KC_EEXIST);
	assert_int_equal(pgt_mark(&vm, va, PGT_MARK_MMIO_GUARD), KC_EEXIST);
	/* Nor a mark over a mapping (control: the page next to it maps). */
	assert_int_equal(pgt_map(&vm, va + PGT_PAGE_SIZE, RAM_BASE, 3, PGT_PROT_R), KC_OK);
	assert_int_equal(pgt_mark(&vm, va + PGT_PAGE_SIZE, PGT_MARK_MMIO_GUARD), KC_EEXIST);
	/* take_next returns the leaf past the mark and clears the mark on its way. */
	uint64_t at;
	struct pgt_leaf leaf;
	assert_true(pgt_take_next(&vm, 0, &at, &leaf));
	assert_int_equal(at, va + PGT_PAGE_SIZE);
	assert_int_equal(pgt_mark_at(&vm, va), 0);
	assert_false(pgt_take_next(&vm, 0, &at, &leaf));
	/* Unmark: only what is there. */
	assert_int_equal(pgt_unmark(&vm, va, PGT_MARK_MMIO_GUARD), KC_ENOENT);
	assert_int_equal(pgt_mark(&vm, va, PGT_MARK_MMIO_GUARD), KC_OK);
	assert_int_equal(pgt_unmark(&vm, va, PGT_MARK_MMIO_GUARD), KC_OK);
	assert_int_equal(pgt_mark_at(&vm, va), 0);
	assert_null(pgt_check(&vm, &tables));
	/* A mark planted in a tree that holds none (the host's, VMID 0) is reported. */
	assert_int_equal(pgt_map(&host, va, va, 3, PGT_PROT_R), KC_OK);
	assert_null(pgt_check(&host, &tables)); /* control */
	uint64_t *slot = hm_phys(f->m, host.hint_l3 + ((va >> 12) & 511) * 8 + 8, 8);
	assert_non_null(slot);
	*slot = PGT_MARK_MMIO_GUARD;
	assert_string_equal(pgt_check(&host, &tables), "a software mark in a tree that holds none");
}

static void test_destroy_returns_every_page(void **state)
{
	struct fixture *f = *state;
	uint64_t before = pgt_pool_available(&f->pool);
	uint64_t tables;

	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40001000, 3, PGT_PROT_R), KC_OK);
	assert_int_equal(pgt_map(&f->s2, 1ull << 39, 0x40002000, 3, PGT_PROT_R), KC_OK);
	tables = pgt_count_tables(&f->s2);
	assert_int_equal(tables, 1 + 3 + 3);
	assert_int_equal(pgt_pool_available(&f->pool), before - 6);
	pgt_destroy(&f->s2);
	assert_int_equal(pgt_pool_available(&f->pool), before + 1);
	/* Pages come back zeroed and usable. */
	assert_int_equal(pgt_init(&f->s2, PGT_S2, 7, &f->pool), KC_OK);
	assert_int_equal(pgt_map(&f->s2, 0x1000, 0x40001000, 3, PGT_PROT_R), KC_OK);
	assert_int_equal(walk(f, &f->s2, 0x1000).pa, 0x40001000);
	assert_int_equal(walk(f, &f->s2, 1ull << 39).fault, HM_FAULT_TRANSLATION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_s2_page_block_and_gib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_types_and_s1_permissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_is_refused_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhaustion_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_map_range_check_predicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_range_uses_largest_leaves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmap_invalidates_the_tlb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_range_one_invalidation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_next_and_prepare, setup, teardown),
		cmocka_unit_test(test_decode_is_strict),
		cmocka_unit_test_setup_teardown(test_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_returns_every_page, setup, teardown),
	};
	return cmocka_run_group_tests_name("pgt", tests, NULL, NULL);
}
