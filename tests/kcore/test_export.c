/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted export and import (core/export.c, core/import.c,
 * docs/EXPORT.md).  A guest writes memory and registers and pauses; its VM
 * is exported, taken apart, imported into a new VM id and goes on where it
 * stopped with every guest `expect` holding.  Then each way a host could
 * misuse the stream — a flipped bit, a replay, a reordering, two pages
 * swapped, one dropped, a record of another session, a truncated stream,
 * a changed attribute — is refused with nothing changed (the state digest
 * is the same), each with its control: the right record, given next, is
 * taken.  And no exported record shows a guest secret (the confidentiality
 * oracle's canaries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/replay/secret.h"
#include "fixture.h"
#include "guestprog.h"

#define IMG_BASE	0x80000000ull
#define DATA_IPA	0x90000000ull
#define MMIO_IPA	0xA0000000ull
#define SECRET		0x5ec2e75ec2e70042ull /* guest secrets: canaries of the oracle */
#define SECRET_V	0x5ec2e75ec2e70043ull
#define SECRET_SYS	0x5ec2e75ec2e70044ull
#define TPIDR_EL1	HM_SYSREG(3, 0, 13, 0, 4)
#define KF_VM_EXPORTING 4
#define KF_VM_IMPORTING 5

/* One record of a stream: the import call it goes to, its frame and its three words. */
struct rec {
	uint64_t fn, pfn, meta, tlo, thi;
};

struct stream {
	uint64_t sid, slo, shi;
	struct rec r[32];
	unsigned n;
};

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup(&the_kf);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

/*
 * The guest, as one program for vCPU 0 from IMG_BASE: part one writes a
 * secret into its image page and a data page (faulted in), a vector and a
 * system register, guards MMIO_IPA, writes and shares a second data page,
 * and waits (WFI: paused).  Part two, after the import, reads it all back
 * (expects), touches its guarded page (an MMIO exit) and powers off.
 */
#define PART2 22 /* index of part two's first op */
static void guest_program(struct kf *f, uint64_t vm)
{
	PROG(f, vm, 0, IMG_BASE, SET(1, 0x1111), SET(2, SECRET),
	     OP(STORE, 2, 8, IMG_BASE + 0x100, 0), SET(HM_REG_V0 + 3, SECRET_V), SET(9, SECRET_SYS),
	     MSR(TPIDR_EL1, 9), SET(0, KC_GC_MMIO_GUARD_MAP), SET(1, MMIO_IPA), SET(2, 0), HVC,
	     EXPECT(0, KC_OK), SET(1, 0x1111), SET(2, SECRET), OP(STORE, 2, 8, DATA_IPA + 8, 0),
	     OP(STORE, 1, 8, DATA_IPA + 0x1000, 0), SET(0, KC_GC_SHARE),
	     SET(1, (DATA_IPA >> 12) + 1), SET(2, 1), HVC, EXPECT(0, KC_OK), SET(1, 0x1111), WFI,
	     /* part two (PART2) */
	     OP(LOAD, 3, 8, IMG_BASE + 0x100, 0), EXPECT(3, SECRET),
	     OP(LOAD, 4, 8, DATA_IPA + 8, 0), EXPECT(4, SECRET),
	     OP(LOAD, 5, 8, DATA_IPA + 0x1000, 0), EXPECT(5, 0x1111), EXPECT(1, 0x1111),
	     EXPECT(HM_REG_V0 + 3, SECRET_V), MRS(7, TPIDR_EL1), EXPECT(7, SECRET_SYS),
	     OP(STORE, 1, 4, MMIO_IPA + 4, 0), SET(0, KC_PSCI_SYSTEM_OFF), HVC);
}

static void run_exit(struct kf *f, uint64_t vm, uint64_t finish, uint64_t want_kind,
		     uint64_t want_x2)
{
	uint64_t r[3];
	assert_int_equal(kf_run(f, vm, 0, finish, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), want_kind);
	if (want_kind == KC_EXIT_FAULT || want_kind == KC_EXIT_MMIO)
		assert_int_equal(r[1], want_x2);
}

/* A verified VM with `vcpus` vCPUs whose vCPU 0 ran part one and is paused at its WFI. */
static uint64_t paused_vm(struct kf *f, unsigned vcpus)
{
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, vcpus);

	guest_program(f, vm);
	run_exit(f, vm, KC_RUN_RESUME, KC_EXIT_FAULT, DATA_IPA);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_exit(f, vm, KC_RUN_RESUME, KC_EXIT_FAULT, DATA_IPA + 0x1000);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_exit(f, vm, KC_RUN_RESUME, KC_EXIT_WFI, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), IMG_BASE + 4 * PART2);
	kf_check(f);
	return vm;
}

