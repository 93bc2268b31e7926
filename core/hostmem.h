/* SPDX-License-Identifier: BSD-2-Clause */
/* The host's stage 2 (core/hostmem.c).  Core-private. */
#ifndef KCORE_HOSTMEM_H
#define KCORE_HOSTMEM_H

#include <kcore/platform.h>

/*
 * Take frame `pa` out of the host's stage 2 (if mapped) and invalidate the
 * host's TLB entry for it.  Holding frames_lock.
 */
void host_unmap_locked(kc_paddr_t pa);

/* The same for the n frames (or device pages) from `pa`. */
void host_unmap_run_locked(kc_paddr_t pa, uint64_t n);

#endif /* KCORE_HOSTMEM_H */
