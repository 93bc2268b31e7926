/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Executing trace operations on a hosted machine, and the oracles the
 * fuzzers and `kcore-replay --check-every-op` run after every operation:
 *
 *   1. invariants 1-7 (hm_check);
 *   2. error atomicity: a call that fails leaves kcore_digest unchanged;
 *   3. a reference model of frame ownership (model.h).  It knows only what the ABI
 *      promises (docs/ARCHITECTURE.md, "Frame states"): at boot kcore's
 *      image and metadata pool are CORE and the rest is HOST; a successful
 *      VM_LOAD_IMAGE_PAGE, VM_MAP_FAULT or IMPORT_PAGE (of a page record)
 *      moves the named host frame(s) to the VM; VM_RECLAIM moves VM frames back, scrubbed, and says how many
 *      remain; nothing else changes an owner.  After every operation each
 *      frame's owner in kcore's table must be the model's, a frame may go
 *      to a VM only from the host, a destroyed VM owns nothing, VM ids are
 *      the lowest free, and the host may touch a VM frame only while the VM
 *      shares it.  With SMMUs it also keeps every IO domain's owner, the
 *      streams attached to it and its mappings (IOVA -> PA, rights), as
 *      the IODOM_* calls that succeeded said: each host frame's DMA count
 *      must be kcore's, a frame with DMA mappings never goes to a VM, a
 *      VM with a live domain is never reclaimed, and a DMA that succeeds
 *      reached only what the model says its stream's domain maps.
 *
 * The model reads kcore's frame table (core/state.h) only to compare: it
 * never copies from it.
 */
#include "model.h"
#include "replay.h"
#include "secret.h"

#include "../../core/ioclaim.h"
#include "../../core/state.h"

#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/manifest.h>
#include <kcore_hosted/boot.h>
#include <kcore_hosted/host.h>
#include <kcore_hosted/smmu.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_NRECENT     8u
#define RP_TOUCHED_MAX 4096u /* frames of one operation the model compares by the touch log */

struct rp_img_rec {
	uint64_t base, pages;
	uint8_t fill;
};

/* The stream the last `export` made (docs/EXPORT.md), for `import`. */
#define RP_MAX_RECORDS 1024u
struct rp_record {
	uint64_t fn, pfn, meta, tlo, thi; /* the import call and its x2..x5 */
};
struct rp_stream {
	bool valid;
	uint64_t sid, slo, shi;
	unsigned n;
	struct rp_record r[RP_MAX_RECORDS];
};

struct rp_exec {
	struct rp_machine mc;
	struct rp_stream stream;
	struct rp_exec_opts opts;
	struct hm_machine *m;
	unsigned cpu;
	uint64_t ram_pfn, nframes;
	uint64_t alloc_first, alloc_next, alloc_end; /* frames the image/manifest helpers use */
	struct rp_img_rec imgs[KC_MAX_VMS + 1][KC_MANIFEST_MAX_IMAGES];
	unsigned nimgs[KC_MAX_VMS + 1];
	bool have_fault;
	uint64_t fault_vm, fault_ipa;
	uint16_t fault_vcpu;
	uint64_t recent[RP_NRECENT];
	unsigned nrecent;
	unsigned guest_failures;
	/* the reference model (with check_every_op) */
	struct rp_model model;
	/*
	 * Error atomicity: kcore's state as of the last snapshot (rp_state_take),
	 * valid while nothing can have changed it since.  With fast_digest the
	 * frame table is an exact copy and the digest covers the rest.
	 */
	bool snap_valid;
	uint8_t digest[KC_DIGEST_LEN];
	frame_t *snap_frames;
	/*
	 * With fast_digest, once kcore records its touches (after the first
	 * check): the frame table and the trees are not copied or hashed; a
	 * failed call must leave every frame and descriptor it touched as it was
	 * (kcore_touch_unchanged since touch_mark, taken before each call).
	 */
	bool snap_by_log;
	unsigned touch_mark;
	/*
	 * The reference model, compared where something changed: the frames
	 * kcore touched in this operation (from the log, before the check
	 * empties it; ~0u: compare every frame) and those the model changed.
	 */
	uint64_t touched[RP_TOUCHED_MAX];
	unsigned ntouched;
	/* the confidentiality oracle */
	struct rp_secrets secrets;
};

/* ---- keys and signatures --------------------------------------------------- */

struct rp_keypair {
	bool ready;
	br_ec_private_key sk;
	unsigned char sk_buf[32], pub[65];
};

static struct rp_keypair rp_keys[3]; /* by enum rp_key; [RP_KEY_NONE] unused */

/* Deterministic keys, as tests/kcore/fixture.c makes them: seed 1 test, 2 other. */
static const struct rp_keypair *rp_key(enum rp_key which)
{
	struct rp_keypair *k = &rp_keys[which];
	if (!k->ready) {
		br_hmac_drbg_context rng;
		br_ec_public_key pk;
		unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
		uint32_t seed = which == RP_KEY_TEST ? 1 : 2;
		br_hmac_drbg_init(&rng, &br_sha256_vtable, &seed, sizeof(seed));
		if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &k->sk, kbuf, BR_EC_secp256r1) != 32)
			abort();
		memcpy(k->sk_buf, kbuf, 32);
		k->sk.x = k->sk_buf;
		if (br_ec_compute_pub(&br_ec_p256_m31, &pk, k->pub, &k->sk) != 65)
			abort();
		k->ready = true;
	}
	return k;
}

/*
 * ECDSA signing costs far more than an operation: remember recent
 * signatures.  BearSSL signs deterministically (RFC 6979), so a cached
 * signature is the one signing again would give.
 */
struct rp_sigcache {
	uint8_t digest[32];
	enum rp_key key;
	uint8_t sig[64];
	bool used;
};
static struct rp_sigcache rp_sigs[64];
static unsigned rp_sig_next;

static void rp_sign(enum rp_key key, const uint8_t digest[32], uint8_t sig[64])
{
	for (unsigned i = 0; i < sizeof(rp_sigs) / sizeof(rp_sigs[0]); i++)
		if (rp_sigs[i].used && rp_sigs[i].key == key &&
		    !memcmp(rp_sigs[i].digest, digest, 32)) {
			memcpy(sig, rp_sigs[i].sig, 64);
			return;
		}
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &rp_key(key)->sk,
				  sig) != 64)
		abort();
	struct rp_sigcache *c = &rp_sigs[rp_sig_next++ % (sizeof(rp_sigs) / sizeof(rp_sigs[0]))];
	memcpy(c->digest, digest, 32);
	memcpy(c->sig, sig, 64);
	c->key = key;
	c->used = true;
}

