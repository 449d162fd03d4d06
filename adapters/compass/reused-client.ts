// One Compass client kept from one cycle to the next while what it is made for stays the same (the
// URL, the tenant, the client certificate and key): its kept-alive connections then carry the next
// cycle's requests without a new TLS handshake, which with an RSA-4096 client key is most of what an
// idle cycle costs; the Go agent keeps its mTLS client the same way (reference §4.4). A change (a renewed certificate, a moved Director) closes the old client and
// makes a new one. Revocation is not noticed any later for it: Compass checks the presented
// certificate on every request (the certificate hydrator), not once per connection.
import { hash } from 'node:crypto';

export interface ClosableClient {
  close(): Promise<void>;
}

export class ReusedClient<T extends ClosableClient> {
  private current: { key: string; client: T } | undefined;

  /**
   * The client made for `material` (compared by digest, so no copy of a key is kept here): the kept
   * one when it was made for the same material, otherwise a new one from `create`.
   */
  get(material: readonly unknown[], create: () => T): T {
    const key = hash('sha256', JSON.stringify(material), 'base64');
    if (this.current?.key === key) return this.current.client;
    const previous = this.current;
    this.current = undefined;
    if (previous) void previous.client.close();
    const client = create();
    this.current = { key, client };
    return client;
  }

  /** Closes the kept client (shutdown); the next `get` makes a new one. */
  async close(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    await previous?.client.close();
  }
}
