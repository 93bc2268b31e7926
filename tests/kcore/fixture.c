/* SPDX-License-Identifier: BSD-2-Clause */
#include "fixture.h"

#include "../../core/ioclaim.h"
#include "../../core/state.h"
#include "../../tools/replay/secret.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/*
 * The confidentiality oracle (tools/replay/secret.c) on every call the ABI
 * tests make: no result may carry a guest secret the guest did not hand
 * over.  Calls come from the test's main thread (the threaded tests use
 * their own), so one record of what the host supplied does.
 */
static struct rp_secrets kf_secrets;

static void kf_key(br_ec_private_key *sk, unsigned char *sk_buf, unsigned char *pub, uint32_t seed)
{
	br_hmac_drbg_context rng;
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];

	br_hmac_drbg_init(&rng, &br_sha256_vtable, &seed, sizeof(seed));
	assert_true(br_ec_keygen(&rng.vtable, &br_ec_p256_m31, sk, kbuf, BR_EC_secp256r1) == 32);
	memcpy(sk_buf, kbuf, 32);
	sk->x = sk_buf;
	assert_int_equal(br_ec_compute_pub(&br_ec_p256_m31, &pk, pub, sk), 65);
}

void kf_setup(struct kf *f)
{
	kf_setup_vms(f, 4);
}

void kf_setup_vms(struct kf *f, unsigned max_vms)
{
	kf_setup_smmu(f, max_vms, 0, 0);
}

void kf_setup_smmu(struct kf *f, unsigned max_vms, unsigned nsmmus, unsigned max_iodoms)
{
	struct hm_config mc = {
		.ram_base = KF_RAM_BASE,
		.ram_size = KF_RAM_SIZE,
		.devices = { { KF_DEV_BASE, KF_DEV_SIZE } },
		.ndevices = 1,
		.ncpus = 2,
		.rng_seed = 42,
		.nsmmus = nsmmus,
		.smmu_streams = KF_SMMU_STREAMS,
	};
	memset(f, 0, sizeof(*f));
	memset(&kf_secrets, 0, sizeof(kf_secrets));
	assert_int_equal(hm_machine_create(&mc, &f->m), 0);
	kf_key(&f->sk, f->sk_buf, f->pub, 1);
	f->cfg.max_vms = max_vms;
	f->cfg.vm_pool_pages = 64;
	f->cfg.remap_pages = 4096;
	f->cfg.max_iodoms = max_iodoms;
	f->cfg.iodom_pool_pages = KF_IODOM_POOL_PAGES;
	f->cfg.ntrusted_keys = 1;
	memcpy(f->cfg.trusted_keys[0], f->pub, 65);
	assert_int_equal(hm_kcore_boot(f->m, &f->cfg), KC_OK);
	f->next_frame = KF_HOST_FRAMES >> 12;
	kf_check(f);
}

void kf_teardown(struct kf *f)
{
	char msg[300];
	assert_int_equal(hm_guest_failures(f->m, msg, sizeof(msg)), 0);
	/* The full walk at the end: the incremental checks ran after every step. */
	if (hm_check_full(f->m, msg, sizeof(msg)))
		fail_msg("%s", msg);
	hm_machine_destroy(f->m);
}

static bool kf_guarded(uint64_t vm, uint64_t ipa)
{
	const struct kc_vm *v = vm_get(vm);
	return v && v->state != VM_FREE &&
	       pgt_mark_at(&v->s2, ipa & ~(PGT_PAGE_SIZE - 1)) == PGT_MARK_MMIO_GUARD;
}

static void kf_call_checked(struct kf *f, unsigned cpu, struct kc_hcall *h)
{
	uint64_t in[7];

	memcpy(in, h->x, sizeof(in));
	for (unsigned i = 0; i < 7; i++)
		rp_secret_host_supplied(&kf_secrets, in[i]);
	assert_int_equal(hm_host_call(f->m, cpu, h), 0);
	unsigned leak = rp_secret_check_call(&kf_secrets, in, h->x, kf_guarded);
	if (leak)
		fail_msg("confidentiality: x%u of call 0x%llx carries guest secret 0x%llx", leak,
			 (unsigned long long)in[0], (unsigned long long)h->x[leak]);
}

