#!/usr/bin/env bash
# Builds ModelFleet's container images with podman, from Debian packages only: no image registry
# is needed. A minimal Debian root filesystem (debootstrap, variant minbase) is made once and kept
# in the cache folder; `podman import` turns it into the base image, and the Containerfiles beside
# this script add a JRE, PostgreSQL or Prometheus from Debian's archive and the packaged server and
# agent from the Maven build. See docs/operations.md, "Container images".
#
# Usage: deploy/images/build.sh [--save DIR] [--rebuild-base] [IMAGE...]
#   IMAGE: base jre server agent postgres prometheus (default: all of them, in that order;
#          server and agent need ./mvnw -DskipTests package first)
#   --save DIR       also write each image as an OCI archive, DIR/modelfleet-IMAGE-VERSION.oci.tar
#   --rebuild-base   make the root filesystem afresh (to pick up Debian's security updates)
# Environment:
#   MODELFLEET_IMAGE_CACHE   where the root filesystem tarball is kept (/var/cache/modelfleet/images)
#   MODELFLEET_DEBIAN_SUITE  Debian release of the base (the build machine's, else bookworm)
#   MODELFLEET_DEBIAN_MIRROR Debian mirror for debootstrap (debootstrap's default when unset)
#   CONTAINERS_CONF          podman's configuration, as podman reads it
# Needs root, podman and debootstrap (apt-get install podman runc debootstrap).
set -euo pipefail
cd "$(dirname "$0")/../.."

# Bump when the root filesystem recipe below changes: cached tarballs of older recipes are ignored.
readonly BASE_RECIPE=2
readonly SOURCE_URL=https://github.com/modelfleet/modelfleet
# The repository declares no licence yet; SPDX's word for "not stated".
readonly LICENSES=NOASSERTION

say() { echo "images: $*" >&2; }
die() { say "$*"; exit 1; }

save_dir=""
rebuild_base=false
images=()
while [ $# -gt 0 ]; do
  case "$1" in
    --save) save_dir=$(realpath -m "$2"); shift 2 ;;
    --rebuild-base) rebuild_base=true; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    base|jre|server|agent|postgres|prometheus) images+=("$1"); shift ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=(base jre server agent postgres prometheus)

[ "$(id -u)" = 0 ] || die "run as root: debootstrap and podman's image store need it"
command -v podman >/dev/null || die "podman is missing: apt-get install podman runc"

version=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
[ -n "$version" ] || die "could not read the project version from pom.xml"
tag=$(echo "$version" | tr '[:upper:]' '[:lower:]')
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# the commit's time, not now: a rebuild of the same commit gives the same labels (and cache hits)
created=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
host_suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
suite=${MODELFLEET_DEBIAN_SUITE:-${host_suite:-bookworm}}
cache=${MODELFLEET_IMAGE_CACHE:-/var/cache/modelfleet/images}
case "$(uname -m)" in
  x86_64) jar_arch=x86_64 ;;
  aarch64) jar_arch=aarch64 ;;
  *) die "no agent jar for $(uname -m) (linux x86_64 and aarch64 are built)" ;;
esac
# temporary folders, removed however the script ends
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
base_tar="$cache/debian-$suite-$(uname -m)-minbase-r$BASE_RECIPE.tar"

