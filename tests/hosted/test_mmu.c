/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mmu.c — the walker against hand-built VMSAv8-64 tables.
 *
 * Descriptors are written here as raw numbers from the architecture, not
 * with core's or the model's encoders, so a mistake in either shows.
 */
#include <kcore_hosted/machine.h>

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (64ull << 20)
#define DEV_BASE   0x09000000ull

/* Raw descriptor bits (Arm ARM D8.3). */
#define D_TABLE	   3ull /* levels 0-2 */
#define D_PAGE	   3ull /* level 3 */
#define D_BLOCK	   1ull /* levels 1-2 */
#define D_AF	   (1ull << 10)
#define D_XN	   (1ull << 54)
#define S1_IDX(i)  ((uint64_t)(i) << 2)
#define S1_AP1	   (1ull << 6) /* RES1 at EL2: must not matter */
#define S1_RO	   (1ull << 7)
#define S1_APTABLE (1ull << 62)
#define S1_XNTABLE (1ull << 60)
#define S2_ATTR(a) ((uint64_t)(a) << 2)
#define S2_R	   (1ull << 6)
#define S2_W	   (1ull << 7)

/* MAIR_EL2: 0 Device-nGnRnE, 1 Normal WB, 2 Device-nGnRE, 3 Normal NC. */
#define MAIR	   0x4404ff00ull

struct t {
	struct hm_machine *m;
	uint64_t next; /* bump allocator for table pages */
	uint64_t root;
	uint64_t table_flags; /* extra bits for the table descriptors created */
};

static int setup(void **state)
{
	static struct t t;
	struct hm_config cfg = {
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.devices = { { DEV_BASE, 0x1000 } },
		.ndevices = 1,
		.ncpus = 2,
	};

	memset(&t, 0, sizeof(t));
	if (hm_machine_create(&cfg, &t.m) != 0)
		return -1;
	/* Tables in the last 16 MiB; the rest is for frames. */
	t.next = RAM_BASE + RAM_SIZE - (16ull << 20);
	t.root = t.next;
	t.next += 0x1000;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	hm_machine_destroy(t->m);
	return 0;
}

static uint64_t *entry(struct t *t, uint64_t table, uint64_t addr, int level)
{
	unsigned shift = 12 + 9 * (3 - level);
	uint64_t *p = hm_phys(t->m, table + 8 * ((addr >> shift) & 511), 8);

	assert_non_null(p);
	return p;
}

/* The slot for `addr` at `level`, creating tables above it as needed. */
static uint64_t *slot(struct t *t, uint64_t addr, int level)
{
	uint64_t table = t->root;

	for (int l = 0; l < level; l++) {
		uint64_t *e = entry(t, table, addr, l);

		if ((*e & 3) != D_TABLE) {
			*e = t->next | D_TABLE | t->table_flags;
			t->next += 0x1000;
		}
		table = *e & 0x0000fffffffff000ull;
	}
	return entry(t, table, addr, level);
}

static struct hm_ctx s1(struct t *t)
{
	return hm_ctx_el2(t->root, MAIR);
}

static struct hm_ctx s2(struct t *t)
{
	return hm_ctx_s2(5, t->root);
}

static void expect_fault(struct t *t, const struct hm_ctx *c, uint64_t addr, enum hm_fault f,
			 int level)
{
	struct hm_walk w;

	assert_int_equal(hm_mmu_walk(t->m, c, addr, &w), f);
	assert_int_equal(w.fault, f);
	assert_int_equal(w.fault_level, level);
}

static void test_s1_page_4k(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s1(t);
	struct hm_walk w;
	uint64_t va = 0x0000123456789000ull, pa = RAM_BASE + 0x100000;

	*slot(t, va, 3) = pa | D_PAGE | D_AF | S1_IDX(1);
	assert_int_equal(hm_mmu_walk(t->m, &c, va + 0x678, &w), HM_FAULT_NONE);
	assert_int_equal(w.pa, pa + 0x678);
	assert_int_equal(w.leaf_level, 3);
	assert_int_equal(w.leaf_size, 0x1000);
	assert_int_equal(w.fault_level, -1);
	assert_false(w.device);
	assert_int_equal(w.attr, 0xff);
	assert_true(w.r && w.w && w.x);
	/* The neighbouring page is not mapped. */
	expect_fault(t, &c, va + 0x1000, HM_FAULT_TRANSLATION, 3);
}

