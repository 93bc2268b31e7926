/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A kcore test machine: a hosted model with kcore booted on it, a trusted
 * signing key, and helpers that play the host (calls, frame allocation,
 * image loading, manifests).  Shared by the scenario tests in tests/kcore.
 */
#ifndef KCORE_TEST_FIXTURE_H
#define KCORE_TEST_FIXTURE_H

#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore/manifest.h>
#include <kcore_hosted/boot.h>
#include <kcore_hosted/guest.h>
#include <kcore_hosted/host.h>
#include <kcore_hosted/machine.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KF_RAM_BASE    0x40000000ull
#define KF_RAM_SIZE    (64ull << 20)
#define KF_DEV_BASE    0x09000000ull /* an IO range: not RAM, not kcore's */
#define KF_DEV_SIZE    0x00100000ull
#define KF_HOST_FRAMES (KF_RAM_BASE + (8ull << 20)) /* host allocations start here */

struct kf {
	struct hm_machine *m;
	uint64_t next_frame; /* bump allocator of host frames (2 MiB runs aligned) */
	unsigned char sk_buf[32], pub[65];
	br_ec_private_key sk;
	struct kc_config cfg;
};

/* Create the machine and boot kcore; assert on failure. */
void kf_setup(struct kf *f);
/* The same with another kc_config.max_vms (the default is 4). */
void kf_setup_vms(struct kf *f, unsigned max_vms);
/*
 * ... and with `nsmmus` model SMMUs (KF_SMMU_STREAMS streams each, their
 * registers kcore's devices) and kc_config.max_iodoms IO domains of
 * KF_IODOM_POOL_PAGES table pages (kcore_hosted/smmu.h, docs/SMMU.md).
 */
#define KF_SMMU_STREAMS	    16u
#define KF_IODOM_POOL_PAGES 8u
void kf_setup_smmu(struct kf *f, unsigned max_vms, unsigned nsmmus, unsigned max_iodoms);
void kf_teardown(struct kf *f);

/* One host call as CPU 0; returns x0 (status), results in r[0..2]. */
int kf_call(struct kf *f, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	    uint64_t r[3]);
/* The same with x5 (IODOM_MAP's rights). */
int kf_call5(struct kf *f, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	     uint64_t a5, uint64_t r[3]);
/*
 * A host call that must be refused with `want`: x1..x3 come back zero, the
 * state digest is unchanged, and invariants 1-7 hold after it.
 */
void kf_call_refused(struct kf *f, int want, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4);
void kf_call_refused5(struct kf *f, int want, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		      uint64_t a4, uint64_t a5);

/* A fresh host frame (pfn), or a 2 MiB aligned run of 512 (first pfn). */
uint64_t kf_frame(struct kf *f);
uint64_t kf_frame_run(struct kf *f);

/* Write through the host's stage 2 (faults resolved by kcore). */
void kf_host_write(struct kf *f, uint64_t pa, const void *buf, size_t len);
/* 0 if the host may read pa, else the hm_fault it gets. */
int kf_host_try_read(struct kf *f, uint64_t pa);

/* Invariants 1-7 hold; fails the test with kcore's words otherwise. */
void kf_check(struct kf *f);
void kf_digest(struct kf *f, uint8_t out[KC_DIGEST_LEN]);

struct kf_image {
	uint64_t base;
	uint64_t pages;
	uint8_t fill; /* page p holds bytes fill + p */
};

/* Build a manifest for `images`, signed with the fixture key, into a host frame. */
uint64_t kf_manifest(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
		     bool sign_with_other_key);
/* Raw manifest bytes (len = 24 + 48n + 64) for tests that tamper with them. */
size_t kf_manifest_bytes(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			 bool other_key, uint8_t *out);

/*
 * Format v2 (docs/MANIFEST.md): the same with the VM's memory layout signed
 * in (`layout` NULL: v1).  Counts are written as given, so a test can make
 * a malformed one.  len = 24 + 48n + 8 + 24(nram + nwin) + 64.
 */
uint64_t kf_manifest_v2(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			const struct kc_manifest_layout *layout);
size_t kf_manifest_bytes_v2(struct kf *f, const struct kf_image *images, unsigned n, uint64_t entry,
			    bool other_key, const struct kc_manifest_layout *layout, uint8_t *out);

/*
 * The layout most tests use: RAM [KF_LAYOUT_RAM, +512 MiB) (images at
 * 0x80000000, data at 0x90000000) and one device window [KF_LAYOUT_IO,
 * +4 MiB), SHARED or not.
 */
#define KF_LAYOUT_RAM	   0x80000000ull
#define KF_LAYOUT_RAM_SIZE 0x20000000ull
#define KF_LAYOUT_IO	   0xA0000000ull
#define KF_LAYOUT_IO_SIZE  0x00400000ull
void kf_layout(struct kc_manifest_layout *l, bool shared);
/* Put bytes into a zeroed host frame; returns its pfn. */
uint64_t kf_frame_with(struct kf *f, const void *buf, size_t len);

