import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';

type UrlHandler = (event: LambdaFunctionURLEvent) => Promise<unknown>;

/**
 * A Lambda Function URL on a loopback port: each HTTP request becomes the payload-2.0 event the
 * real URL sends, and the handler's { statusCode, headers, body } becomes the response.
 */
export async function serveFunctionUrl(handler: UrlHandler, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(url.search === '' ? {} : { queryStringParameters: Object.fromEntries(url.searchParams) }),
        requestContext: {
          accountId: 'anonymous', apiId: 'local', domainName: headers.host ?? 'localhost', domainPrefix: 'local', requestId: crypto.randomUUID(),
          routeKey: '$default', stage: '$default', time: new Date().toUTCString(), timeEpoch: Date.now(),
          http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
        },
        body: body.toString('base64'),
        isBase64Encoded: true,
      } as unknown as LambdaFunctionURLEvent;
      handler(event).then(
        (result) => {
          const r = (typeof result === 'string' ? { statusCode: 200, body: result } : result) as { statusCode?: number; headers?: Record<string, string>; body?: string };
          res.writeHead(r.statusCode ?? 200, r.headers ?? {});
          res.end(r.body ?? '');
        },
        () => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('the function failed');
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
