/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's EL2 stage-1 MMU: install the core map built by core
 * (kcore_coremap_build) and switch translation and caches on.
 */
#ifndef KCORE_ARM64_EL2_MMU_H
#define KCORE_ARM64_EL2_MMU_H

#include <kcore/kcore.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Turn the EL2 MMU on with the tables rooted at `root`.  `image` is
 * everything written with the MMU off that must be read through the caches
 * afterwards (tables, data, stack).  Called once, with the MMU off.
 */
void el2_mmu_enable(kc_paddr_t root, const struct kc_region *image);

bool el2_mmu_is_on(void);

/* Hardware walk (AT S1E2R): true and the PA if `va` translates for a read. */
bool el2_mmu_translate(uint64_t va, uint64_t *pa);

#endif /* KCORE_ARM64_EL2_MMU_H */