/* VM_CREATE + VCPU_CREATE 0 + images declared and loaded; returns vmid. */
uint64_t kf_vm_loaded(struct kf *f, const struct kf_image *images, unsigned n);
/* ... and verified with a good manifest (entry = first image base). */
uint64_t kf_vm_verified(struct kf *f, const struct kf_image *images, unsigned n);
/*
 * A verified VM with a one-page image at `base` (its entry) and `vcpus`
 * vCPUs: vCPU 0 on, the others created but never started.
 */
uint64_t kf_vm_with_vcpus(struct kf *f, uint64_t base, unsigned vcpus);
/* ... the same with a v2 manifest declaring `layout`. */
uint64_t kf_vm_verified_v2(struct kf *f, const struct kf_image *images, unsigned n,
			   const struct kc_manifest_layout *layout);

/* Run vCPU `vcpu` with finish/value; returns the status, exit in r[0..2]. */
int kf_run(struct kf *f, uint64_t vmid, uint64_t vcpu, uint64_t finish, uint64_t value,
	   uint64_t r[3]);

/*
 * A host call with all seven registers as given, on CPU `cpu`: x[0] comes
 * back as the status, x[1..3] as the results.  Returns the status.
 */
int kf_call_regs(struct kf *f, unsigned cpu, uint64_t x[7]);
/* kf_call on another CPU (the lifecycle helpers all use CPU 0). */
int kf_call_on(struct kf *f, unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t r[3]);
/* kf_host_try_read's store twin. */
int kf_host_try_write(struct kf *f, uint64_t pa);

/*
 * kcore's own records, read straight from its state (core/state.h), so a
 * test can say what a call did and not only what it returned.  They read
 * without locks: call them only while no CPU is inside kcore.
 */
#define KF_OWNER_HOST 0
#define KF_OWNER_CORE 0xFFF
#define KF_NOT_RAM    (-1)
/* Owner of frame `pfn` (KF_OWNER_HOST, a VM id, KF_OWNER_CORE) or KF_NOT_RAM. */
int kf_frame_owner(uint64_t pfn);
/* Its share (VM frame) or DMA (host frame) count, -1 if not RAM. */
int kf_frame_count(uint64_t pfn);
/* The guest frame a VM frame backs. */
uint64_t kf_frame_gfn(uint64_t pfn);

/* enum vm_state and enum vcpu_state of core/state.h, as numbers. */
#define KF_VM_FREE	 0
#define KF_VM_CREATED	 1
#define KF_VM_VERIFIED	 2
#define KF_VM_POWEROFF	 3
#define KF_VCPU_FREE	 0
#define KF_VCPU_READY	 1
#define KF_VCPU_RUNNING	 2
/* enum vcpu_pending. */
#define KF_PENDING_NONE	 0
#define KF_PENDING_FAULT 1
#define KF_PENDING_MMIO	 2
#define KF_PENDING_CALL	 3
int kf_vm_state(uint64_t vmid);
int kf_vcpu_state(uint64_t vmid, unsigned vcpu);
int kf_vcpu_pending(uint64_t vmid, unsigned vcpu);
uint64_t kf_vcpu_pc(uint64_t vmid, unsigned vcpu);
/* kcore's shadow context of a vCPU (its list registers, timer...), read-only. */
const struct kc_vcpu_regs *kf_vcpu_regs(uint64_t vmid, unsigned vcpu);
uint64_t kf_vm_nframes(uint64_t vmid);
/* The PA a VM's stage 2 maps at `ipa`, or ~0 if nothing does. */
uint64_t kf_vm_lookup(uint64_t vmid, uint64_t ipa);
/*
 * kcore's claim on device page `pa` (core/ioclaim.h): the VM holding it
 * (with *shared set), or 0 if no VM does.  With several (shared) claims,
 * the first one's VM.
 */
unsigned kf_io_claim(uint64_t pa, bool *shared);

/*
 * A digest of everything kcore_digest covers except vCPU registers: the
 * frame table, every table, VM and vCPU states and counters.  A guest call
 * that fails still returns its status in the guest's x0 (and moves its pc),
 * so error atomicity for guest calls is checked with this one.
 */
void kf_digest_noregs(struct kf *f, uint8_t out[KC_DIGEST_LEN]);

/* Fail the test, prefixed with `what`, if the two digests differ. */
void kf_assert_same(const char *what, const uint8_t a[KC_DIGEST_LEN],
		    const uint8_t b[KC_DIGEST_LEN]);

/*
 * Make vCPU `vcpu` of `vmid` issue one guest call (x0 = fn, x1, x2) from
 * where its pc is now, then WFI; run it and return the status the guest saw
 * in x0 (the test reads it back through kcore's copy of the registers).
 */
int64_t kf_guest_call(struct kf *f, uint64_t vmid, unsigned vcpu, uint64_t fn, uint64_t x1,
		      uint64_t x2);

#endif /* KCORE_TEST_FIXTURE_H */
