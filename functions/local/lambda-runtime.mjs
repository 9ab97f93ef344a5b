// The local stand-in for the Lambda Node.js runtime: one execution environment of one function.
// Plain JavaScript, because it runs on the runtime's Node (22) beside nothing but the bundle the
// cloud assembly holds for the function (argv: its folder and the template's Handler).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot = '.', handlerSetting = 'index.handler'] = process.argv.slice(2);
const separator = handlerSetting.lastIndexOf('.');
const moduleName = handlerSetting.slice(0, separator);
const exportName = handlerSetting.slice(separator + 1);
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';

let loaded;

/** Whether a package.json between the module's folder and the task root says "type": "module" (above the task root, Lambda has none). */
function typeModule(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, 'utf-8')).type === 'module';
    if (path.relative(taskRoot, dir) === '' || path.dirname(dir) === dir) return false;
  }
}

/**
 * Loads the handler's module in the runtime's order: the file without an extension and a .js file
 * outside a "type": "module" package by require(), else a .js one or a .mjs file by import(), else
 * a .cjs file by require().
 */
async function loadModule() {
  const base = path.resolve(taskRoot, moduleName);
  const require = createRequire(base);
  const exists = (ext) => fs.existsSync(`${base}${ext}`) && fs.statSync(`${base}${ext}`).isFile();
  if (exists('')) return require(base);
  if (exists('.js')) return typeModule(`${base}.js`) ? import(pathToFileURL(`${base}.js`).href) : require(`${base}.js`);
  if (exists('.mjs')) return import(pathToFileURL(`${base}.mjs`).href);
  if (exists('.cjs')) return require(`${base}.cjs`);
  throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
}

/** Loads the handler once, at the first invocation, as Lambda's init phase does. */
function handler() {
  loaded ??= (async () => {
    const module = await loadModule();
    const fn = module[exportName];
    if (typeof fn !== 'function') throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
    return fn;
  })();
  // A failed init is tried again at the next invocation, in a fresh environment as on Lambda.
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

function context(requestId, deadline) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  try {
    const fn = await handler();
    const result = await fn(message.event, context(message.requestId, message.deadline));
    // Through JSON, as Lambda returns a payload.
    process.send({ type: 'result', id: message.id, result: JSON.stringify(result ?? null) });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    process.send({ type: 'error', id: message.id, error: { name: e.name, message: e.message, stack: e.stack } });
  }
});
// An execution environment lives only as long as the stack that runs it.
process.on('disconnect', () => process.exit(0));
