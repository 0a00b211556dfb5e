#!/usr/bin/env bash
# Installs what MakeupApi needs on a fresh Debian 12 machine. Idempotent: installs only what is missing, so a second
# run does nothing (and needs no network).
#   - libgtk-3-0: OpenCvSharp's native library (libOpenCvSharpExtern.so) links against GTK 3 and, through it, the
#     image codecs (libpng, libjpeg) and X/font libraries; without it the first image decode fails to load the library.
#   - the .NET 10 SDK, only when no `dotnet` is on PATH (from Microsoft's Debian 12 package feed).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for pkg in libgtk-3-0 ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ! command -v dotnet >/dev/null 2>&1; then
  # Microsoft's feed carries dotnet-sdk-10.0 for Debian 12; it needs its signing key, shipped as a .deb.
  if ! dpkg-query -W -f='${Status}' packages-microsoft-prod 2>/dev/null | grep -q "install ok installed"; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends wget ca-certificates >/dev/null
    tmp=$(mktemp -d)
    wget -q -O "$tmp/packages-microsoft-prod.deb" https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb
    $SUDO dpkg -i "$tmp/packages-microsoft-prod.deb" >/dev/null
    rm -rf "$tmp"
  fi
  missing+=(dotnet-sdk-10.0)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: everything already installed"
fi
