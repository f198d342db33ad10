#!/usr/bin/env bash
# make deploy: ship out/<stage>/ (written by make package) as the CloudFormation stack cfp-<stage>.
#
#   STAGE=dev SENDER=cfp@example.org [ORGANISERS=a@x.org,b@x.org] [PUBLIC_URL=https://…] [ALARM_EMAIL=…] \
#       deploy/deploy.sh out/dev
#
# On an update every variable may be left out: the stack keeps its previous values.
# Without PUBLIC_URL, a stack whose PublicUrl is still empty links to its own API: the first
# deploy creates it, reads its EndpointURL output and deploys again with it (only environment
# variables change).
set -euo pipefail

out=${1:?usage: deploy.sh out/<stage>}
stage=${STAGE:?STAGE is dev or prod}
stack="cfp-$stage"
parameter="/cfp/$stage/link-secret"

run() {
    echo "+ $*" >&2
    "$@"
}

fail() {
    echo "✗ $*" >&2
    exit 1
}

case "${PUBLIC_URL:-}" in
    "" | https://*) ;;
    *) fail "PUBLIC_URL=$PUBLIC_URL: a deployed stage's links must start with https:// (they are capabilities, and" \
        "its pages ask browsers for https only); give its https address, or leave PUBLIC_URL out for the API's own" ;;
esac

command -v aws >/dev/null || fail "the AWS CLI is needed: https://docs.aws.amazon.com/cli/"
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}
[ -n "$region" ] || fail "no AWS region: set AWS_REGION or run aws configure"
account=$(aws sts get-caller-identity --query Account --output text) || fail "no AWS credentials: run aws configure (or aws sso login)"
bucket=${DEPLOY_BUCKET:-cfp-deploy-$account-$region}
echo "… deploying $out to the stack $stack in account $account, region $region" >&2

# The stack's status, or nothing when there is none yet; any other error stops here, so that a
# passing network fault is never taken for "no stack".
stack_status() {
    local output
    if output=$(aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' \
        --output text 2>&1); then
        echo "$output"
    elif [[ $output == *"does not exist"* ]]; then
        echo ""
    else
        fail "cannot read the stack $stack: $output"
    fi
}

stack_output() {
    aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

stack_parameter() {
    local value
    value=$(aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text)
    [ "$value" = "None" ] || echo "$value"
}

status=$(stack_status)
case "$status" in
    "" | REVIEW_IN_PROGRESS) new_stack=true ;;
    ROLLBACK_COMPLETE | ROLLBACK_FAILED | DELETE_FAILED)
        # ROLLBACK_COMPLETE is what a failed first deploy leaves; its table went with the rollback.
        fail "the stack $stack is $status and CloudFormation cannot update it:" \
            "remove it with make destroy STAGE=$stage, then deploy again." ;;
    *_IN_PROGRESS) fail "the stack $stack is $status: wait until it ends, then deploy again." ;;
    *) new_stack=false ;;
esac
if $new_stack && [ -z "${SENDER:-}" ]; then
    fail "a new stack needs SENDER=<the address emails come from>, e.g. make deploy STAGE=$stage SENDER=cfp@example.org"
fi

# 1. The bucket that aws cloudformation package uploads the code to (private by default).
if ! aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    run aws s3 mb "s3://$bucket" --region "$region"
fi

# 2. The link secret: a SecureString, made once with a random value. CloudFormation cannot
#    create one; the value is written from a private file, never on a command line.
if ! aws ssm get-parameter --name "$parameter" --query Parameter.Name --output text >/dev/null 2>&1; then
    secret_file=$(mktemp)
    trap 'rm -f "$secret_file"' EXIT
    head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$secret_file"
    run aws ssm put-parameter --name "$parameter" --type SecureString --value "file://$secret_file" \
        --description "Signs the CfP's emailed links (stage $stage)"
fi

# 3. API Gateway's CloudWatch Logs role, an account setting of the region that the API's access log needs:
#    set once, here, if nothing set it before (a stack that owned it would take it away from every other API
#    of the account when deleted). make destroy leaves it.
logs_role=$(aws apigateway get-account --query cloudwatchRoleArn --output text) ||
    fail "cannot read API Gateway's account settings (apigateway:GET on /account is needed)"
if [ -z "$logs_role" ] || [ "$logs_role" = "None" ]; then
    if ! logs_role=$(aws iam get-role --role-name cfp-apigateway-logs --query Role.Arn --output text 2>/dev/null); then
        trust_file=$(mktemp)
        echo '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service":' \
            '"apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}' >"$trust_file"
        logs_role=$(run aws iam create-role --role-name cfp-apigateway-logs \
            --assume-role-policy-document "file://$trust_file" --query Role.Arn --output text)
        rm -f "$trust_file"
        run aws iam attach-role-policy --role-name cfp-apigateway-logs \
            --policy-arn arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs
    fi
    # A new role takes IAM some seconds to be assumable by API Gateway.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        run aws apigateway update-account \
            --patch-operations "op=replace,path=/cloudwatchRoleArn,value=$logs_role" >/dev/null && break
        [ "$attempt" = 10 ] && fail "API Gateway did not take the role $logs_role for its logs: try again in a minute"
        sleep "${IAM_WAIT_SECONDS:-6}"
    done
fi

# 4. Upload deployment.zip and point the template at it.
run aws cloudformation package --template-file "$out/sam.json" --s3-bucket "$bucket" --s3-prefix "$stack" \
    --output-template-file "$out/packaged.json" --use-json

# 5. Create or update the stack. Parameters not given keep their previous values.
overrides=("Stage=$stage")
[ -n "${SENDER:-}" ] && overrides+=("SenderAddress=$SENDER")
[ -n "${ORGANISERS:-}" ] && overrides+=("Organisers=$ORGANISERS")
[ -n "${PUBLIC_URL:-}" ] && overrides+=("PublicUrl=$PUBLIC_URL")
[ -n "${CREATE_SENDER_IDENTITY:-}" ] && overrides+=("CreateSenderIdentity=$CREATE_SENDER_IDENTITY")
[ -n "${ALARM_EMAIL:-}" ] && overrides+=("AlarmEmail=$ALARM_EMAIL")

# The packaged template is over the 51,200 bytes CloudFormation takes inline: it goes through S3.
deploy() {
    run aws cloudformation deploy --template-file "$out/packaged.json" --stack-name "$stack" \
        --s3-bucket "$bucket" --s3-prefix "$stack" \
        --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
        --parameter-overrides "$@"
}

deploy "${overrides[@]}"
url=$(stack_output EndpointURL)
# Decided by what the stack holds, not by whether it is new: an interrupted first deploy, run
# again, still gets its links.
if [ -z "${PUBLIC_URL:-}" ] && [ -z "$(stack_parameter PublicUrl)" ]; then
    echo "… the emails' links need the API's URL, known now: deploying again with PublicUrl=$url" >&2
    deploy "${overrides[@]}" "PublicUrl=${url%/}"
fi

echo "✓ $stack deployed. The calls for participation: $url" >&2
if $new_stack; then
    echo "  SES sent a verification email to $SENDER: click its link before the app can send." >&2
    echo "  In the SES sandbox, every recipient must be verified too (README, \"Deploying to AWS\")." >&2
fi