static void add_rec(struct stream *s, uint64_t fn, uint64_t pfn, const uint64_t r[3])
{
	assert_true(s->n < sizeof(s->r) / sizeof(s->r[0]));
	s->r[s->n++] = (struct rec){ fn, pfn, r[0], r[1], r[2] };
}

/* Export VM `vm` (its vCPUs 0..vcpus-1) whole: begin, every page, every vCPU, end. */
static void export_vm(struct kf *f, uint64_t vm, unsigned vcpus, struct stream *s)
{
	uint64_t r[3];

	memset(s, 0, sizeof(*s));
	assert_int_equal(kf_call(f, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, r), KC_OK);
	s->sid = r[0], s->slo = r[1], s->shi = r[2];
	assert_int_equal(kf_vm_state(vm), KF_VM_EXPORTING);
	for (;;) {
		uint64_t pfn = kf_frame(f);
		int rc = kf_call(f, KC_HC_EXPORT_PAGE, vm, pfn, 0, 0, r);
		if (rc == KC_ENOENT)
			break;
		assert_int_equal(rc, KC_OK);
		add_rec(s, KC_HC_IMPORT_PAGE, pfn, r);
	}
	for (unsigned i = 0; i < vcpus; i++) {
		uint64_t pfn = kf_frame(f);
		assert_int_equal(kf_call(f, KC_HC_EXPORT_VCPU, vm, i, pfn, 0, r), KC_OK);
		add_rec(s, KC_HC_IMPORT_VCPU, pfn, r);
	}
	uint64_t pfn = kf_frame(f);
	assert_int_equal(kf_call(f, KC_HC_EXPORT_END, vm, pfn, 0, 0, r), KC_OK);
	add_rec(s, KC_HC_IMPORT_END, pfn, r);
	assert_int_equal(kf_vm_state(vm), KF_VM_POWEROFF);
	kf_check(f);
}

/* Take the source apart: reclaim and destroy. */
static void destroy_vm(struct kf *f, uint64_t vm)
{
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vm, 10000, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vm, 0, 0, 0, NULL), KC_OK);
}

/* A new VM with `vcpus` vCPUs, opened for the import of `s`. */
static uint64_t importer(struct kf *f, unsigned vcpus, const struct stream *s)
{
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	for (unsigned i = 0; i < vcpus; i++)
		assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vm, i, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_IMPORT_BEGIN, vm, s->sid, s->slo, s->shi, NULL), KC_OK);
	assert_int_equal(kf_vm_state(vm), KF_VM_IMPORTING);
	return vm;
}

static int import_rec(struct kf *f, uint64_t vm, const struct rec *c)
{
	uint64_t x[7] = { c->fn, vm, c->pfn, c->meta, c->tlo, c->thi, 0 };
	return kf_call_regs(f, 0, x);
}

/* A record that must be refused with `want`, with nothing changed. */
static void import_refused(struct kf *f, int want, uint64_t vm, const struct rec *c)
{
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t x[7] = { c->fn, vm, c->pfn, c->meta, c->tlo, c->thi, 0 };

	int owner = kf_frame_owner(c->pfn);
	kf_digest(f, before);
	int rc = kf_call_regs(f, 0, x);
	if (rc != want)
		fail_msg("import of meta 0x%llx: got %s, want %s", (unsigned long long)c->meta,
			 kcore_err_name(rc), kcore_err_name(want));
	assert_true(!x[1] && !x[2] && !x[3]);
	kf_digest(f, after);
	kf_assert_same("refused import", before, after);
	kf_check(f);
	assert_int_equal(kf_frame_owner(c->pfn), owner); /* the host keeps its frame */
}

static void import_ok(struct kf *f, uint64_t vm, const struct rec *c)
{
	int rc = import_rec(f, vm, c);
	if (rc != KC_OK)
		fail_msg("import of meta 0x%llx: %s", (unsigned long long)c->meta,
			 kcore_err_name(rc));
	kf_check(f);
}

