/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_tlb.c — cached translations live until exactly the right TLBI.
 *
 * The pattern in each test: translate (fills the TLB), change the table
 * behind the TLB's back, show the stale translation is still used, then
 * show which invalidations drop it and which do not.
 */
#include <kcore/platform.h>
#include <kcore_hosted/machine.h>

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)
#define NCPUS	 4u

#define D_TABLE	 3ull
#define D_PAGE	 3ull
#define D_BLOCK	 1ull
#define D_AF	 (1ull << 10)
#define S1_IDX1	 (1ull << 2)
#define S1_RO	 (1ull << 7)
#define S2_RW	 ((1ull << 6) | (1ull << 7))
#define S2_R	 (1ull << 6)
#define S2_NORM	 (0xfull << 2)
#define MAIR	 0xff00ull

#define FRAME(n) (RAM_BASE + 0x1000ull * (n))

struct t {
	struct hm_machine *m;
	uint64_t next;
	uint64_t root; /* one table tree, used as S1 and as S2 of any VMID */
};

static int setup(void **state)
{
	static struct t t;
	struct hm_config cfg = { .ram_base = RAM_BASE, .ram_size = RAM_SIZE, .ncpus = NCPUS };

	memset(&t, 0, sizeof(t));
	if (hm_machine_create(&cfg, &t.m) != 0)
		return -1;
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

static uint64_t *slot(struct t *t, uint64_t addr, int level)
{
	uint64_t table = t->root;

	for (int l = 0;; l++) {
		uint64_t *e = hm_phys(t->m, table + 8 * ((addr >> (39 - 9 * l)) & 511), 8);

		assert_non_null(e);
		if (l == level)
			return e;
		if ((*e & 3) != D_TABLE) {
			*e = t->next | D_TABLE;
			t->next += 0x1000;
		}
		table = *e & 0x0000fffffffff000ull;
	}
}

/* The PA `cpu` gets for `addr` (asserting success), and whether it hit. */
static uint64_t xlate(struct t *t, unsigned cpu, const struct hm_ctx *c, uint64_t addr, bool *hit)
{
	struct hm_walk w;

	assert_int_equal(hm_access(t->m, cpu, c, addr, HM_READ, &w), HM_FAULT_NONE);
	if (hit)
		*hit = w.tlb_hit;
	return w.pa;
}

static void test_s2_stale_until_right_ipa(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	uint64_t ipa = 0x12345000ull;
	bool hit;

	*slot(t, ipa, 3) = FRAME(1) | D_PAGE | D_AF | S2_NORM | S2_RW;
	assert_int_equal(xlate(t, 0, &c, ipa, &hit), FRAME(1));
	assert_false(hit);
	*slot(t, ipa, 3) = FRAME(2) | D_PAGE | D_AF | S2_NORM | S2_RW;
	assert_int_equal(xlate(t, 0, &c, ipa + 0x10, &hit), FRAME(1) + 0x10);
	assert_true(hit);

	plat_tlbi_s2_ipa(2, ipa);	   /* wrong VMID */
	plat_tlbi_s2_ipa(1, ipa + 0x1000); /* next page */
	plat_tlbi_s2_ipa(1, ipa - 1);	   /* previous page */
	plat_tlbi_s2_vmid(2);
	plat_tlbi_el2_va(ipa); /* wrong regime */
	plat_tlbi_el2_all();
	assert_int_equal(xlate(t, 0, &c, ipa, &hit), FRAME(1));
	assert_true(hit);

	plat_tlbi_s2_ipa(1, ipa + 0xfff); /* any address in the page */
	assert_int_equal(xlate(t, 0, &c, ipa, &hit), FRAME(2));
	assert_false(hit);
}

static void test_s2_unmap_is_stale_until_tlbi(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(3, t->root);
	struct hm_walk w;
	uint64_t ipa = 0x5000;

	*slot(t, ipa, 3) = FRAME(7) | D_PAGE | D_AF | S2_NORM | S2_RW;
	assert_int_equal(xlate(t, 2, &c, ipa, NULL), FRAME(7));
	*slot(t, ipa, 3) = 0;
	/* The isolation bug a missing TLBI causes: the old frame is still reachable. */
	assert_int_equal(xlate(t, 2, &c, ipa, NULL), FRAME(7));
	plat_tlbi_s2_ipa(3, ipa);
	assert_int_equal(hm_access(t->m, 2, &c, ipa, HM_READ, &w), HM_FAULT_TRANSLATION);
}

static void test_s2_block_dropped_by_any_inner_ipa(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	uint64_t ipa = 0x80200000ull, pa1 = RAM_BASE + 0x200000, pa2 = RAM_BASE + 0x400000;
	bool hit;

	*slot(t, ipa, 2) = pa1 | D_BLOCK | D_AF | S2_NORM | S2_RW;
	assert_int_equal(xlate(t, 0, &c, ipa + 0x1000, NULL), pa1 + 0x1000);
	*slot(t, ipa, 2) = pa2 | D_BLOCK | D_AF | S2_NORM | S2_RW;
	/* One entry covers the whole block: another address in it hits. */
	assert_int_equal(xlate(t, 0, &c, ipa + 0x1ff000, &hit), pa1 + 0x1ff000);
	assert_true(hit);
	plat_tlbi_s2_ipa(1, ipa + 0x200000); /* just past the block */
	plat_tlbi_s2_ipa(1, ipa - 0x1000);   /* just before it */
	assert_int_equal(xlate(t, 0, &c, ipa, &hit), pa1);
	assert_true(hit);
	plat_tlbi_s2_ipa(1, ipa + 0x1ff000); /* last page inside */
	assert_int_equal(xlate(t, 0, &c, ipa, &hit), pa2);
	assert_false(hit);
}

static void test_s2_vmid_flush_only_that_vmid(void **state)
{
	struct t *t = *state;
	struct hm_ctx v1 = hm_ctx_s2(1, t->root), v2 = hm_ctx_s2(2, t->root);
	bool hit;

	for (unsigned i = 0; i < 4; i++)
		*slot(t, 0x1000 * i, 3) = FRAME(10 + i) | D_PAGE | D_AF | S2_NORM | S2_RW;
	for (unsigned i = 0; i < 4; i++) {
		xlate(t, 0, &v1, 0x1000 * i, NULL);
		xlate(t, 0, &v2, 0x1000 * i, NULL);
	}
	assert_int_equal(hm_tlb_count(t->m, 0), 8);
	plat_tlbi_s2_vmid(1);
	assert_int_equal(hm_tlb_count(t->m, 0), 4);
	for (unsigned i = 0; i < 4; i++) {
		xlate(t, 0, &v2, 0x1000 * i, &hit);
		assert_true(hit);
		xlate(t, 0, &v1, 0x1000 * i, &hit);
		assert_false(hit);
	}
}

static void test_root_switch_without_tlbi_is_stale(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(4, t->root);
	struct hm_ctx other = hm_ctx_s2(4, t->next); /* an empty tree */
	bool hit;

	t->next += 0x1000;
	*slot(t, 0x7000, 3) = FRAME(3) | D_PAGE | D_AF | S2_NORM | S2_RW;
	xlate(t, 1, &c, 0x7000, NULL);
	/* Entries are tagged by VMID, not by the root: reusing a VMID needs a TLBI. */
	assert_int_equal(xlate(t, 1, &other, 0x7000, &hit), FRAME(3));
	assert_true(hit);
}

static void test_el2_va_and_all(void **state)
{
	struct t *t = *state;
	struct hm_ctx s1 = hm_ctx_el2(t->root, MAIR), s2 = hm_ctx_s2(1, t->root);
	bool hit;

	/* One tree for both regimes: bit 6 is S2AP read, and RES1 (AP[1]) at EL2. */
	*slot(t, 0x1000, 3) = FRAME(1) | D_PAGE | D_AF | S1_IDX1 | S2_R;
	*slot(t, 0x2000, 3) = FRAME(2) | D_PAGE | D_AF | S1_IDX1 | S2_R;
	xlate(t, 0, &s1, 0x1000, NULL);
	xlate(t, 0, &s1, 0x2000, NULL);
	xlate(t, 0, &s2, 0x1000, NULL);
	assert_int_equal(hm_tlb_count(t->m, 0), 3);

	plat_tlbi_s2_ipa(1, 0x2000); /* a stage-2 TLBI leaves EL2 entries */
	plat_tlbi_s2_vmid(1);
	assert_int_equal(hm_tlb_count(t->m, 0), 2);
	plat_tlbi_el2_va(0x1abc);
	assert_int_equal(hm_tlb_count(t->m, 0), 1);
	xlate(t, 0, &s1, 0x2000, &hit);
	assert_true(hit);
	xlate(t, 0, &s2, 0x1000, NULL); /* back in */
	plat_tlbi_el2_all();
	assert_int_equal(hm_tlb_count(t->m, 0), 1);
	xlate(t, 0, &s2, 0x1000, &hit);
	assert_true(hit);
	xlate(t, 0, &s1, 0x2000, &hit);
	assert_false(hit);
}

static void issue_tlbi(unsigned cpu, void *arg)
{
	(void)cpu;
	plat_tlbi_s2_ipa(1, *(uint64_t *)arg);
}

static void test_tlbi_reaches_every_cpu(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	uint64_t ipa = 0x9000;
	struct hm_tlbi_rec r;

	*slot(t, ipa, 3) = FRAME(9) | D_PAGE | D_AF | S2_NORM | S2_RW;
	for (unsigned cpu = 0; cpu < NCPUS; cpu++)
		xlate(t, cpu, &c, ipa, NULL);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++)
		assert_int_equal(hm_tlb_count(t->m, cpu), 1);
	hm_tlbi_log_clear(t->m);
	assert_int_equal(hm_cpu_run(t->m, 1, issue_tlbi, &ipa), 0);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++)
		assert_int_equal(hm_tlb_count(t->m, cpu), 0);
	assert_int_equal(hm_tlbi_log_read(t->m, &r, 1), 1);
	assert_int_equal(r.cpu, 1);
	assert_int_equal(r.dropped, NCPUS);
}

