// A TLS listener for the simulators that refuses client certificates the way a real gateway does
// (Istio's MUTUAL mode, i.e. Envoy on BoringSSL): with a fatal TLS alert in the handshake, e.g.
// "unknown ca" or "certificate expired", instead of a silently closed socket, which is all Node's own
// TLS server can do. The judge is the simulator's, so that dates follow its fake clock.
//
// How: each TCP connection runs through a RecordGate between the socket and Node's TLS engine. Once
// the server has sent its first flight, what the engine writes in answer to the client's second
// flight (TLS 1.2: NewSessionTicket, ChangeCipherSpec, Finished; TLS 1.3: session tickets) is held
// until the handshake is complete and the certificate judged. Accepted: the held bytes go out and the
// connection is handed to the HTTP server. Refused: they are dropped and the alert goes out instead,
// plaintext in TLS 1.2 (the refusal comes before ChangeCipherSpec), encrypted as the first record
// under the server's application traffic keys in TLS 1.3 (from the key log), exactly as a server
// that refuses in its certificate callback sends it. The connection is then half-closed and drained,
// so that the client reads the alert rather than a reset. No session is ever resumed (tickets off,
// no session cache): every connection presents and is judged by its certificate.
import { constants, type X509Certificate } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { encryptedAlertRecord, plaintextAlertRecord, type TlsAlertDescription } from './tls-alert.js';

export type ClientCertificateVerdict = { accept: true } | { accept: false; alert: TlsAlertDescription };

export interface ClientCertificatePolicy {
  /** The CA the server names in its CertificateRequest. */
  caPem: string;
  /** Judges the presented certificate (undefined: none) on a connection of `protocol` (TLSv1.2, TLSv1.3). */
  judge(peer: X509Certificate | undefined, protocol: string): ClientCertificateVerdict;
}

export interface TlsListenerOptions {
  host: string;
  keyPem: string;
  certPem: string;
  /** Mutual TLS: ask for a client certificate and judge it. Without it, server TLS only. */
  clientCertificates?: ClientCertificatePolicy;
}

export interface TlsListener {
  readonly port: number;
  /** Resets the TCP connection under an accepted TLS socket (an RST, as a failing gateway sends). */
  reset(socket: unknown): boolean;
  close(): Promise<void>;
}

/** A client that does not finish its handshake within this time is dropped. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long a refused connection is kept half-open for the client to read the alert. */
const DRAIN_MS = 5_000;
/** The random of a HelloRetryRequest (RFC 8446 §4.1.3): a ServerHello that is not the first flight yet. */
const HELLO_RETRY_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
const HANDSHAKE_RECORD = 0x16;
const SERVER_HELLO = 0x02;

type Phase = 'handshake' | 'holding' | 'open' | 'refused';

/** The byte stream between a TCP socket and the server's TLS engine, able to hold the engine's output. */
class RecordGate extends Duplex {
  private phase: Phase = 'handshake';
  private serverHelloSent = false;
  private scanned = Buffer.alloc(0);
  private held: Buffer[] = [];

  constructor(readonly raw: Socket) {
    super();
    raw.on('data', (chunk: Buffer) => this.fromClient(chunk));
    raw.on('end', () => this.push(null));
    raw.on('error', () => this.destroy());
    raw.on('close', () => this.destroy());
  }

  /** The handshake is over and the certificate accepted: the held output goes out, then everything flows. */
  open(): void {
    if (this.phase === 'refused') return;
    this.phase = 'open';
    for (const chunk of this.held.splice(0)) this.raw.write(chunk);
  }

