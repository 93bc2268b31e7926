/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device-page claims (core/ioclaim.c).  Core-private.
 *
 * Device (IO) pages have no frame-table entry, so who holds one is kept
 * here: one run per successful VM_MAP_IO, {pa, gpa, npages, vmid, shared},
 * in a bounded kcore-wide table.  A run is exclusive (the VM's alone: no
 * other VM may map a page of it, and the host may not touch it) or shared
 * (mapped through a window the VM's manifest marks SHARED: other VMs may
 * map the same pages through SHARED windows of their own, and the host
 * keeps its access).  A VM that is not verified yet claims exclusively: its
 * windows are not known until VM_VERIFY, which turns the runs inside
 * SHARED windows into shared ones.
 *
 * Guarded by frames_lock, which also guards the host's stage 2: a page is
 * claimed exactly when the host loses it, and released exactly when the
 * host may fault it in again.  Like `kc`, kcore_init resets it.
 */
#ifndef KCORE_IOCLAIM_H
#define KCORE_IOCLAIM_H

#include <kcore/manifest.h>
#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

/* Runs kcore-wide: one VM_MAP_IO call (up to 512 pages) each. */
#define KC_IOCLAIMS_MAX 512u

struct ioclaim {
	kc_paddr_t pa;	 /* first device page */
	uint64_t gpa;	 /* where the VM maps it: [gpa, gpa + npages pages) -> [pa, ...) */
	uint32_t npages; /* 1..KC_MAX_PAGES_PER_CALL; 0 never (the run is removed) */
	uint16_t vmid;
	bool shared;
};

struct ioclaim_table {
	unsigned n; /* runs in use: runs[0, n), in no particular order */
	struct ioclaim runs[KC_IOCLAIMS_MAX];
};

extern struct ioclaim_table ioclaims;

/* Forget every claim (kcore_init). */
void ioclaim_reset(void);

/*
 * Whether VM `vmid` may claim the npages device pages from `pa`, shared or
 * not, without changing anything: KC_OK; KC_EPERM if another VM holds one
 * of them and either claim is exclusive; KC_ENOMEM if the table is full.
 * A VM's own runs never stand in its way (it may map a page twice).
 */
int ioclaim_check_locked(uint16_t vmid, kc_paddr_t pa, uint64_t npages, bool shared);

/*
 * Record the run (checked with ioclaim_check_locked under the same hold of
 * frames_lock).  An exclusive run is taken from the host here: unmapped
 * from its stage 2, with the TLBI.  Never fails.
 */
void ioclaim_add_locked(uint16_t vmid, kc_paddr_t pa, uint64_t gpa, uint64_t npages, bool shared);

/* Whether the host may not map device page `pa`: some VM holds it exclusively. */
bool ioclaim_host_denied_locked(kc_paddr_t pa);

/*
 * VM_VERIFY: whether every run of `vmid` lies inside one device window of
 * `l` (and so over no RAM range): KC_OK, or KC_EPERM with *why saying
 * which rule the first bad run breaks.
 */
int ioclaim_verify_locked(uint16_t vmid, const struct kc_manifest_layout *l, const char **why);
/* ...and once VM_VERIFY commits: runs in SHARED windows become shared. */
void ioclaim_apply_layout_locked(uint16_t vmid, const struct kc_manifest_layout *l);

/*
 * VM_RECLAIM took the VM's device leaf at `gpa` (size bytes) out of its
 * stage 2: the front of the run that starts there goes back.  A leaf with
 * no run is kcore's own inconsistency (fail-stop).
 */
void ioclaim_release_leaf_locked(uint16_t vmid, uint64_t gpa, kc_paddr_t pa, uint64_t size);
/* VM_DESTROY: everything `vmid` still holds goes back. */
void ioclaim_release_vm_locked(uint16_t vmid);

#endif /* KCORE_IOCLAIM_H */
