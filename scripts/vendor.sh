#!/usr/bin/env bash
# Fetch the pinned front-end packages of static/vendor/packages.txt from npm, check each
# tarball against its pinned integrity (sha512), and copy the listed files (with the licence)
# to static/vendor/<name>/. The files are committed, so the app never needs npm to run;
# run this (`make vendor`) only to add or upgrade a package, after editing packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
list=static/vendor/packages.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -v '^\s*#' "$list" | grep -v '^\s*$' | while read -r name version integrity files; do
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$work/${name//\//-}-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "vendor: $name@$version integrity mismatch: $actual" >&2; exit 1
  fi
  mkdir -p "$work/$name" && tar -xzf "$tarball" -C "$work/$name"
  target="static/vendor/$name"
  rm -rf "$target" && mkdir -p "$target"
  for file in $files; do
    mkdir -p "$target/$(dirname "${file#dist/}")"
    cp "$work/$name/package/$file" "$target/${file#dist/}"
  done
  echo "$name@$version → $target"
done