  /** Refused: the held output is dropped, `alertRecord` goes out instead, the client's bytes are drained. */
  refuse(alertRecord: Buffer): void {
    this.phase = 'refused';
    this.held = [];
    this.raw.end(alertRecord);
    this.raw.resume();
    setTimeout(() => this.raw.destroy(), DRAIN_MS).unref();
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.phase === 'refused') return done();
    if (this.phase === 'holding') {
      this.held.push(chunk);
      return done();
    }
    if (!this.serverHelloSent) this.scanForServerHello(chunk);
    // A destroyed socket never drains, but then its 'close' destroys this stream too.
    if (this.raw.write(chunk)) done();
    else this.raw.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.phase === 'refused') return done();
    this.open();
    this.raw.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.phase === 'refused') return done(error);
    if (!error && (this.held.length > 0 || this.raw.writableEnded)) {
      // Closing in order (or the engine failed the handshake itself, its own alert held): what was
      // written still goes out, then the socket closes.
      this.open();
      this.raw.end();
      setTimeout(() => this.raw.destroy(), DRAIN_MS).unref();
    } else {
      this.raw.destroy();
    }
    done(error);
  }

  private fromClient(chunk: Buffer): void {
    if (this.phase === 'refused') return;
    // The client's second flight: what the engine answers to it waits for the judgement.
    if (this.phase === 'handshake' && this.serverHelloSent) this.phase = 'holding';
    if (!this.push(chunk)) this.raw.pause();
  }

  /** Notes when the server's first flight (a ServerHello that is not a HelloRetryRequest) goes out. */
  private scanForServerHello(chunk: Buffer): void {
    this.scanned = Buffer.concat([this.scanned, chunk]);
    while (this.scanned.length >= 5) {
      const type = this.scanned[0];
      const length = this.scanned.readUInt16BE(3);
      if (type === HANDSHAKE_RECORD && this.scanned.length > 5 && this.scanned[5] === SERVER_HELLO) {
        if (this.scanned.length < 43) return; // record, handshake and version headers, then the random
        if (!this.scanned.subarray(11, 43).equals(HELLO_RETRY_RANDOM)) {
          this.serverHelloSent = true;
          this.scanned = Buffer.alloc(0);
          return;
        }
      }
      if (this.scanned.length < 5 + length) return;
      this.scanned = this.scanned.subarray(5 + length);
    }
  }
}

/**
 * Listens on `host` (an ephemeral port), terminates TLS and hands every accepted connection to
 * `server` (an http.Server that does not listen itself) as a 'connection'.
 */
export async function listenTls(server: HttpServer, options: TlsListenerOptions): Promise<TlsListener> {
  const policy = options.clientCertificates;
  const secureContext = createSecureContext({
    key: options.keyPem,
    cert: options.certPem,
    ...(policy ? { ca: policy.caPem } : {}),
    secureOptions: constants.SSL_OP_NO_TICKET,
  });
  const rawSockets = new WeakMap<TLSSocket, Socket>();
  const open = new Set<Socket>();

  const listener = createNetServer({ noDelay: true }, (raw) => {
    open.add(raw);
    raw.on('close', () => open.delete(raw));
    raw.on('error', () => {});
    const gate = new RecordGate(raw);
    const socket = new TLSSocket(gate, {
      isServer: true,
      secureContext,
      requestCert: policy !== undefined,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    rawSockets.set(socket, raw);
    // Only the TLS 1.3 alert needs a key: the server's first application traffic secret.
    let trafficSecret: Buffer | undefined;
    socket.on('keylog', (line: Buffer) => {
      const [label, , secret] = line.toString('latin1').trim().split(' ');
      if (label === 'SERVER_TRAFFIC_SECRET_0' && secret) trafficSecret = Buffer.from(secret, 'hex');
    });
    const handshakeTimer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS).unref();
    socket.on('error', () => socket.destroy());
    socket.once('secure', () => {
      clearTimeout(handshakeTimer);
      const verdict = policy ? policy.judge(socket.getPeerX509Certificate(), socket.getProtocol() ?? '') : { accept: true as const };
      if (verdict.accept) {
        gate.open();
        server.emit('connection', socket);
        return;
      }
      const protocol = socket.getProtocol();
      const secret = trafficSecret;
      const cipher = socket.getCipher();
      const record =
        protocol === 'TLSv1.3' && secret
          ? encryptedAlertRecord(verdict.alert, cipher.standardName ?? cipher.name, secret)
          : plaintextAlertRecord(verdict.alert);
      gate.refuse(record);
      socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, options.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return {
    port: (listener.address() as AddressInfo).port,
    reset(socket) {
      const raw = socket instanceof TLSSocket ? rawSockets.get(socket) : undefined;
      if (!raw || raw.destroyed) return false;
      raw.resetAndDestroy();
      return true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const raw of open) raw.destroy();
        server.closeAllConnections();
      }),
  };
}
