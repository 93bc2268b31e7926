/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot-time configuration of the platform.h implementation.
 */
#ifndef KCORE_ARM64_PLAT_H
#define KCORE_ARM64_PLAT_H

#include <kcore/kcore.h>
#include <stdbool.h>

/*
 * The RAM plat_phys_to_virt() may hand out (kcore maps RAM VA = PA).  The
 * layout must stay alive: it is not copied.  Until this is called every
 * plat_phys_to_virt() is a panic.
 */
void arm64_plat_set_ram(const struct kc_boot_layout *layout);

/* True if this CPU implements FEAT_RNG (RNDR), i.e. plat_entropy can work. */
bool arm64_entropy_present(void);

#endif /* KCORE_ARM64_PLAT_H */
