#!/usr/bin/env bash
# make destroy: delete the stack cfp-<stage> and its link secret. The table is kept (its data).
set -euo pipefail

stage=${STAGE:?STAGE is dev or prod}
stack="cfp-$stage"

run() {
    echo "+ $*" >&2
    "$@"
}

# Step Functions deletes a state machine only once none of its executions runs, and reviews wait
# for days: stopped first, they cannot hold the machine, and its name, in DELETING.
machine=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='StateMachineArn'].OutputValue" --output text 2>/dev/null || true)
if [ -n "$machine" ] && [ "$machine" != "None" ]; then
    running=$(aws stepfunctions list-executions --state-machine-arn "$machine" --status-filter RUNNING \
        --query 'executions[].executionArn' --output text)
    for execution in $running; do
        [ "$execution" = "None" ] || run aws stepfunctions stop-execution --execution-arn "$execution" \
            --cause "make destroy: the stack is deleted"
    done
fi

run aws cloudformation delete-stack --stack-name "$stack"
run aws cloudformation wait stack-delete-complete --stack-name "$stack"
run aws ssm delete-parameter --name "/cfp/$stage/link-secret" || true
echo "✓ $stack deleted." >&2
echo "  The table cfp-$stage-applications is kept with its data (DeletionPolicy: RetainExceptOnCreate). Delete" >&2
echo "  it before deploying this stage again: aws dynamodb delete-table --table-name cfp-$stage-applications" >&2
