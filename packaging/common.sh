# Shared by the packaging scripts (sourced, not run): paths, the JDK, the built app and its version.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg_dir="$root/packaging"
# Everything the packaging scripts produce goes under here (ignored by git like every target/ folder).
out_dir="${ANEWB_PACKAGE_OUT:-$root/packaging/target}"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "$(basename "$0"): $*" >&2; }

# A JDK 25 with jlink and jpackage: JAVA_HOME, else the CI machine's Temurin, else the one on PATH.
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [ -z "${JAVA_HOME:-}" ]; then
  javac_path="$(command -v javac || true)"
  [ -n "$javac_path" ] || die "no JDK found: set JAVA_HOME to a JDK 25"
  JAVA_HOME="$(cd "$(dirname "$(readlink -f "$javac_path")")/.." && pwd)"
  export JAVA_HOME
fi
jdk_bin="$JAVA_HOME/bin"
exe=""
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) exe=".exe" ;; esac
for tool in java jdeps jlink jpackage; do
  [ -x "$jdk_bin/$tool$exe" ] || die "$jdk_bin/$tool$exe not found: JAVA_HOME ($JAVA_HOME) must be a full JDK 25"
done
jdk_feature="$("$jdk_bin/java$exe" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | tr -d '\r')"
[ "${jdk_feature%%.*}" -ge 25 ] 2>/dev/null || die "JAVA_HOME ($JAVA_HOME) is Java ${jdk_feature:-?}; the packages need a JDK 25"

app_jar="$root/app/target/anewb-app.jar"
app_lib="$root/app/target/lib"
flags_file="$root/app/target/classes/anewb-jvm.flags"
pom_props="$root/app/target/maven-archiver/pom.properties"

# Builds the app (as ./anewb does) unless the jar, its lib folder and the flags file are there already.
# ANEWB_PACKAGE_REBUILD=1 forces a fresh `mvnw package`.
ensure_built() {
  if [ "${ANEWB_PACKAGE_REBUILD:-0}" = 1 ] || [ ! -f "$app_jar" ] || [ ! -d "$app_lib" ] \
      || [ ! -f "$flags_file" ] || [ ! -f "$pom_props" ]; then
    say "building the app: ./mvnw -q -B -DskipTests package"
    (cd "$root" && ./mvnw -q -B -DskipTests package) || die "the Maven build failed"
  fi
}

# The Maven version as the plain numeric version the installers accept: 0.1.0-SNAPSHOT -> 0.1.0.
app_version() {
  local v
  v="$(sed -n 's/^version=//p' "$pom_props" | tr -d '\r')"
  v="${v%%-*}"
  [[ "$v" =~ ^[0-9]+(\.[0-9]+){0,2}$ ]] || die "cannot turn the Maven version '$v' (in $pom_props) into a numeric app version"
  echo "$v"
}

# The host as jpackage sees it: linux, mac or windows; and the CPU, for file names.
host_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo mac ;;
    MINGW*|MSYS*|CYGWIN*) echo windows ;;
    *) die "unsupported build host: $(uname -s)" ;;
  esac
}
host_arch() {
  case "$(uname -m)" in
    x86_64|amd64) echo x64 ;;
    arm64|aarch64) echo arm64 ;;
    *) uname -m ;;
  esac
}

# A path as jpackage/jlink should get it: relative to the checkout when inside it (the scripts cd there),
# else absolute (in Windows form under Git Bash, whose /c/... paths a Windows JDK cannot read).
rel() {
  case "$1" in
    "$root"/*) echo "${1#"$root"/}" ;;
    *) if [ -n "$exe" ] && command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else echo "$1"; fi ;;
  esac
}
