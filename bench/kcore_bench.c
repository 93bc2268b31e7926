/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore-bench: the hot paths of kcore on the hosted model, each timed next
 * to a yardstick measured in the same run on the same arena memory
 * (docs/BENCHMARKS.md says what every figure means).  Three modes:
 *
 *   kcore-bench [--reps N]        timed figures, one "name value" per line
 *   kcore-bench --smoke           the same with tiny sizes (a meson test:
 *                                 keeps the bench from rotting, times nothing)
 *   kcore-bench --cg OP --ops N [--config base|vms|ram]
 *                                 set up, then do N operations OP, each through
 *                                 a bench_cg_* wrapper, for
 *                                 valgrind --tool=callgrind --toggle-collect
 *
 * The benchmark plays the host through the ABI (kcore_host_call and
 * kcore_host_fault as CPU 0).  One shortcut: VM_MAP_FAULT backs the fault
 * kcore recorded for the vCPU, and getting one recorded means a guest run
 * per page; the first fault is a real guest trap, later ones are written
 * into the vCPU's record (core/state.h) with that trap's ESR, so the loop
 * times VM_MAP_FAULT and not the guest model.
 */
#include "../core/state.h"

#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/kcore.h>
#include <kcore/manifest.h>
#include <kcore_hosted/boot.h>
#include <kcore_hosted/guest.h>
#include <kcore_hosted/machine.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if BENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION ((void)0)
#define CALLGRIND_STOP_INSTRUMENTATION	((void)0)
#endif

#define BM_RAM_BASE   0x40000000ull
#define BM_HOST_FIRST (BM_RAM_BASE + (8ull << 20)) /* above the model's kcore image */
#define BM_IMG_IPA    0x80000000ull		   /* boot images */
#define BM_DATA_IPA   0x100000000ull		   /* faulted-in memory, 1 GiB aligned */
#define BM_2M	      (2ull << 20)
#define BM_IOVA	      0x100000ull /* figure 10: the host's DMA buffer */
#define BM_1G	      (1ull << 30)
#define BM_PAGES_2M   512u

/* Everything a run needs; one machine at a time (core has one `kc`). */
struct bm {
	struct hm_machine *m;
	uint64_t ram_size;
	uint64_t next_pfn; /* bump allocator of host frames */
	uint64_t end_pfn;  /* kcore's pool starts here */
	uint64_t next_ipa; /* fresh 2 MiB regions of the data area */
	uint64_t esr;	   /* a real stage-2 translation fault's ESR_EL2 */
	br_ec_private_key sk;
	unsigned char sk_buf[32], pub[65];
};

static bool bm_smoke;
static unsigned bm_reps = 11;

_Noreturn static void bm_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void bm_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kcore-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double bm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bm_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double bm_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bm_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Keep the compiler from dropping a yardstick memset it can prove dead. */
static void bm_clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static void bm_out(const char *name, double value)
{
	printf("%s %.6g\n", name, value);
	fflush(stdout);
}

/* ---- the measured operations: callgrind counts exactly these ---------- */

/*
 * External and never inlined, so that --toggle-collect=bench_cg_* finds
 * them (a clone gcc makes keeps the prefix).  Each is one operation.
 */
void bench_cg_call(struct kc_hcall *h);
int bench_cg_host_fault(uint64_t pa);

__attribute__((noinline)) void bench_cg_call(struct kc_hcall *h)
{
	kcore_host_call(h);
}

__attribute__((noinline)) int bench_cg_host_fault(uint64_t pa)
{
	return kcore_host_fault(pa, true);
}

/* ---- the machine, the host's side ------------------------------------- */

static void bm_key(struct bm *b)
{
	br_hmac_drbg_context rng;
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	uint32_t seed = 5;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, &seed, sizeof(seed));
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &b->sk, kbuf, BR_EC_secp256r1) != 32)
		bm_die("key generation failed");
	memcpy(b->sk_buf, kbuf, 32);
	b->sk.x = b->sk_buf;
	if (br_ec_compute_pub(&br_ec_p256_m31, &pk, b->pub, &b->sk) != 65)
		bm_die("public key computation failed");
}

static void bm_create(struct bm *b, uint64_t ram_size, unsigned max_vms, unsigned vm_pool_pages,
		      uint64_t remap_pages)
{
	struct hm_config mc = {
		.ram_base = BM_RAM_BASE,
		.ram_size = ram_size,
		.ncpus = 1, /* a TLBI in the model visits every CPU's TLB: keep it one */
		.rng_seed = 1,
		.nsmmus = 1, /* figure 10: one SMMU, one IO domain */
	};
	struct kc_config cfg = {
		.max_vms = max_vms,
		.vm_pool_pages = vm_pool_pages,
		.remap_pages = remap_pages,
		.max_iodoms = 1,
		.iodom_pool_pages = 8,
		.ntrusted_keys = 1,
	};

	memset(b, 0, sizeof(*b));
	bm_key(b);
	memcpy(cfg.trusted_keys[0], b->pub, 65);
	if (hm_machine_create(&mc, &b->m))
		bm_die("machine: %s", hm_last_error());
	int rc = hm_kcore_boot(b->m, &cfg);
	if (rc != KC_OK)
		bm_die("kcore boot: %s", kcore_err_name(rc));
	b->ram_size = ram_size;
	b->next_pfn = BM_HOST_FIRST >> PGT_PAGE_SHIFT;
	b->end_pfn = hm_kcore_pool(b->m).base >> PGT_PAGE_SHIFT;
	b->next_ipa = BM_DATA_IPA;
}

static void bm_destroy(struct bm *b)
{
	hm_machine_destroy(b->m);
	b->m = NULL;
}

struct bm_trampoline {
	struct bm *b;
	void (*fn)(struct bm *);
};

static void bm_on_cpu0(unsigned cpu, void *arg)
{
	struct bm_trampoline *t = arg;
	(void)cpu;
	t->fn(t->b);
}

/* Run fn as CPU 0, so it may call kcore's entry points directly. */
static void bm_run(struct bm *b, void (*fn)(struct bm *))
{
	struct bm_trampoline t = { b, fn };
	if (hm_cpu_run(b->m, 0, bm_on_cpu0, &t))
		bm_die("hm_cpu_run failed");
}