static void import_all(struct kf *f, uint64_t vm, const struct stream *s, unsigned from)
{
	for (unsigned i = from; i < s->n; i++)
		import_ok(f, vm, &s->r[i]);
}

/* The round trip: paused, exported, destroyed, imported into a new id, and on it goes. */
static void test_round_trip(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm = paused_vm(f, 2), r[3];

	export_vm(f, vm, 2, &s);
	/* Image page, two data pages, the guard mark; two vCPUs; the end. */
	assert_int_equal(s.n, 4 + 2 + 1);
	assert_int_equal(KC_XREC_KIND(s.r[0].meta), KC_XREC_PAGE);
	assert_int_equal(KC_XREC_INDEX(s.r[0].meta), IMG_BASE >> 12);
	assert_int_equal(KC_XREC_INDEX(s.r[1].meta), DATA_IPA >> 12);
	assert_int_equal(KC_XREC_COUNT(s.r[1].meta), 0);
	assert_int_equal(KC_XREC_COUNT(s.r[2].meta), 1); /* the shared page says so */
	assert_int_equal(KC_XREC_KIND(s.r[3].meta), KC_XREC_GUARD);
	/* A new VM first, so the import gets another id than the source. */
	uint64_t vm2 = importer(f, 2, &s);
	assert_int_not_equal(vm2, vm);
	destroy_vm(f, vm);
	import_all(f, vm2, &s, 0);
	assert_int_equal(kf_vm_state(vm2), KF_VM_VERIFIED);
	assert_int_equal(kf_vcpu_pc(vm2, 0), IMG_BASE + 4 * PART2);
	/* The record frames became the VM's pages; the shared one is still shared. */
	assert_int_equal(kf_frame_owner(s.r[0].pfn), (int)vm2);
	assert_int_equal(kf_frame_count(s.r[2].pfn), 1);
	assert_int_equal(kf_frame_owner(s.r[4].pfn), KF_OWNER_HOST); /* a vCPU record stays */
	/* The program lives in the model, keyed by VM id: the same ops, for the new id. */
	guest_program(f, vm2);
	assert_int_equal(kf_run(f, vm2, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_MMIO); /* the guard came along */
	assert_int_equal(r[1], MMIO_IPA + 4);
	run_exit(f, vm2, KC_RUN_MMIO_DONE, KC_EXIT_POWEROFF, 0);
	kf_check(f); /* every guest expect held */
	destroy_vm(f, vm2);
}

static bool never_shared(uint64_t pa)
{
	(void)pa;
	return false;
}

/* No record carries a guest secret: the oracle's word scan over every record frame. */
static void test_records_show_no_canary(void **state)
{
	struct kf *f = *state;
	struct stream s;
	struct rp_secrets none;
	uint8_t buf[4096];
	uint64_t vm = paused_vm(f, 2);

	memset(&none, 0, sizeof(none));
	/* Control: the plaintext page does hold the canaries the scan looks for. */
	uint64_t data_pa = kf_vm_lookup(vm, DATA_IPA);
	memcpy(buf, hm_phys(f->m, data_pa, 4096), 4096);
	assert_true(rp_secret_check_read(&none, data_pa, buf, 4096, never_shared) >= 0);
	export_vm(f, vm, 2, &s);
	for (unsigned i = 0; i < s.n; i++) {
		memcpy(buf, hm_phys(f->m, s.r[i].pfn << 12, 4096), 4096);
		long at = rp_secret_check_read(&none, s.r[i].pfn << 12, buf, 4096, never_shared);
		if (at >= 0)
			fail_msg("record %u shows a guest secret at offset %ld", i, at);
		for (unsigned k = 0; k < 3; k++)
			assert_false(rp_secret_is_leak(&none, (&s.r[i].meta)[k]));
	}
}

/* Where exports may start, and that an EXPORTING VM holds still. */
static void test_export_states(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];
	const struct kf_image img = { IMG_BASE, 1, 0x20 };
	uint64_t created = kf_vm_loaded(f, &img, 1);

	kf_call_refused(f, KC_ESTATE, KC_HC_EXPORT_BEGIN, created, 0, 0, 0); /* not verified */
	uint64_t vm = paused_vm(f, 1);
	kf_call_refused(f, KC_EINVAL, KC_HC_EXPORT_BEGIN, vm, 1, 0, 0); /* must-be-zero x2 */
	kf_call_refused(f, KC_ESTATE, KC_HC_EXPORT_PAGE, vm, kf_frame(f), 0, 0); /* no session */
	assert_int_equal(kf_call(f, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, r), KC_OK);
	/* Nothing runs or changes it now. */
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_RUN, vm, 0, 0, 0);
	kf_call_refused(f, KC_ESTATE, KC_HC_VM_POWEROFF, vm, 0, 0, 0);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_INJECT_IRQ, vm, 0, 32, 0x80);
	kf_call_refused(f, KC_ESTATE, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0);
	/* The end is refused while a page or a vCPU is still in. */
	kf_call_refused(f, KC_ESTATE, KC_HC_EXPORT_END, vm, kf_frame(f), 0, 0);
	/* A record goes only into the host's own frames. */
	kf_call_refused(f, KC_EPERM, KC_HC_EXPORT_PAGE, vm, kf_vm_lookup(vm, DATA_IPA) >> 12, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_EXPORT_PAGE, vm, 0x1000, 0, 0);	      /* not RAM */
	kf_call_refused(f, KC_EPERM, KC_HC_EXPORT_VCPU, vm, 0, KF_RAM_BASE >> 12, 0); /* kcore's */
	kf_call_refused(f, KC_ENOENT, KC_HC_EXPORT_VCPU, vm, 3, kf_frame(f), 0);
	/* Control: the abort gives the VM back, and it runs on. */
	assert_int_equal(kf_call(f, KC_HC_EXPORT_PAGE, vm, kf_frame(f), 0, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_EXPORT_ABORT, vm, 0, 0, 0, r), KC_OK);
	assert_int_equal(KC_XREC_KIND(r[0]), KC_XREC_ABORT);
	assert_int_equal(KC_XREC_INDEX(r[0]), 2); /* it stopped before record 2 */
	assert_int_equal(kf_vm_state(vm), KF_VM_VERIFIED);
	/* Its session never becomes importable. */
	uint64_t vm2 = kf_vm_loaded(f, NULL, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IMPORT_BEGIN, vm2, 1, 0, 0);
	/* A POWEROFF VM is not exported. */
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vm, 0, 0, 0, NULL), KC_OK);
	kf_call_refused(f, KC_ESTATE, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0);
}

