/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_pgt — core/pgt.c against a flat model of the address space, on the
 * hosted machine's MMU walker and TLB model (docs/FUZZING.md).
 *
 * One tree per input (stage 2 with VMID 1, or the EL2 stage 1), its table
 * pool inside RAM and small (2..64 pages) so KC_ENOMEM happens.  The input
 * is a header (pool size, format) then a stream of operations: map,
 * map_range, unmap, unmap_range, map_check/map_prepare/map_prepared,
 * take_next, and accesses through the per-CPU TLB model on 2 CPUs.
 * Addresses are biased to a few GiB (aligned to 4 KiB, 2 MiB or 1 GiB, or
 * taken from live mappings) so they collide, and are sometimes raw.
 *
 * The model is independent of pgt.c: a sorted array of leaves {va, pa,
 * level, prot} and the set of table pages linked so far (tables are never
 * freed before pgt_destroy, so a map over an unmapped range that once held
 * smaller leaves is refused with EEXIST, and the pool use is 1 + tables).
 * From it the harness predicts every return code.  After every operation:
 *  - the return code is the predicted one; a failed call changed nothing
 *    (hash of the pool pages in use, the pool's counters, the model);
 *  - for the touched addresses (edges, middles, neighbours), a few live
 *    leaves and random addresses: hm_mmu_walk gives exactly the model's
 *    translation (pa, leaf size, r/w/x, Device) and pgt_lookup agrees;
 *  - unmap and unmap_range (after both CPUs cached the translation) issue
 *    exactly the invalidation the contract names, take_next none (the
 *    harness then does the caller's VMID-wide one); hm_tlb_coherent holds;
 *  - pgt_check returns NULL and counts exactly the pool pages in use;
 *  - at the end, the whole tree equals the model (pgt_next_entry) and
 *    pgt_destroy returns every page.
 * Any mismatch aborts with a message naming the operation.
 */
#include <kcore/abi.h>
#include <kcore/pgt.h>
#include <kcore/platform.h>
#include <kcore_hosted/machine.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_RAM_BASE   0x40000000ull
#define FP_RAM_SIZE   (16ull << 20)
#define FP_POOL_BASE  (FP_RAM_BASE + (8ull << 20))
#define FP_MAX_POOL   64u
#define FP_MAX_LEAVES 1024u
#define FP_MAX_TABLES (FP_MAX_POOL)
#define FP_MAX_OPS    96u
#define FP_MAX_TOUCH  8u
#define FP_IA_LIMIT   (1ull << 48)
#define FP_GIB	      (1ull << 30)
#define FP_MIB2	      (2ull << 20)
#define FP_PAGE	      4096ull

struct fp_leaf {
	uint64_t va, pa;
	unsigned level;
	pgt_prot_t prot;
};

/* A table page at `level` (1..3) mapping [base, base + pgt_level_size(level - 1)). */
struct fp_table {
	uint64_t base;
	unsigned level;
};

struct fp_touch {
	uint64_t va, size;
};

static struct {
	const uint8_t *in;
	size_t left;
	struct hm_machine *m;
	struct pgt_pool pool;
	struct pgt t;
	struct hm_ctx ctx;
	uint64_t npages;
	struct fp_leaf leaves[FP_MAX_LEAVES]; /* sorted by va, disjoint */
	unsigned nleaves;
	struct fp_table tables[FP_MAX_TABLES];
	unsigned ntables;
	struct fp_touch touch[FP_MAX_TOUCH];
	unsigned ntouch;
	uint64_t last_va;
	uint64_t rng;
	unsigned op;
	const char *op_name;
} fp;

static void fp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fp_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_pgt: op %u (%s, %s, %u of %u pool pages in use): ", fp.op,
		fp.op_name ? fp.op_name : "-", fp.t.fmt == PGT_S2 ? "S2" : "S1_EL2",
		(unsigned)(fp.npages - pgt_pool_available(&fp.pool)), (unsigned)fp.npages);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- input ---- */

static uint8_t fp_byte(void)
{
	if (!fp.left)
		return 0;
	fp.left--;
	return *fp.in++;
}

static uint64_t fp_u64(void)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fp_byte() << (8 * i);
	return v;
}

static uint64_t fp_lsize(unsigned level)
{
	return pgt_level_size(level);
}

