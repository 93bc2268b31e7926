/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/manifest.h: manifest_parse against manifests made here, with keys
 * and signatures from BearSSL seeded by constants (no committed private
 * keys).  Every malformed manifest is *correctly signed* by a trusted key,
 * so KC_EINVAL can only come from the malformation, never from the
 * signature; every buffer handed to the parser is a heap block of exactly
 * `len` bytes, so ASan stops any read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/manifest.h>

#define PAGE	    4096u
#define GPA_LIMIT   (UINT64_C(1) << 48)
#define NKEYS	    3 /* 0 and 1 are trusted, 2 is not */
#define MAXN	    KC_MANIFEST_MAX_IMAGES
#define MAXRAM	    KC_MANIFEST_MAX_RAM
#define MAXWIN	    KC_MANIFEST_MAX_WINDOWS
#define SHARED	    KC_MANIFEST_WIN_SHARED
/* The largest v1 manifest: 8 images, no layout. */
#define V1_MAX_SIZE (24 + 48 * MAXN + 64)

struct tkey {
	unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	br_ec_private_key sk;
	uint8_t pub[CRYPTO_P256_PUB_LEN];
};

static struct tkey tkeys[NKEYS];
static uint8_t trusted[2][CRYPTO_P256_PUB_LEN];

/* What to put in a manifest; fields are written as given, valid or not. */
struct spec {
	char magic[8];
	uint32_t version;
	uint32_t nimages;
	uint64_t entry;
	struct kc_manifest_image img[MAXN + 1];
	/* v2 only: the counts as written, and the records (up to the max + 1). */
	uint32_t nram, nwin;
	struct kc_manifest_range ram[MAXRAM + 1], win[MAXWIN + 1];
};

static const char *last_why;

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int setup(void **state)
{
	(void)state;
	for (uint32_t k = 0; k < NKEYS; k++) {
		br_hmac_drbg_context rng;
		unsigned char pubbuf[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pk;
		const char seed[] = "kcore manifest test key";
		uint32_t id = k;

		br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
		br_hmac_drbg_update(&rng, &id, sizeof(id));
		if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &tkeys[k].sk, tkeys[k].skbuf,
				 BR_EC_secp256r1) != 32)
			return -1;
		if (br_ec_compute_pub(&br_ec_p256_m31, &pk, pubbuf, &tkeys[k].sk) != 65)
			return -1;
		memcpy(tkeys[k].pub, pk.q, 65);
	}
	memcpy(trusted[0], tkeys[0].pub, 65);
	memcpy(trusted[1], tkeys[1].pub, 65);
	return 0;
}

/* A valid one-image manifest: 3 pages at 1 GiB, entry in its first page. */
static struct spec good_spec(void)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	memcpy(s.magic, KC_MANIFEST_MAGIC, 8);
	s.version = KC_MANIFEST_VERSION;
	s.nimages = 1;
	s.entry = 0x40000100;
	s.img[0].guest_base = 0x40000000;
	s.img[0].size = 3 * PAGE;
	fill(s.img[0].sha256, 32, 1);
	return s;
}

/* A valid manifest with every slot used: 8 images, 2 MiB apart, various sizes. */
static struct spec max_spec(void)
{
	struct spec s = good_spec();

	s.nimages = MAXN;
	for (unsigned i = 0; i < MAXN; i++) {
		s.img[i].guest_base = 0x80000000 + (uint64_t)i * 0x200000;
		s.img[i].size = (uint64_t)(i + 1) * PAGE;
		fill(s.img[i].sha256, 32, 100 + i);
	}
	s.entry = s.img[5].guest_base + 0x40;
	return s;
}

static void sign_digest(unsigned key, const uint8_t *msg, size_t len, uint8_t *sig)
{
	uint8_t digest[32];

	crypto_sha256(msg, len, digest);
	assert_int_equal(br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest,
					       &tkeys[key].sk, sig),
			 64);
}

/*
 * A valid v2 manifest: good_spec's image inside one RAM range of 256 MiB,
 * and three device windows, the last one SHARED.
 */
static struct spec good_v2_spec(void)
{
	struct spec s = good_spec();

	s.version = KC_MANIFEST_V2;
	s.nram = 1;
	s.ram[0] = (struct kc_manifest_range){ 0x40000000, 0x10000000, 0 };
	s.nwin = 3;
	s.win[0] = (struct kc_manifest_range){ 0x09000000, 0x1000, 0 };
	s.win[1] = (struct kc_manifest_range){ 0x09010000, 0x100000, 0 };
	s.win[2] = (struct kc_manifest_range){ 0x0A000000, 0x4000, SHARED };
	return s;
}

/* Every v2 count at its maximum: max_spec's 8 images, 4 RAM ranges, 8 windows. */
static struct spec max_v2_spec(void)
{
	struct spec s = max_spec();

	s.version = KC_MANIFEST_V2;
	s.nram = MAXRAM;
	s.ram[0] = (struct kc_manifest_range){ 0x80000000, 0x1000000, 0 }; /* the images */
	s.ram[1] = (struct kc_manifest_range){ 0x100000000, 0x40000000, 0 };
	s.ram[2] = (struct kc_manifest_range){ 0x7F000000, 0x1000000, 0 };  /* touches ram[0] */
	s.ram[3] = (struct kc_manifest_range){ GPA_LIMIT - PAGE, PAGE, 0 }; /* ends at 2^48 */
	s.nwin = MAXWIN;
	for (unsigned i = 0; i < MAXWIN; i++)
		s.win[i] = (struct kc_manifest_range){ 0x09000000 + (uint64_t)i * 0x10000, 0x10000,
						       i % 2 ? SHARED : 0 };
	return s;
}

