/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The signed boot manifest parser (format v1, kcore/manifest.h and
 * docs/MANIFEST.md).
 *
 * Everything in the manifest page is chosen by the host, so every field is
 * checked before it is used, in an order where each check relies only on
 * fields already checked: buffer length before the header is read, nimages
 * before it sizes anything, the total size before any image is read, each
 * image before the images are compared, the images before the entry PC is
 * looked up in them.  Malformed input is refused before any cryptography,
 * so KC_EINVAL always means "malformed" whoever signed it, and KC_EAUTH
 * only ever means "well formed, but no trusted key signed it".
 *
 * The buffer is read one byte at a time (little-endian by construction):
 * it may be unaligned, and kcore builds with -mstrict-align.
 */
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/manifest.h>
#include <kcore/mem.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_PAGE_SIZE   4096u
/* Guest physical addresses are 48 bits (4 KiB granule, 4 levels). */
#define MANIFEST_GPA_LIMIT   (UINT64_C(1) << 48)

/* Byte offsets inside the header and inside one image record. */
#define MANIFEST_OFF_MAGIC   0u
#define MANIFEST_OFF_VERSION 8u
#define MANIFEST_OFF_NIMAGES 12u
#define MANIFEST_OFF_ENTRY   16u
#define MANIFEST_IMG_BASE    0u
#define MANIFEST_IMG_SIZE    8u
#define MANIFEST_IMG_SHA256  16u

_Static_assert(sizeof(KC_MANIFEST_MAGIC) - 1 == 8, "the magic is 8 bytes");
_Static_assert(KC_MANIFEST_IMAGE_SIZE == MANIFEST_IMG_SHA256 + CRYPTO_SHA256_LEN,
	       "image record layout");
_Static_assert(KC_MANIFEST_MAX_SIZE <= MANIFEST_PAGE_SIZE, "a manifest fits one page");
/* The per-image messages below are spelled out for exactly 8 images. */
_Static_assert(KC_MANIFEST_MAX_IMAGES == 8, "update the message tables");

/*
 * Constant messages that still name the image: one string per image index
 * (and per pair for overlaps), so *why stays a constant and no formatting
 * code runs at EL2.
 */
#define MANIFEST_PER_IMAGE(what)                                                                   \
	{                                                                                          \
		"manifest: image 0 " what, "manifest: image 1 " what, "manifest: image 2 " what,   \
		"manifest: image 3 " what, "manifest: image 4 " what, "manifest: image 5 " what,   \
		"manifest: image 6 " what, "manifest: image 7 " what,                              \
	}
#define MANIFEST_OVERLAPS(j)                                                                       \
	{                                                                                          \
		"manifest: image " #j " overlaps image 0",                                         \
		"manifest: image " #j " overlaps image 1",                                         \
		"manifest: image " #j " overlaps image 2",                                         \
		"manifest: image " #j " overlaps image 3",                                         \
		"manifest: image " #j " overlaps image 4",                                         \
		"manifest: image " #j " overlaps image 5",                                         \
		"manifest: image " #j " overlaps image 6",                                         \
	}

static const char *const manifest_why_base_align[] = MANIFEST_PER_IMAGE("base not page aligned");
static const char *const manifest_why_size_zero[] = MANIFEST_PER_IMAGE("size is zero");
static const char *const manifest_why_size_align[] = MANIFEST_PER_IMAGE("size not page aligned");
static const char *const manifest_why_wraps[] = MANIFEST_PER_IMAGE("base + size wraps around");
static const char *const manifest_why_range[] = MANIFEST_PER_IMAGE("ends beyond 2^48");
/* [i][j], j < i: image i is checked against every earlier image j. */
static const char *const manifest_why_overlap[][KC_MANIFEST_MAX_IMAGES - 1] = {
	{ NULL },
	MANIFEST_OVERLAPS(1),
	MANIFEST_OVERLAPS(2),
	MANIFEST_OVERLAPS(3),
	MANIFEST_OVERLAPS(4),
	MANIFEST_OVERLAPS(5),
	MANIFEST_OVERLAPS(6),
	MANIFEST_OVERLAPS(7),
};

static uint32_t manifest_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t manifest_le64(const uint8_t *p)
{
	return (uint64_t)manifest_le32(p) | (uint64_t)manifest_le32(p + 4) << 32;
}

static int manifest_fail(const char **why, const char *msg, int status)
{
	if (why)
		*why = msg;
	return status;
}