/* A fresh paused VM exported, and a new VM opened for its import. */
static void exported(struct kf *f, struct stream *s, uint64_t *vm2)
{
	uint64_t vm = paused_vm(f, 2);
	export_vm(f, vm, 2, s);
	*vm2 = importer(f, 2, s);
}

static void test_tamper_ciphertext(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	uint8_t *p = hm_phys(f->m, s.r[0].pfn << 12, 4096);
	p[100] ^= 1;
	import_refused(f, KC_EAUTH, vm2, &s.r[0]);
	p[100] ^= 1; /* control: the record as kcore sealed it */
	import_all(f, vm2, &s, 0);
}

static void test_tamper_tag(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	struct rec bad = s.r[4]; /* a vCPU record */
	bad.thi ^= 1ull << 63;
	import_refused(f, KC_EAUTH, vm2, &bad);
	import_all(f, vm2, &s, 0);
}

static void test_replay(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	import_ok(f, vm2, &s.r[0]);
	import_refused(f, KC_EAUTH, vm2, &s.r[0]); /* the same record again */
	import_ok(f, vm2, &s.r[1]);
	import_ok(f, vm2, &s.r[2]);
	import_ok(f, vm2, &s.r[3]);
	import_ok(f, vm2, &s.r[4]);
	import_refused(f, KC_EEXIST, vm2, &s.r[4]); /* a vCPU again: each arrives once */
	import_all(f, vm2, &s, 5);
}

static void test_reorder(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	import_refused(f, KC_EAUTH, vm2, &s.r[1]); /* the second before the first */
	import_refused(f, KC_EAUTH, vm2, &s.r[5]); /* vCPU 1 before vCPU 0 and the pages */
	import_all(f, vm2, &s, 0);
}