/* A VA/IPA: mostly inside [0, 8 GiB) so mappings collide. */
static uint64_t fp_addr(void)
{
	uint8_t s = fp_byte(), b = fp_byte();
	uint64_t a;

	switch (s & 7) {
	case 0:
	case 1: /* 4 KiB aligned, clustered */
		a = (uint64_t)(b >> 6) * FP_GIB + (uint64_t)((b >> 3) & 7) * FP_MIB2 +
		    (uint64_t)fp_byte() * 2 * FP_PAGE + (uint64_t)(b & 1) * FP_PAGE;
		break;
	case 2: /* 2 MiB aligned */
		a = (uint64_t)((b >> 5) & 3) * FP_GIB + (uint64_t)(b & 31) * FP_MIB2;
		break;
	case 3: /* 1 GiB aligned */
		a = (uint64_t)(b & 7) * FP_GIB;
		break;
	case 4: /* a live leaf: its base, end, middle or last page */
		if (!fp.nleaves) {
			a = (uint64_t)(b & 3) * FP_GIB;
			break;
		}
		{
			const struct fp_leaf *l = &fp.leaves[b % fp.nleaves];
			uint64_t sz = fp_lsize(l->level);
			static const uint64_t pick[4] = { 0, 1, 2, 3 };
			switch (pick[fp_byte() & 3]) {
			case 0:
				a = l->va;
				break;
			case 1:
				a = l->va + sz;
				break;
			case 2:
				a = l->va + sz / 2;
				break;
			default:
				a = l->va + sz - FP_PAGE;
				break;
			}
		}
		break;
	case 5: /* the top of the input range (b == 0: just beyond it) */
		a = FP_IA_LIMIT - (uint64_t)b * FP_MIB2;
		break;
	case 6:
		a = fp_u64();
		break;
	default: /* next to the last one */
		a = fp.last_va + (uint64_t)(int64_t)(int8_t)b * FP_PAGE;
		break;
	}
	fp.last_va = a;
	return a;
}

/* An output address: mostly in RAM (the TLB model caches any output). */
static uint64_t fp_pa(void)
{
	uint8_t s = fp_byte(), b = fp_byte();

	switch (s & 7) {
	case 0:
	case 1:
	case 2:
	case 3:
		return FP_RAM_BASE + (uint64_t)(b & 7) * FP_MIB2 + (uint64_t)fp_byte() * FP_PAGE;
	case 4:
		return FP_RAM_BASE + (uint64_t)(b & 7) * FP_MIB2;
	case 5:
		return (uint64_t)((b & 3) + 1) * FP_GIB;
	case 6:
		return fp_u64();
	default:
		return FP_IA_LIMIT - (uint64_t)b * FP_GIB;
	}
}

static unsigned fp_level(void)
{
	uint8_t b = fp_byte();
	return b >= 0xF0 ? b & 7u : 1u + b % 3u;
}

static pgt_prot_t fp_prot(void)
{
	static const pgt_prot_t good[8] = {
		PGT_PROT_R,
		PGT_PROT_R | PGT_PROT_W,
		PGT_PROT_R | PGT_PROT_X,
		PGT_PROT_R | PGT_PROT_DEVICE,
		PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE,
		PGT_PROT_R | PGT_PROT_W | PGT_PROT_X,
		PGT_PROT_R | PGT_PROT_W,
		PGT_PROT_R,
	};
	uint8_t b = fp_byte();
	return b & 0x80 ? (pgt_prot_t)(b & 0x1F) : good[b & 7];
}

/* ---- the model ---- */

static bool fp_prot_ok(pgt_prot_t p)
{
	if (p > PGT_PROT_MASK || !(p & PGT_PROT_R))
		return false;
	if ((p & PGT_PROT_DEVICE) && (p & PGT_PROT_X))
		return false;
	return !(fp.t.fmt == PGT_S1_EL2 && (p & PGT_PROT_W) && (p & PGT_PROT_X));
}

/* Index of the last leaf with va <= a, or -1. */
static int fp_floor(uint64_t a)
{
	int lo = 0, hi = (int)fp.nleaves - 1, r = -1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (fp.leaves[mid].va <= a) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return r;
}

static const struct fp_leaf *fp_find(uint64_t a)
{
	int i = fp_floor(a);
	if (i < 0 || a - fp.leaves[i].va >= fp_lsize(fp.leaves[i].level))
		return NULL;
	return &fp.leaves[i];
}

/* Does any leaf intersect [a, a + size)?  (a + size may be 2^64 - wrapped: callers bound it.) */
static bool fp_overlaps(uint64_t a, uint64_t size)
{
	int i = fp_floor(a + size - 1);
	return i >= 0 && fp.leaves[i].va + fp_lsize(fp.leaves[i].level) > a;
}

static bool fp_has_table(unsigned level, uint64_t va)
{
	uint64_t base = va & ~(fp_lsize(level - 1) - 1);
	for (unsigned i = 0; i < fp.ntables; i++)
		if (fp.tables[i].level == level && fp.tables[i].base == base)
			return true;
	return false;
}

static void fp_add_table(unsigned level, uint64_t va)
{
	if (fp_has_table(level, va))
		return;
	if (fp.ntables >= FP_MAX_TABLES)
		fp_fail("model: more tables than the pool holds");
	fp.tables[fp.ntables].level = level;
	fp.tables[fp.ntables].base = va & ~(fp_lsize(level - 1) - 1);
	fp.ntables++;
}

static uint64_t fp_available(void)
{
	return fp.npages - 1 - fp.ntables;
}