/* ---- small helpers ------------------------------------------------------ */

static void rp_text(struct rp_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rp_text(struct rp_result *r, const char *fmt, ...)
{
	size_t len = strlen(r->text);
	va_list ap;
	if (len >= sizeof(r->text))
		return;
	va_start(ap, fmt);
	vsnprintf(r->text + len, sizeof(r->text) - len, fmt, ap);
	va_end(ap);
}

bool rp_oracle(struct rp_result *r, const char *fmt, ...)
{
	va_list ap;
	if (r->oracle_fail)
		return false; /* keep the first */
	r->oracle_fail = true;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
	return false;
}

static void rp_recent(struct rp_exec *ex, uint64_t pfn)
{
	ex->recent[ex->nrecent++ % RP_NRECENT] = pfn;
}

uint64_t rp_exec_recent_frame(const struct rp_exec *ex, unsigned i)
{
	if (i >= RP_NRECENT || i >= ex->nrecent)
		return 0;
	return ex->recent[(ex->nrecent - 1 - i) % RP_NRECENT];
}

unsigned rp_exec_live_vms(const struct rp_exec *ex, uint64_t *ids, unsigned max)
{
	unsigned n = 0;
	for (unsigned id = 1; id <= ex->mc.vms && n < max; id++)
		if (kc.vms[id].state != VM_FREE)
			ids[n++] = id;
	return n;
}

unsigned rp_exec_live_iodoms(const struct rp_exec *ex, uint64_t *ids, unsigned max)
{
	unsigned n = 0;
	for (unsigned id = 1; id <= ex->mc.iodoms && id <= KC_MAX_IODOMS && n < max; id++)
		if (kc.iodoms[id].state != IODOM_FREE)
			ids[n++] = id;
	return n;
}

bool rp_exec_last_fault(const struct rp_exec *ex, uint64_t *vm, uint16_t *vcpu, uint64_t *ipa)
{
	*vm = ex->fault_vm, *vcpu = ex->fault_vcpu, *ipa = ex->fault_ipa;
	return ex->have_fault;
}

uint64_t rp_exec_vcpu_pc(const struct rp_exec *ex, uint64_t vm, unsigned vcpu)
{
	if (vm < 1 || vm > ex->mc.vms || vcpu >= KC_MAX_VCPUS ||
	    kc.vms[vm].vcpus[vcpu].state == VCPU_FREE)
		return 0;
	return kc.vms[vm].vcpus[vcpu].regs.pc;
}

struct hm_machine *rp_exec_machine(struct rp_exec *ex)
{
	return ex->m;
}

/* The next frame for an image page or a manifest; wraps (frames may be VM-owned by then). */
static uint64_t rp_alloc(struct rp_exec *ex)
{
	if (ex->alloc_next >= ex->alloc_end)
		ex->alloc_next = ex->alloc_first;
	uint64_t pfn = ex->alloc_next++;
	rp_recent(ex, pfn);
	return pfn;
}

static const char *rp_fault_name(enum hm_fault f)
{
	static const char *const names[] = { "OK",	    "TRANSLATION", "ADDR_SIZE", "EXTERNAL",
					     "ACCESS_FLAG", "PERMISSION",  "REFUSED" };
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "FAULT?";
}

/* ---- create / destroy ----------------------------------------------------- */

struct rp_exec *rp_exec_create(const struct rp_machine *mc, const struct rp_exec_opts *opts,
			       char *err, size_t err_size)
{
	struct rp_exec *ex = calloc(1, sizeof(*ex));
	if (!ex) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	ex->mc = *mc;
	ex->opts = *opts;
	struct hm_config hc = {
		.ram_base = RP_RAM_BASE,
		.ram_size = mc->ram,
		.devices = { { RP_DEV_BASE, RP_DEV_SIZE } },
		.ndevices = 1,
		.ncpus = mc->cpus,
		.rng_seed = 42,
		.nsmmus = mc->smmus,
		.smmu_streams = RP_SMMU_STREAMS,
	};
	if (hm_machine_create(&hc, &ex->m)) {
		snprintf(err, err_size, "the machine: %s", hm_last_error());
		free(ex);
		return NULL;
	}
	struct kc_config cfg = {
		.max_vms = mc->vms,
		.vm_pool_pages = mc->pool,
		.remap_pages = mc->remap,
		.max_iodoms = mc->iodoms,
		.iodom_pool_pages = mc->iopool,
	};
	if (mc->key != RP_KEY_NONE) {
		cfg.ntrusted_keys = 1;
		memcpy(cfg.trusted_keys[0], rp_key(mc->key)->pub, 65);
	}
	if (mc->entropy_fail)
		hm_entropy_fail_next(ex->m, mc->entropy_fail);
	int rc = hm_kcore_boot(ex->m, &cfg);
	if (rc != KC_OK) {
		snprintf(err, err_size, "kcore refused to boot on this machine: %s",
			 rp_status_name(rc));
		hm_machine_destroy(ex->m);
		free(ex);
		return NULL;
	}
	ex->ram_pfn = RP_RAM_BASE >> 12;
	ex->nframes = mc->ram >> 12;
	ex->alloc_first = (RP_RAM_BASE + mc->ram / 2) >> 12;
	ex->alloc_next = ex->alloc_first;
	ex->alloc_end = hm_kcore_pool(ex->m).base >> 12;
	if (opts->check_every_op) {
		if (!rp_model_init(&ex->model, ex->m, RP_RAM_BASE, mc->ram, mc->vms, err,
				   err_size)) {
			rp_exec_destroy(ex);
			return NULL;
		}
		if (opts->fast_digest) {
			ex->snap_frames = malloc(ex->nframes * sizeof(frame_t));
			if (!ex->snap_frames) {
				snprintf(err, err_size, "out of memory");
				rp_exec_destroy(ex);
				return NULL;
			}
		}
	}
	return ex;
}

void rp_exec_destroy(struct rp_exec *ex)
{
	if (!ex)
		return;
	hm_machine_destroy(ex->m);
	rp_model_free(&ex->model);
	free(ex->snap_frames);
	free(ex);
}

/* ---- the state digest ---------------------------------------------------- */

static uint64_t rp_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

/* Four independent lanes, folded at the end, so the multiplies overlap. */
static uint64_t rp_mix_mem(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t lane[4] = { h, h ^ 0x9e3779b97f4a7c15ull, h ^ 0xbf58476d1ce4e5b9ull,
			     h ^ 0x94d049bb133111ebull };
	for (; n >= 32; n -= 32, b += 32) {
		for (unsigned k = 0; k < 4; k++) {
			uint64_t v;
			memcpy(&v, b + 8 * k, 8);
			lane[k] = rp_mix(lane[k], v);
		}
	}
	h = rp_mix(rp_mix(rp_mix(lane[0], lane[1]), lane[2]), lane[3]);
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t v;
		memcpy(&v, b, 8);
		h = rp_mix(h, v);
	}
	for (; n; n--)
		h = rp_mix(h, *b++);
	return h;
}

