#!/usr/bin/env bash
# Seed corpora for the fuzz targets (fuzz/corpus/<target>/, git-ignored): fixture models and
# images, small generated images of every decoded format, and hand-written inputs. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
root=..
c=corpus
mkdir -p $c/{model_load,pylit,metadata,heads,letterbox,contours,hub,server_form,server_keys,image_decode,png_alpha}

# model_load: the small fixture models (every bad-* case and the non-YOLO graph). The real
# exports (2-12 MB) take ~1 s per load: too slow for a fuzz corpus.
for f in $root/tests/fixtures/models/*.onnx; do
  [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" $c/model_load/
done

# image_decode: small fixtures, generated tiny images, CPython's imghdr test images if present.
cp $root/tests/fixtures/images/tiny-37x23.png $root/tests/fixtures/images/cls-90x140.png $c/image_decode/
python3 - "$c/image_decode" <<'PY'
import os, struct, sys, zlib
out = sys.argv[1]
w, h = 7, 5
px = bytes((x * 37 + y * 11 + c * 70) & 255 for y in range(h) for x in range(w) for c in range(3))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
def png(name, color, depth, rows, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    open(os.path.join(out, name), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
rgb_rows = [px[y * w * 3:(y + 1) * w * 3] for y in range(h)]
png("rgb.png", 2, 8, rgb_rows)
png("grey.png", 0, 8, [bytes(r[::3]) for r in rgb_rows])
png("rgba.png", 6, 8, [b"".join(r[i:i + 3] + b"\x80" for i in range(0, len(r), 3)) for r in rgb_rows])
png("rgb16.png", 2, 16, [b"".join(bytes([v, v]) for v in r) for r in rgb_rows])
png("palette.png", 3, 8, [bytes(v % 4 for v in r[::3]) for r in rgb_rows],
    chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])))
# exif orientation 6 in an eXIf chunk (rotated on decode)
exif = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0"
png("exif.png", 2, 8, rgb_rows, chunk(b"eXIf", exif))
# BMP, 24-bit bottom-up
row = lambda y: b"".join(px[(y * w + x) * 3:(y * w + x) * 3 + 3][::-1] for x in range(w))
pad = (4 - w * 3 % 4) % 4
data = b"".join(row(y) + b"\0" * pad for y in reversed(range(h)))
bmp = b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0) + data
open(os.path.join(out, "rgb.bmp"), "wb").write(bmp)
# TIFF, little-endian, uncompressed RGB, one strip
entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 2),
           (273, 4, 1, 8 + 2 + 12 * 10 + 4), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(px)), (284, 3, 1, 1)]
ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
# bits per sample for 3 samples written as 8 (single value is accepted by most readers)
open(os.path.join(out, "rgb.tiff"), "wb").write(b"II*\0" + struct.pack("<I", 8) + ifd + px)
# GIF: 4-colour palette, LZW with a clear code before every pixel (codes stay 3 bits wide)
idx = [v % 4 for v in px[::3]]
codes = []
for v in idx: codes += [4, v]
codes.append(5)
bits, n, lzw = 0, 0, bytearray()
for code in codes:
    bits |= code << n; n += 3
    while n >= 8: lzw.append(bits & 255); bits >>= 8; n -= 8
if n: lzw.append(bits & 255)
blocks = b"".join(bytes([len(lzw[i:i + 255])]) + bytes(lzw[i:i + 255]) for i in range(0, len(lzw), 255)) + b"\0"
gif = (b"GIF89a" + struct.pack("<HHBBB", w, h, 0x81, 0, 0) + bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
       + b"," + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x02" + blocks + b";")
open(os.path.join(out, "p.gif"), "wb").write(gif)
PY
pytest_dir=$(python3 -c 'import os, test; print(os.path.join(os.path.dirname(test.__file__), "imghdrdata"))' 2>/dev/null || true)
for ext in jpg webp gif tiff bmp png; do
  [ -f "$pytest_dir/python.$ext" ] && cp "$pytest_dir/python.$ext" "$c/image_decode/cpython.$ext"
done
# A JPEG from the fixtures, cut to its first 4 KiB (headers, tables, first scan bytes).
head -c 4096 $root/tests/fixtures/images/zidane.jpg > $c/image_decode/zidane-head.jpg

# png_alpha: the generated PNGs above (RGB, grey, RGBA, 16-bit, palette, eXIf) and the first
# 16 KiB of the transparent fixture (its header and first IDAT bytes).
cp $c/image_decode/*.png $c/png_alpha/
head -c 16384 $root/tests/fixtures/images/alpha-shapes-520x390.png > $c/png_alpha/alpha-head.png

# pylit / metadata: the literals of the fixture models' metadata.
printf '%s' "{0: 'circle', 1: 'square', 2: 'triangle'}" > $c/pylit/names
printf '%s' "[640, 640]" > $c/pylit/imgsz
printf '%s' "{'batch': 1, 'dynamic': False, 'nms': True, 'half': None, 'conf': 0.25}" > $c/pylit/args
printf '%s' "[17, 3]" > $c/pylit/kpt
printf '%s' "('a\\n\\x41\\u00e9', -1.5e3, +7, .5, [], {}, ())" > $c/pylit/misc

# hub: the golden responses (as 200 answers) and typical error answers.
i=0
for f in $root/tests/fixtures/golden/yolo11n-*__*_c0.25_i0.45.json; do
  [ "$(stat -c %s "$f")" -le 16384 ] || continue
  { printf '200 0\n\n'; cat "$f"; } > $c/hub/golden-$i; i=$((i + 1))
done
printf '429 1764331000\nretry-after: 120\nx-ratelimit-limit: 100\nx-ratelimit-remaining: 0\nx-ratelimit-reset: 1764331200\n\n{"error":"Rate limit exceeded","code":"rate_limited"}' > $c/hub/429
printf '503 784111700\nretry-after: Sun, 06 Nov 1994 08:49:37 GMT\nx-ratelimit-reset: 2026-02-21T12:34:56.000Z\n\n{"detail":[{"msg":"busy"},{"msg":"x"}]}' > $c/hub/503
printf '500 0\n\n<html><body>502</body></html>' > $c/hub/html
printf '422 0\n\n{"details":{"message":"boom"}}' > $c/hub/details

# server_form: a full predict form and variants.
form() { # boundary, then parts as name|filename|content-type|value
  local b=$1; shift; printf '%s\n' "$b"
  for p in "$@"; do
    IFS='|' read -r name fname ctype value <<< "$p"
    printf -- '--%s\r\nContent-Disposition: form-data; name="%s"' "$b" "$name"
    [ -n "$fname" ] && printf '; filename="%s"' "$fname"
    printf '\r\n'
    [ -n "$ctype" ] && printf 'Content-Type: %s\r\n' "$ctype"
    printf '\r\n%s\r\n' "$value"
  done
  printf -- '--%s--\r\n' "$b"
}
form FUZZ 'model|||yolo11n-shapes' "file|a.png|image/png|PNG-BYTES" 'imgsz|||640' 'conf|||0.25' 'iou|||0.45' > $c/server_form/full
form XyZ 'file|clip.mp4|video/mp4|data' > $c/server_form/video
form b 'imgsz|||31' 'file|a||x' 'other|||ignored' > $c/server_form/bad-imgsz
form b 'file|a||x' 'file|b||y' > $c/server_form/two-files

# server_keys: the fixture keys file with a presented key.
{ cat $root/tests/fixtures/server/keys.txt; printf '\0alpha'; } > $c/server_keys/fixture
printf 'k1 models=a,b rate=5\n# c\n\nk2 rate=0\0k2' > $c/server_keys/options

for t in $c/*; do printf '%-14s %3d files\n' "$(basename $t)" "$(ls $t | wc -l)"; done