static unsigned fp_missing(uint64_t va, unsigned level)
{
	unsigned n = 0;
	for (unsigned l = 1; l <= level; l++)
		n += !fp_has_table(l, va);
	return n;
}

static void fp_insert(uint64_t va, uint64_t pa, unsigned level, pgt_prot_t prot)
{
	if (fp.nleaves >= FP_MAX_LEAVES)
		fp_fail("model: leaf array full (the harness should have skipped)");
	for (unsigned l = 1; l <= level; l++)
		fp_add_table(l, va);
	unsigned i = (unsigned)(fp_floor(va) + 1);
	memmove(&fp.leaves[i + 1], &fp.leaves[i], (fp.nleaves - i) * sizeof(fp.leaves[0]));
	fp.leaves[i] = (struct fp_leaf){ .va = va, .pa = pa, .level = level, .prot = prot };
	fp.nleaves++;
}

static void fp_remove(const struct fp_leaf *l)
{
	unsigned i = (unsigned)(l - fp.leaves);
	memmove(&fp.leaves[i], &fp.leaves[i + 1], (fp.nleaves - i - 1) * sizeof(fp.leaves[0]));
	fp.nleaves--;
}

/* What pgt_map would return (the header's contract); *missing = tables it needs. */
static int fp_predict_map(uint64_t va, uint64_t pa, unsigned level, pgt_prot_t prot,
			  unsigned *missing)
{
	*missing = 0;
	if (level < 1 || level > 3)
		return KC_EINVAL;
	uint64_t sz = fp_lsize(level);
	if (((va | pa) & (sz - 1)) || va >= FP_IA_LIMIT || pa >= FP_IA_LIMIT || !fp_prot_ok(prot))
		return KC_EINVAL;
	if (fp_overlaps(va, sz) || (level < 3 && fp_has_table(level + 1, va)))
		return KC_EEXIST;
	*missing = fp_missing(va, level);
	return fp_available() < *missing ? KC_ENOMEM : KC_OK;
}

/* The largest leaf for the next piece of a range ("largest leaves that fit"). */
static unsigned fp_range_level(uint64_t va, uint64_t pa, uint64_t left)
{
	if (!((va | pa) & (FP_GIB - 1)) && left >= FP_GIB)
		return 1;
	if (!((va | pa) & (FP_MIB2 - 1)) && left >= FP_MIB2)
		return 2;
	return 3;
}

/* ---- the oracles ---- */

/*
 * A digest of the tables and the pool (failed calls must leave it alone): a
 * sum and an xor of every word of the pages handed out so far, which
 * compilers vectorise; every write kcore makes turns a zero word non-zero
 * or back, so a lone write always changes the sum.
 */
static uint64_t fp_pool_hash(void)
{
	uint64_t sum = 0, x = 0;
	for (uint64_t p = 0; p < fp.pool.bump; p++) {
		const uint64_t *w = hm_phys(fp.m, fp.pool.base + p * FP_PAGE, FP_PAGE);
		for (unsigned i = 0; i < FP_PAGE / 8; i++) {
			sum += w[i];
			x ^= w[i];
		}
	}
	uint64_t h = sum * 0x9e3779b97f4a7c15ull ^ x;
	h = (h ^ fp.pool.bump) * 0x100000001b3ull ^ fp.pool.nfree;
	h = (h ^ fp.pool.free_head) * 0x100000001b3ull ^ fp.nleaves;
	return h * 0x100000001b3ull ^ fp.ntables;
}

static void fp_touch(uint64_t va, uint64_t size)
{
	if (fp.ntouch < FP_MAX_TOUCH)
		fp.touch[fp.ntouch++] = (struct fp_touch){ va, size };
}

static uint64_t fp_rand(void)
{
	fp.rng = fp.rng * 6364136223846793005ull + 1442695040888963407ull;
	return fp.rng >> 33;
}

static void fp_check_addr(uint64_t a)
{
	const struct fp_leaf *l = a < FP_IA_LIMIT ? fp_find(a) : NULL;
	struct hm_walk w;
	struct pgt_leaf pl;
	enum hm_fault f = hm_mmu_walk(fp.m, &fp.ctx, a, &w);
	bool found = pgt_lookup(&fp.t, a, &pl);

	if (!l) {
		if (f != HM_FAULT_TRANSLATION)
			fp_fail("0x%llx is unmapped in the model, the MMU walk gives fault %d",
				(unsigned long long)a, (int)f);
		if (found)
			fp_fail("0x%llx is unmapped in the model, pgt_lookup finds pa 0x%llx",
				(unsigned long long)a, (unsigned long long)pl.pa);
		return;
	}
	uint64_t sz = fp_lsize(l->level), pa = l->pa + (a - l->va);
	if (f != HM_FAULT_NONE)
		fp_fail("0x%llx maps to 0x%llx in the model, the MMU walk faults (%d at level %d)",
			(unsigned long long)a, (unsigned long long)pa, (int)f, w.fault_level);
	if (w.pa != pa || w.leaf_size != sz || w.leaf_level != (int)l->level || !w.r ||
	    w.w != !!(l->prot & PGT_PROT_W) || w.x != !!(l->prot & PGT_PROT_X) ||
	    w.device != !!(l->prot & PGT_PROT_DEVICE))
		fp_fail("0x%llx: model pa 0x%llx level %u prot 0x%x, MMU walk pa 0x%llx level %d "
			"size 0x%llx r%d w%d x%d device %d",
			(unsigned long long)a, (unsigned long long)pa, l->level, l->prot,
			(unsigned long long)w.pa, w.leaf_level, (unsigned long long)w.leaf_size,
			w.r, w.w, w.x, w.device);
	if (!found || pl.pa != pa || pl.level != l->level || pl.prot != l->prot)
		fp_fail("0x%llx: model pa 0x%llx level %u prot 0x%x, pgt_lookup %s pa 0x%llx "
			"level %u prot 0x%x",
			(unsigned long long)a, (unsigned long long)pa, l->level, l->prot,
			found ? "gives" : "finds nothing,", (unsigned long long)pl.pa, pl.level,
			pl.prot);
}

