#!/usr/bin/env bash
# make destroy: delete the stack cfp-<stage>, its link secret and its table. DynamoDB keeps the table's last
# state 35 days (a system backup, point-in-time recovery being on): make restore STAGE=<stage> BACKUP=<its ARN>
# brings its applications back into a new deployment (README, "Tear down" and "Restore").
set -euo pipefail

stage=${STAGE:?STAGE is dev or prod}
stack="cfp-$stage"
table="cfp-$stage-applications"

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
# The stack keeps the table (DeletionPolicy: RetainExceptOnCreate), so that no stack operation ever deletes
# applications by mistake; tearing down the stage does, on purpose.
if aws dynamodb describe-table --table-name "$table" >/dev/null 2>&1; then
    run aws dynamodb delete-table --table-name "$table" >/dev/null
    run aws dynamodb wait table-not-exists --table-name "$table"
fi
echo "✓ $stack deleted, with its table $table." >&2
echo "  DynamoDB keeps the table as it was for 35 days, as a system backup. To bring its applications back" >&2
echo "  into a new deployment of the stage: make deploy STAGE=$stage, then make restore STAGE=$stage BACKUP=<ARN>," >&2
echo "  with the ARN this prints: aws dynamodb list-backups --table-name $table --backup-type SYSTEM" >&2