/* The v2 layout block's offset, right after the images. */
static size_t layout_off(const struct spec *s)
{
	return 24 + 48 * (size_t)s->nimages;
}

/*
 * Lay `s` out in buf (at most `cap` bytes, zeroed first) as format v1 with
 * s->nimages records (v2: then the counts and the records as given),
 * signed by `key` over everything before the signature.  Returns the
 * manifest's length: 24 + 48n + 64, or 24 + 48n + 8 + 24(nram + nwin) + 64.
 */
static size_t build(const struct spec *s, unsigned key, uint8_t *buf, size_t cap)
{
	size_t signed_len = 24 + 48 * (size_t)s->nimages;

	assert_true(s->nimages <= MAXN + 1);
	if (s->version == KC_MANIFEST_V2) {
		assert_true(s->nram <= MAXRAM + 1 && s->nwin <= MAXWIN + 1);
		signed_len += 8 + 24 * (size_t)(s->nram + s->nwin);
	}
	assert_true(signed_len + 64 <= cap);
	memset(buf, 0, cap);
	memcpy(buf, s->magic, 8);
	put_le32(buf + 8, s->version);
	put_le32(buf + 12, s->nimages);
	put_le64(buf + 16, s->entry);
	for (unsigned i = 0; i < s->nimages; i++) {
		uint8_t *rec = buf + 24 + 48 * i;

		put_le64(rec, s->img[i].guest_base);
		put_le64(rec + 8, s->img[i].size);
		memcpy(rec + 16, s->img[i].sha256, 32);
	}
	if (s->version == KC_MANIFEST_V2) {
		uint8_t *rec = buf + layout_off(s);

		put_le32(rec, s->nram);
		put_le32(rec + 4, s->nwin);
		rec += 8;
		for (unsigned i = 0; i < s->nram + s->nwin; i++, rec += 24) {
			const struct kc_manifest_range *r =
				i < s->nram ? &s->ram[i] : &s->win[i - s->nram];

			put_le64(rec, r->base);
			put_le64(rec + 8, r->size);
			put_le64(rec + 16, r->flags);
		}
	}
	sign_digest(key, buf, signed_len, buf + signed_len);
	return signed_len + 64;
}

/*
 * Parse a private, exact-size heap copy of buf[0, len) against the first
 * `nkeys` trusted keys.  On failure *why must be a "manifest: ..." string.
 */
static int parse_keys(const uint8_t *buf, size_t len, const uint8_t (*keys)[65], unsigned nkeys,
		      struct kc_manifest *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct kc_manifest scratch;
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	last_why = NULL;
	rc = manifest_parse(copy, len, keys, nkeys, out ? out : &scratch, &last_why);
	free(copy);
	if (rc != KC_OK) {
		assert_non_null(last_why);
		assert_memory_equal(last_why, "manifest: ", 10);
	}
	return rc;
}

static int parse(const uint8_t *buf, size_t len, struct kc_manifest *out)
{
	return parse_keys(buf, len, (const uint8_t(*)[65])trusted, 2, out);
}

/* `s` is correctly signed by a trusted key and still refused as malformed. */
static void expect_einval(const struct spec *s, const char *reason)
{
	uint8_t buf[PAGE];
	size_t len = build(s, 0, buf, sizeof(buf));

	assert_int_equal(parse(buf, len, NULL), KC_EINVAL);
	if (!strstr(last_why, reason))
		fail_msg("why = \"%s\", expected it to mention \"%s\"", last_why, reason);
	/* The same in a whole zero-padded page, as kcore receives it. */
	assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
}

static void expect_ok(const struct spec *s)
{
	uint8_t buf[PAGE];
	size_t len = build(s, 0, buf, sizeof(buf));
	struct kc_manifest m;

	if (parse(buf, len, &m) != KC_OK)
		fail_msg("refused: %s", last_why);
	assert_int_equal(m.nimages, s->nimages);
	assert_true(m.entry_pc == s->entry);
}

/* ---- well-formed manifests ---------------------------------------------- */

static void check_fields(const struct kc_manifest *m, const struct spec *s)
{
	assert_int_equal(m->version, s->version);
	assert_int_equal(m->nimages, s->nimages);
	assert_true(m->entry_pc == s->entry);
	for (unsigned i = 0; i < s->nimages; i++) {
		assert_true(m->images[i].guest_base == s->img[i].guest_base);
		assert_true(m->images[i].size == s->img[i].size);
		assert_memory_equal(m->images[i].sha256, s->img[i].sha256, 32);
	}
	/* v1 declares no layout: nothing, not garbage. */
	uint32_t nram = s->version == KC_MANIFEST_V2 ? s->nram : 0;
	uint32_t nwin = s->version == KC_MANIFEST_V2 ? s->nwin : 0;
	assert_int_equal(m->layout.nram, nram);
	assert_int_equal(m->layout.nwin, nwin);
	for (unsigned i = 0; i < MAXRAM; i++) {
		struct kc_manifest_range want = { 0, 0, 0 };
		if (i < nram)
			want = s->ram[i];
		assert_memory_equal(&m->layout.ram[i], &want, sizeof(want));
	}
	for (unsigned i = 0; i < MAXWIN; i++) {
		struct kc_manifest_range want = { 0, 0, 0 };
		if (i < nwin)
			want = s->win[i];
		assert_memory_equal(&m->layout.win[i], &want, sizeof(want));
	}
}

