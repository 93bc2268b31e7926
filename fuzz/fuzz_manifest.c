/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_manifest — manifest_parse (core/manifest.c) on arbitrary bytes, with
 * one fixed trusted key (docs/FUZZING.md).
 *
 * Random bytes almost never carry a valid signature, so the checks after
 * the signature would stay unreached: if the first input byte is odd, the
 * rest is taken as a manifest body, re-signed with the trusted key, and
 * parsed again (format v2: with its layout counts as the body says, capped).
 * The oracle: manifest_parse never crashes, and what it accepts is
 * consistent (images inside 2^48, page aligned, disjoint, the entry inside
 * one of them, the key index in range; v2: RAM ranges and windows aligned,
 * inside 2^48, pairwise disjoint, no reserved flag, each image inside one
 * RAM range; v1: no layout at all), and the layout queries kcore asks of
 * a kept layout agree with it.
 */
#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/manifest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t fm_keys[1][CRYPTO_P256_PUB_LEN];
static br_ec_private_key fm_sk;
static unsigned char fm_sk_buf[32];

static void fm_setup(void)
{
	static int done;
	if (done)
		return;
	br_hmac_drbg_context rng;
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	uint32_t seed = 1; /* the test key of tools/replay and tests/kcore */
	br_hmac_drbg_init(&rng, &br_sha256_vtable, &seed, sizeof(seed));
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &fm_sk, kbuf, BR_EC_secp256r1) != 32)
		abort();
	memcpy(fm_sk_buf, kbuf, 32);
	fm_sk.x = fm_sk_buf;
	if (br_ec_compute_pub(&br_ec_p256_m31, &pk, fm_keys[0], &fm_sk) != 65)
		abort();
	done = 1;
}

static void fm_fail(const char *why)
{
	fprintf(stderr, "fuzz_manifest: manifest_parse accepted a manifest where %s\n", why);
	abort();
}

static bool fm_range_ok(const struct kc_manifest_range *r)
{
	return r->size && !((r->base | r->size) & 0xfff) && r->base + r->size > r->base &&
	       r->base + r->size <= (1ull << 48);
}

static bool fm_overlap(const struct kc_manifest_range *a, const struct kc_manifest_range *b)
{
	return a->base < b->base + b->size && b->base < a->base + a->size;
}

/* v2's layout; v1's is empty. */
static void fm_check_layout(const struct kc_manifest *m)
{
	const struct kc_manifest_layout *l = &m->layout;
	static const struct kc_manifest_layout empty;

	if (m->version == KC_MANIFEST_V1) {
		if (memcmp(l, &empty, sizeof(empty)) != 0)
			fm_fail("a v1 manifest came with a layout");
		return;
	}
	if (m->version != KC_MANIFEST_V2)
		fm_fail("the version is neither 1 nor 2");
	if (l->nram < 1 || l->nram > KC_MANIFEST_MAX_RAM || l->nwin > KC_MANIFEST_MAX_WINDOWS)
		fm_fail("a layout count is out of range");
	for (unsigned i = 0; i < l->nram + l->nwin; i++) {
		const struct kc_manifest_range *a = i < l->nram ? &l->ram[i] : &l->win[i - l->nram];
		if (!fm_range_ok(a))
			fm_fail("a RAM range or window is empty, misaligned or beyond 2^48");
		if (a->flags & ~(i < l->nram ? 0ull : KC_MANIFEST_WIN_SHARED))
			fm_fail("a reserved flag bit is set");
		for (unsigned j = 0; j < i; j++)
			if (fm_overlap(a, j < l->nram ? &l->ram[j] : &l->win[j - l->nram]))
				fm_fail("two layout ranges overlap");
	}
	for (unsigned i = 0; i < m->nimages; i++) {
		const struct kc_manifest_image *img = &m->images[i];
		bool inside = false;
		for (unsigned j = 0; j < l->nram; j++)
			inside |= img->guest_base >= l->ram[j].base &&
				  img->guest_base + img->size <= l->ram[j].base + l->ram[j].size;
		if (!inside)
			fm_fail("an image is not inside one RAM range");
	}
	/* What kcore asks of a kept layout (VM_MAP_IO, VM_VERIFY, the checker). */
	for (unsigned i = 0; i < l->nwin; i++) {
		const struct kc_manifest_range *w = &l->win[i];
		if (manifest_window_of(l, w->base, w->size) != w ||
		    manifest_window_of(l, w->base + w->size - 4096, 4096) != w ||
		    manifest_overlaps_ram(l, w->base, w->size))
			fm_fail("the layout queries disagree about a window");
		if (w->base >= 4096 && manifest_window_of(l, w->base - 4096, w->size) == w)
			fm_fail("a range starting before a window is inside it");
	}
	for (unsigned j = 0; j < l->nram; j++)
		if (!manifest_overlaps_ram(l, l->ram[j].base, 4096) ||
		    manifest_window_of(l, l->ram[j].base, 4096))
			fm_fail("the layout queries disagree about a RAM range");
}

