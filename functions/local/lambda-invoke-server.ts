import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InvokeServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Runs a function synchronously and answers its result, or undefined when there is no such function. */
export type InvokeNow = (functionName: string, payload: unknown) => Promise<unknown> | undefined;

/**
 * Lambda's Invoke on loopback, so the unchanged SDK client reaches the local handlers: InvocationType
 * Event (a function fanning out to itself) and RequestResponse (the CLI running a function, e.g.
 * `strata campaigns send`), whose handler errors come back as Lambda returns them: status 200, the
 * X-Amz-Function-Error header and {errorType, errorMessage}.
 */
export async function startInvokeServer(onEvent: (functionName: string, payload: unknown) => boolean, invokeNow?: InvokeNow): Promise<InvokeServer> {
  const server = createServer((request, response) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const reply = (status: number, body: object) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (match === null || request.method !== 'POST') return reply(404, { message: 'only Invoke is served locally' });
      const type = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (type !== 'Event' && (type !== 'RequestResponse' || invokeNow === undefined)) return reply(400, { message: `InvocationType ${String(type)} is not served locally` });
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.concat(parts).toString('utf-8') || '{}');
      } catch {
        return reply(400, { message: 'payload is not JSON' });
      }
      const name = decodeURIComponent(match[1] ?? '');
      const notFound = () => reply(404, { Type: 'User', message: `Function not found: ${name}` });
      if (type === 'RequestResponse') {
        const running = invokeNow?.(name, payload);
        if (running === undefined) return notFound();
        void running.then(
          (result) => {
            response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
            response.end(JSON.stringify(result ?? null));
          },
          (error: unknown) => {
            const e = error instanceof Error ? error : new Error(String(error));
            response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
            response.end(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
          },
        );
        return undefined;
      }
      if (!onEvent(name, payload)) return notFound();
      response.writeHead(202);
      response.end();
      return undefined;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