static void test_good_one_image(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));
	struct kc_manifest m;

	(void)state;
	assert_int_equal(len, 24 + 48 + 64);
	assert_int_equal(parse(buf, len, &m), KC_OK);
	check_fields(&m, &s);
	assert_int_equal(m.key_index, 0);
}

static void test_good_max_images_second_key(void **state)
{
	struct spec s = max_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 1, buf, sizeof(buf));
	struct kc_manifest m;

	(void)state;
	assert_int_equal(len, V1_MAX_SIZE);
	assert_int_equal(parse(buf, len, &m), KC_OK);
	check_fields(&m, &s);
	assert_int_equal(m.key_index, 1);
}

static void test_good_in_a_zero_padded_page(void **state)
{
	struct spec s = max_spec();
	uint8_t buf[PAGE];
	struct kc_manifest m;

	(void)state;
	build(&s, 0, buf, sizeof(buf));
	assert_int_equal(parse(buf, sizeof(buf), &m), KC_OK);
	check_fields(&m, &s);
}

/* The page copy need not be aligned: every field is read byte by byte. */
static void test_good_at_every_misalignment(void **state)
{
	struct spec s = max_v2_spec();
	uint8_t buf[PAGE], *shifted = malloc(KC_MANIFEST_MAX_SIZE + 8);
	size_t len = build(&s, 0, buf, sizeof(buf));
	struct kc_manifest m;
	const char *why = "unset";

	(void)state;
	assert_non_null(shifted);
	for (unsigned off = 0; off < 8; off++) {
		memcpy(shifted + off, buf, len);
		assert_int_equal(manifest_parse(shifted + off, len, (const uint8_t(*)[65])trusted,
						2, &m, &why),
				 KC_OK);
		check_fields(&m, &s);
	}
	free(shifted);
}

static void test_first_trusted_key_wins_and_bad_keys_are_skipped(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE], keys[3][65];
	size_t len = build(&s, 0, buf, sizeof(buf));
	struct kc_manifest m;

	(void)state;
	memset(keys[0], 0, 65); /* not a point at all */
	memcpy(keys[1], tkeys[0].pub, 65);
	memcpy(keys[2], tkeys[0].pub, 65);
	assert_int_equal(parse_keys(buf, len, (const uint8_t(*)[65])keys, 3, &m), KC_OK);
	assert_int_equal(m.key_index, 1);
}

static void test_why_may_be_null(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));
	struct kc_manifest m;

	(void)state;
	assert_int_equal(manifest_parse(buf, len, (const uint8_t(*)[65])trusted, 2, &m, NULL),
			 KC_OK);
	assert_int_equal(manifest_parse(buf, len - 1, (const uint8_t(*)[65])trusted, 2, &m, NULL),
			 KC_EINVAL);
	assert_int_equal(manifest_parse(buf, len, NULL, 0, &m, NULL), KC_EAUTH);
}

/* ---- malformed: every one KC_EINVAL, although correctly signed ---------- */

static void test_truncated_at_every_length(void **state)
{
	struct spec specs[4] = { good_spec(), max_spec(), good_v2_spec(), max_v2_spec() };

	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		uint8_t buf[PAGE];
		size_t len = build(&specs[k], 0, buf, sizeof(buf));

		for (size_t l = 0; l < len; l++) {
			if (parse(buf, l, NULL) != KC_EINVAL)
				fail_msg("length %zu of %zu: not EINVAL", l, len);
		}
		assert_int_equal(parse(buf, len, NULL), KC_OK);
	}
}

static void test_bad_magic(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		struct spec s = good_spec();

		s.magic[i] ^= 0x20;
		expect_einval(&s, "magic");
	}
	struct spec s = good_spec();
	memset(s.magic, 0, 8);
	expect_einval(&s, "magic");
}

static void test_bad_version(void **state)
{
	static const uint32_t bad[] = { 0, 3, 0x100, 0x01000002, 0x02000000, 0xFFFFFFFF };

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec s = good_spec();

		s.version = bad[i];
		expect_einval(&s, "version");
	}
}

static void test_nimages_zero(void **state)
{
	struct spec s = good_spec();

	(void)state;
	s.nimages = 0;
	expect_einval(&s, "no images");
}

static void test_nimages_max_plus_one(void **state)
{
	struct spec s = max_spec();

	(void)state;
	s.nimages = MAXN + 1;
	s.img[MAXN].guest_base = 0x10000000;
	s.img[MAXN].size = PAGE;
	expect_einval(&s, "too many images");
}

/*
 * Counts whose 24 + 48n + 64 overflows 32 or 64 bits, or wraps to a small
 * value: refused for the count itself, whatever the buffer holds.
 */
static void test_nimages_huge(void **state)
{
	static const uint32_t bad[] = {
		0xFFFFFFFF, 0x80000000, 0x05555556, 0x05555555, 0x0AAAAAAB, 0x100, MAXN + 2,
	};
	struct spec s = good_spec();
	uint8_t buf[PAGE];

	(void)state;
	build(&s, 0, buf, sizeof(buf));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le32(buf + 12, bad[i]);
		assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
		assert_non_null(strstr(last_why, "too many images"));
		memset(buf + 136, 0xA5, sizeof(buf) - 136); /* whatever lies beyond */
		assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
	}
}

static void test_image_size_zero(void **state)
{
	struct spec s = max_spec();

	(void)state;
	s.img[0].size = 0;
	s.entry = s.img[1].guest_base;
	expect_einval(&s, "image 0 size is zero");
	s = max_spec();
	s.img[7].size = 0;
	expect_einval(&s, "image 7 size is zero");
}