/* Checks one image record on its own; NULL if it is fine, else why not. */
static const char *manifest_check_image(const struct kc_manifest_image *img, unsigned i)
{
	if (img->guest_base % MANIFEST_PAGE_SIZE)
		return manifest_why_base_align[i];
	if (img->size == 0)
		return manifest_why_size_zero[i];
	if (img->size % MANIFEST_PAGE_SIZE)
		return manifest_why_size_align[i];
	/* Subtraction, not base + size: the sum itself could wrap. */
	if (img->size > UINT64_MAX - img->guest_base)
		return manifest_why_wraps[i];
	if (img->guest_base >= MANIFEST_GPA_LIMIT ||
	    img->size > MANIFEST_GPA_LIMIT - img->guest_base)
		return manifest_why_range[i];
	return NULL;
}

/* [a, a + as) and [b, b + bs), both already checked not to wrap. */
static bool manifest_ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

int manifest_parse(const uint8_t *buf, size_t len, const uint8_t (*keys)[CRYPTO_P256_PUB_LEN],
		   unsigned nkeys, struct kc_manifest *out, const char **why)
{
	struct kc_manifest m;
	uint8_t digest[CRYPTO_SHA256_LEN];
	uint32_t version, n;
	size_t signed_len, total;

	memset(&m, 0, sizeof(m));

	/* The header first: nothing else can be found without it. */
	if (len < KC_MANIFEST_HEADER_SIZE)
		return manifest_fail(why, "manifest: shorter than its header", KC_EINVAL);
	if (memcmp(buf + MANIFEST_OFF_MAGIC, KC_MANIFEST_MAGIC, 8) != 0)
		return manifest_fail(why, "manifest: bad magic", KC_EINVAL);
	version = manifest_le32(buf + MANIFEST_OFF_VERSION);
	if (version != KC_MANIFEST_VERSION)
		return manifest_fail(why, "manifest: unsupported version", KC_EINVAL);

	/*
	 * The count is bounded before it is multiplied, so 24 + 48n + 64 is
	 * at most KC_MANIFEST_MAX_SIZE and cannot overflow whatever n was.
	 */
	n = manifest_le32(buf + MANIFEST_OFF_NIMAGES);
	if (n == 0)
		return manifest_fail(why, "manifest: no images", KC_EINVAL);
	if (n > KC_MANIFEST_MAX_IMAGES)
		return manifest_fail(why, "manifest: too many images", KC_EINVAL);
	signed_len = KC_MANIFEST_HEADER_SIZE + (size_t)n * KC_MANIFEST_IMAGE_SIZE;
	total = signed_len + KC_MANIFEST_SIG_SIZE;
	if (total > len)
		return manifest_fail(why, "manifest: shorter than its images and signature",
				     KC_EINVAL);

	m.nimages = n;
	m.entry_pc = manifest_le64(buf + MANIFEST_OFF_ENTRY);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *rec = buf + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;
		struct kc_manifest_image *img = &m.images[i];
		const char *bad;

		img->guest_base = manifest_le64(rec + MANIFEST_IMG_BASE);
		img->size = manifest_le64(rec + MANIFEST_IMG_SIZE);
		memcpy(img->sha256, rec + MANIFEST_IMG_SHA256, CRYPTO_SHA256_LEN);
		bad = manifest_check_image(img, i);
		if (bad)
			return manifest_fail(why, bad, KC_EINVAL);
		/* Earlier images are already valid, so their ends do not wrap. */
		for (unsigned j = 0; j < i; j++) {
			if (manifest_ranges_overlap(m.images[j].guest_base, m.images[j].size,
						    img->guest_base, img->size))
				return manifest_fail(why, manifest_why_overlap[i][j], KC_EINVAL);
		}
	}

	/* A64 instructions are 4-byte aligned; a misaligned PC faults at once. */
	if (m.entry_pc % 4)
		return manifest_fail(why, "manifest: entry PC not 4-byte aligned", KC_EINVAL);
	{
		bool inside = false;

		for (unsigned i = 0; i < n; i++) {
			const struct kc_manifest_image *img = &m.images[i];

			if (m.entry_pc >= img->guest_base &&
			    m.entry_pc - img->guest_base < img->size)
				inside = true;
		}
		if (!inside)
			return manifest_fail(why, "manifest: entry PC outside every image",
					     KC_EINVAL);
	}

	/*
	 * The rest of the page is unsigned: insisting on zeros leaves no room
	 * for data that looks covered by the signature but is not.
	 */
	for (size_t k = total; k < len; k++) {
		if (buf[k] != 0)
			return manifest_fail(why, "manifest: non-zero byte after the signature",
					     KC_EINVAL);
	}

	if (nkeys == 0 || keys == NULL)
		return manifest_fail(why, "manifest: no trusted keys", KC_EAUTH);
	crypto_sha256(buf, signed_len, digest);
	for (unsigned k = 0; k < nkeys; k++) {
		if (crypto_p256_verify(keys[k], digest, buf + signed_len)) {
			m.key_index = k;
			*out = m;
			if (why)
				*why = NULL;
			return KC_OK;
		}
	}
	return manifest_fail(why, "manifest: no trusted key verifies the signature", KC_EAUTH);
}
