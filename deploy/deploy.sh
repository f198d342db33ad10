#!/usr/bin/env bash
# make deploy: ship out/<stage>/ (written by make package) as the CloudFormation stack cfp-<stage>.
#
#   STAGE=dev SENDER=cfp@example.org [ORGANISERS=a@x.org,b@x.org] [PUBLIC_URL=https://…] deploy/deploy.sh out/dev
#
# On an update every variable may be left out: the stack keeps its previous values.
# Without PUBLIC_URL, a new stack's emails link to its own API: the first deploy creates it,
# reads its EndpointURL output and deploys again with it (only environment variables change).
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

command -v aws >/dev/null || fail "the AWS CLI is needed: https://docs.aws.amazon.com/cli/"
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}
[ -n "$region" ] || fail "no AWS region: set AWS_REGION or run aws configure"
account=$(aws sts get-caller-identity --query Account --output text) || fail "no AWS credentials: run aws configure (or aws sso login)"
bucket=${DEPLOY_BUCKET:-cfp-deploy-$account-$region}
echo "… deploying $out to the stack $stack in account $account, region $region" >&2

stack_exists() {
    aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' --output text >/dev/null 2>&1
}

endpoint_url() {
    aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue" --output text
}

new_stack=false
stack_exists || new_stack=true
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

# 3. Upload deployment.zip and point the template at it.
run aws cloudformation package --template-file "$out/sam.json" --s3-bucket "$bucket" --s3-prefix "$stack" \
    --output-template-file "$out/packaged.json" --use-json

# 4. Create or update the stack. Parameters not given keep their previous values.
overrides=("Stage=$stage")
[ -n "${SENDER:-}" ] && overrides+=("SenderAddress=$SENDER")
[ -n "${ORGANISERS:-}" ] && overrides+=("Organisers=$ORGANISERS")
[ -n "${PUBLIC_URL:-}" ] && overrides+=("PublicUrl=$PUBLIC_URL")
[ -n "${CREATE_SENDER_IDENTITY:-}" ] && overrides+=("CreateSenderIdentity=$CREATE_SENDER_IDENTITY")

deploy() {
    run aws cloudformation deploy --template-file "$out/packaged.json" --stack-name "$stack" \
        --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
        --parameter-overrides "$@"
}

deploy "${overrides[@]}"
url=$(endpoint_url)
if $new_stack && [ -z "${PUBLIC_URL:-}" ]; then
    echo "… the emails' links need the API's URL, known now: deploying again with PublicUrl=$url" >&2
    deploy "${overrides[@]}" "PublicUrl=${url%/}"
fi

echo "✓ $stack deployed. The call for participation: $url" >&2
if $new_stack; then
    echo "  SES sent a verification email to $SENDER: click its link before the app can send." >&2
    echo "  In the SES sandbox, every recipient must be verified too (README, \"Deploying to AWS\")." >&2
fi
