/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/manifest.h — the signed boot manifest (formats v1 and v2,
 * docs/MANIFEST.md).
 *
 * A VM boots only from images a trusted key signed for.  The manifest lists
 * each image (guest base, size, SHA-256) and the entry PC; format v2 adds
 * the VM's memory layout: its RAM ranges and its device windows, so the
 * host cannot put a device where the guest expects RAM.  It is signed with
 * ECDSA P-256 over SHA-256.  The host hands it to kcore in one page; kcore
 * copies the page into its own memory first and parses only the copy.
 *
 * Layout, all integers little-endian (n = nimages, L = 24 + 48n):
 *
 *   offset        size  field
 *   0             8     magic "KCOREMF1"
 *   8             4     version (1 or 2)
 *   12            4     nimages (1..KC_MANIFEST_MAX_IMAGES)
 *   16            8     entry_pc
 *   24 + 48*i     8     image[i].guest_base   (page aligned)
 *   32 + 48*i     8     image[i].size         (page aligned, > 0)
 *   40 + 48*i     32    image[i].sha256       (of exactly `size` bytes)
 * v2 only (k = nram + nwin, R = L + 8 + 24k; v1: R = L):
 *   L             4     nram (1..KC_MANIFEST_MAX_RAM)
 *   L + 4         4     nwin (0..KC_MANIFEST_MAX_WINDOWS)
 *   L + 8 + 24*j  24    range j: base, size, flags (8 bytes each); the nram
 *                       RAM ranges first, then the nwin device windows
 * both:
 *   R             64    signature: r || s, big-endian, over SHA-256 of
 *                       bytes [0, R)
 *   R + 64        ...   zero up to the end of the buffer
 */
#ifndef KCORE_MANIFEST_H
#define KCORE_MANIFEST_H

#include <kcore/crypto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_MANIFEST_MAGIC	"KCOREMF1"
#define KC_MANIFEST_V1		1u /* images and entry only: no layout declared */
#define KC_MANIFEST_V2		2u /* + RAM ranges and device windows */
#define KC_MANIFEST_VERSION	KC_MANIFEST_V1
#define KC_MANIFEST_MAX_IMAGES	8u
#define KC_MANIFEST_MAX_RAM	4u
#define KC_MANIFEST_MAX_WINDOWS 8u
#define KC_MANIFEST_HEADER_SIZE 24u
#define KC_MANIFEST_IMAGE_SIZE	48u
#define KC_MANIFEST_LAYOUT_SIZE 8u  /* v2: nram and nwin */
#define KC_MANIFEST_RANGE_SIZE	24u /* v2: one RAM range or device window */
#define KC_MANIFEST_SIG_SIZE	CRYPTO_P256_SIG_LEN
/* Window flag: several VMs may map the same device pages through it. */
#define KC_MANIFEST_WIN_SHARED	(1ull << 0)
#define KC_MANIFEST_WIN_FLAGS	KC_MANIFEST_WIN_SHARED /* every other bit is reserved (0) */
/* The most a manifest can occupy (it always fits one 4 KiB page). */
#define KC_MANIFEST_MAX_SIZE                                                                       \
	(KC_MANIFEST_HEADER_SIZE + KC_MANIFEST_MAX_IMAGES * KC_MANIFEST_IMAGE_SIZE +               \
	 KC_MANIFEST_LAYOUT_SIZE +                                                                 \
	 (KC_MANIFEST_MAX_RAM + KC_MANIFEST_MAX_WINDOWS) * KC_MANIFEST_RANGE_SIZE +                \
	 KC_MANIFEST_SIG_SIZE)

struct kc_manifest_image {
	uint64_t guest_base;
	uint64_t size;
	uint8_t sha256[CRYPTO_SHA256_LEN];
};

/* A RAM range or a device window: [base, base + size) in the guest's IPA space. */
struct kc_manifest_range {
	uint64_t base;
	uint64_t size;
	uint64_t flags; /* RAM: 0; window: KC_MANIFEST_WIN_* */
};

/*
 * The VM's memory layout as signed (v2).  A v1 manifest declares nothing:
 * nram = nwin = 0, so such a VM has no device window and can have no IO
 * mapping at all.
 */
struct kc_manifest_layout {
	uint32_t nram;
	uint32_t nwin;
	struct kc_manifest_range ram[KC_MANIFEST_MAX_RAM];
	struct kc_manifest_range win[KC_MANIFEST_MAX_WINDOWS];
};

struct kc_manifest {
	uint32_t version; /* KC_MANIFEST_V1 or KC_MANIFEST_V2 */
	uint64_t entry_pc;
	uint32_t nimages;
	struct kc_manifest_image images[KC_MANIFEST_MAX_IMAGES];
	struct kc_manifest_layout layout; /* all zero for v1 */
	unsigned key_index;		  /* which trusted key verified it */
};

/*
 * Parse and authenticate the manifest in buf[0, len) — a copy in kcore
 * memory — against `nkeys` trusted public keys.  Returns:
 *   KC_OK      and fills *out;
 *   KC_EINVAL  malformed: short buffer, bad magic or version, a count out
 *              of range, a misaligned, empty, overflowing or out-of-range
 *              (beyond 2^48) image, RAM range or window, reserved flag
 *              bits, overlapping images or ranges, an image outside every
 *              RAM range (v2), an entry PC outside every image or not
 *              4-byte aligned, non-zero bytes after the signature;
 *   KC_EAUTH   well formed, but no trusted key verifies the signature (or
 *              there are no trusted keys).
 * On error *out is unspecified and *why (if why is not NULL) names the
 * first problem found, as a constant string for logs and tools.
 */
int manifest_parse(const uint8_t *buf, size_t len, const uint8_t (*keys)[CRYPTO_P256_PUB_LEN],
		   unsigned nkeys, struct kc_manifest *out, const char **why);

/*
 * The device window of `l` that holds all of [base, base + size) (size > 0,
 * no wrap), or NULL if none does.  A range across two windows is in none.
 */
const struct kc_manifest_range *manifest_window_of(const struct kc_manifest_layout *l,
						   uint64_t base, uint64_t size);

/* Whether [base, base + size) overlaps a RAM range of `l`. */
bool manifest_overlaps_ram(const struct kc_manifest_layout *l, uint64_t base, uint64_t size);

#endif /* KCORE_MANIFEST_H */