static void test_image_misaligned(void **state)
{
	static const uint64_t off[] = { 1, 4, 0x800, 0xFFF };

	(void)state;
	for (unsigned i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		struct spec s = good_spec();

		s.img[0].guest_base += off[i];
		s.entry = s.img[0].guest_base + 0x100 - off[i] % 4;
		expect_einval(&s, "image 0 base not page aligned");
		s = good_spec();
		s.img[0].size += off[i];
		expect_einval(&s, "image 0 size not page aligned");
		s = max_spec();
		s.img[3].size -= off[i];
		expect_einval(&s, "image 3 size not page aligned");
	}
}

static void test_image_wraps(void **state)
{
	struct spec s = good_spec();

	(void)state;
	/* base + size == 2^64 exactly: the sum is 0. */
	s.img[0].guest_base = 0xFFFFFFFFFFFFF000;
	s.img[0].size = PAGE;
	s.entry = s.img[0].guest_base;
	expect_einval(&s, "wraps");
	/* A huge size from a small base, wrapping to just below the base. */
	s = good_spec();
	s.img[0].size = 0xFFFFFFFFFFFFF000;
	expect_einval(&s, "wraps");
	s.img[0].size = 0 - (uint64_t)0x3FFFF000; /* ends at 2^64 + 4 KiB */
	expect_einval(&s, "wraps");
}

static void test_image_beyond_2_48(void **state)
{
	struct spec s = good_spec();

	(void)state;
	s.img[0].guest_base = GPA_LIMIT - PAGE;
	s.img[0].size = 2 * PAGE;
	s.entry = s.img[0].guest_base;
	expect_einval(&s, "beyond 2^48");
	s.img[0].guest_base = GPA_LIMIT;
	s.img[0].size = PAGE;
	s.entry = s.img[0].guest_base;
	expect_einval(&s, "beyond 2^48");
	s = good_spec();
	s.img[0].size = GPA_LIMIT; /* from 1 GiB: ends at 2^48 + 1 GiB */
	expect_einval(&s, "beyond 2^48");

	/* Ending exactly at 2^48 is the last valid place. */
	s.img[0].guest_base = GPA_LIMIT - PAGE;
	s.img[0].size = PAGE;
	s.entry = GPA_LIMIT - 4;
	expect_ok(&s);
	s.img[0].guest_base = 0;
	s.img[0].size = GPA_LIMIT;
	s.entry = 0;
	expect_ok(&s);
}

static void test_images_overlap(void **state)
{
	struct spec s = good_spec(); /* image 0: [0x40000000, 0x40003000) */
	static const struct {
		uint64_t base, size;
	} bad[] = {
		{ 0x40000000, 0x3000 },	 /* identical */
		{ 0x40002000, 0x2000 },	 /* starts inside */
		{ 0x3FFFF000, 0x2000 },	 /* ends inside */
		{ 0x40001000, 0x1000 },	 /* inside */
		{ 0x3FFFF000, 0x10000 }, /* contains it */
		{ 0x40000000, 0x1000 },	 /* same base, shorter */
	};

	(void)state;
	s.nimages = 2;
	fill(s.img[1].sha256, 32, 2);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.img[1].guest_base = bad[i].base;
		s.img[1].size = bad[i].size;
		expect_einval(&s, "image 1 overlaps image 0");
	}

	/* Later images are checked against every earlier one, not just the first. */
	s = max_spec();
	s.img[7].guest_base = s.img[3].guest_base + PAGE;
	expect_einval(&s, "image 7 overlaps image 3");
	s = max_spec();
	s.img[2].guest_base = s.img[1].guest_base;
	expect_einval(&s, "image 2 overlaps image 1");
}

static void test_images_touching_are_fine(void **state)
{
	struct spec s = good_spec();

	(void)state;
	s.nimages = 3;
	/* [0x40003000, 0x40004000) right after image 0, [0x3FFFE000, 0x40000000) right before. */
	s.img[1].guest_base = 0x40003000;
	s.img[1].size = PAGE;
	s.img[2].guest_base = 0x3FFFE000;
	s.img[2].size = 0x2000;
	expect_ok(&s);
	s.entry = 0x40003000;
	expect_ok(&s);
	s.entry = 0x3FFFFFFC;
	expect_ok(&s);
}

static void test_entry_pc(void **state)
{
	struct spec s = max_spec();
	const struct kc_manifest_image *i5 = &s.img[5], *i0 = &s.img[0];

	(void)state;
	/* Inside: first and last instruction of an image, and of another image. */
	s.entry = i5->guest_base;
	expect_ok(&s);
	s.entry = i5->guest_base + i5->size - 4;
	expect_ok(&s);
	s.entry = i0->guest_base;
	expect_ok(&s);

	/* Just past the end of an image is outside (the end is exclusive). */
	s.entry = i5->guest_base + i5->size;
	expect_einval(&s, "entry PC outside");
	s.entry = i0->guest_base - 4;
	expect_einval(&s, "entry PC outside");
	s.entry = 0;
	expect_einval(&s, "entry PC outside");
	s.entry = UINT64_MAX - 3;
	expect_einval(&s, "entry PC outside");

	for (unsigned mis = 1; mis < 4; mis++) {
		s.entry = i5->guest_base + 0x100 + mis;
		expect_einval(&s, "entry PC not 4-byte aligned");
	}
}

