#!/usr/bin/env bash
# Installs the Debian packages the functional tests drive: the upstream registry and the clients.
# Runs apt-get only when something is missing, and only as root; otherwise says what to install.
set -euo pipefail

# Docker by absolute path: the tests use Debian's docker.io, and a docker elsewhere on PATH
# (e.g. a static /usr/local/bin/docker) does not count.
declare -A PACKAGE_OF=([docker-registry]=docker-registry [skopeo]=skopeo [podman]=podman [jq]=jq
                       [buildah]=buildah [/usr/sbin/dockerd]=docker.io [/usr/bin/docker]=docker.io
                       [/usr/bin/containerd]=docker.io)
missing=()
for command in "${!PACKAGE_OF[@]}"; do
    package="${PACKAGE_OF[$command]}"
    command -v "$command" >/dev/null 2>&1 || [[ " ${missing[*]} " == *" $package "* ]] \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
