#!/usr/bin/env bash
# Fetches the real photos the model tests use into .cache/test-images/ (git-ignored): the images Debian's
# `darknet` package ships (dog.jpg, person.jpg, ... and coco.names). Idempotent: does nothing when they are
# already there. Needs apt's package lists (apt-get update) but no root: the package is downloaded and
# unpacked, never installed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${TEST_IMAGES_DIR:-$repo_root/.cache/test-images}"
wanted=(dog.jpg person.jpg horses.jpg giraffe.jpg kite.jpg eagle.jpg coco.names)

have_all() {
  for f in "${wanted[@]}"; do [[ -s "$dest/$f" ]] || return 1; done
}

if have_all; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download darknet >/dev/null 2>apt.log; then
  echo "fetch-test-images: 'apt-get download darknet' failed:" >&2
  cat apt.log >&2
  exit 1
fi
deb="$(ls darknet_*.deb | head -n1)"
dpkg-deb -x "$deb" unpacked
mkdir -p "$dest"
for f in "${wanted[@]}"; do
  cp "unpacked/usr/share/darknet/data/$f" "$dest/$f.partial"
  mv "$dest/$f.partial" "$dest/$f" # atomic: a concurrent run never sees half a file
done
echo "fetch-test-images: ${#wanted[@]} files in $dest"
