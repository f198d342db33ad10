// A second Step Functions for the tests: the API the app calls, with executions run by npm's aws-local-stepfunctions
// (an interpreter written apart from moto's), as patched by patches/ (README, "Two interpreters").
//
//     node tests/interpreter.mjs PORT     # prints "ready" once it listens on 127.0.0.1:PORT
//
// The app reaches it as it reaches AWS: boto3, with AWS_ENDPOINT_URL_SFN pointing here (tests/interpreter.py).
// Task states do what their integrations do on AWS, against the emulator at AWS_ENDPOINT_URL:
// - sqs:sendMessage.waitForTaskToken puts the message on the task queue, where the app's own worker takes it, and
//   waits for the SendTaskSuccess or SendTaskFailure that carries its token;
// - dynamodb:updateItem (any dynamodb: action) is that very request, to the emulator's DynamoDB: the table the app
//   reads, with DynamoDB's own conditions and update expressions; its errors are named DynamoDB.<code>, as the
//   integration names them.
import http from "node:http";
import { StateMachine } from "aws-local-stepfunctions";

// Node 22's, which the package calls; Node 20 lacks it.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const EMULATOR = process.env.AWS_ENDPOINT_URL;
const REGION = process.env.AWS_REGION ?? "eu-west-3";
const ACCOUNT = "123456789012";
const INTEGRATION = /^arn:aws:states:::(\w+):(\w+)(\.waitForTaskToken)?$/;

class AwsError extends Error {
  constructor(code, message, status = 400) {
    super(message);
    this.name = code;
    this.status = status;
  }
}

/** An error a task state's Retry and Catch match by its name; its message is the Cause. */
function named(name, cause) {
  const error = new Error(cause ?? "");
  error.name = name;
  return error;
}

