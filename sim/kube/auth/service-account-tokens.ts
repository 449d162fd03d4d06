// Bound ServiceAccount tokens: JWTs (ES256) with the claims kube-apiserver puts in them
// (pkg/serviceaccount/claims.go: iss, sub, aud, exp, iat, nbf, jti and kubernetes.io {namespace,
// serviceaccount {name, uid}}). A token authenticates while it is unexpired, names one of the API
// server's audiences, and its ServiceAccount still exists with the same UID: deleting (or
// re-creating) the ServiceAccount invalidates every token minted for it, as for bound tokens.
import { createSign, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { serviceAccountUser, type UserInfo } from './user.js';

/** kubeadm's --service-account-issuer, which --api-audiences defaults to. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const ISSUER = API_AUDIENCE;

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface MintedToken {
  token: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  audiences: string[];
}

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string }; secret?: { name: string; uid: string } };
}

/** The current UID of a stored object, undefined when it does not exist. */
export type UidLookup = (resource: 'serviceaccounts' | 'secrets', namespace: string, name: string) => string | undefined;

const MAX_CACHED = 10_000;

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId: string;
  /** Verified tokens: the signature check runs once per token, expiry and ServiceAccount on every use. */
  private readonly verified = new Map<string, Claims>();

  constructor(
    private readonly uidOf: UidLookup,
    private readonly now: () => number = () => Date.now(),
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyId = randomUUID();
  }

  /** A token for the ServiceAccount; bound to a Secret, it also stops working when that Secret goes. */
  mint(
    sa: ServiceAccountRef,
    expirationSeconds: number,
    audiences: string[] = [API_AUDIENCE],
    secret?: { name: string; uid: string },
  ): MintedToken {
    const iat = Math.floor(this.now() / 1000);
    const claims: Claims = {
      iss: ISSUER,
      sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
      aud: audiences,
      exp: iat + expirationSeconds,
      iat,
      nbf: iat,
      jti: randomUUID(),
      'kubernetes.io': { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } },
    };
    if (secret) claims['kubernetes.io'].secret = { name: secret.name, uid: secret.uid };
    const header = base64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }));
    const payload = base64url(JSON.stringify(claims));
    const signer = createSign('SHA256');
    signer.update(`${header}.${payload}`);
    const signature = signer.sign({ key: this.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return { token: `${header}.${payload}.${signature}`, expiresAt: claims.exp, audiences };
  }

  /** The user a bearer token authenticates, or undefined (not one of ours, expired, wrong audience, ServiceAccount gone). */
  authenticate(token: string): UserInfo | undefined {
    const claims = this.verified.get(token) ?? this.verify(token);
    if (!claims) return undefined;
    const seconds = this.now() / 1000;
    if (seconds >= claims.exp || seconds < claims.nbf) return undefined;
    if (!claims.aud.includes(API_AUDIENCE)) return undefined;
    const { namespace, serviceaccount, secret } = claims['kubernetes.io'];
    if (this.uidOf('serviceaccounts', namespace, serviceaccount.name) !== serviceaccount.uid) return undefined;
    if (secret && this.uidOf('secrets', namespace, secret.name) !== secret.uid) return undefined;
    const user = serviceAccountUser(namespace, serviceaccount.name, serviceaccount.uid);
    user.extra = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
    return user;
  }

  private verify(token: string): Claims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts;
    try {
      if (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid !== this.keyId) return undefined;
      const verifier = createVerify('SHA256');
      verifier.update(`${header}.${payload}`);
      if (!verifier.verify({ key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
      if (this.verified.size >= MAX_CACHED) this.verified.clear();
      this.verified.set(token, claims);
      return claims;
    } catch {
      return undefined;
    }
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
