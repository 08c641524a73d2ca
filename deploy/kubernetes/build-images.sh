#!/bin/sh
# Build the two images deploy/kubernetes uses, locally, without a registry
# or a base image, into the local dockerd:
#   hodei-worker:latest  `hodeid image build` (the agent, its libraries, busybox)
#   hodeid:latest        hodeid, the provider module (docker + kubernetes),
#                        the shared libraries both need (ldd), busybox as
#                        /bin/sh and the dashboard (web/dist, when built),
#                        imported from a root tree with `docker import`.
# Then load them into the cluster's nodes (kind load docker-image, k3s ctr
# images import, ...).  Usage: deploy/kubernetes/build-images.sh BUILD_DIR [TAG]
set -eu
B=$(cd "${1:?usage: build-images.sh BUILD_DIR [TAG]}" && pwd) TAG=${2:-latest}
root=$(cd "$(dirname "$0")/../.." && pwd)
hodeid=$B/tools/hodeid/hodeid module=$B/lib/docker/hodei-docker.so
HODEI_WORKER_BIN=$B/tools/hodei-worker/hodei-worker "$hodeid" image build -t "hodei-worker:$TAG"
tree=$(mktemp -d /tmp/hodeid-image.XXXXXX)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/usr/bin" "$tree/usr/lib/hodei" "$tree/bin" "$tree/tmp" "$tree/var/lib/hodei" \
	"$tree/etc" "$tree/usr/share/hodei"
cp "$hodeid" "$tree/usr/bin/hodeid"
cp "$module" "$tree/usr/lib/hodei/hodei-docker.so"
cp /bin/busybox "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"
# the libraries and the loader, at the paths the binaries ask for
for f in "$hodeid" "$module"; do
	ldd "$f" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$tree$(dirname "$lib")"
	cp -L "$lib" "$tree$lib"
done
[ -d "$root/web/dist" ] && cp -r "$root/web/dist" "$tree/usr/share/hodei/web"
echo 'hodei:x:65532:65532:hodei:/var/lib/hodei:/bin/sh' >"$tree/etc/passwd"
echo 'hodei:x:65532:' >"$tree/etc/group"
chmod 1777 "$tree/tmp"
tar -C "$tree" --owner=0 --group=0 -c . | docker import \
	--change 'ENTRYPOINT ["/usr/bin/hodeid"]' \
	--change 'USER 65532:65532' \
	--change 'ENV HODEI_DOCKER_MODULE=/usr/lib/hodei/hodei-docker.so HODEI_WEB_DIR=/usr/share/hodei/web' \
	--change 'WORKDIR /var/lib/hodei' - "hodeid:$TAG" >/dev/null
echo "built hodeid:$TAG and hodei-worker:$TAG"
