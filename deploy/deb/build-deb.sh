#!/usr/bin/env bash
# Builds the agent's Debian package, modelfleet-agent_VERSION_ARCH.deb, with plain dpkg-deb from a
# staged tree: the runnable jar for ARCH, the systemd unit and the example configuration of
# deploy/agent, and the maintainer scripts beside this file. The agent module's Maven build runs it
# (profile "deb", active where dpkg-deb is installed); see docs/operations.md, "Debian package".
#
# Usage: deploy/deb/build-deb.sh ARCH JAR VERSION OUTDIR
#   ARCH     Debian architecture: amd64 or arm64
#   JAR      agent/target/modelfleet-agent-linux-x86_64.jar (amd64) or ...-linux-aarch64.jar (arm64)
#   VERSION  the Maven version (0.1.0-SNAPSHOT becomes 0.1.0~snapshot, which sorts before 0.1.0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
[ $# -eq 4 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
arch=$1 jar=$2 version=$3 out=$4
case "$arch" in amd64|arm64) ;; *) echo "build-deb: ARCH is amd64 or arm64, not $arch" >&2; exit 2 ;; esac
[ -f "$jar" ] || { echo "build-deb: $jar is missing" >&2; exit 1; }
deb_version=$(echo "$version" | sed 's/-SNAPSHOT$/~snapshot/; s/-/~/g')
maintainer=${DEB_MAINTAINER:-ModelFleet developers <dev@modelfleet.dev>}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/modelfleet-agent
install -d -m 0755 "$root/DEBIAN" "$root/opt/modelfleet" "$root/lib/systemd/system" \
  "$root/usr/share/doc/modelfleet-agent"
install -d -m 0755 "$root/etc/modelfleet"
install -m 0644 "$jar" "$root/opt/modelfleet/modelfleet-agent.jar"
install -m 0755 "$deploy/agent/modelfleet-agent-launcher" "$root/opt/modelfleet/modelfleet-agent-launcher"
install -m 0644 "$deploy/agent/modelfleet-agent.service" "$root/lib/systemd/system/"
# the enrollment token goes in here: owner-only from the start (postinst gives it to modelfleet)
install -m 0600 "$deploy/agent/agent.properties" "$root/etc/modelfleet/agent.properties"
install -m 0644 "$here/copyright" "$root/usr/share/doc/modelfleet-agent/copyright"
for script in postinst prerm postrm; do
  install -m 0755 "$here/maintainer/$script" "$root/DEBIAN/$script"
done
echo /etc/modelfleet/agent.properties >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<CONTROL
Package: modelfleet-agent
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: default-jre-headless (>= 2:1.17) | openjdk-17-jre-headless | java17-runtime-headless, adduser
Section: net
Priority: optional
Homepage: https://github.com/modelfleet/modelfleet
Description: ModelFleet device agent
 Enrolls the device with a ModelFleet control plane, keeps the signed models it is
 assigned (verified against the fleet's root keys), serves them through a local
 inference API (Open Inference Protocol v2, ONNX Runtime) and reports back.
 .
 Configure /etc/modelfleet/agent.properties (server, enrollment token), put the
 fleet's root.pub.pem and fleet-ca.pem beside it, then
 systemctl enable --now modelfleet-agent.
CONTROL
mkdir -p "$out"
deb="$out/modelfleet-agent_${deb_version}_${arch}.deb"
# root-owned files whatever user builds it; gzip: the jar inside is compressed already (xz
# saves 3 % and takes a minute)
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1))"
