#!/usr/bin/env bash
# Render on a rented Scaleway GPU, bring the frames back, give the machine back.
set -euo pipefail

: "${SCW_SECRET_KEY:?export SCW_SECRET_KEY first}"
NAME=render-burst
ZONE=fr-par-2
# at most 4 h (the timeout below) on a GPU-3070-S, about EUR 1.10/h

cleanup() {
  if [ -n "${ID:-}" ]; then
    echo "giving back $ID"
    scw instance server terminate "$ID" zone="$ZONE" with-ip=true
  fi
}
trap cleanup EXIT

ID=$(scw instance server list name="$NAME" zone="$ZONE" -o json | jq -r '.[0].id // empty')
if [ -z "$ID" ]; then
  ID=$(scw instance server create type=GPU-3070-S zone="$ZONE" \
    image=ubuntu_jammy_gpu_os_12 name="$NAME" ip=new -w -o json | jq -r .id)
fi
IP=$(scw instance server get "$ID" zone="$ZONE" -o json | jq -r .public_ip.address)

rsync -az --partial -e "ssh -o StrictHostKeyChecking=accept-new" ./scenes/ "root@$IP:/srv/scenes/"
timeout 4h ssh "root@$IP" 'cd /srv && ./render.sh'
rsync -az -e ssh "root@$IP:/srv/frames/" ./frames/
