import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InvokeServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * The one Lambda API call strata's functions make, Invoke with InvocationType Event (a function
 * fanning out to itself), served on loopback so the unchanged SDK client reaches the local handlers.
 */
export async function startInvokeServer(onEvent: (functionName: string, payload: unknown) => boolean): Promise<InvokeServer> {
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
      if (request.headers['x-amz-invocation-type'] !== 'Event') return reply(400, { message: 'only asynchronous (Event) invocations are served locally' });
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.concat(parts).toString('utf-8') || '{}');
      } catch {
        return reply(400, { message: 'payload is not JSON' });
      }
      const name = decodeURIComponent(match[1] ?? '');
      if (!onEvent(name, payload)) return reply(404, { Type: 'User', message: `Function not found: ${name}` });
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