int kf_call(struct kf *f, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	    uint64_t r[3])
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, 0, 0 } };
	kf_call_checked(f, 0, &h);
	if (r)
		memcpy(r, &h.x[1], 3 * sizeof(uint64_t));
	return (int)(int64_t)h.x[0];
}

int kf_call5(struct kf *f, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	     uint64_t a5, uint64_t r[3])
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, a5, 0 } };
	kf_call_checked(f, 0, &h);
	if (r)
		memcpy(r, &h.x[1], 3 * sizeof(uint64_t));
	return (int)(int64_t)h.x[0];
}

void kf_call_refused(struct kf *f, int want, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4)
{
	kf_call_refused5(f, want, fn, a1, a2, a3, a4, 0);
}

void kf_call_refused5(struct kf *f, int want, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		      uint64_t a4, uint64_t a5)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t r[3];

	kf_digest(f, before);
	int rc = kf_call5(f, fn, a1, a2, a3, a4, a5, r);
	if (rc != want)
		fail_msg("call 0x%llx(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx): got %s, want %s",
			 (unsigned long long)fn, (unsigned long long)a1, (unsigned long long)a2,
			 (unsigned long long)a3, (unsigned long long)a4, (unsigned long long)a5,
			 kcore_err_name(rc), kcore_err_name(want));
	assert_true(!r[0] && !r[1] && !r[2]);
	kf_digest(f, after);
	kf_assert_same("refused call", before, after);
	kf_check(f);
}

uint64_t kf_frame(struct kf *f)
{
	return f->next_frame++;
}

uint64_t kf_frame_run(struct kf *f)
{
	f->next_frame = (f->next_frame + 511) & ~511ull;
	uint64_t pfn = f->next_frame;
	f->next_frame += 512;
	return pfn;
}

void kf_host_write(struct kf *f, uint64_t pa, const void *buf, size_t len)
{
	assert_int_equal(hm_host_store(f->m, 0, pa, buf, len, NULL), HM_FAULT_NONE);
}

int kf_host_try_read(struct kf *f, uint64_t pa)
{
	uint8_t b;
	return (int)hm_host_load(f->m, 0, pa, &b, 1, NULL);
}

void kf_check(struct kf *f)
{
	char why[300];
	int inv = hm_check(f->m, why, sizeof(why));
	if (inv)
		fail_msg("%s", why);
}

void kf_digest(struct kf *f, uint8_t out[KC_DIGEST_LEN])
{
	(void)f;
	kcore_digest(out);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void image_sha256(const struct kf_image *im, uint8_t out[32])
{
	br_sha256_context c;
	uint8_t page[4096];

	br_sha256_init(&c);
	for (uint64_t p = 0; p < im->pages; p++) {
		memset(page, (uint8_t)(im->fill + p), sizeof(page));
		br_sha256_update(&c, page, sizeof(page));
	}
	br_sha256_out(&c, out);
}

size_t kf_manifest_bytes(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			 bool other_key, uint8_t *out)
{
	return kf_manifest_bytes_v2(f, images, n, entry, other_key, NULL, out);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t kf_manifest_bytes_v2(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			    bool other_key, const struct kc_manifest_layout *layout, uint8_t *out)
{
	size_t len = KC_MANIFEST_HEADER_SIZE + n * KC_MANIFEST_IMAGE_SIZE;
	memcpy(out, KC_MANIFEST_MAGIC, 8);
	put32(out + 8, layout ? KC_MANIFEST_V2 : KC_MANIFEST_V1);
	put32(out + 12, n);
	put64(out + 16, entry);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = out + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;
		put64(e, images[i].base);
		put64(e + 8, images[i].pages << 12);
		image_sha256(&images[i], e + 16);
	}
	if (layout) {
		assert_true(layout->nram <= KC_MANIFEST_MAX_RAM &&
			    layout->nwin <= KC_MANIFEST_MAX_WINDOWS);
		put32(out + len, layout->nram);
		put32(out + len + 4, layout->nwin);
		len += KC_MANIFEST_LAYOUT_SIZE;
		for (unsigned i = 0; i < layout->nram + layout->nwin; i++) {
			const struct kc_manifest_range *r =
				i < layout->nram ? &layout->ram[i] : &layout->win[i - layout->nram];
			put64(out + len, r->base);
			put64(out + len + 8, r->size);
			put64(out + len + 16, r->flags);
			len += KC_MANIFEST_RANGE_SIZE;
		}
	}
	uint8_t digest[32];
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, out, len);
	br_sha256_out(&c, digest);
	br_ec_private_key other;
	unsigned char other_buf[32], other_pub[65];
	const br_ec_private_key *sk = &f->sk;
	if (other_key) {
		kf_key(&other, other_buf, other_pub, 2);
		sk = &other;
	}
	assert_int_equal(
		br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, sk, out + len),
		64);
	return len + 64;
}

