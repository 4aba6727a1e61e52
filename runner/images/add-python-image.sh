#!/usr/bin/env bash
# Build the base image ponyci/python:X.Y for one CPython version, from the first
# source that has it (`ponyci images add X.Y` and a cell's first need run this):
#
#   runner/images/add-python-image.sh X.Y [--from debian|host] [--prefix DIR]
#   runner/images/add-python-image.sh pypy3.X          (PyPy: ponyci/pypy:3.X)
#
#   debian  a Debian suite that ships pythonX.Y (debootstrap + docker import). Which
#           suite: read from the suites' package lists (PONYCI_DEBIAN_SUITES, default
#           "bullseye bookworm trixie testing unstable"), the suite where it is the
#           default python3 first. The answer is kept in PONYCI_IMAGES_CACHE.
#   host    a CPython already on this host (an air-gapped site's own): --prefix DIR, else
#           pyenv's $PYENV_ROOT/versions/X.Y.*, else a uv-managed one (~/.local/share/uv/python).
#           It is copied into a minimal Debian of the suite the host runs (its libc), with
#           the runtime libraries its binaries link to (ldd + dpkg -S on the host), and
#           checked by running it in the image.
#   PyPy    Debian's pypy3 (+ pypy3-venv) from the suite whose pypy3 implements Python 3.X:
#           the suites' reading kept in PONYCI_IMAGES_CACHE (debian-<suite>-<arch>.pypy, written
#           after each build), else runner/images/debian-pypys.txt; checked by running it.
#
# Progress goes to stderr as "base-images: ..." lines; the image's labels say what it
# is (org.ponyci.python, implementation, libc) and where it came from (org.ponyci.origin).
# debootstrap runs on the host with its network (a trusted step); no repository code
# is involved. Exit 0 when the image exists afterwards.
set -euo pipefail

usage="usage: add-python-image.sh X.Y|pypy3.X [--from debian|host] [--prefix DIR] | --debian-pythons"
version=${1:?$usage}
shift
from=
prefix=
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from=${2:?--from needs debian or host}; shift 2 ;;
    --prefix) prefix=${2:?--prefix needs a directory}; from=${from:-host}; shift 2 ;;
    *) echo "add-python-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
implementation=cpython
if [[ "$version" =~ ^pypy(3\.[0-9]{1,2})$ ]]; then
  implementation=pypy
  version=${BASH_REMATCH[1]}
fi
if [ "$version" != --debian-pythons ] && ! [[ "$version" =~ ^3\.[0-9]{1,2}$ ]]; then
  echo "add-python-image.sh: \"$version\" is not a Python version such as 3.12 or pypy3.11 ($usage)" >&2
  exit 2
fi

# PONYCI_IMAGE_NAME: another name for the image (tests build one they remove afterwards).
if [ "$implementation" = pypy ]; then
  image=${PONYCI_IMAGE_NAME:-ponyci/pypy:$version}
else
  image=${PONYCI_IMAGE_NAME:-ponyci/python:$version}