static bool rp_mix_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	uint64_t *h = arg;
	(void)level;
	*h = rp_mix(rp_mix(*h, va), desc);
	return true;
}

static uint64_t rp_mix_tree(uint64_t h, const struct pgt *t, bool entries)
{
	h = rp_mix(h, t->root);
	h = rp_mix(h, t->pool->bump);
	h = rp_mix(h, t->pool->nfree);
	if (entries) /* else the touch log answers for them (rp_exec.snap_by_log) */
		pgt_for_each_entry(t, rp_mix_entry, &h); /* one pass, not a walk per leaf */
	return h;
}

/*
 * What kcore_digest covers, with the frame table left to rp_state_same's
 * exact copy and the rest hashed with a fast non-cryptographic mix instead
 * of SHA-256 (which made the fuzzer ~50x slower).  Nobody attacks this
 * hash: it only has to notice a change, and every other field kcore_digest
 * hashes is mixed in here too.  kcore-replay --check-every-op uses
 * kcore_digest itself (rp_exec_opts.fast_digest off).
 */
static void rp_digest(const struct rp_exec *ex, uint8_t out[KC_DIGEST_LEN])
{
	if (!ex->opts.fast_digest) {
		kcore_digest(out);
		return;
	}
	uint64_t h = rp_mix(0, kc.up);
	h = rp_mix(h, kc.total_frames);
	h = rp_mix(rp_mix(rp_mix(h, kc.remap_next), kc.remap_filled), kc.remap_sum);
	h = rp_mix_tree(h, &kc.coremap, !ex->snap_by_log);
	h = rp_mix_tree(h, &kc.host_s2, !ex->snap_by_log);
	h = rp_mix(h, ioclaims.n);
	for (unsigned i = 0; i < ioclaims.n && i < KC_IOCLAIMS_MAX; i++) {
		const struct ioclaim *c = &ioclaims.runs[i];
		h = rp_mix(rp_mix(h, c->pa), c->gpa);
		h = rp_mix(h, (uint64_t)c->npages << 32 | (uint64_t)c->vmid << 1 | c->shared);
	}
	h = rp_mix_mem(h, kc.streams, sizeof(kc.streams));
	h = rp_mix_mem(h, &kc.smmu_evq, sizeof(kc.smmu_evq));
	for (unsigned id = 1; id <= kc.cfg.max_iodoms && id <= KC_MAX_IODOMS; id++) {
		const struct kc_iodom *d = &kc.iodoms[id];
		h = rp_mix(h, d->state);
		if (d->state == IODOM_FREE)
			continue;
		h = rp_mix(rp_mix(rp_mix(h, d->owner), d->attached), d->mapped);
		h = rp_mix_tree(h, &d->pgt, !ex->snap_by_log);
	}
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++) {
		const struct kc_vm *vm = &kc.vms[id];
		h = rp_mix(h, vm->state);
		if (vm->state == VM_FREE)
			continue;
		h = rp_mix(rp_mix(h, vm->images_mapped), vm->nimages);
		h = rp_mix(rp_mix(h, vm->nframes), vm->reclaim_cursor);
		h = rp_mix_mem(h, vm->images, sizeof(vm->images));
		h = rp_mix_mem(h, &vm->layout, sizeof(vm->layout));
		for (unsigned i = 0; i < KC_MAX_VCPUS; i++) {
			const struct kc_vcpu *v = &vm->vcpus[i];
			h = rp_mix(rp_mix(h, v->state), v->pending);
			h = rp_mix(rp_mix(h, v->fault_ipa), v->fault_esr);
			h = rp_mix_mem(h, &v->regs, sizeof(v->regs));
		}
		h = rp_mix_tree(h, &vm->s2, !ex->snap_by_log);
		const struct kc_xfer *x = &vm->xfer;
		h = rp_mix(h, x->sid);
		h = rp_mix_mem(h, x->salt, sizeof(x->salt));
		h = rp_mix_mem(h, x->key, sizeof(x->key));
		h = rp_mix(rp_mix(h, x->counter), x->next_gfn);
		h = rp_mix(rp_mix(rp_mix(h, x->pages), x->guards), x->vcpus);
		for (unsigned i = 0; i < KC_MAX_VCPUS; i++)
			h = rp_mix(h, vm->vcpus[i].power);
	}
	h = rp_mix(h, kc.xfer_next_sid);
	for (unsigned i = 0; i < KC_XFER_READY; i++) {
		h = rp_mix(h, kc.xfer_ready[i].sid);
		h = rp_mix_mem(h, kc.xfer_ready[i].salt, sizeof(kc.xfer_ready[i].salt));
	}
	memset(out, 0, KC_DIGEST_LEN);
	memcpy(out, &h, sizeof(h));
}

/* Remember kcore's state as it is now, for rp_state_same. */
static void rp_state_take(struct rp_exec *ex)
{
	ex->touch_mark = kcore_touch_mark();
	ex->snap_by_log = ex->opts.fast_digest && kcore_touch_unchanged(ex->touch_mark) == 1;
	rp_digest(ex, ex->digest);
	if (ex->snap_frames && !ex->snap_by_log)
		memcpy(ex->snap_frames, kc.frames, ex->nframes * sizeof(frame_t));
	ex->snap_valid = true;
}

/* Whether kcore's state is what rp_state_take saw (exactly, for the frame table). */
static bool rp_state_same(const struct rp_exec *ex)
{
	uint8_t now[KC_DIGEST_LEN];
	rp_digest(ex, now);
	if (memcmp(now, ex->digest, sizeof(now)))
		return false;
	if (ex->snap_by_log) /* -1: more touched than the log holds, for a call that failed */
		return kcore_touch_unchanged(ex->touch_mark) == 1;
	return !ex->snap_frames ||
	       (kc.total_frames == ex->nframes &&
		!memcmp(ex->snap_frames, kc.frames, ex->nframes * sizeof(frame_t)));
}

