// The Graph simulator speaks https, as Graph does: the SDK attaches tokens to https hosts only (the
// AuthenticationHandler of @microsoft/microsoft-graph-client; learn.microsoft.com/graph/sdks/national-clouds).
// It gets a local CA and a server certificate for localhost/127.0.0.1; the processes that talk to it trust the
// CA through NODE_EXTRA_CA_CERTS, never by turning verification off.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface SimulatorTls {
  caFile: string;
  key: string;
  cert: string;
}

const YEAR_MS = 365 * 24 * 3_600_000;

/** Creates the CA and server certificate in `directory` once, and reads them back afterwards. */
export async function ensureSimulatorTls(directory: string): Promise<SimulatorTls> {
  const caFile = join(directory, 'ca.pem');
  const keyFile = join(directory, 'server-key.pem');
  const certFile = join(directory, 'server-cert.pem');
  if (!existsSync(caFile) || !existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(directory, { recursive: true });
    const notBeforeDate = new Date(Date.now() - 24 * 3_600_000);
    const notAfterDate = new Date(Date.now() + 10 * YEAR_MS);
    const ca = await selfsigned.generate([{ name: 'commonName', value: 'jit-access-bot simulator CA' }], {
      keySize: 2048,
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      notBeforeDate,
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    writeFileSync(keyFile, server.private, { mode: 0o600 });
    writeFileSync(certFile, server.cert);
    writeFileSync(caFile, ca.cert);
  }
  return { caFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}
