#!/usr/bin/env bash
# Smoke test of the package: builds the app-image with jlink + jpackage and runs the PACKAGED launchers headless
# (JavaFX's Headless glass platform; no display needed). Made for Linux (CI); on macOS and Windows steps 1-2 run.
#   1. "bin/ANE Workbench gui --self-test DIR" must exit 0 and write one PNG per area
#      (on Windows the console launcher anewb.exe runs it: the GUI launcher has no console to report to);
#   2. the `anewb` CLI launcher must run without the GUI's default argument;
#   3. read-only install: the image is copied and made read-only (chmod -R a-w); a bundled-model tokenizer run
#      (unpacks the model and the tokenizers native library) must work with a fresh writable home, and it and the
#      self-test again with an unwritable home (the caches, JavaFX's too, fall back to the temp folder).
#      As root (where chmod does not bind) these runs are done as the user nobody through setpriv. Linux only.
# Prints the app-image size and the wall time of the self-test (time to the first rendered window, too).
# Env: ANEWB_SMOKE_READONLY=0 skips step 3.
set -euo pipefail
# shellcheck source=packaging/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

os="$(host_os)"
areas=(model drift memory layout weights graph sweep run export)
t0="$(date +%s)"

image="$("$pkg_dir/package.sh" app-image | tail -n 1)"
# The launchers inside an app image, per OS.
launchers() {
  case "$os" in
    linux) gui="$1/bin/ANE Workbench"; cli="$1/bin/anewb" ;;
    mac) gui="$1/Contents/MacOS/ANE Workbench"; cli="$1/Contents/MacOS/anewb" ;;
    windows) gui="$1/anewb.exe"; cli="$1/anewb.exe" ;;
  esac
  [ -x "$gui" ] && [ -x "$cli" ] || die "the app image $1 lacks its launchers ($gui, $cli)"
}
launchers "$image"

work="$(mktemp -d "${TMPDIR:-/tmp}/anewb-smoke.XXXXXX")"
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Sub-second clock and file times: GNU date/find, else perl (macOS date and find have neither).
now() {
  local t
  t="$(date +%s.%N)"
  case "$t" in *N*) perl -MTime::HiRes=time -e 'printf "%.3f\n", time' ;; *) echo "$t" ;; esac
}
oldest_png_mtime() {
  if find "$1" -maxdepth 0 -printf '' >/dev/null 2>&1; then
    find "$1" -name '*.png' -printf '%T@\n' | sort -n | head -n 1
  else
    perl -MTime::HiRes=stat -e 'my $m; for (@ARGV) { my $t = (stat $_)[9]; $m = $t if !defined $m || $t < $m } printf "%.3f\n", $m' "$1"/*.png
  fi
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Checks that DIR holds a PNG per area (signature bytes, not just the name).
check_pngs() {
  local dir="$1" area sig
  for area in "${areas[@]}"; do
    [ -s "$dir/$area.png" ] || die "$2: no $area.png in $dir"
    sig="$(od -An -tx1 -N8 "$dir/$area.png" | tr -d ' \n')"
    [ "$sig" = 89504e470d0a1a0a ] || die "$2: $dir/$area.png is not a PNG"
  done
}

# 1. The GUI launcher, self-test mode.
shots="$work/shots"
log="$work/self-test.log"
start="$(now)"
if ! "$gui" gui --self-test "$shots" >"$log" 2>&1; then
  cat "$log" >&2
  die "the packaged launcher's self-test failed (exit code above)"
fi
end="$(now)"
check_pngs "$shots" "self-test"
first="$(oldest_png_mtime "$shots")"
self_test_s="$(elapsed "$start" "$end")"
first_window_s="$(elapsed "$start" "$first")"
say "self-test of the packaged app: exit 0, ${#areas[@]} area PNGs"

# 2. The CLI launcher: no default `gui` argument, the version comes from the package.
"$cli" --version >"$log" 2>&1 || { cat "$log" >&2; die "\`anewb --version\` failed from the package"; }

# 3. Read-only install.
if [ "$os" = linux ] && [ "${ANEWB_SMOKE_READONLY:-1}" != 0 ]; then
  ro="$work/ro"
  mkdir -p "$ro"
  cp -a "$image" "$ro/image"
  chmod -R a-w "$ro/image"
  as_user=()
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null 2>&1 || die "running as root, and setpriv (util-linux) is missing to test the read-only install as nobody"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$work"
  fi
  fresh_home="$ro/home"; mkdir -p "$fresh_home"
  locked_home="$ro/locked-home"; mkdir -p "$locked_home"
  out="$ro/out"; mkdir -p "$out"
  tmp="$ro/tmp"; mkdir -p "$tmp"   # java.io.tmpdir, where the caches fall back to; removed with the rest
  if [ "$(id -u)" = 0 ]; then chown 65534:65534 "$fresh_home" "$out" "$tmp"; fi
  chmod 555 "$locked_home"
  launchers "$ro/image"
  for case_ in fresh locked; do
    home="$fresh_home"; [ "$case_" = locked ] && home="$locked_home"
    # user.home as well as HOME: Java takes the home folder from the password database, not from $HOME.
    run_ro() { "${as_user[@]}" env HOME="$home" JAVA_TOOL_OPTIONS="-Duser.home=$home -Djava.io.tmpdir=$tmp" "$@"; }
    # The GUI self-test only with the unwritable home: with a writable one JavaFX caches exactly as in step 1
    # (the install folder is never written to), and the self-test is the slow part.
    if [ "$case_" = locked ]; then
      if ! run_ro "$gui" gui --self-test "$out/$case_" >"$log" 2>&1; then
        cat "$log" >&2; die "read-only install, $case_ home: the self-test failed"
      fi
      check_pngs "$out/$case_" "read-only install, $case_ home"
    fi
    if ! run_ro "$cli" tokenize --text="Hello Neural Engine" bundled:all-MiniLM-L6-v2 >"$log" 2>&1 \
        || ! grep -q "tokens" "$log"; then
      cat "$log" >&2; die "read-only install, $case_ home: tokenizing with the bundled model failed"
    fi
    if [ "$case_" = fresh ] && [ -z "$(ls -A "$fresh_home")" ]; then
      die "read-only install: nothing was cached in the fresh home $fresh_home (is user.home honoured?)"
    fi
  done
  [ -n "$(ls -A "$tmp")" ] || die "read-only install, unwritable home: nothing fell back to the temp folder $tmp"
  say "read-only install: caches went to $(cd "$tmp" && ls -A | tr '\n' ' ')when the home was unwritable"
  say "read-only install: works with a fresh home (tokenizer) and with an unwritable one (tokenizer, self-test)"
fi

echo "package smoke test passed"
echo "  app image:          $image ($(du -sh "$image" | cut -f1))"
echo "  self-test wall time: ${self_test_s} s (first area PNG written after ${first_window_s} s)"
echo "  smoke test total:    $(( $(date +%s) - t0 )) s"