static int bm_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t r[3])
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, 0, 0 } };

	kcore_host_call(&h);
	if (r)
		memcpy(r, &h.x[1], 3 * sizeof(uint64_t));
	return (int)(int64_t)h.x[0];
}

static void bm_ok(int rc, const char *what)
{
	if (rc != KC_OK)
		bm_die("%s: %s", what, kcore_err_name(rc));
}

/* `n` fresh host frames, the first aligned to `align` frames. */
static uint64_t bm_frames(struct bm *b, uint64_t n, uint64_t align)
{
	uint64_t pfn = (b->next_pfn + align - 1) & ~(align - 1);

	if (pfn + n > b->end_pfn)
		bm_die("out of host frames (RAM too small for this run)");
	b->next_pfn = pfn + n;
	return pfn;
}

static uint8_t *bm_mem(struct bm *b, uint64_t pfn, uint64_t pages)
{
	uint8_t *p = hm_phys(b->m, pfn << PGT_PAGE_SHIFT, pages << PGT_PAGE_SHIFT);
	if (!p)
		bm_die("frame 0x%" PRIx64 " is not RAM", pfn);
	return p;
}

/* The host touches the frames: its stage 2 maps them (so giving them away unmaps). */
static void bm_host_map(uint64_t pfn, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bm_ok(kcore_host_fault((pfn + i) << PGT_PAGE_SHIFT, true), "host fault");
}

static void bm_pattern(uint8_t *p, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		memset(p + (i << PGT_PAGE_SHIFT), (int)(i * 7 + 1) & 0xff, PGT_PAGE_SIZE);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A signed manifest (docs/MANIFEST.md) for one image, in a fresh host frame. */
static uint64_t bm_manifest(struct bm *b, uint64_t base, uint64_t pages, const uint8_t sha[32],
			    uint8_t digest_out[32], uint8_t sig_out[64])
{
	uint64_t pfn = bm_frames(b, 1, 1);
	uint8_t *out = bm_mem(b, pfn, 1);
	size_t len = KC_MANIFEST_HEADER_SIZE + KC_MANIFEST_IMAGE_SIZE;
	uint8_t digest[32];
	br_sha256_context c;

	memset(out, 0, PGT_PAGE_SIZE);
	memcpy(out, KC_MANIFEST_MAGIC, 8);
	out[8] = KC_MANIFEST_VERSION;
	out[12] = 1;
	put64(out + 16, base);
	put64(out + KC_MANIFEST_HEADER_SIZE, base);
	put64(out + KC_MANIFEST_HEADER_SIZE + 8, pages << PGT_PAGE_SHIFT);
	memcpy(out + KC_MANIFEST_HEADER_SIZE + 16, sha, 32);
	br_sha256_init(&c);
	br_sha256_update(&c, out, len);
	br_sha256_out(&c, digest);
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &b->sk, out + len) !=
	    64)
		bm_die("signing the manifest failed");
	if (digest_out)
		memcpy(digest_out, digest, 32);
	if (sig_out)
		memcpy(sig_out, out + len, 64);
	return pfn;
}

/* VM_CREATE, VCPU_CREATE 0, one image of `pages` frames from `pfn` loaded. */
static uint64_t bm_vm_loaded(uint64_t pfn, uint64_t pages)
{
	uint64_t r[3];

	bm_ok(bm_call(KC_HC_VM_CREATE, 0, 0, 0, 0, r), "VM_CREATE");
	uint64_t vmid = r[0];
	bm_ok(bm_call(KC_HC_VCPU_CREATE, vmid, 0, 0, 0, NULL), "VCPU_CREATE");
	bm_ok(bm_call(KC_HC_VM_SET_IMAGE, vmid, BM_IMG_IPA, pages << PGT_PAGE_SHIFT, 0, r),
	      "VM_SET_IMAGE");
	for (uint64_t i = 0; i < pages; i++)
		bm_ok(bm_call(KC_HC_VM_LOAD_IMAGE_PAGE, vmid, r[0], pfn + i, 0, NULL),
		      "VM_LOAD_IMAGE_PAGE");
	return vmid;
}

static void bm_sha256(const void *p, size_t len, uint8_t out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, p, len);
	br_sha256_out(&c, out);
}