uint64_t kf_frame_with(struct kf *f, const void *buf, size_t len)
{
	uint64_t pfn = kf_frame(f);
	static const uint8_t zero[4096];
	kf_host_write(f, pfn << 12, zero, sizeof(zero));
	kf_host_write(f, pfn << 12, buf, len);
	return pfn;
}

uint64_t kf_manifest(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
		     bool other_key)
{
	uint8_t buf[4096];
	size_t len = kf_manifest_bytes(f, images, n, entry, other_key, buf);
	return kf_frame_with(f, buf, len);
}

uint64_t kf_manifest_v2(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			const struct kc_manifest_layout *layout)
{
	uint8_t buf[4096];
	size_t len = kf_manifest_bytes_v2(f, images, n, entry, false, layout, buf);
	return kf_frame_with(f, buf, len);
}

void kf_layout(struct kc_manifest_layout *l, bool shared)
{
	memset(l, 0, sizeof(*l));
	l->nram = 1;
	l->ram[0] = (struct kc_manifest_range){ KF_LAYOUT_RAM, KF_LAYOUT_RAM_SIZE, 0 };
	l->nwin = 1;
	l->win[0] = (struct kc_manifest_range){ KF_LAYOUT_IO, KF_LAYOUT_IO_SIZE,
						shared ? KC_MANIFEST_WIN_SHARED : 0 };
}

uint64_t kf_vm_with_vcpus(struct kf *f, uint64_t base, unsigned vcpus)
{
	const struct kf_image img = { base, 1, 0x20 };
	uint64_t vm = kf_vm_loaded(f, &img, 1);

	for (unsigned i = 1; i < vcpus; i++)
		assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vm, i, 0, 0, NULL), KC_OK);
	assert_int_equal(
		kf_call(f, KC_HC_VM_VERIFY, vm, kf_manifest(f, &img, 1, base, false), 0, 0, NULL),
		KC_OK);
	return vm;
}

uint64_t kf_vm_loaded(struct kf *f, const struct kf_image *images, unsigned n)
{
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vmid = r[0];
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vmid, 0, 0, 0, NULL), KC_OK);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vmid, images[i].base,
					 images[i].pages << 12, 0, r),
				 KC_OK);
		uint64_t index = r[0];
		for (uint64_t p = 0; p < images[i].pages; p++) {
			uint8_t page[4096];
			memset(page, (uint8_t)(images[i].fill + p), sizeof(page));
			uint64_t pfn = kf_frame_with(f, page, sizeof(page));
			assert_int_equal(
				kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vmid, index, pfn, 0, NULL),
				KC_OK);
		}
	}
	return vmid;
}

uint64_t kf_vm_verified(struct kf *f, const struct kf_image *images, unsigned n)
{
	return kf_vm_verified_v2(f, images, n, NULL);
}

uint64_t kf_vm_verified_v2(struct kf *f, const struct kf_image *images, unsigned n,
			   const struct kc_manifest_layout *layout)
{
	uint64_t vmid = kf_vm_loaded(f, images, n);
	uint64_t mpfn = kf_manifest_v2(f, images, n, images[0].base, layout);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vmid, mpfn, 0, 0, NULL), KC_OK);
	return vmid;
}