/* Nothing hides in the unsigned rest of the page. */
static void test_trailing_byte_nonzero(void **state)
{
	struct spec specs[4] = { good_spec(), max_spec(), good_v2_spec(), max_v2_spec() };

	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		uint8_t buf[PAGE];
		size_t len = build(&specs[k], 0, buf, sizeof(buf));

		for (size_t pos = len; pos < sizeof(buf); pos++) {
			buf[pos] = (uint8_t)(1u << (pos % 8));
			if (parse(buf, sizeof(buf), NULL) != KC_EINVAL ||
			    !strstr(last_why, "after the signature"))
				fail_msg("non-zero byte at %zu (manifest %zu bytes) accepted", pos,
					 len);
			buf[pos] = 0;
		}
		assert_int_equal(parse(buf, sizeof(buf), NULL), KC_OK);
		/* Also just one extra byte after an exact-size manifest. */
		buf[len] = 0xFF;
		assert_int_equal(parse(buf, len + 1, NULL), KC_EINVAL);
		assert_int_equal(parse(buf, len, NULL), KC_OK);
	}
}

/* Malformed is malformed, even with a signature that would not verify. */
static void test_malformed_beats_bad_signature(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len;

	(void)state;
	s.nimages = 2;
	s.img[1] = s.img[0];
	len = build(&s, 2, buf, sizeof(buf)); /* untrusted key */
	assert_int_equal(parse(buf, len, NULL), KC_EINVAL);
	memset(buf + len - 64, 0, 64);
	assert_int_equal(parse(buf, len, NULL), KC_EINVAL);
	assert_int_equal(parse_keys(buf, len, NULL, 0, NULL), KC_EINVAL);
}

/* The first problem in validation order is the one reported. */
static void test_first_problem_is_reported(void **state)
{
	struct spec s = good_spec();

	(void)state;
	s.version = 7;
	s.nimages = 0;
	s.magic[0] = 'X';
	expect_einval(&s, "magic");
	s = max_spec();
	s.img[1].size = 0x1800;			   /* misaligned ... */
	s.img[1].guest_base = s.img[0].guest_base; /* ... and overlapping */
	s.entry = 2;				   /* ... and a bad PC */
	expect_einval(&s, "image 1 size not page aligned");
}

/* ---- format v2: the memory layout ---------------------------------------- */

static void test_v2_good(void **state)
{
	struct spec specs[2] = { good_v2_spec(), max_v2_spec() };

	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		uint8_t buf[PAGE];
		size_t len = build(&specs[k], k, buf, sizeof(buf));
		struct kc_manifest m;

		assert_int_equal(len, layout_off(&specs[k]) + 8 +
					      24 * (specs[k].nram + specs[k].nwin) + 64);
		assert_int_equal(parse(buf, len, &m), KC_OK);
		check_fields(&m, &specs[k]);
		assert_int_equal(m.key_index, k);
		assert_int_equal(parse(buf, sizeof(buf), &m), KC_OK);
		check_fields(&m, &specs[k]);
	}
	/* The largest manifest there is still fits one page. */
	assert_int_equal(build(&specs[1], 0, (uint8_t[PAGE]){ 0 }, PAGE), KC_MANIFEST_MAX_SIZE);
	/* No window at all is a layout too (a VM without devices). */
	struct spec s = good_v2_spec();
	s.nwin = 0;
	expect_ok(&s);
}

/* A v1 manifest parses as "no layout declared", whatever follows it. */
static void test_v1_has_no_layout(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));
	struct kc_manifest m;

	(void)state;
	memset(&m, 0xA5, sizeof(m));
	assert_int_equal(parse(buf, len, &m), KC_OK);
	check_fields(&m, &s);
	assert_int_equal(m.version, KC_MANIFEST_V1);
}

static void test_v2_counts(void **state)
{
	static const uint32_t huge[] = { MAXRAM + 1, 0x100, 0x0AAAAAAB, 0x80000000, 0xFFFFFFFF };
	struct spec s = good_v2_spec();

	(void)state;
	s.nram = 0;
	expect_einval(&s, "no RAM range");
	s = max_v2_spec();
	s.nram = MAXRAM + 1;
	s.ram[MAXRAM] = (struct kc_manifest_range){ 0x200000000, PAGE, 0 };
	expect_einval(&s, "too many RAM ranges");
	s = max_v2_spec();
	s.nwin = MAXWIN + 1;
	s.win[MAXWIN] = (struct kc_manifest_range){ 0x0B000000, PAGE, 0 };
	expect_einval(&s, "too many device windows");
	/* Counts that would size past the page (or wrap) are refused for the count. */
	for (unsigned i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		uint8_t buf[PAGE];

		s = good_v2_spec();
		build(&s, 0, buf, sizeof(buf));
		put_le32(buf + layout_off(&s), huge[i]);
		assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
		assert_non_null(strstr(last_why, "too many RAM ranges"));
		build(&s, 0, buf, sizeof(buf));
		put_le32(buf + layout_off(&s) + 4, huge[i] == MAXRAM + 1 ? MAXWIN + 1 : huge[i]);
		assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
		assert_non_null(strstr(last_why, "too many device windows"));
	}
	/* Cut right inside the counts, and right before the signature. */
	uint8_t buf[PAGE];
	s = good_v2_spec();
	size_t len = build(&s, 0, buf, sizeof(buf));
	assert_int_equal(parse(buf, layout_off(&s) + 7, NULL), KC_EINVAL);
	assert_non_null(strstr(last_why, "layout counts"));
	assert_int_equal(parse(buf, len - 1, NULL), KC_EINVAL);
	assert_non_null(strstr(last_why, "layout and signature"));
}

