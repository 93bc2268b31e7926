/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot-image signing keys this image trusts, fixed at build time
 * (meson -Dtrusted_keys=FILE,...; platform/arm64/gen_trusted_keys.py).
 * The host can never add one at run time.
 */
#ifndef ARM64_KEYS_H
#define ARM64_KEYS_H

#include <stdint.h>

extern const uint8_t arm64_trusted_keys[][65];
extern const unsigned arm64_ntrusted_keys;

#endif /* ARM64_KEYS_H */