/* The whole tree, entry by entry, against the model. */
static void fp_check_all(void)
{
	uint64_t from = 0, va, desc;
	unsigned level, i = 0;

	while (pgt_next_entry(&fp.t, from, &va, &desc, &level)) {
		kc_paddr_t pa;
		pgt_prot_t prot;
		if (i >= fp.nleaves)
			fp_fail("the tree holds a leaf at 0x%llx the model does not",
				(unsigned long long)va);
		const struct fp_leaf *l = &fp.leaves[i++];
		if (!pgt_decode_leaf(fp.t.fmt, desc, level, &pa, &prot) || va != l->va ||
		    level != l->level || pa != l->pa || prot != l->prot)
			fp_fail("leaf %u: the tree has 0x%llx level %u desc 0x%llx, the model "
				"0x%llx -> 0x%llx level %u prot 0x%x",
				i - 1, (unsigned long long)va, level, (unsigned long long)desc,
				(unsigned long long)l->va, (unsigned long long)l->pa, l->level,
				l->prot);
		from = va + fp_lsize(level);
		if (from >= FP_IA_LIMIT)
			break;
	}
	if (i != fp.nleaves)
		fp_fail("the tree holds %u leaves, the model %u", i, fp.nleaves);
}

static void fp_check_tlb(void)
{
	char why[256];
	if (!hm_tlb_coherent(fp.m, why, sizeof(why)))
		fp_fail("TLB not coherent: %s", why);
}

static void fp_verify(void)
{
	uint64_t n = 0;
	const char *why = pgt_check(&fp.t, &n);

	if (why)
		fp_fail("pgt_check: %s", why);
	if (n != 1 + fp.ntables || pgt_pool_available(&fp.pool) != fp_available())
		fp_fail("pgt_check counts %llu tables, the pool has %llu free, the model expects "
			"%u tables",
			(unsigned long long)n, (unsigned long long)pgt_pool_available(&fp.pool),
			1 + fp.ntables);
	for (unsigned i = 0; i < fp.ntouch; i++) {
		uint64_t a = fp.touch[i].va, sz = fp.touch[i].size;
		fp_check_addr(a);
		fp_check_addr(a - 1);
		fp_check_addr(a + sz / 2);
		fp_check_addr(a + sz - 1);
		fp_check_addr(a + sz);
	}
	fp.ntouch = 0;
	for (unsigned i = 0; i < 3 && fp.nleaves; i++) {
		const struct fp_leaf *l = &fp.leaves[fp_rand() % fp.nleaves];
		fp_check_addr(l->va);
		fp_check_addr(l->va + fp_lsize(l->level) - 1);
	}
	fp_check_addr(fp_rand() % (8 * FP_GIB) & ~7ull);
	fp_check_tlb();
	if (fp.nleaves <= 16)
		fp_check_all();
}

/* Both CPUs cache the translation of `a` (if any), so a missing TLBI shows. */
static void fp_warm(uint64_t a)
{
	struct hm_walk w;
	for (unsigned cpu = 0; cpu < 2; cpu++)
		hm_access(fp.m, cpu, &fp.ctx, a, HM_READ, &w);
}

/* The TLBI log since the last clear: exactly `n` records, the first as given. */
static void fp_expect_tlbi(size_t n, enum hm_tlbi_kind kind, uint64_t addr, uint64_t size)
{
	struct hm_tlbi_rec r[2];
	size_t got = hm_tlbi_log_read(fp.m, r, 2);
	if (got != n)
		fp_fail("%zu TLB invalidations issued, %zu expected", got, n);
	if (!n)
		return;
	uint16_t vmid = fp.t.fmt == PGT_S2 ? fp.t.vmid : 0;
	if (r[0].kind != kind || r[0].vmid != vmid || r[0].addr != addr || r[0].size != size)
		fp_fail("TLBI kind %d vmid %u addr 0x%llx size 0x%llx, expected kind %d vmid %u "
			"addr 0x%llx size 0x%llx",
			(int)r[0].kind, r[0].vmid, (unsigned long long)r[0].addr,
			(unsigned long long)r[0].size, (int)kind, vmid, (unsigned long long)addr,
			(unsigned long long)size);
}