static void test_swap_pages(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	/* The first page's record, claimed for the second page's gfn... */
	struct rec a = s.r[0];
	a.meta = KC_XREC_META(KC_XREC_PAGE, 0, KC_XREC_INDEX(s.r[1].meta));
	import_refused(f, KC_EAUTH, vm2, &a);
	/* ... the second page's, for the first gfn... */
	a = s.r[1];
	a.meta = s.r[0].meta;
	import_refused(f, KC_EAUTH, vm2, &a);
	/* ... and the first one's frame under the second's words. */
	import_ok(f, vm2, &s.r[0]);
	struct rec b = s.r[1];
	b.pfn = s.r[2].pfn;
	import_refused(f, KC_EAUTH, vm2, &b);
	import_all(f, vm2, &s, 1);
}

static void test_drop_page(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2, r[3];

	exported(f, &s, &vm2);
	import_ok(f, vm2, &s.r[0]);
	import_refused(f, KC_EAUTH, vm2, &s.r[2]); /* record 1 dropped */
	import_ok(f, vm2, &s.r[1]);
	import_ok(f, vm2, &s.r[2]);
	/* The guard record dropped: neither the vCPUs nor the end token open. */
	import_refused(f, KC_EAUTH, vm2, &s.r[4]);
	import_refused(f, KC_EAUTH, vm2, &s.r[s.n - 1]);
	assert_int_equal(kf_vm_state(vm2), KF_VM_IMPORTING);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_RUN, vm2, 0, 0, 0); /* never runnable */
	/* Control: with it, everything goes in and the VM runs. */
	import_all(f, vm2, &s, 3);
	assert_int_equal(kf_vm_state(vm2), KF_VM_VERIFIED);
	guest_program(f, vm2);
	assert_int_equal(kf_run(f, vm2, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_MMIO);
}

static void test_other_session(void **state)
{
	struct kf *f = *state;
	struct stream a, b;
	uint64_t vma, vmb;

	exported(f, &a, &vma);
	exported(f, &b, &vmb);
	assert_int_not_equal(a.sid, b.sid);
	import_refused(f, KC_EAUTH, vmb, &a.r[0]); /* A's first page into B's import */
	import_refused(f, KC_EAUTH, vma, &b.r[0]);
	import_all(f, vma, &a, 0);
	import_all(f, vmb, &b, 0);
	/* A session imports once: no clone, no rollback to it. */
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vma, 0, 0, 0, NULL), KC_OK);
	destroy_vm(f, vma);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, r[0], 0, 0, 0, NULL), KC_OK);
	kf_call_refused(f, KC_ENOENT, KC_HC_IMPORT_BEGIN, r[0], a.sid, a.slo, a.shi);
}

static void test_import_begin_checks(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t r[3];

	uint64_t vm = paused_vm(f, 1);
	export_vm(f, vm, 1, &s);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm2 = r[0];
	kf_call_refused(f, KC_ESTATE, KC_HC_IMPORT_BEGIN, vm2, s.sid, s.slo, s.shi); /* no vCPU */
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vm2, 0, 0, 0, NULL), KC_OK);
	kf_call_refused(f, KC_EAUTH, KC_HC_IMPORT_BEGIN, vm2, s.sid, s.slo ^ 1, s.shi);
	kf_call_refused(f, KC_ENOENT, KC_HC_IMPORT_BEGIN, vm2, s.sid + 100, s.slo, s.shi);
	kf_call_refused(f, KC_EINVAL, KC_HC_IMPORT_BEGIN, vm2, 0, s.slo, s.shi);
	kf_call_refused(f, KC_EINVAL, KC_HC_IMPORT_BEGIN, vm2, 1ull << 32, s.slo, s.shi);
	kf_call_refused(f, KC_ESTATE, KC_HC_IMPORT_BEGIN, vm, s.sid, s.slo, s.shi); /* POWEROFF */
	/* Control. */
	assert_int_equal(kf_call(f, KC_HC_IMPORT_BEGIN, vm2, s.sid, s.slo, s.shi, NULL), KC_OK);
	/* Records the importer cannot take: another's frame, a malformed meta. */
	struct rec bad = s.r[0];
	bad.pfn = KF_RAM_BASE >> 12; /* kcore's own */
	import_refused(f, KC_EPERM, vm2, &bad);
	bad = s.r[0];
	bad.meta |= 1ull << 4;
	import_refused(f, KC_EINVAL, vm2, &bad);
	bad = s.r[0];
	bad.fn = KC_HC_IMPORT_VCPU;
	import_refused(f, KC_EINVAL, vm2, &bad);
	import_all(f, vm2, &s, 0);
}