int kf_run(struct kf *f, uint64_t vmid, uint64_t vcpu, uint64_t finish, uint64_t value,
	   uint64_t r[3])
{
	return kf_call(f, KC_HC_VCPU_RUN, vmid, vcpu, finish, value, r);
}

int kf_call_regs(struct kf *f, unsigned cpu, uint64_t x[7])
{
	struct kc_hcall h;
	memcpy(h.x, x, sizeof(h.x));
	kf_call_checked(f, cpu, &h);
	memcpy(x, h.x, sizeof(h.x));
	return (int)(int64_t)h.x[0];
}

int kf_call_on(struct kf *f, unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t r[3])
{
	uint64_t x[7] = { fn, a1, a2, a3, a4, 0, 0 };
	int rc = kf_call_regs(f, cpu, x);
	if (r)
		memcpy(r, &x[1], 3 * sizeof(uint64_t));
	return rc;
}

int kf_host_try_write(struct kf *f, uint64_t pa)
{
	uint8_t b = 0x5a;
	return (int)hm_host_store(f->m, 0, pa, &b, 1, NULL);
}

/* The fixture's numbers must stay those of core/state.h. */
_Static_assert(KF_OWNER_CORE == OWNER_CORE && KF_OWNER_HOST == OWNER_HOST, "owner values");
_Static_assert(KF_VM_FREE == VM_FREE && KF_VM_CREATED == VM_CREATED &&
		       KF_VM_VERIFIED == VM_VERIFIED && KF_VM_POWEROFF == VM_POWEROFF,
	       "VM states");
_Static_assert(KF_VCPU_FREE == VCPU_FREE && KF_VCPU_READY == VCPU_READY &&
		       KF_VCPU_RUNNING == VCPU_RUNNING,
	       "vCPU states");
_Static_assert(KF_PENDING_NONE == PENDING_NONE && KF_PENDING_FAULT == PENDING_FAULT &&
		       KF_PENDING_MMIO == PENDING_MMIO && KF_PENDING_CALL == PENDING_CALL,
	       "pending kinds");

int kf_frame_owner(uint64_t pfn)
{
	const frame_t *fr = frame_peek(pfn << PGT_PAGE_SHIFT);
	return fr ? (int)frame_owner(*fr) : KF_NOT_RAM;
}

int kf_frame_count(uint64_t pfn)
{
	const frame_t *fr = frame_peek(pfn << PGT_PAGE_SHIFT);
	return fr ? (int)frame_count(*fr) : -1;
}

uint64_t kf_frame_gfn(uint64_t pfn)
{
	const frame_t *fr = frame_peek(pfn << PGT_PAGE_SHIFT);
	return fr ? frame_gfn(*fr) : ~0ull;
}

static const struct kc_vm *kf_vm(uint64_t vmid)
{
	assert_true(vmid >= 1 && vmid <= kc.cfg.max_vms);
	return &kc.vms[vmid];
}

int kf_vm_state(uint64_t vmid)
{
	return (int)kf_vm(vmid)->state;
}

int kf_vcpu_state(uint64_t vmid, unsigned vcpu)
{
	assert_true(vcpu < KC_MAX_VCPUS);
	return (int)kf_vm(vmid)->vcpus[vcpu].state;
}

int kf_vcpu_pending(uint64_t vmid, unsigned vcpu)
{
	assert_true(vcpu < KC_MAX_VCPUS);
	return (int)kf_vm(vmid)->vcpus[vcpu].pending;
}

uint64_t kf_vcpu_pc(uint64_t vmid, unsigned vcpu)
{
	assert_true(vcpu < KC_MAX_VCPUS);
	return kf_vm(vmid)->vcpus[vcpu].regs.pc;
}

const struct kc_vcpu_regs *kf_vcpu_regs(uint64_t vmid, unsigned vcpu)
{
	assert_true(vcpu < KC_MAX_VCPUS);
	return &kf_vm(vmid)->vcpus[vcpu].regs;
}

uint64_t kf_vm_nframes(uint64_t vmid)
{
	return kf_vm(vmid)->nframes;
}

uint64_t kf_vm_lookup(uint64_t vmid, uint64_t ipa)
{
	const struct kc_vm *vm = kf_vm(vmid);
	struct pgt_leaf leaf;
	if (vm->state == VM_FREE || !pgt_lookup(&vm->s2, ipa, &leaf))
		return ~0ull;
	return leaf.pa;
}

