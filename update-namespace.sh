#!/usr/bin/env bash
# Moves the Cequence policy resources in this folder to another Kubernetes namespace.
#   ./update-namespace.sh <namespace>
# Rewrites metadata.namespace of every resource, serviceNamespace in the policy configuration, and every
# other namespace field of the files below. Checks everything first and changes nothing on any error;
# running it twice with the same name changes nothing the second time.
set -euo pipefail

usage() { echo "usage: $0 <namespace>" >&2; exit 2; }
[ $# -eq 1 ] || usage
ns=$1

# A namespace is an RFC 1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, at most 63.
if [ ${#ns} -gt 63 ] || ! [[ $ns =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]; then
  echo "error: '$ns' is not a valid Kubernetes namespace: use at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit" >&2
  exit 1
fi

cd "$(dirname "$0")"
required=(cequence_definition.yaml cequence_implementation.yaml cequence_binding.yaml)
optional=(cequence-wasm-configmap.yaml helm-values-cequence-wasm.yaml kubectl-patch-cequence-wasm.json flexgateway-operator-volumes.yaml)

for f in "${required[@]}"; do
  if [ ! -f "$f" ]; then
    echo "error: $f not found in $(pwd); nothing was changed (run this script from the bundle folder)" >&2
    exit 1
  fi
done

files=("${required[@]}")
for f in "${optional[@]}"; do [ -f "$f" ] && files+=("$f"); done

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
changed=0
for f in "${files[@]}"; do
  # YAML keys `namespace:` and `serviceNamespace:`, and JSON "namespace": "…", keeping indentation and comments.
  sed -E \
    -e "s/^([[:space:]]*(- )?)namespace:[[:space:]]+[^[:space:]#]+/\1namespace: ${ns}/" \
    -e "s/^([[:space:]]*)serviceNamespace:[[:space:]]+[^[:space:]#]+/\1serviceNamespace: ${ns}/" \
    -e "s/\"namespace\":[[:space:]]*\"[^\"]*\"/\"namespace\": \"${ns}\"/g" \
    -e "s/(-n|--namespace)[[:space:]]+[a-z0-9][-a-z0-9]*/\1 ${ns}/g" \
    "$f" > "$tmpdir/$f"
  if ! cmp -s "$f" "$tmpdir/$f"; then changed=$((changed + 1)); fi
done
# All files were rewritten successfully: only now replace them.
for f in "${files[@]}"; do
  if ! cmp -s "$f" "$tmpdir/$f"; then cat "$tmpdir/$f" > "$f"; fi
done
echo "namespace set to '$ns' in ${#files[@]} file(s) ($changed changed)"
