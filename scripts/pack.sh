#!/usr/bin/env bash
# Builds the release tarball a board needs: compiled JavaScript (dist/src), device models, schema,
# the systemd unit, install/uninstall scripts and the example config: the `files` list of
# package.json, packed by `npm pack`. No tests, no TypeScript sources, no node_modules (install.sh
# runs `npm ci --omit=dev` on the board, which builds the native addons for its architecture).
#
#   scripts/pack.sh [--out DIR] [--no-build]
#     --out DIR    where to write m2m-agent-<version>.tgz (default: the repo root)
#     --no-build   pack the existing dist/ without running `prepare` (tsc)
#
# On the board: tar xzf m2m-agent-<version>.tgz && sudo package/scripts/install.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO"
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$REPO"

args=(--pack-destination "$OUT" --json)
# `npm pack` runs `prepare` (tsc -p .) first, so dist/ is fresh. With --no-build, skip all of the
# package's own scripts: packing runs no dependency scripts anyway.
if [ "$BUILD" = 0 ]; then
  args+=(--ignore-scripts)
  [ -f dist/src/cli/main.js ] || { echo "error: dist/src/cli/main.js is missing: run 'npm run build' or drop --no-build" >&2; exit 1; }
fi
json="$(npm pack "${args[@]}")"

node -e '
  const [info] = JSON.parse(process.argv[1]);
  const kb = (n) => (n / 1024).toFixed(1) + " KiB";
  const missing = ["dist/src/cli/main.js", "scripts/install.sh", "systemd/m2m-agent.service"]
    .filter((p) => !info.files.some((f) => f.path === p));
  console.log(`${process.argv[2]}/${info.filename}`);
  console.log(`size: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${info.entryCount} files`);
  if (missing.length) { console.error("error: the tarball lacks " + missing.join(", ")); process.exit(1); }
' "$json" "$OUT"
