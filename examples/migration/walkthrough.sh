#!/bin/sh
# The migration runbook through `eno migrate`, as `make run` shows it (`eno dev --example migration
# --walkthrough` runs it once the example is Ready, with KUBECONFIG and EXAMPLE_DIR set).
# Steps 2 and 4 stand for deploying new synthesizer code: here they edit the `migration-plan` input.
set -eu
dir=${EXAMPLE_DIR:-$(dirname "$0")}
FLAGS="--symphony default/migration --from migration-source --to migration-target --key migration.example.com/owner --timeout 60s"

# `plan` and `finish` refuse (exit 1) until the previous deploy shows on both compositions: retry them.
until_done() {
    tries=0
    until "$@"; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || return 1
        sleep 1
    done
}

echo "== step 1: prepare (the source variation carries the owner key)"
eno migrate prepare $FLAGS
echo "== step 2: both synthesizers add the override"
kubectl apply --server-side --force-conflicts -f "$dir/steps/2-override.yaml"
echo "== step 3: plan, then flip the owner in one symphony write"
until_done eno migrate plan $FLAGS
eno migrate flip $FLAGS
eno migrate status $FLAGS
echo "== step 4: the source drops the objects, the target drops the override"
kubectl apply --server-side --force-conflicts -f "$dir/steps/4-remove.yaml"
echo "== step 5: finish (remove the key from the variations)"
until_done eno migrate finish $FLAGS
eno migrate status $FLAGS
echo "moved-config is now written by: $(kubectl get configmap moved-config -o jsonpath='{.data.writer}')"