// The emulator, over the JSON protocol. moto reads the region from the credential scope and checks no signature.
async function emulator(service, target, body) {
  const response = await fetch(EMULATOR, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": target,
      Authorization: `AWS4-HMAC-SHA256 Credential=local/20240101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : {};
  if (!response.ok) {
    throw new AwsError(String(answer.__type ?? "InternalFailure").split("#").pop(), answer.message ?? answer.Message ?? text);
  }
  return answer;
}

const machines = new Map(); // state machine ARN -> {name, machine, states}
const executions = new Map(); // execution ARN -> execution
const tokens = new Map(); // task token -> {execution, state, issued, resolve, reject, open}

/** Every state by name, with the Parallel state each one runs inside (if any). */
function statesOf(definition, parallel = null, found = new Map()) {
  for (const [name, state] of Object.entries(definition.States)) {
    found.set(name, { state, parallel });
    for (const branch of state.Branches ?? []) statesOf(branch, name, found);
  }
  return found;
}

function closeTokens(execution, closes) {
  for (const task of tokens.values()) {
    if (task.execution === execution && task.open && closes(task)) task.open = false;
  }
}

// What each task state's integration does, for one execution.
function integrations(execution, states) {
  const handlers = {};
  for (const [name, { state }] of states) {
    if (state.Type !== "Task") continue;
    const [, service, action, waits] = INTEGRATION.exec(state.Resource) ?? [];
    handlers[name] = async (parameters, context) => {
      if (service === "dynamodb") {
        try {
          return await emulator("dynamodb", `DynamoDB_20120810.${action[0].toUpperCase()}${action.slice(1)}`, parameters);
        } catch (error) {
          throw named(`DynamoDB.${error.name}`, error.message);
        }
      }
      if (service === "sqs" && action === "sendMessage") {
        const body = typeof parameters.MessageBody === "string" ? parameters.MessageBody : JSON.stringify(parameters.MessageBody);
        if (!waits) return emulator("sqs", "AmazonSQS.SendMessage", { ...parameters, MessageBody: body });
        const token = context.Task.Token;
        // An earlier attempt of this state is over: its token answers TaskTimedOut from now on.
        closeTokens(execution, (task) => task.state === name);
        const answer = Promise.withResolvers();
        tokens.set(token, { execution, state: name, issued: Date.now(), open: true, ...answer });
        await emulator("sqs", "AmazonSQS.SendMessage", { ...parameters, MessageBody: body }).catch((error) => {
          tokens.get(token).open = false;
          throw named(`SQS.${error.name}`, error.message);
        });
        return answer.promise;
      }
      // As AWS's States.Runtime, neither retried nor caught: the execution fails.
      throw Object.assign(named("States.Runtime", `${state.Resource} (state ${name}) is not played here`), {
        isRetryable: false,
        isCatchable: false,
      });
    };
  }
  return handlers;
}

const seconds = (milliseconds) => milliseconds / 1000;

// The package's event log, as the history Step Functions keeps; a state that ends closes its tokens.
async function record(execution, states, eventLogs) {
  for await (const event of eventLogs) {
    const { type, state } = event;
    let entry = null;
    if (type === "ExecutionStarted") {
      entry = { type, executionStartedEventDetails: { input: JSON.stringify(event.input) } };
    } else if (type === "ExecutionSucceeded") {
      entry = { type, executionSucceededEventDetails: { output: JSON.stringify(event.output) } };
    } else if (type === "ExecutionFailed") {
      entry = { type, executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? "") } };
    } else if (type === "ExecutionAborted") {
      entry = { type };
    } else if (type === "StateEntered") {
      entry = { type: `${state.type}StateEntered`, stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input) } };
    } else if (type === "StateExited" || type === "StateFailed") {
      const over = (task) => task.issued <= event.timestamp;
      closeTokens(execution, (task) => over(task) && (task.state === state.name || states.get(task.state)?.parallel === state.name));
      if (type === "StateExited") {
        entry = { type: `${state.type}StateExited`, stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output) } };
      } else if (state.type === "Task") {
        const details = { resourceType: "states", resource: states.get(state.name).state.Resource, error: event.Error, cause: String(event.Cause ?? "") };
        entry = event.Error === "States.Timeout" ? { type: "TaskTimedOut", taskTimedOutEventDetails: details } : { type: "TaskFailed", taskFailedEventDetails: details };
      } else if (state.type === "Parallel") {
        entry = { type: "ParallelStateFailed" };
      }
    }
    if (entry !== null) {
      const id = execution.events.length + 1;
      execution.events.push({ timestamp: seconds(event.timestamp), id, previousEventId: id - 1, ...entry });
    }
  }
}

function finish(execution, status, fields = {}) {
  if (execution.status !== "RUNNING") return;
  Object.assign(execution, { status, stopDate: seconds(Date.now()) }, fields);
  closeTokens(execution, () => true);
}

function startExecution({ stateMachineArn, name, input = "{}" }) {
  const known = machines.get(stateMachineArn);
  if (!known) throw new AwsError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
  name ??= crypto.randomUUID();
  const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  const existing = executions.get(executionArn);
  if (existing) {
    // StartExecution is idempotent for a running execution of the same name and input.
    if (existing.status === "RUNNING" && existing.input === input) {
      return { executionArn, startDate: existing.startDate };
    }
    throw new AwsError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
  }
  const execution = { executionArn, stateMachineArn, name, input, status: "RUNNING", startDate: seconds(Date.now()), events: [] };
  executions.set(executionArn, execution);
  const run = known.machine.run(JSON.parse(input), {
    overrides: { taskResourceLocalHandlers: integrations(execution, known.states) },
    noThrowOnAbort: true,
  });
  execution.abort = run.abort;
  record(execution, known.states, run.eventLogs).catch((error) => console.error(error));
  run.result.then(
    (output) => finish(execution, "SUCCEEDED", { output: JSON.stringify(output) }),
    (error) => {
      const failure = error.cause ?? error;
      finish(execution, "FAILED", { error: failure.name, cause: String(failure.message ?? "") });
    },
  );
  return { executionArn, startDate: execution.startDate };
}

function openTask(taskToken) {
  const task = tokens.get(taskToken);
  if (!task) throw new AwsError("InvalidToken", "Invalid token");
  if (!task.open) throw new AwsError("TaskTimedOut", "Task Timed Out");
  task.open = false;
  return task;
}

function execution(executionArn) {
  const found = executions.get(executionArn);
  if (!found) throw new AwsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
  return found;
}

const summary = ({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({
  executionArn,
  stateMachineArn,
  name,
  status,
  startDate,
  stopDate,
});

const OPERATIONS = {
  CreateStateMachine({ name, definition }) {
    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    const parsed = JSON.parse(definition);
    let machine;
    try {
      machine = new StateMachine(parsed, { validationOptions: { checkArn: false } });
    } catch (error) {
      throw new AwsError("InvalidDefinition", error.message);
    }
    machines.set(stateMachineArn, { name, machine, states: statesOf(parsed) });
    return { stateMachineArn, creationDate: seconds(Date.now()) };
  },
  StartExecution: startExecution,
  DescribeExecution({ executionArn }) {
    const described = execution(executionArn);
    const { input, output, error, cause } = described;
    return { ...summary(described), input, output, error, cause };
  },
  ListExecutions({ stateMachineArn, statusFilter }) {
    const listed = [...executions.values()].filter(
      (e) => e.stateMachineArn === stateMachineArn && (!statusFilter || e.status === statusFilter),
    );
    return { executions: listed.map(summary) };
  },
  GetExecutionHistory({ executionArn, reverseOrder }) {
    const events = [...execution(executionArn).events];
    return { events: reverseOrder ? events.reverse() : events };
  },
  StopExecution({ executionArn, error, cause }) {
    const stopped = execution(executionArn);
    finish(stopped, "ABORTED", { error, cause });
    stopped.abort();
    return { stopDate: stopped.stopDate };
  },
  SendTaskSuccess({ taskToken, output }) {
    openTask(taskToken).resolve(JSON.parse(output));
    return {};
  },
  SendTaskFailure({ taskToken, error = "", cause = "" }) {
    openTask(taskToken).reject(named(error, cause));
    return {};
  },
  SendTaskHeartbeat({ taskToken }) {
    if (!tokens.get(taskToken)?.open) throw new AwsError("TaskTimedOut", "Task Timed Out");
    return {};
  },
};

const server = http.createServer(async (request, response) => {
  let body = "";
  for await (const chunk of request) body += chunk;
  const operation = String(request.headers["x-amz-target"] ?? "").replace("AWSStepFunctions.", "");
  let status = 200;
  let answer;
  try {
    if (!OPERATIONS[operation]) throw new AwsError("UnknownOperationException", `${operation} is not played here`);
    answer = await OPERATIONS[operation](JSON.parse(body || "{}"));
  } catch (error) {
    if (!(error instanceof AwsError)) console.error(error);
    status = error.status ?? 500;
    answer = { __type: error instanceof AwsError ? error.name : "InternalFailure", message: error.message };
  }
  response.writeHead(status, { "Content-Type": "application/x-amz-json-1.0" });
  response.end(JSON.stringify(answer));
});

server.listen(Number(process.argv[2]), "127.0.0.1", () => console.log("ready"));