static void test_failed_walks_not_cached(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	struct hm_walk w;
	uint64_t ipa = 0xb000;

	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_READ, &w), HM_FAULT_TRANSLATION);
	assert_int_equal(hm_tlb_count(t->m, 0), 0);
	/* Mapping a page needs no TLBI: nothing was cached. */
	*slot(t, ipa, 3) = FRAME(4) | D_PAGE | S2_NORM | S2_RW; /* AF = 0 */
	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_READ, &w), HM_FAULT_ACCESS_FLAG);
	assert_int_equal(hm_tlb_count(t->m, 0), 0);
	*slot(t, ipa, 3) |= D_AF;
	assert_int_equal(xlate(t, 0, &c, ipa, NULL), FRAME(4));
	assert_int_equal(hm_tlb_count(t->m, 0), 1);
}

static void test_permission_checked_against_cached_entry(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	struct hm_walk w;
	uint64_t ipa = 0xc000;

	*slot(t, ipa, 3) = FRAME(5) | D_PAGE | D_AF | S2_NORM | S2_R;
	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_WRITE, &w), HM_FAULT_PERMISSION);
	/* The translation was valid, so it was cached; the upgrade is not seen yet. */
	*slot(t, ipa, 3) = FRAME(5) | D_PAGE | D_AF | S2_NORM | S2_RW;
	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_WRITE, &w), HM_FAULT_PERMISSION);
	assert_true(w.tlb_hit);
	plat_tlbi_s2_ipa(1, ipa);
	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_WRITE, &w), HM_FAULT_NONE);
	/* And a downgrade without TLBI leaves the page writable: the bug to catch. */
	*slot(t, ipa, 3) = FRAME(5) | D_PAGE | D_AF | S2_NORM | S2_R;
	assert_int_equal(hm_access(t->m, 0, &c, ipa, HM_WRITE, &w), HM_FAULT_NONE);
}

