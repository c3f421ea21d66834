#!/usr/bin/env bash
# The demo: three Debian containers made into a WireGuard full mesh by the
# collection's site playbook, then what a person would look at: `wg show`
# on each node and a ping matrix across the tunnels.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
log=tests/output/demo.log
mkdir -p tests/output
echo "== provisioning 3 containers and a full mesh (log: $log)"
{ molecule destroy -s default && molecule create -s default && molecule converge -s default; } >"$log" 2>&1 \
  || { tail -40 "$log"; exit 1; }
grep -A4 'PLAY RECAP' "$log" | tail -n +1 || true

nodes=(mesh1 mesh2 mesh3)
declare -A addr=([mesh1]=10.10.0.1 [mesh2]=10.10.0.2 [mesh3]=10.10.0.3)
for n in "${nodes[@]}"; do
  printf '\n== %s: wg show wg0\n' "$n"
  docker exec "$n" wg show wg0
done

printf '\n== ping matrix over wg0 (round trip)\n%-8s' "from\\to"
for t in "${nodes[@]}"; do printf '%-14s' "$t"; done
echo
for f in "${nodes[@]}"; do
  printf '%-8s' "$f"
  for t in "${nodes[@]}"; do
    if [ "$f" = "$t" ]; then printf '%-14s' "-"; continue; fi
    rtt=$(docker exec "$f" ping -c 2 -W 2 "${addr[$t]}" 2>/dev/null | sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p')
    cell="FAIL"
    [ -n "$rtt" ] && cell="ok ${rtt} ms"
    printf '%-14s' "$cell"
  done
  echo
done
# the newest molecule run of the default scenario
inventory=$(find ~/.ansible/tmp -maxdepth 2 -path '*/molecule.*.default/inventory' -printf '%T@ %p\n' 2>/dev/null |
  sort -rn | head -1 | cut -d' ' -f2-)
if [ -n "$inventory" ]; then
  printf '\n== the fleet as the status playbook sees it (ansible-playbook fleetnet.wireguard.status)\n'
  ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ansible-playbook -i "$inventory" playbooks/status.yml -e wireguard_status_probe=false \
    2>&1 | sed -n '/Show each network/,/Make the status directory/p' | grep -v 'Make the status directory'
  echo "(a picture of it: $inventory/.wireguard/status/wg0.svg)"
fi

cat <<'NOTE'

The containers keep running: `docker exec -it mesh1 bash` to look around,
`.venv/bin/molecule converge -s default` to re-run (nothing changes),
`.venv/bin/molecule destroy -s default` to remove them.
NOTE