/* Each rule of a range, for the first and the last RAM range and window. */
static void test_v2_range_malformed(void **state)
{
	static const struct {
		uint64_t base, size;
		const char *why;
	} bad[] = {
		{ 0x30000001, PAGE, "base not page aligned" },
		{ 0x30000800, PAGE, "base not page aligned" },
		{ 0x30000000, 0, "size is zero" },
		{ 0x30000000, 0x1800, "size not page aligned" },
		{ 0x30000000, 1, "size not page aligned" },
		{ 0xFFFFFFFFFFFFF000, PAGE, "base + size wraps around" },
		{ 0x30000000, 0xFFFFFFFFFFFFF000, "base + size wraps around" },
		{ GPA_LIMIT, PAGE, "ends beyond 2^48" },
		{ GPA_LIMIT - PAGE, 2 * PAGE, "ends beyond 2^48" },
	};
	char want[80];

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static const unsigned ram_at[] = { 0, MAXRAM - 1 }, win_at[] = { 0, MAXWIN - 1 };

		for (unsigned k = 0; k < 2; k++) {
			struct spec s = max_v2_spec();

			/* A spare RAM range is broken; the images stay in ram[0]. */
			s.ram[ram_at[k] ? ram_at[k] : 1].base = bad[i].base;
			s.ram[ram_at[k] ? ram_at[k] : 1].size = bad[i].size;
			snprintf(want, sizeof(want), "RAM range %u %s", ram_at[k] ? ram_at[k] : 1,
				 bad[i].why);
			expect_einval(&s, want);
			s = max_v2_spec();
			s.win[win_at[k]].base = bad[i].base;
			s.win[win_at[k]].size = bad[i].size;
			snprintf(want, sizeof(want), "window %u %s", win_at[k], bad[i].why);
			expect_einval(&s, want);
		}
	}
	/* Reserved flag bits: every bit of a RAM range, every bit but SHARED of a window. */
	for (unsigned b = 0; b < 64; b++) {
		struct spec s = good_v2_spec();

		s.ram[0].flags = 1ull << b;
		expect_einval(&s, "RAM range 0 has reserved flag bits set");
		s = good_v2_spec();
		s.win[2].flags = (1ull << b) | SHARED;
		if (b == 0)
			expect_ok(&s);
		else
			expect_einval(&s, "window 2 has reserved flag bits set");
	}
	/* Ending exactly at 2^48 is the last valid place, for ranges too. */
	struct spec s = good_v2_spec();
	s.win[0] = (struct kc_manifest_range){ GPA_LIMIT - 2 * PAGE, 2 * PAGE, SHARED };
	expect_ok(&s);
}

static void test_v2_overlaps(void **state)
{
	/* Against [0x40000000, +256 MiB) (RAM) or [0x09010000, +1 MiB) (window 1). */
	static const struct {
		uint64_t off, size;
	} shapes[] = {
		{ 0, 0 },		       /* identical (size 0: the same size) */
		{ 0x1000, 0x1000 },	       /* inside */
		{ (uint64_t)-0x1000, 0x2000 }, /* ends inside */
		{ 0x1000, 0 },		       /* starts inside, runs past the end */
		{ (uint64_t)-0x1000, 0 },      /* contains it (size + 8 KiB) */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct spec s = good_v2_spec();
		uint64_t rsize = shapes[i].size ? shapes[i].size : s.ram[0].size;
		uint64_t wsize = shapes[i].size ? shapes[i].size : s.win[1].size;

		if (i == 4)
			rsize += 0x2000, wsize += 0x2000;
		/* RAM against RAM. */
		s.nram = 2;
		s.ram[1] = (struct kc_manifest_range){ s.ram[0].base + shapes[i].off, rsize, 0 };
		expect_einval(&s, "RAM range 1 overlaps an earlier RAM range");
		/* A window against RAM. */
		s = good_v2_spec();
		s.win[0] = (struct kc_manifest_range){ s.ram[0].base + shapes[i].off, rsize, 0 };
		expect_einval(&s, "window 0 overlaps a RAM range");
		/* A window against an earlier window. */
		s = good_v2_spec();
		s.win[2] =
			(struct kc_manifest_range){ s.win[1].base + shapes[i].off, wsize, SHARED };
		expect_einval(&s, "window 2 overlaps an earlier window");
	}
	/* Later records are checked against every earlier one, and RAM against every window. */
	struct spec s = max_v2_spec();
	s.win[7].base = s.win[2].base;
	expect_einval(&s, "window 7 overlaps an earlier window");
	s = max_v2_spec();
	s.win[6].base = s.ram[3].base;
	s.win[6].size = PAGE;
	expect_einval(&s, "window 6 overlaps a RAM range");
	s = max_v2_spec();
	s.ram[3] = s.ram[1];
	expect_einval(&s, "RAM range 3 overlaps an earlier RAM range");
	/* Touching is fine, in every pairing. */
	s = good_v2_spec();
	s.nram = 2;
	s.ram[1] = (struct kc_manifest_range){ 0x50000000, PAGE, 0 };	   /* right after ram[0] */
	s.win[0] = (struct kc_manifest_range){ 0x3FFFF000, PAGE, 0 };	   /* right before ram[0] */
	s.win[1] = (struct kc_manifest_range){ 0x50001000, PAGE, 0 };	   /* after ram[1] */
	s.win[2] = (struct kc_manifest_range){ 0x50002000, PAGE, SHARED }; /* after win[1] */
	expect_ok(&s);
}

