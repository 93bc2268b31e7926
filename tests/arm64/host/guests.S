/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The signed guest payloads the stand-in host runs, built and signed by
 * tests/arm64/guests at build time: each image and its manifest, page
 * aligned, as the host would read them from a file.
 */
	.section .rodata.guests, "a"

	.balign	4096
	.global	guest_hello_image, guest_hello_image_end
guest_hello_image:
	.incbin	GUEST_HELLO_IMAGE
guest_hello_image_end:

	.balign	4096
	.global	guest_hello_manifest, guest_hello_manifest_end
guest_hello_manifest:
	.incbin	GUEST_HELLO_MANIFEST
guest_hello_manifest_end:
