/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The signed boot manifest parser (formats v1 and v2, kcore/manifest.h and
 * docs/MANIFEST.md).
 *
 * Everything in the manifest page is chosen by the host, so every field is
 * checked before it is used, in an order where each check relies only on
 * fields already checked: buffer length before the header is read, the
 * counts before they size anything, the total size before any record is
 * read, each record before records are compared, images and RAM ranges
 * before an image is looked for in the RAM ranges, the images before the
 * entry PC is looked up in them.  Malformed input is refused before any
 * cryptography, so KC_EINVAL always means "malformed" whoever signed it,
 * and KC_EAUTH only ever means "well formed, but no trusted key signed it".
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

/* Byte offsets inside the header, one image record, the layout block and one range. */
#define MANIFEST_OFF_MAGIC   0u
#define MANIFEST_OFF_VERSION 8u
#define MANIFEST_OFF_NIMAGES 12u
#define MANIFEST_OFF_ENTRY   16u
#define MANIFEST_IMG_BASE    0u
#define MANIFEST_IMG_SIZE    8u
#define MANIFEST_IMG_SHA256  16u
#define MANIFEST_LAY_NRAM    0u
#define MANIFEST_LAY_NWIN    4u
#define MANIFEST_RNG_BASE    0u
#define MANIFEST_RNG_SIZE    8u
#define MANIFEST_RNG_FLAGS   16u

_Static_assert(sizeof(KC_MANIFEST_MAGIC) - 1 == 8, "the magic is 8 bytes");
_Static_assert(KC_MANIFEST_IMAGE_SIZE == MANIFEST_IMG_SHA256 + CRYPTO_SHA256_LEN,
	       "image record layout");
_Static_assert(KC_MANIFEST_RANGE_SIZE == MANIFEST_RNG_FLAGS + 8, "range record layout");
_Static_assert(KC_MANIFEST_LAYOUT_SIZE == MANIFEST_LAY_NWIN + 4, "layout block layout");
_Static_assert(KC_MANIFEST_MAX_SIZE <= MANIFEST_PAGE_SIZE, "a manifest fits one page");
/* The per-record messages below are spelled out for exactly these counts. */
_Static_assert(KC_MANIFEST_MAX_IMAGES == 8, "update the image message tables");
_Static_assert(KC_MANIFEST_MAX_RAM == 4, "update the RAM range message tables");
_Static_assert(KC_MANIFEST_MAX_WINDOWS == 8, "update the window message tables");

/*
 * Constant messages that still name the record: one string per index (and
 * per pair for image overlaps), so *why stays a constant and no formatting
 * code runs at EL2.
 */
#define MANIFEST_PER_IMAGE(what)                                                                   \
	{                                                                                          \
		"manifest: image 0 " what, "manifest: image 1 " what, "manifest: image 2 " what,   \
		"manifest: image 3 " what, "manifest: image 4 " what, "manifest: image 5 " what,   \
		"manifest: image 6 " what, "manifest: image 7 " what,                              \
	}
#define MANIFEST_PER_RAM(what)                                                                     \
	{                                                                                          \
		"manifest: RAM range 0 " what,                                                     \
		"manifest: RAM range 1 " what,                                                     \
		"manifest: RAM range 2 " what,                                                     \
		"manifest: RAM range 3 " what,                                                     \
	}
