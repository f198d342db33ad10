#!/usr/bin/env bash
# make destroy: delete the stack cfp-<stage> and its link secret. The table is kept (its data).
set -euo pipefail

stage=${STAGE:?STAGE is dev or prod}
stack="cfp-$stage"

run() {
    echo "+ $*" >&2
    "$@"
}

run aws cloudformation delete-stack --stack-name "$stack"
run aws cloudformation wait stack-delete-complete --stack-name "$stack"
run aws ssm delete-parameter --name "/cfp/$stage/link-secret" || true
echo "✓ $stack deleted." >&2
echo "  The table cfp-$stage-applications is kept with its data (DeletionPolicy: Retain). Delete it" >&2
echo "  before deploying this stage again: aws dynamodb delete-table --table-name cfp-$stage-applications" >&2