static void fm_check_accepted(const struct kc_manifest *m)
{
	if (m->nimages < 1 || m->nimages > KC_MANIFEST_MAX_IMAGES)
		fm_fail("nimages is out of range");
	if (m->key_index != 0)
		fm_fail("the key index is not the one key");
	bool entry_inside = false;
	for (unsigned i = 0; i < m->nimages; i++) {
		const struct kc_manifest_image *a = &m->images[i];
		if (!a->size || ((a->guest_base | a->size) & 0xfff) ||
		    a->guest_base + a->size < a->guest_base ||
		    a->guest_base + a->size > (1ull << 48))
			fm_fail("an image is empty, misaligned or beyond 2^48");
		for (unsigned j = 0; j < i; j++) {
			const struct kc_manifest_image *b = &m->images[j];
			if (a->guest_base < b->guest_base + b->size &&
			    b->guest_base < a->guest_base + a->size)
				fm_fail("two images overlap");
		}
		entry_inside |=
			m->entry_pc >= a->guest_base && m->entry_pc - a->guest_base < a->size;
	}
	if (!entry_inside || (m->entry_pc & 3))
		fm_fail("the entry pc is outside every image or misaligned");
	fm_check_layout(m);
}

static void fm_parse(const uint8_t *buf, size_t len)
{
	struct kc_manifest m;
	const char *why = NULL;
	int rc = manifest_parse(buf, len, (const uint8_t(*)[CRYPTO_P256_PUB_LEN])fm_keys, 1, &m,
				&why);
	if (rc == KC_OK)
		fm_check_accepted(&m);
	else if (rc != KC_EINVAL && rc != KC_EAUTH)
		fm_fail("it returned neither OK, EINVAL nor EAUTH");
	else if (!why)
		fm_fail("it gave no reason for refusing");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[4096];
	fm_setup();
	if (size > sizeof(page))
		size = sizeof(page);
	fm_parse(data, size); /* as the host wrote it */
	if (size < 1 || !(data[0] & 1))
		return 0;
	/* Re-signed: data[1..] is the body, nimages as it says (bounded). */
	size_t body = size - 1;
	memset(page, 0, sizeof(page));
	memcpy(page, data + 1, body);
	unsigned n = body >= 16 ? page[12] : 0;
	size_t signed_len = KC_MANIFEST_HEADER_SIZE +
			    (size_t)(n % (KC_MANIFEST_MAX_IMAGES + 2)) * KC_MANIFEST_IMAGE_SIZE;
	if (page[8] == KC_MANIFEST_V2) {
		/* The layout block is signed too: its counts as given, capped one past the max. */
		uint32_t nram = page[signed_len] | (uint32_t)page[signed_len + 1] << 8;
		uint32_t nwin = page[signed_len + 4] | (uint32_t)page[signed_len + 5] << 8;
		if (nram > KC_MANIFEST_MAX_RAM + 1)
			nram = KC_MANIFEST_MAX_RAM + 1;
		if (nwin > KC_MANIFEST_MAX_WINDOWS + 1)
			nwin = KC_MANIFEST_MAX_WINDOWS + 1;
		signed_len += KC_MANIFEST_LAYOUT_SIZE + (nram + nwin) * KC_MANIFEST_RANGE_SIZE;
	}
	if (signed_len + KC_MANIFEST_SIG_SIZE > sizeof(page))
		return 0;
	uint8_t digest[32];
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, page, signed_len);
	br_sha256_out(&c, digest);
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &fm_sk,
				  page + signed_len) != 64)
		abort();
	/* Bytes after the signature must be zero: keep what the input put there. */
	fm_parse(page, signed_len + KC_MANIFEST_SIG_SIZE + (data[0] >> 1) % 64);
	return 0;
}
