#!/bin/bash
# A real container engine for the live-mode integration tests (tests/test_live_containers.py)
# on this kind of machine: Debian 12, root, no systemd as PID 1, cgroup v1 hybrid, no
# registry reachable. Idempotent: installs what is missing, writes containers.conf,
# imports local/busybox:1 once. See ../shared/reference/podman-ci.md.
set -eu
export DEBIAN_FRONTEND=noninteractive
missing=""
command -v podman >/dev/null 2>&1 || missing="$missing podman"
command -v runc >/dev/null 2>&1 || missing="$missing runc"
[ -x /bin/busybox ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q $missing >/dev/null
fi
mkdir -p /etc/containers
# runc (crun fails on cgroup v1 hybrid), cgroupfs (no systemd), ulimits within the hard
# limits (podman's default nofile 1048576 is refused here)
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
[ "$nofile" -gt 1048576 ] && nofile=1048576
nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=32768
[ "$nproc" -gt 32768 ] && nproc=32768
cat > /etc/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
if ! podman image exists local/busybox:1; then
    R=$(mktemp -d)
    mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/root"
    cp /bin/busybox "$R/bin/"
    for a in sh sleep true false cat echo; do ln -s busybox "$R/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
    echo 'root:x:0:' > "$R/etc/group"
    tar -C "$R" -c . | podman import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
        - local/busybox:1 >/dev/null
    rm -rf "$R"
fi
echo "podman ready: $(podman version --format '{{.Client.Version}}')"