static void fp_expect_rc(const char *what, int rc, int want, uint64_t hash_before)
{
	if (rc != want)
		fp_fail("%s returned %d, the model predicts %d", what, rc, want);
	if (want != KC_OK && fp_pool_hash() != hash_before)
		fp_fail("%s failed (%d) but changed the tables or the pool", what, rc);
}

/* ---- operations ---- */

static void fp_op_map(uint8_t opb)
{
	uint64_t va = fp_addr(), pa = fp_pa();
	unsigned level = fp_level(), missing;
	pgt_prot_t prot = fp_prot();

	if (!(opb & 0x80) && level >= 1 && level <= 3) {
		va &= ~(fp_lsize(level) - 1);
		pa &= ~(fp_lsize(level) - 1);
	}
	int want = fp_predict_map(va, pa, level, prot, &missing);
	if (want == KC_OK && fp.nleaves >= FP_MAX_LEAVES)
		return;
	uint64_t h = want == KC_OK ? 0 : fp_pool_hash();
	fp.op_name = "pgt_map";
	fp_expect_rc("pgt_map", pgt_map(&fp.t, va, pa, level, prot), want, h);
	if (want == KC_OK)
		fp_insert(va, pa, level, prot);
	if (level >= 1 && level <= 3)
		fp_touch(va, fp_lsize(level));
}

static void fp_op_prepare(void)
{
	uint64_t va = fp_addr(), pa = fp_pa();
	unsigned level = fp_level(), missing;
	pgt_prot_t prot = fp_prot();
	struct pgt_prep prep;

	if (level >= 1 && level <= 3) {
		va &= ~(fp_lsize(level) - 1);
		pa &= ~(fp_lsize(level) - 1);
	}
	int want = fp_predict_map(va, pa, level, prot, &missing);
	if (want == KC_OK && fp.nleaves >= FP_MAX_LEAVES)
		return;
	uint64_t h = want == KC_OK ? 0 : fp_pool_hash();
	fp.op_name = "pgt_map_check";
	fp_expect_rc("pgt_map_check", pgt_map_check(&fp.t, va, pa, level, prot), want, h);
	if (want != KC_EINVAL) {
		fp.op_name = "pgt_tables_needed";
		unsigned got = pgt_tables_needed(&fp.t, va, level);
		if (got != (want == KC_EEXIST ? 0 : missing))
			fp_fail("pgt_tables_needed says %u, the model %u", got,
				want == KC_EEXIST ? 0 : missing);
	}
	fp.op_name = "pgt_map_prepare";
	fp_expect_rc("pgt_map_prepare", pgt_map_prepare(&fp.t, va, pa, level, prot, &prep), want,
		     h);
	if (want == KC_OK) {
		fp.op_name = "pgt_map_prepared";
		pgt_map_prepared(&fp.t, &prep, pa, prot);
		fp_insert(va, pa, level, prot);
	}
	if (level >= 1 && level <= 3)
		fp_touch(va, fp_lsize(level));
}

static void fp_op_map_range(void)
{
	uint64_t va = fp_addr(), pa = fp_pa(), size;
	uint8_t b = fp_byte(), c = fp_byte();
	pgt_prot_t prot = fp_prot();

	switch (b & 3) {
	case 0:
		size = (uint64_t)(c % 16 + 1) * FP_PAGE;
		break;
	case 1:
		size = (uint64_t)(c % 4 + 1) * FP_MIB2;
		break;
	case 2:
		size = (uint64_t)(c % 2 + 1) * FP_GIB;
		break;
	default:
		size = c & 1 ? fp_u64() : (uint64_t)c * FP_PAGE;
		break;
	}
	if (b & 4)
		size += (uint64_t)((b >> 3) & 7) * FP_PAGE;
	if (b & 0x40) { /* align to the range's larger pieces */
		va &= ~(FP_MIB2 - 1);
		pa &= ~(FP_MIB2 - 1);
	}

	/* The model: the contract's EINVAL, then piece by piece. */
	int want = KC_OK;
	if (!size || (size & (FP_PAGE - 1)) || va + size < va || va + size > FP_IA_LIMIT ||
	    pa + size < pa || pa + size > FP_IA_LIMIT || ((va | pa) & (FP_PAGE - 1)) ||
	    !fp_prot_ok(prot))
		want = KC_EINVAL;
	struct fp_table need[FP_MAX_TABLES + 1];
	unsigned nneed = 0, pieces = 0;
	for (uint64_t off = 0; want == KC_OK && off < size;) {
		unsigned level = fp_range_level(va + off, pa + off, size - off);
		uint64_t at = va + off, sz = fp_lsize(level);
		if (++pieces + fp.nleaves > FP_MAX_LEAVES)
			return; /* too many leaves for the model: skip */
		if (fp_overlaps(at, sz) || (level < 3 && fp_has_table(level + 1, at))) {
			want = KC_EEXIST;
			break;
		}
		for (unsigned l = 1; l <= level; l++) {
			uint64_t base = at & ~(fp_lsize(l - 1) - 1);
			bool dup = fp_has_table(l, at);
			for (unsigned i = 0; i < nneed && !dup; i++)
				dup = need[i].level == l && need[i].base == base;
			if (!dup && nneed <= FP_MAX_TABLES)
				need[nneed++] = (struct fp_table){ base, l };
		}
		off += sz;
	}
	if (want == KC_OK && nneed > fp_available())
		want = KC_ENOMEM;

	uint64_t h = want == KC_OK ? 0 : fp_pool_hash();
	fp.op_name = "pgt_map_range";
	fp_expect_rc("pgt_map_range", pgt_map_range(&fp.t, va, pa, size, prot), want, h);
	if (want == KC_OK) {
		for (uint64_t off = 0; off < size;) {
			unsigned level = fp_range_level(va + off, pa + off, size - off);
			fp_insert(va + off, pa + off, level, prot);
			off += fp_lsize(level);
		}
	}
	if (size && size < (1ull << 40))
		fp_touch(va, size);
}