fi
mirror=${PONYCI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=${PONYCI_DEBIAN_SUITES:-bullseye bookworm trixie testing unstable}
cache=${PONYCI_IMAGES_CACHE:-${PONYCI_DATA_DIR:-$HOME/.ponyci}/images}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
log() { printf 'base-images: %s\n' "$*" >&2; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PROBE_LABELS='import platform; l = platform.libc_ver(); print("org.ponyci.libc=%s org.ponyci.libc-version=%s org.ponyci.machine=%s" % (l[0], l[1], platform.machine()))'

# "suite default X.Y X.Y ..." per suite, from its package list (kept a week).
suite_pythons() {
  local suite=$1 file="$cache/debian-$1-$arch.pythons"
  if [ ! -s "$file" ] || [ -n "$(find "$file" -mmin +10080 2>/dev/null)" ]; then
    log "reading Debian $suite's package list"
    curl -fsS --max-time 120 "$mirror/dists/$suite/main/binary-$arch/Packages.xz" | xz -dc |
      awk -v suite="$suite" '
        /^Package: / { p = $2 }
        /^(Pre-)?Depends: / && p == "python3-minimal" { if (match($0, /python3\.[0-9]+-minimal/)) def = substr($0, RSTART + 6, RLENGTH - 14) }
        /^Package: python3\.[0-9]+$/ { v[substr($2, 7)] = 1 }
        END { printf "%s %s", suite, (def == "" ? "-" : def); for (x in v) printf " %s", x; print "" }' >"$file.tmp" && mv "$file.tmp" "$file" ||
      { rm -f "$file.tmp"; log "could not read Debian $suite's package list"; return 1; }
  fi
  cat "$file"
}

# The suite to take X.Y from: where it is the default python3, else any that ships it.
pick_suite() {
  local line suite def fallback=
  for suite in $suites; do
    line=$(suite_pythons "$suite") || continue
    def=$(echo "$line" | cut -d' ' -f2)
    if [ "$def" = "$version" ]; then echo "$suite default"; return 0; fi
    if [ -z "$fallback" ] && echo " $line " | grep -q " $version "; then fallback="$suite extra"; fi
  done
  [ -n "$fallback" ] && echo "$fallback"
}

import_rootfs() { # root origin
  local root=$1 origin=$2 got labels
  got=$(chroot "$root" env PATH="$image_path" python3 -c 'import platform, sys; print("%s %d.%d" % (platform.python_implementation().lower(), sys.version_info[0], sys.version_info[1]))')
  if [ "$got" != "$implementation $version" ]; then
    log "the image's python3 is ${got:-nothing}, not $implementation $version"
    return 1
  fi
  chroot "$root" env PATH="$image_path" python3 -c 'import ssl, sqlite3, zlib, ctypes, venv, json, decimal, hashlib' ||
    { log "Python $version in the image lacks a standard module (ssl, sqlite3, zlib, ctypes, venv…)"; return 1; }
  labels=$(chroot "$root" env PATH="$image_path" python3 -c "$PROBE_LABELS")
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | docker import \
    --change "ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=$image_path" \
    --change 'CMD ["python3"]' \
    --change "LABEL org.ponyci.base=1 org.ponyci.python=$version org.ponyci.implementation=$implementation org.ponyci.origin=$origin ${suite_label:-} $labels" \
    - "$image" >/dev/null
}

debootstrap_into() { # suite root packages
  local t0=$SECONDS
  log "debootstrap Debian $1 ($3), a few minutes"
  if ! debootstrap --variant=minbase --include="$3" "$1" "$2" "$mirror" >"$2.log" 2>&1; then
    log "debootstrap failed; last lines:"; tail -n 20 "$2.log" | sed 's/^/base-images:   /' >&2; rm -f "$2.log"; return 1
  fi
  rm -f "$2.log"
  log "debootstrap done in $((SECONDS - t0)) s"
}

from_debian() {
  local pick suite kind root
  pick=$(pick_suite) || true
  if [ -z "$pick" ]; then
    log "no Debian suite of \"$suites\" ships Python $version"
    return 1
  fi
  suite=${pick% *}; kind=${pick#* }
  root=$(mktemp -d /var/tmp/ponyci-rootfs.XXXXXX)
  trap 'rm -rf "${root:-}"; trap - RETURN' RETURN
  if [ "$kind" = default ]; then
    debootstrap_into "$suite" "$root" python3,python3-venv,python3-pip || return 1
  else
    # Not the suite's python3: its own packages, and python3 pointing at it.
    debootstrap_into "$suite" "$root" "python$version,python$version-venv" || return 1
    ln -sf "/usr/bin/python$version" "$root/usr/local/bin/python3"
  fi
  suite_label="org.ponyci.suite=$suite"
  import_rootfs "$root" "debian:$suite" && log "built $image from Debian $suite"
}

# The suite whose pypy3 implements Python X.Y: this host's own reading of a suite (written
# after a build) first, then the shipped list. Debian's package lists do not say which
# Python version a pypy3 implements; its files (/usr/lib/pypy3.X) do.
pick_pypy_suite() {
  local suite line
  for suite in $suites; do
    line=$(cat "$cache/debian-$suite-$arch.pypy" 2>/dev/null || grep -E "^$suite " "$(dirname "$0")/debian-pypys.txt" 2>/dev/null || true)
    if [ "$(echo "$line" | cut -d' ' -f2)" = "$version" ]; then echo "$suite"; return 0; fi
  done
  return 1
}

from_debian_pypy() {
  local suite root got
  suite=$(pick_pypy_suite) || { log "no Debian suite of \"$suites\" has a pypy3 implementing Python $version (runner/images/debian-pypys.txt)"; return 1; }
  root=$(mktemp -d /var/tmp/ponyci-rootfs.XXXXXX)
  trap 'rm -rf "${root:-}"; trap - RETURN' RETURN
  debootstrap_into "$suite" "$root" pypy3,pypy3-venv,ca-certificates || return 1
  # What the suite's pypy3 really implements, kept for the next listing and pick.
  got=$(chroot "$root" env PATH="$image_path" pypy3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' || true)
  [ -n "$got" ] && echo "$suite $got" >"$cache/debian-$suite-$arch.pypy"
  # Tools start python3 (the probe, venv creation): here it is PyPy.
  ln -sf /usr/bin/pypy3 "$root/usr/local/bin/python3"
  ln -sf /usr/bin/pypy3 "$root/usr/local/bin/python"
  suite_label="org.ponyci.suite=$suite"
  import_rootfs "$root" "debian:$suite" && log "built $image (PyPy $version) from Debian $suite"
}

find_host_python() {
  if [ -n "$prefix" ]; then echo "$prefix"; return 0; fi
  local root=${PYENV_ROOT:-$HOME/.pyenv} found
  found=$(ls -d "$root/versions/$version".* 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/bin/python$version" ]; then echo "$found"; return 0; fi
  # uv-managed (python-build-standalone): relocatable, few libraries.
  found=$(ls -d "${UV_PYTHON_INSTALL_DIR:-$HOME/.local/share/uv/python}/cpython-$version".*-linux-* 2>/dev/null | grep -v freethreaded | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/bin/python$version" ]; then echo "$found"; return 0; fi
  return 1
}

from_host() {
  local src suite root dest libs packages
  src=$(find_host_python) || { log "no Python $version on this host (pyenv's $HOME/.pyenv/versions, uv's ~/.local/share/uv/python, or --prefix DIR)"; return 1; }
  [ -x "$src/bin/python$version" ] || { log "$src has no bin/python$version"; return 1; }
  # The host's suite: its glibc and libraries are what the interpreter was built against.
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$suite" ] || { log "cannot tell which Debian suite this host runs"; return 1; }
  # Runtime libraries its binaries link to, as the host's Debian packages that hold them.
  libs=$(find "$src" -type f \( -name '*.so*' -o -path "*/bin/python$version" \) -not -name '_tkinter*' -print0 | xargs -0 ldd 2>/dev/null |
    awk '/=> \// { print $3 }' | sort -u | grep -v "^$src/" || true)
  packages=$(for lib in $libs; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true; done |
    cut -d: -f1 | sort -u | grep -v -E '^(libc6|libgcc-s1)$' | tr '\n' ',' || true)
  root=$(mktemp -d /var/tmp/ponyci-rootfs.XXXXXX)
  trap 'rm -rf "${root:-}"; trap - RETURN' RETURN
  debootstrap_into "$suite" "$root" "ca-certificates${packages:+,${packages%,}}" || return 1
  dest=/opt/ponyci/python$version
  log "copying $src into the image at $dest"
  mkdir -p "$root$dest"
  cp -a "$src/." "$root$dest/"
  # What a test run never needs: CPython's own test suite, IDLE, Tk (and the X libraries it would pull in).
  rm -rf "$root$dest/lib/python$version/"{test,idlelib,tkinter,turtledemo,lib2to3/tests} "$root$dest/lib/python$version/lib-dynload/"_tkinter*
  # Not relocatable by RPATH: the loader finds libpython through ld.so.cache instead.
  echo "$dest/lib" >"$root/etc/ld.so.conf.d/ponyci-python.conf"
  chroot "$root" ldconfig
  # python3 on every PATH is a wrapper, not a symlink: sys.executable stays inside the prefix,
  # so a venv's `home` is the prefix's bin/ (from a symlink's directory it finds no standard library).
  ln -sf "python$version" "$root$dest/bin/python3"
  printf '#!/bin/sh\nexec %s "$@"\n' "$dest/bin/python$version" >"$root/usr/local/bin/python3"
  chmod 755 "$root/usr/local/bin/python3"
  cp -p "$root/usr/local/bin/python3" "$root/usr/local/bin/python$version"
  image_path=$dest/bin:$image_path
  import_rootfs "$root" "host:$src" && log "built $image from $src on Debian $suite"
}

# The whole file is read before anything runs (a script edited while it runs stays whole).
main() {
  mkdir -p "$cache"
  if [ "$version" = --debian-pythons ]; then
    # "suite default-python3 X.Y…" per suite: what runner/images/debian-pythons.txt holds.
    local suite
    for suite in $suites; do suite_pythons "$suite" || true; done
    return 0
  fi
  if exists "$image"; then
    log "$image exists"
    return 0
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; return 1; }
  local t0=$SECONDS
  if [ "$implementation" = pypy ]; then
    case "$from" in
      debian|"") from_debian_pypy ;;
      *) log "--from $from: PyPy comes from Debian's pypy3 (or an image named in PONYCI_PYTHON_IMAGES)"; return 2 ;;
    esac
    log "ready: $image ($((SECONDS - t0)) s)"
    return
  fi
  case "$from" in
    debian) from_debian ;;
    host) from_host ;;
    "") from_debian || from_host ;;
    *) log "--from $from: use debian or host"; return 2 ;;
  esac
  log "ready: $image ($((SECONDS - t0)) s)"
}

main
exit $?