/* A VERIFIED VM with a one-page image, and a real fault recorded for vCPU 0. */
static uint64_t bm_vm(struct bm *b)
{
	uint64_t img = bm_frames(b, 1, 1);
	uint8_t sha[32], *p = bm_mem(b, img, 1);

	bm_pattern(p, 1);
	bm_sha256(p, PGT_PAGE_SIZE, sha);
	uint64_t vmid = bm_vm_loaded(img, 1);
	uint64_t man = bm_manifest(b, BM_IMG_IPA, 1, sha, NULL, NULL);
	bm_ok(bm_call(KC_HC_VM_VERIFY, vmid, man, 0, 0, NULL), "VM_VERIFY");

	/* A real guest load from unbacked memory: kcore records the fault. */
	const struct hm_guest_op prog[] = {
		{ HM_GOP_LOAD, 1, 8, BM_DATA_IPA - PGT_PAGE_SIZE, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	if (hm_guest_program(b->m, (uint16_t)vmid, 0, BM_IMG_IPA, prog, 2))
		bm_die("guest program refused");
	uint64_t r[3];
	bm_ok(bm_call(KC_HC_VCPU_RUN, vmid, 0, KC_RUN_RESUME, 0, r), "VCPU_RUN");
	if (KC_EXIT_KIND(r[0]) != KC_EXIT_FAULT || r[1] != BM_DATA_IPA - PGT_PAGE_SIZE)
		bm_die("the guest did not fault where it should");
	b->esr = kc.vms[vmid].vcpus[0].fault_esr;
	return vmid;
}

/* What a guest trap at `ipa` leaves behind (see the top of the file). */
static void bm_pend(struct bm *b, uint64_t vmid, uint64_t ipa)
{
	struct kc_vcpu *v = &kc.vms[vmid].vcpus[0];

	v->pending = PENDING_FAULT;
	v->fault_ipa = ipa;
	v->fault_esr = b->esr;
}

static void bm_map_fault(struct bm *b, uint64_t vmid, uint64_t ipa, uint64_t pfn, unsigned level)
{
	struct kc_hcall h = { { KC_HC_VM_MAP_FAULT, vmid, 0, pfn, level, 0, 0 } };

	bm_pend(b, vmid, ipa);
	bench_cg_call(&h);
	if (h.x[0])
		bm_die("VM_MAP_FAULT: %s", kcore_err_name((int)(int64_t)h.x[0]));
}

/* Unmeasured twin of bm_map_fault (warm-ups: not through bench_cg_*). */
static void bm_map_fault_quiet(struct bm *b, uint64_t vmid, uint64_t ipa, uint64_t pfn,
			       unsigned level)
{
	bm_pend(b, vmid, ipa);
	bm_ok(bm_call(KC_HC_VM_MAP_FAULT, vmid, 0, pfn, level, NULL), "VM_MAP_FAULT");
}

static uint64_t bm_region(struct bm *b)
{
	uint64_t ipa = b->next_ipa;
	b->next_ipa += BM_2M;
	return ipa;
}

static void bm_vm_free(uint64_t vmid)
{
	uint64_t r[3];

	bm_ok(bm_call(KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), "VM_POWEROFF");
	bm_ok(bm_call(KC_HC_VM_RECLAIM, vmid, 1ull << 40, 0, 0, r), "VM_RECLAIM");
	if (r[0])
		bm_die("VM_RECLAIM left %" PRIu64 " frames", r[0]);
	bm_ok(bm_call(KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), "VM_DESTROY");
}

/* ---- the figures ------------------------------------------------------- */

/*
 * Fault-in of 4 KiB pages, tables warm: page 0 of each 2 MiB region is
 * faulted in first (that one allocates the L3 table, and is timed on its
 * own as the cold case), then pages 1..511 are timed.  The host had mapped
 * every frame, so each fault-in also unmaps it from the host and
 * invalidates.  Yardstick: memset of 4 KiB on the same frames.
 */
struct bm_per_page {
	double warm_ns, cold_ns, memset_ns;
};

static struct bm_per_page bm_fault4k(struct bm *b, uint64_t vmid, unsigned regions)
{
	double *warm = calloc(bm_reps, sizeof(double)), *cold = calloc(bm_reps, sizeof(double));
	double *ms = calloc(bm_reps, sizeof(double));
	unsigned n = regions * (BM_PAGES_2M - 1);

	for (unsigned rep = 0; rep < bm_reps; rep++) {
		uint64_t pfn = bm_frames(b, (uint64_t)regions * BM_PAGES_2M, BM_PAGES_2M);
		uint8_t *p = bm_mem(b, pfn, (uint64_t)regions * BM_PAGES_2M);
		uint64_t ipa[64];

		memset(p, 1, (uint64_t)regions * BM_2M); /* the host's memory is resident */
		bm_host_map(pfn, (uint64_t)regions * BM_PAGES_2M);
		double t0 = bm_now_ns();
		for (unsigned r = 0; r < regions; r++)
			for (unsigned i = 1; i < BM_PAGES_2M; i++)
				memset(p + ((uint64_t)r * BM_2M) + ((uint64_t)i << PGT_PAGE_SHIFT),
				       0, PGT_PAGE_SIZE);
		bm_clobber(p);
		ms[rep] = (bm_now_ns() - t0) / n;
		t0 = bm_now_ns();
		for (unsigned r = 0; r < regions; r++) {
			ipa[r] = bm_region(b);
			bm_map_fault(b, vmid, ipa[r], pfn + (uint64_t)r * BM_PAGES_2M, 3);
		}
		cold[rep] = (bm_now_ns() - t0) / regions;
		t0 = bm_now_ns();
		for (unsigned r = 0; r < regions; r++)
			for (unsigned i = 1; i < BM_PAGES_2M; i++)
				bm_map_fault(b, vmid, ipa[r] + ((uint64_t)i << PGT_PAGE_SHIFT),
					     pfn + (uint64_t)r * BM_PAGES_2M + i, 3);
		warm[rep] = (bm_now_ns() - t0) / n;
	}
	struct bm_per_page res = { bm_median(warm, bm_reps), bm_median(cold, bm_reps),
				   bm_median(ms, bm_reps) };
	free(warm);
	free(cold);
	free(ms);
	return res;
}

/*
 * Host stage-2 faults.  Cold: the first touch of a 2 MiB run of host frames,
 * which maps the whole run as one block (core/hostmem.c).  Warm: 4 KiB
 * faults in runs the host cannot have as a block (a VM took frame 0), the
 * run's last-level table already there (page 1 first, unmeasured).
 */
#define BM_HOSTFAULT_WARM_PER_RUN (BM_PAGES_2M - 2)

/*
 * A VM takes frame 0 of each of the `regions` runs from `pfn`, at IPAs from
 * `ipa` (one VM table serves many runs), then the host faults in page 1.
 */
static void bm_hostfault_mixed(struct bm *b, uint64_t vmid, uint64_t ipa, uint64_t pfn,
			       uint64_t regions)
{
	for (uint64_t r = 0; r < regions; r++) {
		bm_map_fault_quiet(b, vmid, ipa + (r << PGT_PAGE_SHIFT), pfn + r * BM_PAGES_2M, 3);
		bm_ok(kcore_host_fault((pfn + r * BM_PAGES_2M + 1) << PGT_PAGE_SHIFT, true),
		      "host fault");
	}
}

static struct bm_per_page bm_hostfault(struct bm *b, uint64_t vmid, unsigned regions)
{
	double *warm = calloc(bm_reps, sizeof(double)), *cold = calloc(bm_reps, sizeof(double));
	unsigned n = regions * BM_HOSTFAULT_WARM_PER_RUN;
	uint64_t ipa = bm_region(b);

	if ((uint64_t)regions * bm_reps > BM_PAGES_2M)
		bm_die("bm_hostfault: %u runs x %u repetitions do not fit one VM table", regions,
		       bm_reps);
	for (unsigned rep = 0; rep < bm_reps; rep++) {
		uint64_t pfn = bm_frames(b, (uint64_t)regions * BM_PAGES_2M, BM_PAGES_2M);
		double t0 = bm_now_ns();
		for (unsigned r = 0; r < regions; r++)
			bm_ok(bench_cg_host_fault((pfn + (uint64_t)r * BM_PAGES_2M)
						  << PGT_PAGE_SHIFT),
			      "host fault");
		cold[rep] = (bm_now_ns() - t0) / regions;
		pfn = bm_frames(b, (uint64_t)regions * BM_PAGES_2M, BM_PAGES_2M);
		bm_hostfault_mixed(b, vmid, ipa + ((uint64_t)rep * regions << PGT_PAGE_SHIFT), pfn,
				   regions);
		t0 = bm_now_ns();
		for (unsigned r = 0; r < regions; r++)
			for (unsigned i = 2; i < BM_PAGES_2M; i++)
				bm_ok(bench_cg_host_fault((pfn + (uint64_t)r * BM_PAGES_2M + i)
							  << PGT_PAGE_SHIFT),
				      "host fault");
		warm[rep] = (bm_now_ns() - t0) / n;
	}
	struct bm_per_page res = { bm_median(warm, bm_reps), bm_median(cold, bm_reps), 0 };
	free(warm);
	free(cold);
	return res;
}

static double bm_nullcall(unsigned calls)
{
	double *t = calloc(bm_reps, sizeof(double));

	for (unsigned rep = 0; rep < bm_reps; rep++) {
		double t0 = bm_now_ns();
		for (unsigned i = 0; i < calls; i++) {
			struct kc_hcall h = { { KC_HC_VERSION, 0, 0, 0, 0, 0, 0 } };
			bench_cg_call(&h);
			if (h.x[0])
				bm_die("VERSION failed");
		}
		t[rep] = (bm_now_ns() - t0) / calls;
	}
	double res = bm_median(t, bm_reps);
	free(t);
	return res;
}

/*
 * Figure 10: IODOM_MAP + IODOM_UNMAP of one 4 KiB host frame in the host's
 * IO domain (stream 0 attached), the unmap with its IOTLB invalidation.
 * The domain's tables exist (a neighbour page stays mapped), as for a
 * driver that maps and unmaps its buffers over and over.  Returns the
 * domain; *iova and *pa are what the loop maps.
 */
static uint64_t bm_smmu_setup(struct bm *b, uint64_t *iova, uint64_t *pa)
{
	uint64_t r[3], pfn = bm_frames(b, 2, 1);
	struct kc_hcall h = { { KC_HC_IODOM_MAP, 0, BM_IOVA + PGT_PAGE_SIZE,
				(pfn + 1) << PGT_PAGE_SHIFT, 1, KC_IO_R | KC_IO_W, 0 } };

	bm_ok(bm_call(KC_HC_IODOM_ALLOC, 0, 0, 0, 0, r), "IODOM_ALLOC");
	bm_ok(bm_call(KC_HC_IODOM_ATTACH, r[0], 0, 0, 0, NULL), "IODOM_ATTACH");
	h.x[1] = r[0];
	kcore_host_call(&h);
	bm_ok((int)(int64_t)h.x[0], "IODOM_MAP");
	*iova = BM_IOVA;
	*pa = pfn << PGT_PAGE_SHIFT;
	return r[0];
}

static void bm_smmu_map_unmap(uint64_t dom, uint64_t iova, uint64_t pa)
{
	struct kc_hcall m = { { KC_HC_IODOM_MAP, dom, iova, pa, 1, KC_IO_R | KC_IO_W, 0 } };
	struct kc_hcall u = { { KC_HC_IODOM_UNMAP, dom, iova, 1, 0, 0, 0 } };

	bench_cg_call(&m);
	bench_cg_call(&u);
	if (m.x[0] || u.x[0])
		bm_die("IODOM_MAP/UNMAP: %s", kcore_err_name((int)(int64_t)(m.x[0] | u.x[0])));
}

static void bm_smmu_teardown(uint64_t dom)
{
	bm_ok(bm_call(KC_HC_IODOM_DETACH, dom, 0, 0, 0, NULL), "IODOM_DETACH");
	bm_ok(bm_call(KC_HC_IODOM_FREE, dom, 0, 0, 0, NULL), "IODOM_FREE");
}

static double bm_smmu(struct bm *b, unsigned n)
{
	double *t = calloc(bm_reps, sizeof(double));
	uint64_t iova, pa, dom = bm_smmu_setup(b, &iova, &pa);

	for (unsigned rep = 0; rep < bm_reps; rep++) {
		double t0 = bm_now_ns();
		for (unsigned i = 0; i < n; i++)
			bm_smmu_map_unmap(dom, iova, pa);
		t[rep] = (bm_now_ns() - t0) / n;
	}
	bm_smmu_teardown(dom);
	double res = bm_median(t, bm_reps);
	free(t);
	return res;
}

/* 2 MiB block fault-in next to memset of the same 2 MiB; host-mapped or not. */
static void bm_fault2m(struct bm *b, uint64_t vmid, bool host_mapped, const char *name)
{
	double *t = calloc(bm_reps, sizeof(double)), *ms = calloc(bm_reps, sizeof(double));
	char key[80];

	for (unsigned rep = 0; rep < bm_reps; rep++) {
		uint64_t pfn = bm_frames(b, BM_PAGES_2M, BM_PAGES_2M);
		uint8_t *p = bm_mem(b, pfn, BM_PAGES_2M);

		memset(p, 1, BM_2M);
		if (host_mapped)
			bm_host_map(pfn, BM_PAGES_2M);
		double t0 = bm_now_ns();
		memset(p, 0, BM_2M);
		bm_clobber(p);
		ms[rep] = bm_now_ns() - t0;
		uint64_t ipa = bm_region(b);
		t0 = bm_now_ns();
		bm_map_fault(b, vmid, ipa, pfn, 2);
		t[rep] = bm_now_ns() - t0;
	}
	double tm = bm_median(t, bm_reps), mm = bm_median(ms, bm_reps);
	snprintf(key, sizeof(key), "%s_ns", name);
	bm_out(key, tm);
	snprintf(key, sizeof(key), "%s_memset_ns", name);
	bm_out(key, mm);
	snprintf(key, sizeof(key), "%s_ratio", name);
	bm_out(key, tm / mm);
	free(t);
	free(ms);
}

/*
 * VM_RECLAIM of a VM holding `bytes` in 2 MiB blocks: kcore scrubs every
 * frame.  Yardsticks on the same memory: one memset over all of it,
 * memset 4 KiB at a time (what a per-frame scrub can at best do), and 2 MiB
 * at a time (what scrubbing a block in one go would do).
 */
static void bm_reclaim(struct bm *b, uint64_t bytes)
{
	uint64_t blocks = bytes / BM_2M, pages = bytes >> PGT_PAGE_SHIFT;
	uint64_t pfn = bm_frames(b, pages, BM_PAGES_2M);
	uint8_t *p = bm_mem(b, pfn, pages);
	double *t = calloc(bm_reps, sizeof(double)), *ms = calloc(bm_reps, sizeof(double));
	double *ms4k = calloc(bm_reps, sizeof(double)), *ms2m = calloc(bm_reps, sizeof(double));

	memset(p, 1, bytes); /* resident, as a guest's memory is */
	for (unsigned rep = 0; rep < bm_reps; rep++) {
		uint64_t vmid = bm_vm(b), r[3];
		uint64_t tables0 = pgt_count_tables(&kc.vms[vmid].s2);
		for (uint64_t i = 0; i < blocks; i++)
			bm_map_fault_quiet(b, vmid, BM_DATA_IPA + i * BM_2M, pfn + i * BM_PAGES_2M,
					   2);
		if (rep == 0) /* page-table bytes per GiB, 2 MiB blocks */
			bm_out("pgt_bytes_per_gib_2m",
			       (double)(pgt_count_tables(&kc.vms[vmid].s2) - tables0) *
				       PGT_PAGE_SIZE * (double)BM_1G / (double)bytes);
		memset(p, 0x5a, bytes); /* the guest wrote it all: scrubbing has work */
		bm_ok(bm_call(KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), "VM_POWEROFF");
		double t0 = bm_now_ns();
		bm_ok(bm_call(KC_HC_VM_RECLAIM, vmid, 1ull << 40, 0, 0, r), "VM_RECLAIM");
		t[rep] = bm_now_ns() - t0;
		if (r[0] || p[bytes - 1] || p[0])
			bm_die("VM_RECLAIM left frames or did not scrub");
		bm_ok(bm_call(KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), "VM_DESTROY");
		memset(p, 0x5a, bytes);
		t0 = bm_now_ns();
		memset(p, 0, bytes);
		bm_clobber(p);
		ms[rep] = bm_now_ns() - t0;
		memset(p, 0x5a, bytes);
		t0 = bm_now_ns();
		for (uint64_t i = 0; i < pages; i++)
			memset(p + (i << PGT_PAGE_SHIFT), 0, PGT_PAGE_SIZE);
		bm_clobber(p);
		ms4k[rep] = bm_now_ns() - t0;
		memset(p, 0x5a, bytes);
		t0 = bm_now_ns();
		for (uint64_t i = 0; i < blocks; i++)
			memset(p + i * BM_2M, 0, BM_2M);
		bm_clobber(p);
		ms2m[rep] = bm_now_ns() - t0;
	}
	double tr = bm_median(t, bm_reps), tm = bm_median(ms, bm_reps);
	double tm4 = bm_median(ms4k, bm_reps), tm2 = bm_median(ms2m, bm_reps);
	bm_out("reclaim_bytes", (double)bytes);
	bm_out("reclaim_gbps", (double)bytes / tr);
	bm_out("reclaim_memset_gbps", (double)bytes / tm);
	bm_out("reclaim_memset4k_gbps", (double)bytes / tm4);
	bm_out("reclaim_memset2m_gbps", (double)bytes / tm2);
	bm_out("reclaim_ratio", tm / tr);
	bm_out("reclaim_ratio_4k", tm4 / tr);
	free(t);
	free(ms);
	free(ms4k);
	free(ms2m);
}

/*
 * VM_VERIFY of one image of `bytes`: hashing throughput is the image size
 * over (VM_VERIFY time - one ECDSA P-256 verify), next to BearSSL's
 * SHA-256 run over the same frames (contiguous in the arena) in the same
 * repetition.
 */
static void bm_verify(struct bm *b, uint64_t bytes)
{
	uint64_t pages = bytes >> PGT_PAGE_SHIFT;
	uint64_t pfn = bm_frames(b, pages, BM_PAGES_2M);
	uint8_t *p = bm_mem(b, pfn, pages), sha[32], digest[32], sig[64], out[32];
	double *t = calloc(bm_reps, sizeof(double)), *ts = calloc(bm_reps, sizeof(double));
	unsigned necdsa = bm_smoke ? 3 : 31;
	double *te = calloc(necdsa, sizeof(double));

	bm_pattern(p, pages);
	bm_sha256(p, bytes, sha);
	for (unsigned rep = 0; rep < bm_reps; rep++) {
		if (rep)
			bm_pattern(p, pages); /* VM_RECLAIM scrubbed it */
		uint64_t vmid = bm_vm_loaded(pfn, pages);
		uint64_t man = bm_manifest(b, BM_IMG_IPA, pages, sha, digest, sig);
		double t0 = bm_now_ns();
		bm_ok(bm_call(KC_HC_VM_VERIFY, vmid, man, 0, 0, NULL), "VM_VERIFY");
		t[rep] = bm_now_ns() - t0;
		t0 = bm_now_ns();
		bm_sha256(p, bytes, out);
		ts[rep] = bm_now_ns() - t0;
		if (memcmp(out, sha, 32))
			bm_die("the image changed under VM_VERIFY");
		bm_vm_free(vmid);
	}
	for (unsigned i = 0; i < necdsa; i++) {
		double t0 = bm_now_ns();
		if (!crypto_p256_verify(b->pub, digest, sig))
			bm_die("the manifest signature does not verify");
		te[i] = bm_now_ns() - t0;
	}
	double tv = bm_median(t, bm_reps), tsha = bm_median(ts, bm_reps);
	double tecdsa = bm_median(te, necdsa);
	bm_out("verify_bytes", (double)bytes);
	bm_out("verify_ms", tv / 1e6);
	bm_out("ecdsa_verify_us", tecdsa / 1e3);
	bm_out("verify_hash_mbps", (double)bytes / (tv - tecdsa) * 1e3);
	bm_out("bearssl_sha256_mbps", (double)bytes / tsha * 1e3);
	bm_out("verify_hash_ratio", tsha / (tv - tecdsa));
	free(t);
	free(ts);
	free(te);
}

/*
 * Page-table bytes per GiB of VM memory mapped with 4 KiB pages (every
 * table the VM's stage 2 gained), and of the host's stage 2 per GiB the
 * host touched; then VM_RECLAIM of that 4 KiB-mapped memory, timed.
 */
static void bm_tables_4k(struct bm *b, uint64_t bytes)
{
	uint64_t pages = bytes >> PGT_PAGE_SHIFT;
	uint64_t pfn = bm_frames(b, pages, BM_PAGES_2M);
	uint8_t *p = bm_mem(b, pfn, pages);
	uint64_t r[3];

	memset(p, 0x5a, bytes);
	uint64_t h0 = pgt_count_tables(&kc.host_s2);
	bm_host_map(pfn, pages);
	bm_out("host_pgt_bytes_per_gib", (double)(pgt_count_tables(&kc.host_s2) - h0) *
						 PGT_PAGE_SIZE * (double)BM_1G / (double)bytes);
	uint64_t vmid = bm_vm(b);
	uint64_t t0s = pgt_count_tables(&kc.vms[vmid].s2);
	for (uint64_t i = 0; i < pages; i++)
		bm_map_fault_quiet(b, vmid, BM_DATA_IPA + (i << PGT_PAGE_SHIFT), pfn + i, 3);
	bm_out("pgt_bytes_per_gib_4k", (double)(pgt_count_tables(&kc.vms[vmid].s2) - t0s) *
					       PGT_PAGE_SIZE * (double)BM_1G / (double)bytes);
	bm_ok(bm_call(KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), "VM_POWEROFF");
	double t0 = bm_now_ns();
	bm_ok(bm_call(KC_HC_VM_RECLAIM, vmid, 1ull << 40, 0, 0, r), "VM_RECLAIM");
	double t = bm_now_ns() - t0;
	if (r[0])
		bm_die("VM_RECLAIM left frames");
	bm_ok(bm_call(KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), "VM_DESTROY");
	bm_out("reclaim4k_gbps", (double)bytes / t);
}

/*
 * Export and import (docs/EXPORT.md) of a paused VM with `bytes` of memory
 * (2 MiB blocks), each timed over its page records, next to BearSSL's
 * ChaCha20-Poly1305 (the same implementations kcore uses) sealing the same
 * bytes 4 KiB at a time with the same 32-byte AAD, in the same repetition.
 * Frames come back after every repetition and are used again.
 */
static void bm_export(struct bm *b, uint64_t bytes)
{
	uint64_t blocks = bytes / BM_2M, pages = bytes >> PGT_PAGE_SHIFT;
	uint64_t pfn = bm_frames(b, pages, BM_PAGES_2M), rec = bm_frames(b, pages + 8, 1);
	uint8_t *p = bm_mem(b, pfn, pages);
	unsigned reps = bm_smoke ? 1 : 5;
	double *te = calloc(reps, sizeof(double)), *ti = calloc(reps, sizeof(double));
	double *tr = calloc(reps, sizeof(double));
	uint64_t(*words)[3] = calloc(pages + 8, sizeof(*words)), r[3], n = 0;

	for (unsigned rep = 0; rep < reps; rep++) {
		uint64_t src = bm_vm(b);
		for (uint64_t i = 0; i < blocks; i++)
			bm_map_fault_quiet(b, src, BM_DATA_IPA + i * BM_2M, pfn + i * BM_PAGES_2M,
					   2);
		memset(p, 0x5a, bytes); /* the guest wrote it all */
		bm_ok(bm_call(KC_HC_EXPORT_BEGIN, src, 0, 0, 0, r), "EXPORT_BEGIN");
		uint64_t hdr[3] = { r[0], r[1], r[2] };
		double t0 = bm_now_ns();
		for (n = 0; bm_call(KC_HC_EXPORT_PAGE, src, rec + n, 0, 0, words[n]) == KC_OK; n++)
			;
		te[rep] = bm_now_ns() - t0;
		bm_ok(bm_call(KC_HC_EXPORT_VCPU, src, 0, rec + n, 0, words[n]), "EXPORT_VCPU");
		bm_ok(bm_call(KC_HC_EXPORT_END, src, rec + n + 1, 0, 0, words[n + 1]),
		      "EXPORT_END");

		bm_ok(bm_call(KC_HC_VM_CREATE, 0, 0, 0, 0, r), "VM_CREATE");
		uint64_t dst = r[0];
		bm_ok(bm_call(KC_HC_VCPU_CREATE, dst, 0, 0, 0, NULL), "VCPU_CREATE");
		bm_ok(bm_call(KC_HC_IMPORT_BEGIN, dst, hdr[0], hdr[1], hdr[2], NULL),
		      "IMPORT_BEGIN");
		t0 = bm_now_ns();
		for (uint64_t i = 0; i < n; i++) {
			struct kc_hcall h = { { KC_HC_IMPORT_PAGE, dst, rec + i, words[i][0],
						words[i][1], words[i][2], 0 } };
			kcore_host_call(&h);
			bm_ok((int)(int64_t)h.x[0], "IMPORT_PAGE");
		}
		ti[rep] = bm_now_ns() - t0;
		for (uint64_t i = n; i < n + 2; i++) {
			struct kc_hcall h = { { i == n ? KC_HC_IMPORT_VCPU : KC_HC_IMPORT_END, dst,
						rec + i, words[i][0], words[i][1], words[i][2],
						0 } };
			kcore_host_call(&h);
			bm_ok((int)(int64_t)h.x[0], "IMPORT_VCPU/END");
		}

		/* The yardstick: the same bytes, sealed in place (the source is off now). */
		uint8_t key[32] = { 1 }, nonce[12] = { 2 }, aad[32] = { 3 }, tag[16];
		t0 = bm_now_ns();
		for (uint64_t i = 0; i < pages; i++)
			br_poly1305_ctmul_run(key, nonce, p + (i << PGT_PAGE_SHIFT), PGT_PAGE_SIZE,
					      aad, sizeof(aad), tag, br_chacha20_ct_run, 1);
		bm_clobber(p);
		tr[rep] = (bm_now_ns() - t0) * (double)n / (double)pages; /* per n pages */

		bm_vm_free(dst);
		/* The source is off since EXPORT_END: reclaim and destroy only. */
		bm_ok(bm_call(KC_HC_VM_RECLAIM, src, 1ull << 40, 0, 0, r), "VM_RECLAIM");
		bm_ok(bm_call(KC_HC_VM_DESTROY, src, 0, 0, 0, NULL), "VM_DESTROY");
	}
	/*
	 * The ratios: each rep's raw time over its own export and import time
	 * (measured seconds apart), then the median (before bm_median sorts them), so drift between reps on
	 * a shared machine does not pair one rep's raw with another's call.
	 */
	double *qe = calloc(reps, sizeof(double)), *qi = calloc(reps, sizeof(double));
	for (unsigned k = 0; k < reps; k++) {
		qe[k] = tr[k] / te[k];
		qi[k] = tr[k] / ti[k];
	}
	double e = bm_median(te, reps), i = bm_median(ti, reps), raw = bm_median(tr, reps);
	double mb = (double)n * PGT_PAGE_SIZE / 1e6;
	bm_out("export_bytes", (double)n * PGT_PAGE_SIZE);
	bm_out("export_mbps", mb / (e / 1e9));
	bm_out("import_mbps", mb / (i / 1e9));
	bm_out("raw_aead_mbps", mb / (raw / 1e9));
	bm_out("export_ratio", bm_median(qe, reps));
	bm_out("import_ratio", bm_median(qi, reps));
	free(qe);
	free(qi);
	free(te);
	free(ti);
	free(tr);
	free(words);
}

/* ---- runs: one machine each -------------------------------------------- */

static uint64_t bm_main_ram(void)
{
	return bm_smoke ? 512ull << 20 : 4ull << 30;
}

static uint64_t bm_image_bytes(void)
{
	return bm_smoke ? 1ull << 20 : 64ull << 20;
}

static uint64_t bm_reclaim_bytes(void)
{
	return bm_smoke ? 8ull << 20 : BM_1G;
}

static void bm_main_figures(struct bm *b)
{
	unsigned regions = bm_smoke ? 1 : 4;
	uint64_t vmid = bm_vm(b);

	bm_out("frame_bytes", (double)sizeof(frame_t));
	struct bm_per_page f = bm_fault4k(b, vmid, regions);
	bm_out("fault4k_ns", f.warm_ns);
	bm_out("fault4k_cold_ns", f.cold_ns);
	bm_out("memset4k_ns", f.memset_ns);
	bm_fault2m(b, vmid, true, "fault2m");
	bm_fault2m(b, vmid, false, "fault2m_unmapped");
	struct bm_per_page h = bm_hostfault(b, vmid, regions);
	bm_out("hostfault_ns", h.warm_ns);
	bm_out("hostfault_cold_ns", h.cold_ns);
	bm_out("nullcall_ns", bm_nullcall(bm_smoke ? 1000 : 200000));
	bm_out("smmu_map_unmap_ns", bm_smmu(b, bm_smoke ? 100 : 100000));
	bm_vm_free(vmid);
	bm_reclaim(b, bm_reclaim_bytes());
	bm_verify(b, bm_image_bytes());
	bm_tables_4k(b, bm_reclaim_bytes());
	bm_export(b, bm_smoke ? 4ull << 20 : 64ull << 20);
}

/* The scaling configurations (figure 8). */
enum bm_config { BM_CFG_BASE, BM_CFG_VMS, BM_CFG_RAM };
static const char *const bm_config_name[] = { "base", "vms", "ram" };

static unsigned bm_config_vms(enum bm_config c)
{
	return c == BM_CFG_VMS ? KC_MAX_VMS : 1;
}

static void bm_config_create(struct bm *b, enum bm_config c)
{
	uint64_t ram = 256ull << 20;

	if (c == BM_CFG_RAM)
		ram = bm_smoke ? 2ull << 30 : 16ull << 30;
	/* 24 table pages per VM: fault4k's and hostfault's regions for every repetition. */
	bm_create(b, ram, bm_config_vms(c), 24, 4096);
	if (c == BM_CFG_RAM) /* use the top of RAM: far from where the frame table starts */
		b->next_pfn = (b->end_pfn - (128ull << 20 >> PGT_PAGE_SHIFT)) & ~511ull;
}

/* Fill all but the last VM id, then return a VERIFIED VM on the last one. */
static uint64_t bm_config_vm(struct bm *b, enum bm_config c)
{
	uint64_t vmid = 0;

	for (unsigned i = 0; i < bm_config_vms(c); i++)
		vmid = bm_vm(b);
	return vmid;
}

static enum bm_config bm_cfg;

static void bm_scaling_run(struct bm *b)
{
	uint64_t vmid = bm_config_vm(b, bm_cfg);
	char key[64];

	/* 255 guest runs fill the model's TLB, and its TLBI scans valid entries: not kcore's cost. */
	hm_tlb_reset(b->m);
	const char *n = bm_config_name[bm_cfg];
	struct bm_per_page f = bm_fault4k(b, vmid, 1);
	struct bm_per_page h = bm_hostfault(b, vmid, 1);

	snprintf(key, sizeof(key), "scale_%s_fault4k_ns", n);
	bm_out(key, f.warm_ns);
	snprintf(key, sizeof(key), "scale_%s_hostfault_ns", n);
	bm_out(key, h.warm_ns);
	snprintf(key, sizeof(key), "scale_%s_nullcall_ns", n);
	bm_out(key, bm_nullcall(bm_smoke ? 1000 : 200000));
}

/* ---- callgrind mode ------------------------------------------------------ */

static const char *bm_cg_op;
static unsigned bm_cg_ops = 1000;

/*
 * Set up as the timed run does, then do bm_cg_ops operations through the
 * bench_cg_* wrappers with callgrind's instrumentation on (ci/bench runs
 * this under --instr-atstart=no --toggle-collect=bench_cg_*).
 */
static void bm_cg_run(struct bm *b)
{
	uint64_t vmid = bm_config_vm(b, bm_cfg);
	const char *op = bm_cg_op;
	unsigned n = bm_cg_ops;
	uint64_t regions = (n + BM_PAGES_2M - 2) / (BM_PAGES_2M - 1);

	hm_tlb_reset(b->m); /* as in bm_scaling_run */

	if (!strcmp(op, "nullcall")) {
		CALLGRIND_START_INSTRUMENTATION;
		for (unsigned i = 0; i < n; i++) {
			struct kc_hcall h = { { KC_HC_VERSION, 0, 0, 0, 0, 0, 0 } };
			bench_cg_call(&h);
		}
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "fault4k") || !strcmp(op, "fault4k_cold")) {
		bool cold = !strcmp(op, "fault4k_cold");
		uint64_t nreg = cold ? n : regions;
		uint64_t pfn = bm_frames(b, nreg * BM_PAGES_2M, BM_PAGES_2M);
		uint64_t ipa0 = b->next_ipa;
		bm_host_map(pfn, nreg * BM_PAGES_2M);
		b->next_ipa += nreg * BM_2M;
		if (!cold) /* warm: page 0 of each region first, unmeasured */
			for (uint64_t r = 0; r < nreg; r++)
				bm_map_fault_quiet(b, vmid, ipa0 + r * BM_2M, pfn + r * BM_PAGES_2M,
						   3);
		CALLGRIND_START_INSTRUMENTATION;
		for (unsigned i = 0; i < n; i++) {
			uint64_t r = cold ? i : i / (BM_PAGES_2M - 1);
			uint64_t pg = cold ? 0 : 1 + i % (BM_PAGES_2M - 1);
			bm_map_fault(b, vmid, ipa0 + r * BM_2M + (pg << PGT_PAGE_SHIFT),
				     pfn + r * BM_PAGES_2M + pg, 3);
		}
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "fault2m") || !strcmp(op, "fault2m_unmapped")) {
		uint64_t pfn = bm_frames(b, (uint64_t)(n + 1) * BM_PAGES_2M, BM_PAGES_2M);
		if (!strcmp(op, "fault2m"))
			bm_host_map(pfn, (uint64_t)(n + 1) * BM_PAGES_2M);
		/* The first block allocates the L2 table: unmeasured. */
		bm_map_fault_quiet(b, vmid, bm_region(b), pfn, 2);
		CALLGRIND_START_INSTRUMENTATION;
		for (unsigned i = 1; i <= n; i++)
			bm_map_fault(b, vmid, bm_region(b), pfn + (uint64_t)i * BM_PAGES_2M, 2);
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "hostfault") || !strcmp(op, "hostfault_cold")) {
		bool cold = !strcmp(op, "hostfault_cold");
		uint64_t nreg =
			cold ? n : (n + BM_HOSTFAULT_WARM_PER_RUN - 1) / BM_HOSTFAULT_WARM_PER_RUN;
		uint64_t pfn = bm_frames(b, nreg * BM_PAGES_2M, BM_PAGES_2M);
		if (!cold)
			bm_hostfault_mixed(b, vmid, bm_region(b), pfn, nreg);
		CALLGRIND_START_INSTRUMENTATION;
		for (unsigned i = 0; i < n; i++) {
			uint64_t r = cold ? i : i / BM_HOSTFAULT_WARM_PER_RUN;
			uint64_t pg = cold ? 0 : 2 + i % BM_HOSTFAULT_WARM_PER_RUN;
			bm_ok(bench_cg_host_fault((pfn + r * BM_PAGES_2M + pg) << PGT_PAGE_SHIFT),
			      "host fault");
		}
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "smmu_map_unmap")) {
		uint64_t iova, pa, dom = bm_smmu_setup(b, &iova, &pa);
		bm_smmu_map_unmap(dom, iova, pa); /* warm */
		CALLGRIND_START_INSTRUMENTATION;
		for (unsigned i = 0; i < n; i++)
			bm_smmu_map_unmap(dom, iova, pa);
		CALLGRIND_STOP_INSTRUMENTATION;
		bm_smmu_teardown(dom);
	} else {
		bm_die("unknown --cg operation '%s'", op);
	}
	printf("ops %u\n", n);
}