static void fp_op_unmap(void)
{
	uint64_t va = fp_addr();
	const struct fp_leaf *l = va < FP_IA_LIMIT ? fp_find(va) : NULL;
	unsigned level = 99;

	if (l)
		fp_warm(va);
	hm_tlbi_log_clear(fp.m);
	uint64_t h = l ? 0 : fp_pool_hash();
	fp.op_name = "pgt_unmap";
	fp_expect_rc("pgt_unmap", pgt_unmap(&fp.t, va, &level), l ? KC_OK : KC_ENOENT, h);
	if (!l) {
		fp_expect_tlbi(0, HM_TLBI_S2_IPA, 0, 0);
		fp_touch(va & ~(FP_PAGE - 1), FP_PAGE);
		return;
	}
	if (level != l->level)
		fp_fail("pgt_unmap reports level %u, the model %u", level, l->level);
	uint64_t base = l->va, sz = fp_lsize(l->level);
	fp_remove(l);
	if (fp.t.fmt == PGT_S2)
		fp_expect_tlbi(1, HM_TLBI_S2_IPA, base, 0);
	else
		fp_expect_tlbi(1, HM_TLBI_EL2_VA, base, 0);
	fp_check_tlb();
	fp_touch(base, sz);
}

/* The model's half of a split: the block at `l` becomes 512 leaves one level down. */
static void fp_model_split(const struct fp_leaf *l)
{
	struct fp_leaf old = *l;
	uint64_t sub = fp_lsize(old.level + 1);

	fp_remove(l);
	for (uint64_t i = 0; i < 512; i++)
		fp_insert(old.va + i * sub, old.pa + i * sub, old.level + 1, old.prot);
}

static void fp_expect_ntlbi(size_t n)
{
	size_t got = hm_tlbi_log_read(fp.m, NULL, 0);
	if (got != n)
		fp_fail("%zu TLB invalidations issued, %zu expected", got, n);
}

/* pgt_split_block: a block becomes a table of the same mappings; anything else is refused. */
static void fp_op_split(void)
{
	uint64_t va = fp_addr();
	const struct fp_leaf *l = va < FP_IA_LIMIT ? fp_find(va) : NULL;
	bool block = l && l->level < 3;
	int want = !block ? KC_ENOENT : fp_available() < 1 ? KC_ENOMEM : KC_OK;

	if (block && fp.nleaves + 511 > FP_MAX_LEAVES)
		return; /* more leaves than the model holds */
	if (block)
		fp_warm(va);
	hm_tlbi_log_clear(fp.m);
	uint64_t h = want ? fp_pool_hash() : 0;
	fp.op_name = "pgt_split_block";
	fp_expect_rc("pgt_split_block", pgt_split_block(&fp.t, va), want, h);
	if (want) {
		fp_expect_ntlbi(0);
		return;
	}
	uint64_t base = l->va, sz = fp_lsize(l->level);
	fp_model_split(l);
	/* Break before make: the block's translation dropped once, before the table. */
	if (fp.t.fmt == PGT_S2)
		fp_expect_tlbi(1, HM_TLBI_S2_IPA, base, 0);
	else
		fp_expect_tlbi(1, HM_TLBI_EL2_VA, base, 0);
	fp_check_tlb();
	fp_touch(base, sz);
}