#define MANIFEST_PER_WINDOW(what)                                                                   \
	{                                                                                           \
		"manifest: window 0 " what, "manifest: window 1 " what, "manifest: window 2 " what, \
		"manifest: window 3 " what, "manifest: window 4 " what, "manifest: window 5 " what, \
		"manifest: window 6 " what, "manifest: window 7 " what,                             \
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

/* What can be wrong with one range on its own (manifest_range_bad). */
enum manifest_bad {
	MANIFEST_RANGE_OK,
	MANIFEST_BASE_ALIGN,
	MANIFEST_SIZE_ZERO,
	MANIFEST_SIZE_ALIGN,
	MANIFEST_WRAPS,
	MANIFEST_BEYOND,
	MANIFEST_NBAD,
};

#define MANIFEST_RANGE_MSGS(per)                                                                   \
	{                                                                                          \
		{ NULL },                                                                          \
		per("base not page aligned"),                                                      \
		per("size is zero"),                                                               \
		per("size not page aligned"),                                                      \
		per("base + size wraps around"),                                                   \
		per("ends beyond 2^48"),                                                           \
	}

static const char *const manifest_why_image[MANIFEST_NBAD][KC_MANIFEST_MAX_IMAGES] =
	MANIFEST_RANGE_MSGS(MANIFEST_PER_IMAGE);
static const char *const manifest_why_ram[MANIFEST_NBAD][KC_MANIFEST_MAX_RAM] =
	MANIFEST_RANGE_MSGS(MANIFEST_PER_RAM);
static const char *const manifest_why_win[MANIFEST_NBAD][KC_MANIFEST_MAX_WINDOWS] =
	MANIFEST_RANGE_MSGS(MANIFEST_PER_WINDOW);
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
static const char *const manifest_why_ram_flags[] = MANIFEST_PER_RAM("has reserved flag bits set");
static const char *const manifest_why_ram_overlap[] =
	MANIFEST_PER_RAM("overlaps an earlier RAM range");
static const char *const manifest_why_win_flags[] =
	MANIFEST_PER_WINDOW("has reserved flag bits set");
static const char *const manifest_why_win_ram[] = MANIFEST_PER_WINDOW("overlaps a RAM range");
static const char *const manifest_why_win_overlap[] =
	MANIFEST_PER_WINDOW("overlaps an earlier window");
static const char *const manifest_why_image_ram[] =
	MANIFEST_PER_IMAGE("is not inside one RAM range");

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

/* One range on its own: page aligned, not empty, no wrap, inside 2^48. */
static enum manifest_bad manifest_range_bad(uint64_t base, uint64_t size)
{
	if (base % MANIFEST_PAGE_SIZE)
		return MANIFEST_BASE_ALIGN;
	if (size == 0)
		return MANIFEST_SIZE_ZERO;
	if (size % MANIFEST_PAGE_SIZE)
		return MANIFEST_SIZE_ALIGN;
	/* Subtraction, not base + size: the sum itself could wrap. */
	if (size > UINT64_MAX - base)
		return MANIFEST_WRAPS;
	if (base >= MANIFEST_GPA_LIMIT || size > MANIFEST_GPA_LIMIT - base)
		return MANIFEST_BEYOND;
	return MANIFEST_RANGE_OK;
}

/* [a, a + as) and [b, b + bs), both already checked not to wrap. */
static bool manifest_ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* [a, a + as) inside [b, b + bs), both already checked not to wrap. */
static bool manifest_range_inside(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a >= b && as <= bs && a - b <= bs - as;
}

static void manifest_read_range(const uint8_t *rec, struct kc_manifest_range *r)
{
	r->base = manifest_le64(rec + MANIFEST_RNG_BASE);
	r->size = manifest_le64(rec + MANIFEST_RNG_SIZE);
	r->flags = manifest_le64(rec + MANIFEST_RNG_FLAGS);
}

/*
 * v2: read and check the RAM ranges and windows at `rec` (the counts are
 * already bounded and in l), then that every image lies in one RAM range.
 * NULL if all is well, else why not.
 */
static const char *manifest_check_layout(const uint8_t *rec, struct kc_manifest *m)
{
	struct kc_manifest_layout *l = &m->layout;
	enum manifest_bad bad;

	for (unsigned i = 0; i < l->nram; i++, rec += KC_MANIFEST_RANGE_SIZE) {
		struct kc_manifest_range *r = &l->ram[i];

		manifest_read_range(rec, r);
		bad = manifest_range_bad(r->base, r->size);
		if (bad)
			return manifest_why_ram[bad][i];
		/* No RAM flag is defined yet: a future one must not be ignored. */
		if (r->flags)
			return manifest_why_ram_flags[i];
		for (unsigned j = 0; j < i; j++)
			if (manifest_ranges_overlap(l->ram[j].base, l->ram[j].size, r->base,
						    r->size))
				return manifest_why_ram_overlap[i];
	}
	for (unsigned i = 0; i < l->nwin; i++, rec += KC_MANIFEST_RANGE_SIZE) {
		struct kc_manifest_range *w = &l->win[i];

		manifest_read_range(rec, w);
		bad = manifest_range_bad(w->base, w->size);
		if (bad)
			return manifest_why_win[bad][i];
		if (w->flags & ~(uint64_t)KC_MANIFEST_WIN_FLAGS)
			return manifest_why_win_flags[i];
		for (unsigned j = 0; j < l->nram; j++)
			if (manifest_ranges_overlap(l->ram[j].base, l->ram[j].size, w->base,
						    w->size))
				return manifest_why_win_ram[i];
		for (unsigned j = 0; j < i; j++)
			if (manifest_ranges_overlap(l->win[j].base, l->win[j].size, w->base,
						    w->size))
				return manifest_why_win_overlap[i];
	}
	/* What the signer calls RAM holds the code: an image is RAM, in one range. */
	for (unsigned i = 0; i < m->nimages; i++) {
		const struct kc_manifest_image *img = &m->images[i];
		bool inside = false;

		for (unsigned j = 0; j < l->nram && !inside; j++)
			inside = manifest_range_inside(img->guest_base, img->size, l->ram[j].base,
						       l->ram[j].size);
		if (!inside)
			return manifest_why_image_ram[i];
	}
	return NULL;
}

int manifest_parse(const uint8_t *buf, size_t len, const uint8_t (*keys)[CRYPTO_P256_PUB_LEN],
		   unsigned nkeys, struct kc_manifest *out, const char **why)
{
	struct kc_manifest m;
	uint8_t digest[CRYPTO_SHA256_LEN];
	uint32_t version, n;
	size_t images_end, signed_len, total;
	const char *bad;

	memset(&m, 0, sizeof(m));

	/* The header first: nothing else can be found without it. */
	if (len < KC_MANIFEST_HEADER_SIZE)
		return manifest_fail(why, "manifest: shorter than its header", KC_EINVAL);
	if (memcmp(buf + MANIFEST_OFF_MAGIC, KC_MANIFEST_MAGIC, 8) != 0)
		return manifest_fail(why, "manifest: bad magic", KC_EINVAL);
	version = manifest_le32(buf + MANIFEST_OFF_VERSION);
	if (version != KC_MANIFEST_V1 && version != KC_MANIFEST_V2)
		return manifest_fail(why, "manifest: unsupported version", KC_EINVAL);

	/*
	 * Every count is bounded before it is multiplied, so the total is at
	 * most KC_MANIFEST_MAX_SIZE and cannot overflow whatever they were.
	 */
	n = manifest_le32(buf + MANIFEST_OFF_NIMAGES);
	if (n == 0)
		return manifest_fail(why, "manifest: no images", KC_EINVAL);
	if (n > KC_MANIFEST_MAX_IMAGES)
		return manifest_fail(why, "manifest: too many images", KC_EINVAL);
	images_end = KC_MANIFEST_HEADER_SIZE + (size_t)n * KC_MANIFEST_IMAGE_SIZE;
	signed_len = images_end;
	if (version == KC_MANIFEST_V2) {
		if (images_end + KC_MANIFEST_LAYOUT_SIZE > len)
			return manifest_fail(why, "manifest: shorter than its layout counts",
					     KC_EINVAL);
		m.layout.nram = manifest_le32(buf + images_end + MANIFEST_LAY_NRAM);
		m.layout.nwin = manifest_le32(buf + images_end + MANIFEST_LAY_NWIN);
		if (m.layout.nram == 0)
			return manifest_fail(why, "manifest: v2 declares no RAM range", KC_EINVAL);
		if (m.layout.nram > KC_MANIFEST_MAX_RAM)
			return manifest_fail(why, "manifest: too many RAM ranges", KC_EINVAL);
		if (m.layout.nwin > KC_MANIFEST_MAX_WINDOWS)
			return manifest_fail(why, "manifest: too many device windows", KC_EINVAL);
		signed_len += KC_MANIFEST_LAYOUT_SIZE +
			      (size_t)(m.layout.nram + m.layout.nwin) * KC_MANIFEST_RANGE_SIZE;
	}
	total = signed_len + KC_MANIFEST_SIG_SIZE;
	if (total > len)
		return manifest_fail(why,
				     version == KC_MANIFEST_V2
					     ? "manifest: shorter than its layout and signature"
					     : "manifest: shorter than its images and signature",
				     KC_EINVAL);

	m.version = version;
	m.nimages = n;
	m.entry_pc = manifest_le64(buf + MANIFEST_OFF_ENTRY);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *rec = buf + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;
		struct kc_manifest_image *img = &m.images[i];
		enum manifest_bad b;

		img->guest_base = manifest_le64(rec + MANIFEST_IMG_BASE);
		img->size = manifest_le64(rec + MANIFEST_IMG_SIZE);
		memcpy(img->sha256, rec + MANIFEST_IMG_SHA256, CRYPTO_SHA256_LEN);
		b = manifest_range_bad(img->guest_base, img->size);
		if (b)
			return manifest_fail(why, manifest_why_image[b][i], KC_EINVAL);
		/* Earlier images are already valid, so their ends do not wrap. */
		for (unsigned j = 0; j < i; j++) {
			if (manifest_ranges_overlap(m.images[j].guest_base, m.images[j].size,
						    img->guest_base, img->size))
				return manifest_fail(why, manifest_why_overlap[i][j], KC_EINVAL);
		}
	}
	if (version == KC_MANIFEST_V2) {
		bad = manifest_check_layout(buf + images_end + KC_MANIFEST_LAYOUT_SIZE, &m);
		if (bad)
			return manifest_fail(why, bad, KC_EINVAL);
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

const struct kc_manifest_range *manifest_window_of(const struct kc_manifest_layout *l,
						   uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < l->nwin && i < KC_MANIFEST_MAX_WINDOWS; i++)
		if (manifest_range_inside(base, size, l->win[i].base, l->win[i].size))
			return &l->win[i];
	return NULL;
}

bool manifest_overlaps_ram(const struct kc_manifest_layout *l, uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < l->nram && i < KC_MANIFEST_MAX_RAM; i++)
		if (manifest_ranges_overlap(l->ram[i].base, l->ram[i].size, base, size))
			return true;
	return false;
}