/* ---- main ---------------------------------------------------------------- */

static void bm_usage(void)
{
	fprintf(stderr, "usage: kcore-bench [--smoke] [--reps N]\n"
			"       kcore-bench --cg OP [--ops N] [--config base|vms|ram]\n"
			"OP: nullcall fault4k fault4k_cold fault2m fault2m_unmapped hostfault "
			"hostfault_cold\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bm b;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			bm_smoke = true;
			bm_reps = 3;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			bm_reps = (unsigned)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--cg") && i + 1 < argc) {
			bm_cg_op = argv[++i];
		} else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
			bm_cg_ops = (unsigned)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			const char *c = argv[++i];
			if (!strcmp(c, "base"))
				bm_cfg = BM_CFG_BASE;
			else if (!strcmp(c, "vms"))
				bm_cfg = BM_CFG_VMS;
			else if (!strcmp(c, "ram"))
				bm_cfg = BM_CFG_RAM;
			else
				bm_usage();
		} else {
			bm_usage();
		}
	}
	if (bm_reps < 1 || bm_cg_ops < 1)
		bm_usage();

	if (bm_cg_op) {
		bm_config_create(&b, bm_cfg);
		bm_run(&b, bm_cg_run);
		bm_destroy(&b);
		return 0;
	}

	/* Remap window: every repetition of the verify figure loads a new image. */
	uint64_t remap = (bm_reps + 2) * (bm_image_bytes() >> PGT_PAGE_SHIFT) + 64;
	bm_create(&b, bm_main_ram(), 4, 600, remap);
	bm_run(&b, bm_main_figures);
	bm_destroy(&b);
	for (unsigned c = BM_CFG_BASE; c <= BM_CFG_RAM; c++) {
		bm_cfg = (enum bm_config)c;
		bm_config_create(&b, bm_cfg);
		bm_run(&b, bm_scaling_run);
		bm_destroy(&b);
	}
	bm_out("kc_max_vms", KC_MAX_VMS);
	return 0;
}
