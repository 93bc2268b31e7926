/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/manifest.h — the signed boot manifest (format v1, docs/MANIFEST.md).
 *
 * A VM boots only from images a trusted key signed for.  The manifest lists
 * each image (guest base, size, SHA-256) and the entry PC; it is signed with
 * ECDSA P-256 over SHA-256.  The host hands it to kcore in one page;
 * kcore copies the page into its own memory first and parses only the copy.
 *
 * Layout, all integers little-endian:
 *
 *   offset        size  field
 *   0             8     magic "KCOREMF1"
 *   8             4     version (1)
 *   12            4     nimages (1..KC_MANIFEST_MAX_IMAGES)
 *   16            8     entry_pc
 *   24 + 48*i     8     image[i].guest_base   (page aligned)
 *   32 + 48*i     8     image[i].size         (page aligned, > 0)
 *   40 + 48*i     32    image[i].sha256       (of exactly `size` bytes)
 *   24 + 48*n     64    signature: r || s, big-endian, over SHA-256 of
 *                       bytes [0, 24 + 48*n)
 *   88 + 48*n     ...   zero up to the end of the buffer
 */
#ifndef KCORE_MANIFEST_H
#define KCORE_MANIFEST_H

#include <kcore/crypto.h>
#include <stddef.h>
#include <stdint.h>

#define KC_MANIFEST_MAGIC	"KCOREMF1"
#define KC_MANIFEST_VERSION	1u
#define KC_MANIFEST_MAX_IMAGES	8u
#define KC_MANIFEST_HEADER_SIZE 24u
#define KC_MANIFEST_IMAGE_SIZE	48u
#define KC_MANIFEST_SIG_SIZE	CRYPTO_P256_SIG_LEN
/* The most a manifest can occupy (it always fits one 4 KiB page). */
#define KC_MANIFEST_MAX_SIZE                                                                       \
	(KC_MANIFEST_HEADER_SIZE + KC_MANIFEST_MAX_IMAGES * KC_MANIFEST_IMAGE_SIZE +               \
	 KC_MANIFEST_SIG_SIZE)

struct kc_manifest_image {
	uint64_t guest_base;
	uint64_t size;
	uint8_t sha256[CRYPTO_SHA256_LEN];
};

struct kc_manifest {
	uint64_t entry_pc;
	uint32_t nimages;
	struct kc_manifest_image images[KC_MANIFEST_MAX_IMAGES];
	unsigned key_index; /* which trusted key verified it */
};

/*
 * Parse and authenticate the manifest in buf[0, len) — a copy in kcore
 * memory — against `nkeys` trusted public keys.  Returns:
 *   KC_OK      and fills *out;
 *   KC_EINVAL  malformed: short buffer, bad magic or version, nimages out
 *              of range, a misaligned, empty, overflowing or out-of-range
 *              (>= 2^48) image, overlapping images, an entry PC outside
 *              every image or not 4-byte aligned, non-zero bytes after the
 *              signature;
 *   KC_EAUTH   well formed, but no trusted key verifies the signature (or
 *              there are no trusted keys).
 * On error *out is unspecified and *why (if why is not NULL) names the
 * first problem found, as a constant string for logs and tools.
 */
int manifest_parse(const uint8_t *buf, size_t len, const uint8_t (*keys)[CRYPTO_P256_PUB_LEN],
		   unsigned nkeys, struct kc_manifest *out, const char **why);

#endif /* KCORE_MANIFEST_H */