/* ---- calls ----------------------------------------------------------------- */

/* Whether the guest of `vm` guarded the page of `ipa` (its stage 2 holds the mark). */
static bool rp_vm_guarded(uint64_t vm, uint64_t ipa)
{
	const struct kc_vm *v = vm_get(vm);
	return v && v->state != VM_FREE &&
	       pgt_mark_at(&v->s2, ipa & ~(PGT_PAGE_SIZE - 1)) == PGT_MARK_MMIO_GUARD;
}

/* One host call with the oracles around it; x[] in, x[0..3] out.  Returns x0. */
static int rp_hcall(struct rp_exec *ex, uint64_t x[7], struct rp_result *r)
{
	uint64_t in[7];
	struct kc_hcall h;

	memcpy(in, x, sizeof(in));
	memcpy(h.x, x, sizeof(h.x));
	for (unsigned i = 0; i < 7; i++)
		rp_secret_host_supplied(&ex->secrets, in[i]);
	if (ex->opts.check_every_op && !ex->snap_valid)
		rp_state_take(ex);
	else if (ex->snap_by_log)
		ex->touch_mark = kcore_touch_mark(); /* a check emptied the log since */
	if (hm_host_call(ex->m, ex->cpu, &h))
		abort(); /* ex->cpu is checked when a `cpu` line is parsed */
	memcpy(x, h.x, sizeof(h.x));
	int st = (int)(int64_t)h.x[0];
	if (ex->opts.check_every_op) {
		/* A failed call that changed nothing leaves the snapshot valid. */
		if (st == KC_OK) {
			ex->snap_valid = false;
		} else if (!rp_state_same(ex)) {
			ex->snap_valid = false;
			const char *name = rp_call_name(in[0]);
			rp_oracle(r, "error atomicity: %s failed with %s but changed kcore's state",
				  name ? name : "a call", rp_status_name(st));
		}
		rp_model_call(&ex->model, in, h.x, r);
		unsigned leak = rp_secret_check_call(&ex->secrets, in, h.x, rp_vm_guarded);
		if (leak) {
			const char *name = rp_call_name(in[0]);
			rp_oracle(r, "confidentiality: x%u of %s carries guest secret 0x%" PRIx64,
				  leak, name ? name : "a call", h.x[leak]);
		}
	}
	/* What the helpers and the fuzzers remember (not oracles). */
	if (st == KC_OK && in[0] == KC_HC_VM_CREATE && h.x[1] <= ex->mc.vms)
		ex->nimgs[h.x[1]] = 0;
	if (st == KC_OK && in[0] == KC_HC_VM_SET_IMAGE && in[1] <= ex->mc.vms &&
	    h.x[1] < KC_MANIFEST_MAX_IMAGES) {
		ex->imgs[in[1]][h.x[1]] = (struct rp_img_rec){ in[2], in[3] >> 12, 0 };
		ex->nimgs[in[1]] = (unsigned)h.x[1] + 1;
	}
	if (in[0] == KC_HC_VM_LOAD_IMAGE_PAGE || in[0] == KC_HC_VM_MAP_FAULT)
		rp_recent(ex, in[3]);
	return st;
}

static void rp_exit_text(struct rp_exec *ex, const uint64_t in[7], const uint64_t x[7],
			 struct rp_result *r)
{
	static const char *const kinds[] = { "?",      "FAULT",	  "CALL",    "POWEROFF",
					     "WFI",    "YIELD",	  "UNKNOWN", "MMIO",
					     "CPU_ON", "CPU_OFF", "IRQ",     "SGI" };
	unsigned kind = KC_EXIT_KIND(x[1]);
	rp_text(r, " exit=%s", kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[kind] : "?");
	switch (kind) {
	case KC_EXIT_FAULT:
		rp_text(r, " ipa=0x%" PRIx64 " %s", x[2],
			x[1] & KC_EXIT_F_FETCH	 ? "fetch"
			: x[1] & KC_EXIT_F_WRITE ? "write"
						 : "read");
		ex->have_fault = true;
		ex->fault_vm = in[1];
		ex->fault_vcpu = (uint16_t)in[2];
		ex->fault_ipa = x[2];
		break;
	case KC_EXIT_MMIO:
		rp_text(r, " ipa=0x%" PRIx64 " %s size=%u", x[2],
			x[1] & KC_EXIT_F_WRITE ? "write" : "read", KC_EXIT_F_SIZE(x[1]));
		if (x[1] & KC_EXIT_F_WRITE)
			rp_text(r, " data=0x%" PRIx64, x[3]);
		break;
	case KC_EXIT_CALL:
		rp_text(r, " fn=0x%" PRIx64 " arg=0x%" PRIx64, x[2], x[3]);
		break;
	case KC_EXIT_POWEROFF:
		if (x[1] & KC_EXIT_F_RESET)
			rp_text(r, " reset");
		break;
	case KC_EXIT_CPU_ON:
		rp_text(r, " vcpu=%" PRIu64, x[2]);
		break;
	case KC_EXIT_UNKNOWN:
		rp_text(r, " ec=0x%" PRIx64, x[2]);
		break;
	case KC_EXIT_SGI:
		rp_text(r, " sgi1r=0x%" PRIx64, x[2]);
		break;
	case KC_EXIT_WFI:
		if (x[2])
			rp_text(r, " timer=0x%" PRIx64, x[2]);
		break;
	default:
		break;
	}
}

