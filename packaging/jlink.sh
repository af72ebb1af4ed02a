#!/usr/bin/env bash
# Builds the trimmed Java runtime the installers ship: only the JDK modules the app and its jars use.
#   packaging/jlink.sh [OUTPUT_DIR]     (default: packaging/target/runtime)
# The module list is worked out with jdeps on every run (so it follows new dependencies), plus the
# modules jdeps cannot see; it is printed and written to OUTPUT_DIR/../runtime-modules.txt.
set -euo pipefail
# shellcheck source=packaging/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

runtime="${1:-$out_dir/runtime}"
ensure_built
cd "$root"   # relative paths below keep Git Bash on Windows from mangling them

say "finding the modules with jdeps"
found="$("$jdk_bin/jdeps$exe" --print-module-deps --ignore-missing-deps --multi-release 25 \
  --class-path 'app/target/lib/*' app/target/anewb-app.jar | tr -d '\r' | tail -n 1)"
[[ "$found" =~ ^[a-z][a-z0-9.,]*$ ]] || die "jdeps printed no module list (got: '$found')"

# Modules jdeps cannot see, each for a reason:
#   jdk.incubator.vector  named by --add-modules in the shared JVM flags (the SIMD kernels)
#   java.net.http         the Hugging Face Hub client (java.net.http.HttpClient)
#   java.desktop          ImageIO writes the self-test PNGs; javafx.swing needs it (jdeps pulls it in transitively)
#   jdk.zipfs             zip/jar file systems (FileSystems.newFileSystem on a .jar/.zip) used by libraries
#   jdk.charsets          non-UTF text files in legacy encodings; tiny
extra="jdk.incubator.vector,java.net.http,java.desktop,jdk.zipfs,jdk.charsets"
modules="$(printf '%s,%s' "$found" "$extra" | tr ',' '\n' | sort -u | paste -sd, -)"
say "modules: $modules"

rm -rf "$runtime"
mkdir -p "$(dirname "$runtime")"
"$jdk_bin/jlink$exe" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --output "$(rel "$runtime")" || die "jlink failed"
echo "$modules" > "$(dirname "$runtime")/runtime-modules.txt"
say "runtime: $runtime ($(du -sh "$runtime" | cut -f1))"
