// Package media turns a merchant's uploaded photo into the pictures the
// shop serves, and keeps a product's pictures in order.
//
// An upload is checked before it costs anything: its size (MaxBytes, 413),
// its type by its first bytes (JPEG, PNG or WebP; anything else 415), and
// its pixel count read from the header (MaxPixels, 422) before a single
// pixel is decoded, so a small file that claims to be 100,000 × 100,000
// pixels is refused without allocating them. The decoded picture is
// turned upright (JPEG EXIF orientation), drawn again at each of Widths
// that is smaller than it (never upscaled) and encoded as WebP, plus one
// JPEG (or PNG, when the picture has transparency) at the largest width
// for browsers without WebP. Nothing of the original file is kept:
// re-encoding drops EXIF (GPS position, camera serial), XMP and ICC data.
//
// Encoding is the expensive part (seconds of CPU for a phone photo), so it happens once, at upload, and at most Concurrency uploads
// are encoded at a time.
//
// The encoded files are stored by a BlobStore under keys made from the
// upload's SHA-256 (so URLs are immutable and cacheable for a year); the
// product's list of images (order, alt text, sizes) is kept by a Store.
// Both are implemented over the shop's database (package sqldb), so every
// instance of a fleet serves every picture without another service; an
// S3-compatible BlobStore could replace it.
package media