static void rp_do_call(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	uint64_t x[7];
	memcpy(x, op->x, sizeof(x));
	int st = rp_hcall(ex, x, r);
	r->status = st;
	rp_text(r, "%s", rp_status_name(st));
	if (st != KC_OK)
		return;
	if (op->raw || !rp_call_name(op->x[0])) {
		rp_text(r, " x1=0x%" PRIx64 " x2=0x%" PRIx64 " x3=0x%" PRIx64, x[1], x[2], x[3]);
		if (op->x[0] == KC_HC_VCPU_RUN)
			rp_exit_text(ex, op->x, x, r);
		return;
	}
	switch (op->x[0]) {
	case KC_HC_VERSION:
		rp_text(r, " version=0x%" PRIx64, x[1]);
		break;
	case KC_HC_VM_CREATE:
		rp_text(r, " vm=%" PRIu64, x[1]);
		break;
	case KC_HC_VM_SET_IMAGE:
		rp_text(r, " index=%" PRIu64, x[1]);
		break;
	case KC_HC_VM_RECLAIM:
		rp_text(r, " remain=%" PRIu64, x[1]);
		break;
	case KC_HC_VCPU_RUN:
		rp_exit_text(ex, op->x, x, r);
		break;
	case KC_HC_IODOM_ALLOC:
		rp_text(r, " dom=%" PRIu64, x[1]);
		break;
	case KC_HC_IODOM_LOOKUP:
		rp_text(r, " pa=0x%" PRIx64 " prot=%s", x[1], x[2] & KC_IO_W ? "rw" : "r");
		break;
	case KC_HC_SMMU_EVENT: {
		static const char *const faults[] = { "?", "TRANSLATION", "PERMISSION", "STREAM",
						      "OTHER" };
		unsigned fk = (unsigned)(x[3] & 0xff);
		rp_text(r, " smmu=%" PRIu64 " dev=%" PRIu64 " iova=0x%" PRIx64 " fault=%s %s",
			x[1] >> 32, x[1] & 0xffffffffu, x[2], fk < 5 ? faults[fk] : "?",
			x[3] & (KC_IO_W << 8) ? "write" : "read");
		break;
	}
	case KC_HC_EXPORT_BEGIN:
		rp_text(r, " sid=0x%" PRIx64 " salt_lo=0x%" PRIx64 " salt_hi=0x%" PRIx64, x[1],
			x[2], x[3]);
		break;
	case KC_HC_EXPORT_PAGE:
	case KC_HC_EXPORT_VCPU:
	case KC_HC_EXPORT_END:
	case KC_HC_EXPORT_ABORT:
		rp_text(r, " meta=0x%" PRIx64 " tag_lo=0x%" PRIx64 " tag_hi=0x%" PRIx64, x[1], x[2],
			x[3]);
		break;
	default:
		break;
	}
}

/* ---- DMA --------------------------------------------------------------- */

static bool rp_frame_shared(uint64_t pa);

static const char *rp_dma_fault_name(enum hm_dma_fault f)
{
	static const char *const names[] = { "OK", "TRANSLATION", "PERMISSION", "STREAM" };
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "FAULT?";
}

/*
 * A DMA that went through: every page it touched must be one the model's
 * domain of the stream maps, with the rights, to a frame of the domain's
 * owner; what a host-side device read must carry no guest secret.
 */
static void rp_model_dma(struct rp_exec *ex, const struct rp_op *op, const uint8_t *buf,
			 struct rp_result *r)
{
	for (uint64_t at = op->addr; at < op->addr + op->len; at = (at | 0xFFF) + 1) {
		unsigned owner = 0;
		const struct rp_iomap *m = rp_model_iova(&ex->model, op->smmu, op->dev, at, &owner);
		if (!m || (op->dma_write && !m->w)) {
			rp_oracle(r,
				  "model: a DMA %s at IOVA 0x%" PRIx64 " went through, but the "
				  "stream's domain %s",
				  op->dma_write ? "write" : "read", at,
				  m ? "maps it read-only" : "does not map it");
			return;
		}
		bool ram;
		unsigned fo = rp_model_owner_of(&ex->model, m->pa, &ram);
		if (ram && fo != owner) {
			rp_oracle(r,
				  "model: a DMA of a domain of owner %u reached frame 0x%" PRIx64
				  " of owner %u",
				  owner, m->pa >> 12, fo);
			return;
		}
		uint64_t off = at - op->addr, n = ((at | 0xFFF) + 1) - at;
		if (n > op->len - off)
			n = op->len - off;
		if (!op->dma_write && owner == 0 && ram &&
		    rp_secret_check_read(&ex->secrets, m->pa | (at & 0xFFF), buf + off, n,
					 rp_frame_shared) >= 0) {
			rp_oracle(
				r,
				"confidentiality: a host device read a guest secret at 0x%" PRIx64,
				m->pa | (at & 0xFFF));
			return;
		}
	}
}

static void rp_do_dma(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	static uint8_t buf[RP_MAX_READ_BYTES];
	enum hm_dma_fault f;
	if (op->smmu >= ex->mc.smmus || op->dev >= RP_SMMU_STREAMS || op->len < 1 ||
	    op->len > (op->dma_write ? 8u : RP_MAX_READ_BYTES)) {
		rp_text(r, "EINVAL");
		return;
	}
	/* The host's device picked the address: SMMU_EVENT may report it back. */
	rp_secret_host_supplied(&ex->secrets, op->addr);
	if (op->dma_write) {
		for (unsigned i = 0; i < 8; i++)
			buf[i] = (uint8_t)(op->value >> (8 * i));
		rp_secret_host_supplied(&ex->secrets, op->value);
		f = hm_dma_write(ex->m, op->smmu, op->dev, op->addr, buf, op->len);
	} else {
		memset(buf, 0, op->len);
		f = hm_dma_read(ex->m, op->smmu, op->dev, op->addr, buf, op->len);
	}
	rp_text(r, "%s", rp_dma_fault_name(f));
	if (f == HM_DMA_OK && !op->dma_write) {
		uint64_t v = 0;
		for (unsigned i = 0; i < op->len && i < 8; i++)
			v |= (uint64_t)buf[i] << (8 * i);
		rp_text(r, " value=0x%" PRIx64, v);
	}
	if (f == HM_DMA_OK && ex->opts.check_every_op)
		rp_model_dma(ex, op, buf, r);
}

/* ---- host accesses -------------------------------------------------------- */

/* A VM's frame that the VM shares with the host (what it may read on purpose). */
static bool rp_frame_shared(uint64_t pa)
{
	const frame_t *f = frame_peek(pa);
	return f && frame_owner(*f) != OWNER_HOST && frame_owner(*f) != OWNER_CORE &&
	       frame_count(*f) > 0;
}

static void rp_do_host(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	static uint8_t buf[RP_MAX_READ_BYTES];
	enum hm_fault f;
	if (op->kind == RP_HOST_WRITE) {
		uint8_t v[8];
		rp_secret_host_supplied(&ex->secrets, op->value);
		for (unsigned i = 0; i < 8; i++)
			v[i] = (uint8_t)(op->value >> (8 * i));
		f = hm_host_store(ex->m, ex->cpu, op->addr, v, op->len, NULL);
	} else if (op->kind == RP_HOST_CLEAN) {
		f = hm_host_clean(ex->m, ex->cpu, op->addr, op->len, NULL);
	} else {
		memset(buf, 0, op->len);
		f = hm_host_load(ex->m, ex->cpu, op->addr, buf, op->len, NULL);
	}
	rp_text(r, "%s", rp_fault_name(f));
	if (f == HM_FAULT_NONE && op->kind == RP_HOST_READ) {
		uint64_t v = 0;
		for (unsigned i = 0; i < op->len && i < 8; i++)
			v |= (uint64_t)buf[i] << (8 * i);
		rp_text(r, " value=0x%" PRIx64, v);
	}
	if (f == HM_FAULT_NONE && ex->opts.check_every_op) {
		rp_model_host_access(&ex->model, op->addr, op->len, r);
		long off = op->kind == RP_HOST_READ
				   ? rp_secret_check_read(&ex->secrets, op->addr, buf, op->len,
							  rp_frame_shared)
				   : -1;
		if (off >= 0)
			rp_oracle(r,
				  "confidentiality: the host read a guest secret at 0x%" PRIx64
				  ", in a frame the guest does not share",
				  op->addr + (uint64_t)off);
	}
}

/* ---- images and manifests ------------------------------------------------- */

static void rp_do_image(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	static uint8_t page[4096];
	uint64_t x[7] = { KC_HC_VM_SET_IMAGE, op->vm, op->base, op->pages << 12 };
	int st = rp_hcall(ex, x, r);
	r->status = st;
	if (st != KC_OK) {
		rp_text(r, "%s step=set", rp_status_name(st));
		return;
	}
	uint64_t index = x[1], first = 0;
	if (op->vm <= ex->mc.vms && index < KC_MANIFEST_MAX_IMAGES)
		ex->imgs[op->vm][index].fill = op->fill;
	for (uint64_t p = 0; p < op->pages; p++) {
		uint64_t pfn = rp_alloc(ex);
		if (!p)
			first = pfn;
		memset(page, (uint8_t)(op->fill + p), sizeof(page));
		enum hm_fault f =
			hm_host_store(ex->m, ex->cpu, pfn << 12, page, sizeof(page), NULL);
		if (f != HM_FAULT_NONE) {
			rp_text(r, "%s page=%" PRIu64 " pfn=0x%" PRIx64, rp_fault_name(f), p, pfn);
			r->status = KC_EPERM;
			return;
		}
		uint64_t y[7] = { KC_HC_VM_LOAD_IMAGE_PAGE, op->vm, index, pfn };
		st = rp_hcall(ex, y, r);
		if (st != KC_OK) {
			r->status = st;
			rp_text(r, "%s page=%" PRIu64 " pfn=0x%" PRIx64, rp_status_name(st), p,
				pfn);
			return;
		}
	}
	rp_text(r, "OK index=%" PRIu64 " pfn=0x%" PRIx64 " pages=%" PRIu64, index, first,
		op->pages);
}

static void rp_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void rp_image_sha256(uint64_t pages, uint8_t fill, uint8_t out[32])
{
	static uint8_t page[4096];
	br_sha256_context c;
	br_sha256_init(&c);
	for (uint64_t p = 0; p < pages; p++) {
		memset(page, (uint8_t)(fill + p), sizeof(page));
		br_sha256_update(&c, page, sizeof(page));
	}
	br_sha256_out(&c, out);
}

static void rp_do_manifest(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	static uint8_t buf[4096];
	unsigned n = op->vm <= ex->mc.vms ? ex->nimgs[op->vm] : 0;
	const struct rp_img_rec *im = n ? ex->imgs[op->vm] : NULL;
	size_t len = KC_MANIFEST_HEADER_SIZE + n * KC_MANIFEST_IMAGE_SIZE;
	bool v2 = op->nram || op->nwin;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, KC_MANIFEST_MAGIC, 8);
	buf[8] = v2 ? KC_MANIFEST_V2 : KC_MANIFEST_V1;
	buf[12] = (uint8_t)n;
	rp_put64(buf + 16, op->has_entry ? op->entry : n ? im[0].base : 0);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = buf + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;
		rp_put64(e, im[i].base);
		rp_put64(e + 8, im[i].pages << 12);
		rp_image_sha256(im[i].pages, op->has_fill ? op->fill : im[i].fill, e + 16);
	}
	if (v2) {
		/* The layout as the line gives it: kcore judges it, not the replayer. */
		unsigned nram = op->nram < KC_MANIFEST_MAX_RAM ? op->nram : KC_MANIFEST_MAX_RAM;
		unsigned nwin =
			op->nwin < KC_MANIFEST_MAX_WINDOWS ? op->nwin : KC_MANIFEST_MAX_WINDOWS;
		buf[len] = (uint8_t)nram;
		buf[len + 4] = (uint8_t)nwin;
		len += KC_MANIFEST_LAYOUT_SIZE;
		for (unsigned i = 0; i < nram + nwin; i++, len += KC_MANIFEST_RANGE_SIZE) {
			const struct kc_manifest_range *rg =
				i < nram ? &op->ram[i] : &op->win[i - nram];
			rp_put64(buf + len, rg->base);
			rp_put64(buf + len + 8, rg->size);
			rp_put64(buf + len + 16, rg->flags);
		}
	}
	if (op->sign_key != RP_KEY_NONE) {
		uint8_t digest[32];
		br_sha256_context c;
		br_sha256_init(&c);
		br_sha256_update(&c, buf, len);
		br_sha256_out(&c, digest);
		rp_sign(op->sign_key, digest, buf + len);
	}
	if (op->tamper == RP_TAMPER_SIG)
		buf[len + 10] ^= 0x01;
	else if (op->tamper >= 0)
		buf[op->tamper] ^= 0x01;
	uint64_t pfn = rp_alloc(ex);
	enum hm_fault f = hm_host_store(ex->m, ex->cpu, pfn << 12, buf, sizeof(buf), NULL);
	if (f != HM_FAULT_NONE) {
		rp_text(r, "%s pfn=0x%" PRIx64, rp_fault_name(f), pfn);
		r->status = KC_EPERM;
		return;
	}
	if (op->no_verify) {
		rp_text(r, "OK pfn=0x%" PRIx64, pfn);
		return;
	}
	uint64_t x[7] = { KC_HC_VM_VERIFY, op->vm, pfn };
	int st = rp_hcall(ex, x, r);
	r->status = st;
	rp_text(r, "%s pfn=0x%" PRIx64, rp_status_name(st), pfn);
}

