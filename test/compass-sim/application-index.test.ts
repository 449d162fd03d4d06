// The per-runtime application index behind applicationsForRuntime: built once, reused by every page,
// and rebuilt whenever an application or the runtime's tenant or scenarios change through the control API.
import t from 'tap';
import { CompassStore } from '../../sim/compass/compass-store.js';
import { createControl } from '../../sim/compass/control.js';

const runtimeId = '0d1c4a7e-5b2f-4c3e-9a8d-6f7e1b2c3d4e';
const tenant = '3e64ebae-38b5-46a0-b1ed-9ccee153a0ae';

function setup() {
  const store = new CompassStore({ tenant, runtimeId, certificateValidityMs: 60_000 });
  const control = createControl(store);
  const visible = (id = runtimeId) => store.runtimeApplications.visibleTo(store.runtimes.get(id)!);
  const names = (id = runtimeId) => visible(id).map((app) => app.name);
  return { store, control, visible, names };
}

t.test('the list is built once and reused while nothing changes', async (t) => {
  const { control, visible } = setup();
  control.generateApplications(50, 3);
  const first = visible();
  t.equal(first.length, 50);
  t.same(
    first.map((app) => app.id),
    [...first.map((app) => app.id)].sort(),
    'in id order',
  );
  t.equal(visible(), first, 'the same list for the next page');
  control.upsertRuntime({ id: runtimeId, status: { condition: 'CONNECTED', timestamp: new Date(0).toISOString() } });
  t.equal(visible(), first, 'a runtime change that keeps tenant and scenarios keeps the list');
});

t.test('adding, changing and removing applications rebuilds the list', async (t) => {
  const { control, names } = setup();
  control.upsertApplication({ id: 'bbbbbbbb-0000-4000-8000-000000000002', name: 'b' });
  t.same(names(), ['b']);
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'a' });
  t.same(names(), ['a', 'b'], 'an added application appears in id order');
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'a2' });
  t.same(names(), ['a2', 'b'], 'a changed application is served as changed');
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', labels: { scenarios: ['OTHER'] } });
  t.same(names(), ['b'], 'an application that leaves the scenario disappears');
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', labels: { scenarios: ['OTHER', 'DEFAULT'] } });
  t.same(names(), ['a2', 'b'], 'and comes back when it shares one again');
  control.upsertApplication({ id: 'cccccccc-0000-4000-8000-000000000003', name: 'foreign', tenant: 'another-tenant' });
  t.same(names(), ['a2', 'b'], 'an application of another tenant is never seen');
  t.ok(control.removeApplication('bbbbbbbb-0000-4000-8000-000000000002'));
  t.same(names(), ['a2'], 'a removed application disappears');
  t.notOk(control.removeApplication('bbbbbbbb-0000-4000-8000-000000000002'), 'removing it twice changes nothing');
  control.generateApplications(2, 9);
  t.equal(names().length, 3, 'generated applications appear');
});

t.test("a change of the runtime's scenarios or tenant rebuilds its list; other runtimes keep theirs", async (t) => {
  const { control, names, visible } = setup();
  const other = '11111111-2222-4333-8444-555555555555';
  control.upsertRuntime({ id: other, labels: { scenarios: ['ISOLATED'] } });
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'default-app' });
  control.upsertApplication({ id: 'bbbbbbbb-0000-4000-8000-000000000002', name: 'isolated-app', labels: { scenarios: ['ISOLATED'] } });
  t.same(names(), ['default-app']);
  t.same(names(other), ['isolated-app']);
  const isolated = visible(other);

  control.upsertRuntime({ id: runtimeId, labels: { scenarios: ['DEFAULT', 'ISOLATED'] } });
  t.same(names(), ['default-app', 'isolated-app'], 'a new scenario adds its applications');
  t.equal(visible(other), isolated, 'the other runtime keeps its list');
  control.upsertRuntime({ id: runtimeId, labels: {} });
  t.same(names(), [], 'no scenarios, no applications');
  control.upsertRuntime({ id: runtimeId, labels: { scenarios: ['DEFAULT'] } });
  t.same(names(), ['default-app']);
  control.upsertRuntime({ id: runtimeId, tenant: 'another-tenant' });
  t.same(names(), [], "a runtime moved to another tenant sees none of this tenant's applications");
});

t.test('bundle changes need no rebuild: the listed applications are the live records', async (t) => {
  const { control, visible } = setup();
  control.upsertApplication({ id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'a' });
  const before = visible();
  control.upsertBundle('aaaaaaaa-0000-4000-8000-000000000001', { id: 'b0000000-0000-4000-8000-000000000001', name: 'bundle' });
  t.same(
    visible()[0].bundles.map((bundle) => bundle.name),
    ['bundle'],
  );
  t.ok(control.removeBundle('aaaaaaaa-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001'));
  t.same(visible()[0].bundles, []);
  t.equal(visible(), before);
});