unsigned kf_io_claim(uint64_t pa, bool *shared)
{
	for (unsigned i = 0; i < ioclaims.n; i++) {
		const struct ioclaim *c = &ioclaims.runs[i];
		if (pa >= c->pa && pa - c->pa < ((uint64_t)c->npages << PGT_PAGE_SHIFT)) {
			if (shared)
				*shared = c->shared;
			return c->vmid;
		}
	}
	return 0;
}

static void sha_u64(br_sha256_context *c, uint64_t v)
{
	br_sha256_update(c, &v, sizeof(v));
}

/* Every leaf of a well-formed tree; a malformed one hashes as a marker. */
static void sha_tree(br_sha256_context *c, const struct pgt *t)
{
	uint64_t va, desc, tables;
	unsigned level;

	sha_u64(c, t->root);
	if (pgt_check(t, &tables)) {
		sha_u64(c, ~0ull);
		return;
	}
	sha_u64(c, tables);
	for (uint64_t from = 0; pgt_next_entry(t, from, &va, &desc, &level);
	     from = va + pgt_level_size(level)) {
		sha_u64(c, va);
		sha_u64(c, desc);
	}
}

void kf_digest_noregs(struct kf *f, uint8_t out[KC_DIGEST_LEN])
{
	br_sha256_context c;
	(void)f;

	br_sha256_init(&c);
	br_sha256_update(&c, kc.frames, kc.total_frames * sizeof(frame_t));
	sha_u64(&c, kc.remap_next);
	sha_u64(&c, kc.remap_filled);
	sha_u64(&c, kc.remap_sum);
	sha_tree(&c, &kc.coremap);
	sha_tree(&c, &kc.host_s2);
	sha_u64(&c, ioclaims.n);
	for (unsigned i = 0; i < ioclaims.n; i++) {
		const struct ioclaim *ic = &ioclaims.runs[i];
		sha_u64(&c, ic->pa);
		sha_u64(&c, ic->gpa);
		sha_u64(&c, (uint64_t)ic->npages << 32 | (uint64_t)ic->vmid << 1 | ic->shared);
	}
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++) {
		const struct kc_vm *vm = &kc.vms[id];
		sha_u64(&c, vm->state);
		if (vm->state == VM_FREE)
			continue;
		sha_u64(&c, vm->images_mapped);
		sha_u64(&c, vm->nimages);
		sha_u64(&c, vm->nframes);
		sha_u64(&c, vm->reclaim_cursor);
		br_sha256_update(&c, vm->images, sizeof(vm->images));
		br_sha256_update(&c, &vm->layout, sizeof(vm->layout));
		for (unsigned i = 0; i < KC_MAX_VCPUS; i++) {
			sha_u64(&c, vm->vcpus[i].state);
			sha_u64(&c, vm->vcpus[i].pending);
		}
		sha_tree(&c, &vm->s2);
	}
	br_sha256_out(&c, out);
}

void kf_assert_same(const char *what, const uint8_t a[KC_DIGEST_LEN],
		    const uint8_t b[KC_DIGEST_LEN])
{
	if (memcmp(a, b, KC_DIGEST_LEN) != 0)
		fail_msg("%s: kcore's state changed", what);
}

int64_t kf_guest_call(struct kf *f, uint64_t vmid, unsigned vcpu, uint64_t fn, uint64_t x1,
		      uint64_t x2)
{
	uint64_t r[3];
	const struct hm_guest_op prog[] = {
		{ HM_GOP_SET, 0, 0, 0, fn }, { HM_GOP_SET, 1, 0, 0, x1 },
		{ HM_GOP_SET, 2, 0, 0, x2 }, { HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, (uint16_t)vcpu,
					  kf_vcpu_pc(vmid, vcpu), prog,
					  sizeof(prog) / sizeof(prog[0])),
			 0);
	assert_int_equal(kf_run(f, vmid, vcpu, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	return (int64_t)kc.vms[vmid].vcpus[vcpu].regs.x[0];
}
