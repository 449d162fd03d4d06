// The Compass client kept from cycle to cycle: the same one while it is asked for with the same
// material, a new one (the old closed) when the material changes, none after close.
import t from 'tap';
import { ReusedClient } from '../../adapters/compass/reused-client.js';

class FakeClient {
  closed = 0;
  constructor(readonly name: string) {}
  async close() {
    this.closed++;
  }
}

t.test('the same material gives the same client; other material closes it and makes a new one', async (t) => {
  const reused = new ReusedClient<FakeClient>();
  let made = 0;
  const make = (name: string) => () => {
    made++;
    return new FakeClient(name);
  };
  const first = reused.get(['https://director/graphql', 'tenant', 'key-1', 'cert-1'], make('first'));
  t.equal(reused.get(['https://director/graphql', 'tenant', 'key-1', 'cert-1'], make('again')), first, 'kept');
  t.equal(made, 1, 'made once');
  t.equal(first.closed, 0);

  const renewed = reused.get(['https://director/graphql', 'tenant', 'key-2', 'cert-2'], make('renewed'));
  t.not(renewed, first, 'a renewed certificate gets a client of its own');
  t.equal(first.closed, 1, 'and the old one is closed');
  const moved = reused.get(['https://elsewhere/graphql', 'tenant', 'key-2', 'cert-2'], make('moved'));
  t.equal(moved.name, 'moved', 'so does another URL');
  t.equal(renewed.closed, 1);

  t.throws(
    () =>
      reused.get(['bad'], () => {
        throw new TypeError('not a URL');
      }),
    /not a URL/,
    'a client that cannot be made is reported',
  );
  t.equal(moved.closed, 1, 'the client it replaced is closed all the same');
  const after = reused.get(['https://elsewhere/graphql', 'tenant', 'key-2', 'cert-2'], make('after'));
  t.equal(after.name, 'after', 'nothing is kept from a failed make');

  await reused.close();
  t.equal(after.closed, 1, 'close closes the kept client');
  t.equal(
    reused.get(['https://elsewhere/graphql', 'tenant', 'key-2', 'cert-2'], make('fresh')).name,
    'fresh',
    'and the next get makes a new one',
  );
  await reused.close();
  await reused.close();
});
