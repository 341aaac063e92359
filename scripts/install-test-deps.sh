#!/usr/bin/env bash
# install-test-deps.sh: install the third-party SMPP peers that the tests drive.
#
#   bash scripts/install-test-deps.sh
#
# Safe to re-run; it installs only what is missing:
#   - Debian packages (as root, or through sudo): libnet-smpp-perl (Perl Net::SMPP),
#     openssl (self-signed certificates for TLS peers), libjson-pp-perl only when
#     perl cannot load JSON::PP, nodejs and npm only when `node` is missing, chromium
#     (headless browser for the gateway status page test) only when it is missing,
#     kannel (bearerbox and smsbox, an ESME the gateway test drives) without
#     starting its system daemons.
#   - npm smpp@0.5.1 exactly as locked in scripts/peers/package-lock.json, into
#     scripts/peers/node_modules (with `npm ci`).
# It touches nothing outside the system package database and scripts/peers/node_modules.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$ROOT/scripts/peers"
SMPP_VERSION=0.5.1

log() { echo "[install-test-deps] $*"; }
die() { echo "[install-test-deps] error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- Debian packages
have_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }

want=()
have_pkg libnet-smpp-perl || want+=(libnet-smpp-perl)
command -v openssl >/dev/null 2>&1 || want+=(openssl)
perl -MJSON::PP -e1 >/dev/null 2>&1 || want+=(libjson-pp-perl)
if ! command -v node >/dev/null 2>&1; then
  want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi
command -v chromium >/dev/null 2>&1 || want+=(chromium)
have_pkg kannel || want+=(kannel)

if ((${#want[@]})); then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${want[*]}"
    SUDO=(sudo)
  fi
  log "apt-get install ${want[*]}"
  # Installing kannel would start its daemons: a policy-rc.d that answers 101
  # ("action forbidden") keeps them down during the install, unless one exists.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod +x "$policy"
    made_policy=1
  fi
  # A bare machine may have no package lists yet: update once, then install.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  [ -z "$made_policy" ] || "${SUDO[@]}" rm -f "$policy"
else
  log "Debian packages already present"
fi

perl -MNet::SMPP -MJSON::PP -e1 || die "perl cannot load Net::SMPP and JSON::PP after the install"

# ---------------------------------------------------------------- npm smpp (pinned)
command -v node >/dev/null 2>&1 || die "node is missing"
command -v npm >/dev/null 2>&1 || die "npm is missing"

installed_smpp() {
  node -e 'try { process.stdout.write(require(process.argv[1]).version) } catch (e) {}' \
    "$PEERS/node_modules/smpp/package.json"
}
# npm ci records the lock it installed from in node_modules/.package-lock.json; re-install
# whenever the committed lock changed since, or the package is missing.
stamp="$PEERS/node_modules/.install-test-deps.lock.sha256"
lock_sum="$(sha256sum "$PEERS/package-lock.json" "$PEERS/package.json" | sha256sum | cut -d' ' -f1)"
if [ "$(installed_smpp)" = "$SMPP_VERSION" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$lock_sum" ]; then
  log "npm smpp@$SMPP_VERSION already installed in scripts/peers/node_modules"
else
  log "npm ci in scripts/peers (smpp@$SMPP_VERSION)"
  (cd "$PEERS" && npm ci --no-audit --no-fund --omit=dev --loglevel=error --update-notifier=false)
  [ "$(installed_smpp)" = "$SMPP_VERSION" ] || die "npm did not install smpp@$SMPP_VERSION"
  echo "$lock_sum" > "$stamp"
fi

# ---------------------------------------------------------------- report
log "node $(node --version), npm smpp $(installed_smpp)"
perl -MNet::SMPP -e 'print "[install-test-deps] perl $^V, Net::SMPP $Net::SMPP::VERSION\n"'
log "$(openssl version)"
command -v chromium >/dev/null 2>&1 || die "chromium is missing after the install"
log "$(chromium --version 2>/dev/null || echo chromium)"
command -v bearerbox >/dev/null 2>&1 || [ -x /usr/sbin/bearerbox ] || die "kannel's bearerbox is missing after the install"
log "kannel $(dpkg-query -W -f='${Version}' kannel)"
log "ok"
