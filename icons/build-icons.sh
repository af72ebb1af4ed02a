#!/usr/bin/env bash
# Regenerates every icon file from the SVG sources:
#   icons/png/anewb-N.png  N = 16 32 48 64 128 256 512 1024   (16 and 32 from anewb-16.svg, the rest from anewb.svg)
#   icons/anewb.icns        macOS (png2icns: 16 32 48 128 256 512 1024)
#   icons/anewb.ico         Windows (icotool: 16 32 48 64 128, plus 256 stored as PNG)
#   app/src/main/resources/dev/anewb/app/icons/anewb-N.png   the window icons (16 32 48 64 128 256)
# The outputs are committed, so builds and CI never need these tools; run this only after editing an SVG.
# Needs: rsvg-convert (apt: librsvg2-bin), png2icns (apt: icnsutils), icotool (apt: icoutils).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt package: $2)"); }
need rsvg-convert librsvg2-bin
need png2icns icnsutils
need icotool icoutils
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-icons.sh: missing tools:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "install them with: sudo apt-get install librsvg2-bin icnsutils icoutils" >&2
  exit 1
fi

png="$here/png"
mkdir -p "$png"
for n in 16 32 48 64 128 256 512 1024; do
  src="$here/anewb.svg"
  [ "$n" -le 32 ] && src="$here/anewb-16.svg"   # the pixel-aligned drawing stays crisp at small sizes
  rsvg-convert --width "$n" --height "$n" --keep-aspect-ratio "$src" --output "$png/anewb-$n.png"
done

# png2icns reads each PNG's size to pick the icon slot; it has no 64 px slot.
png2icns "$here/anewb.icns" "$png"/anewb-{16,32,48,128,256,512,1024}.png >/dev/null

icotool --create --output="$here/anewb.ico" \
  "$png"/anewb-{16,32,48,64,128}.png --raw="$png/anewb-256.png"

res="$root/app/src/main/resources/dev/anewb/app/icons"
mkdir -p "$res"
for n in 16 32 48 64 128 256; do cp "$png/anewb-$n.png" "$res/anewb-$n.png"; done

echo "build-icons.sh: wrote $png/anewb-{16..1024}.png, $here/anewb.icns, $here/anewb.ico and the window icons in $res"
