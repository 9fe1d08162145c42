#!/usr/bin/env bash
# Installs (or upgrades in place) m2m-agent on a Debian / Raspberry Pi OS board.
#
#   sudo scripts/install.sh                 # from a repo checkout (after `npm run build`)
#   sudo package/scripts/install.sh         # from an unpacked release tarball (scripts/pack.sh)
#   scripts/install.sh --root /tmp/r --skip-npm   # into a staging root (CI, image builds)
#
# What it does: checks Node >= 20.15 and the build tools for native addons; creates the system user
# `m2m-agent` and the groups `gpio` and `dialout` if missing; copies the package into
# $root$prefix and installs production dependencies there (`npm ci --omit=dev`); writes the
# `bin/m2m-agent` wrapper; installs the systemd unit; installs the example config ONLY if there is
# no config yet; enables the service. A second run upgrades the code and keeps config and state.
set -euo pipefail
umask 022

ROOT=/
PREFIX=/opt/m2m-agent
SKIP_NPM=0
ENABLE=1
UNIT_NAME=m2m-agent.service
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<EOF
usage: $0 [--root DIR] [--prefix DIR] [--skip-npm] [--no-enable]
  --root DIR     install into DIR instead of / (users, groups and systemctl are only printed)
  --prefix DIR   installation directory (default /opt/m2m-agent)
  --skip-npm     do not run 'npm ci' (tests; an existing node_modules is kept)
  --no-enable    do not enable or restart the service
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    --no-enable) ENABLE=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "m2m-agent install: $*"; }
warn() { printf '%s\n' "m2m-agent install: WARNING: $*" >&2; }
die() { printf '%s\n' "m2m-agent install: ERROR: $*" >&2; exit 1; }

