import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One DynamoDB call a function made, as it travels: the operation and its JSON body (attribute values marshalled). */
export interface DynamoDbCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

/**
 * Stands between the functions and the emulator, for fault tests: it may change the input, the
 * output, or throw (the function's SDK then sees an error of that name, as from DynamoDB).
 */
export type DynamoDbInterceptor = (call: DynamoDbCall, forward: (input: Record<string, unknown>) => Promise<Record<string, unknown>>) => Promise<Record<string, unknown>>;

export interface DynamoDbFaultProxy {
  readonly endpoint: string;
  intercept(interceptor: DynamoDbInterceptor | undefined): void;
  close(): Promise<void>;
}

/** An error answer of the emulator, passed through unchanged unless an interceptor catches it. */
class EmulatorAnswer extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: Buffer,
  ) {
    super(`DynamoDB answered ${status}`);
  }
}

/**
 * A loopback proxy in front of dynalite that the functions' DynamoDB endpoint points at when a
 * test asks for it (functions run in processes of their own, so a fault cannot be injected into
 * their SDK clients from the test's process).
 */
export async function startDynamoDbFaultProxy(target: string): Promise<DynamoDbFaultProxy> {
  const upstream = new URL(target);
  let interceptor: DynamoDbInterceptor | undefined;
  const send = (headers: IncomingHttpHeaders, path: string, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const { 'content-length': _length, host: _host, ...rest } = headers;
      const req = httpRequest({ host: upstream.hostname, port: upstream.port, path, method: 'POST', headers: { ...rest, 'content-length': body.length } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (p: Buffer) => parts.push(p));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (p: Buffer) => parts.push(p));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      const operation = String(request.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
      const reply = (status: number, headers: IncomingHttpHeaders, payload: Buffer) => {
        // The body may have changed: no stale length or checksum.
        const { 'content-length': _length, 'x-amz-crc32': _crc, 'transfer-encoding': _te, ...rest } = headers;
        response.writeHead(status, { ...rest, 'content-length': payload.length });
        response.end(payload);
      };
      const current = interceptor;
      if (current === undefined) {
        send(request.headers, request.url ?? '/', body).then((r) => reply(r.status, r.headers, r.body), () => reply(502, {}, Buffer.from('')));
        return;
      }
      let last: { status: number; headers: IncomingHttpHeaders } = { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' } };
      const forward = async (input: Record<string, unknown>) => {
        const answer = await send(request.headers, request.url ?? '/', Buffer.from(JSON.stringify(input)));
        if (answer.status !== 200) throw new EmulatorAnswer(answer.status, answer.headers, answer.body);
        last = answer;
        return JSON.parse(answer.body.toString('utf-8') || '{}') as Record<string, unknown>;
      };
      current({ operation, input: JSON.parse(body.toString('utf-8') || '{}') as Record<string, unknown> }, forward).then(
        (output) => reply(last.status, last.headers, Buffer.from(JSON.stringify(output))),
        (error: unknown) => {
          if (error instanceof EmulatorAnswer) return reply(error.status, error.headers, error.body);
          const e = error instanceof Error ? error : new Error(String(error));
          const fault = { __type: `com.amazonaws.dynamodb.v20120810#${e.name}`, message: e.message };
          return reply(400, { 'content-type': 'application/x-amz-json-1.0' }, Buffer.from(JSON.stringify(fault)));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    intercept(next) {
      interceptor = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
