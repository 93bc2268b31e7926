/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/boot.h — start kcore on a model machine, as the arm64 image
 * does on a real one: build the boot layout, reserve kcore's frames, call
 * kcore_init.  And the full invariant check, which adds the TLB model's
 * invariant 7 to core's 1-6.
 */
#ifndef KCORE_HOSTED_BOOT_H
#define KCORE_HOSTED_BOOT_H

#include <kcore/kcore.h>
#include <kcore_hosted/machine.h>

#include <stddef.h>

/*
 * The model's stand-in for kcore's image: the first HM_KCORE_IMAGE_SIZE
 * bytes of RAM (text: the first HM_KCORE_TEXT_SIZE), CORE like the real
 * image.  kcore's metadata pool goes at the top of RAM.
 */
#define HM_KCORE_IMAGE_SIZE (1u << 20)
#define HM_KCORE_TEXT_SIZE  (64u << 10)

/*
 * Boot kcore on `m` (as CPU 0) with `cfg`; cfg->ncpus 0 means the
 * machine's CPU count.  Returns kcore_init's status (KC_OK, KC_EINVAL,
 * KC_ENOMEM), or KC_ENOMEM if RAM cannot hold image and pool.
 */
int hm_kcore_boot(struct hm_machine *m, const struct kc_config *cfg);

/*
 * The same, with `ndevices` of the machine's device ranges listed as
 * kcore's own (kc_boot_layout.devices), bit i of `host_shared` sharing
 * devices[i] with the host as the arm64 image shares its console.
 */
int hm_kcore_boot_devices(struct hm_machine *m, const struct kc_config *cfg,
			  const struct kc_region *devices, unsigned ndevices, uint32_t host_shared);

/* Where kcore's pool sits after hm_kcore_boot (for tests that aim at it). */
struct kc_region hm_kcore_pool(struct hm_machine *m);

/*
 * Invariants 1-7: kcore_check_incremental (what changed since the last
 * check), then the TLB model's coherence with the tables (7).  Every
 * HM_CHECK_FULL_EVERY checks, and whenever the incremental check finds a
 * violation, the full walk (kcore_check) runs on the same state too, and
 * the two verdicts must agree: if one says violated and the other not,
 * `why` starts "checker disagreement" (a finding in itself).  Returns 0
 * or the number of the first violated, with words.
 */
#define HM_CHECK_FULL_EVERY 64
int hm_check(struct hm_machine *m, char *why, size_t size);
/*
 * The full walk every n checks instead (0: HM_CHECK_FULL_EVERY); n = 1 is
 * the full walk alone after every step, no incremental check (for
 * measuring what the incremental one saves).  Process-wide.
 */
void hm_check_set_full_every(unsigned n);
/* The same with the full walk (and the comparison) now: at the end of a run. */
int hm_check_full(struct hm_machine *m, char *why, size_t size);

#endif /* KCORE_HOSTED_BOOT_H */