/* pgt_unmap_page: one 4 KiB page goes, a block around it is split first. */
static void fp_op_unmap_page(void)
{
	uint64_t va = fp_addr();
	const struct fp_leaf *l = va < FP_IA_LIMIT ? fp_find(va) : NULL;

	if (!l) {
		hm_tlbi_log_clear(fp.m);
		uint64_t h = fp_pool_hash();
		fp.op_name = "pgt_unmap_page";
		fp_expect_rc("pgt_unmap_page", pgt_unmap_page(&fp.t, va), KC_ENOENT, h);
		fp_expect_ntlbi(0);
		return;
	}
	unsigned splits = 3 - l->level;
	/* Out of tables it fail-stops by contract (trees sized for pages): not a case to run. */
	if (fp_available() < splits || fp.nleaves + 511 * splits > FP_MAX_LEAVES)
		return;
	uint64_t touched = l->va, tsz = fp_lsize(l->level);
	fp_warm(va);
	hm_tlbi_log_clear(fp.m);
	fp.op_name = "pgt_unmap_page";
	fp_expect_rc("pgt_unmap_page", pgt_unmap_page(&fp.t, va), KC_OK, 0);
	while ((l = fp_find(va))->level < 3)
		fp_model_split(l);
	fp_remove(l);
	fp_expect_ntlbi(splits + 1);
	fp_check_tlb();
	fp_touch(touched, tsz);
}

static void fp_op_unmap_range(void)
{
	uint64_t va = fp_addr() & ~(FP_PAGE - 1), size;
	uint8_t b = fp_byte();

	switch (b & 3) {
	case 0:
		size = (uint64_t)((b >> 2) + 1) * FP_PAGE;
		break;
	case 1:
		size = (uint64_t)((b >> 2) % 8 + 1) * FP_MIB2;
		break;
	case 2:
		size = (uint64_t)((b >> 2) % 4 + 1) * FP_GIB;
		break;
	default: { /* exactly the next few leaves from here */
		int j = va < FP_IA_LIMIT ? fp_floor(va) : (int)fp.nleaves;
		if (j < 0 || (j < (int)fp.nleaves && fp.leaves[j].va < va))
			j++;
		size = FP_PAGE;
		for (int k = j; k < (int)fp.nleaves && k - j <= (b >> 2) % 8; k++)
			size = fp.leaves[k].va + fp_lsize(fp.leaves[k].level) - va;
		break;
	}
	}
	/* pgt_unmap_range's callers never pass a malformed range or split a leaf. */
	if (va >= FP_IA_LIMIT || va + size > FP_IA_LIMIT)
		return;
	const struct fp_leaf *first = fp_find(va), *last = fp_find(va + size - 1);
	if ((first && first->va != va) || (last && last->va + fp_lsize(last->level) != va + size))
		return;

	/* The model's leaves inside; both CPUs cache a few of them. */
	int i = fp_floor(va + size - 1);
	unsigned n = 0;
	while (i >= 0 && fp.leaves[i].va >= va) {
		if (n < 8)
			fp_warm(fp.leaves[i].va);
		n++;
		i--;
	}
	hm_tlbi_log_clear(fp.m);
	fp.op_name = "pgt_unmap_range";
	uint64_t got = pgt_unmap_range(&fp.t, va, size);
	if (got != n)
		fp_fail("pgt_unmap_range removed %llu leaves, the model has %u",
			(unsigned long long)got, n);
	memmove(&fp.leaves[i + 1], &fp.leaves[i + 1 + (int)n],
		(fp.nleaves - (unsigned)(i + 1) - n) * sizeof(fp.leaves[0]));
	fp.nleaves -= n;
	if (fp.t.fmt == PGT_S2)
		fp_expect_tlbi(n ? 1 : 0, HM_TLBI_S2_RANGE, va, size);
	else
		fp_expect_tlbi(n ? 1 : 0, HM_TLBI_EL2_ALL, 0, 0);
	fp_check_tlb();
	fp_touch(va, size);
}

/* VM_RECLAIM's loop: take leaves without TLBI, then one invalidation for all. */
static void fp_op_take(void)
{
	uint64_t from = fp_addr();
	unsigned count = fp_byte() % 4 + 1;

	for (unsigned k = 0; k < count; k++) {
		int i = from < FP_IA_LIMIT ? fp_floor(from) : (int)fp.nleaves;
		if (i >= 0 && i < (int)fp.nleaves &&
		    fp.leaves[i].va + fp_lsize(fp.leaves[i].level) <= from)
			i++; /* ends below `from` */
		if (i < 0)
			i = 0;
		const struct fp_leaf *l = i < (int)fp.nleaves ? &fp.leaves[i] : NULL;
		uint64_t va = 0;
		struct pgt_leaf pl;

		if (l)
			fp_warm(l->va);
		hm_tlbi_log_clear(fp.m);
		fp.op_name = "pgt_take_next";
		bool got = pgt_take_next(&fp.t, from, &va, &pl);
		fp_expect_tlbi(0, HM_TLBI_S2_IPA, 0, 0);
		if (got != !!l)
			fp_fail("pgt_take_next from 0x%llx: %s, the model %s",
				(unsigned long long)from, got ? "found a leaf" : "found none",
				l ? "has one" : "has none");
		if (!l)
			break;
		if (va != l->va || pl.pa != l->pa || pl.level != l->level || pl.prot != l->prot)
			fp_fail("pgt_take_next from 0x%llx gave 0x%llx -> 0x%llx level %u, the "
				"model 0x%llx -> 0x%llx level %u",
				(unsigned long long)from, (unsigned long long)va,
				(unsigned long long)pl.pa, pl.level, (unsigned long long)l->va,
				(unsigned long long)l->pa, l->level);
		fp_touch(l->va, fp_lsize(l->level));
		fp_remove(l);
	}
	/* The caller's one invalidation for the whole batch. */
	if (fp.t.fmt == PGT_S2)
		plat_tlbi_s2_vmid(fp.t.vmid);
	else
		plat_tlbi_el2_all();
}