static void test_s2_block_2m(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;
	uint64_t ipa = 0x80200000ull, pa = RAM_BASE + 0x600000;

	*slot(t, ipa, 2) = pa | D_BLOCK | D_AF | S2_ATTR(0xf) | S2_R | S2_W;
	assert_int_equal(hm_mmu_walk(t->m, &c, ipa + 0x12345, &w), HM_FAULT_NONE);
	assert_int_equal(w.pa, pa + 0x12345);
	assert_int_equal(w.leaf_level, 2);
	assert_int_equal(w.leaf_size, 2ull << 20);
	assert_int_equal(hm_mmu_walk(t->m, &c, ipa + 0x1fffff, &w), HM_FAULT_NONE);
	assert_int_equal(w.pa, pa + 0x1fffff);
	expect_fault(t, &c, ipa + 0x200000, HM_FAULT_TRANSLATION, 2);
}

static void test_s2_block_1g(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;
	uint64_t ipa = 0x100000000ull;

	*slot(t, ipa, 1) = RAM_BASE | D_BLOCK | D_AF | S2_ATTR(0xf) | S2_R;
	assert_int_equal(hm_mmu_walk(t->m, &c, ipa + 0x3fffffff, &w), HM_FAULT_NONE);
	assert_int_equal(w.pa, RAM_BASE + 0x3fffffff);
	assert_int_equal(w.leaf_level, 1);
	assert_int_equal(w.leaf_size, 1ull << 30);
	assert_true(w.r);
	assert_false(w.w);
}

static void test_invalid_each_level(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);

	/* Level 0: an empty root. */
	expect_fault(t, &c, 0x0000008000000000ull, HM_FAULT_TRANSLATION, 0);
	for (int level = 1; level <= 3; level++) {
		uint64_t ipa = (uint64_t)level << 39;

		*slot(t, ipa, level) = 0; /* creates the path above */
		expect_fault(t, &c, ipa, HM_FAULT_TRANSLATION, level);
		/* 0b10 is invalid too, whatever the other bits say. */
		*slot(t, ipa, level) = (RAM_BASE | D_AF | S2_R) | 2;
		expect_fault(t, &c, ipa, HM_FAULT_TRANSLATION, level);
	}
}

static void test_level0_block_invalid(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);

	*slot(t, 0, 0) = 0 | D_BLOCK | D_AF | S2_R | S2_ATTR(0xf);
	expect_fault(t, &c, 0x1000, HM_FAULT_TRANSLATION, 0);
}

static void test_level3_type01_invalid(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s1(t);

	*slot(t, 0x200000, 3) = RAM_BASE | D_BLOCK | D_AF | S1_IDX(1);
	expect_fault(t, &c, 0x200000, HM_FAULT_TRANSLATION, 3);
	/* The same descriptor with bit 1 set is a page. */
	*slot(t, 0x200000, 3) = RAM_BASE | D_PAGE | D_AF | S1_IDX(1);
	expect_fault(t, &c, 0x200000, HM_FAULT_NONE, -1);
}

static void test_table_outside_ram(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_ctx bad_root = hm_ctx_s2(5, 0x10000000ull);

	/* Below RAM, in a device range, past the end of RAM, at the top of PA. */
	*slot(t, 0x40000000ull, 1) = 0x10000000ull | D_TABLE;
	expect_fault(t, &c, 0x40000000ull, HM_FAULT_EXTERNAL, 2);
	*slot(t, 0x80000000ull, 1) = DEV_BASE | D_TABLE;
	expect_fault(t, &c, 0x80000000ull, HM_FAULT_EXTERNAL, 2);
	*slot(t, 0xc0000000ull, 2) = (RAM_BASE + RAM_SIZE) | D_TABLE;
	expect_fault(t, &c, 0xc0000000ull, HM_FAULT_EXTERNAL, 3);
	*slot(t, 0xc0200000ull, 1) = 0x0000fffffffff000ull | D_TABLE;
	expect_fault(t, &c, 0xc0200000ull, HM_FAULT_EXTERNAL, 2);
	expect_fault(t, &bad_root, 0, HM_FAULT_EXTERNAL, 0);
}

static void test_misaligned_output(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_ctx odd_root = hm_ctx_s2(5, t->root + 8);
	uint64_t leaf = D_AF | S2_R | S2_ATTR(0xf);

	*slot(t, 0x200000, 2) = (RAM_BASE + 0x1000) | D_BLOCK | leaf;
	expect_fault(t, &c, 0x200000, HM_FAULT_ADDR_SIZE, 2);
	*slot(t, 0x40000000ull, 1) = (RAM_BASE + 0x200000) | D_BLOCK | leaf;
	expect_fault(t, &c, 0x40000000ull, HM_FAULT_ADDR_SIZE, 1);
	/* Output address bits [51:48] set with a 48-bit PA size. */
	*slot(t, 0x600000, 3) = (1ull << 48) | RAM_BASE | D_PAGE | leaf;
	expect_fault(t, &c, 0x600000, HM_FAULT_ADDR_SIZE, 3);
	*slot(t, 0x80000000ull, 1) = (1ull << 50) | t->next | D_TABLE;
	expect_fault(t, &c, 0x80000000ull, HM_FAULT_ADDR_SIZE, 1);
	expect_fault(t, &odd_root, 0, HM_FAULT_ADDR_SIZE, 0);
}

