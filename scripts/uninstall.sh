#!/usr/bin/env bash
# Removes m2m-agent. Keeps the configuration (/etc/m2m-agent) and the state (/var/lib/m2m-agent:
# identity, unsent readings) unless --purge is given, so a reinstall carries on where it stopped.
#
#   sudo /opt/m2m-agent/scripts/uninstall.sh [--purge]
#   scripts/uninstall.sh --root /tmp/r [--prefix DIR] [--purge]
set -euo pipefail

ROOT=/
PREFIX=/opt/m2m-agent
PURGE=0
UNIT_NAME=m2m-agent.service

usage() {
  cat <<EOF
usage: $0 [--root DIR] [--prefix DIR] [--purge]
  --root DIR     operate on DIR instead of / (systemctl and userdel are only printed)
  --prefix DIR   installation directory (default /opt/m2m-agent)
  --purge        also delete /etc/m2m-agent, /var/lib/m2m-agent and the m2m-agent user
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "m2m-agent uninstall: $*"; }
die() { printf '%s\n' "m2m-agent uninstall: ERROR: $*" >&2; exit 1; }

case "$PREFIX" in
  /*) ;;
  *) die "--prefix must be an absolute path (got '$PREFIX')" ;;
esac
PREFIX="${PREFIX%/}"
# Refuse prefixes whose removal would hurt: /, /opt, /usr, ...
case "$PREFIX" in
  "" | /bin | /boot | /dev | /etc | /home | /lib | /opt | /proc | /root | /sbin | /sys | /usr | /usr/local | /var)
    die "refusing to remove prefix '$PREFIX'" ;;
esac
ROOT="${ROOT%/}"
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT does not exist"
  ROOT="$(cd "$ROOT" && pwd)"
  [ "$ROOT" != "/" ] || ROOT=""
fi
REAL_ROOT=0
[ -n "$ROOT" ] || REAL_ROOT=1
if [ "$REAL_ROOT" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0)"
fi

if [ "$REAL_ROOT" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now "$UNIT_NAME" 2>/dev/null || say "the service was not enabled or running"
else
  say "systemd is not running here (or --root is set): skipped 'systemctl disable --now $UNIT_NAME'"
fi

rm -f "$ROOT/etc/systemd/system/$UNIT_NAME"
[ "$REAL_ROOT" = 0 ] || [ ! -d /run/systemd/system ] || systemctl daemon-reload
rm -rf "$ROOT$PREFIX"
say "removed $ROOT$PREFIX and the unit"

if [ "$PURGE" = 1 ]; then
  # Drop-ins from `systemctl edit` are local configuration too.
  rm -rf "$ROOT/etc/m2m-agent" "$ROOT/var/lib/m2m-agent" "$ROOT/etc/systemd/system/$UNIT_NAME.d"
  say "purged $ROOT/etc/m2m-agent, $ROOT/var/lib/m2m-agent and any unit drop-ins"
  if [ "$REAL_ROOT" = 1 ]; then
    if getent passwd m2m-agent >/dev/null; then userdel m2m-agent; fi
    say "removed the m2m-agent user (the gpio and dialout groups stay: other software uses them)"
  else
    say "would run (skipped under --root): userdel m2m-agent"
  fi
else
  say "kept $ROOT/etc/m2m-agent (configuration) and $ROOT/var/lib/m2m-agent (identity, unsent readings); --purge deletes them"
fi