case "$PREFIX" in
  /*) ;;
  *) die "--prefix must be an absolute path (got '$PREFIX')" ;;
esac
PREFIX="${PREFIX%/}"
[ -n "$PREFIX" ] || die "--prefix must not be /"
ROOT="${ROOT%/}"                      # "" means the real root
[ -z "$ROOT" ] || mkdir -p "$ROOT"
[ -z "$ROOT" ] || ROOT="$(cd "$ROOT" && pwd)"
[ "$ROOT" != "/" ] || ROOT=""
REAL_ROOT=0
[ -n "$ROOT" ] || REAL_ROOT=1

DEST="$ROOT$PREFIX"
ETC="$ROOT/etc/m2m-agent"
STATE="$ROOT/var/lib/m2m-agent"
UNIT_DIR="$ROOT/etc/systemd/system"

# --- Preconditions -------------------------------------------------------------------------------
if [ "$REAL_ROOT" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0), or use --root DIR to stage an installation"
fi

node_hint="Install Node.js 20.15 or newer: NodeSource (https://github.com/nodesource/distributions: curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs) or your distribution's backports. Debian 12's own 'nodejs' is 18.x, too old."
NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ]; then
  [ "$REAL_ROOT" = 1 ] && die "node not found. $node_hint"
  warn "node not found (the target needs Node >= 20.15). $node_hint"
  NODE_BIN=/usr/bin/node
else
  # 20.15: the outbox checksums records with zlib.crc32, new in Node 20.15.
  node_recent="$("$NODE_BIN" -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 15) ? 1 : 0' 2>/dev/null || echo 0)"
  if [ "$node_recent" != 1 ]; then
    [ "$REAL_ROOT" = 1 ] && die "Node $("$NODE_BIN" --version) is too old (need >= 20.15). $node_hint"
    warn "Node $("$NODE_BIN" --version) is too old for the target (need >= 20.15). $node_hint"
  fi
  case "$NODE_BIN" in
    /home/* | /root/*)
      warn "node is at $NODE_BIN: the service runs with ProtectHome=yes and cannot see it; install Node system-wide (/usr/bin/node)" ;;
  esac
fi

missing_tools=""
for tool in python3 make g++; do
  command -v "$tool" >/dev/null 2>&1 || missing_tools="$missing_tools $tool"
done
if [ -n "$missing_tools" ]; then
  warn "build tools missing:$missing_tools. GPIO support (the optional 'onoff' package) compiles a native addon and will be left out; serial and everything else still work. For GPIO: sudo apt-get install -y python3 make g++ && rerun this script."
fi

[ -f "$SRC/package.json" ] || die "no package.json in $SRC: run this script from a repo checkout or an unpacked release tarball"
[ -f "$SRC/dist/src/cli/main.js" ] || die "$SRC/dist/src/cli/main.js is missing: run 'npm run build' first (or install from a release tarball made by scripts/pack.sh)"
[ "$SKIP_NPM" = 1 ] || [ -f "$SRC/package-lock.json" ] || die "package-lock.json is missing from $SRC ('npm ci' needs it)"

# --- Users and groups ----------------------------------------------------------------------------
run_or_print() {
  if [ "$REAL_ROOT" = 1 ]; then
    "$@"
  else
    say "would run (skipped under --root): $*"
  fi
}
for group in gpio dialout; do
  if [ "$REAL_ROOT" = 0 ] || ! getent group "$group" >/dev/null; then
    run_or_print groupadd --system "$group"
  fi
done
if [ "$REAL_ROOT" = 0 ] || ! getent passwd m2m-agent >/dev/null; then
  run_or_print useradd --system --user-group --home-dir /var/lib/m2m-agent --no-create-home \
    --shell /usr/sbin/nologin --comment "m2m-agent oneM2M device agent" m2m-agent
fi

# --- Package files (staged next to the destination, then swapped in) ----------------------------
mkdir -p "$(dirname "$DEST")"
STAGE="$DEST.new.$$"
rm -rf "$STAGE"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/dist" "$STAGE/config" "$STAGE/scripts" "$STAGE/bin"
cp -R "$SRC/dist/src" "$STAGE/dist/src"
cp "$SRC/package.json" "$STAGE/"
for item in package-lock.json README.md CHANGELOG.md LICENSE; do
  [ ! -f "$SRC/$item" ] || cp "$SRC/$item" "$STAGE/"
done
for dir in devices schema systemd; do
  if [ -d "$SRC/$dir" ]; then cp -R "$SRC/$dir" "$STAGE/$dir"; else warn "$dir/ is missing from the package"; fi
done
[ ! -f "$SRC/config/example.json" ] || cp "$SRC/config/example.json" "$STAGE/config/"
[ ! -f "$SRC/scripts/uninstall.sh" ] || cp "$SRC/scripts/uninstall.sh" "$STAGE/scripts/"
[ -f "$STAGE/systemd/$UNIT_NAME" ] || die "systemd/$UNIT_NAME is missing from $SRC"

# dist/ is already built: drop `prepare` (it runs tsc, a dev dependency) so that `npm ci
# --omit=dev` does not try to rebuild. Install scripts of dependencies still run (native addons).
"$NODE_BIN" -e '
  const fs = require("fs"); const p = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(p, "utf8"));
  if (pkg.scripts) { delete pkg.scripts.prepare; delete pkg.scripts.prepack; }
  fs.writeFileSync(p, JSON.stringify(pkg, null, 2) + "\n");
' "$STAGE/package.json" 2>/dev/null || warn "could not strip the prepare script (no working node?)"

if [ "$SKIP_NPM" = 1 ]; then
  say "skipping npm ci (--skip-npm)"
  [ ! -d "$DEST/node_modules" ] || mv "$DEST/node_modules" "$STAGE/node_modules"
else
  say "installing production dependencies (npm ci --omit=dev) ..."
  (cd "$STAGE" && npm ci --omit=dev --no-audit --no-fund) ||
    die "npm ci failed; the previous installation in $DEST is untouched"
  if ! (cd "$STAGE" && "$NODE_BIN" -e 'require.resolve("onoff")' >/dev/null 2>&1); then
    warn "GPIO support (onoff) is not installed: install python3 make g++ and rerun for GPIO devices"
  fi
fi

cat >"$STAGE/bin/m2m-agent" <<EOF
#!/bin/sh
# Generated by scripts/install.sh. exec keeps the PID, so systemd's main PID is node itself.
NODE="$NODE_BIN"
[ -x "\$NODE" ] || NODE=node
exec "\$NODE" "$PREFIX/dist/src/cli/main.js" "\$@"
EOF
chmod 0755 "$STAGE/bin/m2m-agent"

UPGRADE=0
if [ -e "$DEST" ]; then
  UPGRADE=1
  rm -rf "$DEST.old"
  mv "$DEST" "$DEST.old"
fi
mv "$STAGE" "$DEST"
trap - EXIT
rm -rf "$DEST.old"
say "installed the agent in $DEST$([ "$UPGRADE" = 1 ] && echo ' (upgraded in place)')"

# --- systemd unit --------------------------------------------------------------------------------
mkdir -p "$UNIT_DIR"
sed -e "s#/opt/m2m-agent#$PREFIX#g" "$DEST/systemd/$UNIT_NAME" >"$UNIT_DIR/$UNIT_NAME.tmp"
chmod 0644 "$UNIT_DIR/$UNIT_NAME.tmp"
mv "$UNIT_DIR/$UNIT_NAME.tmp" "$UNIT_DIR/$UNIT_NAME"
say "installed $UNIT_DIR/$UNIT_NAME (local changes belong in 'systemctl edit m2m-agent')"

# --- Configuration and state (never overwritten) -------------------------------------------------
mkdir -p "$ETC/devices" "$STATE"
chmod 0755 "$ETC" "$ETC/devices"
chmod 0750 "$STATE"
if [ -e "$ETC/config.json" ]; then
  say "keeping the existing $ETC/config.json"
elif [ -f "$DEST/config/example.json" ]; then
  cp "$DEST/config/example.json" "$ETC/config.json"
  chmod 0640 "$ETC/config.json"
  [ "$REAL_ROOT" = 0 ] || chgrp m2m-agent "$ETC/config.json"
  say "installed the example configuration as $ETC/config.json: edit it before starting"
else
  warn "no config/example.json in the package: write $ETC/config.json yourself"
fi
if [ -f "$DEST/systemd/m2m-agent.env.example" ]; then
  cp "$DEST/systemd/m2m-agent.env.example" "$ETC/m2m-agent.env.example"
  chmod 0644 "$ETC/m2m-agent.env.example"
fi
[ "$REAL_ROOT" = 0 ] || chown m2m-agent:m2m-agent "$STATE"

# --- Enable --------------------------------------------------------------------------------------
# sd_booted(3): systemd is PID 1 exactly when /run/systemd/system exists.
if [ "$REAL_ROOT" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$ENABLE" = 1 ]; then
    systemctl enable "$UNIT_NAME"
    if systemctl is-active --quiet "$UNIT_NAME"; then
      systemctl restart "$UNIT_NAME"
      say "restarted the running service on the new version"
    fi
  fi
else
  say "systemd is not running here (or --root is set): skipped 'systemctl daemon-reload && systemctl enable $UNIT_NAME'"
fi

cat <<EOF

Next steps:
  1. Edit /etc/m2m-agent/config.json (registrar URL, CSE-ID, devices); own device models go in
     /etc/m2m-agent/devices/.
  2. Check it:      sudo -u m2m-agent $PREFIX/bin/m2m-agent check -c /etc/m2m-agent/config.json
  3. Start it:      sudo systemctl start m2m-agent
  4. Watch it:      journalctl -u m2m-agent -f      and      $PREFIX/bin/m2m-agent status
  Optional: environment overrides in /etc/m2m-agent/m2m-agent.env (see m2m-agent.env.example).
  Uninstall:        sudo $PREFIX/scripts/uninstall.sh [--purge]
EOF