/* The page's attributes and the vCPU index are bound too. */
static void test_tamper_attrs(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2;

	exported(f, &s, &vm2);
	import_ok(f, vm2, &s.r[0]);
	struct rec shared = s.r[1];
	shared.meta = KC_XREC_META(KC_XREC_PAGE, 1, KC_XREC_INDEX(shared.meta)); /* "shared" */
	import_refused(f, KC_EAUTH, vm2, &shared);
	import_ok(f, vm2, &s.r[1]);
	import_ok(f, vm2, &s.r[2]);
	import_ok(f, vm2, &s.r[3]);
	struct rec other = s.r[4];
	other.meta = KC_XREC_META(KC_XREC_VCPU, 0, 1); /* vCPU 0's state as vCPU 1's */
	import_refused(f, KC_EAUTH, vm2, &other);
	import_all(f, vm2, &s, 4);
}

/* A stream cut short leaves the VM unrunnable; the host can only give it up. */
static void test_truncated(void **state)
{
	struct kf *f = *state;
	struct stream s;
	uint64_t vm2, r[3];

	exported(f, &s, &vm2);
	for (unsigned i = 0; i + 1 < s.n; i++)
		import_ok(f, vm2, &s.r[i]);
	kf_call_refused(f, KC_ESTATE, KC_HC_VCPU_RUN, vm2, 0, 0, 0);
	struct rec end = s.r[s.n - 1];
	end.meta = KC_XREC_META(KC_XREC_END, 0, 1);
	import_refused(f, KC_EINVAL, vm2, &end);
	/* Giving up: off, reclaimed, destroyed. */
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vm2, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vm2, 10000, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vm2, 0, 0, 0, NULL), KC_OK);
	kf_check(f);
}

/* At most KC_XFER_READY ended sessions wait for their import; the next end waits too. */
static void test_ready_sessions_bounded(void **state)
{
	struct kf *f = *state;
	struct stream first, s;

	for (unsigned i = 0; i < 8; i++) { /* KC_XFER_READY */
		uint64_t vm = paused_vm(f, 1);
		export_vm(f, vm, 1, i ? &s : &first);
		destroy_vm(f, vm);
	}
	uint64_t vm = paused_vm(f, 1), r[3];
	assert_int_equal(kf_call(f, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, r), KC_OK);
	while (kf_call(f, KC_HC_EXPORT_PAGE, vm, kf_frame(f), 0, 0, r) == KC_OK)
		;
	assert_int_equal(kf_call(f, KC_HC_EXPORT_VCPU, vm, 0, kf_frame(f), 0, r), KC_OK);
	uint64_t end = kf_frame(f);
	kf_call_refused(f, KC_ENOMEM, KC_HC_EXPORT_END, vm, end, 0, 0);
	assert_int_equal(kf_vm_state(vm), KF_VM_EXPORTING);
	/* Control: one import makes room. */
	uint64_t vm2 = importer(f, 1, &first);
	import_all(f, vm2, &first, 0);
	assert_int_equal(kf_call(f, KC_HC_EXPORT_END, vm, end, 0, 0, r), KC_OK);
}

/*
 * The root secret comes from plat_entropy at boot: kcore does not start
 * without one (a few transient failures are retried), and EXPORT_BEGIN
 * without a fresh salt is refused (EBUSY), changing nothing.
 */
static void test_entropy(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];

	hm_entropy_fail_next(f->m, 1000);
	assert_int_equal(hm_kcore_boot(f->m, &f->cfg), KC_EBUSY);
	hm_entropy_fail_next(f->m, 3); /* control: RNDR's transient failure */
	assert_int_equal(hm_kcore_boot(f->m, &f->cfg), KC_OK);
	kf_check(f);
	uint64_t vm = paused_vm(f, 1);
	hm_entropy_fail_next(f->m, 1);
	kf_call_refused(f, KC_EBUSY, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 1); /* the refused call took no session id */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_show_no_canary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_ciphertext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_begin_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_attrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entropy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_sessions_bounded, setup, teardown),
	};
	return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