static void test_input_out_of_range(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s1(t);

	*slot(t, 0, 3) = RAM_BASE | D_PAGE | D_AF | S1_IDX(1);
	expect_fault(t, &c, 0, HM_FAULT_NONE, -1);
	/* Same index bits, but above 2^48 (T0SZ = 16). */
	expect_fault(t, &c, 1ull << 48, HM_FAULT_TRANSLATION, 0);
	expect_fault(t, &c, ~0ull, HM_FAULT_TRANSLATION, 0);
}

static void walk_ok(struct t *t, const struct hm_ctx *c, uint64_t addr, struct hm_walk *w)
{
	assert_int_equal(hm_mmu_walk(t->m, c, addr, w), HM_FAULT_NONE);
}

static void test_s1_permissions(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s1(t);
	struct hm_walk w;
	uint64_t leaf = RAM_BASE | D_PAGE | D_AF | S1_IDX(1);

	*slot(t, 0x1000, 3) = leaf | S1_RO;
	walk_ok(t, &c, 0x1000, &w);
	assert_true(w.r && !w.w && w.x);
	/* AP[1] is RES1 at EL2: neither value grants or removes anything. */
	*slot(t, 0x1000, 3) = leaf | S1_AP1;
	walk_ok(t, &c, 0x1000, &w);
	assert_true(w.r && w.w && w.x);
	*slot(t, 0x1000, 3) = leaf | S1_AP1 | S1_RO;
	walk_ok(t, &c, 0x1000, &w);
	assert_true(w.r && !w.w && w.x);
	*slot(t, 0x1000, 3) = leaf | D_XN;
	walk_ok(t, &c, 0x1000, &w);
	assert_true(w.r && w.w && !w.x);

	/* Hierarchical limits from the table descriptors above the leaf. */
	t->table_flags = S1_APTABLE;
	*slot(t, 0x8000000000ull, 3) = leaf;
	walk_ok(t, &c, 0x8000000000ull, &w);
	assert_true(w.r && !w.w && w.x);
	t->table_flags = S1_XNTABLE;
	*slot(t, 0x10000000000ull, 3) = leaf;
	walk_ok(t, &c, 0x10000000000ull, &w);
	assert_true(w.r && w.w && !w.x);
	t->table_flags = 0;
}

static void test_s2_permissions(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;
	uint64_t leaf = RAM_BASE | D_PAGE | D_AF | S2_ATTR(0xf);
	static const struct {
		uint64_t bits;
		bool r, w, x;
	} cases[] = {
		{ 0, false, false, true },
		{ S2_R, true, false, true },
		{ S2_W, false, true, true },
		{ S2_R | S2_W, true, true, true },
		{ S2_R | S2_W | D_XN, true, true, false },
		{ S2_R | (1ull << 53), true, false, true }, /* XN[0] alone: model ignores */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*slot(t, 0x3000, 3) = leaf | cases[i].bits;
		walk_ok(t, &c, 0x3000, &w);
		assert_int_equal(w.r, cases[i].r);
		assert_int_equal(w.w, cases[i].w);
		assert_int_equal(w.x, cases[i].x);
	}
	/* Table descriptor bits [63:59] mean nothing at stage 2. */
	t->table_flags = S1_APTABLE | S1_XNTABLE;
	*slot(t, 0x8000000000ull, 3) = leaf | S2_R | S2_W;
	walk_ok(t, &c, 0x8000000000ull, &w);
	assert_true(w.r && w.w && w.x);
	t->table_flags = 0;
}

static void test_access_flag_fault(void **state)
{
	struct t *t = *state;
	struct hm_ctx c1 = s1(t), c2 = s2(t);
	struct hm_walk w;

	*slot(t, 0x5000, 3) = RAM_BASE | D_PAGE | S1_IDX(1);
	assert_int_equal(hm_mmu_walk(t->m, &c1, 0x5000, &w), HM_FAULT_ACCESS_FLAG);
	assert_int_equal(w.fault_level, 3);
	assert_int_equal(w.leaf_level, 3);
	*slot(t, 0x400000, 2) = RAM_BASE | D_BLOCK | S2_R | S2_ATTR(0xf);
	assert_int_equal(hm_mmu_walk(t->m, &c2, 0x400000, &w), HM_FAULT_ACCESS_FLAG);
	assert_int_equal(w.fault_level, 2);
	/* Translation faults come first: an invalid descriptor without AF. */
	*slot(t, 0x6000, 3) = RAM_BASE | 2;
	expect_fault(t, &c1, 0x6000, HM_FAULT_TRANSLATION, 3);
}