static void test_tlbi_log(void **state)
{
	struct t *t = *state;
	struct hm_tlbi_rec r[8];
	uint64_t first;

	plat_tlbi_el2_all(); /* something before the clear */
	hm_tlbi_log_clear(t->m);
	assert_int_equal(hm_tlbi_log_read(t->m, NULL, 0), 0);
	plat_tlbi_el2_va(0xabc000);
	plat_tlbi_el2_all();
	plat_tlbi_s2_ipa(7, 0x80001000ull);
	plat_tlbi_s2_vmid(9);
	assert_int_equal(hm_tlbi_log_read(t->m, r, 8), 4);
	assert_int_equal(r[0].kind, HM_TLBI_EL2_VA);
	assert_int_equal(r[0].addr, 0xabc000);
	assert_int_equal(r[1].kind, HM_TLBI_EL2_ALL);
	assert_int_equal(r[2].kind, HM_TLBI_S2_IPA);
	assert_int_equal(r[2].vmid, 7);
	assert_int_equal(r[2].addr, 0x80001000ull);
	assert_int_equal(r[3].kind, HM_TLBI_S2_VMID);
	assert_int_equal(r[3].vmid, 9);
	assert_int_equal(r[3].addr, 0);
	/* Sequence numbers keep counting across clears. */
	assert_true(r[0].seq > 1);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].seq, r[0].seq + (uint64_t)i);
		assert_int_equal(r[i].cpu, HM_NO_CPU);
		assert_int_equal(r[i].dropped, 0);
	}
	first = r[0].seq;
	/* Reading fewer than the log holds copies only that many. */
	memset(r, 0, sizeof(r));
	assert_int_equal(hm_tlbi_log_read(t->m, r, 1), 4);
	assert_int_equal(r[0].seq, first);
	assert_int_equal(r[1].seq, 0);
	hm_tlbi_log_clear(t->m);
	assert_int_equal(hm_tlbi_log_read(t->m, r, 8), 0);
	plat_tlbi_el2_all();
	assert_int_equal(hm_tlbi_log_read(t->m, r, 8), 1);
	assert_int_equal(r[0].seq, first + 4);
}

