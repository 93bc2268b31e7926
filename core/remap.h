/* SPDX-License-Identifier: BSD-2-Clause */
/* The write-once remap window (core/remap.c).  Core-private. */
#ifndef KCORE_REMAP_H
#define KCORE_REMAP_H

#include <kcore/platform.h>
#include <stddef.h>
#include <stdint.h>

/* Hand out `pages` window pages: KC_ENOMEM once the window is used up. */
int remap_reserve_locked(uint64_t pages, uint64_t *va);
/* Whether slot `va` can be written now (KC_OK), as pgt_map_check. */
int remap_check_locked(uint64_t va, kc_paddr_t pa);
/* Write slot `va` -> `pa`, read-only.  Checked first; never fails. */
void remap_map_locked(uint64_t va, kc_paddr_t pa);
/* The frame a written slot maps. */
kc_paddr_t remap_lookup(uint64_t va);
/* The page a written slot maps, for reading (hashing). */
const void *remap_page(uint64_t va);

#endif /* KCORE_REMAP_H */