static void fp_op_access(void)
{
	uint8_t b = fp_byte();
	uint64_t a = fp_addr() + (uint64_t)(b >> 2) * 64;
	unsigned cpu = b & 1;
	enum hm_access_kind kind = (b >> 1) & 1 ? HM_WRITE : (b & 0x80 ? HM_EXEC : HM_READ);
	const struct fp_leaf *l = a < FP_IA_LIMIT ? fp_find(a) : NULL;
	struct hm_walk w;

	fp.op_name = "hm_access";
	enum hm_fault f = hm_access(fp.m, cpu, &fp.ctx, a, kind, &w);
	enum hm_fault want = HM_FAULT_TRANSLATION;
	if (l) {
		bool ok = kind == HM_READ || (kind == HM_WRITE && (l->prot & PGT_PROT_W)) ||
			  (kind == HM_EXEC && (l->prot & PGT_PROT_X));
		want = ok ? HM_FAULT_NONE : HM_FAULT_PERMISSION;
	}
	if (f != want)
		fp_fail("CPU %u access kind %d at 0x%llx: fault %d, the model expects %d", cpu,
			(int)kind, (unsigned long long)a, (int)f, (int)want);
	if (l && f == HM_FAULT_NONE && w.pa != l->pa + (a - l->va))
		fp_fail("CPU %u access at 0x%llx reached pa 0x%llx, the model 0x%llx", cpu,
			(unsigned long long)a, (unsigned long long)w.pa,
			(unsigned long long)(l->pa + (a - l->va)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hm_machine *m;
	struct hm_config cfg = {
		.ram_base = FP_RAM_BASE,
		.ram_size = FP_RAM_SIZE,
		.ncpus = 2,
		.rng_seed = 1,
	};

	memset(&fp, 0, sizeof(fp));
	fp.in = data;
	fp.left = size;
	/*
	 * One machine for the process: the tree's pages are zeroed when the
	 * pool hands them out and the TLBs and the log are emptied here, so
	 * nothing from an earlier input can be seen.
	 */
	if (!m && hm_machine_create(&cfg, &m))
		fp_fail("hm_machine_create: %s", hm_last_error());
	fp.m = m;
	hm_machine_select(m);
	hm_tlb_reset(m);
	hm_tlbi_log_clear(m);

	uint8_t h0 = fp_byte(), h1 = fp_byte();
	fp.npages = 2 + h0 % (FP_MAX_POOL - 1);
	fp.rng = h1;
	pgt_pool_init(&fp.pool, FP_POOL_BASE, fp.npages);
	enum pgt_format fmt = (h1 & 3) == 3 ? PGT_S1_EL2 : PGT_S2;
	if (pgt_init(&fp.t, fmt, fmt == PGT_S2 ? 1 : 0, &fp.pool) != KC_OK)
		fp_fail("pgt_init with %llu pages failed", (unsigned long long)fp.npages);
	fp.ctx = fmt == PGT_S2 ? hm_ctx_s2(1, fp.t.root) : hm_ctx_el2(fp.t.root, PGT_MAIR_EL2);

	for (fp.op = 0; fp.left && fp.op < FP_MAX_OPS; fp.op++) {
		uint8_t opb = fp_byte();
		fp.op_name = NULL;
		switch (opb % 12) {
		case 0:
		case 1:
			fp_op_map(opb);
			break;
		case 2:
			fp_op_map_range();
			break;
		case 3:
		case 4:
			fp_op_unmap();
			break;
		case 5:
			fp_op_unmap_range();
			break;
		case 6:
			fp_op_prepare();
			break;
		case 7:
			fp_op_take();
			break;
		case 10:
			fp_op_split();
			break;
		case 11:
			fp_op_unmap_page();
			break;
		default:
			fp_op_access();
			break;
		}
		fp_verify();
	}
	fp.op_name = "end";
	fp_check_all();
	pgt_destroy(&fp.t);
	if (pgt_pool_available(&fp.pool) != fp.npages)
		fp_fail("pgt_destroy left %llu of %llu pool pages free",
			(unsigned long long)pgt_pool_available(&fp.pool),
			(unsigned long long)fp.npages);
	return 0;
}