static void test_eviction_round_robin(void **state)
{
	struct t *t = *state;
	struct hm_ctx c = hm_ctx_s2(1, t->root);
	struct hm_stats st;
	bool hit;

	for (unsigned i = 0; i <= HM_TLB_ENTRIES; i++)
		*slot(t, 0x1000ull * i, 3) = FRAME(i) | D_PAGE | D_AF | S2_NORM | S2_RW;
	for (unsigned i = 0; i < HM_TLB_ENTRIES; i++)
		xlate(t, 3, &c, 0x1000ull * i, NULL);
	assert_int_equal(hm_tlb_count(t->m, 3), HM_TLB_ENTRIES);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.tlb_evictions, 0);
	/* One more evicts the oldest fill (slot 0: page 0), nothing else. */
	xlate(t, 3, &c, 0x1000ull * HM_TLB_ENTRIES, NULL);
	assert_int_equal(hm_tlb_count(t->m, 3), HM_TLB_ENTRIES);
	hm_stats_read(t->m, &st);
	assert_int_equal(st.tlb_evictions, 1);
	*slot(t, 0, 3) = FRAME(100) | D_PAGE | D_AF | S2_NORM | S2_RW;
	*slot(t, 0x1000, 3) = FRAME(101) | D_PAGE | D_AF | S2_NORM | S2_RW;
	assert_int_equal(xlate(t, 3, &c, 0x1000, &hit), FRAME(1));
	assert_true(hit);
	assert_int_equal(xlate(t, 3, &c, 0, &hit), FRAME(100));
	assert_false(hit);
	/* That refill evicted the next victim in turn, page 1. */
	assert_int_equal(xlate(t, 3, &c, 0x1000, &hit), FRAME(101));
	assert_false(hit);
	/* The reset empties all TLBs and logs nothing. */
	hm_tlbi_log_clear(t->m);
	hm_tlb_reset(t->m);
	assert_int_equal(hm_tlb_count(t->m, 3), 0);
	assert_int_equal(hm_tlbi_log_read(t->m, NULL, 0), 0);
}

struct par {
	struct t *t;
	unsigned faults[NCPUS];
};

/*
 * Every CPU translates its own VMID's pages and invalidates them, while the
 * others do the same: TLBIs reach all TLBs concurrently with fills.
 */
static void par_body(unsigned cpu, void *arg)
{
	struct par *p = arg;
	struct hm_ctx c = hm_ctx_s2((uint16_t)(10 + cpu), p->t->root);
	struct hm_walk w;

	for (unsigned round = 0; round < 200; round++) {
		for (unsigned i = 0; i < 8; i++)
			if (hm_access(p->t->m, cpu, &c, 0x1000ull * i, HM_READ, &w) !=
				    HM_FAULT_NONE ||
			    w.pa != FRAME(i))
				p->faults[cpu]++;
		plat_tlbi_s2_ipa((uint16_t)(10 + cpu), 0x1000ull * (round % 8));
		if (round % 50 == 0)
			plat_tlbi_s2_vmid((uint16_t)(10 + cpu));
	}
}

static void test_parallel_access_and_tlbi(void **state)
{
	struct t *t = *state;
	struct par p = { .t = t };
	struct hm_tlbi_rec r;

	for (unsigned i = 0; i < 8; i++)
		*slot(t, 0x1000ull * i, 3) = FRAME(i) | D_PAGE | D_AF | S2_NORM | S2_RW;
	hm_tlbi_log_clear(t->m);
	assert_int_equal(hm_run_parallel(t->m, par_body, &p), 0);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++)
		assert_int_equal(p.faults[cpu], 0);
	assert_int_equal(hm_tlbi_log_read(t->m, &r, 1), NCPUS * (200 + 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_s2_stale_until_right_ipa),
		T(test_s2_unmap_is_stale_until_tlbi),
		T(test_s2_block_dropped_by_any_inner_ipa),
		T(test_s2_vmid_flush_only_that_vmid),
		T(test_root_switch_without_tlbi_is_stale),
		T(test_el2_va_and_all),
		T(test_tlbi_reaches_every_cpu),
		T(test_failed_walks_not_cached),
		T(test_permission_checked_against_cached_entry),
		T(test_tlbi_log),
		T(test_eviction_round_robin),
		T(test_parallel_access_and_tlbi),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