/* In v2 the images are RAM: each lies inside one RAM range. */
static void test_v2_images_inside_ram(void **state)
{
	struct spec s = good_v2_spec(); /* image 0 at [0x40000000, 0x40003000) */

	(void)state;
	s.ram[0] =
		(struct kc_manifest_range){ 0x40001000, 0x100000, 0 }; /* misses its first page */
	expect_einval(&s, "image 0 is not inside one RAM range");
	s.ram[0] = (struct kc_manifest_range){ 0x3FF00000, 0x102000, 0 }; /* misses its last page */
	expect_einval(&s, "image 0 is not inside one RAM range");
	s.ram[0] = (struct kc_manifest_range){ 0x50000000, 0x100000, 0 }; /* elsewhere */
	expect_einval(&s, "image 0 is not inside one RAM range");
	/* Two touching RAM ranges that cover it together are not one range. */
	s.nram = 2;
	s.ram[0] = (struct kc_manifest_range){ 0x3FF00000, 0x101000, 0 };
	s.ram[1] = (struct kc_manifest_range){ 0x40001000, 0x100000, 0 };
	expect_einval(&s, "image 0 is not inside one RAM range");
	/* Exactly the image is enough. */
	s.nram = 1;
	s.ram[0] = (struct kc_manifest_range){ 0x40000000, 0x3000, 0 };
	expect_ok(&s);
	/* Any image, not only the first. */
	s = max_v2_spec();
	s.img[7].guest_base = 0x90000000;
	expect_einval(&s, "image 7 is not inside one RAM range");
	s = max_v2_spec();
	s.img[4].guest_base = s.ram[1].base + s.ram[1].size - PAGE;
	s.img[4].size = 2 * PAGE;
	expect_einval(&s, "image 4 is not inside one RAM range");
}

/* v2's order: images, then RAM ranges, then windows, then images in RAM, then the PC. */
static void test_v2_first_problem_is_reported(void **state)
{
	struct spec s = max_v2_spec();

	(void)state;
	s.img[2].size = 0;
	s.ram[1].size = 1;
	s.win[0].base = 1;
	s.entry = 2;
	expect_einval(&s, "image 2 size is zero");
	s.img[2].size = PAGE;
	expect_einval(&s, "RAM range 1 size not page aligned");
	s.ram[1].size = PAGE;
	expect_einval(&s, "window 0 base not page aligned");
	s.win[0].base = 0x09000000;
	s.img[2].guest_base = 0x90000000;
	expect_einval(&s, "image 2 is not inside one RAM range");
	s = max_v2_spec();
	s.entry = 2;
	expect_einval(&s, "entry PC");
}

/* The signature covers the layout: a signature over the images alone fails. */
static void test_v2_signature_covers_layout(void **state)
{
	struct spec s = max_v2_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));

	(void)state;
	sign_digest(0, buf, layout_off(&s), buf + len - 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	sign_digest(0, buf, len - 64 - 24, buf + len - 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	/* A window's SHARED bit is signed like everything else. */
	build(&s, 0, buf, sizeof(buf));
	buf[len - 64 - 8] ^= 1; /* the last window's flags */
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	/* A v1 manifest is not a v2 one with the version changed (the counts are its signature). */
	struct spec v1 = good_spec();
	len = build(&v1, 0, buf, sizeof(buf));
	put_le32(buf + 8, KC_MANIFEST_V2);
	assert_int_equal(parse(buf, sizeof(buf), NULL), KC_EINVAL);
}

/* The layout queries kcore asks of a kept layout. */
static void test_layout_queries(void **state)
{
	struct spec s = good_v2_spec();
	uint8_t buf[PAGE];
	struct kc_manifest m;
	const struct kc_manifest_layout *l = &m.layout;

	(void)state;
	assert_int_equal(parse(buf, build(&s, 0, buf, sizeof(buf)), &m), KC_OK);
	assert_ptr_equal(manifest_window_of(l, 0x09000000, PAGE), &l->win[0]);
	assert_ptr_equal(manifest_window_of(l, 0x09010000, 0x100000), &l->win[1]);
	assert_ptr_equal(manifest_window_of(l, 0x0A003000, PAGE), &l->win[2]);
	assert_null(manifest_window_of(l, 0x0A003000, 2 * PAGE)); /* runs past the end */
	assert_null(manifest_window_of(l, 0x08FFF000, 2 * PAGE)); /* starts before */
	assert_null(manifest_window_of(l, 0x09001000, PAGE));	  /* between windows */
	assert_null(manifest_window_of(l, 0x40000000, PAGE));	  /* RAM */
	assert_true(manifest_overlaps_ram(l, 0x40000000, PAGE));
	assert_true(manifest_overlaps_ram(l, 0x3FFFF000, 2 * PAGE));
	assert_true(manifest_overlaps_ram(l, 0x4FFFF000, 2 * PAGE));
	assert_false(manifest_overlaps_ram(l, 0x3FFFF000, PAGE));
	assert_false(manifest_overlaps_ram(l, 0x50000000, PAGE));
	/* v1: no window, no RAM. */
	s = good_spec();
	assert_int_equal(parse(buf, build(&s, 0, buf, sizeof(buf)), &m), KC_OK);
	assert_null(manifest_window_of(l, 0x09000000, PAGE));
	assert_false(manifest_overlaps_ram(l, 0x40000000, PAGE));
}

/* ---- authentication: well formed, but not signed by a trusted key ------- */

/*
 * Flip bits in every signed byte.  Where the result is still well formed
 * (re-signing it with the trusted key makes it parse), the original
 * signature must now fail: KC_EAUTH.  Where it is malformed, malformed
 * wins: KC_EINVAL with the same reason as the re-signed one.
 */
static void test_flipped_signed_bit(void **state)
{
	struct spec specs[3] = { good_spec(), max_spec(), good_v2_spec() };
	unsigned eauth = 0, einval = 0;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		uint8_t buf[PAGE], resigned[PAGE];
		size_t len = build(&specs[k], 0, buf, sizeof(buf));
		size_t signed_len = len - 64;

		for (size_t pos = 0; pos < signed_len; pos++) {
			/* Every bit in the small manifest; one rotating bit in the big one. */
			unsigned bits = k == 0 ? 0xFF : 1u << (pos % 8);

			for (unsigned b = 0; b < 8; b++) {
				const char *why_resigned;
				int rc;

				if (!(bits & (1u << b)))
					continue;
				buf[pos] ^= (uint8_t)(1u << b);
				memcpy(resigned, buf, len);
				sign_digest(0, resigned, signed_len, resigned + signed_len);
				rc = parse(resigned, len, NULL);
				why_resigned = last_why;
				if (rc == KC_OK) {
					if (parse(buf, len, NULL) != KC_EAUTH)
						fail_msg("byte %zu bit %u: not EAUTH (%s)", pos, b,
							 last_why);
					eauth++;
				} else {
					assert_int_equal(rc, KC_EINVAL);
					assert_int_equal(parse(buf, len, NULL), KC_EINVAL);
					assert_string_equal(last_why, why_resigned);
					einval++;
				}
				buf[pos] ^= (uint8_t)(1u << b);
			}
		}
		assert_int_equal(parse(buf, len, NULL), KC_OK);
	}
	/* Every hash bit at least is a pure signature failure. */
	assert_true(eauth >= 32 * 8);
	assert_true(einval > 0);
}