/* ---- export and import (docs/EXPORT.md) ---------------------------------- */

/* A frame the host may hand over as a record's carrier: its own, with count 0. */
static uint64_t rp_host_frame(struct rp_exec *ex)
{
	for (uint64_t tries = 0; tries < ex->alloc_end - ex->alloc_first; tries++) {
		uint64_t pfn = rp_alloc(ex);
		const frame_t *f = frame_peek(pfn << 12);
		if (f && frame_owner(*f) == OWNER_HOST && !frame_count(*f))
			return pfn;
	}
	return rp_alloc(ex); /* none free: kcore will say so */
}

static void rp_do_export(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	static uint8_t buf[4096];
	struct rp_stream *s = &ex->stream;
	uint64_t x[7] = { KC_HC_EXPORT_BEGIN, op->vm };
	s->valid = false;
	s->n = 0;
	int st = rp_hcall(ex, x, r);
	r->status = st;
	if (st != KC_OK) {
		rp_text(r, "%s step=begin", rp_status_name(st));
		return;
	}
	s->sid = x[1], s->slo = x[2], s->shi = x[3];
	uint64_t pages = 0;
	/* Pages until kcore says none is left, every vCPU the VM has, the end. */
	for (unsigned step = 0; st == KC_OK && s->n < RP_MAX_RECORDS; step++) {
		uint64_t pfn = rp_host_frame(ex), fn = KC_HC_IMPORT_PAGE;
		uint64_t y[7] = { KC_HC_EXPORT_PAGE, op->vm, pfn };
		if (step >= RP_MAX_RECORDS) {
			st = KC_ENOMEM;
			break;
		}
		st = rp_hcall(ex, y, r);
		if (st == KC_ENOENT) {
			unsigned vcpu = 0;
			for (; vcpu < KC_MAX_VCPUS; vcpu++)
				if (op->vm - 1 < kc.cfg.max_vms &&
				    kc.vms[op->vm].vcpus[vcpu].state != VCPU_FREE &&
				    (uint64_t)s->n + 2 <= RP_MAX_RECORDS) {
					pfn = rp_host_frame(ex);
					uint64_t v[7] = { KC_HC_EXPORT_VCPU, op->vm, vcpu, pfn };
					if ((st = rp_hcall(ex, v, r)) != KC_OK)
						break;
					s->r[s->n++] = (struct rp_record){ KC_HC_IMPORT_VCPU, pfn,
									   v[1], v[2], v[3] };
				}
			if (st != KC_OK)
				break;
			pfn = rp_host_frame(ex);
			uint64_t e[7] = { KC_HC_EXPORT_END, op->vm, pfn };
			if ((st = rp_hcall(ex, e, r)) != KC_OK)
				break;
			s->r[s->n++] =
				(struct rp_record){ KC_HC_IMPORT_END, pfn, e[1], e[2], e[3] };
			s->valid = true;
			break;
		}
		if (st == KC_OK) {
			s->r[s->n++] = (struct rp_record){ fn, pfn, y[1], y[2], y[3] };
			pages += KC_XREC_KIND(y[1]) == KC_XREC_PAGE;
		}
	}
	r->status = st;
	if (!s->valid) {
		rp_text(r, "%s step=record record=%u", rp_status_name(st ? st : KC_ENOMEM), s->n);
		return;
	}
	/* The confidentiality oracle over every record the host now holds. */
	for (unsigned i = 0; i < s->n; i++) {
		const uint8_t *p = hm_phys(ex->m, s->r[i].pfn << 12, sizeof(buf));
		if (!p)
			continue;
		memcpy(buf, p, sizeof(buf));
		long at = rp_secret_check_read(&ex->secrets, s->r[i].pfn << 12, buf, sizeof(buf),
					       rp_frame_shared);
		if (at >= 0)
			rp_oracle(r,
				  "confidentiality: record %u (frame 0x%" PRIx64 ") carries a "
				  "guest secret at offset %ld",
				  i, s->r[i].pfn, at);
	}
	rp_text(r, "OK sid=0x%" PRIx64 " records=%u pages=%" PRIu64, s->sid, s->n, pages);
}

static int rp_import_one(struct rp_exec *ex, uint64_t vm, const struct rp_record *c,
			 struct rp_result *r)
{
	uint64_t y[7] = { c->fn, vm, c->pfn, c->meta, c->tlo, c->thi };
	return rp_hcall(ex, y, r);
}

/* Flip bit 0 of the first byte of frame `pfn`, as the host would: through its stage 2. */
static void rp_flip_frame(struct rp_exec *ex, uint64_t pfn)
{
	uint8_t b = 0;
	if (hm_host_load(ex->m, ex->cpu, pfn << 12, &b, 1, NULL) == HM_FAULT_NONE) {
		b ^= 1;
		hm_host_store(ex->m, ex->cpu, pfn << 12, &b, 1, NULL);
	}
}

/*
 * Import the kept stream.  With a tamper, at record `at` the host first
 * tries its misuse (which kcore must refuse, with nothing changed: the
 * result says `refused=STATUS`, or `accepted`), then goes on with the
 * genuine stream from there: the control.  `truncate` just stops there.
 */