# The root filesystem: debootstrap's minbase, security updates, busybox for health checks, dpkg
# told to leave documentation out of every later install (copyright files stay), and no service
# started by a package's installation.
make_rootfs() {
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  mkdir -p "$cache"
  local root
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  scratch+=("$root" "$root.log")
  say "debootstrap $suite (minbase) into $root; this takes a few minutes"
  debootstrap --variant=minbase --include=busybox,ca-certificates "$suite" "$root" \
    ${MODELFLEET_DEBIAN_MIRROR:+"$MODELFLEET_DEBIAN_MIRROR"} >"$root.log" 2>&1 ||
    { tail -n 30 "$root.log" >&2; die "debootstrap failed (log above)"; }
  if [ "$suite" = "$host_suite" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # the build machine's own Debian sources: they include its security and updates suites
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
  fi
  cat >"$root/etc/dpkg/dpkg.cfg.d/modelfleet-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
  cat >"$root/etc/apt/apt.conf.d/modelfleet-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG
  # packages installed in an image build must not start their services (as in Debian's own images)
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq upgrade &&
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/*.log /var/log/apt/*' >"$root.log" 2>&1 ||
    { tail -n 30 "$root.log" >&2; die "updating the root filesystem failed (log above)"; }
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,info,locale}/* "$root"/var/cache/debconf/*-old
  tar -C "$root" --numeric-owner -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
  say "root filesystem: $base_tar ($(du -h "$base_tar" | cut -f1))"
}

build_base() {
  if $rebuild_base || [ ! -s "$base_tar" ]; then make_rootfs; fi
  local sum
  sum=$(sha256sum "$base_tar" | cut -c1-16)
  if [ "$(podman image inspect --format '{{index .Labels "dev.modelfleet.rootfs"}}' \
      "localhost/modelfleet/debian:$suite" 2>/dev/null)" = "$sum" ]; then
    say "localhost/modelfleet/debian:$suite is up to date"
    return
  fi
  local previous
  previous=$(podman image inspect --format '{{.Id}}' "localhost/modelfleet/debian:$suite" 2>/dev/null || true)
  podman import --change "LABEL dev.modelfleet.rootfs=$sum" --change 'CMD ["/bin/bash"]' \
    "$base_tar" "localhost/modelfleet/debian:$suite" >/dev/null
  if [ -n "$previous" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
  say "imported localhost/modelfleet/debian:$suite"
}

# podman build with the image's labels. Docker format keeps HEALTHCHECK, which OCI images have
# no field for. Host networking: the builds fetch Debian packages, nothing else.
build() {
  local name=$1 context=$2 previous
  shift 2
  previous=$(podman image inspect --format '{{.Id}}' "localhost/modelfleet/$name:$tag" 2>/dev/null || true)
  podman build --quiet --format docker --network host \
    --build-arg "SUITE=$suite" --build-arg "VERSION=$version" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.created=$created" \
    --label "org.opencontainers.image.source=$SOURCE_URL" \
    --label "org.opencontainers.image.licenses=$LICENSES" \
    -f "deploy/images/$name.Containerfile" -t "localhost/modelfleet/$name:$tag" "$@" "$context" \
    >/dev/null
  say "built localhost/modelfleet/$name:$tag"
  # the image the tag named before is left without a name: remove it unless a container uses it
  if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' \
      "localhost/modelfleet/$name:$tag")" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
  fi
}

# A build context of its own for each image, in $dir: only what the image needs.
new_context() {
  dir=$(mktemp -d "${TMPDIR:-/tmp}/modelfleet-image.XXXXXX")
  scratch+=("$dir")
  cp -r deploy/images/files "$dir/files"
}

for image in "${images[@]}"; do
  case "$image" in
    base) build_base ;;
    jre) new_context && build jre "$dir" ;;
    server)
      [ -f server/target/quarkus-app/quarkus-run.jar ] ||
        die "server/target/quarkus-app is missing: ./mvnw -DskipTests package first"
      new_context
      cp -r server/target/quarkus-app "$dir/quarkus-app"
      build server "$dir" --build-arg "JRE=localhost/modelfleet/jre:$tag"
      ;;
    agent)
      jar=agent/target/modelfleet-agent-linux-$jar_arch.jar
      [ -f "$jar" ] || die "$jar is missing: ./mvnw -DskipTests package first"
      new_context
      cp "$jar" "$dir/modelfleet-agent.jar"
      cp deploy/agent/modelfleet-agent-launcher "$dir/modelfleet-agent-launcher"
      build agent "$dir" --build-arg "JRE=localhost/modelfleet/jre:$tag"
      ;;
    postgres)
      new_context
      cp deploy/server/database.sql "$dir/files/"
      build postgres "$dir"
      ;;
    prometheus) new_context && build prometheus "$dir" ;;
  esac
  if [ -n "$save_dir" ] && [ "$image" != base ]; then
    mkdir -p "$save_dir"
    archive="$save_dir/modelfleet-$image-$tag.oci.tar"
    rm -f "$archive"
    podman save --quiet --format oci-archive -o "$archive" "localhost/modelfleet/$image:$tag"
    say "saved $archive"
  fi
done