static void test_flipped_signature_bit(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));

	(void)state;
	for (size_t pos = len - 64; pos < len; pos++) {
		for (unsigned b = 0; b < 8; b++) {
			buf[pos] ^= (uint8_t)(1u << b);
			if (parse(buf, len, NULL) != KC_EAUTH)
				fail_msg("signature byte %zu bit %u: not EAUTH", pos - (len - 64),
					 b);
			buf[pos] ^= (uint8_t)(1u << b);
		}
	}
	/* Degenerate signatures: r = s = 0, and r, s >= n. */
	memset(buf + len - 64, 0, 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	memset(buf + len - 64, 0xFF, 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
}

/* A signature over less than all of [0, 24 + 48n) is not good enough. */
static void test_signature_covers_all_signed_bytes(void **state)
{
	struct spec s = max_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));

	(void)state;
	sign_digest(0, buf, 24, buf + len - 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	sign_digest(0, buf, len - 64 - 48, buf + len - 64);
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	sign_digest(0, buf, len - 64, buf + len - 64);
	assert_int_equal(parse(buf, len, NULL), KC_OK);
}

static void test_untrusted_key(void **state)
{
	struct spec s = max_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 2, buf, sizeof(buf));

	(void)state;
	assert_int_equal(parse(buf, len, NULL), KC_EAUTH);
	assert_non_null(strstr(last_why, "no trusted key"));
	/* Signed by key 1, but only key 0 is trusted. */
	len = build(&s, 1, buf, sizeof(buf));
	assert_int_equal(parse_keys(buf, len, (const uint8_t(*)[65])trusted, 1, NULL), KC_EAUTH);
}

static void test_no_keys(void **state)
{
	struct spec s = good_spec();
	uint8_t buf[PAGE];
	size_t len = build(&s, 0, buf, sizeof(buf));

	(void)state;
	assert_int_equal(parse_keys(buf, len, NULL, 0, NULL), KC_EAUTH);
	assert_int_equal(parse_keys(buf, len, (const uint8_t(*)[65])trusted, 0, NULL), KC_EAUTH);
	assert_int_equal(parse_keys(buf, sizeof(buf), NULL, 0, NULL), KC_EAUTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_one_image),
		cmocka_unit_test(test_good_max_images_second_key),
		cmocka_unit_test(test_good_in_a_zero_padded_page),
		cmocka_unit_test(test_good_at_every_misalignment),
		cmocka_unit_test(test_first_trusted_key_wins_and_bad_keys_are_skipped),
		cmocka_unit_test(test_why_may_be_null),
		cmocka_unit_test(test_truncated_at_every_length),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_nimages_zero),
		cmocka_unit_test(test_nimages_max_plus_one),
		cmocka_unit_test(test_nimages_huge),
		cmocka_unit_test(test_image_size_zero),
		cmocka_unit_test(test_image_misaligned),
		cmocka_unit_test(test_image_wraps),
		cmocka_unit_test(test_image_beyond_2_48),
		cmocka_unit_test(test_images_overlap),
		cmocka_unit_test(test_images_touching_are_fine),
		cmocka_unit_test(test_entry_pc),
		cmocka_unit_test(test_trailing_byte_nonzero),
		cmocka_unit_test(test_malformed_beats_bad_signature),
		cmocka_unit_test(test_first_problem_is_reported),
		cmocka_unit_test(test_flipped_signed_bit),
		cmocka_unit_test(test_flipped_signature_bit),
		cmocka_unit_test(test_signature_covers_all_signed_bytes),
		cmocka_unit_test(test_untrusted_key),
		cmocka_unit_test(test_no_keys),
		cmocka_unit_test(test_v2_good),
		cmocka_unit_test(test_v1_has_no_layout),
		cmocka_unit_test(test_v2_counts),
		cmocka_unit_test(test_v2_range_malformed),
		cmocka_unit_test(test_v2_overlaps),
		cmocka_unit_test(test_v2_images_inside_ram),
		cmocka_unit_test(test_v2_first_problem_is_reported),
		cmocka_unit_test(test_v2_signature_covers_layout),
		cmocka_unit_test(test_layout_queries),
	};
	return cmocka_run_group_tests_name("manifest", tests, setup, NULL);
}