static void rp_do_import(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	const struct rp_stream *s = &ex->stream;
	if (!s->valid) {
		r->status = KC_ENOENT;
		rp_text(r, "ENOENT step=stream"); /* no `export` made one */
		return;
	}
	uint64_t x[7] = { KC_HC_IMPORT_BEGIN, op->vm, s->sid, s->slo, s->shi };
	int st = rp_hcall(ex, x, r), refused = KC_OK;
	r->status = st;
	if (st != KC_OK) {
		rp_text(r, "%s step=begin", rp_status_name(st));
		return;
	}
	unsigned at = op->xat < s->n ? (unsigned)op->xat : s->n - 1, i = 0;
	bool tried = false;
	for (; i < s->n; i++) {
		if (i == at && op->xtamper != RP_XT_NONE) {
			struct rp_record bad = s->r[i];
			const struct rp_record *next = i + 1 < s->n ? &s->r[i + 1] : &s->r[i];
			tried = true;
			switch (op->xtamper) {
			case RP_XT_TRUNCATE:
				break;
			case RP_XT_DATA:
				rp_flip_frame(ex, bad.pfn);
				refused = rp_import_one(ex, op->vm, &bad, r);
				if (refused)
					rp_flip_frame(ex, bad.pfn);
				break;
			case RP_XT_TAG:
				bad.tlo ^= 1;
				refused = rp_import_one(ex, op->vm, &bad, r);
				break;
			case RP_XT_META:
				bad.meta ^= 1ull << 24;
				refused = rp_import_one(ex, op->vm, &bad, r);
				break;
			case RP_XT_REPLAY:
				bad = i ? s->r[i - 1] : s->r[i];
				refused = i ? rp_import_one(ex, op->vm, &bad, r) : KC_EAUTH;
				break;
			case RP_XT_REORDER:
			case RP_XT_DROP:
				refused = rp_import_one(ex, op->vm, next, r);
				break;
			case RP_XT_SWAP:
				bad.pfn = next->pfn;
				refused = rp_import_one(ex, op->vm, &bad, r);
				break;
			case RP_XT_NONE:
				break;
			}
			if (op->xtamper == RP_XT_TRUNCATE)
				break;
			if (refused == KC_OK) {
				rp_text(r, "accepted record=%u", i);
				return;
			}
		}
		st = rp_import_one(ex, op->vm, &s->r[i], r);
		if (st != KC_OK) {
			r->status = st;
			rp_text(r, "%s record=%u", rp_status_name(st), i);
			return;
		}
	}
	r->status = KC_OK;
	rp_text(r, "OK records=%u", i);
	if (tried && op->xtamper != RP_XT_TRUNCATE)
		rp_text(r, " refused=%s", rp_status_name(refused));
}

unsigned rp_exec_stream(const struct rp_exec *ex, uint64_t hdr[3], uint64_t (*rec)[5], unsigned max)
{
	const struct rp_stream *s = &ex->stream;
	if (!s->valid)
		return 0;
	hdr[0] = s->sid, hdr[1] = s->slo, hdr[2] = s->shi;
	unsigned n = s->n < max ? s->n : max;
	for (unsigned i = 0; i < n; i++) {
		rec[i][0] = s->r[i].fn, rec[i][1] = s->r[i].pfn, rec[i][2] = s->r[i].meta;
		rec[i][3] = s->r[i].tlo, rec[i][4] = s->r[i].thi;
	}
	return n;
}

/* ---- the rest ---------------------------------------------------------- */

static void rp_do_guest(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	uint64_t at = op->at_pc ? rp_exec_vcpu_pc(ex, op->vm, op->vcpu) : op->at;
	int rc = hm_guest_program(ex->m, (uint16_t)op->vm, op->vcpu, at, op->gops, op->ngops);
	r->status = rc ? KC_EINVAL : KC_OK;
	rp_text(r, "%s at=0x%" PRIx64, rc ? "EINVAL" : "OK", at);
}

static void rp_do_check(struct rp_exec *ex, struct rp_result *r)
{
	char why[300];
	int inv = hm_check(ex->m, why, sizeof(why));
	if (inv) {
		rp_text(r, "FAIL invariant=%d", inv);
		snprintf(r->note, sizeof(r->note), "%s", why);
		return;
	}
	unsigned g = hm_guest_failures(ex->m, why, sizeof(why));
	if (g != ex->guest_failures) {
		ex->guest_failures = g;
		rp_text(r, "FAIL guest-expect");
		snprintf(r->note, sizeof(r->note), "%s", why);
		return;
	}
	rp_text(r, "ok");
}

static void rp_selftest_on_cpu(unsigned cpu, void *arg)
{
	(void)cpu;
	*(unsigned *)arg = crypto_selftest();
}

/* kcore's known-answer tests; they print to kcore's console, one line each. */
static void rp_do_selftest(struct rp_exec *ex, struct rp_result *r)
{
	unsigned failed = 0;
	if (hm_cpu_run(ex->m, ex->cpu, rp_selftest_on_cpu, &failed))
		abort(); /* the CPU was checked when the line was parsed */
	if (failed)
		rp_text(r, "FAIL kats=%u", failed);
	else
		rp_text(r, "ok");
}

bool rp_exec_final_check(struct rp_exec *ex, char *why, size_t size)
{
	return hm_check_full(ex->m, why, size) == 0;
}

bool rp_exec_op(struct rp_exec *ex, const struct rp_op *op, struct rp_result *r)
{
	memset(r, 0, sizeof(*r));
	if (op->kind != RP_CALL && op->kind != RP_GUEST && op->kind != RP_CHECK)
		ex->snap_valid = false; /* host accesses map pages; images and manifests call */
	switch (op->kind) {
	case RP_CALL:
		rp_do_call(ex, op, r);
		break;
	case RP_HOST_READ:
	case RP_HOST_WRITE:
	case RP_HOST_CLEAN:
		rp_do_host(ex, op, r);
		break;
	case RP_GUEST:
		rp_do_guest(ex, op, r);
		break;
	case RP_IMAGE:
		rp_do_image(ex, op, r);
		break;
	case RP_MANIFEST:
		rp_do_manifest(ex, op, r);
		break;
	case RP_CHECK:
		rp_do_check(ex, r);
		break;
	case RP_CPU:
		if (op->value >= ex->mc.cpus)
			abort(); /* the parser and the fuzzers never make one */
		ex->cpu = (unsigned)op->value;
		rp_text(r, "OK");
		break;
	case RP_SELFTEST:
		rp_do_selftest(ex, r);
		break;
	case RP_DMA:
		rp_do_dma(ex, op, r);
		break;
	case RP_EXPORT:
		rp_do_export(ex, op, r);
		break;
	case RP_IMPORT:
		rp_do_import(ex, op, r);
		break;
	}
	if (ex->opts.check_every_op) {
		char why[300];
		/* What kcore touched, before the check empties the log. */
		ex->ntouched = ex->opts.fast_digest
				       ? kcore_touch_frames(ex->touched, RP_TOUCHED_MAX)
				       : ~0u;
		if (!r->oracle_fail && hm_check(ex->m, why, sizeof(why)))
			rp_oracle(r, "%s", why);
		if (!r->oracle_fail)
			rp_model_compare_at(&ex->model, ex->touched, ex->ntouched, r);
	}
	r->mismatch = op->expect[0] && !rp_expect_match(op->expect, r->text);
	return !r->oracle_fail;
}
