/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/host.h — the test playing the host (the Linux that kcore
 * deprivileges): its memory accesses through the host stage 2, and its
 * hypercalls.
 *
 * These call core (kcore_host_s2_root, kcore_host_fault, kcore_host_call),
 * so they live in their own object file: a test that does not use them
 * links without core's run-time part.
 */
#ifndef KCORE_HOSTED_HOST_H
#define KCORE_HOSTED_HOST_H

#include <kcore/kcore.h>
#include <kcore_hosted/machine.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Copy `len` bytes from / to host physical address `pa` as CPU `cpu`.  The
 * host's IPA is its PA (identity stage 2); each page goes through hm_access
 * with ctx = hm_ctx_s2(0, kcore_host_s2_root()), TLB included.  A page whose
 * output address is RAM is copied through the data cache (the host's own
 * stage 1 makes RAM cacheable: a store leaves dirty lines until they are
 * cleaned, kcore_hosted/cache.h), one in a device range reads as zero /
 * drops the store and is logged (hm_dev_log_read), anything else is
 * HM_FAULT_EXTERNAL.
 *
 * A stage-2 fault (translation, access flag, permission, address size —
 * on arm64 each traps to kcore's host abort handler) calls
 * kcore_host_fault(page, write) as `cpu`; KC_OK means kcore mapped it and
 * the access is retried, as the host re-executes it on hardware (another
 * CPU may take the frame away in between, so the next fault can be a
 * refusal); after 8 rounds the last fault is returned as it is, so a kcore
 * that says it mapped a page but did not still shows.  KC_EPERM returns
 * HM_FAULT_REFUSED (arm64: kcore injects an abort into the host); any other
 * status (e.g. KC_ENOMEM) returns the original fault unresolved (arm64:
 * the host re-executes the access and faults again).
 *
 * Stops at the first failing page, earlier pages done; `out` (may be NULL)
 * describes the last page tried.  An invalid `cpu` is a test bug
 * (fail-stop through plat_panic).
 */
enum hm_fault hm_host_load(struct hm_machine *m, unsigned cpu, uint64_t pa, void *buf, size_t len,
			   struct hm_walk *out);
enum hm_fault hm_host_store(struct hm_machine *m, unsigned cpu, uint64_t pa, const void *buf,
			    size_t len, struct hm_walk *out);

/*
 * The host's DC CIVAC by VA over [pa, pa + len) as CPU `cpu`: each page is
 * translated through the host stage 2 as a load is (a stage-2 fault goes
 * to kcore the same way, a refusal is HM_FAULT_REFUSED), and every dirty
 * line of the data cache it touches is written back to memory
 * (kcore_hosted/cache.h).  Device pages have nothing to clean.  Stops at
 * the first failing page, earlier pages done.
 */
enum hm_fault hm_host_clean(struct hm_machine *m, unsigned cpu, uint64_t pa, size_t len,
			    struct hm_walk *out);

/*
 * A host `hvc #0` on CPU `cpu`: kcore_host_call(regs) runs as that CPU.
 * Returns 0, or -EINVAL for a CPU the machine does not have.
 */
int hm_host_call(struct hm_machine *m, unsigned cpu, struct kc_hcall *regs);

#endif /* KCORE_HOSTED_HOST_H */
