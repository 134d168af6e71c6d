#!/usr/bin/env bash
# Copies the browser assets pinned in package.json (npm ci) into
# dashboards/assets/vendor/, which go:embed serves from the ktxh binary: the
# dashboards never load anything from another host. Run from anywhere; the
# Makefile's `assets` step runs it before every build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nm="$root/node_modules"
out="$root/dashboards/assets/vendor"

need() {
  if [ ! -f "$1" ]; then
    echo "vendor-assets: $1 is missing: run 'npm ci' at $root first" >&2
    exit 1
  fi
}

need "$nm/echarts/dist/echarts.min.js"
need "$nm/echarts/i18n/langVI.js"
need "$nm/@fontsource/noto-sans/package.json"

major="$(node -p 'require(process.argv[1]).version.split(".")[0]' "$nm/echarts/package.json" 2>/dev/null || sed -n 's/.*"version": *"\([0-9]*\)\..*/\1/p' "$nm/echarts/package.json")"
if [ "$major" != "5" ]; then
  echo "vendor-assets: echarts $major.x found, the dashboards need 5.x (package.json pins it)" >&2
  exit 1
fi

tmp="$(mktemp -d "$root/dashboards/assets/.vendor-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/fonts"
cp "$nm/echarts/dist/echarts.min.js" "$tmp/echarts.min.js"
cp "$nm/echarts/i18n/langVI.js" "$tmp/echarts-lang-vi.js"
cp "$nm/echarts/LICENSE" "$tmp/LICENSE.echarts"
for subset in vietnamese latin latin-ext; do
  for weight in 400 700; do
    f="$nm/@fontsource/noto-sans/files/noto-sans-$subset-$weight-normal.woff2"
    need "$f"
    cp "$f" "$tmp/fonts/"
  done
done
cp "$nm/@fontsource/noto-sans/LICENSE" "$tmp/fonts/LICENSE.noto-sans"
{
  echo "Copied by scripts/vendor-assets.sh from node_modules (package-lock.json pins the versions):"
  for p in echarts @fontsource/noto-sans; do
    printf '  %s %s\n' "$p" "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$nm/$p/package.json" | head -1)"
  done
} > "$tmp/VERSIONS.txt"

# Replace the directory in one step so a concurrent build never embeds half.
rm -rf "$out.old"
if [ -d "$out" ]; then mv "$out" "$out.old"; fi
mv "$tmp" "$out"
trap - EXIT
rm -rf "$out.old"
echo "vendor-assets: $(tail -n +2 "$out/VERSIONS.txt" | sed 's/^ *//' | paste -sd, - | sed 's/,/, /g') -> dashboards/assets/vendor/"
