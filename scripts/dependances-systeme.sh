#!/usr/bin/env bash
# Installs the Debian packages the suite needs (Chromium for browser tests, HarfBuzz subset for
# WeasyPrint's PDF) when they are missing and we are root; otherwise says what to install.
set -euo pipefail
manquants=()
for paquet in "$@"; do
  dpkg-query -W -f='${Status}' "$paquet" 2>/dev/null | grep -q "install ok installed" || manquants+=("$paquet")
done
[ ${#manquants[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Paquets Debian manquants : ${manquants[*]}" >&2
  echo "Installez-les (sudo apt-get install ${manquants[*]}) puis relancez." >&2
  exit 1
fi
echo "Installation de : ${manquants[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${manquants[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${manquants[@]}"; }