static void test_s1_device_vs_normal(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s1(t);
	struct hm_walk w;
	static const struct {
		unsigned idx;
		uint8_t attr;
		bool device;
	} cases[] = {
		{ 0, 0x00, true }, { 1, 0xff, false }, { 2, 0x04, true }, { 3, 0x44, false }
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*slot(t, 0x7000, 3) = DEV_BASE | D_PAGE | D_AF | S1_IDX(cases[i].idx);
		walk_ok(t, &c, 0x7000, &w);
		assert_int_equal(w.attr, cases[i].attr);
		assert_int_equal(w.device, cases[i].device);
		assert_int_equal(w.pa, DEV_BASE);
	}
}

static void test_s2_device_vs_normal(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;
	static const struct {
		unsigned memattr;
		bool device;
	} cases[] = { { 0x0, true },  { 0x1, true },  { 0x3, true }, { 0x4, false },
		      { 0x5, false }, { 0xc, false }, { 0xf, false } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*slot(t, 0x9000, 3) = DEV_BASE | D_PAGE | D_AF | S2_R | S2_ATTR(cases[i].memattr);
		walk_ok(t, &c, 0x9000, &w);
		assert_int_equal(w.attr, cases[i].memattr);
		assert_int_equal(w.device, cases[i].device);
	}
}

static void test_access_permission_faults(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;

	*slot(t, 0xa000, 3) = RAM_BASE | D_PAGE | D_AF | S2_ATTR(0xf) | S2_R | D_XN;
	assert_int_equal(hm_access(t->m, 0, &c, 0xa000, HM_READ, &w), HM_FAULT_NONE);
	assert_int_equal(hm_access(t->m, 0, &c, 0xa000, HM_WRITE, &w), HM_FAULT_PERMISSION);
	assert_int_equal(w.fault_level, 3);
	assert_int_equal(hm_access(t->m, 0, &c, 0xa000, HM_EXEC, &w), HM_FAULT_PERMISSION);
	*slot(t, 0xb000, 3) = RAM_BASE | D_PAGE | D_AF | S2_ATTR(0xf);
	assert_int_equal(hm_access(t->m, 1, &c, 0xb000, HM_READ, &w), HM_FAULT_PERMISSION);
}

static void test_load_store(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = s2(t);
	struct hm_walk w;
	uint64_t leaf = D_PAGE | D_AF | S2_ATTR(0xf) | S2_R | S2_W;
	char buf[32] = { 0 };
	const char *msg = "across two frames, out of order";

	/* IPA 0x10000 -> frame 5, IPA 0x11000 -> frame 2: a copy must follow. */
	*slot(t, 0x10000, 3) = (RAM_BASE + 0x5000) | leaf;
	*slot(t, 0x11000, 3) = (RAM_BASE + 0x2000) | leaf;
	assert_int_equal(hm_store(t->m, 0, &c, 0x11000 - 10, msg, 32, &w), HM_FAULT_NONE);
	assert_memory_equal(hm_phys(t->m, RAM_BASE + 0x6000 - 10, 10), msg, 10);
	assert_memory_equal(hm_phys(t->m, RAM_BASE + 0x2000, 22), msg + 10, 22);
	assert_int_equal(hm_load(t->m, 1, &c, 0x11000 - 10, buf, 32, NULL), HM_FAULT_NONE);
	assert_memory_equal(buf, msg, 32);

	/* Mapped, but to a device with no model behind it. */
	*slot(t, 0x12000, 3) = DEV_BASE | leaf;
	assert_int_equal(hm_load(t->m, 0, &c, 0x12000, buf, 4, &w), HM_FAULT_EXTERNAL);
	/* A fault part-way: the first page is copied, the fault reported. */
	assert_int_equal(hm_store(t->m, 0, &c, 0x11ffe, "abcd", 4, &w), HM_FAULT_EXTERNAL);
	assert_memory_equal(hm_phys(t->m, RAM_BASE + 0x2ffe, 2), "ab", 2);
	assert_int_equal(hm_load(t->m, 0, &c, 0x20000, buf, 1, &w), HM_FAULT_TRANSLATION);
	assert_int_equal(w.fault_level, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_s1_page_4k),
		T(test_s2_block_2m),
		T(test_s2_block_1g),
		T(test_invalid_each_level),
		T(test_level0_block_invalid),
		T(test_level3_type01_invalid),
		T(test_table_outside_ram),
		T(test_misaligned_output),
		T(test_input_out_of_range),
		T(test_s1_permissions),
		T(test_s2_permissions),
		T(test_access_flag_fault),
		T(test_s1_device_vs_normal),
		T(test_s2_device_vs_normal),
		T(test_access_permission_faults),
		T(test_load_store),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
